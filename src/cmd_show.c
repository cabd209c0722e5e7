// SPDX-License-Identifier: MIT
/* gpumem show: GPU memory per device and per process, dma-buf memory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gpumem/gpumem.h"

struct args {
	struct gpumem_opts opts;
	const char *capture_dir;
	bool json;
	unsigned int print_flags;
};

static const char usage_text[] =
"Usage: gpumem [show] [OPTIONS]\n"
"Show GPU memory per device and per process, and dma-buf memory, with every\n"
"shared buffer counted once.\n"
"\n"
"  -p, --pid PID     only this process (shares still computed system-wide)\n"
"  -j, --json        one JSON document (schema: gpumem(1), docs/json-schema.md)\n"
"  -b, --bytes       exact byte figures instead of KiB/MiB/GiB\n"
"  -r, --root DIR    read DIR/proc and DIR/sys instead of /proc and /sys\n"
"      --capture DIR write what gpumem reads (GPU and dma-buf holders only,\n"
"                    at most 256 MiB) into the new directory DIR, for\n"
"                    --root or a bug report\n"
"  -h, --help        this text\n"
"\n"
"Exit status: 0 success, 1 usage error, 2 no data source (no readable\n"
"proc tree), 3 other runtime error.\n";

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "root", required_argument, NULL, 'r' },
		{ "capture", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:jbr:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_pid(optarg, &a->opts.pid))
				return usage_error("invalid PID", optarg);
			break;
		case 'j':
			a->json = true;
			break;
		case 'b':
			a->print_flags |= GPUMEM_PRINT_BYTES;
			break;
		case 'r':
			a->opts.root = optarg;
			break;
		case 'C':
			a->capture_dir = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case ':':
			return usage_error("missing argument for",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	return -1;
}

/* What could not be read is said, never silently left out. */
static void warn_incomplete(const struct gpumem_snapshot *s)
{
	const struct gpumem_scan_stats *st = gpumem_scan_stats(s);

	if (st->unreadable_processes)
		fprintf(stderr, "gpumem: %u process%s not readable: run as "
			"root or with CAP_SYS_PTRACE\n", st->unreadable_processes,
			st->unreadable_processes == 1 ? "" : "es");
	if (st->malformed_lines)
		fprintf(stderr, "gpumem: %u malformed lines of kernel text "
			"skipped\n", st->malformed_lines);
	if (st->unresolved_fds)
		fprintf(stderr, "gpumem: %u DRM fds without a client id could "
			"not be matched (kcmp unavailable): each counted as its "
			"own client\n", st->unresolved_fds);
}

static int snapshot_error(const struct args *a, int err)
{
	const char *root = a->opts.root ? a->opts.root : "/";

	if (err == -ESRCH) {
		fprintf(stderr, "gpumem: no process %d\n", (int)a->opts.pid);
		return EXIT_USAGE;
	}
	if (err == -ENOENT || err == -ENOTDIR || err == -EACCES) {
		fprintf(stderr, "gpumem: cannot read %s%sproc: %s\n", root,
			root[strlen(root) - 1] == '/' ? "" : "/", strerror(-err));
		return EXIT_NO_SOURCE;
	}
	fprintf(stderr, "gpumem: scan failed: %s\n", strerror(-err));
	return EXIT_RUNTIME;
}

static int capture(const struct args *a)
{
	const char *root = a->opts.root ? a->opts.root : "/";
	int err = gpumem_capture(root, a->capture_dir,
				 GPUMEM_CAPTURE_MAX_DEFAULT);

	if (!err)
		return EXIT_OK;
	fprintf(stderr, "gpumem: capture into %s: %s\n", a->capture_dir,
		strerror(-err));
	return err == -ENOENT ? EXIT_NO_SOURCE : EXIT_RUNTIME;
}

int cmd_show(int argc, char **argv)
{
	struct args a = { 0 };
	struct gpumem_snapshot *s;
	int ret, err;

	ret = parse_args(argc, argv, &a);
	if (ret >= 0)
		return ret;
	if (a.opts.root && !a.opts.root[0])
		return usage_error("empty directory for", "--root");
	if (a.capture_dir)
		return capture(&a);
	err = gpumem_snapshot_take(&a.opts, &s);
	if (err)
		return snapshot_error(&a, err);
	warn_incomplete(s);
	err = a.json ? gpumem_print_json(s, stdout) :
		       gpumem_print_table(s, stdout, a.print_flags);
	if (!err && fflush(stdout))
		err = -errno;
	gpumem_snapshot_free(s);
	if (err) {
		fprintf(stderr, "gpumem: writing output: %s\n", strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
