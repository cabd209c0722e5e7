/* SPDX-License-Identifier: MIT */
/*
 * libgpumem: GPU and dma-buf memory of every device and process, from the
 * interfaces the kernel offers (DRM fdinfo, dma-buf fdinfo, /proc/PID/maps,
 * sysfs), with every shared buffer counted once.
 *
 * All byte figures are uint64_t.  Functions return 0 or a negative errno.
 *
 * Growing without breaking: every struct the library hands out starts with
 * struct_size, its size as the library built it.  New fields are only ever
 * appended, so a program reads a field only when gpumem_has() says it is
 * there, and steps through an array with gpumem_at(), never with [i]: the
 * library's elements may be larger than the program's.
 */
#ifndef GPUMEM_GPUMEM_H
#define GPUMEM_GPUMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; this header is its API. */
#pragma GCC visibility push(default)

/* &arr[i] for an array the library returned (see above). */
#define gpumem_at(arr, i) \
	((__typeof__(arr))((const char *)(arr) + \
			    (size_t)(i) * (arr)->struct_size))
/* Whether a struct from the library has field (a newer library's). */
#define gpumem_has(obj, field) \
	((obj)->struct_size >= \
	 offsetof(__typeof__(*(obj)), field) + sizeof((obj)->field))

#define GPUMEM_NAME_MAX 64
#define GPUMEM_KEY_MAX 32		/* region and engine names */
#define GPUMEM_MAX_REGIONS 8
#define GPUMEM_MAX_ENGINES 12

/* The memory statistics of one DRM memory region (drm-<stat>-<region>). */
enum gpumem_stat {
	GPUMEM_STAT_TOTAL,
	GPUMEM_STAT_SHARED,
	GPUMEM_STAT_RESIDENT,
	GPUMEM_STAT_PURGEABLE,
	GPUMEM_STAT_ACTIVE,
	GPUMEM_STAT_COUNT
};

/* What kind of memory a DRM region is; the driver's name is kept beside. */
enum gpumem_kind {
	GPUMEM_KIND_VRAM,		/* device-local: vram*, local* */
	GPUMEM_KIND_SYSTEM,		/* system RAM: system*, cpu, memory */
	GPUMEM_KIND_GTT,		/* system RAM mapped for the GPU */
	GPUMEM_KIND_STOLEN,		/* carved out by firmware: stolen* */
	GPUMEM_KIND_UNKNOWN,
	GPUMEM_KIND_COUNT
};

/* A client's regions and engines: gpumem_client_regions(), _engines(). */
struct gpumem_region {
	uint32_t struct_size;
	unsigned int present;		/* bit (1 << enum gpumem_stat) */
	char name[GPUMEM_KEY_MAX];
	uint64_t bytes[GPUMEM_STAT_COUNT];
	enum gpumem_kind kind;
	bool legacy;			/* resident came from drm-memory-<region> */
};

struct gpumem_engine {
	uint32_t struct_size;
	unsigned int present;		/* bit per field below, in order */
	char name[GPUMEM_KEY_MAX];
	uint64_t busy_ns;		/* drm-engine-<e> */
	uint64_t capacity;		/* drm-engine-capacity-<e>, default 1 */
	uint64_t cycles;		/* drm-cycles-<e> */
	uint64_t total_cycles;		/* drm-total-cycles-<e> */
	uint64_t maxfreq_hz;		/* drm-maxfreq-<e> */
};

/* How a device's total was obtained. */
enum gpumem_origin {
	GPUMEM_ORIGIN_NONE,		/* not known */
	GPUMEM_ORIGIN_SYSFS,		/* the driver's own counters */
	GPUMEM_ORIGIN_DERIVED,		/* sum over the device's DRM clients */
	GPUMEM_ORIGIN_TRACEPOINT,	/* gpu_mem_total pid 0, via BPF */
	GPUMEM_ORIGIN_FDINFO,		/* a process's DRM clients */
	GPUMEM_ORIGIN_NVML,		/* NVIDIA's NVML: used memory */
};

/*
 * One source's figure for a device total or a process's GPU memory.  The
 * model keeps every reading and picks one by a stated order (docs/model.md):
 * for a device the tracepoint, then the driver's counters, then the sum of
 * its clients; for a process its clients' fdinfo.
 */
struct gpumem_reading {
	enum gpumem_origin origin;
	uint64_t bytes;
};

#define GPUMEM_MAX_READINGS 4

struct gpumem_device {
	uint32_t struct_size;
	int index;			/* primary minor: cardN */
	int render_minor;		/* renderDN, -1 when none */
	char driver[GPUMEM_NAME_MAX];
	char pdev[GPUMEM_NAME_MAX];	/* PCI slot, "" when not PCI */
	uint32_t vendor_id;
	uint32_t device_id;
	enum gpumem_origin origin;
	uint64_t total_bytes;		/* see origin */
	uint64_t clients_bytes;		/* sum over clients with known memory */
	uint64_t clients_shared_bytes;	/* of which shared with another file */
	uint64_t vram_used, vram_total;	/* 0 when the driver has no such file */
	uint64_t gtt_used, gtt_total;
	unsigned int nr_clients;
	unsigned int nr_unknown_clients;/* clients that report no memory */
	char name[2 * GPUMEM_NAME_MAX];	/* from pci.ids; "" when unknown */
	struct gpumem_reading readings[GPUMEM_MAX_READINGS];
	unsigned int nr_readings;
	bool readings_disagree;		/* two sources, two figures */
	/* total_bytes is a sum over clients and some holder was not
	 * readable: the real total is at least total_bytes. */
	bool total_partial;
	/* total_bytes is a sum over clients that share bytes: an object in
	 * several files is in it several times, so it is an upper bound. */
	bool total_upper_bound;
	/*
	 * The clients' shares of total_bytes (docs/model.md, "GPU shares"):
	 * shares_exact when the total is exact, every holder was read and
	 * the clients' private bytes fit in it.  Then shared_pool_bytes is
	 * what the clients' shared bytes are once (the total less their
	 * private bytes, at most their shared bytes), and unattributed_bytes
	 * what no readable file holds (kernel-held, handle-less objects).
	 */
	bool shares_exact;
	uint64_t shared_pool_bytes;
	uint64_t unattributed_bytes;
	/* NVML: memory the driver reserves, inside vram_total; 0 unknown. */
	uint64_t vram_reserved;
};

/* One DRM file (struct drm_file): counted once however many fds hold it. */
struct gpumem_client {
	uint32_t struct_size;
	int device;			/* index into the device array, or -1 */
	int minor;			/* the minor it was opened through */
	uint64_t client_id;
	bool has_client_id;
	bool mem_known;			/* false: the driver prints no memory */
	char driver[GPUMEM_NAME_MAX];
	char pdev[GPUMEM_NAME_MAX];
	char name[GPUMEM_NAME_MAX];	/* drm-client-name */
	uint64_t bytes;			/* the client's memory, see docs */
	uint64_t shared_bytes;
	uint64_t resident_bytes;
	/* Its part of the device total: private bytes plus a share of the
	 * device's shared pool; an upper bound (bytes) unless share_exact. */
	uint64_t share_bytes;
	bool share_exact;
	unsigned int nr_holders;	/* processes holding it */
	unsigned int nr_regions;	/* see gpumem_client_regions() */
	unsigned int nr_engines;	/* see gpumem_client_engines() */
};

struct gpumem_dmabuf {
	uint32_t struct_size;
	uint64_t ino;
	uint64_t size;
	char exporter[GPUMEM_NAME_MAX];
	char name[GPUMEM_NAME_MAX];
	unsigned int nr_holders;	/* processes holding it by fd or map */
	bool mapped;			/* some process maps it */
	bool fd_held;			/* some process holds an fd */
	bool gpu_overlap;		/* exported by a GPU driver */
	bool size_from_vma;		/* no fd, no sysfs: the mapping's length */
};

struct gpumem_process {
	uint32_t struct_size;
	pid_t pid;
	char comm[GPUMEM_NAME_MAX];
	uint64_t gpu_total_bytes;	/* RSS-like: full size of each client */
	uint64_t gpu_pss_bytes;		/* PSS-like: split among holders */
	uint64_t dmabuf_rss_bytes;
	uint64_t dmabuf_pss_bytes;
	unsigned int nr_clients;
	unsigned int nr_unknown_clients;
	unsigned int nr_dmabufs;
	/* gpu_mem_total: objects with a handle, each once; see gpumem_tp */
	bool tp_known;
	uint64_t tp_bytes;		/* summed over GPUs */
	struct gpumem_reading readings[GPUMEM_MAX_READINGS];
	unsigned int nr_readings;
	uid_t uid;			/* read it with gpumem_process_uid() */
	int cgroup;			/* see gpumem_process_cgroup() */
	/* false: gpu_pss_bytes is an upper bound, not a PSS (a device total
	 * is not known, or a holder of shared bytes could not be read) */
	bool gpu_pss_exact;
	/* false: gpu_total_bytes may count an object in several of its
	 * files more than once; it is then an upper bound */
	bool gpu_rss_exact;
	pid_t ppid;			/* read it with gpumem_process_ppid() */
};

/*
 * Whose process p is: the real uid of the Uid: line of /proc/PID/status
 * (of the --root tree too), or GPUMEM_UID_UNKNOWN when the tree has no
 * status file for it, its Uid: line is malformed, or the library that
 * filled p is older.  A status that exists but cannot be read makes the
 * process unreadable (gpumem_scan_stats), as any of its files does.
 */
#define GPUMEM_UID_UNKNOWN ((uid_t)-1)
uid_t gpumem_process_uid(const struct gpumem_process *p);

/*
 * Whose child p is: the PPid: line of /proc/PID/status, the parent's pid
 * as this pid namespace sees it; 0 when the kernel names none there (pid
 * 1, a parent outside the namespace).  GPUMEM_PID_UNKNOWN when the tree
 * has no status or no PPid: line for it, the line is malformed, or the
 * library that filled p is older.  The parent need not hold anything, and
 * a --root tree may name any pid, p itself or a loop.
 */
#define GPUMEM_PID_UNKNOWN ((pid_t)-1)
pid_t gpumem_process_ppid(const struct gpumem_process *p);

struct gpumem_dmabuf_totals {
	uint64_t total_bytes;		/* each buffer once */
	uint64_t gpu_overlap_bytes;	/* of which exported by a GPU driver */
	uint64_t userspace_bytes;	/* held by some process */
	uint64_t kernel_bytes;		/* sysfs total minus userspace */
	bool sysfs;			/* /sys/kernel/dmabuf/buffers read */
	unsigned int nr_buffers;
	/* kernel_bytes is not known (a holder was not readable, or no
	 * sysfs); total_bytes is at least what it says. */
	bool kernel_unknown;
	bool total_partial;
};

/*
 * How the DRM and dma-buf fds were found: the BPF task_file iterator (root,
 * CAP_BPF + CAP_PERFMON, kernel BTF) or the /proc walk.  AUTO: the iterator
 * where it loads, else the walk; both give the same figures.
 */
enum gpumem_discovery {
	GPUMEM_DISCOVERY_AUTO,
	GPUMEM_DISCOVERY_BPF,
	GPUMEM_DISCOVERY_PROC,
};

const char *gpumem_discovery_name(enum gpumem_discovery d);

/* What could not be read: never a silent undercount. */
struct gpumem_scan_stats {
	unsigned int listed;		/* = processes + unreadable + vanished */
	unsigned int processes;		/* processes scanned */
	/* EACCES/EPERM, or a file not as the kernel writes it (a FIFO, a
	 * directory, a symlink, too large): nothing of it is in any figure */
	unsigned int unreadable_processes;
	unsigned int vanished;		/* exited mid-scan */
	unsigned int malformed_lines;	/* skipped kernel text */
	unsigned int unresolved_fds;	/* DRM fds without id, no kcmp */
	bool refreshed;			/* from a scanner's refresh path */
	enum gpumem_discovery discovery;	/* BPF or PROC: what found them */
};

/* When and where a sample was taken: what a time series needs. */
struct gpumem_sample_info {
	uint32_t struct_size;
	char kernel_release[GPUMEM_NAME_MAX];	/* from proc/version */
	int64_t realtime_ns;		/* CLOCK_REALTIME at the start */
	int64_t boottime_ns;		/* CLOCK_BOOTTIME at the start */
};

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *gpumem_version(void);

/* What each kernel interface gave this sample (gpumem sources). */
enum gpumem_source_state {
	GPUMEM_SOURCE_FOUND,
	GPUMEM_SOURCE_MISSING,		/* not in this kernel or not loaded */
	GPUMEM_SOURCE_DENIED,		/* there, not readable by this user */
	GPUMEM_SOURCE_ERROR,		/* there, reading it failed */
	GPUMEM_SOURCE_UNUSED,		/* not read by this kind of sample */
};

struct gpumem_source_status {
	uint32_t struct_size;
	const char *name;		/* "drm-fdinfo", "dmabuf-sysfs", ... */
	const char *what;		/* the interface, in a few words */
	enum gpumem_source_state state;
	/* What was found, or what to do; it may quote a --root tree (a
	 * name, a capture's reason): escape it before a terminal. */
	char detail[160];
};

/*
 * A --root capture that stopped early (its PARTIAL file): the
 * "capture-manifest" source is GPUMEM_SOURCE_MISSING and its detail, and
 * a missing line of gpumem_explain, begin with this, then ": " and the
 * first line of PARTIAL.  The capture is not the whole system.
 */
#define GPUMEM_PARTIAL_CAPTURE "a partial capture, not the whole system"

/*
 * What to sample.  Unlike the structs the library hands out, this one is the
 * caller's, so it carries the caller's size: set sz with GPUMEM_OPTS_INIT.
 * A newer library reads the fields a program was built with and takes the
 * rest as 0; an older one refuses (-E2BIG) a field it does not know that is
 * set.  NULL opts: the live system, every process, discovery AUTO.
 */
struct gpumem_opts {
	size_t sz;			/* sizeof(struct gpumem_opts) */
	const char *root;		/* NULL or "/": the live system */
	pid_t pid;			/* 0: all processes */
	enum gpumem_discovery discovery;	/* a --root tree: always PROC */
};
#define GPUMEM_OPTS_INIT .sz = sizeof(struct gpumem_opts)

struct gpumem_snapshot;

int gpumem_snapshot_take(const struct gpumem_opts *opts,
			 struct gpumem_snapshot **out);
void gpumem_snapshot_free(struct gpumem_snapshot *snap);
/*
 * A snapshot read back from a document of gpumem_print_json() (gpumem
 * --json, gpumemd's snapshot reply): text[len] is anyone's, so any value
 * that is not what gpumem writes fails it whole, -EBADMSG.  The figures
 * are taken as the document has them, not computed again.  Read back:
 * the devices, the processes (with their devices, uid and cgroup), the
 * dma-buf totals, the scan counts, the collector's state, the sources and
 * the time: what the table, the groups and the CSV show.  Not read back:
 * the clients and dma-bufs themselves (gpumem_clients() and
 * gpumem_dmabufs() give none, nor a process's holdings), the collector's
 * totals, dmem.
 */
int gpumem_snapshot_from_json(const char *text, size_t len,
			      struct gpumem_snapshot **out);

/*
 * Repeated sampling.  A full sample walks /proc and keeps an index of the
 * DRM and dma-buf fds it found; a refresh re-reads only those fdinfo files
 * and those processes' maps.  A refresh does not see processes or fds that
 * appeared since the last full sample; it falls back to a full sample when
 * there is no index or the previous refresh found an indexed fd changed.
 *
 * A recorded series: when opts->root has no proc/ but subdirectories that
 * are roots (captures, gpumem --capture), each sample is the next of them
 * in version order of their names (2 before 10), read in full; a sample
 * past the last returns -ENODATA.
 */
struct gpumem_scanner;

int gpumem_scanner_new(const struct gpumem_opts *opts,
		       struct gpumem_scanner **out);
int gpumem_scanner_sample(struct gpumem_scanner *sc, bool refresh,
			  struct gpumem_snapshot **out);
void gpumem_scanner_free(struct gpumem_scanner *sc);

const struct gpumem_device *gpumem_devices(const struct gpumem_snapshot *s,
					   size_t *nr);
const struct gpumem_client *gpumem_clients(const struct gpumem_snapshot *s,
					   size_t *nr);
const struct gpumem_dmabuf *gpumem_dmabufs(const struct gpumem_snapshot *s,
					   size_t *nr);
/* Sorted by gpu_pss_bytes + dmabuf_pss_bytes, largest first. */
const struct gpumem_process *gpumem_processes(const struct gpumem_snapshot *s,
					      size_t *nr);
const struct gpumem_dmabuf_totals *
gpumem_dmabuf_totals(const struct gpumem_snapshot *s);
const struct gpumem_scan_stats *
gpumem_scan_stats(const struct gpumem_snapshot *s);
const struct gpumem_sample_info *
gpumem_sample_info(const struct gpumem_snapshot *s);
/* Every source in the order the model reads them. */
const struct gpumem_source_status *
gpumem_sources(const struct gpumem_snapshot *s, size_t *nr);
const char *gpumem_source_state_name(enum gpumem_source_state state);

/*
 * Who holds what.  A process's holdings: each client (or dma-buf) it holds,
 * by index into gpumem_clients() (gpumem_dmabufs()), with the PSS-like
 * share it was given.  A client's or dma-buf's holders: their pids.
 */
struct gpumem_holding {
	uint32_t struct_size;
	uint32_t index;
	uint64_t share_bytes;
};

const struct gpumem_holding *
gpumem_process_clients(const struct gpumem_snapshot *s,
		       const struct gpumem_process *p, size_t *nr);
const struct gpumem_holding *
gpumem_process_dmabufs(const struct gpumem_snapshot *s,
		       const struct gpumem_process *p, size_t *nr);
const pid_t *gpumem_client_holders(const struct gpumem_snapshot *s,
				   const struct gpumem_client *c, size_t *nr);
const pid_t *gpumem_dmabuf_holders(const struct gpumem_snapshot *s,
				   const struct gpumem_dmabuf *b, size_t *nr);

/*
 * A client's memory regions and engines, as its fdinfo names them, in
 * the order it names them: only those it has, at most GPUMEM_MAX_REGIONS
 * and GPUMEM_MAX_ENGINES (the keys of any further one are malformed lines).
 */
const struct gpumem_region *
gpumem_client_regions(const struct gpumem_snapshot *s,
		      const struct gpumem_client *c, size_t *nr);
const struct gpumem_engine *
gpumem_client_engines(const struct gpumem_snapshot *s,
		      const struct gpumem_client *c, size_t *nr);

/*
 * A process's GPU memory on one device.  rss and pss as in struct
 * gpumem_process (which sums them over devices); by_kind splits rss by the
 * kind of the clients' regions, so it adds up to rss.
 */
struct gpumem_process_device {
	uint32_t struct_size;
	int device;			/* index into gpumem_devices() */
	uint64_t rss_bytes;
	uint64_t pss_bytes;
	uint64_t by_kind[GPUMEM_KIND_COUNT];
	unsigned int nr_clients;
	unsigned int nr_unknown_clients;
	bool pss_exact;			/* see gpumem_process.gpu_pss_exact */
	bool rss_exact;			/* see gpumem_process.gpu_rss_exact */
	/* rss_bytes is the collector's gpu_mem_total for (card, pid): each
	 * object once however many of the process's files hold it */
	bool rss_from_tp;
};

const struct gpumem_process_device *
gpumem_process_devices(const struct gpumem_snapshot *s,
		       const struct gpumem_process *p, size_t *nr);
const char *gpumem_kind_name(enum gpumem_kind kind);

/*
 * A history of samples in memory, per device and per process: what a time
 * series or a leak hint needs, within a budget of bytes.  Each added
 * snapshot becomes one sample; when the budget is exceeded, the oldest
 * samples go.  A sample says whether the one before it is missing (gap):
 * the first sample of a history (the program, a daemon, just started: what
 * came before is not known), or one more than 1.5 intervals after the
 * previous (a missed sample, a suspend).
 */
struct gpumem_history;

enum gpumem_gap {
	GPUMEM_GAP_NONE,
	GPUMEM_GAP_START,		/* the first sample of this history */
	GPUMEM_GAP_MISSED,		/* > 1.5 intervals after the previous */
};

struct gpumem_history_device {
	uint32_t struct_size;
	int index;			/* cardN, as gpumem_device.index */
	bool known;			/* total_bytes is known (an origin) */
	bool partial;			/* gpumem_device.total_partial */
	uint64_t total_bytes;
};

#define GPUMEM_HISTORY_COMM 16		/* TASK_COMM_LEN; longer is cut */

struct gpumem_history_process {
	uint32_t struct_size;
	pid_t pid;
	uid_t uid;			/* gpumem_process_uid() */
	char comm[GPUMEM_HISTORY_COMM];
	uint64_t gpu_rss_bytes;		/* gpumem_process.gpu_total_bytes */
	uint64_t gpu_pss_bytes;
	uint64_t dmabuf_rss_bytes;
	uint64_t dmabuf_pss_bytes;
	bool gpu_pss_exact;		/* false: gpu_pss_bytes is a bound */
};

struct gpumem_history_sample {
	uint32_t struct_size;
	int64_t realtime_ns;		/* gpumem_sample_info() */
	int64_t boottime_ns;
	enum gpumem_gap gap;		/* what is missing before it */
	unsigned int unreadable_processes;
	size_t nr_devices;
	size_t nr_processes;
	const struct gpumem_history_device *devices;	/* by index */
	const struct gpumem_history_process *processes;	/* by pid */
};

/*
 * max_bytes: the budget, everything the history allocates included;
 * interval_ns: the spacing the caller samples at (0: no missed-sample
 * gaps).  add: -E2BIG when one sample alone exceeds the budget (the
 * history is left as it was).  at(h, 0) is the oldest sample, NULL past
 * the newest; a sample lives until a later add or free.
 */
int gpumem_history_new(size_t max_bytes, int64_t interval_ns,
		       struct gpumem_history **out);
int gpumem_history_add(struct gpumem_history *h,
		       const struct gpumem_snapshot *s);
size_t gpumem_history_len(const struct gpumem_history *h);
size_t gpumem_history_bytes(const struct gpumem_history *h);
const struct gpumem_history_sample *
gpumem_history_at(const struct gpumem_history *h, size_t i);
/* The process pid in sample s (binary search), or NULL. */
const struct gpumem_history_process *
gpumem_history_find(const struct gpumem_history_sample *s, pid_t pid);
void gpumem_history_free(struct gpumem_history *h);

/*
 * Who a process runs for, from /proc/PID/cgroup: its cgroup v2 path (on a
 * cgroup v1 host, that of systemd's name=systemd hierarchy), and what the
 * path's shape says of its owner.  Anyone who may create a cgroup may name
 * it so: an owner is a label, not a proof.
 */
enum gpumem_owner_kind {
	GPUMEM_OWNER_UNKNOWN,		/* a path of no known shape */
	GPUMEM_OWNER_UNIT,		/* a systemd unit */
	GPUMEM_OWNER_CONTAINER,		/* docker, podman, crio, containerd */
	GPUMEM_OWNER_POD,		/* a Kubernetes pod */
};

#define GPUMEM_ID_MAX 72		/* a container id, a pod uid */
#define GPUMEM_UNIT_MAX 512		/* two systemd unit names */

/* One per distinct cgroup of the snapshot's processes. */
struct gpumem_cgroup {
	uint32_t struct_size;
	const char *path;		/* "/system.slice/foo.service" */
	bool v1;			/* from name=systemd: no cgroup v2 */
	bool deleted;			/* removed, the process still in it */
	enum gpumem_owner_kind kind;
	/* "system.slice/foo.service", "user@1000.service/app-x.scope";
	 * "" when the path names no unit */
	char unit[GPUMEM_UNIT_MAX];
	char runtime[16];		/* "docker", "podman", "crio", ... */
	char container_id[GPUMEM_ID_MAX];
	char pod_uid[GPUMEM_ID_MAX];	/* with dashes, as the API server's */
	/* One readable name: the unit, "docker 0123456789ab", "pod UID",
	 * else the path */
	char owner[GPUMEM_UNIT_MAX];
};

const struct gpumem_cgroup *gpumem_cgroups(const struct gpumem_snapshot *s,
					   size_t *nr);
/* p's cgroup; NULL when it could not be read. */
const struct gpumem_cgroup *
gpumem_process_cgroup(const struct gpumem_snapshot *s,
		      const struct gpumem_process *p);
/*
 * The command line of process pid under root (NULL or "/": the live
 * system), its arguments joined by spaces and cut to size: read when
 * called, not part of any sample.  The process's own text: escape it
 * before a terminal.  -ENODATA for an empty one (a kernel thread, a
 * zombie); -ENOENT, -EACCES as the file says.
 */
int gpumem_process_cmdline(const char *root, pid_t pid, char *buf,
			   size_t size);
/* Its cgroup's owner, "unknown" when the cgroup could not be read. */
const char *gpumem_process_owner(const struct gpumem_snapshot *s,
				 const struct gpumem_process *p);
const char *gpumem_owner_kind_name(enum gpumem_owner_kind kind);

/*
 * The dmem cgroup controller (Linux 6.14+): device memory charged per
 * cgroup and region ("drm/0000:03:00.0/vram0").  A pool is one cgroup's
 * figures for one region; the root has current only.  GPUMEM_DMEM_MAX is
 * the files' "max": no limit (for min and low: all of it protected).
 * Without the controller, available is false and there are none.
 */
#define GPUMEM_DMEM_MAX UINT64_MAX

struct gpumem_dmem_region {
	uint32_t struct_size;
	char name[GPUMEM_NAME_MAX];
	uint64_t capacity_bytes;	/* the root's dmem.capacity */
};

struct gpumem_dmem_pool {
	uint32_t struct_size;
	const char *cgroup;		/* "/", "/system.slice/foo.service" */
	unsigned int region;		/* index into gpumem_dmem_regions() */
	uint64_t current_bytes;
	uint64_t min_bytes, low_bytes, max_bytes;
	bool limits;			/* min, low, max were read */
};

bool gpumem_dmem_available(const struct gpumem_snapshot *s);
const struct gpumem_dmem_region *
gpumem_dmem_regions(const struct gpumem_snapshot *s, size_t *nr);
/* Each cgroup's pools together, parents before children. */
const struct gpumem_dmem_pool *
gpumem_dmem_pools(const struct gpumem_snapshot *s, size_t *nr);
/* cg's pools (a process's: gpumem_process_cgroup()); NULL, 0: none. */
const struct gpumem_dmem_pool *
gpumem_cgroup_dmem(const struct gpumem_snapshot *s,
		   const struct gpumem_cgroup *cg, size_t *nr);

/*
 * The processes' PSS-like figures summed per group (gpumem --group).  Each
 * process is in one group, one that could not be read in "unknown", so the
 * groups add up exactly to the processes.
 */
enum gpumem_group_by {
	GPUMEM_GROUP_CGROUP,		/* gpumem_process_cgroup()'s path */
	GPUMEM_GROUP_UNIT,		/* its systemd unit */
	GPUMEM_GROUP_USER,		/* gpumem_process_uid() */
	/* The holders' process tree (gpumem_process_ppid()): a holder whose
	 * parent holds nothing, is unknown or is itself, and the holders
	 * below it; where parents loop, the loop's smallest pid is the root */
	GPUMEM_GROUP_TREE,
};

struct gpumem_group {
	uint32_t struct_size;
	/* The path, the unit ("(no unit)": a cgroup that names none), the
	 * uid in decimal; "unknown" where that is not known. */
	const char *name;
	const struct gpumem_cgroup *cgroup;	/* by cgroup; else NULL */
	uid_t uid;			/* by user; else GPUMEM_UID_UNKNOWN */
	unsigned int nr_processes;
	uint64_t gpu_pss_bytes;
	uint64_t dmabuf_pss_bytes;
	unsigned int nr_unknown_clients;	/* left out of gpu_pss_bytes */
	char id[16];			/* what a user's name points to */
	/* processes whose gpu_pss_bytes is only an upper bound: when not 0,
	 * so is the group's (gpumem_process.gpu_pss_exact) */
	unsigned int nr_pss_bounds;
	pid_t root;			/* by tree: the root's pid; else 0 */
	char label[GPUMEM_NAME_MAX + 16];	/* by tree: "PID comm" */
};

/* Largest gpu + dma-buf PSS first; free *out before s (names point in). */
int gpumem_group(const struct gpumem_snapshot *s, enum gpumem_group_by by,
		 struct gpumem_group **out, size_t *nr);
void gpumem_group_free(struct gpumem_group *g);
const char *gpumem_group_by_name(enum gpumem_group_by by);

/* Output formats; GPUMEM_PRINT_BYTES prints exact bytes, not IEC units. */
#define GPUMEM_PRINT_BYTES 0x1u

int gpumem_print_table(const struct gpumem_snapshot *s, FILE *f,
		       unsigned int flags);
/* The documented schema of docs/json-schema.md; one JSON document. */
int gpumem_print_json(const struct gpumem_snapshot *s, FILE *f);
/* gpumem cgroups: the dmem regions and pools, or why there are none. */
int gpumem_print_cgroups_table(const struct gpumem_snapshot *s, FILE *f,
			       unsigned int flags);
int gpumem_print_cgroups_json(const struct gpumem_snapshot *s, FILE *f);
/* gpumem --group: a table, a JSON document (docs/json-schema.md). */
int gpumem_print_groups_table(const struct gpumem_snapshot *s,
			      enum gpumem_group_by by, FILE *f,
			      unsigned int flags);
int gpumem_print_groups_json(const struct gpumem_snapshot *s,
			     enum gpumem_group_by by, FILE *f);
/* The same document on one line: a series of them is NDJSON. */
int gpumem_print_json_line(const struct gpumem_snapshot *s, FILE *f);
/*
 * CSV (RFC 4180), one row per process and device it holds memory of (a
 * process holding none: one row, its device columns empty), each row
 * starting with the sample's time; the columns are the JSON's keys
 * (docs/json-schema.md, "CSV").  GPUMEM_PRINT_CSV_HEAD: the header row first.
 */
#define GPUMEM_PRINT_CSV_HEAD 0x2u
int gpumem_print_csv(const struct gpumem_snapshot *s, FILE *f,
		     unsigned int flags);
/*
 * gpumem --group as a series: the document of gpumem_print_groups_json()
 * on one line (NDJSON); CSV, one row per group (no total row), each row
 * starting with the sample's time and group_by (docs/json-schema.md).
 */
int gpumem_print_groups_json_line(const struct gpumem_snapshot *s,
				  enum gpumem_group_by by, FILE *f);
int gpumem_print_groups_csv(const struct gpumem_snapshot *s,
			    enum gpumem_group_by by, FILE *f,
			    unsigned int flags);

/*
 * The Prometheus text exposition format (0.0.4) of s: the metrics of
 * gpumemd(8), each family with HELP and TYPE.  The largest
 * max_process_series processes get per-process series, the others are
 * summed into pid="other"; explain (NULL: none) gives gpumem_explain_bytes;
 * sample_seconds < 0 leaves gpumem_sample_duration_seconds out.
 */
struct gpumem_prom_opts {
	bool process_metrics;
	unsigned int max_process_series;
	double sample_seconds;
	const struct gpumem_explain *explain;
};

int gpumem_print_prometheus(const struct gpumem_snapshot *s,
			    const struct gpumem_prom_opts *opts, FILE *f);

/*
 * Writes to dir (created 0700, or an empty directory owned by the caller's
 * euid and not writable by others; else -EPERM) the files of root (NULL or
 * "/": the live system) that a snapshot and an explain read, in the same
 * layout, so that opts.root = dir gives the same figures: proc/meminfo,
 * zoneinfo and version; for every process proc/PID/comm, smaps_rollup, the
 * maps lines naming /dmabuf, its DRM and dma-buf fds (fd/N symlinks to the
 * link text, fdinfo/N); sys/class/drm card and render nodes with their
 * parent device (uevent, mem_info_*) through relative links;
 * sys/kernel/dmabuf/buffers.  Only regular source files are copied.  Files
 * are 0600, directories 0700, and nothing below dir is reached through a
 * symlink: a directory of dir replaced by one fails with -ELOOP (or
 * -EEXIST for a name that is already there).  One source file is held in
 * memory at a time.  At most max_bytes of file contents and link targets
 * are written: past that, -EFBIG.  On success dir/gpumem-capture describes
 * the capture; on any error after dir was opened, dir/PARTIAL says why it
 * is incomplete, in its first line.
 */
#define GPUMEM_CAPTURE_MAX_DEFAULT (256ull << 20)
int gpumem_capture(const char *root, const char *dir, uint64_t max_bytes);

/*
 * The gpu_mem_total tracepoint, read from the pinned maps of the BPF
 * collector (`gpumem bpf load`, GPUMEM_TP_PIN_DIR) or, failing that, from
 * Android's map (GPUMEM_TP_ANDROID_MAP, or the Android 11-13 name).
 * Unprivileged readers need read permission on the pins (group gpumem).
 */
#define GPUMEM_TP_PIN_DIR "/sys/fs/bpf/gpumem"
#define GPUMEM_TP_ANDROID_MAP "/sys/fs/bpf/map_gpuMem_gpu_mem_total_map"
#define GPUMEM_TP_ANDROID_MAP_OLD "/sys/fs/bpf/map_gpu_mem_gpu_mem_total_map"

enum gpumem_tp_state {
	GPUMEM_TP_ABSENT,		/* no pinned map: nothing loaded */
	GPUMEM_TP_DENIED,		/* pinned, not readable by this user */
	GPUMEM_TP_ERROR,		/* pinned, reading failed (err) */
	GPUMEM_TP_OK,
};

struct gpumem_tp_total {
	uint32_t gpu_id;		/* DRM primary minor */
	uint32_t pid;			/* 0: the device total */
	uint64_t bytes;
	uint64_t peak_bytes;		/* since the key appeared; 0: unknown */
	uint64_t last_change_ns;	/* CLOCK_BOOTTIME, to a tick; 0: unknown */
	uint64_t changes;		/* events for the key; 0: unknown */
};

struct gpumem_tp {
	enum gpumem_tp_state state;
	int err;			/* negative errno for DENIED, ERROR */
	char path[128];			/* the totals map read or tried */
	bool android;			/* Android's map: totals only */
	struct gpumem_tp_total *totals;	/* by gpu_id, then pid */
	size_t nr;
	/* The collector's counters; never a silent drop. */
	uint64_t events;		/* gpu_mem_total events seen */
	uint64_t dropped_full;		/* updates lost: totals map full */
	uint64_t dropped_info_full;	/* events of keys with no slot */
	uint64_t dropped_ringbuf;	/* trace events lost: ring full */
	uint32_t max_entries;		/* of the totals map */
	bool streaming;			/* a `gpumem trace` holds the lease */
};

/* pin_dir NULL: GPUMEM_TP_PIN_DIR, then Android's maps.  Always fills tp. */
int gpumem_tp_read(const char *pin_dir, struct gpumem_tp *tp);
void gpumem_tp_release(struct gpumem_tp *tp);
/* What the snapshot read (live systems only; else state ABSENT).  Its
 * processes' totals have no peak, last change or count of changes (0:
 * unknown), which cost a lookup each a sample: gpumem_tp_read() has them. */
const struct gpumem_tp *gpumem_snapshot_tp(const struct gpumem_snapshot *s);
/* The tracepoint and fdinfo both know p and give different totals. */
bool gpumem_process_tp_differs(const struct gpumem_process *p);
/* Android's `dumpsys gpu --gpumem` text, byte for byte. */
int gpumem_tp_print_android(const struct gpumem_tp *tp, FILE *f);

/*
 * gpumem explain: where all of RAM went.  The lines partition MemTotal:
 * they add up to it exactly, the last one ("unexplained") being what is
 * left.  Each page is in one line only; docs/explain.md says which and why.
 */
enum gpumem_xgroup {
	GPUMEM_X_FREE,
	GPUMEM_X_CACHE,			/* page cache, swap cache */
	GPUMEM_X_ANON,			/* process PSS, anonymous part */
	GPUMEM_X_SHMEM,			/* tmpfs, memfd, SysV, shared anon */
	GPUMEM_X_KERNEL,
	GPUMEM_X_GPU,			/* per device, private part; 7.1's
					 * GPUActive rest and GPUReclaim */
	GPUMEM_X_DMABUF,		/* per exporter: mapped, fd, kernel */
	GPUMEM_X_UNEXPLAINED,
};

struct gpumem_xline {
	enum gpumem_xgroup group;
	char name[GPUMEM_NAME_MAX];
	char source[160];		/* where the figure came from */
	int64_t bytes;			/* signed: unexplained may be < 0 */
};

/* -p PID: what the process really uses. */
struct gpumem_xprocess {
	pid_t pid;
	char comm[GPUMEM_NAME_MAX];
	uint64_t pss, pss_anon, pss_file, pss_shmem, swap_pss;
	uint64_t gpu_pss;		/* PSS-like, see struct gpumem_process */
	uint64_t dmabuf_pss;
	uint64_t total;			/* pss + gpu_pss + dmabuf_pss */
};

#define GPUMEM_X_MAX_MISSING 16

struct gpumem_explain {
	uint64_t mem_total;
	struct gpumem_xline *lines;	/* the last is "unexplained" */
	size_t nr_lines;
	unsigned int processes;		/* smaps_rollup read */
	unsigned int unreadable;	/* smaps_rollup denied */
	char missing[GPUMEM_X_MAX_MISSING][160]; /* sources not read */
	unsigned int nr_missing;
	bool has_process;
	struct gpumem_xprocess process;
	struct gpumem_sample_info info;
};

/*
 * opts->root as for a snapshot; opts->pid adds the per-process view.  On
 * malformed input returns -EBADMSG and writes "FILE: what" into why.
 */
int gpumem_explain_take(const struct gpumem_opts *opts,
			struct gpumem_explain **out, char *why, size_t why_len);
void gpumem_explain_free(struct gpumem_explain *e);
int gpumem_explain_print_table(const struct gpumem_explain *e, FILE *f,
			       unsigned int flags);
int gpumem_explain_print_json(const struct gpumem_explain *e, FILE *f);
const char *gpumem_xgroup_name(enum gpumem_xgroup g);

/*
 * Leak hints (docs/leaks.md): a figure that grew over its last `window`
 * samples without ever coming back.  The rule reads any series: a device's
 * total, a process's or a cgroup's figure, from a live view, a recording
 * or gpumemd's history.  Points are in time order.
 */
struct gpumem_point {
	int64_t time_ns;		/* any clock, the same for the series */
	uint64_t bytes;
};

struct gpumem_leak_rule {
	unsigned int window;		/* K: the last K points, >= 3 */
	uint64_t min_growth_bytes;	/* net growth over the window */
	/* A drop below the highest figure so far of more than this share
	 * of the net growth is "coming back". */
	unsigned int max_dip_pct;
};

#define GPUMEM_LEAK_WINDOW_DEFAULT 10
#define GPUMEM_LEAK_MIN_GROWTH_DEFAULT (1ull << 20)
#define GPUMEM_LEAK_MAX_DIP_PCT_DEFAULT 10

struct gpumem_leak_hint {
	bool leak;
	unsigned int samples;		/* points examined: min(nr, window) */
	uint64_t first_bytes, last_bytes;	/* of those points */
	int64_t span_ns;		/* their first to their last */
	/* (last - first) / span; 0 unless leak and span > 0 */
	double bytes_per_s;
};

void gpumem_leak_rule_default(struct gpumem_leak_rule *rule);
/* rule NULL: the defaults.  Fewer than window points: no leak, said by
 * samples < window.  -EINVAL for a window below 3 or a dip above 100%. */
int gpumem_leak_check(const struct gpumem_point *pts, size_t nr,
		      const struct gpumem_leak_rule *rule,
		      struct gpumem_leak_hint *hint);

/*
 * gpumem plot: series of byte figures over time into a PNG or an SVG (a
 * library built without cairo: -ENOTSUP).  A line per series, devices
 * thicker; bytes on y on power-of-two ticks in binary units, time on x; a
 * ring at each sample where gpumem_leak_check() on the series so far
 * began to fire.  The SVG's <desc> names each series and axis label, a
 * line each ("series: device: card0", "y-label: 64 MiB").  -EINVAL: no
 * point at all, or a size outside 200..8000.
 */
struct gpumem_series {
	const char *name;		/* "card0", "1234 firefox": escaped */
	bool device;			/* a device's total */
	const struct gpumem_point *points;	/* time order */
	size_t nr;
};

struct gpumem_plot_opts {
	unsigned int width, height;	/* pixels or points; 0: 1000 x 500 */
	bool svg;			/* else PNG */
	const struct gpumem_leak_rule *rule;	/* NULL: the defaults */
	const char *title;		/* NULL: none */
};

int gpumem_plot(const struct gpumem_series *series, size_t nr,
		const struct gpumem_plot_opts *opts, FILE *f);

const char *gpumem_stat_name(enum gpumem_stat stat);
const char *gpumem_origin_name(enum gpumem_origin origin);

/*
 * Names in these structs (comm, dma-buf names, drivers, ...) are set by
 * other users or planted in a --root tree.  gpumem_escape_name() makes one
 * safe for a terminal: each control, format or invalid UTF-8 byte becomes
 * \xNN, a backslash \\; *width (may be NULL) is the columns it takes.
 * gpumem_utf8_repair() makes one valid UTF-8 (for JSON): each invalid byte
 * becomes U+FFFD.  Both return strlen(dst) and stop before a character or
 * escape that does not fit; 4 * strlen(src) + 1 bytes always suffice.
 */
size_t gpumem_escape_name(char *dst, size_t size, const char *src,
			  size_t *width);
size_t gpumem_utf8_repair(char *dst, size_t size, const char *src);
/* gpumem_escape_name() that also stops before max_width columns: a name
 * cut to a terminal's column, never in the middle of a character. */
size_t gpumem_escape_fit(char *dst, size_t size, const char *src,
			 size_t max_width, size_t *width);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
