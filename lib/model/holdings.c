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

static void renumber(struct gm_refs *r, const uint32_t *where)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		r->v[i].proc = where[r->v[i].proc];
}

/* Largest PSS-like total first; ties by pid, so output is stable. */
int gm_sort_procs(struct gpumem_snapshot *s, struct gm_refs *clients,
		  struct gm_refs *bufs)
{
	size_t i, n = s->nr_procs;
	uint32_t *order = calloc(n + 1, sizeof(*order));
	uint32_t *where = calloc(n + 1, sizeof(*where));
	struct gpumem_process *sorted = calloc(n + 1, sizeof(*sorted));
	int err = -ENOMEM;

	if (!order || !where || !sorted)
		goto out;
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), cmp_proc, s->procs);
	for (i = 0; i < n; i++) {
		where[order[i]] = (uint32_t)i;
		sorted[i] = s->procs[order[i]];
	}
	if (n)
		memcpy(s->procs, sorted, n * sizeof(*sorted));
	renumber(clients, where);
	renumber(bufs, where);
	err = 0;
out:
	free(order);
	free(where);
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

static struct gpumem_process_device *
dev_entry(struct gpumem_process_device *first, unsigned int *nr, int device)
{
	unsigned int i;

	for (i = 0; i < *nr; i++) {
		if (first[i].device == device)
			return &first[i];
	}
	memset(&first[i], 0, sizeof(first[i]));
	first[i].struct_size = sizeof(first[i]);
	first[i].device = device;
	(*nr)++;
	return &first[i];
}

static void add_client(struct gpumem_process_device *d,
		       const struct gpumem_client *c, uint64_t share)
{
	unsigned int r;
	uint64_t v;

	d->nr_clients++;
	if (!c->mem_known) {
		d->nr_unknown_clients++;
		return;
	}
	d->rss_bytes = gm_add_sat(d->rss_bytes, c->bytes);
	d->pss_bytes = gm_add_sat(d->pss_bytes, share);
	for (r = 0; r < c->nr_regions; r++) {
		if (gm_region_bytes(&c->regions[r], &v))
			d->by_kind[c->regions[r].kind] =
				gm_add_sat(d->by_kind[c->regions[r].kind], v);
	}
}

/* A process holds clients on few devices: a linear search is enough. */
static int devices_of(struct gpumem_snapshot *s)
{
	struct gm_holdings *h = &s->hold;
	const struct gpumem_holding *hv = h->proc_clients.v;
	struct gpumem_process_device *dv;
	size_t p, n = 0;

	h->proc_devs.first = calloc(s->nr_procs + 2, sizeof(uint32_t));
	dv = calloc(h->proc_clients.first[s->nr_procs] + 1, sizeof(*dv));
	h->proc_devs.v = dv;
	if (!h->proc_devs.first || !dv)
		return -ENOMEM;
	for (p = 0; p < s->nr_procs; p++) {
		unsigned int nr = 0;
		uint32_t i;

		for (i = h->proc_clients.first[p];
		     i < h->proc_clients.first[p + 1]; i++) {
			const struct gpumem_client *c = &s->clients[hv[i].index];

			add_client(dev_entry(dv + n, &nr, c->device), c,
				   hv[i].share_bytes);
		}
		n += nr;
		h->proc_devs.first[p + 1] = (uint32_t)n;
	}
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

const char *gpumem_kind_name(enum gpumem_kind kind)
{
	static const char *const names[GPUMEM_KIND_COUNT] = {
		"vram", "system", "gtt", "stolen", "unknown",
	};

	return (unsigned int)kind < GPUMEM_KIND_COUNT ? names[kind] : "?";
}
