// SPDX-License-Identifier: MIT
/*
 * The detail view of the selected process: its figures, its series and
 * leak hint, then each DRM client it holds (with its regions and holders)
 * and each dma-buf (with its exporter and holders).
 */
#include <inttypes.h>
#include <string.h>

#include "top.h"

static const struct gpumem_process *find_process(const struct gpumem_snapshot *s,
						 pid_t pid)
{
	const struct gpumem_process *p;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		if (gpumem_at(p, i)->pid == pid)
			return gpumem_at(p, i);
	}
	return NULL;
}

static const struct top_row *find_row(const struct top_view *v, pid_t pid)
{
	size_t i;

	for (i = 0; i < v->procs.nr; i++) {
		if (v->procs.v[i].pid == pid)
			return &v->procs.v[i];
	}
	return NULL;
}

static void holders(struct top_sink *k, const pid_t *pids, size_t nr)
{
	size_t i;

	top_put(k, TOP_A_NONE, " held by");
	for (i = 0; i < nr; i++)
		top_putf(k, TOP_A_NONE, " %d", (int)pids[i]);
	top_end_line(k);
}

static void leak_line(struct top_sink *k, const struct top_row *r,
		      const struct top_settings *set)
{
	const struct gpumem_leak_hint *h = &r->leak;
	char a[32], b[32];

	if (h->leak) {
		top_putf(k, TOP_A_LEAK, "Leak hint: grew from %s to %s in "
			 "%.1f s, %s/s, over the last %u samples, never "
			 "coming back", top_fmt_size(a, sizeof(a),
						     h->first_bytes, 0),
			 top_fmt_size(b, sizeof(b), h->last_bytes, 0),
			 (double)h->span_ns / 1e9,
			 top_fmt_size(a, sizeof(a), (uint64_t)h->bytes_per_s,
				      0), h->samples);
	} else if (h->samples < set->rule.window) {
		top_putf(k, TOP_A_DIM, "Leak hint: needs %u samples, has %u",
			 set->rule.window, h->samples);
	} else {
		top_putf(k, TOP_A_NONE, "Leak hint: none over the last %u "
			 "samples", h->samples);
	}
	top_end_line(k);
}

static void summary(struct top_sink *k, const struct top_view *v,
		    const struct top_row *r, const struct gpumem_process *p,
		    const struct top_ui *ui)
{
	struct gpumem_point pts[TOP_HISTORY];
	size_t w = k->width > 20 + TOP_HISTORY ? TOP_HISTORY :
		   k->width > 21 ? k->width - 20 : 1;
	unsigned int f = ui->set.flags;
	char a[32], b[32], c[32], d[32];

	top_putf(k, TOP_A_HEAD, "Process %d", (int)p->pid);
	top_putf(k, TOP_A_NONE, "  comm ");
	top_put(k, TOP_A_NONE, p->comm);
	top_putf(k, TOP_A_NONE, "  user %s  cgroup ", r->user);
	top_put(k, TOP_A_NONE, r->cgroup);
	top_end_line(k);
	top_putf(k, TOP_A_NONE, "GPU %s%s (PSS %s), dma-buf %s (PSS %s), "
		 "%u clients (%u without figures), %u dma-bufs",
		 top_fmt_size(a, sizeof(a), p->gpu_total_bytes, f),
		 r->partial ? "?" : "",
		 top_fmt_size(b, sizeof(b), p->gpu_pss_bytes, f),
		 top_fmt_size(c, sizeof(c), p->dmabuf_rss_bytes, f),
		 top_fmt_size(d, sizeof(d), p->dmabuf_pss_bytes, f),
		 p->nr_clients, p->nr_unknown_clients, p->nr_dmabufs);
	top_end_line(k);
	top_put(k, TOP_A_NONE, "GPU + DMABUF ");
	top_sparkline(k, pts, top_series_procs(v->hist, &r->pid, 1, w, pts));
	top_end_line(k);
	leak_line(k, r, &ui->set);
}

static void region_line(struct top_sink *k, const struct gpumem_region *g,
			unsigned int f)
{
	char a[32];
	int st;

	top_put(k, TOP_A_NONE, "      region ");
	top_put(k, TOP_A_NONE, g->name);
	top_putf(k, TOP_A_NONE, " (%s)", gpumem_kind_name(g->kind));
	for (st = 0; st < GPUMEM_STAT_COUNT; st++) {
		if (g->present & (1u << st))
			top_putf(k, TOP_A_NONE, " %s %s", gpumem_stat_name(st),
				 top_fmt_size(a, sizeof(a), g->bytes[st], f));
	}
	top_end_line(k);
}

static void client_line(struct top_sink *k, const struct gpumem_snapshot *s,
			const struct gpumem_client *c,
			const struct gpumem_holding *hi, unsigned int f)
{
	const struct gpumem_region *regs;
	const pid_t *pids;
	char a[32], b[32];
	size_t j, n;

	top_putf(k, TOP_A_NONE, "  minor %d ", c->minor);
	top_put(k, TOP_A_NONE, c->driver);
	if (c->has_client_id)
		top_putf(k, TOP_A_NONE, " id %" PRIu64, c->client_id);
	if (c->name[0]) {
		top_put(k, TOP_A_NONE, " name ");
		top_put(k, TOP_A_NONE, c->name);
	}
	top_putf(k, TOP_A_NONE, " %s, share %s",
		 c->mem_known ? top_fmt_size(a, sizeof(a), c->bytes, f) :
		 "no figure", top_fmt_size(b, sizeof(b), hi->share_bytes, f));
	pids = gpumem_client_holders(s, c, &n);
	holders(k, pids, n);
	regs = gpumem_client_regions(s, c, &n);
	for (j = 0; j < n; j++)
		region_line(k, gpumem_at(regs, j), f);
}

static void dmabuf_line(struct top_sink *k, const struct gpumem_snapshot *s,
			const struct gpumem_dmabuf *d,
			const struct gpumem_holding *hi, unsigned int f)
{
	const pid_t *pids;
	char a[32], b[32];
	size_t n;

	top_putf(k, TOP_A_NONE, "  inode %" PRIu64 " %s, share %s, exporter ",
		 d->ino, top_fmt_size(a, sizeof(a), d->size, f),
		 top_fmt_size(b, sizeof(b), hi->share_bytes, f));
	top_put(k, TOP_A_NONE, d->exporter[0] ? d->exporter : "?");
	if (d->name[0]) {
		top_put(k, TOP_A_NONE, " name ");
		top_put(k, TOP_A_NONE, d->name);
	}
	pids = gpumem_dmabuf_holders(s, d, &n);
	holders(k, pids, n);
}

/* The process's clients, then its dma-bufs, each under its head line. */
static void holdings(struct top_sink *k, const struct gpumem_snapshot *s,
		     const struct gpumem_process *p, unsigned int f)
{
	const struct gpumem_client *cl;
	const struct gpumem_dmabuf *bufs;
	const struct gpumem_holding *h;
	size_t i, nr, nr_all;

	h = gpumem_process_clients(s, p, &nr);
	cl = gpumem_clients(s, &nr_all);
	top_putf(k, TOP_A_HEAD, "DRM clients (%zu)", nr);
	top_end_line(k);
	for (i = 0; i < nr; i++) {
		if (gpumem_at(h, i)->index < nr_all)
			client_line(k, s, gpumem_at(cl, gpumem_at(h, i)->index),
				    gpumem_at(h, i), f);
	}
	h = gpumem_process_dmabufs(s, p, &nr);
	bufs = gpumem_dmabufs(s, &nr_all);
	top_putf(k, TOP_A_HEAD, "dma-bufs (%zu)", nr);
	top_end_line(k);
	for (i = 0; i < nr; i++) {
		if (gpumem_at(h, i)->index < nr_all)
			dmabuf_line(k, s, gpumem_at(bufs, gpumem_at(h, i)->index),
				    gpumem_at(h, i), f);
	}
}

void top_detail(struct top_sink *k, const struct top_view *v,
		const struct top_ui *ui)
{
	const struct gpumem_process *p = find_process(v->snap, ui->selected);
	const struct top_row *r = find_row(v, ui->selected);

	if (!p || !r) {
		top_putf(k, TOP_A_LEAK, "Process %d is not in this sample "
			 "(it exited, holds nothing now, or is filtered out)",
			 (int)ui->selected);
		top_end_line(k);
		return;
	}
	summary(k, v, r, p, ui);
	top_end_line(k);
	k->skip = ui->detail_scroll;
	holdings(k, v->snap, p, ui->set.flags);
	k->skip = 0;
}
