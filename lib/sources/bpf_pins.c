// SPDX-License-Identifier: MIT
/*
 * The gpu_mem_total tracepoint through pinned BPF maps: the collector's
 * (bpf/gpumem.bpf.c, pinned by `gpumem bpf load`) or Android's gpuMem.c
 * map, which has the same key and value.  Opened read-only, so a member of
 * the pins' group reads them without privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sources.h"
#include "../../bpf/gpumem_bpf.h"

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

static int read_max_entries(int fd, struct gpumem_tp *tp)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(fd, &info, &len);

	tp->max_entries = info.max_entries;
	return err;
}

/* All keys in a few BPF_MAP_LOOKUP_BATCH calls (Linux >= 5.6). */
static int walk_batch(int fd, uint32_t max, struct gpumem_tp *tp, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t *keys = calloc(max, sizeof(*keys));
	uint64_t *vals = calloc(max, sizeof(*vals));
	uint64_t batch = 0;
	uint32_t count;
	size_t got = 0, i, cap = 0;
	int err = keys && vals ? 0 : -ENOMEM;

	while (!err && got < max) {
		count = (uint32_t)(max - got);
		err = bpf_map_lookup_batch(fd, got ? &batch : NULL, &batch,
					   keys + got, vals + got, &count, &opts);
		got += count;
	}
	if (err == -ENOENT || (!err && got == max))
		err = gm_grow((void **)&tp->totals, &cap, got ? got : 1,
			      sizeof(*tp->totals));
	for (i = 0; !err && i < got; i++)
		tp->totals[i] = (struct gpumem_tp_total){
			.gpu_id = keys[i] >> 32, .pid = (uint32_t)keys[i],
			.bytes = vals[i],
		};
	*n = err ? 0 : got;
	free(keys);
	free(vals);
	return err;
}

/* One key at a time, for kernels without batch lookups. */
static int walk_keys(int fd, struct gpumem_tp *tp, size_t *n)
{
	uint64_t key = 0, next, size;
	size_t cap = 0;
	bool first = true;
	int err;

	*n = 0;
	while (!(err = bpf_map_get_next_key(fd, first ? NULL : &key, &next))) {
		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &size))
			continue;	/* deleted meanwhile */
		if (gm_grow((void **)&tp->totals, &cap, *n + 1,
			    sizeof(*tp->totals)))
			return -ENOMEM;
		tp->totals[(*n)++] = (struct gpumem_tp_total){
			.gpu_id = key >> 32, .pid = (uint32_t)key, .bytes = size,
		};
	}
	return err == -ENOENT ? 0 : err;
}

/*
 * Keys deleted while we walk make get_next_key start over: sort, then keep
 * one entry per key.
 */
static int read_totals(int fd, struct gpumem_tp *tp)
{
	size_t i, n = 0;
	int err = read_max_entries(fd, tp);

	if (!err)
		err = walk_batch(fd, tp->max_entries, tp, &n);
	if (err && err != -ENOMEM)
		err = walk_keys(fd, tp, &n);
	if (err)
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

/* The slot of key, probed as bpf/gpumem.bpf.c probes; -ENOENT: none. */
static int slot_lookup(int fd, uint32_t bits, uint64_t key,
		       struct gm_bpf_slot *out)
{
	uint32_t home = gm_bpf_slot_home(key, 64 - bits), i, idx;

	for (i = 0; i < GM_BPF_PROBES; i++) {
		idx = (home + i) & ((1u << bits) - 1);
		if (bpf_map_lookup_elem(fd, &idx, out))
			return -errno;
		if (out->tag == GM_BPF_LIVE(key))
			return 0;
		if (out->tag == GM_BPF_SLOT_EMPTY)
			break;
	}
	return -ENOENT;
}

/*
 * Sizes, peaks and times from the slots, which are exact at once; the
 * totals map follows them within GM_BPF_MIRROR_DELAY_NS.  A key there
 * without a live slot has just gone, unless some key never got a slot
 * (dropped_info_full): those live in the totals map only.  devices: only
 * the device totals' (pid 0) slots; a process's figures stay the totals
 * map's, without peak or times (0: unknown), since a lookup a process
 * each sample was most of what reading the collector cost.
 */
static int read_slots(int fd, struct gpumem_tp *tp, bool devices)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info), bits = 1;
	struct gm_bpf_slot slot;
	size_t i, nr = 0;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	while (bits < 31 && 1u << bits < info.max_entries)
		bits++;
	if (info.value_size != sizeof(slot) || 1u << bits != info.max_entries)
		return -EPROTO;
	for (i = 0; i < tp->nr; i++) {
		struct gpumem_tp_total t = tp->totals[i];

		if (devices && t.pid) {
			tp->totals[nr++] = t;
			continue;
		}
		err = slot_lookup(fd, bits, GM_BPF_KEY(t.gpu_id, t.pid), &slot);
		if (err && err != -ENOENT)
			return err;
		if (!err && !slot.size)
			continue;
		if (!err) {
			t.bytes = slot.size;
			t.peak_bytes = slot.peak;
			t.last_change_ns = slot.last_ns;
			t.changes = slot.changes;
		} else if (!tp->dropped_info_full) {
			continue;
		}
		tp->totals[nr++] = t;
	}
	tp->nr = nr;
	return 0;
}

static int read_globals(int fd, struct gpumem_tp *tp)
{
	struct bpf_map_info info = { 0 };
	struct gm_bpf_globals g;
	uint32_t len = sizeof(info), zero = 0;
	struct timespec now;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.value_size != sizeof(g))
		return -EPROTO;
	if (bpf_map_lookup_elem(fd, &zero, &g))
		return -errno;
	clock_gettime(CLOCK_BOOTTIME, &now);
	tp->streaming = g.stream_until >
			(uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;
	tp->events = g.events;
	tp->dropped_full = g.drop_total;
	tp->dropped_info_full = g.drop_slot;
	tp->dropped_ringbuf = g.drop_ringbuf;
	return 0;
}

/*
 * The loader pins the link last, so maps without it are a load that died
 * half-way: no program feeds them, and their totals are stale.  A reader
 * may not open a link (BPF_OBJ_GET of one needs write access), so the pin
 * is only looked at, before any stale total is taken.
 */
static int link_pinned(const char *dir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/" GM_BPF_PIN_LINK, dir);
	if (!fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW))
		return 0;
	return errno == ENOENT ? -ENOLINK : -errno;
}

/* The collector's pins: the link, the keys, the counters, the slots. */
static int read_ours(const char *dir, struct gpumem_tp *tp, int fd,
		     bool devices)
{
	char path[4096];
	int err, xfd;

	err = link_pinned(dir);
	if (!err)
		err = read_totals(fd, tp);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/globals", dir);
	xfd = open_pin(path);
	if (xfd < 0)
		return xfd;
	err = read_globals(xfd, tp);
	close(xfd);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/gpu_mem_slots", dir);
	xfd = open_pin(path);
	if (xfd < 0)
		return xfd;
	err = read_slots(xfd, tp, devices);
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
	else if (gm_is_denied(err))
		tp->state = GPUMEM_TP_DENIED;
	else
		tp->state = GPUMEM_TP_ERROR;
}

static int tp_read(const char *pin_dir, struct gpumem_tp *tp, bool devices)
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
	err = tp->android ? read_totals(fd, tp) :
	      read_ours(dir, tp, fd, devices);
	close(fd);
	set_state(tp, err);
	return err;
}

int gpumem_tp_read(const char *pin_dir, struct gpumem_tp *tp)
{
	return tp_read(pin_dir, tp, false);
}

void gpumem_tp_release(struct gpumem_tp *tp)
{
	free(tp->totals);
	tp->totals = NULL;
	tp->nr = 0;
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

static void say_tp(const struct gpumem_tp *tp, struct gpumem_source_status *st)
{
	switch (tp->state) {
	case GPUMEM_TP_OK:
		gm_source_say(st, GPUMEM_SOURCE_FOUND, "%s%s, %zu keys",
			      tp->path, tp->android ? " (Android's)" : "",
			      tp->nr);
		break;
	case GPUMEM_TP_ABSENT:
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "none under "
			      GPUMEM_TP_PIN_DIR " nor Android's: run 'gpumem "
			      "bpf load' as root");
		break;
	case GPUMEM_TP_DENIED:
		gm_source_say(st, GPUMEM_SOURCE_DENIED, "%s: %s: join group "
			      "gpumem (or run as root)", tp->path,
			      strerror(-tp->err));
		break;
	default:
		if (tp->err == -ENOLINK)
			gm_source_say(st, GPUMEM_SOURCE_ERROR, "%s: "
				      GM_BPF_HALF_LOADED, tp->path);
		else
			gm_source_say(st, GPUMEM_SOURCE_ERROR, "%s: %s: see "
				      "dmesg", tp->path, strerror(-tp->err));
	}
}

/*
 * A process known only to the tracepoint (no DRM fd left open) is one all
 * the same: it is added with its comm, read here and only for such pids.
 */
static int process_total(struct gm_source_ctx *ctx, struct gm_text *t,
			 const struct gpumem_tp_total *k)
{
	const struct gm_feed *f = ctx->feed;
	char path[32], comm[GPUMEM_NAME_MAX];
	struct gm_status st;
	int err = f->process_reading(f->ctx, (pid_t)k->pid,
				     GPUMEM_ORIGIN_TRACEPOINT, k->bytes);

	if (err != -ENOENT)
		return err;
	snprintf(path, sizeof(path), "%u/comm", k->pid);
	gm_read_comm(ctx->procfd, path, t, comm);
	snprintf(path, sizeof(path), "%u/status", k->pid);
	gm_read_status_at(ctx->procfd, path, t, GM_READ_KERNEL, &st,
			  &ctx->stats->malformed_lines);
	err = f->holders->process(f->holders->ctx, (pid_t)k->pid, comm, &st);
	return err ? err : f->process_reading(f->ctx, (pid_t)k->pid,
					      GPUMEM_ORIGIN_TRACEPOINT,
					      k->bytes);
}

/* pid 0 is a device total; any other key a process's, summed over GPUs. */
static int feed_totals(struct gm_source_ctx *ctx, const struct gpumem_tp *tp)
{
	const struct gm_feed *f = ctx->feed;
	struct gm_text t = { 0 };
	size_t i;
	int err = 0;

	for (i = 0; !err && i < tp->nr; i++) {
		const struct gpumem_tp_total *k = &tp->totals[i];

		err = k->pid ? process_total(ctx, &t, k) :
		      f->device_reading(f->ctx, (int)k->gpu_id,
					GPUMEM_ORIGIN_TRACEPOINT, k->bytes);
	}
	gm_text_free(&t);
	return err;
}

static int read_bpf_pins(struct gm_source_ctx *ctx,
			 struct gpumem_source_status *st)
{
	struct gpumem_tp *tp = ctx->feed->tp;

	if (!ctx->live) {
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "a --root tree: the "
			      "pins belong to the live system");
		return 0;
	}
	/* A snapshot shows only the devices' peaks (gpumem bpf shows all). */
	tp_read(NULL, tp, true);
	say_tp(tp, st);
	return feed_totals(ctx, tp);
}

const struct gm_source gm_src_bpf_pins = {
	.name = "bpf-pins",
	.what = "pinned maps",
	.read = read_bpf_pins,
};
