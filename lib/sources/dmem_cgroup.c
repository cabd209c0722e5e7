// SPDX-License-Identifier: MIT
/*
 * The dmem cgroup controller (kernel/cgroup/dmem.c, Linux 6.14+): device
 * memory per cgroup and region.  Regions are registered by drivers ("drm/
 * 0000:03:00.0/vram0" from xe, ".../vram" from amdgpu); the root's
 * dmem.capacity lists each with its size ("NAME %llu"), and every cgroup's
 * dmem.current, and below the root dmem.min, dmem.low and dmem.max, give
 * one line per region: "NAME %lld", or "NAME max" for a value at
 * PAGE_COUNTER_MAX (no limit, or for min and low full protection).
 *
 * The cgroup v2 hierarchy is sys/fs/cgroup, or sys/fs/cgroup/unified on a
 * hybrid host.  The walk opens each cgroup by name below its parent's
 * descriptor, follows no link and goes at most GM_DMEM_DEPTH deep.  A
 * kernel without the controller is "not available", never an error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources.h"

#define GM_DMEM_DEPTH 32
#define GM_DMEM_MAX_POOLS 100000

int gm_dmem_parse(const char *text, size_t len, gm_dmem_fn fn, void *ctx,
		  unsigned int *malformed)
{
	const char *line, *sp;
	size_t pos = 0, llen;
	uint64_t v;
	int err;

	while (gm_next_line(text, len, &pos, &line, &llen)) {
		size_t vlen;
		bool max;

		sp = llen ? memrchr(line, ' ', llen) : NULL;
		if (!sp || sp == line || memchr(line, '\0', llen) ||
		    (size_t)(sp - line) >= GPUMEM_NAME_MAX) {
			*malformed += llen != 0;
			continue;
		}
		vlen = (size_t)(line + llen - sp - 1);
		max = vlen == 3 && !memcmp(sp + 1, "max", 3);
		if (!max && gm_parse_u64_all(sp + 1, vlen, &v)) {
			(*malformed)++;
			continue;
		}
		err = fn(line, (size_t)(sp - line), max ? GPUMEM_DMEM_MAX : v,
			 ctx);
		if (err)
			return err;
	}
	return 0;
}

struct walk {
	struct gm_dmem *d;
	struct gm_text text;
	char path[4096];	/* the cgroup being read, "/..." */
	unsigned int *malformed;
	int file;		/* enum gm_dmem_file being parsed */
};

static int region_index(struct gm_dmem *d, const char *name, size_t len,
			bool add)
{
	size_t i;
	int err;

	for (i = 0; i < d->nr_regions; i++) {
		if (strlen(d->regions[i].name) == len &&
		    !memcmp(d->regions[i].name, name, len))
			return (int)i;
	}
	if (!add)
		return -ENOENT;
	err = gm_grow((void **)&d->regions, &d->cap_regions, d->nr_regions + 1,
		      sizeof(*d->regions));
	if (err)
		return err;
	memset(&d->regions[i], 0, sizeof(d->regions[i]));
	d->regions[i].struct_size = sizeof(d->regions[i]);
	gm_copy_field(d->regions[i].name, GPUMEM_NAME_MAX, name, len);
	d->nr_regions++;
	return (int)i;
}

static int on_capacity(const char *name, size_t len, uint64_t v, void *ctx)
{
	struct walk *w = ctx;
	int r = region_index(w->d, name, len, true);

	if (r < 0)
		return r;
	w->d->regions[r].capacity_bytes = v;
	return 0;
}

/* The pool of (this cgroup, region): the cgroup's pools are the last ones. */
static struct gpumem_dmem_pool *pool_of(struct walk *w, size_t first, int r)
{
	struct gm_dmem *d = w->d;
	struct gpumem_dmem_pool *p;
	size_t i;

	for (i = first; i < d->nr_pools; i++) {
		if (d->pools[i].region == (unsigned int)r)
			return &d->pools[i];
	}
	if (d->nr_pools >= GM_DMEM_MAX_POOLS ||
	    gm_grow((void **)&d->pools, &d->cap_pools, d->nr_pools + 1,
		    sizeof(*d->pools)))
		return NULL;
	p = &d->pools[d->nr_pools++];
	memset(p, 0, sizeof(*p));
	p->struct_size = sizeof(*p);
	p->region = (unsigned int)r;
	p->cgroup = d->paths[d->nr_paths - 1];
	p->max_bytes = GPUMEM_DMEM_MAX;
	return p;
}

struct pool_ctx {
	struct walk *w;
	size_t first;
};

static int on_pool_line(const char *name, size_t len, uint64_t v, void *ctx)
{
	struct pool_ctx *pc = ctx;
	struct walk *w = pc->w;
	struct gpumem_dmem_pool *p;
	/* A region registered after capacity was read is still a region. */
	int r = region_index(w->d, name, len, true);

	if (r < 0)
		return r;
	p = pool_of(w, pc->first, r);
	if (!p)
		return -ENOMEM;
	if (w->file == GM_DMEM_CURRENT)
		p->current_bytes = v;
	else if (w->file == GM_DMEM_MIN)
		p->min_bytes = v;
	else if (w->file == GM_DMEM_LOW)
		p->low_bytes = v;
	else
		p->max_bytes = v;
	p->limits |= w->file != GM_DMEM_CURRENT;
	return 0;
}

static int add_path(struct gm_dmem *d, const char *path)
{
	char *p = strdup(path);
	int err;

	if (!p)
		return -ENOMEM;
	err = gm_grow((void **)&d->paths, &d->cap_paths, d->nr_paths + 1,
		      sizeof(*d->paths));
	if (err) {
		free(p);
		return err;
	}
	d->paths[d->nr_paths++] = p;
	return 0;
}

/*
 * One cgroup's dmem files.  0 with *has false: no dmem.current, the
 * controller is not enabled here, so not below either; or it vanished.
 */
static int read_cgroup(struct walk *w, int dirfd, bool *has)
{
	static const char *const files[GM_DMEM_NR] = {
		"dmem.current", "dmem.min", "dmem.low", "dmem.max",
	};
	struct pool_ctx pc = { .w = w, .first = w->d->nr_pools };
	int f, err;

	*has = false;
	err = add_path(w->d, w->path);
	for (f = 0; !err && f < GM_DMEM_NR; f++) {
		err = gm_read_record_at(dirfd, files[f], &w->text);
		if (gm_is_gone(err)) {
			err = 0;	/* the root has no min, low, max */
			if (f == GM_DMEM_CURRENT)
				break;
			continue;
		}
		if (err && err != -ENOMEM) {
			w->d->unreadable++;
			err = 0;
			break;
		}
		*has = true;
		w->file = f;
		if (!err)
			err = gm_dmem_parse(w->text.buf, w->text.len,
					    on_pool_line, &pc, w->malformed);
	}
	w->d->cgroups += *has;
	if (!err && w->d->nr_pools == pc.first)
		free(w->d->paths[--w->d->nr_paths]);
	return err;
}

/* The child cgroups, sorted: the same tree, the same order. */
static int children(int dirfd, char ***names, size_t *nr)
{
	int err = gm_subdirs(dirfd, names, nr);

	return gm_is_gone(err) || gm_is_denied(err) ? 0 : err;
}

static int walk(struct walk *w, int dirfd, int depth)
{
	size_t len = strlen(w->path), i, nr;
	char **names;
	bool has;
	int err = read_cgroup(w, dirfd, &has);

	if (err || !has || depth >= GM_DMEM_DEPTH)
		return err;
	err = children(dirfd, &names, &nr);
	for (i = 0; i < nr; i++) {
		int sub = -1;

		if (!err && len + strlen(names[i]) + 2 < sizeof(w->path))
			sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY |
				     O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			snprintf(w->path + len, sizeof(w->path) - len, "%s%s",
				 len > 1 ? "/" : "", names[i]);
			err = walk(w, sub, depth + 1);
			w->path[len] = '\0';
			close(sub);
		}
		free(names[i]);
	}
	free(names);
	return err;
}

/* The v2 hierarchy's root: the one with cgroup.controllers. */
static int open_root(int sysfd)
{
	static const char *const roots[] = { "fs/cgroup", "fs/cgroup/unified" };
	size_t i;

	for (i = 0; i < GM_ARRAY_SIZE(roots); i++) {
		int fd = openat(sysfd, roots[i], O_RDONLY | O_DIRECTORY |
				O_CLOEXEC);

		if (fd < 0)
			continue;
		if (!faccessat(fd, "cgroup.controllers", F_OK,
			       AT_SYMLINK_NOFOLLOW))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

static int read_dmem(struct gm_source_ctx *ctx, struct gpumem_source_status *st)
{
	struct gm_dmem *d = ctx->feed->dmem;
	struct walk w = { .d = d, .path = "/",
			  .malformed = &ctx->stats->malformed_lines };
	int root = ctx->sysfd < 0 ? -ENOENT : open_root(ctx->sysfd);
	int err;

	if (root < 0) {
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "not available: no "
			      "cgroup v2 hierarchy in sys/fs/cgroup");
		return 0;
	}
	err = gm_read_record_at(root, "dmem.capacity", &w.text);
	if (err) {
		close(root);
		gm_text_free(&w.text);
		if (err == -ENOENT)
			gm_source_say(st, GPUMEM_SOURCE_MISSING,
				      "not available: no dmem controller "
				      "(Linux 6.14+, CONFIG_CGROUP_DMEM)");
		else
			gm_source_err(st, err, "dmem.capacity");
		return err == -ENOMEM ? err : 0;
	}
	d->available = true;
	err = gm_dmem_parse(w.text.buf, w.text.len, on_capacity, &w,
			    w.malformed);
	if (!err)
		err = walk(&w, root, 0);
	close(root);
	gm_text_free(&w.text);
	if (err)
		return err;
	gm_source_say(st, d->unreadable ? GPUMEM_SOURCE_DENIED :
		      GPUMEM_SOURCE_FOUND, "%zu regions, %u cgroups read, %u "
		      "not readable", d->nr_regions, d->cgroups, d->unreadable);
	return 0;
}

/* fs/cgroup/unified, the hybrid host's v2 root, is a directory below. */
static const char *const dmem_files[] = {
	"cgroup.controllers", "dmem.capacity", "dmem.current", "dmem.min",
	"dmem.low", "dmem.max", NULL,
};

const struct gm_source gm_src_dmem_cgroup = {
	.name = "dmem-cgroup",
	.what = "dmem cgroup controller",
	.cap = GM_CAP_TREE,
	.cap_files = dmem_files,
	.cap_dir = "sys/fs/cgroup",
	.read = read_dmem,
};
