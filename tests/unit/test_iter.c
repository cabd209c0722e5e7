// SPDX-License-Identifier: MIT
/*
 * What the iterator programs write (bpf/gm_iter.h): the task_file/task_vma
 * records into the scanner's index, the iter/dmabuf records into buffers.
 * Streams are built as the programs write them, record after record, then
 * spoiled the ways a stale or foreign program could.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/types.h>

#include "model/model.h"
#include "../../bpf/gm_iter.h"

#define MAX_RECS 16

/* A fixed-size field as the program fills it: no NUL when it is full. */
static void set_field(char *dst, size_t size, const char *src)
{
	memset(dst, 0, size);
	memcpy(dst, src, strnlen(src, size));
}

struct stream {
	struct gm_iter_file r[MAX_RECS];
	size_t nr;
};

static void add(struct stream *s, unsigned int kind, unsigned int pid,
		unsigned int fd, unsigned int minor, uint64_t ino,
		const char *comm)
{
	struct gm_iter_file *r = &s->r[s->nr++];

	memset(r, 0, sizeof(*r));
	r->version = GM_ITER_VERSION;
	r->kind = (__u16)kind;
	r->pid = pid;
	r->fd = fd;
	r->minor = minor;
	r->ino = ino;
	r->uid = pid + 1000;
	r->ppid = pid / 2;
	set_field(r->comm, sizeof(r->comm), comm);
}

static unsigned int parse(const struct stream *s, size_t extra,
			  struct gm_index *idx)
{
	unsigned int malformed = 0;
	size_t len = s->nr * sizeof(s->r[0]) + extra;
	char *buf = calloc(1, len ? len : 1);

	assert_non_null(buf);
	memcpy(buf, s->r, s->nr * sizeof(s->r[0]));
	memset(idx, 0, sizeof(*idx));
	assert_int_equal(gm_task_iter_parse(buf, len, idx, &malformed), 0);
	free(buf);
	return malformed;
}

static void index_free(struct gm_index *idx)
{
	free(idx->fds);
	free(idx->pids);
}

/* Out of order as two iterators' streams are: sorted as /proc lists them. */
static void test_task_records_sorted(void **state)
{
	struct stream s = { .nr = 0 };
	struct gm_index idx;

	(void)state;
	add(&s, GM_ITER_DRM, 300, 7, 128, 1053, "compositor");
	add(&s, GM_ITER_DMABUF, 200, 5, 0, 9001, "player");
	add(&s, GM_ITER_DRM, 200, 3, 0, 1050, "player");
	add(&s, GM_ITER_MAP, 200, 0, 0, 9001, "player");
	add(&s, GM_ITER_MAP, 200, 0, 0, 9001, "player");
	add(&s, GM_ITER_MAP, 400, 0, 0, 9002, "viewer");
	assert_int_equal(parse(&s, 0, &idx), 0);

	assert_int_equal(idx.nr_pids, 3);
	assert_int_equal(idx.pids[0].pid, 200);
	assert_string_equal(idx.pids[0].comm, "player");
	assert_int_equal(idx.pids[0].status.uid, 1200);
	assert_int_equal(idx.pids[0].status.ppid, 100);
	assert_true(idx.pids[0].maps);
	assert_int_equal(idx.pids[1].pid, 300);
	assert_false(idx.pids[1].maps);
	assert_int_equal(idx.pids[2].pid, 400);
	assert_true(idx.pids[2].maps);

	assert_int_equal(idx.nr, 3);
	assert_int_equal(idx.fds[0].pid, 200);
	assert_int_equal(idx.fds[0].fd, 3);
	assert_int_equal(idx.fds[0].kind, GM_FD_DRM);
	assert_int_equal(idx.fds[0].minor, 0);
	assert_int_equal(idx.fds[0].ino, 1050);
	assert_int_equal(idx.fds[1].fd, 5);
	assert_int_equal(idx.fds[1].kind, GM_FD_DMABUF);
	assert_int_equal(idx.fds[1].minor, -1);
	assert_int_equal(idx.fds[1].ino, 9001);
	assert_int_equal(idx.fds[2].pid, 300);
	assert_int_equal(idx.fds[2].minor, 128);
	index_free(&idx);
}

/* A record the program would not write is counted and skipped. */
static void test_task_records_malformed(void **state)
{
	struct stream s = { .nr = 0 };
	struct gm_index idx;

	(void)state;
	add(&s, GM_ITER_DRM, 100, 4, 1u << 20, 1, "bad-minor");
	add(&s, 9, 100, 4, 0, 1, "bad-kind");
	add(&s, GM_ITER_DRM, 0, 4, 0, 1, "no-pid");
	add(&s, GM_ITER_DRM, 0x80000000u, 4, 0, 1, "huge-pid");
	add(&s, GM_ITER_DMABUF, 100, 0x80000000u, 0, 1, "huge-fd");
	add(&s, GM_ITER_DRM, 100, 4, 0, 77, "fine");
	s.r[s.nr - 1].version = GM_ITER_VERSION;
	add(&s, GM_ITER_DRM, 101, 4, 0, 78, "stale");
	s.r[s.nr - 1].version = GM_ITER_VERSION + 1;
	/* Half a record at the end: one more. */
	assert_int_equal(parse(&s, sizeof(s.r[0]) / 2, &idx), 7);
	assert_int_equal(idx.nr_pids, 1);
	assert_int_equal(idx.nr, 1);
	assert_int_equal(idx.fds[0].ino, 77);
	index_free(&idx);
}

/* The same fd twice is one fd; a comm of 16 bytes has no NUL in the record. */
static void test_task_records_dup_and_full_comm(void **state)
{
	struct stream s = { .nr = 0 };
	struct gm_index idx;

	(void)state;
	add(&s, GM_ITER_DRM, 100, 4, 0, 5, "0123456789abcdef");
	add(&s, GM_ITER_DRM, 100, 4, 0, 5, "0123456789abcdef");
	assert_int_equal(parse(&s, 0, &idx), 0);
	assert_int_equal(idx.nr, 1);
	assert_string_equal(idx.pids[0].comm, "0123456789abcdef");
	index_free(&idx);
}

static void test_task_records_empty(void **state)
{
	struct stream s = { .nr = 0 };
	struct gm_index idx;

	(void)state;
	assert_int_equal(parse(&s, 0, &idx), 0);
	assert_int_equal(idx.nr, 0);
	assert_int_equal(idx.nr_pids, 0);
	index_free(&idx);
}

struct bufs {
	struct gpumem_dmabuf b[4];
	size_t nr;
	int fail_at;		/* the callback's error at this buffer */
};

static int on_buf(const struct gpumem_dmabuf *b, void *ctx)
{
	struct bufs *l = ctx;

	if ((int)l->nr == l->fail_at)
		return -ENOMEM;
	l->b[l->nr++] = *b;
	return 0;
}

static struct gm_iter_dmabuf dmabuf_rec(uint64_t ino, uint64_t size,
					const char *exporter, const char *name)
{
	struct gm_iter_dmabuf r;

	memset(&r, 0, sizeof(r));
	r.version = GM_ITER_VERSION;
	r.ino = ino;
	r.size = size;
	set_field(r.exporter, sizeof(r.exporter), exporter);
	set_field(r.name, sizeof(r.name), name);
	return r;
}

static void test_dmabuf_records(void **state)
{
	struct gm_iter_dmabuf r[4];
	struct bufs l = { .nr = 0, .fail_at = -1 };
	unsigned int malformed = 0;
	char full[GM_ITER_EXPORTER_LEN + 1];

	(void)state;
	memset(full, 'x', sizeof(full) - 1);
	full[sizeof(full) - 1] = '\0';
	r[0] = dmabuf_rec(40, 4096, "system", "");
	r[1] = dmabuf_rec(41, 1 << 20, "virtio_gpu", "scanout");
	r[2] = dmabuf_rec(0, 4096, "system", "");	/* no inode */
	r[3] = dmabuf_rec(42, 8192, full, "0123456789abcdef0123456789abcdef");
	assert_int_equal(gm_dmabuf_iter_parse(r, sizeof(r), on_buf, &l,
					      &malformed), 0);
	assert_int_equal(malformed, 1);
	assert_int_equal(l.nr, 3);
	assert_int_equal(l.b[0].ino, 40);
	assert_int_equal(l.b[0].size, 4096);
	assert_string_equal(l.b[0].exporter, "system");
	assert_string_equal(l.b[0].name, "");
	assert_string_equal(l.b[1].exporter, "virtio_gpu");
	assert_string_equal(l.b[1].name, "scanout");
	/* Fields with no NUL end at their size, truncated to the model's. */
	assert_int_equal(strlen(l.b[2].exporter), GPUMEM_NAME_MAX - 1);
	assert_string_equal(l.b[2].name, "0123456789abcdef0123456789abcdef");
}

static void test_dmabuf_records_stale_and_short(void **state)
{
	struct gm_iter_dmabuf r[2];
	struct bufs l = { .nr = 0, .fail_at = -1 };
	unsigned int malformed = 0;

	(void)state;
	r[0] = dmabuf_rec(40, 4096, "system", "");
	r[0].version = 0;
	r[1] = dmabuf_rec(41, 4096, "system", "");
	assert_int_equal(gm_dmabuf_iter_parse(r, sizeof(r) - 1, on_buf, &l,
					      &malformed), 0);
	/* The stale record and the cut one. */
	assert_int_equal(malformed, 2);
	assert_int_equal(l.nr, 0);
}

/* The model's error (out of memory) ends the parse and is returned. */
static void test_dmabuf_records_error(void **state)
{
	struct gm_iter_dmabuf r[2];
	struct bufs l = { .nr = 0, .fail_at = 1 };
	unsigned int malformed = 0;

	(void)state;
	r[0] = dmabuf_rec(40, 4096, "system", "");
	r[1] = dmabuf_rec(41, 4096, "system", "");
	assert_int_equal(gm_dmabuf_iter_parse(r, sizeof(r), on_buf, &l,
					      &malformed), -ENOMEM);
	assert_int_equal(l.nr, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_records_sorted),
		cmocka_unit_test(test_task_records_malformed),
		cmocka_unit_test(test_task_records_dup_and_full_comm),
		cmocka_unit_test(test_task_records_empty),
		cmocka_unit_test(test_dmabuf_records),
		cmocka_unit_test(test_dmabuf_records_stale_and_short),
		cmocka_unit_test(test_dmabuf_records_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
