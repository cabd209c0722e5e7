// SPDX-License-Identifier: MIT
/*
 * A snapshot read back from its JSON document (gpumem_print_json): what
 * gpumemd answers gpumem with.  The figures are taken as they are, never
 * computed again: a document of one user's processes keeps the shares
 * those had among all holders.  The document is anyone's (a socket path
 * can be named by whoever runs gpumem), so every value is checked for its
 * type and range, and one that is not what gpumem writes fails the whole
 * document: never half a snapshot.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model.h"

#define DOC_SCHEMA 2

/* The first error wins; every reader is a no-op after it. */
struct rd {
	int err;
};

static const json_t *rd_get(struct rd *r, const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!v && !r->err)
		r->err = -EBADMSG;
	return v;
}

static void rd_bad(struct rd *r, bool bad)
{
	if (bad && !r->err)
		r->err = -EBADMSG;
}

/* An integer in [lo, hi]; known NULL: null is not allowed. */
static long long rd_int(struct rd *r, const json_t *o, const char *key,
			long long lo, long long hi, bool *known)
{
	const json_t *v = rd_get(r, o, key);
	long long x;

	if (known)
		*known = !json_is_null(v);
	if (r->err || (known && !*known))
		return 0;
	x = json_integer_value(v);
	rd_bad(r, !json_is_integer(v) || x < lo || x > hi);
	return r->err ? 0 : x;
}

static uint64_t rd_bytes(struct rd *r, const json_t *o, const char *key,
			 bool *known)
{
	return (uint64_t)rd_int(r, o, key, 0, LLONG_MAX, known);
}

static unsigned int rd_count(struct rd *r, const json_t *o, const char *key)
{
	return (unsigned int)rd_int(r, o, key, 0, UINT_MAX, NULL);
}

static bool rd_bool(struct rd *r, const json_t *o, const char *key)
{
	const json_t *v = rd_get(r, o, key);

	rd_bad(r, !json_is_boolean(v));
	return json_is_true(v);
}

/* A string, cut to size as the sources cut what they read. */
static const char *rd_str(struct rd *r, const json_t *o, const char *key,
			  char *dst, size_t size)
{
	const json_t *v = rd_get(r, o, key);
	const char *s = json_string_value(v);

	rd_bad(r, !s);
	if (dst && size)
		gm_strlcpy(dst, r->err ? "" : s, size);
	return r->err ? "" : s;
}

/* The index of the name of() calls it, of n. */
static int rd_enum(struct rd *r, const json_t *o, const char *key,
		   const char *(*name)(int), int n)
{
	const char *s = rd_str(r, o, key, NULL, 0);
	int i;

	for (i = 0; !r->err && i < n; i++) {
		if (!strcmp(s, name(i)))
			return i;
	}
	rd_bad(r, true);
	return 0;
}

static const char *origin_name(int i) { return gpumem_origin_name(i); }
static const char *kind_name(int i) { return gpumem_kind_name(i); }
static const char *owner_name(int i) { return gpumem_owner_kind_name(i); }
static const char *discovery_name(int i) { return gpumem_discovery_name(i); }
static const char *state_name(int i) { return gpumem_source_state_name(i); }

static const char *tp_state_name(int i)
{
	static const char *const names[] = { "absent", "denied", "error", "ok" };

	return names[i];
}

static const json_t *rd_array(struct rd *r, const json_t *o, const char *key)
{
	const json_t *v = rd_get(r, o, key);

	rd_bad(r, !json_is_array(v));
	return r->err ? NULL : v;
}

/* "card<N>", or "nvidia<N>": index -1 - N (objects.c's card_name). */
static int rd_card(struct rd *r, const json_t *o, const char *key)
{
	const char *s = rd_str(r, o, key, NULL, 0);
	bool nv = !strncmp(s, "nvidia", 6);
	const char *num = s + (nv ? 6 : 4);
	char *end;
	long n;

	rd_bad(r, !nv && strncmp(s, "card", 4));
	if (r->err)
		return 0;
	errno = 0;
	n = strtol(num, &end, 10);
	rd_bad(r, errno || end == num || *end || num[0] < '0' ||
	       num[0] > '9' || n > 0xfffff);
	return r->err ? 0 : nv ? -1 - (int)n : (int)n;
}

static void rd_readings(struct rd *r, const json_t *o,
			struct gpumem_device *d)
{
	const json_t *a = rd_array(r, o, "readings"), *v;
	size_t i;

	rd_bad(r, json_array_size(a) > GPUMEM_MAX_READINGS);
	json_array_foreach(a, i, v) {
		if (r->err)
			return;
		d->readings[i].origin = rd_enum(r, v, "origin", origin_name,
						GPUMEM_ORIGIN_NVML + 1);
		d->readings[i].bytes = rd_bytes(r, v, "bytes", NULL);
		d->nr_readings = (unsigned int)i + 1;
	}
}

static void rd_device(struct rd *r, const json_t *o, struct gpumem_device *d)
{
	char id[16];
	bool known;

	d->struct_size = sizeof(*d);
	d->index = rd_card(r, o, "card");
	d->render_minor = (int)rd_int(r, o, "render_minor", 0, INT_MAX, &known);
	if (!known)
		d->render_minor = -1;
	rd_str(r, o, "driver", d->driver, sizeof(d->driver));
	rd_str(r, o, "pdev", d->pdev, sizeof(d->pdev));
	rd_str(r, o, "pci_id", id, sizeof(id));
	rd_bad(r, !r->err && sscanf(id, "%4x:%4x", &d->vendor_id,
				    &d->device_id) != 2);
	d->total_bytes = rd_bytes(r, o, "total_bytes", &known);
	d->origin = rd_enum(r, o, "total_origin", origin_name,
			    GPUMEM_ORIGIN_NVML + 1);
	rd_bad(r, known != (d->origin != GPUMEM_ORIGIN_NONE));
	d->clients_bytes = rd_bytes(r, o, "clients_bytes", NULL);
	d->clients_shared_bytes = rd_bytes(r, o, "clients_shared_bytes", NULL);
	d->nr_clients = rd_count(r, o, "clients");
	d->nr_unknown_clients = rd_count(r, o, "unknown_clients");
	d->vram_used = rd_bytes(r, o, "vram_used_bytes", NULL);
	d->vram_total = rd_bytes(r, o, "vram_total_bytes", NULL);
	d->gtt_used = rd_bytes(r, o, "gtt_used_bytes", NULL);
	d->gtt_total = rd_bytes(r, o, "gtt_total_bytes", NULL);
	d->vram_reserved = rd_bytes(r, o, "vram_reserved_bytes", NULL);
	rd_str(r, o, "name", d->name, sizeof(d->name));
	rd_readings(r, o, d);
	d->readings_disagree = rd_bool(r, o, "readings_disagree");
	d->total_partial = rd_bool(r, o, "total_partial");
	d->total_upper_bound = rd_bool(r, o, "total_upper_bound");
	d->shares_exact = rd_bool(r, o, "shares_exact");
	d->shared_pool_bytes = rd_bytes(r, o, "shared_pool_bytes", &known);
	d->unattributed_bytes = rd_bytes(r, o, "unattributed_bytes", &known);
}

static int device_of(const struct gpumem_snapshot *s, int index)
{
	size_t i;

	for (i = 0; i < s->devs.nr; i++) {
		if (s->devs.dev[i].index == index)
			return (int)i;
	}
	return -1;
}

/* A figure that is null where no client knows its memory (objects.c). */
static uint64_t rd_size_or(struct rd *r, const json_t *o, const char *key,
			   bool *known)
{
	bool k;
	uint64_t v = rd_bytes(r, o, key, &k);

	if (known)
		*known = k;
	return v;
}

static void rd_by_kind(struct rd *r, const json_t *o,
		       struct gpumem_process_device *pd)
{
	const json_t *k = rd_get(r, o, "by_kind");
	int i;

	if (json_is_null(k))
		return;
	rd_bad(r, !json_is_object(k));
	for (i = 0; !r->err && i < GPUMEM_KIND_COUNT; i++)
		pd->by_kind[i] = rd_bytes(r, k, kind_name(i), NULL);
}

static void rd_proc_device(struct rd *r, const struct gpumem_snapshot *s,
			   const json_t *o, struct gpumem_process_device *pd)
{
	bool pss_known, upper_known;
	uint64_t upper;

	pd->struct_size = sizeof(*pd);
	pd->device = device_of(s, rd_card(r, o, "card"));
	rd_bad(r, pd->device < 0);
	pd->rss_bytes = rd_size_or(r, o, "rss_bytes", NULL);
	pd->rss_exact = rd_bool(r, o, "rss_exact");
	pd->rss_from_tp = !strcmp(rd_str(r, o, "rss_origin", NULL, 0),
				  "tracepoint");
	pd->pss_bytes = rd_size_or(r, o, "pss_bytes", &pss_known);
	upper = rd_size_or(r, o, "pss_upper_bytes", &upper_known);
	pd->pss_exact = pss_known || !upper_known;
	if (!pss_known)
		pd->pss_bytes = upper;
	rd_by_kind(r, o, pd);
	pd->nr_clients = rd_count(r, o, "clients");
	pd->nr_unknown_clients = rd_count(r, o, "unknown_clients");
	rd_bad(r, pd->nr_unknown_clients > pd->nr_clients);
}

/* Each process's devices, one list (holdings.c's layout). */
struct devs_acc {
	struct gpumem_process_device *v;
	size_t nr, cap;
};

static void rd_proc_devices(struct rd *r, struct gpumem_snapshot *s,
			    const json_t *o, struct devs_acc *acc, size_t proc)
{
	const json_t *a = rd_array(r, o, "gpu_devices"), *v;
	size_t i;

	s->hold.proc_devs.first[proc] = (uint32_t)acc->nr;
	json_array_foreach(a, i, v) {
		if (r->err)
			return;
		if (acc->nr >= UINT32_MAX - 1 ||
		    gm_grow((void **)&acc->v, &acc->cap, acc->nr + 1,
			    sizeof(*acc->v))) {
			r->err = -ENOMEM;
			return;
		}
		acc->v[acc->nr] = (struct gpumem_process_device){ 0 };
		rd_proc_device(r, s, v, &acc->v[acc->nr++]);
	}
	s->hold.proc_devs.first[proc + 1] = (uint32_t)acc->nr;
}

static void rd_cgroup(struct rd *r, struct gpumem_snapshot *s,
		      const json_t *o, struct gpumem_process *p)
{
	const json_t *c = rd_get(r, o, "cgroup");
	struct gpumem_cgroup cg = { .struct_size = sizeof(cg) };
	uint32_t idx;
	int err;

	p->cgroup = -1;
	if (r->err || json_is_null(c))
		return;
	rd_bad(r, !json_is_object(c));
	cg.path = rd_str(r, c, "path", NULL, 0);
	cg.v1 = rd_bool(r, c, "v1");
	cg.deleted = rd_bool(r, c, "deleted");
	cg.kind = rd_enum(r, c, "kind", owner_name, GPUMEM_OWNER_POD + 1);
	rd_str(r, c, "unit", cg.unit, sizeof(cg.unit));
	rd_str(r, c, "runtime", cg.runtime, sizeof(cg.runtime));
	rd_str(r, c, "container_id", cg.container_id, sizeof(cg.container_id));
	rd_str(r, c, "pod_uid", cg.pod_uid, sizeof(cg.pod_uid));
	rd_str(r, o, "owner", cg.owner, sizeof(cg.owner));
	if (r->err)
		return;
	err = gm_cgroups_intern(&s->cgroups, &cg, &idx);
	if (err)
		r->err = err;
	p->cgroup = err ? -1 : (int)idx;
}

/*
 * The readings gpumem_process_tp_differs() compares: the document says
 * whether they disagree, and gives both figures only as the table shows
 * them (GPU, GPU (TRACE)).
 */
static void proc_readings(struct rd *r, const json_t *o,
			  struct gpumem_process *p)
{
	p->readings[0] = (struct gpumem_reading){ GPUMEM_ORIGIN_FDINFO,
						  p->gpu_total_bytes };
	p->nr_readings = 1;
	if (rd_bool(r, o, "sources_disagree") && p->tp_known)
		p->readings[p->nr_readings++] = (struct gpumem_reading){
			GPUMEM_ORIGIN_TRACEPOINT, p->tp_bytes };
}

static void rd_process(struct rd *r, struct gpumem_snapshot *s,
		       const json_t *o, struct gpumem_process *p)
{
	bool pss_known, upper_known, known;
	uint64_t upper;

	p->struct_size = sizeof(*p);
	p->pid = (pid_t)rd_int(r, o, "pid", 1, 0x3fffffff, NULL);
	rd_str(r, o, "comm", p->comm, sizeof(p->comm));
	p->gpu_total_bytes = rd_size_or(r, o, "gpu_total_bytes", NULL);
	p->gpu_rss_exact = rd_bool(r, o, "gpu_rss_exact");
	p->gpu_pss_bytes = rd_size_or(r, o, "gpu_pss_bytes", &pss_known);
	upper = rd_size_or(r, o, "gpu_pss_upper_bytes", &upper_known);
	p->gpu_pss_exact = pss_known || !upper_known;
	if (!pss_known)
		p->gpu_pss_bytes = upper;
	p->dmabuf_rss_bytes = rd_bytes(r, o, "dmabuf_rss_bytes", NULL);
	p->dmabuf_pss_bytes = rd_bytes(r, o, "dmabuf_pss_bytes", NULL);
	p->nr_clients = rd_count(r, o, "clients");
	p->nr_unknown_clients = rd_count(r, o, "unknown_clients");
	p->nr_dmabufs = rd_count(r, o, "dmabufs");
	p->tp_bytes = rd_bytes(r, o, "tracepoint_bytes", &p->tp_known);
	p->uid = (uid_t)rd_int(r, o, "uid", 0, UINT_MAX - 1, &known);
	if (!known)
		p->uid = GPUMEM_UID_UNKNOWN;
	p->ppid = (pid_t)rd_int(r, o, "ppid", 0, 0x3fffffff, &known);
	if (!known)
		p->ppid = GPUMEM_PID_UNKNOWN;
	proc_readings(r, o, p);
	rd_cgroup(r, s, o, p);
}

static void rd_devices(struct rd *r, struct gpumem_snapshot *s,
		       const json_t *doc)
{
	const json_t *a = rd_array(r, doc, "devices"), *v;
	size_t i, nr = json_array_size(a);

	if (r->err)
		return;
	s->devs.dev = calloc(nr ? nr : 1, sizeof(*s->devs.dev));
	if (!s->devs.dev) {
		r->err = -ENOMEM;
		return;
	}
	s->devs.cap = nr;
	json_array_foreach(a, i, v) {
		if (r->err)
			return;
		rd_device(r, v, &s->devs.dev[i]);
		rd_bad(r, device_of(s, s->devs.dev[i].index) >= 0);
		s->devs.nr = i + 1;
	}
}

/* A pid gpumem lists once: twice, its figures would count twice. */
static void rd_once(struct rd *r, struct gm_map *seen, pid_t pid, size_t i)
{
	uint32_t at;
	int err;

	if (r->err)
		return;
	rd_bad(r, gm_map_get(seen, (uint64_t)pid, &at));
	err = r->err ? 0 : gm_map_put(seen, (uint64_t)pid, (uint32_t)i);
	if (err)
		r->err = err;
}

static void rd_processes(struct rd *r, struct gpumem_snapshot *s,
			 const json_t *doc)
{
	const json_t *a = rd_array(r, doc, "processes"), *v;
	size_t i, nr = json_array_size(a);
	struct devs_acc acc = { 0 };
	struct gm_map pids = { 0 };

	if (r->err)
		return;
	s->procs = calloc(nr ? nr : 1, sizeof(*s->procs));
	s->hold.proc_devs.first = calloc(nr + 1, sizeof(uint32_t));
	if (!s->procs || !s->hold.proc_devs.first) {
		r->err = -ENOMEM;
		return;
	}
	s->cap_procs = nr;
	json_array_foreach(a, i, v) {
		if (r->err)
			break;
		rd_process(r, s, v, &s->procs[i]);
		rd_proc_devices(r, s, v, &acc, i);
		s->nr_procs = i + 1;
		rd_once(r, &pids, s->procs[i].pid, i);
	}
	s->hold.proc_devs.v = acc.v;
	gm_map_free(&pids);
}

static void rd_totals(struct rd *r, const json_t *doc,
		      struct gpumem_dmabuf_totals *t)
{
	const json_t *o = rd_get(r, doc, "dmabuf");
	bool known;

	rd_bad(r, !json_is_object(o));
	t->total_bytes = rd_bytes(r, o, "total_bytes", NULL);
	t->gpu_overlap_bytes = rd_bytes(r, o, "gpu_overlap_bytes", NULL);
	t->userspace_bytes = rd_bytes(r, o, "userspace_bytes", NULL);
	t->kernel_bytes = rd_bytes(r, o, "kernel_bytes", &known);
	t->kernel_unknown = !known;
	t->nr_buffers = rd_count(r, o, "buffers");
	t->sysfs = rd_bool(r, o, "sysfs");
	t->total_partial = rd_bool(r, o, "total_partial");
}

static void rd_stats(struct rd *r, const json_t *doc,
		     struct gpumem_scan_stats *st)
{
	const json_t *o = rd_get(r, doc, "scan");

	rd_bad(r, !json_is_object(o));
	st->unreadable_processes = rd_count(r, doc, "unreadable_processes");
	st->listed = rd_count(r, o, "listed");
	st->processes = rd_count(r, o, "processes");
	st->vanished = rd_count(r, o, "vanished");
	st->malformed_lines = rd_count(r, o, "malformed_lines");
	st->unresolved_fds = rd_count(r, o, "unresolved_fds");
	st->refreshed = rd_bool(r, o, "refreshed");
	st->discovery = rd_enum(r, o, "discovery", discovery_name,
				GPUMEM_DISCOVERY_PROC + 1);
}

/* The collector's state as the daemon read it; its totals stay there. */
static void rd_tp(struct rd *r, const json_t *doc, struct gpumem_tp *tp)
{
	const json_t *o = rd_get(r, doc, "tracepoint");

	rd_bad(r, !json_is_object(o));
	tp->state = rd_enum(r, o, "state", tp_state_name, GPUMEM_TP_OK + 1);
	tp->err = tp->state == GPUMEM_TP_DENIED ? -EACCES :
		  tp->state == GPUMEM_TP_ERROR ? -EIO : 0;
	rd_str(r, o, "path", tp->path, sizeof(tp->path));
	tp->android = rd_bool(r, o, "android");
	tp->events = rd_bytes(r, o, "events", NULL);
	tp->dropped_full = rd_bytes(r, o, "dropped_full", NULL);
	tp->dropped_info_full = rd_bytes(r, o, "dropped_info_full", NULL);
	tp->dropped_ringbuf = rd_bytes(r, o, "dropped_ringbuf", NULL);
	tp->streaming = rd_bool(r, o, "streaming");
}

/* The document's words for each source this library knows. */
static void rd_sources(struct rd *r, struct gpumem_snapshot *s,
		       const json_t *doc)
{
	const json_t *a = rd_array(r, doc, "sources"), *v;
	size_t i, j;

	if (r->err)
		return;
	s->sources = calloc(gm_nr_sources, sizeof(*s->sources));
	if (!s->sources) {
		r->err = -ENOMEM;
		return;
	}
	s->nr_sources = gm_nr_sources;
	for (i = 0; i < gm_nr_sources; i++) {
		struct gpumem_source_status *st = &s->sources[i];

		st->struct_size = sizeof(*st);
		st->name = gm_source_table[i]->name;
		st->what = gm_source_table[i]->what;
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "not in the document");
	}
	json_array_foreach(a, j, v) {
		const char *name = rd_str(r, v, "name", NULL, 0);

		for (i = 0; !r->err && i < gm_nr_sources; i++) {
			struct gpumem_source_status *st = &s->sources[i];

			if (strcmp(name, st->name))
				continue;
			st->state = rd_enum(r, v, "state", state_name,
					    GPUMEM_SOURCE_UNUSED + 1);
			rd_str(r, v, "detail", st->detail, sizeof(st->detail));
		}
	}
}

static void rd_info(struct rd *r, const json_t *doc,
		    struct gpumem_sample_info *info)
{
	const json_t *t = rd_get(r, doc, "time");

	info->struct_size = sizeof(*info);
	rd_bad(r, !json_is_object(t));
	rd_bad(r, rd_int(r, doc, "schema_version", 0, INT_MAX, NULL) !=
	       DOC_SCHEMA);
	rd_str(r, doc, "kernel_release", info->kernel_release,
	       sizeof(info->kernel_release));
	info->realtime_ns = rd_int(r, t, "realtime_ns", LLONG_MIN, LLONG_MAX,
				   NULL);
	info->boottime_ns = rd_int(r, t, "boottime_ns", LLONG_MIN, LLONG_MAX,
				   NULL);
}

int gpumem_snapshot_from_json(const char *text, size_t len,
			      struct gpumem_snapshot **out)
{
	struct rd r = { 0 };
	struct gpumem_snapshot *s;
	json_t *doc;

	*out = NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return -EBADMSG;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(doc);
		return -ENOMEM;
	}
	rd_info(&r, doc, &s->info);
	rd_devices(&r, s, doc);
	rd_processes(&r, s, doc);
	rd_totals(&r, doc, &s->dmabuf);
	rd_stats(&r, doc, &s->stats);
	rd_tp(&r, doc, &s->tp);
	rd_sources(&r, s, doc);
	json_decref(doc);
	if (r.err) {
		gpumem_snapshot_free(s);
		return r.err;
	}
	*out = s;
	return 0;
}
