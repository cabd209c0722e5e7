/* SPDX-License-Identifier: MIT */
/*
 * The gpu_mem_total collector: types shared by bpf/gpumem.bpf.c and the
 * programs that read its maps.  Fixed-width types only.
 */
#ifndef GPUMEM_BPF_H
#define GPUMEM_BPF_H

/*
 * gpu_mem_total_map: key (u64)gpu_id << 32 | pid, value the latest size in
 * bytes (u64); size 0 deletes.  The layout of Android's gpuMem.c, so that
 * its readers (dumpsys gpu --gpumem) work on ours too.
 */
#define GM_BPF_KEY(gpu_id, pid) ((__u64)(gpu_id) << 32 | (__u32)(pid))

/* gpu_mem_info: beside each key of gpu_mem_total_map, what Android lacks. */
struct gm_bpf_info {
	__u64 peak;		/* largest size seen since the key appeared */
	__u64 last_ns;		/* CLOCK_BOOTTIME of the last change */
	__u64 changes;		/* events for this key */
};

/* counters: one per-CPU array, summed by readers. */
enum gm_bpf_counter {
	GM_BPF_EVENTS,		/* every gpu_mem_total event seen */
	GM_BPF_DROP_TOTAL,	/* new key, gpu_mem_total_map full */
	GM_BPF_DROP_INFO,	/* new key, gpu_mem_info full */
	GM_BPF_DROP_RINGBUF,	/* change event, ring buffer full */
	GM_BPF_NR_COUNTERS
};

/* One change, through the events ring buffer. */
struct gm_bpf_event {
	__u64 ts_ns;		/* CLOCK_BOOTTIME */
	__u64 old_size;		/* 0 when the key was absent */
	__u64 new_size;
	__u32 gpu_id;
	__u32 pid;		/* 0: device total */
	__u32 tgid;		/* the task that caused the event ... */
	char comm[16];		/* ... and its comm */
};

/* Pins under GM_BPF_PIN_DIR; the map names of bpf/gpumem.bpf.c. */
#define GM_BPF_PIN_DIR "/sys/fs/bpf/gpumem"
#define GM_BPF_MAX_GPUS 8
#define GM_BPF_MAX_PROCS 4096
#define GM_BPF_RINGBUF_BYTES (256u << 10)

#endif
