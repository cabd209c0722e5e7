// SPDX-License-Identifier: MIT
/* What the subcommands share: option parsing and the common options. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define CLI_MAX_OPTS 24

int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "gpumem: %s '%s'\nTry 'gpumem --help'.\n", what, arg);
	return EXIT_USAGE;
}

int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 0x3fffffff)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

int cli_set_pid(void *args, const char *arg)
{
	return parse_pid(arg, &((struct cli_common *)args)->opts.pid);
}

int cli_set_json(void *args, const char *arg)
{
	(void)arg;
	((struct cli_common *)args)->json = true;
	return 0;
}

int cli_set_bytes(void *args, const char *arg)
{
	(void)arg;
	((struct cli_common *)args)->flags |= GPUMEM_PRINT_BYTES;
	return 0;
}

int cli_set_root(void *args, const char *arg)
{
	if (!arg[0])
		return -EINVAL;
	((struct cli_common *)args)->opts.root = arg;
	return 0;
}

int cli_set_discovery(void *args, const char *arg)
{
	struct gpumem_opts *o = &((struct cli_common *)args)->opts;

	if (!strcmp(arg, "bpf"))
		o->discovery = GPUMEM_DISCOVERY_BPF;
	else if (!strcmp(arg, "proc"))
		o->discovery = GPUMEM_DISCOVERY_PROC;
	else
		return -EINVAL;
	return 0;
}

const struct gpumem_source_status *cli_source(const struct gpumem_snapshot *s,
					      const char *name)
{
	const struct gpumem_source_status *st;
	size_t i, nr;

	st = gpumem_sources(s, &nr);
	for (i = 0; i < nr; i++) {
		if (!strcmp(gpumem_at(st, i)->name, name))
			return gpumem_at(st, i);
	}
	return NULL;
}

/* The task-iter source's line says why; the sample itself is complete. */
void cli_warn_discovery(const struct gpumem_opts *o,
			const struct gpumem_snapshot *s)
{
	const struct gpumem_source_status *x = cli_source(s, "task-iter");

	if (o->discovery != GPUMEM_DISCOVERY_BPF ||
	    gpumem_scan_stats(s)->discovery == GPUMEM_DISCOVERY_BPF || !x)
		return;
	fprintf(stderr, "gpumem: --discovery=bpf: %s\n", x->detail);
}

/* getopt_long's tables from ours; -h/--help is always there. */
static int build_tables(const struct cli_opt *opts, struct option *lo,
			char *so, size_t so_size)
{
	size_t n = 0, s = 0;
	size_t i;

	so[s++] = ':';
	for (i = 0; opts[i].name; i++) {
		if (n + 2 >= CLI_MAX_OPTS || s + 3 >= so_size)
			return -E2BIG;
		if (!opts[i].renamed)
			lo[n++] = (struct option){ opts[i].name, opts[i].arg ?
						   required_argument :
						   no_argument, NULL,
						   opts[i].key };
		if (opts[i].key < 256) {
			so[s++] = (char)opts[i].key;
			if (opts[i].arg)
				so[s++] = ':';
		}
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	so[s++] = 'h';
	so[s] = '\0';
	return 0;
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, int key)
{
	for (; opts->name; opts++) {
		if (opts->key == key)
			return opts;
	}
	return NULL;
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, void *args,
	      const char *usage)
{
	return cli_parse_operands(argc, argv, opts, args, usage, 0, NULL);
}

int cli_parse_operands(int argc, char **argv, const struct cli_opt *opts,
		       void *args, const char *usage, int max, int *first)
{
	struct option lo[CLI_MAX_OPTS];
	char so[2 * CLI_MAX_OPTS + 2], what[64];
	const struct cli_opt *o;
	int c;

	if (build_tables(opts, lo, so, sizeof(so)))
		return usage_error("too many options for", argv[0]);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (c == ':')
			return usage_error("missing argument for", argv[optind - 1]);
		o = find_opt(opts, c);
		if (!o)
			return usage_error("unknown option", argv[optind - 1]);
		if (o->renamed)
			fprintf(stderr, "gpumem: -%c is deprecated for --%s: "
				"use %s\n", c, o->name, o->renamed);
		if (o->set(args, optarg)) {
			snprintf(what, sizeof(what), "invalid --%s", o->name);
			return usage_error(what, optarg ? optarg : "");
		}
	}
	if (argc - optind > max)
		return usage_error("unexpected argument", argv[optind + max]);
	if (first)
		*first = optind;
	return -1;
}

volatile sig_atomic_t cli_stop;

static void on_stop(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_catch_stop(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A root of captures has no proc/ of its own (the library's rule). */
static bool is_series(const char *root)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/proc", root);
	return lstat(path, &st) || !S_ISDIR(st.st_mode);
}

void cli_say_partial(const char *root, const char *detail, unsigned long n)
{
	char esc[4 * sizeof(((struct gpumem_source_status *)0)->detail) + 1];
	char where[64] = "";

	if (is_series(root))
		snprintf(where, sizeof(where), " (sample %lu of the series)",
			 n + 1);
	gpumem_escape_name(esc, sizeof(esc), detail, NULL);
	fprintf(stderr, "gpumem: %s%s is %s\n", root, where, esc);
}

const char *cli_partial(const struct gpumem_snapshot *s)
{
	const struct gpumem_source_status *x = cli_source(s, "capture-manifest");

	if (!x || x->state != GPUMEM_SOURCE_MISSING ||
	    strncmp(x->detail, GPUMEM_PARTIAL_CAPTURE,
		    strlen(GPUMEM_PARTIAL_CAPTURE)))
		return NULL;
	return x->detail;
}

void cli_warn_partial(const char *root, const struct gpumem_snapshot *s,
		      unsigned long n)
{
	const char *detail = cli_partial(s);

	/* A capture read again at each sample is said once. */
	if (root && detail && (!n || is_series(root)))
		cli_say_partial(root, detail, n);
}
