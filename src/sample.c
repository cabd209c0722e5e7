// SPDX-License-Identifier: MIT
/*
 * A series of samples on the library's scanner, for gpumem INTERVAL,
 * gpumem record and gpumem top.  Each sample after the first is a
 * refresh: only the fds the last full walk found are read again (0.19x a
 * full walk).  A refresh does not see new processes or new fds, so a full
 * walk is made again now and then: by default whenever the time since the
 * last one pays for it at 1/REINDEX_SHARE_DIV of a core (a small machine is
 * walked every sample, one with 20,000 GPU fds every ten seconds or so),
 * and at least every REINDEX_MAX_S, or every --reindex seconds.  The
 * library itself walks at once when a refresh finds an indexed fd changed.
 */
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sample.h"

/* Full walks cost at most 1/REINDEX_SHARE_DIV of a core, on average. */
#define REINDEX_SHARE_DIV 200
/* A new process waits at most this long for the walk that finds it. */
#define REINDEX_MAX_S 10
#define NSEC 1000000000LL

int64_t sample_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

int sample_parse_interval(const char *s, int64_t *ns)
{
	char *end;
	double v;

	/* strtod takes "nan", "1e3", hex and blanks: only plain decimals. */
	if (!s[0] || s[strspn(s, "0123456789.")])
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end)
		return -EINVAL;
	if (v < 0.01 || v > 86400)
		return -ERANGE;
	*ns = (int64_t)llround(v * NSEC);
	return 0;
}

int sample_parse_count(const char *s, unsigned long *n)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] < '0' || s[0] > '9' || !v)
		return -EINVAL;
	*n = v;
	return 0;
}

int sample_set_reindex(void *args, const char *arg)
{
	struct sample_args *a = args;

	if (!strcmp(arg, "0")) {
		a->plan.reindex_ns = 0;
		return 0;
	}
	return sample_parse_interval(arg, &a->plan.reindex_ns);
}

/* INTERVAL [COUNT]: an INTERVAL alone samples until stopped. */
static int sample_operands(struct sample_plan *p, int nr, char **ops)
{
	if (nr > 0) {
		p->count = 0;
		/* "gpumem --root DIR sources": show took the options. */
		if (cli_is_command(ops[0]))
			return usage_error("a command goes before the options "
					   "(gpumem COMMAND [OPTIONS])", ops[0]);
		if (sample_parse_interval(ops[0], &p->interval_ns))
			return usage_error("invalid interval (seconds, 0.01 "
					   "to 86400)", ops[0]);
	}
	if (nr > 1 && sample_parse_count(ops[1], &p->count))
		return usage_error("invalid count", ops[1]);
	return -1;
}

int sampler_open(struct sampler *sm, const struct gpumem_opts *opts,
		 const struct sample_plan *p)
{
	*sm = (struct sampler){ .plan = p };
	return gpumem_scanner_new(opts, &sm->sc);
}

void sampler_close(struct sampler *sm)
{
	gpumem_scanner_free(sm->sc);
	sm->sc = NULL;
}

static bool want_full(const struct sampler *sm)
{
	int64_t since = sample_now_ns(CLOCK_MONOTONIC) - sm->last_full_ns;

	if (!sm->taken)
		return true;
	if (sm->plan->reindex_ns >= 0)
		return since >= sm->plan->reindex_ns;
	return since >= REINDEX_MAX_S * NSEC ||
	       since / REINDEX_SHARE_DIV >= sm->full_cpu_ns;
}

int sampler_take(struct sampler *sm, struct gpumem_snapshot **out)
{
	bool full = want_full(sm);
	int64_t cpu = sample_now_ns(CLOCK_PROCESS_CPUTIME_ID);
	int err = gpumem_scanner_sample(sm->sc, !full, out);

	if (err)
		return err;
	if (full || !gpumem_scan_stats(*out)->refreshed) {
		sm->last_full_ns = sample_now_ns(CLOCK_MONOTONIC);
		sm->full_cpu_ns = sample_now_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	}
	sm->taken++;
	return 0;
}

/* Sleeps to the start of the next interval; a late sample skips slots. */
static void wait_next(const struct sample_plan *p, int64_t start,
		      unsigned long n)
{
	int64_t next = start + (int64_t)n * p->interval_ns;
	int64_t now = sample_now_ns(CLOCK_MONOTONIC);
	struct timespec ts;

	if (next < now)
		next += ((now - next) / p->interval_ns + 1) * p->interval_ns;
	ts.tv_sec = next / NSEC;
	ts.tv_nsec = next % NSEC;
	while (!cli_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					    &ts, NULL) == EINTR)
		;
}

/*
 * *taken: how many samples were emitted.  0 for a series that ended as it
 * should (count reached, a signal, a replayed series at its end, -EPIPE
 * from emit), or the negative errno of the scan or of emit.
 */
static int sample_run(const struct gpumem_opts *opts,
		      const struct sample_plan *p, sample_emit_fn *emit,
		      void *ctx, unsigned long *taken)
{
	struct sampler sm;
	struct gpumem_snapshot *s;
	int64_t start = sample_now_ns(CLOCK_MONOTONIC);
	unsigned long n;
	int err;

	*taken = 0;
	err = sampler_open(&sm, opts, p);
	if (err)
		return err;
	cli_catch_stop();
	for (n = 0; !cli_stop && (!p->count || n < p->count); n++) {
		if (n)
			wait_next(p, start, n);
		if (cli_stop)
			break;
		err = sampler_take(&sm, &s);
		if (err)
			break;
		if (!n)
			cli_warn_discovery(opts, s);
		cli_warn_partial(opts->root, s, n);
		err = emit(ctx, s, n);
		gpumem_snapshot_free(s);
		if (err)
			break;
		*taken = n + 1;
	}
	sampler_close(&sm);
	return err == -EPIPE || err == -ENODATA ? 0 : err;
}

static int snapshot_error(const struct sample_args *a, int err)
{
	const char *root = a->c.opts.root ? a->c.opts.root : "/";

	if (err == -ESRCH) {
		fprintf(stderr, "gpumem: no process %d\n", (int)a->c.opts.pid);
		return EXIT_USAGE;
	}
	/* With -p, EACCES is the process's fds: /proc itself was opened. */
	if (err == -EACCES && a->c.opts.pid) {
		fprintf(stderr, "gpumem: process %d is not readable by this "
			"user: run as root or with CAP_SYS_PTRACE\n",
			(int)a->c.opts.pid);
		return EXIT_NO_SOURCE;
	}
	if (err == -ENOENT || err == -ENOTDIR || err == -EACCES) {
		fprintf(stderr, "gpumem: cannot read %s%sproc: %s\n", root,
			root[strlen(root) - 1] == '/' ? "" : "/", strerror(-err));
		return EXIT_NO_SOURCE;
	}
	fprintf(stderr, "gpumem: scan failed: %s\n", strerror(-err));
	return EXIT_RUNTIME;
}

int sample_error(const struct sample_args *a, int err, unsigned long taken,
		 int out_err)
{
	if (!taken && !out_err)
		return snapshot_error(a, err);
	if (out_err) {
		fprintf(stderr, "gpumem: writing output: %s\n", strerror(-err));
		return EXIT_RUNTIME;
	}
	if (err == -ESRCH) {
		fprintf(stderr, "gpumem: process %d exited after %lu "
			"samples\n", (int)a->c.opts.pid, taken);
		return EXIT_OK;
	}
	fprintf(stderr, "gpumem: sample %lu: %s\n", taken + 1, strerror(-err));
	return EXIT_RUNTIME;
}

int sample_parse(int argc, char **argv, const struct cli_opt *opts,
		 struct sample_args *a, const char *usage, const char *file,
		 int *file_at)
{
	int ret, first;

	ret = cli_parse_operands(argc, argv, opts, a, usage, file ? 3 : 2,
				 &first);
	if (ret >= 0)
		return ret;
	if (file) {
		if (first >= argc)
			return usage_error("missing FILE for", file);
		*file_at = first++;
	}
	return sample_operands(&a->plan, argc - first, argv + first);
}

int sample_main(const struct sample_args *a, sample_emit_fn *emit, void *ctx,
		const int *out_err)
{
	unsigned long taken;
	int err;

	err = sample_run(&a->c.opts, &a->plan, emit, ctx, &taken);
	return err ? sample_error(a, err, taken, *out_err) : EXIT_OK;
}
