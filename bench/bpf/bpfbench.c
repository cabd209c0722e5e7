// SPDX-License-Identifier: MIT
/*
 * Helpers of the BPF benchmark in the VM (bench/bpf/run.sh), one static
 * binary:
 *   bpfbench android-load PIN   attach the Android-equivalent program,
 *                               pin its link at PIN (rm PIN detaches)
 *   bpfbench stats              "prog NAME run_cnt N run_time_ns N" for
 *                               every loaded program (bpf_stats_enabled)
 *   bpfbench hold N             N processes, each holding one 64x64 dumb
 *                               buffer on card0, in a process group of
 *                               their own; prints "held N", then waits
 *   bpfbench query ROUNDS       ns per read of every figure: the pinned
 *                               maps (gpumem_tp_read) and a full
 *                               snapshot (fdinfo scan)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <drm.h>
#include <drm_mode.h>

#include "android_gpu_mem.skel.h"
#include "gpumem/gpumem.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int android_load(const char *pin)
{
	struct android_gpu_mem_bpf *skel = android_gpu_mem_bpf__open_and_load();
	int err;

	if (!skel)
		return 1;
	err = android_gpu_mem_bpf__attach(skel);
	if (!err)
		err = bpf_link__pin(skel->links.android_gpu_mem_total, pin);
	android_gpu_mem_bpf__destroy(skel);
	if (err)
		fprintf(stderr, "bpfbench: android-load: %s\n", strerror(-err));
	return err ? 1 : 0;
}

static int stats(void)
{
	struct bpf_prog_info info;
	uint32_t id = 0, len;
	int fd;

	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("prog %s run_cnt %llu run_time_ns %llu\n", info.name,
			       (unsigned long long)info.run_cnt,
			       (unsigned long long)info.run_time_ns);
		close(fd);
	}
	return 0;
}

static void holder(void)
{
	struct drm_mode_create_dumb c = { .width = 64, .height = 64, .bpp = 32 };
	int fd = open("/dev/dri/card0", O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &c))
		_exit(1);
	pause();
	_exit(0);
}

static int hold(unsigned int n)
{
	unsigned int i;

	/* One process group: "kill -- -PID" ends the holders with us. */
	setpgid(0, 0);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (!pid)
			holder();
	}
	sleep(1);
	printf("held %u\n", n);
	fflush(stdout);
	pause();
	return 0;
}

static int query(unsigned int rounds)
{
	struct gpumem_snapshot *s;
	struct gpumem_tp tp;
	uint64_t t0, pins, scan;
	unsigned int r;
	size_t procs = 0;

	t0 = now_ns();
	for (r = 0; r < rounds; r++) {
		gpumem_tp_read(NULL, &tp);
		gpumem_tp_release(&tp);
	}
	pins = (now_ns() - t0) / rounds;
	gpumem_tp_read(NULL, &tp);
	t0 = now_ns();
	for (r = 0; r < rounds; r++) {
		if (gpumem_snapshot_take(NULL, &s))
			return 1;
		gpumem_processes(s, &procs);
		gpumem_snapshot_free(s);
	}
	scan = (now_ns() - t0) / rounds;
	printf("query keys=%zu processes=%zu pins_ns=%llu scan_ns=%llu\n",
	       tp.nr, procs, (unsigned long long)pins,
	       (unsigned long long)scan);
	gpumem_tp_release(&tp);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "android-load"))
		return android_load(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "stats"))
		return stats();
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold((unsigned int)atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "query"))
		return query((unsigned int)atoi(argv[2]));
	fprintf(stderr, "usage: see bench/bpf/bpfbench.c\n");
	return 2;
}
