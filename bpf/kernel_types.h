/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The few kernel fields the iterator programs read, declared for CO-RE:
 * libbpf relocates each access to the running kernel's layout (its BTF),
 * so the programs need no vmlinux.h of one kernel and load on any kernel
 * whose BTF has these names.
 */
#ifndef GM_KERNEL_TYPES_H
#define GM_KERNEL_TYPES_H

#define GM_CORE __attribute__((preserve_access_index))

struct super_block {
	unsigned long s_magic;
} GM_CORE;

struct inode {
	unsigned short i_mode;
	unsigned int i_rdev;
	unsigned long i_ino;
	struct super_block *i_sb;
} GM_CORE;

struct file {
	struct inode *f_inode;
} GM_CORE;

typedef struct {
	unsigned int val;
} kuid_t;

struct cred {
	kuid_t uid;
} GM_CORE;

struct upid {
	int nr;
} GM_CORE;

struct pid {
	unsigned int level;
	struct upid numbers[1];
} GM_CORE;

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	struct pid *thread_pid;
	const struct cred *real_cred;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
} GM_CORE;

struct vm_area_struct {
	struct file *vm_file;
} GM_CORE;

struct dma_buf {
	unsigned long size;
	struct file *file;
	const char *exp_name;
	const char *name;
} GM_CORE;

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
} GM_CORE;

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} GM_CORE;

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
} GM_CORE;

struct bpf_iter__task_vma {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	struct vm_area_struct *vma;
} GM_CORE;

struct bpf_iter__dmabuf {
	struct bpf_iter_meta *meta;
	struct dma_buf *dmabuf;
} GM_CORE;

#endif
