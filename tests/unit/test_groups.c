// SPDX-License-Identifier: MIT
/*
 * gpumem_group(): each process in one group, the groups' PSS-like sums
 * those of the processes, for every kind of group; and the process tree
 * (GPUMEM_GROUP_TREE) of holders whose PPid: lines say what a --root tree
 * likes: a parent that holds nothing, one that is not there, none known,
 * a process its own parent, two each other's, a long chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* pid holds a dma-buf of its own, ino = pid, and buffer 9 shared. */
static void holder(struct fx *f, pid_t pid, long ppid, bool shared)
{
	char path[64], info[256], comm[16];

	snprintf(comm, sizeof(comm), "p%d", (int)pid);
	fx_process(f, pid, comm);
	snprintf(info, sizeof(info), "pos:\t0\nflags:\t02\nmnt_id:\t16\n"
		 "ino:\t%d\nsize:\t%d\ncount:\t1\nexp_name:\tsystem\n",
		 (int)pid, 4096 * (int)pid);
	fx_fd(f, pid, 3, "/dmabuf:", info);
	if (shared)
		fx_fd(f, pid, 4, "/dmabuf:", "pos:\t0\nflags:\t02\nmnt_id:\t16\n"
		      "ino:\t9\nsize:\t3000\ncount:\t1\nexp_name:\tsystem\n");
	snprintf(path, sizeof(path), "proc/%d/status", (int)pid);
	if (ppid >= 0)
		fx_write(f, path, "Name:\tp\nPPid:\t%ld\nUid:\t%d\t0\t0\t0\n",
			 ppid, (int)pid % 3);
}

static const struct gpumem_group *named(const struct gpumem_group *g,
					size_t nr, const char *name)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (!strcmp(gpumem_at(g, i)->name, name))
			return gpumem_at(g, i);
	}
	fail_msg("no group %s", name);
	return NULL;
}

/* Every process in one group: the counts and the PSS sums close. */
static void check_closes(const struct gpumem_snapshot *s,
			 enum gpumem_group_by by)
{
	const struct gpumem_process *p;
	struct gpumem_group *g;
	uint64_t gpu = 0, dma = 0, ggpu = 0, gdma = 0;
	unsigned int procs = 0;
	size_t i, nr, np;

	p = gpumem_processes(s, &np);
	for (i = 0; i < np; i++) {
		gpu += gpumem_at(p, i)->gpu_pss_bytes;
		dma += gpumem_at(p, i)->dmabuf_pss_bytes;
	}
	assert_int_equal(gpumem_group(s, by, &g, &nr), 0);
	for (i = 0; i < nr; i++) {
		procs += gpumem_at(g, i)->nr_processes;
		ggpu += gpumem_at(g, i)->gpu_pss_bytes;
		gdma += gpumem_at(g, i)->dmabuf_pss_bytes;
	}
	assert_int_equal(procs, np);
	assert_int_equal(ggpu, gpu);
	assert_int_equal(gdma, dma);
	assert_true(dma > 0);
	gpumem_group_free(g);
}

static void test_tree(void **state)
{
	struct gpumem_snapshot *s;
	struct gpumem_group *g;
	const struct gpumem_group *x;
	size_t nr;
	struct fx f;

	(void)state;
	fx_init(&f);
	holder(&f, 101, 100, true);	/* 100 holds nothing */
	holder(&f, 102, 101, false);
	holder(&f, 103, 102, false);
	holder(&f, 200, 200, false);	/* its own parent */
	holder(&f, 301, 300, false);	/* 300 and 301 each other's */
	holder(&f, 300, 301, true);
	holder(&f, 302, 301, false);
	holder(&f, 400, -1, false);	/* no status */
	holder(&f, 500, 9999, false);	/* a parent not in the tree */
	holder(&f, 501, 500, false);
	s = fx_snapshot(&f, 0, 0);
	assert_int_equal(gpumem_process_ppid(fx_proc(s, 400)),
			 GPUMEM_PID_UNKNOWN);
	assert_int_equal(gpumem_group(s, GPUMEM_GROUP_TREE, &g, &nr), 0);
	assert_int_equal(nr, 5);
	x = named(g, nr, "101 p101");
	assert_int_equal(x->root, 101);
	assert_int_equal(x->nr_processes, 3);
	/* 4096 * pid each, and half of the 3000 shared with 300 */
	assert_int_equal(x->dmabuf_pss_bytes, 4096 * (101 + 102 + 103) + 1500);
	assert_int_equal(named(g, nr, "200 p200")->nr_processes, 1);
	/* The loop's smallest pid is its root, whichever was read first. */
	x = named(g, nr, "300 p300");
	assert_int_equal(x->nr_processes, 3);
	assert_int_equal(x->dmabuf_pss_bytes, 4096 * (300 + 301 + 302) + 1500);
	assert_int_equal(named(g, nr, "400 p400")->nr_processes, 1);
	assert_int_equal(named(g, nr, "500 p500")->nr_processes, 2);
	/* Largest first. */
	assert_int_equal(gpumem_at(g, 0)->root, 500);
	gpumem_group_free(g);
	check_closes(s, GPUMEM_GROUP_TREE);
	check_closes(s, GPUMEM_GROUP_USER);
	check_closes(s, GPUMEM_GROUP_CGROUP);
	check_closes(s, GPUMEM_GROUP_UNIT);
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

/* A chain of a thousand, its first the child of its last: one loop. */
static void test_long_chain(void **state)
{
	enum { LEN = 1000 };
	struct gpumem_snapshot *s;
	struct gpumem_group *g;
	size_t nr;
	struct fx f;
	pid_t pid;

	(void)state;
	fx_init(&f);
	for (pid = 1000; pid < 1000 + LEN; pid++)
		holder(&f, pid, pid == 1000 ? 1000 + LEN - 1 : pid - 1, false);
	s = fx_snapshot(&f, 0, 0);
	assert_int_equal(gpumem_group(s, GPUMEM_GROUP_TREE, &g, &nr), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(g->root, 1000);
	assert_int_equal(g->nr_processes, LEN);
	gpumem_group_free(g);
	check_closes(s, GPUMEM_GROUP_TREE);
	gpumem_snapshot_free(s);
	fx_cleanup(&f);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(gpumem_group_by_name(GPUMEM_GROUP_TREE), "tree");
	assert_string_equal(gpumem_group_by_name(GPUMEM_GROUP_USER), "user");
	assert_string_equal(gpumem_group_by_name((enum gpumem_group_by)99),
			    "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_long_chain),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
