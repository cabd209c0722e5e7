// SPDX-License-Identifier: MIT
/*
 * gpumem --group: the processes' PSS-like figures summed per cgroup, unit
 * or user.  Each process is in exactly one group (an unknown one too), so
 * the groups add up to what the processes add up to: the clients' memory
 * and the dma-bufs userspace holds, each byte once.  RSS-like figures
 * would not: a buffer shared across groups would count in each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const char unknown[] = "unknown";

/* What puts two processes in one group. */
struct key {
	const struct gpumem_cgroup *cg;
	const char *unit;
	uid_t uid;
};

static struct key key_of(const struct gpumem_snapshot *s,
			 const struct gpumem_process *p,
			 enum gpumem_group_by by)
{
	const struct gpumem_cgroup *cg = gpumem_process_cgroup(s, p);
	struct key k = { .uid = GPUMEM_UID_UNKNOWN };

	if (by == GPUMEM_GROUP_CGROUP)
		k.cg = cg;
	else if (by == GPUMEM_GROUP_UNIT)
		k.unit = !cg ? unknown : cg->unit[0] ? cg->unit : "(no unit)";
	else
		k.uid = gpumem_process_uid(p);
	return k;
}

static bool same_key(const struct key *a, const struct key *b)
{
	if (a->unit || b->unit)
		return a->unit && b->unit && !strcmp(a->unit, b->unit);
	return a->cg == b->cg && a->uid == b->uid;
}

struct acc {
	struct gpumem_group *v;
	struct key *keys;
	size_t nr, cap, cap_keys;
};

/* Linear: there are few groups, and keys of three kinds to compare. */
static int find_or_add(struct acc *a, const struct key *k,
		       struct gpumem_group **g)
{
	size_t i;
	int err;

	for (i = 0; i < a->nr; i++) {
		if (same_key(&a->keys[i], k)) {
			*g = &a->v[i];
			return 0;
		}
	}
	err = gm_grow((void **)&a->v, &a->cap, a->nr + 1, sizeof(*a->v));
	if (!err)
		err = gm_grow((void **)&a->keys, &a->cap_keys, a->nr + 1,
			      sizeof(*a->keys));
	if (err)
		return err;
	a->keys[a->nr] = *k;
	*g = &a->v[a->nr++];
	memset(*g, 0, sizeof(**g));
	(*g)->struct_size = sizeof(**g);
	(*g)->cgroup = k->cg;
	(*g)->uid = k->uid;
	(*g)->name = k->unit ? k->unit : k->cg ? k->cg->path : NULL;
	return 0;
}

static void add(struct gpumem_group *g, const struct gpumem_process *p)
{
	g->nr_processes++;
	g->gpu_pss_bytes = gm_add_sat(g->gpu_pss_bytes, p->gpu_pss_bytes);
	g->dmabuf_pss_bytes = gm_add_sat(g->dmabuf_pss_bytes,
					 p->dmabuf_pss_bytes);
	g->nr_unknown_clients += p->nr_unknown_clients;
	g->nr_pss_bounds += !p->gpu_pss_exact;
}

static uint64_t weight(const struct gpumem_group *g)
{
	return gm_add_sat(g->gpu_pss_bytes, g->dmabuf_pss_bytes);
}

/* Largest first, then by name: the same input, the same order. */
static int by_weight(const void *a, const void *b)
{
	const struct gpumem_group *x = a, *y = b;
	uint64_t wx = weight(x), wy = weight(y);

	if (wx != wy)
		return wx < wy ? 1 : -1;
	if (x->name && y->name)
		return strcmp(x->name, y->name);
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Names that point into the group itself, set once it stops moving. */
static void name_users(struct gpumem_group *v, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (v[i].name)
			continue;
		if (v[i].uid == GPUMEM_UID_UNKNOWN)
			gm_strlcpy(v[i].id, unknown, sizeof(v[i].id));
		else
			snprintf(v[i].id, sizeof(v[i].id), "%u",
				 (unsigned int)v[i].uid);
		v[i].name = v[i].id;
	}
}

int gpumem_group(const struct gpumem_snapshot *s, enum gpumem_group_by by,
		 struct gpumem_group **out, size_t *nr)
{
	const struct gpumem_process *p;
	struct acc a = { 0 };
	struct gpumem_group *g;
	size_t i, n;
	int err = 0;

	p = gpumem_processes(s, &n);
	for (i = 0; !err && i < n; i++) {
		struct key k = key_of(s, &p[i], by);

		err = find_or_add(&a, &k, &g);
		if (!err)
			add(g, &p[i]);
	}
	free(a.keys);
	if (err) {
		free(a.v);
		return err;
	}
	/* No process in a cgroup that could be read: the unknown group. */
	for (i = 0; by == GPUMEM_GROUP_CGROUP && i < a.nr; i++) {
		if (!a.v[i].cgroup)
			a.v[i].name = unknown;
	}
	if (a.nr)
		qsort(a.v, a.nr, sizeof(*a.v), by_weight);
	name_users(a.v, a.nr);
	*out = a.v;
	*nr = a.nr;
	return 0;
}

void gpumem_group_free(struct gpumem_group *g)
{
	free(g);
}

const char *gpumem_group_by_name(enum gpumem_group_by by)
{
	static const char *const names[] = { "cgroup", "unit", "user" };

	return (unsigned int)by < GM_ARRAY_SIZE(names) ? names[by] : "?";
}
