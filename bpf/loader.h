/* SPDX-License-Identifier: MIT */
/*
 * Loads the gpu_mem_total collector (bpf/gpumem.bpf.c) and pins it under a
 * bpffs directory that group "gpumem" may read; used by `gpumem bpf` and,
 * later, the daemon.
 */
#ifndef GM_LOADER_H
#define GM_LOADER_H

#include <stdbool.h>
#include <stddef.h>

enum gm_attach {
	GM_ATTACH_AUTO,		/* tp_btf when the kernel's BTF has it */
	GM_ATTACH_RAW_TP,
	GM_ATTACH_TP_BTF,
};

struct gm_collector_opts {
	const char *pin_dir;		/* GM_BPF_PIN_DIR when NULL */
	const char *group;		/* "gpumem" when NULL */
	unsigned int max_entries;	/* keys; 0: the default */
	enum gm_attach attach;
};

/* What load did, for the caller to report. */
struct gm_collector_info {
	enum gm_attach attach;		/* RAW_TP or TP_BTF */
	bool group_found;		/* false: pins are root-only */
	bool mounted_bpffs;
};

#define GM_LOADER_MSG_MAX 256

/*
 * 0, or a negative errno with msg saying what is missing and what to do.
 * -EEXIST when the collector is already pinned there.
 */
int gm_collector_load(const struct gm_collector_opts *o,
		      struct gm_collector_info *info, char *msg, size_t len);
/* Removes the pins; the program detaches with its last pinned link. */
int gm_collector_unload(const char *pin_dir);
const char *gm_attach_name(enum gm_attach a);

#endif
