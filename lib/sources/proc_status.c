// SPDX-License-Identifier: MIT
/*
 * /proc/PID/status: whose process it is.  Only the Uid: line is used; its
 * first field, the real uid, is the user who started the process, which is
 * what "a user's own processes" means to gpumemd's access rules (a setuid
 * program a user runs stays theirs; a daemon that drops to a user's
 * effective uid only does not become theirs).
 *
 * The proc walk reads it with the rest of a process that holds something,
 * so that a status that cannot be read makes that process unreadable like
 * any other of its files; a --root tree without status files (older
 * fixtures, captures) only leaves the uid unknown.
 */
#include <errno.h>
#include <string.h>

#include "sources.h"

int gm_status_parse_uid(const char *text, size_t len, uid_t *uid,
			unsigned int *malformed)
{
	const char *line, *key, *val;
	size_t pos = 0, llen, klen, vlen, first = 0;
	uint64_t v;

	*uid = GPUMEM_UID_UNKNOWN;
	while (gm_next_line(text, len, &pos, &line, &llen)) {
		if (!gm_key_value(line, llen, &key, &klen, &val, &vlen) ||
		    klen != 3 || memcmp(key, "Uid", 3))
			continue;
		/* "real effective saved fs", tab-separated. */
		while (first < vlen && val[first] != '\t' && val[first] != ' ')
			first++;
		if (gm_parse_u64_all(val, first, &v) ||
		    v >= GPUMEM_UID_UNKNOWN) {
			(*malformed)++;
			return -EBADMSG;
		}
		*uid = (uid_t)v;
		return 0;
	}
	return -ENOENT;
}

int gm_read_uid_at(int dirfd, const char *path, struct gm_text *t,
		   unsigned int flags, uid_t *uid, unsigned int *malformed)
{
	int err = gm_read_record_flags_at(dirfd, path, t, flags);

	*uid = GPUMEM_UID_UNKNOWN;
	if (err)
		return err;
	gm_status_parse_uid(t->buf, t->len, uid, malformed);
	return 0;
}

static void proc_status_status(const struct gpumem_snapshot *s,
			       struct gpumem_source_status *st)
{
	const struct gpumem_process *p;
	unsigned int known = 0;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++)
		known += gpumem_process_uid(gpumem_at(p, i)) !=
			 GPUMEM_UID_UNKNOWN;
	if (nr && !known)
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no Uid: line for any "
			      "of %zu processes", nr);
	else
		gm_source_say(st, GPUMEM_SOURCE_FOUND, "the uid of %u of %zu "
			      "processes", known, nr);
}

/* Driven by the proc walk, with the process's other files. */
const struct gm_source gm_src_proc_status = {
	.name = "proc-status",
	.what = "process owner (Uid:)",
	.status = proc_status_status,
};

uid_t gpumem_process_uid(const struct gpumem_process *p)
{
	return gpumem_has(p, uid) ? p->uid : GPUMEM_UID_UNKNOWN;
}
