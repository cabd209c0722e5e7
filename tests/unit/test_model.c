// SPDX-License-Identifier: MIT
/*
 * The model through gpumem_snapshot_take() on fake /proc and /sys trees:
 * every DRM client and dma-buf counted once, PSS-like shares that add up
 * exactly, device totals and their origin, and the scan statistics.
 *
 * These tests found announce() reading comm into the buffer that held the
 * fdinfo being parsed (fixed in a0a92e8): the first DRM or dma-buf fd of
 * every process lost its data.
 */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

#define FD_HEAD "pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1071\n"

#define AMD_DEV "pci0000:00/0000:00:01.0/0000:03:00.0"
#define AMD_UEVENT "DRIVER=amdgpu\nPCI_CLASS=30000\nPCI_ID=1002:744C\n" \
	"PCI_SUBSYS_ID=1DA2:E471\nPCI_SLOT_NAME=0000:03:00.0\n" \
	"MODALIAS=pci:v00001002d0000744Csv00001DA2sd0000E471bc03sc00i00\n"
#define I915_DEV "pci0000:00/0000:00:02.0"
#define I915_UEVENT "DRIVER=i915\nPCI_CLASS=30000\nPCI_ID=8086:56A0\n" \
	"PCI_SUBSYS_ID=8086:1020\nPCI_SLOT_NAME=0000:00:02.0\n" \
	"MODALIAS=pci:v00008086d000056A0sv00008086sd00001020bc03sc00i00\n"
#define VIRTIO_DEV "pci0000:00/0000:00:01.0/virtio0"
#define VIRTIO_UEVENT "DRIVER=virtio_gpu\nMODALIAS=virtio:d00000010v00001AF4\n"

/* card1 + renderD129: an i915 whose total is derived from its clients. */
static void add_i915(struct fx *f)
{
	fx_card(f, 1, 129, I915_DEV, I915_UEVENT);
}

static void i915_fdinfo(char *buf, size_t size, unsigned int id,
			const char *local0)
{
	snprintf(buf, size, FD_HEAD "drm-driver:\ti915\ndrm-client-id:\t%u\n"
		 "drm-pdev:\t0000:00:02.0\n"
		 "drm-total-system0:\t0\ndrm-shared-system0:\t0\n"
		 "drm-active-system0:\t0\ndrm-resident-system0:\t0\n"
		 "drm-purgeable-system0:\t0\n"
		 "drm-total-local0:\t%s\ndrm-shared-local0:\t0\n"
		 "drm-active-local0:\t0\ndrm-resident-local0:\t%s\n"
		 "drm-purgeable-local0:\t0\n"
		 "drm-engine-render:\t100 ns\n", id, local0, local0);
}

static void assert_sorted_shares(const uint64_t *got, size_t nr,
				 const uint64_t *want)
{
	uint64_t v[8];
	size_t i, j;

	assert_true(nr <= 8);
	memcpy(v, got, nr * sizeof(*v));
	for (i = 0; i < nr; i++) {
		for (j = i + 1; j < nr; j++) {
			if (v[j] > v[i]) {
				uint64_t t = v[i];

				v[i] = v[j];
				v[j] = t;
			}
		}
	}
	for (i = 0; i < nr; i++)
		assert_int_equal(v[i], want[i]);
}

/* One client held by fd in 3 processes (fork / SCM_RIGHTS): once. */
static void test_client_shared_by_processes(void **state)
{
	static const uint64_t want[] = { 334, 334, 333 };
	static const pid_t pids[] = { 100, 200, 300 };
	struct fx *f = *state;
	const struct gpumem_client *c;
	const struct gpumem_device *d;
	struct gpumem_snapshot *s;
	char info[1024];
	uint64_t pss[3], sum = 0;
	size_t i, nr;

	add_i915(f);
	i915_fdinfo(info, sizeof(info), 7, "1001");
	for (i = 0; i < 3; i++) {
		fx_process(f, pids[i], "app");
		fx_fd(f, pids[i], 5, "/dev/dri/renderD129", info);
	}
	s = fx_snapshot(f, 0, 0);
	gpumem_clients(s, &nr);
	assert_int_equal(nr, 1);
	c = fx_client(s, 129, 7);
	assert_int_equal(c->nr_holders, 3);
	assert_int_equal(c->bytes, 1001);
	assert_true(c->mem_known);
	assert_string_equal(c->driver, "i915");
	for (i = 0; i < 3; i++) {
		const struct gpumem_process *p = fx_proc(s, pids[i]);

		assert_int_equal(p->gpu_total_bytes, 1001);
		assert_int_equal(p->nr_clients, 1);
		pss[i] = p->gpu_pss_bytes;
		sum += pss[i];
	}
	/* remainder bytes to the first holders; the sum is exact */
	assert_sorted_shares(pss, 3, want);
	assert_int_equal(sum, 1001);
	d = fx_device(s, 1);
	assert_int_equal(d->nr_clients, 1);
	assert_int_equal(d->clients_bytes, 1001);
	assert_int_equal(d->origin, GPUMEM_ORIGIN_DERIVED);
	assert_int_equal(d->total_bytes, 1001);
	assert_int_equal(d->render_minor, 129);
	assert_string_equal(d->driver, "i915");
	assert_string_equal(d->pdev, "0000:00:02.0");
	assert_int_equal(d->vendor_id, 0x8086);
	assert_int_equal(d->device_id, 0x56a0);
	assert_int_equal(gpumem_scan_stats(s)->processes, 3);
	assert_int_equal(gpumem_scan_stats(s)->malformed_lines, 0);
	gpumem_snapshot_free(s);
}

/* The primary node and the render node of one device are one device. */
static void test_client_via_card_and_render(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;
	char info[1024];
	size_t nr;

	add_i915(f);
	i915_fdinfo(info, sizeof(info), 3, "4 KiB");
	fx_process(f, 100, "Xorg");
	fx_fd(f, 100, 5, "/dev/dri/card1", info);
	fx_process(f, 200, "app");
	fx_fd(f, 200, 9, "/dev/dri/renderD129", info);
	s = fx_snapshot(f, 0, 0);
	gpumem_clients(s, &nr);
	assert_int_equal(nr, 1);
	assert_int_equal(gpumem_clients(s, &nr)->nr_holders, 2);
	assert_int_equal(fx_device(s, 1)->clients_bytes, 4096);
	assert_int_equal(fx_proc(s, 100)->gpu_pss_bytes, 2048);
	assert_int_equal(fx_proc(s, 200)->gpu_pss_bytes, 2048);
	gpumem_snapshot_free(s);
}

static void test_dup_fds_one_process(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	struct gpumem_snapshot *s;
	char info[1024];
	size_t nr;

	add_i915(f);
	i915_fdinfo(info, sizeof(info), 11, "3 MiB");
	fx_process(f, 100, "app");
	fx_fd(f, 100, 5, "/dev/dri/renderD129", info);
	fx_fd(f, 100, 6, "/dev/dri/renderD129", info);
	fx_fd(f, 100, 17, "/dev/dri/renderD129", info);
	s = fx_snapshot(f, 0, 0);
	gpumem_clients(s, &nr);
	assert_int_equal(nr, 1);
	assert_int_equal(fx_client(s, 129, 11)->nr_holders, 1);
	p = fx_proc(s, 100);
	assert_int_equal(p->nr_clients, 1);
	assert_int_equal(p->gpu_total_bytes, 3u << 20);
	assert_int_equal(p->gpu_pss_bytes, 3u << 20);
	assert_int_equal(fx_device(s, 1)->total_bytes, 3u << 20);
	gpumem_snapshot_free(s);
}

/* Client ids are per device: id 1 on two devices is two clients. */
static void test_same_id_two_devices(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;
	char info[1024];
	size_t nr;

	fx_card(f, 0, 128, AMD_DEV, AMD_UEVENT);
	add_i915(f);
	fx_process(f, 100, "app");
	fx_fd(f, 100, 5, "/dev/dri/renderD128", FD_HEAD
	      "drm-driver:\tamdgpu\ndrm-client-id:\t1\n"
	      "drm-pdev:\t0000:03:00.0\npasid:\t32770\n"
	      "drm-memory-vram:\t1024 KiB\ndrm-memory-gtt: \t2048 KiB\n"
	      "drm-memory-cpu: \t0 KiB\n");
	i915_fdinfo(info, sizeof(info), 1, "8 KiB");
	fx_fd(f, 100, 6, "/dev/dri/renderD129", info);
	s = fx_snapshot(f, 0, 0);
	gpumem_clients(s, &nr);
	assert_int_equal(nr, 2);
	assert_int_equal(fx_client(s, 128, 1)->bytes, 3u << 20);
	assert_string_equal(fx_client(s, 128, 1)->driver, "amdgpu");
	assert_int_equal(fx_client(s, 129, 1)->bytes, 8192);
	assert_int_equal(fx_proc(s, 100)->gpu_total_bytes, (3u << 20) + 8192);
	assert_int_equal(fx_proc(s, 100)->gpu_pss_bytes, (3u << 20) + 8192);
	assert_int_equal(fx_proc(s, 100)->nr_clients, 2);
	gpumem_snapshot_free(s);
}

/* The regions and engines of client (minor, id), by name, in order. */
static void assert_named(const struct gpumem_snapshot *s, int minor,
			 uint64_t id, const char *regions, const char *engines)
{
	const struct gpumem_client *c = fx_client(s, minor, id);
	const struct gpumem_region *r;
	const struct gpumem_engine *e;
	char got[128] = "";
	size_t i, nr;

	r = gpumem_client_regions(s, c, &nr);
	assert_int_equal(nr, c->nr_regions);
	for (i = 0; i < nr; i++) {
		assert_int_equal(r[i].struct_size, sizeof(r[i]));
		strcat(strcat(got, i ? " " : ""), r[i].name);
	}
	assert_string_equal(got, regions);
	got[0] = '\0';
	e = gpumem_client_engines(s, c, &nr);
	assert_int_equal(nr, c->nr_engines);
	for (i = 0; i < nr; i++) {
		assert_int_equal(e[i].struct_size, sizeof(e[i]));
		strcat(strcat(got, i ? " " : ""), e[i].name);
	}
	assert_string_equal(got, engines);
}

/*
 * Each client has its own regions and engines, only those its fdinfo
 * names; a second fd of a client adds none.
 */
static void test_client_regions_engines(void **state)
{
	struct fx *f = *state;
	struct gpumem_client other = { 0 };
	struct gpumem_snapshot *s;
	char info[1024];
	size_t nr;

	fx_card(f, 0, 128, AMD_DEV, AMD_UEVENT);
	add_i915(f);
	fx_process(f, 100, "app");
	fx_fd(f, 100, 5, "/dev/dri/renderD128", FD_HEAD
	      "drm-driver:\tamdgpu\ndrm-client-id:\t1\n"
	      "drm-memory-vram:\t1024 KiB\ndrm-memory-gtt: \t2048 KiB\n"
	      "drm-memory-cpu: \t0 KiB\n");
	i915_fdinfo(info, sizeof(info), 2, "8 KiB");
	fx_fd(f, 100, 6, "/dev/dri/renderD129", info);
	fx_process(f, 200, "other");
	fx_fd(f, 200, 7, "/dev/dri/renderD129", info);
	fx_fd(f, 200, 8, "/dev/dri/renderD129", FD_HEAD
	      "drm-driver:\ti915\ndrm-client-id:\t3\n"
	      "drm-engine-render:\t5 ns\ndrm-engine-copy:\t6 ns\n");
	s = fx_snapshot(f, 0, 0);
	gpumem_clients(s, &nr);
	assert_int_equal(nr, 3);
	assert_named(s, 128, 1, "vram gtt cpu", "");
	assert_named(s, 129, 2, "system0 local0", "render");
	assert_named(s, 129, 3, "", "render copy");
	/* Not one of the snapshot's clients: none. */
	assert_null(gpumem_client_regions(s, &other, &nr));
	assert_int_equal(nr, 0);
	assert_null(gpumem_client_engines(s, &other, &nr));
	assert_int_equal(nr, 0);
	gpumem_snapshot_free(s);
}

/*
 * Ids above 2^52 (hostile text; no counter gets there) cannot be packed
 * with the device: still one client per (device, id), across processes.
 */
static void test_huge_client_ids(void **state)
{
	static const char *const ids[] = {
		"18446744073709551615", "4503599627370496", "4503599627370497",
	};
	struct fx *f = *state;
	struct gpumem_snapshot *s;
	char info[1024];
	size_t i, nr;

	fx_card(f, 0, 128, AMD_DEV, AMD_UEVENT);
	add_i915(f);
	fx_process(f, 100, "app");
	fx_process(f, 200, "other");
	for (i = 0; i < 3; i++) {
		snprintf(info, sizeof(info), FD_HEAD "drm-driver:\ti915\n"
			 "drm-client-id:\t%s\ndrm-total-system0:\t4096\n",
			 ids[i]);
		fx_fd(f, 100, 5 + (int)i, "/dev/dri/renderD129", info);
		fx_fd(f, 200, 5 + (int)i, "/dev/dri/renderD129", info);
		fx_fd(f, 100, 9 + (int)i, "/dev/dri/renderD128", info);
	}
	s = fx_snapshot(f, 0, 0);
	gpumem_clients(s, &nr);
	assert_int_equal(nr, 6);
	assert_int_equal(fx_proc(s, 100)->nr_clients, 6);
	assert_int_equal(fx_proc(s, 200)->nr_clients, 3);
	assert_int_equal(fx_proc(s, 200)->gpu_pss_bytes, 3 * 2048);
	gpumem_snapshot_free(s);
}

/* virtio-gpu prints no drm- keys: memory unknown, never 0. */
static void test_virtio_unknown_memory(void **state)
{
	struct fx *f = *state;
	const struct gpumem_client *c;
	const struct gpumem_device *d;
	const struct gpumem_process *p;
	struct gpumem_snapshot *s;
	size_t nr;

	fx_card(f, 0, 128, VIRTIO_DEV, VIRTIO_UEVENT);
	fx_process(f, 100, "weston");
	fx_fd(f, 100, 5, "/dev/dri/card0", FD_HEAD);
	s = fx_snapshot(f, 0, 0);
	c = gpumem_clients(s, &nr);
	assert_int_equal(nr, 1);
	assert_false(c->mem_known);
	assert_false(c->has_client_id);
	assert_int_equal(c->bytes, 0);
	assert_string_equal(c->driver, "virtio_gpu");
	assert_int_equal(c->device, 0);
	p = fx_proc(s, 100);
	assert_int_equal(p->nr_clients, 1);
	assert_int_equal(p->nr_unknown_clients, 1);
	assert_int_equal(p->gpu_total_bytes, 0);
	d = fx_device(s, 0);
	assert_string_equal(d->driver, "virtio_gpu");
	assert_string_equal(d->pdev, "");
	assert_int_equal(d->nr_clients, 1);
	assert_int_equal(d->nr_unknown_clients, 1);
	/* not "0 bytes": unknown */
	assert_int_equal(d->origin, GPUMEM_ORIGIN_NONE);
	/* no client id and no kcmp off the live system */
	assert_int_equal(gpumem_scan_stats(s)->unresolved_fds, 1);
	gpumem_snapshot_free(s);
}

/*
 * With kernel/patches 0006 the card has gpu_mem/total (each GEM object
 * once): it is the device total, even when clients import one buffer into
 * several files and their fdinfo totals add up to more.  The device name
 * comes from drm-driver, not from the parent bus device's driver.
 */
static void test_gem_total_from_sysfs(void **state)
{
	struct fx *f = *state;
	const struct gpumem_device *d;
	struct gpumem_snapshot *s;

	fx_card(f, 0, 128, "pci0000:00/0000:00:03.0",
		"DRIVER=virtio-pci\nPCI_SLOT_NAME=0000:00:03.0\n");
	fx_write(f, "sys/class/drm/card0/gpu_mem/total", "1064960\n");
	fx_process(f, 100, "workload");
	fx_fd(f, 100, 5, "/dev/dri/card0", FD_HEAD "drm-driver:\tvirtio_gpu\n"
	      "drm-client-id:\t3\ndrm-total-memory:\t1040 KiB\n"
	      "drm-shared-memory:\t1040 KiB\n");
	fx_fd(f, 100, 6, "/dev/dri/renderD128", FD_HEAD
	      "drm-driver:\tvirtio_gpu\ndrm-client-id:\t4\n"
	      "drm-total-memory:\t1040 KiB\ndrm-shared-memory:\t1040 KiB\n");
	s = fx_snapshot(f, 0, 0);
	d = fx_device(s, 0);
	assert_int_equal(d->origin, GPUMEM_ORIGIN_SYSFS);
	assert_int_equal(d->total_bytes, 1064960);
	assert_int_equal(d->clients_bytes, 2 * 1064960);
	assert_int_equal(d->clients_shared_bytes, 2 * 1064960);
	assert_string_equal(d->driver, "virtio_gpu");
	gpumem_snapshot_free(s);
}

#define SYSTEM_BUF(ino, size, exp) FD_HEAD_DMABUF(ino) "size:\t" size \
	"\ncount:\t1\nexp_name:\t" exp "\n"
#define FD_HEAD_DMABUF(ino) "pos:\t0\nflags:\t02000002\nmnt_id:\t16\nino:\t" \
	ino "\n"

/* Held by fd in one process, mapped in two others after close: once. */
static void test_dmabuf_fd_and_maps(void **state)
{
	static const uint64_t want[] = { 2731, 2731, 2730 };
	struct fx *f = *state;
	const struct gpumem_dmabuf_totals *t;
	const struct gpumem_dmabuf *b;
	struct gpumem_snapshot *s;
	uint64_t pss[3];
	size_t nr;

	fx_process(f, 100, "producer");
	fx_fd(f, 100, 7, "/dmabuf:", SYSTEM_BUF("55", "8192", "system"));
	fx_process(f, 200, "consumer");
	fx_maps(f, 200, "7f1c2a000000-7f1c2a002000 rw-s 00000000 00:08 55"
		"                         /dmabuf:\n");
	fx_process(f, 300, "consumer2");
	fx_maps(f, 300, "55d4c0a00000-55d4c0a21000 r--p 00000000 fd:01 1835123"
		"                    /usr/bin/c2\n"
		"7f1c2a000000-7f1c2a001000 r--s 00000000 00:08 55"
		"                         /dmabuf:\n");
	s = fx_snapshot(f, 0, 0);
	gpumem_dmabufs(s, &nr);
	assert_int_equal(nr, 1);
	b = fx_buf(s, 55);
	assert_int_equal(b->size, 8192);
	assert_int_equal(b->nr_holders, 3);
	assert_true(b->fd_held);
	assert_true(b->mapped);
	assert_false(b->size_from_vma);
	assert_false(b->gpu_overlap);
	assert_string_equal(b->exporter, "system");
	pss[0] = fx_proc(s, 100)->dmabuf_pss_bytes;
	pss[1] = fx_proc(s, 200)->dmabuf_pss_bytes;
	pss[2] = fx_proc(s, 300)->dmabuf_pss_bytes;
	assert_sorted_shares(pss, 3, want);
	assert_int_equal(fx_proc(s, 100)->dmabuf_rss_bytes, 8192);
	assert_int_equal(fx_proc(s, 300)->dmabuf_rss_bytes, 8192);
	assert_int_equal(fx_proc(s, 300)->nr_dmabufs, 1);
	t = gpumem_dmabuf_totals(s);
	assert_int_equal(t->total_bytes, 8192);
	assert_int_equal(t->userspace_bytes, 8192);
	assert_int_equal(t->kernel_bytes, 0);
	assert_int_equal(t->nr_buffers, 1);
	assert_false(t->sysfs);
	gpumem_snapshot_free(s);
}

/* An fd, a dup, and two mappings in one process: one holder. */
static void test_dmabuf_fd_and_map_same_process(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	struct gpumem_snapshot *s;

	fx_process(f, 100, "app");
	fx_fd(f, 100, 7, "/dmabuf:cam", SYSTEM_BUF("9", "12289", "system")
	      "name:\tcam\n");
	fx_fd(f, 100, 8, "anon_inode:dmabuf", SYSTEM_BUF("9", "12289", "system")
	      "name:\tcam\n");
	fx_maps(f, 100, "7f0000000000-7f0000004000 rw-s 00000000 00:08 9 "
		"/dmabuf:cam\n"
		"7f0000004000-7f0000005000 rw-s 00000000 00:08 9 "
		"/dmabuf:cam\n");
	s = fx_snapshot(f, 0, 0);
	assert_int_equal(fx_buf(s, 9)->nr_holders, 1);
	assert_int_equal(fx_buf(s, 9)->size, 12289);
	assert_string_equal(fx_buf(s, 9)->name, "cam");
	p = fx_proc(s, 100);
	assert_int_equal(p->nr_dmabufs, 1);
	assert_int_equal(p->dmabuf_rss_bytes, 12289);
	assert_int_equal(p->dmabuf_pss_bytes, 12289);
	assert_int_equal(gpumem_dmabuf_totals(s)->total_bytes, 12289);
	gpumem_snapshot_free(s);
}

/* Only mapped: the size from sysfs when listed, else the largest VMA. */
static void test_dmabuf_only_mapped(void **state)
{
	struct fx *f = *state;
	const struct gpumem_dmabuf *b;
	struct gpumem_snapshot *s;

	fx_process(f, 100, "app");
	fx_maps(f, 100,
		"7f0000000000-7f0000003000 rw-s 00000000 00:08 66 /dmabuf:\n"
		"7f0000010000-7f0000011000 rw-s 00000000 00:08 77 /dmabuf:v\n"
		"7f0000020000-7f0000023000 rw-s 00001000 00:08 77 /dmabuf:v\n"
		"7f0000030000-7f0000032000 rw-s 00000000 00:08 77 /dmabuf:v\n");
	fx_sysfs_buf(f, 66, "16384\n", "system");
	s = fx_snapshot(f, 0, 0);
	b = fx_buf(s, 66);
	assert_int_equal(b->size, 16384);
	assert_false(b->size_from_vma);
	assert_true(b->mapped);
	assert_false(b->fd_held);
	assert_string_equal(b->exporter, "system");
	b = fx_buf(s, 77);
	assert_int_equal(b->size, 0x3000);
	assert_true(b->size_from_vma);
	assert_string_equal(b->name, "v");
	assert_string_equal(b->exporter, "");
	assert_int_equal(fx_proc(s, 100)->dmabuf_rss_bytes, 16384 + 0x3000);
	assert_int_equal(fx_proc(s, 100)->dmabuf_pss_bytes, 16384 + 0x3000);
	assert_int_equal(gpumem_dmabuf_totals(s)->total_bytes, 16384 + 0x3000);
	assert_true(gpumem_dmabuf_totals(s)->sysfs);
	gpumem_snapshot_free(s);
}

/* Buffers in sysfs that no process holds are the kernel's. */
static void test_dmabuf_kernel_only(void **state)
{
	struct fx *f = *state;
	const struct gpumem_dmabuf_totals *t;
	struct gpumem_snapshot *s;

	fx_process(f, 100, "app");
	fx_fd(f, 100, 3, "/dmabuf:", SYSTEM_BUF("10", "4096", "system"));
	fx_sysfs_buf(f, 10, "4096\n", "system");
	fx_sysfs_buf(f, 88, "65536\n", "system");
	fx_sysfs_buf(f, 89, "8192\n", "drm");
	s = fx_snapshot(f, 0, 0);
	t = gpumem_dmabuf_totals(s);
	assert_true(t->sysfs);
	assert_int_equal(t->nr_buffers, 3);
	assert_int_equal(t->total_bytes, 4096 + 65536 + 8192);
	assert_int_equal(t->userspace_bytes, 4096);
	assert_int_equal(t->kernel_bytes, 65536 + 8192);
	assert_int_equal(t->gpu_overlap_bytes, 8192);
	assert_int_equal(fx_buf(s, 88)->nr_holders, 0);
	assert_int_equal(fx_buf(s, 10)->nr_holders, 1);
	assert_int_equal(gpumem_scan_stats(s)->malformed_lines, 0);
	gpumem_snapshot_free(s);
}

/* Exported by a GPU driver: also counted in some DRM client's figure. */
static void test_dmabuf_gpu_overlap(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	fx_card(f, 3, -1, "platform/foo.gpu", "DRIVER=foo_gpu\nOF_NAME=gpu\n");
	fx_process(f, 100, "app");
	fx_fd(f, 100, 3, "/dmabuf:", SYSTEM_BUF("20", "4096", "drm"));
	fx_fd(f, 100, 4, "/dmabuf:", SYSTEM_BUF("21", "8192", "amdgpu"));
	fx_fd(f, 100, 5, "/dmabuf:", SYSTEM_BUF("22", "16384", "system"));
	fx_fd(f, 100, 6, "/dmabuf:", SYSTEM_BUF("23", "32768", "foo_gpu"));
	fx_fd(f, 100, 7, "/dmabuf:", SYSTEM_BUF("24", "65536", "udmabuf"));
	fx_fd(f, 100, 8, "/dmabuf:", SYSTEM_BUF("25", "131072", "i915"));
	s = fx_snapshot(f, 0, 0);
	assert_true(fx_buf(s, 20)->gpu_overlap);
	assert_true(fx_buf(s, 21)->gpu_overlap);
	assert_false(fx_buf(s, 22)->gpu_overlap);
	assert_true(fx_buf(s, 23)->gpu_overlap);
	assert_false(fx_buf(s, 24)->gpu_overlap);
	assert_true(fx_buf(s, 25)->gpu_overlap);
	assert_int_equal(gpumem_dmabuf_totals(s)->gpu_overlap_bytes,
			 4096 + 8192 + 32768 + 131072);
	assert_int_equal(gpumem_dmabuf_totals(s)->total_bytes, 262144 - 4096);
	assert_int_equal(fx_proc(s, 100)->nr_dmabufs, 6);
	gpumem_snapshot_free(s);
}

/* amdgpu's own counters: origin sysfs; i915: derived from clients. */
static void test_device_totals_origin(void **state)
{
	struct fx *f = *state;
	const struct gpumem_device *d;
	struct gpumem_snapshot *s;
	char info[1024];

	fx_card(f, 0, 128, AMD_DEV, AMD_UEVENT);
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_vram_used", "1048576\n");
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_vram_total",
		 "17163091968\n");
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_gtt_used", "2101248\n");
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_gtt_total",
		 "33554432000\n");
	add_i915(f);
	fx_process(f, 100, "app");
	fx_fd(f, 100, 5, "/dev/dri/renderD128", FD_HEAD
	      "drm-driver:\tamdgpu\ndrm-client-id:\t4\n"
	      "drm-memory-vram:\t512 KiB\ndrm-memory-gtt: \t4 KiB\n");
	i915_fdinfo(info, sizeof(info), 4, "12 KiB");
	fx_fd(f, 100, 6, "/dev/dri/card1", info);
	i915_fdinfo(info, sizeof(info), 5, "5");
	fx_fd(f, 100, 7, "/dev/dri/card1", info);
	s = fx_snapshot(f, 0, 0);
	d = fx_device(s, 0);
	assert_int_equal(d->origin, GPUMEM_ORIGIN_SYSFS);
	assert_int_equal(d->total_bytes, 1048576 + 2101248);
	assert_int_equal(d->vram_used, 1048576);
	assert_int_equal(d->vram_total, 17163091968ull);
	assert_int_equal(d->gtt_used, 2101248);
	assert_int_equal(d->gtt_total, 33554432000ull);
	assert_int_equal(d->clients_bytes, 512 * 1024 + 4096);
	assert_int_equal(d->render_minor, 128);
	assert_int_equal(d->vendor_id, 0x1002);
	assert_int_equal(d->device_id, 0x744c);
	assert_string_equal(d->pdev, "0000:03:00.0");
	d = fx_device(s, 1);
	assert_int_equal(d->origin, GPUMEM_ORIGIN_DERIVED);
	assert_int_equal(d->total_bytes, 12 * 1024 + 5);
	assert_int_equal(d->nr_clients, 2);
	assert_int_equal(d->vram_total, 0);
	gpumem_snapshot_free(s);
}

/* -p PID keeps the shares computed over the whole system. */
static void test_pid_filter_keeps_shares(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	struct gpumem_snapshot *s;
	char info[1024];
	size_t nr;

	add_i915(f);
	i915_fdinfo(info, sizeof(info), 7, "4 KiB");
	fx_process(f, 100, "a");
	fx_fd(f, 100, 5, "/dev/dri/renderD129", info);
	fx_process(f, 200, "b");
	fx_fd(f, 200, 5, "/dev/dri/renderD129", info);
	fx_fd(f, 200, 6, "/dmabuf:", SYSTEM_BUF("31", "4096", "system"));
	fx_process(f, 300, "c");
	fx_fd(f, 300, 9, "/dev/dri/renderD129", info);
	fx_maps(f, 300, "7f0000000000-7f0000001000 rw-s 00000000 00:08 31 "
		"/dmabuf:\n");
	fx_process(f, 400, "idle");
	s = fx_snapshot(f, 200, 0);
	p = gpumem_processes(s, &nr);
	assert_int_equal(nr, 1);
	assert_int_equal(p->pid, 200);
	assert_string_equal(p->comm, "b");
	assert_int_equal(p->gpu_total_bytes, 4096);
	/* 4096 / 3: one of 1366, 1365, 1365 */
	assert_true(p->gpu_pss_bytes == 1366 || p->gpu_pss_bytes == 1365);
	assert_int_equal(p->dmabuf_rss_bytes, 4096);
	assert_int_equal(p->dmabuf_pss_bytes, 2048);
	assert_int_equal(fx_client(s, 129, 7)->nr_holders, 3);
	assert_int_equal(fx_buf(s, 31)->nr_holders, 2);
	gpumem_snapshot_free(s);

	/* a process that holds nothing: itself, with zeros */
	s = fx_snapshot(f, 400, 0);
	p = gpumem_processes(s, &nr);
	assert_int_equal(nr, 1);
	assert_int_equal(p->pid, 400);
	assert_string_equal(p->comm, "idle");
	assert_int_equal(p->gpu_total_bytes, 0);
	assert_int_equal(p->gpu_pss_bytes, 0);
	assert_int_equal(p->dmabuf_rss_bytes, 0);
	assert_int_equal(p->nr_clients, 0);
	gpumem_snapshot_free(s);

	/* no such process */
	assert_null(fx_snapshot(f, 999, -ESRCH));
}

/* The exact PSS split over many holders: sum == size for odd sizes. */
static void test_pss_sum_exact(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	struct gpumem_snapshot *s;
	uint64_t gpu = 0, buf = 0;
	char info[1024];
	size_t i, nr;

	add_i915(f);
	i915_fdinfo(info, sizeof(info), 8, "1000003");
	for (i = 0; i < 7; i++) {
		fx_process(f, 1000 + (pid_t)i, "w");
		fx_fd(f, 1000 + (pid_t)i, 4, "/dev/dri/renderD129", info);
		fx_fd(f, 1000 + (pid_t)i, 5, "/dmabuf:",
		      SYSTEM_BUF("42", "65543", "system"));
	}
	s = fx_snapshot(f, 0, 0);
	p = gpumem_processes(s, &nr);
	assert_int_equal(nr, 7);
	for (i = 0; i < nr; i++) {
		/* 1000003 = 7 * 142857 + 4; 65543 = 7 * 9363 + 2 */
		assert_true(p[i].gpu_pss_bytes == 142857 ||
			    p[i].gpu_pss_bytes == 142858);
		assert_true(p[i].dmabuf_pss_bytes == 9363 ||
			    p[i].dmabuf_pss_bytes == 9364);
		gpu += p[i].gpu_pss_bytes;
		buf += p[i].dmabuf_pss_bytes;
	}
	assert_int_equal(gpu, 1000003);
	assert_int_equal(buf, 65543);
	/* sorted largest first */
	for (i = 1; i < nr; i++)
		assert_true(p[i - 1].gpu_pss_bytes + p[i - 1].dmabuf_pss_bytes >=
			    p[i].gpu_pss_bytes + p[i].dmabuf_pss_bytes);
	gpumem_snapshot_free(s);
}

/* Other fds are not read; a non-DRM /dev node is not a DRM client. */
static void test_other_fds_ignored(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;
	size_t nr;

	add_i915(f);
	fx_process(f, 100, "app");
	fx_fd(f, 100, 0, "/dev/pts/0", "pos:\t0\n");
	fx_fd(f, 100, 1, "anon_inode:[eventfd]", "eventfd-count: 0\n");
	fx_fd(f, 100, 2, "socket:[12345]", "pos:\t0\n");
	fx_fd(f, 100, 3, "/dev/dri/by-path", "drm-total-x:\t1\n");
	fx_fd(f, 100, 4, "/home/u/dmabuf:x", "size:\t1\nino:\t1\nexp_name:\tx\n");
	s = fx_snapshot(f, 0, 0);
	gpumem_clients(s, &nr);
	assert_int_equal(nr, 0);
	gpumem_dmabufs(s, &nr);
	assert_int_equal(nr, 0);
	gpumem_processes(s, &nr);
	assert_int_equal(nr, 0);
	assert_int_equal(gpumem_scan_stats(s)->processes, 1);
	gpumem_snapshot_free(s);
}

/* One malformed line of each kind of kernel text: counted once each. */
static void test_malformed_counted(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;
	char info[1024];

	fx_card(f, 0, 128, AMD_DEV, "DRIVER=amdgpu\nPCI_ID=zz\n");
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_vram_used", "12 MB\n");
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_vram_total", "4096\n");
	add_i915(f);
	i915_fdinfo(info, sizeof(info), 7, "4 KiB");
	strcat(info, "drm-total-stolen-local0:\t12 bogus\n");
	fx_process(f, 100, "app");
	fx_fd(f, 100, 5, "/dev/dri/renderD129", info);
	fx_maps(f, 100, "7f00000000-7f00001000 rw-s 00000000 00:08 x /dmabuf:\n"
		"7f00001000-7f00002000 rw-s 00000000 00:08 12 /dmabuf:\n");
	fx_sysfs_buf(f, 12, "4096\n", "system");
	fx_sysfs_buf(f, 13, "lots\n", "system");
	s = fx_snapshot(f, 0, 0);
	/* PCI_ID, mem_info_vram_used, drm fdinfo, maps, sysfs size */
	assert_int_equal(gpumem_scan_stats(s)->malformed_lines, 5);
	assert_int_equal(fx_client(s, 129, 7)->bytes, 4096);
	assert_int_equal(fx_buf(s, 12)->size, 4096);
	assert_int_equal(gpumem_dmabuf_totals(s)->nr_buffers, 1);
	assert_int_equal(fx_device(s, 0)->vram_total, 4096);
	assert_int_equal(fx_device(s, 0)->vram_used, 0);
	gpumem_snapshot_free(s);
}

/*
 * A dma-buf fdinfo with one malformed line (size) is one malformed line,
 * not one for the line and one more for the fdinfo (fixed in ea7a86f).
 */
static void test_malformed_dmabuf_fdinfo_once(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	fx_process(f, 100, "app");
	fx_fd(f, 100, 3, "/dmabuf:", SYSTEM_BUF("5", "4k", "system"));
	s = fx_snapshot(f, 0, 0);
	assert_int_equal(gpumem_scan_stats(s)->malformed_lines, 1);
	gpumem_snapshot_free(s);
}

struct denied_result {
	int err;
	struct gpumem_scan_stats st;
	size_t nr_procs;
	uint64_t bytes;
};

static void take_denied(struct fx *f, struct denied_result *r)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT, .root = f->root };
	struct gpumem_snapshot *s = NULL;

	memset(r, 0, sizeof(*r));
	r->err = gpumem_snapshot_take(&opts, &s);
	if (r->err)
		return;
	r->st = *gpumem_scan_stats(s);
	gpumem_processes(s, &r->nr_procs);
	r->bytes = fx_device(s, 1)->clients_bytes;
	gpumem_snapshot_free(s);
}

/*
 * EACCES on a process's fd/ or on an fdinfo file: counted unreadable, the
 * rest still read.  Root ignores modes, so as root the snapshot is taken
 * in a child that has switched to uid/gid 65534.
 */
static void test_unreadable_process(void **state)
{
	struct fx *f = *state;
	struct denied_result r;
	char info[1024];

	add_i915(f);
	i915_fdinfo(info, sizeof(info), 7, "4 KiB");
	fx_process(f, 100, "ok");
	fx_fd(f, 100, 5, "/dev/dri/renderD129", info);
	fx_process(f, 200, "secret");
	fx_fd(f, 200, 5, "/dev/dri/renderD129", info);
	fx_chmod(f, "proc/200/fd", 0);
	fx_process(f, 300, "secret2");
	i915_fdinfo(info, sizeof(info), 8, "8 KiB");
	fx_fd(f, 300, 5, "/dev/dri/renderD129", info);
	fx_chmod(f, "proc/300/fdinfo/5", 0);

	if (geteuid() == 0) {
		int fds[2], status;
		pid_t child;

		assert_int_equal(pipe(fds), 0);
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			close(fds[0]);
			if (setgroups(0, NULL) || setgid(65534) ||
			    setuid(65534))
				_exit(2);
			take_denied(f, &r);
			_exit(write(fds[1], &r, sizeof(r)) == sizeof(r) ? 0 : 3);
		}
		close(fds[1]);
		assert_int_equal(read(fds[0], &r, sizeof(r)), sizeof(r));
		close(fds[0]);
		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	} else {
		take_denied(f, &r);
	}
	assert_int_equal(r.err, 0);
	assert_int_equal(r.st.unreadable_processes, 2);
	assert_int_equal(r.st.processes, 1);
	assert_int_equal(r.nr_procs, 1);
	assert_int_equal(r.bytes, 4096);
}

static void test_no_proc(void **state)
{
	struct fx *f = *state;
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT, .root = f->root };
	struct gpumem_snapshot *s = NULL;
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/proc", f->root);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(gpumem_snapshot_take(&opts, &s), -ENOENT);
	assert_null(s);
}

/*
 * An empty system: no devices, nothing held; no sysfs dma-buf stats.
 * BUG(lib/model/snapshot.c finish): qsort(s->procs = NULL, 0, ...) is undefined
 * behaviour; UBSan (-fsanitize=undefined) aborts at the first snapshot
 * without a process (test_other_fds_ignored), so under the sanitizer run
 * the tests from there on do not run until that is fixed.
 */
static void test_empty_tree(void **state)
{
	struct fx *f = *state;
	const struct gpumem_dmabuf_totals *t;
	struct gpumem_snapshot *s;
	size_t nr;

	s = fx_snapshot(f, 0, 0);
	gpumem_devices(s, &nr);
	assert_int_equal(nr, 0);
	gpumem_processes(s, &nr);
	assert_int_equal(nr, 0);
	t = gpumem_dmabuf_totals(s);
	assert_false(t->sysfs);
	assert_int_equal(t->total_bytes, 0);
	assert_int_equal(t->kernel_bytes, 0);
	gpumem_snapshot_free(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_client_shared_by_processes),
		T(test_client_via_card_and_render),
		T(test_dup_fds_one_process),
		T(test_same_id_two_devices),
		T(test_client_regions_engines),
		T(test_huge_client_ids),
		T(test_virtio_unknown_memory),
		T(test_dmabuf_fd_and_maps),
		T(test_dmabuf_fd_and_map_same_process),
		T(test_dmabuf_only_mapped),
		T(test_dmabuf_kernel_only),
		T(test_dmabuf_gpu_overlap),
		T(test_device_totals_origin),
		T(test_gem_total_from_sysfs),
		T(test_pid_filter_keeps_shares),
		T(test_pss_sum_exact),
		T(test_other_fds_ignored),
		T(test_malformed_counted),
		T(test_malformed_dmabuf_fdinfo_once),
		T(test_unreadable_process),
		T(test_no_proc),
		T(test_empty_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
