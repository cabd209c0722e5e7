// SPDX-License-Identifier: MIT
/*
 * libFuzzer: gm_maps_parse() on arbitrary /proc/PID/maps text, and on the
 * line that gm_maps_keep_vma() makes of a mapping whose path (a
 * PROCMAP_QUERY name) is the same bytes: that is one mapping at most,
 * the queried one, whatever the name says.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	const char *text;
	size_t len;
};

static int on_map(const struct gm_dmabuf_map *m, void *arg)
{
	const struct ctx *c = arg;
	char name[GPUMEM_NAME_MAX];

	/* the name lies inside the text */
	if (m->name < c->text || m->name_len > c->len ||
	    m->name + m->name_len > c->text + c->len)
		__builtin_trap();
	gm_copy_field(name, sizeof(name), m->name, m->name_len);
	return 0;
}

static int on_queried(const struct gm_dmabuf_map *m, void *arg)
{
	unsigned int *seen = arg;

	if (++*seen > 1 || m->ino != 77 || m->vma_bytes != 0x3000)
		__builtin_trap();
	return 0;
}

static void fuzz_queried(const uint8_t *data, size_t size)
{
	struct gm_text kept = { 0 };
	unsigned int malformed = 0, seen = 0;

	/* d_path() names hold no NUL */
	if (memchr(data, '\0', size))
		return;
	if (gm_maps_keep_vma(0x7f0000, 0x7f3000, 77, (const char *)data,
			     size, &kept))
		__builtin_trap();
	if (kept.len && (gm_maps_parse(kept.buf, kept.len, on_queried, &seen,
				       &malformed) || malformed))
		__builtin_trap();
	free(kept.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { (const char *)data, size };
	unsigned int malformed = 0;

	if (gm_maps_parse(c.text, size, on_map, &c, &malformed))
		__builtin_trap();
	fuzz_queried(data, size);
	return 0;
}
