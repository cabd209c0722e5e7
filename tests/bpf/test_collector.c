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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gpumem.skel.h"
#include "gpumem/gpumem.h"
#include "gpumem_bpf.h"

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

static bool info(struct gpumem_bpf *skel, uint32_t gpu, uint32_t pid,
		 struct gm_bpf_info *v)
{
	uint64_t key = GM_BPF_KEY(gpu, pid);

	return !bpf_map__lookup_elem(skel->maps.gpu_mem_info, &key, sizeof(key),
				     v, sizeof(*v), 0);
}

static uint64_t counter(struct gpumem_bpf *skel, uint32_t which)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t v[1024] = { 0 }, sum = 0;
	int c;

	if (ncpu <= 0 || ncpu > 1024 ||
	    bpf_map__lookup_elem(skel->maps.counters, &which, sizeof(which),
				 v, sizeof(uint64_t) * ncpu, 0))
		return UINT64_MAX;
	for (c = 0; c < ncpu; c++)
		sum += v[c];
	return sum;
}

static struct gpumem_bpf *load(unsigned int max_entries)
{
	struct gpumem_bpf *skel = gpumem_bpf__open();

	if (!skel)
		return NULL;
	bpf_program__set_autoload(skel->progs.gm_tp_btf, false);
	bpf_map__set_max_entries(skel->maps.gpu_mem_total_map, max_entries);
	bpf_map__set_max_entries(skel->maps.gpu_mem_info,
				 max_entries + GM_BPF_MAX_GPUS);
	if (gpumem_bpf__load(skel)) {
		gpumem_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static void test_insert_update_delete(struct gpumem_bpf *skel)
{
	struct gm_bpf_info in;
	uint64_t v = 0;

	fire(skel, 0, 100, 4096);
	check(total(skel, 0, 100, &v) && v == 4096, "insert: 4096");
	fire(skel, 0, 100, 12288);
	fire(skel, 0, 100, 8192);
	check(total(skel, 0, 100, &v) && v == 8192, "update: absolute, last wins");
	check(info(skel, 0, 100, &in) && in.peak == 12288 && in.changes == 3 &&
	      in.last_ns, "process peak 12288 after 3 changes");
	fire(skel, 0, 100, 0);
	check(!total(skel, 0, 100, &v) && !info(skel, 0, 100, &in),
	      "size 0 deletes the process's total and info");
	fire(skel, 3, 0, 65536);
	fire(skel, 3, 0, 0);
	check(!total(skel, 3, 0, &v), "size 0 deletes the device total");
	check(info(skel, 3, 0, &in) && in.peak == 65536,
	      "the device keeps its peak after dropping to 0");
	fire(skel, 3, 7, 0);
	check(!total(skel, 3, 7, &v) && !info(skel, 3, 7, &in),
	      "size 0 of an absent key creates nothing");
	check(counter(skel, GM_BPF_EVENTS) == 7, "event counter: 7 events");
	check(counter(skel, GM_BPF_DROP_TOTAL) == 0, "no drops below the limit");
}

/* Max 4 keys: 4 fill it; 10 updates of 3 new keys are dropped, counted. */
static void test_full(void)
{
	struct gpumem_bpf *skel = load(4);
	uint64_t v = 0;
	uint32_t pid;

	if (!check(skel != NULL, "load with max_entries 4"))
		return;
	for (pid = 0; pid < 4; pid++)
		fire(skel, 1, pid, 4096);
	for (pid = 0; pid < 10; pid++)
		fire(skel, 1, 10 + pid % 3, 8192 + pid);
	check(counter(skel, GM_BPF_DROP_TOTAL) == 10,
	      "full map: exactly 10 dropped (got %llu)",
	      (unsigned long long)counter(skel, GM_BPF_DROP_TOTAL));
	fire(skel, 1, 2, 1 << 20);
	check(total(skel, 1, 2, &v) && v == 1 << 20,
	      "full map: an existing key still updates in place");
	fire(skel, 1, 11, 0);
	check(counter(skel, GM_BPF_DROP_TOTAL) == 10,
	      "full map: size 0 of a dropped key is not a drop");
	fire(skel, 1, 3, 0);
	fire(skel, 1, 12, 999);
	check(total(skel, 1, 12, &v) && v == 999 &&
	      counter(skel, GM_BPF_DROP_TOTAL) == 10,
	      "a freed slot takes the next new key");
	check(counter(skel, GM_BPF_EVENTS) == 18, "event counter: 18 events");
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
	struct rb_seen seen = { 0 };
	struct ring_buffer *rb;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_rb, &seen,
			      NULL);
	if (!check(rb != NULL, "ring buffer opens"))
		return;
	ring_buffer__consume(rb);	/* what earlier tests left */
	seen.n = 0;
	fire(skel, 2, 42, 100);
	fire(skel, 2, 42, 100);		/* no change: no event */
	fire(skel, 2, 42, 300);
	fire(skel, 2, 42, 0);
	ring_buffer__consume(rb);
	check(seen.n == 3, "ring buffer: 3 changes, repeated value skipped "
	      "(got %d)", seen.n);
	check(seen.n == 3 && seen.ev[0].old_size == 0 &&
	      seen.ev[0].new_size == 100 && seen.ev[1].old_size == 100 &&
	      seen.ev[1].new_size == 300 && seen.ev[2].old_size == 300 &&
	      seen.ev[2].new_size == 0, "ring buffer: old -> new in order");
	check(seen.n && seen.ev[0].gpu_id == 2 && seen.ev[0].pid == 42 &&
	      seen.ev[0].tgid == (uint32_t)getpid() && seen.ev[0].ts_ns,
	      "ring buffer: gpu, pid, causing task, timestamp");
	ring_buffer__free(rb);
}

static int pin(struct gpumem_bpf *skel, const char *dir)
{
	struct bpf_map *maps[] = { skel->maps.gpu_mem_total_map,
				   skel->maps.gpu_mem_info,
				   skel->maps.counters };
	char path[256];
	size_t i;

	if (mkdir(dir, 0755))
		return -errno;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir,
			 bpf_map__name(maps[i]));
		if (bpf_map__pin(maps[i], path))
			return -1;
	}
	return 0;
}

static void unpin(const char *dir)
{
	static const char *const names[] = {
		"gpu_mem_total_map", "gpu_mem_info", "counters",
	};
	char path[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
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
	struct gpumem_bpf *skel = load(64);
	char dir[64], path[128], *text = NULL;
	struct gpumem_tp tp;
	size_t len = 0;
	FILE *f;

	if (!check(skel != NULL, "load with max_entries 64"))
		return;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/gpumem-test-%d", (int)getpid());
	if (!check(!pin(skel, dir), "pin under %s", dir))
		goto cleanup;
	fire(skel, 1, 300, 8192);
	fire(skel, 0, 200, 4096);
	fire(skel, 0, 0, 12288);
	fire(skel, 0, 100, 8192);
	fire(skel, 1, 300, 4096);
	gpumem_tp_read(dir, &tp);
	check(tp.state == GPUMEM_TP_OK && tp.nr == 4 && !tp.android,
	      "gpumem_tp_read: 4 keys");
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
	skel = load(GM_BPF_MAX_GPUS * GM_BPF_MAX_PROCS);
	if (!skel) {
		printf("1..0 # SKIP BPF unavailable: loading failed (%s)\n",
		       strerror(errno));
		return 0;
	}
	test_insert_update_delete(skel);
	test_ringbuf(skel);
	gpumem_bpf__destroy(skel);
	test_full();
	test_readers();
	printf("1..%d\n", nr_test);
	return nr_failed ? 1 : 0;
}
