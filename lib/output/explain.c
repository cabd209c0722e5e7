// SPDX-License-Identifier: MIT
/* gpumem explain output: the table and its JSON, lines in group order. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <jansson.h>

#include "fields.h"

static const char *fmt_signed(char *buf, size_t size, int64_t v,
			      unsigned int flags)
{
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;

	return gm_fmt_size(buf, size, v < 0, mag, flags);
}

static void print_process(const struct gpumem_xprocess *x, FILE *f,
			  unsigned int flags)
{
	const struct { const char *name; uint64_t v; } rows[] = {
		{ "PSS", x->pss }, { "  anonymous", x->pss_anon },
		{ "  file", x->pss_file }, { "  shmem", x->pss_shmem },
		{ "GPU PSS-like", x->gpu_pss },
		{ "dma-buf PSS-like", x->dmabuf_pss },
		{ "total", x->total }, { "swap PSS (not in total)", x->swap_pss },
	};
	char num[32], comm[GM_ESCAPED_SIZE(sizeof(x->comm))];
	size_t i;

	gm_escape_name(comm, sizeof(comm), x->comm, NULL);
	fprintf(f, "\nprocess %d (%s)\n", (int)x->pid, comm);
	for (i = 0; i < GM_ARRAY_SIZE(rows); i++)
		fprintf(f, "  %-30s %14s\n", rows[i].name,
			fmt_signed(num, sizeof(num), gm_sbytes(rows[i].v), flags));
}

/* The lines in group order (the model adds them as it finds them). */
static void each_line(const struct gpumem_explain *e,
		      void (*fn)(void *ctx, const struct gpumem_xline *l),
		      void *ctx)
{
	unsigned int g;
	size_t i;

	for (g = 0; g <= GPUMEM_X_UNEXPLAINED; g++) {
		for (i = 0; i < e->nr_lines; i++) {
			if (e->lines[i].group == g)
				fn(ctx, &e->lines[i]);
		}
	}
}

static void table_line(void *ctx, const struct gpumem_xline *l)
{
	gm_xline_fields(ctx, NULL, l);
}

int gpumem_explain_print_table(const struct gpumem_explain *e, FILE *f,
			       unsigned int flags)
{
	struct gm_out o = { .mode = GM_OUT_MEASURE, .f = f, .flags = flags };
	char num[32], esc[GM_ESCAPED_SIZE(sizeof(e->missing[0]))];
	size_t i;

	/* A line's name holds a driver's or exporter's: widths as printed. */
	each_line(e, table_line, &o);
	o.mode = GM_OUT_HEAD;
	gm_xline_fields(&o, NULL, &(struct gpumem_xline){ 0 });
	o.mode = GM_OUT_ROW;
	each_line(e, table_line, &o);
	fprintf(f, "%*s %*s %*s %s\n", gm_out_width(&o, 0, -12), "total",
		gm_out_width(&o, 1, -34), "MemTotal", gm_out_width(&o, 2, 14),
		fmt_signed(num, sizeof(num), gm_sbytes(e->mem_total), flags),
		"meminfo MemTotal");
	fprintf(f, "\n%u processes read", e->processes);
	if (e->unreadable)
		fprintf(f, ", %u not readable", e->unreadable);
	fputc('\n', f);
	for (i = 0; i < e->nr_missing; i++) {
		gm_escape_name(esc, sizeof(esc), e->missing[i], NULL);
		fprintf(f, "missing: %s\n", esc);
	}
	if (e->has_process)
		print_process(&e->process, f, flags);
	return ferror(f) ? -EIO : 0;
}

static json_t *process_json(const struct gpumem_xprocess *x)
{
	return json_pack("{s:i, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "pid", (int)x->pid, "comm", gm_json_name(x->comm),
			 "pss_bytes", (json_int_t)gm_sbytes(x->pss),
			 "pss_anon_bytes", (json_int_t)gm_sbytes(x->pss_anon),
			 "pss_file_bytes", (json_int_t)gm_sbytes(x->pss_file),
			 "pss_shmem_bytes", (json_int_t)gm_sbytes(x->pss_shmem),
			 "swap_pss_bytes", (json_int_t)gm_sbytes(x->swap_pss),
			 "gpu_pss_bytes", (json_int_t)gm_sbytes(x->gpu_pss),
			 "dmabuf_pss_bytes", (json_int_t)gm_sbytes(x->dmabuf_pss),
			 "total_bytes", (json_int_t)gm_sbytes(x->total));
}

static void json_line(void *ctx, const struct gpumem_xline *l)
{
	struct gm_out o = { .mode = GM_OUT_JSON, .obj = json_object() };

	gm_xline_fields(&o, NULL, l);
	json_array_append_new(ctx, o.obj);
}

static json_t *explain_json(const struct gpumem_explain *e)
{
	json_t *o = gm_json_doc(1, &e->info);
	json_t *lines = json_array(), *miss = json_array();
	size_t i;

	each_line(e, json_line, lines);
	for (i = 0; i < e->nr_missing; i++)
		json_array_append_new(miss, gm_json_name(e->missing[i]));
	json_object_set_new(o, "schema", json_string("gpumem-explain/1"));
	json_object_set_new(o, "mem_total_bytes",
			    json_integer(gm_sbytes(e->mem_total)));
	json_object_set_new(o, "lines", lines);
	json_object_set_new(o, "unexplained_bytes", json_integer(
			    e->lines[e->nr_lines - 1].bytes));
	json_object_set_new(o, "processes_read", json_integer(e->processes));
	json_object_set_new(o, "processes_unreadable",
			    json_integer(e->unreadable));
	json_object_set_new(o, "complete", json_boolean(!e->nr_missing));
	json_object_set_new(o, "missing", miss);
	json_object_set_new(o, "process", e->has_process ?
			    process_json(&e->process) : json_null());
	return o;
}

int gpumem_explain_print_json(const struct gpumem_explain *e, FILE *f)
{
	return gm_json_print(explain_json(e), f, false);
}
