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

#include "gpumem/gpumem.h"

struct sample_plan {
	int64_t interval_ns;	/* between the starts of two samples */
	unsigned long count;	/* 0: until stopped */
	int64_t reindex_ns;	/* < 0: as often as a full walk's cost allows */
};

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

#endif
