// SPDX-License-Identifier: MIT
/*
 * proc_status.c: whose process it is.  The Uid: line's first field, an
 * unknown uid where a tree has no status, an unreadable process where the
 * status is not a file the kernel would write, the uid kept by a refresh
 * and by a capture (which keeps nothing else of status).
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

#define STATUS(uid) \
	"Name:\tapp\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t100\n" \
	"Uid:\t" uid "\nGid:\t100\t100\t100\t100\nVmRSS:\t 1024 kB\n"

static uid_t parse(const char *text, int want_err, unsigned int want_bad)
{
	unsigned int bad = 0;
	uid_t uid;

	assert_int_equal(gm_status_parse_uid(text, strlen(text), &uid, &bad),
			 want_err);
	assert_int_equal(bad, want_bad);
	return uid;
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
	snprintf(path, sizeof(path), "proc/%d/status", 400);
	fx_fifo(&f, path);
	s = fx_snapshot(&f, 0, 0);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 100)), 1000);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 200)),
			 GPUMEM_UID_UNKNOWN);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 300)),
			 GPUMEM_UID_UNKNOWN);
	assert_int_equal(gpumem_scan_stats(s)->malformed_lines, 1);
	/* A FIFO for a status: 400 is unreadable, in no figure. */
	assert_int_equal(gpumem_scan_stats(s)->unreadable_processes, 1);
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

/* The refresh path reads no status: the index remembers the uid. */
static void test_refresh_keeps_uid(void **state)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT };
	struct gpumem_scanner *sc;
	struct gpumem_snapshot *s;
	struct fx f;

	(void)state;
	fx_init(&f);
	holder(&f, 100, STATUS("4242\t0\t0\t0"));
	opts.root = f.root;
	assert_int_equal(gpumem_scanner_new(&opts, &sc), 0);
	assert_int_equal(gpumem_scanner_sample(sc, false, &s), 0);
	gpumem_snapshot_free(s);
	assert_int_equal(gpumem_scanner_sample(sc, true, &s), 0);
	assert_true(gpumem_scan_stats(s)->refreshed);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 100)), 4242);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
	fx_cleanup(&f);
}

static void test_capture_keeps_uid_only(void **state)
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
	assert_string_equal(buf, "Uid:\t1000\t1000\t1000\t1000\n");
	snprintf(path, sizeof(path), "%s/proc/200/status", dir);
	assert_null(fopen(path, "r"));
	opts.root = dir;
	assert_int_equal(gpumem_snapshot_take(&opts, &s), 0);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 100)), 1000);
	assert_int_equal(gpumem_process_uid(fx_proc(s, 200)),
			 GPUMEM_UID_UNKNOWN);
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_refresh_keeps_uid),
		cmocka_unit_test(test_capture_keeps_uid_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
