// SPDX-License-Identifier: MIT
/* The JSON output: schema in docs/json-schema.md.  Byte figures are integers. */
#include <errno.h>
#include <stdio.h>

#include <jansson.h>

#include "fields.h"

#define SCHEMA_VERSION 1

static json_t *sources_json(const struct gpumem_snapshot *s)
{
	const struct gpumem_source_status *st;
	json_t *a = json_array();
	size_t i, nr;

	for (st = gpumem_sources(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name",
				      st[i].name, "state",
				      gpumem_source_state_name(st[i].state),
				      "detail", st[i].detail));
	return a;
}

static json_t *fields_json(const struct gpumem_snapshot *s, const void *obj,
			   gm_fields_fn *fields)
{
	struct gm_out o = { .mode = GM_OUT_JSON, .obj = json_object() };

	fields(&o, s, obj);
	return o.obj;
}

static json_t *totals_json(const struct gpumem_dmabuf_totals *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "total_bytes", gm_json_bytes(t->total_bytes));
	json_object_set_new(o, "gpu_overlap_bytes", gm_json_bytes(t->gpu_overlap_bytes));
	json_object_set_new(o, "userspace_bytes", gm_json_bytes(t->userspace_bytes));
	json_object_set_new(o, "kernel_bytes", t->kernel_unknown ?
			    json_null() : gm_json_bytes(t->kernel_bytes));
	json_object_set_new(o, "buffers", json_integer(t->nr_buffers));
	json_object_set_new(o, "sysfs", json_boolean(t->sysfs));
	json_object_set_new(o, "kernel_bytes_unknown", json_string(
			    !t->sysfs ? "no /sys/kernel/dmabuf/buffers" :
			    t->kernel_unknown ? "some processes could not be "
			    "read: what they hold would look kernel-held" : ""));
	json_object_set_new(o, "total_partial",
			    json_boolean(t->total_partial));
	return o;
}

static json_t *stats_json(const struct gpumem_scan_stats *st)
{
	json_t *o = json_object();

	json_object_set_new(o, "listed", json_integer(st->listed));
	json_object_set_new(o, "processes", json_integer(st->processes));
	json_object_set_new(o, "vanished", json_integer(st->vanished));
	json_object_set_new(o, "malformed_lines",
			    json_integer(st->malformed_lines));
	json_object_set_new(o, "unresolved_fds", json_integer(st->unresolved_fds));
	json_object_set_new(o, "refreshed", json_boolean(st->refreshed));
	return o;
}

static json_t *tp_json(const struct gpumem_tp *tp)
{
	static const char *const states[] = {
		"absent", "denied", "error", "ok",
	};
	json_t *o = json_object();

	json_object_set_new(o, "state", json_string(states[tp->state]));
	json_object_set_new(o, "path", json_string(tp->path));
	json_object_set_new(o, "android", json_boolean(tp->android));
	json_object_set_new(o, "events", gm_json_bytes(tp->events));
	json_object_set_new(o, "dropped_full", gm_json_bytes(tp->dropped_full));
	json_object_set_new(o, "dropped_info_full",
			    gm_json_bytes(tp->dropped_info_full));
	json_object_set_new(o, "dropped_ringbuf", gm_json_bytes(tp->dropped_ringbuf));
	json_object_set_new(o, "streaming", json_boolean(tp->streaming));
	return o;
}

static json_t *snapshot_json(const struct gpumem_snapshot *s)
{
	json_t *root = gm_json_doc(SCHEMA_VERSION, gpumem_sample_info(s));
	json_t *devs = json_array(), *procs = json_array();
	json_t *clients = json_array(), *bufs = json_array();
	const struct gpumem_device *d;
	const struct gpumem_process *p;
	const struct gpumem_client *c;
	const struct gpumem_dmabuf *b;
	size_t i, nr;

	for (d = gpumem_devices(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(devs, fields_json(s, &d[i], gm_device_fields));
	for (p = gpumem_processes(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(procs, fields_json(s, &p[i], gm_process_fields));
	for (c = gpumem_clients(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(clients, fields_json(s, &c[i], gm_client_fields));
	for (b = gpumem_dmabufs(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(bufs, fields_json(s, &b[i], gm_dmabuf_fields));
	json_object_set_new(root, "devices", devs);
	json_object_set_new(root, "processes", procs);
	json_object_set_new(root, "clients", clients);
	json_object_set_new(root, "dmabufs", bufs);
	json_object_set_new(root, "dmabuf", totals_json(gpumem_dmabuf_totals(s)));
	json_object_set_new(root, "unreadable_processes",
			    json_integer(gpumem_scan_stats(s)->unreadable_processes));
	json_object_set_new(root, "scan", stats_json(gpumem_scan_stats(s)));
	json_object_set_new(root, "tracepoint", tp_json(gpumem_snapshot_tp(s)));
	json_object_set_new(root, "sources", sources_json(s));
	return root;
}

int gpumem_print_json(const struct gpumem_snapshot *s, FILE *f)
{
	return gm_json_print(snapshot_json(s), f);
}
