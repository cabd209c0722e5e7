// SPDX-License-Identifier: MIT
/*
 * Device totals and process figures from the readings the sources gave.
 * The order of preference is stated once, here: for a device the
 * tracepoint (each object once, exact at every change), then the driver's
 * own counters in sysfs (or NVML's, for NVIDIA's driver), then the sum of its clients (derived, which only
 * holds when every client reports memory).
 */
#include "model.h"

static const enum gpumem_origin device_order[] = {
	GPUMEM_ORIGIN_TRACEPOINT, GPUMEM_ORIGIN_SYSFS, GPUMEM_ORIGIN_NVML,
	GPUMEM_ORIGIN_DERIVED,
};

bool gm_readings_disagree(const struct gpumem_reading *r, unsigned int nr)
{
	unsigned int i;

	for (i = 1; i < nr; i++) {
		if (r[i].bytes != r[0].bytes)
			return true;
	}
	return false;
}

static void choose(struct gpumem_device *d)
{
	size_t o;
	unsigned int i;

	for (o = 0; o < GM_ARRAY_SIZE(device_order); o++) {
		for (i = 0; i < d->nr_readings; i++) {
			if (d->readings[i].origin != device_order[o])
				continue;
			d->origin = device_order[o];
			d->total_bytes = d->readings[i].bytes;
			return;
		}
	}
}

static void count_clients(struct gpumem_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nr_clients; i++) {
		const struct gpumem_client *c = &s->clients[i];
		struct gpumem_device *d;

		if (c->device < 0)
			continue;
		d = &s->devs.dev[c->device];
		d->nr_clients++;
		if (!c->mem_known) {
			d->nr_unknown_clients++;
			continue;
		}
		d->clients_bytes = gm_add_sat(d->clients_bytes, c->bytes);
		d->clients_shared_bytes = gm_add_sat(d->clients_shared_bytes,
						     gm_client_shared(c));
	}
}

void gm_finish_devices(struct gpumem_snapshot *s)
{
	size_t i;

	count_clients(s);
	gm_pci_names(s->devs.dev, s->devs.nr);
	for (i = 0; i < s->devs.nr; i++) {
		struct gpumem_device *d = &s->devs.dev[i];

		if (!d->nr_unknown_clients)
			gm_device_reading(d, GPUMEM_ORIGIN_DERIVED,
					  d->clients_bytes);
		choose(d);
		d->readings_disagree = gm_readings_disagree(d->readings,
							    d->nr_readings);
		d->total_partial = d->origin == GPUMEM_ORIGIN_DERIVED &&
				   s->stats.unreadable_processes;
	}
}

/* The tracepoint's per-process figure, summed over GPUs, kept beside. */
void gm_finish_readings(struct gpumem_snapshot *s)
{
	size_t i;
	unsigned int r;

	for (i = 0; i < s->nr_procs; i++) {
		struct gpumem_process *p = &s->procs[i];

		for (r = 0; r < p->nr_readings; r++) {
			if (p->readings[r].origin != GPUMEM_ORIGIN_TRACEPOINT)
				continue;
			p->tp_known = true;
			p->tp_bytes = p->readings[r].bytes;
		}
	}
}
