// SPDX-License-Identifier: MIT
/* gpumem top: options, then the terminal or --batch. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cli.h"
#include "top.h"

struct args {
	struct cli_common c;	/* first: the common setters cast to it */
	struct top_ui ui;
	bool batch;
	double full_every;
	unsigned int width;
};

static const char usage_text[] =
"Usage: gpumem top [OPTIONS]\n"
"A live view of GPU memory: a line per device, a list of the processes\n"
"that hold GPU memory or dma-bufs, their change and leak hints.  Press h\n"
"for the keys.\n"
"\n"
"  -d, --delay SECONDS   between samples (default 2, at least 0.1)\n"
"      --batch           plain text frames to stdout, no terminal needed\n"
"  -n, --iterations N    stop after N samples (default: until q, or\n"
"                        interrupted)\n"
"  -w, --width COLUMNS   of a --batch frame (default $COLUMNS, else 200)\n"
"      --full-every SECONDS  a full walk of /proc (new processes, new fds)\n"
"                        at most this far apart; 0: every sample (default:\n"
"                        as often as 0.5%% of the time allows, 10 s at most)\n"
"  -s, --sort COLUMN     pid, user, gpu, gpupss, dmabuf, dmapss, delta,\n"
"                        cgroup, command (default gpu)\n"
"  -g, --group HOW       none, tree (PPid:, each tree's sum, then its\n"
"                        members indented), user, cgroup\n"
"  -f, --filter TEXT     TEXT in the name, u:USER, d:cardN or driver,\n"
"                        c:CGROUP (as the / key)\n"
"  -c, --command-line    COMMAND shows command lines, not comm (the c key)\n"
"      --delta N         the DELTA column: change over N samples (default 5)\n"
"      --leak-window K   the leak rule's window, K >= 3 samples (default 10;\n"
"                        docs/leaks.md)\n"
"  -p, --pid PID         only this process\n"
"  -b, --bytes           exact byte figures\n"
"  -r, --root DIR        read DIR/proc and DIR/sys instead of /proc and /sys\n"
"  -h, --help            this text\n"
"\n"
"Exit status: 0 success, 1 usage error (or no terminal without --batch),\n"
"2 no data source, 3 other runtime error.\n";

static int parse_uint(const char *s, unsigned long lo, unsigned long hi,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

int top_parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0.1 || v > 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

static int set_delay(void *a, const char *s)
{
	return top_parse_interval(s, &((struct args *)a)->ui.interval_s);
}

static int set_batch(void *a, const char *s)
{
	(void)s;
	((struct args *)a)->batch = true;
	return 0;
}

static int set_count(void *a, const char *s)
{
	return parse_uint(s, 1, 1ul << 31, &((struct args *)a)->ui.count);
}

static int set_width(void *a, const char *s)
{
	unsigned long w;
	int err = parse_uint(s, 40, TOP_TEXT_WIDTH_MAX, &w);

	((struct args *)a)->width = (unsigned int)w;
	return err;
}

/* The index of s in names, or -1. */
static int name_index(const char *const *names, int nr, const char *s)
{
	int i;

	for (i = 0; i < nr; i++) {
		if (!strcmp(s, names[i]))
			return i;
	}
	return -1;
}

static int set_sort(void *a, const char *s)
{
	static const char *const names[TOP_COL_COUNT] = {
		"pid", "user", "gpu", "gpupss", "dmabuf", "dmapss", "delta",
		"cgroup", "command",
	};
	int c = name_index(names, TOP_COL_COUNT, s);

	if (c >= 0)
		((struct args *)a)->ui.set.sort = c;
	return c < 0 ? -EINVAL : 0;
}

static int set_group(void *a, const char *s)
{
	static const char *const names[TOP_GROUP_COUNT] = {
		"none", "tree", "user", "cgroup",
	};
	int g = name_index(names, TOP_GROUP_COUNT, s);

	if (g >= 0)
		((struct args *)a)->ui.set.group = g;
	return g < 0 ? -EINVAL : 0;
}

static int set_full_every(void *a, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 86400)
		return -EINVAL;
	((struct args *)a)->full_every = v;
	return 0;
}

static int set_cmdline(void *a, const char *s)
{
	(void)s;
	((struct args *)a)->ui.set.cmdline = true;
	return 0;
}

static int set_filter(void *a, const char *s)
{
	top_filter_parse(&((struct args *)a)->ui.set, s);
	return 0;
}

static int set_delta(void *a, const char *s)
{
	unsigned long n;
	int err = parse_uint(s, 1, TOP_HISTORY - 1, &n);

	((struct args *)a)->ui.set.delta_samples = (unsigned int)n;
	return err;
}

static int set_leak_window(void *a, const char *s)
{
	unsigned long n;
	int err = parse_uint(s, 3, TOP_HISTORY, &n);

	((struct args *)a)->ui.set.rule.window = (unsigned int)n;
	return err;
}

static const struct cli_opt options[] = {
	{ "delay", 'd', true, set_delay },
	{ "batch", 256, false, set_batch },
	{ "iterations", 'n', true, set_count },
	{ "width", 'w', true, set_width },
	{ "sort", 's', true, set_sort },
	{ "group", 'g', true, set_group },
	{ "filter", 'f', true, set_filter },
	{ "delta", 257, true, set_delta },
	{ "leak-window", 258, true, set_leak_window },
	{ "full-every", 259, true, set_full_every },
	{ "command-line", 'c', false, set_cmdline },
	CLI_OPT_PID, CLI_OPT_BYTES, CLI_OPT_ROOT,
	{ NULL, 0, false, NULL }
};

double top_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool full_due(const struct top_sampler *sm, double now)
{
	double since = now - sm->last_full;

	if (!sm->started)
		return true;
	if (sm->full_every >= 0)
		return since >= sm->full_every;
	return since >= TOP_FULL_MAX_S ||
	       sm->full_cost <= since * TOP_FULL_SHARE;
}

int top_sample(struct top_sampler *sm, struct gpumem_snapshot **out)
{
	double t0 = top_now();
	bool full = full_due(sm, t0);
	int err = gpumem_scanner_sample(sm->sc, !full, out);

	if (err || !full)
		return err;
	sm->started = true;
	sm->last_full = t0;
	sm->full_cost = top_now() - t0;
	return 0;
}

static void sleep_until(struct timespec *next, double interval_s)
{
	long ns = (long)(fmod(interval_s, 1.0) * 1e9);

	next->tv_sec += (time_t)interval_s + (next->tv_nsec + ns) / 1000000000;
	next->tv_nsec = (next->tv_nsec + ns) % 1000000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) ==
	       EINTR)
		;
}

static int batch(struct top_sampler *sm, struct top_view *v,
		 struct args *a)
{
	struct top_text_sink *t = malloc(sizeof(*t));
	struct gpumem_snapshot *s;
	struct timespec next;
	unsigned long n;
	int err = 0;

	if (!t)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (n = 0; !a->ui.count || n < a->ui.count; n++) {
		if (n)
			sleep_until(&next, a->ui.interval_s);
		err = top_sample(sm, &s);
		/* A replayed series (--root of captures) that has ended. */
		if (err == -ENODATA && n) {
			err = 0;
			break;
		}
		if (err)
			break;
		err = top_view_update(v, s, &a->ui.set, true);
		if (!err) {
			top_text_sink_init(t, stdout, a->width);
			top_frame(&t->k, v, &a->ui);
			fputc('\n', stdout);
			if (fflush(stdout))
				err = -errno;
		}
		gpumem_snapshot_free(s);
		if (err)
			break;
	}
	free(t);
	return err;
}

static int run_error(const struct args *a, int err)
{
	if (err == -ENOENT || err == -ENOTDIR || err == -EACCES) {
		fprintf(stderr, "gpumem top: cannot read %s/proc: %s\n",
			a->c.opts.root ? a->c.opts.root : "", strerror(-err));
		return EXIT_NO_SOURCE;
	}
	if (err == -ESRCH) {
		fprintf(stderr, "gpumem top: no process %d\n",
			(int)a->c.opts.pid);
		return EXIT_USAGE;
	}
	fprintf(stderr, "gpumem top: %s\n", strerror(-err));
	return EXIT_RUNTIME;
}

static void defaults(struct args *a)
{
	const char *cols = getenv("COLUMNS");
	unsigned long w;

	a->ui.interval_s = 2.0;
	a->full_every = -1;
	a->ui.set.sort = TOP_COL_GPU;
	a->ui.set.delta_samples = 5;
	gpumem_leak_rule_default(&a->ui.set.rule);
	a->width = cols && !parse_uint(cols, 40, TOP_TEXT_WIDTH_MAX, &w) ?
		   (unsigned int)w : 200;
}

int cmd_top(int argc, char **argv)
{
	struct args a = { .c.opts = { GPUMEM_OPTS_INIT } };
	struct top_sampler sm = { 0 };
	struct top_view v = { 0 };
	int ret, err;

	setlocale(LC_ALL, "");
	defaults(&a);
	ret = cli_parse(argc, argv, options, &a, usage_text);
	if (ret >= 0)
		return ret;
	a.ui.set.flags = a.c.flags;
	if (!a.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "gpumem top: not a terminal: use --batch\n");
		return EXIT_USAGE;
	}
	v.live = !a.c.opts.root || !strcmp(a.c.opts.root, "/");
	v.root = a.c.opts.root;
	/* No interval: it changes with the d key and with pauses, and the
	 * rates come from each point's own time. */
	err = gpumem_history_new(TOP_HISTORY_BYTES, 0, &v.hist);
	if (err)
		return run_error(&a, err);
	sm.full_every = a.full_every;
	err = gpumem_scanner_new(&a.c.opts, &sm.sc);
	if (err) {
		gpumem_history_free(v.hist);
		return run_error(&a, err);
	}
	if (a.c.opts.root)
		cli_warn_partial(a.c.opts.root);
	err = a.batch ? batch(&sm, &v, &a) : top_tty_run(&sm, &v, &a.ui);
	top_view_free(&v);
	gpumem_history_free(v.hist);
	gpumem_scanner_free(sm.sc);
	if (err == -EPIPE)
		return EXIT_OK;
	return err ? run_error(&a, err) : EXIT_OK;
}
