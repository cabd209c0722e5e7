// SPDX-License-Identifier: MIT
/*
 * Who holds what, and each holder's share.  Every (object, process) pair
 * is one reference; each gets the full size (RSS-like) and an equal share
 * (PSS-like), the remainder of the division going one byte each to the
 * first holders, so that the PSS-like figures add up exactly to the totals.
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

int gm_shares_clients(struct gpumem_snapshot *s, struct gm_refs *r)
{
	unsigned int *holders = calloc(s->nr_clients + 1, sizeof(*holders));
	uint64_t *sizes = calloc(s->nr_clients + 1, sizeof(*sizes));
	size_t i;
	int err = -ENOMEM;

	if (!holders || !sizes)
		goto out;
	for (i = 0; i < s->nr_clients; i++)
		sizes[i] = s->clients[i].mem_known ? s->clients[i].bytes : 0;
	err = give_shares(r, s->nr_clients, sizes, holders);
	for (i = 0; !err && i < r->nr; i++) {
		const struct gpumem_client *c = &s->clients[r->v[i].obj];
		struct gpumem_process *p = &s->procs[r->v[i].proc];

		p->nr_clients++;
		if (!c->mem_known) {
			p->nr_unknown_clients++;
			continue;
		}
		p->gpu_total_bytes = gm_add_sat(p->gpu_total_bytes, c->bytes);
		p->gpu_pss_bytes = gm_add_sat(p->gpu_pss_bytes, r->v[i].share);
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
