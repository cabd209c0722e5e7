// SPDX-License-Identifier: MIT
/*
 * Churn on the live system: processes holding memfds and pipes are born
 * and die while gpumem scans.  Every scan must succeed, every process seen
 * must be accounted for (scanned, vanished or unreadable), and the shares
 * must still add up.  The churn must really be observed: a run that never
 * saw a process vanish proves nothing, and fails.
 *
 * The /proc walk is what sees processes vanish; the BPF iterator sees each
 * process at one moment, and its scans under the same churn must succeed
 * and add up the same way.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gpumem/gpumem.h"

#define MAX_SCANS 3000
#define MIN_SCANS 100
#define WANT_VANISHED 10

static void hold_and_exit(unsigned int seed)
{
	struct timespec ts = { 0, (long)(seed % 2000) * 1000 };
	int p[2];

	if (memfd_create("gpumem-churn", 0) < 0 || pipe(p))
		_exit(1);
	nanosleep(&ts, NULL);
	_exit(0);
}

/* Keeps about 32 short-lived children alive until killed. */
static void spawner(void)
{
	unsigned int seed = (unsigned int)getpid();
	int alive = 0;

	for (;;) {
		pid_t pid;

		while (alive < 32) {
			seed = seed * 1103515245u + 12345u;
			pid = fork();
			if (pid == 0)
				hold_and_exit(seed >> 8);
			if (pid > 0)
				alive++;
		}
		if (waitpid(-1, NULL, 0) > 0)
			alive--;
	}
}

static void check_sums(const struct gpumem_snapshot *s)
{
	const struct gpumem_process *p;
	const struct gpumem_client *c;
	uint64_t pss = 0, dpss = 0, known = 0;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		assert_true(p[i].gpu_pss_bytes <= p[i].gpu_total_bytes);
		assert_true(p[i].dmabuf_pss_bytes <= p[i].dmabuf_rss_bytes);
		assert_true(p[i].gpu_total_bytes < (1ull << 63));
		pss += p[i].gpu_pss_bytes;
		dpss += p[i].dmabuf_pss_bytes;
	}
	c = gpumem_clients(s, &nr);
	for (i = 0; i < nr; i++)
		known += c[i].mem_known && c[i].nr_holders ? c[i].bytes : 0;
	assert_int_equal(pss, known);
	assert_int_equal(dpss, gpumem_dmabuf_totals(s)->userspace_bytes);
}

static pid_t start_churn(void)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		/* Its own group, so that one kill ends it and its children. */
		setpgid(0, 0);
		spawner();
	}
	return child;
}

static unsigned int scan_once(struct gpumem_scanner *sc)
{
	const struct gpumem_scan_stats *st;
	struct gpumem_snapshot *s;
	unsigned int vanished;

	assert_int_equal(gpumem_scanner_sample(sc, false, &s), 0);
	st = gpumem_scan_stats(s);
	assert_int_equal(st->listed, st->processes + st->vanished +
			 st->unreadable_processes);
	vanished = st->vanished;
	check_sums(s);
	gpumem_snapshot_free(s);
	return vanished;
}

static void test_scan_under_churn(void **state)
{
	struct gpumem_opts o = { GPUMEM_OPTS_INIT, .discovery = GPUMEM_DISCOVERY_PROC };
	unsigned int scans, vanished = 0;
	struct gpumem_scanner *sc;
	pid_t child;

	(void)state;
	assert_int_equal(gpumem_scanner_new(&o, &sc), 0);
	child = start_churn();
	for (scans = 0; scans < MAX_SCANS; scans++) {
		if (scans >= MIN_SCANS && vanished >= WANT_VANISHED)
			break;
		vanished += scan_once(sc);
	}
	kill(-child, SIGKILL);
	waitpid(child, NULL, 0);
	gpumem_scanner_free(sc);
	print_message("# %u scans, %u processes vanished mid-scan\n", scans,
		      vanished);
	assert_true(vanished >= WANT_VANISHED);
}

static void test_iterator_under_churn(void **state)
{
	struct gpumem_opts o = { GPUMEM_OPTS_INIT, .discovery = GPUMEM_DISCOVERY_BPF };
	struct gpumem_scanner *sc;
	unsigned int scans;
	pid_t child;

	(void)state;
	assert_int_equal(gpumem_scanner_new(&o, &sc), 0);
	child = start_churn();
	for (scans = 0; scans < MIN_SCANS; scans++)
		scan_once(sc);
	kill(-child, SIGKILL);
	waitpid(child, NULL, 0);
	gpumem_scanner_free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_under_churn),
		cmocka_unit_test(test_iterator_under_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
