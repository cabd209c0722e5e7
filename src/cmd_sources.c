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
"Usage: gpumem sources\n"
"What gpumem can read here: the gpu_mem_total tracepoint, BPF, the pinned\n"
"maps and permission to read them, DRM fdinfo memory keys, dma-buf sysfs.\n";

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

static void pins(const struct gpumem_tp *tp)
{
	char buf[256];

	switch (tp->state) {
	case GPUMEM_TP_OK:
		snprintf(buf, sizeof(buf), "%s%s, %zu keys", tp->path,
			 tp->android ? " (Android's)" : "", tp->nr);
		line(true, "pinned maps", buf);
		break;
	case GPUMEM_TP_ABSENT:
		line(false, "pinned maps", "none under " GPUMEM_TP_PIN_DIR
		     " nor Android's: run 'gpumem bpf load' as root");
		break;
	default:
		snprintf(buf, sizeof(buf), "%s: %s: %s", tp->path,
			 strerror(-tp->err), tp->state == GPUMEM_TP_DENIED ?
			 "join group gpumem (or run as root)" : "see dmesg");
		line(false, "pin permission", buf);
	}
}

static void fdinfo(const struct gpumem_snapshot *s)
{
	unsigned int known = 0, unknown = 0;
	const struct gpumem_client *c;
	char buf[160];
	size_t i, nr;

	c = gpumem_clients(s, &nr);
	for (i = 0; i < nr; i++) {
		known += c[i].mem_known;
		unknown += !c[i].mem_known;
	}
	snprintf(buf, sizeof(buf), "%u DRM clients report memory, %u do "
		 "not%s", known, unknown, unknown ? " (their driver has no "
		 "drm-*-memory keys: use the tracepoint)" : "");
	line(nr && !unknown, "fdinfo memory keys", nr ? buf :
	     "no DRM client open (or none readable: run as root)");
}

int cmd_sources(int argc, char **argv)
{
	static const struct cli_opt none[] = { { NULL, 0, false, NULL } };
	struct gpumem_snapshot *s;
	int ret, err;

	ret = cli_parse(argc, argv, none, NULL, usage_text);
	if (ret >= 0)
		return ret;
	err = gpumem_snapshot_take(NULL, &s);
	if (err) {
		fprintf(stderr, "gpumem: scan failed: %s\n", strerror(-err));
		return EXIT_NO_SOURCE;
	}
	tracefs();
	bpf();
	pins(gpumem_snapshot_tp(s));
	fdinfo(s);
	line(gpumem_dmabuf_totals(s)->sysfs, "dma-buf sysfs",
	     gpumem_dmabuf_totals(s)->sysfs ? "/sys/kernel/dmabuf/buffers" :
	     "no /sys/kernel/dmabuf/buffers (CONFIG_DMABUF_SYSFS_STATS): "
	     "buffers no process holds are invisible");
	gpumem_snapshot_free(s);
	return fflush(stdout) ? EXIT_RUNTIME : EXIT_OK;
}
