// SPDX-License-Identifier: MIT
/* libFuzzer: gm_status_parse() on arbitrary /proc/PID/status text. */
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int malformed = 0;
	struct gm_status st;
	int err = gm_status_parse((const char *)data, size, &st, &malformed);
	bool both = st.uid != GPUMEM_UID_UNKNOWN &&
		    st.ppid != GPUMEM_PID_UNKNOWN;

	/* Both only on success, a count only for -EBADMSG (one a key at
	 * most), never a uid of -1 nor a negative parent but the unknown. */
	if ((err == 0) != both || (err == -EBADMSG) != (malformed > 0) ||
	    malformed > 2 || st.ppid < GPUMEM_PID_UNKNOWN ||
	    (err && err != -EBADMSG && err != -ENOENT))
		__builtin_trap();
	return 0;
}
