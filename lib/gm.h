/* SPDX-License-Identifier: MIT */
/* libgpumem internals every layer uses: numbers, reads, lines, arrays, maps. */
#ifndef GM_H
#define GM_H

#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
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
/* v in decimal at p (21 bytes will do), terminated; returns its length. */
size_t gm_fmt_u64(char *p, uint64_t v);
size_t gm_strlcpy(char *dst, const char *src, size_t size);
void gm_copy_field(char *dst, size_t size, const char *src, size_t len);

struct gm_text {
	char *buf;
	size_t len;
	size_t cap;
};

/*
 * The reads of untrusted files: no link followed (-ELOOP), a FIFO never
 * waited for, a directory only through gm_opendir_at(); anything but a
 * regular file is -GM_ENOTREG, more than GM_READ_MAX bytes -EFBIG.
 */
#define GM_ENOTREG EMEDIUMTYPE
/*
 * GM_READ_KERNEL: dirfd is the running kernel's own procfs (a live scan):
 * its files are regular and of the kernel's making, so the type check, an
 * fstat per file on the scan's hot path, is left out.
 */
#define GM_READ_KERNEL 0x1u
int gm_open_file_at(int dirfd, const char *path, unsigned int flags);
/*
 * openat2(dirfd, path, flags, resolve): the fd, -errno, or -ENOSYS when the
 * kernel (before 5.6) or a seccomp filter has no openat2.
 */
int gm_openat2(int dirfd, const char *path, int flags, uint64_t resolve);
/*
 * openat() that stays below dirfd, for a tree anyone may have written: no
 * absolute link, no ".." above dirfd, no /proc magic link on the way
 * (-EXDEV, -ELOOP).  Without openat2, only O_NOFOLLOW's last component.
 */
int gm_open_beneath(int dirfd, const char *path, int flags);
int gm_read_record_flags_at(int dirfd, const char *path, struct gm_text *t,
			    unsigned int flags);
int gm_read_at(int dirfd, const char *path, struct gm_text *t);
int gm_opendir_at(int dirfd, const char *path, DIR **out);
/*
 * The names of dirfd's subdirectories (no links, no dot names), sorted so
 * that a tree is walked in one order, and read before the walk descends:
 * one descriptor per level.  The caller frees each name and the array,
 * also on error (*nr says how many were read).
 */
int gm_subdirs(int dirfd, char ***names, size_t *nr);
/* For one-record files (single_open seq_files: fdinfo, comm; sysfs): a
 * short read is the end, which saves the read that would return 0. */
int gm_read_record_at(int dirfd, const char *path, struct gm_text *t);
/*
 * A one-record file kept open, read again from offset 0: procfs makes a
 * seq_file's text anew there.  linked (a --root tree's file): -ESTALE
 * when it was unlinked or renamed over since it was opened.
 */
int gm_reread_record(int fd, struct gm_text *t, bool linked);
/* -ESTALE when the --root tree's file open at fd was unlinked or renamed
 * over since it was opened: its path names another file now. */
int gm_check_linked(int fd);
void gm_text_free(struct gm_text *t);

/* One line of t at *pos; false at the end.  The line excludes '\n'. */
bool gm_next_line(const char *buf, size_t len, size_t *pos,
		  const char **line, size_t *line_len);
/* "key:<ws>value": key matched exactly; value without surrounding blanks. */
bool gm_key_value(const char *line, size_t len, const char **key,
		  size_t *key_len, const char **val, size_t *val_len);

int gm_grow(void **arr, size_t *cap, size_t need, size_t elem);
/* An array grown with gm_grow() cut to its nr elements, where it can be. */
void gm_fit(void **arr, size_t *cap, size_t nr, size_t elem);

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

/* Byte counts as signed figures; larger sizes are not real. */
static inline int64_t gm_sbytes(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/*
 * Names anyone can set (comm, dma-buf names) or plant in a --root tree
 * (drivers, clients, regions): for a terminal, every control, format and
 * invalid byte as \xNN and a backslash as \\, printable UTF-8 kept;
 * *width: the columns it takes (own table, no locale).  For JSON, invalid
 * bytes as U+FFFD.  Both stop before a unit that does not fit dst.
 */
#define GM_ESCAPED_SIZE(n) (4 * (n) + 1)
size_t gm_escape_name(char *dst, size_t size, const char *src, size_t *width);
size_t gm_utf8_repair(char *dst, size_t size, const char *src);

/* Saturating: a sum of untrusted sizes must not wrap to a small figure. */
static inline uint64_t gm_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * total split in proportion to weights that add up to sum, one weight at a
 * time: each part is floor(total * (acc + w) / sum) - floor(total * acc /
 * sum), so the parts add up to total exactly and none wraps.
 */
struct gm_split {
	uint64_t total, sum, acc;
};

static inline uint64_t gm_split_next(struct gm_split *sp, uint64_t w)
{
	__extension__ typedef unsigned __int128 u128;
	uint64_t to = gm_add_sat(sp->acc, w), from = sp->acc;

	if (!sp->sum)
		return 0;
	to = to < sp->sum ? to : sp->sum;
	from = from < sp->sum ? from : sp->sum;
	sp->acc = to;
	return (uint64_t)((u128)sp->total * to / sp->sum) -
	       (uint64_t)((u128)sp->total * from / sp->sum);
}

#endif
