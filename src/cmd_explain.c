// SPDX-License-Identifier: MIT
/* gpumem explain: where all of RAM went, each page in one line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gpumem/gpumem.h"

static const char usage_text[] =
"Usage: gpumem explain [OPTIONS]\n"
"Split MemTotal into lines that add up to it exactly: free, page cache,\n"
"anonymous (process PSS), kernel, shared memory, GPU memory per device\n"
"(private part), dma-bufs per exporter (mapped, fd-held, kernel-held) and\n"
"what is left, \"unexplained\".  Each page is counted in one line only;\n"
"sources that could not be read are listed (docs/explain.md).\n"
"\n"
"  -p, --pid PID     also what PID really uses: PSS + GPU + dma-buf shares\n"
"  -j, --json        one JSON document\n"
"  -b, --bytes       exact byte figures instead of KiB/MiB/GiB\n"
"  -r, --root DIR    read DIR/proc and DIR/sys instead of /proc and /sys\n"
CLI_HELP_DISCOVERY("                    ")
"                    (the same lines either way; bpf costs less)\n"
"  -h, --help        this text\n"
"\n"
"Exit status: 0 success, 1 usage error or no such process, 2 no data\n"
"source, 3 malformed input or other runtime error.\n";

static const struct cli_opt options[] = {
	CLI_OPT_PID, CLI_OPT_JSON, CLI_OPT_BYTES, CLI_OPT_ROOT,
	CLI_OPT_DISCOVERY, { NULL, 0, false, NULL }
};

static int take_error(int err, const char *why)
{
	if (err == -EBADMSG) {
		fprintf(stderr, "gpumem: %s\n", why);
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "gpumem: %s: %s\n", why, strerror(-err));
	if (err == -ESRCH)
		return EXIT_USAGE;
	return err == -ENOENT || err == -ENOTDIR || err == -EACCES ?
	       EXIT_NO_SOURCE : EXIT_RUNTIME;
}

int cmd_explain(int argc, char **argv)
{
	struct cli_common a = { .opts = { GPUMEM_OPTS_INIT } };
	struct gpumem_explain *e;
	char why[512];
	unsigned int i;
	int ret, err;

	ret = cli_parse(argc, argv, options, &a, usage_text);
	if (ret >= 0)
		return ret;
	err = gpumem_explain_take(&a.opts, &e, why, sizeof(why));
	if (err)
		return take_error(err, why);
	for (i = 0; a.opts.root && i < e->nr_missing; i++) {
		if (!strncmp(e->missing[i], GPUMEM_PARTIAL_CAPTURE,
			     strlen(GPUMEM_PARTIAL_CAPTURE)))
			cli_say_partial(a.opts.root, e->missing[i], 0);
	}
	err = a.json ? gpumem_explain_print_json(e, stdout) :
		       gpumem_explain_print_table(e, stdout, a.flags);
	if (!err && fflush(stdout))
		err = -errno;
	gpumem_explain_free(e);
	if (err) {
		fprintf(stderr, "gpumem: writing output: %s\n", strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
