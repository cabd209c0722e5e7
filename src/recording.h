/* SPDX-License-Identifier: MIT */
/*
 * A recording (gpumem record, or gpumem --json INTERVAL): NDJSON, one
 * sample a line, read back as a series per device (its total) and per
 * process (its GPU memory, RSS-like).  The file is anyone's: a line that
 * is not a sample, or a figure that is not a byte count, is skipped and
 * counted, never trusted.
 */
#ifndef GPUMEM_RECORDING_H
#define GPUMEM_RECORDING_H

#include <stdio.h>

#include "gpumem/gpumem.h"

struct rec_series {
	int64_t key;		/* a pid; a device: -1 - its card number */
	char name[2 * GPUMEM_NAME_MAX];	/* escaped: "card0", "1234 mpv" */
	struct gpumem_point *pts;
	size_t nr, cap;
	uint64_t peak;
};

struct recording {
	struct rec_series *s;	/* by key */
	size_t nr, cap;
	int64_t last_ns;	/* the time of the last sample taken */
	unsigned long samples, skipped;
};

/* One line; 0 also when it was skipped (counted in r->skipped). */
int recording_add_line(struct recording *r, const char *line, size_t len);
/* Every line of f. */
int recording_read(FILE *f, struct recording *r);
void recording_free(struct recording *r);

#endif
