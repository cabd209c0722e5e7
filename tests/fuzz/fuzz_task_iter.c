// SPDX-License-Identifier: MIT
/*
 * libFuzzer: gm_task_iter_parse() on arbitrary bytes as the task_file and
 * task_vma stream.  Whatever comes in, the index must be what the rescan
 * assumes: each pid once, ascending; fds grouped by pid in that order,
 * each once; names terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct gm_index *idx)
{
	size_t i, p = 0;

	for (i = 0; i < idx->nr_pids; i++) {
		if ((i && idx->pids[i].pid <= idx->pids[i - 1].pid) ||
		    idx->pids[i].pid <= 0 ||
		    !memchr(idx->pids[i].comm, 0, sizeof(idx->pids[i].comm)))
			__builtin_trap();
	}
	for (i = 0; i < idx->nr; i++) {
		const struct gm_index_fd *f = &idx->fds[i];

		while (p < idx->nr_pids && idx->pids[p].pid != f->pid)
			p++;
		if (p == idx->nr_pids || f->fd < 0 ||
		    (f->kind != GM_FD_DRM && f->kind != GM_FD_DMABUF) ||
		    (i && f->pid == idx->fds[i - 1].pid &&
		     f->fd <= idx->fds[i - 1].fd))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_index idx;
	unsigned int malformed = 0;

	memset(&idx, 0, sizeof(idx));
	if (!gm_task_iter_parse(data, size, &idx, &malformed))
		check(&idx);
	free(idx.fds);
	free(idx.pids);
	return 0;
}
