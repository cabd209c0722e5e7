// SPDX-License-Identifier: MIT
/* Fake /proc and /sys trees for the model tests; see fixture.h. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "output/fields.h"

static void path_of(struct fx *f, char *out, size_t size, const char *path)
{
	int n = snprintf(out, size, "%s/%s", f->root, path);

	assert_true(n > 0 && (size_t)n < size);
}

/* mkdir -p of the parent directories of root/path. */
static void make_parents(struct fx *f, const char *path)
{
	char full[PATH_MAX];
	char *p;

	path_of(f, full, sizeof(full), path);
	for (p = full + strlen(f->root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(full, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", full, strerror(errno));
		*p = '/';
	}
}

static void make_dir(struct fx *f, const char *path)
{
	char full[PATH_MAX];

	make_parents(f, path);
	path_of(f, full, sizeof(full), path);
	if (mkdir(full, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", full, strerror(errno));
}

void fx_init(struct fx *f)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(f->root, sizeof(f->root), "%s/gpumem-test-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->root));
	/* Readable by an unprivileged uid too (see the EACCES test). */
	assert_int_equal(chmod(f->root, 0755), 0);
	make_dir(f, "proc");
	make_dir(f, "sys");
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		return rmdir(path);
	return unlink(path);
}

static int unlock_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0755);
	else if (flag == FTW_F && !(st->st_mode & S_IRUSR))
		chmod(path, 0644);
	return 0;
}

void fx_cleanup(struct fx *f)
{
	if (!f->root[0])
		return;
	nftw(f->root, unlock_one, 16, FTW_PHYS);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	f->root[0] = '\0';
}

int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fx_init(f);
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	fx_cleanup(*state);
	free(*state);
	return 0;
}

/* root/path opened for writing, its parents made. */
static FILE *create(struct fx *f, const char *path)
{
	char full[PATH_MAX];
	FILE *fp;

	make_parents(f, path);
	path_of(f, full, sizeof(full), path);
	fp = fopen(full, "w");
	if (!fp)
		fail_msg("fopen %s: %s", full, strerror(errno));
	return fp;
}

void fx_write(struct fx *f, const char *path, const char *fmt, ...)
{
	FILE *fp = create(f, path);
	va_list ap;

	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(fp), 0);
}

void fx_symlink(struct fx *f, const char *path, const char *target)
{
	char full[PATH_MAX];

	make_parents(f, path);
	path_of(f, full, sizeof(full), path);
	if (symlink(target, full))
		fail_msg("symlink %s: %s", full, strerror(errno));
}

void fx_chmod(struct fx *f, const char *path, mode_t mode)
{
	char full[PATH_MAX];

	path_of(f, full, sizeof(full), path);
	assert_int_equal(chmod(full, mode), 0);
}

void fx_remove(struct fx *f, const char *path)
{
	char full[PATH_MAX];

	path_of(f, full, sizeof(full), path);
	assert_int_equal(remove(full), 0);
}

void fx_dir(struct fx *f, const char *path)
{
	make_dir(f, path);
}

void fx_fifo(struct fx *f, const char *path)
{
	char full[PATH_MAX];

	make_parents(f, path);
	path_of(f, full, sizeof(full), path);
	if (mkfifo(full, 0644))
		fail_msg("mkfifo %s: %s", full, strerror(errno));
}

void fx_sparse(struct fx *f, const char *path, off_t size, const char *tail)
{
	FILE *fp = create(f, path);

	assert_int_equal(fseeko(fp, size, SEEK_SET), 0);
	assert_true(fputs(tail, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

void fx_process(struct fx *f, pid_t pid, const char *comm)
{
	char path[64];

	snprintf(path, sizeof(path), "proc/%d/comm", (int)pid);
	fx_write(f, path, "%s\n", comm);
	snprintf(path, sizeof(path), "proc/%d/maps", (int)pid);
	fx_write(f, path, "%s", "");
	snprintf(path, sizeof(path), "proc/%d/fd", (int)pid);
	make_dir(f, path);
	snprintf(path, sizeof(path), "proc/%d/fdinfo", (int)pid);
	make_dir(f, path);
}

void fx_fd(struct fx *f, pid_t pid, int fd, const char *target,
	   const char *fdinfo)
{
	char path[64];

	snprintf(path, sizeof(path), "proc/%d/fd/%d", (int)pid, fd);
	fx_symlink(f, path, target);
	snprintf(path, sizeof(path), "proc/%d/fdinfo/%d", (int)pid, fd);
	fx_write(f, path, "%s", fdinfo);
}

void fx_maps(struct fx *f, pid_t pid, const char *maps)
{
	char path[64];

	snprintf(path, sizeof(path), "proc/%d/maps", (int)pid);
	fx_write(f, path, "%s", maps);
}

void fx_card(struct fx *f, int card, int render, const char *devpath,
	     const char *uevent)
{
	char path[PATH_MAX], target[PATH_MAX];

	snprintf(path, sizeof(path), "sys/devices/%s/uevent", devpath);
	fx_write(f, path, "%s", uevent);
	/* from sys/class/drm/cardN/ up to sys/ */
	snprintf(target, sizeof(target), "../../../devices/%s", devpath);
	snprintf(path, sizeof(path), "sys/class/drm/card%d/device", card);
	fx_symlink(f, path, target);
	snprintf(path, sizeof(path), "sys/class/drm/card%d/dev", card);
	fx_write(f, path, "226:%d\n", card);
	if (render >= 0) {
		snprintf(path, sizeof(path), "sys/class/drm/renderD%d/device",
			 render);
		fx_symlink(f, path, target);
	}
}

void fx_sysfs_buf(struct fx *f, uint64_t ino, const char *size,
		  const char *exporter)
{
	char path[128];

	snprintf(path, sizeof(path), "sys/kernel/dmabuf/buffers/%" PRIu64
		 "/size", ino);
	fx_write(f, path, "%s", size);
	snprintf(path, sizeof(path), "sys/kernel/dmabuf/buffers/%" PRIu64
		 "/exporter_name", ino);
	fx_write(f, path, "%s\n", exporter);
}

struct gpumem_snapshot *fx_snapshot(struct fx *f, pid_t pid, int want_err)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT, .root = f->root,
				    .pid = pid };
	struct gpumem_snapshot *s = NULL;

	assert_int_equal(gpumem_snapshot_take(&opts, &s), want_err);
	if (!want_err)
		assert_non_null(s);
	return s;
}

const struct gpumem_process *fx_proc(const struct gpumem_snapshot *s,
				     pid_t pid)
{
	const struct gpumem_process *p;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		if (p[i].pid == pid)
			return &p[i];
	}
	fail_msg("no process %d", (int)pid);
	return NULL;
}

const struct gpumem_client *fx_client(const struct gpumem_snapshot *s,
				      int minor, uint64_t client_id)
{
	const struct gpumem_client *c;
	size_t i, nr;

	c = gpumem_clients(s, &nr);
	for (i = 0; i < nr; i++) {
		if (c[i].minor == minor && c[i].has_client_id &&
		    c[i].client_id == client_id)
			return &c[i];
	}
	fail_msg("no client %" PRIu64 " on minor %d", client_id, minor);
	return NULL;
}

const struct gpumem_dmabuf *fx_buf(const struct gpumem_snapshot *s,
				   uint64_t ino)
{
	const struct gpumem_dmabuf *b;
	size_t i, nr;

	b = gpumem_dmabufs(s, &nr);
	for (i = 0; i < nr; i++) {
		if (b[i].ino == ino)
			return &b[i];
	}
	fail_msg("no dma-buf %" PRIu64, ino);
	return NULL;
}

const struct gpumem_device *fx_device(const struct gpumem_snapshot *s,
				      int card)
{
	const struct gpumem_device *d;
	size_t i, nr;

	d = gpumem_devices(s, &nr);
	for (i = 0; i < nr; i++) {
		if (d[i].index == card)
			return &d[i];
	}
	fail_msg("no device card%d", card);
	return NULL;
}

const struct gpumem_source_status *fx_source(const struct gpumem_snapshot *s,
					     const char *name)
{
	const struct gpumem_source_status *st = gm_source_named(s, name);

	if (!st)
		fail_msg("no source %s", name);
	return st;
}
