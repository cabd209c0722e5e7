// SPDX-License-Identifier: MIT
/*
 * gpumem bpf load|unload|status|dump: the gpu_mem_total collector
 * (bpf/gpumem.bpf.c) and its pinned maps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "cli.h"
#include "gpumem/gpumem.h"
#include "gpumem_bpf.h"
#include "loader.h"

static const char usage_text[] =
"Usage: gpumem bpf load [--max-entries N] [--attach auto|raw_tp|tp_btf]\n"
"                       [--pin-dir DIR]\n"
"       gpumem bpf unload [--pin-dir DIR]\n"
"       gpumem bpf status [--pin-dir DIR]\n"
"       gpumem bpf dump [--android] [--pin-dir DIR]\n"
"The gpu_mem_total collector: a BPF program keeping the latest GPU memory\n"
"total per (gpu, pid), pinned under " GPUMEM_TP_PIN_DIR " for group gpumem.\n"
"\n"
"  -m, --max-entries N  keys of the totals map (default 32768: 4096\n"
"                       processes x 8 GPUs); new keys past it are counted\n"
"                       as dropped, never silently lost\n"
"  -a, --attach TYPE    tp_btf when the kernel's BTF has it (auto), raw_tp\n"
"  -P, --pin-dir DIR    another bpffs directory\n"
"      --android        dump in the text of Android's dumpsys gpu --gpumem\n"
"                       (also reads Android's own pinned map)\n"
"  -h, --help           this text\n"
"-n and -d, the old spellings of -m and -P, still work (with a note): in\n"
"gpumem's sampling commands they mean count and delay, as in top(1).\n";

struct args {
	struct gm_collector_opts load;
	bool android;
};

static int parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !v || v > 1u << 24 || s[0] == '-')
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int set_max_entries(void *args, const char *arg)
{
	return parse_uint(arg, &((struct args *)args)->load.max_entries);
}

static int set_attach(void *args, const char *arg)
{
	struct args *a = args;

	if (!strcmp(arg, "raw_tp"))
		a->load.attach = GM_ATTACH_RAW_TP;
	else if (!strcmp(arg, "tp_btf"))
		a->load.attach = GM_ATTACH_TP_BTF;
	else if (strcmp(arg, "auto"))
		return -EINVAL;
	return 0;
}

static int set_pin_dir(void *args, const char *arg)
{
	((struct args *)args)->load.pin_dir = arg;
	return 0;
}

static int set_android(void *args, const char *arg)
{
	(void)arg;
	((struct args *)args)->android = true;
	return 0;
}

static const struct cli_opt options[] = {
	{ "max-entries", 'm', true, set_max_entries },
	{ "attach", 'a', true, set_attach },
	{ "pin-dir", 'P', true, set_pin_dir },
	{ "max-entries", 'n', true, set_max_entries, "-m" },
	{ "pin-dir", 'd', true, set_pin_dir, "-P" },
	{ "android", 256, false, set_android },
	{ NULL, 0, false, NULL }
};

static int load(const struct args *a)
{
	struct gm_collector_info info;
	char msg[GM_LOADER_MSG_MAX];
	int err = gm_collector_load(&a->load, &info, msg, sizeof(msg));

	if (err) {
		fprintf(stderr, "gpumem: %s\n", msg);
		return err == -EEXIST ? EXIT_USAGE : EXIT_NO_SOURCE;
	}
	if (info.mounted_bpffs)
		printf("mounted bpffs on /sys/fs/bpf\n");
	if (!info.group_found)
		fprintf(stderr, "gpumem: no group '%s': pins are root-only "
			"(groupadd gpumem, then unload and load again)\n",
			a->load.group ? a->load.group : "gpumem");
	printf("loaded: %s, pinned under %s\n", gm_attach_name(info.attach),
	       a->load.pin_dir ? a->load.pin_dir : GPUMEM_TP_PIN_DIR);
	return EXIT_OK;
}

static int unload(const struct args *a)
{
	int err = gm_collector_unload(a->load.pin_dir);

	if (!err)
		return EXIT_OK;
	if (err == -ENOTDIR)
		fprintf(stderr, "gpumem: unload: %s is not a directory on a bpf "
			"file system: nothing removed\n", a->load.pin_dir ?
			a->load.pin_dir : GPUMEM_TP_PIN_DIR);
	else
		fprintf(stderr, "gpumem: unload: %s\n", strerror(-err));
	return err == -ENOENT ? EXIT_NO_SOURCE : EXIT_RUNTIME;
}

/* One line saying what is missing and what to do. */
static int tp_explain(const struct gpumem_tp *tp, FILE *f)
{
	switch (tp->state) {
	case GPUMEM_TP_OK:
		return EXIT_OK;
	case GPUMEM_TP_ABSENT:
		fprintf(f, "gpumem: no pinned gpu_mem_total maps (%s): run "
			"'gpumem bpf load' as root\n", tp->path);
		return EXIT_NO_SOURCE;
	case GPUMEM_TP_DENIED:
		fprintf(f, "gpumem: %s: %s: join group gpumem or run as root\n",
			tp->path, strerror(-tp->err));
		return EXIT_NO_SOURCE;
	default:
		fprintf(f, "gpumem: reading %s: %s\n", tp->path,
			tp->err == -ENOLINK ? GM_BPF_HALF_LOADED :
			strerror(-tp->err));
		return EXIT_RUNTIME;
	}
}

static void print_status(const struct gpumem_tp *tp)
{
	printf("maps: %s%s\n", tp->path, tp->android ? " (Android)" : "");
	printf("keys: %zu", tp->nr);
	if (!tp->android)
		printf(" of %" PRIu32, tp->max_entries);
	printf("\nevents: %" PRIu64 "\n", tp->events);
	printf("dropped (totals map full): %" PRIu64 "\n", tp->dropped_full);
	printf("dropped (no slot for peaks): %" PRIu64 "\n", tp->dropped_info_full);
	printf("dropped (ring buffer full): %" PRIu64 "\n", tp->dropped_ringbuf);
	if (!tp->android)
		printf("stream: %s\n", tp->streaming ?
		       "on (a gpumem trace is reading)" : "off");
}

static void print_dump(const struct gpumem_tp *tp)
{
	size_t i;

	printf("%4s %8s %16s %16s %12s %18s\n", "GPU", "PID", "BYTES", "PEAK",
	       "CHANGES", "LAST_CHANGE_NS");
	for (i = 0; i < tp->nr; i++) {
		const struct gpumem_tp_total *t = &tp->totals[i];

		printf("%4" PRIu32 " %8" PRIu32 " %16" PRIu64 " %16" PRIu64
		       " %12" PRIu64 " %18" PRIu64 "\n", t->gpu_id, t->pid,
		       t->bytes, t->peak_bytes, t->changes, t->last_change_ns);
	}
}

static int show(const struct args *a, bool status)
{
	struct gpumem_tp tp;
	int ret;

	gpumem_tp_read(a->load.pin_dir, &tp);
	if (a->android) {
		/* Android prints its own failure line; so do we. */
		ret = gpumem_tp_print_android(&tp, stdout) ? EXIT_RUNTIME :
		      tp.state == GPUMEM_TP_OK ? EXIT_OK : EXIT_NO_SOURCE;
	} else {
		ret = tp_explain(&tp, stderr);
		if (ret == EXIT_OK && status)
			print_status(&tp);
		else if (ret == EXIT_OK)
			print_dump(&tp);
	}
	gpumem_tp_release(&tp);
	return ret;
}

int cmd_bpf(int argc, char **argv)
{
	static const char *const verbs[] = { "load", "unload", "status", "dump" };
	struct args a = { 0 };
	size_t v;
	int ret;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		if (!strcmp(argv[1], verbs[v]))
			break;
	}
	if (v == sizeof(verbs) / sizeof(verbs[0]))
		return usage_error("unknown bpf command", argv[1]);
	ret = cli_parse(argc - 1, argv + 1, options, &a, usage_text);
	if (ret >= 0)
		return ret;
	switch (v) {
	case 0: return load(&a);
	case 1: return unload(&a);
	case 2: return show(&a, true);
	default: return show(&a, false);
	}
}
