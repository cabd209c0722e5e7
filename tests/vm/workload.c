// SPDX-License-Identifier: MIT
/*
 * workload: allocates GPU buffers and dma-bufs in scripted scenarios and
 * prints, after every step, the ground truth of what it holds: the bytes of
 * each GPU device, of each process, of each DRM client (fd) and of the
 * dma-bufs each process holds.  See tests/vm/README.md for the line format.
 *
 *   workload [--sync] [--seed N] SCENARIO
 *   workload [--seed N] stress [OPS [PROCS [THREADS]]]
 *
 * With --sync it reads one byte from stdin after each "end step=" line, so
 * a checker can compare the kernel's figures while the workload is idle.
 *
 * Processes other than the workload itself are "holders": forked at the
 * start of a scenario, they execute operations sent over a socket, so the
 * workload alone keeps the model and knows the truth of every process.
 */
#define _GNU_SOURCE
#include "vmlib.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 8
#define MAX_CLIENTS 32
#define MAX_BOS 512
#define MAX_DBUFS 512
#define MAX_DFDS 512
#define MAX_MAPS 64
#define MAX_THREADS 16

/* ---- operations, executed here or in a holder --------------------------- */

enum op_kind {
	OP_OPEN, OP_CLOSE, OP_DUMB, OP_VIRTGPU, OP_GEM_CLOSE, OP_EXPORT,
	OP_IMPORT, OP_HEAP, OP_UDMABUF, OP_MAP_DUMB, OP_MAP_DMABUF, OP_UNMAP,
	OP_TAKE_FD, OP_GIVE_FD, OP_DUP, OP_EXIT,
};

struct op {
	enum op_kind kind;
	int fd;			/* drm fd, or dma-buf fd, in the executing process */
	int dmabuf;		/* OP_IMPORT: dma-buf fd in the executing process */
	uint32_t handle;
	uint32_t width, height, bpp, target, depth;
	uint64_t size;
	uint64_t addr;
	unsigned int fail_nth;	/* inject the nth allocation fault; 0: none */
	char path[32];		/* OP_OPEN */
};

struct reply {
	int ret;
	int fd;
	uint32_t handle;
	uint64_t size;
	uint64_t addr;
	int injected;		/* fail_nth was consumed: a fault was injected */
};

static int fail_nth_arm(unsigned int nth)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", nth);
	return vm_write_file("/proc/thread-self/fail-nth", val);
}

/* 1 if the armed fault was injected (counter reached 0), else 0. */
static int fail_nth_disarm(void)
{
	char val[16];
	int injected;

	if (vm_read_file("/proc/thread-self/fail-nth", val, sizeof(val)) < 0)
		return -EIO;
	injected = atoi(val) == 0;
	vm_write_file("/proc/thread-self/fail-nth", "0");
	return injected;
}

static int op_alloc(const struct op *op, struct reply *r)
{
	void *addr;
	int ret;

	switch (op->kind) {
	case OP_DUMB:
		return vm_dumb_create(op->fd, op->width, op->height, op->bpp,
				      &r->handle, &r->size);
	case OP_VIRTGPU:
		return vm_virtgpu_create(op->fd, op->target, op->width,
					 op->height, op->depth, &r->handle);
	case OP_EXPORT:
		return vm_prime_export(op->fd, op->handle, &r->fd);
	case OP_IMPORT:
		return vm_prime_import(op->fd, op->dmabuf, &r->handle);
	case OP_HEAP:
		return vm_heap_alloc(op->size, &r->fd);
	case OP_UDMABUF:
		return vm_udmabuf_create(op->size, &r->fd);
	case OP_MAP_DUMB:
		ret = vm_dumb_map(op->fd, op->handle, op->size, &addr);
		break;
	case OP_MAP_DMABUF:
		ret = vm_dmabuf_map(op->fd, op->size, &addr);
		break;
	default:
		return -EINVAL;
	}
	r->addr = ret ? 0 : (uint64_t)(uintptr_t)addr;
	return ret;
}

static int op_exec(const struct op *op, struct reply *r)
{
	int ret;

	switch (op->kind) {
	case OP_OPEN:
		r->fd = vm_drm_open(op->path);
		return r->fd < 0 ? r->fd : 0;
	case OP_CLOSE:
		return close(op->fd) ? -errno : 0;
	case OP_DUP:
		r->fd = dup(op->fd);
		return r->fd < 0 ? -errno : 0;
	case OP_GEM_CLOSE:
		return vm_gem_close(op->fd, op->handle);
	case OP_UNMAP:
		return munmap((void *)(uintptr_t)op->addr, op->size) ? -errno : 0;
	default:
		break;
	}
	if (op->fail_nth) {
		ret = fail_nth_arm(op->fail_nth);
		if (ret)
			return ret;
	}
	ret = op_alloc(op, r);
	if (op->fail_nth)
		r->injected = fail_nth_disarm();
	return ret;
}

/* A holder: execute operations from the socket until OP_EXIT or EOF. */
static void __attribute__((noreturn)) holder_loop(int sock)
{
	struct reply r;
	struct op op;
	int passed;

	while (!vm_recv(sock, &op, sizeof(op), &passed) && op.kind != OP_EXIT) {
		memset(&r, 0, sizeof(r));
		if (op.kind == OP_TAKE_FD)
			r.fd = passed;
		else if (op.kind != OP_GIVE_FD)
			r.ret = op_exec(&op, &r);
		if (vm_send(sock, &r, sizeof(r), op.kind == OP_GIVE_FD ? op.fd : -1))
			break;
	}
	_exit(0);
}

/* ---- the model ----------------------------------------------------------- */

struct proc {
	pid_t pid;
	int sock;		/* -1: the workload itself or a stress process */
	int exited;
};

struct client {
	int proc;		/* the process whose fd the model uses */
	int owner;		/* drm_file->pid: who the kernel charges */
	int master;		/* was DRM master: the owner never changes */
	int fd;
	int gpu;
	int open;
	unsigned int held;	/* bit per process holding an fd of the file */
	int fdinfo;		/* the driver prints drm-* keys (not vgem) */
};

struct bo {
	int gpu;
	uint64_t size;
	uint32_t handle[MAX_CLIENTS];	/* 0: no handle in that client */
	int nhandles;
	int dma_buf;		/* the kernel's obj->dma_buf is set; -1: unknown */
	int dbuf;		/* its dma-buf, -1 if never exported */
	int nmaps;
	int live;
	int lazy;		/* vgem: pages attached only while mapped */
	int import_of;		/* -1, or the foreign dma-buf it imports */
};

struct dbuf {
	uint64_t size;
	int bo;			/* -1: dma-heap or udmabuf */
	int nfds;
	int nmaps;
	int nimports;		/* objects of other devices importing it */
};

struct dfd {
	int proc;
	int fd;
	int dbuf;
	int open;
};

struct map {
	int proc;
	uint64_t addr;
	uint64_t size;
	int bo;			/* -1 or mapped GEM object */
	int dbuf;		/* -1 or mapped dma-buf */
	int live;
};

static struct model {
	pthread_mutex_t lock;
	struct proc procs[MAX_PROCS];
	struct client clients[MAX_CLIENTS];
	struct bo bos[MAX_BOS];
	struct dbuf dbufs[MAX_DBUFS];
	struct dfd dfds[MAX_DFDS];
	struct map maps[MAX_MAPS];
	int nprocs, nclients, nbos, ndbufs, ndfds, nmaps;
	unsigned int step;
	int sync;
	uint64_t seed;
} m = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void lock(void)
{
	pthread_mutex_lock(&m.lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&m.lock);
}

static void __attribute__((noreturn)) die(const char *what, int err)
{
	printf("# workload: %s: %s\n", what, strerror(-err));
	fflush(stdout);
	exit(1);
}

/* Run op in process p; pass_fd (or -1) travels with it to a holder. */
static int act(int p, struct op *op, int pass_fd, struct reply *r)
{
	int sock = m.procs[p].sock;
	int ret, got = -1;

	memset(r, 0, sizeof(*r));
	if (sock < 0) {
		if (op->kind == OP_TAKE_FD)
			return -EINVAL;
		r->ret = op_exec(op, r);
		return r->ret;
	}
	ret = vm_send(sock, op, sizeof(*op), pass_fd);
	if (!ret)
		ret = vm_recv(sock, r, sizeof(*r), &got);
	if (ret)
		die("talking to a holder", ret);
	if (got >= 0)
		r->fd = got;	/* OP_GIVE_FD: our copy of the holder's fd */
	return r->ret;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned int rnd(uint64_t *s, unsigned int n)
{
	return (unsigned int)(rng_next(s) % n);
}

static void shuffle(int *v, int n, uint64_t *s)
{
	int i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = (int)rnd(s, (unsigned int)i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

static int dbuf_held(const struct dbuf *d)
{
	return d->nfds + d->nmaps + d->nimports > 0;
}

static void dbuf_refresh(int d);

/* The kernel frees a GEM object when no handle, mapping or dma-buf is left. */
static void bo_refresh(struct bo *b)
{
	if (!b->nhandles)
		b->dma_buf = 0;
	b->live = b->nhandles || b->nmaps ||
		  (b->dbuf >= 0 && dbuf_held(&m.dbufs[b->dbuf]));
}

static void bo_drop_handle(int b, int c)
{
	struct bo *bo = &m.bos[b];

	if (!bo->handle[c])
		return;
	bo->handle[c] = 0;
	bo->nhandles--;
	bo_refresh(bo);
	/* an import holds its dma-buf until it is freed */
	if (!bo->live && bo->import_of >= 0) {
		m.dbufs[bo->import_of].nimports--;
		dbuf_refresh(bo->import_of);
		bo->import_of = -1;
	}
}

static void dbuf_refresh(int d)
{
	int b = m.dbufs[d].bo;

	if (b >= 0)
		bo_refresh(&m.bos[b]);
}

/* ---- truth ---------------------------------------------------------------- */

/*
 * Whether process p is charged for b: a file's handles are charged to the
 * file's owner (drm_file->pid), and follow it when it changes.
 */
static int bo_held_by(const struct bo *b, int p)
{
	int c;

	for (c = 0; c < m.nclients; c++) {
		if (b->handle[c] && m.clients[c].owner == p)
			return 1;
	}
	return 0;
}

static uint64_t truth_gpu(int gpu, int p)
{
	uint64_t sum = 0;
	int b;

	/*
	 * The device total is the pages attached to the device's objects; a
	 * process total the native objects it holds.  Imports are neither:
	 * their memory is the exporter's.
	 */
	for (b = 0; b < m.nbos; b++) {
		const struct bo *o = &m.bos[b];

		if (!o->live || o->gpu != gpu || o->import_of >= 0)
			continue;
		if (p < 0 ? !o->lazy || o->nmaps : bo_held_by(o, p))
			sum += o->size;
	}
	return sum;
}

/* Whether the kernel counts b as shared in fdinfo (drm-shared-*). */
static int bo_shared(const struct bo *b)
{
	return b->nhandles > 1 || b->dma_buf;
}

/* drm-total-memory of client c: the objects with a handle in it. */
static uint64_t client_bytes(int c)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < m.nbos; i++)
		total += m.bos[i].handle[c] ? m.bos[i].size : 0;
	return total;
}

static void truth_client(int c)
{
	uint64_t total = client_bytes(c), shared = 0;
	const struct bo *b;
	int i, unknown = 0;

	for (i = 0; i < m.nbos; i++) {
		b = &m.bos[i];
		if (!b->handle[c])
			continue;
		if (b->dma_buf < 0 && b->nhandles == 1)
			unknown = 1;
		if (bo_shared(b))
			shared += b->size;
	}
	printf("truth step=%u client pid=%d fd=%d gpu=%d total=%llu shared=%lld\n",
	       m.step, (int)m.procs[m.clients[c].proc].pid, m.clients[c].fd,
	       m.clients[c].gpu, (unsigned long long)total,
	       unknown ? -1LL : (long long)shared);
}

static void truth_dmabuf(int p)
{
	static char has_fd[MAX_DBUFS], has_map[MAX_DBUFS];
	uint64_t fds = 0, maps = 0;
	int d, i;

	memset(has_fd, 0, sizeof(has_fd));
	memset(has_map, 0, sizeof(has_map));
	for (i = 0; i < m.ndfds; i++) {
		if (m.dfds[i].open && m.dfds[i].proc == p)
			has_fd[m.dfds[i].dbuf] = 1;
	}
	for (i = 0; i < m.nmaps; i++) {
		if (m.maps[i].live && m.maps[i].proc == p && m.maps[i].dbuf >= 0)
			has_map[m.maps[i].dbuf] = 1;
	}
	for (d = 0; d < m.ndbufs; d++) {
		fds += has_fd[d] ? m.dbufs[d].size : 0;
		maps += has_map[d] ? m.dbufs[d].size : 0;
	}
	printf("truth step=%u dmabuf pid=%d fds=%llu maps=%llu\n", m.step,
	       (int)m.procs[p].pid, (unsigned long long)fds,
	       (unsigned long long)maps);
}

/* Bit per process holding dma-buf d by fd or mapping. */
static unsigned int dbuf_holders(int d)
{
	unsigned int held = 0;
	int i;

	for (i = 0; i < m.ndfds; i++) {
		if (m.dfds[i].open && m.dfds[i].dbuf == d)
			held |= 1u << m.dfds[i].proc;
	}
	for (i = 0; i < m.nmaps; i++) {
		if (m.maps[i].live && m.maps[i].dbuf == d)
			held |= 1u << m.maps[i].proc;
	}
	return held;
}

/* What process p gets of an object of size bytes held by the set held. */
struct share {
	uint64_t rss, pss;
	unsigned int spare;	/* objects whose division leaves a remainder */
};

static void share_add(struct share *s, int p, unsigned int held,
		      uint64_t bytes)
{
	unsigned int n = (unsigned int)__builtin_popcount(held);

	if (!(held & 1u << p))
		return;
	s->rss += bytes;
	s->pss += bytes / n;
	s->spare += bytes % n != 0;
}

static uint64_t client_shared(int c)
{
	uint64_t shared = 0;
	int i;

	for (i = 0; i < m.nbos; i++)
		shared += m.bos[i].handle[c] && bo_shared(&m.bos[i]) ?
			  m.bos[i].size : 0;
	return shared;
}

/* The shared pool of a GPU: its total less every file's private bytes. */
struct pool {
	uint64_t total, priv, shared, bytes;
};

static struct pool gpu_pool(int gpu)
{
	struct pool pl = { .total = truth_gpu(gpu, -1) };
	uint64_t rest;
	int c;

	for (c = 0; c < m.nclients; c++) {
		if (!m.clients[c].open || m.clients[c].gpu != gpu)
			continue;
		pl.shared += client_shared(c);
		pl.priv += client_bytes(c) - client_shared(c);
	}
	rest = pl.total > pl.priv ? pl.total - pl.priv : 0;
	pl.bytes = rest < pl.shared ? rest : pl.shared;
	return pl;
}

/*
 * Process p on gpu in gpumem's model (docs/model.md, GPU shares): with an
 * exact device total (rss, pss) and without one (the bounds), and the
 * collector's figure.  A client's share is its private bytes plus the pool
 * split by its shared bytes, rounded either way, then split among its
 * holders: spare counts the bytes gpumem may give p above the floor.
 */
static void truth_gpushare(int p, int gpu, const struct pool *pool)
{
	const struct pool pl = *pool;
	struct share x = { 0 }, b = { 0 };
	uint64_t priv = 0, shared = 0, share, rss;
	int c;

	for (c = 0; c < m.nclients; c++) {
		unsigned int held = m.clients[c].held;
		uint64_t sh = client_shared(c);

		if (!m.clients[c].open || m.clients[c].gpu != gpu ||
		    !(held & 1u << p))
			continue;
		share = client_bytes(c) - sh;
		if (sh)
			share += (uint64_t)((unsigned __int128)pl.bytes * sh /
					    pl.shared);
		share_add(&x, p, held, share);
		x.spare += sh ? 1 : 0;
		share_add(&b, p, held, client_bytes(c));
		priv += client_bytes(c) - sh;
		shared += sh;
	}
	rss = priv + (shared < pl.bytes ? shared : pl.bytes);
	printf("truth step=%u gpushare pid=%d gpu=%d rss=%llu pss=%llu "
	       "spare=%u rss_bound=%llu pss_bound=%llu spare_bound=%u "
	       "rss_tp=%llu\n", m.step, (int)m.procs[p].pid, gpu,
	       (unsigned long long)(rss < pl.total ? rss : pl.total),
	       (unsigned long long)x.pss, x.spare,
	       (unsigned long long)(priv + shared), (unsigned long long)b.pss,
	       b.spare, (unsigned long long)truth_gpu(gpu, p));
}

/*
 * gpumem's model of dma-bufs: each once, split equally among the processes
 * holding it.  The remainder of a division goes, a byte each, to holders
 * the workload cannot name (gpumem's /proc order): pss is rounded down,
 * spare says by how many bytes it may be short.
 */
static void truth_gpumem(void)
{
	static unsigned int dheld[MAX_DBUFS];
	uint64_t clients = 0, dmabufs = 0;
	struct share d;
	int c, i, p;

	for (c = 0; c < m.nclients; c++)
		clients += m.clients[c].open ? client_bytes(c) : 0;
	for (i = 0; i < m.ndbufs; i++) {
		dheld[i] = dbuf_holders(i);
		dmabufs += dheld[i] ? m.dbufs[i].size : 0;
	}
	for (p = 0; p < m.nprocs; p++) {
		d = (struct share){ 0 };
		for (i = 0; i < m.ndbufs; i++)
			share_add(&d, p, dheld[i], m.dbufs[i].size);
		printf("truth step=%u gpumem pid=%d dmabuf_rss=%llu "
		       "dmabuf_pss=%llu dmabuf_spare=%u\n", m.step,
		       (int)m.procs[p].pid, (unsigned long long)d.rss,
		       (unsigned long long)d.pss, d.spare);
	}
	printf("truth step=%u gpumem-total dmabuf=%llu clients=%llu\n", m.step,
	       (unsigned long long)dmabufs, (unsigned long long)clients);
}

/*
 * An exited process whose pid another process of the scenario has now: the
 * tracepoint's key is the live one's (the kernel stops emitting for the
 * dead owner once its number is reused).
 */
static int pid_reused(int p)
{
	int q;

	for (q = 0; m.procs[p].exited && q < m.nprocs; q++) {
		if (q != p && !m.procs[q].exited && m.procs[q].pid == m.procs[p].pid)
			return 1;
	}
	return 0;
}

static int gpu_known(int gpu, int upto)
{
	int c;

	for (c = 0; c < upto; c++) {
		if (m.clients[c].gpu == gpu)
			return 1;
	}
	return 0;
}

static void truth_print(void)
{
	struct pool pl;
	int c, p, gpu;

	for (c = 0; c < m.nclients; c++) {
		gpu = m.clients[c].gpu;
		if (gpu_known(gpu, c))
			continue;
		pl = gpu_pool(gpu);
		printf("truth step=%u gpu=%d pid=0 bytes=%llu\n", m.step, gpu,
		       (unsigned long long)truth_gpu(gpu, -1));
		for (p = 0; p < m.nprocs; p++) {
			if (pid_reused(p))
				continue;
			printf("truth step=%u gpu=%d pid=%d bytes=%llu\n", m.step,
			       gpu, (int)m.procs[p].pid,
			       (unsigned long long)truth_gpu(gpu, p));
			truth_gpushare(p, gpu, &pl);
		}
	}
	for (c = 0; c < m.nclients; c++) {
		if (m.clients[c].open && m.clients[c].fdinfo)
			truth_client(c);
	}
	for (p = 0; p < m.nprocs; p++)
		truth_dmabuf(p);
	truth_gpumem();
}

/* Print the truth of this step; with --sync wait for the checker. */
static void step(const char *what)
{
	char ack;

	lock();
	truth_print();
	printf("end step=%u what=%s\n", m.step, what);
	fflush(stdout);
	m.step++;
	unlock();
	if (m.sync && read(STDIN_FILENO, &ack, 1) != 1)
		die("waiting for the checker", -EPIPE);
}

/* ---- actions that keep the model --------------------------------------- */

static int new_slot(int *n, int max)
{
	if (*n == max)
		die("model table full", -ENOSPC);
	return (*n)++;
}

static int wl_spawn(void)
{
	int sv[2], p;
	pid_t pid;

	if (m.nclients || m.ndfds)
		die("holders must be spawned before any allocation", -EBUSY);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair", -errno);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (!pid) {
		close(sv[0]);
		holder_loop(sv[1]);
	}
	close(sv[1]);
	p = new_slot(&m.nprocs, MAX_PROCS);
	m.procs[p] = (struct proc){ .pid = pid, .sock = sv[0] };
	return p;
}

/*
 * Fork until a child gets the pid of exited process p, bounded by pid_max
 * (the test lowers it), and make that child a holder.  The workload itself
 * must hold no DRM or dma-buf fd: the child inherits its fds.
 */
static int wl_spawn_as(int p)
{
	pid_t want = m.procs[p].pid, pid = -1;
	int sv[2], i, tries, q;
	char max[16] = "";

	for (i = 0; i < m.nclients; i++) {
		if (m.clients[i].open && m.clients[i].held & 1u)
			die("the workload holds a DRM file a child would inherit", -EBUSY);
	}
	for (i = 0; i < m.ndfds; i++) {
		if (m.dfds[i].open && !m.dfds[i].proc)
			die("the workload holds a dma-buf a child would inherit", -EBUSY);
	}
	if (!m.procs[p].exited)
		die("the pid to reuse is still taken", -EBUSY);
	vm_read_file("/proc/sys/kernel/pid_max", max, sizeof(max));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair", -errno);
	fflush(stdout);
	for (tries = 0; tries < 2 * atoi(max) + 2 && pid != want; tries++) {
		pid = fork();
		if (pid < 0)
			die("fork", -errno);
		if (!pid && getpid() != want)
			_exit(0);
		if (!pid) {
			close(sv[0]);
			holder_loop(sv[1]);
		}
		if (pid != want && waitpid(pid, NULL, 0) < 0)
			die("waitpid", -errno);
	}
	close(sv[1]);
	if (pid != want)
		die("the pid did not come back within 2 * pid_max forks", -EAGAIN);
	printf("# pid %d came back after %d forks\n", (int)want, tries);
	q = new_slot(&m.nprocs, MAX_PROCS);
	m.procs[q] = (struct proc){ .pid = pid, .sock = sv[0] };
	return q;
}

/* The first open of a primary node with no master becomes DRM master. */
static int opens_master(int gpu, const char *path)
{
	int c;

	if (!strstr(path, "/card"))
		return 0;
	for (c = 0; c < m.nclients; c++) {
		if (m.clients[c].open && m.clients[c].gpu == gpu &&
		    m.clients[c].master)
			return 0;
	}
	return 1;
}

/*
 * The process of client c issued an ioctl on it: drm_file_update_pid()
 * makes it the file's owner, and the file's charges move with it, unless
 * the file was ever DRM master.
 */
static void client_ioctl(int c)
{
	lock();
	if (!m.clients[c].master)
		m.clients[c].owner = m.clients[c].proc;
	unlock();
}

static int wl_open(int p, const char *path)
{
	struct op op = { .kind = OP_OPEN };
	struct reply r;
	int c, fd, gpu;

	snprintf(op.path, sizeof(op.path), "%s", path);
	if (act(p, &op, -1, &r))
		die(path, r.ret);
	/* All nodes here belong to one device: ask it from this process. */
	fd = vm_drm_open(path);
	gpu = fd < 0 ? fd : vm_drm_gpu_index(fd);
	if (fd >= 0)
		close(fd);
	if (gpu < 0)
		die("gpu index", gpu);
	lock();
	c = new_slot(&m.nclients, MAX_CLIENTS);
	m.clients[c] = (struct client){ .proc = p, .owner = p, .fd = r.fd,
					.gpu = gpu, .open = 1, .held = 1u << p,
					.master = opens_master(gpu, path),
					.fdinfo = !vm_gpu_is(gpu, "vgem") };
	unlock();
	return c;
}

static void wl_close(int c)
{
	struct op op = { .kind = OP_CLOSE, .fd = m.clients[c].fd };
	struct reply r;
	int b;

	if (act(m.clients[c].proc, &op, -1, &r))
		die("close", r.ret);
	if (m.clients[c].held != 1u << m.clients[c].proc)
		die("closing a DRM file other processes hold", -EBUSY);
	lock();
	m.clients[c].open = 0;
	m.clients[c].held = 0;
	for (b = 0; b < m.nbos; b++)
		bo_drop_handle(b, c);
	unlock();
}

static uint64_t expected_size(const struct op *op)
{
	if (op->kind == OP_DUMB)
		return VM_PAGE_ALIGN((uint64_t)op->width * 4 * op->height);
	return VM_PAGE_ALIGN((uint64_t)op->width * op->height * 4);
}

/*
 * Create a buffer in client c: OP_DUMB (card node) or OP_VIRTGPU (any
 * node).  Returns the object's index, or the negative errno of a failure,
 * which leaves the model unchanged.
 */
static int wl_create_op(int c, struct op *op, int *injected)
{
	struct reply r;
	int b;

	op->fd = m.clients[c].fd;
	act(m.clients[c].proc, op, -1, &r);
	client_ioctl(c);
	if (injected)
		*injected = r.injected;
	if (r.ret)
		return r.ret;
	if (op->kind == OP_DUMB && r.size != expected_size(op))
		die("dumb buffer size differs from PAGE_ALIGN(w*4*h)", -EPROTO);
	lock();
	b = new_slot(&m.nbos, MAX_BOS);
	m.bos[b] = (struct bo){ .gpu = m.clients[c].gpu, .size = expected_size(op),
				.nhandles = 1, .dbuf = -1, .live = 1,
				.lazy = !m.clients[c].fdinfo, .import_of = -1 };
	m.bos[b].handle[c] = r.handle;
	unlock();
	return b;
}

static int wl_create(int c, enum op_kind kind, uint32_t width, uint32_t height)
{
	struct op op = {
		.kind = kind, .width = width, .height = height, .bpp = 32,
		.target = 2, .depth = 1,
	};
	int b = wl_create_op(c, &op, NULL);

	if (b < 0)
		die("create", b);
	return b;
}

static void wl_gem_close(int b, int c)
{
	struct op op = { .kind = OP_GEM_CLOSE, .fd = m.clients[c].fd };
	struct reply r;

	lock();
	op.handle = m.bos[b].handle[c];
	unlock();
	if (act(m.clients[c].proc, &op, -1, &r))
		die("gem close", r.ret);
	client_ioctl(c);
	lock();
	bo_drop_handle(b, c);
	unlock();
}

static int add_dfd(int p, int fd, int d)
{
	int i = new_slot(&m.ndfds, MAX_DFDS);

	m.dfds[i] = (struct dfd){ .proc = p, .fd = fd, .dbuf = d, .open = 1 };
	m.dbufs[d].nfds++;
	return i;
}

/* PRIME-export bo b from client c; returns the new dma-buf fd's index. */
static int wl_export_op(int b, int c, unsigned int fail_nth, int *injected)
{
	struct op op = {
		.kind = OP_EXPORT, .fd = m.clients[c].fd,
		.handle = m.bos[b].handle[c], .fail_nth = fail_nth,
	};
	struct bo *bo = &m.bos[b];
	struct reply r;
	int i;

	act(m.clients[c].proc, &op, -1, &r);
	client_ioctl(c);
	if (injected)
		*injected = r.injected;
	if (r.ret && r.injected && !bo->dma_buf)
		bo->dma_buf = -1;	/* a failed export may leave it set */
	if (r.ret)
		return r.ret;
	lock();
	/* the kernel reuses obj->dma_buf, set from export or import on */
	if (bo->dma_buf <= 0) {
		bo->dbuf = new_slot(&m.ndbufs, MAX_DBUFS);
		m.dbufs[bo->dbuf] = (struct dbuf){ .size = bo->size, .bo = b };
	}
	bo->dma_buf = 1;
	i = add_dfd(m.clients[c].proc, r.fd, bo->dbuf);
	unlock();
	return i;
}

static int wl_export(int b, int c)
{
	int i = wl_export_op(b, c, 0, NULL);

	if (i < 0)
		die("export", i);
	return i;
}

/*
 * The object a foreign dma-buf d became in client c: the same one for a
 * second import into that file, else a new one, which holds d until it is
 * freed.
 */
static int foreign_import(int d, int c, uint32_t handle)
{
	int b;

	for (b = 0; b < m.nbos; b++) {
		if (m.bos[b].live && m.bos[b].import_of == d &&
		    m.bos[b].handle[c] == handle)
			return b;
	}
	if (m.clients[c].fdinfo)
		die("a foreign dma-buf was imported into virtio-gpu", -EPROTO);
	b = new_slot(&m.nbos, MAX_BOS);
	m.bos[b] = (struct bo){ .gpu = m.clients[c].gpu, .size = m.dbufs[d].size,
				.dbuf = -1, .live = 1, .import_of = d };
	m.dbufs[d].nimports++;
	return b;
}

/* PRIME-import dma-buf fd i into client c (same process). */
static int wl_import_op(int i, int c, unsigned int fail_nth, int *injected)
{
	struct op op = {
		.kind = OP_IMPORT, .fd = m.clients[c].fd, .dmabuf = m.dfds[i].fd,
		.fail_nth = fail_nth,
	};
	int b = m.dbufs[m.dfds[i].dbuf].bo;
	struct reply r;

	act(m.clients[c].proc, &op, -1, &r);
	client_ioctl(c);
	if (injected)
		*injected = r.injected;
	if (r.ret)
		return r.ret;
	lock();
	if (b < 0 || m.bos[b].gpu != m.clients[c].gpu)
		b = foreign_import(m.dfds[i].dbuf, c, r.handle);
	if (m.bos[b].handle[c] && m.bos[b].handle[c] != r.handle)
		die("re-import returned a second handle", -EPROTO);
	if (!m.bos[b].handle[c])
		m.bos[b].nhandles++;
	m.bos[b].handle[c] = r.handle;
	m.bos[b].dma_buf = 1;
	bo_refresh(&m.bos[b]);
	unlock();
	return 0;
}

static void wl_import(int i, int c)
{
	int ret = wl_import_op(i, c, 0, NULL);

	if (ret)
		die("import", ret);
}

/* Pass dma-buf fd i to holder p (SCM_RIGHTS); returns the new fd's index. */
static int wl_pass(int i, int p)
{
	struct op op = { .kind = OP_TAKE_FD };
	struct reply r;
	int j;

	act(p, &op, m.dfds[i].fd, &r);
	lock();
	j = add_dfd(p, r.fd, m.dfds[i].dbuf);
	unlock();
	return j;
}

/*
 * Hand DRM file c over to holder p (SCM_RIGHTS) and close the sender's fd:
 * the file and all its charges stay with the sender until p issues its
 * first ioctl on it (drm_file_update_pid()), then they are p's.
 */
static void wl_pass_client(int c, int p)
{
	struct op give = { .kind = OP_GIVE_FD, .fd = m.clients[c].fd };
	struct op op = { .kind = OP_TAKE_FD };
	struct op cl = { .kind = OP_CLOSE, .fd = m.clients[c].fd };
	int from = m.clients[c].proc, fd = m.clients[c].fd;
	struct reply r, closed;

	/* a holder's fd goes through us: we issue no ioctl on it */
	if (m.procs[from].sock >= 0) {
		act(from, &give, -1, &r);
		fd = r.fd;
	}
	act(p, &op, fd, &r);
	if (fd != m.clients[c].fd)
		close(fd);
	if (act(from, &cl, -1, &closed))
		die("close passed drm fd", closed.ret);
	lock();
	m.clients[c].proc = p;
	m.clients[c].fd = r.fd;
	m.clients[c].held = 1u << p;
	unlock();
}

/*
 * Give holder p an fd of DRM file c (SCM_RIGHTS), the sender keeping its
 * own.  p issues no ioctl on it, so drm_file->pid, and with it every
 * charge, stays with the sender.
 */
static void wl_share_client(int c, int p)
{
	struct op op = { .kind = OP_TAKE_FD };
	struct reply r;

	act(p, &op, m.clients[c].fd, &r);
	lock();
	m.clients[c].held |= 1u << p;
	unlock();
}

static void wl_close_dfd(int i)
{
	struct op op = { .kind = OP_CLOSE, .fd = m.dfds[i].fd };
	struct reply r;

	if (act(m.dfds[i].proc, &op, -1, &r))
		die("close dma-buf", r.ret);
	lock();
	m.dfds[i].open = 0;
	m.dbufs[m.dfds[i].dbuf].nfds--;
	dbuf_refresh(m.dfds[i].dbuf);
	unlock();
}

/* A dma-heap (OP_HEAP) or udmabuf (OP_UDMABUF) buffer in process p. */
static int wl_dmabuf(int p, enum op_kind kind, uint64_t size)
{
	struct op op = { .kind = kind, .size = size };
	struct reply r;
	int d, i;

	if (act(p, &op, -1, &r))
		die(kind == OP_HEAP ? "dma-heap alloc" : "udmabuf", r.ret);
	lock();
	d = new_slot(&m.ndbufs, MAX_DBUFS);
	m.dbufs[d] = (struct dbuf){ .size = size, .bo = -1 };
	i = add_dfd(p, r.fd, d);
	unlock();
	return i;
}

static int add_map(int p, uint64_t addr, uint64_t size, int b, int d)
{
	int i = new_slot(&m.nmaps, MAX_MAPS);

	m.maps[i] = (struct map){ .proc = p, .addr = addr, .size = size,
				  .bo = b, .dbuf = d, .live = 1 };
	return i;
}

/* mmap bo b through client c (MODE_MAP_DUMB). */
static int wl_map_bo(int b, int c)
{
	struct op op = {
		.kind = OP_MAP_DUMB, .fd = m.clients[c].fd,
		.handle = m.bos[b].handle[c], .size = m.bos[b].size,
	};
	struct reply r;
	int i;

	if (act(m.clients[c].proc, &op, -1, &r))
		die("map dumb", r.ret);
	client_ioctl(c);
	lock();
	m.bos[b].nmaps++;
	i = add_map(m.clients[c].proc, r.addr, op.size, b, -1);
	unlock();
	return i;
}

static int wl_map_dfd(int i)
{
	int d = m.dfds[i].dbuf;
	struct op op = {
		.kind = OP_MAP_DMABUF, .fd = m.dfds[i].fd, .size = m.dbufs[d].size,
	};
	struct reply r;
	int j;

	if (act(m.dfds[i].proc, &op, -1, &r))
		die("map dma-buf", r.ret);
	lock();
	m.dbufs[d].nmaps++;
	j = add_map(m.dfds[i].proc, r.addr, op.size, -1, d);
	unlock();
	return j;
}

static void map_gone(struct map *mp)
{
	mp->live = 0;
	if (mp->bo >= 0) {
		m.bos[mp->bo].nmaps--;
		bo_refresh(&m.bos[mp->bo]);
	} else {
		m.dbufs[mp->dbuf].nmaps--;
		dbuf_refresh(mp->dbuf);
	}
}

static void wl_unmap(int i)
{
	struct op op = { .kind = OP_UNMAP, .addr = m.maps[i].addr,
			 .size = m.maps[i].size };
	struct reply r;

	if (act(m.maps[i].proc, &op, -1, &r))
		die("munmap", r.ret);
	lock();
	map_gone(&m.maps[i]);
	unlock();
}

/* Holder p exits holding whatever it holds; the kernel must clean up. */
static void wl_exit(int p)
{
	struct op op = { .kind = OP_EXIT };
	int i, b, status;

	if (vm_send(m.procs[p].sock, &op, sizeof(op), -1) ||
	    waitpid(m.procs[p].pid, &status, 0) < 0)
		die("holder exit", -errno);
	close(m.procs[p].sock);
	lock();
	m.procs[p].exited = 1;
	for (i = 0; i < m.nclients; i++) {
		if (!m.clients[i].open || !(m.clients[i].held & 1u << p))
			continue;
		m.clients[i].held &= ~(1u << p);
		if (m.clients[i].held && m.clients[i].proc == p)
			die("the model's fd of a shared DRM file exited", -EBUSY);
		if (m.clients[i].held)
			continue;
		m.clients[i].open = 0;
		for (b = 0; b < m.nbos; b++)
			bo_drop_handle(b, i);
	}
	for (i = 0; i < m.ndfds; i++) {
		if (m.dfds[i].proc == p && m.dfds[i].open) {
			m.dfds[i].open = 0;
			m.dbufs[m.dfds[i].dbuf].nfds--;
			dbuf_refresh(m.dfds[i].dbuf);
		}
	}
	for (i = 0; i < m.nmaps; i++) {
		if (m.maps[i].proc == p && m.maps[i].live)
			map_gone(&m.maps[i]);
	}
	unlock();
}

/* Close every handle of client c in random order, one step each. */
static void free_all_random(int c, const char *what)
{
	int order[MAX_BOS], n = 0, b;

	for (b = 0; b < m.nbos; b++) {
		if (m.bos[b].handle[c])
			order[n++] = b;
	}
	shuffle(order, n, &m.seed);
	for (b = 0; b < n; b++) {
		wl_gem_close(order[b], c);
		step(what);
	}
}

/* ---- scenarios ------------------------------------------------------------ */

/* Dumb buffers of odd sizes, a mapping outliving its handle. */
static void scenario_basic(void)
{
	int c, big, mp;

	c = wl_open(0, VM_CARD);
	step("open");
	big = wl_create(c, OP_DUMB, 256, 256);
	step("dumb 256x256");
	wl_create(c, OP_DUMB, 100, 37);
	step("dumb 100x37");
	wl_create(c, OP_DUMB, 1, 1);
	step("dumb 1x1");
	wl_create(c, OP_DUMB, 640, 480);
	step("dumb 640x480");
	mp = wl_map_bo(big, c);
	step("map");
	wl_gem_close(big, c);
	step("close mapped handle");
	wl_unmap(mp);
	step("unmap");
	free_all_random(c, "free");
	wl_create(c, OP_DUMB, 64, 64);
	wl_create(c, OP_DUMB, 32, 32);
	step("two more");
	wl_close(c);
	step("close fd with buffers");
}

/* A holder h, and three files here: card twice, then render. */
static int three_files(int *c0, int *c1, int *c2)
{
	int h = wl_spawn();

	*c0 = wl_open(0, VM_CARD);
	*c1 = wl_open(0, VM_CARD);
	*c2 = wl_open(0, VM_RENDER);
	return h;
}

/* PRIME export, import in other files and another process via SCM_RIGHTS. */
static void scenario_prime(void)
{
	int h, c0, c1, c2, hc, b, d, hd;

	h = three_files(&c0, &c1, &c2);
	hc = wl_open(h, VM_CARD);
	step("open");
	b = wl_create(c0, OP_DUMB, 512, 512);
	wl_create(c2, OP_VIRTGPU, 64, 64);
	step("create");
	d = wl_export(b, c0);
	step("export");
	wl_import(d, c1);
	step("import in 2nd card fd");
	wl_import(d, c2);
	step("import in render fd");
	wl_import(d, c0);
	step("re-import in exporter");
	hd = wl_pass(d, h);
	step("pass fd to holder");
	wl_import(hd, hc);
	step("holder imports");
	wl_close_dfd(d);
	step("close own dma-buf fd");
	wl_gem_close(b, c0);
	wl_gem_close(b, c1);
	step("close 2 of 3 own handles");
	wl_gem_close(b, c2);
	step("close last own handle");
	wl_gem_close(b, hc);
	step("holder closes handle, keeps fd");
	wl_import(hd, hc);
	step("holder re-imports");
	wl_close_dfd(hd);
	wl_gem_close(b, hc);
	step("holder drops all");
	wl_close(c2);
	step("close render fd");
	wl_exit(h);
	step("holder exits");
}

/*
 * One buffer in three files of one process and in a file of another: the
 * demo's "process above its device" (docs/model.md, GPU shares).
 */
static void scenario_overlap(void)
{
	int h, c0, c1, c2, hc, b, d, hd;

	h = three_files(&c0, &c1, &c2);
	hc = wl_open(h, VM_RENDER);
	/* dumb buffers need the master; render nodes allow virtio-gpu's */
	b = wl_create(c0, OP_DUMB, 512, 512);
	wl_create(c2, OP_VIRTGPU, 256, 256);
	wl_create(hc, OP_VIRTGPU, 128, 128);
	step("private buffers in two processes");
	d = wl_export(b, c0);
	wl_import(d, c1);
	wl_import(d, c2);
	step("one buffer in three files of one process");
	hd = wl_pass(d, h);
	wl_import(hd, hc);
	step("and in a file of another process");
	wl_close_dfd(d);
	wl_close_dfd(hd);
	step("dma-buf fds closed, handles kept");
	wl_close(c1);
	step("one of the three files closed");
	wl_exit(h);
	step("the other process exits");
	wl_close(c2);
	wl_close(c0);
	step("all closed");
}

struct worker {
	pthread_t thread;
	int client;
	enum op_kind kind;
	int nbufs;
	uint64_t seed;
	pthread_barrier_t *barrier;
	int bos[8];
};

/* Create nbufs buffers, wait, free them in random order. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < w->nbufs; i++)
		w->bos[i] = wl_create(w->client, w->kind, 16 + rnd(&w->seed, 300),
				      1 + rnd(&w->seed, 100));
	pthread_barrier_wait(w->barrier);	/* created */
	pthread_barrier_wait(w->barrier);	/* step printed */
	shuffle(w->bos, w->nbufs, &w->seed);
	for (i = 0; i < w->nbufs; i++)
		wl_gem_close(w->bos[i], w->client);
	return NULL;
}

/* One process, the device opened 5 times, 8 threads allocating at once. */
static void scenario_multi(void)
{
	const char *nodes[] = { VM_CARD, VM_RENDER, VM_CARD, VM_RENDER, VM_CARD };
	struct worker w[8];
	pthread_barrier_t barrier;
	int c[5], i, n = (int)VM_ARRAY_SIZE(w);

	for (i = 0; i < 5; i++)
		c[i] = wl_open(0, nodes[i]);	/* odd: render nodes */
	step("open 5 times");
	pthread_barrier_init(&barrier, NULL, (unsigned int)n + 1);
	for (i = 0; i < n; i++) {
		w[i] = (struct worker){ .client = c[i % 5], .nbufs = 6,
					.kind = i % 5 % 2 ? OP_VIRTGPU : OP_DUMB,
					.seed = m.seed + (uint64_t)i * 7919 + 1,
					.barrier = &barrier };
		if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]))
			die("pthread_create", -EAGAIN);
	}
	pthread_barrier_wait(&barrier);
	step("8 threads created 6 buffers each");
	pthread_barrier_wait(&barrier);
	for (i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&barrier);
	step("threads freed all");
	for (i = 0; i < 5; i++)
		wl_create(c[i], i % 2 ? OP_VIRTGPU : OP_DUMB, 128, 128 + i);
	step("one buffer per fd");
	for (i = 4; i >= 0; i--) {
		wl_close(c[i]);
		step("close fd");
	}
}

/* Forked holders own buffers and exit (without cleaning up) in random order. */
static void scenario_holders(void)
{
	int h[3], hc[3], order[3] = { 0, 1, 2 }, c, b, d, i;

	for (i = 0; i < 3; i++)
		h[i] = wl_spawn();
	c = wl_open(0, VM_CARD);
	for (i = 0; i < 3; i++)
		hc[i] = wl_open(h[i], i == 1 ? VM_RENDER : VM_CARD);
	step("open");
	b = wl_create(c, OP_DUMB, 300, 200);
	for (i = 0; i < 3; i++) {
		wl_create(hc[i], i == 1 ? OP_VIRTGPU : OP_DUMB, 128 << i, 64);
		wl_create(hc[i], i == 1 ? OP_VIRTGPU : OP_DUMB, 50, 50 + i);
	}
	step("each process creates");
	d = wl_export(b, c);
	wl_import(wl_pass(d, h[0]), hc[0]);
	wl_import(wl_pass(d, h[2]), hc[2]);
	wl_map_bo(b, hc[2]);
	step("share one buffer with two holders");
	wl_close_dfd(d);
	wl_gem_close(b, c);
	step("owner lets go");
	shuffle(order, 3, &m.seed);
	for (i = 0; i < 3; i++) {
		wl_exit(h[order[i]]);
		step("holder exits");
	}
	wl_close(c);
	step("close");
}

/* Two GPUs, two processes on each: every key of both devices. */
static void scenario_gpus(void)
{
	int h, c0, c1, hc0, hc1, b;

	h = wl_spawn();
	c0 = wl_open(0, VM_CARD);
	c1 = wl_open(0, VM_CARD1);
	hc1 = wl_open(h, VM_RENDER1);
	step("open both GPUs");
	wl_create(c0, OP_DUMB, 256, 64);
	b = wl_create(c1, OP_DUMB, 128, 128);
	step("one buffer on each GPU");
	wl_create(hc1, OP_VIRTGPU, 64, 100);
	wl_create(c1, OP_DUMB, 32, 32);
	step("the holder and we on GPU 1");
	hc0 = wl_open(h, VM_CARD);
	wl_create(hc0, OP_DUMB, 300, 10);
	step("the holder on GPU 0 too");
	wl_gem_close(b, c1);
	step("free on GPU 1");
	wl_exit(h);
	step("holder exits");
	wl_close(c1);
	step("close GPU 1");
	wl_close(c0);
	step("close GPU 0");
}

/* A render node fd handed over with SCM_RIGHTS, buffers on both sides. */
static void scenario_handoff(void)
{
	int h, c, own, x, y;

	h = wl_spawn();
	c = wl_open(0, VM_RENDER);
	own = wl_open(h, VM_CARD);
	x = wl_create(c, OP_VIRTGPU, 128, 64);
	wl_create(own, OP_DUMB, 64, 64);
	step("create before the hand-over");
	wl_pass_client(c, h);
	step("render fd handed to holder");
	y = wl_create(c, OP_VIRTGPU, 256, 32);
	step("holder creates on the passed fd");
	wl_export(y, c);
	step("holder exports");
	wl_gem_close(x, c);
	step("holder closes the sender's buffer");
	wl_create(c, OP_VIRTGPU, 32, 32);
	wl_exit(h);
	step("holder exits");
}

/*
 * vgem attaches pages when an object is mapped and releases them when the
 * last mapping goes: the device total follows the mappings, the process
 * totals the handles.
 */
static void scenario_vgem(void)
{
	int h, c, hc, a, mp;

	h = wl_spawn();
	c = wl_open(0, VM_VGEM);
	hc = wl_open(h, VM_VGEM);
	step("open vgem");
	a = wl_create(c, OP_DUMB, 256, 64);
	wl_create(c, OP_DUMB, 100, 100);
	step("create: no pages yet");
	mp = wl_map_bo(a, c);
	step("map one: its pages are attached");
	wl_map_bo(wl_create(hc, OP_DUMB, 64, 64), hc);
	step("holder creates and maps");
	wl_unmap(mp);
	step("unmap: the pages go, the object stays");
	wl_gem_close(a, c);
	step("close the unmapped object");
	wl_exit(h);
	step("holder exits with its mapping");
	wl_close(c);
	step("close");
}

/*
 * Foreign dma-bufs imported into vgem: a virtio-gpu buffer and a udmabuf.
 * The imports count in neither vgem total, and they keep the exporter's
 * buffer alive.
 */
static void scenario_import(void)
{
	int h, v, g, hg, b, d, u;

	h = wl_spawn();
	v = wl_open(0, VM_CARD);
	g = wl_open(0, VM_VGEM);
	hg = wl_open(h, VM_VGEM);
	step("open virtio-gpu and vgem");
	b = wl_create(v, OP_DUMB, 256, 256);
	d = wl_export(b, v);
	wl_import(d, g);
	step("virtio-gpu buffer imported into vgem");
	u = wl_dmabuf(0, OP_UDMABUF, 128 << 10);
	wl_import(u, g);
	step("udmabuf imported into vgem");
	wl_import(wl_pass(u, h), hg);
	step("holder imports the udmabuf into its vgem file");
	wl_close_dfd(d);
	wl_gem_close(b, v);
	step("exporter lets go: the import keeps its buffer");
	wl_close_dfd(u);
	wl_exit(h);
	step("holder exits");
	wl_close(g);
	step("close vgem: the virtio-gpu buffer is freed");
	wl_close(v);
	step("close");
}

/* Holders a and b; a creates x and another buffer in a render file. */
static int owner_setup(int *a, int *b, int *x)
{
	int c;

	*a = wl_spawn();
	*b = wl_spawn();
	c = wl_open(*a, VM_RENDER);
	*x = wl_create(c, OP_VIRTGPU, 128, 64);
	wl_create(c, OP_VIRTGPU, 64, 64);
	step("owner creates");
	return c;
}

/*
 * The owner exits while the receiver of its file (SCM_RIGHTS; a forked
 * child is the same to the kernel) keeps it: the charges stay with the
 * dead owner until the receiver's first ioctl moves them.
 */
static void scenario_orphan(void)
{
	int a, b, x, c = owner_setup(&a, &b, &x);

	wl_pass_client(c, b);
	step("file passed, the owner's fd closed");
	wl_exit(a);
	step("owner exits: its charges stay with the file");
	wl_gem_close(x, c);
	step("the receiver's first ioctl takes the file over");
	wl_create(c, OP_VIRTGPU, 32, 32);
	step("receiver creates");
	wl_exit(b);
	step("receiver exits");
}

/*
 * A new process gets the pid of an owner that exited while its file lives
 * on: it starts from 0, and the dead owner's charges never show under the
 * number.
 */
static void scenario_reuse(void)
{
	int a, b, x, r, c = owner_setup(&a, &b, &x);

	wl_pass_client(c, b);
	wl_exit(a);
	step("owner exits, the receiver keeps the file");
	r = wl_spawn_as(a);
	wl_create(wl_open(r, VM_RENDER), OP_VIRTGPU, 64, 32);
	step("a new process with the owner's pid creates");
	wl_create(c, OP_VIRTGPU, 32, 32);
	step("the receiver takes the file over");
	wl_exit(r);
	step("the new process exits");
	wl_exit(b);
	step("receiver exits");
}

/*
 * One DRM file in three processes (SCM_RIGHTS) and twice in one (dup): one
 * client, counted once, split three ways: 5 + 2 pages leave a remainder.
 * Its PRIME export is held by fd and by mapping.
 */
static void scenario_share(void)
{
	struct op dup_op = { .kind = OP_DUP }, close_op = { .kind = OP_CLOSE };
	int h[2], c, b, d, dup_fd;
	struct reply r;

	h[0] = wl_spawn();
	h[1] = wl_spawn();
	c = wl_open(0, VM_CARD);
	b = wl_create(c, OP_DUMB, 128, 40);
	wl_create(c, OP_DUMB, 64, 32);
	step("create");
	dup_op.fd = m.clients[c].fd;
	if (act(0, &dup_op, -1, &r))
		die("dup", r.ret);
	dup_fd = r.fd;
	step("dup the DRM fd");
	wl_share_client(c, h[0]);
	step("share with holder 1");
	wl_share_client(c, h[1]);
	step("share with holder 2");
	d = wl_export(b, c);
	wl_map_dfd(wl_pass(d, h[1]));
	step("export, holder 2 maps the dma-buf");
	wl_exit(h[0]);
	step("holder 1 exits");
	close_op.fd = dup_fd;
	if (act(0, &close_op, -1, &r))
		die("close dup", r.ret);
	wl_close_dfd(d);
	step("close the dup and the dma-buf fd");
	wl_exit(h[1]);
	step("holder 2 exits");
	wl_close(c);
	step("close");
}

/* dma-heap and udmabuf buffers: fds and mappings across processes. */
static void scenario_dmabuf(void)
{
	int h, heap, udma, hh, hm, mp, c;

	h = wl_spawn();
	c = wl_open(0, VM_CARD);
	step("start");
	heap = wl_dmabuf(0, OP_HEAP, 1 << 20);
	step("dma-heap 1 MiB");
	udma = wl_dmabuf(0, OP_UDMABUF, 256 << 10);
	step("udmabuf 256 KiB");
	wl_dmabuf(h, OP_HEAP, 64 << 10);
	step("holder dma-heap 64 KiB");
	mp = wl_map_dfd(heap);
	step("map heap buffer");
	hh = wl_pass(heap, h);
	hm = wl_map_dfd(hh);
	step("holder gets and maps it");
	wl_close_dfd(heap);
	step("close own fd, keep mapping");
	wl_unmap(mp);
	step("unmap");
	wl_close_dfd(hh);
	step("holder closes fd, keeps mapping");
	wl_unmap(hm);
	step("holder unmaps");
	wl_export(wl_create(c, OP_DUMB, 128, 128), c);
	step("PRIME export is a dma-buf too");
	wl_close_dfd(udma);
	wl_exit(h);
	step("end");
}

static int fault_injection_ready(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	};
	size_t i;

	for (i = 0; i < VM_ARRAY_SIZE(knobs); i++) {
		if (vm_write_file(knobs[i][0], knobs[i][1]))
			return 0;
	}
	return access("/proc/thread-self/fail-nth", W_OK) == 0;
}

/*
 * Fail the nth allocation of one operation on a fresh buffer, then undo
 * what succeeded, for n = 1, 2, ... until the operation no longer reaches
 * n allocations.  Steps: after the operation and after the cleanup.
 */
static void inject_each(int c, int c2, enum op_kind kind, const char *what)
{
	struct op op = { .kind = kind, .width = 200, .height = 100, .bpp = 32,
			 .target = 2, .depth = 1 };
	int injected = 1, ret, b = -1, d = -1;
	unsigned int n, failed = 0;

	for (n = 1; injected && n < 2000; n++) {
		if (kind == OP_EXPORT || kind == OP_IMPORT)
			b = wl_create(c, OP_DUMB, 100, 100);
		if (kind == OP_IMPORT)
			d = wl_export(b, c);
		if (kind == OP_EXPORT) {
			ret = d = wl_export_op(b, c, n, &injected);
		} else if (kind == OP_IMPORT) {
			ret = wl_import_op(d, c2, n, &injected);
		} else {
			op.fail_nth = n;
			ret = b = wl_create_op(c, &op, &injected);
		}
		failed += ret < 0;
		/*
		 * 6.12's VIRTGPU_RESOURCE_CREATE does not kick the queue: a
		 * create that failed after queueing its command keeps the
		 * object, and its pages, until the next notify.  Freeing a
		 * buffer notifies.
		 */
		if (kind == OP_VIRTGPU && ret < 0)
			wl_gem_close(wl_create(c, OP_VIRTGPU, 1, 1), c);
		step(what);
		if (kind == OP_IMPORT && !ret)
			wl_gem_close(b, c2);
		if (d >= 0)
			wl_close_dfd(d);
		if (b >= 0)
			wl_gem_close(b, c);
		b = d = -1;
		step("cleanup");
	}
	printf("# %s: %u allocations failed in turn, %u made the ioctl fail\n",
	       what, n - 2, failed);
}

/* Failing allocations: impossible requests, then injected faults. */
static void scenario_fail(void)
{
	static const struct {
		enum op_kind kind;
		uint32_t width, height, bpp, target, depth;
		const char *what;
	} bad[] = {
		{ OP_DUMB, 64, 64, 24, 0, 0, "bpp 24" },
		{ OP_DUMB, 0, 64, 32, 0, 0, "width 0" },
		{ OP_DUMB, 65535, 65535, 32, 0, 0, "16 GiB dumb (u32 overflow)" },
		{ OP_DUMB, 1u << 31, 2, 32, 0, 0, "width 2^31" },
		{ OP_VIRTGPU, 64, 64, 0, 3, 1, "virtgpu target 3" },
		{ OP_VIRTGPU, 64, 64, 0, 2, 2, "virtgpu depth 2" },
	};
	struct op op;
	int c, r, heap, ret;
	size_t i;

	c = wl_open(0, VM_CARD);
	r = wl_open(0, VM_RENDER);
	wl_create(c, OP_DUMB, 128, 128);
	step("baseline buffer");
	for (i = 0; i < VM_ARRAY_SIZE(bad); i++) {
		op = (struct op){ .kind = bad[i].kind, .width = bad[i].width,
				  .height = bad[i].height, .bpp = bad[i].bpp,
				  .target = bad[i].target, .depth = bad[i].depth };
		ret = wl_create_op(bad[i].kind == OP_DUMB ? c : r, &op, NULL);
		if (ret >= 0)
			die(bad[i].what, -EPROTO);
		step(bad[i].what);
	}
	heap = wl_dmabuf(0, OP_HEAP, 1 << 16);
	ret = wl_import_op(heap, c, 0, NULL);
	if (!ret)
		die("importing a dma-heap buffer", -EPROTO);
	step("import dma-heap buffer into virtio-gpu");
	wl_close_dfd(heap);
	step("close dma-heap buffer");
	if (!fault_injection_ready()) {
		printf("# no fault injection in this kernel\n");
		wl_close(c);
		wl_close(r);
		step("close");
		return;
	}
	inject_each(c, r, OP_DUMB, "fault in dumb create");
	inject_each(r, r, OP_VIRTGPU, "fault in virtgpu create");
	inject_each(c, r, OP_EXPORT, "fault in PRIME export");
	inject_each(c, r, OP_IMPORT, "fault in PRIME import");
	wl_close(c);
	wl_close(r);
	step("close");
}

/* ---- stress: no model, only balanced create/free ------------------------ */

struct stress_thread {
	pthread_t thread;
	unsigned int ops;
	uint64_t seed;
	unsigned int done;
	int err;
};

static int stress_create(int fd, int render, uint64_t *seed, uint32_t *handle)
{
	uint64_t size;

	if (render)
		return vm_virtgpu_create(fd, 2, 32 * (1 + rnd(seed, 8)), 32, 1,
					 handle);
	return vm_dumb_create(fd, 1024, 1 + rnd(seed, 16), 32, handle, &size);
}

/*
 * Share a live buffer within the process: PRIME export, import into a
 * second file, close that handle and the dma-buf (two counted ops).
 */
static int stress_share(int fd, int fd2, uint32_t handle)
{
	uint32_t imported;
	int dmabuf, ret;

	ret = vm_prime_export(fd, handle, &dmabuf);
	if (ret)
		return ret;
	ret = vm_prime_import(fd2, dmabuf, &imported);
	if (!ret)
		ret = vm_gem_close(fd2, imported);
	close(dmabuf);
	return ret;
}

/* One random operation: create, close, or share a live buffer. */
static int stress_op(struct stress_thread *t, int fd, int fd2, int render,
		     uint32_t *live, int *n)
{
	unsigned int what = rnd(&t->seed, 8);
	int i, ret;

	if (*n < 32 && (!*n || what < 4)) {
		ret = stress_create(fd, render, &t->seed, &live[*n]);
		*n += !ret;
		t->done++;
		return ret;
	}
	i = (int)rnd(&t->seed, (unsigned int)*n);
	if (what == 7) {
		t->done += 2;
		return stress_share(fd, fd2, live[i]);
	}
	ret = vm_gem_close(fd, live[i]);
	live[i] = live[--*n];
	t->done++;
	return ret;
}

/*
 * Random creates, frees and shares on two files of its own, all freed at
 * the end.  t->ops is even; done + n grows by 2 per create and per share,
 * a free keeps it, so the loop ends with done + n == t->ops.
 */
static void *stress_main(void *arg)
{
	struct stress_thread *t = arg;
	int render = t->seed & 1, n = 0, fd, fd2, ret = 0;
	const char *node = render ? VM_RENDER : VM_CARD;
	uint32_t live[32];

	fd = vm_drm_open(node);
	fd2 = vm_drm_open(node);
	if (fd < 0 || fd2 < 0)
		ret = fd < 0 ? fd : fd2;
	while (!ret && t->done + (unsigned int)n < t->ops)
		ret = stress_op(t, fd, fd2, render, live, &n);
	while (n && !ret) {
		ret = vm_gem_close(fd, live[--n]);
		t->done++;
	}
	t->err = ret;
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	return NULL;
}

/* threads threads of ops operations each; exit status 0 if all went well. */
static int stress_proc(unsigned int ops, unsigned int threads, uint64_t seed)
{
	struct stress_thread t[MAX_THREADS];
	unsigned int i, done = 0;
	int err = 0;

	for (i = 0; i < threads; i++) {
		t[i] = (struct stress_thread){ .ops = ops, .seed = seed * 31 + i };
		if (pthread_create(&t[i].thread, NULL, stress_main, &t[i]))
			return -EAGAIN;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i].thread, NULL);
		done += t[i].done;
		err = err ? err : t[i].err;
	}
	if (err)
		printf("# stress: pid %d: %s\n", (int)getpid(), strerror(-err));
	return err || done != ops * threads;
}

static void scenario_stress(unsigned int ops, unsigned int procs,
			    unsigned int threads)
{
	int go[2], i, status, fails = 0, c;
	struct timespec t0, t1;
	unsigned int per_thread;
	pid_t pid;
	char x;

	if (!procs || procs >= MAX_PROCS || !threads || threads > MAX_THREADS)
		die("stress: bad PROCS or THREADS", -EINVAL);
	per_thread = ops / procs / threads & ~1u;
	if (pipe(go))
		die("pipe", -errno);
	c = wl_open(0, VM_CARD);	/* only names the gpu in the truth */
	for (i = 0; i < (int)procs; i++) {
		fflush(stdout);
		pid = fork();
		if (pid < 0)
			die("fork", -errno);
		if (!pid) {
			close(go[1]);
			if (read(go[0], &x, 1) < 0)
				_exit(2);
			_exit(stress_proc(per_thread, threads, m.seed + (uint64_t)i));
		}
		m.procs[new_slot(&m.nprocs, MAX_PROCS)] =
			(struct proc){ .pid = pid, .sock = -1 };
		m.clients[c].held |= 1u << (m.nprocs - 1);	/* inherited */
	}
	close(go[0]);
	step("stress processes ready");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(go[1]);
	for (i = 1; i < m.nprocs; i++) {
		if (waitpid(m.procs[i].pid, &status, 0) < 0 ||
		    !WIFEXITED(status) || WEXITSTATUS(status))
			fails++;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	m.clients[c].held = 1u;
	printf("# stress: %u ops, %u processes x %u threads: %.3f s\n",
	       per_thread * procs * threads, procs, threads,
	       (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	wl_close(c);
	step("stress done");
	if (fails)
		die("stress processes failed", -EIO);
}

/* ---- main ------------------------------------------------------------------ */

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{ "basic", scenario_basic },
	{ "prime", scenario_prime },
	{ "overlap", scenario_overlap },
	{ "multi", scenario_multi },
	{ "holders", scenario_holders },
	{ "handoff", scenario_handoff },
	{ "share", scenario_share },
	{ "dmabuf", scenario_dmabuf },
	{ "fail", scenario_fail },
	{ "gpus", scenario_gpus },
	{ "import", scenario_import },
	{ "orphan", scenario_orphan },
	{ "reuse", scenario_reuse },
	{ "vgem", scenario_vgem },
};

static void usage(void)
{
	size_t i;

	fprintf(stderr, "usage: workload [--sync] [--seed N] SCENARIO\n"
			"       workload [--sync] [--seed N] stress [OPS [PROCS [THREADS]]]\n"
			"scenarios: stress");
	for (i = 0; i < VM_ARRAY_SIZE(scenarios); i++)
		fprintf(stderr, " %s", scenarios[i].name);
	fputc('\n', stderr);
	exit(2);
}

static unsigned int arg_uint(int argc, char **argv, int i, unsigned int def)
{
	return i < argc ? (unsigned int)strtoul(argv[i], NULL, 0) : def;
}

int main(int argc, char **argv)
{
	const char *name;
	int i = 1;
	size_t s;

	m.seed = (uint64_t)time(NULL);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--sync"))
			m.sync = 1;
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			m.seed = strtoull(argv[++i], NULL, 0);
		else
			usage();
	}
	if (i >= argc)
		usage();
	name = argv[i];
	m.seed |= 1;
	m.procs[m.nprocs++] = (struct proc){ .pid = getpid(), .sock = -1 };
	printf("scenario name=%s seed=%llu pid=%d\n", name,
	       (unsigned long long)m.seed, (int)getpid());
	if (!strcmp(name, "stress")) {
		scenario_stress(arg_uint(argc, argv, i + 1, 100000),
				arg_uint(argc, argv, i + 2, 4),
				arg_uint(argc, argv, i + 3, 8));
	} else {
		for (s = 0; s < VM_ARRAY_SIZE(scenarios); s++) {
			if (!strcmp(name, scenarios[s].name))
				break;
		}
		if (s == VM_ARRAY_SIZE(scenarios))
			usage();
		scenarios[s].run();
	}
	printf("done steps=%u\n", m.step);
	return 0;
}
