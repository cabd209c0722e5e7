/* SPDX-License-Identifier: MIT */
/*
 * A random holder graph (devices with or without an exact total, DRM
 * clients with private and shared bytes, processes holding them, some
 * processes unreadable, collector figures) read from bytes, run through the
 * model, and the rules of docs/model.md "GPU shares" checked on the result.
 * For the libFuzzer target tests/fuzz/fuzz_shares.c and the unit test
 * test_shares.c.
 */
#ifndef TEST_SHARES_GRAPH_H
#define TEST_SHARES_GRAPH_H

#include <stddef.h>
#include <stdint.h>

/* 0 when every rule holds; else -1 and why says which did not. */
int shares_graph_check(const uint8_t *data, size_t len, char *why,
		       size_t size);

#endif
