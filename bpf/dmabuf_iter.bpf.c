// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Every dma-buf of the system, held by a process or only by the kernel
 * (iter/dmabuf, Linux 6.16+): one struct gm_iter_dmabuf per buffer, what
 * /sys/kernel/dmabuf/buffers gave before its removal, and the name.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "gm_iter.h"
#include "kernel_types.h"

SEC("iter/dmabuf")
int gm_dmabufs(struct bpf_iter__dmabuf *ctx)
{
	struct dma_buf *buf = ctx->dmabuf;
	struct gm_iter_dmabuf r = { .version = GM_ITER_VERSION };
	const char *s;

	if (!buf)
		return 0;
	r.ino = BPF_CORE_READ(buf, file, f_inode, i_ino);
	r.size = BPF_CORE_READ(buf, size);
	s = BPF_CORE_READ(buf, exp_name);
	if (s)
		bpf_probe_read_kernel_str(r.exporter, sizeof(r.exporter), s);
	/* Set by userspace (DMA_BUF_SET_NAME): the reader escapes it. */
	s = BPF_CORE_READ(buf, name);
	if (s)
		bpf_probe_read_kernel_str(r.name, sizeof(r.name), s);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
