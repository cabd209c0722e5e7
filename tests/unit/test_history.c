// SPDX-License-Identifier: MIT
/*
 * The history ring: samples in order, processes by pid with their uid,
 * the budget in bytes kept by dropping the oldest, a sample too large for
 * the budget refused, and gaps marked: the first sample, and one that
 * comes more than 1.5 intervals after the previous.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "fixture.h"

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_init(f);
	fx_card(f, 0, 128, "pci0000:00/0000:00:02.0",
		"DRIVER=i915\nPCI_ID=8086:4680\nPCI_SLOT_NAME=0000:00:02.0\n");
	/* readdir order is not pid order: 300 sorts after 20 */
	fx_process(f, 300, "big");
	fx_fd(f, 300, 3, "/dev/dri/renderD128", FX_DRM_FDINFO("7", "8192"));
	fx_write(f, "proc/300/status", "Uid:\t1000\t1000\t1000\t1000\n");
	fx_process(f, 20, "a-very-long-command-name");
	fx_fd(f, 20, 3, "/dev/dri/renderD128", FX_DRM_FDINFO("8", "4096"));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_cleanup(*state);
	free(*state);
	return 0;
}

static struct gpumem_history *new_history(size_t max, int64_t interval)
{
	struct gpumem_history *h;

	assert_int_equal(gpumem_history_new(max, interval, &h), 0);
	return h;
}

static void add(struct gpumem_history *h, struct fx *f, int want)
{
	struct gpumem_snapshot *s = fx_snapshot(f, 0, 0);

	assert_int_equal(gpumem_history_add(h, s), want);
	gpumem_snapshot_free(s);
}

static void test_sample_contents(void **state)
{
	struct gpumem_history *h = new_history(1 << 20, 0);
	const struct gpumem_history_sample *s;
	const struct gpumem_history_process *p;

	add(h, *state, 0);
	assert_int_equal(gpumem_history_len(h), 1);
	s = gpumem_history_at(h, 0);
	assert_non_null(s);
	assert_null(gpumem_history_at(h, 1));
	assert_int_equal(s->gap, GPUMEM_GAP_START);
	assert_true(s->boottime_ns > 0);
	assert_int_equal(s->nr_devices, 1);
	assert_int_equal(s->devices[0].index, 0);
	assert_true(s->devices[0].known);
	assert_int_equal(s->devices[0].total_bytes, 8192 + 4096);
	assert_int_equal(s->nr_processes, 2);
	assert_int_equal(gpumem_at(s->processes, 0)->pid, 20);
	assert_int_equal(gpumem_at(s->processes, 1)->pid, 300);
	p = gpumem_history_find(s, 300);
	assert_non_null(p);
	assert_int_equal(p->uid, 1000);
	assert_int_equal(p->gpu_rss_bytes, 8192);
	assert_int_equal(p->gpu_pss_bytes, 8192);
	assert_string_equal(p->comm, "big");
	p = gpumem_history_find(s, 20);
	assert_int_equal(p->uid, GPUMEM_UID_UNKNOWN);
	assert_string_equal(p->comm, "a-very-long-com");
	assert_null(gpumem_history_find(s, 21));
	assert_null(gpumem_history_find(s, 1));
	gpumem_history_free(h);
}

/* The budget holds: old samples go, the newest stays, bytes <= max. */
static void test_budget(void **state)
{
	struct gpumem_history *one = new_history(1 << 20, 0), *h;
	size_t per, max, i;
	int64_t last = 0;

	add(one, *state, 0);
	per = gpumem_history_bytes(one);
	gpumem_history_free(one);
	/* room for the ring and about three samples */
	max = per + 2 * (per - 16 * sizeof(void *));
	h = new_history(max, 0);
	for (i = 0; i < 40; i++) {
		add(h, *state, 0);
		assert_true(gpumem_history_bytes(h) <= max);
		assert_true(gpumem_history_at(h, gpumem_history_len(h) - 1)
			    ->boottime_ns >= last);
		last = gpumem_history_at(h, gpumem_history_len(h) - 1)
		       ->boottime_ns;
	}
	assert_true(gpumem_history_len(h) >= 2);
	assert_true(gpumem_history_len(h) <= 3);
	/* oldest first */
	assert_true(gpumem_history_at(h, 0)->boottime_ns <=
		    gpumem_history_at(h, 1)->boottime_ns);
	/* the first samples went; a sample that was not first has no gap */
	assert_int_equal(gpumem_history_at(h, 0)->gap, GPUMEM_GAP_NONE);
	gpumem_history_free(h);
}

static void test_too_large(void **state)
{
	struct gpumem_history *h = new_history(256, 0);

	add(h, *state, -E2BIG);
	assert_int_equal(gpumem_history_len(h), 0);
	gpumem_history_free(h);
}

/* 1 ns apart at most: the next sample is surely later, a missed one. */
static void test_gaps(void **state)
{
	struct gpumem_history *h = new_history(1 << 20, 1);

	add(h, *state, 0);
	add(h, *state, 0);
	assert_int_equal(gpumem_history_at(h, 0)->gap, GPUMEM_GAP_START);
	assert_int_equal(gpumem_history_at(h, 1)->gap, GPUMEM_GAP_MISSED);
	gpumem_history_free(h);
	h = new_history(1 << 20, 3600 * 1000000000ll);
	add(h, *state, 0);
	add(h, *state, 0);
	assert_int_equal(gpumem_history_at(h, 1)->gap, GPUMEM_GAP_NONE);
	gpumem_history_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_contents),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_gaps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
