// SPDX-License-Identifier: MIT
/*
 * gembench: cost of a virtio-gpu dumb buffer create + destroy pair, the
 * path patched to emit gpu_mem_total, with the tracepoint enabled or not.
 *
 *   gembench off|on ROUNDS PAIRS
 *
 * Prints "bench trace=MODE round=R ns_per_pair=N" for every round and
 * "bench trace=MODE median_ns_per_pair=N".  "on" enables
 * events/gpu_mem/gpu_mem_total (nobody reads it; the ring buffer
 * overwrites); "off" disables it.
 */
#define _GNU_SOURCE
#include "vmlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 64

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ns per create + destroy pair over pairs pairs, or a negative errno. */
static int64_t round_ns(int fd, unsigned int pairs)
{
	uint64_t t0 = now_ns(), size;
	uint32_t handle;
	unsigned int i;
	int ret;

	for (i = 0; i < pairs; i++) {
		ret = vm_dumb_create(fd, 64, 64, 32, &handle, &size);
		ret = ret ? ret : vm_gem_close(fd, handle);
		if (ret)
			return ret;
	}
	return (int64_t)((now_ns() - t0) / pairs);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int64_t ns[MAX_ROUNDS];
	unsigned int rounds, pairs, r;
	int fd, ret;
	bool on;

	if (argc != 4 || (strcmp(argv[1], "on") && strcmp(argv[1], "off"))) {
		fprintf(stderr, "usage: gembench off|on ROUNDS PAIRS\n");
		return 2;
	}
	on = !strcmp(argv[1], "on");
	rounds = (unsigned int)atoi(argv[2]);
	pairs = (unsigned int)atoi(argv[3]);
	if (!rounds || rounds > MAX_ROUNDS || !pairs)
		return 2;
	if (vm_trace_available()) {
		ret = vm_trace_enable(on);
		if (ret)
			vm_fatal("gembench: tracefs", ret);
	} else if (on) {
		printf("bench trace=on unavailable\n");
		return 0;
	}
	fd = vm_drm_open(VM_CARD);
	if (fd < 0)
		vm_fatal("gembench: open " VM_CARD, fd);
	round_ns(fd, pairs / 10 + 1);	/* warm up */
	for (r = 0; r < rounds; r++) {
		ns[r] = round_ns(fd, pairs);
		if (ns[r] < 0)
			vm_fatal("gembench: create/destroy", (int)ns[r]);
		printf("bench trace=%s round=%u ns_per_pair=%lld\n", argv[1], r,
		       (long long)ns[r]);
	}
	qsort(ns, rounds, sizeof(ns[0]), cmp_i64);
	printf("bench trace=%s median_ns_per_pair=%lld\n", argv[1],
	       (long long)ns[rounds / 2]);
	vm_trace_enable(false);
	close(fd);
	return 0;
}
