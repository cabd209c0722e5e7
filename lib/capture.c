// SPDX-License-Identifier: MIT
/*
 * gpumem_capture(): copies what gpumem reads into a directory that
 * "gpumem --root DIR" (and "gpumem explain --root DIR") reads back as the
 * same figures.  It walks the source table (lib/sources/table.c): each
 * source says what it reads (struct gm_source, cap), and this file knows
 * how to copy each kind: of every process, comm, cgroup, the /dmabuf lines
 * of maps, smaps_rollup, and its DRM and dma-buf fds as symlinks with their fdinfo;
 * a source's own files (proc/meminfo, zoneinfo, version); the DRM nodes of
 * /sys/class/drm with their parent device (uevent, amdgpu mem_info_*); and
 * /sys/kernel/dmabuf/buffers.  The layout and its limits are described in
 * docs/model.md ("Captures").
 *
 * gpumem runs as root and DIR's owner may be someone else who changes DIR
 * while we write: DIR must be the caller's, and every path below it is
 * resolved from directory fds, never through a symlink, so that a swapped
 * directory fails the capture instead of steering root's writes.  What is
 * written is 0600/0700: it holds other users' ptrace-protected data.
 * One source file is held in memory at a time, so memory does not grow
 * with the size of what is captured.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sources/sources.h"

#define CAP_MANIFEST "gpumem-capture"
#define CAP_PARTIAL "PARTIAL"
#define CAP_FILE_MODE 0600
#define CAP_DIR_MODE 0700
/* As deep as any reader of a tree goes (dmem_cgroup.c: 32). */
#define CAP_TREE_DEPTH 32

struct cap {
	int out;			/* the capture directory */
	int out_proc;			/* out/proc */
	uint64_t used, max;		/* bytes of contents and link targets */
	bool live;
	const char *root;
	int procfd, sysfd;
	struct gm_text text;
	unsigned int scanned, holding, vanished, unreadable;
	unsigned int rollups, rollups_denied, irregular;
	uint64_t maps_omitted;		/* maps lines without "/dmabuf" */
	unsigned int nodes, buffers;
};

/* One process, staged in out/proc/.PID until all of it is read. */
struct cap_proc {
	char pid[16];
	char stage[20];
	int src;			/* root/proc/PID */
	int dst, dst_fd, dst_fdinfo;	/* out/proc/.PID, its fd/, fdinfo/ */
	uint64_t bytes;			/* charged for this process */
	unsigned int nr_fds, nr_dmabuf_maps;
};

static const char *const amd_counters[] = {
	"mem_info_vram_used", "mem_info_vram_total",
	"mem_info_vis_vram_used", "mem_info_vis_vram_total",
	"mem_info_gtt_used", "mem_info_gtt_total",
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- the output side: below out, never through a symlink ---------- */

/* O_NOFOLLOW|O_DIRECTORY on a symlink says ENOTDIR; say what it is. */
static int open_component(int dirfd, const char *name)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOTDIR && !fstatat(dirfd, name, &st,
					 AT_SYMLINK_NOFOLLOW) &&
	    S_ISLNK(st.st_mode))
		return -ELOOP;
	return -errno;
}

/* One component at a time from base, creating what is missing (create). */
static int walk(int base, const char *path, bool create)
{
	char buf[PATH_MAX], *comp, *save = NULL;
	int cur = base, next;

	if (gm_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (comp = strtok_r(buf, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		if (!strcmp(comp, ".") || !strcmp(comp, ".."))
			next = -EINVAL;
		else if (create && mkdirat(cur, comp, CAP_DIR_MODE) &&
			 errno != EEXIST)
			next = -errno;
		else
			next = open_component(cur, comp);
		if (cur != base)
			close(cur);
		if (next < 0)
			return next;
		cur = next;
	}
	return cur == base ? -EINVAL : cur;
}

/*
 * An existing directory below base: openat2 does it in one call.  No
 * O_NOFOLLOW: a link as the last component would be ENOTDIR;
 * RESOLVE_NO_SYMLINKS says ELOOP for every one.
 */
static int open_beneath(int base, const char *path)
{
	int fd = gm_openat2(base, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);

	return fd == -ENOSYS ? walk(base, path, false) : fd;
}

/* The directory base/path, made (0700) where missing. */
static int out_dir(int base, const char *path)
{
	int fd = open_beneath(base, path);

	return fd == -ENOENT ? walk(base, path, true) : fd;
}

static int charge(struct cap *c, size_t len)
{
	if (len > c->max - c->used)
		return -EFBIG;
	c->used += len;
	return 0;
}

/* A new file name in dirfd: O_EXCL, so nothing there is ever reused. */
static int put_file(int dirfd, const char *name, const char *buf, size_t len)
{
	int fd, err = 0;

	if (strchr(name, '/'))
		return -EINVAL;
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, CAP_FILE_MODE);
	if (fd < 0)
		return -errno;
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	return err;
}

static int put_link(struct cap *c, int dirfd, const char *name,
		    const char *target)
{
	int err = charge(c, strlen(target));

	if (!err && symlinkat(target, dirfd, name))
		err = -errno;
	return err;
}

/* ---- the source side ---------------------------------------------- */

/*
 * dirfd/path into c->text, charged at once: the limit stops the capture
 * before a second file is held.  Only regular files are copied: a FIFO or
 * a link in a --root tree is not kernel text (gm_read_at checks the file it
 * opened; this says why it was skipped).
 */
static int read_regular(struct cap *c, int dirfd, const char *path)
{
	struct stat st;

	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		c->irregular++;
		return -ENOENT;
	}
	return gm_read_at(dirfd, path, &c->text);
}

static int read_src(struct cap *c, int dirfd, const char *path)
{
	int err = read_regular(c, dirfd, path);

	return err ? err : charge(c, c->text.len);
}

/* A file copied as is into to_dir; a missing or denied one is skipped. */
static int copy_file(struct cap *c, int from, const char *name, int to_dir)
{
	int err = read_src(c, from, name);

	if (err)
		return err == -ENOENT || gm_is_denied(err) ? 0 : err;
	return put_file(to_dir, name, c->text.buf, c->text.len);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

/* ---- processes ---------------------------------------------------- */

/*
 * Whether an fd is kept, judged as sources/proc_walk.c judges it.  Live, a DRM fd
 * whose link text does not name /dev/dri (a container's remapped node) is
 * given the canonical name of its minor, so that the capture reads back.
 */
static bool keep_fd(struct cap *c, int fdfd, const char *name, char *target,
		    size_t size)
{
	struct stat st;
	int minor;

	if (!strncmp(target, "/dmabuf:", 8) ||
	    !strcmp(target, "anon_inode:dmabuf"))
		return true;
	if (strncmp(target, "/dev/", 5))
		return false;
	if (!c->live)
		return gm_drm_minor_from_path(target) >= 0;
	if (fstatat(fdfd, name, &st, 0) || !S_ISCHR(st.st_mode) ||
	    major(st.st_rdev) != GM_DRM_MAJOR)
		return false;
	minor = (int)minor(st.st_rdev);
	if (gm_drm_minor_from_path(target) != minor)
		snprintf(target, size, minor >= 128 ? "/dev/dri/renderD%d" :
			 "/dev/dri/card%d", minor);
	return true;
}

/* One fd: its fdinfo is read and written before the next fd is read. */
static int add_fd(struct cap *c, struct cap_proc *p, int fdfd,
		  const char *name)
{
	char target[256], path[300];
	uint64_t before;
	ssize_t n;
	int err;

	n = readlinkat(fdfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return gm_is_denied(-errno) ? -errno : 0;
	target[n] = '\0';
	if (!keep_fd(c, fdfd, name, target, sizeof(target)))
		return 0;
	snprintf(path, sizeof(path), "fdinfo/%s", name);
	before = c->used;
	err = read_src(c, p->src, path);
	if (err)
		return gm_is_gone(err) ? 0 : err;	/* closed meanwhile */
	err = put_file(p->dst_fdinfo, name, c->text.buf, c->text.len);
	if (!err)
		err = put_link(c, p->dst_fd, name, target);
	p->bytes += c->used - before;
	p->nr_fds += !err;
	return err;
}

static int copy_fds(struct cap *c, struct cap_proc *p)
{
	struct dirent *de;
	DIR *dir;
	int fd, err;

	err = gm_opendir_at(p->src, "fd", &dir);
	if (err)
		return err;
	fd = dirfd(dir);
	while (!err && (de = readdir(dir))) {
		if (de->d_name[0] != '.' && strlen(de->d_name) < 16)
			err = add_fd(c, p, fd, de->d_name);
	}
	closedir(dir);
	return err;
}

static int count_map(const struct gm_dmabuf_map *m, void *ctx)
{
	(void)m;
	((struct cap_proc *)ctx)->nr_dmabuf_maps++;
	return 0;
}

/* Keeps the lines naming /dmabuf, as proc_maps.c looks for them. */
static int copy_maps(struct cap *c, struct cap_proc *p)
{
	struct gm_text *t = &c->text;
	const char *line;
	size_t pos = 0, len, out = 0;
	unsigned int malformed = 0;
	uint64_t before = c->used;
	int err;

	err = read_regular(c, p->src, "maps");
	if (err)
		return err;
	gm_maps_parse(t->buf, t->len, count_map, p, &malformed);
	/* Filtered in place: what is kept is never longer than what was read. */
	while (gm_next_line(t->buf, t->len, &pos, &line, &len)) {
		if (!memmem(line, len, "/dmabuf", 7)) {
			c->maps_omitted++;
			continue;
		}
		memmove(t->buf + out, line, len);
		out += len;
		t->buf[out++] = '\n';
	}
	err = charge(c, out);
	if (!err)
		err = put_file(p->dst, "maps", t->buf, out);
	p->bytes += c->used - before;
	return err;
}

/* smaps_rollup: explain sums it over all processes; a kernel thread has
 * none (ESRCH), and a denied one is only counted in the manifest. */
static int copy_rollup(struct cap *c, struct cap_proc *p)
{
	uint64_t before = c->used;
	int err = read_src(c, p->src, "smaps_rollup");

	if (gm_is_gone(err))
		return 0;
	if (gm_is_denied(err)) {
		c->rollups_denied++;
		return 0;
	}
	if (!err)
		err = put_file(p->dst, "smaps_rollup", c->text.buf, c->text.len);
	p->bytes += c->used - before;
	c->rollups += !err;
	return err;
}

/* comm, cgroup; optional: a kernel without it (no cgroups) is not an error. */
static int copy_small(struct cap *c, struct cap_proc *p, const char *name,
		      bool optional)
{
	uint64_t before = c->used;
	int err = read_src(c, p->src, name);

	if (optional && (err == -ENOENT || gm_is_denied(err)))
		return 0;
	if (!err)
		err = put_file(p->dst, name, c->text.buf, c->text.len);
	p->bytes += c->used - before;
	return err;
}

/* The first "Uid:" or "PPid:" line (as gm_status_parse() takes them). */
static bool status_kept(const char *line, size_t len, unsigned int *seen)
{
	unsigned int bit;

	if (len >= 4 && !memcmp(line, "Uid:", 4))
		bit = 1;
	else if (len >= 5 && !memcmp(line, "PPid:", 5))
		bit = 2;
	else
		return false;
	if (*seen & bit)
		return false;
	*seen |= bit;
	return true;
}

/*
 * Of status only the Uid: and PPid: lines, all proc_status.c reads: the
 * rest (memory, capabilities, seccomp) is none of a capture's business.
 * A --root tree without status files gives a capture without them.
 */
static int copy_status(struct cap *c, struct cap_proc *p)
{
	uint64_t before = c->used;
	const char *line;
	size_t pos = 0, len, out = 0;
	unsigned int seen = 0;
	int err = read_regular(c, p->src, "status");

	if (err == -ENOENT)
		return 0;
	/* The kept lines move to the front: never ahead of what is read. */
	while (!err && gm_next_line(c->text.buf, c->text.len, &pos, &line,
				    &len)) {
		if (!status_kept(line, len, &seen))
			continue;
		memmove(c->text.buf + out, line, len);
		out += len;
		c->text.buf[out++] = '\n';
	}
	if (!err && out)
		err = charge(c, out);
	if (!err && out)
		err = put_file(p->dst, "status", c->text.buf, out);
	p->bytes += c->used - before;
	return err;
}

/* out/proc/.PID with fd/ and fdinfo/: a name readers skip (not digits). */
static int stage_open(struct cap *c, struct cap_proc *p)
{
	snprintf(p->stage, sizeof(p->stage), ".%s", p->pid);
	if (mkdirat(c->out_proc, p->stage, CAP_DIR_MODE))
		return -errno;	/* EEXIST too: never write into another's */
	p->dst = open_component(c->out_proc, p->stage);
	if (p->dst < 0)
		return p->dst;
	if (mkdirat(p->dst, "fd", CAP_DIR_MODE) ||
	    mkdirat(p->dst, "fdinfo", CAP_DIR_MODE))
		return -errno;
	p->dst_fd = open_component(p->dst, "fd");
	if (p->dst_fd < 0)
		return p->dst_fd;
	p->dst_fdinfo = open_component(p->dst, "fdinfo");
	return p->dst_fdinfo < 0 ? p->dst_fdinfo : 0;
}

/* Every entry of dirfd; depth 1 for the fd/ and fdinfo/ below it. */
static void empty_dir(int dirfd, int depth)
{
	struct dirent *de;
	DIR *dir;
	int fd = dup(dirfd);

	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(dir))) {
		int sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!unlinkat(dirfd, de->d_name, 0) || depth <= 0)
			continue;
		sub = open_component(dirfd, de->d_name);
		if (sub < 0)
			continue;
		empty_dir(sub, depth - 1);
		close(sub);
		(void)unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(dir);
}

/* A process that vanished or was denied halfway is left out whole. */
static void stage_discard(struct cap *c, struct cap_proc *p)
{
	if (p->dst >= 0) {
		empty_dir(p->dst, 1);
		(void)unlinkat(c->out_proc, p->stage, AT_REMOVEDIR);
	}
	c->used -= p->bytes;
}

static int stage_commit(struct cap *c, struct cap_proc *p)
{
	if (!renameat2(c->out_proc, p->stage, c->out_proc, p->pid,
		       RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL)
		return -errno;
	/* A file system without RENAME_NOREPLACE: link(2) semantics are
	 * not available for directories, so check, then rename. */
	if (!faccessat(c->out_proc, p->pid, F_OK, AT_SYMLINK_NOFOLLOW))
		return -EEXIST;
	return renameat(c->out_proc, p->stage, c->out_proc, p->pid) ? -errno : 0;
}

static int read_proc(struct cap *c, struct cap_proc *p)
{
	int err = stage_open(c, p);

	if (!err)
		err = copy_fds(c, p);
	if (!err)
		err = copy_maps(c, p);
	if (!err)
		err = copy_small(c, p, "comm", false);
	if (!err)
		err = copy_small(c, p, "cgroup", true);
	if (!err)
		err = copy_status(c, p);
	if (!err)
		err = copy_rollup(c, p);
	return err;
}

static void account(struct cap *c, const struct cap_proc *p, int err)
{
	if (gm_is_gone(err))
		c->vanished++;
	else if (gm_is_denied(err))
		c->unreadable++;
	else if (!err) {
		c->scanned++;
		c->holding += p->nr_fds || p->nr_dmabuf_maps;
	}
}

/* One process: 0 when captured, vanished or denied; else an error. */
static int capture_pid(struct cap *c, const char *name)
{
	struct cap_proc p = { .dst = -1, .dst_fd = -1, .dst_fdinfo = -1 };
	int err;

	gm_strlcpy(p.pid, name, sizeof(p.pid));
	p.src = openat(c->procfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		       O_CLOEXEC);
	if (p.src < 0) {
		c->vanished++;
		return 0;
	}
	err = read_proc(c, &p);
	close(p.src);
	close_fd(&p.dst_fd);
	close_fd(&p.dst_fdinfo);
	if (!err)
		err = stage_commit(c, &p);
	if (err)
		stage_discard(c, &p);
	close_fd(&p.dst);
	account(c, &p, err);
	return gm_is_gone(err) || gm_is_denied(err) ? 0 : err;
}

/* A source's own files: "proc/NAME" or "sys/PATH" below the root. */
static int capture_files(struct cap *c, const char *const *files,
			 int out_sys)
{
	int err = 0;

	for (; !err && *files; files++) {
		const char *f = *files;

		if (!strncmp(f, "proc/", 5))
			err = copy_file(c, c->procfd, f + 5, c->out_proc);
		else if (!strncmp(f, "sys/", 4) && out_sys >= 0)
			err = copy_file(c, c->sysfd, f + 4, out_sys);
	}
	return err;
}

static int capture_procs(struct cap *c)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = gm_opendir_at(c->procfd, ".", &dir);
	if (err)
		return err;
	while (!err && (de = readdir(dir))) {
		if (all_digits(de->d_name) && strlen(de->d_name) < 16)
			err = capture_pid(c, de->d_name);
	}
	closedir(dir);
	return err;
}

/* ---- sysfs -------------------------------------------------------- */

/*
 * What a tree walk may pass over: a directory that went, is not ours, or
 * was swapped for a link.  Anything else (EMFILE, EIO) makes the capture
 * PARTIAL rather than silently smaller.
 */
static bool passed_over(int err)
{
	return gm_is_gone(err) || gm_is_denied(err) || err == -ELOOP ||
	       err == -ENOTDIR;
}

static int copy_tree(struct cap *c, int from, int to,
		     const char *const *files, int depth);

static int copy_subtree(struct cap *c, int from, int to, const char *name,
			const char *const *files, int depth)
{
	int sub = open_component(from, name), out, err;

	if (sub < 0)
		return passed_over(sub) ? 0 : sub;
	err = charge(c, strlen(name));
	out = err ? err : out_dir(to, name);
	err = out < 0 ? out : copy_tree(c, sub, out, files, depth);
	if (out >= 0) {
		close(out);
		(void)unlinkat(to, name, AT_REMOVEDIR);
	}
	close(sub);
	return err;
}

/*
 * The named files of from and of every directory below it, as deep as a
 * reader goes (a cgroup tree): no link followed, each directory charged
 * for its name, and a directory left in the capture only where a file was
 * copied into it or below.
 */
static int copy_tree(struct cap *c, int from, int to,
		     const char *const *files, int depth)
{
	char **names = NULL;
	size_t i, nr = 0;
	int err = 0;

	for (const char *const *f = files; !err && *f; f++)
		err = copy_file(c, from, *f, to);
	if (!err && depth < CAP_TREE_DEPTH) {
		err = gm_subdirs(from, &names, &nr);
		err = passed_over(err) ? 0 : err;
	}
	for (i = 0; i < nr; i++) {
		if (!err)
			err = copy_subtree(c, from, to, names[i], files,
					   depth + 1);
		free(names[i]);
	}
	free(names);
	return err;
}

/* cap_dir is "sys/..." below the root; a tree without it has nothing. */
static int capture_tree(struct cap *c, const struct gm_source *src,
			int out_sys)
{
	int from, to, err;

	if (out_sys < 0 || strncmp(src->cap_dir, "sys/", 4))
		return 0;
	from = open_beneath(c->sysfd, src->cap_dir + 4);
	if (from < 0)
		return from == -ENOENT || gm_is_denied(from) ? 0 : from;
	to = out_dir(out_sys, src->cap_dir + 4);
	err = to < 0 ? to : copy_tree(c, from, to, src->cap_files, 0);
	if (to >= 0)
		close(to);
	close(from);
	return err;
}

static bool node_name(const char *name)
{
	const char *d;

	if (!strncmp(name, "card", 4))
		d = name + 4;
	else if (!strncmp(name, "renderD", 7))
		d = name + 7;
	else
		return false;
	return all_digits(d);
}

/* The parent device's path below sys/, e.g. "devices/pci0000:00/...". */
static int device_rel(struct cap *c, const char *node, char *rel,
		      size_t size)
{
	char path[PATH_MAX], real[PATH_MAX], sysreal[PATH_MAX];
	size_t n;

	snprintf(path, sizeof(path), "%s/sys", c->root);
	if (!realpath(path, sysreal))
		return -errno;
	snprintf(path, sizeof(path), "%s/sys/class/drm/%s/device", c->root,
		 node);
	if (!realpath(path, real))
		return -errno;
	n = strlen(sysreal);
	/* outside sys/: the reader would not follow it, nor does a copy */
	if (strncmp(real, sysreal, n) || real[n] != '/' || !real[n + 1])
		return -EXDEV;
	snprintf(rel, size, "%s", real + n + 1);
	return 0;
}

static int copy_device(struct cap *c, const char *node, int to)
{
	char path[PATH_MAX];
	size_t i;
	int from, err;

	snprintf(path, sizeof(path), "class/drm/%s/device", node);
	from = gm_open_beneath(c->sysfd, path, O_RDONLY | O_DIRECTORY |
			       O_CLOEXEC);
	if (from < 0)
		return from;
	err = copy_file(c, from, "uevent", to);
	for (i = 0; !err && i < GM_ARRAY_SIZE(amd_counters); i++)
		err = copy_file(c, from, amd_counters[i], to);
	close(from);
	return err;
}

static int capture_device(struct cap *c, int out_sys, const char *node,
			  const char *rel)
{
	int to, err;

	to = open_beneath(out_sys, rel);
	if (to >= 0) {
		close(to);
		return 0;	/* the card's render node: one device */
	}
	if (to != -ENOENT)
		return to;
	to = out_dir(out_sys, rel);
	if (to < 0)
		return to;
	err = copy_device(c, node, to);
	close(to);
	return err;
}

static int capture_node(struct cap *c, int out_sys, int out_drm,
			const char *node)
{
	char rel[PATH_MAX], target[PATH_MAX + 16];
	int to, err;

	to = out_dir(out_drm, node);
	if (to < 0)
		return to;
	c->nodes++;
	err = device_rel(c, node, rel, sizeof(rel));
	if (gm_is_gone(err) || err == -ENOTDIR || err == -EXDEV) {
		err = 0;	/* a virtual node without a parent device */
	} else if (!err) {
		err = capture_device(c, out_sys, node, rel);
		snprintf(target, sizeof(target), "../../../%s", rel);
		if (!err)
			err = put_link(c, to, "device", target);
	}
	close(to);
	return err;
}

static int capture_nodes(struct cap *c, int out_sys)
{
	struct dirent *de;
	DIR *dir;
	int out_drm, err;

	err = gm_opendir_at(c->sysfd, "class/drm", &dir);
	if (err)
		return err == -ENOENT ? 0 : err;
	out_drm = out_dir(out_sys, "class/drm");
	err = out_drm < 0 ? out_drm : 0;
	while (!err && (de = readdir(dir))) {
		if (node_name(de->d_name))
			err = capture_node(c, out_sys, out_drm, de->d_name);
	}
	closedir(dir);
	close_fd(&out_drm);
	return err;
}

static int capture_buffer(struct cap *c, int from, int out_bufs,
			  const char *ino)
{
	int src, to, err;

	if (strlen(ino) > 20)
		return 0;	/* not a dma-buf inode number */
	src = openat(from, ino, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		     O_CLOEXEC);
	if (src < 0)
		return gm_is_gone(-errno) ? 0 : -errno;	/* freed meanwhile */
	to = out_dir(out_bufs, ino);
	err = to < 0 ? to : copy_file(c, src, "size", to);
	if (!err)
		err = copy_file(c, src, "exporter_name", to);
	if (to >= 0)
		close(to);
	close(src);
	c->buffers += !err;
	return err;
}

/* Only an existing, readable directory is copied: its absence means
 * "no CONFIG_DMABUF_SYSFS_STATS" to the reader and must stay absent. */
static int capture_buffers(struct cap *c, int out_sys)
{
	struct dirent *de;
	DIR *dir;
	int out_bufs, err;

	err = gm_opendir_at(c->sysfd, "kernel/dmabuf/buffers", &dir);
	if (err)
		return gm_is_gone(err) || gm_is_denied(err) ? 0 : err;
	out_bufs = out_dir(out_sys, "kernel/dmabuf/buffers");
	err = out_bufs < 0 ? out_bufs : 0;
	while (!err && (de = readdir(dir))) {
		if (all_digits(de->d_name))
			err = capture_buffer(c, dirfd(dir), out_bufs,
					     de->d_name);
	}
	closedir(dir);
	close_fd(&out_bufs);
	return err;
}

/* ---- the capture directory ---------------------------------------- */

/*
 * DIR is the caller's, not writable by others, and empty: someone else's
 * directory could be changed under us, and captures never mix.
 */
static int check_out(int fd)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int err = 0;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_uid != geteuid() || st.st_mode & S_IWOTH)
		return -EPERM;
	fd = dup(fd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	while (!err && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			err = -EEXIST;
	}
	closedir(d);
	return err;
}

static int open_out(const char *dir)
{
	int fd, err;

	if (mkdir(dir, CAP_DIR_MODE) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? -ELOOP : -errno;
	err = check_out(fd);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static const char *why_stopped(int err)
{
	switch (err) {
	case -EFBIG:
		return " (the byte limit was reached)";
	case -ELOOP:
		return " (a symlink in place of a directory of the capture: "
		       "DIR was changed while gpumem wrote)";
	case -EEXIST:
		return " (a name of the capture already existed: DIR was "
		       "changed while gpumem wrote)";
	default:
		return "";
	}
}

/* The first line says how it ended: gpumem --root prints it. */
static int note_text(const struct cap *c, char *buf, size_t size, int err)
{
	return snprintf(buf, size,
		"%s%s%s\n"
		"gpumem capture 2\n"
		"root: %s\n"
		"limit: %" PRIu64 " bytes, written: %" PRIu64 " bytes\n"
		"processes: %u captured (%u holding DRM or dma-buf memory), "
		"%u vanished, %u unreadable\n"
		"smaps_rollup: %u copied, %u unreadable\n"
		"maps: only lines naming /dmabuf kept, %" PRIu64
		" other lines left out\n"
		"not regular files, skipped: %u\n"
		"drm nodes: %u, dma-buf sysfs buffers: %u\n",
		err ? "incomplete, stopped: " : "complete",
		err ? strerror(-err) : "", why_stopped(err), c->root,
		c->max, c->used, c->scanned, c->holding, c->vanished,
		c->unreadable, c->rollups, c->rollups_denied, c->maps_omitted,
		c->irregular, c->nodes, c->buffers);
}

static int put_note(struct cap *c, int err)
{
	char buf[2048];
	int n = note_text(c, buf, sizeof(buf), err);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EOVERFLOW;
	return put_file(c->out, err ? CAP_PARTIAL : CAP_MANIFEST, buf,
			(size_t)n);
}

static int open_root(const char *root, const char *sub, int *fd)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, sub) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

/* What one source of the table reads, copied. */
static int capture_source(struct cap *c, const struct gm_source *src,
			  int out_sys)
{
	switch (src->cap) {
	case GM_CAP_FILES:
		return capture_files(c, src->cap_files, out_sys);
	case GM_CAP_PROCESSES:
		return capture_procs(c);
	case GM_CAP_DRM_NODES:
		return out_sys >= 0 ? capture_nodes(c, out_sys) : 0;
	case GM_CAP_DMABUF_SYSFS:
		return out_sys >= 0 ? capture_buffers(c, out_sys) : 0;
	case GM_CAP_TREE:
		return capture_tree(c, src, out_sys);
	case GM_CAP_NONE:
		break;
	}
	return 0;
}

/* The source table, walked as a snapshot walks it. */
static int capture(struct cap *c)
{
	int out_sys = -1, err = 0;
	size_t i;

	c->out_proc = out_dir(c->out, "proc");
	if (c->out_proc < 0)
		return c->out_proc;
	if (c->sysfd >= 0) {
		out_sys = out_dir(c->out, "sys");
		err = out_sys < 0 ? out_sys : 0;
	}
	for (i = 0; !err && i < gm_nr_sources; i++)
		err = capture_source(c, gm_source_table[i], out_sys);
	close_fd(&out_sys);
	close_fd(&c->out_proc);
	return err;
}

int gpumem_capture(const char *root, const char *dir, uint64_t max_bytes)
{
	struct cap c = { .max = max_bytes, .sysfd = -1, .out_proc = -1 };
	int err, note_err;

	if (!root || !root[0])
		root = "/";
	if (!dir || !dir[0] || !max_bytes)
		return -EINVAL;
	c.live = !strcmp(root, "/");
	c.root = root;
	err = open_root(root, "proc", &c.procfd);
	if (err)
		return err;
	if (open_root(root, "sys", &c.sysfd))
		c.sysfd = -1;	/* as the reader: no sys, no devices */
	c.out = open_out(dir);
	if (c.out < 0) {
		err = c.out;
		goto out;
	}
	err = capture(&c);
	note_err = put_note(&c, err);
	err = err ? err : note_err;
	close(c.out);
out:
	if (c.sysfd >= 0)
		close(c.sysfd);
	close(c.procfd);
	gm_text_free(&c.text);
	return err;
}
