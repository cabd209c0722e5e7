// SPDX-License-Identifier: MIT
/*
 * libFuzzer: gm_dmem_parse() (dmem.capacity, dmem.current/min/low/max) on
 * arbitrary text, in an exact-size copy so that a read past the end is
 * caught.  Every name handed out lies inside the text, is not empty and
 * fits a region's name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const char *text;
	size_t size;
};

static int check(const char *name, size_t len, uint64_t v, void *ctx)
{
	const struct span *s = ctx;

	(void)v;
	if (name < s->text || name + len > s->text + s->size || !len ||
	    len >= GPUMEM_NAME_MAX || memchr(name, '\n', len))
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	unsigned int bad = 0;
	struct span s = { text, size };

	if (!text)
		return 0;
	memcpy(text, data, size);
	gm_dmem_parse(text, size, check, &s, &bad);
	free(text);
	return 0;
}
