// SPDX-License-Identifier: MIT
/*
 * The fields of a device and of a process, in JSON key order
 * (docs/json-schema.md); the table shows those with a head, in the same
 * order.  A field in one output only says why.
 */
#include <stdio.h>
#include <string.h>

#include "fields.h"

/*
 * A device's name everywhere: "card<primary minor>"; an NVIDIA GPU without
 * a DRM node (no nvidia-drm), "nvidia<NVML index>".
 */
static const char *card_name(char *buf, size_t size,
			     const struct gpumem_device *d)
{
	if (d->index < 0)
		snprintf(buf, size, "nvidia%d", -1 - d->index);
	else
		snprintf(buf, size, "card%d", d->index);
	return buf;
}

json_t *gm_card_json(const struct gpumem_snapshot *s, int device)
{
	const struct gpumem_device *d;
	char name[32];
	size_t nr;

	d = gpumem_devices(s, &nr);
	if (device < 0 || (size_t)device >= nr)
		return json_null();
	return json_string(card_name(name, sizeof(name), &d[device]));
}

/* Zero: the driver has no such counter, so the capacity is not known. */
static json_t *capacity_json(const void *a, const void *b)
{
	const struct gpumem_device *d = a;

	(void)b;
	return json_pack("{s:o, s:o}",
			 "vram_bytes", d->vram_total ?
			 gm_json_bytes(d->vram_total) : json_null(),
			 "gtt_bytes", d->gtt_total ?
			 gm_json_bytes(d->gtt_total) : json_null());
}

static json_t *readings_json(const void *a, const void *b)
{
	const struct gpumem_device *d = a;
	json_t *arr = json_array();
	unsigned int i;

	(void)b;
	for (i = 0; i < d->nr_readings; i++)
		json_array_append_new(arr, json_pack("{s:s, s:o}", "origin",
				      gpumem_origin_name(d->readings[i].origin),
				      "bytes",
				      gm_json_bytes(d->readings[i].bytes)));
	return arr;
}

/* "8.4 GiB/16.0 GiB" of one kind, or "-" where the driver gives no total. */
static void put_used(struct gm_out *o, const char *head, uint64_t used,
		     uint64_t total, const char *why)
{
	char u[32], t[32], buf[72] = "-";

	if (total)
		snprintf(buf, sizeof(buf), "%s/%s",
			 gm_fmt_size(u, sizeof(u), false, used, o->flags),
			 gm_fmt_size(t, sizeof(t), false, total, o->flags));
	gm_put_str(o, GM_TABLE_ONLY(head, 21, why), buf);
}

static void put_device_name(struct gm_out *o, const struct gpumem_device *d)
{
	char buf[2 * GPUMEM_NAME_MAX + 48];

	snprintf(buf, sizeof(buf), "%s", d->name[0] ? d->name : "-");
	if (d->nr_unknown_clients)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 " (%u clients report no memory)",
			 d->nr_unknown_clients);
	gm_put_str(o, GM_TABLE_ONLY("NAME", 0, "name, and unknown_clients "
				    "when there are any"), buf);
}

static void device_counters(struct gm_out *o, const struct gpumem_device *d)
{
	static const char why[] = "in VRAM USED/CAP and GTT USED/CAP";

	gm_put_size(o, GM_JSON_ONLY("vram_used_bytes", why), true,
		    d->vram_used, NULL);
	gm_put_size(o, GM_JSON_ONLY("vram_total_bytes", why), true,
		    d->vram_total, NULL);
	gm_put_size(o, GM_JSON_ONLY("gtt_used_bytes", why), true, d->gtt_used,
		    NULL);
	gm_put_size(o, GM_JSON_ONLY("gtt_total_bytes", why), true,
		    d->gtt_total, NULL);
	gm_put_size(o, GM_JSON_ONLY("vram_reserved_bytes", "a detail of "
				    "VRAM USED/CAP (NVML)"), true,
		    d->vram_reserved, NULL);
	put_used(o, "VRAM USED/CAP", d->vram_used, d->vram_total,
		 "vram_used_bytes of capacity.vram_bytes");
	put_used(o, "GTT USED/CAP", d->gtt_used, d->gtt_total,
		 "gtt_used_bytes of capacity.gtt_bytes");
}

/* A partial sum is a lower bound, a sum with shared bytes an upper one. */
static const char *total_mark(const struct gpumem_device *d)
{
	if (d->total_partial && d->total_upper_bound)
		return "~ ";
	if (d->total_partial)
		return ">= ";
	return d->total_upper_bound ? "<= " : NULL;
}

static void device_shares(struct gm_out *o, const struct gpumem_device *d)
{
	static const char why[] = "the processes' GPU PSS split it";

	gm_put_bool(o, GM_JSON_ONLY("total_upper_bound", "TOTAL prints <="),
		    d->total_upper_bound);
	gm_put_bool(o, GM_JSON_ONLY("shares_exact", why), d->shares_exact);
	gm_put_size(o, GM_JSON_ONLY("shared_pool_bytes", why),
		    d->shares_exact, d->shared_pool_bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("unattributed_bytes", why),
		    d->shares_exact, d->unattributed_bytes, NULL);
}

static void device_ids(struct gm_out *o, const struct gpumem_device *d)
{
	char card[24], id[16];

	snprintf(id, sizeof(id), "%04x:%04x", d->vendor_id, d->device_id);
	gm_put_str(o, GM_FIELD("card", "DEVICE", -8),
		   card_name(card, sizeof(card), d));
	gm_put_int(o, GM_JSON_ONLY("minor", "the N of DEVICE"), d->index);
	gm_put_int_or(o, GM_JSON_ONLY("render_minor", "a detail of the node"),
		      d->render_minor >= 0, d->render_minor);
	gm_put_str(o, GM_FIELD("driver", "DRIVER", -12), d->driver);
	gm_put_str(o, GM_FIELD("pdev", "PCI", -13), d->pdev);
	gm_put_str(o, GM_JSON_ONLY("pci_id", "NAME is its pci.ids name"), id);
}

void gm_device_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		      const void *obj)
{
	static const char detail[] = "the clients' detail: see --json";
	const struct gpumem_device *d = obj;

	(void)s;
	device_ids(o, d);
	gm_put_size(o, GM_FIELD("total_bytes", "TOTAL", 14),
		    d->origin != GPUMEM_ORIGIN_NONE, d->total_bytes,
		    total_mark(d));
	gm_put_str(o, GM_FIELD("total_origin", "SOURCE", -8),
		   gpumem_origin_name(d->origin));
	gm_put_size(o, GM_JSON_ONLY("clients_bytes", detail), true,
		    d->clients_bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("clients_shared_bytes", detail), true,
		    d->clients_shared_bytes, NULL);
	gm_put_int(o, GM_FIELD("clients", "CLIENTS", 7), d->nr_clients);
	gm_put_int(o, GM_JSON_ONLY("unknown_clients", "said after NAME"),
		   d->nr_unknown_clients);
	device_counters(o, d);
	gm_put_str(o, GM_JSON_ONLY("name", "in NAME"), d->name);
	put_device_name(o, d);
	gm_put_json(o, GM_JSON_ONLY("capacity", "in VRAM USED/CAP and GTT "
				    "USED/CAP"), capacity_json, d, NULL);
	gm_put_json(o, GM_JSON_ONLY("readings", "TOTAL shows the one chosen"),
		    readings_json, d, NULL);
	gm_put_bool(o, GM_JSON_ONLY("readings_disagree", "TOTAL shows the "
				    "one chosen"), d->readings_disagree);
	gm_put_bool(o, GM_JSON_ONLY("total_partial", "TOTAL prints >="),
		    d->total_partial);
	device_shares(o, d);
	gm_out_end_row(o);
}

static json_t *null_json(const void *a, const void *b)
{
	(void)a;
	(void)b;
	return json_null();
}

/* No table lists a process per device: a detail of the JSON and the CSV. */
static const char per_device[] = "per device: JSON and CSV only";

void gm_process_device_fields(struct gm_out *o, const struct gpumem_snapshot *s,
			      const void *obj)
{
	static const char *const by_kind[GPUMEM_KIND_COUNT] = {
		"by_kind.vram", "by_kind.system", "by_kind.gtt",
		"by_kind.stolen", "by_kind.unknown",
	};
	const struct gpumem_process_device *pd = obj;
	bool none = pd->nr_unknown_clients == pd->nr_clients;
	const struct gpumem_device *d;
	char card[32] = "";
	size_t nr;
	int k;

	d = gpumem_devices(s, &nr);
	if (pd->device >= 0 && (size_t)pd->device < nr)
		card_name(card, sizeof(card), &d[pd->device]);
	gm_put_str_or(o, GM_JSON_ONLY("card", per_device), card[0], card);
	/* No client of it reports memory: not known, never 0. */
	gm_put_size(o, GM_JSON_ONLY("rss_bytes", per_device), !none,
		    pd->rss_bytes, NULL);
	gm_put_bool(o, GM_JSON_ONLY("rss_exact", per_device), pd->rss_exact);
	gm_put_str(o, GM_JSON_ONLY("rss_origin", per_device),
		   pd->rss_from_tp ? "tracepoint" : "fdinfo");
	gm_put_size(o, GM_JSON_ONLY("pss_bytes", per_device),
		    pd->pss_exact && !none, pd->pss_bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("pss_upper_bytes", per_device), !none,
		    pd->pss_bytes, NULL);
	for (k = 0; k < GPUMEM_KIND_COUNT; k++)
		gm_put_size(o, GM_JSON_ONLY(by_kind[k], per_device), !none,
			    pd->by_kind[k], NULL);
	/* The CSV keeps its columns (empty); the JSON says null once. */
	if (none)
		gm_put_json(o, GM_JSON_ONLY("by_kind", per_device), null_json,
			    NULL, NULL);
	gm_put_int(o, GM_JSON_ONLY("clients", per_device), pd->nr_clients);
	gm_put_int(o, GM_JSON_ONLY("unknown_clients", per_device),
		   pd->nr_unknown_clients);
}

static json_t *gpu_devices_json(const void *a, const void *b)
{
	const struct gpumem_snapshot *s = a;
	const struct gpumem_process_device *pd;
	json_t *arr = json_array();
	size_t i, nr;

	pd = gpumem_process_devices(s, b, &nr);
	for (i = 0; i < nr; i++)
		json_array_append_new(arr, gm_fields_json(s, gpumem_at(pd, i),
					  gm_process_device_fields));
	return arr;
}

static json_t *cgroup_json(const void *a, const void *b)
{
	const struct gpumem_cgroup *cg = gpumem_process_cgroup(a, b);

	if (!cg)
		return json_null();
	return json_pack("{s:o, s:b, s:b, s:s, s:o, s:o, s:o, s:o}",
			 "path", gm_json_name(cg->path), "v1", cg->v1,
			 "deleted", cg->deleted,
			 "kind", gpumem_owner_kind_name(cg->kind),
			 "unit", gm_json_name(cg->unit),
			 "runtime", gm_json_name(cg->runtime),
			 "container_id", gm_json_name(cg->container_id),
			 "pod_uid", gm_json_name(cg->pod_uid));
}

static json_t *pools_json(const struct gpumem_snapshot *s,
			  const struct gpumem_cgroup *cg)
{
	const struct gpumem_dmem_pool *p;
	json_t *arr = json_array();
	size_t i, nr;

	p = gpumem_cgroup_dmem(s, cg, &nr);
	for (i = 0; i < nr; i++) {
		struct gm_out o = { .mode = GM_OUT_JSON, .obj = json_object() };

		gm_dmem_pool_fields(&o, s, &p[i]);
		json_array_append_new(arr, o.obj);
	}
	return arr;
}

static json_t *process_dmem_json(const void *a, const void *b)
{
	return pools_json(a, gpumem_process_cgroup(a, b));
}

static json_t *group_dmem_json(const void *a, const void *b)
{
	return pools_json(a, ((const struct gpumem_group *)b)->cgroup);
}

/* When a sample was taken: every JSON document and every CSV row. */
void gm_time_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		    const void *obj)
{
	static const char head[] = "the table's time line";
	const struct gpumem_sample_info *info = obj;

	(void)s;
	gm_put_signed(o, GM_JSON_ONLY("time.realtime_ns", head),
		      info->realtime_ns);
	gm_put_signed(o, GM_JSON_ONLY("time.boottime_ns", head),
		      info->boottime_ns);
}

static void process_tp(struct gm_out *o, const struct gpumem_snapshot *s,
		       const struct gpumem_process *p)
{
	bool tp = gpumem_snapshot_tp(s)->state == GPUMEM_TP_OK;
	const struct gm_field *fl = tp ?
		GM_FIELD("tracepoint_bytes", "GPU (TRACE)", 14) :
		GM_JSON_ONLY("tracepoint_bytes", "a column only when the "
			     "collector's maps were read");

	gm_put_size(o, fl, p->tp_known, p->tp_bytes, NULL);
	gm_put_bool(o, GM_JSON_ONLY("sources_disagree", "GPU (TRACE) is "
				    "marked *"), gpumem_process_tp_differs(p));
	if (tp)
		gm_put_str(o, GM_TABLE_ONLY("", 1, "sources_disagree"),
			   gpumem_process_tp_differs(p) ? "*" : "");
}

void gm_process_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		       const void *obj)
{
	static const char counts[] = "counts: see --json";
	const struct gpumem_process *p = obj;
	bool unknown = p->nr_unknown_clients;

	gm_put_int(o, GM_FIELD("pid", "PID", 7), p->pid);
	gm_put_str(o, GM_FIELD("comm", "COMM", -16), p->comm);
	gm_put_size_some(o, GM_FIELD("gpu_total_bytes", "GPU", 14),
			 p->gpu_total_bytes, unknown,
			 p->gpu_rss_exact ? GM_EXACT : GM_AT_MOST);
	gm_put_bool(o, GM_JSON_ONLY("gpu_rss_exact", "GPU prints <="),
		    p->gpu_rss_exact);
	gm_put_size_some(o, GM_FIELD("gpu_pss_bytes", "GPU PSS", 14),
			 p->gpu_pss_bytes, unknown,
			 p->gpu_pss_exact ? GM_EXACT : GM_NOT_PSS);
	gm_put_size(o, GM_JSON_ONLY("gpu_pss_upper_bytes", "GPU PSS prints "
				    "<= it"), !unknown || p->gpu_pss_bytes,
		    p->gpu_pss_bytes, NULL);
	gm_put_size(o, GM_FIELD("dmabuf_rss_bytes", "DMABUF", 14), true,
		    p->dmabuf_rss_bytes, NULL);
	gm_put_size(o, GM_FIELD("dmabuf_pss_bytes", "DMABUF PSS", 14), true,
		    p->dmabuf_pss_bytes, NULL);
	gm_put_int(o, GM_JSON_ONLY("clients", counts), p->nr_clients);
	gm_put_int(o, GM_JSON_ONLY("unknown_clients", "GPU says +? or "
				   "unknown"), p->nr_unknown_clients);
	gm_put_int(o, GM_JSON_ONLY("dmabufs", counts), p->nr_dmabufs);
	process_tp(o, s, p);
	gm_put_json(o, GM_JSON_ONLY("gpu_devices", "per device: see --json"),
		    gpu_devices_json, s, p);
	gm_put_str(o, GM_FIELD("owner", "OWNER", 0),
		   gpumem_process_owner(s, p));
	gm_put_json(o, GM_JSON_ONLY("cgroup", "OWNER is its readable name"),
		    cgroup_json, s, p);
	gm_put_json(o, GM_JSON_ONLY("dmem", "gpumem cgroups shows dmem"),
		    process_dmem_json, s, p);
	gm_put_int_or(o, GM_JSON_ONLY("uid", "whose process: see --json"),
		      gpumem_process_uid(p) != GPUMEM_UID_UNKNOWN,
		      gpumem_process_uid(p));
	gm_put_int_or(o, GM_JSON_ONLY("ppid", "gpumem top -g tree shows it"),
		      gpumem_process_ppid(p) != GPUMEM_PID_UNKNOWN,
		      gpumem_process_ppid(p));
	gm_out_end_row(o);
}

static json_t *region_json(const struct gpumem_region *r)
{
	json_t *o = json_object();
	int st;

	for (st = 0; st < GPUMEM_STAT_COUNT; st++) {
		char key[32];

		if (!(r->present & (1u << st)))
			continue;
		snprintf(key, sizeof(key), "%s_bytes", gpumem_stat_name(st));
		json_object_set_new(o, key, gm_json_bytes(r->bytes[st]));
	}
	json_object_set_new(o, "legacy", json_boolean(r->legacy));
	json_object_set_new(o, "kind", json_string(gpumem_kind_name(r->kind)));
	return o;
}

static json_t *regions_json(const void *a, const void *b)
{
	json_t *o = json_object();
	const struct gpumem_region *r;
	size_t i, nr;

	r = gpumem_client_regions(a, b, &nr);
	for (i = 0; i < nr; i++)
		gm_json_set_named(o, r[i].name, region_json(&r[i]));
	return o;
}

static json_t *engine_json(const struct gpumem_engine *e)
{
	static const char *const keys[] = {
		"busy_ns", "capacity", "cycles", "total_cycles", "maxfreq_hz",
	};
	const uint64_t vals[] = {
		e->busy_ns, e->capacity, e->cycles, e->total_cycles,
		e->maxfreq_hz,
	};
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < GM_ARRAY_SIZE(keys); i++) {
		if (e->present & (1u << i))
			json_object_set_new(o, keys[i], gm_json_bytes(vals[i]));
	}
	return o;
}

static json_t *engines_json(const void *a, const void *b)
{
	json_t *o = json_object();
	const struct gpumem_engine *e;
	size_t i, nr;

	e = gpumem_client_engines(a, b, &nr);
	for (i = 0; i < nr; i++)
		gm_json_set_named(o, e[i].name, engine_json(&e[i]));
	return o;
}

static json_t *pids_json(const void *a, const void *b)
{
	json_t *arr = json_array();
	const pid_t *pids;
	size_t i, nr;

	pids = gpumem_client_holders(a, b, &nr);
	for (i = 0; i < nr; i++)
		json_array_append_new(arr, json_integer(pids[i]));
	return arr;
}

static json_t *card_json(const void *a, const void *b)
{
	const struct gpumem_client *c = b;

	return gm_card_json(a, c->device);
}

/* No table lists clients or dma-bufs: each is a detail of the JSON. */
static const char detail_only[] = "a detail: no table lists them";

void gm_client_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		      const void *obj)
{
	const struct gpumem_client *c = obj;

	gm_put_json(o, GM_JSON_ONLY("device", detail_only), card_json, s, c);
	gm_put_int(o, GM_JSON_ONLY("minor", detail_only), c->minor);
	gm_put_size(o, GM_JSON_ONLY("client_id", detail_only),
		    c->has_client_id, c->client_id, NULL);
	gm_put_str(o, GM_JSON_ONLY("driver", detail_only), c->driver);
	gm_put_str(o, GM_JSON_ONLY("pdev", detail_only), c->pdev);
	gm_put_str(o, GM_JSON_ONLY("name", detail_only), c->name);
	gm_put_bool(o, GM_JSON_ONLY("memory_known", detail_only),
		    c->mem_known);
	gm_put_size(o, GM_JSON_ONLY("bytes", detail_only), c->mem_known,
		    c->bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("shared_bytes", detail_only), true,
		    c->shared_bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("resident_bytes", detail_only), true,
		    c->resident_bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("share_bytes", detail_only), c->mem_known,
		    c->share_bytes, NULL);
	gm_put_bool(o, GM_JSON_ONLY("share_exact", detail_only),
		    c->share_exact);
	gm_put_int(o, GM_JSON_ONLY("holders", detail_only), c->nr_holders);
	gm_put_json(o, GM_JSON_ONLY("holders_pids", detail_only), pids_json,
		    s, c);
	gm_put_json(o, GM_JSON_ONLY("regions", detail_only), regions_json, s,
		    c);
	gm_put_json(o, GM_JSON_ONLY("engines", detail_only), engines_json, s,
		    c);
}

void gm_dmabuf_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		      const void *obj)
{
	const struct gpumem_dmabuf *d = obj;

	(void)s;
	gm_put_size(o, GM_JSON_ONLY("ino", detail_only), true, d->ino, NULL);
	gm_put_size(o, GM_JSON_ONLY("size_bytes", detail_only), true, d->size,
		    NULL);
	gm_put_str(o, GM_JSON_ONLY("exporter", detail_only), d->exporter);
	gm_put_str(o, GM_JSON_ONLY("name", detail_only), d->name);
	gm_put_int(o, GM_JSON_ONLY("holders", detail_only), d->nr_holders);
	gm_put_bool(o, GM_JSON_ONLY("mapped", detail_only), d->mapped);
	gm_put_bool(o, GM_JSON_ONLY("fd_held", detail_only), d->fd_held);
	gm_put_bool(o, GM_JSON_ONLY("gpu_overlap", detail_only),
		    d->gpu_overlap);
	gm_put_bool(o, GM_JSON_ONLY("size_from_vma", detail_only),
		    d->size_from_vma);
}

void gm_dmem_region_fields(struct gm_out *o, const struct gpumem_snapshot *s,
			   const void *obj)
{
	const struct gpumem_dmem_region *r = obj;

	(void)s;
	gm_put_size(o, GM_FIELD("capacity_bytes", "CAPACITY", 14), true,
		    r->capacity_bytes, NULL);
	gm_put_str(o, GM_FIELD("name", "REGION", 0), r->name);
	gm_out_end_row(o);
}

static const char *region_name(const struct gpumem_snapshot *s,
			       unsigned int region)
{
	const struct gpumem_dmem_region *r;
	size_t nr;

	r = gpumem_dmem_regions(s, &nr);
	return region < nr ? r[region].name : "";
}

void gm_dmem_pool_fields(struct gm_out *o, const struct gpumem_snapshot *s,
			 const void *obj)
{
	const struct gpumem_dmem_pool *p = obj;

	gm_put_size(o, GM_FIELD("current_bytes", "CURRENT", 14), true,
		    p->current_bytes, NULL);
	gm_put_limit(o, GM_FIELD("min_bytes", "MIN", 14), p->limits,
		     p->min_bytes);
	gm_put_limit(o, GM_FIELD("low_bytes", "LOW", 14), p->limits,
		     p->low_bytes);
	gm_put_limit(o, GM_FIELD("max_bytes", "MAX", 14), p->limits,
		     p->max_bytes);
	gm_put_str(o, GM_FIELD("region", "REGION", -24),
		   region_name(s, p->region));
	gm_put_str(o, GM_FIELD("cgroup", "CGROUP", 0), p->cgroup);
	gm_out_end_row(o);
}

void gm_group_sum(const struct gpumem_group *g, size_t nr,
		  struct gpumem_group *sum)
{
	size_t i;

	*sum = (struct gpumem_group){ .struct_size = sizeof(*sum),
				      .name = "total" };
	for (i = 0; i < nr; i++) {
		sum->nr_processes += g[i].nr_processes;
		sum->gpu_pss_bytes = gm_add_sat(sum->gpu_pss_bytes,
						g[i].gpu_pss_bytes);
		sum->dmabuf_pss_bytes = gm_add_sat(sum->dmabuf_pss_bytes,
						   g[i].dmabuf_pss_bytes);
		sum->nr_unknown_clients += g[i].nr_unknown_clients;
		sum->nr_pss_bounds += g[i].nr_pss_bounds;
	}
}

void gm_group_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		     const void *obj)
{
	const struct gpumem_group *g = obj;

	(void)s;
	gm_put_int(o, GM_FIELD("processes", "PROCESSES", 9), g->nr_processes);
	gm_put_size_some(o, GM_FIELD("gpu_pss_bytes", "GPU PSS", 14),
			 g->gpu_pss_bytes, g->nr_unknown_clients,
			 g->nr_pss_bounds ? GM_NOT_PSS : GM_EXACT);
	gm_put_size(o, GM_JSON_ONLY("gpu_pss_upper_bytes", "GPU PSS prints "
				    "<= it"), true, g->gpu_pss_bytes, NULL);
	gm_put_size(o, GM_FIELD("dmabuf_pss_bytes", "DMABUF PSS", 14), true,
		    g->dmabuf_pss_bytes, NULL);
	gm_put_int(o, GM_JSON_ONLY("unknown_clients", "GPU PSS says +?"),
		   g->nr_unknown_clients);
	gm_put_str(o, GM_FIELD("name", "GROUP", 0), g->name);
	gm_put_json(o, GM_JSON_ONLY("dmem", "gpumem cgroups shows dmem"),
		    group_dmem_json, s, g);
	gm_out_end_row(o);
}

void gm_xline_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		     const void *obj)
{
	const struct gpumem_xline *l = obj;

	(void)s;
	gm_put_str(o, GM_FIELD("group", "GROUP", -12),
		   gpumem_xgroup_name(l->group));
	gm_put_str(o, GM_FIELD("name", "WHAT", -34), l->name);
	gm_put_signed(o, GM_FIELD("bytes", "BYTES", 14), l->bytes);
	gm_put_str(o, GM_FIELD("source", "SOURCE", 0), l->source);
	gm_out_end_row(o);
}

/* The table sums these up in its dma-buf line. */
static const char in_line[] = "in the table's dma-buf line";

void gm_totals_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		      const void *obj)
{
	const struct gpumem_dmabuf_totals *t = obj;

	(void)s;
	gm_put_size(o, GM_JSON_ONLY("total_bytes", in_line), true,
		    t->total_bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("gpu_overlap_bytes", in_line), true,
		    t->gpu_overlap_bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("userspace_bytes", "a detail"), true,
		    t->userspace_bytes, NULL);
	gm_put_size(o, GM_JSON_ONLY("kernel_bytes", in_line),
		    !t->kernel_unknown, t->kernel_bytes, NULL);
	gm_put_int(o, GM_JSON_ONLY("buffers", in_line), t->nr_buffers);
	gm_put_bool(o, GM_JSON_ONLY("sysfs", in_line), t->sysfs);
	gm_put_str(o, GM_JSON_ONLY("kernel_bytes_unknown", in_line),
		   !t->sysfs ? "no /sys/kernel/dmabuf/buffers" :
		   t->kernel_unknown ? "some processes could not be read: "
		   "what they hold would look kernel-held" : "");
	gm_put_bool(o, GM_JSON_ONLY("total_partial", "a detail"),
		    t->total_partial);
}

/* The table says these on stderr (gpumem(1)). */
static const char on_stderr[] = "said on stderr when not zero";

void gm_stats_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		     const void *obj)
{
	const struct gpumem_scan_stats *st = obj;

	(void)s;
	gm_put_int(o, GM_JSON_ONLY("listed", on_stderr), st->listed);
	gm_put_int(o, GM_JSON_ONLY("processes", on_stderr), st->processes);
	gm_put_int(o, GM_JSON_ONLY("vanished", on_stderr), st->vanished);
	gm_put_int(o, GM_JSON_ONLY("malformed_lines", on_stderr),
		   st->malformed_lines);
	gm_put_int(o, GM_JSON_ONLY("unresolved_fds", on_stderr),
		   st->unresolved_fds);
	gm_put_bool(o, GM_JSON_ONLY("refreshed", on_stderr), st->refreshed);
	gm_put_str(o, GM_JSON_ONLY("discovery", "in gpumem sources"),
		   gpumem_discovery_name(st->discovery));
}

/* gpumem bpf status prints these; the table shows only GPU (TRACE). */
static const char in_status[] = "in gpumem bpf status";

void gm_tp_fields(struct gm_out *o, const struct gpumem_snapshot *s,
		  const void *obj)
{
	static const char *const states[] = {
		"absent", "denied", "error", "ok",
	};
	const struct gpumem_tp *tp = obj;

	(void)s;
	gm_put_str(o, GM_JSON_ONLY("state", in_status), states[tp->state]);
	gm_put_str(o, GM_JSON_ONLY("path", in_status), tp->path);
	gm_put_bool(o, GM_JSON_ONLY("android", in_status), tp->android);
	gm_put_size(o, GM_JSON_ONLY("events", in_status), true, tp->events,
		    NULL);
	gm_put_size(o, GM_JSON_ONLY("dropped_full", in_status), true,
		    tp->dropped_full, NULL);
	gm_put_size(o, GM_JSON_ONLY("dropped_info_full", in_status), true,
		    tp->dropped_info_full, NULL);
	gm_put_size(o, GM_JSON_ONLY("dropped_ringbuf", in_status), true,
		    tp->dropped_ringbuf, NULL);
	gm_put_bool(o, GM_JSON_ONLY("streaming", in_status), tp->streaming);
}

/* A source's own words, e.g. why dmem is not available. */
const struct gpumem_source_status *
gm_source_named(const struct gpumem_snapshot *s, const char *name)
{
	const struct gpumem_source_status *st;
	size_t i, nr;

	st = gpumem_sources(s, &nr);
	for (i = 0; i < nr; i++) {
		if (!strcmp(st[i].name, name))
			return &st[i];
	}
	return NULL;
}
