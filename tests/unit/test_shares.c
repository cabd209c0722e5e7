// SPDX-License-Identifier: MIT
/*
 * GPU shares (docs/model.md): one buffer imported into several DRM files of
 * one process, and shared with another process too, never puts a process
 * above its device, and the PSS-like figures add up to the device total.
 * Without an exact device total they are bounds and say so.  Then the same
 * rules on random holder graphs (tests/unit/shares_graph.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "shares_graph.h"

#define MIB (1024 * 1024)
#define FD_HEAD "pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1071\n"
#define AMD_DEV "pci0000:00/0000:00:01.0/0000:03:00.0"
#define AMD_UEVENT "DRIVER=amdgpu\nPCI_CLASS=30000\nPCI_ID=1002:744C\n" \
	"PCI_SLOT_NAME=0000:03:00.0\n"
#define I915_DEV "pci0000:00/0000:00:02.0"
#define I915_UEVENT "DRIVER=i915\nPCI_CLASS=30000\nPCI_ID=8086:56A0\n" \
	"PCI_SLOT_NAME=0000:00:02.0\n"

/* card0: an amdgpu whose driver counters say vram_used bytes in all. */
static void amdgpu(struct fx *f, uint64_t vram_used)
{
	fx_card(f, 0, 128, AMD_DEV, AMD_UEVENT);
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_vram_used", "%llu\n",
		 (unsigned long long)vram_used);
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_vram_total",
		 "17163091968\n");
	fx_write(f, "sys/devices/" AMD_DEV "/mem_info_gtt_used", "0\n");
}

static void client(struct fx *f, pid_t pid, int fd, const char *node,
		   const char *driver, unsigned int id, unsigned int total_kib,
		   unsigned int shared_kib)
{
	char info[512];

	snprintf(info, sizeof(info), FD_HEAD "drm-driver:\t%s\n"
		 "drm-client-id:\t%u\ndrm-total-vram:\t%u KiB\n"
		 "drm-shared-vram:\t%u KiB\n", driver, id, total_kib,
		 shared_kib);
	fx_fd(f, pid, fd, node, info);
}

/* The demo's "import in render fd": one 1 MiB buffer in three files. */
static void one_buffer_three_files(struct fx *f, const char *node,
				   const char *driver)
{
	fx_process(f, 70, "prime");
	client(f, 70, 3, node, driver, 1, 1024, 1024);
	client(f, 70, 4, node, driver, 2, 1024, 1024);
	client(f, 70, 5, node, driver, 3, 1024, 1024);
}

static const struct gpumem_process_device *
only_device(const struct gpumem_snapshot *s, const struct gpumem_process *p)
{
	const struct gpumem_process_device *pd;
	size_t nr;

	pd = gpumem_process_devices(s, p, &nr);
	assert_int_equal(nr, 1);
	return pd;
}

static void test_one_process_three_files(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	const struct gpumem_device *d;
	struct gpumem_snapshot *s;

	amdgpu(f, MIB);
	one_buffer_three_files(f, "/dev/dri/renderD128", "amdgpu");
	s = fx_snapshot(f, 0, 0);
	d = fx_device(s, 0);
	assert_int_equal(d->total_bytes, MIB);
	assert_true(d->shares_exact);
	assert_int_equal(d->shared_pool_bytes, MIB);
	assert_int_equal(d->unattributed_bytes, 0);
	p = fx_proc(s, 70);
	assert_int_equal(p->gpu_total_bytes, MIB);
	assert_int_equal(p->gpu_pss_bytes, MIB);
	assert_true(p->gpu_pss_exact);
	assert_true(p->gpu_rss_exact);
	assert_int_equal(only_device(s, p)->by_kind[GPUMEM_KIND_VRAM], MIB);
	gpumem_snapshot_free(s);
}

/* And shared with a second process that has 2 MiB of its own. */
static void test_shared_with_another_process(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p, *q;
	struct gpumem_snapshot *s;

	amdgpu(f, 3 * MIB);
	one_buffer_three_files(f, "/dev/dri/renderD128", "amdgpu");
	fx_process(f, 80, "compositor");
	client(f, 80, 3, "/dev/dri/card0", "amdgpu", 4, 3072, 1024);
	s = fx_snapshot(f, 0, 0);
	assert_int_equal(fx_device(s, 0)->shared_pool_bytes, MIB);
	p = fx_proc(s, 70);
	q = fx_proc(s, 80);
	/* the 1 MiB pool split by reported shared bytes: 3/4 and 1/4 */
	assert_int_equal(p->gpu_pss_bytes, 3 * MIB / 4);
	assert_int_equal(q->gpu_pss_bytes, 2 * MIB + MIB / 4);
	assert_int_equal(p->gpu_pss_bytes + q->gpu_pss_bytes, 3 * MIB);
	assert_int_equal(p->gpu_total_bytes, MIB);
	assert_int_equal(q->gpu_total_bytes, 3 * MIB);
	assert_true(p->gpu_pss_exact && q->gpu_pss_exact);
	assert_true(p->gpu_rss_exact && q->gpu_rss_exact);
	gpumem_snapshot_free(s);
}

/*
 * More in the device than the files' private bytes and one copy of the
 * buffer: the rest is 3 distinct shared buffers, or one and 2 MiB of the
 * kernel's.  fdinfo cannot tell, so the figures are bounds, never above T.
 */
static void test_pool_not_known(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	const struct gpumem_device *d;
	struct gpumem_snapshot *s;

	amdgpu(f, 8 * MIB);
	one_buffer_three_files(f, "/dev/dri/renderD128", "amdgpu");
	s = fx_snapshot(f, 0, 0);
	d = fx_device(s, 0);
	assert_false(d->shares_exact);
	p = fx_proc(s, 70);
	assert_false(p->gpu_pss_exact);
	assert_int_equal(p->gpu_pss_bytes, 3 * MIB);
	assert_true(p->gpu_pss_bytes <= d->total_bytes);
	gpumem_snapshot_free(s);
}

/*
 * Two processes with 20 MiB of their own and one 20 MiB buffer between
 * them, on a device that holds 40 MiB more of its own: the pool is 20 MiB
 * (one buffer) or 40 (two, or one and 20 MiB of the kernel's).  Bounds.
 */
static void test_kernel_bytes_are_not_shared_out(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	amdgpu(f, 100 * MIB);
	fx_process(f, 100, "a");
	client(f, 100, 5, "/dev/dri/renderD128", "amdgpu", 30, 40960, 20480);
	fx_process(f, 200, "b");
	client(f, 200, 5, "/dev/dri/renderD128", "amdgpu", 31, 40960, 20480);
	s = fx_snapshot(f, 0, 0);
	assert_false(fx_device(s, 0)->shares_exact);
	assert_false(fx_proc(s, 100)->gpu_pss_exact);
	assert_false(fx_proc(s, 200)->gpu_pss_exact);
	gpumem_snapshot_free(s);
}

/* Without the kernel's 40 MiB the pool is the one buffer: exact. */
static void test_one_buffer_between_two(void **state)
{
	struct fx *f = *state;
	const struct gpumem_device *d;
	struct gpumem_snapshot *s;

	amdgpu(f, 60 * MIB);
	fx_process(f, 100, "a");
	client(f, 100, 5, "/dev/dri/renderD128", "amdgpu", 30, 40960, 20480);
	fx_process(f, 200, "b");
	client(f, 200, 5, "/dev/dri/renderD128", "amdgpu", 31, 40960, 20480);
	s = fx_snapshot(f, 0, 0);
	d = fx_device(s, 0);
	assert_true(d->shares_exact);
	assert_int_equal(d->shared_pool_bytes, 20 * MIB);
	assert_int_equal(d->unattributed_bytes, 0);
	assert_int_equal(fx_proc(s, 100)->gpu_pss_bytes, 30 * MIB);
	assert_int_equal(fx_proc(s, 200)->gpu_pss_bytes, 30 * MIB);
	gpumem_snapshot_free(s);
}

/*
 * amdgpu's counters are VRAM and GTT; 50 MiB in drm-total-cpu are the
 * client's own but not in them: no clipping to the counters, no pool.
 */
static void test_memory_outside_the_counters(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	struct gpumem_snapshot *s;

	amdgpu(f, 10 * MIB);
	fx_process(f, 90, "cpu");
	fx_fd(f, 90, 5, "/dev/dri/renderD128", FD_HEAD "drm-driver:\tamdgpu\n"
	      "drm-client-id:\t3\ndrm-total-vram:\t10240 KiB\n"
	      "drm-shared-vram:\t0 KiB\ndrm-total-cpu:\t51200 KiB\n"
	      "drm-shared-cpu:\t0 KiB\n");
	s = fx_snapshot(f, 0, 0);
	assert_false(fx_device(s, 0)->shares_exact);
	p = fx_proc(s, 90);
	assert_int_equal(p->gpu_total_bytes, 60 * MIB);
	assert_int_equal(p->gpu_pss_bytes, 60 * MIB);
	assert_int_equal(only_device(s, p)->by_kind[GPUMEM_KIND_VRAM], 10 * MIB);
	gpumem_snapshot_free(s);
}

/* No driver counter: the sum over clients counts the buffer 3 times. */
static void test_no_device_total_is_a_bound(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	const struct gpumem_device *d;
	struct gpumem_snapshot *s;

	fx_card(f, 1, 129, I915_DEV, I915_UEVENT);
	one_buffer_three_files(f, "/dev/dri/renderD129", "i915");
	s = fx_snapshot(f, 0, 0);
	d = fx_device(s, 1);
	assert_int_equal(d->origin, GPUMEM_ORIGIN_DERIVED);
	assert_true(d->total_upper_bound);
	assert_false(d->shares_exact);
	p = fx_proc(s, 70);
	assert_false(p->gpu_pss_exact);
	assert_false(p->gpu_rss_exact);
	/* between the largest file's 1 MiB and all three */
	assert_int_equal(p->gpu_total_bytes, 3 * MIB);
	assert_int_equal(p->gpu_pss_bytes, 3 * MIB);
	gpumem_snapshot_free(s);
}

/* Private bytes are exact whatever the device total. */
static void test_private_only_is_exact(void **state)
{
	struct fx *f = *state;
	const struct gpumem_process *p;
	struct gpumem_snapshot *s;

	fx_card(f, 1, 129, I915_DEV, I915_UEVENT);
	fx_process(f, 90, "solo");
	client(f, 90, 3, "/dev/dri/renderD129", "i915", 1, 2048, 0);
	s = fx_snapshot(f, 0, 0);
	assert_false(fx_device(s, 1)->total_upper_bound);
	p = fx_proc(s, 90);
	assert_true(p->gpu_pss_exact && p->gpu_rss_exact);
	assert_int_equal(p->gpu_pss_bytes, 2 * MIB);
	gpumem_snapshot_free(s);
}

/* The rules on random graphs; the fuzz target explores further. */
static void test_random_graphs(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t data[160];
	char why[160];
	int n;
	size_t i;

	(void)state;
	for (n = 0; n < 3000; n++) {
		for (i = 0; i < sizeof(data); i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			data[i] = (uint8_t)seed;
		}
		if (shares_graph_check(data, sizeof(data), why, sizeof(why)))
			fail_msg("graph %d: %s", n, why);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_one_process_three_files),
		T(test_shared_with_another_process),
		T(test_pool_not_known),
		T(test_kernel_bytes_are_not_shared_out),
		T(test_one_buffer_between_two),
		T(test_memory_outside_the_counters),
		T(test_no_device_total_is_a_bound),
		T(test_private_only_is_exact),
		cmocka_unit_test(test_random_graphs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
