// SPDX-License-Identifier: MIT
/*
 * The collector's logic on the host, without a GPU: bpf/gpumem.bpf.c's
 * raw_tp program loads although the tracepoint does not exist here, and
 * BPF_PROG_TEST_RUN runs it with ctx = the event's three arguments as u64.
 * Then the pinned maps are read back the way `gpumem` reads them.
 * Output: TAP.  Not root (no BPF): "1..0 # SKIP".
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "gpumem_bpf.h"	/* before the skeleton: it uses our types */
#include "gpumem.skel.h"
#include "gpumem/gpumem.h"

static int nr_test, nr_failed;

static bool check(bool cond, const char *fmt, ...)
{
	va_list ap;

	nr_test++;
	nr_failed += !cond;
	printf("%sok %d - ", cond ? "" : "not ", nr_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

static int no_print(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

/* One gpu_mem_total event through the program. */
static int fire(struct gpumem_bpf *skel, uint32_t gpu, uint32_t pid,
		uint64_t size)
{
	uint64_t args[3] = { gpu, pid, size };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args,
		    .ctx_size_in = sizeof(args));
	int err = bpf_prog_test_run_opts(
		bpf_program__fd(skel->progs.gm_raw_tp), &opts);

	return err ? err : (int)opts.retval;
}

static bool total(struct gpumem_bpf *skel, uint32_t gpu, uint32_t pid,
		  uint64_t *v)
{
	uint64_t key = GM_BPF_KEY(gpu, pid);

	return !bpf_map__lookup_elem(skel->maps.gpu_mem_total_map, &key,
				     sizeof(key), v, sizeof(*v), 0);
}

/* The slot of a key, found the way readers do: by scanning them all. */
static bool slot(struct gpumem_bpf *skel, uint32_t gpu, uint32_t pid,
		 struct gm_bpf_slot *v)
{
	uint64_t tag = GM_BPF_LIVE(GM_BPF_KEY(gpu, pid));
	uint32_t i, n = bpf_map__max_entries(skel->maps.gpu_mem_slots);
	int found = 0;

	for (i = 0; i < n; i++) {
		struct gm_bpf_slot s;

		if (bpf_map__lookup_elem(skel->maps.gpu_mem_slots, &i,
					 sizeof(i), &s, sizeof(s), 0))
			return false;
		if (s.tag == tag) {
			*v = s;
			found++;
		}
	}
	return found == 1;
}

static int nr_slots_used(struct gpumem_bpf *skel)
{
	uint32_t i, n = bpf_map__max_entries(skel->maps.gpu_mem_slots);
	struct gm_bpf_slot s;
	int used = 0;

	for (i = 0; i < n; i++)
		if (!bpf_map__lookup_elem(skel->maps.gpu_mem_slots, &i,
					  sizeof(i), &s, sizeof(s), 0))
			used += s.tag && !(s.tag & GM_BPF_DORMANT_BIT);
	return used;
}

static struct gpumem_bpf *load(unsigned int max_entries, unsigned int bits)
{
	struct gpumem_bpf *skel = gpumem_bpf__open();

	if (!skel)
		return NULL;
	bpf_program__set_autoload(skel->progs.gm_tp_btf, false);
	bpf_map__set_max_entries(skel->maps.gpu_mem_total_map, max_entries);
	bpf_map__set_max_entries(skel->maps.gpu_mem_slots, 1u << bits);
	bpf_map__set_max_entries(skel->maps.mirror_queue, 1u << bits);
	skel->rodata->slot_shift = 64 - bits;
	skel->rodata->slot_mask = (1u << bits) - 1;
	if (gpumem_bpf__load(skel)) {
		gpumem_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static void test_insert_update_delete(struct gpumem_bpf *skel)
{
	struct gm_bpf_globals *g = &skel->bss->globals;
	struct gm_bpf_slot in;
	uint64_t v = 0;

	fire(skel, 0, 100, 4096);
	check(total(skel, 0, 100, &v) && v == 4096, "insert: 4096");
	fire(skel, 0, 100, 12288);
	fire(skel, 0, 100, 8192);
	check(total(skel, 0, 100, &v) && v == 8192, "update: absolute, last wins");
	check(slot(skel, 0, 100, &in) && in.peak == 12288 && in.changes == 3 &&
	      in.size == 8192 && in.last_ns, "process peak 12288 after 3 changes");
	check(in.last_ns == g->tick_ns && g->tick_jiffies,
	      "last change: the tick's clock reading");
	fire(skel, 0, 100, 0);
	check(!total(skel, 0, 100, &v) && !slot(skel, 0, 100, &in),
	      "size 0 deletes the process's total and frees its slot");
	fire(skel, 3, 0, 65536);
	fire(skel, 3, 0, 0);
	check(!total(skel, 3, 0, &v), "size 0 deletes the device total");
	check(slot(skel, 3, 0, &in) && in.peak == 65536 && !in.size,
	      "the device keeps its peak after dropping to 0");
	fire(skel, 3, 0, 4096);
	check(total(skel, 3, 0, &v) && v == 4096 && slot(skel, 3, 0, &in) &&
	      in.peak == 65536 && in.changes == 3,
	      "the device comes back in the same slot, peak kept");
	fire(skel, 3, 7, 0);
	check(!total(skel, 3, 7, &v) && !slot(skel, 3, 7, &in),
	      "size 0 of an absent key creates nothing");
	fire(skel, 0, 100, 512);
	check(slot(skel, 0, 100, &in) && in.peak == 512 && in.changes == 1,
	      "a process back from 0 starts a new peak");
	check(g->events == 9, "event counter: 9 events (got %llu)",
	      (unsigned long long)g->events);
	check(!g->drop_total && !g->drop_slot, "no drops below the limits");
}

/* Max 4 keys: 4 fill it; 10 updates of 3 new keys are dropped, counted. */
static void test_full(void)
{
	struct gpumem_bpf *skel = load(4, 5);
	struct gm_bpf_globals *g;
	uint64_t v = 0;
	uint32_t pid;

	if (!check(skel != NULL, "load with max_entries 4"))
		return;
	g = &skel->bss->globals;
	for (pid = 0; pid < 4; pid++)
		fire(skel, 1, pid, 4096);
	for (pid = 0; pid < 10; pid++)
		fire(skel, 1, 10 + pid % 3, 8192 + pid);
	check(g->drop_total == 10, "full map: exactly 10 dropped (got %llu)",
	      (unsigned long long)g->drop_total);
	fire(skel, 1, 2, 1 << 20);
	check(total(skel, 1, 2, &v) && v == 1 << 20,
	      "full map: an existing key still updates in place");
	fire(skel, 1, 11, 0);
	check(g->drop_total == 10, "full map: size 0 of a dropped key is not a drop");
	fire(skel, 1, 3, 0);
	fire(skel, 1, 12, 999);
	check(total(skel, 1, 12, &v) && v == 999 && g->drop_total == 10,
	      "a freed entry takes the next new key");
	check(g->events == 18, "event counter: 18 events");
	gpumem_bpf__destroy(skel);
}

/*
 * 16 slots for up to 40 keys: probes collide, freed slots are reused, and
 * what finds no slot is counted, while the totals map stays exact.
 */
static void test_slots(void)
{
	struct gpumem_bpf *skel = load(64, 4);
	struct gm_bpf_globals *g;
	struct gm_bpf_slot in;
	uint32_t pid, bad = 0;
	uint64_t v = 0;

	if (!check(skel != NULL, "load with 16 slots"))
		return;
	g = &skel->bss->globals;
	for (pid = 1; pid <= 12; pid++)
		fire(skel, 0, pid, pid * 4096);
	for (pid = 1; pid <= 12; pid++)
		bad += !slot(skel, 0, pid, &in) || in.size != pid * 4096;
	check(!bad && nr_slots_used(skel) == 12,
	      "12 keys in 16 slots: each in one slot, with its size");
	for (pid = 1; pid <= 12; pid += 2)
		fire(skel, 0, pid, 0);
	check(nr_slots_used(skel) == 6, "6 freed");
	for (pid = 101; pid <= 110; pid++)
		fire(skel, 0, pid, pid);
	check(nr_slots_used(skel) == 16 && !g->drop_slot,
	      "10 new keys take the 6 freed and the 4 empty slots");
	for (pid = 201; pid <= 203; pid++)
		fire(skel, 0, pid, pid);
	check(g->drop_slot == 3, "a full table: 3 keys without a slot, "
	      "counted (got %llu)", (unsigned long long)g->drop_slot);
	check(total(skel, 0, 202, &v) && v == 202,
	      "a key without a slot is in the totals map");
	fire(skel, 0, 201, 777);
	check(total(skel, 0, 201, &v) && v == 777,
	      "a key without a slot updates in the totals map");
	fire(skel, 0, 201, 0);
	check(!total(skel, 0, 201, &v), "and is deleted from it at 0");
	for (pid = 2, bad = 0; pid <= 12; pid += 2)
		bad += !slot(skel, 0, pid, &in) || in.size != pid * 4096 ||
		       !total(skel, 0, pid, &v) || v != pid * 4096;
	for (pid = 101; pid <= 110; pid++)
		bad += !slot(skel, 0, pid, &in) || in.size != pid;
	check(!bad, "every slotted key still found, once, with its size");
	fire(skel, 0x80000000u, 5, 4096);
	check(g->drop_slot == 5 && total(skel, 0x80000000u, 5, &v) && v == 4096,
	      "gpu_id >= 2^31: no slot, counted, kept in the totals map "
	      "(%llu dropped, %llu)", (unsigned long long)g->drop_slot,
	      (unsigned long long)v);
	check(g->events == 12 + 6 + 10 + 3 + 2 + 1, "event counter: %llu",
	      (unsigned long long)g->events);
	gpumem_bpf__destroy(skel);
}

struct rb_seen {
	struct gm_bpf_event ev[8];
	int n;
};

static int on_rb(void *ctx, void *data, size_t len)
{
	struct rb_seen *s = ctx;

	if (len == sizeof(struct gm_bpf_event) && s->n < 8)
		memcpy(&s->ev[s->n++], data, len);
	return 0;
}

static void test_ringbuf(struct gpumem_bpf *skel)
{
	struct gm_bpf_globals *g = &skel->bss->globals;
	struct rb_seen seen = { 0 };
	struct ring_buffer *rb;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_rb, &seen,
			      NULL);
	if (!check(rb != NULL, "ring buffer opens"))
		return;
	fire(skel, 2, 41, 100);
	ring_buffer__consume(rb);
	check(seen.n == 0 && !g->drop_ringbuf,
	      "no stream lease: no event, none counted as dropped");
	g->stream_until = UINT64_MAX;
	fire(skel, 2, 42, 100);
	fire(skel, 2, 42, 100);		/* no change: no event */
	fire(skel, 2, 42, 300);
	fire(skel, 2, 42, 0);
	g->stream_until = 0;
	fire(skel, 2, 41, 0);
	ring_buffer__consume(rb);
	check(seen.n == 3, "ring buffer: 3 changes, repeated value skipped, "
	      "none after the lease (got %d)", seen.n);
	check(seen.n == 3 && seen.ev[0].old_size == 0 &&
	      seen.ev[0].new_size == 100 && seen.ev[1].old_size == 100 &&
	      seen.ev[1].new_size == 300 && seen.ev[2].old_size == 300 &&
	      seen.ev[2].new_size == 0, "ring buffer: old -> new in order");
	check(seen.n && seen.ev[0].gpu_id == 2 && seen.ev[0].pid == 42 &&
	      seen.ev[0].tgid == (uint32_t)getpid() && seen.ev[0].ts_ns,
	      "ring buffer: gpu, pid, causing task, timestamp");
	ring_buffer__free(rb);
}

/* The pins gpumem_tp_read() opens (bpf/loader.c pins these and more). */
static const char *const pin_names[] = {
	"gpu_mem_total_map", "gpu_mem_slots", "globals",
};

static int pin(struct gpumem_bpf *skel, const char *dir)
{
	struct bpf_map *maps[] = { skel->maps.gpu_mem_total_map,
				   skel->maps.gpu_mem_slots, skel->maps.bss };
	struct statfs st;
	char path[256];
	size_t i;

	/* A fresh machine may not have bpffs mounted yet. */
	if (statfs("/sys/fs/bpf", &st) || st.f_type != BPF_FS_MAGIC)
		mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0755");
	if (mkdir(dir, 0755))
		return -errno;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i]);
		if (bpf_map__pin(maps[i], path))
			return -errno;
	}
	return 0;
}

/*
 * The host has no gpu_mem_total to attach a link to; the reader only
 * looks that a pin of the link's name is there, so the program stands in.
 */
static int pin_link(struct gpumem_bpf *skel, const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/" GM_BPF_PIN_LINK, dir);
	return bpf_program__pin(skel->progs.gm_raw_tp, path) ? -errno : 0;
}

static void unpin(const char *dir)
{
	char path[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/" GM_BPF_PIN_LINK, dir);
	unlink(path);
	rmdir(dir);
}

/* A child that drops root: can it read the pin with BPF_F_RDONLY? */
static int read_as(const char *path, gid_t gid, bool member)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		LIBBPF_OPTS(bpf_obj_get_opts, o, .file_flags = BPF_F_RDONLY);
		gid_t groups[1] = { gid };

		if (setgroups(member ? 1 : 0, groups) || setgid(65534) ||
		    setuid(65534))
			_exit(2);
		_exit(bpf_obj_get_opts(path, &o) >= 0 ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_readers(void)
{
	struct gpumem_bpf *skel = load(64, 8);
	char dir[64], path[128], *text = NULL;
	int err;
	struct gpumem_tp tp;
	size_t len = 0;
	FILE *f;

	if (!check(skel != NULL, "load with max_entries 64"))
		return;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/gpumem-test-%d", (int)getpid());
	err = pin(skel, dir);
	if (!check(!err, "pin under %s: %s", dir, strerror(-err)))
		goto cleanup;
	fire(skel, 1, 300, 8192);
	fire(skel, 0, 200, 4096);
	fire(skel, 0, 0, 12288);
	fire(skel, 0, 100, 8192);
	fire(skel, 1, 300, 4096);
	gpumem_tp_read(dir, &tp);
	check(tp.state == GPUMEM_TP_ERROR && tp.err == -ENOLINK && tp.nr == 0,
	      "maps without the link pin: a half load, no stale key taken "
	      "(%s, %zu keys)", strerror(-tp.err), tp.nr);
	gpumem_tp_release(&tp);
	err = pin_link(skel, dir);
	if (!check(!err, "pin the link's stand-in: %s", strerror(-err)))
		goto cleanup;
	gpumem_tp_read(dir, &tp);
	check(tp.state == GPUMEM_TP_OK && tp.nr == 4 && !tp.android,
	      "gpumem_tp_read: 4 keys (%s)", strerror(-tp.err));
	check(tp.nr == 4 && tp.totals[0].pid == 0 && tp.totals[1].pid == 100 &&
	      tp.totals[2].pid == 200 && tp.totals[3].gpu_id == 1 &&
	      tp.totals[3].bytes == 4096 && tp.totals[3].peak_bytes == 8192 &&
	      tp.totals[3].changes == 2, "sorted by gpu, pid; peaks, changes");
	check(tp.events == 5 && tp.dropped_full == 0 && tp.max_entries == 64,
	      "counters and max_entries read back");
	f = open_memstream(&text, &len);
	if (f) {
		gpumem_tp_print_android(&tp, f);
		fclose(f);
	}
	check(text && !strcmp(text, "Memory snapshot for GPU 0:\n"
			      "Global total: 12288\n"
			      "Proc 100 total: 8192\n"
			      "Proc 200 total: 4096\n"
			      "Memory snapshot for GPU 1:\n"
			      "Global total: N/A\n"
			      "Proc 300 total: 4096\n\n"),
	      "dumpsys gpu --gpumem text, byte for byte");
	free(text);
	gpumem_tp_release(&tp);
	snprintf(path, sizeof(path), "%s/gpu_mem_total_map", dir);
	if (chown(path, 0, 4242) || chmod(path, 0640))
		check(false, "chown/chmod of the pin");
	check(read_as(path, 4242, true) == 0,
	      "unprivileged group member opens the 0640 pin read-only");
	check(read_as(path, 4242, false) == 1,
	      "unprivileged non-member cannot open it");
	gpumem_tp_read("/sys/fs/bpf/gpumem-test-none", &tp);
	check(tp.state == GPUMEM_TP_ABSENT && tp.err == -ENOENT,
	      "no pins: state absent, not an error");
cleanup:
	unpin(dir);
	gpumem_bpf__destroy(skel);
}

int main(void)
{
	struct gpumem_bpf *skel;

	libbpf_set_print(no_print);
	if (geteuid()) {
		printf("1..0 # SKIP BPF unavailable: not root\n");
		return 0;
	}
	skel = load(GM_BPF_MAX_GPUS * GM_BPF_MAX_PROCS, 16);
	if (!skel) {
		printf("1..0 # SKIP BPF unavailable: loading failed (%s)\n",
		       strerror(errno));
		return 0;
	}
	test_insert_update_delete(skel);
	test_ringbuf(skel);
	gpumem_bpf__destroy(skel);
	test_full();
	test_slots();
	test_readers();
	printf("1..%d\n", nr_test);
	return nr_failed ? 1 : 0;
}
