// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the number parsers of sysfs and uevent text: gm_parse_u64_all()
 * on the raw bytes, gm_parse_u64() and gm_parse_hex() on a NUL-terminated
 * copy (their contract), and agreement with strtoull on accepted input.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decimal(const char *s, uint64_t v)
{
	char *end;
	unsigned long long w;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	errno = 0;
	w = strtoull(s, &end, 10);
	if (errno || w != v)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *end;
	uint64_t v;
	char *s;

	if (!gm_parse_u64_all((const char *)data, size, &v)) {
		s = malloc(size + 1);
		if (!s)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		check_decimal(s, v);
		free(s);
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!gm_parse_u64(s, &end, &v) && (end <= s || end > s + size))
		__builtin_trap();
	if (!gm_parse_hex(s, &end, &v) && (end <= s || end > s + size))
		__builtin_trap();
	free(s);
	return 0;
}
