// SPDX-License-Identifier: MIT
/* The human tables: devices, dma-buf totals, then processes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "fields.h"

static const char *fmt_bytes(char *buf, size_t size, uint64_t v,
			     unsigned int flags)
{
	return gm_fmt_size(buf, size, false, v, flags);
}

/* The head line, then a row per object; blank stands in when there are none. */
static void print_rows(const struct gpumem_snapshot *s, FILE *f,
		       unsigned int flags, gm_fields_fn *fields,
		       const void *arr, size_t nr, size_t elem,
		       const void *blank)
{
	struct gm_out o = { .mode = GM_OUT_HEAD, .f = f, .flags = flags };
	size_t i;

	fields(&o, s, nr ? arr : blank);
	o.mode = GM_OUT_ROW;
	for (i = 0; i < nr; i++)
		fields(&o, s, (const char *)arr + i * elem);
}

static void print_devices(const struct gpumem_snapshot *s, FILE *f,
			  unsigned int flags)
{
	const struct gpumem_device *devs;
	unsigned int partial = 0;
	size_t i, nr;

	devs = gpumem_devices(s, &nr);
	print_rows(s, f, flags, gm_device_fields, devs, nr, sizeof(*devs),
		   &(struct gpumem_device){ 0 });
	for (i = 0; i < nr; i++)
		partial += devs[i].total_partial;
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
	const struct gpumem_process *procs;
	unsigned int differ = 0;
	size_t i, nr;

	procs = gpumem_processes(s, &nr);
	fputc('\n', f);
	print_rows(s, f, flags, gm_process_fields, procs, nr, sizeof(*procs),
		   &(struct gpumem_process){ 0 });
	for (i = 0; i < nr; i++)
		differ += gpumem_process_tp_differs(&procs[i]);
	if (differ)
		fprintf(f, "* %u process%s: the tracepoint and fdinfo disagree "
			"(both shown; see gpumem(1))\n", differ,
			differ == 1 ? "" : "es");
}

int gpumem_print_table(const struct gpumem_snapshot *s, FILE *f,
		       unsigned int flags)
{
	print_devices(s, f, flags);
	print_dmabuf(s, f, flags);
	print_processes(s, f, flags);
	return ferror(f) ? -EIO : 0;
}
