// SPDX-License-Identifier: MIT
/*
 * gpumemcheck: run `workload --sync SCENARIO` and, at every step, compare
 * what libgpumem's snapshot says with the workload's ground truth in the
 * gpumem model ("truth ... gpumem" lines, tests/vm/README.md):
 *
 *   - per workload process and device: GPU rss and pss (docs/model.md,
 *     GPU shares: with an exact device total, or the bounds, or the
 *     collector's figure where gpumem took it); dmabuf_rss_bytes and
 *     dmabuf_pss_bytes;
 *   - no process above a device whose total is exact;
 *   - each DRM client once: the device's clients_bytes over its baseline;
 *   - the dma-bufs processes hold, each once (userspace_bytes);
 *   - the PSS-like figures add up exactly to the totals;
 *   - dma-bufs exported by virtio_gpu are gpu_overlap, heap/udmabuf not;
 *   - the device total (sysfs gpu_mem/total) = baseline + truth.
 *
 * One TAP line per property ("ok - gpumem: SCENARIO: PROPERTY").
 *
 *   gpumemcheck [--settle-ms MS] [--collector] SCENARIO
 *
 * --settle-ms MS (1000): how long a step may take to settle (virtio-gpu
 * commands in flight keep objects alive, see tracecheck).
 * --collector: the BPF collector is loaded, so gpumem must have used its
 * per-process figures; without it, that it did not.
 */
#define _GNU_SOURCE
#include "vmlib.h"

#include <gpumem/gpumem.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TRUTH 16
#define MAX_DIAG 8
#define MAX_GPUS 4

struct proc_truth {
	int pid;
	unsigned long long dmabuf_rss, dmabuf_pss;
	unsigned int dmabuf_spare;
};

/* A process on a device, with and without an exact device total. */
struct share_truth {
	int pid, gpu;
	unsigned long long rss, pss, rss_bound, pss_bound, rss_tp;
	unsigned int spare, spare_bound;
};

struct gpu_truth {
	int gpu;
	unsigned long long bytes;
};

struct check {
	const char *name;
	unsigned int failed, diags;
};

enum {
	C_GPU_RSS, C_GPU_PSS, C_WITHIN, C_DMABUF_RSS, C_DMABUF_PSS, C_PSS_SUM,
	C_CLIENTS, C_DMABUF_TOTAL, C_OVERLAP, C_DEVICE, C_COLLECTOR, C_COUNT
};

/* The system as it was before the workload started. */
struct baseline {
	uint64_t device[MAX_GPUS];	/* total_bytes by primary minor */
	uint64_t clients[MAX_GPUS];	/* clients_bytes */
	uint64_t dmabuf;		/* userspace_bytes */
};

static struct state {
	struct proc_truth procs[MAX_TRUTH];
	struct share_truth shares[MAX_TRUTH * MAX_GPUS];
	struct gpu_truth gpus[MAX_GPUS];
	int nprocs, nshares, ngpus;
	int collector;			/* --collector */
	unsigned int tp_used;		/* figures gpumem took from it */
	unsigned long long dmabuf_total, clients_total;
	struct baseline base;
	unsigned int steps;
	unsigned int overlap_seen;	/* GPU-exported dma-bufs looked at */
	int settle_ms;
	int dry;			/* expect() only counts into dry_bad */
	unsigned int dry_bad;
	const char *scenario;
	struct check checks[C_COUNT];
} st = {
	.settle_ms = 1000,
	.checks = {
		[C_GPU_RSS] = { "gpu_rss: rss_bytes of each process on each device" },
		[C_GPU_PSS] = { "gpu_pss: pss_bytes of each process on each device" },
		[C_WITHIN] = { "within_device: no process above an exact device total" },
		[C_DMABUF_RSS] = { "dmabuf_rss: dmabuf_rss_bytes of each process" },
		[C_DMABUF_PSS] = { "dmabuf_pss: dmabuf_pss_bytes of each process" },
		[C_PSS_SUM] = { "pss_sum: PSS-like figures add up exactly to the totals" },
		[C_CLIENTS] = { "clients_once: each DRM client counted once (clients_bytes)" },
		[C_DMABUF_TOTAL] = { "dmabuf_total: held dma-bufs counted once (userspace_bytes)" },
		[C_OVERLAP] = { "gpu_overlap: virtio_gpu exports marked, heap/udmabuf not" },
		[C_DEVICE] = { "device_total: exact device total = baseline + truth" },
		[C_COLLECTOR] = { "collector: its per-process figures used exactly when loaded" },
	},
};

/* got must be in [want, want + slack]; print the first few mismatches. */
static void __attribute__((format(printf, 5, 6)))
expect(int c, unsigned long long got, unsigned long long want,
       unsigned long long slack, const char *fmt, ...)
{
	struct check *k = &st.checks[c];
	char label[128];
	va_list ap;

	if (got >= want && got - want <= slack)
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
	if (slack)
		vm_diag("gpumem: %s: step %u: %s: got %llu, want %llu..%llu",
			st.scenario, st.steps, label, got, want, want + slack);
	else
		vm_diag("gpumem: %s: step %u: %s: got %llu, want %llu",
			st.scenario, st.steps, label, got, want);
}

static struct gpumem_snapshot *take(void)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT, .root = NULL, .pid = 0 };
	struct gpumem_snapshot *s;
	int ret = gpumem_snapshot_take(&opts, &s);

	if (ret)
		vm_fatal("gpumem: gpumem_snapshot_take", ret);
	return s;
}

static const struct gpumem_device *device_of(const struct gpumem_snapshot *s,
					     int gpu)
{
	const struct gpumem_device *d;
	size_t i, nr;

	d = gpumem_devices(s, &nr);
	for (i = 0; i < nr; i++) {
		if (d[i].index == gpu)
			return &d[i];
	}
	return NULL;
}

static void take_baseline(void)
{
	struct gpumem_snapshot *s = take();
	const struct gpumem_device *d;
	int gpu;

	for (gpu = 0; gpu < MAX_GPUS; gpu++) {
		d = device_of(s, gpu);
		st.base.device[gpu] = d ? d->total_bytes : 0;
		st.base.clients[gpu] = d ? d->clients_bytes : 0;
	}
	st.base.dmabuf = gpumem_dmabuf_totals(s)->userspace_bytes;
	gpumem_snapshot_free(s);
}

static const struct gpumem_process *process_of(const struct gpumem_snapshot *s,
					       int pid)
{
	const struct gpumem_process *p;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		if (p[i].pid == pid)
			return &p[i];
	}
	return NULL;
}

static bool total_exact(const struct gpumem_device *d)
{
	return d->origin == GPUMEM_ORIGIN_TRACEPOINT ||
	       d->origin == GPUMEM_ORIGIN_SYSFS ||
	       (d->origin == GPUMEM_ORIGIN_DERIVED && !d->clients_shared_bytes);
}

static unsigned long long cap(unsigned long long v,
			      const struct gpumem_device *d)
{
	return total_exact(d) && v > d->total_bytes ? d->total_bytes : v;
}

/* The entry of p on device d; none when p holds nothing there. */
static const struct gpumem_process_device *
entry_of(const struct gpumem_snapshot *s, const struct gpumem_process *p,
	 const struct gpumem_device *d)
{
	const struct gpumem_process_device *pd;
	const struct gpumem_device *devs;
	size_t i, nr, nr_devs;

	if (!p || !d)
		return NULL;
	devs = gpumem_devices(s, &nr_devs);
	pd = gpumem_process_devices(s, p, &nr);
	for (i = 0; i < nr; i++) {
		if (pd[i].device == (int)(d - devs))
			return &pd[i];
	}
	return NULL;
}

/*
 * Which truth applies is the snapshot's to say: the collector's figure where
 * gpumem took one, the shares where the device's total made them exact,
 * the bounds otherwise.
 */
static void check_share(const struct gpumem_snapshot *s,
			const struct share_truth *t)
{
	static const struct gpumem_process_device none;
	const struct gpumem_device *d = device_of(s, t->gpu);
	const struct gpumem_process_device *pd;

	if (!d)
		return;
	pd = entry_of(s, process_of(s, t->pid), d);
	pd = pd ? pd : &none;
	st.tp_used += pd->rss_from_tp && !st.dry;
	expect(C_GPU_RSS, pd->rss_bytes,
	       pd->rss_from_tp ? t->rss_tp :
	       d->shares_exact ? t->rss : cap(t->rss_bound, d), 0,
	       "pid %d card%d rss_bytes (%s)", t->pid, t->gpu,
	       pd->rss_from_tp ? "collector" :
	       d->shares_exact ? "shares" : "bound");
	if (d->shares_exact)
		expect(C_GPU_PSS, pd->pss_bytes, t->pss, t->spare,
		       "pid %d card%d pss_bytes", t->pid, t->gpu);
	else
		expect(C_GPU_PSS, pd->pss_bytes, cap(t->pss_bound, d),
		       t->spare_bound, "pid %d card%d pss_bytes (bound)",
		       t->pid, t->gpu);
}

/* Per workload process and device, and its dma-buf figures. */
static void check_processes(const struct gpumem_snapshot *s)
{
	static const struct gpumem_process none;
	const struct gpumem_process *p;
	int i;

	for (i = 0; i < st.nshares; i++)
		check_share(s, &st.shares[i]);
	for (i = 0; i < st.nprocs; i++) {
		const struct proc_truth *t = &st.procs[i];

		p = process_of(s, t->pid);
		p = p ? p : &none;
		expect(C_DMABUF_RSS, p->dmabuf_rss_bytes, t->dmabuf_rss, 0,
		       "pid %d dmabuf_rss_bytes", t->pid);
		expect(C_DMABUF_PSS, p->dmabuf_pss_bytes, t->dmabuf_pss,
		       t->dmabuf_spare, "pid %d dmabuf_pss_bytes", t->pid);
	}
}

/*
 * Over the whole snapshot: no process above an exact device total; the
 * processes' PSS partition the clients' shares, and on a device with exact
 * shares they and what no file holds make the total.
 */
static void check_device_sums(const struct gpumem_snapshot *s,
			      const struct gpumem_device *d, size_t di)
{
	const struct gpumem_process_device *pd;
	const struct gpumem_process *p;
	const struct gpumem_client *c;
	unsigned long long pss = 0, shares = 0;
	size_t i, j, nr, n;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		pd = gpumem_process_devices(s, &p[i], &n);
		for (j = 0; j < n; j++) {
			if (pd[j].device != (int)di)
				continue;
			pss += pd[j].pss_bytes;
			if (!total_exact(d))
				continue;
			expect(C_WITHIN, pd[j].rss_bytes > d->total_bytes, 0, 0,
			       "pid %d rss above card%d", (int)p[i].pid,
			       d->index);
			expect(C_WITHIN, pd[j].pss_bytes > d->total_bytes, 0, 0,
			       "pid %d pss above card%d", (int)p[i].pid,
			       d->index);
		}
	}
	c = gpumem_clients(s, &nr);
	for (i = 0; i < nr; i++)
		shares += c[i].device == (int)di && c[i].mem_known ?
			  c[i].share_bytes : 0;
	expect(C_PSS_SUM, pss, shares, 0, "card%d pss vs the clients' shares",
	       d->index);
	if (d->shares_exact)
		expect(C_PSS_SUM, pss + d->unattributed_bytes, d->total_bytes,
		       0, "card%d pss + unattributed vs total_bytes", d->index);
}

static void check_sums(const struct gpumem_snapshot *s)
{
	const struct gpumem_device *d;
	const struct gpumem_process *p;
	unsigned long long dmabuf_pss = 0;
	size_t i, nr;

	d = gpumem_devices(s, &nr);
	for (i = 0; i < nr; i++)
		check_device_sums(s, &d[i], i);
	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++)
		dmabuf_pss += p[i].dmabuf_pss_bytes;
	expect(C_PSS_SUM, dmabuf_pss, gpumem_dmabuf_totals(s)->userspace_bytes,
	       0, "dmabuf_pss_bytes of all processes vs userspace_bytes");
}

static void check_dmabufs(const struct gpumem_snapshot *s)
{
	const struct gpumem_dmabuf *d;
	size_t i, nr;

	expect(C_DMABUF_TOTAL, gpumem_dmabuf_totals(s)->userspace_bytes,
	       st.dmabuf_total + st.base.dmabuf, 0, "dma-buf userspace_bytes");
	d = gpumem_dmabufs(s, &nr);
	for (i = 0; i < nr; i++) {
		if (!strcmp(d[i].exporter, "virtio_gpu")) {
			st.overlap_seen += !st.dry;
			expect(C_OVERLAP, d[i].gpu_overlap, 1, 0,
			       "dma-buf ino %llu (virtio_gpu) gpu_overlap",
			       (unsigned long long)d[i].ino);
		} else if (!strcmp(d[i].exporter, "system") ||
			   !strcmp(d[i].exporter, "udmabuf")) {
			expect(C_OVERLAP, d[i].gpu_overlap, 0, 0,
			       "dma-buf ino %llu (%s) gpu_overlap",
			       (unsigned long long)d[i].ino, d[i].exporter);
		}
	}
}

static void check_devices(const struct gpumem_snapshot *s)
{
	const struct gpumem_device *d;
	int i, gpu;

	for (i = 0; i < st.ngpus; i++) {
		gpu = st.gpus[i].gpu;
		d = device_of(s, gpu);
		expect(C_DEVICE, d && (d->origin == GPUMEM_ORIGIN_SYSFS ||
				       d->origin == GPUMEM_ORIGIN_TRACEPOINT),
		       1, 0, "card%d found, total from sysfs or the tracepoint",
		       gpu);
		if (!d)
			continue;
		expect(C_DEVICE, d->total_bytes, st.gpus[i].bytes + st.base.device[gpu],
		       0, "card%d total_bytes", gpu);
		/* one device in the workload: its clients are the truth's */
		expect(C_CLIENTS, d->clients_bytes,
		       st.clients_total + st.base.clients[gpu], 0,
		       "card%d clients_bytes", gpu);
	}
}

static void check_all(const struct gpumem_snapshot *s)
{
	check_processes(s);
	check_sums(s);
	check_dmabufs(s);
	check_devices(s);
}

/*
 * Take snapshots until one agrees with the truth or settle_ms passed, then
 * judge the last one.
 */
static void end_step(void)
{
	struct gpumem_snapshot *s = take();
	int ms;

	for (ms = 0; ms < st.settle_ms; ms += 10) {
		st.dry = 1;
		st.dry_bad = 0;
		check_all(s);
		st.dry = 0;
		if (!st.dry_bad)
			break;
		gpumem_snapshot_free(s);
		usleep(10000);
		s = take();
	}
	if (ms > 0 && ms < st.settle_ms)
		vm_diag("gpumem: %s: step %u settled after %d ms", st.scenario,
			st.steps, ms);
	check_all(s);
	gpumem_snapshot_free(s);
	st.nprocs = st.nshares = st.ngpus = 0;
	st.steps++;
}

static void parse_line(const char *line)
{
	struct share_truth sh;
	struct proc_truth p;
	struct gpu_truth g;
	unsigned int step;

	if (sscanf(line, "truth step=%u gpumem pid=%d dmabuf_rss=%llu "
			 "dmabuf_pss=%llu dmabuf_spare=%u", &step, &p.pid,
		   &p.dmabuf_rss, &p.dmabuf_pss, &p.dmabuf_spare) == 5) {
		if (st.nprocs == MAX_TRUTH)
			vm_fatal("gpumem: too many processes in a step", -E2BIG);
		st.procs[st.nprocs++] = p;
	} else if (sscanf(line, "truth step=%u gpushare pid=%d gpu=%d rss=%llu "
				"pss=%llu spare=%u rss_bound=%llu pss_bound=%llu "
				"spare_bound=%u rss_tp=%llu", &step, &sh.pid,
			  &sh.gpu, &sh.rss, &sh.pss, &sh.spare, &sh.rss_bound,
			  &sh.pss_bound, &sh.spare_bound, &sh.rss_tp) == 10) {
		if (st.nshares == MAX_TRUTH * MAX_GPUS)
			vm_fatal("gpumem: too many shares in a step", -E2BIG);
		st.shares[st.nshares++] = sh;
	} else if (sscanf(line, "truth step=%u gpumem-total dmabuf=%llu clients=%llu",
			  &step, &st.dmabuf_total, &st.clients_total) == 3) {
		return;
	} else if (sscanf(line, "truth step=%u gpu=%d pid=0 bytes=%llu", &step,
			  &g.gpu, &g.bytes) == 3) {
		if (st.ngpus == MAX_GPUS || g.gpu < 0 || g.gpu >= MAX_GPUS)
			vm_fatal("gpumem: gpu out of range", -E2BIG);
		st.gpus[st.ngpus++] = g;
	} else if (!strncmp(line, "end step=", 9)) {
		end_step();
	} else if (line[0] == '#') {
		fputs(line, stdout);
	}
}

static pid_t spawn(char **argv, FILE **to, FILE **from)
{
	int in, out;
	pid_t pid = vm_spawn(argv, &in, &out);

	*to = fdopen(in, "w");
	*from = fdopen(out, "r");
	if (!*to || !*from)
		vm_fatal("gpumem: fdopen", -errno);
	return pid;
}

static void report(int status)
{
	const struct check *k;
	int c;

	vm_tap(WIFEXITED(status) && !WEXITSTATUS(status),
	       "gpumem: %s: workload ran all %u steps (status %d)", st.scenario,
	       st.steps, status);
	if (st.collector ? !st.tp_used : st.tp_used != 0)
		st.checks[C_COLLECTOR].failed++;
	for (c = 0; c < C_COUNT; c++) {
		k = &st.checks[c];
		if (c == C_OVERLAP)
			vm_tap(!k->failed, "gpumem: %s: %s (%u steps, %u GPU exports seen)",
			       st.scenario, k->name, st.steps, st.overlap_seen);
		else
			vm_tap(!k->failed, "gpumem: %s: %s (%u steps)", st.scenario,
			       k->name, st.steps);
	}
}

int main(int argc, char **argv)
{
	char *wl[] = { "workload", "--sync", NULL, NULL, NULL, NULL };
	char *line = NULL, *seed = getenv("GPUMEM_SEED");
	size_t cap = 0;
	FILE *to, *from;
	int i = 1, n = 2, status;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "--settle-ms")) {
		st.settle_ms = atoi(argv[2]);
		i = 3;
	}
	if (i < argc && !strcmp(argv[i], "--collector")) {
		st.collector = 1;
		i++;
	}
	if (i + 1 != argc) {
		fprintf(stderr, "usage: gpumemcheck [--settle-ms MS] [--collector] "
			"SCENARIO\n");
		return 2;
	}
	st.scenario = argv[i];
	if (seed && *seed) {
		wl[n++] = "--seed";
		wl[n++] = seed;
	}
	wl[n] = argv[i];
	take_baseline();
	pid = spawn(wl, &to, &from);
	while (getline(&line, &cap, from) > 0) {
		parse_line(line);
		if (!strncmp(line, "end step=", 9) &&
		    (fputc('k', to) == EOF || fflush(to)))
			break;
	}
	free(line);
	fclose(to);
	fclose(from);
	if (waitpid(pid, &status, 0) < 0)
		status = -1;
	report(status);
	return 0;
}
