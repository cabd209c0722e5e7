// SPDX-License-Identifier: MIT
/*
 * /proc/PID/status: whose process it is, and whose child.  Two lines are
 * used.  Uid:'s first field, the real uid, is the user who started the
 * process, which is what "a user's own processes" means to gpumemd's
 * access rules (a setuid program a user runs stays theirs; a daemon that
 * drops to a user's effective uid only does not become theirs).  PPid: is
 * the parent's tgid as this pid namespace sees it (0: none here), for
 * gpumem top's process tree; a tree may say anything there, a loop too.
 *
 * The proc walk reads it with the rest of a process that holds something,
 * so that a status that cannot be read makes that process unreadable like
 * any other of its files; a --root tree without status files (older
 * fixtures, captures) or without a PPid: line only leaves them unknown.
 */
#include <errno.h>
#include <string.h>

#include "sources.h"

/* The largest pid the kernel hands out (PID_MAX_LIMIT is 4M). */
#define GM_PID_MAX 0x3fffffff

/* "real effective saved fs", tab-separated: the first. */
static int parse_uid(const char *val, size_t vlen, struct gm_status *st)
{
	size_t first = 0;
	uint64_t v;

	while (first < vlen && val[first] != '\t' && val[first] != ' ')
		first++;
	if (gm_parse_u64_all(val, first, &v) || v >= GPUMEM_UID_UNKNOWN)
		return -EBADMSG;
	st->uid = (uid_t)v;
	return 0;
}

static int parse_ppid(const char *val, size_t vlen, struct gm_status *st)
{
	uint64_t v;

	if (gm_parse_u64_all(val, vlen, &v) || v > GM_PID_MAX)
		return -EBADMSG;
	st->ppid = (pid_t)v;
	return 0;
}

/* The first of each key counts; a malformed one is counted and unknown. */
int gm_status_parse(const char *text, size_t len, struct gm_status *st,
		    unsigned int *malformed)
{
	const char *line, *key, *val;
	size_t pos = 0, llen, klen, vlen;
	bool uid_seen = false, ppid_seen = false;
	int bad = 0, err;

	st->uid = GPUMEM_UID_UNKNOWN;
	st->ppid = GPUMEM_PID_UNKNOWN;
	while ((!uid_seen || !ppid_seen) &&
	       gm_next_line(text, len, &pos, &line, &llen)) {
		if (!gm_key_value(line, llen, &key, &klen, &val, &vlen))
			continue;
		if (!uid_seen && klen == 3 && !memcmp(key, "Uid", 3)) {
			uid_seen = true;
			err = parse_uid(val, vlen, st);
		} else if (!ppid_seen && klen == 4 && !memcmp(key, "PPid", 4)) {
			ppid_seen = true;
			err = parse_ppid(val, vlen, st);
		} else {
			continue;
		}
		if (err) {
			(*malformed)++;
			bad = err;
		}
	}
	if (bad)
		return bad;
	return uid_seen && ppid_seen ? 0 : -ENOENT;
}

int gm_read_status_at(int dirfd, const char *path, struct gm_text *t,
		      unsigned int flags, struct gm_status *st,
		      unsigned int *malformed)
{
	int err = gm_read_record_flags_at(dirfd, path, t, flags);

	st->uid = GPUMEM_UID_UNKNOWN;
	st->ppid = GPUMEM_PID_UNKNOWN;
	if (err)
		return err;
	gm_status_parse(t->buf, t->len, st, malformed);
	return 0;
}

static void proc_status_status(const struct gpumem_snapshot *s,
			       struct gpumem_source_status *st)
{
	const struct gpumem_process *p;
	unsigned int uids = 0, ppids = 0;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		uids += gpumem_process_uid(gpumem_at(p, i)) !=
			GPUMEM_UID_UNKNOWN;
		ppids += gpumem_process_ppid(gpumem_at(p, i)) !=
			 GPUMEM_PID_UNKNOWN;
	}
	if (nr && !uids && !ppids)
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no Uid: or PPid: "
			      "line for any of %zu processes", nr);
	else
		gm_source_say(st, GPUMEM_SOURCE_FOUND, "the uid of %u and the "
			      "parent of %u of %zu processes", uids, ppids, nr);
}

/* Driven by the proc walk, with the process's other files. */
const struct gm_source gm_src_proc_status = {
	.name = "proc-status",
	.what = "process owner and parent (Uid:, PPid:)",
	.status = proc_status_status,
};

uid_t gpumem_process_uid(const struct gpumem_process *p)
{
	return gpumem_has(p, uid) ? p->uid : GPUMEM_UID_UNKNOWN;
}

pid_t gpumem_process_ppid(const struct gpumem_process *p)
{
	return gpumem_has(p, ppid) ? p->ppid : GPUMEM_PID_UNKNOWN;
}
