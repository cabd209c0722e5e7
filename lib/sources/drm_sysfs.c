// SPDX-License-Identifier: MIT
/*
 * DRM devices from /sys/class/drm: cardN (primary) and renderDN nodes, their
 * driver and PCI identity from the parent device's uevent, and amdgpu's own
 * counters (mem_info_{vram,gtt}_{used,total}) where present.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources.h"

struct node {
	int minor;
	bool render;
	dev_t st_dev;
	ino_t st_ino;
};

/* "cardN" or "renderDN" exactly; connectors (card0-DP-1) are not nodes. */
static bool node_name(const char *name, struct node *n)
{
	const char *digits;
	uint64_t v;

	if (!strncmp(name, "card", 4)) {
		digits = name + 4;
		n->render = false;
	} else if (!strncmp(name, "renderD", 7)) {
		digits = name + 7;
		n->render = true;
	} else {
		return false;
	}
	/* card00 next to card0 is not a second device. */
	if (gm_parse_name_u64(digits, 1u << 20, &v))
		return false;
	n->minor = (int)v;
	return true;
}

/* "VVVV:DDDD" in hex, nothing else; val is not terminated. */
static int parse_pci_id(const char *val, size_t len, struct gpumem_device *d)
{
	char tmp[16], *p;
	uint64_t v, dev;
	const char *end;

	if (len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, val, len);
	tmp[len] = '\0';
	for (p = tmp; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (gm_parse_hex(tmp, &end, &v) || *end != ':' || v > 0xffff ||
	    gm_parse_hex(end + 1, &end, &dev) || *end || dev > 0xffff)
		return -EINVAL;
	d->vendor_id = (uint32_t)v;
	d->device_id = (uint32_t)dev;
	return 0;
}

/* DRIVER=, PCI_SLOT_NAME=, PCI_ID= of a device's uevent. */
void gm_uevent_parse(const char *text, size_t text_len, struct gpumem_device *d,
		     unsigned int *malformed)
{
	const char *line;
	size_t pos = 0, len;

	while (gm_next_line(text, text_len, &pos, &line, &len)) {
		const char *eq = memchr(line, '=', len);
		size_t klen, vlen;

		if (!eq)
			continue;
		klen = (size_t)(eq - line);
		vlen = len - klen - 1;
		if (klen == 6 && !memcmp(line, "DRIVER", 6)) {
			gm_copy_field(d->driver, sizeof(d->driver), eq + 1, vlen);
		} else if (klen == 13 && !memcmp(line, "PCI_SLOT_NAME", 13)) {
			gm_copy_field(d->pdev, sizeof(d->pdev), eq + 1, vlen);
		} else if (klen == 6 && !memcmp(line, "PCI_ID", 6)) {
			*malformed += parse_pci_id(eq + 1, vlen, d) != 0;
		}
	}
}

static uint64_t read_u64(int dirfd, const char *path, struct gm_text *t,
			 unsigned int *malformed)
{
	uint64_t v;

	if (gm_read_record_at(dirfd, path, t))
		return 0;
	if (gm_parse_u64_all(t->buf, t->len, &v)) {
		(*malformed)++;
		return 0;
	}
	return v;
}

static void read_amd_counters(int devfd, struct gpumem_device *d,
			      struct gm_text *t, unsigned int *malformed)
{
	d->vram_used = read_u64(devfd, "mem_info_vram_used", t, malformed);
	d->vram_total = read_u64(devfd, "mem_info_vram_total", t, malformed);
	d->gtt_used = read_u64(devfd, "mem_info_gtt_used", t, malformed);
	d->gtt_total = read_u64(devfd, "mem_info_gtt_total", t, malformed);
	if (d->vram_total || d->gtt_total)
		gm_device_reading(d, GPUMEM_ORIGIN_SYSFS,
				  gm_add_sat(d->vram_used, d->gtt_used));
}

/*
 * gpumem's kernel series (kernel/patches 0006) keeps the device's GEM total,
 * the pages attached to its objects, each once and imports excluded, in
 * cardN/gpu_mem/total: better than any sum of clients.
 */
static void read_gem_total(int sysfd, const char *name,
			   struct gpumem_device *d, struct gm_text *t,
			   unsigned int *malformed)
{
	char path[300];
	uint64_t v;

	snprintf(path, sizeof(path), "class/drm/%s/gpu_mem/total", name);
	if (gm_read_record_at(sysfd, path, t))
		return;
	if (gm_parse_u64_all(t->buf, t->len, &v)) {
		(*malformed)++;
		return;
	}
	gm_device_reading(d, GPUMEM_ORIGIN_SYSFS, v);
}

/*
 * Paths from sysfd: sysfs's links (class/drm/card0 -> ../../devices/...)
 * stay below it, so a --root tree's may not leave it.
 */
static int add_card(struct gm_devices *devs, int sysfd, const char *name,
		    struct node *n, struct gm_text *t, unsigned int *malformed)
{
	char path[300];
	struct gpumem_device *d;
	struct stat st;
	int devfd, err;

	snprintf(path, sizeof(path), "class/drm/%s/device", name);
	devfd = gm_open_beneath(sysfd, path, O_RDONLY | O_DIRECTORY |
				O_CLOEXEC);
	if (devfd < 0)
		return 0;	/* a virtual node without a parent device */
	if (fstat(devfd, &st)) {
		close(devfd);
		return 0;
	}
	n->st_dev = st.st_dev;
	n->st_ino = st.st_ino;
	if (n->render) {
		close(devfd);
		return 0;
	}
	err = gm_grow((void **)&devs->dev, &devs->cap, devs->nr + 1,
		      sizeof(*devs->dev));
	if (err) {
		close(devfd);
		return err;
	}
	d = &devs->dev[devs->nr++];
	memset(d, 0, sizeof(*d));
	d->index = n->minor;
	d->render_minor = -1;
	if (!gm_read_record_at(devfd, "uevent", t))
		gm_uevent_parse(t->buf, t->len, d, malformed);
	read_amd_counters(devfd, d, t, malformed);
	close(devfd);
	read_gem_total(sysfd, name, d, t, malformed);
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct gpumem_device *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* A render node belongs to the card whose parent device is the same inode. */
static void link_render(struct gm_devices *devs, const struct node *nodes,
			size_t nr)
{
	size_t i, j, k;

	for (i = 0; i < nr; i++) {
		if (!nodes[i].render)
			continue;
		for (j = 0; j < nr; j++) {
			if (nodes[j].render || nodes[j].st_ino != nodes[i].st_ino ||
			    nodes[j].st_dev != nodes[i].st_dev)
				continue;
			for (k = 0; k < devs->nr; k++) {
				if (devs->dev[k].index == nodes[j].minor)
					devs->dev[k].render_minor = nodes[i].minor;
			}
		}
	}
}

int gm_drm_sysfs_scan(int sysfd, struct gm_devices *devs,
		      unsigned int *malformed)
{
	struct gm_text t = { 0 };
	struct node *nodes = NULL;
	size_t nr = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int err;

	err = gm_opendir_at(sysfd, "class/drm", &dir);
	if (err)
		return err == -ENOENT ? 0 : err;
	while (!err && (de = readdir(dir))) {
		struct node n = { 0 };

		if (!node_name(de->d_name, &n))
			continue;
		err = gm_grow((void **)&nodes, &cap, nr + 1, sizeof(*nodes));
		if (!err)
			err = add_card(devs, sysfd, de->d_name, &n, &t,
				       malformed);
		if (!err)
			nodes[nr++] = n;
	}
	closedir(dir);
	if (!err && devs->nr) {
		link_render(devs, nodes, nr);
		qsort(devs->dev, devs->nr, sizeof(*devs->dev), cmp_dev);
	}
	free(nodes);
	gm_text_free(&t);
	return err;
}

/* Returns the device index for a card or render minor, -1 when unknown. */
int gm_devices_by_minor(const struct gm_devices *devs, int minor)
{
	size_t i;

	for (i = 0; i < devs->nr; i++) {
		if (devs->dev[i].index == minor ||
		    devs->dev[i].render_minor == minor)
			return (int)i;
	}
	return -1;
}

static int read_drm_sysfs(struct gm_source_ctx *ctx,
			  struct gpumem_source_status *st)
{
	int err;

	if (ctx->sysfd < 0) {
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no sys in the root: "
			      "no devices, names or driver counters");
		return 0;
	}
	err = gm_drm_sysfs_scan(ctx->sysfd, ctx->feed->devs,
				&ctx->stats->malformed_lines);
	if (gm_is_denied(err)) {
		gm_source_err(st, err, "/sys/class/drm");
		return 0;
	}
	if (!err)
		gm_source_say(st, GPUMEM_SOURCE_FOUND, "%zu DRM devices",
			      ctx->feed->devs->nr);
	return err;
}

const struct gm_source gm_src_drm_sysfs = {
	.name = "drm-sysfs",
	.what = "DRM devices (sysfs)",
	.cap = GM_CAP_DRM_NODES,
	.read = read_drm_sysfs,
};
