// SPDX-License-Identifier: MIT
/* gpumem show: GPU memory per device and per process, dma-buf memory. */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "daemon.h"
#include "gpumem/gpumem.h"
#include "sample.h"

enum daemon_use { DAEMON_AUTO, DAEMON_ON, DAEMON_OFF };
/* What the samples so far were said to come from. */
enum via { VIA_NONE, VIA_OWN, VIA_DAEMON };

struct args {
	struct sample_args s;	/* first: the common setters cast to it */
	const char *capture_dir;
	bool csv;
	bool grouped;
	enum gpumem_group_by group_by;
	int out_err;		/* what writing a sample failed with */
	enum daemon_use daemon;
	const char *socket;
	enum via via;
	unsigned int unread;	/* the last walk that found any unreadable */
	bool daemon_gave_up;	/* asked unbidden, did not answer: not again */
	bool daemon_failed;	/* --daemon and it did not answer */
};

static const char usage_text[] =
"Usage: gpumem [show] [OPTIONS] [INTERVAL [COUNT]]\n"
"Show GPU memory per device and per process, and dma-buf memory, with every\n"
"shared buffer counted once.  With INTERVAL (seconds, 0.01 to 86400, e.g.\n"
"0.5): a sample every INTERVAL, COUNT of them or until interrupted, each\n"
"table after a line with its time, each JSON document on one line (NDJSON).\n"
"Where this user cannot read every process and gpumemd answers on its\n"
"socket, gpumemd's figures are shown instead, as stderr says: every device\n"
"and your own processes (all of them for root and group gpumem).\n"
"\n"
"  -p, --pid PID       only this process (shares still computed system-wide)\n"
"  -j, --json          JSON (schema: gpumem(1), docs/json-schema.md)\n"
"  -c, --csv           CSV: a row per process, device and sample\n"
"  -o, --output FMT    table (the default), json or csv\n"
"  -b, --bytes         exact byte figures instead of KiB/MiB/GiB\n"
"  -r, --root DIR      read DIR/proc and DIR/sys instead of /proc and /sys;\n"
"                      a DIR of captures is replayed, one a sample\n"
"  -g, --group BY      PSS-like figures summed per cgroup, unit (systemd),\n"
"                      user (real uid) or tree (of processes, by PPid:);\n"
"                      the groups add up to the total.\n"
"                      With --csv a row per group and sample, with --json\n"
"                      and INTERVAL a document per sample (NDJSON)\n"
SAMPLE_USAGE_REINDEX
"      --capture DIR   write what gpumem and gpumem explain read (at most\n"
"                      256 MiB, files 0600) into DIR, new or an empty\n"
"                      directory of yours, for --root or a bug report\n"
CLI_HELP_DISCOVERY("                      ")
"      --daemon        gpumemd's figures even where every process is\n"
"                      readable; exit 2 when it does not answer\n"
"      --no-daemon     never ask gpumemd: this scan's own figures\n"
"      --socket PATH   gpumemd's socket (default " DAEMON_SOCKET ")\n"
"  -h, --help          this text\n"
"  -V, --version       the version (as the only argument)\n"
"\n"
"Exit status: 0 success (also when stopped by SIGINT, SIGTERM or a closed\n"
"pipe), 1 usage error, 2 no data source (no readable proc tree), 3 other\n"
"runtime error.\n";

static int set_capture(void *args, const char *arg)
{
	((struct args *)args)->capture_dir = arg;
	return 0;
}

static int set_csv(void *args, const char *arg)
{
	(void)arg;
	((struct args *)args)->csv = true;
	return 0;
}

static int set_output(void *args, const char *arg)
{
	struct args *a = args;

	a->s.c.json = !strcmp(arg, "json");
	a->csv = !strcmp(arg, "csv");
	return a->s.c.json || a->csv || !strcmp(arg, "table") ? 0 : -EINVAL;
}

static int set_group(void *args, const char *arg)
{
	struct args *a = args;
	int by;

	for (by = GPUMEM_GROUP_CGROUP; by <= GPUMEM_GROUP_TREE; by++) {
		if (!strcmp(arg, gpumem_group_by_name(by))) {
			a->grouped = true;
			a->group_by = by;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_daemon(void *args, const char *arg)
{
	(void)arg;
	((struct args *)args)->daemon = DAEMON_ON;
	return 0;
}

static int set_no_daemon(void *args, const char *arg)
{
	(void)arg;
	((struct args *)args)->daemon = DAEMON_OFF;
	return 0;
}

static int set_socket(void *args, const char *arg)
{
	((struct args *)args)->socket = arg;
	return arg[0] ? 0 : -EINVAL;
}

static const struct cli_opt options[] = {
	CLI_OPT_PID, CLI_OPT_JSON, CLI_OPT_BYTES, CLI_OPT_ROOT,
	{ "csv", 'c', false, set_csv },
	{ "output", 'o', true, set_output },
	SAMPLE_OPT_REINDEX,
	{ "capture", 256, true, set_capture },
	{ "group", 'g', true, set_group }, CLI_OPT_DISCOVERY,
	{ "daemon", 321, false, set_daemon },
	{ "no-daemon", 322, false, set_no_daemon },
	{ "socket", 323, true, set_socket },
	{ NULL, 0, false, NULL }
};

/* What could not be read is said, never silently left out. */
/* Collector pinned but not readable: the fdinfo view alone, said so. */
static void warn_tracepoint(const struct gpumem_tp *tp)
{
	/* the path is gpumemd's word when the figures are its */
	char path[4 * sizeof(tp->path) + 1];

	gpumem_escape_name(path, sizeof(path), tp->path, NULL);
	if (tp->state == GPUMEM_TP_DENIED)
		fprintf(stderr, "gpumem: %s not readable: join group gpumem for "
			"the tracepoint's figures\n", path);
	else if (tp->state == GPUMEM_TP_ERROR)
		fprintf(stderr, "gpumem: reading %s: %s\n", path,
			strerror(-tp->err));
	if (tp->state == GPUMEM_TP_OK && tp->dropped_full)
		fprintf(stderr, "gpumem: the collector dropped %llu updates "
			"(map full at %u keys): tracepoint figures incomplete\n",
			(unsigned long long)tp->dropped_full, tp->max_entries);
}

static void warn_incomplete(const struct gpumem_snapshot *s)
{
	const struct gpumem_scan_stats *st = gpumem_scan_stats(s);

	if (st->unreadable_processes)
		fprintf(stderr, "gpumem: %u process%s not readable: run as "
			"root or with CAP_SYS_PTRACE (or a file was not what "
			"the kernel writes: 'gpumem sources' counts those)\n",
			st->unreadable_processes,
			st->unreadable_processes == 1 ? "" : "es");
	if (st->malformed_lines)
		fprintf(stderr, "gpumem: %u malformed lines of kernel text "
			"skipped\n", st->malformed_lines);
	if (st->unresolved_fds)
		fprintf(stderr, "gpumem: %u DRM fds without a client id could "
			"not be matched (kcmp unavailable): each counted as its "
			"own client\n", st->unresolved_fds);
	warn_tracepoint(gpumem_snapshot_tp(s));
}

/* The output side's errors, said in words: DIR is the user's argument. */
static const char *capture_why(const char *dir, int err)
{
	struct stat st;

	if (err == -EPERM && !lstat(dir, &st) &&
	    (st.st_uid != geteuid() || st.st_mode & S_IWOTH))
		return "not your directory, or others can write to it: "
		       "refusing, a capture holds other users' data";
	if (err == -ELOOP)
		return "a symlink where the capture has a directory (DIR or a "
		       "directory in it was replaced): refusing to follow it";
	if (err == -EEXIST)
		return "not empty, or changed while gpumem wrote: a capture "
		       "needs a new or empty directory";
	if (err == -ENOENT)
		return "no such directory (its parent must exist)";
	return NULL;
}

static int capture(const struct args *a)
{
	const char *root = a->s.c.opts.root ? a->s.c.opts.root : "/";
	char proc[4096];
	const char *why;
	int err = gpumem_capture(root, a->capture_dir,
				 GPUMEM_CAPTURE_MAX_DEFAULT);

	if (!err)
		return EXIT_OK;
	snprintf(proc, sizeof(proc), "%s/proc", root);
	/* Only a missing source is "no data source"; DIR's parent is not. */
	if (err == -ENOENT && access(proc, F_OK)) {
		fprintf(stderr, "gpumem: cannot read %s: %s\n", proc,
			strerror(-err));
		return EXIT_NO_SOURCE;
	}
	why = capture_why(a->capture_dir, err);
	fprintf(stderr, "gpumem: capture into %s: %s\n", a->capture_dir,
		why ? why : strerror(-err));
	return EXIT_RUNTIME;
}

/* iostat -t's line before each table: when the sample was taken. */
static void print_time(const struct gpumem_snapshot *s, unsigned long n)
{
	int64_t ns = gpumem_sample_info(s)->realtime_ns;
	time_t sec = (time_t)(ns / 1000000000);
	char buf[64];
	struct tm tm = { 0 };

	if (ns < 0)
		ns = sec = 0;	/* gpumemd's word: never a negative time */
	if (!localtime_r(&sec, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		buf[0] = '\0';
	printf("%s%s.%03d %s\n", n ? "\n" : "", buf,
	       (int)(ns / 1000000 % 1000), tm.tm_zone ? tm.tm_zone : "");
}

/* doc: gpumemd's document, printed as it came (its "access" included). */
static int print_sample(const struct args *a, const struct gpumem_snapshot *s,
			const json_t *doc, unsigned long n)
{
	bool line = a->s.plan.interval_ns;

	if (doc && a->s.c.json && !a->grouped) {
		if (json_dumpf(doc, stdout, (line ? JSON_COMPACT :
				JSON_INDENT(2)) | JSON_PRESERVE_ORDER) ||
		    putchar('\n') == EOF)
			return -EIO;
		return 0;
	}
	if (a->grouped && a->csv)
		return gpumem_print_groups_csv(s, a->group_by, stdout,
					       a->s.c.flags |
					       (n ? 0 : GPUMEM_PRINT_CSV_HEAD));
	if (a->grouped && a->s.c.json)
		return a->s.plan.interval_ns ?
		       gpumem_print_groups_json_line(s, a->group_by, stdout) :
		       gpumem_print_groups_json(s, a->group_by, stdout);
	if (a->grouped && a->s.plan.interval_ns)
		print_time(s, n);
	if (a->grouped)
		return gpumem_print_groups_table(s, a->group_by, stdout,
						 a->s.c.flags);
	if (a->csv)
		return gpumem_print_csv(s, stdout, a->s.c.flags |
					(n ? 0 : GPUMEM_PRINT_CSV_HEAD));
	if (a->s.c.json)
		return a->s.plan.interval_ns ? gpumem_print_json_line(s, stdout) :
		       gpumem_print_json(s, stdout);
	if (a->s.plan.interval_ns)
		print_time(s, n);
	return gpumem_print_table(s, stdout, a->s.c.flags);
}

/*
 * Whether to ask gpumemd for this sample: never of a --root tree.  Once a
 * walk found processes unreadable, the rest of the series asks too: the
 * refreshes between walks read only what the walk could.
 */
static bool want_daemon(struct args *a, const struct gpumem_snapshot *s)
{
	if (a->daemon == DAEMON_OFF || a->daemon_gave_up ||
	    a->s.c.opts.root || a->s.c.opts.pid)
		return false;
	if (gpumem_scan_stats(s)->unreadable_processes)
		a->unread = gpumem_scan_stats(s)->unreadable_processes;
	return a->daemon == DAEMON_ON || a->unread;
}

/* Said once, and again whenever a series goes from one to the other. */
static void say_daemon(struct args *a, const struct daemon_reply *r)
{
	char uid[64] = "";

	if (a->via == VIA_DAEMON)
		return;
	a->via = VIA_DAEMON;
	if (r->uid != 0)
		snprintf(uid, sizeof(uid), " (it runs as uid %d, not root)",
			 (int)r->uid);
	if (a->daemon == DAEMON_ON)
		fprintf(stderr, "gpumem: figures from gpumemd (%s, --daemon)%s: ",
			a->socket, uid);
	else
		fprintf(stderr, "gpumem: %u process%s not readable by this user: "
			"figures from gpumemd (%s)%s: ", a->unread,
			a->unread == 1 ? " is" : "es are", a->socket, uid);
	fprintf(stderr, "%s\n", r->all ? "every process" :
		"every device, and your own processes only");
}

/*
 * gpumemd's snapshot for this sample into r, or false: the own scan's,
 * with a note when gpumemd was asked and did not answer (--daemon: the
 * end of the series, exit 2).
 */
static bool from_daemon(struct args *a, const struct gpumem_snapshot *own,
			struct daemon_reply *r)
{
	char why[256];
	int err;

	if (!want_daemon(a, own))
		return false;
	err = daemon_ask(a->socket, r, why, sizeof(why));
	if (!err) {
		say_daemon(a, r);
		return true;
	}
	if (a->daemon == DAEMON_ON) {
		fprintf(stderr, "gpumem: --daemon: gpumemd (%s): %s\n",
			a->socket, why);
		a->daemon_failed = true;
	} else {
		/* A hung daemon would cost every sample its timeout. */
		fprintf(stderr, "gpumem: gpumemd (%s): %s: this scan's own "
			"figures%s\n", a->socket, why, a->s.plan.count != 1 ?
			", and gpumemd is not asked again" : "");
		a->daemon_gave_up = true;
	}
	a->via = VIA_OWN;
	return false;
}

/*
 * Each sample reaches its reader whole and at once.  A reader that went
 * away (EPIPE) ends the series: what stdio still holds for it is dropped.
 */
static int emit(void *ctx, const struct gpumem_snapshot *s, unsigned long n)
{
	struct args *a = ctx;
	struct daemon_reply r = { 0 };
	bool via = from_daemon(a, s, &r);
	int err;

	/* The end of the series, already said: cmd_show() exits 2. */
	if (a->daemon_failed)
		return -EPIPE;
	if (!n)
		warn_incomplete(via ? r.snap : s);
	errno = 0;
	err = print_sample(a, via ? r.snap : s, r.doc, n);
	daemon_reply_free(&r);
	if (fflush(stdout) || ferror(stdout) || err)
		err = errno ? -errno : err ? err : -EIO;
	if (err == -EPIPE) {
		__fpurge(stdout);
		clearerr(stdout);
	}
	a->out_err = err;
	return err;
}

int cmd_show(int argc, char **argv)
{
	/* No INTERVAL: one sample. */
	struct args a = { .s.c.opts = { GPUMEM_OPTS_INIT },
			  .s.plan = { .count = 1, .reindex_ns = -1 },
			  .socket = DAEMON_SOCKET };
	int ret = sample_parse(argc, argv, options, &a.s, usage_text, NULL,
			       NULL);

	if (ret >= 0)
		return ret;
	if (a.daemon == DAEMON_ON && (a.s.c.opts.root || a.s.c.opts.pid ||
				      a.capture_dir))
		return usage_error("--daemon cannot be used with",
				   a.s.c.opts.root ? "--root" :
				   a.capture_dir ? "--capture" : "--pid");
	if (a.capture_dir)
		return capture(&a);
	ret = sample_main(&a.s, emit, &a, &a.out_err);
	return a.daemon_failed ? EXIT_NO_SOURCE : ret;
}
