// SPDX-License-Identifier: MIT
/* libFuzzer: gm_status_parse_uid() on arbitrary /proc/PID/status text. */
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int malformed = 0;
	uid_t uid;
	int err = gm_status_parse_uid((const char *)data, size, &uid,
				      &malformed);

	/* A uid only on success, a count only for -EBADMSG, and never -1. */
	if ((err == 0) != (uid != GPUMEM_UID_UNKNOWN) ||
	    (err == -EBADMSG) != (malformed == 1) ||
	    (err && err != -EBADMSG && err != -ENOENT))
		__builtin_trap();
	return 0;
}
