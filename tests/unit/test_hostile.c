// SPDX-License-Identifier: MIT
/*
 * Trees written by an attacker: everything in /proc, /sys and a --root
 * tree can be planted.  A dma-buf name must not forge another buffer's
 * keys, a FIFO must not hang the scan, a link must not be followed, one bad
 * file costs only its own process (which is then in no figure), a name is
 * counted once however it is spelt, and sums saturate instead of wrapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

#define DMABUF_FDINFO(ino, size) \
	"pos:\t0\nflags:\t02000002\nmnt_id:\t16\nino:\t" ino "\n" \
	"size:\t" size "\ncount:\t1\nexp_name:\tsystem\n"

#define DRM_FDINFO \
	"pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t1071\n" \
	"drm-driver:\ti915\ndrm-client-id:\t7\ndrm-total-local0:\t4096\n"

#define DMABUF_MAP(ino) \
	"7f0000000000-7f0000001000 rw-s 00000000 00:08 " ino \
	"                   /dmabuf:\n"

/* A hung scan is a failed test, not a hung test run. */
#define SCAN_SECONDS 20

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_init(f);
	*state = f;
	alarm(SCAN_SECONDS);
	return 0;
}

static int teardown(void **state)
{
	alarm(0);
	fx_cleanup(*state);
	free(*state);
	return 0;
}

static bool has_proc(const struct gpumem_snapshot *s, pid_t pid)
{
	const struct gpumem_process *p;
	size_t i, nr;

	p = gpumem_processes(s, &nr);
	for (i = 0; i < nr; i++) {
		if (p[i].pid == pid)
			return true;
	}
	return false;
}

/* Process 200 holds buffer 66 and a DRM client: the bystander. */
static void bystander(struct fx *f)
{
	fx_process(f, 200, "victim");
	fx_fd(f, 200, 3, "/dmabuf:", DMABUF_FDINFO("66", "8192"));
	fx_fd(f, 200, 4, "/dev/dri/renderD128", DRM_FDINFO);
}

/* ... and process 100, holding buffer 55, whose tree is then spoilt. */
static void attacker(struct fx *f)
{
	bystander(f);
	fx_process(f, 100, "attacker");
	fx_fd(f, 100, 3, "/dmabuf:", DMABUF_FDINFO("55", "4096"));
}

/* A snapshot in which process 100 cost only itself. */
static struct gpumem_snapshot *bystander_only(struct fx *f)
{
	struct gpumem_snapshot *s = fx_snapshot(f, 0, 0);
	const struct gpumem_scan_stats *st = gpumem_scan_stats(s);

	assert_false(has_proc(s, 100));
	assert_true(has_proc(s, 200));
	assert_int_equal(fx_buf(s, 66)->nr_holders, 1);
	assert_int_equal(fx_proc(s, 200)->dmabuf_rss_bytes, 8192);
	assert_int_equal(st->unreadable_processes, 1);
	assert_int_equal(st->listed, st->processes + st->unreadable_processes +
			 st->vanished);
	return s;
}

/* DMA_BUF_SET_NAME text after "name:" is the name, never keys. */
static void test_name_cannot_take_over_a_buffer(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	bystander(f);
	fx_process(f, 100, "attacker");
	fx_fd(f, 100, 3, "/dmabuf:", DMABUF_FDINFO("55", "4096")
	      "name:\tx\nino:\t66\nsize:\t4294967296\n");
	s = fx_snapshot(f, 0, 0);
	assert_int_equal(fx_buf(s, 55)->size, 4096);
	assert_int_equal(fx_buf(s, 66)->size, 8192);
	assert_int_equal(fx_buf(s, 66)->nr_holders, 1);
	assert_int_equal(fx_proc(s, 100)->dmabuf_rss_bytes, 4096);
	assert_int_equal(gpumem_dmabuf_totals(s)->total_bytes, 12288);
	assert_memory_equal(fx_buf(s, 55)->name, "x\nino:", 6);
	gpumem_snapshot_free(s);
}

static void test_fifo_as_fdinfo(void **state)
{
	struct fx *f = *state;

	bystander(f);
	fx_process(f, 100, "attacker");
	fx_symlink(f, "proc/100/fd/3", "/dmabuf:");
	fx_fifo(f, "proc/100/fdinfo/3");
	gpumem_snapshot_free(bystander_only(f));
}

static void test_fifo_as_maps(void **state)
{
	struct fx *f = *state;

	attacker(f);
	fx_remove(f, "proc/100/maps");
	fx_fifo(f, "proc/100/maps");
	gpumem_snapshot_free(bystander_only(f));
}

/* comm is only a name, but a FIFO or a link there must not be opened. */
static void test_comm_fifo_or_link(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;
	char path[4200];

	fx_write(f, "secret", "TOPSECRET\n");
	fx_process(f, 100, "x");
	fx_fd(f, 100, 3, "/dmabuf:", DMABUF_FDINFO("55", "4096"));
	fx_remove(f, "proc/100/comm");
	snprintf(path, sizeof(path), "%s/secret", f->root);
	fx_symlink(f, "proc/100/comm", path);
	fx_process(f, 200, "y");
	fx_fd(f, 200, 3, "/dmabuf:", DMABUF_FDINFO("66", "4096"));
	fx_remove(f, "proc/200/comm");
	fx_fifo(f, "proc/200/comm");
	s = fx_snapshot(f, 0, 0);
	assert_string_equal(fx_proc(s, 100)->comm, "");
	assert_string_equal(fx_proc(s, 200)->comm, "");
	gpumem_snapshot_free(s);
}

static void test_fdinfo_is_a_directory(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	attacker(f);
	fx_symlink(f, "proc/100/fd/4", "/dev/dri/renderD128");
	fx_dir(f, "proc/100/fdinfo/4");
	s = bystander_only(f);
	/* the fd read before the bad one is not in the figures either */
	assert_int_equal(gpumem_dmabuf_totals(s)->userspace_bytes, 8192);
	gpumem_snapshot_free(s);
}

/* A maps that cannot be read: the fds read before it are dropped too. */
static void test_maps_is_a_directory(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	attacker(f);
	fx_fd(f, 100, 4, "/dev/dri/renderD128", DRM_FDINFO);
	fx_remove(f, "proc/100/maps");
	fx_dir(f, "proc/100/maps");
	s = bystander_only(f);
	assert_int_equal(gpumem_dmabuf_totals(s)->userspace_bytes, 8192);
	gpumem_snapshot_free(s);
}

static void test_maps_is_a_link(void **state)
{
	struct fx *f = *state;
	char path[4200];

	attacker(f);
	fx_remove(f, "proc/100/maps");
	snprintf(path, sizeof(path), "%s/proc/200/maps", f->root);
	fx_symlink(f, "proc/100/maps", path);
	gpumem_snapshot_free(bystander_only(f));
}

static void test_fd_is_a_file(void **state)
{
	struct fx *f = *state;

	bystander(f);
	fx_write(f, "proc/100/comm", "attacker\n");
	fx_write(f, "proc/100/maps", DMABUF_MAP("66"));
	fx_write(f, "proc/100/fd", "not a directory\n");
	gpumem_snapshot_free(bystander_only(f));
}

/* proc/100 -> 100 loops; proc/300 -> 200 would count 200 twice. */
static void test_pid_symlinks(void **state)
{
	struct fx *f = *state;
	const struct gpumem_scan_stats *st;
	struct gpumem_snapshot *s;

	bystander(f);
	fx_symlink(f, "proc/100", "100");
	fx_symlink(f, "proc/300", "200");
	s = fx_snapshot(f, 0, 0);
	st = gpumem_scan_stats(s);
	assert_true(has_proc(s, 200));
	assert_false(has_proc(s, 300));
	assert_int_equal(fx_buf(s, 66)->nr_holders, 1);
	assert_int_equal(st->unreadable_processes, 2);
	assert_int_equal(st->processes, 1);
	gpumem_snapshot_free(s);
}

/*
 * A link on the way, not only at the end: fdinfo/ of 100 is a link to a
 * directory outside the tree, that of 101 climbs out with "..", and card0's
 * device is outside too.  None of it may be read.
 */
static void test_links_out_of_the_tree(void **state)
{
	struct fx *f = *state;
	char out[4200], path[4300];
	struct gpumem_snapshot *s;
	FILE *planted;
	size_t nr;

	snprintf(out, sizeof(out), "%s.outside", f->root);
	assert_int_equal(mkdir(out, 0755), 0);
	snprintf(path, sizeof(path), "%s/3", out);
	planted = fopen(path, "w");
	assert_non_null(planted);
	fputs(DMABUF_FDINFO("77", "1099511627776"), planted);
	fclose(planted);
	bystander(f);
	fx_process(f, 100, "attacker");
	fx_symlink(f, "proc/100/fd/3", "/dmabuf:");
	fx_remove(f, "proc/100/fdinfo");
	fx_symlink(f, "proc/100/fdinfo", out);
	fx_process(f, 101, "climber");
	fx_symlink(f, "proc/101/fd/3", "/dmabuf:");
	fx_remove(f, "proc/101/fdinfo");
	snprintf(path, sizeof(path), "../../../%s", strrchr(out, '/') + 1);
	fx_symlink(f, "proc/101/fdinfo", path);
	fx_symlink(f, "sys/class/drm/card0/device", out);
	s = fx_snapshot(f, 0, 0);
	assert_false(has_proc(s, 100));
	assert_false(has_proc(s, 101));
	assert_true(has_proc(s, 200));
	assert_int_equal(gpumem_scan_stats(s)->unreadable_processes, 2);
	gpumem_devices(s, &nr);
	assert_int_equal(nr, 0);
	gpumem_snapshot_free(s);
	snprintf(path, sizeof(path), "%s/3", out);
	unlink(path);
	rmdir(out);
}

/*
 * 254 MB of maps is possible (65,000 mappings of a long path): the scan
 * must neither fail nor hold it, and must still see the dma-buf after it.
 * A sparse file: 65 MiB of zeros (no newline) and a mapping at the end.
 */
static void test_huge_maps(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	bystander(f);
	fx_process(f, 100, "mapper");
	fx_sparse(f, "proc/100/maps", 65 << 20, "\n" DMABUF_MAP("66"));
	s = fx_snapshot(f, 0, 0);
	assert_int_equal(gpumem_scan_stats(s)->unreadable_processes, 0);
	assert_int_equal(fx_buf(s, 66)->nr_holders, 2);
	assert_true(fx_buf(s, 66)->mapped);
	assert_int_equal(fx_proc(s, 100)->dmabuf_rss_bytes, 8192);
	gpumem_snapshot_free(s);
}

/* Mappings on both sides of every chunk boundary of the chunked reader. */
static void test_maps_across_chunks(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;
	size_t len = 0, cap = 4 << 20, i;
	char *text = malloc(cap);
	unsigned int want = 0;

	assert_non_null(text);
	fx_process(f, 100, "mapper");
	for (i = 0; len + 512 < cap; i++) {
		if (i % 7 == 3) {
			len += (size_t)snprintf(text + len, cap - len,
				"7f%010zx-7f%010zx rw-s 00000000 00:08 %zu"
				"   /dmabuf:n%zu\n", i << 12, (i + 1) << 12,
				1000 + i, i);
			want++;
		} else {
			len += (size_t)snprintf(text + len, cap - len,
				"55%010zx-55%010zx r--p 00000000 08:01 %zu"
				"   /usr/lib/dmabuf/lib%0*zu.so\n", i << 12,
				(i + 1) << 12, i, (int)(i % 97), i);
		}
	}
	fx_maps(f, 100, text);
	free(text);
	s = fx_snapshot(f, 0, 0);
	assert_int_equal(gpumem_dmabuf_totals(s)->nr_buffers, want);
	assert_int_equal(gpumem_scan_stats(s)->malformed_lines, 0);
	assert_int_equal(fx_buf(s, 1003)->size, 4096);
	gpumem_snapshot_free(s);
}

/* proc/0200 is not a second 200, nor card00 a second card0. */
static void test_names_counted_once(void **state)
{
	struct fx *f = *state;
	const struct gpumem_scan_stats *st;
	struct gpumem_snapshot *s;
	size_t nr;

	bystander(f);
	fx_write(f, "proc/0200/comm", "victim\n");
	fx_write(f, "proc/0200/maps", "%s", "");
	fx_symlink(f, "proc/0200/fd/3", "/dmabuf:");
	fx_write(f, "proc/0200/fdinfo/3", DMABUF_FDINFO("66", "8192"));
	fx_card(f, 0, 128, "pci0000:00/0000:03:00.0", "DRIVER=i915\n");
	fx_symlink(f, "sys/class/drm/card00/device",
		   "../../../devices/pci0000:00/0000:03:00.0");
	fx_symlink(f, "sys/class/drm/card+0/device",
		   "../../../devices/pci0000:00/0000:03:00.0");
	s = fx_snapshot(f, 0, 0);
	st = gpumem_scan_stats(s);
	gpumem_processes(s, &nr);
	assert_int_equal(nr, 1);
	assert_int_equal(st->listed, 1);
	assert_int_equal(fx_buf(s, 66)->nr_holders, 1);
	gpumem_devices(s, &nr);
	assert_int_equal(nr, 1);
	gpumem_snapshot_free(s);
}

/* Two buffers of 2^64-1 bytes: the total is at least that, never 8190. */
static void test_sums_saturate(void **state)
{
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	fx_process(f, 100, "big");
	fx_fd(f, 100, 3, "/dmabuf:",
	      DMABUF_FDINFO("55", "18446744073709551615"));
	fx_fd(f, 100, 4, "/dmabuf:",
	      DMABUF_FDINFO("56", "18446744073709551615"));
	fx_fd(f, 100, 5, "/dmabuf:", DMABUF_FDINFO("57", "8192"));
	s = fx_snapshot(f, 0, 0);
	assert_true(gpumem_dmabuf_totals(s)->total_bytes == UINT64_MAX);
	assert_true(fx_proc(s, 100)->dmabuf_rss_bytes == UINT64_MAX);
	assert_true(fx_proc(s, 100)->dmabuf_pss_bytes == UINT64_MAX);
	gpumem_snapshot_free(s);
}

static void test_amd_counters_saturate(void **state)
{
	static const char dev[] = "pci0000:00/0000:03:00.0";
	struct fx *f = *state;
	struct gpumem_snapshot *s;

	fx_card(f, 0, 128, dev, "DRIVER=amdgpu\nPCI_ID=1002:744C\n");
	fx_write(f, "sys/devices/pci0000:00/0000:03:00.0/mem_info_vram_used",
		 "18446744073709551615\n");
	fx_write(f, "sys/devices/pci0000:00/0000:03:00.0/mem_info_vram_total",
		 "18446744073709551615\n");
	fx_write(f, "sys/devices/pci0000:00/0000:03:00.0/mem_info_gtt_used",
		 "2\n");
	fx_write(f, "sys/devices/pci0000:00/0000:03:00.0/mem_info_gtt_total",
		 "4096\n");
	s = fx_snapshot(f, 0, 0);
	assert_true(fx_device(s, 0)->total_bytes == UINT64_MAX);
	gpumem_snapshot_free(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_name_cannot_take_over_a_buffer),
		T(test_fifo_as_fdinfo),
		T(test_fifo_as_maps),
		T(test_comm_fifo_or_link),
		T(test_fdinfo_is_a_directory),
		T(test_maps_is_a_directory),
		T(test_maps_is_a_link),
		T(test_fd_is_a_file),
		T(test_pid_symlinks),
		T(test_links_out_of_the_tree),
		T(test_huge_maps),
		T(test_maps_across_chunks),
		T(test_names_counted_once),
		T(test_sums_saturate),
		T(test_amd_counters_saturate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
