// SPDX-License-Identifier: MIT
/*
 * gpumem top: options, then the terminal or --batch.  --batch is a series
 * of sample.c (its loop, reindex rule and signals), a frame per sample;
 * the terminal takes its samples from the same sampler.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cli.h"
#include "../sample.h"
#include "top.h"

struct args {
	struct sample_args s;	/* first: the common setters cast to it */
	struct top_ui ui;
	bool batch;
	unsigned int width;
	struct top_view *v;
	struct top_text_sink *text;	/* --batch's */
	int out_err;
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
"      --reindex SECONDS  a full walk of /proc (new processes, new fds)\n"
"                        at most this far apart; 0: every sample (default:\n"
"                        as often as a walk costs 0.5% of a core, and at\n"
"                        least every 10 s); --full-every is its old name\n"
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
CLI_HELP_DISCOVERY("                        ")
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

/* gpumem INTERVAL's own, but a frame every 10 ms is no view. */
int top_parse_interval(const char *s, double *out)
{
	int64_t ns;
	int err = sample_parse_interval(s, &ns);

	if (!err && ns < 100000000)
		err = -ERANGE;
	if (!err)
		*out = (double)ns / 1e9;
	return err;
}

static int set_delay(void *args, const char *s)
{
	struct args *a = args;
	int err = top_parse_interval(s, &a->ui.interval_s);

	if (!err)
		sample_parse_interval(s, &a->s.plan.interval_ns);
	return err;
}

static int set_batch(void *a, const char *s)
{
	(void)s;
	((struct args *)a)->batch = true;
	return 0;
}

static int set_count(void *a, const char *s)
{
	return parse_uint(s, 1, 1ul << 31, &((struct args *)a)->s.plan.count);
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
	SAMPLE_OPT_REINDEX,
	{ "leak-window", 258, true, set_leak_window },
	{ "full-every", 259, true, sample_set_reindex },
	{ "delta", 260, true, set_delta },
	{ "command-line", 'c', false, set_cmdline },
	CLI_OPT_PID, CLI_OPT_BYTES, CLI_OPT_ROOT, CLI_OPT_DISCOVERY,
	{ NULL, 0, false, NULL }
};

double top_now(void)
{
	return (double)sample_now_ns(CLOCK_MONOTONIC) / 1e9;
}

/* A frame of --batch per sample. */
static int emit_frame(void *ctx, const struct gpumem_snapshot *s,
		      unsigned long n)
{
	struct args *a = ctx;
	int err = top_view_update(a->v, s, &a->ui.set, true);

	(void)n;
	if (err)
		return err;
	top_text_sink_init(a->text, stdout, a->width);
	top_frame(&a->text->k, a->v, &a->ui);
	fputc('\n', stdout);
	if (fflush(stdout) || ferror(stdout))
		a->out_err = err = errno ? -errno : -EIO;
	return err;
}

static int batch(struct args *a)
{
	int ret;

	a->text = malloc(sizeof(*a->text));
	if (!a->text) {
		fprintf(stderr, "gpumem top: %s\n", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	ret = sample_main(&a->s, emit_frame, a, &a->out_err);
	free(a->text);
	return ret;
}

static int tty(struct args *a)
{
	struct sampler sm;
	int err;

	err = sampler_open(&sm, &a->s.c.opts, &a->s.plan);
	if (err)
		return sample_error(&a->s, err, 0, 0);
	cli_catch_stop();
	a->ui.count = a->s.plan.count;
	err = top_tty_run(&sm, a->v, &a->ui);
	sampler_close(&sm);
	if (err == -ENOTTY) {
		fprintf(stderr, "gpumem top: cannot start the terminal "
			"(TERM=%s)\n", getenv("TERM") ? getenv("TERM") : "");
		return EXIT_RUNTIME;
	}
	return err ? sample_error(&a->s, err, sm.taken, 0) : EXIT_OK;
}

static void defaults(struct args *a)
{
	const char *cols = getenv("COLUMNS");
	unsigned long w;

	a->s.c.opts = (struct gpumem_opts){ GPUMEM_OPTS_INIT };
	a->ui.interval_s = 2.0;
	a->s.plan.interval_ns = 2000000000;
	a->s.plan.reindex_ns = -1;
	a->ui.set.sort = TOP_COL_GPU;
	a->ui.set.delta_samples = 5;
	gpumem_leak_rule_default(&a->ui.set.rule);
	a->width = cols && !parse_uint(cols, 40, TOP_TEXT_WIDTH_MAX, &w) ?
		   (unsigned int)w : 200;
}

int cmd_top(int argc, char **argv)
{
	struct args a = { 0 };
	struct top_view v = { 0 };
	int ret, err;

	setlocale(LC_ALL, "");
	defaults(&a);
	ret = cli_parse(argc, argv, options, &a, usage_text);
	if (ret >= 0)
		return ret;
	a.ui.set.flags = a.s.c.flags;
	if (!a.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "gpumem top: not a terminal: use --batch\n");
		return EXIT_USAGE;
	}
	v.live = !a.s.c.opts.root || !strcmp(a.s.c.opts.root, "/");
	v.root = a.s.c.opts.root;
	/* No interval: it changes with the d key and with pauses, and the
	 * rates come from each point's own time. */
	err = gpumem_history_new(TOP_HISTORY_BYTES, 0, &v.hist);
	if (err) {
		fprintf(stderr, "gpumem top: %s\n", strerror(-err));
		return EXIT_RUNTIME;
	}
	a.v = &v;
	ret = a.batch ? batch(&a) : tty(&a);
	top_view_free(&v);
	gpumem_history_free(v.hist);
	return ret;
}
