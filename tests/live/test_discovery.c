// SPDX-License-Identifier: MIT
/*
 * Discovery by BPF iterator against the /proc walk on the live system: the
 * two paths must give the same figures, to the byte, for every process,
 * DRM client and dma-buf.  Plain TAP and the public API only, so that the
 * same program runs on the host (meson test) and statically in the VM.
 *
 *   test_discovery                   children hold memfds, pipes and, where
 *                                    the host has them, udmabufs and DRM fds
 *   test_discovery --workload SCEN   at each step of `workload --sync SCEN`
 *                                    (tests/vm), where DRM clients and
 *                                    dma-bufs are real
 *
 * The iterator needs root (CAP_BPF + CAP_PERFMON) and kernel BTF: without
 * them the comparison is skipped with the reason, never passed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* the VM's build has no meson to set it */
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/udmabuf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gpumem/gpumem.h"

#define CHILDREN 8
#define FDS_EACH 20
#define UDMABUF_BYTES (64 * 4096)
#define TRIES 20

static unsigned int tests, failed;

static bool __attribute__((format(printf, 2, 3))) tap(bool ok,
						       const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u - ", ok ? "" : "not ", ++tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failed += !ok;
	return ok;
}

static void skip(const char *name, const char *why)
{
	printf("ok %u - %s # SKIP %s\n", ++tests, name, why);
}

/* Text that grows: the figures of a snapshot, one object a line. */
struct dump {
	char *buf;
	size_t len;
	FILE *f;
};

static void dump_processes(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_process *p;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_process *x = gpumem_at(p, i);

		fprintf(f, "process %d uid %u ppid %d %s gpu %llu/%llu dmabuf "
			"%llu/%llu clients %u+%u dmabufs %u\n", (int)x->pid,
			(unsigned int)gpumem_process_uid(x),
			(int)gpumem_process_ppid(x), x->comm,
			(unsigned long long)x->gpu_total_bytes,
			(unsigned long long)x->gpu_pss_bytes,
			(unsigned long long)x->dmabuf_rss_bytes,
			(unsigned long long)x->dmabuf_pss_bytes, x->nr_clients,
			x->nr_unknown_clients, x->nr_dmabufs);
	}
}

static void dump_clients(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_client *c;
	size_t i, nr;

	c = gpumem_clients(s, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_client *x = gpumem_at(c, i);

		fprintf(f, "client dev %d minor %d id %llu%s %s bytes %llu "
			"shared %llu resident %llu holders %u\n", x->device,
			x->minor, (unsigned long long)x->client_id,
			x->has_client_id ? "" : "?", x->driver,
			(unsigned long long)x->bytes,
			(unsigned long long)x->shared_bytes,
			(unsigned long long)x->resident_bytes, x->nr_holders);
	}
}

static void dump_dmabufs(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_dmabuf_totals *t = gpumem_dmabuf_totals(s);
	const struct gpumem_dmabuf *b;
	size_t i, nr;

	b = gpumem_dmabufs(s, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_dmabuf *x = gpumem_at(b, i);

		fprintf(f, "dmabuf %llu size %llu %s '%s' holders %u%s%s%s\n",
			(unsigned long long)x->ino,
			(unsigned long long)x->size, x->exporter, x->name,
			x->nr_holders, x->mapped ? " mapped" : "",
			x->fd_held ? " fd" : "", x->gpu_overlap ? " gpu" : "");
	}
	fprintf(f, "dmabufs total %llu gpu %llu user %llu buffers %u\n",
		(unsigned long long)t->total_bytes,
		(unsigned long long)t->gpu_overlap_bytes,
		(unsigned long long)t->userspace_bytes, t->nr_buffers);
}

static void dump_devices(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_device *d;
	size_t i, nr;

	d = gpumem_devices(s, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_device *x = gpumem_at(d, i);

		/* total_bytes is sysfs's, not found by either path. */
		fprintf(f, "device %d clients %llu shared %llu n %u+%u\n",
			x->index, (unsigned long long)x->clients_bytes,
			(unsigned long long)x->clients_shared_bytes,
			x->nr_clients, x->nr_unknown_clients);
	}
}

static char *dump(const struct gpumem_snapshot *s)
{
	struct dump d = { NULL, 0, NULL };

	d.f = open_memstream(&d.buf, &d.len);
	if (!d.f)
		return NULL;
	dump_devices(d.f, s);
	dump_processes(d.f, s);
	dump_clients(d.f, s);
	dump_dmabufs(d.f, s);
	fclose(d.f);
	return d.buf;
}

static struct gpumem_snapshot *take(enum gpumem_discovery how)
{
	struct gpumem_opts o = { GPUMEM_OPTS_INIT, .discovery = how };
	struct gpumem_snapshot *s;
	int err = gpumem_snapshot_take(&o, &s);

	if (err) {
		printf("Bail out! snapshot: %s\n", strerror(-err));
		exit(1);
	}
	return s;
}

static const struct gpumem_source_status *
source(const struct gpumem_snapshot *s, const char *name)
{
	const struct gpumem_source_status *st;
	size_t i, nr;

	st = gpumem_sources(s, &nr);
	for (i = 0; i < nr; i++) {
		if (!strcmp(gpumem_at(st, i)->name, name))
			return gpumem_at(st, i);
	}
	return NULL;
}

/* The first difference of two dumps, for the log. */
static void diag_diff(const char *a, const char *b)
{
	while (*a && *a == *b) {
		const char *na = strchr(a, '\n'), *nb = strchr(b, '\n');

		if (!na || !nb || na - a != nb - b || memcmp(a, b, na - a))
			break;
		a = na + 1;
		b = nb + 1;
	}
	printf("# bpf:  %.*s\n", (int)strcspn(a, "\n"), a);
	printf("# proc: %.*s\n", (int)strcspn(b, "\n"), b);
}

/*
 * Both paths, back to back, until they agree: a process of the system
 * may change between two samples; a difference of the paths never goes.
 * A BPF sample that fell back to the walk would agree trivially: it fails.
 */
static bool agree(unsigned int *holders, char **last)
{
	char *a = NULL, *b = NULL;
	size_t nr;
	int i;

	for (i = 0; i < TRIES; i++) {
		struct gpumem_snapshot *sb = take(GPUMEM_DISCOVERY_BPF);
		struct gpumem_snapshot *sp = take(GPUMEM_DISCOVERY_PROC);

		bool used = gpumem_scan_stats(sb)->discovery ==
			    GPUMEM_DISCOVERY_BPF;

		if (!used)
			printf("# the iterator did not find the holders: %s\n",
			       source(sb, "task-iter")->detail);
		free(a);
		free(b);
		a = dump(sb);
		b = dump(sp);
		gpumem_processes(sb, &nr);
		*holders = (unsigned int)nr;
		gpumem_snapshot_free(sb);
		gpumem_snapshot_free(sp);
		if (!used) {
			free(a);
			free(b);
			*last = NULL;
			return false;
		}
		if (a && b && !strcmp(a, b))
			break;
		usleep(100000);
	}
	if (i == TRIES && a && b)
		diag_diff(a, b);
	if (i && i < TRIES)
		printf("# agreed at try %d\n", i + 1);
	free(b);
	*last = a;
	return i < TRIES;
}

/* Why the iterator cannot be used here, or NULL. */
static const char *no_iterator(void)
{
	if (geteuid())
		return "not root: the iterator needs CAP_BPF and CAP_PERFMON";
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return "no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF)";
	return NULL;
}

static void check_used(void)
{
	struct gpumem_snapshot *s = take(GPUMEM_DISCOVERY_AUTO);
	const struct gpumem_source_status *t = source(s, "task-iter");
	const struct gpumem_source_status *p = source(s, "proc");

	tap(gpumem_scan_stats(s)->discovery == GPUMEM_DISCOVERY_BPF &&
	    t && t->state == GPUMEM_SOURCE_FOUND && p &&
	    p->state == GPUMEM_SOURCE_UNUSED,
	    "discovery: the default is the iterator, the walk unused (%s)",
	    t ? t->detail : "no task-iter source");
	gpumem_snapshot_free(s);
	s = take(GPUMEM_DISCOVERY_PROC);
	tap(gpumem_scan_stats(s)->discovery == GPUMEM_DISCOVERY_PROC,
	    "discovery: --discovery=proc walks /proc");
	gpumem_snapshot_free(s);
}

/* The iterator's counters include the children and all their fds. */
static void check_counts(unsigned int fds)
{
	struct gpumem_snapshot *s = take(GPUMEM_DISCOVERY_BPF);
	const struct gpumem_source_status *t = source(s, "task-iter");
	unsigned long long procs = 0, seen = 0;

	if (t)
		sscanf(t->detail, "task_file: %llu processes, %llu fds", &procs,
		       &seen);
	tap(procs >= CHILDREN && seen >= fds,
	    "discovery: the iterator looked at every fd of the children "
	    "(%llu >= %u fds, %llu processes)", seen, fds, procs);
	gpumem_snapshot_free(s);
}

/* A refresh of an index the iterator made reads what the iterator found. */
static void check_refresh(const char *want)
{
	struct gpumem_opts o = { GPUMEM_OPTS_INIT, .discovery = GPUMEM_DISCOVERY_BPF };
	struct gpumem_snapshot *s = NULL;
	struct gpumem_scanner *sc;
	char *got = NULL;
	bool ok = false;
	int i;

	if (gpumem_scanner_new(&o, &sc))
		return (void)tap(false, "discovery: scanner");
	for (i = 0; i < TRIES && !ok; i++) {
		if (gpumem_scanner_sample(sc, false, &s))
			break;
		gpumem_snapshot_free(s);
		if (gpumem_scanner_sample(sc, true, &s))
			break;
		free(got);
		got = dump(s);
		ok = gpumem_scan_stats(s)->refreshed &&
		     gpumem_scan_stats(s)->discovery == GPUMEM_DISCOVERY_BPF &&
		     got && !strcmp(got, want);
		gpumem_snapshot_free(s);
	}
	tap(ok, "discovery: a refresh of the iterator's index gives its "
	    "figures");
	free(got);
	gpumem_scanner_free(sc);
}

/* udmabuf of a sealed memfd; -1 when the host has no /dev/udmabuf. */
static int make_udmabuf(void)
{
	struct udmabuf_create c = { .size = UDMABUF_BYTES };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), memfd, buf;

	if (dev < 0)
		return -1;
	memfd = memfd_create("gpumem-discovery", MFD_ALLOW_SEALING);
	if (memfd < 0 || ftruncate(memfd, UDMABUF_BYTES) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		close(dev);
		return -1;
	}
	c.memfd = (__u32)memfd;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
	close(dev);
	close(memfd);
	return buf;
}

/* Child n: FDS_EACH fds of every kind the host has, then waits. */
static void hold(int n, int ready)
{
	int i, fd;

	for (i = 0; i < FDS_EACH; i++) {
		int p[2];

		if (i % 4 == 0)
			fd = memfd_create("gpumem-discovery", 0);
		else if (i % 4 == 1 && !pipe(p))
			fd = p[0];
		else if (i % 4 == 2)
			fd = make_udmabuf();
		else
			fd = open("/dev/dri/renderD128", O_RDWR);
		if (fd < 0)
			fd = memfd_create("gpumem-discovery", 0);
		/* Some children map their buffer too: found by task_vma. */
		if (i == 2 && n % 2)
			mmap(NULL, UDMABUF_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

static void check_dmabuf_iter(void);

static int run_host(void)
{
	pid_t kids[CHILDREN];
	unsigned int holders = 0;
	char *figures, c;
	int p[2], i;
	const char *why = no_iterator();

	if (why) {
		printf("1..1\n");
		skip("discovery: bpf and proc agree", why);
		return 0;
	}
	if (pipe(p))
		return 1;
	for (i = 0; i < CHILDREN; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			hold(i, p[1]);
	}
	for (i = 0; i < CHILDREN; i++) {
		if (read(p[0], &c, 1) != 1)
			return 1;
	}
	printf("1..7\n");
	check_dmabuf_iter();
	check_used();
	check_counts(CHILDREN * FDS_EACH);
	tap(agree(&holders, &figures), "discovery: bpf and proc agree to the "
	    "byte (%u processes hold DRM fds or dma-bufs%s)", holders,
	    access("/dev/udmabuf", F_OK) && access("/dev/dri", F_OK) ?
	    "; this host has neither /dev/udmabuf nor /dev/dri" : "");
	check_refresh(figures ? figures : "");
	free(figures);
	for (i = 0; i < CHILDREN; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return failed ? 1 : 0;
}

/* At each step of the workload, both paths (tests/vm/workload.c --sync). */
static int run_workload(const char *scenario)
{
	char *argv[] = { "workload", "--sync", (char *)scenario, NULL };
	int to[2], from[2], steps = 0, bad = 0;
	unsigned int holders = 0, most = 0;
	char *line = NULL, *figures;
	size_t cap = 0;
	FILE *in, *out;
	pid_t pid;
	int status;

	if (pipe(to) || pipe(from))
		return 1;
	pid = fork();
	if (pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	in = fdopen(from[0], "r");
	out = fdopen(to[1], "w");
	while (in && out && getline(&line, &cap, in) > 0) {
		if (strncmp(line, "end step=", 9))
			continue;
		bad += !agree(&holders, &figures);
		free(figures);
		most = holders > most ? holders : most;
		steps++;
		if (fputc('k', out) == EOF || fflush(out))
			break;
	}
	free(line);
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	waitpid(pid, &status, 0);
	tap(WIFEXITED(status) && !WEXITSTATUS(status) && steps,
	    "discovery: %s: workload ran %d steps", scenario, steps);
	tap(!bad, "discovery: %s: bpf and proc agree to the byte at every "
	    "step (%d of %d differ; up to %u holders)", scenario, bad, steps,
	    most);
	return 0;
}

/* iter/dmabuf is Linux 6.16+: found there, said missing (not faked) before. */
static void check_dmabuf_iter(void)
{
	struct gpumem_snapshot *s = take(GPUMEM_DISCOVERY_AUTO);
	const struct gpumem_source_status *d = source(s, "dmabuf-iter");
	const struct gpumem_source_status *y = source(s, "dmabuf-sysfs");
	struct utsname u;
	int major = 0, minor = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	if (major < 6 || (major == 6 && minor < 16)) {
		tap(d && d->state == GPUMEM_SOURCE_MISSING && y &&
		    y->state != GPUMEM_SOURCE_UNUSED, "dmabuf-iter: said missing "
		    "on Linux %s, sysfs read instead (%s)", u.release,
		    d ? d->detail : "no such source");
		skip("dmabuf-iter: lists the buffers", "Linux < 6.16 has no "
		     "iter/dmabuf");
	} else {
		tap(d && d->state == GPUMEM_SOURCE_FOUND && y &&
		    y->state == GPUMEM_SOURCE_UNUSED, "dmabuf-iter: loads and "
		    "runs on Linux %s, sysfs unused (%s)", u.release,
		    d ? d->detail : "no such source");
		tap(gpumem_dmabuf_totals(s)->sysfs, "dmabuf-iter: the list of "
		    "buffers is complete");
	}
	gpumem_snapshot_free(s);
}

int main(int argc, char **argv)
{
	const char *why = no_iterator();

	if (argc == 3 && !strcmp(argv[1], "--workload")) {
		if (why) {
			skip("discovery: bpf and proc agree", why);
			return 0;
		}
		run_workload(argv[2]);
		return failed ? 1 : 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--dmabuf-iter")) {
		if (why)
			skip("dmabuf-iter", why);
		else
			check_dmabuf_iter();
		return failed ? 1 : 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: test_discovery [--workload SCENARIO | "
			"--dmabuf-iter]\n");
		return 2;
	}
	return run_host();
}
