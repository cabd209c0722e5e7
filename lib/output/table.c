// SPDX-License-Identifier: MIT
/* The human tables: devices, dma-buf totals, then processes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

static const char *fmt_bytes(char *buf, size_t size, uint64_t v,
			     unsigned int flags)
{
	return gm_fmt_size(buf, size, false, v, flags);
}

/* A table of objects: their fields, and which rows need the footnote. */
struct rows {
	gm_fields_fn *fields;
	bool (*marked)(const void *obj);
	size_t elem;
	const void *blank;	/* stands in for the head when there are none */
};

/* The head line, then a row per object; returns how many are marked. */
static unsigned int print_rows(const struct gpumem_snapshot *s, FILE *f,
			       unsigned int flags, const struct rows *r,
			       const void *arr, size_t nr)
{
	struct gm_out o = { .mode = GM_OUT_HEAD, .f = f, .flags = flags };
	unsigned int n = 0;
	size_t i;

	/* Widths from what the rows print: a long name moves no column. */
	o.mode = GM_OUT_MEASURE;
	for (i = 0; i < nr; i++)
		r->fields(&o, s, (const char *)arr + i * r->elem);
	o.mode = GM_OUT_HEAD;
	r->fields(&o, s, nr ? arr : r->blank);
	o.mode = GM_OUT_ROW;
	for (i = 0; i < nr; i++) {
		const void *obj = (const char *)arr + i * r->elem;

		r->fields(&o, s, obj);
		n += r->marked(obj);
	}
	return n;
}

static bool device_partial(const void *obj)
{
	return ((const struct gpumem_device *)obj)->total_partial;
}

static bool process_differs(const void *obj)
{
	return gpumem_process_tp_differs(obj);
}

static const struct rows device_rows = {
	gm_device_fields, device_partial, sizeof(struct gpumem_device),
	&(const struct gpumem_device){ 0 },
};

static const struct rows process_rows = {
	gm_process_fields, process_differs, sizeof(struct gpumem_process),
	&(const struct gpumem_process){ 0 },
};

static void print_devices(const struct gpumem_snapshot *s, FILE *f,
			  unsigned int flags)
{
	size_t nr;
	const void *devs = gpumem_devices(s, &nr);
	unsigned int partial = print_rows(s, f, flags, &device_rows, devs, nr);

	if (!nr)
		fprintf(f, "(no DRM devices)\n");
	if (partial)
		fprintf(f, ">= : %u process%s could not be read, so a total "
			"summed over clients is a lower bound (run as root)\n",
			gpumem_scan_stats(s)->unreadable_processes,
			gpumem_scan_stats(s)->unreadable_processes == 1 ?
			"" : "es");
}

static void print_dmabuf(const struct gpumem_snapshot *s, FILE *f,
			 unsigned int flags)
{
	const struct gpumem_dmabuf_totals *t = gpumem_dmabuf_totals(s);
	char a[32], b[32], c[32];

	fprintf(f, "\ndma-buf: %u buffers, %s (exported by a GPU: %s, ",
		t->nr_buffers, fmt_bytes(a, sizeof(a), t->total_bytes, flags),
		fmt_bytes(b, sizeof(b), t->gpu_overlap_bytes, flags));
	if (t->sysfs && !t->kernel_unknown)
		fprintf(f, "held only by the kernel: %s)\n",
			fmt_bytes(c, sizeof(c), t->kernel_bytes, flags));
	else if (t->sysfs)
		fprintf(f, "held only by the kernel: unknown, %u not "
			"readable)\n",
			gpumem_scan_stats(s)->unreadable_processes);
	else
		fprintf(f, "kernel-held: unknown, no /sys/kernel/dmabuf)\n");
}

/*
 * With the tracepoint read, its per-process total gets a column of its own:
 * it counts objects with a handle once per process, fdinfo each client in
 * full, so they may differ; a difference is marked, not resolved.
 */
static void print_processes(const struct gpumem_snapshot *s, FILE *f,
			    unsigned int flags)
{
	size_t nr;
	const void *procs = gpumem_processes(s, &nr);
	unsigned int differ;

	fputc('\n', f);
	differ = print_rows(s, f, flags, &process_rows, procs, nr);
	if (differ)
		fprintf(f, "* %u process%s: the tracepoint and fdinfo disagree "
			"(both shown; see gpumem(1))\n", differ,
			differ == 1 ? "" : "es");
}

static bool never(const void *obj)
{
	(void)obj;
	return false;
}

static const struct rows group_rows = {
	gm_group_fields, never, sizeof(struct gpumem_group),
	&(const struct gpumem_group){ 0 },
};

/* The groups, then their sum: what the process table's PSS columns add to. */
int gpumem_print_groups_table(const struct gpumem_snapshot *s,
			      enum gpumem_group_by by, FILE *f,
			      unsigned int flags)
{
	struct gpumem_group *g, *rows;
	size_t nr;
	int err = gpumem_group(s, by, &g, &nr);

	if (err)
		return err;
	rows = calloc(nr + 1, sizeof(*rows));
	if (!rows) {
		gpumem_group_free(g);
		return -ENOMEM;
	}
	memcpy(rows, g, nr * sizeof(*rows));
	gm_group_sum(g, nr, &rows[nr]);
	print_rows(s, f, flags, &group_rows, rows, nr + 1);
	free(rows);
	gpumem_group_free(g);
	return ferror(f) ? -EIO : 0;
}

int gpumem_print_table(const struct gpumem_snapshot *s, FILE *f,
		       unsigned int flags)
{
	print_devices(s, f, flags);
	print_dmabuf(s, f, flags);
	print_processes(s, f, flags);
	return ferror(f) ? -EIO : 0;
}
