// SPDX-License-Identifier: MIT
/*
 * gpumem cgroups: what the dmem cgroup controller charges to each cgroup,
 * per device memory region, against its min, low and max.  A kernel
 * without the controller (before 6.14, or CONFIG_CGROUP_DMEM off) is said,
 * with exit status 0: it is a fact about the system, not a failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gpumem/gpumem.h"

static const char usage_text[] =
"Usage: gpumem cgroups [OPTIONS]\n"
"Device memory per cgroup from the dmem cgroup controller (Linux 6.14+):\n"
"each region's capacity (the root's dmem.capacity), then for every cgroup\n"
"and region its current use and its min, low and max (\"max\": no limit).\n"
"\n"
"  -j, --json        one JSON document (docs/json-schema.md)\n"
"  -b, --bytes       exact byte figures instead of KiB/MiB/GiB\n"
"  -r, --root DIR    read DIR/sys/fs/cgroup instead of /sys/fs/cgroup\n"
"  -h, --help        this text\n"
"\n"
"Without the controller it says \"not available\" and exits 0.\n"
"Exit status: 0 success, 1 usage error, 2 no data source (no readable\n"
"proc tree), 3 other runtime error.\n";

static const struct cli_opt options[] = {
	CLI_OPT_JSON, CLI_OPT_BYTES, CLI_OPT_ROOT,
	{ NULL, 0, false, NULL }
};

int cmd_cgroups(int argc, char **argv)
{
	struct cli_common a = { .opts = { GPUMEM_OPTS_INIT } };
	struct gpumem_snapshot *s;
	int ret, err;

	ret = cli_parse(argc, argv, options, &a, usage_text);
	if (ret >= 0)
		return ret;
	err = gpumem_snapshot_take(&a.opts, &s);
	if (err) {
		fprintf(stderr, "gpumem: scan failed: %s\n", strerror(-err));
		return err == -ENOENT || err == -EACCES ? EXIT_NO_SOURCE :
		       EXIT_RUNTIME;
	}
	err = a.json ? gpumem_print_cgroups_json(s, stdout) :
	      gpumem_print_cgroups_table(s, stdout, a.flags);
	gpumem_snapshot_free(s);
	if (err) {
		fprintf(stderr, "gpumem: writing output: %s\n", strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
