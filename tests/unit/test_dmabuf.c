// SPDX-License-Identifier: MIT
/*
 * dma-buf fdinfo (fs/proc/fd.c + dma_buf_show_fdinfo()) and /proc/PID/maps
 * (/dmabuf: and /dmabuf:<name> from dmabuffs_dname()), plus the line and
 * number helpers they share.  Texts are passed without a terminating NUL.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"

struct parsed_buf {
	struct gpumem_dmabuf b;
	unsigned int malformed;
	int ret;
};

static char *exact_copy(const char *text, size_t len)
{
	char *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	memcpy(buf, text, len);
	return buf;
}

static int parse_buf(struct parsed_buf *p, const char *text)
{
	size_t len = strlen(text);
	char *buf = exact_copy(text, len);

	memset(p, 0, sizeof(*p));
	p->ret = gm_dmabuf_fdinfo_parse(buf, len, &p->b, &p->malformed);
	free(buf);
	return p->ret;
}

#define FD_LINES "pos:\t0\nflags:\t02000002\nmnt_id:\t16\n"

static void test_fdinfo_system_heap_named(void **state)
{
	struct parsed_buf p;

	(void)state;
	assert_int_equal(parse_buf(&p, FD_LINES "ino:\t4567\n"
				   "size:\t8388608\n"
				   "count:\t2\n"
				   "exp_name:\tsystem\n"
				   "name:\tgralloc:buf 1\n"), 1);
	assert_int_equal(p.malformed, 0);
	assert_int_equal(p.b.ino, 4567);
	assert_int_equal(p.b.size, 8388608);
	assert_string_equal(p.b.exporter, "system");
	assert_string_equal(p.b.name, "gralloc:buf 1");
}

static void test_fdinfo_exporters_without_name(void **state)
{
	static const char *const exporters[] = {
		"system", "udmabuf", "drm", "virtio_gpu", "i915", "amdgpu",
	};
	size_t i;

	(void)state;
	for (i = 0; i < GM_ARRAY_SIZE(exporters); i++) {
		char text[256];
		struct parsed_buf p;

		snprintf(text, sizeof(text), FD_LINES "ino:\t%zu\nsize:\t%zu\n"
			 "count:\t1\nexp_name:\t%s\n", 100 + i, 4096 * (i + 1),
			 exporters[i]);
		assert_int_equal(parse_buf(&p, text), 1);
		assert_int_equal(p.malformed, 0);
		assert_int_equal(p.b.ino, 100 + i);
		assert_int_equal(p.b.size, 4096 * (i + 1));
		assert_string_equal(p.b.exporter, exporters[i]);
		assert_string_equal(p.b.name, "");
	}
}

static void test_fdinfo_no_newline_at_end(void **state)
{
	struct parsed_buf p;

	(void)state;
	assert_int_equal(parse_buf(&p, "ino:\t9\nsize:\t4096\nexp_name:\tdrm"), 1);
	assert_string_equal(p.b.exporter, "drm");
	assert_int_equal(p.b.size, 4096);
}

static void test_fdinfo_malformed(void **state)
{
	static const struct {
		const char *text;
		unsigned int malformed;
	} cases[] = {
		{ "ino:\t12\nsize:\t12x\nexp_name:\tsystem\n", 1 },
		{ "ino:\t12\nsize:\t-4096\nexp_name:\tsystem\n", 1 },
		{ "ino:\t12\nsize:\t18446744073709551616\nexp_name:\tsystem\n", 1 },
		{ "ino:\t12\nsize:\t\nexp_name:\tsystem\n", 1 },
		{ "ino:\tabc\nsize:\t4096\nexp_name:\tsystem\n", 1 },
		{ "ino:\t1 2\nsize:\t4096\nexp_name:\tsystem\n", 1 },
		/* not malformed, just not a dma-buf's fdinfo */
		{ "ino:\t12\nsize:\t4096\n", 0 },
		{ "ino:\t12\nsize:\t4096\nexp_name:\t\n", 0 },
		{ "size:\t4096\nexp_name:\tsystem\n", 0 },
		{ FD_LINES "ino:\t1071\ndrm-driver:\ti915\n", 0 },
		{ "", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GM_ARRAY_SIZE(cases); i++) {
		struct parsed_buf p;

		print_message("# case %zu\n", i);
		assert_int_equal(parse_buf(&p, cases[i].text), 0);
		assert_int_equal(p.malformed, cases[i].malformed);
	}
}

/* "size" and "ino" must match whole keys: no prefix or substring match. */
static void test_fdinfo_key_traps(void **state)
{
	struct parsed_buf p;

	(void)state;
	assert_int_equal(parse_buf(&p, "ino:\t5\nsize:\t4096\nexp_name:\tsystem\n"
				   "sizes:\t1\nxsize:\t2\nino2:\t3\n"
				   "exp_names:\tfoo\nnamex:\tbar\n"), 1);
	assert_int_equal(p.malformed, 0);
	assert_int_equal(p.b.ino, 5);
	assert_int_equal(p.b.size, 4096);
	assert_string_equal(p.b.exporter, "system");
	assert_string_equal(p.b.name, "");
}

/*
 * The kernel prints name: last, and DMA_BUF_SET_NAME takes any 31 bytes:
 * a name holding "\nino:\t<victim>\nsize:\t<huge>" must stay a name.
 */
static void test_fdinfo_name_injection(void **state)
{
	struct parsed_buf p;

	(void)state;
	assert_int_equal(parse_buf(&p, FD_LINES "ino:\t55\nsize:\t4096\n"
				   "count:\t1\nexp_name:\tsystem\n"
				   "name:\tx\nino:\t66\nsize:\t4294967296\n"),
			 1);
	assert_int_equal(p.malformed, 0);
	assert_int_equal(p.b.ino, 55);
	assert_int_equal(p.b.size, 4096);
	assert_string_equal(p.b.exporter, "system");
	assert_string_equal(p.b.name, "x\nino:\t66\nsize:\t4294967296");

	/* keys a buffer lacks cannot come from its name either */
	assert_int_equal(parse_buf(&p, FD_LINES "ino:\t55\ncount:\t1\n"
				   "name:\tsize:\t1\nexp_name:\tsystem\n"
				   "\nsize:\t4096\n"), 0);
	assert_string_equal(p.b.exporter, "");
}

/* A key the kernel prints once: the first one is the kernel's. */
static void test_fdinfo_first_key_wins(void **state)
{
	struct parsed_buf p;

	(void)state;
	assert_int_equal(parse_buf(&p, "ino:\t5\nsize:\t4096\nexp_name:\tsystem\n"
				   "ino:\t6\nsize:\t1\nexp_name:\tdrm\n"), 1);
	assert_int_equal(p.b.ino, 5);
	assert_int_equal(p.b.size, 4096);
	assert_string_equal(p.b.exporter, "system");
	/* a malformed first one is not replaced by a later one */
	assert_int_equal(parse_buf(&p, "ino:\t5\nsize:\tx\nexp_name:\tsystem\n"
				   "size:\t4096\n"), 0);
	assert_int_equal(p.malformed, 1);
}

/* ---- /proc/PID/maps ---- */

#define MAX_HITS 8

struct hits {
	unsigned int nr;
	struct {
		uint64_t ino;
		uint64_t vma_bytes;
		char name[64];
	} v[MAX_HITS];
	int stop_after;		/* return -EINTR after this many, 0: never */
};

static int on_map(const struct gm_dmabuf_map *m, void *ctx)
{
	struct hits *h = ctx;

	assert_true(h->nr < MAX_HITS);
	h->v[h->nr].ino = m->ino;
	h->v[h->nr].vma_bytes = m->vma_bytes;
	gm_copy_field(h->v[h->nr].name, sizeof(h->v[h->nr].name), m->name,
		      m->name_len);
	h->nr++;
	if (h->stop_after && h->nr == (unsigned int)h->stop_after)
		return -EINTR;
	return 0;
}

static void assert_hit(const struct hits *h, unsigned int i, uint64_t ino,
		       uint64_t vma_bytes, const char *name)
{
	assert_int_equal(h->v[i].ino, ino);
	assert_int_equal(h->v[i].vma_bytes, vma_bytes);
	assert_string_equal(h->v[i].name, name);
}

static int parse_maps(const char *text, struct hits *h, unsigned int *mal)
{
	size_t len = strlen(text);
	char *buf = exact_copy(text, len);
	int ret;

	*mal = 0;
	ret = gm_maps_parse(buf, len, on_map, h, mal);
	free(buf);
	return ret;
}

static const char maps_mixed[] =
	"55d4c0a00000-55d4c0a21000 r--p 00000000 fd:01 1835123                    /usr/bin/foo\n"
	"55d4c1a00000-55d4c1c21000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1c2a000000-7f1c2e000000 rw-s 00000000 00:08 1                          /dmabuf:\n"
	"7f1c2e000000-7f1c2e001000 rw-s 00000000 00:08 2                          /dmabuf:gralloc buf\n"
	"7f1c30000000-7f1c30100000 r--p 00000000 fd:01 99                         /home/u/dmabuf/lib.so\n"
	"7f1c30100000-7f1c30101000 r--p 00000000 fd:01 98                         /tmp/x/dmabuf:fake\n"
	"7f1c31000000-7f1c31001000 rw-s 00000000 00:01 4                          /memfd:dmabuf (deleted)\n"
	"7f1c32000000-7f1c32003000 r--s 00002000 00:08 1                          /dmabuf:\n"
	"7f1c33000000-7f1c33001000 rw-s 00000000 00:08 123456789012 /dmabuf:x\n"
	"7ffd12345000-7ffd12366000 rw-p 00000000 00:00 0                          [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static void test_maps_mixed(void **state)
{
	struct hits h = { 0 };
	unsigned int mal;

	(void)state;
	assert_int_equal(parse_maps(maps_mixed, &h, &mal), 0);
	assert_int_equal(mal, 0);
	assert_int_equal(h.nr, 4);
	assert_hit(&h, 0, 1, 0x4000000, "");
	assert_hit(&h, 1, 2, 4096, "gralloc buf");
	/* a second, partial mapping of buffer 1 */
	assert_int_equal(h.v[2].ino, 1);
	assert_int_equal(h.v[2].vma_bytes, 0x3000);
	assert_int_equal(h.v[3].ino, 123456789012ull);
	assert_int_equal(h.v[3].vma_bytes, 4096);
	assert_string_equal(h.v[3].name, "x");
}

static void test_maps_no_newline_at_end(void **state)
{
	struct hits h = { 0 };
	unsigned int mal;

	(void)state;
	assert_int_equal(parse_maps("7f00000000-7f00002000 rw-s 00000000 00:08 "
				    "77   /dmabuf:", &h, &mal), 0);
	assert_int_equal(mal, 0);
	assert_int_equal(h.nr, 1);
	assert_int_equal(h.v[0].ino, 77);
	assert_int_equal(h.v[0].vma_bytes, 0x2000);
	assert_string_equal(h.v[0].name, "");
}

/*
 * A line that ends at "/dmabuf" is no dma-buf; nothing read past it
 * (parse_line() used strncmp past the line: fixed in ea7a86f).
 */
static void test_maps_truncated_name(void **state)
{
	struct hits h = { 0 };
	unsigned int mal;

	(void)state;
	assert_int_equal(parse_maps("7f00000000-7f00002000 rw-s 00000000 00:08 "
				    "77   /dmabuf", &h, &mal), 0);
	assert_int_equal(h.nr, 0);
	assert_int_equal(mal, 0);
}

/*
 * PROCMAP_QUERY gives a mapping's raw d_path(): a dma-buf named (by
 * DMA_BUF_SET_NAME) to end its line and forge a second one is kept as
 * one line, its newline escaped as maps escapes it; other paths are not
 * kept at all.
 */
static void test_maps_keep_vma(void **state)
{
	/* 27 bytes after "/dmabuf:": DMA_BUF_SET_NAME takes 31 */
	static const char forged[] = "/dmabuf:a\n1-2 rw-s 0 0:0 9 /dmabuf:x";
	struct gm_text kept = { 0 };
	struct hits h = { 0 };
	unsigned int mal = 0;

	(void)state;
	assert_int_equal(gm_maps_keep_vma(0x7f0000, 0x7f2000, 44, forged,
					  strlen(forged), &kept), 0);
	assert_int_equal(gm_maps_keep_vma(0x800000, 0x801000, 45, "/memfd:x",
					  8, &kept), 0);
	assert_int_equal(gm_maps_keep_vma(0x900000, 0x901000, 46, "/dmabuf:",
					  8, &kept), 0);
	assert_int_equal(gm_maps_parse(kept.buf, kept.len, on_map, &h, &mal),
			 0);
	assert_int_equal(mal, 0);
	assert_int_equal(h.nr, 2);
	assert_hit(&h, 0, 44, 0x2000, "a\\0121-2 rw-s 0 0:0 9 /dmabuf:x");
	assert_hit(&h, 1, 46, 0x1000, "");
	gm_text_free(&kept);
}

/* The dma-buf maps that maps_fn finds in the process's own maps. */
static int own_maps(ssize_t (*maps_fn)(int fd, struct gm_text *kept),
		    int procfd, struct hits *h)
{
	struct gm_text kept = { 0 };
	unsigned int mal = 0;
	int fd = gm_open_file_at(procfd, "self/maps", GM_READ_KERNEL);
	ssize_t n = fd < 0 ? fd : maps_fn(fd, &kept);

	if (fd >= 0)
		close(fd);
	memset(h, 0, sizeof(*h));
	if (n > 0 && (gm_maps_parse(kept.buf, kept.len, on_map, h, &mal) ||
		      mal))
		n = -EIO;
	gm_text_free(&kept);
	return n < 0 ? (int)n : 0;
}

static ssize_t text_maps(int fd, struct gm_text *kept)
{
	struct gm_text chunk = { 0 };
	ssize_t n = gm_maps_read_fd(fd, &chunk, kept);

	gm_text_free(&chunk);
	return n;
}

/* Maps two files whose paths maps reads as dma-bufs'; 0, 77 (skip) or 1. */
static int map_and_compare(int procfd)
{
	static const char *const names[] = { "/dmabuf:gm", "/dmabuf:n\nl" };
	struct hits text, query;
	size_t i;
	int err;

	for (i = 0; i < GM_ARRAY_SIZE(names); i++) {
		int fd = open(names[i], O_RDWR | O_CREAT | O_EXCL, 0600);

		/* shared and private: an exporter may take either */
		if (fd < 0 || ftruncate(fd, 3 * 4096) ||
		    mmap(NULL, 4096 << i, PROT_READ, MAP_SHARED, fd, 0) ==
		    MAP_FAILED ||
		    mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096) ==
		    MAP_FAILED)
			return 1;
		close(fd);
	}
	if (own_maps(text_maps, procfd, &text))
		return 1;
	err = own_maps(gm_maps_query_fd, procfd, &query);
	if (err == -ENOTTY)
		return 77;
	if (err || text.nr != 4 || query.nr != text.nr)
		return 1;
	for (i = 0; i < text.nr; i++) {
		if (text.v[i].ino != query.v[i].ino ||
		    text.v[i].vma_bytes != query.v[i].vma_bytes ||
		    strcmp(text.v[i].name, query.v[i].name))
			return 1;
	}
	return 0;
}

/*
 * The query finds what the text finds, names with a newline included.  A
 * child in a chroot maps two files whose paths, seen from its root, are
 * "/dmabuf:..." (maps names a mapping from the reader's root), and reads
 * its own maps both ways.  The files are on tmpfs, a filesystem of major
 * 0 as a dma-buf's.  Needs CAP_SYS_CHROOT.
 */
static void test_maps_query_matches_text(void **state)
{
	char dir[] = "/dev/shm/gm-maps-XXXXXX", path[64];
	int status, procfd;
	pid_t child;

	(void)state;
	assert_non_null(mkdtemp(dir));
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(procfd >= 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		if (chroot(dir) || chdir("/"))
			_exit(77);
		_exit(map_and_compare(procfd));
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	close(procfd);
	snprintf(path, sizeof(path), "%s/dmabuf:gm", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dmabuf:n\nl", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_maps_malformed(void **state)
{
	static const char *const bad[] = {
		"zzzz-7f1c2e000000 rw-s 00000000 00:08 1 /dmabuf:\n",
		"7f1c2e000000-7f1c2a000000 rw-s 00000000 00:08 1 /dmabuf:\n",
		"7f1c2a000000 rw-s 00000000 00:08 1 /dmabuf:\n",
		"7f1c2a000000-7f1c2e000000 rw-s 00000000 00:08 /dmabuf:\n",
		"7f1c2a000000-7f1c2e000000 rw-s 00000000 00:08 1x /dmabuf:\n",
		"7f1c2a000000-7f1c2e000000 rw-s 00000000 00:08 -1 /dmabuf:\n",
		"7f1c2a000000-7f1c2e000000 rw-s 00000000 00:08 18446744073709551616 /dmabuf:\n",
		"17f1c2a0000000000-27f1c2e0000000000 rw-s 00000000 00:08 1 /dmabuf:\n",
		"/dmabuf:\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < GM_ARRAY_SIZE(bad); i++) {
		char text[512];
		struct hits h = { 0 };
		unsigned int mal;

		snprintf(text, sizeof(text),
			 "7f00000000-7f00001000 rw-s 00000000 00:08 5 /dmabuf:a\n"
			 "%s"
			 "7f00001000-7f00003000 rw-s 00000000 00:08 6 /dmabuf:b\n",
			 bad[i]);
		print_message("# line %s", bad[i]);
		assert_int_equal(parse_maps(text, &h, &mal), 0);
		assert_int_equal(mal, 1);
		assert_int_equal(h.nr, 2);
		assert_int_equal(h.v[0].ino, 5);
		assert_int_equal(h.v[0].vma_bytes, 4096);
		assert_int_equal(h.v[1].ino, 6);
		assert_int_equal(h.v[1].vma_bytes, 8192);
	}
}

static void test_maps_callback_error_stops(void **state)
{
	struct hits h = { .stop_after = 1 };
	unsigned int mal;

	(void)state;
	assert_int_equal(parse_maps(maps_mixed, &h, &mal), -EINTR);
	assert_int_equal(h.nr, 1);
}

static void test_maps_empty(void **state)
{
	struct hits h = { 0 };
	unsigned int mal;

	(void)state;
	assert_int_equal(parse_maps("", &h, &mal), 0);
	assert_int_equal(h.nr, 0);
	assert_int_equal(mal, 0);
}

/* ---- helpers shared by the parsers ---- */

static void test_parse_u64_all(void **state)
{
	static const struct {
		const char *s;
		int err;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0 },
		{ "4096\n", 0, 4096 },
		{ " \t17179869184 \n", 0, 17179869184ull },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "000000000000000000000000000001", 0, 1 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "000000000000000000000000000000001", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "\n", -EINVAL, 0 },
		{ "12 34", -EINVAL, 0 },
		{ "12a", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GM_ARRAY_SIZE(cases); i++) {
		size_t len = strlen(cases[i].s);
		char *buf = exact_copy(cases[i].s, len);
		uint64_t v = 12345;
		int err = gm_parse_u64_all(buf, len, &v);

		free(buf);
		print_message("# '%s'\n", cases[i].s);
		assert_int_equal(err, cases[i].err);
		if (!err)
			assert_int_equal(v, cases[i].v);
	}
}

static void test_parse_u64_all_stops_at_len(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(gm_parse_u64_all("4096junk", 4, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(gm_parse_u64_all("4096", 0, &v), -EINVAL);
}

/* Names the kernel writes for numbers: one spelling each. */
static void test_parse_name_u64(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		uint64_t v;
	} cases[] = {
		{ "0", true, 0 }, { "7", true, 7 }, { "2147483647", true, INT32_MAX },
		{ "0123", false, 0 }, { "00", false, 0 }, { "2147483648", false, 0 },
		{ "+1", false, 0 }, { "-1", false, 0 }, { " 1", false, 0 },
		{ "1 ", false, 0 }, { "1\n", false, 0 }, { "", false, 0 },
		{ "1x", false, 0 }, { "99999999999999999999", false, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GM_ARRAY_SIZE(cases); i++) {
		uint64_t v = 12345;
		int err = gm_parse_name_u64(cases[i].s, INT32_MAX, &v);

		print_message("# '%s'\n", cases[i].s);
		assert_int_equal(err == 0, cases[i].ok);
		if (!err)
			assert_int_equal(v, cases[i].v);
	}
}

static void test_parse_hex(void **state)
{
	const char *end;
	uint64_t v;

	(void)state;
	assert_int_equal(gm_parse_hex("7f1c2a000000-", &end, &v), 0);
	assert_int_equal(v, 0x7f1c2a000000ull);
	assert_int_equal(*end, '-');
	assert_int_equal(gm_parse_hex("ffffffffffffffff", &end, &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(gm_parse_hex("10000000000000000", &end, &v), -ERANGE);
	assert_int_equal(gm_parse_hex("-1", &end, &v), -EINVAL);
	assert_int_equal(gm_parse_hex("", &end, &v), -EINVAL);
}

static void test_key_value(void **state)
{
	static const struct {
		const char *line;
		bool ok;
		const char *key, *val;
	} cases[] = {
		{ "drm-memory-gtt: \t2048 KiB", true, "drm-memory-gtt", "2048 KiB" },
		{ "size:\t4096", true, "size", "4096" },
		{ "name:\ta:b c ", true, "name", "a:b c" },
		{ "key:", true, "key", "" },
		{ "key:   \t", true, "key", "" },
		{ "k::v", true, "k", ":v" },
		{ ":value", false, NULL, NULL },
		{ "no colon", false, NULL, NULL },
		{ " key: v", false, NULL, NULL },
		{ "ke y: v", false, NULL, NULL },
		{ "key\t: v", false, NULL, NULL },
		{ "", false, NULL, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < GM_ARRAY_SIZE(cases); i++) {
		size_t len = strlen(cases[i].line), klen, vlen;
		char *buf = exact_copy(cases[i].line, len);
		const char *key, *val;
		bool ok = gm_key_value(buf, len, &key, &klen, &val, &vlen);

		print_message("# '%s'\n", cases[i].line);
		assert_int_equal(ok, cases[i].ok);
		if (ok) {
			assert_int_equal(klen, strlen(cases[i].key));
			assert_memory_equal(key, cases[i].key, klen);
			assert_int_equal(vlen, strlen(cases[i].val));
			assert_memory_equal(val, cases[i].val, vlen);
		}
		free(buf);
	}
}

static void test_next_line(void **state)
{
	static const char text[] = "a\n\nbc\nd";
	const char *line;
	size_t pos = 0, len;

	(void)state;
	assert_true(gm_next_line(text, 7, &pos, &line, &len));
	assert_int_equal(len, 1);
	assert_int_equal(line[0], 'a');
	assert_true(gm_next_line(text, 7, &pos, &line, &len));
	assert_int_equal(len, 0);
	assert_true(gm_next_line(text, 7, &pos, &line, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(line, "bc", 2);
	assert_true(gm_next_line(text, 7, &pos, &line, &len));
	assert_int_equal(len, 1);
	assert_int_equal(line[0], 'd');
	assert_false(gm_next_line(text, 7, &pos, &line, &len));
	pos = 0;
	assert_false(gm_next_line(text, 0, &pos, &line, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fdinfo_system_heap_named),
		cmocka_unit_test(test_fdinfo_exporters_without_name),
		cmocka_unit_test(test_fdinfo_no_newline_at_end),
		cmocka_unit_test(test_fdinfo_malformed),
		cmocka_unit_test(test_fdinfo_key_traps),
		cmocka_unit_test(test_fdinfo_name_injection),
		cmocka_unit_test(test_fdinfo_first_key_wins),
		cmocka_unit_test(test_maps_mixed),
		cmocka_unit_test(test_maps_no_newline_at_end),
		cmocka_unit_test(test_maps_truncated_name),
		cmocka_unit_test(test_maps_malformed),
		cmocka_unit_test(test_maps_keep_vma),
		cmocka_unit_test(test_maps_query_matches_text),
		cmocka_unit_test(test_maps_callback_error_stops),
		cmocka_unit_test(test_maps_empty),
		cmocka_unit_test(test_parse_u64_all),
		cmocka_unit_test(test_parse_u64_all_stops_at_len),
		cmocka_unit_test(test_parse_name_u64),
		cmocka_unit_test(test_parse_hex),
		cmocka_unit_test(test_key_value),
		cmocka_unit_test(test_next_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
