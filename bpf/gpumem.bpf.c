// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The gpu_mem_total collector: the latest size per (gpu_id, pid) in the
 * layout Android's gpuMem.c uses, plus peaks, the time of the last change,
 * counters (events, updates dropped because a map was full) and a ring
 * buffer of changes.  Attached as tp_btf when the kernel's BTF has the
 * tracepoint, else as raw_tp (the loader chooses, bpf/loader.c).
 *
 * Kernel semantics (kernel/README.md): size is the new absolute total,
 * pid 0 the device total; each (gpu_id, pid) is emitted under the lock of
 * its value, so the last event per key is the current value.
 */
#include <linux/bpf.h>
#include <asm-generic/errno-base.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "gpumem_bpf.h"

/* Sizes are set by the loader (bpf_map__set_max_entries) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GM_BPF_MAX_GPUS * GM_BPF_MAX_PROCS);
	__type(key, __u64);
	__type(value, __u64);
} gpu_mem_total_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GM_BPF_MAX_GPUS * GM_BPF_MAX_PROCS);
	__type(key, __u64);
	__type(value, struct gm_bpf_info);
} gpu_mem_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GM_BPF_NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, GM_BPF_RINGBUF_BYTES);
} events SEC(".maps");

/* Off: no ring buffer traffic, for a collector nobody streams from. */
const volatile __u8 emit_events = 1;

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += 1;
}

static __always_inline void emit(__u32 gpu_id, __u32 pid, __u64 old_size,
				 __u64 new_size, __u64 now)
{
	struct gm_bpf_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(GM_BPF_DROP_RINGBUF);
		return;
	}
	e->ts_ns = now;
	e->old_size = old_size;
	e->new_size = new_size;
	e->gpu_id = gpu_id;
	e->pid = pid;
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* Peaks and last change; a device's entry outlives its total dropping to 0. */
static __always_inline void update_info(__u64 key, __u32 pid, __u64 size,
					__u64 now)
{
	struct gm_bpf_info *info, fresh = { size, now, 1 };

	info = bpf_map_lookup_elem(&gpu_mem_info, &key);
	if (info) {
		if (!size && pid) {
			bpf_map_delete_elem(&gpu_mem_info, &key);
			return;
		}
		if (size > info->peak)
			info->peak = size;
		info->last_ns = now;
		info->changes++;
		return;
	}
	if (!size && pid)
		return;
	if (bpf_map_update_elem(&gpu_mem_info, &key, &fresh, BPF_NOEXIST) == -E2BIG)
		count(GM_BPF_DROP_INFO);
}

static __always_inline int on_total(__u32 gpu_id, __u32 pid, __u64 size)
{
	__u64 key = GM_BPF_KEY(gpu_id, pid), now = bpf_ktime_get_boot_ns();
	__u64 *cur = bpf_map_lookup_elem(&gpu_mem_total_map, &key);
	__u64 old_size = cur ? *cur : 0;

	count(GM_BPF_EVENTS);
	if (cur && size) {
		/* In place, as Android does: no allocation when full. */
		*cur = size;
	} else if (cur) {
		bpf_map_delete_elem(&gpu_mem_total_map, &key);
	} else if (size &&
		   bpf_map_update_elem(&gpu_mem_total_map, &key, &size,
				       BPF_NOEXIST) == -E2BIG) {
		count(GM_BPF_DROP_TOTAL);
	}
	update_info(key, pid, size, now);
	if (emit_events && old_size != size)
		emit(gpu_id, pid, old_size, size, now);
	return 0;
}

SEC("tp_btf/gpu_mem_total")
int BPF_PROG(gm_tp_btf, __u32 gpu_id, __u32 pid, __u64 size)
{
	return on_total(gpu_id, pid, size);
}

SEC("raw_tp/gpu_mem_total")
int BPF_PROG(gm_raw_tp, __u32 gpu_id, __u32 pid, __u64 size)
{
	return on_total(gpu_id, pid, size);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
