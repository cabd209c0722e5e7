// SPDX-License-Identifier: MIT
/*
 * For the benchmark only: what Android's gpuMem.c does (AOSP
 * services/gpuservice/bpfprogs/gpuMem.c), rewritten for libbpf: a classic
 * tracepoint program, the same hash map, nothing else.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct gpu_mem_total_args {
	__u64 ignore;		/* the common fields of a trace record */
	__u32 gpu_id;
	__u32 pid;
	__u64 size;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} gpu_mem_total_map SEC(".maps");

SEC("tracepoint/gpu_mem/gpu_mem_total")
int android_gpu_mem_total(struct gpu_mem_total_args *args)
{
	__u64 key = ((__u64)args->gpu_id << 32) | args->pid;
	__u64 cur = args->size, *prev;

	if (!cur) {
		bpf_map_delete_elem(&gpu_mem_total_map, &key);
		return 0;
	}
	prev = bpf_map_lookup_elem(&gpu_mem_total_map, &key);
	if (prev)
		*prev = cur;
	else
		bpf_map_update_elem(&gpu_mem_total_map, &key, &cur, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
