// SPDX-License-Identifier: MIT
/*
 * The refresh path: after a full sample, a refresh re-reads only the fds
 * and maps it indexed, must give the same figures while nothing changed,
 * must follow changed values, and must fall back to a full sample when an
 * indexed fd was closed or now means another file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

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

static int teardown(void **state)
{
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
