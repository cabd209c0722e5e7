// SPDX-License-Identifier: MIT
/*
 * The history ring: one allocation per sample (its header, its devices,
 * its processes), their pointers in a circular array.  The budget counts
 * every byte allocated, so a daemon's memory for history is what it was
 * told; the oldest samples make room for the newest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

struct gpumem_history {
	size_t max_bytes;
	int64_t interval_ns;
	size_t bytes;		/* this struct, slots, every sample */
	struct gpumem_history_sample **slots;
	size_t cap, head, len;	/* the oldest at slots[head] */
	bool started;		/* a sample was added once */
	int64_t last_boottime_ns;
};

static size_t sample_bytes(size_t nr_devices, size_t nr_processes)
{
	return sizeof(struct gpumem_history_sample) +
	       nr_devices * sizeof(struct gpumem_history_device) +
	       nr_processes * sizeof(struct gpumem_history_process);
}

int gpumem_history_new(size_t max_bytes, int64_t interval_ns,
		       struct gpumem_history **out)
{
	struct gpumem_history *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->max_bytes = max_bytes;
	h->interval_ns = interval_ns > 0 ? interval_ns : 0;
	h->bytes = sizeof(*h);
	*out = h;
	return 0;
}

static int by_pid(const void *a, const void *b)
{
	const struct gpumem_history_process *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void fill_devices(struct gpumem_history_device *out,
			 const struct gpumem_snapshot *s)
{
	const struct gpumem_device *d;
	size_t i, nr;

	d = gpumem_devices(s, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_device *e = gpumem_at(d, i);

		out[i] = (struct gpumem_history_device){
			.struct_size = sizeof(out[i]), .index = e->index,
			.known = e->origin != GPUMEM_ORIGIN_NONE,
			.partial = e->total_partial,
			.total_bytes = e->total_bytes,
		};
	}
}

static void fill_processes(struct gpumem_history_process *out,
			   const struct gpumem_snapshot *s)
{
	const struct gpumem_process *p;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_process *e = gpumem_at(p, i);

		out[i] = (struct gpumem_history_process){
			.struct_size = sizeof(out[i]), .pid = e->pid,
			.uid = gpumem_process_uid(e),
			.gpu_rss_bytes = e->gpu_total_bytes,
			.gpu_pss_bytes = e->gpu_pss_bytes,
			.dmabuf_rss_bytes = e->dmabuf_rss_bytes,
			.dmabuf_pss_bytes = e->dmabuf_pss_bytes,
			.gpu_pss_exact = e->gpu_pss_exact,
		};
		gm_strlcpy(out[i].comm, e->comm, sizeof(out[i].comm));
	}
	qsort(out, nr, sizeof(*out), by_pid);
}

static struct gpumem_history_sample *make_sample(const struct gpumem_snapshot *s,
						 size_t *bytes)
{
	const struct gpumem_sample_info *info = gpumem_sample_info(s);
	struct gpumem_history_sample *hs;
	struct gpumem_history_device *devs;
	struct gpumem_history_process *procs;
	size_t nd, np;

	gpumem_devices(s, &nd);
	gpumem_processes(s, &np);
	*bytes = sample_bytes(nd, np);
	hs = malloc(*bytes);
	if (!hs)
		return NULL;
	devs = (struct gpumem_history_device *)(hs + 1);
	procs = (struct gpumem_history_process *)(devs + nd);
	fill_devices(devs, s);
	fill_processes(procs, s);
	*hs = (struct gpumem_history_sample){
		.struct_size = sizeof(*hs), .realtime_ns = info->realtime_ns,
		.boottime_ns = info->boottime_ns,
		.unreadable_processes =
			gpumem_scan_stats(s)->unreadable_processes,
		.nr_devices = nd, .nr_processes = np,
		.devices = devs, .processes = procs,
	};
	return hs;
}

static void drop_oldest(struct gpumem_history *h)
{
	struct gpumem_history_sample *old = h->slots[h->head];

	h->bytes -= sample_bytes(old->nr_devices, old->nr_processes);
	free(old);
	h->head = (h->head + 1) % h->cap;
	h->len--;
}

#define MIN_SLOTS 16

/* The ring re-laid from 0 in an array of cap pointers. */
static int resize_slots(struct gpumem_history *h, size_t cap)
{
	struct gpumem_history_sample **slots;
	size_t i;

	slots = malloc(cap * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < h->len; i++)
		slots[i] = h->slots[(h->head + i) % h->cap];
	free(h->slots);
	h->bytes = h->bytes - h->cap * sizeof(*slots) + cap * sizeof(*slots);
	h->slots = slots;
	h->cap = cap;
	h->head = 0;
	return 0;
}

static void evict_for(struct gpumem_history *h, size_t bytes)
{
	while (h->len && h->bytes + bytes > h->max_bytes)
		drop_oldest(h);
}

/*
 * Oldest samples out until bytes and a free slot fit; a slot array grown
 * large by many small samples is cut back when even empty it is too large.
 */
static int make_room(struct gpumem_history *h, size_t bytes)
{
	int err = 0;

	evict_for(h, bytes);
	if (h->len == h->cap)
		err = resize_slots(h, h->cap ? 2 * h->cap : MIN_SLOTS);
	evict_for(h, bytes);
	if (!err && h->bytes + bytes > h->max_bytes)
		err = resize_slots(h, MIN_SLOTS);
	return err;
}

static enum gpumem_gap gap_before(const struct gpumem_history *h,
				  int64_t boottime_ns)
{
	if (!h->started)
		return GPUMEM_GAP_START;
	if (h->interval_ns &&
	    boottime_ns - h->last_boottime_ns > h->interval_ns / 2 * 3)
		return GPUMEM_GAP_MISSED;
	return GPUMEM_GAP_NONE;
}

int gpumem_history_add(struct gpumem_history *h,
		       const struct gpumem_snapshot *s)
{
	struct gpumem_history_sample *hs;
	size_t bytes;
	int err;

	hs = make_sample(s, &bytes);
	if (!hs)
		return -ENOMEM;
	if (sizeof(*h) + MIN_SLOTS * sizeof(*h->slots) + bytes > h->max_bytes) {
		free(hs);
		return -E2BIG;
	}
	err = make_room(h, bytes);
	if (err) {
		free(hs);
		return err;
	}
	hs->gap = gap_before(h, hs->boottime_ns);
	h->slots[(h->head + h->len) % h->cap] = hs;
	h->len++;
	h->bytes += bytes;
	h->started = true;
	h->last_boottime_ns = hs->boottime_ns;
	return 0;
}

size_t gpumem_history_len(const struct gpumem_history *h)
{
	return h->len;
}

size_t gpumem_history_bytes(const struct gpumem_history *h)
{
	return h->bytes;
}

const struct gpumem_history_sample *
gpumem_history_at(const struct gpumem_history *h, size_t i)
{
	return i < h->len ? h->slots[(h->head + i) % h->cap] : NULL;
}

const struct gpumem_history_process *
gpumem_history_find(const struct gpumem_history_sample *s, pid_t pid)
{
	size_t lo = 0, hi = s->nr_processes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct gpumem_history_process *p =
			gpumem_at(s->processes, mid);

		if (p->pid == pid)
			return p;
		if (p->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void gpumem_history_free(struct gpumem_history *h)
{
	if (!h)
		return;
	while (h->len)
		drop_oldest(h);
	free(h->slots);
	free(h);
}
