/* SPDX-License-Identifier: MIT */
/* The gpumem command: what its subcommands share. */
#ifndef GPUMEM_CLI_H
#define GPUMEM_CLI_H

#include <sys/types.h>

enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_NO_SOURCE = 2,
	EXIT_RUNTIME = 3,
};

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* "gpumem: WHAT 'ARG'" and a pointer to --help; returns EXIT_USAGE. */
int usage_error(const char *what, const char *arg);
int parse_pid(const char *s, pid_t *pid);

int cmd_show(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_bpf(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_sources(int argc, char **argv);

#endif
