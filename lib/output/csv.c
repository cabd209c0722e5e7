// SPDX-License-Identifier: MIT
/*
 * CSV, the way intel_gpu_top -c writes it: a header, then rows a
 * spreadsheet or a script reads as they come.  A row is one process on one
 * device in one sample: the sample's time, the process's fields, its
 * fields on that device (columns gpu_devices.*), each walked from the one
 * description in objects.c, so a column is named by its JSON key.  With
 * --group a row is one group in one sample: the time, group_by, the
 * group's fields.
 */
#include <errno.h>
#include <stdio.h>

#include "fields.h"

static void row(struct gm_out *o, const struct gpumem_snapshot *s,
		const struct gpumem_process *p,
		const struct gpumem_process_device *pd)
{
	o->col = 0;
	o->prefix = NULL;
	gm_time_fields(o, s, gpumem_sample_info(s));
	gm_process_fields(o, s, p);
	o->prefix = "gpu_devices.";
	gm_process_device_fields(o, s, pd);
	fputc('\n', o->f);
}

/* A process holding nothing on any device (dma-bufs only) has one row. */
static void process_rows(struct gm_out *o, const struct gpumem_snapshot *s,
			 const struct gpumem_process *p)
{
	static const struct gpumem_process_device none = {
		.struct_size = sizeof(none), .device = -1,
	};
	const struct gpumem_process_device *pd;
	size_t i, nr;

	pd = gpumem_process_devices(s, p, &nr);
	for (i = 0; i < nr; i++)
		row(o, s, p, gpumem_at(pd, i));
	if (!nr)
		row(o, s, p, &none);
}

static void group_row(struct gm_out *o, const struct gpumem_snapshot *s,
		      enum gpumem_group_by by, const struct gpumem_group *g)
{
	o->col = 0;
	gm_time_fields(o, s, gpumem_sample_info(s));
	gm_put_str(o, GM_JSON_ONLY("group_by", "a column of the CSV"),
		   gpumem_group_by_name(by));
	gm_group_fields(o, s, g);
	fputc('\n', o->f);
}

/* No total row: it is the sum of the others, which a reader would add in. */
int gpumem_print_groups_csv(const struct gpumem_snapshot *s,
			    enum gpumem_group_by by, FILE *f,
			    unsigned int flags)
{
	struct gm_out o = { .mode = GM_OUT_CSV_HEAD, .f = f, .flags = flags };
	struct gpumem_group *g;
	size_t i, nr;
	int err = gpumem_group(s, by, &g, &nr);

	if (err)
		return err;
	if (flags & GPUMEM_PRINT_CSV_HEAD)
		group_row(&o, s, by, &(const struct gpumem_group){ 0 });
	o.mode = GM_OUT_CSV_ROW;
	for (i = 0; i < nr; i++)
		group_row(&o, s, by, &g[i]);
	gpumem_group_free(g);
	return ferror(f) ? -EIO : 0;
}

int gpumem_print_csv(const struct gpumem_snapshot *s, FILE *f,
		     unsigned int flags)
{
	struct gm_out o = { .mode = GM_OUT_CSV_HEAD, .f = f, .flags = flags };
	const struct gpumem_process *p;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	if (flags & GPUMEM_PRINT_CSV_HEAD)
		row(&o, s, &(const struct gpumem_process){ 0 },
		    &(const struct gpumem_process_device){ .device = -1 });
	o.mode = GM_OUT_CSV_ROW;
	for (i = 0; i < nr; i++)
		process_rows(&o, s, gpumem_at(p, i));
	return ferror(f) ? -EIO : 0;
}
