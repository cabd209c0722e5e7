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

/*
 * gpu_mem_slots: what Android lacks, beside each key, in an open-addressed
 * table (an array: the program finds a key in a few instructions, where a
 * second hash map would cost as much as the Android map itself).  A key
 * lives in the first reusable slot at or after gm_bpf_slot_home(); a probe
 * ends at an empty slot or after GM_BPF_PROBES slots.
 */
struct gm_bpf_slot {
	__u64 tag;		/* GM_BPF_SLOT_EMPTY, GM_BPF_LIVE(key), _DORMANT */
	__u64 size;		/* the latest size, as in gpu_mem_total_map */
	__u64 peak;		/* largest size seen since the key appeared */
	__u64 last_ns;		/* CLOCK_BOOTTIME of the last change, to a tick */
	__u64 changes;		/* events for this key */
	/*
	 * Events not yet in gpu_mem_total_map (tp_btf: it follows within
	 * GM_BPF_MIRROR_DELAY_NS): GM_BPF_PENDING_ZERO per event of size 0,
	 * 1 per other event; non-zero while the key waits in mirror_queue.
	 * Another key takes a dormant slot only once this is 0.
	 */
	__u64 pending;
};

#define GM_BPF_PENDING_ZERO (1ull << 32)

/*
 * A process whose total drops to 0 leaves its slot dormant: its own next
 * buffer takes it back (a key that comes and goes stays on the fast
 * path), and any other key may take it.  Taking a slot, back or over, is
 * a compare-and-swap of its tag.  A device's slot never goes dormant.
 * Keys of a gpu_id >= 2^31 (no DRM minor is) get no slot: their events
 * count as drop_slot and they are still kept in gpu_mem_total_map.
 */
#define GM_BPF_SLOT_EMPTY 0	/* never used: a probe stops here */
#define GM_BPF_DORMANT_BIT (1ull << 63)
#define GM_BPF_LIVE(key) ((__u64)(key) + 1)
#define GM_BPF_DORMANT(key) (GM_BPF_LIVE(key) | GM_BPF_DORMANT_BIT)
#define GM_BPF_SLOT_GPU_MAX 0x7fffffffu
#define GM_BPF_PROBES 32

/*
 * A key's first slot, for the program and for readers, which probe the
 * way it does (a read-only fd cannot be mmapped, and one lookup per key
 * beats copying the whole table).  Fibonacci hashing: the top bits of
 * key * 2^64 / phi; shift is 64 - log2(slots).
 */
static inline __u32 gm_bpf_slot_home(__u64 key, __u32 shift)
{
	return (__u32)((key * 0x9e3779b97f4a7c15ull) >> shift);
}

/*
 * The program's .bss, pinned as "globals": counters (never a silent drop)
 * and the stream lease.  Counters are atomic adds on shared words: cheaper
 * per event than a per-CPU map lookup, and events are rare enough (a few
 * thousand a second at most) that the cache line is not contended.
 */
struct gm_bpf_globals {
	__u64 events;		/* every gpu_mem_total event seen */
	__u64 drop_total;	/* new key, gpu_mem_total_map full */
	__u64 drop_slot;	/* new key, no slot within GM_BPF_PROBES */
	__u64 drop_ringbuf;	/* change event, ring buffer full */
	/*
	 * CLOCK_BOOTTIME until which change events go to the ring buffer.
	 * `gpumem trace` keeps moving it ahead while it reads: nobody pays
	 * for events nobody reads, and a reader that dies stops them within
	 * GM_BPF_STREAM_LEASE_NS.
	 */
	__u64 stream_until;
	/* The clock is read once per tick: the ns at the tick's first event. */
	__u64 tick_jiffies;
	__u64 tick_ns;
	/* mirror_queue: keys for gpu_mem_total_map, [tail, head) */
	__u64 mirror_head;
	__u64 mirror_tail;
	__u64 mirror_armed;	/* the mirror timer will run */
};

#define GM_BPF_STREAM_LEASE_NS 2000000000ull

/*
 * With tp_btf, an event changes the slot table only; a BPF timer brings
 * gpu_mem_total_map up to date this long after a change, once for all the
 * changes of a key meanwhile.  (raw_tp programs cannot use timers: there
 * the map changes with each event.)
 */
#define GM_BPF_MIRROR_DELAY_NS 1000000ull

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
/* Pinned last: maps without it are a load that died half-way. */
#define GM_BPF_PIN_LINK "link"
#define GM_BPF_HALF_LOADED "no link pinned beside the maps: a load died " \
	"half-way (gpumem bpf unload, then load)"
#define GM_BPF_MAX_GPUS 8
#define GM_BPF_MAX_PROCS 4096
#define GM_BPF_RINGBUF_BYTES (256u << 10)

#endif
