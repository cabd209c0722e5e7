// SPDX-License-Identifier: MIT
/*
 * "Key:   value kB" lists: /proc/meminfo (fs/proc/meminfo.c,
 * meminfo_proc_show(): show_val_kb() and a few seq_printf()s) and the body
 * of /proc/PID/smaps_rollup (fs/proc/task_mmu.c, __show_smap()).  Fields
 * come and go between kernel versions and configs: every field is kept, none
 * is required here.  A line that is not "Key: N" or "Key: N kB" makes the
 * whole text malformed: a partial meminfo would make a wrong partition.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "N" or "N kB" exactly, with no blanks left over. */
static int parse_value(const char *v, size_t len, uint64_t *bytes, bool *kb)
{
	uint64_t n = 0;
	size_t i = 0;

	if (!len || v[0] < '0' || v[0] > '9')
		return -EINVAL;
	for (; i < len && v[i] >= '0' && v[i] <= '9'; i++) {
		unsigned int d = v[i] - '0';

		if (n > (UINT64_MAX - d) / 10)
			return -ERANGE;
		n = n * 10 + d;
	}
	*kb = false;
	if (i < len) {
		if (len - i != 3 || memcmp(v + i, " kB", 3))
			return -EINVAL;
		if (n > UINT64_MAX / 1024)
			return -ERANGE;
		n *= 1024;
		*kb = true;
	}
	*bytes = n;
	return 0;
}

static int parse_line(const char *line, size_t len, struct gm_kv *out)
{
	const char *colon = memchr(line, ':', len);
	size_t klen, i;

	if (!colon || colon == line)
		return -EINVAL;
	klen = (size_t)(colon - line);
	if (klen >= sizeof(out->key))
		return -EINVAL;
	for (i = 0; i < klen; i++) {
		if (blank(line[i]) || line[i] == '\0')
			return -EINVAL;
	}
	memcpy(out->key, line, klen);
	out->key[klen] = '\0';
	for (i = klen + 1; i < len && blank(line[i]); i++)
		;
	return parse_value(line + i, len - i, &out->bytes, &out->kb);
}

int gm_kv_parse(const char *text, size_t len, bool skip_header,
		struct gm_kvs *kvs, unsigned int *bad_line)
{
	const char *line;
	size_t pos = 0, line_len;
	unsigned int n = 0;
	struct gm_kv kv;

	kvs->nr = 0;
	while (gm_next_line(text, len, &pos, &line, &line_len)) {
		int err;

		if (++n == 1 && skip_header)
			continue;
		err = parse_line(line, line_len, &kv);
		if (!err && gm_kv_find(kvs, kv.key))
			err = -EINVAL;	/* the kernel never repeats a field */
		if (!err)
			err = gm_grow((void **)&kvs->v, &kvs->cap, kvs->nr + 1,
				      sizeof(*kvs->v));
		if (err) {
			*bad_line = n;
			return err == -ENOMEM ? err : -EBADMSG;
		}
		kvs->v[kvs->nr++] = kv;
	}
	if (!kvs->nr) {
		*bad_line = 0;
		return -EBADMSG;
	}
	return 0;
}

/* Linear: meminfo has about 60 fields and is parsed once. */
const struct gm_kv *gm_kv_find(const struct gm_kvs *kvs, const char *key)
{
	size_t i;

	for (i = 0; i < kvs->nr; i++) {
		if (!strcmp(kvs->v[i].key, key))
			return &kvs->v[i];
	}
	return NULL;
}

uint64_t gm_kv_get(const struct gm_kvs *kvs, const char *key)
{
	const struct gm_kv *kv = gm_kv_find(kvs, key);

	return kv ? kv->bytes : 0;
}

void gm_kvs_free(struct gm_kvs *kvs)
{
	free(kvs->v);
	memset(kvs, 0, sizeof(*kvs));
}

/* What gpumem explain reads; a snapshot says so and reads nothing here. */
void gm_explain_only(const struct gpumem_snapshot *s,
		     struct gpumem_source_status *st)
{
	(void)s;
	gm_source_say(st, GPUMEM_SOURCE_UNUSED, "read by gpumem explain");
}

static int read_meminfo(struct gm_source_ctx *ctx,
			struct gpumem_source_status *st)
{
	struct gm_explain_in *in = ctx->feed->explain;
	struct gm_text t = { 0 };
	unsigned int bad = 0;
	int err = gm_read_at(ctx->procfd, "meminfo", &t);

	if (!err)
		err = gm_kv_parse(t.buf, t.len, false, &in->mi, &bad);
	gm_text_free(&t);
	if (err == -EBADMSG)
		return gm_explain_why(in, err, "meminfo: malformed line %u",
				      bad);
	if (err)
		return gm_explain_why(in, err, "meminfo: %s", strerror(-err));
	if (!gm_kv_find(&in->mi, "MemTotal"))
		return gm_explain_why(in, -EBADMSG, "meminfo: no MemTotal");
	gm_source_say(st, GPUMEM_SOURCE_FOUND, "%zu fields", in->mi.nr);
	return 0;
}

const struct gm_source gm_src_meminfo = {
	.name = "meminfo",
	.what = "/proc/meminfo",
	.use = GM_USE_EXPLAIN,
	.cap = GM_CAP_FILES,
	.cap_files = (const char *const[]){ "proc/meminfo", NULL },
	.read = read_meminfo,
	.status = gm_explain_only,
};
