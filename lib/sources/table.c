// SPDX-License-Identifier: MIT
/*
 * The one list of sources, in the order the model reads them: devices
 * first (clients are matched to them), then who holds what, then the
 * figures that refine it.  A new source is its file and one line here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sources.h"

extern const struct gm_source gm_src_drm_sysfs, gm_src_task_iter,
	gm_src_proc_walk, gm_src_drm_fdinfo, gm_src_dmabuf_fdinfo,
	gm_src_proc_maps, gm_src_bpf_pins, gm_src_dmabuf_iter,
	gm_src_dmabuf_sysfs, gm_src_pci_ids,
	gm_src_proc_version, gm_src_meminfo, gm_src_zoneinfo,
	gm_src_smaps_rollup, gm_src_capture_manifest, gm_src_proc_status,
	gm_src_proc_cgroup, gm_src_dmem_cgroup, gm_src_nvml,
	gm_src_proc_cmdline;

const struct gm_source *const gm_source_table[] = {
	&gm_src_drm_sysfs,
	&gm_src_task_iter,	/* where it loads, the walk is not needed */
	&gm_src_proc_walk,
	&gm_src_proc_status,
	&gm_src_capture_manifest,
	&gm_src_drm_fdinfo,
	&gm_src_dmabuf_fdinfo,
	&gm_src_proc_maps,
	&gm_src_bpf_pins,
	&gm_src_nvml,			/* may add processes */
	&gm_src_proc_cgroup,		/* of every process found above */
	&gm_src_dmem_cgroup,
	&gm_src_dmabuf_iter,	/* where it loads, sysfs is not needed */
	&gm_src_dmabuf_sysfs,
	&gm_src_pci_ids,
	&gm_src_proc_version,
	&gm_src_meminfo,
	&gm_src_zoneinfo,
	&gm_src_smaps_rollup,
	&gm_src_proc_cmdline,
};

const size_t gm_nr_sources = GM_ARRAY_SIZE(gm_source_table);

void gm_source_say(struct gpumem_source_status *st,
		   enum gpumem_source_state state, const char *fmt, ...)
{
	va_list ap;

	st->state = state;
	va_start(ap, fmt);
	vsnprintf(st->detail, sizeof(st->detail), fmt, ap);
	va_end(ap);
}

void gm_source_err(struct gpumem_source_status *st, int err,
		   const char *what)
{
	if (err == -ENOENT)
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no %s", what);
	else if (gm_is_denied(err))
		gm_source_say(st, GPUMEM_SOURCE_DENIED,
			      "%s: not readable by this user", what);
	else
		gm_source_say(st, GPUMEM_SOURCE_ERROR, "%s: %s", what,
			      strerror(-err));
}

/*
 * One reading per origin.  A device's later reading of an origin replaces
 * the earlier (drm-sysfs reads gpu_mem/total after amdgpu's mem_info_*: it
 * counts each object once); a process's sums (the tracepoint's per GPU).
 */
static void add_reading(struct gpumem_reading *r, unsigned int *nr,
			enum gpumem_origin origin, uint64_t bytes, bool sum)
{
	unsigned int i;

	for (i = 0; i < *nr; i++) {
		if (r[i].origin == origin) {
			r[i].bytes = sum ? gm_add_sat(r[i].bytes, bytes) : bytes;
			return;
		}
	}
	if (*nr < GPUMEM_MAX_READINGS)
		r[(*nr)++] = (struct gpumem_reading){ origin, bytes };
}

void gm_device_reading(struct gpumem_device *d, enum gpumem_origin origin,
		       uint64_t bytes)
{
	add_reading(d->readings, &d->nr_readings, origin, bytes, false);
}

void gm_process_reading(struct gpumem_process *p, enum gpumem_origin origin,
			uint64_t bytes)
{
	add_reading(p->readings, &p->nr_readings, origin, bytes, true);
}

unsigned int gm_count_set(const void *arr, size_t nr, size_t elem, size_t off)
{
	const char *p = arr;
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < nr; i++)
		n += p[i * elem + off] != 0;
	return n;
}

/* "N dma-bufs <what>": those whose flag at off is set. */
void gm_say_dmabufs(const struct gpumem_snapshot *s,
		    struct gpumem_source_status *st, size_t off,
		    const char *what)
{
	const struct gpumem_dmabuf *b;
	size_t nr;

	b = gpumem_dmabufs(s, &nr);
	gm_source_say(st, GPUMEM_SOURCE_FOUND, "%u dma-bufs %s",
		      gm_count_set(b, nr, sizeof(*b), off), what);
}

int gm_explain_why(struct gm_explain_in *in, int err, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(in->why, in->why_len, "%s/proc/", in->root);
	if (n >= in->why_len)
		return err;
	va_start(ap, fmt);
	vsnprintf(in->why + n, in->why_len - n, fmt, ap);
	va_end(ap);
	return err;
}
