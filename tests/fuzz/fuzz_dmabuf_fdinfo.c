// SPDX-License-Identifier: MIT
/* libFuzzer: gm_dmabuf_fdinfo_parse() on arbitrary fdinfo text. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gpumem_dmabuf b;
	unsigned int malformed = 0;
	int ret;

	memset(&b, 0, sizeof(b));
	ret = gm_dmabuf_fdinfo_parse((const char *)data, size, &b, &malformed);
	if (ret != 0 && ret != 1)
		__builtin_trap();
	if (strnlen(b.exporter, sizeof(b.exporter)) == sizeof(b.exporter) ||
	    strnlen(b.name, sizeof(b.name)) == sizeof(b.name))
		__builtin_trap();
	return 0;
}
