// SPDX-License-Identifier: MIT
/* libFuzzer: gm_dmabuf_iter_parse() on arbitrary bytes as the iter/dmabuf stream. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_buf(const struct gpumem_dmabuf *b, void *ctx)
{
	(void)ctx;
	if (!b->ino || !memchr(b->exporter, 0, sizeof(b->exporter)) ||
	    !memchr(b->name, 0, sizeof(b->name)))
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int malformed = 0;

	if (gm_dmabuf_iter_parse(data, size, on_buf, NULL, &malformed))
		__builtin_trap();
	return 0;
}
