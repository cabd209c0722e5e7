// SPDX-License-Identifier: MIT
/*
 * gm_escape_name() and gm_utf8_repair(), which every name passes through
 * on its way to a terminal or a JSON string; gpumem trace uses them too
 * (through gpumem_escape_name(), gpumem_utf8_repair()), so its comm is
 * tested here: its events need a live gpu_mem_total tracepoint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gm.h"

static void expect_escape(const char *src, const char *want, size_t cols)
{
	char buf[GM_ESCAPED_SIZE(64)];
	size_t w = 99, len = gm_escape_name(buf, sizeof(buf), src, &w);

	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
	assert_int_equal(w, cols);
}

static void test_controls(void **state)
{
	(void)state;
	expect_escape("", "", 0);
	expect_escape("Xorg", "Xorg", 4);
	expect_escape("\x1b[2J", "\\x1b[2J", 7);
	expect_escape("\x1b]52;c;aGk=\a", "\\x1b]52;c;aGk=\\x07", 18);
	expect_escape("a\nb\t", "a\\x0ab\\x09", 10);
	expect_escape("\x7f", "\\x7f", 4);
	/* C1 as UTF-8 (U+009B is a CSI to some terminals), and raw. */
	expect_escape("\xc2\x9b", "\\xc2\\x9b", 8);
	expect_escape("\x9b", "\\x9b", 4);
	expect_escape("a\\x41", "a\\\\x41", 6);
}

static void test_utf8(void **state)
{
	(void)state;
	/* The 15 bytes of a comm the kernel cut: 7 two-byte, 1 one-byte. */
	expect_escape("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		      "1", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		      "\xc3\xa9" "1", 8);
	expect_escape("cut\xc3", "cut\\xc3", 7);
	expect_escape("cut\xe6\x97", "cut\\xe6\\x97", 11);
	expect_escape("x\xffy", "x\\xffy", 6);
	/* Overlong '/', a surrogate, past U+10FFFF: bytes, not characters. */
	expect_escape("\xc0\xaf", "\\xc0\\xaf", 8);
	expect_escape("\xed\xa0\x80", "\\xed\\xa0\\x80", 12);
	expect_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", 16);
	/* Wide CJK takes two columns, a combining accent none. */
	expect_escape("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac", 4);
	expect_escape("e\xcc\x81", "e\xcc\x81", 1);
	/* A bidi override would reorder what follows it. */
	expect_escape("a\xe2\x80\xaez", "a\\xe2\\x80\\xaez", 14);
}

/* A unit that does not fit is left out whole, never half an escape. */
static void test_truncation(void **state)
{
	char buf[8];
	size_t w;

	(void)state;
	assert_int_equal(gm_escape_name(buf, sizeof(buf), "ab\x1b\x1b", &w), 6);
	assert_string_equal(buf, "ab\\x1b");
	assert_int_equal(w, 6);
	assert_int_equal(gm_escape_name(buf, 4, "ab\xc3\xa9", &w), 2);
	assert_string_equal(buf, "ab");
	assert_int_equal(gm_escape_name(buf, 0, "ab", &w), 0);
	assert_int_equal(w, 0);
}

static void test_repair(void **state)
{
	char buf[GM_ESCAPED_SIZE(16)];

	(void)state;
	gm_utf8_repair(buf, sizeof(buf), "\xc3\xa9\x1b[2J");
	assert_string_equal(buf, "\xc3\xa9\x1b[2J");
	gm_utf8_repair(buf, sizeof(buf), "x\xffy");
	assert_string_equal(buf, "x\xef\xbf\xbdy");
	gm_utf8_repair(buf, sizeof(buf), "cut\xe6\x97");
	assert_string_equal(buf, "cut\xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(gm_utf8_repair(buf, 5, "ab\xff"), 2);
	assert_string_equal(buf, "ab");
	/* The public names gpumem trace calls are the same functions. */
	assert_int_equal(gpumem_utf8_repair(buf, sizeof(buf), "\xff"), 3);
	assert_int_equal(gpumem_escape_name(buf, sizeof(buf), "\xff", NULL), 4);
}

/* Cut to columns: never inside a character or an escape. */
static void test_fit(void **state)
{
	char buf[GM_ESCAPED_SIZE(32)];
	size_t w = 99;

	(void)state;
	assert_int_equal(gpumem_escape_fit(buf, sizeof(buf), "abcdef", 4, &w), 4);
	assert_string_equal(buf, "abcd");
	assert_int_equal(w, 4);
	/* A wide character that would take columns 3-4 of 3 is left out. */
	gpumem_escape_fit(buf, sizeof(buf), "ab\xe6\x97\xa5" "c", 3, &w);
	assert_string_equal(buf, "ab");
	assert_int_equal(w, 2);
	gpumem_escape_fit(buf, sizeof(buf), "a\x1b[2J", 4, &w);
	assert_string_equal(buf, "a");
	assert_int_equal(w, 1);
	gpumem_escape_fit(buf, sizeof(buf), "a\x1b[2J", 5, &w);
	assert_string_equal(buf, "a\\x1b");
	assert_int_equal(w, 5);
	gpumem_escape_fit(buf, sizeof(buf), "x", 0, &w);
	assert_string_equal(buf, "");
	assert_int_equal(w, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
