// SPDX-License-Identifier: MIT
/*
 * Full-scan cost against the syscall floor, measured in one run.
 *
 * The floor is the least any fdinfo-based tool must do: getdents of /proc
 * and of every fd directory, readlink of every fd, open/read/close of every
 * fdinfo.  gpumem is timed on the same tree.  Two trees are generated:
 * "desktop" (each process one DRM client and one dma-buf among ordinary
 * fds) and "worst" (every fd a DRM client or dma-buf, so every fdinfo is
 * read and parsed).  Times are CPU time (user + system) of this process,
 * min of runs: on a loaded machine wall time mostly measures the others.
 *
 * The refresh path (gpumem_scanner) is timed against a full scan of the
 * desktop tree when no process changed.
 *
 * A third tree is the worst one with client ids above 2^52, which cannot
 * be packed with the device: their lookup must not make the scan quadratic.
 *
 * Discovery (root, where the BPF iterator loads) runs on the live /proc:
 * 1,000 real processes with 20 fds each, found by the task_file iterator
 * against the floor on the real /proc, and against the /proc walk.
 *
 * Usage: bench_scan [DIR]   (DIR is scratch space, default /dev/shm: on a
 * disk, creating the 100k-fd tree costs minutes of I/O)
 *        bench_scan --tree ROOT PROCS FDS   only writes a desktop tree
 *        (for bench/bench_sample.sh and bench_gpumemd)
 *        bench_scan --discovery   only the live discovery part
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gpumem/gpumem.h"

#define RUNS 7

/* TREE_HUGE_IDS: the worst tree with client ids above 2^52 (hostile text). */
enum tree_kind { TREE_DESKTOP, TREE_WORST, TREE_HUGE_IDS };
#define HUGE_ID (1ull << 52)

static const char drm_fdinfo[] =
	"pos:\t0\nflags:\t02100002\nmnt_id:\t24\nino:\t1053\n"
	"drm-driver:\ti915\ndrm-client-id:\t%llu\ndrm-pdev:\t0000:00:02.0\n"
	"drm-total-system0:\t2 MiB\ndrm-shared-system0:\t0\n"
	"drm-active-system0:\t0\ndrm-resident-system0:\t2 MiB\n"
	"drm-purgeable-system0:\t0\ndrm-total-stolen-system0:\t0\n"
	"drm-engine-render:\t11238432 ns\ndrm-engine-copy:\t0 ns\n"
	"drm-engine-capacity-video:\t2\n";

static const char dmabuf_fdinfo[] =
	"pos:\t0\nflags:\t02000002\nmnt_id:\t9\nino:\t%u\n"
	"size:\t4194304\ncount:\t1\nexp_name:\tsystem\n";

static const char *const other_links[] = {
	"socket:[41234]", "pipe:[99812]", "anon_inode:[eventfd]",
	"/usr/lib/x86_64-linux-gnu/libc.so.6", "/dev/null",
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "bench_scan: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

__attribute__((format(printf, 3, 4)))
static void path_fmt(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "bench_scan: path too long\n");
		exit(1);
	}
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		die("write", path);
	close(fd);
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		die("mkdir", path);
}

/* fd n of process p: a DRM client, a dma-buf or an ordinary file. */
static void make_fd(const char *pdir, unsigned int p, unsigned int n,
		    enum tree_kind kind)
{
	char link[512], info[512], text[1024];
	unsigned int id = p * 64 + n + 1;
	bool all = kind != TREE_DESKTOP;
	bool drm = all ? n % 2 == 0 : n == 3;
	bool dmabuf = all ? n % 2 == 1 : n == 4;

	path_fmt(link, sizeof(link), "%s/fd/%u", pdir, n);
	path_fmt(info, sizeof(info), "%s/fdinfo/%u", pdir, n);
	if (drm) {
		snprintf(text, sizeof(text), drm_fdinfo, (unsigned long long)id +
			 (kind == TREE_HUGE_IDS ? HUGE_ID : 0));
		if (symlink("/dev/dri/renderD128", link))
			die("symlink", link);
	} else if (dmabuf) {
		snprintf(text, sizeof(text), dmabuf_fdinfo, id);
		if (symlink("/dmabuf:", link))
			die("symlink", link);
	} else {
		snprintf(text, sizeof(text), "pos:\t0\nflags:\t02\nmnt_id:\t9\n"
			 "ino:\t%u\n", id);
		if (symlink(other_links[n % 5], link))
			die("symlink", link);
	}
	write_file(info, text);
}

static void make_tree(const char *root, unsigned int procs, unsigned int fds,
		      enum tree_kind kind)
{
	char path[512];
	unsigned int p, n;

	make_dir(root);
	path_fmt(path, sizeof(path), "%s/proc", root);
	make_dir(path);
	for (p = 0; p < procs; p++) {
		char pdir[512], sub[600];

		path_fmt(pdir, sizeof(pdir), "%s/proc/%u", root, 1000 + p);
		make_dir(pdir);
		path_fmt(sub, sizeof(sub), "%s/fd", pdir);
		make_dir(sub);
		path_fmt(sub, sizeof(sub), "%s/fdinfo", pdir);
		make_dir(sub);
		path_fmt(sub, sizeof(sub), "%s/comm", pdir);
		write_file(sub, "worker\n");
		path_fmt(sub, sizeof(sub), "%s/maps", pdir);
		write_file(sub, "55d0c0000000-55d0c0021000 r--p 00000000 08:01 1 "
			   "/usr/bin/worker\n");
		for (n = 0; n < fds; n++)
			make_fd(pdir, p, n, kind);
	}
}

/* fdinfo false: only what finding the fds by their links takes. */
static bool floor_fdinfo = true;

static void floor_fds(int piddir)
{
	char target[256], path[300], buf[4096];
	struct dirent *de;
	int fd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		int info;

		if (de->d_name[0] == '.')
			continue;
		if (readlinkat(fd, de->d_name, target, sizeof(target)) < 0 ||
		    !floor_fdinfo)
			continue;
		snprintf(path, sizeof(path), "fdinfo/%s", de->d_name);
		info = openat(piddir, path, O_RDONLY);
		if (info < 0)
			continue;
		while (read(info, buf, sizeof(buf)) > 0)
			;
		close(info);
	}
	closedir(dir);
}

static double time_floor(const char *procdir)
{
	double t0 = now();
	struct dirent *de;
	DIR *dir = opendir(procdir);

	if (!dir)
		die("opendir", procdir);
	while ((de = readdir(dir))) {
		int piddir;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		piddir = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY);
		if (piddir < 0)
			continue;
		floor_fds(piddir);
		close(piddir);
	}
	closedir(dir);
	return now() - t0;
}

static enum gpumem_discovery discovery;

static double time_gpumem(const char *root)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT, .root = root,
				    .discovery = discovery };
	struct gpumem_snapshot *s;
	double t0 = now();
	int err = gpumem_snapshot_take(&opts, &s);

	if (err) {
		fprintf(stderr, "bench_scan: snapshot of %s: %s\n", root,
			strerror(-err));
		exit(1);
	}
	gpumem_snapshot_free(s);
	return now() - t0;
}

static double min_of(double (*fn)(const char *), const char *arg)
{
	double best = 1e9;
	int i;

	for (i = 0; i < RUNS; i++) {
		double t = fn(arg);

		if (t < best)
			best = t;
	}
	return best;
}

static void remove_tree(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "bench_scan: could not remove %s\n", root);
}

static struct gpumem_scanner *scanner;

static double time_refresh(const char *root)
{
	struct gpumem_snapshot *s;
	double t0 = now();
	int err = gpumem_scanner_sample(scanner, true, &s);

	(void)root;
	if (err || !gpumem_scan_stats(s)->refreshed) {
		fprintf(stderr, "bench_scan: refresh failed or fell back\n");
		exit(1);
	}
	gpumem_snapshot_free(s);
	return now() - t0;
}

static void run_refresh(const char *scratch)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT };
	struct gpumem_snapshot *s;
	char root[512];
	double t_full, t_refresh;

	path_fmt(root, sizeof(root), "%s/gpumem-bench-%d", scratch, (int)getpid());
	remove_tree(root);
	make_tree(root, 1000, 20, TREE_DESKTOP);
	opts.root = root;
	if (gpumem_scanner_new(&opts, &scanner) ||
	    gpumem_scanner_sample(scanner, false, &s)) {
		fprintf(stderr, "bench_scan: scanner on %s failed\n", root);
		exit(1);
	}
	gpumem_snapshot_free(s);
	t_full = min_of(time_gpumem, root);
	t_refresh = min_of(time_refresh, root);
	gpumem_scanner_free(scanner);
	remove_tree(root);
	printf("refresh, nothing changed, 1000 procs x 20 fds: full %8.2f ms  "
	       "refresh %8.2f ms  ratio %.2fx\n", t_full * 1e3, t_refresh * 1e3,
	       t_refresh / t_full);
}

/* Returns gpumem's time per fd for the linearity line. */
static double run_one(const char *scratch, unsigned int procs, unsigned int fds,
		      enum tree_kind kind)
{
	char root[512], procdir[600];
	double t_floor, t_ours;

	path_fmt(root, sizeof(root), "%s/gpumem-bench-%d", scratch, (int)getpid());
	path_fmt(procdir, sizeof(procdir), "%s/proc", root);
	remove_tree(root);
	make_tree(root, procs, fds, kind);
	t_floor = min_of(time_floor, procdir);
	t_ours = min_of(time_gpumem, root);
	remove_tree(root);
	static const char *const names[] = { "desktop", "worst", "huge-id" };

	printf("%-7s %6u procs x %3u fds: floor %8.2f ms  gpumem %8.2f ms  "
	       "ratio %.2fx\n", names[kind],
	       procs, fds, t_floor * 1e3, t_ours * 1e3, t_ours / t_floor);
	return t_ours / (procs * fds);
}

/* A live process with 20 ordinary fds, as a desktop's have, until killed. */
static void hold_fds(int ready)
{
	int i, p[2], s[2];

	for (i = 0; i < 20; i += 5) {
		if (memfd_create("bench", 0) < 0 || pipe(p) ||
		    eventfd(0, 0) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s))
			_exit(1);
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

static pid_t *spawn_holders(unsigned int n)
{
	pid_t *kids = calloc(n, sizeof(*kids));
	unsigned int i;
	int p[2];
	char c;

	if (!kids || pipe(p))
		die("spawn", "holders");
	for (i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			hold_fds(p[1]);
		if (kids[i] < 0)
			die("fork", "holders");
	}
	for (i = 0; i < n; i++) {
		if (read(p[0], &c, 1) != 1)
			die("read", "holders");
	}
	close(p[0]);
	close(p[1]);
	return kids;
}

/*
 * The process's first sample by iterator, which loads the programs (the
 * library keeps them loaded): its time, or a negative one when they do not
 * load here.
 */
static double time_first_sample(void)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT,
				    .discovery = GPUMEM_DISCOVERY_BPF };
	struct gpumem_snapshot *s;
	double t0 = now();
	bool ok;

	if (gpumem_snapshot_take(&opts, &s))
		return -1;
	ok = gpumem_scan_stats(s)->discovery == GPUMEM_DISCOVERY_BPF;
	gpumem_snapshot_free(s);
	return ok ? now() - t0 : -1;
}

static void run_discovery(void)
{
	double t_floor, t_links, t_walk, t_iter, t_first;
	unsigned int i, n = 1000;
	pid_t *kids;

	t_first = time_first_sample();
	if (t_first < 0) {
		printf("discovery: the BPF iterator does not load here (root, "
		       "CAP_BPF + CAP_PERFMON and kernel BTF needed)\n");
		return;
	}
	kids = spawn_holders(n);
	floor_fdinfo = true;
	t_floor = min_of(time_floor, "/proc");
	floor_fdinfo = false;
	t_links = min_of(time_floor, "/proc");
	discovery = GPUMEM_DISCOVERY_PROC;
	t_walk = min_of(time_gpumem, "/");
	discovery = GPUMEM_DISCOVERY_BPF;
	t_iter = min_of(time_gpumem, "/");
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	free(kids);
	printf("discovery, live /proc, %u more processes x 20 fds (memfd, pipe, "
	       "eventfd, socket):\n", n);
	printf("  floor (getdents + readlink + every fdinfo) %8.2f ms\n",
	       t_floor * 1e3);
	printf("  links only (getdents + readlink)           %8.2f ms\n",
	       t_links * 1e3);
	printf("  gpumem, /proc walk                         %8.2f ms\n",
	       t_walk * 1e3);
	printf("  gpumem, BPF iterator                       %8.2f ms\n",
	       t_iter * 1e3);
	printf("  (the process's first sample, which loads the programs, "
	       "before the 1000: %.2f ms)\n", t_first * 1e3);
	printf("iterator vs floor %.1fx faster, vs links only %.1fx, vs the "
	       "walk %.1fx\n", t_floor / t_iter, t_links / t_iter,
	       t_walk / t_iter);
}

int main(int argc, char **argv)
{
	const char *scratch = argc > 1 ? argv[1] : "/dev/shm";
	double per_fd[3], worst, huge;

	if (argc == 5 && !strcmp(argv[1], "--tree")) {
		make_tree(argv[2], (unsigned int)atoi(argv[3]),
			  (unsigned int)atoi(argv[4]), TREE_DESKTOP);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--discovery")) {
		run_discovery();
		return 0;
	}

	printf("full scan vs syscall floor (min of %d runs each)\n", RUNS);

	run_one(scratch, 1000, 20, TREE_DESKTOP);
	worst = run_one(scratch, 1000, 20, TREE_WORST);
	/* Ids that cannot be packed must not make the scan quadratic. */
	huge = run_one(scratch, 1000, 20, TREE_HUGE_IDS);
	printf("client ids above 2^52 vs the worst tree: %.2fx\n", huge / worst);
	printf("linearity (desktop tree, 20 fds per process):\n");
	per_fd[0] = run_one(scratch, 50, 20, TREE_DESKTOP);
	per_fd[1] = run_one(scratch, 500, 20, TREE_DESKTOP);
	per_fd[2] = run_one(scratch, 5000, 20, TREE_DESKTOP);
	printf("time per fd relative to 1k fds: 10k %.2fx, 100k %.2fx\n",
	       per_fd[1] / per_fd[0], per_fd[2] / per_fd[0]);
	run_refresh(scratch);
	run_discovery();
	return 0;
}
