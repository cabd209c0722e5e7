// SPDX-License-Identifier: MIT
/*
 * The gpu_mem_total tracepoint through pinned BPF maps: the collector's
 * (bpf/gpumem.bpf.c, pinned by `gpumem bpf load`) or Android's gpuMem.c
 * map, which has the same key and value.  Opened read-only, so a member of
 * the pins' group reads them without privilege.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gm.h"
#include "../bpf/gpumem_bpf.h"

static int open_pin(const char *path)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	int fd = bpf_obj_get_opts(path, &opts);

	return fd < 0 ? -errno : fd;
}

static int cmp_total(const void *a, const void *b)
{
	const struct gpumem_tp_total *x = a, *y = b;
	uint64_t kx = GM_BPF_KEY(x->gpu_id, x->pid);
	uint64_t ky = GM_BPF_KEY(y->gpu_id, y->pid);

	return (kx > ky) - (kx < ky);
}

/*
 * Keys deleted while we walk make get_next_key start over: sort, then keep
 * one entry per key.
 */
static int read_totals(int fd, struct gpumem_tp *tp)
{
	uint64_t key = 0, next, size;
	size_t cap = 0, i, n = 0;
	bool first = true;
	int err;

	while (!(err = bpf_map_get_next_key(fd, first ? NULL : &key, &next))) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &size))
			continue;	/* deleted meanwhile */
		if (gm_grow((void **)&tp->totals, &cap, n + 1,
			    sizeof(*tp->totals)))
			return -ENOMEM;
		tp->totals[n++] = (struct gpumem_tp_total){
			.gpu_id = key >> 32, .pid = (uint32_t)key, .bytes = size,
		};
	}
	if (err != -ENOENT)
		return err;
	if (n)
		qsort(tp->totals, n, sizeof(*tp->totals), cmp_total);
	for (i = 0; i < n; i++) {
		if (tp->nr && !cmp_total(&tp->totals[tp->nr - 1], &tp->totals[i]))
			continue;
		tp->totals[tp->nr++] = tp->totals[i];
	}
	return 0;
}

/* Peaks and times: a key can miss its info entry (info map full). */
static void read_info(int fd, struct gpumem_tp *tp)
{
	struct gm_bpf_info info;
	size_t i;

	for (i = 0; i < tp->nr; i++) {
		struct gpumem_tp_total *t = &tp->totals[i];
		uint64_t key = GM_BPF_KEY(t->gpu_id, t->pid);

		if (bpf_map_lookup_elem(fd, &key, &info))
			continue;
		t->peak_bytes = info.peak;
		t->last_change_ns = info.last_ns;
		t->changes = info.changes;
	}
}

static int read_counters(int fd, struct gpumem_tp *tp)
{
	uint64_t *out[GM_BPF_NR_COUNTERS] = {
		[GM_BPF_EVENTS] = &tp->events,
		[GM_BPF_DROP_TOTAL] = &tp->dropped_full,
		[GM_BPF_DROP_INFO] = &tp->dropped_info_full,
		[GM_BPF_DROP_RINGBUF] = &tp->dropped_ringbuf,
	};
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;
	uint32_t k;
	int c, err = 0;

	if (ncpu < 0)
		return ncpu;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (k = 0; k < GM_BPF_NR_COUNTERS && !err; k++) {
		err = bpf_map_lookup_elem(fd, &k, v);
		for (c = 0; c < ncpu && !err; c++)
			*out[k] += v[c];
	}
	free(v);
	return err;
}

static int read_max_entries(int fd, struct gpumem_tp *tp)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);

	tp->max_entries = info.max_entries;
	return err;
}

/* The collector's pins: totals, then what only we have. */
static int read_ours(const char *dir, struct gpumem_tp *tp, int fd)
{
	char path[4096];
	int err, xfd;

	err = read_totals(fd, tp);
	if (!err)
		err = read_max_entries(fd, tp);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/gpu_mem_info", dir);
	xfd = open_pin(path);
	if (xfd < 0)
		return xfd;
	read_info(xfd, tp);
	close(xfd);
	snprintf(path, sizeof(path), "%s/counters", dir);
	xfd = open_pin(path);
	if (xfd < 0)
		return xfd;
	err = read_counters(xfd, tp);
	close(xfd);
	return err;
}

static void set_state(struct gpumem_tp *tp, int err)
{
	tp->err = err;
	if (!err)
		tp->state = GPUMEM_TP_OK;
	else if (err == -ENOENT)
		tp->state = GPUMEM_TP_ABSENT;
	else if (err == -EACCES || err == -EPERM)
		tp->state = GPUMEM_TP_DENIED;
	else
		tp->state = GPUMEM_TP_ERROR;
}

int gpumem_tp_read(const char *pin_dir, struct gpumem_tp *tp)
{
	static const char *const android[] = {
		GPUMEM_TP_ANDROID_MAP, GPUMEM_TP_ANDROID_MAP_OLD,
	};
	const char *dir = pin_dir ? pin_dir : GPUMEM_TP_PIN_DIR;
	size_t i;
	int fd, err;

	memset(tp, 0, sizeof(*tp));
	snprintf(tp->path, sizeof(tp->path), "%s/gpu_mem_total_map", dir);
	fd = open_pin(tp->path);
	for (i = 0; fd == -ENOENT && !pin_dir && i < GM_ARRAY_SIZE(android); i++) {
		int afd = open_pin(android[i]);

		if (afd == -ENOENT)
			continue;
		gm_strlcpy(tp->path, android[i], sizeof(tp->path));
		tp->android = true;
		fd = afd;
	}
	if (fd < 0) {
		set_state(tp, fd);
		return fd;
	}
	err = tp->android ? read_totals(fd, tp) : read_ours(dir, tp, fd);
	close(fd);
	set_state(tp, err);
	return err;
}

void gpumem_tp_release(struct gpumem_tp *tp)
{
	free(tp->totals);
	tp->totals = NULL;
	tp->nr = 0;
}

/*
 * fdinfo knows a process's GPU memory only when every client of it reports
 * memory; a process with no DRM client is known to hold 0 there.
 */
bool gm_tp_differs(const struct gpumem_process *p)
{
	return p->tp_known && !p->nr_unknown_clients &&
	       p->tp_bytes != p->gpu_total_bytes;
}

/*
 * GpuMem::dump() of AOSP services/gpuservice/gpumem/GpuMem.cpp, with the
 * blank line GpuService::doDump() adds after the section.  GPUs come in
 * ascending order (Android's is its unordered_map's), pids ascending.
 */
int gpumem_tp_print_android(const struct gpumem_tp *tp, FILE *f)
{
	size_t i;

	if (tp->state != GPUMEM_TP_OK)
		fputs("Failed to initialize GPU memory eBPF\n", f);
	else if (!tp->nr)
		fputs("GPU memory total usage map is empty\n", f);
	for (i = 0; tp->state == GPUMEM_TP_OK && i < tp->nr; i++) {
		const struct gpumem_tp_total *t = &tp->totals[i];

		if (!i || t->gpu_id != tp->totals[i - 1].gpu_id) {
			fprintf(f, "Memory snapshot for GPU %" PRIu32 ":\n",
				t->gpu_id);
			if (t->pid)
				fputs("Global total: N/A\n", f);
		}
		if (!t->pid)
			fprintf(f, "Global total: %" PRIu64 "\n", t->bytes);
		else
			fprintf(f, "Proc %" PRIu32 " total: %" PRIu64 "\n",
				t->pid, t->bytes);
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
