// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Discovery by iterator: every DRM file and dma-buf any process holds, as
 * one read() stream of struct gm_iter_file (gm_iter.h), without a getdents,
 * readlink or open per fd.  task_file gives the fds, task_vma the processes
 * that map a dma-buf (only their maps are read), task counts the processes.
 *
 * Only thread-group leaders are reported: /proc/PID/fd and /proc/PID/maps
 * are the leader's, and the /proc walk this replaces reads those, so both
 * paths see the same files.  Pids are those of the reader's pid namespace,
 * as in its /proc.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "gm_iter.h"
#include "kernel_types.h"

#define GM_S_IFMT 0170000
#define GM_S_IFCHR 0020000
#define GM_DRM_MAJOR 226
#define GM_MAX_PID_NS_LEVEL 32

struct gm_iter_counts counts;

/*
 * task's pid as the reader's /proc names it: its number at our level; 0
 * for a task above our namespace (a container's parent), which has none
 * there, as PPid: says.  An ancestor of a task we see is either in our
 * namespace or above it, so its level tells which.
 */
static __always_inline __u32 reader_pid(struct task_struct *task)
{
	struct task_struct *me = (void *)bpf_get_current_task();
	unsigned int level = BPF_CORE_READ(me, thread_pid, level);
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	int nr = 0;

	if (!pid || level >= GM_MAX_PID_NS_LEVEL ||
	    BPF_CORE_READ(pid, level) < level)
		return 0;
	bpf_probe_read_kernel(&nr, sizeof(nr), (char *)pid +
			      bpf_core_field_offset(struct pid, numbers) +
			      level * bpf_core_type_size(struct upid) +
			      bpf_core_field_offset(struct upid, nr));
	return nr > 0 ? (__u32)nr : 0;
}

/*
 * The iterators' task, file and vma are BTF pointers the verifier trusts:
 * plain loads (relocated by CO-RE) cost a few instructions per fd, where
 * bpf_probe_read_kernel() would be a helper call per field.
 */
static __always_inline bool is_leader(struct task_struct *task)
{
	return task && task->pid == task->tgid;
}

static __always_inline bool is_dmabuf(struct inode *inode)
{
	return inode->i_sb->s_magic == DMA_BUF_MAGIC;
}

/* A record that does not fit is written again after the next read(). */
static __always_inline int emit(struct seq_file *seq, struct task_struct *task,
				__u16 kind, __u32 fd, __u32 minor, __u64 ino)
{
	struct gm_iter_file r = {
		.version = GM_ITER_VERSION, .kind = kind, .fd = fd,
		.minor = minor, .ino = ino,
	};

	r.pid = reader_pid(task);
	if (!r.pid)
		return 0;
	r.uid = BPF_CORE_READ(task, real_cred, uid.val);
	/* PPid: is the tgid of real_parent, which may be any of its threads. */
	r.ppid = reader_pid(BPF_CORE_READ(task, real_parent, group_leader));
	BPF_CORE_READ_STR_INTO(&r.comm, task, comm);
	bpf_seq_write(seq, &r, sizeof(r));
	return 0;
}

SEC("iter/task")
int gm_tasks(struct bpf_iter__task *ctx)
{
	if (is_leader(ctx->task))
		counts.processes++;
	return 0;
}

SEC("iter/task_file")
int gm_task_files(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct inode *inode;
	unsigned int rdev;

	if (!file || !is_leader(task))
		return 0;
	counts.files++;
	inode = file->f_inode;
	if (!inode)
		return 0;
	if (is_dmabuf(inode))
		return emit(ctx->meta->seq, task, GM_ITER_DMABUF, ctx->fd, 0,
			    inode->i_ino);
	if ((inode->i_mode & GM_S_IFMT) != GM_S_IFCHR)
		return 0;
	rdev = inode->i_rdev;
	if (rdev >> GM_DRM_MAJOR_BITS != GM_DRM_MAJOR)
		return 0;
	return emit(ctx->meta->seq, task, GM_ITER_DRM, ctx->fd,
		    rdev & ((1u << GM_DRM_MAJOR_BITS) - 1), inode->i_ino);
}

/* One record per mapping: the reader wants only which processes map one. */
SEC("iter/task_vma")
int gm_task_vmas(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct file *file;

	if (!vma || !is_leader(task))
		return 0;
	counts.vmas++;
	file = vma->vm_file;
	if (!file || !file->f_inode || !is_dmabuf(file->f_inode))
		return 0;
	return emit(ctx->meta->seq, task, GM_ITER_MAP, 0, 0,
		    file->f_inode->i_ino);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
