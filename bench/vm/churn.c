// SPDX-License-Identifier: MIT
/*
 * churn: N threads or N processes churning GEM handles on vgem at once,
 * the contention case of the series' device-wide lock.
 *
 *   churn create|close|import threads|procs N PAIRS ROUNDS
 *
 * Every worker has its own vgem file (its own process for "procs"):
 * create: DUMB create (64x64) + GEM_CLOSE, a buffer's whole life;
 * close:  the same on a second file opened once the first holds 64
 *         buffers, so the first file's close at the end of the round
 *         (timed too) releases many handles at once;
 * import: PRIME import of one buffer all workers share into the worker's
 *         file + GEM_CLOSE: the first handle of a file to an object and
 *         its last close, where the series takes its lock and walks the
 *         object's files (N of them).
 * vgem needs no host command, so the time is the kernel's.  Prints
 * "churn op=OP mode=M n=N round=R ns_per_pair=T", T the wall time of the
 * round divided by PAIRS (each worker did PAIRS pairs meanwhile).
 */
#define _GNU_SOURCE
#include "vmlib.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 16
#define CLOSE_BATCH 64

enum churn_op { OP_CREATE, OP_CLOSE, OP_IMPORT };

static struct {
	enum churn_op op;
	unsigned int pairs;
	char card[32];
	int dmabuf;		/* the shared buffer, for import */
	pthread_barrier_t start;
} cfg;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The vgem card, wherever the kernel put it (card2 with kernel/rig). */
static int find_vgem(void)
{
	int gpu;

	for (gpu = 0; gpu < 8; gpu++) {
		if (vm_gpu_is(gpu, "vgem")) {
			snprintf(cfg.card, sizeof(cfg.card), "/dev/dri/card%d", gpu);
			return 0;
		}
	}
	return -ENODEV;
}

static int pair(int fd)
{
	uint32_t handle;
	uint64_t size;
	int ret;

	if (cfg.op == OP_IMPORT)
		ret = vm_prime_import(fd, cfg.dmabuf, &handle);
	else
		ret = vm_dumb_create(fd, 64, 64, 32, &handle, &size);
	return ret ? ret : vm_gem_close(fd, handle);
}

/* One worker's round: its pairs; for close, also a file full of buffers. */
static int work(void)
{
	uint32_t handle;
	uint64_t size;
	int fd, full = -1, ret = 0;
	unsigned int i;

	fd = vm_drm_open(cfg.card);
	if (fd < 0)
		return fd;
	if (cfg.op == OP_CLOSE) {
		full = vm_drm_open(cfg.card);
		for (i = 0; full >= 0 && !ret && i < CLOSE_BATCH; i++)
			ret = vm_dumb_create(full, 64, 64, 32, &handle, &size);
		if (full < 0)
			ret = full;
	}
	for (i = 0; !ret && i < cfg.pairs; i++)
		ret = pair(fd);
	if (full >= 0)
		close(full);
	close(fd);
	return ret;
}

static void *thread_main(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&cfg.start);
	return (void *)(intptr_t)work();
}

static int64_t round_threads(unsigned int n)
{
	pthread_t t[MAX_WORKERS];
	uint64_t t0;
	unsigned int i;
	int ret = 0;
	void *res;

	pthread_barrier_init(&cfg.start, NULL, n + 1);
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, thread_main, NULL))
			vm_fatal("churn: pthread_create", -errno);
	pthread_barrier_wait(&cfg.start);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		pthread_join(t[i], &res);
		ret = ret ? ret : (int)(intptr_t)res;
	}
	pthread_barrier_destroy(&cfg.start);
	return ret ? ret : (int64_t)((now_ns() - t0) / cfg.pairs);
}

/* Processes start together: each waits for a byte on the pipe. */
static int64_t round_procs(unsigned int n)
{
	pid_t pids[MAX_WORKERS];
	int go[2], status, ret = 0;
	unsigned int i;
	uint64_t t0;
	char b = 0;

	if (pipe(go))
		vm_fatal("churn: pipe", -errno);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			vm_fatal("churn: fork", -errno);
		if (!pids[i]) {
			close(go[1]);
			if (read(go[0], &b, 1) != 1)
				_exit(1);
			_exit(work() ? 1 : 0);
		}
	}
	close(go[0]);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (write(go[1], &b, 1) != 1)
			vm_fatal("churn: pipe write", -errno);
	close(go[1]);
	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			ret = -EIO;
	}
	return ret ? ret : (int64_t)((now_ns() - t0) / cfg.pairs);
}

static int setup_import(void)
{
	uint32_t handle;
	uint64_t size;
	int fd = vm_drm_open(cfg.card), ret;

	if (fd < 0)
		return fd;
	ret = vm_dumb_create(fd, 64, 64, 32, &handle, &size);
	/* fd stays open: it holds the buffer the workers import */
	return ret ? ret : vm_prime_export(fd, handle, &cfg.dmabuf);
}

int main(int argc, char **argv)
{
	static const char *const ops[] = { "create", "close", "import" };
	unsigned int n, rounds, r, i;
	int64_t ns;
	bool procs;
	int ret;

	if (argc != 6 || (strcmp(argv[2], "threads") && strcmp(argv[2], "procs")))
		goto usage;
	for (i = 0; i < 3 && strcmp(argv[1], ops[i]); i++)
		;
	if (i == 3)
		goto usage;
	cfg.op = (enum churn_op)i;
	procs = !strcmp(argv[2], "procs");
	n = (unsigned int)atoi(argv[3]);
	cfg.pairs = (unsigned int)atoi(argv[4]);
	rounds = (unsigned int)atoi(argv[5]);
	if (!n || n > MAX_WORKERS || !cfg.pairs || !rounds)
		goto usage;
	ret = find_vgem();
	ret = ret ? ret : cfg.op == OP_IMPORT ? setup_import() : 0;
	if (ret)
		vm_fatal("churn: setup", ret);
	for (r = 0; r <= rounds; r++) {
		ns = procs ? round_procs(n) : round_threads(n);
		if (ns < 0)
			vm_fatal("churn: round", (int)ns);
		if (r)	/* round 0 warms up */
			printf("churn op=%s mode=%s n=%u round=%u ns_per_pair=%lld\n",
			       argv[1], argv[2], n, r, (long long)ns);
	}
	return 0;
usage:
	fprintf(stderr, "usage: churn create|close|import threads|procs N PAIRS ROUNDS\n");
	return 2;
}
