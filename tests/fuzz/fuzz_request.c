// SPDX-License-Identifier: MIT
/* libFuzzer: gpumemd's request parser on arbitrary request lines. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gpumemd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gmd_request r;
	char why[160];
	int err = gmd_request_parse((const char *)data, size, &r, why,
				    sizeof(why));

	/* Either a request the daemon can serve, or a reason to say. */
	if (err ? err != -EINVAL || !why[0] || strlen(why) >= sizeof(why) :
	    r.get > GMD_GET_EXPLAIN || (r.get == GMD_GET_HISTORY &&
	    (r.seconds < 1 || r.seconds > GMD_HISTORY_SECONDS_MAX)))
		__builtin_trap();
	return 0;
}
