// SPDX-License-Identifier: MIT
/*
 * From a snapshot to the rows top shows: one per process that passes the
 * filter, each with its series, Δ and leak hint; then, grouped by user,
 * cgroup or process tree, a sum per group with its members under it (a
 * tree's indented by depth); each level sorted by the chosen column.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "top.h"

static const char *const col_names[TOP_COL_COUNT] = {
	"PID", "USER", "GPU", "GPU PSS", "DMABUF", "DMA PSS", "DELTA",
	"CGROUP", "COMMAND",
};
static const char *const group_names[TOP_GROUP_COUNT] = {
	"none", "process tree", "user", "cgroup",
};
static const char *const filter_names[TOP_FILTER_COUNT] = {
	"name", "user", "device", "cgroup",
};

const char *top_col_name(enum top_col c)
{
	return col_names[c];
}

const char *top_group_name(enum top_group g)
{
	return group_names[g];
}

const char *top_filter_name(enum top_filter f)
{
	return filter_names[f];
}

void top_filter_parse(struct top_settings *set, const char *text)
{
	static const char prefix[TOP_FILTER_COUNT] = { 'n', 'u', 'd', 'c' };
	int f;

	set->filter_kind = TOP_FILTER_NAME;
	for (f = 0; f < TOP_FILTER_COUNT; f++) {
		if (text[0] == prefix[f] && text[1] == ':') {
			set->filter_kind = f;
			text += 2;
			break;
		}
	}
	snprintf(set->filter, sizeof(set->filter), "%s", text);
}

static int reserve(struct top_rows *r, size_t n)
{
	struct top_row *v;

	if (n <= r->cap)
		return 0;
	v = realloc(r->v, n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	r->v = v;
	r->cap = n;
	return 0;
}

/* A user's name from this system's passwd, and only on this system: the
 * uids of a --root tree are another machine's. */
static void user_name(uid_t uid, bool live, char *out, size_t size)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (uid == GPUMEM_UID_UNKNOWN)
		snprintf(out, size, "?");
	else if (live && !getpwuid_r(uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(out, size, "%s", pw.pw_name);
	else
		snprintf(out, size, "%u", (unsigned int)uid);
}

/* A lookup reads the passwd file: once per uid and run, not per row and
 * sample (a user renamed meanwhile keeps the old name until restart). */
static void row_user(struct top_view *v, struct top_row *r)
{
	struct top_user *u = v->users;
	size_t i;

	for (i = 0; i < v->nr_users; i++) {
		if (u[i].uid == r->uid) {
			snprintf(r->user, sizeof(r->user), "%s", u[i].name);
			return;
		}
	}
	user_name(r->uid, v->live, r->user, sizeof(r->user));
	if (v->nr_users < TOP_USERS) {
		u[v->nr_users].uid = r->uid;
		snprintf(u[v->nr_users].name, sizeof(u->name), "%s", r->user);
		v->nr_users++;
	}
}

static void row_figures(struct top_row *r, const struct gpumem_snapshot *s,
			const struct gpumem_process *p)
{
	const struct gpumem_process_device *pd;
	size_t i, nr;

	pd = gpumem_process_devices(s, p, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_process_device *d = gpumem_at(pd, i);

		if (d->device >= 0 && d->device < TOP_MAX_DEVICES) {
			r->gpu[d->device] = d->rss_bytes;
			r->gpu_pss[d->device] = d->pss_bytes;
		}
	}
	r->gpu_all = p->gpu_total_bytes;
	r->gpu_pss_all = p->gpu_pss_bytes;
	r->dma = p->dmabuf_rss_bytes;
	r->dma_pss = p->dmabuf_pss_bytes;
	r->partial = p->nr_unknown_clients > 0;
}

static bool on_device(const struct gpumem_snapshot *s,
		      const struct gpumem_process *p, const char *want)
{
	const struct gpumem_process_device *pd;
	const struct gpumem_device *devs;
	size_t i, nr, nr_devs;
	char card[32];

	devs = gpumem_devices(s, &nr_devs);
	pd = gpumem_process_devices(s, p, &nr);
	for (i = 0; i < nr; i++) {
		int d = gpumem_at(pd, i)->device;

		if (d < 0 || (size_t)d >= nr_devs)
			continue;
		snprintf(card, sizeof(card), "card%d", gpumem_at(devs, d)->index);
		if (!strcmp(card, want) || !strcmp(gpumem_at(devs, d)->driver, want))
			return true;
	}
	return false;
}

static bool passes(const struct top_row *r, const struct gpumem_snapshot *s,
		   const struct gpumem_process *p,
		   const struct top_settings *set)
{
	if (!set->filter[0])
		return true;
	switch (set->filter_kind) {
	case TOP_FILTER_USER:
		return !strcmp(r->user, set->filter);
	case TOP_FILTER_DEVICE:
		return on_device(s, p, set->filter);
	case TOP_FILTER_CGROUP:
		return strstr(r->cgroup, set->filter) ||
		       (r->cgroup_path && strstr(r->cgroup_path, set->filter));
	default:
		return strstr(r->name, set->filter) != NULL;
	}
}

/*
 * Δ and the leak hint of the figure of pids (series.c: RSS-like, which
 * another holder's exit does not move; docs/leaks.md).
 */
static void row_series(struct top_view *v, struct top_row *r,
		       const pid_t *pids, size_t nr,
		       const struct top_settings *set)
{
	struct gpumem_point pts[TOP_HISTORY];
	size_t n, back = set->delta_samples;

	n = top_series_procs(v->hist, pids, nr, set->rule.window > back ?
			     set->rule.window : back + 1, pts);
	r->has_delta = n > 1;
	if (!n)
		return;
	if (back >= n)
		back = n - 1;
	r->delta = (int64_t)(pts[n - 1].bytes - pts[n - 1 - back].bytes);
	gpumem_leak_check(pts, n, &set->rule, &r->leak);
	v->nr_leaks += r->leak.leak;
}

static void row_owner(struct top_row *r, const struct gpumem_snapshot *s,
		      const struct gpumem_process *p)
{
	const struct gpumem_cgroup *cg = gpumem_process_cgroup(s, p);

	snprintf(r->cgroup, sizeof(r->cgroup), "%s",
		 gpumem_process_owner(s, p));
	r->cgroup_path = cg ? cg->path : NULL;
}

/* The command line when asked for and there is one (a kernel thread, a
 * zombie or a capture has none: then comm).  Read for every process, not
 * only those shown: a filter by name sees what the column shows. */
static void row_name(struct top_row *r, const struct top_view *v,
		     const struct gpumem_process *p,
		     const struct top_settings *set)
{
	if (!set->cmdline || gpumem_process_cmdline(v->root, p->pid, r->name,
						    sizeof(r->name)))
		snprintf(r->name, sizeof(r->name), "%s", p->comm);
}

static int add_procs(struct top_view *v, const struct gpumem_snapshot *s,
		     const struct top_settings *set)
{
	const struct gpumem_process *procs = gpumem_processes(s, &v->nr_procs);
	size_t i;

	if (reserve(&v->procs, v->nr_procs))
		return -ENOMEM;
	v->procs.nr = 0;
	for (i = 0; i < v->nr_procs; i++) {
		const struct gpumem_process *p = gpumem_at(procs, i);
		struct top_row *r = &v->procs.v[v->procs.nr];

		memset(r, 0, sizeof(*r));
		r->pid = p->pid;
		r->uid = gpumem_process_uid(p);
		r->nr_procs = 1;
		row_user(v, r);
		row_owner(r, s, p);
		row_name(r, v, p, set);
		r->ppid = gpumem_process_ppid(p);
		row_figures(r, s, p);
		if (passes(r, s, p, set)) {
			row_series(v, r, &r->pid, 1, set);
			v->procs.nr++;
		}
	}
	return 0;
}

/* qsort has no context argument: the settings of the sort in progress. */
static const struct top_settings *sort_set;

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_col(const struct top_row *a, const struct top_row *b,
		   enum top_col c)
{
	switch (c) {
	case TOP_COL_PID:
		return cmp_u64((uint64_t)a->pid, (uint64_t)b->pid);
	case TOP_COL_USER:
		return strcmp(a->user, b->user);
	case TOP_COL_GPU:
		return cmp_u64(a->gpu_all, b->gpu_all);
	case TOP_COL_GPU_PSS:
		return cmp_u64(a->gpu_pss_all, b->gpu_pss_all);
	case TOP_COL_DMA:
		return cmp_u64(a->dma, b->dma);
	case TOP_COL_DMA_PSS:
		return cmp_u64(a->dma_pss, b->dma_pss);
	case TOP_COL_DELTA:
		return a->delta < b->delta ? -1 : a->delta > b->delta;
	case TOP_COL_CGROUP:
		return strcmp(a->cgroup, b->cgroup);
	default:
		return strcmp(a->name, b->name);
	}
}

/*
 * Figures largest first, names and pids A to Z; r reverses; ties by pid,
 * then (sums, whose pid is 0) by their first member: a tree by its root.
 */
static int cmp_rows(const void *pa, const void *pb)
{
	const struct top_row *a = *(const struct top_row *const *)pa;
	const struct top_row *b = *(const struct top_row *const *)pb;
	enum top_col c = sort_set->sort;
	bool text = c == TOP_COL_PID || c == TOP_COL_USER ||
		    c == TOP_COL_CGROUP || c == TOP_COL_NAME;
	int d = cmp_col(a, b, c);

	if (!text)
		d = -d;
	if (sort_set->reverse)
		d = -d;
	if (!d)
		d = cmp_u64((uint64_t)a->pid, (uint64_t)b->pid);
	return d ? d : cmp_u64(a->first, b->first);
}

static void sort_rows(const struct top_row **v, size_t nr,
		      const struct top_settings *set)
{
	sort_set = set;
	qsort(v, nr, sizeof(*v), cmp_rows);
}

static int reserve_shown(struct top_view *v, size_t n)
{
	const struct top_row **s = realloc(v->shown, (n ? n : 1) * sizeof(*s));

	if (!s)
		return -ENOMEM;
	v->shown = s;
	v->nr_shown = 0;
	return 0;
}

static const char *group_key(const struct top_row *r, enum top_group g)
{
	return g == TOP_GROUP_USER ? r->user : r->cgroup;
}

static int cmp_group_key(const void *pa, const void *pb)
{
	const struct top_row *a = *(const struct top_row *const *)pa;
	const struct top_row *b = *(const struct top_row *const *)pb;
	int d = strcmp(group_key(a, sort_set->group),
		       group_key(b, sort_set->group));

	return d ? d : cmp_rows(pa, pb);
}

static void group_add(struct top_row *g, const struct top_row *r)
{
	int d;

	for (d = 0; d < TOP_MAX_DEVICES; d++) {
		g->gpu[d] += r->gpu[d];
		g->gpu_pss[d] += r->gpu_pss[d];
	}
	g->gpu_all += r->gpu_all;
	g->gpu_pss_all += r->gpu_pss_all;
	g->dma += r->dma;
	g->dma_pss += r->dma_pss;
	g->partial |= r->partial;
	g->nr_procs++;
}

/* One sum per run of members with the same key (members sorted by key). */
static int make_groups(struct top_view *v, const struct top_row **m,
		       const struct top_settings *set)
{
	size_t i;

	if (reserve(&v->groups, v->procs.nr))
		return -ENOMEM;
	v->groups.nr = 0;
	for (i = 0; i < v->procs.nr; i++) {
		struct top_row *g = &v->groups.v[v->groups.nr];

		if (i && !strcmp(group_key(m[i], set->group),
				 group_key(m[i - 1], set->group))) {
			group_add(g - 1, m[i]);
			continue;
		}
		memset(g, 0, sizeof(*g));
		snprintf(g->user, sizeof(g->user), "%s", m[i]->user);
		snprintf(g->cgroup, sizeof(g->cgroup), "%s", m[i]->cgroup);
		snprintf(g->name, sizeof(g->name), "%s",
			 group_key(m[i], set->group));
		g->first = i;
		group_add(g, m[i]);
		v->groups.nr++;
	}
	return 0;
}

/* A group's series: its members' pids, in m from its first. */
static int group_series(struct top_view *v, const struct top_row **m,
			const struct top_settings *set)
{
	pid_t *pids = malloc((v->procs.nr + 1) * sizeof(*pids));
	size_t i, j;

	if (!pids)
		return -ENOMEM;
	for (i = 0; i < v->groups.nr; i++) {
		struct top_row *g = &v->groups.v[i];

		for (j = 0; j < g->nr_procs; j++)
			pids[j] = m[g->first + j]->pid;
		row_series(v, g, pids, g->nr_procs, set);
	}
	free(pids);
	return 0;
}

/*
 * The sums in the sort's order, each followed by its members: m from the
 * group's first, nr_procs of them, their depth already set.
 */
static int show_groups(struct top_view *v, const struct top_row **m,
		       const struct top_settings *set)
{
	const struct top_row **g = malloc((v->groups.nr + 1) * sizeof(*g));
	size_t i, j;

	if (!g || group_series(v, m, set) ||
	    reserve_shown(v, v->procs.nr + v->groups.nr)) {
		free(g);
		return -ENOMEM;
	}
	for (i = 0; i < v->groups.nr; i++)
		g[i] = &v->groups.v[i];
	sort_rows(g, v->groups.nr, set);
	for (i = 0; i < v->groups.nr; i++) {
		v->shown[v->nr_shown++] = g[i];
		for (j = 0; j < g[i]->nr_procs; j++)
			v->shown[v->nr_shown++] = m[g[i]->first + j];
	}
	free(g);
	return 0;
}

/* Each group's sum, then its members, groups in the sort's order. */
static int show_grouped(struct top_view *v, const struct top_settings *set)
{
	const struct top_row **m = malloc((v->procs.nr + 1) * sizeof(*m));
	size_t i;
	int err = -ENOMEM;

	if (!m)
		return err;
	for (i = 0; i < v->procs.nr; i++) {
		v->procs.v[i].depth = 1;
		m[i] = &v->procs.v[i];
	}
	sort_set = set;
	qsort(m, v->procs.nr, sizeof(*m), cmp_group_key);
	if (!make_groups(v, m, set))
		err = show_groups(v, m, set);
	free(m);
	return err;
}

static int cmp_pid(const void *pa, const void *pb)
{
	const struct top_row *a = *(const struct top_row *const *)pa;
	const struct top_row *b = *(const struct top_row *const *)pb;

	return cmp_u64((uint64_t)a->pid, (uint64_t)b->pid);
}

/* By parent, siblings in the sort's order (the rank show_tree gave). */
static int cmp_ppid(const void *pa, const void *pb)
{
	const struct top_row *a = *(const struct top_row *const *)pa;
	const struct top_row *b = *(const struct top_row *const *)pb;

	if (a->ppid != b->ppid)
		return a->ppid < b->ppid ? -1 : 1;
	return cmp_u64(a->first, b->first);
}

/* The first of rows (sorted by pid, or by ppid) with want, or nr. */
static size_t lower_bound(const struct top_row **rows, size_t nr, pid_t want,
			  bool by_ppid)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		pid_t k = by_ppid ? rows[mid]->ppid : rows[mid]->pid;

		if (k < want)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The holders in the sort's order, by pid and by parent; a walk's state. */
struct tree {
	const struct top_row **sorted, **by_pid, **by_ppid;
	size_t nr;
	bool *done;		/* by a row's index in v->procs */
	struct tree_step {
		const struct top_row *r;
		size_t next;	/* its next child in by_ppid */
	} *stack;
	const struct top_row **m;	/* the members, tree after tree */
	size_t nr_m;
};

/* A root: its parent holds nothing (or is not known), or is itself. */
static bool is_root(const struct tree *t, const struct top_row *r)
{
	size_t i = lower_bound(t->by_pid, t->nr, r->ppid, false);

	return r->ppid == r->pid || i == t->nr || t->by_pid[i]->pid != r->ppid;
}

/* The row of r's parent; r is no root. */
static const struct top_row *parent_of(const struct tree *t,
				       const struct top_row *r)
{
	return t->by_pid[lower_bound(t->by_pid, t->nr, r->ppid, false)];
}

/*
 * What no root's tree took hangs, through its parents, from a ppid loop:
 * the loop's first member in the sort's order roots it, and so all that
 * hangs from the loop, wherever it sorts.  Floyd's walk finds a member in
 * steps linear in the chain, with no memory.
 */
static const struct top_row *loop_root(const struct tree *t,
				       const struct top_row *r)
{
	const struct top_row *slow = parent_of(t, r);
	const struct top_row *fast = parent_of(t, slow), *best;

	while (slow != fast) {
		slow = parent_of(t, slow);
		fast = parent_of(t, parent_of(t, fast));
	}
	best = slow;
	for (r = parent_of(t, slow); r != slow; r = parent_of(t, r)) {
		if (r->first < best->first)
			best = r;
	}
	return best;
}

static void tree_visit(struct top_view *v, struct tree *t, size_t top,
		       const struct top_row *r, struct top_row *g)
{
	t->done[r - v->procs.v] = true;
	t->stack[top].r = r;
	t->stack[top].next = lower_bound(t->by_ppid, t->nr, r->pid, true);
	((struct top_row *)r)->depth = (unsigned int)top + 1;
	t->m[t->nr_m++] = r;
	group_add(g, r);
}

/*
 * Depth first from r, without recursion (a --root tree's chain may be as
 * long as it likes), each row once: a ppid loop ends where it began.  The
 * tree's sum is a new group, its members the next run of t->m.
 */
static void walk_tree(struct top_view *v, struct tree *t,
		      const struct top_row *r)
{
	struct top_row *g = &v->groups.v[v->groups.nr++];
	size_t top = 1;

	memset(g, 0, sizeof(*g));
	snprintf(g->user, sizeof(g->user), "%s", r->user);
	snprintf(g->cgroup, sizeof(g->cgroup), "%s", r->cgroup);
	snprintf(g->name, sizeof(g->name), "%s", r->name);
	g->first = t->nr_m;
	tree_visit(v, t, 0, r, g);
	while (top) {
		struct tree_step *at = &t->stack[top - 1];
		size_t i = at->next++;
		const struct top_row *c = i < t->nr ? t->by_ppid[i] : NULL;

		if (!c || c->ppid != at->r->pid)
			top--;
		else if (!t->done[c - v->procs.v])
			tree_visit(v, t, top++, c, g);
	}
}

static void tree_free(struct tree *t)
{
	free(t->sorted);
	free(t->by_pid);
	free(t->by_ppid);
	free(t->done);
	free(t->stack);
	free(t->m);
}

static int tree_alloc(struct tree *t, size_t nr)
{
	size_t n = nr + 1;

	t->nr = nr;
	t->sorted = malloc(n * sizeof(*t->sorted));
	t->by_pid = malloc(n * sizeof(*t->by_pid));
	t->by_ppid = malloc(n * sizeof(*t->by_ppid));
	t->done = calloc(n, sizeof(*t->done));
	t->stack = malloc(n * sizeof(*t->stack));
	t->m = malloc(n * sizeof(*t->m));
	return t->sorted && t->by_pid && t->by_ppid && t->done && t->stack &&
	       t->m ? 0 : -ENOMEM;
}

/*
 * One sum per tree of holders, then its members indented by depth, each
 * level in the sort's order.  Every holder is in one tree, so the trees'
 * sums add up to the processes'.  Where ppids loop (a --root tree can say
 * anything) no member is a root: the first of the loop in the sort's
 * order is taken for one (loop_root), so no process goes missing.
 */
static int show_tree(struct top_view *v, const struct top_settings *set)
{
	struct tree t = { 0 };
	size_t i, nr = v->procs.nr;
	int err = tree_alloc(&t, nr);

	if (!err)
		err = reserve(&v->groups, nr);
	if (err)
		goto out;
	v->groups.nr = 0;
	for (i = 0; i < nr; i++)
		t.sorted[i] = t.by_pid[i] = &v->procs.v[i];
	sort_rows(t.sorted, nr, set);
	for (i = 0; i < nr; i++) {
		((struct top_row *)t.sorted[i])->first = i;
		t.by_ppid[i] = t.sorted[i];
	}
	qsort(t.by_pid, nr, sizeof(*t.by_pid), cmp_pid);
	qsort(t.by_ppid, nr, sizeof(*t.by_ppid), cmp_ppid);
	for (i = 0; i < nr; i++) {
		if (is_root(&t, t.sorted[i]) && !t.done[t.sorted[i] - v->procs.v])
			walk_tree(v, &t, t.sorted[i]);
	}
	for (i = 0; i < nr; i++) {
		if (!t.done[t.sorted[i] - v->procs.v])
			walk_tree(v, &t, loop_root(&t, t.sorted[i]));
	}
	err = show_groups(v, t.m, set);
out:
	tree_free(&t);
	return err;
}
static int show_flat(struct top_view *v, const struct top_settings *set)
{
	size_t i;

	if (reserve_shown(v, v->procs.nr))
		return -ENOMEM;
	for (i = 0; i < v->procs.nr; i++)
		v->shown[v->nr_shown++] = &v->procs.v[i];
	sort_rows(v->shown, v->nr_shown, set);
	return 0;
}

static void add_devices(struct top_view *v, const struct gpumem_snapshot *s,
			const struct top_settings *set)
{
	struct gpumem_point pts[TOP_HISTORY];
	const struct gpumem_device *devs;
	size_t i, nr, n;

	devs = gpumem_devices(s, &nr);
	for (i = 0; i < nr && i < TOP_MAX_DEVICES; i++) {
		n = top_series_device(v->hist, gpumem_at(devs, i)->index,
				      set->rule.window, pts);
		gpumem_leak_check(pts, n, &set->rule, &v->dev_leak[i]);
		v->nr_leaks += v->dev_leak[i].leak;
	}
}

int top_view_update(struct top_view *v, const struct gpumem_snapshot *s,
		    const struct top_settings *set, bool sample)
{
	int err = sample ? gpumem_history_add(v->hist, s) : 0;

	v->hist_full = err == -E2BIG;
	if (err && err != -E2BIG)
		return err;
	v->snap = s;
	v->nr_leaks = 0;
	add_devices(v, s, set);
	err = add_procs(v, s, set);
	if (!err && (set->group == TOP_GROUP_USER ||
		     set->group == TOP_GROUP_CGROUP))
		err = show_grouped(v, set);
	else if (!err && set->group == TOP_GROUP_TREE)
		err = show_tree(v, set);
	else if (!err)
		err = show_flat(v, set);
	return err;
}

void top_view_free(struct top_view *v)
{
	free(v->procs.v);
	free(v->groups.v);
	free(v->shown);
}
