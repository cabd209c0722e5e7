// SPDX-License-Identifier: MIT
/*
 * /proc/zoneinfo: the pages on the per-cpu free lists.  mm/page_alloc.c
 * takes pages off NR_FREE_PAGES (account_freepages()) when it moves them
 * from the buddy lists to a per-cpu list, and free_unref_page_commit() puts
 * freed pages there without adding them back: they are free, yet in no line
 * of /proc/meminfo.  zoneinfo_show_print() (mm/vmstat.c) prints each list
 * as "count: N" under "pagesets", once per CPU and zone.
 */
#include <errno.h>
#include <string.h>

#include "sources.h"

int gm_zoneinfo_pcp_pages(const char *text, size_t len, uint64_t *pages,
			  unsigned int *bad_line)
{
	const char *line;
	size_t pos = 0, line_len;
	unsigned int n = 0;
	uint64_t sum = 0;

	while (gm_next_line(text, len, &pos, &line, &line_len)) {
		const char *key, *val;
		size_t klen, vlen;
		uint64_t v;

		n++;
		while (line_len && (*line == ' ' || *line == '\t')) {
			line++;
			line_len--;
		}
		if (!gm_key_value(line, line_len, &key, &klen, &val, &vlen) ||
		    klen != 5 || memcmp(key, "count", 5))
			continue;
		if (gm_parse_u64_all(val, vlen, &v) || sum + v < sum) {
			*bad_line = n;
			return -EBADMSG;
		}
		sum += v;
	}
	*pages = sum;
	return 0;
}

/*
 * Read right after meminfo: the per-cpu lists and MemFree trade pages all
 * the time, so the two must be read at one moment, not around a scan of
 * every process (a 16 MiB allocation moved 54 pages between them).
 */
static int read_zoneinfo(struct gm_source_ctx *ctx,
			 struct gpumem_source_status *st)
{
	struct gm_explain_in *in = ctx->feed->explain;
	struct gm_text t = { 0 };
	unsigned int bad = 0;
	int err = gm_read_at(ctx->procfd, "zoneinfo", &t);

	if (err) {
		gm_text_free(&t);
		in->pcp_err = err;
		gm_source_err(st, err, "zoneinfo");
		return 0;
	}
	err = gm_zoneinfo_pcp_pages(t.buf, t.len, &in->pcp_pages, &bad);
	gm_text_free(&t);
	if (err)
		return gm_explain_why(in, err, "zoneinfo: malformed line %u",
				      bad);
	gm_source_say(st, GPUMEM_SOURCE_FOUND, "%llu pages",
		      (unsigned long long)in->pcp_pages);
	return 0;
}

const struct gm_source gm_src_zoneinfo = {
	.name = "zoneinfo",
	.what = "per-cpu free pages",
	.use = GM_USE_EXPLAIN,
	.cap = GM_CAP_FILES,
	.cap_files = (const char *const[]){ "proc/zoneinfo", NULL },
	.read = read_zoneinfo,
	.status = gm_explain_only,
};
