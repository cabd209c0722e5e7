// SPDX-License-Identifier: MIT
/* The human tables: devices, dma-buf totals, then processes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "gm.h"

static const char *fmt_bytes(char *buf, size_t size, uint64_t v,
			     unsigned int flags)
{
	return gm_fmt_size(buf, size, false, v, flags);
}

/* A figure that leaves out clients whose driver prints no memory says so. */
static const char *fmt_gpu(char *buf, size_t size, uint64_t v,
			   unsigned int unknown, unsigned int flags)
{
	char num[32];

	if (!unknown)
		return fmt_bytes(buf, size, v, flags);
	if (!v)
		return "unknown";
	snprintf(buf, size, "%s+?", fmt_bytes(num, sizeof(num), v, flags));
	return buf;
}

/* "8.4 GiB/16.0 GiB" of one kind, or "-" where the driver gives no total. */
static const char *fmt_used(char *buf, size_t size, uint64_t used,
			    uint64_t total, unsigned int flags)
{
	char u[32], t[32];

	if (!total)
		return "-";
	snprintf(buf, size, "%s/%s", fmt_bytes(u, sizeof(u), used, flags),
		 fmt_bytes(t, sizeof(t), total, flags));
	return buf;
}

static void print_devices(const struct gpumem_snapshot *s, FILE *f,
			  unsigned int flags)
{
	size_t i, nr;
	const struct gpumem_device *devs = gpumem_devices(s, &nr);
	unsigned int partial = 0;

	fprintf(f, "%-8s %-12s %-13s %14s %-8s %7s %21s %21s  %s\n", "DEVICE",
		"DRIVER", "PCI", "TOTAL", "SOURCE", "CLIENTS", "VRAM USED/CAP",
		"GTT USED/CAP", "NAME");
	for (i = 0; i < nr; i++) {
		const struct gpumem_device *d = &devs[i];
		char card[16], num[32], total[40], vram[72], gtt[72];
		const char *t = "unknown";

		snprintf(card, sizeof(card), "card%d", d->index);
		/* A smaller number is never shown as complete. */
		if (d->origin != GPUMEM_ORIGIN_NONE) {
			snprintf(total, sizeof(total), "%s%s", d->total_partial ?
				 ">= " : "", fmt_bytes(num, sizeof(num),
						       d->total_bytes, flags));
			t = total;
			partial += d->total_partial;
		}
		fprintf(f, "%-8s %-12s %-13s %14s %-8s %7u %21s %21s  %s", card,
			d->driver[0] ? d->driver : "-", d->pdev[0] ? d->pdev : "-",
			t, gpumem_origin_name(d->origin), d->nr_clients,
			fmt_used(vram, sizeof(vram), d->vram_used, d->vram_total,
				 flags),
			fmt_used(gtt, sizeof(gtt), d->gtt_used, d->gtt_total,
				 flags),
			d->name[0] ? d->name : "-");
		if (d->nr_unknown_clients)
			fprintf(f, " (%u clients report no memory)",
				d->nr_unknown_clients);
		fputc('\n', f);
	}
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
	bool tp = gpumem_snapshot_tp(s)->state == GPUMEM_TP_OK;
	const struct gpumem_process *procs;
	unsigned int differ = 0;
	size_t i, nr;

	fprintf(f, "\n%7s %-16s %14s %14s %14s %14s%s\n", "PID", "COMM", "GPU",
		"GPU PSS", "DMABUF", "DMABUF PSS", tp ? "    GPU (TRACE)" : "");
	for (procs = gpumem_processes(s, &nr), i = 0; i < nr; i++) {
		const struct gpumem_process *p = &procs[i];
		char a[40], b[40], c[32], d[32], e[32];

		fprintf(f, "%7d %-16s %14s %14s %14s %14s", (int)p->pid,
			p->comm,
			fmt_gpu(a, sizeof(a), p->gpu_total_bytes,
				p->nr_unknown_clients, flags),
			fmt_gpu(b, sizeof(b), p->gpu_pss_bytes,
				p->nr_unknown_clients, flags),
			fmt_bytes(c, sizeof(c), p->dmabuf_rss_bytes, flags),
			fmt_bytes(d, sizeof(d), p->dmabuf_pss_bytes, flags));
		if (tp)
			fprintf(f, " %14s%s", p->tp_known ?
				fmt_bytes(e, sizeof(e), p->tp_bytes, flags) : "-",
				gpumem_process_tp_differs(p) ? " *" : "");
		fputc('\n', f);
		differ += gpumem_process_tp_differs(p);
	}
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
