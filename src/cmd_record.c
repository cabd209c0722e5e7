// SPDX-License-Identifier: MIT
/*
 * gpumem record FILE [INTERVAL [COUNT]]: appends a sample every interval
 * to FILE as one JSON document a line (NDJSON), for gpumem plot, jq or a
 * bug report.  Each line is flushed whole: a recording cut short by a
 * crash or a full disk ends with its last complete sample.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sample.h"

static const char usage_text[] =
"Usage: gpumem record [OPTIONS] FILE [INTERVAL [COUNT]]\n"
"Append a sample every INTERVAL seconds (default 1), COUNT of them or until\n"
"interrupted, to FILE as NDJSON: one JSON document a line, the schema of\n"
"gpumem --json (docs/json-schema.md).  A new FILE is made mode 0600: it\n"
"names other users' processes.  gpumem plot FILE draws it.\n"
"\n"
"  -p, --pid PID       only this process (shares still computed system-wide)\n"
"  -r, --root DIR      read DIR/proc and DIR/sys; a DIR of captures is\n"
"                      replayed, one a sample, to its end\n"
SAMPLE_USAGE_REINDEX
CLI_HELP_DISCOVERY("                      ")
"  -h, --help          this text\n"
"\n"
"Exit status: 0 success (also when stopped by SIGINT or SIGTERM), 1 usage\n"
"error, 2 no data source, 3 other runtime error (FILE not writable).\n";

static const struct cli_opt options[] = {
	CLI_OPT_PID, CLI_OPT_ROOT, SAMPLE_OPT_REINDEX, CLI_OPT_DISCOVERY,
	{ NULL, 0, false, NULL }
};

struct recording {
	FILE *f;
	int out_err;
};

static int append(void *ctx, const struct gpumem_snapshot *s, unsigned long n)
{
	struct recording *r = ctx;
	int err;

	(void)n;
	errno = 0;
	err = gpumem_print_json_line(s, r->f);
	if (fflush(r->f) || err)
		err = errno ? -errno : err ? err : -EIO;
	r->out_err = err;
	return err;
}

static FILE *open_recording(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		      O_NOCTTY, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
}

int cmd_record(int argc, char **argv)
{
	struct sample_args a = { .c.opts = { GPUMEM_OPTS_INIT },
				 .plan = { .interval_ns = 1000000000,
					   .reindex_ns = -1 } };
	struct recording r = { 0 };
	int ret, file;

	ret = sample_parse(argc, argv, options, &a, usage_text, "record",
			   &file);
	if (ret >= 0)
		return ret;
	r.f = open_recording(argv[file]);
	if (!r.f) {
		fprintf(stderr, "gpumem: %s: %s\n", argv[file], strerror(errno));
		return EXIT_RUNTIME;
	}
	ret = sample_main(&a, append, &r, &r.out_err);
	if (fclose(r.f) && ret == EXIT_OK) {
		fprintf(stderr, "gpumem: %s: %s\n", argv[file], strerror(errno));
		ret = EXIT_RUNTIME;
	}
	return ret;
}
