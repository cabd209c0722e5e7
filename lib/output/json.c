// SPDX-License-Identifier: MIT
/* The JSON output: schema in docs/json-schema.md.  Byte figures are integers. */
#include <errno.h>
#include <stdio.h>

#include <jansson.h>

#include "fields.h"

#define SCHEMA_VERSION 2

static json_t *sources_json(const struct gpumem_snapshot *s)
{
	const struct gpumem_source_status *st;
	json_t *a = json_array();
	size_t i, nr;

	for (st = gpumem_sources(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "name",
				      st[i].name, "state",
				      gpumem_source_state_name(st[i].state),
				      "detail", gm_json_name(st[i].detail)));
	return a;
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
		json_array_append_new(devs, gm_fields_json(s, &d[i], gm_device_fields));
	for (p = gpumem_processes(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(procs, gm_fields_json(s, &p[i], gm_process_fields));
	for (c = gpumem_clients(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(clients, gm_fields_json(s, &c[i], gm_client_fields));
	for (b = gpumem_dmabufs(s, &nr), i = 0; i < nr; i++)
		json_array_append_new(bufs, gm_fields_json(s, &b[i], gm_dmabuf_fields));
	json_object_set_new(root, "devices", devs);
	json_object_set_new(root, "processes", procs);
	json_object_set_new(root, "clients", clients);
	json_object_set_new(root, "dmabufs", bufs);
	json_object_set_new(root, "dmabuf", gm_fields_json(s, gpumem_dmabuf_totals(s),
			    gm_totals_fields));
	json_object_set_new(root, "unreadable_processes",
			    json_integer(gpumem_scan_stats(s)->unreadable_processes));
	json_object_set_new(root, "scan", gm_fields_json(s, gpumem_scan_stats(s),
						  gm_stats_fields));
	json_object_set_new(root, "tracepoint", gm_fields_json(s,
			    gpumem_snapshot_tp(s), gm_tp_fields));
	json_object_set_new(root, "sources", sources_json(s));
	return root;
}

int gpumem_print_json(const struct gpumem_snapshot *s, FILE *f)
{
	return gm_json_print(snapshot_json(s), f, false);
}

int gpumem_print_json_line(const struct gpumem_snapshot *s, FILE *f)
{
	return gm_json_print(snapshot_json(s), f, true);
}

/* The groups and their sum (docs/json-schema.md, "gpumem --group"). */
static int print_groups(const struct gpumem_snapshot *s,
			enum gpumem_group_by by, FILE *f, bool line)
{
	json_t *root = gm_json_doc(SCHEMA_VERSION, gpumem_sample_info(s));
	json_t *arr = json_array();
	struct gpumem_group *g, sum;
	size_t i, nr;
	int err = gpumem_group(s, by, &g, &nr);

	if (err) {
		json_decref(root);
		json_decref(arr);
		return err;
	}
	for (i = 0; i < nr; i++)
		json_array_append_new(arr, gm_fields_json(s, &g[i],
						       gm_group_fields));
	gm_group_sum(g, nr, &sum);
	json_object_set_new(root, "group_by",
			    json_string(gpumem_group_by_name(by)));
	json_object_set_new(root, "groups", arr);
	json_object_set_new(root, "total", gm_fields_json(s, &sum,
						       gm_group_fields));
	json_object_set_new(root, "unreadable_processes", json_integer(
			    gpumem_scan_stats(s)->unreadable_processes));
	gpumem_group_free(g);
	return gm_json_print(root, f, line);
}

int gpumem_print_groups_json(const struct gpumem_snapshot *s,
			     enum gpumem_group_by by, FILE *f)
{
	return print_groups(s, by, f, false);
}

int gpumem_print_groups_json_line(const struct gpumem_snapshot *s,
				  enum gpumem_group_by by, FILE *f)
{
	return print_groups(s, by, f, true);
}

static json_t *array_of(const struct gpumem_snapshot *s, const void *arr,
			size_t nr, size_t elem, gm_fields_fn *fields)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < nr; i++)
		json_array_append_new(a, gm_fields_json(s, (const char *)arr +
						     i * elem, fields));
	return a;
}

/* gpumem cgroups (docs/json-schema.md): absent is said, never an error. */
int gpumem_print_cgroups_json(const struct gpumem_snapshot *s, FILE *f)
{
	const struct gpumem_source_status *st = gm_source_named(s,
								"dmem-cgroup");
	json_t *root = gm_json_doc(SCHEMA_VERSION, gpumem_sample_info(s));
	const void *arr;
	size_t nr;

	json_object_set_new(root, "dmem", json_pack("{s:b, s:s, s:o}",
			    "available", gpumem_dmem_available(s), "state",
			    gpumem_source_state_name(st ? st->state :
						     GPUMEM_SOURCE_MISSING),
			    "detail", gm_json_name(st ? st->detail : "")));
	arr = gpumem_dmem_regions(s, &nr);
	json_object_set_new(root, "regions", array_of(s, arr, nr,
			    sizeof(struct gpumem_dmem_region),
			    gm_dmem_region_fields));
	arr = gpumem_dmem_pools(s, &nr);
	json_object_set_new(root, "cgroups", array_of(s, arr, nr,
			    sizeof(struct gpumem_dmem_pool),
			    gm_dmem_pool_fields));
	return gm_json_print(root, f, false);
}
