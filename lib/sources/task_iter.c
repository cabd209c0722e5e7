// SPDX-License-Identifier: MIT
/*
 * Discovery by BPF iterator (bpf/task_iter.bpf.c): the kernel walks every
 * process's fd table and mappings and writes one record per DRM file,
 * dma-buf fd and dma-buf mapping into a read() stream; no getdents,
 * readlink or open per fd.  The records become the scanner's index, and
 * the /proc walk's refresh path reads just those fdinfo files and those
 * processes' maps, so the figures are the walk's own.
 *
 * Needs CAP_BPF + CAP_PERFMON and the kernel's BTF (the program is CO-RE).
 * Where it does not load, the /proc walk (proc_walk.c) runs instead.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "sources.h"
#include "../../bpf/gm_iter.h"
#include "task_iter.skel.h"

#define GM_ITER_CHUNK 65536

struct gm_task_iter {
	struct task_iter_bpf *skel;
	struct bpf_link *tasks, *files, *vmas;
};

/* pid, then its fds, then its mappings (fd 0); valid() bounds pid and fd. */
static uint64_t sort_key(const struct gm_iter_file *r)
{
	return (uint64_t)r->pid << 33 |
	       (uint64_t)(r->kind == GM_ITER_MAP) << 32 | r->fd;
}

static int by_pid_fd(const void *a, const void *b)
{
	uint64_t x = sort_key(a), y = sort_key(b);

	return (x > y) - (x < y);
}

static bool valid(const struct gm_iter_file *r)
{
	if (r->version != GM_ITER_VERSION || !r->pid || r->pid > INT32_MAX ||
	    r->fd > INT32_MAX)
		return false;
	if (r->kind == GM_ITER_DRM)
		return r->minor < 1u << GM_DRM_MAJOR_BITS;
	return r->kind == GM_ITER_DMABUF || r->kind == GM_ITER_MAP;
}

static int add_pid(struct gm_index *idx, const struct gm_iter_file *r)
{
	struct gm_status st = {
		.uid = (uid_t)r->uid,
		.ppid = r->ppid <= INT32_MAX ? (pid_t)r->ppid :
			GPUMEM_PID_UNKNOWN,
	};

	return gm_index_add_pid(idx, (pid_t)r->pid, &st, r->comm,
				strnlen(r->comm, sizeof(r->comm))) ? 0 :
	       -ENOMEM;
}

static int add_fd(struct gm_index *idx, const struct gm_iter_file *r)
{
	bool drm = r->kind == GM_ITER_DRM;

	return gm_index_add_fd(idx, (pid_t)r->pid, (int)r->fd,
			       drm ? GM_FD_DRM : GM_FD_DMABUF,
			       drm ? (int)r->minor : -1, r->ino,
			       gm_index_take(idx, (pid_t)r->pid, (int)r->fd));
}

/* Its maps to re-read, in the file the last index kept if it did. */
static void take_maps(struct gm_index *idx, struct gm_index_pid *p)
{
	if (p->maps)
		return;
	p->maps = true;
	p->maps_kept = gm_index_take(idx, p->pid, GM_INDEX_MAPS);
}

/* Sorted records into the index: each pid once, each of its fds once. */
static int index_records(const struct gm_iter_file *r, size_t nr,
			 struct gm_index *idx)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < nr; i++) {
		bool new_pid = !i || r[i].pid != r[i - 1].pid;

		if (new_pid)
			err = add_pid(idx, &r[i]);
		if (err)
			break;
		if (r[i].kind == GM_ITER_MAP)
			take_maps(idx, &idx->pids[idx->nr_pids - 1]);
		else if (new_pid || r[i].fd != r[i - 1].fd ||
			 r[i - 1].kind == GM_ITER_MAP)
			err = add_fd(idx, &r[i]);
	}
	return err;
}

int gm_task_iter_parse(const void *buf, size_t len, struct gm_index *idx,
		       unsigned int *malformed)
{
	size_t i, nr = len / sizeof(struct gm_iter_file), kept = 0;
	struct gm_iter_file *r;
	int err;

	if (len % sizeof(*r))
		(*malformed)++;
	r = malloc(nr ? nr * sizeof(*r) : 1);
	if (!r)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		memcpy(&r[kept], (const char *)buf + i * sizeof(*r), sizeof(*r));
		if (valid(&r[kept]))
			kept++;
		else
			(*malformed)++;
	}
	qsort(r, kept, sizeof(*r), by_pid_fd);
	err = index_records(r, kept, idx);
	free(r);
	return err;
}

int gm_iter_read(int link_fd, struct gm_text *t)
{
	int fd = bpf_iter_create(link_fd), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	for (;;) {
		err = gm_grow((void **)&t->buf, &t->cap, t->len + GM_ITER_CHUNK,
			      1);
		if (err)
			break;
		n = read(fd, t->buf + t->len, GM_ITER_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		t->len += (size_t)n;
	}
	close(fd);
	return err;
}

/* libbpf's own lines would repeat ours; GPUMEM_BPF_DEBUG=1 shows them. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return getenv("GPUMEM_BPF_DEBUG") ? vfprintf(stderr, fmt, ap) : 0;
}

void gm_libbpf_quiet(bool on)
{
	static libbpf_print_fn_t old;

	if (on)
		old = libbpf_set_print(quiet);
	else
		libbpf_set_print(old);
}

static struct gm_iter_slot task_slot = GM_ITER_SLOT_INIT;

static void task_iter_free(struct gm_task_iter *it)
{
	if (!it)
		return;
	bpf_link__destroy(it->tasks);
	bpf_link__destroy(it->files);
	bpf_link__destroy(it->vmas);
	task_iter_bpf__destroy(it->skel);
	free(it);
}

static int attach(struct bpf_program *prog, struct bpf_link **link)
{
	*link = bpf_program__attach_iter(prog, NULL);
	return *link ? 0 : -errno;
}

static int load(void **out)
{
	struct gm_task_iter *it = calloc(1, sizeof(*it));
	int err = it ? 0 : -ENOMEM;

	gm_libbpf_quiet(true);
	if (!err) {
		it->skel = task_iter_bpf__open_and_load();
		err = it->skel ? 0 : -errno;
	}
	if (!err)
		err = attach(it->skel->progs.gm_tasks, &it->tasks);
	if (!err)
		err = attach(it->skel->progs.gm_task_files, &it->files);
	if (!err)
		err = attach(it->skel->progs.gm_task_vmas, &it->vmas);
	gm_libbpf_quiet(false);
	if (err) {
		task_iter_free(it);
		return err;
	}
	*out = it;
	return 0;
}

int gm_iter_lock(struct gm_iter_slot *slot, int (*loader)(void **it),
		 void **it)
{
	int err;

	pthread_mutex_lock(&slot->lock);
	if (!slot->tried) {
		slot->tried = true;
		slot->err = loader(&slot->it);
	}
	*it = slot->it;
	err = slot->err;
	if (err)
		pthread_mutex_unlock(&slot->lock);
	return err;
}

void gm_iter_unlock(struct gm_iter_slot *slot)
{
	pthread_mutex_unlock(&slot->lock);
}

static void say_not_loaded(struct gpumem_source_status *st, int err)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no kernel BTF "
			      "(CONFIG_DEBUG_INFO_BTF): the /proc walk is used");
	else if (gm_is_denied(err))
		gm_source_say(st, GPUMEM_SOURCE_DENIED, "needs CAP_BPF and "
			      "CAP_PERFMON: the /proc walk is used");
	else
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "did not load (%s): "
			      "the /proc walk is used", strerror(-err));
}

/*
 * The walk counts every process it lists; the iterator counted them in
 * the kernel, and the rescan only those holding something.
 */
static void count_processes(struct gpumem_scan_stats *s, uint64_t seen)
{
	if (seen > s->listed) {
		s->processes += (unsigned int)(seen - s->listed);
		s->listed = (unsigned int)seen;
	}
}

static unsigned int count_kind(const struct gm_index *idx, int kind)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < idx->nr; i++)
		n += idx->fds[i].kind == kind;
	return n;
}

static void say_found(struct gpumem_source_status *st,
		      const struct gm_iter_counts *c, const struct gm_index *idx,
		      const struct gpumem_scan_stats *s)
{
	gm_source_say(st, GPUMEM_SOURCE_FOUND, "task_file: %llu processes, "
		      "%llu fds, %llu mappings looked at; %u DRM and %u dma-buf "
		      "fds, %u exited meanwhile",
		      (unsigned long long)c->processes,
		      (unsigned long long)c->files,
		      (unsigned long long)c->vmas, count_kind(idx, GM_FD_DRM),
		      count_kind(idx, GM_FD_DMABUF), s->vanished);
}

/* The three streams into idx; the programs' counters into c. */
static int run(struct gm_task_iter *it, struct gm_iter_counts *c,
	       struct gm_index *idx, unsigned int *malformed)
{
	struct gm_text t = { 0 };
	int err;

	memset(&it->skel->bss->counts, 0, sizeof(*c));
	err = gm_iter_read(bpf_link__fd(it->files), &t);
	if (!err)
		err = gm_iter_read(bpf_link__fd(it->vmas), &t);
	if (!err)
		err = gm_iter_read(bpf_link__fd(it->tasks), &t);
	if (!err)
		err = gm_task_iter_parse(t.buf, t.len, idx, malformed);
	*c = it->skel->bss->counts;
	gm_text_free(&t);
	return err;
}

/* The iterators' records, then their fdinfo and maps through the rescan. */
static int discover(struct gm_source_ctx *ctx, struct gm_task_iter *it,
		    struct gm_index *idx, struct gpumem_source_status *st)
{
	struct gpumem_scan_stats *s = ctx->stats;
	struct gm_iter_counts c;
	unsigned int odd;
	bool stale;
	int err;

	err = run(it, &c, idx, &s->malformed_lines);
	gm_iter_unlock(&task_slot);
	if (err && err != -ENOMEM) {
		gm_source_err(st, err, "the task_file iterator");
		return 0;
	}
	if (!err)
		err = gm_proc_rescan(ctx->procfd, true, idx, ctx->feed->holders,
				     s, &stale, &odd);
	if (err)
		return err;
	idx->discovery = GPUMEM_DISCOVERY_BPF;
	s->discovery = GPUMEM_DISCOVERY_BPF;
	ctx->holders_found = true;
	count_processes(s, c.processes);
	say_found(st, &c, idx, s);
	return 0;
}

static int read_task_iter(struct gm_source_ctx *ctx,
			  struct gpumem_source_status *st)
{
	struct gm_index own = { 0 }, *idx = ctx->idx ? ctx->idx : &own;
	struct gm_task_iter *it;
	int err;

	if (!ctx->live || ctx->discovery == GPUMEM_DISCOVERY_PROC ||
	    (ctx->refresh && ctx->idx)) {
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "%s", !ctx->live ?
			      "not the live system: the /proc walk reads it" :
			      ctx->refresh && ctx->idx ? "a refresh re-reads "
			      "the index" : "--discovery=proc");
		return 0;
	}
	err = gm_iter_lock(&task_slot, load, (void **)&it);
	if (err) {
		say_not_loaded(st, err);
		return 0;
	}
	gm_index_begin(idx);
	err = discover(ctx, it, idx, st);	/* unlocks */
	gm_index_end(idx);
	gm_index_free(&own);
	return err;
}

const struct gm_source gm_src_task_iter = {
	.name = "task-iter",
	.what = "fds (BPF iterator)",
	/* The /proc walk's copy of the holders is the same. */
	.cap = GM_CAP_NONE,
	.read = read_task_iter,
};
