// SPDX-License-Identifier: MIT
/*
 * dma-buf fdinfo: fs/proc/fd.c prints pos/flags/mnt_id/ino (and any
 * lock: lines), then dma_buf_show_fdinfo() adds size, count, exp_name and,
 * last, when set through DMA_BUF_SET_NAME, name.
 */
#include <string.h>

#include "sources.h"

static bool key_is(const char *key, size_t klen, const char *want)
{
	return strlen(want) == klen && !memcmp(key, want, klen);
}

/*
 * The name is whatever follows "name:" to the end: the kernel prints it
 * last, and DMA_BUF_SET_NAME lets a user put "\nino:\t<victim>\nsize:\t..."
 * in it, which must not read as another buffer's keys.
 */
static void take_name(struct gpumem_dmabuf *b, const char *val,
		      const char *end)
{
	if (end > val && end[-1] == '\n')
		end--;
	while (end > val && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	gm_copy_field(b->name, sizeof(b->name), val, (size_t)(end - val));
}

enum { HAVE_SIZE = 1, HAVE_INO = 2, HAVE_EXP = 4 };

/* A key the kernel prints once: the first one is the kernel's. */
static bool first(unsigned int *seen, unsigned int bit)
{
	bool was = *seen & bit;

	*seen |= bit;
	return !was;
}

int gm_dmabuf_fdinfo_parse(const char *text, size_t len,
			   struct gpumem_dmabuf *b, unsigned int *malformed)
{
	const char *line, *key, *val;
	size_t pos = 0, llen, klen, vlen;
	unsigned int seen = 0, have = 0;

	while (gm_next_line(text, len, &pos, &line, &llen)) {
		if (!gm_key_value(line, llen, &key, &klen, &val, &vlen))
			continue;
		if (key_is(key, klen, "size") && first(&seen, HAVE_SIZE)) {
			if (!gm_parse_u64_all(val, vlen, &b->size))
				have |= HAVE_SIZE;
			*malformed += !(have & HAVE_SIZE);
		} else if (key_is(key, klen, "ino") && first(&seen, HAVE_INO)) {
			if (!gm_parse_u64_all(val, vlen, &b->ino))
				have |= HAVE_INO;
			*malformed += !(have & HAVE_INO);
		} else if (key_is(key, klen, "exp_name") &&
			   first(&seen, HAVE_EXP)) {
			if (vlen)
				have |= HAVE_EXP;
			gm_copy_field(b->exporter, sizeof(b->exporter), val, vlen);
		} else if (key_is(key, klen, "name")) {
			take_name(b, val, text + len);
			break;
		}
	}
	return have == (HAVE_SIZE | HAVE_INO | HAVE_EXP);
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
