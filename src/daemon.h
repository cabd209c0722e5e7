/* SPDX-License-Identifier: MIT */
/*
 * gpumem asking gpumemd for its snapshot (gpumem(1), "FROM GPUMEMD"): one
 * request on its Unix socket, one reply line, bounded in time and size.
 * Whoever listens on the path answers, so the reply is read as anyone's.
 */
#ifndef GPUMEM_DAEMON_H
#define GPUMEM_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "gpumem/gpumem.h"

/* gpumemd's own default (gpumemd(8), --socket). */
#define DAEMON_SOCKET "/run/gpumem/gpumemd.sock"
/* From connect() to the reply's '\n'; gpumemd answers from memory. */
#define DAEMON_TIMEOUT_MS 2000
/* A reply of 1,000 processes x 20 fds is about 2 MiB. */
#define DAEMON_REPLY_MAX (16u << 20)
/*
 * Parsed, a gpumem document takes 5 times its size in jansson's memory
 * (measured at 30 KiB and 2 MiB), and it is parsed twice (as it came, and
 * read back); a reply of empty arrays would take 90 times.  The parse of
 * a reply may take this many times its size, plus DAEMON_PARSE_SLACK.
 */
#define DAEMON_PARSE_FACTOR 12
#define DAEMON_PARSE_SLACK (2u << 20)

struct daemon_reply {
	json_t *doc;			/* the reply as it came */
	struct gpumem_snapshot *snap;	/* the same, read back */
	bool all;			/* access scope "all": every process */
	uid_t uid;			/* of the process that answered */
};

/*
 * 0, or a negative errno with why (a phrase for "gpumemd (PATH): why"):
 * -ENOENT, -ECONNREFUSED not running, -ETIMEDOUT no answer in time,
 * -EFBIG too large, -EPROTO an error reply or a cut one, -EBADMSG not a
 * gpumem document.
 */
int daemon_ask(const char *path, struct daemon_reply *r, char *why,
	       size_t why_len);
void daemon_reply_free(struct daemon_reply *r);

#endif
