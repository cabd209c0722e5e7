// SPDX-License-Identifier: MIT
/*
 * The refresh path: after a full sample, a refresh re-reads only the fds
 * and maps it indexed, must give the same figures while nothing changed,
 * must follow changed values, and must fall back to a full sample when an
 * indexed fd was closed or now means another file.  The scanner keeps the
 * indexed fdinfo files open (below half the soft RLIMIT_NOFILE) and each
 * process's cgroup until the next full sample.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "gm.h"
#include "sources/sources.h"

#define DMABUF_FDINFO(ino, size) \
	"pos:\t0\nflags:\t02000002\nmnt_id:\t9\nino:\t" ino "\n" \
	"size:\t" size "\ncount:\t1\nexp_name:\tsystem\n"

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_init(f);
	fx_process(f, 100, "app");
	fx_fd(f, 100, 3, "/dev/dri/renderD128", FX_DRM_FDINFO("7", "4096"));
	fx_fd(f, 100, 4, "/dmabuf:", DMABUF_FDINFO("55", "8192"));
	fx_process(f, 200, "viewer");
	fx_maps(f, 200, "7f0000000000-7f0000002000 rw-s 00000000 00:08 55 "
		"/dmabuf:\n");
	fx_process(f, 300, "bash");
	fx_fd(f, 300, 0, "/dev/null", "pos:\t0\nflags:\t02\nmnt_id:\t9\n"
	      "ino:\t5\n");
	*state = f;
	return 0;
}

/* The soft RLIMIT_NOFILE as it was, for a test that lowers it. */
static struct rlimit saved_limit;

static int teardown(void **state)
{
	if (saved_limit.rlim_max)
		setrlimit(RLIMIT_NOFILE, &saved_limit);
	fx_cleanup(*state);
	free(*state);
	return 0;
}

static struct gpumem_scanner *new_scanner(struct fx *f)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT, .root = f->root };
	struct gpumem_scanner *sc;

	assert_int_equal(gpumem_scanner_new(&opts, &sc), 0);
	return sc;
}

static struct gpumem_snapshot *sample(struct gpumem_scanner *sc, bool refresh,
				      bool want_refreshed)
{
	struct gpumem_snapshot *s;

	assert_int_equal(gpumem_scanner_sample(sc, refresh, &s), 0);
	assert_int_equal(gpumem_scan_stats(s)->refreshed, want_refreshed);
	return s;
}

static void test_refresh_unchanged(void **state)
{
	struct gpumem_scanner *sc = new_scanner(*state);
	struct gpumem_snapshot *s;

	/* The first refresh has no index yet: a full sample. */
	s = sample(sc, true, false);
	gpumem_snapshot_free(s);
	s = sample(sc, true, true);
	assert_int_equal(fx_proc(s, 100)->gpu_total_bytes, 4096);
	assert_int_equal(fx_proc(s, 100)->dmabuf_pss_bytes, 4096);
	assert_int_equal(fx_proc(s, 200)->dmabuf_pss_bytes, 4096);
	assert_int_equal(fx_buf(s, 55)->nr_holders, 2);
	/* Only holders are re-read: bash is not even listed. */
	assert_int_equal(gpumem_scan_stats(s)->listed, 2);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
}

static void test_refresh_follows_values(void **state)
{
	struct fx *f = *state;
	struct gpumem_scanner *sc = new_scanner(f);
	struct gpumem_snapshot *s;

	gpumem_snapshot_free(sample(sc, false, false));
	fx_write(f, "proc/100/fdinfo/3", FX_DRM_FDINFO("7", "12 KiB"));
	s = sample(sc, true, true);
	assert_int_equal(fx_proc(s, 100)->gpu_total_bytes, 12288);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
}

/* A closed fd, or one now meaning another buffer: a full sample instead. */
static void test_stale_index_falls_back(void **state)
{
	struct fx *f = *state;
	struct gpumem_scanner *sc = new_scanner(f);
	struct gpumem_snapshot *s;
	char path[4200];

	gpumem_snapshot_free(sample(sc, false, false));
	fx_write(f, "proc/100/fdinfo/4", DMABUF_FDINFO("56", "1024"));
	s = sample(sc, true, false);
	assert_int_equal(fx_proc(s, 100)->dmabuf_rss_bytes, 1024);
	assert_int_equal(fx_buf(s, 55)->nr_holders, 1);
	gpumem_snapshot_free(s);

	snprintf(path, sizeof(path), "%s/proc/100/fdinfo/3", f->root);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/proc/100/fd/3", f->root);
	assert_int_equal(unlink(path), 0);
	s = sample(sc, true, false);
	assert_int_equal(fx_proc(s, 100)->gpu_total_bytes, 0);
	assert_int_equal(fx_proc(s, 100)->nr_clients, 0);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
}

/* What a refresh cannot see, by design: a process born since the index. */
static void test_refresh_misses_new_process(void **state)
{
	struct fx *f = *state;
	struct gpumem_scanner *sc = new_scanner(f);
	struct gpumem_snapshot *s;
	size_t nr;

	gpumem_snapshot_free(sample(sc, false, false));
	fx_process(f, 400, "late");
	fx_fd(f, 400, 5, "/dev/dri/renderD128", FX_DRM_FDINFO("9", "4096"));
	s = sample(sc, true, true);
	gpumem_processes(s, &nr);
	assert_int_equal(nr, 2);
	gpumem_snapshot_free(s);
	s = sample(sc, false, false);
	assert_int_equal(fx_proc(s, 400)->gpu_total_bytes, 4096);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
}

/*
 * An indexed fdinfo turned into a FIFO: the refresh must not wait on it;
 * the sample it falls back to counts only that process as unreadable.
 */
static void test_refresh_hostile_file(void **state)
{
	struct fx *f = *state;
	struct gpumem_scanner *sc = new_scanner(f);
	struct gpumem_snapshot *s;
	char path[4200];

	gpumem_snapshot_free(sample(sc, false, false));
	snprintf(path, sizeof(path), "%s/proc/100/fdinfo/4", f->root);
	assert_int_equal(unlink(path), 0);
	fx_fifo(f, "proc/100/fdinfo/4");
	alarm(20);
	s = sample(sc, true, false);
	alarm(0);
	assert_int_equal(gpumem_scan_stats(s)->unreadable_processes, 1);
	assert_int_equal(fx_buf(s, 55)->nr_holders, 1);
	/* 200 is the one holder left to see: its mapping's size, whole */
	assert_int_equal(fx_proc(s, 200)->dmabuf_pss_bytes, 8192);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
}

/* path written anew (another inode) by rename, as an editor saves. */
static void replace(struct fx *f, const char *path, const char *text)
{
	char tmp[256], from[4400], to[4400];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fx_write(f, tmp, "%s", text);
	snprintf(from, sizeof(from), "%s/%s", f->root, tmp);
	snprintf(to, sizeof(to), "%s/%s", f->root, path);
	assert_int_equal(rename(from, to), 0);
}

/*
 * A kept fdinfo file that the tree replaced is read again by its path: the
 * same buffer with another size is followed; the fd number now meaning
 * another buffer is a stale index, and a full sample.
 */
static void test_refresh_replaced_file(void **state)
{
	struct fx *f = *state;
	struct gpumem_scanner *sc = new_scanner(f);
	struct gpumem_snapshot *s;

	gpumem_snapshot_free(sample(sc, false, false));
	replace(f, "proc/100/fdinfo/3", FX_DRM_FDINFO("7", "8 KiB"));
	s = sample(sc, true, true);
	assert_int_equal(fx_proc(s, 100)->gpu_total_bytes, 8192);
	gpumem_snapshot_free(s);
	replace(f, "proc/100/fdinfo/4", DMABUF_FDINFO("57", "2048"));
	s = sample(sc, true, false);
	assert_int_equal(fx_proc(s, 100)->dmabuf_rss_bytes, 2048);
	assert_int_equal(fx_buf(s, 55)->nr_holders, 1);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
}

/* How many fds this process has; *sum: their numbers added up. */
static int open_fds_sum(long *sum)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	*sum = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		*sum += atol(de->d_name);
	}
	closedir(d);
	return n;
}

static int open_fds(void)
{
	long sum;

	return open_fds_sum(&sum);
}

/*
 * The indexed fdinfo files, and the maps of a process that maps a dma-buf,
 * stay open while the scanner lives: a full sample takes them over rather
 * than open them again, and gpumem_scanner_free() closes them.
 */
static void test_refresh_kept_files(void **state)
{
	struct gpumem_scanner *sc;
	int before = open_fds();
	long sum, again;

	sc = new_scanner(*state);
	gpumem_snapshot_free(sample(sc, false, false));
	assert_int_equal(open_fds_sum(&sum), before + 3);
	gpumem_snapshot_free(sample(sc, true, true));
	gpumem_snapshot_free(sample(sc, false, false));
	/* The same files: opened again, they would have other numbers. */
	assert_int_equal(open_fds_sum(&again), before + 3);
	assert_int_equal(again, sum);
	gpumem_scanner_free(sc);
	assert_int_equal(open_fds(), before);
}

/*
 * A kept maps file is read again at each refresh: a mapping gone or come
 * back in place is followed, and one replaced by rename (another inode:
 * the kept file no longer is what the path names) is opened again.
 */
static void test_refresh_kept_maps(void **state)
{
	struct fx *f = *state;
	struct gpumem_scanner *sc = new_scanner(f);
	struct gpumem_snapshot *s;

	gpumem_snapshot_free(sample(sc, false, false));
	replace(f, "proc/200/maps", "7f0000000000-7f0000001000 r-xp 00000000 "
		"08:01 12 /usr/bin/viewer\n");
	s = sample(sc, true, true);
	assert_int_equal(fx_buf(s, 55)->nr_holders, 1);
	assert_false(fx_buf(s, 55)->mapped);
	gpumem_snapshot_free(s);
	fx_maps(f, 200, "7f0000000000-7f0000002000 rw-s 00000000 00:08 55 "
		"/dmabuf:\n");
	s = sample(sc, true, true);
	assert_int_equal(fx_buf(s, 55)->nr_holders, 2);
	assert_true(fx_buf(s, 55)->mapped);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
}

/*
 * With a soft limit too low to spare any (its upper half is the program's),
 * no fdinfo is kept open and a refresh reads each by path, as before.
 */
static void test_refresh_low_fd_limit(void **state)
{
	struct fx *f = *state;
	struct gpumem_scanner *sc;
	struct gpumem_snapshot *s;
	struct rlimit low;
	int pad[16], i, before;

	/* Room for the scan's own descriptors above the half it may keep. */
	for (i = 0; i < 16; i++)
		assert_true((pad[i] = dup(2)) >= 0);
	before = open_fds();
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved_limit), 0);
	low = saved_limit;
	low.rlim_cur = (rlim_t)before * 2;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	sc = new_scanner(f);
	gpumem_snapshot_free(sample(sc, false, false));
	assert_int_equal(open_fds(), before);
	fx_write(f, "proc/100/fdinfo/3", FX_DRM_FDINFO("7", "16 KiB"));
	s = sample(sc, true, true);
	assert_int_equal(fx_proc(s, 100)->gpu_total_bytes, 16384);
	assert_int_equal(fx_buf(s, 55)->nr_holders, 2);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
	for (i = 0; i < 16; i++)
		close(pad[i]);
}

static void expect_ino(const struct gm_text *t, int fd)
{
	char want[40];
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	snprintf(want, sizeof(want), "\nino:\t%llu\n",
		 (unsigned long long)st.st_ino);
	assert_non_null(strstr(t->buf, want));
}

/*
 * What a kept fdinfo rests on, on the running kernel's procfs: read again
 * at offset 0 it is the fd's text anew; once the fd is closed it reads
 * ENOENT; once the number means another file, that file's ino:.
 */
static void test_kept_fdinfo_live(void **state)
{
	struct gm_text t = { 0 };
	int procfd, kept, p[2], q[2];
	char path[64];
	int err;

	(void)state;
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(procfd >= 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	snprintf(path, sizeof(path), "%d/fdinfo/%d", (int)getpid(), p[0]);
	kept = gm_open_file_at(procfd, path, GM_READ_KERNEL);
	assert_true(kept >= 0);
	assert_int_equal(gm_reread_record(kept, &t, false), 0);
	expect_ino(&t, p[0]);
	assert_int_equal(gm_reread_record(kept, &t, false), 0);
	expect_ino(&t, p[0]);
	assert_int_equal(close(p[0]), 0);
	err = gm_reread_record(kept, &t, false);
	assert_true(err == -ENOENT || err == -ESRCH);
	assert_int_equal(dup2(q[0], p[0]), p[0]);
	assert_int_equal(gm_reread_record(kept, &t, false), 0);
	expect_ino(&t, q[0]);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(kept);
	close(procfd);
	gm_text_free(&t);
}

/* The child's comm is want, within a bound (it execs when told to). */
static bool comm_is(pid_t pid, const char *want)
{
	char path[64], comm[32] = "";
	int i;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	for (i = 0; i < 5000; i++) {
		FILE *fp = fopen(path, "r");

		if (fp && fgets(comm, sizeof(comm), fp))
			comm[strcspn(comm, "\n")] = '\0';
		if (fp)
			fclose(fp);
		if (!strcmp(comm, want))
			return true;
		usleep(1000);
	}
	return false;
}

/* A child that execs sleep once a byte is written to *cue. */
static pid_t child_execs_on_cue(int *cue)
{
	int go[2];
	pid_t child;

	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) == 1)
			execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	*cue = go[1];
	return child;
}

/*
 * What a kept maps file rests on, on the running kernel's procfs: read
 * again at offset 0 it is the maps anew; once the process has exec'd it
 * reads empty (the file holds the mm of its open), once it has exited it
 * reads ESRCH.
 */
static void test_kept_maps_live(void **state)
{
	struct gm_text chunk = { 0 }, lines = { 0 };
	int procfd, kept, cue, status;
	char path[64];
	pid_t child;

	(void)state;
	child = child_execs_on_cue(&cue);
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(procfd >= 0);
	snprintf(path, sizeof(path), "%d/maps", (int)child);
	kept = gm_open_file_at(procfd, path, GM_READ_KERNEL);
	assert_true(kept >= 0);
	assert_true(gm_maps_read_fd(kept, &chunk, &lines) > 0);
	assert_true(gm_maps_read_fd(kept, &chunk, &lines) > 0);
	assert_int_equal(write(cue, "x", 1), 1);
	assert_true(comm_is(child, "sleep"));
	assert_int_equal(gm_maps_read_fd(kept, &chunk, &lines), 0);
	close(kept);
	kept = gm_open_file_at(procfd, path, GM_READ_KERNEL);
	assert_true(kept >= 0);
	assert_true(gm_maps_read_fd(kept, &chunk, &lines) > 0);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(gm_is_gone((int)gm_maps_read_fd(kept, &chunk, &lines)));
	close(kept);
	close(cue);
	close(procfd);
	gm_text_free(&chunk);
	gm_text_free(&lines);
}

/*
 * The same by PROCMAP_QUERY (Linux 6.11): the kept file's query answers
 * while the process lives, ESRCH once it exec'd (its mm is gone) or was
 * killed; a fresh open queries the new mm.
 */
static void test_query_maps_live(void **state)
{
	struct gm_text lines = { 0 };
	int procfd, kept, cue, status;
	char path[64];
	pid_t child;

	(void)state;
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(procfd >= 0);
	kept = gm_open_file_at(procfd, "self/maps", GM_READ_KERNEL);
	assert_true(kept >= 0);
	if (gm_maps_query_fd(kept, &lines) == -ENOTTY) {
		close(kept);
		close(procfd);
		skip();
	}
	close(kept);
	child = child_execs_on_cue(&cue);
	snprintf(path, sizeof(path), "%d/maps", (int)child);
	kept = gm_open_file_at(procfd, path, GM_READ_KERNEL);
	assert_true(kept >= 0);
	assert_int_equal(gm_maps_query_fd(kept, &lines), 1);
	assert_int_equal(lines.len, 0);
	assert_int_equal(write(cue, "x", 1), 1);
	assert_true(comm_is(child, "sleep"));
	assert_int_equal(gm_maps_query_fd(kept, &lines), -ESRCH);
	close(kept);
	kept = gm_open_file_at(procfd, path, GM_READ_KERNEL);
	assert_true(kept >= 0);
	assert_int_equal(gm_maps_query_fd(kept, &lines), 1);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(gm_is_gone((int)gm_maps_query_fd(kept, &lines)));
	close(kept);
	close(cue);
	close(procfd);
	gm_text_free(&lines);
}

/* Kernel threads in /proc: PF_KTHREAD in the flags of their stat. */
static unsigned int kernel_threads(void)
{
	unsigned int n = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300], buf[1024], *p;
		unsigned long flags;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) == 1)
			n += !!(flags & 0x00200000);
		fclose(f);
	}
	closedir(d);
	return n;
}

/*
 * A kernel thread has no mm: its maps query reads ESRCH, as an exited
 * process's would, and only its maps text (empty) says it lives.  A live
 * walk must not count the kernel's threads as vanished.
 */
static void test_live_walk_kernel_threads(void **state)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT,
				    .discovery = GPUMEM_DISCOVERY_PROC };
	unsigned int kthreads = kernel_threads();
	struct gpumem_snapshot *s;

	(void)state;
	if (kthreads < 10)
		skip();		/* a pid namespace without the kernel's */
	assert_int_equal(gpumem_snapshot_take(&opts, &s), 0);
	print_message("# %u kernel threads, %u vanished\n", kthreads,
		      gpumem_scan_stats(s)->vanished);
	assert_true(gpumem_scan_stats(s)->vanished < kthreads / 2);
	gpumem_snapshot_free(s);
}

static const char *cgroup_of(const struct gpumem_snapshot *s, pid_t pid)
{
	const struct gpumem_cgroup *cg = gpumem_process_cgroup(s,
							       fx_proc(s, pid));

	assert_non_null(cg);
	return cg->path;
}

/*
 * A refresh takes each process's cgroup from the index: one that moved is
 * seen at the next full sample (the bound docs/gpumem.1 states).
 */
static void test_refresh_cgroup_until_full(void **state)
{
	struct fx *f = *state;
	struct gpumem_scanner *sc = new_scanner(f);
	struct gpumem_snapshot *s;

	fx_write(f, "proc/100/cgroup", "0::/system.slice/a.service\n");
	gpumem_snapshot_free(sample(sc, false, false));
	fx_write(f, "proc/100/cgroup", "0::/system.slice/b.service\n");
	s = sample(sc, true, true);
	assert_string_equal(cgroup_of(s, 100), "/system.slice/a.service");
	assert_null(gpumem_process_cgroup(s, fx_proc(s, 200)));
	gpumem_snapshot_free(s);
	s = sample(sc, false, false);
	assert_string_equal(cgroup_of(s, 100), "/system.slice/b.service");
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refresh_unchanged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refresh_follows_values,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_index_falls_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_misses_new_process,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_hostile_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_kept_maps,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_replaced_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_kept_files,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_low_fd_limit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_cgroup_until_full,
						setup, teardown),
		cmocka_unit_test(test_kept_fdinfo_live),
		cmocka_unit_test(test_kept_maps_live),
		cmocka_unit_test(test_query_maps_live),
		cmocka_unit_test(test_live_walk_kernel_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
