// SPDX-License-Identifier: MIT
/*
 * The model: every DRM client and every dma-buf once, whoever holds it.
 *
 * A DRM client is (device, drm-client-id); fds of one client in several
 * processes (dup, fork, SCM_RIGHTS) are one client with several holders.
 * Without a client id, kcmp(KCMP_FILE) tells whether two fds are one file.
 * A dma-buf is its inode, held by fd or by mapping.  Each process gets the
 * full size of what it holds (RSS-like) and an equal share of it (PSS-like);
 * the remainder of the division goes one byte each to the first holders, so
 * the PSS-like figures add up exactly to the totals.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "model.h"

/* A DRM fd of a client without drm-client-id, for kcmp. */
struct anon_fd {
	pid_t pid;
	int fd;
	int minor;
	uint32_t client;
};

struct builder {
	struct gpumem_snapshot *s;
	bool live;
	struct gm_map clients;	/* client_key() -> index */
	/* Ids client_key() cannot pack: id -> last index, then a chain. */
	struct gm_map big_ids;
	uint32_t *next_big;
	size_t cap_next;
	struct gm_map bufs;	/* ino -> index */
	struct gm_map procs;	/* pid -> index */
	struct gm_refs client_refs;
	struct gm_refs buf_refs;
	struct anon_fd *anon;
	size_t nr_anon, cap_anon;
	struct gm_drm_client parsed;	/* the fdinfo of the fd at hand */
};

static int proc_index(struct builder *b, pid_t pid, uint32_t *idx)
{
	return gm_map_get(&b->procs, (uint64_t)pid, idx) ? 0 : -ENOENT;
}

static int on_process(void *ctx, pid_t pid, const char *comm,
		      const struct gm_status *st)
{
	struct builder *b = ctx;
	struct gpumem_snapshot *s = b->s;
	struct gpumem_process *p;
	int err;

	err = gm_grow((void **)&s->procs, &s->cap_procs, s->nr_procs + 1,
		      sizeof(*s->procs));
	if (!err)
		err = gm_map_put(&b->procs, (uint64_t)pid, (uint32_t)s->nr_procs);
	if (err)
		return err;
	p = &s->procs[s->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = st->uid;
	p->ppid = st->ppid;
	p->cgroup = -1;
	gm_strlcpy(p->comm, comm, sizeof(p->comm));
	return 0;
}

static int each_process(void *ctx, int (*fn)(void *arg, pid_t pid),
			void *arg)
{
	struct builder *b = ctx;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < b->s->nr_procs; i++)
		err = fn(arg, b->s->procs[i].pid);
	return err;
}

static int on_process_cgroup(void *ctx, pid_t pid,
			     const struct gpumem_cgroup *cg)
{
	struct builder *b = ctx;
	uint32_t proc, idx;
	int err = proc_index(b, pid, &proc);

	if (!err)
		err = gm_cgroups_intern(&b->s->cgroups, cg, &idx);
	if (!err)
		b->s->procs[proc].cgroup = (int)idx;
	return err;
}

/*
 * Client ids are unique per device at least; the key packs the device (or
 * the minor when the device is unknown) with the id.  Ids too large to pack
 * (real counters never get there, hostile text can) are chained by id.
 */
static bool client_key(const struct gpumem_client *c, uint64_t *key)
{
	uint64_t dev = c->device >= 0 ? (uint64_t)c->device :
		       0x800 | ((uint64_t)c->minor & 0x7ff);

	if (c->client_id >> 52 || c->device >= 0x800)
		return false;
	*key = c->client_id << 12 | dev;
	return true;
}

static bool same_client(const struct gpumem_client *a,
			const struct gpumem_client *c)
{
	return a->has_client_id && a->client_id == c->client_id &&
	       a->device == c->device &&
	       (c->device >= 0 || a->minor == c->minor);
}

static bool find_client(struct builder *b, const struct gpumem_client *c,
			uint32_t *idx)
{
	uint64_t key;
	uint32_t i;

	if (client_key(c, &key))
		return gm_map_get(&b->clients, key, idx);
	if (!gm_map_get(&b->big_ids, c->client_id, &i))
		return false;
	for (; i != UINT32_MAX; i = b->next_big[i]) {
		if (same_client(&b->s->clients[i], c)) {
			*idx = i;
			return true;
		}
	}
	return false;
}

static int kcmp_file(pid_t p1, pid_t p2, int fd1, int fd2)
{
	long ret = syscall(SYS_kcmp, p1, p2, KCMP_FILE, fd1, fd2);

	return ret < 0 ? -errno : (int)ret;
}

/* An id-less fd: the same struct file as one seen before is that client. */
static int find_anon(struct builder *b, pid_t pid, int fd, int minor,
		     uint32_t *idx)
{
	size_t i;

	if (!b->live)
		return 0;
	for (i = 0; i < b->nr_anon; i++) {
		const struct anon_fd *a = &b->anon[i];
		int ret;

		if (a->minor != minor)
			continue;
		ret = kcmp_file(a->pid, pid, a->fd, fd);
		if (ret == 0) {
			*idx = a->client;
			return 1;
		}
		if (ret < 0 && ret != -ESRCH && ret != -EBADF) {
			b->s->stats.unresolved_fds++;
			return 0;
		}
	}
	return 0;
}

static int chain_big(struct builder *b, uint64_t id, uint32_t idx)
{
	uint32_t head;
	int err = gm_grow((void **)&b->next_big, &b->cap_next, idx + 1,
			  sizeof(*b->next_big));

	if (err)
		return err;
	b->next_big[idx] = gm_map_get(&b->big_ids, id, &head) ? head :
			   UINT32_MAX;
	return gm_map_put(&b->big_ids, id, idx);
}

/* Makes dc a member of the array, with its regions and engines. */
static int add_client(struct builder *b, const struct gm_drm_client *dc,
		      uint32_t *idx)
{
	struct gpumem_snapshot *s = b->s;
	const struct gpumem_client *c = &dc->c;
	uint64_t key;
	int err;

	err = gm_grow((void **)&s->clients, &s->cap_clients, s->nr_clients + 1,
		      sizeof(*s->clients));
	if (!err)
		err = gm_pool_add(&s->regions, s->nr_clients, dc->regions,
				  c->nr_regions, sizeof(dc->regions[0]));
	if (!err)
		err = gm_pool_add(&s->engines, s->nr_clients, dc->engines,
				  c->nr_engines, sizeof(dc->engines[0]));
	if (err)
		return err;
	*idx = (uint32_t)s->nr_clients;
	if (c->has_client_id && client_key(c, &key))
		err = gm_map_put(&b->clients, key, *idx);
	else if (c->has_client_id)
		err = chain_big(b, c->client_id, *idx);
	else
		err = 0;
	if (err)
		return err;
	s->clients[s->nr_clients++] = *c;
	return 0;
}

static int remember_anon(struct builder *b, pid_t pid, int fd, int minor,
			 uint32_t client)
{
	int err = gm_grow((void **)&b->anon, &b->cap_anon, b->nr_anon + 1,
			  sizeof(*b->anon));

	if (err)
		return err;
	b->anon[b->nr_anon++] = (struct anon_fd){ pid, fd, minor, client };
	return 0;
}

/*
 * The parent device's driver (uevent) is not always the DRM driver:
 * virtio-gpu's card hangs off virtio-pci.  drm-driver in fdinfo is the DRM
 * driver's own name, so it wins; a client without one takes the device's.
 */
static void name_driver(struct gpumem_device *d, struct gpumem_client *c)
{
	if (!c->driver[0])
		gm_strlcpy(c->driver, d->driver, sizeof(c->driver));
	else if (strcmp(d->driver, c->driver))
		gm_strlcpy(d->driver, c->driver, sizeof(d->driver));
}

static int on_drm_fd(void *ctx, pid_t pid, int minor, int fd,
		     const char *fdinfo, size_t len)
{
	struct builder *b = ctx;
	struct gpumem_snapshot *s = b->s;
	struct gpumem_client *c = &b->parsed.c;
	uint32_t idx, proc;
	int err, found;

	gm_drm_fdinfo_parse(fdinfo, len, &b->parsed,
			    &s->stats.malformed_lines);
	c->minor = minor;
	c->device = gm_devices_by_minor(&s->devs, minor);
	if (c->device >= 0)
		name_driver(&s->devs.dev[c->device], c);
	if (c->has_client_id) {
		found = find_client(b, c, &idx);
	} else {
		found = find_anon(b, pid, fd, minor, &idx);
		if (!found && !b->live)
			s->stats.unresolved_fds++;
	}
	if (!found) {
		bool anon = !c->has_client_id;

		err = add_client(b, &b->parsed, &idx);
		if (!err && anon)
			err = remember_anon(b, pid, fd, minor, idx);
		if (err)
			return err;
	}
	err = proc_index(b, pid, &proc);
	return err ? err : gm_refs_add(&b->client_refs, idx, proc);
}

/* A process's memory on a device from its driver's API (NVML). */
static int on_gpu_process(void *ctx, pid_t pid, int dev, uint64_t bytes,
			  bool known)
{
	struct builder *b = ctx;
	const struct gpumem_device *d = &b->s->devs.dev[dev];
	struct gpumem_client *c = &b->parsed.c;
	struct gpumem_region *r = &b->parsed.regions[0];
	uint32_t idx, proc;
	int err = proc_index(b, pid, &proc);

	if (err)
		return err;
	memset(c, 0, sizeof(*c));
	c->device = dev;
	c->minor = d->index;
	gm_strlcpy(c->driver, d->driver, sizeof(c->driver));
	gm_strlcpy(c->pdev, d->pdev, sizeof(c->pdev));
	c->mem_known = known;
	if (known) {
		c->bytes = c->resident_bytes = bytes;
		c->nr_regions = 1;
		*r = (struct gpumem_region){
			.struct_size = sizeof(*r),
			.present = 1u << GPUMEM_STAT_TOTAL,
			.name = "vram", .kind = GPUMEM_KIND_VRAM,
		};
		r->bytes[GPUMEM_STAT_TOTAL] = bytes;
	}
	err = add_client(b, &b->parsed, &idx);
	return err ? err : gm_refs_add(&b->client_refs, idx, proc);
}

static int buf_get(struct builder *b, uint64_t ino, uint32_t *idx)
{
	struct gpumem_snapshot *s = b->s;
	int err;

	if (gm_map_get(&b->bufs, ino, idx))
		return 0;
	err = gm_grow((void **)&s->bufs, &s->cap_bufs, s->nr_bufs + 1,
		      sizeof(*s->bufs));
	if (!err)
		err = gm_map_put(&b->bufs, ino, (uint32_t)s->nr_bufs);
	if (err)
		return err;
	*idx = (uint32_t)s->nr_bufs++;
	memset(&s->bufs[*idx], 0, sizeof(s->bufs[*idx]));
	s->bufs[*idx].ino = ino;
	s->bufs[*idx].size_from_vma = true;
	return 0;
}

static int on_dmabuf_fd(void *ctx, pid_t pid, const char *fdinfo, size_t len)
{
	struct builder *b = ctx;
	struct gpumem_dmabuf d = { 0 };
	struct gpumem_dmabuf *bd;
	unsigned int bad = 0;
	uint32_t idx, proc;
	int err;

	/* A bad line is counted once; a dma-buf fdinfo without one is too. */
	if (gm_dmabuf_fdinfo_parse(fdinfo, len, &d, &bad) <= 0) {
		b->s->stats.malformed_lines += bad ? bad : 1;
		return 0;
	}
	b->s->stats.malformed_lines += bad;
	err = buf_get(b, d.ino, &idx);
	if (!err)
		err = proc_index(b, pid, &proc);
	if (err)
		return err;
	bd = &b->s->bufs[idx];
	bd->size = d.size;
	bd->size_from_vma = false;
	bd->fd_held = true;
	gm_strlcpy(bd->exporter, d.exporter, sizeof(bd->exporter));
	if (d.name[0])
		gm_strlcpy(bd->name, d.name, sizeof(bd->name));
	return gm_refs_add(&b->buf_refs, idx, proc);
}

static int on_dmabuf_map(void *ctx, pid_t pid, const struct gm_dmabuf_map *m)
{
	struct builder *b = ctx;
	struct gpumem_dmabuf *bd;
	uint32_t idx, proc;
	int err;

	err = buf_get(b, m->ino, &idx);
	if (!err)
		err = proc_index(b, pid, &proc);
	if (err)
		return err;
	bd = &b->s->bufs[idx];
	bd->mapped = true;
	/* Without fdinfo, the largest mapping is the best lower bound. */
	if (bd->size_from_vma && m->vma_bytes > bd->size)
		bd->size = m->vma_bytes;
	if (!bd->name[0] && m->name_len)
		gm_copy_field(bd->name, sizeof(bd->name), m->name, m->name_len);
	return gm_refs_add(&b->buf_refs, idx, proc);
}

static int on_sysfs_buf(const struct gpumem_dmabuf *d, void *ctx)
{
	struct builder *b = ctx;
	struct gpumem_dmabuf *bd;
	uint32_t idx;
	int err = buf_get(b, d->ino, &idx);

	if (err)
		return err;
	bd = &b->s->bufs[idx];
	if (bd->size_from_vma || !bd->exporter[0]) {
		bd->size = d->size;
		gm_strlcpy(bd->exporter, d->exporter, sizeof(bd->exporter));
	}
	if (!bd->name[0])
		gm_strlcpy(bd->name, d->name, sizeof(bd->name));
	bd->size_from_vma = false;
	return 0;
}

static void finish_bufs(struct gpumem_snapshot *s)
{
	struct gpumem_dmabuf_totals *t = &s->dmabuf;
	size_t i;

	for (i = 0; i < s->nr_bufs; i++) {
		struct gpumem_dmabuf *d = &s->bufs[i];

		d->gpu_overlap = gm_is_gpu_exporter(&s->devs, d->exporter);
		t->total_bytes = gm_add_sat(t->total_bytes, d->size);
		if (d->gpu_overlap)
			t->gpu_overlap_bytes = gm_add_sat(t->gpu_overlap_bytes,
							  d->size);
		if (d->nr_holders)
			t->userspace_bytes = gm_add_sat(t->userspace_bytes,
							d->size);
		else
			t->kernel_bytes = gm_add_sat(t->kernel_bytes, d->size);
	}
	t->nr_buffers = (unsigned int)s->nr_bufs;
	/* Buffers an unreadable process holds would look kernel-held. */
	t->kernel_unknown = !t->sysfs || s->stats.unreadable_processes;
	t->total_partial = !t->sysfs && s->stats.unreadable_processes;
}

/* What this library's structs are: see gpumem_at() in gpumem.h. */
static void set_sizes(struct gpumem_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->devs.nr; i++)
		s->devs.dev[i].struct_size = sizeof(s->devs.dev[i]);
	for (i = 0; i < s->nr_clients; i++)
		s->clients[i].struct_size = sizeof(s->clients[i]);
	for (i = 0; i < s->nr_bufs; i++)
		s->bufs[i].struct_size = sizeof(s->bufs[i]);
	for (i = 0; i < s->nr_procs; i++)
		s->procs[i].struct_size = sizeof(s->procs[i]);
}

/*
 * The arrays grew by doubling; a daemon keeps the snapshot until the next
 * one, and the slack was a quarter of it.
 */
static void fit(struct gpumem_snapshot *s)
{
	gm_fit((void **)&s->devs.dev, &s->devs.cap, s->devs.nr,
	       sizeof(*s->devs.dev));
	gm_fit((void **)&s->clients, &s->cap_clients, s->nr_clients,
	       sizeof(*s->clients));
	gm_pool_fit(&s->regions, s->nr_clients, sizeof(struct gpumem_region));
	gm_pool_fit(&s->engines, s->nr_clients, sizeof(struct gpumem_engine));
	gm_fit((void **)&s->bufs, &s->cap_bufs, s->nr_bufs, sizeof(*s->bufs));
	gm_fit((void **)&s->procs, &s->cap_procs, s->nr_procs,
	       sizeof(*s->procs));
}

int gm_finish_model(struct gpumem_snapshot *s, struct gm_refs *clients,
		    struct gm_refs *bufs)
{
	int err;

	gm_finish_devices(s);
	err = gm_shares_clients(s, clients);
	if (!err)
		err = gm_shares_dmabufs(s, bufs);
	if (err)
		return err;
	finish_bufs(s);
	err = gm_holdings_build(s, clients, bufs);
	if (!err)
		err = gm_sort_procs(s);
	if (err)
		return err;
	gm_finish_readings(s);
	set_sizes(s);
	fit(s);
	return 0;
}

/*
 * -p PID: the whole system is scanned so that shares are right; then only
 * that process is kept, with zeros when it holds nothing.
 */
static int keep_only(struct builder *b, int procfd, pid_t pid)
{
	struct gpumem_snapshot *s = b->s;
	char name[32], comm[GPUMEM_NAME_MAX];
	struct gm_text t = { 0 };
	struct gm_status st;
	uint32_t idx;
	int fd, err;

	/* The map's indexes predate the sort: find the entry by pid. */
	if (gm_map_get(&b->procs, (uint64_t)pid, &idx)) {
		size_t i;

		for (i = 0; i < s->nr_procs; i++) {
			if (s->procs[i].pid != pid)
				continue;
			s->procs[0] = s->procs[i];
			gm_holdings_keep(s, (long)i);
		}
		s->nr_procs = 1;
		return 0;
	}
	snprintf(name, sizeof(name), "%d/fd", (int)pid);
	fd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	close(fd);
	s->nr_procs = 0;
	snprintf(name, sizeof(name), "%d/comm", (int)pid);
	gm_read_comm(procfd, name, &t, comm);
	snprintf(name, sizeof(name), "%d/status", (int)pid);
	gm_read_status_at(procfd, name, &t, 0, &st, &s->stats.malformed_lines);
	gm_text_free(&t);
	gm_holdings_keep(s, -1);
	err = on_process(b, pid, comm, &st);
	if (!err)
		s->procs[0].struct_size = sizeof(s->procs[0]);
	return err;
}

static int on_device_reading(void *ctx, int minor, enum gpumem_origin origin,
			     uint64_t bytes)
{
	struct builder *b = ctx;
	int dev = gm_devices_by_minor(&b->s->devs, minor);

	if (dev >= 0)
		gm_device_reading(&b->s->devs.dev[dev], origin, bytes);
	return 0;
}

static int on_process_reading(void *ctx, pid_t pid, enum gpumem_origin origin,
			      uint64_t bytes)
{
	struct builder *b = ctx;
	uint32_t idx;
	int err = proc_index(b, pid, &idx);

	if (!err)
		gm_process_reading(&b->s->procs[idx], origin, bytes);
	return err;
}

static void on_all_buffers(void *ctx)
{
	struct builder *b = ctx;

	b->s->dmabuf.sysfs = true;
}

static int open_dir(const char *root, const char *sub, int *fd)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", root, sub);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	/* root is the caller's; its proc and sys are the tree's own */
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

struct gpumem_scanner {
	struct gpumem_opts opts;
	struct gm_index idx;
	bool indexed;
	struct gm_series *series;	/* opts.root is a recorded series */
};

/* Every source of the table that this kind of sample reads, in order. */
int gm_walk_sources(struct gm_source_ctx *ctx, enum gm_use use,
		    struct gpumem_source_status *st)
{
	size_t i;
	int err;

	for (i = 0; i < gm_nr_sources; i++) {
		const struct gm_source *src = gm_source_table[i];

		st[i].struct_size = sizeof(st[i]);
		st[i].name = src->name;
		st[i].what = src->what;
		err = src->use == use && src->read ? src->read(ctx, &st[i]) : 0;
		if (err)
			return err;
	}
	return 0;
}

static int read_sources(struct builder *b, struct gm_source_ctx *ctx)
{
	struct gpumem_snapshot *s = b->s;

	s->sources = calloc(gm_nr_sources, sizeof(*s->sources));
	if (!s->sources)
		return -ENOMEM;
	s->nr_sources = gm_nr_sources;
	return gm_walk_sources(ctx, GM_USE_SNAPSHOT, s->sources);
}

static void sources_status(struct gpumem_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nr_sources; i++) {
		if (gm_source_table[i]->status)
			gm_source_table[i]->status(s, &s->sources[i]);
	}
}

static int scan(struct builder *b, const struct gpumem_opts *opts,
		struct gpumem_scanner *sc, bool refresh)
{
	const char *root = opts && opts->root ? opts->root : "/";
	struct gpumem_snapshot *s = b->s;
	const struct gm_scan_sink sink = {
		.process = on_process, .drm_fd = on_drm_fd,
		.dmabuf_fd = on_dmabuf_fd, .dmabuf_map = on_dmabuf_map,
		.ctx = b,
	};
	const struct gm_feed feed = {
		.devs = &s->devs, .holders = &sink, .buffer = on_sysfs_buf,
		.all_buffers = on_all_buffers,
		.device_reading = on_device_reading,
		.process_reading = on_process_reading,
		.each_process = each_process, .gpu_process = on_gpu_process,
		.process_cgroup = on_process_cgroup, .tp = &s->tp,
		.dmem = &s->dmem, .ctx = b,
	};
	struct gm_source_ctx ctx = {
		.stats = &s->stats, .feed = &feed, .sysfd = -1,
		.idx = sc ? &sc->idx : NULL,
		.refresh = refresh && sc && sc->indexed,
		.discovery = opts ? opts->discovery : GPUMEM_DISCOVERY_AUTO,
	};
	int err;

	b->live = ctx.live = !strcmp(root, "/");
	err = open_dir(root, "proc", &ctx.procfd);
	if (err)
		return err;
	gm_sample_info(&s->info, ctx.procfd);
	/* A missing /sys only loses device names and kernel-held buffers. */
	if (open_dir(root, "sys", &ctx.sysfd))
		ctx.sysfd = -1;
	err = read_sources(b, &ctx);
	if (sc)
		sc->indexed = ctx.refresh ? !ctx.stale : !err;
	if (!err)
		err = gm_finish_model(b->s, &b->client_refs, &b->buf_refs);
	if (!err)
		sources_status(s);
	if (!err && opts && opts->pid)
		err = keep_only(b, ctx.procfd, opts->pid);
	if (ctx.sysfd >= 0)
		close(ctx.sysfd);
	close(ctx.procfd);
	return err;
}

/*
 * The caller's opts in this library's layout.  Bytes past the fields known
 * here must be 0: a caller asking for something this library cannot do is
 * told so rather than given a sample that ignores it.
 */
int gm_opts_read(const struct gpumem_opts *in, struct gpumem_opts *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i;

	*out = (struct gpumem_opts){ GPUMEM_OPTS_INIT };
	if (!in)
		return 0;
	/*
	 * Past GM_OPTS_MAX sz is no size: the unsized layout of the 0.2
	 * prerelease had root there, a pointer, and nothing past the
	 * caller's struct may be read to find out.
	 */
	if (in->sz < offsetof(struct gpumem_opts, root) + sizeof(in->root) ||
	    in->sz > GM_OPTS_MAX)
		return -EINVAL;
	for (i = sizeof(*out); i < in->sz; i++) {
		if (p[i])
			return -E2BIG;
	}
	memcpy(out, in, in->sz < sizeof(*out) ? in->sz : sizeof(*out));
	out->sz = sizeof(*out);
	if (out->pid < 0 || (unsigned int)out->discovery >
			    (unsigned int)GPUMEM_DISCOVERY_PROC)
		return -EINVAL;
	return 0;
}

static int take(const struct gpumem_opts *opts, struct gpumem_scanner *sc,
		bool refresh, struct gpumem_snapshot **out)
{
	struct builder b = { 0 };
	int err;

	b.s = calloc(1, sizeof(*b.s));
	if (!b.s)
		return -ENOMEM;
	err = scan(&b, opts, sc, refresh);
	gm_map_free(&b.clients);
	gm_map_free(&b.big_ids);
	free(b.next_big);
	gm_map_free(&b.bufs);
	gm_map_free(&b.procs);
	gm_refs_free(&b.client_refs);
	gm_refs_free(&b.buf_refs);
	free(b.anon);
	if (err) {
		gpumem_snapshot_free(b.s);
		return err;
	}
	*out = b.s;
	return 0;
}

int gpumem_snapshot_take(const struct gpumem_opts *opts,
			 struct gpumem_snapshot **out)
{
	struct gpumem_opts o;
	int err = gm_opts_read(opts, &o);

	return err ? err : take(&o, NULL, false, out);
}

int gpumem_scanner_new(const struct gpumem_opts *opts,
		       struct gpumem_scanner **out)
{
	struct gpumem_scanner *sc = calloc(1, sizeof(*sc));
	int err;

	if (!sc)
		return -ENOMEM;
	sc->idx.keep = true;
	err = gm_opts_read(opts, &sc->opts);
	if (err) {
		free(sc);
		return err;
	}
	if (sc->opts.root) {
		sc->opts.root = strdup(sc->opts.root);
		err = sc->opts.root ? gm_series_open(sc->opts.root,
						     &sc->series) : -ENOMEM;
		if (err) {
			gpumem_scanner_free(sc);
			return err;
		}
	}
	*out = sc;
	return 0;
}

/* Each capture of a series is a full sample of its own root. */
static int replay(struct gpumem_scanner *sc, struct gpumem_snapshot **out)
{
	struct gpumem_opts opts = sc->opts;
	char root[4096];
	int err = gm_series_next(sc->series, root, sizeof(root));

	if (err)
		return err;
	opts.root = root;
	return take(&opts, NULL, false, out);
}

/* A refresh that finds the index stale is thrown away for a full sample. */
int gpumem_scanner_sample(struct gpumem_scanner *sc, bool refresh,
			  struct gpumem_snapshot **out)
{
	int err;

	if (sc->series)
		return replay(sc, out);
	err = take(&sc->opts, sc, refresh, out);
	if (err || !refresh || sc->indexed)
		return err;
	gpumem_snapshot_free(*out);
	return take(&sc->opts, sc, false, out);
}

void gpumem_scanner_free(struct gpumem_scanner *sc)
{
	if (!sc)
		return;
	gm_index_free(&sc->idx);
	gm_series_free(sc->series);
	free((char *)sc->opts.root);
	free(sc);
}

void gpumem_snapshot_free(struct gpumem_snapshot *s)
{
	if (!s)
		return;
	free(s->devs.dev);
	free(s->clients);
	gm_pool_free(&s->regions);
	gm_pool_free(&s->engines);
	free(s->bufs);
	free(s->procs);
	free(s->sources);
	gm_holdings_free(&s->hold);
	gm_cgroups_free(&s->cgroups);
	gm_dmem_free(&s->dmem);
	gpumem_tp_release(&s->tp);
	free(s);
}

const struct gpumem_device *gpumem_devices(const struct gpumem_snapshot *s,
					   size_t *nr)
{
	*nr = s->devs.nr;
	return s->devs.dev;
}

const struct gpumem_client *gpumem_clients(const struct gpumem_snapshot *s,
					   size_t *nr)
{
	*nr = s->nr_clients;
	return s->clients;
}

const struct gpumem_dmabuf *gpumem_dmabufs(const struct gpumem_snapshot *s,
					   size_t *nr)
{
	*nr = s->nr_bufs;
	return s->bufs;
}

const struct gpumem_process *gpumem_processes(const struct gpumem_snapshot *s,
					      size_t *nr)
{
	*nr = s->nr_procs;
	return s->procs;
}

const struct gpumem_dmabuf_totals *
gpumem_dmabuf_totals(const struct gpumem_snapshot *s)
{
	return &s->dmabuf;
}

const struct gpumem_scan_stats *
gpumem_scan_stats(const struct gpumem_snapshot *s)
{
	return &s->stats;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void gm_sample_info(struct gpumem_sample_info *info, int procfd)
{
	info->struct_size = sizeof(*info);
	info->realtime_ns = clock_ns(CLOCK_REALTIME);
	info->boottime_ns = clock_ns(CLOCK_BOOTTIME);
	gm_kernel_release(procfd, info->kernel_release,
			  sizeof(info->kernel_release));
}

const struct gpumem_sample_info *
gpumem_sample_info(const struct gpumem_snapshot *s)
{
	return &s->info;
}

const char *gpumem_version(void)
{
	return GPUMEM_VERSION;
}

const struct gpumem_tp *gpumem_snapshot_tp(const struct gpumem_snapshot *s)
{
	return &s->tp;
}

/* Both the tracepoint and fdinfo know the process, with two figures. */
bool gpumem_process_tp_differs(const struct gpumem_process *p)
{
	return gm_readings_disagree(p->readings, p->nr_readings);
}

const struct gpumem_source_status *
gpumem_sources(const struct gpumem_snapshot *s, size_t *nr)
{
	*nr = s->nr_sources;
	return s->sources;
}

const char *gpumem_source_state_name(enum gpumem_source_state state)
{
	static const char *const names[] = {
		"found", "missing", "denied", "error", "unused",
	};

	return (unsigned int)state < GM_ARRAY_SIZE(names) ? names[state] : "?";
}

const char *gpumem_discovery_name(enum gpumem_discovery d)
{
	static const char *const names[] = { "auto", "bpf", "proc" };

	return (unsigned int)d < GM_ARRAY_SIZE(names) ? names[d] : "?";
}

const char *gpumem_stat_name(enum gpumem_stat stat)
{
	static const char *const names[GPUMEM_STAT_COUNT] = {
		"total", "shared", "resident", "purgeable", "active",
	};

	return (unsigned int)stat < GPUMEM_STAT_COUNT ? names[stat] : "?";
}

const char *gpumem_origin_name(enum gpumem_origin origin)
{
	static const char *const names[] = { "unknown", "sysfs", "derived",
					      "tracepoint", "fdinfo", "nvml" };

	return (unsigned int)origin < GM_ARRAY_SIZE(names) ? names[origin] : "?";
}
