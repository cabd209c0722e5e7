// SPDX-License-Identifier: MIT
/*
 * The dmem cgroup source: its "NAME VALUE" lines as kernel/cgroup/dmem.c
 * prints them ("max" at PAGE_COUNTER_MAX), the walk of a v2 hierarchy
 * (tests/fixtures/dmem-xe: xe's vram0/vram1 regions) that stops where the
 * controller is not enabled and follows no link, a process's pools, and a
 * kernel without the controller: "not available", never an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "fixture.h"
#include "sources/sources.h"

#define XE SOURCE_DIR "/fixtures/dmem-xe"
#define VRAM0 "drm/0000:03:00.0/vram0"
#define DMEM(s) fx_source(s, "dmem-cgroup")

struct seen {
	char names[4][GPUMEM_NAME_MAX];
	uint64_t v[4];
	int nr;
};

static int collect(const char *name, size_t len, uint64_t v, void *ctx)
{
	struct seen *s = ctx;

	assert_true(s->nr < 4);
	snprintf(s->names[s->nr], GPUMEM_NAME_MAX, "%.*s", (int)len, name);
	s->v[s->nr++] = v;
	return 0;
}

static void test_parse(void **state)
{
	static const char text[] = VRAM0 " 17095983104\n"
		"drm/0000:c6:00.0/vram max\n";
	struct seen s = { .nr = 0 };
	unsigned int bad = 0;

	(void)state;
	assert_int_equal(gm_dmem_parse(text, strlen(text), collect, &s, &bad),
			 0);
	assert_int_equal(bad, 0);
	assert_int_equal(s.nr, 2);
	assert_string_equal(s.names[0], VRAM0);
	assert_int_equal(s.v[0], 17095983104ull);
	assert_string_equal(s.names[1], "drm/0000:c6:00.0/vram");
	assert_true(s.v[1] == GPUMEM_DMEM_MAX);
}

static void test_parse_malformed(void **state)
{
	static const char text[] = "novalue\n" VRAM0 " -1\n" VRAM0 " 12 KiB\n"
		" 5\n" VRAM0 " maximum\n\nok 7\n";
	struct seen s = { .nr = 0 };
	unsigned int bad = 0;
	char longname[GPUMEM_NAME_MAX + 8];

	(void)state;
	gm_dmem_parse(text, strlen(text), collect, &s, &bad);
	assert_int_equal(bad, 5);
	assert_int_equal(s.nr, 1);
	assert_string_equal(s.names[0], "ok");
	/* A name that does not fit is not cut into another region's. */
	memset(longname, 'r', sizeof(longname));
	memcpy(longname + sizeof(longname) - 3, " 1\n", 3);
	bad = 0;
	gm_dmem_parse(longname, sizeof(longname), collect, &s, &bad);
	assert_int_equal(bad, 1);
	assert_int_equal(gm_dmem_parse("a\0b 1\n", 6, collect, &s, &bad), 0);
	assert_int_equal(bad, 2);
}

static struct gpumem_snapshot *take(const char *root)
{
	struct gpumem_opts o = { GPUMEM_OPTS_INIT, .root = root };
	struct gpumem_snapshot *s = NULL;

	assert_int_equal(gpumem_snapshot_take(&o, &s), 0);
	return s;
}

static void test_walk(void **state)
{
	struct gpumem_snapshot *s = take(XE);
	const struct gpumem_dmem_region *r;
	const struct gpumem_dmem_pool *p;
	size_t nr, i;

	(void)state;
	assert_true(gpumem_dmem_available(s));
	r = gpumem_dmem_regions(s, &nr);
	assert_int_equal(nr, 2);
	assert_string_equal(r[0].name, VRAM0);
	assert_int_equal(r[0].capacity_bytes, 17095983104ull);
	assert_int_equal(r[1].capacity_bytes, 8585740288ull);
	p = gpumem_dmem_pools(s, &nr);
	/* root, init.scope, system.slice and its two services; user.slice
	 * has no dmem (its child's file is never read), loop is a link. */
	assert_int_equal(nr, 10);
	for (i = 0; i < nr; i++) {
		assert_null(strstr(p[i].cgroup, "user"));
		assert_null(strstr(p[i].cgroup, "loop"));
	}
	assert_string_equal(p[0].cgroup, "/");
	assert_false(p[0].limits);
	assert_int_equal(p[0].current_bytes, 6442450944ull);
	assert_string_equal(p[2].cgroup, "/init.scope");
	assert_string_equal(DMEM(s)->detail,
			    "2 regions, 5 cgroups read, 0 not readable");
	assert_int_equal(DMEM(s)->state, GPUMEM_SOURCE_FOUND);
	gpumem_snapshot_free(s);
}

/* The process in ollama.service gets that cgroup's pools, region by region. */
static void test_process_pools(void **state)
{
	struct gpumem_snapshot *s = take(XE);
	const struct gpumem_process *proc;
	const struct gpumem_dmem_pool *p;
	size_t nr;

	(void)state;
	proc = gpumem_processes(s, &nr);
	assert_int_equal(nr, 1);
	p = gpumem_cgroup_dmem(s, gpumem_process_cgroup(s, proc), &nr);
	assert_int_equal(nr, 2);
	assert_string_equal(p[0].cgroup, "/system.slice/ollama.service");
	assert_int_equal(p[0].region, 0);
	assert_int_equal(p[0].current_bytes, 5368709120ull);
	assert_int_equal(p[0].min_bytes, 4294967296ull);
	assert_true(p[0].low_bytes == GPUMEM_DMEM_MAX);
	assert_int_equal(p[0].max_bytes, 8589934592ull);
	assert_true(p[1].max_bytes == GPUMEM_DMEM_MAX);
	assert_null(gpumem_cgroup_dmem(s, NULL, &nr));
	assert_int_equal(nr, 0);
	gpumem_snapshot_free(s);
}

/* A capture holds the cgroup tree's dmem files: it reads back the same. */
static void test_capture(void **state)
{
	const struct gpumem_dmem_pool *p, *q;
	struct gpumem_snapshot *s, *t;
	char dir[PATH_MAX + 64];
	size_t nr, nq, i;
	struct fx f;

	(void)state;
	fx_init(&f);
	snprintf(dir, sizeof(dir), "%s/cap", f.root);
	assert_int_equal(gpumem_capture(XE, dir, 1 << 20), 0);
	s = take(XE);
	t = take(dir);
	p = gpumem_dmem_pools(s, &nr);
	q = gpumem_dmem_pools(t, &nq);
	assert_int_equal(nq, nr);
	for (i = 0; i < nr; i++) {
		assert_string_equal(q[i].cgroup, p[i].cgroup);
		assert_int_equal(q[i].current_bytes, p[i].current_bytes);
		assert_int_equal(q[i].max_bytes, p[i].max_bytes);
	}
	gpumem_dmem_regions(t, &nq);
	assert_int_equal(nq, 2);
	assert_string_equal(DMEM(t)->detail, DMEM(s)->detail);
	/* the planted link is not copied, nor a directory with nothing */
	snprintf(dir, sizeof(dir), "%s/cap/sys/fs/cgroup/system.slice/loop",
		 f.root);
	assert_int_equal(access(dir, F_OK), -1);
	gpumem_snapshot_free(t);
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the one opendir holds */
}

/*
 * Out of descriptors at any depth of a deep tree, a capture fails (and
 * says PARTIAL); it never ends complete with the deep cgroups missing.
 */
static void test_capture_out_of_fds(void **state)
{
	char path[PATH_MAX + 256], deep[256] = "sys/fs/cgroup";
	struct rlimit old, low;
	int base, extra, err, level;
	struct fx f;

	(void)state;
	fx_init(&f);
	fx_write(&f, "proc/version", "Linux version 6.14.0\n");
	fx_write(&f, "sys/fs/cgroup/cgroup.controllers", "dmem\n");
	fx_write(&f, "sys/fs/cgroup/dmem.capacity", "drm/0000:03:00.0/vram0 "
		 "1024\n");
	for (level = 0; level < 20; level++) {
		strcat(deep, "/a");
		snprintf(path, sizeof(path), "%s/dmem.current", deep);
		fx_write(&f, path, "drm/0000:03:00.0/vram0 %d\n", level);
	}
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	base = open_fds();
	for (extra = 1; extra < 64; extra++) {
		snprintf(path, sizeof(path), "%s/c%d", f.root, extra);
		low = (struct rlimit){ base + extra, old.rlim_max };
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
		err = gpumem_capture(f.root, path, 1 << 20);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
		/* failed: never marked complete; complete: nothing missing */
		if (err)
			snprintf(path, sizeof(path), "%s/c%d/gpumem-capture",
				 f.root, extra);
		else
			snprintf(path, sizeof(path), "%s/c%d/%s/dmem.current",
				 f.root, extra, deep);
		assert_int_equal(access(path, F_OK), err ? -1 : 0);
	}
	fx_cleanup(&f);
}

/* Before 6.14 (the VM's 6.12), or without CONFIG_CGROUP_DMEM. */
static void test_not_available(void **state)
{
	struct gpumem_snapshot *s;
	struct fx f;
	size_t nr;

	(void)state;
	fx_init(&f);
	fx_write(&f, "sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
	s = take(f.root);
	assert_false(gpumem_dmem_available(s));
	gpumem_dmem_pools(s, &nr);
	assert_int_equal(nr, 0);
	assert_int_equal(DMEM(s)->state, GPUMEM_SOURCE_MISSING);
	assert_non_null(strstr(DMEM(s)->detail, "no dmem controller"));
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
	/* No cgroup v2 hierarchy at all (a v1 host, a tree without one). */
	fx_init(&f);
	fx_dir(&f, "sys");
	s = take(f.root);
	assert_false(gpumem_dmem_available(s));
	assert_non_null(strstr(DMEM(s)->detail, "not available"));
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_process_pools),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_capture_out_of_fds),
		cmocka_unit_test(test_not_available),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
