// SPDX-License-Identifier: MIT
/*
 * gmd_load SOCKET PORT CLIENTS REQUESTS SCRAPES: CLIENTS connections to
 * gpumemd's socket at once, each sending REQUESTS requests one after the
 * other (snapshot, history, explain and a malformed one, in turn), while
 * a second thread scrapes http://127.0.0.1:PORT/metrics SCRAPES times.
 * Every reply must be one JSON object, an error exactly for the malformed
 * requests; every scrape a 200 with the whole exposition text.  Prints
 * "replies N bad N lost N scrapes N bad_scrapes N" and exits 0 when
 * nothing was bad or lost.  Counts, never times.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

static const char *const requests[] = {
	"{\"get\":\"snapshot\"}\n",
	"{\"get\":\"history\",\"seconds\":5}\n",
	"{\"get\":\"explain\"}\n",
	"{\"get\":\"nothing\"}\n",
};
#define NR_REQUESTS 4
#define MALFORMED 3

struct conn {
	int fd;
	unsigned long sent, answered;
	char *buf;
	size_t len, cap;
};

struct counts {
	unsigned long replies, bad, lost;
};

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_next(struct conn *c)
{
	const char *r = requests[c->sent % NR_REQUESTS];
	size_t len = strlen(r);

	if (write(c->fd, r, len) != (ssize_t)len)
		return -1;
	c->sent++;
	return 0;
}

static void judge(struct conn *c, const char *line, size_t len,
		  struct counts *n)
{
	json_t *doc = json_loadb(line, len, 0, NULL);
	bool error = json_is_object(doc) && json_object_get(doc, "error");
	bool want_error = c->answered % NR_REQUESTS == MALFORMED;

	n->replies++;
	if (!json_is_object(doc) || error != want_error)
		n->bad++;
	json_decref(doc);
	c->answered++;
}

/* Reads what is there; judges each complete line. */
static int receive(struct conn *c, struct counts *n)
{
	char *nl;
	ssize_t r;

	if (c->cap - c->len < 65536) {
		c->cap = c->cap ? 2 * c->cap : 1 << 20;
		c->buf = realloc(c->buf, c->cap);
		if (!c->buf)
			return -1;
	}
	r = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (r <= 0)
		return -1;
	c->len += (size_t)r;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		size_t line = (size_t)(nl - c->buf);

		judge(c, c->buf, line, n);
		c->len -= line + 1;
		memmove(c->buf, nl + 1, c->len);
	}
	return 0;
}

static void run_clients(const char *path, int nr, unsigned long each,
			struct counts *n)
{
	struct conn *cs = calloc((size_t)nr, sizeof(*cs));
	struct pollfd *pfd = calloc((size_t)nr, sizeof(*pfd));
	int i, open_conns = 0;

	for (i = 0; cs && pfd && i < nr; i++) {
		cs[i].fd = connect_unix(path);
		if (cs[i].fd < 0 || send_next(&cs[i]))
			continue;
		open_conns++;
	}
	while (open_conns > 0) {
		for (i = 0; i < nr; i++)
			pfd[i] = (struct pollfd){ cs[i].fd, POLLIN, 0 };
		if (poll(pfd, (nfds_t)nr, 30000) <= 0)
			break;
		for (i = 0; i < nr; i++) {
			struct conn *c = &cs[i];

			if (c->fd < 0 || !pfd[i].revents)
				continue;
			if (receive(c, n) || (c->answered == c->sent &&
			    c->sent < each && send_next(c)) ||
			    c->answered == each) {
				close(c->fd);
				c->fd = -1;
				open_conns--;
			}
		}
	}
	for (i = 0; cs && i < nr; i++) {
		n->lost += each - cs[i].answered;
		if (cs[i].fd >= 0)
			close(cs[i].fd);
		free(cs[i].buf);
	}
	free(cs);
	free(pfd);
}

struct scraper {
	int port;
	unsigned long count, ok;
};

/* One GET /metrics: a 200 whose body ends with gpumem_build_info's line. */
static bool scrape(int port)
{
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	char *buf = malloc(4 << 20);
	size_t len = 0;
	ssize_t r;
	bool good = false;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (buf && fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    write(fd, get, sizeof(get) - 1) == (ssize_t)(sizeof(get) - 1)) {
		while (len < (4 << 20) - 1 &&
		       (r = read(fd, buf + len, (4 << 20) - 1 - len)) > 0)
			len += (size_t)r;
		buf[len] = '\0';
		good = !strncmp(buf, "HTTP/1.1 200", 12) &&
		       strstr(buf, "\ngpumem_build_info{") &&
		       len && buf[len - 1] == '\n';
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return good;
}

static void *run_scrapes(void *arg)
{
	struct scraper *s = arg;
	unsigned long i;

	for (i = 0; i < s->count; i++)
		s->ok += scrape(s->port);
	return NULL;
}

int main(int argc, char **argv)
{
	struct counts n = { 0 };
	struct scraper s = { 0 };
	pthread_t th;

	if (argc != 6) {
		fprintf(stderr, "usage: gmd_load SOCKET PORT CLIENTS REQUESTS "
			"SCRAPES\n");
		return 2;
	}
	s.port = atoi(argv[2]);
	s.count = strtoul(argv[5], NULL, 10);
	if (pthread_create(&th, NULL, run_scrapes, &s))
		return 2;
	run_clients(argv[1], atoi(argv[3]), strtoul(argv[4], NULL, 10), &n);
	pthread_join(th, NULL);
	printf("replies %lu bad %lu lost %lu scrapes %lu bad_scrapes %lu\n",
	       n.replies, n.bad, n.lost, s.count, s.count - s.ok);
	return n.bad || n.lost || s.ok != s.count;
}
