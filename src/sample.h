/* SPDX-License-Identifier: MIT */
/*
 * A series of samples, the way iostat and the libbpf tools take them: one
 * every interval, count of them, until SIGINT or SIGTERM or until the
 * reader of a pipe goes away.  gpumem [interval [count]], gpumem record
 * and gpumem top --batch run the loop; gpumem top's terminal, which waits
 * for keys as well, takes its samples from the same sampler.
 */
#ifndef GPUMEM_SAMPLE_H
#define GPUMEM_SAMPLE_H

#include <stdint.h>
#include <time.h>

#include "cli.h"
#include "gpumem/gpumem.h"

struct sample_plan {
	int64_t interval_ns;	/* between the starts of two samples */
	unsigned long count;	/* 0: until stopped */
	int64_t reindex_ns;	/* < 0: as often as a full walk's cost allows */
};

/* The arguments of a sampling command begin with this. */
struct sample_args {
	struct cli_common c;	/* first: the common setters cast to it */
	struct sample_plan plan;
};

int sample_set_reindex(void *args, const char *arg);
#define SAMPLE_OPT_REINDEX { "reindex", 257, true, sample_set_reindex }
/* "--reindex SEC  ..." for a usage text. */
#define SAMPLE_USAGE_REINDEX \
"      --reindex SEC   walk all of /proc at least every SEC seconds (0: every\n" \
"                      sample); the samples between re-read only the fds\n" \
"                      found, so a new process or fd waits for the next walk.\n" \
"                      Default: as often as a walk costs 0.5% of a core,\n" \
"                      and at least every 10 s\n"

/*
 * Called with each sample, n from 0.  A negative errno stops the series:
 * -EPIPE as the end of it (the reader went away), others as errors.
 */
typedef int sample_emit_fn(void *ctx, const struct gpumem_snapshot *s,
			   unsigned long n);

/* "0.5", "2": seconds, from 10 ms to a day. */
int sample_parse_interval(const char *s, int64_t *ns);
/* A count of samples, at least 1. */
int sample_parse_count(const char *s, unsigned long *n);

/*
 * Parses argv: opts, then FILE when file names the command, then INTERVAL
 * [COUNT] into a->plan (an INTERVAL alone: until stopped; none: a->plan as
 * the caller set it).  *file_at: FILE's index.  -1 to go on, or the exit
 * code of --help or a usage error.
 */
int sample_parse(int argc, char **argv, const struct cli_opt *opts,
		 struct sample_args *a, const char *usage, const char *file,
		 int *file_at);
/*
 * Samples on a scanner, each after the first a refresh unless a full walk
 * is due (the rule at the top of sample.c).
 */
struct sampler {
	const struct sample_plan *plan;
	struct gpumem_scanner *sc;
	unsigned long taken;
	int64_t last_full_ns;	/* CLOCK_MONOTONIC */
	int64_t full_cpu_ns;	/* what the last full walk cost */
};

int sampler_open(struct sampler *sm, const struct gpumem_opts *opts,
		 const struct sample_plan *p);
int sampler_take(struct sampler *sm, struct gpumem_snapshot **out);
void sampler_close(struct sampler *sm);
int64_t sample_now_ns(clockid_t clk);

/*
 * The exit code of a series that failed with err after taken samples
 * (out_err: emit's, the output's), said on stderr.
 */
int sample_error(const struct sample_args *a, int err, unsigned long taken,
		 int out_err);
/* Takes the series; the exit code (gpumem(1)), failures said on stderr. */
int sample_main(const struct sample_args *a, sample_emit_fn *emit, void *ctx,
		const int *out_err);

#endif
