/* SPDX-License-Identifier: MIT */
/*
 * What the iterator programs (task_iter.bpf.c, dmabuf_iter.bpf.c) write
 * into their read() streams: fixed-size records, fixed-width types, read
 * by lib/sources/task_iter.c and lib/sources/dmabuf_iter.c.  A change of
 * layout is a change of GM_ITER_VERSION, which every record carries, so a
 * stale program is never misread.
 */
#ifndef GM_ITER_H
#define GM_ITER_H

#define GM_ITER_VERSION 2
#define GM_ITER_COMM_LEN 16		/* TASK_COMM_LEN */
#define GM_ITER_EXPORTER_LEN 64		/* GPUMEM_NAME_MAX */
#define GM_ITER_NAME_LEN 32		/* DMA_BUF_NAME_LEN */
#define GM_DRM_MAJOR_BITS 20		/* the kernel's MINORBITS */

/* What a task_file or task_vma record says. */
enum gm_iter_kind {
	GM_ITER_DRM = 1,		/* fd: a char device of major 226 */
	GM_ITER_DMABUF = 2,		/* fd: a file of the dma-buf fs */
	GM_ITER_MAP = 3,		/* vma: the process maps a dma-buf */
};

struct gm_iter_file {
	__u16 version;
	__u16 kind;			/* enum gm_iter_kind */
	__u32 pid;			/* in the reader's pid namespace */
	__u32 fd;			/* GM_ITER_MAP: 0 */
	__u32 minor;			/* GM_ITER_DRM: the device's minor */
	__u64 ino;
	__u32 uid;			/* real uid, as /proc/PID/status Uid: */
	__u32 ppid;			/* as PPid:, 0 outside the namespace */
	char comm[GM_ITER_COMM_LEN];
};

struct gm_iter_dmabuf {
	__u16 version;
	__u16 pad;
	__u32 pad2;
	__u64 ino;
	__u64 size;
	char exporter[GM_ITER_EXPORTER_LEN];
	char name[GM_ITER_NAME_LEN];
};

/* The iterator programs' counters (their .bss), for `gpumem sources`. */
struct gm_iter_counts {
	__u64 processes;		/* thread-group leaders seen */
	__u64 files;			/* fds looked at */
	__u64 vmas;			/* mappings looked at */
};

#endif
