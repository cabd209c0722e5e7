// SPDX-License-Identifier: MIT
/*
 * gpumem explain: MemTotal split into lines that add up to it exactly.
 * /proc/meminfo gives the kernel's counters; the snapshot gives GPU memory
 * and dma-bufs; smaps_rollup gives anonymous memory as PSS.  GPU and
 * dma-buf pages that the kernel already counts in Shmem are taken out of the
 * shared memory line, so that each page is in one line only; docs/explain.md
 * gives the kernel source for each rule.  What is left is "unexplained".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"

struct xbuild {
	struct gpumem_explain *e;
	size_t cap;
	const struct gm_kvs *mi;
	uint64_t shmem_out;	/* GPU and udmabuf pages inside Shmem */
	uint64_t ttm_ram;	/* TTM pool pages in device and dma-buf lines */
	bool ttm_device;	/* a device of a TTM driver */
	const struct gm_explain_in *in;
};

static int add_line(struct xbuild *b, enum gpumem_xgroup g, int64_t bytes,
		    const char *name, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int add_line(struct xbuild *b, enum gpumem_xgroup g, int64_t bytes,
		    const char *name, const char *fmt, ...)
{
	struct gpumem_explain *e = b->e;
	struct gpumem_xline *l;
	va_list ap;
	int err;

	err = gm_grow((void **)&e->lines, &b->cap, e->nr_lines + 1,
		      sizeof(*e->lines));
	if (err)
		return err;
	l = &e->lines[e->nr_lines++];
	l->group = g;
	l->bytes = bytes;
	gm_strlcpy(l->name, name, sizeof(l->name));
	va_start(ap, fmt);
	vsnprintf(l->source, sizeof(l->source), fmt, ap);
	va_end(ap);
	return 0;
}

static void missing(struct gpumem_explain *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void missing(struct gpumem_explain *e, const char *fmt, ...)
{
	va_list ap;

	if (e->nr_missing >= GPUMEM_X_MAX_MISSING)
		return;
	va_start(ap, fmt);
	vsnprintf(e->missing[e->nr_missing++], sizeof(e->missing[0]), fmt, ap);
	va_end(ap);
}

/* One meminfo field as its own line; absent fields are normal: no line. */
static int field_line(struct xbuild *b, enum gpumem_xgroup g,
		      const char *name, const char *key)
{
	const struct gm_kv *kv = gm_kv_find(b->mi, key);

	if (!kv)
		return 0;
	return add_line(b, g, gm_sbytes(kv->bytes), name, "meminfo %s", key);
}

/*
 * Kernel memory with a counter of its own, none inside another: slab pages
 * (NR_SLAB_*_B, large kmalloc included), stacks, page tables, vmalloc pages
 * (vmalloc_nr_pages(): pages vmalloc allocated, not vmap()ed ones), the
 * per-cpu allocator, the hugetlb pool, zswap's compressed pool, memory not
 * yet accepted.  KReclaimable minus SReclaimable is
 * NR_KERNEL_MISC_RECLAIMABLE, pages outside slab.
 */
static int kernel_lines(struct xbuild *b)
{
	static const struct { const char *name, *key; } f[] = {
		{ "slab", "Slab" },
		{ "kernel stacks", "KernelStack" },
		{ "shadow call stacks", "ShadowCallStack" },
		{ "page tables", "PageTables" },
		{ "secondary page tables", "SecPageTables" },
		{ "vmalloc", "VmallocUsed" },
		{ "per-cpu allocator", "Percpu" },
		{ "hugetlb pool", "Hugetlb" },
		{ "zswap pool", "Zswap" },
		{ "unaccepted", "Unaccepted" },
	};
	uint64_t krecl = gm_kv_get(b->mi, "KReclaimable");
	uint64_t srecl = gm_kv_get(b->mi, "SReclaimable");
	size_t i;
	int err = 0;

	for (i = 0; i < GM_ARRAY_SIZE(f) && !err; i++)
		err = field_line(b, GPUMEM_X_KERNEL, f[i].name, f[i].key);
	if (!err && krecl > srecl)
		err = add_line(b, GPUMEM_X_KERNEL, gm_sbytes(krecl - srecl),
			       "other reclaimable",
			       "meminfo KReclaimable - SReclaimable");
	return err;
}

static uint64_t device_not_ram(const struct gpumem_snapshot *s, int dev)
{
	const struct gpumem_device *d = &s->devs.dev[dev];
	uint64_t sum = 0;
	size_t i, r, nr;

	if (d->origin != GPUMEM_ORIGIN_DERIVED)
		return d->vram_used;
	for (i = 0; i < s->nr_clients; i++) {
		const struct gpumem_client *c = &s->clients[i];
		const struct gpumem_region *g;

		if (c->device != dev)
			continue;
		g = gpumem_client_regions(s, c, &nr);
		for (r = 0; r < nr; r++, g++) {
			uint64_t v;

			/* Device memory and stolen memory are not RAM. */
			if ((g->kind == GPUMEM_KIND_VRAM ||
			     g->kind == GPUMEM_KIND_STOLEN) &&
			    gm_region_bytes(g, &v))
				sum += v;
		}
	}
	return sum;
}

static uint64_t exported_by(const struct gpumem_snapshot *s, const char *drv)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < s->nr_bufs; i++) {
		if (!strcmp(s->bufs[i].exporter, drv))
			sum += s->bufs[i].size;
	}
	return sum;
}

/* The DRM driver's name (drm-driver), not the parent device's driver. */
static const char *drm_driver(const struct gpumem_snapshot *s, int dev)
{
	size_t i;

	for (i = 0; i < s->nr_clients; i++) {
		if (s->clients[i].device == dev && s->clients[i].driver[0])
			return s->clients[i].driver;
	}
	return s->devs.dev[dev].driver[0] ? s->devs.dev[dev].driver : "?";
}

/*
 * A GPU buffer exported as a dma-buf is counted in the dma-buf line of its
 * exporter (the DRM driver's module name), so the device line is the rest:
 * the private part.
 */
static int gpu_lines(struct xbuild *b, const struct gpumem_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->devs.nr; i++) {
		const struct gpumem_device *d = &s->devs.dev[i];
		const char *drv = drm_driver(s, (int)i);
		uint64_t exported = exported_by(s, drv), ram, priv;
		bool shmem = gm_gem_in_shmem(drv);
		char name[GPUMEM_NAME_MAX];
		int err;

		snprintf(name, sizeof(name), "card%d %.40s", d->index, drv);
		if (d->origin == GPUMEM_ORIGIN_NONE) {
			missing(b->e, "GPU memory of %s: no driver counter, no "
				"fdinfo memory (%s)", name, shmem ?
				"it is inside shared memory" :
				"it is inside unexplained");
			continue;
		}
		ram = d->total_bytes - device_not_ram(s, (int)i);
		priv = ram > exported ? ram - exported : 0;
		b->shmem_out += shmem ? priv : 0;
		if (gm_gem_in_ttm(drv)) {
			b->ttm_device = true;
			b->ttm_ram = gm_add_sat(b->ttm_ram, priv);
		}
		err = add_line(b, GPUMEM_X_GPU, gm_sbytes(priv), name,
			       "%s total - not RAM - exported dma-bufs%s",
			       gpumem_origin_name(d->origin),
			       shmem ? "; out of Shmem" : "");
		if (err)
			return err;
	}
	return 0;
}

enum held { HELD_MAPPED, HELD_FD, HELD_KERNEL, HELD_COUNT };

static const char *const held_name[HELD_COUNT] = { "mapped", "fd", "kernel" };

static enum held held_by(const struct gpumem_dmabuf *d)
{
	if (d->mapped)
		return HELD_MAPPED;
	return d->fd_held ? HELD_FD : HELD_KERNEL;
}

/* One exporter's buffers, by way of holding. */
struct exporter {
	const char *name;
	size_t first;			/* its first buffer: the line order */
	uint64_t sum[HELD_COUNT];
	bool gpu;
};

/* A line per way of holding, in the order of struct held. */
static int exporter_lines(struct xbuild *b, const struct exporter *x)
{
	const char *exp = x->name;
	bool in_shmem = !strcmp(exp, "udmabuf") || gm_gem_in_shmem(exp);
	/* drm_gem_prime_export() says "drm" for amdgpu and others: with a
	 * TTM device, such buffers are taken as its pool's pages. */
	bool ttm = x->gpu && (gm_gem_in_ttm(exp) ||
			      (!strcmp(exp, "drm") && b->ttm_device));
	int h, err;

	for (h = 0; h < HELD_COUNT; h++) {
		char name[GPUMEM_NAME_MAX];

		if (!x->sum[h])
			continue;
		if (in_shmem)
			b->shmem_out = gm_add_sat(b->shmem_out, x->sum[h]);
		if (ttm)
			b->ttm_ram = gm_add_sat(b->ttm_ram, x->sum[h]);
		snprintf(name, sizeof(name), "dma-buf %.40s %s",
			 exp[0] ? exp : "?", held_name[h]);
		err = add_line(b, GPUMEM_X_DMABUF, gm_sbytes(x->sum[h]), name,
			       "%s%s", h == HELD_KERNEL ? "sysfs buffers" :
			       h == HELD_FD ? "fdinfo" : "maps",
			       !exp[0] ? " only: exporter unknown, assumed in "
			       "no meminfo line" :
			       in_shmem ? "; shmem pages, out of Shmem" :
			       x->gpu ? "; GPU buffers, out of the device" :
			       "; in no meminfo line");
		if (err)
			return err;
	}
	return 0;
}

static int cmp_by_exporter(const void *a, const void *b, void *ctx)
{
	const struct gpumem_dmabuf *bufs = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(bufs[x].exporter, bufs[y].exporter);

	return c ? c : (x > y) - (x < y);
}

static int cmp_first(const void *a, const void *b)
{
	const struct exporter *x = a, *y = b;

	return (x->first > y->first) - (x->first < y->first);
}

/*
 * The buffers grouped by exporter, in the order each exporter first
 * appears: a sort, not a search per buffer (50,000 exporters were 14 s).
 */
static struct exporter *group_exporters(const struct gpumem_snapshot *s,
					size_t *nr)
{
	size_t *idx = calloc(s->nr_bufs + 1, sizeof(*idx));
	struct exporter *x = calloc(s->nr_bufs + 1, sizeof(*x));
	size_t i, n = 0;

	if (!idx || !x) {
		free(idx);
		free(x);
		return NULL;
	}
	for (i = 0; i < s->nr_bufs; i++)
		idx[i] = i;
	qsort_r(idx, s->nr_bufs, sizeof(*idx), cmp_by_exporter, s->bufs);
	for (i = 0; i < s->nr_bufs; i++) {
		const struct gpumem_dmabuf *d = &s->bufs[idx[i]];
		enum held h = held_by(d);

		if (!n || strcmp(x[n - 1].name, d->exporter))
			x[n++] = (struct exporter){ .name = d->exporter,
						    .first = idx[i] };
		x[n - 1].sum[h] = gm_add_sat(x[n - 1].sum[h], d->size);
		x[n - 1].gpu = d->gpu_overlap;
	}
	free(idx);
	qsort(x, n, sizeof(*x), cmp_first);
	*nr = n;
	return x;
}

static int dmabuf_lines(struct xbuild *b, const struct gpumem_snapshot *s)
{
	struct exporter *x;
	size_t i, nr;
	int err = 0;

	if (!s->dmabuf.sysfs)
		missing(b->e, "dma-bufs held only by the kernel: no "
			"/sys/kernel/dmabuf/buffers (they are in unexplained)");
	x = group_exporters(s, &nr);
	if (!x)
		return -ENOMEM;
	for (i = 0; !err && i < nr; i++)
		err = exporter_lines(b, &x[i]);
	free(x);
	return err;
}

static int pcp_line(struct xbuild *b)
{
	if (b->in->pcp_err) {
		missing(b->e, "proc/zoneinfo: %s (per-cpu free lists are in "
			"unexplained)", strerror(-b->in->pcp_err));
		return 0;
	}
	return add_line(b, GPUMEM_X_FREE,
			gm_sbytes(b->in->pcp_pages * (uint64_t)getpagesize()),
			"free, per-cpu lists", "zoneinfo pagesets count");
}

/*
 * A line that is a difference: a - b of meminfo fields or of figures.  A
 * missing field is said, never read as 0; a difference below zero means the
 * inputs disagree, which is said, and the line is 0 (the rest stays in
 * unexplained, the only line that may be negative).
 */
static int diff_line(struct xbuild *b, enum gpumem_xgroup g, const char *name,
		     uint64_t a, uint64_t minus, const char *source)
{
	if (minus > a) {
		missing(b->e, "%s: %s is negative (%llu < %llu): the inputs "
			"disagree; counted in unexplained", name, source,
			(unsigned long long)a, (unsigned long long)minus);
		return add_line(b, g, 0, name, "%s", source);
	}
	return add_line(b, g, gm_sbytes(a - minus), name, "%s", source);
}

/* The named meminfo fields all present, or said missing (false). */
static bool have_fields(struct xbuild *b, const char *line,
			const char *const *keys)
{
	bool ok = true;

	for (; *keys; keys++) {
		if (gm_kv_find(b->mi, *keys))
			continue;
		missing(b->e, "meminfo has no %s: no %s line (in unexplained)",
			*keys, line);
		ok = false;
	}
	return ok;
}

/*
 * 7.1's TTM pool counters.  GPUActive holds the pages of the TTM devices'
 * lines and of their exported dma-bufs: those lines win (they say which
 * device), and GPUActive gives only the rest, pages no client shows (the
 * kernel's own, those of unreadable processes).  GPUReclaim, the pools'
 * freed pages kept for reuse, is in no other line.
 */
static int gpu_pool_lines(struct xbuild *b)
{
	const struct gm_kv *active = gm_kv_find(b->mi, "GPUActive");
	int err;

	if (!active && !gm_kv_find(b->mi, "GPUReclaim")) {
		if (b->ttm_device)
			missing(b->e, "meminfo has no GPUActive (Linux 7.1 adds "
				"it): TTM pool pages no device line shows are "
				"in unexplained");
		return 0;
	}
	err = active ? diff_line(b, GPUMEM_X_GPU, "GPU pool pages, other",
				 active->bytes, b->ttm_ram,
				 "meminfo GPUActive - TTM devices' RAM in "
				 "the lines above") : 0;
	if (!err)
		err = field_line(b, GPUMEM_X_GPU, "GPU pools, reclaimable",
				 "GPUReclaim");
	return err;
}

static int cache_line(struct xbuild *b)
{
	static const char *const keys[] = { "Buffers", "Cached", "Shmem", NULL };

	if (!have_fields(b, "page cache", keys))
		return 0;
	return diff_line(b, GPUMEM_X_CACHE, "page cache",
			 gm_add_sat(gm_kv_get(b->mi, "Buffers"),
				    gm_kv_get(b->mi, "Cached")),
			 gm_kv_get(b->mi, "Shmem"),
			 "meminfo Buffers + Cached - Shmem");
}

static int shmem_line(struct xbuild *b)
{
	static const char *const keys[] = { "Shmem", NULL };

	if (!have_fields(b, "shared memory", keys))
		return 0;
	return diff_line(b, GPUMEM_X_SHMEM, "shared memory",
			 gm_kv_get(b->mi, "Shmem"), b->shmem_out,
			 "meminfo Shmem - GPU and udmabuf pages");
}

static int memory_lines(struct xbuild *b, const struct gm_pss_totals *pss)
{
	int err;

	static const char *const free_keys[] = { "MemFree", NULL };

	err = have_fields(b, "free", free_keys) ?
	      field_line(b, GPUMEM_X_FREE, "free", "MemFree") : 0;
	if (!err)
		err = cache_line(b);
	if (!err)
		err = field_line(b, GPUMEM_X_CACHE, "swap cache", "SwapCached");
	if (!err)
		err = add_line(b, GPUMEM_X_ANON, gm_sbytes(pss->sum.pss_anon),
			       "anonymous", "smaps_rollup Pss_Anon of %u "
			       "processes", pss->processes);
	if (!err)
		err = kernel_lines(b);
	return err;
}

static int finish_lines(struct xbuild *b)
{
	struct gpumem_explain *e = b->e;
	int64_t sum = 0, rest;
	size_t i;

	/* Lines are at most INT64_MAX each: saturate rather than overflow. */
	for (i = 0; i < e->nr_lines; i++) {
		if (__builtin_add_overflow(sum, e->lines[i].bytes, &sum))
			sum = INT64_MAX;
	}
	if (__builtin_sub_overflow(gm_sbytes(e->mem_total), sum, &rest))
		rest = INT64_MIN;
	return add_line(b, GPUMEM_X_UNEXPLAINED, rest, "unexplained",
			"meminfo MemTotal - all lines above");
}

static void process_view(struct gpumem_explain *e, int procfd,
			 const struct gm_pss_totals *pss,
			 const struct gpumem_snapshot *s, pid_t pid)
{
	struct gpumem_xprocess *x = &e->process;
	struct gm_text t = { 0 };
	char path[32];
	size_t i;

	e->has_process = true;
	x->pid = pid;
	snprintf(path, sizeof(path), "%d/comm", (int)pid);
	gm_read_comm(procfd, path, &t, x->comm);
	gm_text_free(&t);
	x->pss = pss->pid.pss;
	x->pss_anon = pss->pid.pss_anon;
	x->pss_file = pss->pid.pss_file;
	x->pss_shmem = pss->pid.pss_shmem;
	x->swap_pss = pss->pid.swap_pss;
	for (i = 0; i < s->nr_procs; i++) {
		if (s->procs[i].pid != pid)
			continue;
		x->gpu_pss = s->procs[i].gpu_pss_bytes;
		x->dmabuf_pss = s->procs[i].dmabuf_pss_bytes;
	}
	x->total = gm_add_sat(gm_add_sat(x->pss, x->gpu_pss), x->dmabuf_pss);
}

/* The sources explain reads, through the one table, before its snapshot. */
static int read_inputs(int procfd, struct gm_explain_in *in)
{
	struct gpumem_source_status *st = calloc(gm_nr_sources, sizeof(*st));
	struct gm_feed feed = { .explain = in };
	struct gm_source_ctx ctx = { .procfd = procfd, .sysfd = -1,
				     .feed = &feed };
	int err;

	if (!st)
		return -ENOMEM;
	err = gm_walk_sources(&ctx, GM_USE_EXPLAIN, st);
	free(st);
	if (!err && in->want_pid && !in->pss.found_pid)
		err = in->pss.pid_denied ?
		      gm_explain_why(in, -EACCES, "%d/smaps_rollup: not "
				     "readable by this user", (int)in->want_pid) :
		      gm_explain_why(in, -ESRCH, "%d: no such process",
				     (int)in->want_pid);
	return err;
}

/* A capture that stopped early is not the whole system: said as missing. */
static void partial_capture(struct gpumem_explain *e,
			    const struct gpumem_snapshot *s)
{
	const struct gpumem_source_status *st;
	size_t i, nr;

	st = gpumem_sources(s, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_source_status *x = gpumem_at(st, i);

		if (!strcmp(x->name, "capture-manifest") &&
		    x->state == GPUMEM_SOURCE_MISSING)
			missing(e, "%s", x->detail);
	}
}

static int build(struct xbuild *b, int procfd, const struct gpumem_opts *opts,
		 const char *root, char *why, size_t why_len)
{
	/* shares are system-wide: the process view picks pid afterwards */
	struct gpumem_opts sopts = *opts;
	const struct gm_pss_totals *pss = &b->in->pss;
	pid_t pid = opts->pid;
	struct gpumem_snapshot *s;
	int err;

	sopts.pid = 0;
	b->e->mem_total = gm_kv_get(b->mi, "MemTotal");
	b->e->processes = pss->processes;
	b->e->unreadable = pss->unreadable;
	if (pss->unreadable)
		missing(b->e, "smaps_rollup of %u processes not readable: run "
			"as root (their anonymous memory is in unexplained)",
			pss->unreadable);
	err = gpumem_snapshot_take(&sopts, &s);
	if (err) {
		snprintf(why, why_len, "%s: GPU and dma-buf scan: %s", root,
			 strerror(-err));
		return err;
	}
	partial_capture(b->e, s);
	err = memory_lines(b, pss);
	if (!err)
		err = pcp_line(b);
	if (!err)
		err = gpu_lines(b, s);
	if (!err)
		err = dmabuf_lines(b, s);
	if (!err)
		err = gpu_pool_lines(b);
	if (!err)
		err = shmem_line(b);
	if (!err)
		err = finish_lines(b);
	if (!err && pid)
		process_view(b->e, procfd, pss, s, pid);
	gpumem_snapshot_free(s);
	return err;
}

int gpumem_explain_take(const struct gpumem_opts *opts,
			struct gpumem_explain **out, char *why, size_t why_len)
{
	struct gpumem_opts o;
	struct gm_explain_in in = { .why = why, .why_len = why_len };
	struct xbuild b = { .mi = &in.mi, .in = &in };
	const char *root;
	char path[4096];
	int procfd, err;

	err = gm_opts_read(opts, &o);
	if (err) {
		snprintf(why, why_len, "options: %s", strerror(-err));
		return err;
	}
	root = o.root ? o.root : "";
	in.want_pid = o.pid;
	in.root = root;
	snprintf(why, why_len, "%s/proc", root);
	snprintf(path, sizeof(path), "%s/proc", root);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	b.e = calloc(1, sizeof(*b.e));
	err = b.e ? 0 : -ENOMEM;
	if (!err) {
		gm_sample_info(&b.e->info, procfd);
		err = read_inputs(procfd, &in);
	}
	if (!err)
		err = build(&b, procfd, &o, root, why, why_len);
	gm_kvs_free(&in.mi);
	close(procfd);
	if (err) {
		gpumem_explain_free(b.e);
		return err;
	}
	*out = b.e;
	return 0;
}

void gpumem_explain_free(struct gpumem_explain *e)
{
	if (!e)
		return;
	free(e->lines);
	free(e);
}

const char *gpumem_xgroup_name(enum gpumem_xgroup g)
{
	static const char *const names[] = {
		"free", "cache", "anon", "shmem", "kernel", "gpu", "dmabuf",
		"unexplained",
	};

	return (unsigned int)g < GM_ARRAY_SIZE(names) ? names[g] : "?";
}
