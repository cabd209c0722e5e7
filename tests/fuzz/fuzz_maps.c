// SPDX-License-Identifier: MIT
/* libFuzzer: gm_maps_parse() on arbitrary /proc/PID/maps text. */
#include <stddef.h>
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = { (const char *)data, size };
	unsigned int malformed = 0;

	if (gm_maps_parse(c.text, size, on_map, &c, &malformed))
		__builtin_trap();
	return 0;
}
