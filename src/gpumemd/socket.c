// SPDX-License-Identifier: MIT
/*
 * The Unix socket: non-blocking clients in the main epoll, one request
 * line in, one reply line out.  What a client can cost is bounded: a
 * request is at most GMD_REQUEST_MAX bytes and must end within
 * GMD_READ_TIMEOUT_MS of its first byte; a client's next request is not
 * read before its reply is written (one reply in memory per client); at
 * most GMD_MAX_CLIENTS at once.  A bad request gets {"error":...} and the
 * connection goes on; only a line too long, a timeout or a hangup ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "gpumemd.h"

struct client {
	int fd;
	struct gmd_peer peer;
	char in[GMD_REQUEST_MAX + 1];
	size_t in_len;
	int64_t first_byte_ns;		/* of the pending request; 0: none */
	int64_t last_active_ns;
	struct gmd_text *out;		/* the reply being written */
	size_t out_off;
	bool closing;			/* close once out is written */
	struct client *next;
};

struct gmd_server {
	int fd;
	int epfd;
	const char *path;
	struct client *clients;
	unsigned int nr_clients;
};

static int bind_path(int fd, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 0;
	if (errno != EADDRINUSE)
		return -errno;
	/* A socket file left by a daemon that died: nobody answers on it. */
	{
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int live = probe >= 0 &&
			   !connect(probe, (struct sockaddr *)&sa, sizeof(sa));

		if (probe >= 0)
			close(probe);
		if (live)
			return -EADDRINUSE;
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
}

static int watch(int epfd, int fd, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(epfd, op, fd, &ev) ? -errno : 0;
}

int gmd_server_open(const char *path, int epfd, struct gmd_server **out)
{
	struct gmd_server *sv = calloc(1, sizeof(*sv));
	int err;

	if (!sv)
		return -ENOMEM;
	sv->epfd = epfd;
	sv->path = path;
	sv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sv->fd < 0) {
		free(sv);
		return -errno;
	}
	err = bind_path(sv->fd, path);
	/* Anyone may connect: what they see is decided per peer. */
	if (!err && chmod(path, 0666))
		err = -errno;
	if (!err && listen(sv->fd, 128))
		err = -errno;
	if (!err)
		err = watch(epfd, sv->fd, EPOLLIN, EPOLL_CTL_ADD);
	if (err) {
		close(sv->fd);
		free(sv);
		return err;
	}
	*out = sv;
	return 0;
}

static struct client *find(struct gmd_server *sv, int fd)
{
	struct client *c;

	for (c = sv->clients; c; c = c->next) {
		if (c->fd == fd)
			return c;
	}
	return NULL;
}

bool gmd_server_owns(const struct gmd_server *sv, int fd)
{
	return fd == sv->fd || find((struct gmd_server *)sv, fd);
}

static void drop(struct gmd_server *sv, struct client *c)
{
	struct client **p;

	for (p = &sv->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	epoll_ctl(sv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	gmd_text_unref(c->out);
	free(c);
	sv->nr_clients--;
}

/* The client's fd: readable unless a reply is pending, writable while it is. */
static void rewatch(struct gmd_server *sv, struct client *c)
{
	watch(sv->epfd, c->fd, c->out ? EPOLLOUT : EPOLLIN | EPOLLRDHUP,
	      EPOLL_CTL_MOD);
}

/* Too many clients: one error line, best effort, and the door. */
static void refuse(int fd)
{
	char *line = gmd_error_line("too many clients");

	if (line && write(fd, line, strlen(line)) < 0) {
		/* nothing to do: the client is gone or not reading */
	}
	free(line);
	close(fd);
}

static void accept_one(struct gmd_server *sv)
{
	struct client *c;
	int fd = accept4(sv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (sv->nr_clients >= GMD_MAX_CLIENTS) {
		refuse(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c || gmd_peer_of(fd, &c->peer) ||
	    watch(sv->epfd, fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD)) {
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->last_active_ns = gmd_now_ns();
	c->next = sv->clients;
	sv->clients = c;
	sv->nr_clients++;
}

static void queue(struct gmd_server *sv, struct client *c,
		  struct gmd_text *t, bool closing)
{
	if (!t)
		t = gmd_text_of(gmd_error_line("out of memory"));
	if (!t) {
		drop(sv, c);
		return;
	}
	c->out = t;
	c->out_off = 0;
	c->closing = closing;
	rewatch(sv, c);
}

/* The first complete line of in, answered; the rest stays for later. */
static bool answer_line(struct gmd_server *sv, struct gmd_state *st,
			struct client *c)
{
	char *nl = memchr(c->in, '\n', c->in_len);
	size_t len;

	if (!nl)
		return false;
	len = (size_t)(nl - c->in);
	queue(sv, c, gmd_reply(st, &c->peer, c->in, len), false);
	c->in_len -= len + 1;
	memmove(c->in, nl + 1, c->in_len);
	c->first_byte_ns = c->in_len ? gmd_now_ns() : 0;
	return true;
}

static void read_client(struct gmd_server *sv, struct gmd_state *st,
			struct client *c)
{
	ssize_t n = read(c->fd, c->in + c->in_len, GMD_REQUEST_MAX + 1 -
			 c->in_len);

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			drop(sv, c);
		return;
	}
	c->last_active_ns = gmd_now_ns();
	if (!c->in_len)
		c->first_byte_ns = c->last_active_ns;
	c->in_len += (size_t)n;
	if (answer_line(sv, st, c))
		return;
	if (c->in_len > GMD_REQUEST_MAX)
		queue(sv, c, gmd_text_of(gmd_error_line("request too long (at "
			"most 4096 bytes and a newline)")), true);
}

static void write_client(struct gmd_server *sv, struct gmd_state *st,
			 struct client *c)
{
	ssize_t n = write(c->fd, c->out->buf + c->out_off,
			  c->out->len - c->out_off);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			drop(sv, c);
		return;
	}
	c->out_off += (size_t)n;
	c->last_active_ns = gmd_now_ns();
	if (c->out_off < c->out->len)
		return;
	gmd_text_unref(c->out);
	c->out = NULL;
	if (c->closing) {
		drop(sv, c);
		return;
	}
	/* Requests that came with the last one are answered now. */
	if (!answer_line(sv, st, c))
		rewatch(sv, c);
}

void gmd_server_event(struct gmd_server *sv, struct gmd_state *st, int fd,
		      uint32_t events)
{
	struct client *c;

	if (fd == sv->fd) {
		accept_one(sv);
		return;
	}
	c = find(sv, fd);
	if (!c)
		return;
	if (events & EPOLLOUT)
		write_client(sv, st, c);
	else if (events & EPOLLIN)
		read_client(sv, st, c);
	else if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		drop(sv, c);
}

void gmd_server_sweep(struct gmd_server *sv)
{
	int64_t now = gmd_now_ns();
	struct client *c, *next;

	for (c = sv->clients; c; c = next) {
		next = c->next;
		if (c->out)
			continue;
		if (c->first_byte_ns &&
		    now - c->first_byte_ns > GMD_READ_TIMEOUT_MS * 1000000ll)
			queue(sv, c, gmd_text_of(gmd_error_line("request not "
				"ended by a newline in time")), true);
		else if (now - c->last_active_ns >
			 GMD_IDLE_TIMEOUT_MS * 1000000ll)
			drop(sv, c);
	}
}

void gmd_server_close(struct gmd_server *sv)
{
	if (!sv)
		return;
	while (sv->clients)
		drop(sv, sv->clients);
	close(sv->fd);
	unlink(sv->path);
	free(sv);
}
