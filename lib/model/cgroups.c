// SPDX-License-Identifier: MIT
/*
 * The snapshot's cgroups: each distinct one once, so that processes of one
 * service, container or pod point at one entry, and grouping by it is
 * grouping by an index.  And what the dmem controller says of them.
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* FNV-1a: a map key for a path; equal keys are still compared. */
static uint64_t path_key(const char *path, bool v1)
{
	uint64_t h = 0xcbf29ce484222325ull ^ v1;

	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 0x100000001b3ull;
	return h;
}

static bool same(const struct gpumem_cgroup *a, const struct gpumem_cgroup *b)
{
	return a->v1 == b->v1 && !strcmp(a->path, b->path);
}

static bool find(const struct gm_cgroups *c, const struct gpumem_cgroup *cg,
		 uint64_t key, uint32_t *idx)
{
	size_t i;

	if (!gm_map_get(&c->by_key, key, idx))
		return false;
	if (same(&c->v[*idx], cg))
		return true;
	/* Two paths, one key: rare enough to look through them all. */
	for (i = 0; i < c->nr; i++) {
		if (same(&c->v[i], cg)) {
			*idx = (uint32_t)i;
			return true;
		}
	}
	return false;
}

int gm_cgroups_intern(struct gm_cgroups *c, const struct gpumem_cgroup *cg,
		      uint32_t *idx)
{
	uint64_t key = path_key(cg->path, cg->v1);
	struct gpumem_cgroup *n;
	uint32_t first;
	char *path;
	int err;

	if (find(c, cg, key, idx))
		return 0;
	err = gm_grow((void **)&c->v, &c->cap, c->nr + 1, sizeof(*c->v));
	if (err)
		return err;
	path = strdup(cg->path);
	if (!path)
		return -ENOMEM;
	*idx = (uint32_t)c->nr;
	if (!gm_map_get(&c->by_key, key, &first))
		err = gm_map_put(&c->by_key, key, *idx);
	if (err) {
		free(path);
		return err;
	}
	n = &c->v[c->nr++];
	*n = *cg;
	n->struct_size = sizeof(*n);
	n->path = path;
	return 0;
}

void gm_cgroups_free(struct gm_cgroups *c)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		free((char *)c->v[i].path);
	free(c->v);
	gm_map_free(&c->by_key);
	memset(c, 0, sizeof(*c));
}

const struct gpumem_cgroup *gpumem_cgroups(const struct gpumem_snapshot *s,
					   size_t *nr)
{
	*nr = s->cgroups.nr;
	return s->cgroups.v;
}

const struct gpumem_cgroup *
gpumem_process_cgroup(const struct gpumem_snapshot *s,
		      const struct gpumem_process *p)
{
	if (p->cgroup < 0 || (size_t)p->cgroup >= s->cgroups.nr)
		return NULL;
	return &s->cgroups.v[p->cgroup];
}

const char *gpumem_process_owner(const struct gpumem_snapshot *s,
				 const struct gpumem_process *p)
{
	const struct gpumem_cgroup *cg = gpumem_process_cgroup(s, p);

	return cg ? cg->owner : "unknown";
}

const char *gpumem_owner_kind_name(enum gpumem_owner_kind kind)
{
	static const char *const names[] = {
		"unknown", "unit", "container", "pod",
	};

	return (unsigned int)kind < GM_ARRAY_SIZE(names) ? names[kind] : "?";
}

void gm_dmem_free(struct gm_dmem *d)
{
	size_t i;

	for (i = 0; i < d->nr_paths; i++)
		free(d->paths[i]);
	free(d->paths);
	free(d->regions);
	free(d->pools);
	memset(d, 0, sizeof(*d));
}

bool gpumem_dmem_available(const struct gpumem_snapshot *s)
{
	return s->dmem.available;
}

const struct gpumem_dmem_region *
gpumem_dmem_regions(const struct gpumem_snapshot *s, size_t *nr)
{
	*nr = s->dmem.nr_regions;
	return s->dmem.regions;
}

const struct gpumem_dmem_pool *
gpumem_dmem_pools(const struct gpumem_snapshot *s, size_t *nr)
{
	*nr = s->dmem.nr_pools;
	return s->dmem.pools;
}

/*
 * Linear: a snapshot's processes are in few cgroups.  A v1 path is another
 * hierarchy's, not the one dmem is in.
 */
const struct gpumem_dmem_pool *
gpumem_cgroup_dmem(const struct gpumem_snapshot *s,
		   const struct gpumem_cgroup *cg, size_t *nr)
{
	const struct gm_dmem *d = &s->dmem;
	size_t i, n;

	*nr = 0;
	for (i = 0; cg && !cg->v1 && i < d->nr_pools; i++) {
		if (strcmp(d->pools[i].cgroup, cg->path))
			continue;
		for (n = i; n < d->nr_pools && d->pools[n].cgroup ==
		     d->pools[i].cgroup; n++)
			;
		*nr = n - i;
		return &d->pools[i];
	}
	return NULL;
}
