// SPDX-License-Identifier: MIT
/*
 * struct gpumem_opts is sized by the caller: a program built against an
 * older header passes fewer fields, a newer one may pass fields this
 * library does not know.  Each entry point must read only the caller's
 * bytes and refuse what it cannot honour.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* A caller built against a header with one more field. */
struct newer_opts {
	struct gpumem_opts o;
	uint64_t future;
};

static int setup(void **state)
{
	int err = fx_setup(state);
	struct fx *f = *state;

	fx_write(f, "proc/meminfo", "MemTotal: 1048576 kB\n"
		 "MemFree: 524288 kB\n");
	fx_process(f, 100, "app");
	fx_fd(f, 100, 3, "/dev/dri/renderD128", FX_DRM_FDINFO("7", "4096"));
	fx_process(f, 200, "viewer");
	fx_fd(f, 200, 3, "/dev/dri/renderD128", FX_DRM_FDINFO("8", "8192"));
	return err;
}

/* Every entry point that takes opts answers want_err for o. */
static void assert_all_answer(const struct gpumem_opts *o, int want_err)
{
	struct gpumem_explain *x = NULL;
	struct gpumem_snapshot *s = NULL;
	struct gpumem_scanner *sc = NULL;
	char why[256];

	assert_int_equal(gpumem_snapshot_take(o, &s), want_err);
	assert_int_equal(gpumem_scanner_new(o, &sc), want_err);
	assert_int_equal(gpumem_explain_take(o, &x, why, sizeof(why)),
			 want_err);
	gpumem_snapshot_free(s);
	gpumem_scanner_free(sc);
	gpumem_explain_free(x);
}

static void test_unsized_refused(void **state)
{
	struct gpumem_opts o = { .root = ((struct fx *)*state)->root };

	assert_all_answer(&o, -EINVAL);
	/* The unsized layout had root first: a pointer is no size (ASan
	 * fails the test if the library reads past o to check its tail). */
	o.sz = (size_t)(uintptr_t)o.root;
	assert_all_answer(&o, -EINVAL);
}

static void test_unknown_field_refused(void **state)
{
	struct newer_opts n = { .o = { .root = ((struct fx *)*state)->root } };

	n.o.sz = sizeof(n);
	n.future = 1;
	assert_all_answer(&n.o, -E2BIG);
	/* Unset, the field asks for nothing this library cannot give. */
	n.future = 0;
	assert_all_answer(&n.o, 0);
}

/* Bytes past the caller's sz are not the caller's: never read. */
static void test_older_caller_fields_default(void **state)
{
	struct gpumem_opts o = { GPUMEM_OPTS_INIT,
				 .root = ((struct fx *)*state)->root };
	struct gpumem_snapshot *s;
	size_t nr;

	o.pid = 100;
	o.sz = offsetof(struct gpumem_opts, pid);
	assert_int_equal(gpumem_snapshot_take(&o, &s), 0);
	gpumem_processes(s, &nr);
	assert_int_equal(nr, 2);
	gpumem_snapshot_free(s);
	o.sz = sizeof(o);
	assert_int_equal(gpumem_snapshot_take(&o, &s), 0);
	gpumem_processes(s, &nr);
	assert_int_equal(nr, 1);
	gpumem_snapshot_free(s);
}

static void test_bad_values_refused(void **state)
{
	struct gpumem_opts o = { GPUMEM_OPTS_INIT,
				 .root = ((struct fx *)*state)->root };

	o.pid = -1;
	assert_all_answer(&o, -EINVAL);
	o.pid = 0;
	o.discovery = (enum gpumem_discovery)99;
	assert_all_answer(&o, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unsized_refused, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_field_refused,
						setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_older_caller_fields_default, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_refused, setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
