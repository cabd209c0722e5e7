// SPDX-License-Identifier: MIT
/*
 * proc_status.c: whose process it is and whose child.  The Uid: line's
 * first field and PPid:, unknown where a tree has no status or no such
 * line, an unreadable process where the status is not a file the kernel
 * would write, both kept by a refresh and by a capture (which keeps
 * nothing else of status).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "sources/sources.h"

#define STATUS_PPID(uid, ppid) \
	"Name:\tapp\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t100\n" \
	"Ngid:\t0\nPid:\t100\nPPid:\t" ppid "\nTracerPid:\t0\n" \
	"Uid:\t" uid "\nGid:\t100\t100\t100\t100\nVmRSS:\t 1024 kB\n"
#define STATUS(uid) STATUS_PPID(uid, "1")

static struct gm_status parse_both(const char *text, int want_err,
				   unsigned int want_bad)
{
	unsigned int bad = 0;
	struct gm_status st;

	assert_int_equal(gm_status_parse(text, strlen(text), &st, &bad),
			 want_err);
	assert_int_equal(bad, want_bad);
	return st;
}

/* The uid of a text, after a good PPid: line (where it has none). */
static uid_t parse(const char *text, int want_err, unsigned int want_bad)
{
	char buf[512];

	if (!strstr(text, "PPid:")) {
		snprintf(buf, sizeof(buf), "PPid:\t7\n%s", text);
		text = buf;
	}
	return parse_both(text, want_err, want_bad).uid;
}

static pid_t ppid_of(const char *ppid, int want_err, unsigned int want_bad)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "Uid:\t5\t5\t5\t5\nPPid:\t%s\n", ppid);
	return parse_both(buf, want_err, want_bad).ppid;
}

static void test_parse(void **state)
{
	(void)state;
	/* real, effective, saved, fs: the real one */
	assert_int_equal(parse(STATUS("1000\t0\t0\t0"), 0, 0), 1000);
	assert_int_equal(parse(STATUS("0\t1000\t1000\t1000"), 0, 0), 0);
	assert_int_equal(parse("Uid:\t65534", 0, 0), 65534);
	assert_int_equal(parse("Uid:\t4294967294\t0\t0\t0\n", 0, 0),
			 4294967294u);
	assert_int_equal(parse("Name:\tx\nGid:\t5\t5\t5\t5\n", -ENOENT, 0),
			 GPUMEM_UID_UNKNOWN);
	assert_int_equal(parse("", -ENOENT, 0), GPUMEM_UID_UNKNOWN);
	/* -1 is no uid (setresuid's "unchanged"); nor is a sign or junk */
	parse("Uid:\t4294967295\t0\t0\t0\n", -EBADMSG, 1);
	parse("Uid:\t-1\t0\t0\t0\n", -EBADMSG, 1);
	parse("Uid:\t12x\t0\t0\t0\n", -EBADMSG, 1);
	parse("Uid:\n", -EBADMSG, 1);
	parse("Uid:\t99999999999999999999999\n", -EBADMSG, 1);
	/* "Uidx:" is another key */
	parse("Uidx:\t5\n", -ENOENT, 0);
}

static void test_parse_ppid(void **state)
{
	struct gm_status st;

	(void)state;
	st = parse_both(STATUS_PPID("1000\t0\t0\t0", "812"), 0, 0);
	assert_int_equal(st.uid, 1000);
	assert_int_equal(st.ppid, 812);
	/* 0: no parent in this namespace (pid 1, a container's init) */
	assert_int_equal(ppid_of("0", 0, 0), 0);
	assert_int_equal(ppid_of("4194304", 0, 0), 4194304);
	/* An older tree, a fixture without the line: only the parent is
	 * unknown, the uid is still read. */
	st = parse_both("Uid:\t5\t5\t5\t5\n", -ENOENT, 0);
	assert_int_equal(st.uid, 5);
	assert_int_equal(st.ppid, GPUMEM_PID_UNKNOWN);
	st = parse_both("PPid:\t9\n", -ENOENT, 0);
	assert_int_equal(st.uid, GPUMEM_UID_UNKNOWN);
	assert_int_equal(st.ppid, 9);
	/* Not a pid: counted, unknown, the uid kept */
	assert_int_equal(ppid_of("-1", -EBADMSG, 1), GPUMEM_PID_UNKNOWN);
	assert_int_equal(ppid_of("1073741824", -EBADMSG, 1),
			 GPUMEM_PID_UNKNOWN);
	assert_int_equal(ppid_of("12 13", -EBADMSG, 1), GPUMEM_PID_UNKNOWN);
	assert_int_equal(ppid_of("", -EBADMSG, 1), GPUMEM_PID_UNKNOWN);
	st = parse_both("PPid:\tx\nUid:\tx\n", -EBADMSG, 2);
	assert_int_equal(st.uid, GPUMEM_UID_UNKNOWN);
	/* The first line of a key counts, as the kernel writes one */
	st = parse_both("PPid:\t3\nPPid:\t4\nUid:\t1\n", 0, 0);
	assert_int_equal(st.ppid, 3);
	/* TracerPid: and "PPidx:" are other keys */
	st = parse_both("TracerPid:\t3\nPPidx:\t4\nUid:\t1\n", -ENOENT, 0);
	assert_int_equal(st.ppid, GPUMEM_PID_UNKNOWN);
}

static void holder(struct fx *f, pid_t pid, const char *status)
{
	char path[64];

	fx_process(f, pid, "app");
	fx_fd(f, pid, 3, "/dev/dri/renderD128", FX_DRM_FDINFO("7", "4096"));
	snprintf(path, sizeof(path), "proc/%d/status", (int)pid);
	if (status)
		fx_write(f, path, "%s", status);
}

static void test_tree(void **state)
{
	struct gpumem_snapshot *s;
	char path[64];
	struct fx f;

	(void)state;
	fx_init(&f);
	holder(&f, 100, STATUS("1000\t1000\t1000\t1000"));
	holder(&f, 200, NULL);
	holder(&f, 300, "Uid:\tnobody\n");
	holder(&f, 400, NULL);
	holder(&f, 500, STATUS_PPID("7\t7\t7\t7", "500"));
	snprintf(path, sizeof(path), "proc/%d/status", 400);
	fx_fifo(&f, path);
	s = fx_snapshot(&f, 0, 0);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 100)), 1000);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 200)),
			 GPUMEM_UID_UNKNOWN);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 300)),
			 GPUMEM_UID_UNKNOWN);
	assert_int_equal(gpumem_process_ppid(fx_proc(s, 100)), 1);
	/* No status, no PPid: line: no parent known, nothing else lost */
	assert_int_equal(gpumem_process_ppid(fx_proc(s, 200)),
			 GPUMEM_PID_UNKNOWN);
	assert_int_equal(gpumem_process_ppid(fx_proc(s, 300)),
			 GPUMEM_PID_UNKNOWN);
	assert_int_equal(fx_proc(s, 300)->gpu_total_bytes, 4096);
	/* Its own parent, as a tree may say: kept as said, for the reader */
	assert_int_equal(gpumem_process_ppid(fx_proc(s, 500)), 500);
	assert_int_equal(gpumem_scan_stats(s)->malformed_lines, 1);
	/* A FIFO for a status: 400 is unreadable, in no figure. */
	assert_int_equal(gpumem_scan_stats(s)->unreadable_processes, 1);
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

/* The refresh path reads no status: the index remembers uid and parent. */
static void test_refresh_keeps_uid(void **state)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT };
	struct gpumem_scanner *sc;
	struct gpumem_snapshot *s;
	struct fx f;

	(void)state;
	fx_init(&f);
	holder(&f, 100, STATUS_PPID("4242\t0\t0\t0", "99"));
	opts.root = f.root;
	assert_int_equal(gpumem_scanner_new(&opts, &sc), 0);
	assert_int_equal(gpumem_scanner_sample(sc, false, &s), 0);
	gpumem_snapshot_free(s);
	assert_int_equal(gpumem_scanner_sample(sc, true, &s), 0);
	assert_true(gpumem_scan_stats(s)->refreshed);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 100)), 4242);
	assert_int_equal(gpumem_process_ppid(fx_proc(s, 100)), 99);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
	fx_cleanup(&f);
}

static void test_capture_keeps_uid_ppid_only(void **state)
{
	struct gpumem_snapshot *s;
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT };
	char dir[4200], path[4300], buf[256];
	struct fx f;
	FILE *in;
	size_t n;

	(void)state;
	fx_init(&f);
	holder(&f, 100, STATUS("1000\t1000\t1000\t1000"));
	holder(&f, 200, NULL);
	snprintf(dir, sizeof(dir), "%s/capture", f.root);
	assert_int_equal(gpumem_capture(f.root, dir, 1 << 20), 0);
	snprintf(path, sizeof(path), "%s/proc/100/status", dir);
	in = fopen(path, "r");
	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf) - 1, in);
	fclose(in);
	buf[n] = '\0';
	assert_string_equal(buf, "PPid:\t1\nUid:\t1000\t1000\t1000\t1000\n");
	snprintf(path, sizeof(path), "%s/proc/200/status", dir);
	assert_null(fopen(path, "r"));
	opts.root = dir;
	assert_int_equal(gpumem_snapshot_take(&opts, &s), 0);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 100)), 1000);
	assert_int_equal(gpumem_process_ppid(fx_proc(s, 100)), 1);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 200)),
			 GPUMEM_UID_UNKNOWN);
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_ppid),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_refresh_keeps_uid),
		cmocka_unit_test(test_capture_keeps_uid_ppid_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
