// SPDX-License-Identifier: MIT
/*
 * The scanner's index (struct gm_index): filled by a full sample, the
 * /proc walk or the task_file iterator, and read by every refresh until
 * the next one.
 */
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sources.h"

/* The pids' and fds' records go; what they keep open is the caller's. */
static void empty(struct gm_index *idx)
{
	size_t i;

	for (i = 0; i < idx->nr_pids; i++)
		free(idx->pids[i].cg_path);
	idx->nr = 0;
	idx->nr_pids = 0;
	gm_map_free(&idx->by_pid);
	idx->by_pid_made = false;
}


/* Set aside, or closed when there is no room to. */
static void set_aside(struct gm_index *idx, pid_t pid, int fd, int kept)
{
	if (kept < 0)
		return;
	if (gm_grow((void **)&idx->old, &idx->cap_old, idx->nr_old + 1,
		    sizeof(*idx->old))) {
		close(kept);
		return;
	}
	idx->old[idx->nr_old++] = (struct gm_index_kept){ pid, fd, kept };
}

static int by_pid_fd(const void *a, const void *b)
{
	const struct gm_index_kept *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

void gm_index_begin(struct gm_index *idx)
{
	size_t i;

	for (i = 0; i < idx->nr; i++)
		set_aside(idx, idx->fds[i].pid, idx->fds[i].fd,
			  idx->fds[i].kept);
	for (i = 0; i < idx->nr_pids; i++)
		set_aside(idx, idx->pids[i].pid, GM_INDEX_MAPS,
			  idx->pids[i].maps_kept);
	empty(idx);
	if (idx->nr_old > 1)
		qsort(idx->old, idx->nr_old, sizeof(*idx->old), by_pid_fd);
}

/* A full sample that takes nothing over: all that was kept is closed. */
void gm_index_free(struct gm_index *idx)
{
	gm_index_begin(idx);
	gm_index_end(idx);
	free(idx->fds);
	free(idx->pids);
	free(idx->old);
}

int gm_index_take(struct gm_index *idx, pid_t pid, int fd)
{
	struct gm_index_kept key = { .pid = pid, .fd = fd }, *k;
	int kept;

	k = idx->nr_old ? bsearch(&key, idx->old, idx->nr_old,
				  sizeof(*idx->old), by_pid_fd) : NULL;
	if (!k)
		return -1;
	kept = k->kept;
	k->kept = -1;
	return kept;
}

void gm_index_end(struct gm_index *idx)
{
	size_t i;

	for (i = 0; i < idx->nr_old; i++) {
		if (idx->old[i].kept >= 0)
			close(idx->old[i].kept);
	}
	idx->nr_old = 0;
}

struct gm_index_pid *gm_index_add_pid(struct gm_index *idx, pid_t pid,
				      const struct gm_status *st,
				      const char *comm, size_t comm_len)
{
	struct gm_index_pid *p;

	if (gm_grow((void **)&idx->pids, &idx->cap_pids, idx->nr_pids + 1,
		    sizeof(*idx->pids)))
		return NULL;
	p = &idx->pids[idx->nr_pids++];
	*p = (struct gm_index_pid){ .pid = pid, .status = *st,
				    .maps_kept = -1 };
	gm_copy_field(p->comm, sizeof(p->comm), comm, comm_len);
	/* Slots move as pids[] grows: found by pid once it is complete. */
	gm_map_free(&idx->by_pid);
	idx->by_pid_made = false;
	return p;
}

int gm_index_add_fd(struct gm_index *idx, pid_t pid, int fd, int kind,
		    int minor, uint64_t ino, int kept)
{
	int err = gm_grow((void **)&idx->fds, &idx->cap, idx->nr + 1,
			  sizeof(*idx->fds));

	if (err)
		return err;
	idx->fds[idx->nr++] = (struct gm_index_fd){
		.pid = pid, .fd = fd, .minor = minor, .kind = kind,
		.ino = ino, .kept = kept,
	};
	return 0;
}

static bool make_by_pid(struct gm_index *idx)
{
	size_t i;

	for (i = 0; i < idx->nr_pids; i++) {
		if (gm_map_put(&idx->by_pid, (uint64_t)idx->pids[i].pid,
			       (uint32_t)i)) {
			gm_map_free(&idx->by_pid);
			return false;
		}
	}
	idx->by_pid_made = true;
	return true;
}

struct gm_index_pid *gm_index_pid_of(struct gm_index *idx, pid_t pid)
{
	uint32_t i;

	if (!idx->by_pid_made && !make_by_pid(idx))
		return NULL;
	return gm_map_get(&idx->by_pid, (uint64_t)pid, &i) ? &idx->pids[i] :
	       NULL;
}

int gm_index_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	return rl.rlim_cur / 2 > INT_MAX ? INT_MAX : (int)(rl.rlim_cur / 2);
}
