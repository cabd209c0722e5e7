/* SPDX-License-Identifier: MIT */
/*
 * One description of each object's fields, walked by every renderer (the
 * way iproute2's print_*(PRINT_ANY, ...) serves its text and JSON): an
 * object's function calls gm_put_*() once per field, and the renderer
 * decides what a field becomes.  A field is in the JSON (key) and in the
 * table (head), or says why it is only in one of them.
 */
#ifndef GM_FIELDS_H
#define GM_FIELDS_H

#include <stdio.h>

#include "output.h"

enum gm_out_mode {
	GM_OUT_JSON,		/* fill obj */
	GM_OUT_HEAD,		/* print the table's column heads */
	GM_OUT_ROW,		/* print one table row */
	GM_OUT_LIST,		/* call list() for each field (tests) */
	GM_OUT_MEASURE,		/* widen widths[] to the rows' cells */
	GM_OUT_CSV_HEAD,	/* print the keys as CSV column names */
	GM_OUT_CSV_ROW,		/* print the values as CSV cells */
};

/* Columns a table measures; those past it keep their fixed width. */
#define GM_OUT_MAX_COLS 32

struct gm_field {
	/* JSON key, also the CSV column of a value that is not a gm_put_json;
	 * "a.b": key b of the object a.  NULL: table only. */
	const char *key;
	const char *head;	/* table column; NULL: JSON only */
	int width;		/* negative: left-aligned; 0: last, unpadded */
	const char *why;	/* why the field is in one output only */
};

struct gm_out {
	enum gm_out_mode mode;
	FILE *f;
	json_t *obj;
	unsigned int flags;	/* GPUMEM_PRINT_BYTES */
	unsigned int col;	/* table: columns printed on this line */
	/* Display columns of each column's widest cell (escaped, as printed). */
	unsigned int widths[GM_OUT_MAX_COLS];
	void (*list)(void *ctx, const struct gm_field *field);
	void *ctx;
	const char *prefix;	/* CSV: before each column name */
};

#define GM_FIELD(k, h, w) (&(const struct gm_field){ (k), (h), (w), NULL })
#define GM_JSON_ONLY(k, why) (&(const struct gm_field){ (k), NULL, 0, (why) })
#define GM_TABLE_ONLY(h, w, why) \
	(&(const struct gm_field){ NULL, (h), (w), (why) })

/* A size; known false: JSON null, table "unknown".  prefix: e.g. ">= ". */
void gm_put_size(struct gm_out *o, const struct gm_field *fl, bool known,
		 uint64_t v, const char *prefix);
/*
 * A size that leaves some out: the table says "+?" (JSON: the integer);
 * nothing but what is left out: "unknown" (JSON null), never a 0.
 * One that is only a bound (docs/model.md, "GPU shares") gets "<=" in the
 * table; GM_NOT_PSS also makes it null in the JSON, where a figure with its
 * name must be the real one.
 */
enum gm_bound { GM_EXACT, GM_AT_MOST, GM_NOT_PSS };
void gm_put_size_some(struct gm_out *o, const struct gm_field *fl, uint64_t v,
		      bool some_unknown, enum gm_bound bound);
/* A dmem limit: bytes, "max" (GPUMEM_DMEM_MAX), or not known (null, -). */
void gm_put_limit(struct gm_out *o, const struct gm_field *fl, bool known,
		  uint64_t v);
void gm_put_int(struct gm_out *o, const struct gm_field *fl, long long v);
/* A signed byte figure (explain's unexplained may be below zero). */
void gm_put_signed(struct gm_out *o, const struct gm_field *fl, int64_t v);
/* An integer or, when !known, JSON null and "-" in the table. */
void gm_put_int_or(struct gm_out *o, const struct gm_field *fl, bool known,
		   long long v);
void gm_put_str(struct gm_out *o, const struct gm_field *fl, const char *s);
/* A string or, when !known, JSON null, "-" in the table, empty in CSV. */
void gm_put_str_or(struct gm_out *o, const struct gm_field *fl, bool known,
		   const char *s);
void gm_put_bool(struct gm_out *o, const struct gm_field *fl, bool v);
/* A JSON-only value, built only when the JSON is: build(ctx) makes it. */
void gm_put_json(struct gm_out *o, const struct gm_field *fl,
		 json_t *(*build)(const void *a, const void *b),
		 const void *a, const void *b);
/* Ends a table line (a CSV row spans objects: csv.c ends it). */
void gm_out_end_row(struct gm_out *o);
/* The printf width of column col: its own, widened to what MEASURE saw. */
int gm_out_width(const struct gm_out *o, unsigned int col, int width);

/*
 * objects.c: the fields of each object; obj is a struct gpumem_device,
 * gpumem_process, gpumem_client, gpumem_dmabuf, gpumem_dmabuf_totals,
 * gpumem_scan_stats or gpumem_tp.
 */
typedef void gm_fields_fn(struct gm_out *o, const struct gpumem_snapshot *s,
			  const void *obj);
gm_fields_fn gm_device_fields, gm_process_fields, gm_client_fields,
	gm_dmabuf_fields, gm_totals_fields, gm_stats_fields, gm_tp_fields;
/* gpumem cgroups: a dmem region, a pool (s gives its region's name). */
gm_fields_fn gm_dmem_region_fields, gm_dmem_pool_fields;
/* A group of gpumem --group (struct gpumem_group). */
gm_fields_fn gm_group_fields;
/* The groups' sum, as a group called "total". */
void gm_group_sum(const struct gpumem_group *g, size_t nr,
		  struct gpumem_group *sum);
/* A struct gpumem_process_device; a struct gpumem_sample_info's time. */
gm_fields_fn gm_process_device_fields, gm_time_fields;
/* The JSON object of obj's fields. */
json_t *gm_fields_json(const struct gpumem_snapshot *s, const void *obj,
		       gm_fields_fn *fields);
/* A line of gpumem explain (struct gpumem_xline); s is NULL. */
gm_fields_fn gm_xline_fields;
/* The status of the source called name; NULL when there is none. */
const struct gpumem_source_status *
gm_source_named(const struct gpumem_snapshot *s, const char *name);
json_t *gm_card_json(const struct gpumem_snapshot *s, int device);

#endif
