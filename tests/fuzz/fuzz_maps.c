// SPDX-License-Identifier: MIT
/*
 * libFuzzer: gm_maps_parse() on arbitrary /proc/PID/maps text, and on the
 * line that gm_maps_keep_vma() makes of a mapping whose path (a
 * PROCMAP_QUERY name) is the same bytes: that is one mapping at most,
 * the queried one, whatever the name says.
 */
#include <stdbool.h>
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

struct queried {
	unsigned int seen;
	bool check;		/* want is the name the line must give back */
	char want[4 * 64];	/* the name as maps escapes it */
	size_t want_len;
};

static int on_queried(const struct gm_dmabuf_map *m, void *arg)
{
	struct queried *q = arg;

	if (++q->seen > 1 || m->ino != 77 || m->vma_bytes != 0x3000)
		__builtin_trap();
	if (q->check && (m->name_len != q->want_len ||
			 memcmp(m->name, q->want, q->want_len)))
		__builtin_trap();
	return 0;
}

/* A name a dma-buf can have: "/dmabuf:" and at most 31 bytes. */
static bool escape_name(const uint8_t *data, size_t size, struct queried *q)
{
	size_t i;

	if (size < 8 || size > 8 + 31 || memcmp(data, "/dmabuf:", 8))
		return false;
	for (i = 8; i < size; i++) {
		if (data[i] == '\n') {
			memcpy(q->want + q->want_len, "\\012", 4);
			q->want_len += 4;
		} else {
			q->want[q->want_len++] = (char)data[i];
		}
	}
	return true;
}

static void fuzz_queried(const uint8_t *data, size_t size)
{
	struct gm_text kept = { 0 };
	struct queried q = { 0 };
	unsigned int malformed = 0;

	/* d_path() names hold no NUL */
	if (memchr(data, '\0', size))
		return;
	if (gm_maps_keep_vma(0x7f0000, 0x7f3000, 77, (const char *)data,
			     size, &kept))
		__builtin_trap();
	q.check = escape_name(data, size, &q);
	if (kept.len && (gm_maps_parse(kept.buf, kept.len, on_queried, &q,
				       &malformed) || malformed))
		__builtin_trap();
	/* each name a dma-buf can have is found, whole */
	if (q.check && q.seen != 1)
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
