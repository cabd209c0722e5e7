// SPDX-License-Identifier: MIT
/*
 * The references turned into the lists the API answers with: a process's
 * clients and dma-bufs with their shares, a client's or dma-buf's holder
 * pids, and a process's memory per device and per kind of region.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int cmp_proc(const void *a, const void *b, void *ctx)
{
	const struct gpumem_process *procs = ctx;
	const struct gpumem_process *x = &procs[*(const uint32_t *)a];
	const struct gpumem_process *y = &procs[*(const uint32_t *)b];
	uint64_t vx = gm_add_sat(x->gpu_pss_bytes, x->dmabuf_pss_bytes);
	uint64_t vy = gm_add_sat(y->gpu_pss_bytes, y->dmabuf_pss_bytes);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Owner i of l becomes owner order[i]'s list. */
static int list_permute(struct gm_list *l, size_t elem, const uint32_t *order,
			size_t n)
{
	uint32_t *first = calloc(n + 2, sizeof(*first));
	char *v = calloc((size_t)l->first[n] + 1, elem);
	size_t i, at = 0;

	if (!first || !v) {
		free(first);
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		uint32_t a = l->first[order[i]], b = l->first[order[i] + 1];

		memcpy(v + at * elem, (char *)l->v + (size_t)a * elem,
		       (size_t)(b - a) * elem);
		at += b - a;
		first[i + 1] = (uint32_t)at;
	}
	free(l->first);
	free(l->v);
	l->first = first;
	l->v = v;
	return 0;
}

/*
 * Largest PSS-like total first; ties by pid, so output is stable.  After
 * gm_holdings_build: the per-process lists move with their processes.
 */
int gm_sort_procs(struct gpumem_snapshot *s)
{
	struct gm_holdings *h = &s->hold;
	size_t i, n = s->nr_procs;
	uint32_t *order = calloc(n + 1, sizeof(*order));
	struct gpumem_process *sorted = calloc(n + 1, sizeof(*sorted));
	int err = -ENOMEM;

	if (!order || !sorted)
		goto out;
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), cmp_proc, s->procs);
	for (i = 0; i < n; i++)
		sorted[i] = s->procs[order[i]];
	if (n)
		memcpy(s->procs, sorted, n * sizeof(*sorted));
	err = list_permute(&h->proc_clients, sizeof(struct gpumem_holding),
			   order, n);
	if (!err)
		err = list_permute(&h->proc_bufs, sizeof(struct gpumem_holding),
				   order, n);
	if (!err)
		err = list_permute(&h->proc_devs,
				   sizeof(struct gpumem_process_device), order,
				   n);
out:
	free(order);
	free(sorted);
	return err;
}

/*
 * Room for the lists of owners owners over r, grouped by owner (a counting
 * sort); pos[i] is where reference i goes.
 */
static int list_place(struct gm_list *l, size_t owners, size_t elem,
		      const struct gm_refs *r, bool by_proc, uint32_t *pos)
{
	uint32_t *next;
	size_t i;

	l->first = calloc(owners + 2, sizeof(*l->first));
	l->v = calloc(r->nr + 1, elem);
	next = calloc(owners + 1, sizeof(*next));
	if (!l->first || !l->v || !next) {
		free(next);
		return -ENOMEM;
	}
	for (i = 0; i < r->nr; i++)
		l->first[(by_proc ? r->v[i].proc : r->v[i].obj) + 1]++;
	for (i = 0; i < owners; i++)
		l->first[i + 1] += l->first[i];
	memcpy(next, l->first, owners * sizeof(*next));
	for (i = 0; i < r->nr; i++)
		pos[i] = next[by_proc ? r->v[i].proc : r->v[i].obj]++;
	free(next);
	return 0;
}

static int lists_of(const struct gpumem_snapshot *s, const struct gm_refs *r,
		    size_t nr_objs, struct gm_list *holdings,
		    struct gm_list *pids)
{
	uint32_t *pos = calloc(r->nr + 1, sizeof(*pos));
	size_t i;
	int err = -ENOMEM;

	if (!pos)
		return err;
	err = list_place(holdings, s->nr_procs, sizeof(struct gpumem_holding),
			 r, true, pos);
	for (i = 0; !err && i < r->nr; i++)
		((struct gpumem_holding *)holdings->v)[pos[i]] =
			(struct gpumem_holding){
				.struct_size = sizeof(struct gpumem_holding),
				.index = r->v[i].obj,
				.share_bytes = r->v[i].share,
			};
	if (!err)
		err = list_place(pids, nr_objs, sizeof(pid_t), r, false, pos);
	for (i = 0; !err && i < r->nr; i++)
		((pid_t *)pids->v)[pos[i]] = s->procs[r->v[i].proc].pid;
	free(pos);
	return err;
}

/* What a process's clients on one device report, before the bounds. */
struct dev_acc {
	uint64_t priv, shared, max_shared;
	uint64_t kinds[GPUMEM_KIND_COUNT], kinds_sum;
	bool outside;		/* bytes the device total does not hold */
};

static struct gpumem_process_device *
dev_entry(struct gpumem_process_device *first, struct dev_acc *acc,
	  unsigned int *nr, int device)
{
	unsigned int i;

	for (i = 0; i < *nr; i++) {
		if (first[i].device == device)
			return &first[i];
	}
	memset(&first[i], 0, sizeof(first[i]));
	memset(&acc[i], 0, sizeof(acc[i]));
	first[i].struct_size = sizeof(first[i]);
	first[i].device = device;
	first[i].pss_exact = true;
	(*nr)++;
	return &first[i];
}

static void add_client(const struct gpumem_snapshot *s,
		       struct gpumem_process_device *d, struct dev_acc *a,
		       const struct gpumem_client *c, uint64_t share)
{
	uint64_t v, shared = gm_client_shared(c);
	const struct gpumem_region *r;
	size_t i, nr;

	d->nr_clients++;
	if (!c->mem_known) {
		d->nr_unknown_clients++;
		return;
	}
	d->pss_bytes = gm_add_sat(d->pss_bytes, share);
	d->pss_exact &= c->share_exact;
	a->priv = gm_add_sat(a->priv, c->bytes - shared);
	a->shared = gm_add_sat(a->shared, shared);
	a->max_shared = shared > a->max_shared ? shared : a->max_shared;
	if (c->device >= 0)
		a->outside |= !gm_total_holds(s, c);
	r = gpumem_client_regions(s, c, &nr);
	for (i = 0; i < nr; i++) {
		if (!gm_region_bytes(&r[i], &v))
			continue;
		a->kinds[r[i].kind] = gm_add_sat(a->kinds[r[i].kind], v);
		a->kinds_sum = gm_add_sat(a->kinds_sum, v);
	}
}

static int cmp_tp(const void *key, const void *elem)
{
	const struct gpumem_tp_total *k = key, *e = elem;

	if (k->gpu_id != e->gpu_id)
		return k->gpu_id < e->gpu_id ? -1 : 1;
	return (k->pid > e->pid) - (k->pid < e->pid);
}

/* The collector's figure for (card, pid): each object once. */
static const struct gpumem_tp_total *tp_of(const struct gpumem_snapshot *s,
					   const struct gpumem_device *d,
					   pid_t pid)
{
	struct gpumem_tp_total key = {
		.gpu_id = (uint32_t)d->index, .pid = (uint32_t)pid,
	};

	if (s->tp.state != GPUMEM_TP_OK || !s->tp.nr || pid <= 0)
		return NULL;
	return bsearch(&key, s->tp.totals, s->tp.nr, sizeof(key), cmp_tp);
}

static uint64_t cap(uint64_t v, uint64_t most)
{
	return v < most ? v : most;
}

/*
 * The process's shared bytes on the device are at least its largest
 * client's and at most all of them, or the device's pool; the whole is at
 * most the device total.  Exact when the two ends meet, or from the
 * collector.  by_kind is the regions' split of that.  Returns fdinfo's
 * figure, the collector's aside.
 */
static uint64_t dev_bounds(const struct gpumem_snapshot *s, pid_t pid,
			   struct gpumem_process_device *pd,
			   const struct dev_acc *a)
{
	const struct gpumem_device *d = pd->device >= 0 ?
		&s->devs.dev[pd->device] : NULL;
	const struct gpumem_tp_total *tp = d ? tp_of(s, d, pid) : NULL;
	uint64_t shared = a->shared, lower, fdinfo;
	struct gm_split sp;
	int k;

	if (d && d->shares_exact)
		shared = cap(shared, d->shared_pool_bytes);
	pd->rss_bytes = gm_add_sat(a->priv, shared);
	lower = gm_add_sat(a->priv, a->max_shared);
	pd->rss_exact = lower >= pd->rss_bytes;
	fdinfo = pd->rss_bytes;
	if (tp) {
		pd->rss_bytes = tp->bytes;
		pd->rss_exact = pd->rss_from_tp = true;
	}
	if (d && gm_total_exact(d) && !a->outside) {
		pd->rss_bytes = cap(pd->rss_bytes, d->total_bytes);
		pd->pss_bytes = cap(pd->pss_bytes, d->total_bytes);
	}
	sp = (struct gm_split){ .total = pd->rss_bytes, .sum = a->kinds_sum };
	for (k = 0; k < GPUMEM_KIND_COUNT; k++)
		pd->by_kind[k] = gm_split_next(&sp, a->kinds[k]);
	return d && gm_total_exact(d) && !a->outside ?
	       cap(fdinfo, d->total_bytes) : fdinfo;
}

/*
 * fdinfo knows a process's GPU memory only when every client of it reports
 * memory; a process with no DRM client is known to hold 0 there.
 */
static void proc_sums(struct gpumem_process *p,
		      const struct gpumem_process_device *pd, unsigned int nr,
		      uint64_t fdinfo)
{
	unsigned int i;

	if (!p->nr_unknown_clients)
		gm_process_reading(p, GPUMEM_ORIGIN_FDINFO, fdinfo);
	p->gpu_rss_exact = p->gpu_pss_exact = true;
	for (i = 0; i < nr; i++) {
		p->gpu_total_bytes = gm_add_sat(p->gpu_total_bytes,
						pd[i].rss_bytes);
		p->gpu_pss_bytes = gm_add_sat(p->gpu_pss_bytes,
					      pd[i].pss_bytes);
		p->gpu_rss_exact &= pd[i].rss_exact;
		p->gpu_pss_exact &= pd[i].pss_exact;
	}
}

/* A process holds clients on few devices: a linear search is enough. */
static int devices_of(struct gpumem_snapshot *s)
{
	struct gm_holdings *h = &s->hold;
	const struct gpumem_holding *hv = h->proc_clients.v;
	size_t p, n = 0, most = h->proc_clients.first[s->nr_procs] + 1;
	struct gpumem_process_device *dv;
	struct dev_acc *acc = calloc(most, sizeof(*acc));

	h->proc_devs.first = calloc(s->nr_procs + 2, sizeof(uint32_t));
	dv = calloc(most, sizeof(*dv));
	h->proc_devs.v = dv;
	if (!h->proc_devs.first || !dv || !acc) {
		free(acc);
		return -ENOMEM;
	}
	for (p = 0; p < s->nr_procs; p++) {
		unsigned int nr = 0, e;
		uint64_t fdinfo = 0;
		uint32_t i;

		for (i = h->proc_clients.first[p];
		     i < h->proc_clients.first[p + 1]; i++) {
			const struct gpumem_client *c = &s->clients[hv[i].index];
			struct gpumem_process_device *pd;

			pd = dev_entry(dv + n, acc + n, &nr, c->device);
			add_client(s, pd, acc + (pd - dv), c,
				   hv[i].share_bytes);
		}
		for (e = 0; e < nr; e++)
			fdinfo = gm_add_sat(fdinfo, dev_bounds(s, s->procs[p].pid,
							       &dv[n + e],
							       &acc[n + e]));
		proc_sums(&s->procs[p], dv + n, nr, fdinfo);
		n += nr;
		h->proc_devs.first[p + 1] = (uint32_t)n;
	}
	free(acc);
	return 0;
}

int gm_holdings_build(struct gpumem_snapshot *s, const struct gm_refs *clients,
		      const struct gm_refs *bufs)
{
	struct gm_holdings *h = &s->hold;
	int err;

	err = lists_of(s, clients, s->nr_clients, &h->proc_clients,
		       &h->client_pids);
	if (!err)
		err = lists_of(s, bufs, s->nr_bufs, &h->proc_bufs,
			       &h->buf_pids);
	return err ? err : devices_of(s);
}

static void list_keep(struct gm_list *l, long i)
{
	if (!l->first)
		return;
	l->first[0] = i < 0 ? 0 : l->first[i];
	l->first[1] = i < 0 ? 0 : l->first[i + 1];
}

void gm_holdings_keep(struct gpumem_snapshot *s, long i)
{
	list_keep(&s->hold.proc_clients, i);
	list_keep(&s->hold.proc_bufs, i);
	list_keep(&s->hold.proc_devs, i);
}

static void list_free(struct gm_list *l)
{
	free(l->first);
	free(l->v);
}

int gm_pool_add(struct gm_pool *p, size_t owner, const void *v, size_t n,
		size_t elem)
{
	int err = gm_grow((void **)&p->l.first, &p->cap_first, owner + 2,
			  sizeof(*p->l.first));

	if (!err)
		/* + 1: v is not NULL where first is, however few. */
		err = gm_grow(&p->l.v, &p->cap, p->nr + n + 1, elem);
	if (err)
		return err;
	if (n)
		memcpy((char *)p->l.v + p->nr * elem, v, n * elem);
	p->l.first[owner] = (uint32_t)p->nr;
	p->nr += n;
	p->l.first[owner + 1] = (uint32_t)p->nr;
	return 0;
}

void gm_pool_fit(struct gm_pool *p, size_t owners, size_t elem)
{
	gm_fit((void **)&p->l.first, &p->cap_first, owners + 1,
	       sizeof(*p->l.first));
	gm_fit(&p->l.v, &p->cap, p->nr + 1, elem);
}

void gm_pool_free(struct gm_pool *p)
{
	list_free(&p->l);
}

void gm_holdings_free(struct gm_holdings *h)
{
	list_free(&h->proc_clients);
	list_free(&h->proc_bufs);
	list_free(&h->client_pids);
	list_free(&h->buf_pids);
	list_free(&h->proc_devs);
}

/* The range of owner i of l; none when l was never built. */
static const void *list_at(const struct gm_list *l, size_t elem, size_t i,
			   size_t *nr)
{
	*nr = 0;
	if (!l->first)
		return NULL;
	*nr = l->first[i + 1] - l->first[i];
	return (const char *)l->v + (size_t)l->first[i] * elem;
}

/*
 * The list of obj, an element of the array base[nr] (elements of size
 * size); none when obj is not one of them or the list was never built.
 */
static const void *list_of(const struct gm_list *l, size_t elem,
			   const void *base, size_t nr, size_t size,
			   const void *obj, size_t *n)
{
	const char *b = base, *o = obj;

	*n = 0;
	if (!nr || o < b || o >= b + nr * size)
		return NULL;
	return list_at(l, elem, (size_t)(o - b) / size, n);
}

const struct gpumem_holding *
gpumem_process_clients(const struct gpumem_snapshot *s,
		       const struct gpumem_process *p, size_t *nr)
{
	return list_of(&s->hold.proc_clients, sizeof(struct gpumem_holding),
		       s->procs, s->nr_procs, sizeof(*p), p, nr);
}

const struct gpumem_holding *
gpumem_process_dmabufs(const struct gpumem_snapshot *s,
		       const struct gpumem_process *p, size_t *nr)
{
	return list_of(&s->hold.proc_bufs, sizeof(struct gpumem_holding),
		       s->procs, s->nr_procs, sizeof(*p), p, nr);
}

const struct gpumem_process_device *
gpumem_process_devices(const struct gpumem_snapshot *s,
		       const struct gpumem_process *p, size_t *nr)
{
	return list_of(&s->hold.proc_devs, sizeof(struct gpumem_process_device),
		       s->procs, s->nr_procs, sizeof(*p), p, nr);
}

const pid_t *gpumem_client_holders(const struct gpumem_snapshot *s,
				   const struct gpumem_client *c, size_t *nr)
{
	return list_of(&s->hold.client_pids, sizeof(pid_t), s->clients,
		       s->nr_clients, sizeof(*c), c, nr);
}

const pid_t *gpumem_dmabuf_holders(const struct gpumem_snapshot *s,
				   const struct gpumem_dmabuf *b, size_t *nr)
{
	return list_of(&s->hold.buf_pids, sizeof(pid_t), s->bufs, s->nr_bufs,
		       sizeof(*b), b, nr);
}

const struct gpumem_region *
gpumem_client_regions(const struct gpumem_snapshot *s,
		      const struct gpumem_client *c, size_t *nr)
{
	return list_of(&s->regions.l, sizeof(struct gpumem_region),
		       s->clients, s->nr_clients, sizeof(*c), c, nr);
}

const struct gpumem_engine *
gpumem_client_engines(const struct gpumem_snapshot *s,
		      const struct gpumem_client *c, size_t *nr)
{
	return list_of(&s->engines.l, sizeof(struct gpumem_engine),
		       s->clients, s->nr_clients, sizeof(*c), c, nr);
}

const char *gpumem_kind_name(enum gpumem_kind kind)
{
	static const char *const names[GPUMEM_KIND_COUNT] = {
		"vram", "system", "gtt", "stolen", "unknown",
	};

	return (unsigned int)kind < GPUMEM_KIND_COUNT ? names[kind] : "?";
}
