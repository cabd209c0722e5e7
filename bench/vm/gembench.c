// SPDX-License-Identifier: MIT
/*
 * gembench: cost of the GEM paths patched to account gpu_mem_total, with
 * the tracepoint enabled or not.
 *
 *   gembench create|import|share|grow off|on ROUNDS PAIRS
 *
 * create: MODE_CREATE_DUMB (64x64) + GEM_CLOSE: the whole buffer life,
 *         dominated by virtio commands to the host.
 * import: PRIME_FD_TO_HANDLE of an existing buffer into a second file +
 *         GEM_CLOSE: a handle's life in a new file, which the series
 *         accounts (device and process totals) without any host command;
 *         the process holds the buffer in its first file, so no total
 *         changes and nothing is emitted.
 * share:  the same, but the process dropped its own handle after the
 *         export (the dma-buf keeps the buffer): every pair changes the
 *         process total twice, two gpu_mem_total events and no host
 *         command, the cheapest path that emits.  The process's total
 *         goes from 0 and back to 0: its key comes and goes.
 * grow:   share, while the second file holds another buffer: the total
 *         goes up and back down but never to 0, its key stays.
 *
 * Prints "bench op=OP trace=T round=R ns_per_pair=N" for every round and
 * "bench op=OP trace=T min_ns_per_pair=N median_ns_per_pair=M".  "on"
 * enables events/gpu_mem/gpu_mem_total (nobody reads it; the ring buffer
 * overwrites), "off" disables it.
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

enum bench_op { OP_CREATE, OP_IMPORT, OP_SHARE, OP_GROW };

struct bench {
	enum bench_op op;
	int fd;			/* card0 */
	int fd2;		/* a second card0 file, for import */
	int dmabuf;		/* an exported buffer, for import */
};

static int bench_pair(const struct bench *b)
{
	uint32_t handle;
	uint64_t size;
	int fd = b->op == OP_CREATE ? b->fd : b->fd2;
	int ret;

	if (b->op != OP_CREATE)
		ret = vm_prime_import(fd, b->dmabuf, &handle);
	else
		ret = vm_dumb_create(fd, 64, 64, 32, &handle, &size);
	return ret ? ret : vm_gem_close(fd, handle);
}

/* ns per pair over pairs pairs, or a negative errno. */
static int64_t round_ns(const struct bench *b, unsigned int pairs)
{
	uint64_t t0 = now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < pairs; i++) {
		ret = bench_pair(b);
		if (ret)
			return ret;
	}
	return (int64_t)((now_ns() - t0) / pairs);
}

static int bench_open(struct bench *b)
{
	uint32_t handle;
	uint64_t size;
	int ret;

	b->fd = vm_drm_open(VM_CARD);
	b->fd2 = vm_drm_open(VM_CARD);
	if (b->fd < 0 || b->fd2 < 0)
		return b->fd < 0 ? b->fd : b->fd2;
	ret = vm_dumb_create(b->fd, 64, 64, 32, &handle, &size);
	if (!ret)
		ret = vm_prime_export(b->fd, handle, &b->dmabuf);
	if (!ret && b->op >= OP_SHARE)
		ret = vm_gem_close(b->fd, handle);
	if (!ret && b->op == OP_GROW)
		ret = vm_dumb_create(b->fd2, 64, 64, 32, &handle, &size);
	return ret;
}

static int parse_op(const char *s)
{
	static const char *const names[] = { "create", "import", "share", "grow" };
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	int64_t ns[MAX_ROUNDS];
	unsigned int rounds, pairs, r;
	const char *op, *trace;
	int ret;
	bool on;

	if (argc != 5 || parse_op(argv[1]) < 0 ||
	    (strcmp(argv[2], "on") && strcmp(argv[2], "off"))) {
		fprintf(stderr, "usage: gembench create|import|share|grow off|on ROUNDS PAIRS\n");
		return 2;
	}
	op = argv[1];
	trace = argv[2];
	b.op = (enum bench_op)parse_op(op);
	on = !strcmp(trace, "on");
	rounds = (unsigned int)atoi(argv[3]);
	pairs = (unsigned int)atoi(argv[4]);
	if (!rounds || rounds > MAX_ROUNDS || !pairs)
		return 2;
	if (vm_trace_available()) {
		ret = vm_trace_enable(on);
		if (ret)
			vm_fatal("gembench: tracefs", ret);
	} else if (on) {
		printf("bench op=%s trace=on unavailable\n", op);
		return 0;
	}
	ret = bench_open(&b);
	if (ret)
		vm_fatal("gembench: setup", ret);
	round_ns(&b, pairs / 10 + 1);	/* warm up */
	for (r = 0; r < rounds; r++) {
		ns[r] = round_ns(&b, pairs);
		if (ns[r] < 0)
			vm_fatal("gembench: pair", (int)ns[r]);
		printf("bench op=%s trace=%s round=%u ns_per_pair=%lld\n", op,
		       trace, r, (long long)ns[r]);
	}
	qsort(ns, rounds, sizeof(ns[0]), cmp_i64);
	printf("bench op=%s trace=%s min_ns_per_pair=%lld median_ns_per_pair=%lld\n",
	       op, trace, (long long)ns[0], (long long)ns[rounds / 2]);
	vm_trace_enable(false);
	return 0;
}
