// SPDX-License-Identifier: MIT
/*
 * CONFIG_DMABUF_SYSFS_STATS: /sys/kernel/dmabuf/buffers/<ino>/{size,
 * exporter_name}.  Unlike /proc, it also lists buffers only the kernel holds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sources.h"

static int read_one(int dirfd, const char *name, struct gm_text *t,
		    struct gpumem_dmabuf *b)
{
	char path[300];		/* a d_name and a file name */
	int err;

	snprintf(path, sizeof(path), "%s/size", name);
	err = gm_read_record_at(dirfd, path, t);
	if (err)
		return err;
	if (gm_parse_u64_all(t->buf, t->len, &b->size))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/exporter_name", name);
	err = gm_read_record_at(dirfd, path, t);
	if (err)
		return err;
	while (t->len && t->buf[t->len - 1] == '\n')
		t->len--;
	gm_copy_field(b->exporter, sizeof(b->exporter), t->buf, t->len);
	return 0;
}

int gm_dmabuf_sysfs_scan(int sysfd, gm_sysfs_buf_fn fn, void *ctx,
			 unsigned int *malformed)
{
	struct gm_text t = { 0 };
	struct dirent *de;
	DIR *dir;
	int fd, err;

	err = gm_opendir_at(sysfd, "kernel/dmabuf/buffers", &dir);
	if (err)
		return err;
	fd = dirfd(dir);
	while (!err && (de = readdir(dir))) {
		struct gpumem_dmabuf b = { 0 };
		int ret;

		if (de->d_name[0] == '.')
			continue;
		if (gm_parse_name_u64(de->d_name, UINT64_MAX, &b.ino)) {
			(*malformed)++;
			continue;
		}
		ret = read_one(fd, de->d_name, &t, &b);
		if (ret == -ENOENT)
			continue;	/* freed while we looked */
		if (ret) {
			(*malformed)++;
			continue;
		}
		err = fn(&b, ctx);
	}
	closedir(dir);
	gm_text_free(&t);
	return err;
}

static int read_dmabuf_sysfs(struct gm_source_ctx *ctx,
			     struct gpumem_source_status *st)
{
	const struct gm_feed *f = ctx->feed;
	int err;

	if (ctx->buffers_listed) {
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "the dma-buf iterator "
			      "listed the buffers");
		return 0;
	}
	if (ctx->sysfd < 0) {
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no sys in the root");
		return 0;
	}
	err = gm_dmabuf_sysfs_scan(ctx->sysfd, f->buffer, f->ctx,
				   &ctx->stats->malformed_lines);
	if (err == -ENOENT || gm_is_denied(err)) {
		gm_source_err(st, err, "/sys/kernel/dmabuf/buffers "
			      "(CONFIG_DMABUF_SYSFS_STATS): buffers no process "
			      "holds are invisible");
		return 0;
	}
	if (!err) {
		f->all_buffers(f->ctx);
		gm_source_say(st, GPUMEM_SOURCE_FOUND,
			      "/sys/kernel/dmabuf/buffers");
	}
	return err;
}

const struct gm_source gm_src_dmabuf_sysfs = {
	.name = "dmabuf-sysfs",
	.what = "dma-buf sysfs",
	.cap = GM_CAP_DMABUF_SYSFS,
	.read = read_dmabuf_sysfs,
};
