// SPDX-License-Identifier: MIT
/*
 * libFuzzer: gm_kv_parse() (meminfo, smaps_rollup) and
 * gm_zoneinfo_pcp_pages() on arbitrary text, in an exact-size copy so that
 * a read past the end is caught.  A parse either fails with -EBADMSG and a
 * line number within the text, or every field is a real key.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *text, size_t len, bool header)
{
	struct gm_kvs kvs = { 0 };
	unsigned int bad = 0, lines = 1;
	size_t i;
	int err = gm_kv_parse(text, len, header, &kvs, &bad);

	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (err && (err != -EBADMSG || bad > lines))
		__builtin_trap();
	for (i = 0; !err && i < kvs.nr; i++) {
		if (!kvs.v[i].key[0] || gm_kv_find(&kvs, kvs.v[i].key) != &kvs.v[i])
			__builtin_trap();
	}
	gm_kvs_free(&kvs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	unsigned int bad;
	uint64_t pages;

	if (!text)
		return 0;
	memcpy(text, data, size);
	check(text, size, false);
	check(text, size, true);
	gm_zoneinfo_pcp_pages(text, size, &pages, &bad);
	free(text);
	return 0;
}
