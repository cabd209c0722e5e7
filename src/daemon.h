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
/* A reply of 1,000 processes is about 2 MiB. */
#define DAEMON_REPLY_MAX (64u << 20)

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
