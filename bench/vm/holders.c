// SPDX-License-Identifier: MIT
/*
 * holders: N processes that each hold what a desktop client holds, for
 * gpumemd to sample live (bench/vm/gpumemd.sh): a virtio-gpu render file
 * with one 64x64 resource (render nodes may not make dumb buffers; its
 * fdinfo has memory keys, patch 0011), that
 * buffer exported as a dma-buf fd and mapped, and ordinary fds up to
 * FDS, as bench_scan's desktop tree has on the host.
 *
 *   holders N FDS     prints "holders ready n=N" once all hold theirs,
 *                     then keeps them until stdin ends
 *
 * It also prints the hypervisor's CPUID signature (KVMKVMKVM under KVM):
 * figures taken under TCG, where a guest instruction costs many host
 * ones, say little about a real machine.
 */
#define _GNU_SOURCE
#include "vmlib.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_HOLDERS 4096

/* One holder: its fds, then a byte to say so, then nothing until killed. */
static void hold(int ready, int fds)
{
	uint64_t size = 64 * 64 * 4;
	uint32_t handle;
	void *map;
	int drm = vm_drm_open(VM_RENDER), buf = -1, n;
	/* What failed, for the parent to say: open, create, export, map. */
	char ok = drm < 0 ? 'o' :
		  vm_virtgpu_create(drm, 2, 64, 64, 1, &handle) ? 'c' :
		  vm_prime_export(drm, handle, &buf) ? 'e' :
		  vm_dmabuf_map(buf, size, &map) ? 'm' : 'y';

	for (n = 3 + 2; ok == 'y' && n < fds; n++) {
		if (open("/dev/null", O_RDONLY) < 0)
			ok = 'f';
	}
	if (write(ready, &ok, 1) != 1)
		_exit(1);
	close(ready);
	for (;;)
		pause();
}

/* Leaf 0x40000000's vendor, "none" where there is no such leaf. */
static void hypervisor(char sig[13])
{
	unsigned int a, b, c, d;

	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	if (!sig[0] || a < 0x40000000)
		strcpy(sig, "none");
}

int main(int argc, char **argv)
{
	static pid_t pids[MAX_HOLDERS];
	int n = argc == 3 ? atoi(argv[1]) : 0, fds = argc == 3 ? atoi(argv[2]) : 0;
	int p[2], i, bad = 0;
	char c, sig[13];

	if (n < 1 || n > MAX_HOLDERS || fds < 5) {
		fprintf(stderr, "usage: holders N FDS (N <= %d, FDS >= 5)\n",
			MAX_HOLDERS);
		return 2;
	}
	if (pipe(p))
		vm_fatal("holders: pipe", -errno);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			vm_fatal("holders: fork", -errno);
		if (!pids[i]) {
			close(p[0]);
			hold(p[1], fds);
		}
	}
	close(p[1]);
	for (i = 0; i < n; i++) {
		if (read(p[0], &c, 1) != 1)
			vm_fatal("holders: a holder died", -EPIPE);
		if (c != 'y' && !bad++)
			printf("holders: the first failure: %s\n", c == 'o' ?
			       "open" : c == 'c' ? "create" : c == 'e' ?
			       "export" : c == 'm' ? "map" : "fds");
	}
	hypervisor(sig);
	printf("holders ready n=%d failed=%d hypervisor=%s\n", n, bad, sig);
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return bad ? 1 : 0;
}
