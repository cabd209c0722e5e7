// SPDX-License-Identifier: MIT
/*
 * gpumem trace: the collector's change events, live.  One consumer at a
 * time reads the pinned ring buffer (consuming needs write access: root).
 * The collector emits events only while the stream lease we keep renewing
 * runs; what the ring buffer held before we started is skipped, not shown
 * as new.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include "cli.h"
#include "gpumem/gpumem.h"
#include "gpumem_bpf.h"

static const char usage_text[] =
"Usage: gpumem trace [--json] [--count N] [--pin-dir DIR]\n"
"Every change of a gpu_mem_total figure, as the collector (gpumem bpf\n"
"load) sees it: time since boot, GPU, pid (0: the device), the task that\n"
"caused it, old -> new bytes.\n"
"\n"
"  -j, --json         one JSON object per line\n"
"  -n, --count N      exit after N events\n"
"  -P, --pin-dir DIR  another bpffs directory\n"
"  -h, --help         this text\n"
"-c and -d, the old spellings of -n and -P, still work (with a note): in\n"
"gpumem's sampling commands they mean CSV and delay.\n"
"Exits 0 on SIGINT, SIGTERM or when the reader of a pipe goes away.\n";

struct trace {
	bool json;
	unsigned long count;	/* 0: until interrupted */
	unsigned long seen;
	uint64_t start_ns;	/* CLOCK_BOOTTIME, as the events */
	const char *pin_dir;
};

static uint64_t boottime_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_BOOTTIME, &now);
	return (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;
}

/*
 * The collector's globals, mapped writable: the lease is one word of
 * them, the rest are counters the program keeps.
 */
static struct gm_bpf_globals *map_globals(int fd)
{
	void *g = mmap(NULL, sizeof(struct gm_bpf_globals),
		       PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return g == MAP_FAILED ? NULL : g;
}

/* until 0 ends the lease. */
static void set_lease(struct gm_bpf_globals *g, uint64_t until)
{
	__atomic_store_n(&g->stream_until, until, __ATOMIC_RELAXED);
}

/* Any task's comm, cut where the kernel cut it: not a C string yet. */
static void event_comm(const struct gm_bpf_event *e,
		       char comm[sizeof(e->comm) + 1])
{
	memcpy(comm, e->comm, sizeof(e->comm));
	comm[sizeof(e->comm)] = '\0';
}

/* Invalid UTF-8 would make json_pack() fail and the event vanish. */
static void print_json(const struct gm_bpf_event *e)
{
	char raw[sizeof(e->comm) + 1], comm[4 * sizeof(e->comm) + 1];
	json_t *o;

	event_comm(e, raw);
	gpumem_utf8_repair(comm, sizeof(comm), raw);
	o = json_pack("{s:I,s:i,s:i,s:s,s:i,s:I,s:I}",
		      "ts_ns", (json_int_t)e->ts_ns, "gpu", (int)e->gpu_id,
		      "pid", (int)e->pid, "comm", comm, "by_pid", (int)e->tgid,
		      "old_bytes", (json_int_t)e->old_size,
		      "new_bytes", (json_int_t)e->new_size);
	if (!o)
		return;
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(o);
}

/*
 * The comm escaped and padded by the columns it takes; one wider than its
 * 16 columns (escapes take 4 each) pushes only its own line.
 */
static void print_text(const struct gm_bpf_event *e)
{
	char raw[sizeof(e->comm) + 1], comm[4 * sizeof(e->comm) + 1];
	size_t cols;

	event_comm(e, raw);
	gpumem_escape_name(comm, sizeof(comm), raw, &cols);
	printf("%6llu.%06llu %3u %7u %s%*s %7u %14llu -> %llu\n",
	       e->ts_ns / 1000000000, e->ts_ns % 1000000000 / 1000,
	       e->gpu_id, e->pid, comm, cols < 16 ? (int)(16 - cols) : 0, "",
	       e->tgid, e->old_size, e->new_size);
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct gm_bpf_event *e = data;
	struct trace *t = ctx;

	if (len < sizeof(*e) || e->ts_ns < t->start_ns ||
	    (t->count && t->seen >= t->count))
		return 0;
	if (t->json)
		print_json(e);
	else
		print_text(e);
	t->seen++;
	/* A reader that went away ends the stream (EPIPE: exit 0). */
	return fflush(stdout) ? -errno : 0;
}

static int set_json(void *args, const char *arg)
{
	(void)arg;
	((struct trace *)args)->json = true;
	return 0;
}

static int set_count(void *args, const char *arg)
{
	char *end;

	errno = 0;
	((struct trace *)args)->count = strtoul(arg, &end, 10);
	return errno || end == arg || *end || arg[0] == '-' ? -EINVAL : 0;
}

static int set_pin_dir(void *args, const char *arg)
{
	((struct trace *)args)->pin_dir = arg;
	return 0;
}

static const struct cli_opt options[] = {
	{ "json", 'j', false, set_json },
	{ "count", 'n', true, set_count },
	{ "pin-dir", 'P', true, set_pin_dir },
	{ "count", 'c', true, set_count, "-n" },
	{ "pin-dir", 'd', true, set_pin_dir, "-P" },
	{ NULL, 0, false, NULL }
};

/* Both pins need write access: the consumer position, the lease. */
static int open_pin(const struct trace *t, const char *name, char *path,
		    size_t len)
{
	int fd;

	snprintf(path, len, "%s/%s", t->pin_dir ? t->pin_dir : GPUMEM_TP_PIN_DIR,
		 name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "gpumem: %s: %s: %s\n", path, strerror(errno),
			errno == ENOENT ? "run 'gpumem bpf load' as root" :
			"reading the event stream needs root");
	return fd;
}

int cmd_trace(int argc, char **argv)
{
	struct trace t = { 0 };
	struct ring_buffer *rb = NULL;
	char path[4096];
	struct gm_bpf_globals *g = NULL;
	int fd, gfd = -1, ret, err = 0;

	ret = cli_parse(argc, argv, options, &t, usage_text);
	if (ret >= 0)
		return ret;
	fd = open_pin(&t, "events", path, sizeof(path));
	if (fd < 0)
		return EXIT_NO_SOURCE;
	t.start_ns = boottime_ns();
	rb = ring_buffer__new(fd, on_event, &t, NULL);
	if (!rb) {
		fprintf(stderr, "gpumem: %s: %s\n", path, strerror(errno));
		ret = EXIT_RUNTIME;
		goto cleanup;
	}
	gfd = open_pin(&t, "globals", path, sizeof(path));
	if (gfd < 0) {
		ret = EXIT_NO_SOURCE;
		goto cleanup;
	}
	g = map_globals(gfd);
	if (!g) {
		fprintf(stderr, "gpumem: %s: %s\n", path, strerror(errno));
		ret = EXIT_RUNTIME;
		goto cleanup;
	}
	cli_catch_stop();
	if (!t.json)
		printf("%13s %3s %7s %-16s %7s %14s    %s\n", "TIME", "GPU", "PID",
		       "COMM", "BY", "OLD", "NEW");
	while (!cli_stop) {
		set_lease(g, boottime_ns() + GM_BPF_STREAM_LEASE_NS);
		err = ring_buffer__poll(rb, 200);
		if (err == -EINTR)
			err = 0;
		if (err < 0 || (t.count && t.seen >= t.count))
			break;
	}
	if (err > 0 || err == -EPIPE)
		err = 0;
	if (err)
		fprintf(stderr, "gpumem: streaming from %s: %s\n",
			t.pin_dir ? t.pin_dir : GPUMEM_TP_PIN_DIR, strerror(-err));
	set_lease(g, 0);
	ret = err ? EXIT_RUNTIME : EXIT_OK;
cleanup:
	ring_buffer__free(rb);
	if (g)
		munmap(g, sizeof(*g));
	if (gfd >= 0)
		close(gfd);
	close(fd);
	return ret;
}
