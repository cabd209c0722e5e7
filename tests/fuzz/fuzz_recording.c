// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a recording (gpumem plot's input, anyone's NDJSON), read
 * line by line as recording_read() does, then its series checked: every
 * point in time order within a series, every name escaped.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../src/recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct recording *r)
{
	size_t i, k;

	for (i = 0; i < r->nr; i++) {
		const struct rec_series *s = &r->s[i];

		if ((i && r->s[i - 1].key >= s->key) || !s->nr ||
		    strchr(s->name, '\x1b') || strchr(s->name, '\n'))
			__builtin_trap();
		for (k = 1; k < s->nr; k++)
			if (s->pts[k].time_ns < s->pts[k - 1].time_ns)
				__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recording r = { 0 };
	const char *p = (const char *)data, *end = p + size, *nl;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (recording_add_line(&r, p, (size_t)(nl - p)))
			break;
	}
	check(&r);
	recording_free(&r);
	return 0;
}
