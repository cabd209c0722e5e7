// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the GPU shares on holder graphs read from the input
 * (tests/unit/shares_graph.c); any broken rule is a crash with its reason.
 */
#include <stdio.h>

#include "../unit/shares_graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[160];

	if (shares_graph_check(data, size, why, sizeof(why))) {
		fprintf(stderr, "fuzz_shares: %s\n", why);
		__builtin_trap();
	}
	return 0;
}
