/* SPDX-License-Identifier: MIT */
/*
 * A series of samples, the way iostat and the libbpf tools take them: one
 * every interval, count of them, until SIGINT or SIGTERM or until the
 * reader of a pipe goes away.  gpumem [interval [count]] and gpumem record
 * use it.
 */
#ifndef GPUMEM_SAMPLE_H
#define GPUMEM_SAMPLE_H

#include <stdint.h>

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
"                      Default: as often as a walk costs 1% of a core\n"

/*
 * The operands INTERVAL [COUNT] (ops[0], ops[1]; nr of them) into p;
 * -1, or the exit code of a usage error.
 */
int sample_operands(struct sample_plan *p, int nr, char **ops);

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
 * Takes the series.  *taken says how many samples were emitted; the return
 * is 0 for a series that ended as it should (count reached, a signal, a
 * replayed series at its end, -EPIPE from emit), or the negative errno of
 * the scan or of emit.
 */
int sample_run(const struct gpumem_opts *opts, const struct sample_plan *p,
	       sample_emit_fn *emit, void *ctx, unsigned long *taken);

/*
 * The exit code of a series that failed with err after taken samples;
 * out_err: err is emit's (a write).  Said on stderr.  The first sample's
 * scan errors are those of a snapshot (gpumem(1), EXIT STATUS); after it a
 * -p process that exits ends the series (0).
 */
int sample_error(const struct sample_args *a, int err, unsigned long taken,
		 int out_err);

#endif
