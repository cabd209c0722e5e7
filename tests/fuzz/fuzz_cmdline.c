// SPDX-License-Identifier: MIT
/* libFuzzer: gm_cmdline_join() on arbitrary /proc/PID/cmdline bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sources/sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64];
	size_t n = gm_cmdline_join((const char *)data, size, out, sizeof(out));

	/* Cut to the buffer, terminated, no NUL inside, and no shorter than
	 * the input without its trailing NULs (when it fits). */
	if (n >= sizeof(out) || out[n] || strlen(out) != n)
		__builtin_trap();
	while (size && !data[size - 1])
		size--;
	if (size < sizeof(out) && n != size)
		__builtin_trap();
	return 0;
}
