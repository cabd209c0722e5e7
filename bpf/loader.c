// SPDX-License-Identifier: MIT
/*
 * Load, attach and pin the gpu_mem_total collector.  The pins outlive the
 * loader: the attachment is a pinned link, so the program runs until
 * `gpumem bpf unload` removes the pins.
 *
 * Readers need no privilege beyond the pins' file modes: since Linux 6.5
 * (commit "bpf: move unprivileged checks into map_create() and
 * bpf_prog_load()") BPF_OBJ_GET and map lookups are not subject to
 * kernel.unprivileged_bpf_disabled, only to the pin's permissions.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "gpumem_bpf.h"	/* before the skeleton: it uses our types */
#include "gpumem.skel.h"
#include "loader.h"

#define BPFFS "/sys/fs/bpf"

/*
 * The link first: unloading detaches before it removes the maps.  The
 * timer's map is pinned because a timer dies with its map's last user
 * reference, and the program's own references are not that.  The last
 * two are an older gpumem's: unload removes its pins too.
 */
static const char *const pin_names[] = {
	GM_BPF_PIN_LINK, "gpu_mem_total_map", "gpu_mem_slots", "globals",
	"events", "mirror_timer", "gpu_mem_info", "counters",
};

const char *gm_attach_name(enum gm_attach a)
{
	switch (a) {
	case GM_ATTACH_RAW_TP: return "raw_tp";
	case GM_ATTACH_TP_BTF: return "tp_btf";
	default: return "auto";
	}
}

/* libbpf's own lines repeat ours; GPUMEM_BPF_DEBUG=1 shows them all. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	return getenv("GPUMEM_BPF_DEBUG") ? vfprintf(stderr, fmt, ap) : 0;
}

static int mount_bpffs(struct gm_collector_info *info)
{
	struct statfs st;

	if (!statfs(BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0755"))
		return -errno;
	info->mounted_bpffs = true;
	return 0;
}

/* tp_btf needs the tracepoint's btf_trace_<name> typedef in vmlinux BTF. */
static bool have_tp_btf(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, "btf_trace_gpu_mem_total",
				       BTF_KIND_TYPEDEF) >= 0;
	btf__free(btf);
	return found;
}

/*
 * At most half the slots in use (devices keep theirs at 0: a few more
 * keys than the totals map holds), so probes stay short.
 */
static int set_slots(struct gpumem_bpf *skel, unsigned int keys)
{
	unsigned int bits = 1;

	while (bits < 31 && (1u << bits) < 2 * (keys + GM_BPF_MAX_GPUS))
		bits++;
	skel->rodata->slot_shift = 64 - bits;
	skel->rodata->slot_mask = (1u << bits) - 1;
	return bpf_map__set_max_entries(skel->maps.gpu_mem_slots, 1u << bits) ?:
	       bpf_map__set_max_entries(skel->maps.mirror_queue, 1u << bits);
}

static int open_and_load(struct gpumem_bpf **out,
			 const struct gm_collector_opts *o,
			 struct gm_collector_info *info)
{
	unsigned int n = o->max_entries ? o->max_entries :
			 GM_BPF_MAX_GPUS * GM_BPF_MAX_PROCS;
	struct gpumem_bpf *skel = gpumem_bpf__open();
	bool btf = o->attach == GM_ATTACH_TP_BTF ||
		   (o->attach == GM_ATTACH_AUTO && have_tp_btf());
	int err;

	if (!skel)
		return -errno;
	err = bpf_map__set_max_entries(skel->maps.gpu_mem_total_map, n);
	if (!err)
		err = set_slots(skel, n);
	bpf_program__set_autoload(skel->progs.gm_tp_btf, btf);
	bpf_program__set_autoload(skel->progs.gm_raw_tp, !btf);
	info->attach = btf ? GM_ATTACH_TP_BTF : GM_ATTACH_RAW_TP;
	if (!err)
		err = gpumem_bpf__load(skel);
	if (err) {
		gpumem_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static int set_owner(const char *path, gid_t gid, mode_t mode)
{
	return chown(path, 0, gid) || chmod(path, mode) ? -errno : 0;
}

/*
 * A pin directory is the bpffs's own (not a symlink out of it), or
 * -ENOTDIR: then nothing in it is taken or removed.
 */
static int open_bpffs_dir(const char *dir)
{
	struct statfs sfs;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		close(fd);
		return -ENOTDIR;
	}
	return fd;
}

/*
 * An existing pin directory is taken only when it is an empty directory
 * of root's on the bpffs (not a symlink): the unit makes it before the
 * start so that the service may write there and nowhere else in the
 * bpffs.  It is closed to others (0700) through the descriptor checked,
 * so no path swapped in meanwhile gets the mode.
 */
static int dir_taken(const char *dir)
{
	struct dirent *de;
	struct stat st;
	int fd, err = 0;
	DIR *d;

	fd = open_bpffs_dir(dir);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (fstat(fd, &st) || st.st_uid != 0)
		err = -EPERM;
	d = err ? NULL : fdopendir(fd);
	if (!d) {
		err = err ? err : -errno;
		close(fd);
		return err;
	}
	while (!err && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			err = -EEXIST;
	if (!err && fchmod(dirfd(d), 0700))
		err = -errno;
	closedir(d);
	return err;
}

/* Pins in a 0700 directory first: nobody sees a half-made set. */
static int pin_all(struct gpumem_bpf *skel, struct bpf_link *link,
		   const char *dir, gid_t gid, mode_t fmode)
{
	struct bpf_map *maps[] = {
		skel->maps.gpu_mem_total_map, skel->maps.gpu_mem_slots,
		skel->maps.bss, skel->maps.events, skel->maps.mirror_timer,
	};
	char path[4096];
	size_t i;
	int err;

	/* EEXIST: dir_taken() found it empty and made it 0700 */
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i + 1]);
		err = bpf_map__pin(maps[i], path);
		if (!err)
			err = set_owner(path, gid, fmode);
		if (err)
			return err;
	}
	snprintf(path, sizeof(path), "%s/" GM_BPF_PIN_LINK, dir);
	err = bpf_link__pin(link, path);
	return err ? err : set_owner(dir, gid, gid ? 0750 : 0700);
}

int gm_collector_load(const struct gm_collector_opts *o,
		      struct gm_collector_info *info, char *msg, size_t len)
{
	const char *dir = o->pin_dir ? o->pin_dir : GM_BPF_PIN_DIR;
	const char *group = o->group ? o->group : "gpumem";
	struct gpumem_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	struct group *gr;
	int err;

	memset(info, 0, sizeof(*info));
	msg[0] = '\0';
	libbpf_set_print(libbpf_print);
	err = mount_bpffs(info);
	if (err) {
		snprintf(msg, len, "cannot mount bpffs on " BPFFS ": %s",
			 strerror(-err));
		return err;
	}
	err = dir_taken(dir);
	if (err) {
		snprintf(msg, len, "%s: %s", dir, err == -EEXIST ?
			 "holds pins: already loaded (gpumem bpf unload first)" :
			 err == -ENOTDIR ? "not a directory on the bpffs" :
			 err == -EPERM ? "not root's: not taken" :
			 strerror(-err));
		return err;
	}
	gr = getgrnam(group);
	info->group_found = gr != NULL;
	err = open_and_load(&skel, o, info);
	if (err) {
		snprintf(msg, len, "loading the BPF program: %s%s",
			 strerror(-err), err == -EPERM ?
			 " (needs root: CAP_BPF and CAP_PERFMON)" : "");
		return err;
	}
	link = info->attach == GM_ATTACH_TP_BTF ?
	       bpf_program__attach(skel->progs.gm_tp_btf) :
	       bpf_program__attach(skel->progs.gm_raw_tp);
	err = libbpf_get_error(link);
	if (err) {
		link = NULL;
		snprintf(msg, len, "attaching to gpu_mem_total: %s%s",
			 strerror(-err), err == -ENOENT ?
			 " (the kernel has no gpu_mem_total tracepoint: "
			 "CONFIG_TRACE_GPU_MEM, selected by the GPU driver)" : "");
		goto out;
	}
	err = pin_all(skel, link, dir, gr ? gr->gr_gid : 0, gr ? 0640 : 0600);
	if (err) {
		snprintf(msg, len, "pinning under %s: %s", dir, strerror(-err));
		gm_collector_unload(dir);
	}
out:
	bpf_link__destroy(link);
	gpumem_bpf__destroy(skel);
	return err;
}

/*
 * Only pins are removed: the directory must be on a bpf file system, so
 * that --pin-dir pointed at an ordinary directory deletes nothing (its
 * files may merely have the pins' names).  -ENOTDIR when it is not.
 */
int gm_collector_unload(const char *pin_dir)
{
	const char *dir = pin_dir ? pin_dir : GM_BPF_PIN_DIR;
	size_t i;
	int fd, err = 0;

	fd = open_bpffs_dir(dir);
	if (fd < 0)
		return fd;
	for (i = 0; !err && i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		if (unlinkat(fd, pin_names[i], 0) && errno != ENOENT)
			err = -errno;
	}
	close(fd);
	if (err)
		return err;
	return rmdir(dir) ? -errno : 0;
}
