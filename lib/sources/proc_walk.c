// SPDX-License-Identifier: MIT
/*
 * The /proc walk.  Only fds that can be DRM files or dma-bufs (judged from
 * the link text) have their fdinfo read, so a scan costs little more than
 * the getdents + readlink it cannot avoid.  Processes and fds vanish while
 * we look (ENOENT, ESRCH): that is normal.  EACCES is counted, never hidden.
 *
 * A process is read whole before anything of it is handed to the sink: a
 * file of it that cannot be read (denied, or not what the kernel writes:
 * a FIFO, a directory, a link, a maps too large) makes it unreadable, and
 * then none of its holdings are in any figure, as the schema says.
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

#include "sources.h"

enum fd_kind { FD_OTHER = GM_FD_OTHER, FD_DRM = GM_FD_DRM,
	       FD_DMABUF = GM_FD_DMABUF };

/* An fd read but not yet handed out; its fdinfo is in pid_scan.held. */
struct held_fd {
	int fd;
	int minor;
	enum fd_kind kind;
	uint64_t ino;
	int kept;		/* its fdinfo, open (-1: none), for the index */
	size_t off, len;
};

struct pid_scan {
	int procfd;
	int piddir;
	/* Files of the process: at/prefix... ; the pid dir, or /proc + "PID/". */
	int at;
	char prefix[16];
	const char *comm;	/* known from the index: not read again */
	struct gm_status status;	/* read with the process, or the index's */
	pid_t pid;
	bool live;
	bool announced;
	bool no_query;		/* no PROCMAP_QUERY here, or refused */
	const struct gm_scan_sink *sink;
	struct gpumem_scan_stats *st;
	struct gm_text *text;	/* scratch: an fdinfo, a chunk of maps */
	struct gm_text *aux;	/* comm */
	struct gm_text *held;	/* the fdinfo of each fds[] entry, NUL after */
	struct gm_text *maps;	/* the maps lines that may be dma-bufs */
	struct held_fd *fds;
	size_t nr_fds, cap_fds;
	unsigned int odd;	/* processes with a file not as the kernel's */
	struct gm_index *idx;	/* filled by a full scan when not NULL */
	int fd_limit;		/* fdinfo files below it are kept open */
	int maps_kept;		/* the maps of a full walk's process, open */
	bool stale;		/* a rescan found an indexed fd changed */
};

/*
 * A number the kernel wrote as a name (a pid or fd directory, cardN, a
 * buffer's inode): only its own spelling, so that "0123" or "123 " is not
 * a second 123.
 */
int gm_parse_name_u64(const char *name, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int err;

	if (name[0] == '0' && name[1])
		return -EINVAL;
	err = gm_parse_u64(name, &end, &v);
	if (err)
		return err;
	if (*end)
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* The minor from "/dev/dri/cardN" or "/dev/dri/renderDN"; -1 otherwise. */
int gm_drm_minor_from_path(const char *target)
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
	if (gm_parse_name_u64(p, 1u << 20, &v))
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
	*minor = gm_drm_minor_from_path(target);
	return *minor < 0 ? FD_OTHER : FD_DRM;
}

/* comm of a process that may have exited: "" then. */
void gm_read_comm(int dirfd, const char *path, struct gm_text *t,
		  char comm[GPUMEM_NAME_MAX])
{
	size_t len;

	comm[0] = '\0';
	if (gm_read_record_at(dirfd, path, t))
		return;
	len = t->len;
	if (len && t->buf[len - 1] == '\n')
		len--;
	gm_copy_field(comm, GPUMEM_NAME_MAX, t->buf, len);
}

/* A process whose holdings the index keeps. */
static int remember_pid(struct pid_scan *ps, const char *comm)
{
	if (!ps->idx)
		return 0;
	return gm_index_add_pid(ps->idx, ps->pid, &ps->status, comm,
				strlen(comm)) ? 0 : -ENOMEM;
}

/* prefix + name [+ decimal n]: no snprintf, it is on the per-fd path. */
static void pid_path(const struct pid_scan *ps, char *buf, size_t size,
		     const char *name, int n)
{
	char digits[12];
	size_t len = 0, plen = strlen(ps->prefix), nlen = strlen(name);
	unsigned int v = (unsigned int)n;

	if (n >= 0) {
		do
			digits[sizeof(digits) - ++len] = (char)('0' + v % 10);
		while ((v /= 10) && len < sizeof(digits));
	}
	if (plen + nlen + len >= size) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, ps->prefix, plen);
	memcpy(buf + plen, name, nlen);
	memcpy(buf + plen + nlen, digits + sizeof(digits) - len, len);
	buf[plen + nlen + len] = '\0';
}

/* The first holding of a process; its pid enters the index before its fds. */
static int announce(struct pid_scan *ps)
{
	char comm[GPUMEM_NAME_MAX], path[32];
	int err;

	if (ps->announced)
		return 0;
	ps->announced = true;
	if (ps->comm) {
		gm_strlcpy(comm, ps->comm, sizeof(comm));
	} else {
		pid_path(ps, path, sizeof(path), "comm", -1);
		gm_read_comm(ps->at, path, ps->aux, comm);
	}
	err = ps->sink->process(ps->sink->ctx, ps->pid, comm, &ps->status);
	return err ? err : remember_pid(ps, comm);
}

/* The "ino:" of an fdinfo: a dma-buf's identity, a device node's inode. */
static uint64_t fdinfo_ino(const struct gm_text *t)
{
	const char *line, *key, *val;
	size_t pos = 0, llen, klen, vlen;
	uint64_t ino;

	while (gm_next_line(t->buf, t->len, &pos, &line, &llen)) {
		if (gm_key_value(line, llen, &key, &klen, &val, &vlen) &&
		    klen == 3 && !memcmp(key, "ino", 3) &&
		    !gm_parse_u64_all(val, vlen, &ino))
			return ino;
	}
	return 0;
}

/* The index takes f's open fdinfo with it. */
static int remember(struct pid_scan *ps, struct held_fd *f)
{
	int err;

	if (!ps->idx)
		return 0;
	err = gm_index_add_fd(ps->idx, ps->pid, f->fd, f->kind, f->minor,
			      f->ino, f->kept);
	if (!err)
		f->kept = -1;
	return err;
}

/* The fdinfo files held open for an index that did not take them. */
static void drop_held(struct pid_scan *ps)
{
	size_t i;

	for (i = 0; i < ps->nr_fds; i++) {
		if (ps->fds[i].kept >= 0)
			close(ps->fds[i].kept);
		ps->fds[i].kept = -1;
	}
	if (ps->maps_kept >= 0)
		close(ps->maps_kept);
	ps->maps_kept = -1;
}

/* Keeps the fdinfo in ps->text for hand_out(); kept goes with it. */
static int hold(struct pid_scan *ps, int fd, enum fd_kind kind, int minor,
		uint64_t ino, int kept)
{
	struct gm_text *h = ps->held;
	int err;

	err = gm_grow((void **)&ps->fds, &ps->cap_fds, ps->nr_fds + 1,
		      sizeof(*ps->fds));
	if (!err)
		err = gm_grow((void **)&h->buf, &h->cap,
			      h->len + ps->text->len + 1, 1);
	if (err) {
		if (kept >= 0)
			close(kept);
		return err;
	}
	ps->fds[ps->nr_fds++] = (struct held_fd){
		.fd = fd, .minor = minor, .kind = kind, .ino = ino,
		.kept = kept, .off = h->len, .len = ps->text->len,
	};
	memcpy(h->buf + h->len, ps->text->buf, ps->text->len);
	h->len += ps->text->len;
	h->buf[h->len++] = '\0';
	return 0;
}

/*
 * fd's fdinfo into ps->text.  *kept: the file open (-1: not), read again
 * from offset 0 without a path lookup; one opened here is left in *kept
 * when below the limit.  A live kept file stays its process's (fd.c binds
 * it to the struct pid): after an exit it reads ESRCH or ENOENT, never
 * another process's fd.  In a --root tree a kept file unlinked or renamed
 * over (-ESTALE) is no longer what the path names.  Either way the path
 * is opened again: a full walk's pid may be a new process's by now.
 */
static int fdinfo_text(struct pid_scan *ps, int fd, int *kept)
{
	char path[48];
	int f, err;

	if (*kept >= 0) {
		err = gm_reread_record(*kept, ps->text, !ps->live);
		if (err != -ESTALE && !gm_is_gone(err))
			return err;
		close(*kept);
		*kept = -1;
	}
	pid_path(ps, path, sizeof(path), "fdinfo/", fd);
	f = gm_open_file_at(ps->at, path, ps->live ? GM_READ_KERNEL : 0);
	if (f < 0)
		return f;
	err = gm_reread_record(f, ps->text, false);
	if (!err && f < ps->fd_limit)
		*kept = f;
	else
		close(f);
	return err;
}

/*
 * Reads one DRM or dma-buf fd's fdinfo.  want_ino != 0 (a rescan): the fd
 * must still be the file the index saw, else the index is stale; *kept is
 * the index's then, else the new entry's.
 */
static int read_fdinfo(struct pid_scan *ps, int fd, enum fd_kind kind,
		       int minor, uint64_t want_ino, int *kept)
{
	uint64_t ino;
	int err = fdinfo_text(ps, fd, kept);

	if (gm_is_gone(err)) {
		ps->stale |= want_ino != 0;
		return 0;
	}
	if (err)
		return err;
	ino = fdinfo_ino(ps->text);
	if (want_ino && ino != want_ino) {
		ps->stale = true;
		return 0;
	}
	err = hold(ps, fd, kind, minor, ino, want_ino ? -1 : *kept);
	*kept = want_ino ? *kept : -1;
	return err;
}

static int hand_out_fd(struct pid_scan *ps, struct held_fd *f)
{
	const char *text = ps->held->buf + f->off;
	int err = announce(ps);

	if (!err)
		err = remember(ps, f);
	if (err)
		return err;
	if (f->kind == FD_DMABUF)
		return ps->sink->dmabuf_fd(ps->sink->ctx, ps->pid, text,
					   f->len);
	return ps->sink->drm_fd(ps->sink->ctx, ps->pid, f->minor, f->fd, text,
				f->len);
}

static int scan_fd(struct pid_scan *ps, int fdfd, const char *name)
{
	char target[256];
	enum fd_kind kind;
	int minor = -1;
	uint64_t fd;
	int kept = -1;
	ssize_t n;

	if (gm_parse_name_u64(name, INT32_MAX, &fd))
		return 0;
	n = readlinkat(fdfd, name, target, sizeof(target) - 1);
	if (n < 0)
		return gm_is_denied(-errno) ? -errno : 0;
	target[n] = '\0';
	kind = classify(ps, fdfd, name, target, &minor);
	if (kind == FD_OTHER)
		return 0;
	if (ps->idx)
		kept = gm_index_take(ps->idx, ps->pid, (int)fd);
	return read_fdinfo(ps, (int)fd, kind, minor, 0, &kept);
}

static int scan_fds(struct pid_scan *ps)
{
	struct dirent *de;
	DIR *dir;
	int err;

	err = gm_opendir_at(ps->piddir, "fd", &dir);
	if (err)
		return err;
	while (!err && (de = readdir(dir))) {
		if (de->d_name[0] != '.')
			err = scan_fd(ps, dirfd(dir), de->d_name);
	}
	closedir(dir);
	return err;
}

static int map_cb(const struct gm_dmabuf_map *m, void *ctx)
{
	struct pid_scan *ps = ctx;
	int err = announce(ps);

	if (err)
		return err;
	if (ps->idx && !ps->idx->pids[ps->idx->nr_pids - 1].maps) {
		ps->idx->pids[ps->idx->nr_pids - 1].maps = true;
		ps->idx->pids[ps->idx->nr_pids - 1].maps_kept = ps->maps_kept;
		ps->maps_kept = -1;
	}
	return ps->sink->dmabuf_map(ps->sink->ctx, ps->pid, m);
}

/*
 * An open maps file's dma-buf lines into ps->maps: by PROCMAP_QUERY where
 * the running kernel has it, else from the text.  Returns > 0 when read,
 * 0 (the text of an mm that is gone reads empty) or -errno.  A fresh file
 * the query finds without an mm (a kernel thread, a zombie) is read as
 * text, which says which of those it is.
 */
static ssize_t maps_lines(struct pid_scan *ps, int fd, bool kept)
{
	ssize_t n;

	if (ps->live && !ps->no_query) {
		n = gm_maps_query_fd(fd, ps->maps);
		if (n > 0 || (n == -ESRCH && kept))
			return n;
		/* no such ioctl, or a security module that refuses it */
		ps->no_query = n == -ENOTTY || n == -EINVAL ||
			       gm_is_denied((int)n);
		if (!ps->no_query && n != -ESRCH)
			return n;
	}
	return gm_maps_read_fd(fd, ps->text, ps->maps);
}

/*
 * The process's maps into ps->maps, from its file kept open in *kept (-1:
 * none) as fdinfo_text() reads fdinfo.  A live maps file holds the mm of
 * its open: once the process has exec'd it reads empty (a process always
 * has some mapping) or its query ESRCH, once it has exited ESRCH; either
 * way the path is opened again, which also checks the access anew.
 */
static int read_maps(struct pid_scan *ps, int *kept)
{
	char path[32];
	ssize_t n;
	int f;

	if (*kept >= 0) {
		n = ps->live ? 0 : gm_check_linked(*kept);
		if (!n)
			n = maps_lines(ps, *kept, true);
		if (n > 0)
			return 0;
		close(*kept);
		*kept = -1;
		if (n < 0 && n != -ESTALE && !gm_is_gone((int)n))
			return (int)n;
	}
	pid_path(ps, path, sizeof(path), "maps", -1);
	f = gm_open_file_at(ps->at, path, ps->live ? GM_READ_KERNEL : 0);
	if (f < 0)
		return f;
	n = maps_lines(ps, f, false);
	if (n >= 0 && f < ps->fd_limit)
		*kept = f;
	else
		close(f);
	return n < 0 ? (int)n : 0;
}

/*
 * Only for a process that holds something (of the others the walk reads
 * nothing but their fds).  A --root tree may have none (ENOENT): the uid
 * and parent are unknown then; live, ENOENT is a process that exited.
 */
static int read_status(struct pid_scan *ps)
{
	int err;

	if (!ps->nr_fds && !ps->maps->len)
		return 0;
	err = gm_read_status_at(ps->piddir, "status", ps->aux,
				ps->live ? GM_READ_KERNEL : 0, &ps->status,
				&ps->st->malformed_lines);
	return err == -ENOENT && !ps->live ? 0 : err;
}

/* What was read of a process, now that all of it was, to the sink. */
static int hand_out(struct pid_scan *ps)
{
	size_t i;
	int err;

	for (i = 0; i < ps->nr_fds; i++) {
		err = hand_out_fd(ps, &ps->fds[i]);
		if (err)
			return err;
	}
	if (!ps->maps->len)
		return 0;
	return gm_maps_parse(ps->maps->buf, ps->maps->len, map_cb, ps,
			     &ps->st->malformed_lines);
}

/*
 * Gone, denied and unreadable are counted, not errors: one process's bad
 * file costs that process only.  Only running out of memory ends the scan.
 */
static int account(struct pid_scan *ps, int err)
{
	if (!err)
		ps->st->processes++;
	else if (gm_is_gone(err))
		ps->st->vanished++;
	else if (err == -ENOMEM)
		return err;
	else
		ps->st->unreadable_processes++;
	ps->odd += err && !gm_is_gone(err) && !gm_is_denied(err);
	return 0;
}

static void start_pid(struct pid_scan *ps, pid_t pid)
{
	drop_held(ps);
	ps->pid = pid;
	ps->status = (struct gm_status){ GPUMEM_UID_UNKNOWN,
					 GPUMEM_PID_UNKNOWN };
	ps->announced = false;
	ps->nr_fds = 0;
	ps->held->len = 0;
	ps->maps->len = 0;
	ps->st->listed++;
}

/* Kept for the refresh only where there are dma-buf mappings to re-read. */
static int full_walk_maps(struct pid_scan *ps)
{
	int kept = ps->idx ? gm_index_take(ps->idx, ps->pid, GM_INDEX_MAPS) :
		   -1;
	int err = read_maps(ps, &kept);

	if (kept >= 0 && (err || !ps->maps->len)) {
		close(kept);
		kept = -1;
	}
	ps->maps_kept = kept;
	return err;
}

/* One process: its fds, then its maps, then all of it to the sink. */
static int scan_pid(struct pid_scan *ps, pid_t pid)
{
	char name[16];
	int err;

	start_pid(ps, pid);
	snprintf(name, sizeof(name), "%d", (int)pid);
	ps->piddir = openat(ps->procfd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
	if (ps->piddir < 0)
		return account(ps, -errno);
	ps->at = ps->piddir;
	err = scan_fds(ps);
	if (!err)
		err = full_walk_maps(ps);
	if (!err)
		err = read_status(ps);
	if (err) {
		err = account(ps, err);
	} else {
		account(ps, 0);
		err = hand_out(ps);	/* comm is read from piddir */
	}
	close(ps->piddir);
	return err;
}

/*
 * An indexed process, through /proc/PID/... paths (no directory to open):
 * its indexed fds from *next on, then its maps if it had mapped a dma-buf.
 */
static int rescan_pid(struct pid_scan *ps, struct gm_index *idx,
		      size_t *next, struct gm_index_pid *p)
{
	int err = 0;

	start_pid(ps, p->pid);
	ps->comm = p->comm;
	ps->status = p->status;
	snprintf(ps->prefix, sizeof(ps->prefix), "%d/", (int)p->pid);
	for (; *next < idx->nr && idx->fds[*next].pid == p->pid; (*next)++) {
		struct gm_index_fd *f = &idx->fds[*next];

		if (!err)
			err = read_fdinfo(ps, f->fd, f->kind, f->minor, f->ino,
					  &f->kept);
	}
	if (!err && p->maps)
		err = read_maps(ps, &p->maps_kept);
	if (err) {
		ps->stale = true;
		return account(ps, err);
	}
	account(ps, 0);
	return hand_out(ps);
}

/* The texts of one scan: an fdinfo or maps chunk, comm, held, maps. */
struct scan_texts {
	struct gm_text t[4];
};

static void pid_scan_init(struct pid_scan *ps, int procfd, bool live,
			  const struct gm_scan_sink *s,
			  struct gpumem_scan_stats *st, struct scan_texts *tx,
			  const struct gm_index *idx)
{
	memset(ps, 0, sizeof(*ps));
	memset(tx, 0, sizeof(*tx));
	ps->fd_limit = idx && idx->keep ? gm_index_fd_limit() : 0;
	ps->maps_kept = -1;
	ps->procfd = procfd;
	ps->live = live;
	ps->sink = s;
	ps->st = st;
	ps->text = &tx->t[0];
	ps->aux = &tx->t[1];
	ps->held = &tx->t[2];
	ps->maps = &tx->t[3];
}

static void pid_scan_free(struct pid_scan *ps, unsigned int *odd)
{
	drop_held(ps);
	gm_text_free(ps->text);
	gm_text_free(ps->aux);
	gm_text_free(ps->held);
	gm_text_free(ps->maps);
	free(ps->fds);
	if (odd)
		*odd = ps->odd;
}

int gm_proc_scan(int procfd, bool live, const struct gm_scan_sink *s,
		 struct gpumem_scan_stats *st, struct gm_index *idx,
		 unsigned int *odd)
{
	struct scan_texts tx;
	struct pid_scan ps;
	struct dirent *de;
	DIR *dir;
	int err;

	pid_scan_init(&ps, procfd, live, s, st, &tx, idx);
	ps.idx = idx;
	err = gm_opendir_at(procfd, ".", &dir);
	if (err)
		return err;
	while (!err && (de = readdir(dir))) {
		uint64_t pid;

		if (gm_parse_name_u64(de->d_name, INT32_MAX, &pid) || !pid)
			continue;
		err = scan_pid(&ps, (pid_t)pid);
	}
	closedir(dir);
	pid_scan_free(&ps, odd);
	return err;
}

/*
 * The refresh path: only the indexed fds' fdinfo and the indexed processes'
 * maps are read; no getdents, no readlink.  New processes and new fds are
 * not seen: the caller re-indexes now and then, and at once when *stale.
 */
int gm_proc_rescan(int procfd, bool live, struct gm_index *idx,
		   const struct gm_scan_sink *s, struct gpumem_scan_stats *st,
		   bool *stale, unsigned int *odd)
{
	struct scan_texts tx;
	struct pid_scan ps;
	size_t i, next = 0;
	int err = 0;

	pid_scan_init(&ps, procfd, live, s, st, &tx, idx);
	ps.at = procfd;
	for (i = 0; !err && i < idx->nr_pids; i++)
		err = rescan_pid(&ps, idx, &next, &idx->pids[i]);
	pid_scan_free(&ps, odd);
	*stale = ps.stale;
	return err;
}

/* A full walk (recording the index when there is one), or a refresh. */
static int read_proc(struct gm_source_ctx *ctx, struct gpumem_source_status *st)
{
	const struct gm_scan_sink *sink = ctx->feed->holders;
	struct gpumem_scan_stats *s = ctx->stats;
	unsigned int odd = 0;
	char why[96] = "";
	int err;

	if (ctx->holders_found) {
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "the task_file iterator "
			      "found the holders");
		return 0;
	}
	s->discovery = GPUMEM_DISCOVERY_PROC;
	if (ctx->refresh && ctx->idx) {
		s->refreshed = true;
		s->discovery = ctx->idx->discovery;
		err = gm_proc_rescan(ctx->procfd, ctx->live, ctx->idx, sink, s,
				     &ctx->stale, &odd);
	} else {
		if (ctx->idx) {
			gm_index_begin(ctx->idx);
			ctx->idx->discovery = GPUMEM_DISCOVERY_PROC;
		}
		err = gm_proc_scan(ctx->procfd, ctx->live, sink, s, ctx->idx,
				   &odd);
		if (ctx->idx)
			gm_index_end(ctx->idx);
	}
	if (err)
		return err;
	if (odd)
		snprintf(why, sizeof(why), " (%u with a file not as the kernel "
			 "writes it%s)", odd, odd < s->unreadable_processes ?
			 "; the others: run as root" : "");
	else if (s->unreadable_processes)
		snprintf(why, sizeof(why), " (run as root)");
	gm_source_say(st, s->unreadable_processes ? GPUMEM_SOURCE_DENIED :
		      GPUMEM_SOURCE_FOUND, "%u processes read, %u not readable"
		      "%s, %u exited meanwhile%s", s->processes,
		      s->unreadable_processes, why, s->vanished,
		      s->refreshed ? "; a refresh of the index" : "");
	return 0;
}

const struct gm_source gm_src_proc_walk = {
	.name = "proc",
	.what = "process fds (/proc)",
	/* With each process holding something: what the parsers read. */
	.cap = GM_CAP_PROCESSES,
	.read = read_proc,
};
