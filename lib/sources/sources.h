/* SPDX-License-Identifier: MIT */
/*
 * The sources: one file per kernel interface, each parsing what it reads
 * into the public structs.  They know nothing of the model or the outputs.
 */
#ifndef GM_SOURCES_H
#define GM_SOURCES_H

#include <pthread.h>

#include "gm.h"

/*
 * drm_fdinfo.c: the DRM usage-stats keys; returns the number of drm- keys.
 * A client as one fdinfo gives it, up to the bounds on its regions and
 * engines; the snapshot keeps only the nr_regions and nr_engines it has.
 */
struct gm_drm_client {
	struct gpumem_client c;
	struct gpumem_region regions[GPUMEM_MAX_REGIONS];
	struct gpumem_engine engines[GPUMEM_MAX_ENGINES];
};

int gm_drm_fdinfo_parse(const char *text, size_t len,
			struct gm_drm_client *dc, unsigned int *malformed);
enum gpumem_kind gm_region_kind(const char *name);
/* The one rule for a client's memory: total, else resident; false: none. */
bool gm_region_bytes(const struct gpumem_region *r, uint64_t *bytes);

/* dmabuf_fdinfo.c: 1 when the text is a dma-buf's fdinfo, else 0. */
int gm_dmabuf_fdinfo_parse(const char *text, size_t len,
			   struct gpumem_dmabuf *b, unsigned int *malformed);

/* proc_maps.c: calls fn for every /dmabuf: mapping. */
struct gm_dmabuf_map {
	uint64_t ino;
	uint64_t vma_bytes;
	const char *name;
	size_t name_len;
};

typedef int (*gm_map_fn)(const struct gm_dmabuf_map *m, void *ctx);
int gm_maps_parse(const char *text, size_t len, gm_map_fn fn, void *ctx,
		  unsigned int *malformed);
/*
 * An open maps file, read from offset 0 in bounded chunks into kept: only
 * the lines that can be a dma-buf's, so a maps of any size costs time,
 * never memory.  chunk is scratch space.  Returns the file's length.
 */
ssize_t gm_maps_read_fd(int fd, struct gm_text *chunk, struct gm_text *kept);
/*
 * The same lines by PROCMAP_QUERY on an open maps file (Linux 6.11):
 * 1, or -ENOTTY (-EINVAL) where the kernel has no such ioctl, -ESRCH once
 * the mm is gone (an exec or an exit; a kernel thread has none).
 */
ssize_t gm_maps_query_fd(int fd, struct gm_text *kept);
int gm_maps_keep_vma(uint64_t start, uint64_t end, uint64_t ino,
		     const char *name, size_t len, struct gm_text *kept);

/* dmabuf_sysfs.c: /sys/kernel/dmabuf/buffers/<ino>/{size,exporter_name} */
typedef int (*gm_sysfs_buf_fn)(const struct gpumem_dmabuf *b, void *ctx);
int gm_dmabuf_sysfs_scan(int sysfd, gm_sysfs_buf_fn fn, void *ctx,
			 unsigned int *malformed);

/* drm_sysfs.c: /sys/class/drm devices */
struct gm_devices {
	struct gpumem_device *dev;
	size_t nr;
	size_t cap;
};

void gm_uevent_parse(const char *text, size_t text_len, struct gpumem_device *d,
		     unsigned int *malformed);
int gm_drm_sysfs_scan(int sysfd, struct gm_devices *devs,
		      unsigned int *malformed);
int gm_devices_by_minor(const struct gm_devices *devs, int minor);
/* proc_version.c: "6.12.19"; "" when proc/version says nothing usable. */
void gm_kernel_release(int procfd, char *buf, size_t size);

/* pci_ids.c: each device's name from pci.ids, "" when not known. */
void gm_pci_names(struct gpumem_device *devs, size_t nr);
/* drm_drivers.c: what is known of a driver by its name */
bool gm_is_gpu_exporter(const struct gm_devices *devs, const char *exporter);
bool gm_gem_in_shmem(const char *driver);
bool gm_gem_in_ttm(const char *driver);

/* proc_cmdline.c: NUL-separated arguments (as /proc/PID/cmdline) joined
 * by spaces into out, cut to size; returns strlen(out). */
size_t gm_cmdline_join(const char *text, size_t len, char *out, size_t size);

/* Mid-scan errors that are normal: the process exited; it is not ours. */
static inline bool gm_is_gone(int err)
{
	return err == -ENOENT || err == -ESRCH;
}

static inline bool gm_is_denied(int err)
{
	return err == -EACCES || err == -EPERM;
}

/* proc_status.c: what a process's status says of it. */
struct gm_status {
	uid_t uid;		/* Uid:'s real uid, or GPUMEM_UID_UNKNOWN */
	pid_t ppid;		/* PPid:, or GPUMEM_PID_UNKNOWN */
};

/*
 * The Uid: and PPid: lines of a status text: 0 with both, -ENOENT when one
 * is missing, -EBADMSG (each bad line counted in *malformed) when one is
 * not a number of its kind; what was not found is unknown in *st.
 */
int gm_status_parse(const char *text, size_t len, struct gm_status *st,
		    unsigned int *malformed);
/* dirfd/path read and parsed; *st unknown where not found. */
int gm_read_status_at(int dirfd, const char *path, struct gm_text *t,
		      unsigned int flags, struct gm_status *st,
		      unsigned int *malformed);

/* proc_walk.c: walks /proc and reports every DRM and dma-buf holder. */
struct gm_scan_sink {
	int (*process)(void *ctx, pid_t pid, const char *comm,
		       const struct gm_status *st);
	int (*drm_fd)(void *ctx, pid_t pid, int minor, int fd,
		      const char *fdinfo, size_t len);
	int (*dmabuf_fd)(void *ctx, pid_t pid, const char *fdinfo, size_t len);
	int (*dmabuf_map)(void *ctx, pid_t pid, const struct gm_dmabuf_map *m);
	void *ctx;
};

/*
 * What a full scan found, so that a refresh re-reads only that (index.c).
 * It also keeps what costs a path lookup to ask again: each fdinfo open,
 * read again at offset 0 (procfs makes the text anew there), and each
 * process's cgroup, which a refresh takes from here.
 */
enum { GM_FD_OTHER, GM_FD_DRM, GM_FD_DMABUF };

struct gm_index_kept {
	pid_t pid;
	int fd;			/* GM_INDEX_MAPS: the pid's maps */
	int kept;
};

struct gm_index_fd {
	pid_t pid;
	int fd;
	int minor;
	int kind;
	uint64_t ino;		/* fdinfo "ino:": the fd still means that file */
	int kept;		/* its fdinfo, open; -1: none */
};

struct gm_index_pid {
	pid_t pid;
	bool maps;		/* it mapped a dma-buf: re-read its maps */
	int maps_kept;		/* its maps, open; -1: none */
	bool cg_read;		/* cg_err, cg_* are the last full sample's */
	bool cg_v1, cg_deleted;
	int cg_err;		/* of reading /proc/PID/cgroup; 0: read */
	char *cg_path;		/* NULL: read, no cgroup in it */
	struct gm_status status;	/* as the full walk read it */
	char comm[GPUMEM_NAME_MAX];
};

struct gm_index {
	struct gm_index_fd *fds;	/* grouped by pid, in pids[] order */
	size_t nr, cap;
	struct gm_index_pid *pids;	/* every process holding something */
	size_t nr_pids, cap_pids;
	enum gpumem_discovery discovery;	/* who found these */
	bool keep;			/* a scanner's: keeps fdinfo files open */
	struct gm_map by_pid;		/* pid -> pids[], made on first use */
	bool by_pid_made;
	/* What the last index kept open, for the full sample that makes the
	 * next one to take (gm_index_take) rather than open it again. */
	struct gm_index_kept *old;
	size_t nr_old, cap_old;
};

/*
 * A full sample's index: idx emptied, the files it kept open set aside,
 * and taken by (pid, fd) as the sample finds the same fds again (fd
 * GM_INDEX_MAPS: the pid's maps); gm_index_end() closes the rest.  A
 * taken file is read as a kept one is: what it reads (its process gone,
 * its file replaced) decides whether the path is opened anew.
 */
#define GM_INDEX_MAPS (-1)
void gm_index_begin(struct gm_index *idx);
int gm_index_take(struct gm_index *idx, pid_t pid, int fd);
void gm_index_end(struct gm_index *idx);
/* Frees idx, closing what it keeps open. */
void gm_index_free(struct gm_index *idx);
struct gm_index_pid *gm_index_add_pid(struct gm_index *idx, pid_t pid,
				      const struct gm_status *st,
				      const char *comm, size_t comm_len);
int gm_index_add_fd(struct gm_index *idx, pid_t pid, int fd, int kind,
		    int minor, uint64_t ino, int kept);
/* pid's entry; NULL when it has none (or no memory to find it). */
struct gm_index_pid *gm_index_pid_of(struct gm_index *idx, pid_t pid);
/*
 * How many descriptors an index may keep open: those below the returned
 * number, half the soft RLIMIT_NOFILE, so that the program keeps the
 * other half (and select()'s 1024 while it stays at the default).
 */
int gm_index_fd_limit(void);

/*
 * proc_walk.c: a number spelt as the kernel names it ("123": no sign,
 * blank or leading zero), at most max; so "0123" is not a second 123.
 */
int gm_parse_name_u64(const char *name, uint64_t max, uint64_t *out);

/* The minor of "/dev/dri/cardN" or "/dev/dri/renderDN"; -1 otherwise. */
int gm_drm_minor_from_path(const char *target);
void gm_read_comm(int dirfd, const char *path, struct gm_text *t,
		  char comm[GPUMEM_NAME_MAX]);
/* *odd: processes unreadable for a file not as the kernel writes it. */
int gm_proc_scan(int procfd, bool live, const struct gm_scan_sink *s,
		 struct gpumem_scan_stats *st, struct gm_index *idx,
		 unsigned int *odd);
int gm_proc_rescan(int procfd, bool live, struct gm_index *idx,
		   const struct gm_scan_sink *s, struct gpumem_scan_stats *st,
		   bool *stale, unsigned int *odd);

/*
 * task_iter.c: the task_file and task_vma iterators' records (a stream of
 * struct gm_iter_file) into idx, sorted by pid then fd as the /proc walk
 * finds them; a record not as the program writes it counts in *malformed.
 */
int gm_task_iter_parse(const void *buf, size_t len, struct gm_index *idx,
		       unsigned int *malformed);
/* Reads an iterator link's whole stream into t. */
int gm_iter_read(int link_fd, struct gm_text *t);
/* Silences libbpf's messages while on (GPUMEM_BPF_DEBUG=1 keeps them). */
void gm_libbpf_quiet(bool on);

/* dmabuf_iter.c: the iter/dmabuf records (struct gm_iter_dmabuf) to fn. */
int gm_dmabuf_iter_parse(const void *buf, size_t len, gm_sysfs_buf_fn fn,
			 void *ctx, unsigned int *malformed);

/*
 * An iterator program loaded on first use and kept for the life of the
 * process (loading costs more than running it; its fds are close-on-exec):
 * gm_iter_lock() holds the slot's lock while the caller runs it, and loads
 * it with loader the first time.  A load that failed is not tried again.
 */
struct gm_iter_slot {
	pthread_mutex_t lock;
	void *it;
	int err;
	bool tried;
};

#define GM_ITER_SLOT_INIT { PTHREAD_MUTEX_INITIALIZER, NULL, 0, false }

int gm_iter_lock(struct gm_iter_slot *slot, int (*loader)(void **it),
		 void **it);
void gm_iter_unlock(struct gm_iter_slot *slot);

/* meminfo.c: "Key: N [kB]" lists (/proc/meminfo, smaps_rollup) */
struct gm_kv {
	char key[32];
	uint64_t bytes;			/* N * 1024 with kB, else N */
	bool kb;
};

struct gm_kvs {
	struct gm_kv *v;
	size_t nr, cap;
};

/* -EBADMSG with *bad_line (1-based; 0: empty text) on malformed text. */
int gm_kv_parse(const char *text, size_t len, bool skip_header,
		struct gm_kvs *kvs, unsigned int *bad_line);
const struct gm_kv *gm_kv_find(const struct gm_kvs *kvs, const char *key);
uint64_t gm_kv_get(const struct gm_kvs *kvs, const char *key);
void gm_kvs_free(struct gm_kvs *kvs);

/* proc_cgroup.c: a process's cgroup path (not terminated) */
struct gm_cgroup_line {
	const char *path;
	size_t len;
	bool v1;			/* name=systemd: no cgroup v2 here */
	bool deleted;
};

/* 1: a cgroup found (v2's, else v1's name=systemd), 0: none. */
int gm_cgroup_parse(const char *text, size_t len, struct gm_cgroup_line *cg,
		    unsigned int *malformed);
/* o->path's owner: kind, unit, runtime, container_id, pod_uid, owner. */
void gm_cgroup_owner(struct gpumem_cgroup *o);

/* dmem_cgroup.c: "NAME VALUE" lines; VALUE "max" is GPUMEM_DMEM_MAX */
typedef int (*gm_dmem_fn)(const char *name, size_t len, uint64_t v,
			  void *ctx);
int gm_dmem_parse(const char *text, size_t len, gm_dmem_fn fn, void *ctx,
		  unsigned int *malformed);

enum gm_dmem_file { GM_DMEM_CURRENT, GM_DMEM_MIN, GM_DMEM_LOW, GM_DMEM_MAX,
		    GM_DMEM_NR };

/* What the dmem source read: regions, and each cgroup's pools in a row. */
struct gm_dmem {
	bool available;
	struct gpumem_dmem_region *regions;
	size_t nr_regions, cap_regions;
	struct gpumem_dmem_pool *pools;
	size_t nr_pools, cap_pools;
	char **paths;			/* the pools' cgroups, owned */
	size_t nr_paths, cap_paths;
	unsigned int cgroups;		/* with dmem files, read */
	unsigned int unreadable;
};

/* zoneinfo.c: pages on the per-cpu free lists */
int gm_zoneinfo_pcp_pages(const char *text, size_t len, uint64_t *pages,
			  unsigned int *bad_line);

/* smaps_rollup.c: smaps_rollup of every process */
struct gm_pss {
	uint64_t pss, pss_anon, pss_file, pss_shmem, swap_pss;
};

struct gm_pss_totals {
	struct gm_pss sum;
	unsigned int processes;		/* read */
	unsigned int unreadable;	/* EACCES/EPERM */
	bool found_pid;			/* want_pid was read */
	bool pid_denied;		/* want_pid is there, not readable */
	struct gm_pss pid;		/* of want_pid */
};

/* -EBADMSG with why = "PATH: ..." when a smaps_rollup is malformed. */
int gm_pss_scan(int procfd, pid_t want_pid, struct gm_pss_totals *t,
		char *why, size_t why_len);

/*
 * The source table (table.c).  Each kernel interface is one file under
 * lib/sources/ ending in its struct gm_source, and one line in the table.
 * A source reads into the model only through the verbs of struct gm_feed;
 * the model reads the sources only by walking the table.
 */
/*
 * What gpumem explain reads before its snapshot: meminfo and zoneinfo at
 * one moment, then every smaps_rollup.  A malformed file fails the explain
 * with why; a missing zoneinfo is only said (pcp_err).
 */
struct gm_explain_in {
	struct gm_kvs mi;
	uint64_t pcp_pages;
	int pcp_err;
	struct gm_pss_totals pss;
	pid_t want_pid;
	const char *root;			/* for messages */
	char *why;
	size_t why_len;
};

struct gm_feed {
	struct gm_devices *devs;		/* add a device */
	const struct gm_scan_sink *holders;	/* a process, what it holds */
	/* A dma-buf, held or not; all_buffers: the list was complete. */
	gm_sysfs_buf_fn buffer;
	void (*all_buffers)(void *ctx);
	/* A reading of the device whose primary minor is minor. */
	int (*device_reading)(void *ctx, int minor, enum gpumem_origin origin,
			      uint64_t bytes);
	/*
	 * A reading of process pid's GPU memory; -ENOENT when the model has
	 * no such process yet: the source adds it (holders->process) first.
	 */
	int (*process_reading)(void *ctx, pid_t pid, enum gpumem_origin origin,
			       uint64_t bytes);
	/*
	 * Calls fn for each process the model has: for the sources of facts
	 * about a process, which read after the walk found it.
	 */
	int (*each_process)(void *ctx, int (*fn)(void *arg, pid_t pid),
			    void *arg);
	/*
	 * Process pid's memory on device dev (an index into devs) as its
	 * driver's own API tells it, not fdinfo (NVML): one client of its
	 * own; known false: the API has no figure.  -ENOENT: no such process
	 * in the model yet (add it with holders->process).
	 */
	int (*gpu_process)(void *ctx, pid_t pid, int dev, uint64_t bytes,
			   bool known);
	/* Process pid's cgroup; the model copies what it keeps of cg. */
	int (*process_cgroup)(void *ctx, pid_t pid,
			      const struct gpumem_cgroup *cg);
	struct gpumem_tp *tp;			/* the tracepoint's own view */
	struct gm_dmem *dmem;			/* the dmem controller's */
	struct gm_explain_in *explain;		/* explain's inputs */
	void *ctx;
};

/* Which kind of sample reads a source. */
enum gm_use {
	GM_USE_SNAPSHOT,
	GM_USE_EXPLAIN,
};

/* What a source reads from, and where its figures go. */
struct gm_source_ctx {
	bool live;				/* root is "/" */
	int procfd;
	int sysfd;				/* -1: no sys in root */
	struct gpumem_scan_stats *stats;
	const struct gm_feed *feed;
	/* The scanner's index (NULL: none); refresh re-reads only it. */
	struct gm_index *idx;
	bool refresh;
	bool stale;				/* set: the index no longer holds */
	enum gpumem_discovery discovery;	/* asked for */
	bool holders_found;			/* set: the holders are read */
	bool buffers_listed;			/* set: every dma-buf is known */
};

/*
 * What `gpumem --capture` copies for a source, so that --root of the
 * capture reads the same; lib/capture.c knows how to copy each kind.
 */
enum gm_cap_how {
	GM_CAP_NONE,		/* nothing of its own: see its comment */
	GM_CAP_FILES,		/* cap_files, paths below the root */
	GM_CAP_PROCESSES,	/* each process: fds, fdinfo, maps, comm... */
	GM_CAP_DRM_NODES,	/* sys/class/drm nodes and their devices */
	GM_CAP_DMABUF_SYSFS,	/* sys/kernel/dmabuf/buffers */
	GM_CAP_TREE,		/* cap_files in each directory below cap_dir */
};

struct gm_source {
	const char *name;
	const char *what;			/* for `gpumem sources` */
	enum gm_use use;
	enum gm_cap_how cap;
	const char *const *cap_files;		/* GM_CAP_FILES, GM_CAP_TREE */
	const char *cap_dir;			/* GM_CAP_TREE: "sys/..." */
	/*
	 * Reads into ctx->feed and says in st what it found: missing and
	 * denied are states, not errors; an error return fails the sample.
	 * NULL: a parser another source drives (its status says so).
	 */
	int (*read)(struct gm_source_ctx *ctx,
		    struct gpumem_source_status *st);
	/* After the model is built, what the source's figures came to. */
	void (*status)(const struct gpumem_snapshot *s,
		       struct gpumem_source_status *st);
};

extern const struct gm_source *const gm_source_table[];
extern const size_t gm_nr_sources;

/* Adds a figure for d's total; the model picks among them. */
void gm_device_reading(struct gpumem_device *d, enum gpumem_origin origin,
		       uint64_t bytes);
void gm_process_reading(struct gpumem_process *p, enum gpumem_origin origin,
			uint64_t bytes);

/* How many of nr elements have a non-zero byte at off (a flag, a name). */
unsigned int gm_count_set(const void *arr, size_t nr, size_t elem, size_t off);
void gm_say_dmabufs(const struct gpumem_snapshot *s,
		    struct gpumem_source_status *st, size_t off,
		    const char *what);

/* The status of the sources only gpumem explain reads. */
void gm_explain_only(const struct gpumem_snapshot *s,
		     struct gpumem_source_status *st);
/* "FILE: what" into in->why; returns err. */
int gm_explain_why(struct gm_explain_in *in, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets st's state and detail (printf-style). */
void gm_source_say(struct gpumem_source_status *st,
		   enum gpumem_source_state state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The state a read error means: missing, denied, or error. */
void gm_source_err(struct gpumem_source_status *st, int err,
		   const char *what);

#endif
