// SPDX-License-Identifier: MIT
/*
 * gpumem sources: which of the kernel's interfaces gpumem found, and for
 * each missing one what it means and what to do.  Missing is normal: the
 * fdinfo view works without any of the others.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gpumem/gpumem.h"

static const char usage_text[] =
"Usage: gpumem sources [--discovery bpf|proc] [-r DIR]\n"
"What gpumem can read here: the gpu_mem_total tracepoint and BPF (for\n"
"gpumem trace and bpf load), then every source of libgpumem in the order\n"
"it reads them, each found, missing, denied, error or unused, and why;\n"
"last, how the DRM and dma-buf fds were found (discovery: bpf or proc).\n"
"\n"
CLI_HELP_DISCOVERY("                      ")
"  -r, --root DIR      what a capture or fixture tree holds instead (no\n"
"                      tracepoint or BPF lines: those are the live system's)\n";

static void line(bool ok, const char *what, const char *detail)
{
	printf("%-7s %-22s %s\n", ok ? "found" : "missing", what, detail);
}

static void tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing/events/gpu_mem/gpu_mem_total",
		"/sys/kernel/debug/tracing/events/gpu_mem/gpu_mem_total",
	};
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!access(dirs[i], F_OK)) {
			line(true, "tracepoint", dirs[i]);
			return;
		}
	}
	line(false, "tracepoint", errno == EACCES ?
	     "tracefs not readable by this user (root only); BPF does not "
	     "need it" :
	     "no events/gpu_mem/gpu_mem_total in tracefs: the GPU driver does "
	     "not select CONFIG_TRACE_GPU_MEM (or tracefs is not mounted)");
}

static void bpf(void)
{
	bool btf = !access("/sys/kernel/btf/vmlinux", R_OK);

	if (geteuid()) {
		line(false, "bpf (loading)", "not root: only root loads the "
		     "collector; reading its pins needs group gpumem");
		return;
	}
	line(!access("/sys/fs/bpf", F_OK), "bpf (loading)", btf ?
	     "root, vmlinux BTF present (tp_btf possible)" :
	     "root, no /sys/kernel/btf/vmlinux: raw_tp only");
}

/* The library's sources, as the snapshot read them. */
static void library_sources(const struct gpumem_snapshot *s)
{
	const struct gpumem_source_status *st;
	size_t i, nr;

	st = gpumem_sources(s, &nr);
	for (i = 0; i < nr; i++) {
		const struct gpumem_source_status *x = gpumem_at(st, i);
		char esc[4 * sizeof(x->detail) + 1];

		/* A detail may quote the --root tree. */
		gpumem_escape_name(esc, sizeof(esc), x->detail, NULL);
		printf("%-7s %-22s %s\n", gpumem_source_state_name(x->state),
		       x->what, esc);
	}
}

int cmd_sources(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		CLI_OPT_DISCOVERY, CLI_OPT_ROOT, { NULL, 0, false, NULL }
	};
	struct cli_common a = { .opts = { GPUMEM_OPTS_INIT } };
	struct gpumem_snapshot *s;
	int ret, err;

	ret = cli_parse(argc, argv, opts, &a, usage_text);
	if (ret >= 0)
		return ret;
	err = gpumem_snapshot_take(&a.opts, &s);
	if (err) {
		fprintf(stderr, "gpumem: scan failed: %s\n", strerror(-err));
		return EXIT_NO_SOURCE;
	}
	if (!a.opts.root) {
		tracefs();
		bpf();
	}
	library_sources(s);
	printf("discovery: %s\n",
	       gpumem_discovery_name(gpumem_scan_stats(s)->discovery));
	gpumem_snapshot_free(s);
	return fflush(stdout) ? EXIT_RUNTIME : EXIT_OK;
}
