/* SPDX-License-Identifier: MIT */
/*
 * gpumemd: one thread, one epoll loop.  The sampler takes a sample on a
 * timer and keeps what every reader needs of it (the snapshot, its metrics
 * text, the history, the last explain); the Unix socket and the HTTP
 * server only ever read that, so a request or a scrape never scans.
 */
#ifndef GPUMEMD_H
#define GPUMEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <jansson.h>

#include "gpumem/gpumem.h"

#define GMD_DEFAULT_SOCKET "/run/gpumem/gpumemd.sock"
/* Outside 9100-9999 (all allocated) and the 10000+ the allocations moved
 * to, below the ephemeral range; 226 is the DRM character major. */
#define GMD_DEFAULT_PORT 20226
#define GMD_DEFAULT_LISTEN "127.0.0.1:20226"
#define GMD_REQUEST_MAX 4096		/* bytes of one request line */
#define GMD_READ_TIMEOUT_MS 5000	/* from its first byte to its '\n' */
#define GMD_IDLE_TIMEOUT_MS 60000
#define GMD_MAX_CLIENTS 1024
#define GMD_HISTORY_SECONDS_MAX (7 * 86400)

struct gmd_config {
	const char *root;		/* NULL: the live system */
	const char *socket_path;
	const char *listen;		/* ADDR:PORT, or "" for no HTTP */
	const char *group;		/* who sees everything, with root */
	int64_t interval_ns;
	int64_t index_interval_ns;	/* a full sample (and explain) */
	size_t history_bytes;
	unsigned int max_process_series;
	bool process_metrics;
	bool foreground;
	bool collector;			/* load or adopt the BPF collector */
};

/* log.c: stderr in the foreground, syslog once detached. */
void gmd_log_syslog(void);
void gmd_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A text shared by those who send it (the scrapes of a sample's exposition
 * text, the socket's peers of its snapshot reply): each holds a reference
 * until its response is done, so a new sample replaces the text without
 * copying it per reader or freeing it under one.
 */
struct gmd_text {
	unsigned int refs;
	size_t len;
	char *buf;
};

struct gmd_text *gmd_text_ref(struct gmd_text *t);
void gmd_text_unref(void *t);

/*
 * The replies to users who see only their own processes kept per sample,
 * for this many uids: each costs a print and a parse of the whole
 * document (100 ms at 1,000 processes), which a user polling in a loop
 * would otherwise make the daemon pay at every request.
 */
#define GMD_OWN_REPLIES 16

/* What one sample left for the readers. */
struct gmd_state {
	const struct gmd_config *cfg;
	struct gpumem_scanner *scanner;
	struct gpumem_history *history;
	struct gpumem_snapshot *snap;	/* the last sample; NULL before one */
	struct gpumem_explain *explain;	/* the last full sample's */
	int64_t last_index_ns;		/* CLOCK_BOOTTIME of the last full */
	double sample_seconds;
	int last_err;			/* of the last sample, 0 when it worked */
	struct gmd_text *metrics;	/* the exposition text of snap */
	/* Rendered on the first request after each sample, then shared. */
	struct gmd_text *snapshot_all;	/* the reply to those who see all */
	struct gmd_own_reply {
		uid_t uid;
		struct gmd_text *text;
	} own[GMD_OWN_REPLIES];		/* those to a uid of its own */
	unsigned int nr_own;
	char *explain_line;
};

/* sampler.c */
int gmd_state_init(struct gmd_state *st, const struct gmd_config *cfg);
int gmd_sample(struct gmd_state *st);
void gmd_state_free(struct gmd_state *st);

/*
 * collector.c: adopt the collector's pins (a restart loses nothing), or
 * load and pin it; what happened is logged, a failure is not fatal.
 */
void gmd_collector_start(void);

/* request.c: one request line; the parser the fuzzer drives. */
enum gmd_get {
	GMD_GET_SNAPSHOT,
	GMD_GET_HISTORY,
	GMD_GET_EXPLAIN,
};

struct gmd_request {
	enum gmd_get get;
	int64_t seconds;		/* history: how far back */
};

/* 0, or -EINVAL with why (a sentence for the {"error":...} reply). */
int gmd_request_parse(const char *line, size_t len, struct gmd_request *r,
		      char *why, size_t why_len);

/* access.c: who asks.  all: root, or in the group; else own uid only. */
struct gmd_peer {
	pid_t pid;
	uid_t uid;
	bool all;
};

int gmd_access_init(const char *group);
int gmd_peer_of(int fd, struct gmd_peer *peer);

/*
 * reply.c: one reply line (ends in '\n'), a text of its own or a reference
 * to the one every peer who sees all is sent; NULL: no memory.
 */
struct gmd_text *gmd_reply(struct gmd_state *st, const struct gmd_peer *peer,
			   const char *line, size_t len);
char *gmd_error_line(const char *why);
/* line (malloc'd, or NULL) as a text of one reference; NULL: no memory. */
struct gmd_text *gmd_text_of(char *line);

/* socket.c: the Unix socket and its clients. */
struct gmd_server;

int gmd_server_open(const char *path, int epfd, struct gmd_server **out);
/* fd is one of the server's: handle its events. */
bool gmd_server_owns(const struct gmd_server *sv, int fd);
void gmd_server_event(struct gmd_server *sv, struct gmd_state *st, int fd,
		      uint32_t events);
/* Closes clients whose request has been waiting too long. */
void gmd_server_sweep(struct gmd_server *sv);
void gmd_server_close(struct gmd_server *sv);

/* http.c: /metrics on ADDR:PORT, run from the same loop. */
struct gmd_http;
struct sockaddr_storage;

int gmd_parse_listen(const char *listen, struct sockaddr_storage *ss,
		     socklen_t *len);

int gmd_http_start(const char *listen, struct gmd_state *st, int epfd,
		   struct gmd_http **out);
bool gmd_http_owns(const struct gmd_http *h, int fd);
void gmd_http_run(struct gmd_http *h);
void gmd_http_stop(struct gmd_http *h);

int64_t gmd_now_ns(void);		/* CLOCK_BOOTTIME */

#endif
