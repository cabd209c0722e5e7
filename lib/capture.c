// SPDX-License-Identifier: MIT
/*
 * gpumem_capture(): copies what gpumem reads into a directory that
 * "gpumem --root DIR" reads back as the same snapshot.  Only what matters is
 * kept: processes holding a DRM fd, a dma-buf fd or a /dmabuf mapping (comm,
 * the /dmabuf lines of maps, those fds as symlinks and their fdinfo), the DRM
 * nodes of /sys/class/drm with their parent device (uevent, amdgpu mem_info_*)
 * and /sys/kernel/dmabuf/buffers.  The layout and its limits are described
 * in docs/model.md ("Captures").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sources/sources.h"

#define CAP_MANIFEST "gpumem-capture"
#define CAP_PARTIAL "PARTIAL"

struct cap {
	int out;			/* the capture directory */
	uint64_t used, max;		/* bytes of contents and link targets */
	bool live;
	const char *root;
	int procfd, sysfd;
	struct gm_text text;
	unsigned int scanned, captured, vanished, unreadable;
	uint64_t maps_omitted;		/* maps lines without "/dmabuf" */
	unsigned int nodes, buffers;
};

struct cap_fd {
	char name[16];
	char target[256];
	char *info;
	size_t info_len;
};

/* One process, read completely before anything of it is written. */
struct cap_proc {
	char pid[16];
	int dirfd;
	struct cap_fd *fds;
	size_t nr_fds, cap_fds;
	char *maps;			/* the lines naming /dmabuf */
	size_t maps_len;
	unsigned int nr_dmabuf_maps;
	char *comm;
	size_t comm_len;
};

static const char *const amd_counters[] = {
	"mem_info_vram_used", "mem_info_vram_total",
	"mem_info_vis_vram_used", "mem_info_vis_vram_total",
	"mem_info_gtt_used", "mem_info_gtt_total",
};

static bool is_gone(int err)
{
	return err == -ENOENT || err == -ESRCH;
}

static bool is_denied(int err)
{
	return err == -EACCES || err == -EPERM;
}

static int mkdirs(int base, const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (gm_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (p != buf && mkdirat(base, buf, 0755) && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

static int charge(struct cap *c, size_t len)
{
	if (len > c->max - c->used)
		return -EFBIG;
	c->used += len;
	return 0;
}

static int put_file(struct cap *c, const char *path, const char *buf,
		    size_t len)
{
	int fd, err;

	err = charge(c, len);
	if (err)
		return err;
	fd = openat(c->out, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
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

static int put_link(struct cap *c, const char *target, const char *path)
{
	int err = charge(c, strlen(target));

	if (!err && symlinkat(target, c->out, path))
		err = -errno;
	return err;
}

static int open_dir(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
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

static int add_fd(struct cap *c, struct cap_proc *p, int fdfd,
		  const char *name)
{
	char target[256], path[300];
	struct cap_fd *f;
	ssize_t n;
	int err;

	n = readlinkat(fdfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return is_denied(-errno) ? -errno : 0;
	target[n] = '\0';
	if (!keep_fd(c, fdfd, name, target, sizeof(target)))
		return 0;
	snprintf(path, sizeof(path), "fdinfo/%s", name);
	err = gm_read_at(p->dirfd, path, &c->text);
	if (err)
		return is_gone(err) ? 0 : err;	/* closed meanwhile */
	err = gm_grow((void **)&p->fds, &p->cap_fds, p->nr_fds + 1,
		      sizeof(*p->fds));
	if (err)
		return err;
	f = &p->fds[p->nr_fds];
	f->info = malloc(c->text.len + 1);
	if (!f->info)
		return -ENOMEM;
	memcpy(f->info, c->text.buf, c->text.len);
	f->info_len = c->text.len;
	gm_strlcpy(f->name, name, sizeof(f->name));
	gm_strlcpy(f->target, target, sizeof(f->target));
	p->nr_fds++;
	return 0;
}

static int read_fds(struct cap *c, struct cap_proc *p)
{
	struct dirent *de;
	DIR *dir;
	int fd, err;

	err = gm_opendir_at(p->dirfd, "fd", &dir);
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
static int read_maps(struct cap *c, struct cap_proc *p)
{
	const char *line;
	size_t pos = 0, len, out = 0;
	unsigned int malformed = 0;
	int err;

	err = gm_read_at(p->dirfd, "maps", &c->text);
	if (err)
		return err;
	gm_maps_parse(c->text.buf, c->text.len, count_map, p, &malformed);
	p->maps = malloc(c->text.len + 1);
	if (!p->maps)
		return -ENOMEM;
	while (gm_next_line(c->text.buf, c->text.len, &pos, &line, &len)) {
		if (!memmem(line, len, "/dmabuf", 7)) {
			c->maps_omitted++;
			continue;
		}
		memcpy(p->maps + out, line, len);
		out += len;
		p->maps[out++] = '\n';
	}
	p->maps_len = out;
	return 0;
}

static int read_comm(struct cap *c, struct cap_proc *p)
{
	int err = gm_read_at(p->dirfd, "comm", &c->text);

	if (err)
		return err;
	p->comm = malloc(c->text.len + 1);
	if (!p->comm)
		return -ENOMEM;
	memcpy(p->comm, c->text.buf, c->text.len);
	p->comm_len = c->text.len;
	return 0;
}

static int write_proc(struct cap *c, const struct cap_proc *p)
{
	char path[64];
	size_t i;
	int err;

	snprintf(path, sizeof(path), "proc/%s/fdinfo", p->pid);
	err = mkdirs(c->out, path);
	snprintf(path, sizeof(path), "proc/%s/fd", p->pid);
	if (!err)
		err = mkdirs(c->out, path);
	snprintf(path, sizeof(path), "proc/%s/comm", p->pid);
	if (!err)
		err = put_file(c, path, p->comm, p->comm_len);
	snprintf(path, sizeof(path), "proc/%s/maps", p->pid);
	if (!err)
		err = put_file(c, path, p->maps, p->maps_len);
	for (i = 0; !err && i < p->nr_fds; i++) {
		const struct cap_fd *f = &p->fds[i];

		snprintf(path, sizeof(path), "proc/%s/fd/%s", p->pid, f->name);
		err = put_link(c, f->target, path);
		snprintf(path, sizeof(path), "proc/%s/fdinfo/%s", p->pid,
			 f->name);
		if (!err)
			err = put_file(c, path, f->info, f->info_len);
	}
	return err;
}

static void proc_free(struct cap_proc *p)
{
	size_t i;

	for (i = 0; i < p->nr_fds; i++)
		free(p->fds[i].info);
	free(p->fds);
	free(p->maps);
	free(p->comm);
}

/* One process: 0 when captured, skipped, vanished or denied; else error. */
static int capture_pid(struct cap *c, const char *name)
{
	struct cap_proc p = { 0 };
	int err;

	gm_strlcpy(p.pid, name, sizeof(p.pid));
	p.dirfd = open_dir(c->procfd, name);
	if (p.dirfd < 0) {
		c->vanished++;
		return 0;
	}
	err = read_fds(c, &p);
	if (!err)
		err = read_maps(c, &p);
	if (!err && (p.nr_fds || p.nr_dmabuf_maps))
		err = read_comm(c, &p);
	close(p.dirfd);
	if (is_gone(err))
		c->vanished++;
	else if (is_denied(err))
		c->unreadable++;
	else if (!err)
		c->scanned++;
	if (!err && (p.nr_fds || p.nr_dmabuf_maps)) {
		err = write_proc(c, &p);
		c->captured += !err;
	}
	proc_free(&p);
	return is_gone(err) || is_denied(err) ? 0 : err;
}

static int capture_procs(struct cap *c)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = mkdirs(c->out, "proc");
	if (!err)
		err = gm_opendir_at(c->procfd, ".", &dir);
	if (err)
		return err;
	while (!err && (de = readdir(dir))) {
		if (all_digits(de->d_name))
			err = capture_pid(c, de->d_name);
	}
	closedir(dir);
	return err;
}

/* ---- sysfs -------------------------------------------------------- */

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

static int copy_file(struct cap *c, int from, const char *name,
		     const char *to)
{
	char path[PATH_MAX];
	int err = gm_read_at(from, name, &c->text);

	if (err)
		return err == -ENOENT || is_denied(err) ? 0 : err;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", to, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	return put_file(c, path, c->text.buf, c->text.len);
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
	if (!strncmp(real, sysreal, n) && real[n] == '/' && real[n + 1])
		snprintf(rel, size, "%s", real + n + 1);
	else	/* outside sys/: give it a place of its own */
		snprintf(rel, size, "devices/gpumem-capture/%s", node);
	return 0;
}

static int capture_device(struct cap *c, const char *node, const char *rel)
{
	char to[PATH_MAX], path[PATH_MAX];
	struct stat st;
	size_t i;
	int from, err;

	if ((size_t)snprintf(to, sizeof(to), "sys/%s", rel) >= sizeof(to))
		return -ENAMETOOLONG;
	if (!fstatat(c->out, to, &st, AT_SYMLINK_NOFOLLOW))
		return 0;	/* the card's render node: one device */
	err = mkdirs(c->out, to);
	if (err)
		return err;
	snprintf(path, sizeof(path), "class/drm/%s/device", node);
	from = open_dir(c->sysfd, path);
	if (from < 0)
		return from;
	err = copy_file(c, from, "uevent", to);
	for (i = 0; !err && i < GM_ARRAY_SIZE(amd_counters); i++)
		err = copy_file(c, from, amd_counters[i], to);
	close(from);
	return err;
}

static int capture_node(struct cap *c, const char *node)
{
	char rel[PATH_MAX], path[PATH_MAX + 32], target[PATH_MAX + 16];
	int err;

	snprintf(path, sizeof(path), "sys/class/drm/%s", node);
	err = mkdirs(c->out, path);
	if (err)
		return err;
	c->nodes++;
	err = device_rel(c, node, rel, sizeof(rel));
	if (is_gone(err) || err == -ENOTDIR)
		return 0;	/* a virtual node without a parent device */
	if (!err)
		err = capture_device(c, node, rel);
	if (err)
		return err;
	snprintf(path, sizeof(path), "sys/class/drm/%s/device", node);
	snprintf(target, sizeof(target), "../../../%s", rel);
	return put_link(c, target, path);
}

static int capture_nodes(struct cap *c)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = gm_opendir_at(c->sysfd, "class/drm", &dir);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = mkdirs(c->out, "sys/class/drm");
	while (!err && (de = readdir(dir))) {
		if (node_name(de->d_name))
			err = capture_node(c, de->d_name);
	}
	closedir(dir);
	return err;
}

static int capture_buffer(struct cap *c, int from, const char *ino)
{
	char to[64];
	int dirfd, err;

	if (strlen(ino) > 20)
		return 0;	/* not a dma-buf inode number */
	dirfd = open_dir(from, ino);
	if (dirfd < 0)
		return is_gone(dirfd) ? 0 : dirfd;	/* freed meanwhile */
	snprintf(to, sizeof(to), "sys/kernel/dmabuf/buffers/%s", ino);
	err = mkdirs(c->out, to);
	if (!err)
		err = copy_file(c, dirfd, "size", to);
	if (!err)
		err = copy_file(c, dirfd, "exporter_name", to);
	close(dirfd);
	c->buffers += !err;
	return err;
}

/* Only an existing, readable directory is copied: its absence means
 * "no CONFIG_DMABUF_SYSFS_STATS" to the reader and must stay absent. */
static int capture_buffers(struct cap *c)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = gm_opendir_at(c->sysfd, "kernel/dmabuf/buffers", &dir);
	if (err)
		return is_gone(err) || is_denied(err) ? 0 : err;
	err = mkdirs(c->out, "sys/kernel/dmabuf/buffers");
	while (!err && (de = readdir(dir))) {
		if (all_digits(de->d_name))
			err = capture_buffer(c, dirfd(dir), de->d_name);
	}
	closedir(dir);
	return err;
}

/* ---- the capture directory ---------------------------------------- */

/* DIR is created, or must be an empty directory: captures never mix. */
static int open_out(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int fd, err = 0;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(dup(fd));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while (!err && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			err = -EEXIST;
	}
	closedir(d);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static void put_note(struct cap *c, const char *name, const char *root,
		     int err)
{
	char buf[1024];
	int n, fd;

	n = snprintf(buf, sizeof(buf),
		     "gpumem capture 1\n"
		     "root: %s\n"
		     "status: %s%s%s\n"
		     "limit: %" PRIu64 " bytes, written: %" PRIu64 " bytes\n"
		     "processes: %u scanned, %u captured, %u vanished, "
		     "%u unreadable\n"
		     "maps: only lines naming /dmabuf kept, %" PRIu64
		     " other lines left out\n"
		     "drm nodes: %u, dma-buf sysfs buffers: %u\n",
		     root, err ? "INCOMPLETE, stopped: " : "complete",
		     err ? strerror(-err) : "",
		     err == -EFBIG ? " (the byte limit was reached)" : "",
		     c->max, c->used, c->scanned, c->captured, c->vanished,
		     c->unreadable, c->maps_omitted, c->nodes, c->buffers);
	fd = openat(c->out, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
		    O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, buf, (size_t)n) != n)
		(void)unlinkat(c->out, name, 0);
	close(fd);
}

static int open_root(const char *root, const char *sub, int *fd)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, sub) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

static int capture(struct cap *c)
{
	int err = 0;

	if (c->sysfd >= 0)
		err = capture_nodes(c);
	if (!err)
		err = capture_procs(c);
	/* The kernel release, which every JSON document names. */
	if (!err)
		err = copy_file(c, c->procfd, "version", "proc");
	if (!err && c->sysfd >= 0)
		err = capture_buffers(c);
	return err;
}

int gpumem_capture(const char *root, const char *dir, uint64_t max_bytes)
{
	struct cap c = { .max = max_bytes, .sysfd = -1 };
	int err;

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
	put_note(&c, err ? CAP_PARTIAL : CAP_MANIFEST, root, err);
	close(c.out);
out:
	if (c.sysfd >= 0)
		close(c.sysfd);
	close(c.procfd);
	gm_text_free(&c.text);
	return err;
}
