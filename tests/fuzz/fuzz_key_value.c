// SPDX-License-Identifier: MIT
/* libFuzzer: gm_next_line() + gm_key_value(), the line splitter. */
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && p + n <= buf + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *line, *key, *val;
	size_t pos = 0, llen, klen, vlen, lines = 0;

	while (gm_next_line(buf, size, &pos, &line, &llen)) {
		if (!inside(line, llen, buf, size) || ++lines > size + 1)
			__builtin_trap();
		if (!gm_key_value(line, llen, &key, &klen, &val, &vlen))
			continue;
		if (key != line || !klen || !inside(key, klen, line, llen) ||
		    !inside(val, vlen, line, llen) || key[klen] != ':')
			__builtin_trap();
		if (vlen && (val[0] == ' ' || val[0] == '\t' ||
			     val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
			__builtin_trap();
	}
	return 0;
}
