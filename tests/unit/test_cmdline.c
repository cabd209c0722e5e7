// SPDX-License-Identifier: MIT
/*
 * Command lines (lib/sources/proc_cmdline.c): arguments joined, cut to the
 * buffer, read from a --root tree and never through a symlink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sources/sources.h"

static void test_join(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(gm_cmdline_join("mpv\0-v\0x y\0", 11, out,
					 sizeof(out)), 10);
	assert_string_equal(out, "mpv -v x y");
	/* Trailing NULs (an argument area padded) are not arguments. */
	assert_int_equal(gm_cmdline_join("a\0\0\0", 4, out, sizeof(out)), 1);
	assert_int_equal(gm_cmdline_join("0123456789abcdefXYZ", 19, out,
					 sizeof(out)), 15);
	assert_string_equal(out, "0123456789abcde");
	assert_int_equal(gm_cmdline_join("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void put(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void test_read(void **state)
{
	char root[] = "/tmp/gpumem-cmdline-XXXXXX", path[256], buf[64];

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/proc", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/proc/7", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/proc/7/cmdline", root);
	put(path, "game\0--level\0" "3\0", 15);
	assert_int_equal(gpumem_process_cmdline(root, 7, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "game --level 3");
	/* A kernel thread's is empty: the caller shows its comm. */
	put(path, "", 0);
	assert_int_equal(gpumem_process_cmdline(root, 7, buf, sizeof(buf)),
			 -ENODATA);
	assert_int_equal(gpumem_process_cmdline(root, 8, buf, sizeof(buf)),
			 -ENOENT);
	/* A planted link is not followed out of the tree. */
	unlink(path);
	assert_int_equal(symlink("/proc/self/cmdline", path), 0);
	assert_int_equal(gpumem_process_cmdline(root, 7, buf, sizeof(buf)),
			 -ELOOP);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/7", root);
	rmdir(path);
	assert_int_equal(symlink("/proc/self", path), 0);
	/* O_DIRECTORY | O_NOFOLLOW on a link: ENOTDIR, nothing read. */
	assert_int_equal(gpumem_process_cmdline(root, 7, buf, sizeof(buf)),
			 -ENOTDIR);
	assert_string_equal(buf, "");
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	rmdir(root);
	assert_int_equal(gpumem_process_cmdline(root, 0, buf, sizeof(buf)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
