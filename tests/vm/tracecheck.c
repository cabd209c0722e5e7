// SPDX-License-Identifier: MIT
/*
 * tracecheck: run a workload (with --sync) and, at every step it reports,
 * compare the kernel's view with the workload's ground truth:
 *
 *   - gpu_mem_total events (device total, pid 0, and per-process totals),
 *   - DRM fdinfo drm-total/shared/resident-memory and drm-client-id,
 *   - dma-buf fds (fdinfo size, ino) and mappings (/proc/PID/maps),
 *   - /sys/class/drm/card<gpu>/gpu_mem/total, if present.
 *
 * After the workload exits, every total must be back to its baseline.
 * Prints TAP lines ("ok - NAME: ...") for vm/init, one per property.
 *
 *   tracecheck [--late STEP] [--buffer-kb KB] [--settle-ms MS] CMD [ARGS...]
 *
 * --settle-ms MS (10000) is how long events may trail a step: a virtio-gpu
 * object's pages go when the host answers its unref, seconds under load.
 * The baseline is what a reader attaching now knows: the device totals of
 * sysfs, replaced by any event that arrives after attaching.
 * --late STEP leaves the event disabled from the baseline until STEP, then
 * enables it and starts over as such a reader: from then on, the device
 * totals must equal the truth, and a process total must equal it once it
 * changed (the kernel emits changes only, it does not replay).
 */
#define _GNU_SOURCE
#include "vmlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TRUTH 128
#define MAX_DIAG 8
#define SYSFS_GPU_MEM "/sys/class/drm/card%u/gpu_mem"

struct gpu_truth {
	unsigned int gpu;
	unsigned int pid;
	unsigned long long bytes;
};

struct client_truth {
	int pid, fd;
	unsigned long long total;
	long long shared;	/* -1: not known to the workload */
};

struct dmabuf_truth {
	int pid;
	unsigned long long fds, maps;
};

/* One property checked at many steps. */
struct check {
	const char *name;
	unsigned int steps, failed, diags;
};

enum { C_DEVICE, C_PROCESS, C_FDINFO, C_DMABUF, C_LATE, C_SYSFS, C_COUNT };

static struct state {
	struct vm_trace trace;
	struct vm_trace base;		/* keys seen before the workload ran */
	int tracing;			/* the event exists */
	int listening;			/* the event is enabled now */
	int late_step;			/* -1: enabled from the start */
	struct gpu_truth gpus[MAX_TRUTH];
	struct client_truth clients[MAX_TRUTH];
	struct dmabuf_truth dmabufs[MAX_TRUTH];
	int ngpus, nclients, ndmabufs;
	int per_process_seen;		/* any event with pid != 0 */
	int fdinfo_seen;		/* any drm-total-memory key */
	int clients_named;		/* client truth lines (none: vgem only) */
	int sysfs_seen;			/* a gpu_mem/total file */
	struct gpu_truth attached[MAX_TRUTH];	/* truth when enabled late */
	int nattached;
	int dry;			/* expect() only counts into dry_bad */
	unsigned int dry_bad;
	unsigned int settled;		/* steps whose events came late */
	int settle_ms;			/* how long to wait for them */
	int settle_max;			/* the longest wait that helped */
	unsigned int steps;
	char scenario[32];
	struct check checks[C_COUNT];
} st = {
	.late_step = -1,
	.settle_ms = 10000,
	.checks = {
		[C_DEVICE] = { "device total (gpu_mem_total pid 0) equals truth at every step" },
		[C_PROCESS] = { "per-process totals (gpu_mem_total pid > 0) equal truth at every step" },
		[C_FDINFO] = { "DRM fdinfo drm-*-memory of every client equals truth at every step" },
		[C_DMABUF] = { "dma-buf fds (fdinfo) and mappings (maps) equal truth at every step" },
		[C_LATE] = { "a late reader (sysfs snapshot, then events) equals truth at every step" },
		[C_SYSFS] = { "sysfs totals equal truth at every step" },
	},
};

/* Record one comparison of check c; print the first few mismatches. */
static void __attribute__((format(printf, 5, 6)))
expect(int c, unsigned long long got, unsigned long long want, const char *what,
       const char *fmt, ...)
{
	struct check *k = &st.checks[c];
	char label[128];
	va_list ap;

	if (got == want)
		return;
	if (st.dry) {
		st.dry_bad++;
		return;
	}
	k->failed++;
	if (k->diags++ >= MAX_DIAG)
		return;
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	vm_diag("%s: step %u (%s): %s: got %llu, want %llu", st.scenario,
		st.steps, what, label, got, want);
}

/* ---- gpu_mem_total ------------------------------------------------------- */

static unsigned long long base_of(unsigned int gpu, unsigned int pid)
{
	uint64_t v;

	vm_trace_get(&st.base, gpu, pid, &v);
	return v;
}

static int truth_names(unsigned int gpu, unsigned int pid)
{
	int i;

	for (i = 0; i < st.ngpus; i++) {
		if (st.gpus[i].gpu == gpu && st.gpus[i].pid == pid)
			return 1;
	}
	return 0;
}

/*
 * What a late reader knows of a process no event named since it attached:
 * nothing, which is right while the truth is still that of the attach.
 * Enabled from the start, no event means 0.
 */
static unsigned long long attached_bytes(unsigned int gpu, unsigned int pid)
{
	int i;

	for (i = 0; i < st.nattached; i++) {
		if (st.attached[i].gpu == gpu && st.attached[i].pid == pid)
			return st.attached[i].bytes;
	}
	return 0;
}

/*
 * Compare the latest event of every (gpu, pid) with the truth: device
 * totals under check dev, process totals under check proc (-1: skip them).
 */
static void check_trace(int dev, int proc, const char *what)
{
	const struct vm_total *k;
	uint64_t got;
	size_t i;

	for (i = 0; i < (size_t)st.ngpus; i++) {
		const struct gpu_truth *t = &st.gpus[i];

		if (!vm_trace_get(&st.trace, t->gpu, t->pid, &got) && t->pid)
			got = attached_bytes(t->gpu, t->pid);
		if (!t->pid)
			expect(dev, got, t->bytes + base_of(t->gpu, 0), what,
			       "gpu %u device total", t->gpu);
		else if (proc >= 0)
			expect(proc, got, t->bytes, what, "gpu %u pid %u", t->gpu,
			       t->pid);
	}
	/* Processes the workload does not know must not have changed. */
	for (i = 0; proc >= 0 && i < st.trace.nkeys; i++) {
		k = &st.trace.keys[i];
		if (k->pid && !truth_names(k->gpu, k->pid))
			expect(proc, k->size, base_of(k->gpu, k->pid), what,
			       "gpu %u pid %u (not the workload's)", k->gpu, k->pid);
	}
}

static void drain(void);

/*
 * A late reader: the snapshot (sysfs device totals) for every key no event
 * has set since it attached.  Keys an event sets later win.
 */
static void seed_from_sysfs(struct vm_trace *t)
{
	char path[96], buf[32];
	unsigned int gpu;
	uint64_t size;

	for (gpu = 0; gpu < 64; gpu++) {
		snprintf(path, sizeof(path), SYSFS_GPU_MEM "/total", gpu);
		if (vm_read_file(path, buf, sizeof(buf)) < 0 ||
		    vm_trace_get(t, gpu, 0, &size))
			continue;
		vm_trace_set(t, gpu, 0, strtoull(buf, NULL, 10));
	}
}

/*
 * Events may trail the step: virtio-gpu commands in flight hold object
 * references, so the last one (and the device total's drop) can come from
 * the host's completion.  Re-read trace_pipe for up to settle_ms before
 * judging a step.
 */
static void check_trace_settled(int dev, int proc, const char *what)
{
	int ms;

	for (ms = 0; ms < st.settle_ms; ms += 10) {
		st.dry = 1;
		st.dry_bad = 0;
		check_trace(dev, proc, what);
		st.dry = 0;
		if (!st.dry_bad)
			break;
		usleep(10000);
		drain();
	}
	if (ms > 0 && !st.dry_bad) {
		st.settled++;
		st.settle_max = ms > st.settle_max ? ms : st.settle_max;
	}
	st.checks[dev].steps++;
	if (proc >= 0 && proc != dev)
		st.checks[proc].steps++;
	check_trace(dev, proc, what);
}

static void drain(void)
{
	size_t i;

	if (!st.listening)
		return;
	if (vm_trace_drain(&st.trace) < 0)
		vm_fatal("read trace_pipe", -EIO);
	for (i = 0; i < st.trace.nkeys; i++)
		st.per_process_seen |= st.trace.keys[i].pid != 0;
}

/* ---- fdinfo ---------------------------------------------------------------- */

static void check_clients(const char *what)
{
	uint64_t ids[MAX_TRUTH], v;
	int i, j;

	for (i = 0; i < st.nclients; i++) {
		const struct client_truth *t = &st.clients[i];

		if (vm_fdinfo_u64(t->pid, t->fd, "drm-total-memory", &v))
			return;		/* no drm-* keys: patch 0011 absent */
		st.fdinfo_seen = 1;
		st.checks[C_FDINFO].steps += !i;
		expect(C_FDINFO, v, t->total, what, "pid %d fd %d drm-total-memory",
		       t->pid, t->fd);
		v = ~0ULL;
		vm_fdinfo_u64(t->pid, t->fd, "drm-shared-memory", &v);
		if (t->shared >= 0)
			expect(C_FDINFO, v, (unsigned long long)t->shared, what,
			       "pid %d fd %d drm-shared-memory", t->pid, t->fd);
		/* 6.12 prints resident only if some object reports a status */
		v = ~0ULL;
		if (vm_fdinfo_u64(t->pid, t->fd, "drm-resident-memory", &v) &&
		    !t->total)
			v = 0;
		expect(C_FDINFO, v, t->total, what, "pid %d fd %d drm-resident-memory",
		       t->pid, t->fd);
		ids[i] = ~0ULL;
		vm_fdinfo_u64(t->pid, t->fd, "drm-client-id", &ids[i]);
		expect(C_FDINFO, ids[i] == ~0ULL, 0, what,
		       "pid %d fd %d has no drm-client-id", t->pid, t->fd);
		for (j = 0; j < i; j++)
			expect(C_FDINFO, ids[i] == ids[j], 0, what,
			       "fds %d and %d share drm-client-id %llu",
			       st.clients[j].fd, t->fd, (unsigned long long)ids[i]);
	}
}

/* ---- dma-buf --------------------------------------------------------------- */

struct seen {
	uint64_t ino[256];
	int n;
};

static int seen_add(struct seen *s, uint64_t ino)
{
	int i;

	for (i = 0; i < s->n; i++) {
		if (s->ino[i] == ino)
			return 0;
	}
	if (s->n < (int)VM_ARRAY_SIZE(s->ino))
		s->ino[s->n++] = ino;
	return 1;
}

/* Bytes of the distinct dma-bufs pid holds an fd to. */
static unsigned long long dmabuf_fd_bytes(int pid)
{
	unsigned long long sum = 0;
	struct seen seen = { .n = 0 };
	char path[64];
	uint64_t ino, size, dummy;
	struct dirent *de;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		fd = atoi(de->d_name);
		if (de->d_name[0] == '.' ||
		    vm_fdinfo_u64(pid, fd, "exp_name", &dummy) == -ENOENT ||
		    vm_fdinfo_u64(pid, fd, "ino", &ino) ||
		    vm_fdinfo_u64(pid, fd, "size", &size))
			continue;
		if (seen_add(&seen, ino))
			sum += size;
	}
	closedir(dir);
	return sum;
}

/* Bytes of the distinct dma-bufs pid has mapped. */
static unsigned long long dmabuf_map_bytes(int pid)
{
	unsigned long long sum = 0, start, end, ino;
	struct seen seen = { .n = 0 };
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "/dmabuf:") ||
		    sscanf(line, "%llx-%llx %*s %*s %*s %llu", &start, &end, &ino) != 3)
			continue;
		if (seen_add(&seen, ino))
			sum += end - start;
	}
	fclose(f);
	return sum;
}

static void check_dmabufs(const char *what)
{
	int i;

	for (i = 0; i < st.ndmabufs; i++) {
		const struct dmabuf_truth *t = &st.dmabufs[i];

		st.checks[C_DMABUF].steps += !i;
		expect(C_DMABUF, dmabuf_fd_bytes(t->pid), t->fds, what,
		       "pid %d dma-buf fds", t->pid);
		expect(C_DMABUF, dmabuf_map_bytes(t->pid), t->maps, what,
		       "pid %d dma-buf mappings", t->pid);
	}
}

/* ---- sysfs ------------------------------------------------------------------ */

/*
 * /sys/class/drm/card<gpu>/gpu_mem/total (patch 0006) against the truth,
 * the device total plus the baseline.
 */
static void check_sysfs(const char *what)
{
	char path[96], total[32];
	int i;

	for (i = 0; i < st.ngpus; i++) {
		const struct gpu_truth *t = &st.gpus[i];

		if (t->pid)
			continue;
		snprintf(path, sizeof(path), SYSFS_GPU_MEM "/total", t->gpu);
		if (vm_read_file(path, total, sizeof(total)) < 0)
			return;
		st.checks[C_SYSFS].steps += !st.sysfs_seen || !i;
		st.sysfs_seen = 1;
		expect(C_SYSFS, strtoull(total, NULL, 10),
		       t->bytes + base_of(t->gpu, 0), what,
		       "sysfs card%u gpu_mem/total", t->gpu);
	}
}

/* ---- driving the workload -------------------------------------------------- */

/*
 * In --late mode, from the late step on, device and process totals are
 * judged together as the late reader's view (process totals only if the
 * kernel reports them at all).
 */
static void end_step(const char *what)
{
	int procs = st.per_process_seen || vm_patch_listed("0007");
	int ret;

	if (st.late_step == (int)st.steps && st.tracing) {
		ret = vm_trace_enable(true);
		if (ret)
			vm_fatal("enable gpu_mem_total", ret);
		st.listening = 1;
		st.trace.nkeys = 0;
		seed_from_sysfs(&st.trace);
		memcpy(st.attached, st.gpus, sizeof(st.gpus));
		st.nattached = st.ngpus;
	}
	if (st.listening && st.late_step < 0)
		check_trace_settled(C_DEVICE, C_PROCESS, what);
	else if (st.listening)
		check_trace_settled(C_LATE, procs ? C_LATE : -1, what);
	check_clients(what);
	check_dmabufs(what);
	check_sysfs(what);
	st.ngpus = st.nclients = st.ndmabufs = 0;
	st.steps++;
}

static void parse_line(char *line)
{
	struct gpu_truth g;
	struct client_truth c;
	struct dmabuf_truth d;
	unsigned int step;
	char *what;

	if (sscanf(line, "truth step=%u gpu=%u pid=%u bytes=%llu", &step, &g.gpu,
		   &g.pid, &g.bytes) == 4) {
		if (st.ngpus == MAX_TRUTH)
			vm_fatal("too many truth lines in a step", -E2BIG);
		st.gpus[st.ngpus++] = g;
	} else if (sscanf(line, "truth step=%u client pid=%d fd=%d gpu=%*u total=%llu shared=%lld",
			  &step, &c.pid, &c.fd, &c.total, &c.shared) == 5) {
		if (st.nclients == MAX_TRUTH)
			vm_fatal("too many truth lines in a step", -E2BIG);
		st.clients[st.nclients++] = c;
		st.clients_named = 1;
	} else if (sscanf(line, "truth step=%u dmabuf pid=%d fds=%llu maps=%llu",
			  &step, &d.pid, &d.fds, &d.maps) == 4) {
		if (st.ndmabufs == MAX_TRUTH)
			vm_fatal("too many truth lines in a step", -E2BIG);
		st.dmabufs[st.ndmabufs++] = d;
	} else if (!strncmp(line, "end step=", 9)) {
		what = strstr(line, "what=");
		drain();
		end_step(what ? what + 5 : "?");
	} else if (sscanf(line, "scenario name=%31s", st.scenario) == 1) {
		if (st.late_step >= 0)
			strcat(st.scenario, "/late");
	} else if (line[0] == '#') {
		puts(line);
	} else if (!strncmp(line, "truth ", 6) && strstr(line, " gpumem")) {
		return;		/* the gpumem model's lines: gpumemcheck's */
	} else if (strncmp(line, "done ", 5)) {
		printf("# workload: %s\n", line);
	}
}

/* Read workload lines (acking each step) while draining trace_pipe. */
static void run(int to, int from)
{
	struct pollfd pfd[2] = {
		{ .fd = from, .events = POLLIN },
		{ .fd = st.trace.pipe_fd, .events = POLLIN },
	};
	char buf[8192], *nl;
	size_t len = 0;
	unsigned int before;
	ssize_t n;

	for (;;) {
		pfd[1].fd = st.listening ? st.trace.pipe_fd : -1;
		if (poll(pfd, 2, 100) < 0)
			continue;
		drain();
		if (!pfd[0].revents)
			continue;
		n = read(from, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			before = st.steps;
			parse_line(buf);
			if (st.steps != before && write(to, "k", 1) != 1)
				break;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
	}
	close(to);
	close(from);
}

/* Totals that differ from their baseline, optionally printed. */
static unsigned int off_baseline(int print)
{
	const struct vm_total *k;
	unsigned int bad = 0;
	size_t i;

	for (i = 0; i < st.trace.nkeys; i++) {
		k = &st.trace.keys[i];
		if (k->size == base_of(k->gpu, k->pid))
			continue;
		bad++;
		if (print)
			vm_diag("%s: after exit gpu %u pid %u is %llu, baseline %llu",
				st.scenario, k->gpu, k->pid,
				(unsigned long long)k->size, base_of(k->gpu, k->pid));
	}
	return bad;
}

/* After the workload exited, every total must be back at its baseline. */
static void report_final(int status)
{
	unsigned int bad;
	int ms;

	drain();
	for (ms = 0; ms < st.settle_ms && off_baseline(0); ms += 10) {
		usleep(10000);
		drain();
	}
	bad = off_baseline(1);
	vm_tap(WIFEXITED(status) && !WEXITSTATUS(status),
	       "%s: workload ran all %u steps (status %d)", st.scenario,
	       st.steps, status);
	if (!st.tracing)
		return;
	if (st.settled)
		vm_diag("%s: at %u steps events trailed the step, by up to %d ms",
			st.scenario, st.settled, st.settle_max);
	vm_tap(!bad, "%s: every total back to its baseline after the workload exited",
	       st.scenario);
	vm_tap(!st.trace.huge && !st.trace.unparsed,
	       "%s: %llu events, none >= 2^63 (negative), none unparsed",
	       st.scenario, (unsigned long long)st.trace.events);
}

static void report_check(int c, int present, const char *patch)
{
	struct check *k = &st.checks[c];
	char name[160];

	if (present)
		snprintf(name, sizeof(name), "%s: %s (%u steps)", st.scenario,
			 k->name, k->steps);
	else
		snprintf(name, sizeof(name), "%s: %s", st.scenario, k->name);
	vm_tap_feature(present, patch, !k->failed, name);
}

static void report(void)
{
	char name[96];

	if (!st.tracing) {
		snprintf(name, sizeof(name), "%s: event gpu_mem/gpu_mem_total exists",
			 st.scenario);
		vm_tap_feature(false, "0001", false, name);
	} else if (st.late_step >= 0) {
		report_check(C_LATE, st.sysfs_seen, "0006");
	} else {
		report_check(C_DEVICE, st.tracing, "0001");
		report_check(C_PROCESS, st.per_process_seen, "0007");
	}
	if (st.clients_named)
		report_check(C_FDINFO, st.fdinfo_seen, "0011");
	report_check(C_SYSFS, st.sysfs_seen, "0006");
	vm_tap(!st.checks[C_DMABUF].failed, "%s: %s (%u steps)", st.scenario,
	       st.checks[C_DMABUF].name, st.checks[C_DMABUF].steps);
}

static void setup_trace(unsigned int buffer_kb)
{
	int ret;

	st.tracing = vm_trace_available();
	if (!st.tracing)
		return;
	ret = vm_trace_enable(false);
	ret = ret ? ret : vm_trace_open(&st.trace, buffer_kb);
	ret = ret ? ret : vm_trace_enable(true);
	if (ret)
		vm_fatal("set up tracefs", ret);
	st.listening = 1;
	drain();
	seed_from_sysfs(&st.trace);
	st.base = st.trace;
	if (st.late_step >= 0) {
		vm_trace_enable(false);
		st.listening = 0;
	}
}

int main(int argc, char **argv)
{
	unsigned int buffer_kb = 0;
	uint64_t overruns;
	int i = 1, to, from, status;
	pid_t pid;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--late"))
			st.late_step = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--buffer-kb"))
			buffer_kb = (unsigned int)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--settle-ms"))
			st.settle_ms = atoi(argv[i + 1]);
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: tracecheck [--late STEP] [--buffer-kb KB] "
				"[--settle-ms MS] CMD [ARGS...]\n");
		return 2;
	}
	snprintf(st.scenario, sizeof(st.scenario), "%s", argv[argc - 1]);
	setup_trace(buffer_kb);
	overruns = st.tracing ? vm_trace_overruns() : 0;
	pid = vm_spawn(argv + i, &to, &from);
	run(to, from);
	if (waitpid(pid, &status, 0) < 0)
		status = -1;
	report_final(status);
	report();
	if (st.tracing) {
		vm_tap(vm_trace_overruns() == overruns, "%s: ring buffer lost no events",
		       st.scenario);
		vm_trace_enable(false);
		vm_trace_close(&st.trace);
	}
	return 0;
}
