/* SPDX-License-Identifier: MIT */
/* libgpumem internals: shared by the sources, the model and the outputs. */
#ifndef GM_H
#define GM_H

#include <stdbool.h>
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gpumem/gpumem.h"

#define GM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define GM_DRM_MAJOR 226
/* Kernel text is small; a larger file is not what we think it is. */
#define GM_READ_MAX (64u << 20)

/* util.c: strict numbers, whole-file reads, lines, growable arrays */
int gm_parse_u64(const char *s, const char **end, uint64_t *out);
int gm_parse_u64_all(const char *s, size_t len, uint64_t *out);
int gm_parse_hex(const char *s, const char **end, uint64_t *out);
const char *gm_fmt_size(char *buf, size_t size, bool negative, uint64_t v,
			unsigned int flags);
size_t gm_strlcpy(char *dst, const char *src, size_t size);
void gm_copy_field(char *dst, size_t size, const char *src, size_t len);

struct gm_text {
	char *buf;
	size_t len;
	size_t cap;
};

int gm_read_at(int dirfd, const char *path, struct gm_text *t);
int gm_opendir_at(int dirfd, const char *path, DIR **out);
/* For one-record files (single_open seq_files: fdinfo, comm; sysfs): a
 * short read is the end, which saves the read that would return 0. */
int gm_read_record_at(int dirfd, const char *path, struct gm_text *t);
void gm_text_free(struct gm_text *t);

/* One line of t at *pos; false at the end.  The line excludes '\n'. */
bool gm_next_line(const char *buf, size_t len, size_t *pos,
		  const char **line, size_t *line_len);
/* "key:<ws>value": key matched exactly; value without surrounding blanks. */
bool gm_key_value(const char *line, size_t len, const char **key,
		  size_t *key_len, const char **val, size_t *val_len);

int gm_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* u64 -> u32 hash map; used for dedupe of clients, buffers and refs. */
struct gm_map {
	uint64_t *keys;
	uint32_t *vals;		/* value + 1; 0 marks an empty slot */
	size_t cap;
	size_t len;
};

int gm_map_put(struct gm_map *m, uint64_t key, uint32_t val);
bool gm_map_get(const struct gm_map *m, uint64_t key, uint32_t *val);
void gm_map_free(struct gm_map *m);

/* drm_fdinfo.c: the DRM usage-stats keys; returns the number of drm- keys. */
int gm_drm_fdinfo_parse(const char *text, size_t len,
			struct gpumem_client *c, unsigned int *malformed);

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
bool gm_is_gpu_exporter(const struct gm_devices *devs, const char *exporter);

/* proc_scan.c: walks /proc and reports every DRM and dma-buf holder. */
struct gm_scan_sink {
	int (*process)(void *ctx, pid_t pid, const char *comm);
	int (*drm_fd)(void *ctx, pid_t pid, int minor, int fd,
		      const char *fdinfo, size_t len);
	int (*dmabuf_fd)(void *ctx, pid_t pid, const char *fdinfo, size_t len);
	int (*dmabuf_map)(void *ctx, pid_t pid, const struct gm_dmabuf_map *m);
	void *ctx;
};

/* What a full scan found, so that a refresh re-reads only that. */
enum { GM_FD_OTHER, GM_FD_DRM, GM_FD_DMABUF };

struct gm_index_fd {
	pid_t pid;
	int fd;
	int minor;
	int kind;
	uint64_t ino;		/* fdinfo "ino:": the fd still means that file */
};

struct gm_index_pid {
	pid_t pid;
	bool maps;		/* it mapped a dma-buf: re-read its maps */
	char comm[GPUMEM_NAME_MAX];
};

struct gm_index {
	struct gm_index_fd *fds;	/* grouped by pid, in pids[] order */
	size_t nr, cap;
	struct gm_index_pid *pids;	/* every process holding something */
	size_t nr_pids, cap_pids;
};

/* The minor of "/dev/dri/cardN" or "/dev/dri/renderDN"; -1 otherwise. */
int gm_drm_minor_from_path(const char *target);
void gm_read_comm(int dirfd, const char *path, struct gm_text *t,
		  char comm[GPUMEM_NAME_MAX]);
int gm_proc_scan(int procfd, bool live, const struct gm_scan_sink *s,
		 struct gpumem_scan_stats *st, struct gm_index *idx);
int gm_proc_rescan(int procfd, bool live, const struct gm_index *idx,
		   const struct gm_scan_sink *s, struct gpumem_scan_stats *st,
		   bool *stale);

/* source_bpf.c: a process both sources know, with different totals. */
bool gm_tp_differs(const struct gpumem_process *p);

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

/* Byte counts as signed figures; larger sizes are not real. */
static inline int64_t gm_sbytes(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* zoneinfo.c: pages on the per-cpu free lists */
int gm_zoneinfo_pcp_pages(const char *text, size_t len, uint64_t *pages,
			  unsigned int *bad_line);

/* proc_pss.c: smaps_rollup of every process */
struct gm_pss {
	uint64_t pss, pss_anon, pss_file, pss_shmem, swap_pss;
};

struct gm_pss_totals {
	struct gm_pss sum;
	unsigned int processes;		/* read */
	unsigned int unreadable;	/* EACCES/EPERM */
	bool found_pid;			/* want_pid was read */
	struct gm_pss pid;		/* of want_pid */
};

/* -EBADMSG with why = "PATH: ..." when a smaps_rollup is malformed. */
int gm_pss_scan(int procfd, pid_t want_pid, struct gm_pss_totals *t,
		char *why, size_t why_len);

/* snapshot.c */
struct gpumem_snapshot {
	struct gm_devices devs;
	struct gpumem_client *clients;
	size_t nr_clients, cap_clients;
	struct gpumem_dmabuf *bufs;
	size_t nr_bufs, cap_bufs;
	struct gpumem_process *procs;
	size_t nr_procs, cap_procs;
	struct gpumem_dmabuf_totals dmabuf;
	struct gpumem_scan_stats stats;
	struct gpumem_tp tp;		/* source_bpf.c */
};

#endif
