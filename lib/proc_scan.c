// SPDX-License-Identifier: MIT
/*
 * The /proc walk.  Only fds that can be DRM files or dma-bufs (judged from
 * the link text) have their fdinfo read, so a scan costs little more than
 * the getdents + readlink it cannot avoid.  Processes and fds vanish while
 * we look (ENOENT, ESRCH): that is normal.  EACCES is counted, never hidden.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gm.h"

enum fd_kind { FD_OTHER, FD_DRM, FD_DMABUF };

struct pid_scan {
	int procfd;
	int piddir;
	pid_t pid;
	bool live;
	bool announced;
	const struct gm_scan_sink *sink;
	struct gpumem_scan_stats *st;
	struct gm_text *text;	/* the fdinfo or maps being handed out */
	struct gm_text *aux;	/* comm, read while text is still in use */
};

static bool is_gone(int err)
{
	return err == -ENOENT || err == -ESRCH;
}

static bool is_denied(int err)
{
	return err == -EACCES || err == -EPERM;
}

/* The minor from "/dev/dri/cardN" or "/dev/dri/renderDN"; -1 otherwise. */
static int minor_from_text(const char *target)
{
	const char *p;
	uint64_t v;

	if (strncmp(target, "/dev/dri/", 9))
		return -1;
	p = target + 9;
	if (!strncmp(p, "card", 4))
		p += 4;
	else if (!strncmp(p, "renderD", 7))
		p += 7;
	else
		return -1;
	if (gm_parse_u64(p, &p, &v) || *p || v > 1u << 20)
		return -1;
	return (int)v;
}

static enum fd_kind classify(struct pid_scan *ps, int fdfd, const char *name,
			     const char *target, int *minor)
{
	struct stat st;

	if (!strncmp(target, "/dmabuf:", 8) ||
	    !strcmp(target, "anon_inode:dmabuf"))
		return FD_DMABUF;
	if (strncmp(target, "/dev/", 5))
		return FD_OTHER;
	/* Live, the device number decides: /dev may be remapped. */
	if (ps->live && !fstatat(fdfd, name, &st, 0)) {
		if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != GM_DRM_MAJOR)
			return FD_OTHER;
		*minor = (int)minor(st.st_rdev);
		return FD_DRM;
	}
	*minor = minor_from_text(target);
	return *minor < 0 ? FD_OTHER : FD_DRM;
}

/* comm of a process that may have exited: "" then. */
void gm_read_comm(int dirfd, const char *path, struct gm_text *t,
		  char comm[GPUMEM_NAME_MAX])
{
	size_t len;

	comm[0] = '\0';
	if (gm_read_at(dirfd, path, t))
		return;
	len = t->len;
	if (len && t->buf[len - 1] == '\n')
		len--;
	gm_copy_field(comm, GPUMEM_NAME_MAX, t->buf, len);
}

static int announce(struct pid_scan *ps)
{
	char comm[GPUMEM_NAME_MAX];

	if (ps->announced)
		return 0;
	ps->announced = true;
	gm_read_comm(ps->piddir, "comm", ps->aux, comm);
	return ps->sink->process(ps->sink->ctx, ps->pid, comm);
}

static int scan_fd(struct pid_scan *ps, int fdfd, const char *name)
{
	char target[256], path[sizeof("fdinfo/") + 256];
	enum fd_kind kind;
	int minor = -1, err;
	ssize_t n;

	n = readlinkat(fdfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return is_denied(-errno) ? -errno : 0;
	target[n] = '\0';
	kind = classify(ps, fdfd, name, target, &minor);
	if (kind == FD_OTHER)
		return 0;
	snprintf(path, sizeof(path), "fdinfo/%s", name);
	err = gm_read_at(ps->piddir, path, ps->text);
	if (is_gone(err))
		return 0;
	if (err)
		return err;
	err = announce(ps);
	if (err)
		return err;
	if (kind == FD_DMABUF)
		return ps->sink->dmabuf_fd(ps->sink->ctx, ps->pid,
					   ps->text->buf, ps->text->len);
	return ps->sink->drm_fd(ps->sink->ctx, ps->pid, minor, atoi(name),
				ps->text->buf, ps->text->len);
}

static int scan_fds(struct pid_scan *ps)
{
	struct dirent *de;
	DIR *dir;
	int fd, err = 0;

	fd = openat(ps->piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		err = -errno;
		close(fd);
		return err;
	}
	while (!err && (de = readdir(dir))) {
		if (de->d_name[0] != '.')
			err = scan_fd(ps, fd, de->d_name);
	}
	closedir(dir);
	return err;
}

static int map_cb(const struct gm_dmabuf_map *m, void *ctx)
{
	struct pid_scan *ps = ctx;
	int err = announce(ps);

	return err ? err : ps->sink->dmabuf_map(ps->sink->ctx, ps->pid, m);
}

static int scan_maps(struct pid_scan *ps)
{
	int err = gm_read_at(ps->piddir, "maps", ps->text);

	if (err)
		return err;
	return gm_maps_parse(ps->text->buf, ps->text->len, map_cb, ps,
			     &ps->st->malformed_lines);
}

/* One process: 0, or a hard error (ENOMEM); gone and denied are counted. */
static int scan_pid(struct pid_scan *ps, const char *name)
{
	int err;

	ps->st->listed++;
	ps->piddir = openat(ps->procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ps->piddir < 0) {
		ps->st->vanished++;
		return 0;
	}
	ps->announced = false;
	err = scan_fds(ps);
	if (!err)
		err = scan_maps(ps);
	close(ps->piddir);
	if (is_gone(err)) {
		ps->st->vanished++;
		return 0;
	}
	if (is_denied(err)) {
		ps->st->unreadable_processes++;
		return 0;
	}
	if (!err)
		ps->st->processes++;
	return err;
}

int gm_proc_scan(int procfd, bool live, const struct gm_scan_sink *s,
		 struct gpumem_scan_stats *st)
{
	struct gm_text text = { 0 }, aux = { 0 };
	struct pid_scan ps = {
		.procfd = procfd, .live = live, .sink = s, .st = st,
		.text = &text, .aux = &aux,
	};
	struct dirent *de;
	DIR *dir;
	int fd, err = 0;

	fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while (!err && (de = readdir(dir))) {
		uint64_t pid;

		if (gm_parse_u64_all(de->d_name, strlen(de->d_name), &pid) ||
		    !pid || pid > INT32_MAX)
			continue;
		ps.pid = (pid_t)pid;
		err = scan_pid(&ps, de->d_name);
	}
	closedir(dir);
	gm_text_free(&text);
	gm_text_free(&aux);
	return err;
}
