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

void gm_index_reset(struct gm_index *idx)
{
	size_t i;

	for (i = 0; i < idx->nr; i++) {
		if (idx->fds[i].kept >= 0)
			close(idx->fds[i].kept);
	}
	for (i = 0; i < idx->nr_pids; i++)
		free(idx->pids[i].cg_path);
	idx->nr = 0;
	idx->nr_pids = 0;
	gm_map_free(&idx->by_pid);
	idx->by_pid_made = false;
}

void gm_index_free(struct gm_index *idx)
{
	gm_index_reset(idx);
	free(idx->fds);
	free(idx->pids);
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
	*p = (struct gm_index_pid){ .pid = pid, .status = *st };
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
