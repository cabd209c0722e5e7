/* SPDX-License-Identifier: MIT */
/* The gpumem command: what its subcommands share. */
#ifndef GPUMEM_CLI_H
#define GPUMEM_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "gpumem/gpumem.h"

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

/*
 * One option of a subcommand: key is its short letter, or a value above
 * 255 for a long-only option; set() returns 0, or non-zero for "invalid".
 */
struct cli_opt {
	const char *name;
	int key;
	bool arg;
	int (*set)(void *args, const char *arg);
	/* Set: key is an old short spelling kept for scripts, and this is
	 * the one to use now; a note on stderr says so.  name is then only
	 * for messages (the long option is the entry it stands for). */
	const char *renamed;
};

/*
 * Parses argv with opts (ended by a NULL name) plus -h/--help, which prints
 * usage.  Returns -1 to go on, or the exit code to return.
 */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, void *args,
	      const char *usage);
/* The same, letting up to max operands through: argv[*first..argc). */
int cli_parse_operands(int argc, char **argv, const struct cli_opt *opts,
		       void *args, const char *usage, int max, int *first);

/* The options of the reporting commands; their args begin with this. */
struct cli_common {
	struct gpumem_opts opts;
	bool json;
	unsigned int flags;
};

int cli_set_pid(void *args, const char *arg);
int cli_set_json(void *args, const char *arg);
int cli_set_bytes(void *args, const char *arg);
int cli_set_root(void *args, const char *arg);
int cli_set_discovery(void *args, const char *arg);

#define CLI_OPT_PID { "pid", 'p', true, cli_set_pid }
#define CLI_OPT_JSON { "json", 'j', false, cli_set_json }
#define CLI_OPT_BYTES { "bytes", 'b', false, cli_set_bytes }
#define CLI_OPT_ROOT { "root", 'r', true, cli_set_root }
/* A key above those the commands number their own long options with. */
#define CLI_OPT_DISCOVERY { "discovery", 320, true, cli_set_discovery }
/* The --help lines of CLI_OPT_DISCOVERY ("--discovery bpf|proc" is what
 * the bash completion offers the choices from). */
/* PAD: the spaces before the help's descriptions, which differ by command. */
#define CLI_HELP_DISCOVERY(PAD) \
"      --discovery HOW\n" \
PAD "how DRM and dma-buf fds are found,\n" \
PAD "--discovery bpf|proc: bpf by BPF iterator (the\n" \
PAD "default where it loads: root), proc by a walk of\n" \
PAD "/proc; a --root tree is walked\n"
/* Says on stderr when --discovery=bpf could not be honoured. */
void cli_warn_discovery(const struct gpumem_opts *o,
			const struct gpumem_snapshot *s);

/* Whether name is one of gpumem's commands (show, explain, ...). */
bool cli_is_command(const char *name);
/* "gpumem: WHAT 'ARG'" and a pointer to --help; returns EXIT_USAGE. */
int usage_error(const char *what, const char *arg);
int parse_pid(const char *s, pid_t *pid);

int cmd_show(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_bpf(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_sources(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_cgroups(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/*
 * SIGINT and SIGTERM set cli_stop (and interrupt a sleep: no SA_RESTART);
 * SIGPIPE is ignored so that a closed pipe is a write error, EPIPE, which
 * the loops take for the reader having gone (gpumem(1), EXIT STATUS).
 */
extern volatile sig_atomic_t cli_stop;
void cli_catch_stop(void);

/* The status of the source called name in s, or NULL. */
const struct gpumem_source_status *cli_source(const struct gpumem_snapshot *s,
					      const char *name);
/*
 * Says on stderr when sample n of --root root is of a capture that stopped
 * early (GPUMEM_PARTIAL_CAPTURE): a single capture once, at n 0; each such
 * capture of a series.  The live system (root NULL or "/") never is.
 */
void cli_warn_partial(const char *root, const struct gpumem_snapshot *s,
		      unsigned long n);
/* The capture-manifest detail of a partial capture's sample, or NULL. */
const char *cli_partial(const struct gpumem_snapshot *s);
/* The same of a detail already found: "gpumem: ROOT is DETAIL", escaped. */
void cli_say_partial(const char *root, const char *detail, unsigned long n);

#endif
