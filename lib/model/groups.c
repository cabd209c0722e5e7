// SPDX-License-Identifier: MIT
/*
 * gpumem --group: the processes' PSS-like figures summed per cgroup, unit,
 * user or process tree.  Each process is in exactly one group (an unknown
 * one too), so
 * the groups add up to what the processes add up to: the clients' memory
 * and the dma-bufs userspace holds, each byte once.  RSS-like figures
 * would not: a buffer shared across groups would count in each.
 */
#include <errno.h>
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
	long root;		/* by tree: the root's index, else -1 */
};

static struct key key_of(const struct gpumem_snapshot *s,
			 const struct gpumem_process *p,
			 enum gpumem_group_by by, long root)
{
	const struct gpumem_cgroup *cg = gpumem_process_cgroup(s, p);
	struct key k = { .uid = GPUMEM_UID_UNKNOWN, .root = -1 };

	if (by == GPUMEM_GROUP_TREE)
		k.root = root;
	else if (by == GPUMEM_GROUP_CGROUP)
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
	return a->cg == b->cg && a->uid == b->uid && a->root == b->root;
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

/* The processes by pid, for the parent of each. */
struct by_pid {
	pid_t pid;
	size_t i;
};

static int cmp_by_pid(const void *a, const void *b)
{
	const struct by_pid *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* p's parent among the holders (not p itself), or -1. */
static long parent_of(const struct gpumem_process *p, size_t i,
		      const struct by_pid *idx, size_t n)
{
	struct by_pid want = { .pid = gpumem_process_ppid(p) };
	const struct by_pid *at;

	if (want.pid <= 0)
		return -1;
	at = bsearch(&want, idx, n, sizeof(*idx), cmp_by_pid);
	return at && at->i != i ? (long)at->i : -1;
}

/*
 * Each holder's root, without recursion and each once: up from a holder
 * until a root, a holder already resolved, or one on this very path (a
 * loop, whose smallest pid is then its root; a --root tree may say so).
 */
static void resolve(const struct gpumem_process *p, size_t start,
		    const struct by_pid *idx, size_t n, long *root,
		    unsigned char *state, size_t *path)
{
	size_t len = 0, k;
	long cur = (long)start, r;

	while (cur >= 0 && !state[cur]) {
		state[cur] = 1;
		path[len++] = (size_t)cur;
		cur = parent_of(&p[cur], (size_t)cur, idx, n);
	}
	if (cur < 0) {
		r = (long)path[len - 1];
	} else if (state[cur] == 2) {
		r = root[cur];
	} else {
		/* The loop: path from cur's place on. */
		for (k = len - 1; path[k] != (size_t)cur; k--)
			;
		for (r = cur; k < len; k++) {
			if (p[path[k]].pid < p[r].pid)
				r = (long)path[k];
		}
	}
	for (k = 0; k < len; k++) {
		root[path[k]] = r;
		state[path[k]] = 2;
	}
}

static int tree_roots(const struct gpumem_process *p, size_t n, long **out)
{
	struct by_pid *idx = malloc((n + 1) * sizeof(*idx));
	unsigned char *state = calloc(n + 1, 1);
	size_t *path = malloc((n + 1) * sizeof(*path)), i;
	long *root = malloc((n + 1) * sizeof(*root));
	int err = idx && state && path && root ? 0 : -ENOMEM;

	for (i = 0; !err && i < n; i++)
		idx[i] = (struct by_pid){ p[i].pid, i };
	if (!err)
		qsort(idx, n, sizeof(*idx), cmp_by_pid);
	for (i = 0; !err && i < n; i++) {
		if (!state[i])
			resolve(p, i, idx, n, root, state, path);
	}
	free(idx);
	free(state);
	free(path);
	if (err)
		free(root);
	*out = err ? NULL : root;
	return err;
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
	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Names that point into the group itself, set once it stops moving. */
static void name_users(struct gpumem_group *v, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (v[i].name)
			continue;
		if (v[i].root) {
			v[i].name = v[i].label;
			continue;
		}
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
	long *roots = NULL;
	size_t i, n;
	int err = 0;

	p = gpumem_processes(s, &n);
	if (by == GPUMEM_GROUP_TREE)
		err = tree_roots(p, n, &roots);
	for (i = 0; !err && i < n; i++) {
		struct key k = key_of(s, &p[i], by, roots ? roots[i] : -1);

		err = find_or_add(&a, &k, &g);
		if (!err)
			add(g, &p[i]);
		if (!err && roots && !g->root) {
			g->root = p[roots[i]].pid;
			snprintf(g->label, sizeof(g->label), "%d %s",
				 (int)g->root, p[roots[i]].comm);
		}
	}
	free(roots);
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
	static const char *const names[] = { "cgroup", "unit", "user", "tree" };

	return (unsigned int)by < GM_ARRAY_SIZE(names) ? names[by] : "?";
}
