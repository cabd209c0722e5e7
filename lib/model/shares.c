// SPDX-License-Identifier: MIT
/*
 * Who holds what, and each holder's share.  Every (object, process) pair
 * is one reference; each gets an equal share of the object (PSS-like), the
 * remainder of the division going one byte each to the first holders, so
 * that the PSS-like figures add up exactly to the totals.  A DRM client's
 * size for that is its part of the device (docs/model.md, "GPU shares").
 * The references are then turned into per-process and per-object lists.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

int gm_refs_add(struct gm_refs *r, uint32_t obj, uint32_t proc)
{
	uint64_t key = (uint64_t)obj << 32 | proc;
	uint32_t dummy;
	int err;

	if (gm_map_get(&r->seen, key, &dummy))
		return 0;
	err = gm_map_put(&r->seen, key, 0);
	if (!err)
		err = gm_grow((void **)&r->v, &r->cap, r->nr + 1, sizeof(*r->v));
	if (err)
		return err;
	r->v[r->nr++] = (struct gm_ref){ .obj = obj, .proc = proc };
	return 0;
}

void gm_refs_free(struct gm_refs *r)
{
	free(r->v);
	gm_map_free(&r->seen);
}

/* Holders per object; every reference's share, in reference order. */
static int give_shares(struct gm_refs *r, size_t nr_objs,
		       const uint64_t *sizes, unsigned int *holders)
{
	unsigned int *given = calloc(nr_objs + 1, sizeof(*given));
	size_t i;

	if (!given)
		return -ENOMEM;
	for (i = 0; i < r->nr; i++)
		holders[r->v[i].obj]++;
	for (i = 0; i < r->nr; i++) {
		uint32_t o = r->v[i].obj;
		unsigned int n = holders[o];

		r->v[i].share = sizes[o] / n + (given[o]++ < sizes[o] % n);
	}
	free(given);
	return 0;
}

uint64_t gm_client_shared(const struct gpumem_client *c)
{
	return c->shared_bytes < c->bytes ? c->shared_bytes : c->bytes;
}

/* Each object once: a driver counter, the tracepoint, or unshared clients. */
bool gm_total_exact(const struct gpumem_device *d)
{
	return d->origin == GPUMEM_ORIGIN_TRACEPOINT ||
	       d->origin == GPUMEM_ORIGIN_SYSFS ||
	       (d->origin == GPUMEM_ORIGIN_DERIVED && !d->clients_shared_bytes);
}

/*
 * amdgpu's counters (vram_used + gtt_used) leave out what its clients hold
 * in system memory (drm-memory-cpu): a total that does not hold all of a
 * client's bytes says nothing of where they are.
 */
bool gm_total_holds(const struct gpumem_snapshot *s,
		    const struct gpumem_client *c)
{
	const struct gpumem_device *d = &s->devs.dev[c->device];
	const struct gpumem_region *r;
	size_t i, nr;
	uint64_t v;

	if (d->origin != GPUMEM_ORIGIN_SYSFS || (!d->vram_total && !d->gtt_total))
		return true;
	r = gpumem_client_regions(s, c, &nr);
	for (i = 0; i < nr; i++) {
		if (r[i].kind != GPUMEM_KIND_VRAM && r[i].kind != GPUMEM_KIND_GTT &&
		    gm_region_bytes(&r[i], &v) && v)
			return false;
	}
	return true;
}

/* What a device's clients report, before the pool. */
struct dev_sums {
	uint64_t priv, max_shared;
	bool outside;		/* a client's bytes the total does not hold */
};

static void sum_clients(const struct gpumem_snapshot *s, struct dev_sums *ds)
{
	size_t i;

	for (i = 0; i < s->nr_clients; i++) {
		const struct gpumem_client *c = &s->clients[i];
		struct dev_sums *x;
		uint64_t shared;

		if (c->device < 0 || !c->mem_known)
			continue;
		x = &ds[c->device];
		shared = gm_client_shared(c);
		x->priv = gm_add_sat(x->priv, c->bytes - shared);
		x->max_shared = shared > x->max_shared ? shared : x->max_shared;
		x->outside |= !gm_total_holds(s, c);
	}
}

/*
 * fdinfo has no object identity, but a client's private bytes (total less
 * drm-shared) are its own.  What the device holds beyond all private bytes
 * is its shared objects once, plus what no file holds (the kernel's own,
 * handle-less buffers); the two cannot be told apart.  The shared objects
 * once are at least the largest client's shared bytes and at most both
 * that rest and all the shared bytes reported: the pool is known when
 * those meet, and only then are the shares exact.  Every holder and every
 * file must be known too: an unread one's bytes would be taken for the
 * pool.  A sum that saturated is no figure to split.
 */
static bool pool_known(const struct gpumem_snapshot *s,
		       const struct gpumem_device *d, const struct dev_sums *x,
		       uint64_t *pool)
{
	uint64_t shared = d->clients_shared_bytes, rest;

	if (!gm_total_exact(d) || x->priv > d->total_bytes || x->outside ||
	    x->priv == UINT64_MAX || shared == UINT64_MAX ||
	    d->nr_unknown_clients || s->stats.unreadable_processes ||
	    s->stats.unresolved_fds)
		return false;
	rest = d->total_bytes - x->priv;
	*pool = rest < shared ? rest : shared;
	return *pool == x->max_shared;
}

static int device_pools(struct gpumem_snapshot *s)
{
	struct dev_sums *ds = calloc(s->devs.nr + 1, sizeof(*ds));
	size_t i;

	if (!ds)
		return -ENOMEM;
	sum_clients(s, ds);
	for (i = 0; i < s->devs.nr; i++) {
		struct gpumem_device *d = &s->devs.dev[i];
		uint64_t pool;

		d->total_upper_bound = d->origin == GPUMEM_ORIGIN_DERIVED &&
				       d->clients_shared_bytes;
		d->shares_exact = pool_known(s, d, &ds[i], &pool);
		if (!d->shares_exact)
			continue;
		d->shared_pool_bytes = pool;
		d->unattributed_bytes = d->total_bytes - ds[i].priv - pool;
	}
	free(ds);
	return 0;
}

/*
 * A client's part of its device: its private bytes, plus the pool split
 * in proportion to the shared bytes each client reports.  Where the pool
 * is not known, its whole size: an upper bound.
 */
static int client_shares(struct gpumem_snapshot *s)
{
	struct gm_split *sp = calloc(s->devs.nr + 1, sizeof(*sp));
	size_t i;

	if (!sp)
		return -ENOMEM;
	for (i = 0; i < s->devs.nr; i++)
		sp[i] = (struct gm_split){
			.total = s->devs.dev[i].shared_pool_bytes,
			.sum = s->devs.dev[i].clients_shared_bytes,
		};
	for (i = 0; i < s->nr_clients; i++) {
		struct gpumem_client *c = &s->clients[i];
		uint64_t shared = gm_client_shared(c);
		bool pool = c->device >= 0 &&
			    s->devs.dev[c->device].shares_exact;

		c->share_exact = c->mem_known && (!shared || pool);
		c->share_bytes = !c->mem_known ? 0 :
				 !shared || !pool ? c->bytes :
				 c->bytes - shared +
				 gm_split_next(&sp[c->device], shared);
	}
	free(sp);
	return 0;
}

int gm_shares_clients(struct gpumem_snapshot *s, struct gm_refs *r)
{
	unsigned int *holders = calloc(s->nr_clients + 1, sizeof(*holders));
	uint64_t *sizes = calloc(s->nr_clients + 1, sizeof(*sizes));
	size_t i;
	int err = -ENOMEM;

	if (!holders || !sizes)
		goto out;
	err = device_pools(s);
	if (!err)
		err = client_shares(s);
	for (i = 0; !err && i < s->nr_clients; i++)
		sizes[i] = s->clients[i].share_bytes;
	if (!err)
		err = give_shares(r, s->nr_clients, sizes, holders);
	for (i = 0; !err && i < r->nr; i++) {
		const struct gpumem_client *c = &s->clients[r->v[i].obj];
		struct gpumem_process *p = &s->procs[r->v[i].proc];

		p->nr_clients++;
		p->nr_unknown_clients += !c->mem_known;
	}
	for (i = 0; !err && i < s->nr_clients; i++)
		s->clients[i].nr_holders = holders[i];
out:
	free(holders);
	free(sizes);
	return err;
}

int gm_shares_dmabufs(struct gpumem_snapshot *s, struct gm_refs *r)
{
	unsigned int *holders = calloc(s->nr_bufs + 1, sizeof(*holders));
	uint64_t *sizes = calloc(s->nr_bufs + 1, sizeof(*sizes));
	size_t i;
	int err = -ENOMEM;

	if (!holders || !sizes)
		goto out;
	for (i = 0; i < s->nr_bufs; i++)
		sizes[i] = s->bufs[i].size;
	err = give_shares(r, s->nr_bufs, sizes, holders);
	for (i = 0; !err && i < r->nr; i++) {
		const struct gpumem_dmabuf *d = &s->bufs[r->v[i].obj];
		struct gpumem_process *p = &s->procs[r->v[i].proc];

		p->nr_dmabufs++;
		p->dmabuf_rss_bytes = gm_add_sat(p->dmabuf_rss_bytes, d->size);
		p->dmabuf_pss_bytes = gm_add_sat(p->dmabuf_pss_bytes,
						 r->v[i].share);
	}
	for (i = 0; !err && i < s->nr_bufs; i++)
		s->bufs[i].nr_holders = holders[i];
out:
	free(holders);
	free(sizes);
	return err;
}
