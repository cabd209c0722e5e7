// SPDX-License-Identifier: MIT
/*
 * gpumem: GPU and dma-buf memory per device and per process.  main() only
 * dispatches; each subcommand lives in src/cmd_<name>.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"

static const struct cmd cmds[] = {
	{ "show", cmd_show, "devices, processes and dma-bufs (the default)" },
	{ "explain", cmd_explain, "where all of RAM went, each page once" },
	{ "bpf", cmd_bpf, "load, unload, inspect the gpu_mem_total collector" },
	{ "trace", cmd_trace, "gpu_mem_total changes, live" },
	{ "top", cmd_top, "a live view: devices, processes, leak hints" },
	{ "sources", cmd_sources, "what can be read here, what is missing" },
	{ "cgroups", cmd_cgroups, "device memory per cgroup (dmem controller)" },
	{ "record", cmd_record, "append a sample every interval to a file (NDJSON)" },
	{ "plot", cmd_plot, "draw a recording into a PNG or an SVG" },
	{ NULL, NULL, NULL }
};

bool cli_is_command(const char *name)
{
	const struct cmd *c;

	for (c = cmds; c->name; c++) {
		if (!strcmp(name, c->name))
			return true;
	}
	return false;
}

static void list_commands(void)
{
	const struct cmd *c;

	printf("\nCommands (gpumem COMMAND --help for each):\n");
	for (c = cmds; c->name; c++)
		printf("  %-8s %s\n", c->name, c->summary);
}

static int run(int argc, char **argv)
{
	const struct cmd *c;

	if (argc > 1 && (!strcmp(argv[1], "--version") ||
			 !strcmp(argv[1], "-V"))) {
		printf("gpumem %s\n", GPUMEM_VERSION);
		return EXIT_OK;
	}
	/* Options or an interval: the default command, show. */
	if (argc < 2 || argv[1][0] == '-' ||
	    (argv[1][0] >= '0' && argv[1][0] <= '9') || argv[1][0] == '.') {
		int ret = cmd_show(argc, argv);

		if (argc > 1 && (!strcmp(argv[1], "-h") ||
				 !strcmp(argv[1], "--help")))
			list_commands();
		return ret;
	}
	for (c = cmds; c->name; c++) {
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	}
	return usage_error("unknown command", argv[1]);
}

/*
 * The library's scanner keeps each indexed fdinfo open, below half the
 * soft RLIMIT_NOFILE: the soft limit goes up to the hard one (nothing
 * here uses select(), whose 1024 is why the soft limit is low).  Refused,
 * the scanner reads the rest by path.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Output that did not reach its file (a full disk, --help > /dev/full) is
 * a failure even where the command had nothing else to say. */
int main(int argc, char **argv)
{
	int ret;

	raise_fd_limit();
	ret = run(argc, argv);

	if ((fflush(stdout) || ferror(stdout)) && ret == EXIT_OK) {
		fprintf(stderr, "gpumem: writing output: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	return ret;
}
