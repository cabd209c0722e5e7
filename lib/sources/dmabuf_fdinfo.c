// SPDX-License-Identifier: MIT
/*
 * dma-buf fdinfo: fs/proc/fd.c prints pos/flags/mnt_id/ino, then
 * dma_buf_show_fdinfo() adds size, count, exp_name and, when set through
 * DMA_BUF_SET_NAME, name.
 */
#include <string.h>

#include "sources.h"

static bool key_is(const char *key, size_t klen, const char *want)
{
	return strlen(want) == klen && !memcmp(key, want, klen);
}

int gm_dmabuf_fdinfo_parse(const char *text, size_t len,
			   struct gpumem_dmabuf *b, unsigned int *malformed)
{
	const char *line, *key, *val;
	size_t pos = 0, llen, klen, vlen;
	bool have_size = false, have_ino = false, have_exp = false;

	while (gm_next_line(text, len, &pos, &line, &llen)) {
		if (!gm_key_value(line, llen, &key, &klen, &val, &vlen))
			continue;
		if (key_is(key, klen, "size")) {
			have_size = !gm_parse_u64_all(val, vlen, &b->size);
			*malformed += !have_size;
		} else if (key_is(key, klen, "ino")) {
			have_ino = !gm_parse_u64_all(val, vlen, &b->ino);
			*malformed += !have_ino;
		} else if (key_is(key, klen, "exp_name")) {
			have_exp = vlen > 0;
			gm_copy_field(b->exporter, sizeof(b->exporter), val, vlen);
		} else if (key_is(key, klen, "name")) {
			gm_copy_field(b->name, sizeof(b->name), val, vlen);
		}
	}
	return have_size && have_ino && have_exp;
}

static void dmabuf_fdinfo_status(const struct gpumem_snapshot *s,
				 struct gpumem_source_status *st)
{
	gm_say_dmabufs(s, st, offsetof(struct gpumem_dmabuf, fd_held),
		       "held by an fd");
}

const struct gm_source gm_src_dmabuf_fdinfo = {
	.name = "dmabuf-fdinfo",
	.what = "dma-buf fdinfo",
	.status = dmabuf_fdinfo_status,
};
