/* SPDX-License-Identifier: MIT */
/*
 * The model: the snapshot that the sources feed.  Outputs never include
 * this; they read the snapshot through the public accessors.
 */
#ifndef GM_MODEL_H
#define GM_MODEL_H

#include "sources/sources.h"

/* snapshot.c */
struct gpumem_snapshot {
	struct gm_devices devs;
	struct gpumem_client *clients;
	size_t nr_clients, cap_clients;
	struct gpumem_dmabuf *bufs;
	size_t nr_bufs, cap_bufs;
	struct gpumem_process *procs;
	size_t nr_procs, cap_procs;
	struct gpumem_dmabuf_totals dmabuf;
	struct gpumem_scan_stats stats;
	struct gpumem_tp tp;		/* sources/bpf_pins.c */
};

#endif
