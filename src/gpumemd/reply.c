// SPDX-License-Identifier: MIT
/*
 * Replies, one JSON document per line.  A peer who may not see everything
 * gets the same documents with only their own processes in them: the
 * processes of their uid, the DRM clients and dma-bufs those hold (with
 * only those holders' pids), and every device and system-wide total,
 * which say nothing of whose memory it is.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpumemd.h"

char *gmd_error_line(const char *why)
{
	json_t *doc = json_pack("{s:s}", "error", why);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	char *line = NULL;

	json_decref(doc);
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	free(text);
	return line;
}

/* doc on one line, '\n' ended; doc is released. */
static char *line_of(json_t *doc)
{
	char *text, *line = NULL;

	if (!doc)
		return NULL;
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text && asprintf(&line, "%s\n", text) < 0)
		line = NULL;
	free(text);
	return line;
}

static json_t *access_json(const struct gmd_peer *peer)
{
	if (peer->all)
		return json_pack("{s:s}", "scope", "all");
	return json_pack("{s:s, s:I}", "scope", "own", "uid",
			 (json_int_t)peer->uid);
}

/* A name as JSON: invalid UTF-8 bytes become U+FFFD, as gpumem --json. */
static json_t *name_json(const char *s)
{
	char fixed[GPUMEM_NAME_MAX * 4 + 1];

	gpumem_utf8_repair(fixed, sizeof(fixed), s);
	return json_string(fixed);
}

/* The snapshot's document on one line, '\n' ended; *len its length. */
static char *doc_line(const struct gpumem_snapshot *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int err;

	if (!f)
		return NULL;
	err = gpumem_print_json_line(s, f);
	if (fclose(f) || err || *len < 2 || memcmp(buf + *len - 2, "}\n", 2)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * What those who see all get: the document as the library prints it,
 * with access last.  Not parsed: a tree of 1,000 processes was 12 times
 * its text, 15 MiB kept until the next sample.
 */
static char *all_line(const struct gmd_state *st, const struct gmd_peer *peer)
{
	static const char key[] = ",\"access\":";
	json_t *a = access_json(peer);
	char *acc = a ? json_dumps(a, JSON_COMPACT) : NULL;
	char *buf = NULL, *line = NULL;
	size_t len;

	json_decref(a);
	if (acc)
		buf = doc_line(st->snap, &len);
	/* In place of its "}\n": key, acc, "}\n" (sizeof(key): the NUL). */
	if (buf)
		line = realloc(buf, len + sizeof(key) + strlen(acc));
	if (line)
		sprintf(line + len - 2, "%s%s}\n", key, acc);
	else
		free(buf);
	free(acc);
	return line;
}

static json_t *full_doc(const struct gmd_state *st)
{
	size_t len;
	char *buf = doc_line(st->snap, &len);
	json_t *doc = buf ? json_loadb(buf, len, 0, NULL) : NULL;

	free(buf);
	return doc;
}

/* The pids of uid's processes, sorted for bsearch. */
struct own {
	pid_t *pids;
	size_t nr;
};

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int own_pids(const struct gpumem_snapshot *s, uid_t uid, struct own *o)
{
	const struct gpumem_process *p;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	o->nr = 0;
	o->pids = malloc((nr ? nr : 1) * sizeof(*o->pids));
	if (!o->pids)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (gpumem_process_uid(gpumem_at(p, i)) == uid)
			o->pids[o->nr++] = gpumem_at(p, i)->pid;
	}
	qsort(o->pids, o->nr, sizeof(*o->pids), cmp_pid);
	return 0;
}

static bool is_own(const struct own *o, pid_t pid)
{
	return bsearch(&pid, o->pids, o->nr, sizeof(pid), cmp_pid);
}

/* The own holders of a client or a buffer; NULL when none. */
static json_t *own_holders(const struct own *o, const pid_t *pids, size_t nr)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < nr; i++) {
		if (is_own(o, pids[i]))
			json_array_append_new(a, json_integer(pids[i]));
	}
	if (a && !json_array_size(a)) {
		json_decref(a);
		a = NULL;
	}
	return a;
}

static const pid_t *client_holders(const struct gpumem_snapshot *s, size_t i,
				   size_t *n)
{
	size_t nr;
	const struct gpumem_client *all = gpumem_clients(s, &nr);

	*n = 0;
	return i < nr ? gpumem_client_holders(s, gpumem_at(all, i), n) : NULL;
}

static const pid_t *dmabuf_holders(const struct gpumem_snapshot *s, size_t i,
				   size_t *n)
{
	size_t nr;
	const struct gpumem_dmabuf *all = gpumem_dmabufs(s, &nr);

	*n = 0;
	return i < nr ? gpumem_dmabuf_holders(s, gpumem_at(all, i), n) : NULL;
}

/*
 * The objects of all (in the snapshot's order) that an own process holds;
 * with key, each with only its own holders there (clients' holders_pids).
 */
static json_t *own_objects(const struct gpumem_snapshot *s, json_t *all,
			   const struct own *o,
			   const pid_t *(*holders)(const struct gpumem_snapshot *,
						   size_t, size_t *),
			   const char *key)
{
	json_t *out = json_array();
	size_t i, n;

	for (i = 0; out && i < json_array_size(all); i++) {
		const pid_t *pids = holders(s, i, &n);
		json_t *h = own_holders(o, pids, n), *obj;

		if (!h)
			continue;
		obj = key ? json_copy(json_array_get(all, i)) :
		      json_incref(json_array_get(all, i));
		if (key)
			json_object_set(obj, key, h);
		json_decref(h);
		json_array_append_new(out, obj);
	}
	return out;
}

static json_t *own_processes(json_t *all, uid_t uid)
{
	json_t *out = json_array(), *p;
	size_t i;

	json_array_foreach(all, i, p) {
		json_t *u = json_object_get(p, "uid");

		if (json_is_integer(u) && json_integer_value(u) == (json_int_t)uid)
			json_array_append(out, p);
	}
	return out;
}

/* A peer who sees only their own: the document parsed and filtered. */
static char *own_reply(struct gmd_state *st, const struct gmd_peer *peer)
{
	json_t *all = full_doc(st), *doc = all ? json_copy(all) : NULL;
	char *line = NULL;
	struct own o;

	if (doc && !own_pids(st->snap, peer->uid, &o)) {
		json_object_set_new(doc, "processes", own_processes(
			json_object_get(all, "processes"), peer->uid));
		json_object_set_new(doc, "clients", own_objects(st->snap,
			json_object_get(all, "clients"), &o, client_holders,
			"holders_pids"));
		json_object_set_new(doc, "dmabufs", own_objects(st->snap,
			json_object_get(all, "dmabufs"), &o, dmabuf_holders,
			NULL));
		free(o.pids);
		json_object_set_new(doc, "access", access_json(peer));
		line = line_of(doc);
		doc = NULL;
	}
	json_decref(doc);
	json_decref(all);
	return line;
}

struct gmd_text *gmd_text_of(char *line)
{
	struct gmd_text *t = line ? malloc(sizeof(*t)) : NULL;

	if (!t) {
		free(line);
		return NULL;
	}
	*t = (struct gmd_text){ .refs = 1, .len = strlen(line), .buf = line };
	return t;
}

/* uid's reply of this sample, if it was made already. */
static struct gmd_text *own_cached(const struct gmd_state *st, uid_t uid)
{
	unsigned int i;

	for (i = 0; i < st->nr_own; i++) {
		if (st->own[i].uid == uid)
			return gmd_text_ref(st->own[i].text);
	}
	return NULL;
}

/* Kept for the uid's next requests of this sample, while there is room. */
static void own_keep(struct gmd_state *st, uid_t uid, struct gmd_text *t)
{
	if (t && st->nr_own < GMD_OWN_REPLIES)
		st->own[st->nr_own++] = (struct gmd_own_reply){
			uid, gmd_text_ref(t) };
}

/* Each peer who sees all is sent the one text, not a copy (1.3 MiB). */
static struct gmd_text *snapshot_reply(struct gmd_state *st,
				       const struct gmd_peer *peer)
{
	struct gmd_text *t;

	if (peer->all && st->snapshot_all)
		return gmd_text_ref(st->snapshot_all);
	t = peer->all ? NULL : own_cached(st, peer->uid);
	if (t)
		return t;
	if (peer->all) {
		st->snapshot_all = gmd_text_of(all_line(st, peer));
		t = st->snapshot_all ? gmd_text_ref(st->snapshot_all) : NULL;
	} else {
		t = gmd_text_of(own_reply(st, peer));
		own_keep(st, peer->uid, t);
	}
	/* It took a tree many times the text: given back now, not at the
	 * next sample. */
	malloc_trim(0);
	return t;
}

static const char *gap_name(enum gpumem_gap g)
{
	return g == GPUMEM_GAP_START ? "start" :
	       g == GPUMEM_GAP_MISSED ? "missed" : "none";
}

static json_t *hist_devices(const struct gpumem_history_sample *hs)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < hs->nr_devices; i++) {
		const struct gpumem_history_device *d = gpumem_at(hs->devices, i);
		char card[32];

		snprintf(card, sizeof(card), "card%d", d->index);
		json_array_append_new(a, json_pack("{s:s, s:o, s:b}", "card",
			card, "total_bytes", d->known ?
			json_integer((json_int_t)d->total_bytes) : json_null(),
			"partial", d->partial));
	}
	return a;
}

static json_t *hist_process(const struct gpumem_history_process *p)
{
	return json_pack("{s:i, s:o, s:o, s:I, s:I, s:b, s:I, s:I}",
		"pid", (int)p->pid, "comm", name_json(p->comm),
		"uid", p->uid == GPUMEM_UID_UNKNOWN ? json_null() :
		json_integer(p->uid),
		"gpu_rss_bytes", (json_int_t)p->gpu_rss_bytes,
		"gpu_pss_bytes", (json_int_t)p->gpu_pss_bytes,
		"gpu_pss_exact", p->gpu_pss_exact,
		"dmabuf_rss_bytes", (json_int_t)p->dmabuf_rss_bytes,
		"dmabuf_pss_bytes", (json_int_t)p->dmabuf_pss_bytes);
}

static json_t *hist_sample(const struct gpumem_history_sample *hs,
			   const struct gmd_peer *peer)
{
	json_t *procs = json_array();
	size_t i;

	for (i = 0; procs && i < hs->nr_processes; i++) {
		const struct gpumem_history_process *p =
			gpumem_at(hs->processes, i);

		if (peer->all || p->uid == peer->uid)
			json_array_append_new(procs, hist_process(p));
	}
	return json_pack("{s:I, s:I, s:s, s:i, s:o, s:o}",
		"realtime_ns", (json_int_t)hs->realtime_ns,
		"boottime_ns", (json_int_t)hs->boottime_ns,
		"gap", gap_name(hs->gap),
		"unreadable_processes", (int)hs->unreadable_processes,
		"devices", hist_devices(hs), "processes", procs);
}

/*
 * The samples of the last seconds, oldest first.  truncated: the budget
 * already dropped samples of that span (the oldest kept is no start).
 */
static char *history_reply(struct gmd_state *st, const struct gmd_peer *peer,
			   int64_t seconds)
{
	int64_t from = gmd_now_ns() - seconds * 1000000000;
	const struct gpumem_history_sample *hs;
	json_t *samples = json_array();
	bool truncated = false;
	size_t i;

	for (i = 0; samples && (hs = gpumem_history_at(st->history, i)); i++) {
		if (hs->boottime_ns < from)
			continue;
		if (!json_array_size(samples))
			truncated = i == 0 && hs->gap != GPUMEM_GAP_START;
		json_array_append_new(samples, hist_sample(hs, peer));
	}
	return line_of(json_pack("{s:{s:I, s:I, s:b, s:o}, s:o}", "history",
		"seconds", (json_int_t)seconds,
		"interval_ns", (json_int_t)st->cfg->interval_ns,
		"truncated", truncated, "samples", samples,
		"access", access_json(peer)));
}

static char *explain_reply(const struct gmd_state *st)
{
	char *line;

	if (!st->explain_line)
		return gmd_error_line("explain is not available: see the "
				      "daemon's log");
	if (asprintf(&line, "%s\n", st->explain_line) < 0)
		return NULL;
	return line;
}

struct gmd_text *gmd_reply(struct gmd_state *st, const struct gmd_peer *peer,
			   const char *line, size_t len)
{
	struct gmd_request r;
	char why[160];

	if (gmd_request_parse(line, len, &r, why, sizeof(why)))
		return gmd_text_of(gmd_error_line(why));
	if (!st->snap)
		return gmd_text_of(gmd_error_line("no sample yet"));
	switch (r.get) {
	case GMD_GET_SNAPSHOT:
		return snapshot_reply(st, peer);
	case GMD_GET_HISTORY:
		return gmd_text_of(history_reply(st, peer, r.seconds));
	default:
		return gmd_text_of(explain_reply(st));
	}
}
