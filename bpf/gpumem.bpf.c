// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The gpu_mem_total collector.  Per (gpu_id, pid): the latest size, its
 * peak, the time of its last change and its number of changes, in an
 * open-addressed slot table (gpumem_bpf.h); the same sizes in
 * gpu_mem_total_map, the layout of Android's gpuMem.c; counters (events,
 * updates dropped because a table was full) and a ring buffer of changes
 * while someone streams them.  Attached as tp_btf when the kernel's BTF
 * has the tracepoint, else as raw_tp (the loader chooses, bpf/loader.c).
 *
 * Kernel semantics (kernel/README.md): size is the new absolute total,
 * pid 0 the device total; each (gpu_id, pid) is emitted under the lock of
 * its value, so the last event per key is the current value and no two
 * events of one key run at once.
 *
 * Cost (bench/bpf/run.sh, docs/bpf.md): a hash map update costs as much
 * as the whole of Android's program, so with tp_btf an event touches the
 * slot table only, and a timer mirrors the changed keys into
 * gpu_mem_total_map GM_BPF_MIRROR_DELAY_NS later, one update per key
 * however often it changed.  Our readers read sizes from the slots; only
 * Android's readers see the mirror, at most that much behind.  raw_tp
 * programs may not use timers: there each event updates both at once.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <asm-generic/errno-base.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "gpumem_bpf.h"

#define GM_CLOCK_MONOTONIC 1
#define NO_SLOT 0xffffffffu
/*
 * Keys one timer run mirrors at most (a bound on the softirq's length);
 * the rest wait for the next run, a delay later.
 */
#define MIRROR_BATCH 4096

/* Sizes are set by the loader (bpf_map__set_max_entries) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GM_BPF_MAX_GPUS * GM_BPF_MAX_PROCS);
	__type(key, __u64);
	__type(value, __u64);
} gpu_mem_total_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * GM_BPF_MAX_GPUS * GM_BPF_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct gm_bpf_slot);
} gpu_mem_slots SEC(".maps");

/*
 * Keys + 1 waiting for the mirror, as many as slots: a key is queued only
 * while its slot's pending goes from 0, and its slot stays its own until
 * the timer has taken it off the queue.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * GM_BPF_MAX_GPUS * GM_BPF_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u64);
} mirror_queue SEC(".maps");

struct mirror_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mirror_timer);
} mirror_timer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, GM_BPF_RINGBUF_BYTES);
} events SEC(".maps");

/* The loader sets both from the slot count, a power of two >= 2. */
const volatile __u32 slot_shift = 63;	/* 64 - log2(slots) */
const volatile __u32 slot_mask = 1;	/* slots - 1 */

struct gm_bpf_globals globals;

static __always_inline void count(__u64 *counter)
{
	__sync_fetch_and_add(counter, 1);
}

static __always_inline __u64 tick_now(void)
{
	__u64 j = bpf_jiffies64();

	if (j != globals.tick_jiffies) {
		globals.tick_ns = bpf_ktime_get_boot_ns();
		globals.tick_jiffies = j;
	}
	return globals.tick_ns;
}

static __always_inline struct gm_bpf_slot *slot_at(__u32 i)
{
	return bpf_map_lookup_elem(&gpu_mem_slots, &i);
}

/* What a probe that did not find the key's live slot would take. */
struct probe {
	__u32 idx;		/* its own dormant slot, else the first free */
	__u64 seen;		/* that slot's tag, for the compare-and-swap */
};

static __always_inline struct gm_bpf_slot *slot_find(__u64 key,
						     struct probe *p)
{
	__u32 home = gm_bpf_slot_home(key, slot_shift), i, idx;
	struct gm_bpf_slot *s;
	__u64 t;

	p->idx = NO_SLOT;
	p->seen = 0;
#pragma clang loop unroll(disable)
	for (i = 0; i < GM_BPF_PROBES; i++) {
		idx = (home + i) & slot_mask;
		s = slot_at(idx);
		if (!s)
			break;
		t = s->tag;
		if (t == GM_BPF_LIVE(key))
			return s;
		if (t == GM_BPF_DORMANT(key)) {
			p->idx = idx;
			p->seen = t;
			break;
		}
		if (t != GM_BPF_SLOT_EMPTY &&
		    (!(t & GM_BPF_DORMANT_BIT) || s->pending))
			continue;
		if (p->idx == NO_SLOT) {
			p->idx = idx;
			p->seen = t;
		}
		if (t == GM_BPF_SLOT_EMPTY)
			break;
	}
	return NULL;
}

/* Takes the slot whose tag is seen for key, or fails: someone else did. */
static __always_inline bool slot_take(struct gm_bpf_slot *s, __u64 seen,
				      __u64 key)
{
	if (__sync_val_compare_and_swap(&s->tag, seen, GM_BPF_LIVE(key)) != seen)
		return false;
	s->size = 0;
	s->peak = 0;
	s->changes = 0;
	return true;
}

/* A slot for a key slot_find() did not find live, or NULL. */
static __always_inline struct gm_bpf_slot *slot_claim(__u64 key,
						      struct probe *p)
{
	struct gm_bpf_slot *s;
	int tries;

	/* Each lost race is another key taking our slot: probe again. */
	for (tries = 0; tries < 4 && p->idx != NO_SLOT; tries++) {
		s = slot_at(p->idx);
		if (!s)
			return NULL;
		if (slot_take(s, p->seen, key))
			return s;
		s = slot_find(key, p);
		if (s)
			return s;
	}
	return NULL;
}

/* The size of key in gpu_mem_total_map; drops: events a failure loses. */
static __always_inline void mirror_put(__u64 key, __u64 size, bool absent,
				       __u64 drops)
{
	__u64 *cur;
	long err;

	if (!absent) {
		cur = bpf_map_lookup_elem(&gpu_mem_total_map, &key);
		if (cur) {
			/* In place, as Android does: no allocation when full. */
			*cur = size;
			return;
		}
	}
	err = bpf_map_update_elem(&gpu_mem_total_map, &key, &size, BPF_NOEXIST);
	if (err == -E2BIG)
		__sync_fetch_and_add(&globals.drop_total, drops);
	else if (err == -EEXIST)
		bpf_map_update_elem(&gpu_mem_total_map, &key, &size, BPF_EXIST);
}

/* gpu_mem_total_map as gpuMem.c keeps it; old is the key's size there. */
static __always_inline void mirror_now(__u64 key, __u64 old, __u64 size)
{
	if (size)
		mirror_put(key, size, !old, 1);
	else if (old)
		bpf_map_delete_elem(&gpu_mem_total_map, &key);
}

/* The timer's work for one queued key: its slot's state, mirrored. */
static __always_inline void mirror_sync(__u64 key)
{
	struct probe p;
	struct gm_bpf_slot *s = slot_find(key, &p);
	__u64 n = 0, size = 0;

	if (!s && p.idx != NO_SLOT && p.seen == GM_BPF_DORMANT(key))
		s = slot_at(p.idx);
	if (s) {
		/* Taken first: what changes after it is queued anew. */
		n = __sync_lock_test_and_set(&s->pending, 0);
		if (s->tag == GM_BPF_LIVE(key))
			size = s->size;
	}
	if (size) {
		mirror_put(key, size, false, (__u32)n);
	} else if (bpf_map_delete_elem(&gpu_mem_total_map, &key) == -ENOENT &&
		   (__u32)n) {
		/*
		 * Sizes that came and went while the mirror waited, for a key
		 * it did not hold: dropped if they would not have fitted, as
		 * with raw_tp.  Trying costs a moment of the key at its true
		 * size now, 0.
		 */
		mirror_put(key, 0, true, (__u32)n);
		bpf_map_delete_elem(&gpu_mem_total_map, &key);
	}
}

/* One queued key; stops at the end, or at a slot a producer still fills. */
static long mirror_drain_one(__u32 i, void *ctx)
{
	__u64 tail = globals.mirror_tail, key, *q;
	__u32 idx = tail & slot_mask;

	if (tail == globals.mirror_head)
		return 1;
	q = bpf_map_lookup_elem(&mirror_queue, &idx);
	if (!q)
		return 1;
	key = *q;
	if (!key) {
		*(bool *)ctx = true;
		return 1;
	}
	*q = 0;
	globals.mirror_tail = tail + 1;
	mirror_sync(key - 1);
	return 0;
}

static int mirror_run(void *map, __u32 *key, struct mirror_timer *t);

static __always_inline void mirror_arm(void)
{
	struct mirror_timer *t;
	__u32 zero = 0;

	if (__sync_lock_test_and_set(&globals.mirror_armed, 1))
		return;
	t = bpf_map_lookup_elem(&mirror_timer, &zero);
	if (!t)
		return;
	/* After the first time, init says -EBUSY: nothing to undo. */
	bpf_timer_init(&t->timer, &mirror_timer, GM_CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->timer, mirror_run);
	if (bpf_timer_start(&t->timer, GM_BPF_MIRROR_DELAY_NS, 0))
		globals.mirror_armed = 0;
}

/* Disarmed before the drain: a key queued meanwhile arms it again. */
static int mirror_run(void *map, __u32 *key, struct mirror_timer *t)
{
	bool blocked = false;

	__sync_lock_test_and_set(&globals.mirror_armed, 0);
	bpf_loop(MIRROR_BATCH, mirror_drain_one, &blocked, 0);
	if (blocked || globals.mirror_tail != globals.mirror_head)
		mirror_arm();
	return 0;
}

static __always_inline void mirror_later(struct gm_bpf_slot *s, __u64 key,
					 __u64 size)
{
	__u64 head, *q;
	__u32 idx;

	if (__sync_fetch_and_add(&s->pending, size ? 1 : GM_BPF_PENDING_ZERO))
		return;
	head = __sync_fetch_and_add(&globals.mirror_head, 1);
	idx = head & slot_mask;
	q = bpf_map_lookup_elem(&mirror_queue, &idx);
	if (q)
		*q = key + 1;
	if (!globals.mirror_armed)
		mirror_arm();
}

/*
 * The slot's new size.  A process that drops to 0 leaves its slot
 * dormant, last: until then the slot is nobody else's to take.
 */
static __always_inline void slot_set(struct gm_bpf_slot *s, __u64 key,
				     __u64 size, __u64 now, bool defer)
{
	s->size = size;
	if (size > s->peak)
		s->peak = size;
	s->last_ns = now;
	s->changes++;
	if (defer)
		mirror_later(s, key, size);
	if (!size && (__u32)key)
		s->tag = GM_BPF_DORMANT(key);
}

/*
 * A key not live in its home slot: probe, take a slot for a new key.
 * Until some key went without a slot, one absent from the slots is
 * absent from the Android map too, and is not looked up there; a key
 * without a slot is mirrored at once.
 */
static __always_inline __u64 on_total_slow(__u64 key, __u64 size, __u64 now,
					   bool defer)
{
	struct probe p = { NO_SLOT, 0 };
	struct gm_bpf_slot *s = NULL;
	__u64 old = 0, *cur;

	if ((__s64)key >= 0)
		s = slot_find(key, &p);
	if (s) {
		old = s->size;
	} else if (globals.drop_slot) {
		cur = bpf_map_lookup_elem(&gpu_mem_total_map, &key);
		old = cur ? *cur : 0;
	}
	if (!s && size) {
		s = slot_claim(key, &p);
		if (!s)
			count(&globals.drop_slot);
	}
	if (!s || !defer)
		mirror_now(key, old, size);
	if (s)
		slot_set(s, key, size, now, defer);
	return old;
}

static __always_inline void emit(__u32 gpu_id, __u32 pid, __u64 old_size,
				 __u64 new_size)
{
	struct gm_bpf_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(&globals.drop_ringbuf);
		return;
	}
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->old_size = old_size;
	e->new_size = new_size;
	e->gpu_id = gpu_id;
	e->pid = pid;
	e->tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/*
 * The common case first: the key's slot is its home slot, live, or
 * dormant and taken back by the key's next buffer.
 */
static __always_inline int on_total(__u32 gpu_id, __u32 pid, __u64 size,
				    bool defer)
{
	__u64 key = GM_BPF_KEY(gpu_id, pid), now = tick_now(), old, t;
	struct gm_bpf_slot *s = slot_at(gm_bpf_slot_home(key, slot_shift));

	count(&globals.events);
	if (!s || (__s64)key < 0)
		goto slow;
	t = s->tag;
	if (t == GM_BPF_LIVE(key))
		old = s->size;
	else if (t == GM_BPF_DORMANT(key) && size && slot_take(s, t, key))
		old = 0;
	else
		goto slow;
	if (!defer)
		mirror_now(key, old, size);
	slot_set(s, key, size, now, defer);
	goto stream;
slow:
	old = on_total_slow(key, size, now, defer);
stream:
	if (old != size && now < globals.stream_until)
		emit(gpu_id, pid, old, size);
	return 0;
}

SEC("tp_btf/gpu_mem_total")
int BPF_PROG(gm_tp_btf, __u32 gpu_id, __u32 pid, __u64 size)
{
	return on_total(gpu_id, pid, size, true);
}

SEC("raw_tp/gpu_mem_total")
int BPF_PROG(gm_raw_tp, __u32 gpu_id, __u32 pid, __u64 size)
{
	return on_total(gpu_id, pid, size, false);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
