/* SPDX-License-Identifier: MIT */
/*
 * The model: the snapshot that the sources feed.  Outputs never include
 * this; they read the snapshot through the public accessors.
 */
#ifndef GM_MODEL_H
#define GM_MODEL_H

#include "sources/sources.h"

/* shares.c: one reference per (object, process), with its PSS-like share */
struct gm_ref {
	uint32_t obj;
	uint32_t proc;
	uint64_t share;
};

struct gm_refs {
	struct gm_ref *v;
	size_t nr, cap;
	struct gm_map seen;	/* obj << 32 | proc */
};

int gm_refs_add(struct gm_refs *r, uint32_t obj, uint32_t proc);
void gm_refs_free(struct gm_refs *r);

/* A list per owner: owner i has v[first[i]] .. v[first[i + 1] - 1]. */
struct gm_list {
	uint32_t *first;
	void *v;
};

/* A gm_list filled owner after owner, in order: each owner's elements once. */
struct gm_pool {
	struct gm_list l;
	size_t nr, cap;		/* elements */
	size_t cap_first;
};

/* The n elements v[] of owner, the one after the last owner added. */
int gm_pool_add(struct gm_pool *p, size_t owner, const void *v, size_t n,
		size_t elem);
void gm_pool_fit(struct gm_pool *p, size_t owners, size_t elem);
void gm_pool_free(struct gm_pool *p);

/* holdings.c */
struct gm_holdings {
	struct gm_list proc_clients;	/* struct gpumem_holding */
	struct gm_list proc_bufs;	/* struct gpumem_holding */
	struct gm_list client_pids;	/* pid_t */
	struct gm_list buf_pids;	/* pid_t */
	struct gm_list proc_devs;	/* struct gpumem_process_device */
};

/* cgroups.c: each distinct cgroup once */
struct gm_cgroups {
	struct gpumem_cgroup *v;
	size_t nr, cap;
	struct gm_map by_key;	/* hash of path -> first index */
};

int gm_cgroups_intern(struct gm_cgroups *c, const struct gpumem_cgroup *cg,
		      uint32_t *idx);
void gm_cgroups_free(struct gm_cgroups *c);
void gm_dmem_free(struct gm_dmem *d);

/* snapshot.c */
struct gpumem_snapshot {
	struct gm_devices devs;
	struct gpumem_client *clients;
	size_t nr_clients, cap_clients;
	/* Only what each client has: a fixed array of each in every client
	 * was most of a snapshot's memory. */
	struct gm_pool regions;		/* struct gpumem_region */
	struct gm_pool engines;		/* struct gpumem_engine */
	struct gpumem_dmabuf *bufs;
	size_t nr_bufs, cap_bufs;
	struct gpumem_process *procs;
	size_t nr_procs, cap_procs;
	struct gpumem_dmabuf_totals dmabuf;
	struct gpumem_scan_stats stats;
	struct gpumem_tp tp;		/* sources/bpf_pins.c */
	struct gm_holdings hold;
	struct gm_cgroups cgroups;
	struct gm_dmem dmem;		/* sources/dmem_cgroup.c */
	struct gpumem_sample_info info;
	struct gpumem_source_status *sources;	/* one per gm_source_table */
	size_t nr_sources;
};

/* devices.c: device totals and their origin, decided in one place */
void gm_finish_devices(struct gpumem_snapshot *s);
void gm_finish_readings(struct gpumem_snapshot *s);
bool gm_readings_disagree(const struct gpumem_reading *r, unsigned int nr);

void gm_sample_info(struct gpumem_sample_info *info, int procfd);
/* What the sources gave, turned into totals, shares and lists. */
int gm_finish_model(struct gpumem_snapshot *s, struct gm_refs *clients,
		    struct gm_refs *bufs);

/* series.c: a directory of captures, one per sample (gpumem_scanner_new) */
struct gm_series {
	char *root;
	char **names;		/* the captures, in version order */
	size_t nr, next;
};

/* *out NULL: root is not a series. */
/* opts in this library's layout (gpumem.h: struct gpumem_opts). */
#define GM_OPTS_MAX 1024
int gm_opts_read(const struct gpumem_opts *in, struct gpumem_opts *out);
int gm_series_open(const char *root, struct gm_series **out);
/* The next capture's root into path; -ENODATA past the last. */
int gm_series_next(struct gm_series *sr, char *path, size_t size);
void gm_series_free(struct gm_series *sr);
int gm_walk_sources(struct gm_source_ctx *ctx, enum gm_use use,
		    struct gpumem_source_status *st);

/* Needs the device totals (gm_finish_devices) first. */
int gm_shares_clients(struct gpumem_snapshot *s, struct gm_refs *r);
bool gm_total_exact(const struct gpumem_device *d);
/* The total of c's device (c->device >= 0) holds every byte of c. */
bool gm_total_holds(const struct gpumem_snapshot *s,
		    const struct gpumem_client *c);
uint64_t gm_client_shared(const struct gpumem_client *c);
int gm_shares_dmabufs(struct gpumem_snapshot *s, struct gm_refs *r);
/* The lists, each process's GPU figures (from its devices), then the sort. */
int gm_sort_procs(struct gpumem_snapshot *s);
int gm_holdings_build(struct gpumem_snapshot *s, const struct gm_refs *clients,
		      const struct gm_refs *bufs);
/* -p: process i becomes the only one (i < 0: one that holds nothing). */
void gm_holdings_keep(struct gpumem_snapshot *s, long i);
void gm_holdings_free(struct gm_holdings *h);

#endif
