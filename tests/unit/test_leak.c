// SPDX-License-Identifier: MIT
/*
 * The leak rule (docs/leaks.md) on series whose answer is known: a leak,
 * a sawtooth, a single step, noise on a leak, and the edges of the rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gm.h"

#define MIB (1ull << 20)
#define SEC 1000000000ll
#define NR 30

/* A series sampled once a second from f(i). */
static void series(struct gpumem_point *p, size_t n, uint64_t (*f)(size_t))
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (struct gpumem_point){ (int64_t)i * SEC + 5, f(i) };
}

static uint64_t leak_2mib(size_t i) { return 100 * MIB + 2 * MIB * i; }
/* Up 4 MiB a second for 6 s, then all of it freed: period 7 samples. */
static uint64_t sawtooth(size_t i) { return 64 * MIB + 4 * MIB * (i % 7); }
static uint64_t step(size_t i) { return i < 25 ? 10 * MIB : 90 * MIB; }
/* 2 MiB a second, with 3 MiB up and 1 MiB back every other second. */
static uint64_t noisy(size_t i) { return 2 * MIB * i + (i & 1) * 3 * MIB; }
static uint64_t flat(size_t i) { (void)i; return 512 * MIB; }

static struct gpumem_leak_hint check(uint64_t (*f)(size_t), size_t n,
				     const struct gpumem_leak_rule *rule)
{
	struct gpumem_point p[NR];
	struct gpumem_leak_hint h;

	series(p, n, f);
	assert_int_equal(gpumem_leak_check(p, n, rule, &h), 0);
	return h;
}

static void test_leak(void **state)
{
	struct gpumem_leak_hint h = check(leak_2mib, NR, NULL);

	(void)state;
	assert_true(h.leak);
	assert_int_equal(h.samples, GPUMEM_LEAK_WINDOW_DEFAULT);
	assert_int_equal(h.first_bytes, leak_2mib(NR - 10));
	assert_int_equal(h.last_bytes, leak_2mib(NR - 1));
	assert_int_equal(h.span_ns, 9 * SEC);
	assert_true(h.bytes_per_s > 2.0 * MIB - 1 && h.bytes_per_s < 2.0 * MIB + 1);
}

static void test_sawtooth(void **state)
{
	size_t n;

	(void)state;
	/* However the window falls on the teeth, never a mark. */
	for (n = 10; n <= NR; n++) {
		struct gpumem_leak_hint h = check(sawtooth, n, NULL);

		assert_false(h.leak);
		assert_int_equal(h.bytes_per_s, 0);
	}
}

static void test_step_and_flat(void **state)
{
	(void)state;
	assert_false(check(step, NR, NULL).leak);
	assert_false(check(flat, NR, NULL).leak);
}

static void test_noise(void **state)
{
	struct gpumem_leak_rule strict;

	(void)state;
	/* Dips of 1 MiB in 21 MiB of growth are within the default 10%. */
	assert_true(check(noisy, NR, NULL).leak);
	gpumem_leak_rule_default(&strict);
	strict.max_dip_pct = 4;
	assert_false(check(noisy, NR, &strict).leak);
}

static void test_thresholds(void **state)
{
	struct gpumem_leak_rule r;

	(void)state;
	gpumem_leak_rule_default(&r);
	/* 9 points of 2 MiB a second: too short for the default window. */
	assert_false(check(leak_2mib, 9, &r).leak);
	assert_int_equal(check(leak_2mib, 9, &r).samples, 9);
	r.window = 5;
	assert_true(check(leak_2mib, 9, &r).leak);
	/* 8 MiB of growth in the window: not enough for 9 MiB. */
	r.min_growth_bytes = 9 * MIB;
	assert_false(check(leak_2mib, 9, &r).leak);
	r.min_growth_bytes = 8 * MIB;
	assert_true(check(leak_2mib, 9, &r).leak);
}

static void test_invalid(void **state)
{
	struct gpumem_point p[3] = { { 0, 1 }, { 1, 2 }, { 2, 3 } };
	struct gpumem_leak_rule r;
	struct gpumem_leak_hint h;

	(void)state;
	gpumem_leak_rule_default(&r);
	r.window = 2;
	assert_int_equal(gpumem_leak_check(p, 3, &r, &h), -EINVAL);
	r.window = 3;
	r.max_dip_pct = 101;
	assert_int_equal(gpumem_leak_check(p, 3, &r, &h), -EINVAL);
	assert_int_equal(gpumem_leak_check(p, 0, NULL, &h), 0);
	assert_false(h.leak);
	assert_int_equal(h.samples, 0);
}

/* Figures near 2^64 (a hostile tree can say anything) do not overflow the
 * tolerance into a pass. */
static void test_huge(void **state)
{
	struct gpumem_point p[10];
	struct gpumem_leak_hint h;
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++)
		p[i] = (struct gpumem_point){ (int64_t)i, UINT64_MAX / 10 * i };
	assert_int_equal(gpumem_leak_check(p, 10, NULL, &h), 0);
	assert_true(h.leak);
	p[5].bytes = 0;
	assert_int_equal(gpumem_leak_check(p, 10, NULL, &h), 0);
	assert_false(h.leak);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leak),
		cmocka_unit_test(test_sawtooth),
		cmocka_unit_test(test_step_and_flat),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
