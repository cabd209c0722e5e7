// SPDX-License-Identifier: MIT
/* gpumem show: GPU memory per device and per process, dma-buf memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gpumem/gpumem.h"

struct args {
	struct cli_common c;	/* first: the common setters cast to it */
	const char *capture_dir;
	bool grouped;
	enum gpumem_group_by group_by;
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
"  -g, --group BY    PSS-like figures summed per cgroup, unit (systemd) or\n"
"                    user (real uid); the groups add up to the total\n"
"      --capture DIR write what gpumem and gpumem explain read (at most\n"
"                    256 MiB, files 0600) into DIR, new or an empty directory\n"
"                    of yours, for --root or a bug report\n"
"  -h, --help        this text\n"
"  -V, --version     the version (as the only argument)\n"
"\n"
"Exit status: 0 success, 1 usage error, 2 no data source (no readable\n"
"proc tree), 3 other runtime error.\n";

static int set_capture(void *args, const char *arg)
{
	((struct args *)args)->capture_dir = arg;
	return 0;
}

static int set_group(void *args, const char *arg)
{
	struct args *a = args;
	int by;

	for (by = GPUMEM_GROUP_CGROUP; by <= GPUMEM_GROUP_USER; by++) {
		if (!strcmp(arg, gpumem_group_by_name(by))) {
			a->grouped = true;
			a->group_by = by;
			return 0;
		}
	}
	return -EINVAL;
}

static const struct cli_opt options[] = {
	CLI_OPT_PID, CLI_OPT_JSON, CLI_OPT_BYTES, CLI_OPT_ROOT,
	{ "capture", 256, true, set_capture },
	{ "group", 'g', true, set_group },
	{ NULL, 0, false, NULL }
};

/* What could not be read is said, never silently left out. */
/* Collector pinned but not readable: the fdinfo view alone, said so. */
static void warn_tracepoint(const struct gpumem_tp *tp)
{
	if (tp->state == GPUMEM_TP_DENIED)
		fprintf(stderr, "gpumem: %s not readable: join group gpumem for "
			"the tracepoint's figures\n", tp->path);
	else if (tp->state == GPUMEM_TP_ERROR)
		fprintf(stderr, "gpumem: reading %s: %s\n", tp->path,
			strerror(-tp->err));
	if (tp->state == GPUMEM_TP_OK && tp->dropped_full)
		fprintf(stderr, "gpumem: the collector dropped %llu updates "
			"(map full at %u keys): tracepoint figures incomplete\n",
			(unsigned long long)tp->dropped_full, tp->max_entries);
}

static void warn_incomplete(const struct gpumem_snapshot *s)
{
	const struct gpumem_scan_stats *st = gpumem_scan_stats(s);

	if (st->unreadable_processes)
		fprintf(stderr, "gpumem: %u process%s not readable: run as "
			"root or with CAP_SYS_PTRACE (or a file was not what "
			"the kernel writes: 'gpumem sources' counts those)\n",
			st->unreadable_processes,
			st->unreadable_processes == 1 ? "" : "es");
	if (st->malformed_lines)
		fprintf(stderr, "gpumem: %u malformed lines of kernel text "
			"skipped\n", st->malformed_lines);
	if (st->unresolved_fds)
		fprintf(stderr, "gpumem: %u DRM fds without a client id could "
			"not be matched (kcmp unavailable): each counted as its "
			"own client\n", st->unresolved_fds);
	warn_tracepoint(gpumem_snapshot_tp(s));
}

static int snapshot_error(const struct args *a, int err)
{
	const char *root = a->c.opts.root ? a->c.opts.root : "/";

	if (err == -ESRCH) {
		fprintf(stderr, "gpumem: no process %d\n", (int)a->c.opts.pid);
		return EXIT_USAGE;
	}
	/* With -p, EACCES is the process's fds: /proc itself was opened. */
	if (err == -EACCES && a->c.opts.pid) {
		fprintf(stderr, "gpumem: process %d is not readable by this "
			"user: run as root or with CAP_SYS_PTRACE\n",
			(int)a->c.opts.pid);
		return EXIT_NO_SOURCE;
	}
	if (err == -ENOENT || err == -ENOTDIR || err == -EACCES) {
		fprintf(stderr, "gpumem: cannot read %s%sproc: %s\n", root,
			root[strlen(root) - 1] == '/' ? "" : "/", strerror(-err));
		return EXIT_NO_SOURCE;
	}
	fprintf(stderr, "gpumem: scan failed: %s\n", strerror(-err));
	return EXIT_RUNTIME;
}

/* The output side's errors, said in words: DIR is the user's argument. */
static const char *capture_why(const char *dir, int err)
{
	struct stat st;

	if (err == -EPERM && !lstat(dir, &st) &&
	    (st.st_uid != geteuid() || st.st_mode & S_IWOTH))
		return "not your directory, or others can write to it: "
		       "refusing, a capture holds other users' data";
	if (err == -ELOOP)
		return "a symlink where the capture has a directory (DIR or a "
		       "directory in it was replaced): refusing to follow it";
	if (err == -EEXIST)
		return "not empty, or changed while gpumem wrote: a capture "
		       "needs a new or empty directory";
	if (err == -ENOENT)
		return "no such directory (its parent must exist)";
	return NULL;
}

static int capture(const struct args *a)
{
	const char *root = a->c.opts.root ? a->c.opts.root : "/";
	char proc[4096];
	const char *why;
	int err = gpumem_capture(root, a->capture_dir,
				 GPUMEM_CAPTURE_MAX_DEFAULT);

	if (!err)
		return EXIT_OK;
	snprintf(proc, sizeof(proc), "%s/proc", root);
	/* Only a missing source is "no data source"; DIR's parent is not. */
	if (err == -ENOENT && access(proc, F_OK)) {
		fprintf(stderr, "gpumem: cannot read %s: %s\n", proc,
			strerror(-err));
		return EXIT_NO_SOURCE;
	}
	why = capture_why(a->capture_dir, err);
	fprintf(stderr, "gpumem: capture into %s: %s\n", a->capture_dir,
		why ? why : strerror(-err));
	return EXIT_RUNTIME;
}

static int print(const struct args *a, const struct gpumem_snapshot *s)
{
	if (a->grouped)
		return a->c.json ?
		       gpumem_print_groups_json(s, a->group_by, stdout) :
		       gpumem_print_groups_table(s, a->group_by, stdout,
						 a->c.flags);
	return a->c.json ? gpumem_print_json(s, stdout) :
	       gpumem_print_table(s, stdout, a->c.flags);
}

int cmd_show(int argc, char **argv)
{
	struct args a = { 0 };
	struct gpumem_snapshot *s;
	int ret, err;

	ret = cli_parse(argc, argv, options, &a, usage_text);
	if (ret >= 0)
		return ret;
	if (a.capture_dir)
		return capture(&a);
	err = gpumem_snapshot_take(&a.c.opts, &s);
	if (err)
		return snapshot_error(&a, err);
	if (a.c.opts.root)
		cli_warn_partial(a.c.opts.root);
	warn_incomplete(s);
	err = print(&a, s);
	if (!err && fflush(stdout))
		err = -errno;
	gpumem_snapshot_free(s);
	if (err) {
		fprintf(stderr, "gpumem: writing output: %s\n", strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
