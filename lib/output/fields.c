// SPDX-License-Identifier: MIT
/* The renderers of a field: a JSON key, a table cell, or a listing. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

#define GM_KEY_PATH_MAX 32

static bool in_json(const struct gm_out *o, const struct gm_field *fl)
{
	return o->mode == GM_OUT_JSON && fl->key;
}

static bool in_table(const struct gm_out *o, const struct gm_field *fl)
{
	return (o->mode == GM_OUT_HEAD || o->mode == GM_OUT_ROW ||
		o->mode == GM_OUT_MEASURE) && fl->head;
}

static bool in_csv(const struct gm_out *o, const struct gm_field *fl)
{
	return (o->mode == GM_OUT_CSV_HEAD || o->mode == GM_OUT_CSV_ROW) &&
	       fl->key;
}

/* Listing mode reports the field; true: nothing else to do. */
static bool listed(struct gm_out *o, const struct gm_field *fl)
{
	if (o->mode != GM_OUT_LIST)
		return false;
	o->list(o->ctx, fl);
	return true;
}

int gm_out_width(const struct gm_out *o, unsigned int col, int width)
{
	int w = col < GM_OUT_MAX_COLS ? (int)o->widths[col] : 0;

	if (!width || w <= abs(width))
		return width;
	return width < 0 ? -w : w;
}

/* fprintf("%*s") of every cell was a tenth of a table's time. */
static void blanks(FILE *f, int n)
{
	static const char sp[] = "                                ";

	for (; n > 0; n -= (int)sizeof(sp) - 1)
		fwrite(sp, 1, n < (int)sizeof(sp) - 1 ? (size_t)n :
		       sizeof(sp) - 1, f);
}

/*
 * Cells are names too (comm, driver): escaped, and padded by the columns
 * they take, not their bytes, so that a multi-byte or escaped name keeps
 * the next column in place.
 */
static void cell(struct gm_out *o, const struct gm_field *fl, const char *text)
{
	const char *t = o->mode == GM_OUT_HEAD ? fl->head : text;
	char esc[1024];
	size_t cols;
	int w, pad;

	/* An empty last cell (a mark not set) leaves no trailing blank. */
	if (!fl->width && !t[0])
		return;
	gm_escape_name(esc, sizeof(esc), t, &cols);
	if (o->mode == GM_OUT_MEASURE) {
		cols = strlen(fl->head) > cols ? strlen(fl->head) : cols;
		if (o->col < GM_OUT_MAX_COLS && cols > o->widths[o->col])
			o->widths[o->col] = (unsigned int)cols;
		o->col++;
		return;
	}
	w = gm_out_width(o, o->col, fl->width);
	pad = abs(w) > (int)cols ? abs(w) - (int)cols : 0;
	if (o->col++)
		fputc(' ', o->f);
	if (w > 0)
		blanks(o->f, pad);
	fputs(esc, o->f);
	if (w < 0)
		blanks(o->f, pad);
}

/*
 * A CSV cell: the column's name in the head row, else the value; a name
 * escaped as for a terminal (no control byte, so no line break in a row)
 * and quoted when it has a comma or a quote (RFC 4180).
 */
static void csv_cell(struct gm_out *o, const struct gm_field *fl,
		     const char *text)
{
	char esc[1024];
	const char *c;

	if (o->col++)
		fputc(',', o->f);
	if (o->mode == GM_OUT_CSV_HEAD) {
		fprintf(o->f, "%s%s", o->prefix ? o->prefix : "", fl->key);
		return;
	}
	gm_escape_name(esc, sizeof(esc), text, NULL);
	if (!strpbrk(esc, ",\"")) {
		fputs(esc, o->f);
		return;
	}
	fputc('"', o->f);
	for (c = esc; *c; c++) {
		if (*c == '"')
			fputc('"', o->f);
		fputc(*c, o->f);
	}
	fputc('"', o->f);
}

/* "a.b" is key b of the object a, made when its first key is set. */
static void set(struct gm_out *o, const struct gm_field *fl, json_t *v)
{
	const char *dot = strchr(fl->key, '.');
	char outer[GM_KEY_PATH_MAX];
	json_t *in;

	if (!dot || (size_t)(dot - fl->key) >= sizeof(outer)) {
		json_object_set_new(o->obj, fl->key, v);
		return;
	}
	memcpy(outer, fl->key, (size_t)(dot - fl->key));
	outer[dot - fl->key] = '\0';
	in = json_object_get(o->obj, outer);
	if (!in) {
		in = json_object();
		json_object_set_new(o->obj, outer, in);
	}
	json_object_set_new(in, dot + 1, v);
}

void gm_put_size(struct gm_out *o, const struct gm_field *fl, bool known,
		 uint64_t v, const char *prefix)
{
	char num[32], buf[48];

	if (listed(o, fl))
		return;
	if (in_json(o, fl))
		set(o, fl, known ? gm_json_bytes(v) : json_null());
	if (in_csv(o, fl)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		csv_cell(o, fl, known ? buf : "");
	}
	if (!in_table(o, fl))
		return;
	snprintf(buf, sizeof(buf), "%s%s", prefix ? prefix : "",
		 gm_fmt_size(num, sizeof(num), false, v, o->flags));
	cell(o, fl, known ? buf : "unknown");
}

void gm_put_limit(struct gm_out *o, const struct gm_field *fl, bool known,
		  uint64_t v)
{
	char buf[32];

	if (listed(o, fl))
		return;
	if (in_json(o, fl))
		set(o, fl, !known ? json_null() : v == GPUMEM_DMEM_MAX ?
		    json_string("max") : gm_json_bytes(v));
	if (in_table(o, fl))
		cell(o, fl, !known ? "-" : v == GPUMEM_DMEM_MAX ? "max" :
		     gm_fmt_size(buf, sizeof(buf), false, v, o->flags));
}

void gm_put_signed(struct gm_out *o, const struct gm_field *fl, int64_t v)
{
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char buf[32];

	if (listed(o, fl))
		return;
	if (in_json(o, fl))
		set(o, fl, json_integer(v));
	if (in_csv(o, fl)) {
		snprintf(buf, sizeof(buf), "%" PRId64, v);
		csv_cell(o, fl, buf);
	}
	if (in_table(o, fl))
		cell(o, fl, gm_fmt_size(buf, sizeof(buf), v < 0, mag, o->flags));
}

void gm_put_size_some(struct gm_out *o, const struct gm_field *fl, uint64_t v,
		      bool some_unknown, enum gm_bound bound)
{
	char num[32], buf[40];

	if (listed(o, fl))
		return;
	if (in_json(o, fl))
		set(o, fl, bound == GM_NOT_PSS || (some_unknown && !v) ?
			json_null() : gm_json_bytes(v));
	if (in_csv(o, fl)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		csv_cell(o, fl, bound == GM_NOT_PSS || (some_unknown && !v) ?
			 "" : buf);
	}
	if (!in_table(o, fl))
		return;
	gm_fmt_size(num, sizeof(num), false, v, o->flags);
	if (some_unknown && !v)
		gm_strlcpy(buf, "unknown", sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s%s%s", bound ? "<= " : "", num,
			 some_unknown ? "+?" : "");
	cell(o, fl, buf);
}

void gm_put_int_or(struct gm_out *o, const struct gm_field *fl, bool known,
		   long long v)
{
	char buf[32];

	if (listed(o, fl))
		return;
	if (in_json(o, fl))
		set(o, fl, known ? json_integer(v) : json_null());
	if (!in_csv(o, fl) && !in_table(o, fl))
		return;
	if (v < 0)
		snprintf(buf, sizeof(buf), "%lld", v);
	else
		gm_fmt_u64(buf, (uint64_t)v);
	if (in_csv(o, fl))
		csv_cell(o, fl, known ? buf : "");
	if (in_table(o, fl))
		cell(o, fl, known ? buf : "-");
}

void gm_put_int(struct gm_out *o, const struct gm_field *fl, long long v)
{
	gm_put_int_or(o, fl, true, v);
}

void gm_put_str_or(struct gm_out *o, const struct gm_field *fl, bool known,
		   const char *s)
{
	if (listed(o, fl))
		return;
	if (in_json(o, fl))
		set(o, fl, known ? gm_json_name(s) : json_null());
	if (in_csv(o, fl))
		csv_cell(o, fl, known ? s : "");
	if (in_table(o, fl))
		cell(o, fl, known && s[0] ? s : "-");
}

void gm_put_str(struct gm_out *o, const struct gm_field *fl, const char *s)
{
	gm_put_str_or(o, fl, true, s);
}

void gm_put_bool(struct gm_out *o, const struct gm_field *fl, bool v)
{
	if (listed(o, fl))
		return;
	if (in_json(o, fl))
		set(o, fl, json_boolean(v));
	if (in_csv(o, fl))
		csv_cell(o, fl, v ? "true" : "false");
	if (in_table(o, fl))
		cell(o, fl, v ? "yes" : "no");
}

void gm_put_json(struct gm_out *o, const struct gm_field *fl,
		 json_t *(*build)(const void *a, const void *b),
		 const void *a, const void *b)
{
	if (!listed(o, fl) && in_json(o, fl))
		set(o, fl, build(a, b));
}

void gm_out_end_row(struct gm_out *o)
{
	if (o->mode == GM_OUT_CSV_HEAD || o->mode == GM_OUT_CSV_ROW)
		return;
	if (o->mode == GM_OUT_HEAD || o->mode == GM_OUT_ROW)
		fputc('\n', o->f);
	o->col = 0;
}

json_t *gm_fields_json(const struct gpumem_snapshot *s, const void *obj,
		       gm_fields_fn *fields)
{
	struct gm_out o = { .mode = GM_OUT_JSON, .obj = json_object() };

	fields(&o, s, obj);
	return o.obj;
}
