// SPDX-License-Identifier: MIT
/*
 * gpumem plot FILE -o OUT.png|OUT.svg: a recording drawn, every device's
 * total and the processes that held the most GPU memory at their peak.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "recording.h"

#define TOP_DEFAULT 5

static const char usage_text[] =
"Usage: gpumem plot [OPTIONS] FILE -o OUT.png|OUT.svg\n"
"Draw a recording (gpumem record, or gpumem --json INTERVAL; FILE - reads\n"
"stdin): a line per device (its total) and per process among the --top\n"
"that held the most GPU memory at their peak (GPU, RSS-like), bytes in\n"
"binary units, time on x, a ring where the leak rule (docs/leaks.md) fired.\n"
"\n"
"  -o, --output OUT     the image: PNG, or SVG when OUT ends in .svg\n"
"      --top N          processes drawn (default 5; 0: devices only)\n"
"      --size WxH       pixels (default 1000x500, 200 to 8000 each)\n"
"      --title TEXT     a title above the plot\n"
"  -h, --help           this text\n"
"\n"
"Exit status: 0 success, 1 usage error, 2 FILE unreadable or without a\n"
"sample, 3 other runtime error (OUT not writable).\n";

struct args {
	const char *out;
	unsigned long top;
	struct gpumem_plot_opts plot;
};

static int set_out(void *args, const char *arg)
{
	struct args *a = args;
	size_t n = strlen(arg);

	a->out = arg;
	a->plot.svg = n > 4 && !strcmp(arg + n - 4, ".svg");
	return n ? 0 : -EINVAL;
}

static int set_top(void *args, const char *arg)
{
	char *end;

	errno = 0;
	((struct args *)args)->top = strtoul(arg, &end, 10);
	return errno || end == arg || *end || arg[0] < '0' || arg[0] > '9' ||
	       ((struct args *)args)->top > 100 ? -EINVAL : 0;
}

static int set_size(void *args, const char *arg)
{
	struct args *a = args;
	char x;

	if (sscanf(arg, "%u%c%u", &a->plot.width, &x, &a->plot.height) != 3 ||
	    x != 'x')
		return -EINVAL;
	return a->plot.width < 200 || a->plot.width > 8000 ||
	       a->plot.height < 200 || a->plot.height > 8000 ? -ERANGE : 0;
}

static int set_title(void *args, const char *arg)
{
	((struct args *)args)->plot.title = arg;
	return 0;
}

static const struct cli_opt options[] = {
	{ "output", 'o', true, set_out },
	{ "top", 256, true, set_top },
	{ "size", 257, true, set_size },
	{ "title", 258, true, set_title },
	{ NULL, 0, false, NULL }
};

static int by_peak(const void *a, const void *b)
{
	const struct rec_series *x = *(const struct rec_series *const *)a;
	const struct rec_series *y = *(const struct rec_series *const *)b;

	return x->peak < y->peak ? 1 : x->peak > y->peak ? -1 :
	       (x->key > y->key) - (x->key < y->key);
}

/* Devices (keys below 0, first in the recording's order), then the top
 * processes by peak. */
static size_t choose(const struct recording *r, unsigned long top,
		     struct gpumem_series *out)
{
	const struct rec_series **procs = calloc(r->nr + 1, sizeof(*procs));
	size_t i, n = 0, np = 0;

	if (!procs)
		return 0;
	for (i = r->nr; i-- > 0;) {
		if (r->s[i].key < 0)
			out[n++] = (struct gpumem_series){ r->s[i].name, true,
							   r->s[i].pts,
							   r->s[i].nr };
		else
			procs[np++] = &r->s[i];
	}
	qsort(procs, np, sizeof(*procs), by_peak);
	for (i = 0; i < np && i < top; i++)
		out[n++] = (struct gpumem_series){ procs[i]->name, false,
						   procs[i]->pts,
						   procs[i]->nr };
	free(procs);
	return n;
}

static int read_file(const char *path, struct recording *r)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	int err;

	if (!f) {
		fprintf(stderr, "gpumem: %s: %s\n", path, strerror(errno));
		return EXIT_NO_SOURCE;
	}
	err = recording_read(f, r);
	if (f != stdin)
		fclose(f);
	if (err) {
		fprintf(stderr, "gpumem: reading %s: %s\n", path,
			strerror(-err));
		return err == -ENOMEM ? EXIT_RUNTIME : EXIT_NO_SOURCE;
	}
	if (r->skipped)
		fprintf(stderr, "gpumem: %s: %lu lines that are no sample in "
			"time order skipped\n", path, r->skipped);
	if (!r->samples) {
		fprintf(stderr, "gpumem: %s: no sample\n", path);
		return EXIT_NO_SOURCE;
	}
	return -1;
}

static int draw(const struct args *a, const struct recording *r)
{
	struct gpumem_series *sr = calloc(r->nr + 1, sizeof(*sr));
	size_t n = sr ? choose(r, a->top, sr) : 0;
	FILE *f = n ? fopen(a->out, "we") : NULL;
	int err = !sr ? -ENOMEM : !n ? -EINVAL : !f ? -errno : 0;

	if (!err)
		err = gpumem_plot(sr, n, &a->plot, f);
	if (f && fclose(f) && !err)
		err = -errno;
	free(sr);
	if (err == -EINVAL) {
		fprintf(stderr, "gpumem: nothing to draw: no device total or "
			"process figure in the recording\n");
		return EXIT_NO_SOURCE;
	}
	if (err)
		fprintf(stderr, "gpumem: %s: %s\n", a->out, err == -ENOTSUP ?
			"this gpumem was built without cairo" : strerror(-err));
	return err ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_plot(int argc, char **argv)
{
	struct args a = { .top = TOP_DEFAULT };
	struct recording r = { 0 };
	int ret, first;

	ret = cli_parse_operands(argc, argv, options, &a, usage_text, 1,
				 &first);
	if (ret >= 0)
		return ret;
	if (first >= argc)
		return usage_error("missing FILE for", "plot");
	if (!a.out)
		return usage_error("missing -o OUT for", "plot");
	ret = read_file(argv[first], &r);
	if (ret < 0)
		ret = draw(&a, &r);
	recording_free(&r);
	return ret;
}
