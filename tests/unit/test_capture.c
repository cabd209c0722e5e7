// SPDX-License-Identifier: MIT
/*
 * gpumem_capture() against a capture directory changed while it writes.
 * The owner of DIR can swap a directory gpumem just made for a symlink;
 * the swap is set up here directly, after the "DIR is empty" check, by
 * calling the capture's internal capture() on a prepared DIR (capture.c is
 * included for its static functions).  Then the byte limit: it stops the
 * capture before more than the limit is written, and PARTIAL says so first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "fixture.h"

/* Its own copy, beside the library's in gm_internal_dep. */
#define gpumem_capture test_gpumem_capture
int test_gpumem_capture(const char *root, const char *dir, uint64_t max_bytes);
#include "capture.c"
#undef gpumem_capture

struct env {
	struct fx src;		/* the tree captured */
	struct fx out;		/* out/DIR, out/target: where no write may go */
	char dir[PATH_MAX + 8], target[PATH_MAX + 8];
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char big[65536 + 64];
	int i;

	assert_non_null(e);
	fx_init(&e->src);
	fx_init(&e->out);
	fx_write(&e->src, "proc/meminfo", "MemTotal: 1000 kB\nMemFree: 10 kB\n");
	fx_process(&e->src, 100, "app");
	memset(big, 'x', 65536);
	strcpy(big + 65536, "\nino:\t55\nsize:\t8192\nexp_name:\tsystem\n");
	for (i = 0; i < 10; i++)
		fx_fd(&e->src, 100, 10 + i, "anon_inode:dmabuf", big);
	fx_card(&e->src, 0, 128, "pci0000:00/0000:00:02.0",
		"DRIVER=i915\nPCI_SLOT_NAME=0000:00:02.0\n");
	fx_write(&e->out, "target/.keep", "%s", "");
	snprintf(e->dir, sizeof(e->dir), "%s/DIR", e->out.root);
	snprintf(e->target, sizeof(e->target), "%s/target", e->out.root);
	assert_int_equal(mkdir(e->dir, 0700), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	fx_cleanup(&e->src);
	fx_cleanup(&e->out);
	free(e);
	return 0;
}

/* Entries of path other than . and .. (and target/.keep). */
static int entries(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		     strcmp(de->d_name, ".keep");
	closedir(d);
	return n;
}

/* capture() as gpumem_capture() runs it, on DIR as the test left it. */
static int capture_into(struct env *e)
{
	struct cap c = { .max = 1 << 20, .root = e->src.root, .sysfd = -1 };
	int err;

	assert_int_equal(open_root(e->src.root, "proc", &c.procfd), 0);
	assert_int_equal(open_root(e->src.root, "sys", &c.sysfd), 0);
	c.out = open(e->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(c.out >= 0);
	err = capture(&c);
	close(c.out);
	close(c.procfd);
	close(c.sysfd);
	gm_text_free(&c.text);
	return err;
}

static void swapped(void **state, const char *name, const char *link)
{
	struct env *e = *state;
	char path[PATH_MAX * 2];
	int err;

	if (strchr(name, '/')) {
		snprintf(path, sizeof(path), "%s/%.*s", e->dir,
			 (int)(strchr(name, '/') - name), name);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	snprintf(path, sizeof(path), "%s/%s", e->dir, name);
	assert_int_equal(symlink(link, path), 0);
	err = capture_into(e);
	print_message("# DIR/%s -> %s: %s\n", name, link, strerror(-err));
	assert_true(err == -ELOOP || err == -EEXIST);
	assert_int_equal(entries(e->target), 0);
}

static void proc_swapped(void **state)
{
	swapped(state, "proc", ((struct env *)*state)->target);
}

static void sys_swapped(void **state)
{
	swapped(state, "sys", ((struct env *)*state)->target);
}

static void pid_swapped(void **state)
{
	swapped(state, "proc/100", ((struct env *)*state)->target);
}

static void relative_link(void **state)
{
	swapped(state, "sys", "../target");
}

static uint64_t bytes_below(int dirfd)
{
	struct dirent *de;
	struct stat st;
	uint64_t sum = 0;
	DIR *d = fdopendir(dup(dirfd));

	assert_non_null(d);
	while ((de = readdir(d))) {
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "PARTIAL"))
			continue;
		assert_int_equal(fstatat(dirfd, de->d_name, &st,
					 AT_SYMLINK_NOFOLLOW), 0);
		if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			sum += (uint64_t)st.st_size;
			continue;
		}
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY);
		assert_true(sub >= 0);
		sum += bytes_below(sub);
		close(sub);
	}
	closedir(d);
	return sum;
}

/*
 * 10 fdinfo files of 64 KiB, a limit of 200 KiB: the capture stops inside
 * process 100, which is then left out whole; never more than the limit.
 */
static void byte_limit(void **state)
{
	struct env *e = *state;
	char path[PATH_MAX * 2], line[256] = "";
	uint64_t max = 200 << 10, written;
	FILE *f;
	int fd;

	assert_int_equal(test_gpumem_capture(e->src.root, e->dir, max),
			 -EFBIG);
	fd = open(e->dir, O_RDONLY | O_DIRECTORY);
	written = bytes_below(fd);
	close(fd);
	print_message("# limit %llu, written %llu\n", (unsigned long long)max,
		      (unsigned long long)written);
	assert_true(written <= max);
	snprintf(path, sizeof(path), "%s/PARTIAL", e->dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "byte limit"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(proc_swapped, setup, teardown),
		cmocka_unit_test_setup_teardown(sys_swapped, setup, teardown),
		cmocka_unit_test_setup_teardown(pid_swapped, setup, teardown),
		cmocka_unit_test_setup_teardown(relative_link, setup, teardown),
		cmocka_unit_test_setup_teardown(byte_limit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
