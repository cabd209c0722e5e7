// SPDX-License-Identifier: MIT
/*
 * A row's figure over time, read from the library's history
 * (gpumem_history, lib/model/history.c): GPU + DMABUF RSS-like, summed
 * over the row's processes.  A group's series is that of the processes in
 * it now: one that left the group takes its past with it.
 */
#include "top.h"

static int64_t point_time(const struct gpumem_history_sample *hs)
{
	return hs->boottime_ns ? hs->boottime_ns : hs->realtime_ns;
}

/* The first sample of the last max: a series never reaches past it. */
static size_t first_sample(const struct gpumem_history *h, size_t max)
{
	size_t len = gpumem_history_len(h);

	return len > max ? len - max : 0;
}

size_t top_series_procs(const struct gpumem_history *h, const pid_t *pids,
			size_t nr, size_t max, struct gpumem_point *out)
{
	size_t i, j, n = 0, len = gpumem_history_len(h);

	for (i = first_sample(h, max); i < len; i++) {
		const struct gpumem_history_sample *hs = gpumem_history_at(h, i);
		uint64_t sum = 0;
		bool any = false;

		for (j = 0; j < nr; j++) {
			const struct gpumem_history_process *p =
				gpumem_history_find(hs, pids[j]);

			if (!p)
				continue;
			any = true;
			sum += p->gpu_rss_bytes + p->dmabuf_rss_bytes;
		}
		/* Before its first sample a process is not 0 bytes: unknown
		 * (a refresh does not see new processes). */
		if (!any && !n)
			continue;
		out[n++] = (struct gpumem_point){ point_time(hs), sum };
	}
	return n;
}

size_t top_series_device(const struct gpumem_history *h, int index,
			 size_t max, struct gpumem_point *out)
{
	size_t i, j, n = 0, len = gpumem_history_len(h);

	for (i = first_sample(h, max); i < len; i++) {
		const struct gpumem_history_sample *hs = gpumem_history_at(h, i);

		for (j = 0; j < hs->nr_devices; j++) {
			const struct gpumem_history_device *d =
				gpumem_at(hs->devices, j);

			if (d->index == index && d->known) {
				out[n++] = (struct gpumem_point){
					point_time(hs), d->total_bytes };
				break;
			}
		}
	}
	return n;
}
