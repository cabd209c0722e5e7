// SPDX-License-Identifier: MIT
/*
 * gpumemd: GPU memory per device and per process, always on.  Loads or
 * adopts the BPF collector, samples on the library's refresh path, keeps
 * a history, and answers on a Unix socket and on /metrics, all from one
 * epoll loop: no thread per client, and nothing a client does makes it
 * scan.
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "gpumemd.h"

enum { EXIT_OK, EXIT_USAGE, EXIT_NO_SOURCE, EXIT_RUNTIME };

static const char usage_text[] =
"Usage: gpumemd [OPTIONS]\n"
"GPU and dma-buf memory per device and per process, sampled all the time,\n"
"for a Unix socket (gpumem, scripts) and Prometheus (/metrics).\n"
"\n"
"  -r, --root DIR            read DIR/proc and DIR/sys (a capture, a fixture)\n"
"  -s, --socket PATH         the Unix socket (default " GMD_DEFAULT_SOCKET ")\n"
"  -l, --listen ADDR:PORT    /metrics on ADDR:PORT (default "
	GMD_DEFAULT_LISTEN "),\n"
"                            [ADDR]:PORT for IPv6, none for no HTTP\n"
"  -i, --interval SECONDS    between samples (default 1; 0.01 to 3600)\n"
"      --index-interval SECONDS\n"
"                            between full samples, which find new processes\n"
"                            and fds, and explains (default 10)\n"
"      --history-bytes N     memory for the history (default 1048576)\n"
"  -f, --foreground          do not detach; log to stderr\n"
"      --no-process-metrics  no per-process series on /metrics\n"
"      --max-process-series N\n"
"                            per-process series for the N largest processes,\n"
"                            the rest summed as pid=\"other\" (default 100)\n"
"      --group NAME          members see all processes, as root (gpumem)\n"
"      --no-collector        neither load nor adopt the BPF collector\n"
"  -h, --help                this text\n"
"  -V, --version             the version\n"
"\n"
"Exit status: 0 stopped by SIGTERM or SIGINT, 1 usage error, 2 no data\n"
"source (no readable proc tree), 3 other runtime error (socket in use).\n";

enum {
	OPT_INDEX = 256, OPT_HISTORY, OPT_NO_PROC, OPT_MAX_SERIES, OPT_GROUP,
	OPT_NO_COLLECTOR,
};

static const struct option long_opts[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "socket", required_argument, NULL, 's' },
	{ "listen", required_argument, NULL, 'l' },
	{ "interval", required_argument, NULL, 'i' },
	{ "index-interval", required_argument, NULL, OPT_INDEX },
	{ "history-bytes", required_argument, NULL, OPT_HISTORY },
	{ "foreground", no_argument, NULL, 'f' },
	{ "no-process-metrics", no_argument, NULL, OPT_NO_PROC },
	{ "max-process-series", required_argument, NULL, OPT_MAX_SERIES },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "no-collector", no_argument, NULL, OPT_NO_COLLECTOR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static int parse_seconds(const char *s, double min, double max, int64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*ns = (int64_t)(v * 1e9);
	return 0;
}

static int parse_count(const char *s, unsigned long long max,
		       unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || end == s || *end || s[0] == '-' || *out > max ?
	       -EINVAL : 0;
}

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "gpumemd: invalid %s '%s'\nTry 'gpumemd --help'.\n",
		what, arg);
	return EXIT_USAGE;
}

static int set_opt(struct gmd_config *c, int key, const char *arg)
{
	unsigned long long n;

	switch (key) {
	case 'r': c->root = arg; return arg[0] ? -1 : bad("--root", arg);
	case 's': c->socket_path = arg; return arg[0] ? -1 : bad("--socket", arg);
	case 'l': c->listen = strcmp(arg, "none") ? arg : ""; return -1;
	case 'f': c->foreground = true; return -1;
	case OPT_NO_PROC: c->process_metrics = false; return -1;
	case OPT_GROUP: c->group = arg; return -1;
	case OPT_NO_COLLECTOR: c->collector = false; return -1;
	case 'i':
		return parse_seconds(arg, 0.01, 3600, &c->interval_ns) ?
		       bad("--interval", arg) : -1;
	case OPT_INDEX:
		return parse_seconds(arg, 0.01, 86400, &c->index_interval_ns) ?
		       bad("--index-interval", arg) : -1;
	case OPT_HISTORY:
		if (parse_count(arg, 1ull << 36, &n) || n < 4096)
			return bad("--history-bytes (4096 or more)", arg);
		c->history_bytes = (size_t)n;
		return -1;
	case OPT_MAX_SERIES:
		if (parse_count(arg, 1u << 20, &n))
			return bad("--max-process-series", arg);
		c->max_process_series = (unsigned int)n;
		return -1;
	default:
		return -1;
	}
}

/* -1: go on; else the exit code. */
static int parse_args(int argc, char **argv, struct gmd_config *c)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int key, ret;

	*c = (struct gmd_config){
		.socket_path = GMD_DEFAULT_SOCKET, .listen = GMD_DEFAULT_LISTEN,
		.group = "gpumem", .interval_ns = 1000000000,
		.index_interval_ns = 10000000000ll, .history_bytes = 1u << 20,
		.max_process_series = 100, .process_metrics = true,
		.collector = true,
	};
	opterr = 0;
	while ((key = getopt_long(argc, argv, ":r:s:l:i:fhV", long_opts,
				  NULL)) != -1) {
		if (key == 'h') {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		if (key == 'V') {
			printf("gpumemd %s\n", gpumem_version());
			return EXIT_OK;
		}
		if (key == '?' || key == ':')
			return bad(key == ':' ? "use of option" : "option",
				   argv[optind - 1]);
		ret = set_opt(c, key, optarg);
		if (ret >= 0)
			return ret;
	}
	if (optind < argc)
		return bad("argument", argv[optind]);
	if (c->listen[0] && gmd_parse_listen(c->listen, &ss, &len))
		return bad("--listen (ADDR:PORT)", c->listen);
	return -1;
}

static int add_fd(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return fd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -1 : fd;
}

static int timer(int epfd, int64_t ns)
{
	struct itimerspec its = {
		.it_interval = { ns / 1000000000, ns % 1000000000 },
		.it_value = { ns / 1000000000, ns % 1000000000 },
	};
	int fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return add_fd(epfd, fd);
}

static int signals(int epfd)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return add_fd(epfd, signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
}

struct loop {
	int epfd, sample_fd, sweep_fd, signal_fd;
	struct gmd_state st;
	struct gmd_server *server;
	struct gmd_http *http;
};

static void drain(int fd)
{
	uint64_t buf[16];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void dispatch(struct loop *l, const struct epoll_event *ev,
		     bool *stop)
{
	int fd = ev->data.fd;

	if (fd == l->signal_fd) {
		*stop = true;
	} else if (fd == l->sample_fd) {
		drain(fd);
		gmd_sample(&l->st);
	} else if (fd == l->sweep_fd) {
		drain(fd);
		gmd_server_sweep(l->server);
	} else if (gmd_server_owns(l->server, fd)) {
		gmd_server_event(l->server, &l->st, fd, ev->events);
	}
}

static int run(struct loop *l)
{
	struct epoll_event evs[64];
	bool stop = false;

	while (!stop) {
		int i, n = epoll_wait(l->epfd, evs, 64, 1000);

		if (n < 0 && errno != EINTR)
			return EXIT_RUNTIME;
		for (i = 0; i < n && !stop; i++)
			dispatch(l, &evs[i], &stop);
		/* MHD's own timeouts and any event on its epoll fd. */
		gmd_http_run(l->http);
	}
	gmd_log(LOG_INFO, "stopping");
	return EXIT_OK;
}

static int start_io(struct loop *l, const struct gmd_config *cfg)
{
	int err = gmd_server_open(cfg->socket_path, l->epfd, &l->server);

	if (err) {
		gmd_log(LOG_ERR, "%s: %s%s", cfg->socket_path, strerror(-err),
			err == -EADDRINUSE ? " (another gpumemd answers there)"
			: "");
		return EXIT_RUNTIME;
	}
	if (cfg->listen[0]) {
		err = gmd_http_start(cfg->listen, &l->st, l->epfd, &l->http);
		if (err) {
			gmd_log(LOG_ERR, "--listen %s: cannot listen there "
				"(in use?)", cfg->listen);
			return EXIT_RUNTIME;
		}
	}
	return -1;
}

/* Everything up to the first sample served; -1 when it all worked. */
static int start(struct loop *l, const struct gmd_config *cfg)
{
	int err;

	if (gmd_access_init(cfg->group))
		gmd_log(LOG_WARNING, "no group '%s': only root sees every "
			"process", cfg->group);
	if (cfg->collector && !cfg->root)
		gmd_collector_start();
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->signal_fd = signals(l->epfd);
	l->sample_fd = timer(l->epfd, cfg->interval_ns);
	l->sweep_fd = timer(l->epfd, 1000000000);
	if (l->epfd < 0 || l->signal_fd < 0 || l->sample_fd < 0 ||
	    l->sweep_fd < 0 || gmd_state_init(&l->st, cfg)) {
		gmd_log(LOG_ERR, "setting up: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	err = gmd_sample(&l->st);
	if (err) {
		gmd_log(LOG_ERR, "first sample of %s/proc failed",
			cfg->root ? cfg->root : "");
		return EXIT_NO_SOURCE;
	}
	return start_io(l, cfg);
}

/* Detached, the daemon runs in /: relative paths are made whole first. */
static int absolute(const char **path, char **keep)
{
	char cwd[4096];

	if (!*path || (*path)[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(keep, "%s/%s", cwd,
						  *path) < 0)
		return -errno;
	*path = *keep;
	return 0;
}

/*
 * Detached: the parent exits only when the child serves (0) or failed
 * (its code), so that whoever started it knows which.
 */
static int detach(int *ready_fd)
{
	int p[2], null;
	unsigned char code = EXIT_RUNTIME;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return EXIT_RUNTIME;
	pid = fork();
	if (pid < 0)
		return EXIT_RUNTIME;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &code, 1) != 1)
			code = EXIT_RUNTIME;
		return code;
	}
	close(p[0]);
	setsid();
	if (chdir("/"))
		return EXIT_RUNTIME;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	gmd_log_syslog();
	*ready_fd = p[1];
	return -1;
}

static void report(int ready_fd, int code)
{
	unsigned char c = (unsigned char)code;

	if (ready_fd >= 0 && write(ready_fd, &c, 1) != 1)
		gmd_log(LOG_WARNING, "the starting process is gone");
	if (ready_fd >= 0)
		close(ready_fd);
}

/* Allocations from this size up are mmapped (glibc: 128 KiB, rising). */
#define GMD_MMAP_THRESHOLD (512 << 10)

int main(int argc, char **argv)
{
	struct gmd_config cfg;
	struct loop l = { .epfd = -1 };
	int ret = parse_args(argc, argv, &cfg), ready_fd = -1;
	char *root = NULL, *sock = NULL;

	if (ret >= 0)
		return ret;
	/*
	 * Each sample's large arrays (1,000 clients: 2 MiB) in mappings of
	 * their own, given back when freed: glibc's default raises the mmap
	 * threshold after such a free, and the next sample's arrays then stay
	 * in the heap, fragmenting it.
	 */
	mallopt(M_MMAP_THRESHOLD, GMD_MMAP_THRESHOLD);
	if (!cfg.foreground) {
		if (absolute(&cfg.root, &root) ||
		    absolute(&cfg.socket_path, &sock)) {
			perror("gpumemd: the current directory");
			return EXIT_RUNTIME;
		}
		ret = detach(&ready_fd);
		if (ret >= 0)
			_exit(ret);
	}
	ret = start(&l, &cfg);
	report(ready_fd, ret >= 0 ? ret : EXIT_OK);
	if (ret < 0) {
		gmd_log(LOG_INFO, "serving %s%s%s", cfg.socket_path,
			cfg.listen[0] ? " and http://" : "", cfg.listen[0] ?
			cfg.listen : "");
		ret = run(&l);
	}
	gmd_http_stop(l.http);
	gmd_server_close(l.server);
	gmd_state_free(&l.st);
	free(root);
	free(sock);
	return ret;
}
