// SPDX-License-Identifier: MIT
/*
 * Every dma-buf through the BPF dma-buf iterator (iter/dmabuf, Linux
 * 6.16+; bpf/dmabuf_iter.bpf.c), including those only the kernel holds:
 * what /sys/kernel/dmabuf/buffers gave, which is being removed from the
 * kernel.  Preferred where it loads; dmabuf_sysfs.c is the fallback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/libbpf.h>
#include <linux/types.h>

#include "sources.h"
#include "../../bpf/gm_iter.h"
#include "dmabuf_iter.skel.h"

struct gm_dmabuf_iter {
	struct dmabuf_iter_bpf *skel;
	struct bpf_link *link;
};

int gm_dmabuf_iter_parse(const void *buf, size_t len, gm_sysfs_buf_fn fn,
			 void *ctx, unsigned int *malformed)
{
	size_t i, nr = len / sizeof(struct gm_iter_dmabuf);
	int err = 0;

	if (len % sizeof(struct gm_iter_dmabuf))
		(*malformed)++;
	for (i = 0; !err && i < nr; i++) {
		struct gpumem_dmabuf b = { .struct_size = sizeof(b) };
		struct gm_iter_dmabuf r;

		memcpy(&r, (const char *)buf + i * sizeof(r), sizeof(r));
		if (r.version != GM_ITER_VERSION || !r.ino) {
			(*malformed)++;
			continue;
		}
		b.ino = r.ino;
		b.size = r.size;
		gm_copy_field(b.exporter, sizeof(b.exporter), r.exporter,
			      strnlen(r.exporter, sizeof(r.exporter)));
		gm_copy_field(b.name, sizeof(b.name), r.name,
			      strnlen(r.name, sizeof(r.name)));
		err = fn(&b, ctx);
	}
	return err;
}

static struct gm_iter_slot dmabuf_slot = GM_ITER_SLOT_INIT;

static void dmabuf_iter_free(struct gm_dmabuf_iter *it)
{
	if (!it)
		return;
	bpf_link__destroy(it->link);
	dmabuf_iter_bpf__destroy(it->skel);
	free(it);
}

/*
 * Before 6.16 the load would fail, but only after libbpf has parsed the
 * kernel's BTF (most of a load's cost): not tried there.
 */
static bool too_old(void)
{
	struct utsname u;
	int major, minor;

	return !uname(&u) && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	       (major < 6 || (major == 6 && minor < 16));
}

static int load(void **out)
{
	struct gm_dmabuf_iter *it;
	int err;

	if (too_old())
		return -ESRCH;
	it = calloc(1, sizeof(*it));
	err = it ? 0 : -ENOMEM;

	gm_libbpf_quiet(true);
	if (!err) {
		it->skel = dmabuf_iter_bpf__open_and_load();
		err = it->skel ? 0 : -errno;
	}
	if (!err) {
		it->link = bpf_program__attach_iter(it->skel->progs.gm_dmabufs,
						    NULL);
		err = it->link ? 0 : -errno;
	}
	gm_libbpf_quiet(false);
	if (err) {
		dmabuf_iter_free(it);
		return err;
	}
	*out = it;
	return 0;
}

/* Counts the buffers on their way to the model. */
struct counted {
	gm_sysfs_buf_fn fn;
	void *ctx;
	unsigned int nr;
};

static int count_one(const struct gpumem_dmabuf *b, void *ctx)
{
	struct counted *c = ctx;

	c->nr++;
	return c->fn(b, c->ctx);
}

static void say_not_loaded(struct gpumem_source_status *st, int err)
{
	/* Before 6.16, or no bpf_iter_dmabuf in the kernel's BTF: ESRCH. */
	if (err == -ESRCH || err == -ENOENT)
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no iter/dmabuf in "
			      "this kernel (Linux 6.16+): dma-buf sysfs instead");
	else if (gm_is_denied(err))
		gm_source_say(st, GPUMEM_SOURCE_DENIED, "needs CAP_BPF and "
			      "CAP_PERFMON: dma-buf sysfs instead");
	else
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "did not load (%s): "
			      "dma-buf sysfs instead", strerror(-err));
}

static int list_buffers(struct gm_source_ctx *ctx, struct gm_dmabuf_iter *it,
			struct gpumem_source_status *st)
{
	const struct gm_feed *f = ctx->feed;
	struct counted c = { f->buffer, f->ctx, 0 };
	struct gm_text t = { 0 };
	int err = gm_iter_read(bpf_link__fd(it->link), &t);

	gm_iter_unlock(&dmabuf_slot);
	if (err && err != -ENOMEM) {
		gm_text_free(&t);
		gm_source_err(st, err, "the dma-buf iterator");
		return 0;
	}
	if (!err)
		err = gm_dmabuf_iter_parse(t.buf, t.len, count_one, &c,
					   &ctx->stats->malformed_lines);
	gm_text_free(&t);
	if (err)
		return err;
	f->all_buffers(f->ctx);
	ctx->buffers_listed = true;
	gm_source_say(st, GPUMEM_SOURCE_FOUND, "iter/dmabuf: %u buffers",
		      c.nr);
	return 0;
}

static int read_dmabuf_iter(struct gm_source_ctx *ctx,
			    struct gpumem_source_status *st)
{
	struct gm_dmabuf_iter *it;
	int err;

	if (!ctx->live) {
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "not the live system: "
			      "the tree's dma-buf sysfs is read");
		return 0;
	}
	err = gm_iter_lock(&dmabuf_slot, load, (void **)&it);
	if (err) {
		say_not_loaded(st, err);
		return 0;
	}
	return list_buffers(ctx, it, st);	/* unlocks */
}

const struct gm_source gm_src_dmabuf_iter = {
	.name = "dmabuf-iter",
	.what = "dma-bufs (BPF iter)",
	/* A capture copies the sysfs list, which --root then reads. */
	.cap = GM_CAP_NONE,
	.read = read_dmabuf_iter,
};
