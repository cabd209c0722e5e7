// SPDX-License-Identifier: MIT
/*
 * gpumemd at 1,000 GPU processes (bench_scan's desktop tree: 20 fds each,
 * one DRM client and one dma-buf), every process with its own series:
 *   - its RSS once the history ring is full (goal <= 4 MiB; dcgm-exporter
 *     135-250 MiB, node_exporter about 20 MB);
 *   - one scrape of /metrics: the daemon's CPU time per scrape over many
 *     (load on the machine does not inflate it) and the fastest wall time
 *     seen (goal <= 1 ms; node_exporter's drm collector 0.54 ms, devices
 *     only);
 *   - its CPU per second of sampling at 1 Hz (goal <= 1% of one core);
 *   - its RssAnon and peak once it answered a snapshot on the Unix socket
 *     (what a client polling the daemon costs until the next sample).
 * Figures and ratios to the goals, from one run; nothing is asserted.
 *
 * Usage: bench_gpumemd GPUMEMD BENCH_SCAN [DIR]   (DIR: /dev/shm)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROCS 1000
#define SCRAPES 200
#define CPU_WINDOW_S 20

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "bench_gpumemd: %s failed\n", argv[0]);
		exit(1);
	}
}

/*
 * The seconds pid has run.  schedstat counts nanoseconds; utime + stime
 * count ticks of 10 ms, and 20 s at 1% is only 20 of them, so they are
 * the fallback for kernels without CONFIG_SCHED_INFO.  The daemon has one
 * thread, so its main thread's figure is the process's.
 */
static double cpu_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ns;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (f && fscanf(f, "%llu", &ns) == 1) {
		fclose(f);
		return ns / 1e9;
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		exit(1);
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		exit(1);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* "Key: N kB" of /proc/PID/file. */
static long kib_of(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key) + 1);
	}
	if (f)
		fclose(f);
	return v;
}

/* The mappings of pid by Rss, largest first: where the RSS is. */
struct mapping {
	char name[160];
	long rss, dirty;	/* KiB; dirty: Private_Dirty */
};

static int by_rss(const void *a, const void *b)
{
	return (int)(((const struct mapping *)b)->rss -
		     ((const struct mapping *)a)->rss);
}

/* Each file's mappings summed (anonymous ones as "[anon]"). */
static void add_mapping(struct mapping *m, size_t *nr, size_t cap,
			const char *name, long rss, long dirty)
{
	size_t i;

	for (i = 0; i < *nr && strcmp(m[i].name, name); i++)
		;
	if (i == *nr && *nr == cap)
		return;
	if (i == *nr)
		snprintf(m[(*nr)++].name, sizeof(m->name), "%s", name);
	m[i].rss += rss;
	m[i].dirty += dirty;
}

static void print_mappings(pid_t pid)
{
	static struct mapping m[256];
	char path[64], line[512], name[160] = "[anon]";
	size_t nr = 0, i;
	long rss = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, off, ino;
		unsigned int maj, mnr;
		char perms[8];
		int at = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "Rss: %ld", &rss) == 1)
			continue;
		if (!strncmp(line, "Private_Dirty:", 14))
			add_mapping(m, &nr, 256, name, rss, atol(line + 14));
		/* A mapping's first line: "lo-hi perms off maj:min ino path". */
		else if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &lo, &hi,
				perms, &off, &maj, &mnr, &ino, &at) == 7)
			snprintf(name, sizeof(name), "%s",
				 line[at] ? line + at : "[anon]");
	}
	if (f)
		fclose(f);
	qsort(m, nr, sizeof(*m), by_rss);
	printf("mappings by Rss (KiB Rss / Private_Dirty):\n");
	for (i = 0; i < nr && i < 14; i++)
		printf("  %6ld %6ld  %s\n", m[i].rss, m[i].dirty, m[i].name);
}

/* One GET /metrics; its length, or -1. */
static long scrape(int port)
{
	static char buf[8 << 20];
	static const char get[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = false;
	long len = 0;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, get, sizeof(get) - 1) != (ssize_t)(sizeof(get) - 1)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ok |= !len && n >= 12 && !strncmp(buf, "HTTP/1.1 200", 12);
		len += n;
	}
	close(fd);
	return ok ? len : -1;
}

/* One {"get":"snapshot"} on the Unix socket; the reply's length, or -1. */
static long ask_snapshot(const char *path)
{
	static char buf[1 << 20];
	static const char get[] = "{\"get\":\"snapshot\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen = strlen(path);
	bool end = false;
	long len = 0;
	ssize_t n;
	int fd;

	if (plen >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, plen + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, get, sizeof(get) - 1) != (ssize_t)(sizeof(get) - 1)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!end && (n = read(fd, buf, sizeof(buf))) > 0) {
		len += n;
		end = buf[n - 1] == '\n';
	}
	close(fd);
	return end ? len : -1;
}

static pid_t start(const char *exe, const char *root, const char *sock,
		   int port)
{
	char listen[32];
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	pid = fork();
	if (pid == 0) {
		/* The tree has no meminfo: explain says so every 10 s. */
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 2);
		/* --group root: a group in /etc/group, as gpumem is where
		 * installed (sysusers.d); one missing there is looked up
		 * through NSS, whose modules stay mapped. */
		execl(exe, exe, "-f", "--root", root, "--socket", sock,
		      "--listen", listen, "--interval", "1",
		      "--max-process-series", "1000", "--no-collector",
		      "--group", "root", (char *)NULL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 3 ? argv[3] : "/dev/shm";
	char root[256], sock[300], cmd[300];
	double c0, c1, w, t0, rate, best = 1e9;
	long len = 0, i, rss;
	int port = 20000 + getpid() % 10000;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_gpumemd GPUMEMD BENCH_SCAN [DIR]\n");
		return 1;
	}
	snprintf(root, sizeof(root), "%s/gpumemd-bench-%d", dir, (int)getpid());
	snprintf(sock, sizeof(sock), "%s.sock", root);
	run((char *[]){ argv[2], "--tree", root, "1000", "20", NULL });
	pid = start(argv[1], root, sock, port);
	for (i = 0; i < 600 && scrape(port) < 0; i++)
		usleep(100000);
	/* The history ring fills (1 MiB) in about 20 samples at 1 Hz. */
	sleep(30);
	c0 = cpu_of(pid);
	sleep(CPU_WINDOW_S);
	c1 = cpu_of(pid);
	rate = (c1 - c0) / CPU_WINDOW_S;
	printf("gpumemd, %d GPU processes, 1 Hz, every process its series\n",
	       PROCS);
	printf("CPU per second of sampling: %.3f%% of a core (goal 1%%: "
	       "%.2fx)\n", rate * 100, rate / 0.01);
	t0 = wall();
	c0 = cpu_of(pid);
	for (i = 0; i < SCRAPES; i++) {
		w = wall();
		len = scrape(port);
		w = wall() - w;
		if (len > 0 && w < best)
			best = w;
	}
	c1 = cpu_of(pid);
	/* The samples taken meanwhile are in c1 - c0 too: taken out. */
	c1 -= rate * (wall() - t0);
	printf("one scrape (%ld bytes): daemon CPU %.3f ms each, fastest wall "
	       "%.3f ms (goal 1 ms: %.2fx; node_exporter drm 0.54 ms: %.2fx)\n",
	       len, (c1 - c0) / SCRAPES * 1e3, best * 1e3, best / 1e-3,
	       best / 0.54e-3);
	rss = kib_of(pid, "status", "VmRSS:");
	printf("RSS %ld KiB, peak %ld KiB (goal 4096 KiB: %.2fx; "
	       "node_exporter ~20 MB: %.2fx; dcgm-exporter 135 MiB: %.3fx)\n",
	       rss, kib_of(pid, "status", "VmHWM:"), rss / 4096.0,
	       rss / 19531.0, rss / (135 * 1024.0));
	/* Shared library pages are most of the rest of RSS. */
	printf("RssAnon %ld KiB (the 1 MiB history included), RssFile %ld "
	       "KiB, PSS %ld KiB\n", kib_of(pid, "status", "RssAnon:"),
	       kib_of(pid, "status", "RssFile:"),
	       kib_of(pid, "smaps_rollup", "Pss:"));
	print_mappings(pid);
	len = ask_snapshot(sock);
	printf("after a snapshot on the socket (%ld bytes): RssAnon %ld KiB, "
	       "peak %ld KiB\n", len, kib_of(pid, "status", "RssAnon:"),
	       kib_of(pid, "status", "VmHWM:"));
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? 1 : 0;
}
