// SPDX-License-Identifier: MIT
/*
 * The sampler: a refresh of the library's scanner at every interval, a
 * full sample (new processes and fds) and an explain every index
 * interval.  What readers need is made here, once per sample: the
 * exposition text, the history; the JSON replies are made on the first
 * request after a sample (reply.c) and dropped at the next.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <time.h>

#include "gpumemd.h"

int64_t gmd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int gmd_state_init(struct gmd_state *st, const struct gmd_config *cfg)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT, .root = cfg->root };
	struct rlimit rl;
	int err;

	/* The scanner keeps fdinfo files open, up to half the soft limit;
	 * epoll has no use for select()'s 1024. */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(st, 0, sizeof(*st));
	st->cfg = cfg;
	st->sample_seconds = -1;
	err = gpumem_scanner_new(&opts, &st->scanner);
	if (!err)
		err = gpumem_history_new(cfg->history_bytes, cfg->interval_ns,
					 &st->history);
	return err;
}

struct gmd_text *gmd_text_ref(struct gmd_text *t)
{
	t->refs++;
	return t;
}

/* One thread: the sampler and libmicrohttpd's callbacks run in turn. */
void gmd_text_unref(void *text)
{
	struct gmd_text *t = text;

	if (t && !--t->refs) {
		free(t->buf);
		free(t);
	}
}

static struct gmd_text *render(const struct gmd_state *st)
{
	struct gmd_text *t = calloc(1, sizeof(*t));
	struct gpumem_prom_opts o = {
		.process_metrics = st->cfg->process_metrics,
		.max_process_series = st->cfg->max_process_series,
		.sample_seconds = st->sample_seconds,
		.explain = st->explain,
	};
	FILE *f = t ? open_memstream(&t->buf, &t->len) : NULL;
	int err;

	if (!f) {
		free(t);
		return NULL;
	}
	err = gpumem_print_prometheus(st->snap, &o, f);
	if (fclose(f) || err) {
		free(t->buf);
		free(t);
		return NULL;
	}
	t->refs = 1;
	return t;
}

/* explain's JSON on one line: gpumem_explain_print_json() indents. */
static char *explain_line(const struct gpumem_explain *x)
{
	char *buf = NULL, *line = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *doc = NULL;

	if (!f)
		return NULL;
	if (!gpumem_explain_print_json(x, f) && !fclose(f))
		doc = json_loadb(buf, len, 0, NULL);
	else
		fclose(f);
	free(buf);
	if (doc)
		line = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return line;
}

static void take_explain(struct gmd_state *st)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT,
				    .root = st->cfg->root };
	struct gpumem_explain *x;
	char why[256] = "";
	int err = gpumem_explain_take(&opts, &x, why, sizeof(why));

	if (err) {
		gmd_log(LOG_WARNING, "explain: %s", why[0] ? why :
			strerror(-err));
		return;
	}
	gpumem_explain_free(st->explain);
	st->explain = x;
	free(st->explain_line);
	st->explain_line = explain_line(x);
}

static void drop_replies(struct gmd_state *st)
{
	unsigned int i;

	gmd_text_unref(st->snapshot_all);
	st->snapshot_all = NULL;
	for (i = 0; i < st->nr_own; i++)
		gmd_text_unref(st->own[i].text);
	st->nr_own = 0;
}

/*
 * Nobody reads while a sample is taken (one thread), so the last one is
 * freed first: two are never in memory at once.  A failed sample leaves
 * /metrics its last text, the socket "no sample yet" and the history a
 * gap; it is said once, not at every interval.
 */
int gmd_sample(struct gmd_state *st)
{
	int64_t t0 = gmd_now_ns();
	bool full = !st->last_index_ns ||
		    t0 - st->last_index_ns >= st->cfg->index_interval_ns;
	struct gpumem_snapshot *snap;
	struct gmd_text *text;
	int err;

	drop_replies(st);
	gpumem_snapshot_free(st->snap);
	st->snap = NULL;
	err = gpumem_scanner_sample(st->scanner, !full, &snap);
	if (err) {
		if (err != st->last_err)
			gmd_log(LOG_ERR, "sample: %s", strerror(-err));
		st->last_err = err;
		return err;
	}
	st->last_err = 0;
	/* The scan's time: explain's, every index interval, is its own. */
	st->sample_seconds = (double)(gmd_now_ns() - t0) / 1e9;
	if (full) {
		st->last_index_ns = t0;
		take_explain(st);
	}
	err = gpumem_history_add(st->history, snap);
	if (err == -E2BIG && gpumem_history_len(st->history) == 0)
		gmd_log(LOG_WARNING, "history: one sample is larger than "
			"--history-bytes %zu: no history", st->cfg->history_bytes);
	st->snap = snap;
	text = render(st);
	if (text) {
		gmd_text_unref(st->metrics);
		st->metrics = text;
	}
	/* glibc keeps freed heap for later: given back, RSS is what lives. */
	malloc_trim(0);
	return 0;
}

void gmd_state_free(struct gmd_state *st)
{
	drop_replies(st);
	gpumem_snapshot_free(st->snap);
	gpumem_explain_free(st->explain);
	gpumem_history_free(st->history);
	gpumem_scanner_free(st->scanner);
	gmd_text_unref(st->metrics);
	free(st->explain_line);
}
