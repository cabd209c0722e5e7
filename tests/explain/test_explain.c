// SPDX-License-Identifier: MIT
/*
 * gpumem explain on captured trees (--root): meminfo of kernels 6.1 to 7.1
 * (tests/explain/meminfo/, fields come and go), the lines add up to
 * MemTotal, each page once, and malformed input is an error naming the
 * file, never a partial table.
 */
#include <errno.h>
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
#include "model/model.h"

#define KB 1024ll
#define SAMPLES SOURCE_DIR "/meminfo/"
#define ROLLUP "55d0a0000000-7ffc00000000 ---p 00000000 00:00 0 [rollup]\n" \
	"Rss:                1200 kB\nPss:                1000 kB\n" \
	"Pss_Anon:            600 kB\nPss_File:            300 kB\n" \
	"Pss_Shmem:           100 kB\nSwapPss:               8 kB\n"
#define ZONEINFO "Node 0, zone   Normal\n  pagesets\n    cpu: 0\n" \
	"              count: 10\n              high:  100\n    cpu: 1\n" \
	"              count: 6\n"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void tree(struct fx *f, const char *sample)
{
	char path[512], *text;

	snprintf(path, sizeof(path), SAMPLES "%s", sample);
	text = slurp(path);
	fx_write(f, "proc/meminfo", "%s", text);
	free(text);
	fx_write(f, "proc/zoneinfo", ZONEINFO);
	fx_process(f, 100, "app");
	fx_write(f, "proc/100/smaps_rollup", ROLLUP);
}

static struct gpumem_explain *take(struct fx *f, pid_t pid, int want,
				   char *why)
{
	struct gpumem_opts o = { GPUMEM_OPTS_INIT, .root = f->root, .pid = pid };
	struct gpumem_explain *e = NULL;

	assert_int_equal(gpumem_explain_take(&o, &e, why, 512), want);
	return e;
}

static int64_t line(const struct gpumem_explain *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nr_lines; i++) {
		if (!strcmp(e->lines[i].name, name))
			return e->lines[i].bytes;
	}
	return INT64_MIN;
}

static void assert_adds_up(const struct gpumem_explain *e)
{
	int64_t sum = 0;
	size_t i;

	for (i = 0; i < e->nr_lines; i++)
		sum += e->lines[i].bytes;
	assert_int_equal(sum, (int64_t)e->mem_total);
	assert_string_equal(e->lines[e->nr_lines - 1].name, "unexplained");
}

/* The same meminfo figures in every sample: the arithmetic does not move. */
static void check_sample(void **state, const char *sample)
{
	struct fx *f = *state;
	struct gpumem_explain *e;
	char why[512];
	int64_t known;

	tree(f, sample);
	e = take(f, 0, 0, why);
	assert_adds_up(e);
	assert_int_equal(line(e, "free"), 9873320 * KB);
	assert_int_equal(line(e, "free, per-cpu lists"), 16 * 4096);
	assert_int_equal(line(e, "page cache"), (245112 + 3390044 - 150232) * KB);
	assert_int_equal(line(e, "anonymous"), 600 * KB);
	assert_int_equal(line(e, "shared memory"), 150232 * KB);
	assert_int_equal(line(e, "slab"), 386084 * KB);
	assert_int_equal(line(e, "other reclaimable"), (201420 - 190412) * KB);
	known = 9873320 + 245112 + 3390044 + 1024 + 600 + 386084 + 17312 +
		36408 + 59532 + 9536 + 2048 + 201420 - 190412;
	assert_int_equal(line(e, "unexplained"),
			 (16316412 - known) * KB - 16 * 4096);
	assert_int_equal(e->processes, 1);
	gpumem_explain_free(e);
}

static void test_6_1(void **state) { check_sample(state, "6.1"); }
static void test_6_6(void **state) { check_sample(state, "6.6"); }
static void test_6_12(void **state) { check_sample(state, "6.12"); }
static void test_6_13(void **state) { check_sample(state, "6.13"); }

/* A real 6.18 meminfo (the build host's): the lines add up. */
static void test_6_18_host(void **state)
{
	struct fx *f = *state;
	struct gpumem_explain *e;
	char why[512];

	tree(f, "6.18");
	e = take(f, 0, 0, why);
	assert_adds_up(e);
	gpumem_explain_free(e);
}

/* Unknown fields are kept; a field without kB is a count, not bytes. */
static void test_kv_fields(void **state)
{
	const char *t = "MemTotal:  100 kB\nFutureField:   7 kB\n"
			"HugePages_Total:   5\nShadowCallStack:12345678 kB\n";
	struct gm_kvs kvs = { 0 };
	unsigned int bad = 0;

	(void)state;
	assert_int_equal(gm_kv_parse(t, strlen(t), false, &kvs, &bad), 0);
	assert_int_equal(gm_kv_get(&kvs, "FutureField"), 7 * KB);
	assert_int_equal(gm_kv_get(&kvs, "HugePages_Total"), 5);
	assert_false(gm_kv_find(&kvs, "HugePages_Total")->kb);
	assert_int_equal(gm_kv_get(&kvs, "ShadowCallStack"), 12345678 * KB);
	assert_null(gm_kv_find(&kvs, "Balloon"));
	gm_kvs_free(&kvs);
}

static void expect_bad(void **state, const char *sample, const char *want)
{
	struct fx *f = *state;
	char why[512];

	tree(f, sample);
	assert_null(take(f, 0, -EBADMSG, why));
	assert_non_null(strstr(why, want));
	assert_non_null(strstr(why, "proc/meminfo"));
}

static void test_bad_value(void **state) { expect_bad(state, "bad-value", "line 4"); }
static void test_bad_colon(void **state) { expect_bad(state, "bad-colon", "line 2"); }
static void test_duplicate(void **state) { expect_bad(state, "duplicate", "line 2"); }
static void test_empty(void **state) { expect_bad(state, "empty", "line 0"); }
static void test_no_memtotal(void **state) { expect_bad(state, "no-memtotal", "no MemTotal"); }

static void test_bad_rollup(void **state)
{
	struct fx *f = *state;
	char why[512];

	tree(f, "6.12");
	fx_write(f, "proc/100/smaps_rollup", "header\nPss: x kB\n");
	assert_null(take(f, 0, -EBADMSG, why));
	assert_non_null(strstr(why, "100/smaps_rollup"));
}

/* root reads anything: the tree is read as nobody, then root again. */
static void as_nobody(struct fx *f)
{
	assert_int_equal(chmod(f->root, 0755), 0);
	if (!geteuid())
		assert_int_equal(seteuid(65534), 0);
}

static void as_root_again(void)
{
	if (!getuid())
		assert_int_equal(seteuid(0), 0);
}

/* An unreadable process is said, and its memory stays in unexplained. */
static void test_unreadable(void **state)
{
	struct fx *f = *state;
	struct gpumem_explain *e;
	char why[512];

	tree(f, "6.12");
	fx_chmod(f, "proc/100/smaps_rollup", 0);
	as_nobody(f);
	e = take(f, 0, 0, why);
	as_root_again();
	assert_int_equal(e->unreadable, 1);
	assert_int_equal(line(e, "anonymous"), 0);
	assert_true(e->nr_missing >= 1);
	assert_adds_up(e);
	gpumem_explain_free(e);
}

static bool said(const struct gpumem_explain *e, const char *what)
{
	unsigned int i;

	for (i = 0; i < e->nr_missing; i++) {
		if (strstr(e->missing[i], what))
			return true;
	}
	return false;
}

static void assert_no_negative_line(const struct gpumem_explain *e)
{
	size_t i;

	for (i = 0; i + 1 < e->nr_lines; i++) {
		if (e->lines[i].bytes < 0)
			fail_msg("line %s is %lld", e->lines[i].name,
				 (long long)e->lines[i].bytes);
	}
}

/*
 * meminfo with one field removed, each field in turn: a missing field is
 * said, never read as 0, and no line but unexplained goes below zero.
 */
static void test_missing_fields(void **state)
{
	static const char *const named[] = {
		"MemFree", "Buffers", "Cached", "Shmem", NULL,
	};
	struct fx *f = *state;
	char path[512], *text, *line, *rest;
	char why[512];

	snprintf(path, sizeof(path), SAMPLES "6.12");
	text = slurp(path);
	for (line = text; *line; line = rest) {
		struct gpumem_explain *e;
		char key[64];
		size_t i;

		rest = strchr(line, '\n');
		rest = rest ? rest + 1 : line + strlen(line);
		assert_int_equal(sscanf(line, "%63[^:]", key), 1);
		fx_write(f, "proc/meminfo", "%.*s%s", (int)(line - text), text,
			 rest);
		fx_write(f, "proc/zoneinfo", ZONEINFO);
		fx_process(f, 100, "app");
		fx_write(f, "proc/100/smaps_rollup", ROLLUP);
		if (!strcmp(key, "MemTotal")) {
			take(f, 0, -EBADMSG, why);
			continue;
		}
		e = take(f, 0, 0, why);
		assert_adds_up(e);
		assert_no_negative_line(e);
		for (i = 0; named[i]; i++) {
			if (!strcmp(key, named[i]) && !said(e, key))
				fail_msg("no word of the missing %s", key);
		}
		gpumem_explain_free(e);
	}
	free(text);
}

/* Inputs that disagree make no negative line: they are said. */
static void test_disagreeing_inputs(void **state)
{
	struct fx *f = *state;
	struct gpumem_explain *e;
	char why[512];

	fx_write(f, "proc/meminfo", "MemTotal: 1000 kB\nMemFree: 100 kB\n"
		 "Buffers: 10 kB\nCached: 20 kB\nShmem: 50 kB\n");
	fx_write(f, "proc/zoneinfo", ZONEINFO);
	e = take(f, 0, 0, why);
	assert_int_equal(line(e, "page cache"), 0);
	assert_true(said(e, "disagree"));
	assert_no_negative_line(e);
	assert_adds_up(e);
	gpumem_explain_free(e);
}

/* -p of a process that is there but unreadable: permission, not ESRCH. */
static void test_pid_denied(void **state)
{
	struct fx *f = *state;
	char why[512];

	tree(f, "6.12");
	fx_chmod(f, "proc/100/smaps_rollup", 0);
	as_nobody(f);
	take(f, 100, -EACCES, why);
	take(f, 4242, -ESRCH, why);
	as_root_again();
	assert_non_null(strstr(why, "no such process"));
}

/* System-heap dma-bufs add a line; udmabufs come out of shared memory. */
static void test_dmabuf_lines(void **state)
{
	struct fx *f = *state;
	struct gpumem_explain *e;
	char why[512];

	tree(f, "6.12");
	fx_fd(f, 100, 5, "/dmabuf:", "pos:\t0\nflags:\t02\nmnt_id:\t9\n"
	      "ino:\t11\nsize:\t8388608\ncount:\t1\nexp_name:\tsystem\n");
	fx_fd(f, 100, 6, "/dmabuf:", "pos:\t0\nflags:\t02\nmnt_id:\t9\n"
	      "ino:\t12\nsize:\t4194304\ncount:\t1\nexp_name:\tudmabuf\n");
	e = take(f, 100, 0, why);
	assert_adds_up(e);
	assert_int_equal(line(e, "dma-buf system fd"), 8388608);
	assert_int_equal(line(e, "dma-buf udmabuf fd"), 4194304);
	assert_int_equal(line(e, "shared memory"), 150232 * KB - 4194304);
	assert_true(e->has_process);
	assert_int_equal(e->process.pss, 1000 * KB);
	assert_int_equal(e->process.dmabuf_pss, 8388608 + 4194304);
	assert_int_equal(e->process.total, 1000 * KB + 8388608 + 4194304);
	gpumem_explain_free(e);
}

#define AMD_DEV "pci0000:00/0000:00:01.0/0000:03:00.0"
#define MIB (1024ll * 1024)

/*
 * An amdgpu (a TTM driver): 1 GiB of VRAM and 100 MiB of GTT in use by its
 * counters, 8 MiB of it exported as a dma-buf that process 100 holds.
 */
static void amdgpu(struct fx *f)
{
	fx_card(f, 0, 128, AMD_DEV, "DRIVER=amdgpu\nPCI_ID=1002:744C\n"
		"PCI_SLOT_NAME=0000:03:00.0\n");
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_vram_used", "%lld\n",
		 1024 * MIB);
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_gtt_used", "%lld\n",
		 100 * MIB);
	/* The counters are read as such only where a capacity is given. */
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_vram_total", "%lld\n",
		 16384 * MIB);
	fx_fd(f, 100, 5, "/dmabuf:", "pos:\t0\nflags:\t02\nmnt_id:\t9\n"
	      "ino:\t11\nsize:\t8388608\ncount:\t1\nexp_name:\tamdgpu\n");
}

/*
 * 7.1's GPUActive holds the TTM device's GTT and its exported buffer: the
 * device and dma-buf lines keep them, GPUActive gives only the rest;
 * GPUReclaim is a line of its own.  Each page once: the lines still add up.
 */
static void test_7_1_gpu_pools(void **state)
{
	struct fx *f = *state;
	struct gpumem_explain *e, *before;
	char why[512];

	tree(f, "6.13");
	amdgpu(f);
	before = take(f, 0, 0, why);
	assert_true(said(before, "no GPUActive"));
	tree(f, "7.1");
	e = take(f, 0, 0, why);
	assert_adds_up(e);
	assert_false(said(e, "GPUActive"));
	assert_int_equal(line(e, "card0 amdgpu"), 92 * MIB);
	assert_int_equal(line(e, "dma-buf amdgpu fd"), 8 * MIB);
	assert_int_equal(line(e, "GPU pool pages, other"), 300 * MIB);
	assert_int_equal(line(e, "GPU pools, reclaimable"), 64 * MIB);
	assert_int_equal(line(e, "unexplained"),
			 line(before, "unexplained") - 364 * MIB);
	gpumem_explain_free(before);
	gpumem_explain_free(e);
}

/* GPUActive below what the device lines hold: said, never negative. */
static void test_7_1_gpu_active_short(void **state)
{
	struct fx *f = *state;
	struct gpumem_explain *e;
	char why[512];

	tree(f, "7.1");
	amdgpu(f);
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_gtt_used", "%lld\n",
		 500 * MIB);
	e = take(f, 0, 0, why);
	assert_adds_up(e);
	assert_int_equal(line(e, "GPU pool pages, other"), 0);
	assert_true(said(e, "GPU pool pages, other"));
	assert_no_negative_line(e);
	gpumem_explain_free(e);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_6_1),
		T(test_6_6),
		T(test_6_12),
		T(test_6_13),
		T(test_6_18_host),
		cmocka_unit_test(test_kv_fields),
		T(test_bad_value),
		T(test_bad_colon),
		T(test_duplicate),
		T(test_empty),
		T(test_no_memtotal),
		T(test_bad_rollup),
		T(test_unreadable),
		T(test_dmabuf_lines),
		T(test_7_1_gpu_pools),
		T(test_7_1_gpu_active_short),
		T(test_missing_fields),
		T(test_disagreeing_inputs),
		T(test_pid_denied),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
