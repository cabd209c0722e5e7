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

/* A row's marks, each with its footnote under the table. */
enum { MARK_A = 1u << 0, MARK_B = 1u << 1 };

/* A table of objects: their fields, and which rows need which footnote. */
struct rows {
	gm_fields_fn *fields;
	unsigned int (*marks)(const void *obj);
	size_t elem;
	const void *blank;	/* stands in for the head when there are none */
};

/* The head line, then a row per object; n[b]: the rows with mark 1 << b. */
static void print_rows(const struct gpumem_snapshot *s, FILE *f,
		       unsigned int flags, const struct rows *r,
		       const void *arr, size_t nr, unsigned int n[2])
{
	struct gm_out o = { .mode = GM_OUT_HEAD, .f = f, .flags = flags };
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

		unsigned int m;

		r->fields(&o, s, obj);
		m = r->marks(obj);
		n[0] += !!(m & MARK_A);
		n[1] += !!(m & MARK_B);
	}
}

/* A: a lower bound (a holder unread); B: an upper one (shared bytes). */
static unsigned int device_marks(const void *obj)
{
	const struct gpumem_device *d = obj;

	return (d->total_partial ? MARK_A : 0) |
	       (d->total_upper_bound ? MARK_B : 0);
}

/* A: the tracepoint disagrees; B: a figure is only a bound. */
static unsigned int process_marks(const void *obj)
{
	const struct gpumem_process *p = obj;

	return (gpumem_process_tp_differs(p) ? MARK_A : 0) |
	       (!p->gpu_pss_exact || !p->gpu_rss_exact ? MARK_B : 0);
}

static const struct rows device_rows = {
	gm_device_fields, device_marks, sizeof(struct gpumem_device),
	&(const struct gpumem_device){ 0 },
};

static const struct rows process_rows = {
	gm_process_fields, process_marks, sizeof(struct gpumem_process),
	&(const struct gpumem_process){ 0 },
};

static void print_devices(const struct gpumem_snapshot *s, FILE *f,
			  unsigned int flags)
{
	size_t nr;
	const void *devs = gpumem_devices(s, &nr);
	unsigned int n[2] = { 0 };

	print_rows(s, f, flags, &device_rows, devs, nr, n);
	if (!nr)
		fprintf(f, "(no DRM devices)\n");
	if (n[1])
		fprintf(f, "<= : a total summed over clients counts a buffer "
			"shared by several files once per file: an upper "
			"bound\n");
	if (n[0])
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
	unsigned int n[2] = { 0 }, differ;

	fputc('\n', f);
	print_rows(s, f, flags, &process_rows, procs, nr, n);
	differ = n[0];
	if (n[1])
		fprintf(f, "<= : %u process%s: fdinfo cannot tell where shared "
			"buffers are (whose, and how many, against the device "
			"total; see gpumem(1)): upper bounds\n", n[1],
			n[1] == 1 ? "" : "es");
	if (differ)
		fprintf(f, "* %u process%s: the tracepoint and fdinfo disagree "
			"(both shown; see gpumem(1))\n", differ,
			differ == 1 ? "" : "es");
}

/* B: the group's GPU PSS is only a bound. */
static unsigned int group_marks(const void *obj)
{
	return ((const struct gpumem_group *)obj)->nr_pss_bounds ? MARK_B : 0;
}

static const struct rows group_rows = {
	gm_group_fields, group_marks, sizeof(struct gpumem_group),
	&(const struct gpumem_group){ 0 },
};

/* The groups, then their sum: what the process table's PSS columns add to. */
int gpumem_print_groups_table(const struct gpumem_snapshot *s,
			      enum gpumem_group_by by, FILE *f,
			      unsigned int flags)
{
	struct gpumem_group *g, *rows;
	unsigned int n[2] = { 0 };
	size_t nr;
	int err = gpumem_group(s, by, &g, &nr);

	if (err)
		return err;
	rows = calloc(nr + 1, sizeof(*rows));
	if (!rows) {
		gpumem_group_free(g);
		return -ENOMEM;
	}
	if (nr)
		memcpy(rows, g, nr * sizeof(*rows));
	gm_group_sum(g, nr, &rows[nr]);
	print_rows(s, f, flags, &group_rows, rows, nr + 1, n);
	if (n[1])
		fprintf(f, "<= : a group with a process whose GPU PSS is an "
			"upper bound (see the process table) has an upper "
			"bound\n");
	free(rows);
	gpumem_group_free(g);
	return ferror(f) ? -EIO : 0;
}

static unsigned int no_marks(const void *obj)
{
	(void)obj;
	return 0;
}

static const struct rows region_rows = {
	gm_dmem_region_fields, no_marks, sizeof(struct gpumem_dmem_region),
	&(const struct gpumem_dmem_region){ 0 },
};

static const struct rows pool_rows = {
	gm_dmem_pool_fields, no_marks, sizeof(struct gpumem_dmem_pool),
	&(const struct gpumem_dmem_pool){ 0 },
};

int gpumem_print_cgroups_table(const struct gpumem_snapshot *s, FILE *f,
			       unsigned int flags)
{
	const struct gpumem_source_status *st = gm_source_named(s,
								"dmem-cgroup");
	unsigned int n[2] = { 0 };
	const void *arr;
	size_t nr;

	if (!gpumem_dmem_available(s)) {
		fprintf(f, "dmem cgroup controller: %s\n",
			st ? st->detail : "not available");
		return ferror(f) ? -EIO : 0;
	}
	arr = gpumem_dmem_regions(s, &nr);
	print_rows(s, f, flags, &region_rows, arr, nr, n);
	if (!nr)
		fprintf(f, "(no region: no driver registered one)\n");
	fputc('\n', f);
	arr = gpumem_dmem_pools(s, &nr);
	print_rows(s, f, flags, &pool_rows, arr, nr, n);
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
