// SPDX-License-Identifier: MIT
/* Asking gpumemd for its snapshot: see daemon.h. */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "sample.h"

static const char request[] = "{\"get\":\"snapshot\"}\n";

static int64_t now_ms(void)
{
	return sample_now_ns(CLOCK_MONOTONIC) / 1000000;
}

/* Waits for ev on fd until deadline: 0, or -ETIMEDOUT. */
static int wait_for(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left;
	int n;

	do {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int connect_to(const char *path, int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(int);
	int fd, err = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fd;
	/* A backlog that is full (EAGAIN) is a daemon that does not answer. */
	err = errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (errno == EINPROGRESS) {
		err = wait_for(fd, POLLOUT, deadline);
		if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		err = err > 0 ? -err : err;
	}
	if (!err)
		return fd;
	close(fd);
	return err;
}

static int send_request(int fd, int64_t deadline)
{
	size_t off = 0;
	ssize_t n;
	int err;

	while (off < sizeof(request) - 1) {
		err = wait_for(fd, POLLOUT, deadline);
		if (err)
			return err;
		n = send(fd, request + off, sizeof(request) - 1 - off,
			 MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		off += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

static int grow(char **b, size_t *cap)
{
	size_t n = *cap ? 2 * *cap : 65536;
	char *g;

	if (*cap >= DAEMON_REPLY_MAX)
		return -EFBIG;
	g = realloc(*b, n);
	if (!g)
		return -ENOMEM;
	*b = g;
	*cap = n;
	return 0;
}

/* The reply line without its '\n', malloc'd into *buf. */
static int read_reply(int fd, int64_t deadline, char **buf, size_t *len)
{
	size_t cap = 0, have = 0;
	char *b = NULL, *nl = NULL;
	ssize_t n;
	int err = 0;

	while (!err && !nl) {
		if (have == cap && (err = grow(&b, &cap)))
			break;
		err = wait_for(fd, POLLIN, deadline);
		if (err)
			break;
		n = recv(fd, b + have, cap - have, 0);
		if (n > 0) {
			nl = memchr(b + have, '\n', (size_t)n);
			have += (size_t)n;
		} else if (!n) {
			err = -EPROTO;
		} else if (errno != EAGAIN && errno != EINTR) {
			err = -errno;
		}
	}
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = (size_t)(nl - b);
	return 0;
}

/* An {"error": ...} reply, in gpumemd's words, escaped. */
static int error_reply(const json_t *doc, char *why, size_t why_len)
{
	const char *e = json_string_value(json_object_get(doc, "error"));
	char esc[256];

	if (!e)
		return 0;
	gpumem_escape_name(esc, sizeof(esc), e, NULL);
	snprintf(why, why_len, "it answered \"%s\"", esc);
	return -EPROTO;
}

/*
 * jansson's allocations, counted while a reply is parsed: past the budget
 * they fail and so does the parse.  Blocks are plain malloc's, so those of
 * before and after the parse are freed the same way.
 */
static size_t json_budget = SIZE_MAX, json_used;

static void *budget_malloc(size_t n)
{
	void *p;

	/* json_used counts usable sizes, which overshoot what was asked:
	 * it may pass the budget, and the difference must not wrap. */
	if (json_budget != SIZE_MAX &&
	    (json_used >= json_budget || n > json_budget - json_used))
		return NULL;
	p = malloc(n);
	if (p && json_budget != SIZE_MAX)
		json_used += malloc_usable_size(p);
	return p;
}

static void budget_free(void *p)
{
	size_t n = p && json_budget != SIZE_MAX ? malloc_usable_size(p) : 0;

	json_used -= n < json_used ? n : json_used;
	free(p);
}

static int parse_in_budget(const char *buf, size_t len,
			   struct daemon_reply *r)
{
	int err;

	json_set_alloc_funcs(budget_malloc, budget_free);
	json_used = 0;
	json_budget = len * DAEMON_PARSE_FACTOR + DAEMON_PARSE_SLACK;
	r->doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	err = json_is_object(r->doc) &&
	      !gpumem_snapshot_from_json(buf, len, &r->snap) ? 0 : -EBADMSG;
	json_budget = SIZE_MAX;
	return err;
}

/* A reply for this user alone holds no one else's process. */
static bool only_own(const struct gpumem_snapshot *s)
{
	size_t i, nr;
	const struct gpumem_process *p = gpumem_processes(s, &nr);

	for (i = 0; i < nr; i++) {
		if (gpumem_process_uid(gpumem_at(p, i)) != getuid())
			return false;
	}
	return true;
}

static int parse_reply(const char *buf, size_t len, struct daemon_reply *r,
		       char *why, size_t why_len)
{
	const json_t *scope;
	int err = parse_in_budget(buf, len, r);

	if (err && !r->doc)
		return err;
	if (error_reply(r->doc, why, why_len))
		return -EPROTO;
	if (err)
		return err;
	scope = json_object_get(json_object_get(r->doc, "access"), "scope");
	r->all = json_is_string(scope) &&
		 !strcmp(json_string_value(scope), "all");
	return r->all || only_own(r->snap) ? 0 : -EBADMSG;
}

static const char *why_of(int err)
{
	switch (err) {
	case -ENOENT:
	case -ECONNREFUSED:
		return "not running (nothing listens there)";
	case -ETIMEDOUT:
		return "no answer within 2 s";
	case -EFBIG:
		return "a reply larger than 16 MiB";
	case -EPROTO:
		return "the connection ended before a whole reply";
	case -EBADMSG:
		return "the reply is not a gpumem document: ignored";
	default:
		return strerror(-err);
	}
}

int daemon_ask(const char *path, struct daemon_reply *r, char *why,
	       size_t why_len)
{
	int64_t deadline = now_ms() + DAEMON_TIMEOUT_MS;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char *buf = NULL;
	size_t len = 0;
	int fd, err;

	*r = (struct daemon_reply){ .uid = (uid_t)-1 };
	why[0] = '\0';
	fd = connect_to(path, deadline);
	if (fd < 0) {
		err = fd;
	} else {
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
			r->uid = cred.uid;
		err = send_request(fd, deadline);
		if (!err)
			err = read_reply(fd, deadline, &buf, &len);
		close(fd);
	}
	if (!err)
		err = parse_reply(buf, len, r, why, why_len);
	free(buf);
	if (err) {
		if (!why[0])
			snprintf(why, why_len, "%s", why_of(err));
		daemon_reply_free(r);
	}
	return err;
}

void daemon_reply_free(struct daemon_reply *r)
{
	json_decref(r->doc);
	gpumem_snapshot_free(r->snap);
	r->doc = NULL;
	r->snap = NULL;
}
