// SPDX-License-Identifier: MIT
/*
 * A recorded series: a directory whose subdirectories are captures (each a
 * root with proc/, as gpumem --capture writes them), replayed one per
 * sample in the order of their names (version order: 2 before 10).  The
 * directory is someone else's: only real subdirectories count, none is
 * reached through a symlink, and a capture that cannot be read costs only
 * its own sample.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"

/* A bound on what an odd directory can make us hold. */
#define GM_SERIES_MAX 100000

static bool is_capture(int dirfd, const char *name)
{
	struct stat st;
	int fd;
	bool ok;

	if (name[0] == '.')
		return false;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = !fstatat(fd, "proc", &st, AT_SYMLINK_NOFOLLOW) &&
	     S_ISDIR(st.st_mode);
	close(fd);
	return ok;
}

static int by_version(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

static int add_name(struct gm_series *sr, size_t *cap, const char *name)
{
	int err;

	if (sr->nr >= GM_SERIES_MAX)
		return -E2BIG;
	err = gm_grow((void **)&sr->names, cap, sr->nr + 1,
		      sizeof(*sr->names));
	if (err)
		return err;
	sr->names[sr->nr] = strdup(name);
	if (!sr->names[sr->nr])
		return -ENOMEM;
	sr->nr++;
	return 0;
}

static int list_captures(struct gm_series *sr, int dirfd)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *dir;
	int err = gm_opendir_at(dirfd, ".", &dir);

	while (!err && (de = readdir(dir))) {
		if (is_capture(dirfd, de->d_name))
			err = add_name(sr, &cap, de->d_name);
	}
	if (dir)
		closedir(dir);
	if (!err && sr->nr)
		qsort(sr->names, sr->nr, sizeof(*sr->names), by_version);
	return err;
}

/* A root with proc/ of its own, or with no capture in it, is no series. */
int gm_series_open(const char *root, struct gm_series **out)
{
	struct gm_series *sr;
	struct stat st;
	int fd, err;

	*out = NULL;
	if (!root || !strcmp(root, "/"))
		return 0;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !fstatat(fd, "proc", &st, AT_SYMLINK_NOFOLLOW)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	sr = calloc(1, sizeof(*sr));
	err = sr ? list_captures(sr, fd) : -ENOMEM;
	close(fd);
	if (!err && sr->nr) {
		sr->root = strdup(root);
		err = sr->root ? 0 : -ENOMEM;
	}
	if (err || !sr->nr) {
		gm_series_free(sr);
		return err;
	}
	*out = sr;
	return 0;
}

int gm_series_next(struct gm_series *sr, char *path, size_t size)
{
	int n;

	if (sr->next >= sr->nr)
		return -ENODATA;
	n = snprintf(path, size, "%s/%s", sr->root, sr->names[sr->next++]);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void gm_series_free(struct gm_series *sr)
{
	size_t i;

	if (!sr)
		return;
	for (i = 0; i < sr->nr; i++)
		free(sr->names[i]);
	free(sr->names);
	free(sr->root);
	free(sr);
}
