// SPDX-License-Identifier: MIT
/*
 * GET /metrics with libmicrohttpd, driven from gpumemd's own epoll loop
 * (MHD_USE_EPOLL without its thread: MHD's epoll fd is one more fd in
 * ours).  A scrape is a copy of the text the last sample left: it never
 * scans, and a source that failed is only its gpumem_source_up 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <microhttpd.h>

#include "gpumemd.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct gmd_http {
	struct MHD_Daemon *mhd;
	int fd;				/* MHD's epoll fd */
	struct gmd_state *st;
};

/* r (NULL: out of memory) queued with the exposition's content type. */
static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int code,
			     struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* One of the constant texts below. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     const char *text, size_t len)
{
	return queue(conn, code, MHD_create_response_from_buffer(len,
		(void *)text, MHD_RESPMEM_PERSISTENT));
}

/* The response holds a reference to the text until it is sent. */
static enum MHD_Result send_metrics(struct MHD_Connection *conn,
				    struct gmd_text *t)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer_with_free_callback_cls(t->len,
		t->buf, gmd_text_unref, gmd_text_ref(t));
	if (!r)
		gmd_text_unref(t);
	return queue(conn, MHD_HTTP_OK, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static const char not_found[] = "gpumemd: only /metrics is here\n";
	static const char not_yet[] = "gpumemd: no sample yet\n";
	static const char get_only[] = "gpumemd: GET or HEAD only\n";
	const struct gmd_http *h = cls;

	(void)version;
	(void)upload;
	(void)con_cls;
	if (*upload_size)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, get_only,
			     sizeof(get_only) - 1);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, not_found,
			     sizeof(not_found) - 1);
	if (!h->st->metrics)
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, not_yet,
			     sizeof(not_yet) - 1);
	return send_metrics(conn, h->st->metrics);
}

/* "ADDR:PORT", IPv4 or [IPv6]; port 0 is for tests (the kernel picks). */
int gmd_parse_listen(const char *listen, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(listen, ':');
	char addr[64], *end;
	size_t alen;
	unsigned long port;

	if (!colon || (alen = (size_t)(colon - listen)) >= sizeof(addr))
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		return -EINVAL;
	memcpy(addr, listen, alen);
	addr[alen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (alen > 2 && addr[0] == '[' && addr[alen - 1] == ']') {
		addr[alen - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, addr + 1, &in6->sin6_addr) == 1 ?
		       0 : -EINVAL;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)port);
	*len = sizeof(*in4);
	return inet_pton(AF_INET, addr, &in4->sin_addr) == 1 ? 0 : -EINVAL;
}

int gmd_http_start(const char *listen, struct gmd_state *st, int epfd,
		   struct gmd_http **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	struct gmd_http *h;
	socklen_t len;
	unsigned int flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (gmd_parse_listen(listen, &ss, &len))
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->st = st;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, 256u,
		MHD_OPTION_CONNECTION_TIMEOUT, 10u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
		MHD_OPTION_END);
	info = h->mhd ? MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD) :
	       NULL;
	if (!info) {
		if (h->mhd)
			MHD_stop_daemon(h->mhd);
		free(h);
		return -EADDRNOTAVAIL;
	}
	h->fd = info->epoll_fd;
	ev.data.fd = h->fd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, h->fd, &ev)) {
		MHD_stop_daemon(h->mhd);
		free(h);
		return -errno;
	}
	*out = h;
	return 0;
}

bool gmd_http_owns(const struct gmd_http *h, int fd)
{
	return h && fd == h->fd;
}

void gmd_http_run(struct gmd_http *h)
{
	if (h)
		MHD_run(h->mhd);
}

void gmd_http_stop(struct gmd_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h);
}
