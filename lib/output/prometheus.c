// SPDX-License-Identifier: MIT
/*
 * The Prometheus text exposition format (version 0.0.4) of a snapshot:
 * the metric names of docs/gpumemd.8, each family with its HELP and TYPE.
 * Label values are names others set: each is escaped as the table escapes
 * it (gpumem_escape_name), then as the format wants (\\, \", \n), so a
 * scrape is always valid UTF-8 and a comm can never end a line.  Every
 * series of a family is unique: Prometheus drops a whole scrape with a
 * duplicate.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* What a name of n bytes takes as a label value: never cut, so never two
 * names made one series. */
#define LABEL_SIZE(n) (2 * GM_ESCAPED_SIZE(n))
#define LABEL_MAX LABEL_SIZE(2 * GPUMEM_NAME_MAX)

/*
 * The format's escapes on top of the terminal's: \\ and \" (no \n is
 * left).  buf has LABEL_SIZE(strlen(name)) bytes.
 */
static const char *label(char *buf, size_t size, const char *name)
{
	char stack[GM_ESCAPED_SIZE(2 * GPUMEM_NAME_MAX)];
	size_t need = GM_ESCAPED_SIZE(strlen(name)), i, n = 0;
	char *esc = need <= sizeof(stack) ? stack : malloc(need);

	if (esc)
		gm_escape_name(esc, need, name, NULL);
	for (i = 0; esc && esc[i] && n + 3 < size; i++) {
		if (esc[i] == '\\' || esc[i] == '"')
			buf[n++] = '\\';
		buf[n++] = esc[i];
	}
	buf[n] = '\0';
	if (esc != stack)
		free(esc);
	return buf;
}

/*
 * The lines there are a few of per process, without printf (it was nine
 * tenths of a scrape's text at 1,000 processes): parts up to NULL, then v,
 * gathered in one buffer and written at once (a part past it goes alone).
 */
static void series(FILE *f, const char *const *parts, uint64_t v)
{
	char line[4 * LABEL_MAX + 256];
	size_t n = 0, len;

	for (; *parts; parts++) {
		len = strlen(*parts);
		if (len > sizeof(line) - 24 - n) {
			fwrite_unlocked(line, 1, n, f);
			fputs_unlocked(*parts, f);
			n = 0;
			continue;
		}
		memcpy(line + n, *parts, len);
		n += len;
	}
	n += gm_fmt_u64(line + n, v);
	line[n++] = '\n';
	fwrite_unlocked(line, 1, n, f);
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void card_name(char *buf, size_t size, const struct gpumem_device *devs,
		      size_t nr, int device)
{
	int index = device >= 0 && (size_t)device < nr ?
		    gpumem_at(devs, device)->index : -1;

	/* Per process and card: no snprintf.  A minor is never negative. */
	if (index >= 0 && size >= sizeof("card") + 20)
		gm_fmt_u64(buf + gm_strlcpy(buf, "card", size), (uint64_t)index);
	else
		gm_strlcpy(buf, "unknown", size);
}

/* name{card,driver,pdev[extra]} v */
static void device_line(FILE *f, const char *name,
			const struct gpumem_device *d, const char *extra,
			uint64_t v)
{
	char drv[LABEL_MAX], pdev[LABEL_MAX];

	fprintf(f, "%s{card=\"card%d\",driver=\"%s\",pdev=\"%s\"%s} %" PRIu64
		"\n", name, d->index, label(drv, sizeof(drv), d->driver),
		label(pdev, sizeof(pdev), d->pdev), extra, v);
}

static void device_totals(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_device *d;
	size_t i, nr;

	family(f, "gpumem_device_memory_bytes", "gauge", "GPU memory in use "
	       "on the device (absent when unknown; see docs/model.md).");
	for (d = gpumem_devices(s, &nr), i = 0; i < nr; i++) {
		if (gpumem_at(d, i)->origin != GPUMEM_ORIGIN_NONE)
			device_line(f, "gpumem_device_memory_bytes",
				    gpumem_at(d, i), "",
				    gpumem_at(d, i)->total_bytes);
	}
	family(f, "gpumem_device_memory_partial", "gauge", "1 when a process "
	       "that could not be read makes the device total a lower bound.");
	for (i = 0; i < nr; i++)
		fprintf(f, "gpumem_device_memory_partial{card=\"card%d\"} %d\n",
			gpumem_at(d, i)->index, gpumem_at(d, i)->total_partial);
}

static void device_capacity(FILE *f, const struct gpumem_snapshot *s)
{
	static const char name[] = "gpumem_device_memory_capacity_bytes";
	const struct gpumem_device *d;
	size_t i, nr;

	family(f, name, "gauge", "Memory the driver says the device has, by "
	       "kind (vram, gtt).");
	for (d = gpumem_devices(s, &nr), i = 0; i < nr; i++) {
		const struct gpumem_device *e = gpumem_at(d, i);

		if (e->vram_total)
			device_line(f, name, e, ",kind=\"vram\"", e->vram_total);
		if (e->gtt_total)
			device_line(f, name, e, ",kind=\"gtt\"", e->gtt_total);
	}
}

/* The collector's peak of the device total (gpu_mem_total, pid 0). */
static void device_peaks(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_tp *tp = gpumem_snapshot_tp(s);
	const struct gpumem_device *d;
	size_t i, j, nr;

	family(f, "gpumem_device_memory_peak_bytes", "gauge", "Highest device "
	       "total the BPF collector saw since it was loaded.");
	if (tp->state != GPUMEM_TP_OK)
		return;
	d = gpumem_devices(s, &nr);
	for (i = 0; i < tp->nr; i++) {
		const struct gpumem_tp_total *t = &tp->totals[i];

		for (j = 0; !t->pid && t->peak_bytes && j < nr; j++) {
			if ((uint32_t)gpumem_at(d, j)->index == t->gpu_id)
				device_line(f, "gpumem_device_memory_peak_bytes",
					    gpumem_at(d, j), "", t->peak_bytes);
		}
	}
}

/*
 * What the processes past the cap hold, per card, so the sums close: pss
 * where the shares are exact, pss_upper where they are bounds.
 */
struct other {
	uint64_t *rss, *pss, *upper;	/* per device, then "unknown" */
	bool any;
};

static void gpu_series(FILE *f, const char *card, const char *pid,
		       const char *comm, const char *share, uint64_t v)
{
	series(f, (const char *const[]){ "gpumem_process_gpu_memory_bytes"
	       "{card=\"", card, "\",pid=\"", pid, "\",comm=\"", comm,
	       "\",share=\"", share, "\"} ", NULL }, v);
}

static void process_gpu(FILE *f, const struct gpumem_snapshot *s,
			const struct gpumem_process *p, struct other *o,
			bool shown)
{
	const struct gpumem_device *devs;
	const struct gpumem_process_device *pd;
	char card[32], pid[24], comm[LABEL_MAX];
	size_t i, nr, nr_devs;

	devs = gpumem_devices(s, &nr_devs);
	pd = gpumem_process_devices(s, p, &nr);
	gm_fmt_u64(pid, (uint64_t)(uint32_t)p->pid);
	label(comm, sizeof(comm), p->comm);
	for (i = 0; i < nr; i++) {
		const struct gpumem_process_device *e = gpumem_at(pd, i);
		size_t slot = e->device >= 0 && (size_t)e->device < nr_devs ?
			      (size_t)e->device : nr_devs;
		uint64_t *share = e->pss_exact ? o->pss : o->upper;

		if (!shown) {
			o->rss[slot] = gm_add_sat(o->rss[slot], e->rss_bytes);
			share[slot] = gm_add_sat(share[slot], e->pss_bytes);
			o->any = true;
			continue;
		}
		card_name(card, sizeof(card), devs, nr_devs, e->device);
		gpu_series(f, card, pid, comm, "rss", e->rss_bytes);
		gpu_series(f, card, pid, comm, e->pss_exact ? "pss" :
			   "pss_upper", e->pss_bytes);
	}
}

static void other_gpu(FILE *f, const struct gpumem_snapshot *s,
		      const struct other *o)
{
	const struct gpumem_device *devs;
	char card[32];
	size_t i, nr;

	devs = gpumem_devices(s, &nr);
	for (i = 0; o->any && i <= nr; i++) {
		if (!o->rss[i] && !o->pss[i] && !o->upper[i])
			continue;
		card_name(card, sizeof(card), devs, nr, i < nr ? (int)i : -1);
		gpu_series(f, card, "other", "other", "rss", o->rss[i]);
		gpu_series(f, card, "other", "other", "pss", o->pss[i]);
		if (o->upper[i])
			gpu_series(f, card, "other", "other", "pss_upper",
				   o->upper[i]);
	}
}

static void dmabuf_series(FILE *f, const char *pid, const char *comm,
			  uint64_t rss, uint64_t pss)
{
	series(f, (const char *const[]){ "gpumem_process_dmabuf_bytes{pid=\"",
	       pid, "\",comm=\"", comm, "\",share=\"rss\"} ", NULL }, rss);
	series(f, (const char *const[]){ "gpumem_process_dmabuf_bytes{pid=\"",
	       pid, "\",comm=\"", comm, "\",share=\"pss\"} ", NULL }, pss);
}

static void processes_dmabuf(FILE *f, const struct gpumem_snapshot *s,
			     unsigned int max)
{
	const struct gpumem_process *p;
	uint64_t rss = 0, pss = 0;
	char pid[24], comm[LABEL_MAX];
	size_t i, nr;

	family(f, "gpumem_process_dmabuf_bytes", "gauge", "dma-buf memory a "
	       "process holds by fd or mapping: rss whole, pss shared out.");
	for (p = gpumem_processes(s, &nr), i = 0; i < nr; i++) {
		const struct gpumem_process *e = gpumem_at(p, i);

		if (!e->nr_dmabufs)
			continue;
		if (i >= max) {
			rss = gm_add_sat(rss, e->dmabuf_rss_bytes);
			pss = gm_add_sat(pss, e->dmabuf_pss_bytes);
			continue;
		}
		gm_fmt_u64(pid, (uint64_t)(uint32_t)e->pid);
		dmabuf_series(f, pid, label(comm, sizeof(comm), e->comm),
			      e->dmabuf_rss_bytes, e->dmabuf_pss_bytes);
	}
	if (nr > max)
		dmabuf_series(f, "other", "other", rss, pss);
}

/*
 * The largest max processes (the model sorts them by PSS) each get their
 * series; the rest are summed into pid="other", so that summing pss over
 * the family still gives every client's memory once.
 */
static int processes(FILE *f, const struct gpumem_snapshot *s,
		     unsigned int max)
{
	const struct gpumem_process *p;
	struct other o = { 0 };
	size_t i, nr, nr_devs;

	gpumem_devices(s, &nr_devs);
	o.rss = calloc(3 * (nr_devs + 1), sizeof(*o.rss));
	if (!o.rss)
		return -ENOMEM;
	o.pss = o.rss + nr_devs + 1;
	o.upper = o.pss + nr_devs + 1;
	family(f, "gpumem_process_gpu_memory_bytes", "gauge", "GPU memory of "
	       "a process's DRM clients on a card: rss whole, pss shared out "
	       "among holders (pss_upper: a bound, where shares are not "
	       "exact). pid=\"other\": the processes past the cap.");
	for (p = gpumem_processes(s, &nr), i = 0; i < nr; i++)
		process_gpu(f, s, gpumem_at(p, i), &o, i < max);
	other_gpu(f, s, &o);
	free(o.rss);
	processes_dmabuf(f, s, max);
	return 0;
}

/*
 * Per cgroup: what systemd services and containers use, without a series
 * per pid; every process is in one group ("unknown": unreadable), so the
 * family sums to the processes' pss.
 */
static int cgroups(FILE *f, const struct gpumem_snapshot *s)
{
	struct gpumem_group *g;
	size_t i, nr;
	int err = gpumem_group(s, GPUMEM_GROUP_CGROUP, &g, &nr);

	if (err)
		return err;
	family(f, "gpumem_cgroup_gpu_memory_bytes", "gauge", "GPU memory "
	       "(pss) of the processes of a cgroup, from /proc/PID/cgroup.");
	for (i = 0; !err && i < nr; i++) {
		const struct gpumem_group *e = gpumem_at(g, i);
		size_t size = LABEL_SIZE(strlen(e->name));
		char *l = malloc(size);

		if (!l) {
			err = -ENOMEM;
			break;
		}
		fprintf(f, "gpumem_cgroup_gpu_memory_bytes{cgroup=\"%s\"} %"
			PRIu64 "\n", label(l, size, e->name), e->gpu_pss_bytes);
		free(l);
	}
	gpumem_group_free(g);
	return err;
}

/* One line per (exporter, how held); a buffer held both ways is "fd". */
struct held_sum {
	char exporter[GPUMEM_NAME_MAX];
	const char *held;
	uint64_t bytes;
};

static int add_held(struct held_sum **sums, size_t *nr, size_t *cap,
		    const struct gpumem_dmabuf *b)
{
	const char *held = b->fd_held ? "fd" : b->mapped ? "map" : "kernel";
	size_t i;
	int err;

	for (i = 0; i < *nr; i++) {
		if ((*sums)[i].held == held &&
		    !strcmp((*sums)[i].exporter, b->exporter)) {
			(*sums)[i].bytes = gm_add_sat((*sums)[i].bytes, b->size);
			return 0;
		}
	}
	err = gm_grow((void **)sums, cap, *nr + 1, sizeof(**sums));
	if (err)
		return err;
	gm_strlcpy((*sums)[*nr].exporter, b->exporter, GPUMEM_NAME_MAX);
	(*sums)[*nr].held = held;
	(*sums)[(*nr)++].bytes = b->size;
	return 0;
}

static int dmabufs(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_dmabuf *b;
	struct held_sum *sums = NULL;
	size_t i, nr, nr_sums = 0, cap = 0;
	char exp[LABEL_MAX];
	int err = 0;

	for (b = gpumem_dmabufs(s, &nr), i = 0; !err && i < nr; i++)
		err = add_held(&sums, &nr_sums, &cap, gpumem_at(b, i));
	family(f, "gpumem_dmabuf_bytes", "gauge", "dma-buf memory by exporter "
	       "and by how it is held: fd (an fd, maybe mapped too), map (only "
	       "mapped), kernel (no process holds it); each buffer once.");
	for (i = 0; !err && i < nr_sums; i++)
		fprintf(f, "gpumem_dmabuf_bytes{exporter=\"%s\",held=\"%s\"} %"
			PRIu64 "\n", label(exp, sizeof(exp), sums[i].exporter),
			sums[i].held, sums[i].bytes);
	free(sums);
	return err;
}

/* Lines are unique by name as the model builds them; a repeat is summed. */
static void explain_lines(FILE *f, const struct gpumem_explain *x)
{
	char l[LABEL_MAX];
	size_t i, j;

	family(f, "gpumem_explain_bytes", "gauge", "Where RAM went, each page "
	       "in one line; the lines add up to MemTotal (gpumem explain).");
	for (i = 0; x && i < x->nr_lines; i++) {
		int64_t sum = x->lines[i].bytes;
		bool seen = false;

		for (j = 0; j < x->nr_lines; j++) {
			if (j == i || strcmp(x->lines[j].name, x->lines[i].name))
				continue;
			seen |= j < i;
			sum += x->lines[j].bytes;
		}
		if (!seen)
			fprintf(f, "gpumem_explain_bytes{line=\"%s\"} %" PRId64
				"\n", label(l, sizeof(l), x->lines[i].name), sum);
	}
}

static void sources(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_source_status *st;
	size_t i, nr;

	family(f, "gpumem_source_up", "gauge", "1 when the source was read in "
	       "the last sample, 0 when it is missing, denied or failed.");
	for (st = gpumem_sources(s, &nr), i = 0; i < nr; i++) {
		if (st[i].state != GPUMEM_SOURCE_UNUSED)
			fprintf(f, "gpumem_source_up{source=\"%s\"} %d\n",
				st[i].name, st[i].state == GPUMEM_SOURCE_FOUND);
	}
	family(f, "gpumem_source_info", "gauge", "The state of each source "
	       "(found, missing, denied, error), as gpumem sources says.");
	for (i = 0; i < nr; i++) {
		if (st[i].state != GPUMEM_SOURCE_UNUSED)
			fprintf(f, "gpumem_source_info{source=\"%s\",state=\"%s\"}"
				" 1\n", st[i].name,
				gpumem_source_state_name(st[i].state));
	}
}

static void collector(FILE *f, const struct gpumem_snapshot *s)
{
	const struct gpumem_tp *tp = gpumem_snapshot_tp(s);

	family(f, "gpumem_collector_events_total", "counter", "gpu_mem_total "
	       "events the BPF collector has seen since it was loaded.");
	family(f, "gpumem_collector_dropped_total", "counter", "Updates the "
	       "collector lost: totals map full (map_full), no slot for a "
	       "peak (info_full), trace ring full (ringbuf).");
	if (tp->state != GPUMEM_TP_OK)
		return;
	fprintf(f, "gpumem_collector_events_total %" PRIu64 "\n", tp->events);
	fprintf(f, "gpumem_collector_dropped_total{reason=\"map_full\"} %"
		PRIu64 "\n", tp->dropped_full);
	fprintf(f, "gpumem_collector_dropped_total{reason=\"info_full\"} %"
		PRIu64 "\n", tp->dropped_info_full);
	fprintf(f, "gpumem_collector_dropped_total{reason=\"ringbuf\"} %"
		PRIu64 "\n", tp->dropped_ringbuf);
}

static void scan(FILE *f, const struct gpumem_snapshot *s,
		 const struct gpumem_prom_opts *o)
{
	family(f, "gpumem_unreadable_processes", "gauge", "Processes whose "
	       "fds or maps could not be read in the last sample.");
	fprintf(f, "gpumem_unreadable_processes %u\n",
		gpumem_scan_stats(s)->unreadable_processes);
	family(f, "gpumem_sample_duration_seconds", "gauge", "How long the "
	       "last sample took.");
	if (o->sample_seconds >= 0)
		fprintf(f, "gpumem_sample_duration_seconds %.6f\n",
			o->sample_seconds);
	family(f, "gpumem_build_info", "gauge", "The version of gpumem "
	       "serving these metrics.");
	fprintf(f, "gpumem_build_info{version=\"%s\"} 1\n", gpumem_version());
}

int gpumem_print_prometheus(const struct gpumem_snapshot *s,
			    const struct gpumem_prom_opts *o, FILE *f)
{
	int err;

	device_totals(f, s);
	device_capacity(f, s);
	device_peaks(f, s);
	err = o->process_metrics ? processes(f, s, o->max_process_series) : 0;
	if (!err)
		err = cgroups(f, s);
	if (!err)
		err = dmabufs(f, s);
	if (err)
		return err;
	explain_lines(f, o->explain);
	sources(f, s);
	collector(f, s);
	scan(f, s, o);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
