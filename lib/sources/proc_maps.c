// SPDX-License-Identifier: MIT
/*
 * /proc/PID/maps: a mapped dma-buf shows as "/dmabuf:" or "/dmabuf:<name>"
 * (dmabuffs_dname()), and stays there after its fd is closed.  Only such
 * lines are parsed; "start-end perms offset major:minor inode path".
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sources.h"

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *skip_field(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

/* Parses one line known to hold "/dmabuf"; 0 on success. */
static int parse_line(const char *line, size_t len, struct gm_dmabuf_map *m)
{
	char tmp[128];
	const char *p, *end, *path;
	uint64_t start, stop, ino;

	p = memchr(line, '/', len);
	if (!p || (size_t)(p - line) >= sizeof(tmp))
		return -1;
	/* The fixed fields end before the path: parse a terminated copy. */
	memcpy(tmp, line, (size_t)(p - line));
	tmp[p - line] = '\0';
	path = p;
	end = tmp + (p - line);
	if (gm_parse_hex(tmp, &p, &start) || *p != '-')
		return -1;
	if (gm_parse_hex(p + 1, &p, &stop) || stop < start || *p != ' ')
		return -1;
	p = skip_field(skip_blanks(p, end), end);	/* perms */
	p = skip_field(skip_blanks(p, end), end);	/* offset */
	p = skip_field(skip_blanks(p, end), end);	/* dev */
	p = skip_blanks(p, end);
	if (gm_parse_u64(p, &p, &ino) || skip_blanks(p, end) != end)
		return -1;
	/* The text may not be terminated: compare within the line only. */
	if ((size_t)(line + len - path) < 8 || memcmp(path, "/dmabuf:", 8))
		return 1;
	m->ino = ino;
	m->vma_bytes = stop - start;
	m->name = path + 8;
	m->name_len = len - (size_t)(path + 8 - line);
	return 0;
}

int gm_maps_parse(const char *text, size_t len, gm_map_fn fn, void *ctx,
		  unsigned int *malformed)
{
	const char *hit = text, *end = text + len;

	while ((hit = memmem(hit, (size_t)(end - hit), "/dmabuf", 7))) {
		const char *line = hit, *nl;
		struct gm_dmabuf_map m;
		int ret;

		while (line > text && line[-1] != '\n')
			line--;
		nl = memchr(hit, '\n', (size_t)(end - hit));
		if (!nl)
			nl = end;
		hit = nl;
		ret = parse_line(line, (size_t)(nl - line), &m);
		if (ret < 0) {
			(*malformed)++;
			continue;
		}
		if (ret > 0)
			continue;
		ret = fn(&m, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A maps can be made as large as an attacker likes (65,000 mappings of a
 * long path are 254 MB), so it is read in chunks and only the lines whose
 * path starts "/dmabuf" are kept.  A dma-buf's line is short (its name is
 * at most 31 bytes): a line longer than a chunk is none.
 */
#define MAPS_CHUNK (64u << 10)

static int keep_line(const char *line, size_t n, struct gm_text *kept)
{
	int err;

	if (kept->len + n >= GM_READ_MAX)
		return -EFBIG;
	err = gm_grow((void **)&kept->buf, &kept->cap, kept->len + n + 1, 1);
	if (err)
		return err;
	memcpy(kept->buf + kept->len, line, n);
	kept->len += n;
	kept->buf[kept->len] = '\0';
	return 0;
}

/* Appends to kept the lines of buf whose path (first '/') is "/dmabuf...". */
static int keep_lines(const char *buf, size_t len, struct gm_text *kept)
{
	const char *hit = buf, *end = buf + len;

	while ((hit = memmem(hit, (size_t)(end - hit), "/dmabuf", 7))) {
		const char *line = hit, *nl;
		bool first;
		int err;

		while (line > buf && line[-1] != '\n')
			line--;
		first = !memchr(line, '/', (size_t)(hit - line));
		nl = memchr(hit, '\n', (size_t)(end - hit));
		nl = nl ? nl + 1 : end;
		hit = nl;
		if (!first)
			continue;
		err = keep_line(line, (size_t)(nl - line), kept);
		if (err)
			return err;
	}
	return 0;
}

/*
 * fd's lines from offset 0, chunk by chunk (pread: a kept file is read
 * again there, and procfs makes its text anew); buf holds MAPS_CHUNK
 * bytes.  Returns how many bytes the file had.
 */
static ssize_t read_chunks(int fd, char *buf, struct gm_text *kept)
{
	size_t have = 0, done, from;
	bool skip = false;	/* inside a line longer than a chunk */
	const char *nl;
	off_t off = 0;
	ssize_t n;
	int err;

	for (;;) {
		n = pread(fd, buf + have, MAPS_CHUNK - have, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += n;
		if (n == 0) {
			err = skip ? 0 : keep_lines(buf, have, kept);
			return err ? err : (ssize_t)off;
		}
		have += (size_t)n;
		nl = memrchr(buf, '\n', have);
		if (!nl) {
			if (have == MAPS_CHUNK) {
				skip = true;
				have = 0;
			}
			continue;
		}
		done = (size_t)(nl + 1 - buf);
		from = skip ? (size_t)((char *)memchr(buf, '\n', have) + 1 - buf) : 0;
		skip = false;
		err = keep_lines(buf + from, done - from, kept);
		if (err)
			return err;
		have -= done;
		memmove(buf, buf + done, have);
	}
}

ssize_t gm_maps_read_fd(int fd, struct gm_text *chunk, struct gm_text *kept)
{
	int err;

	kept->len = 0;
	err = gm_grow((void **)&chunk->buf, &chunk->cap, MAPS_CHUNK, 1);
	return err ? err : read_chunks(fd, chunk->buf, kept);
}

/*
 * PROCMAP_QUERY (Linux 6.11): the kernel steps through the file mappings
 * itself, and only those of files on a pseudo filesystem (major 0, where
 * a dma-buf's inode is) are asked their name, so a process with thousands
 * of mappings costs no text and no path for each of its libraries.  (The
 * text also shows a file named "/dmabuf:..." in the root of a disk as a
 * dma-buf; this does not.)  The layout is the 6.11 uapi's, which Debian
 * 12's headers predate.
 */
struct gm_procmap_query {
	uint64_t size, query_flags, query_addr, vma_start, vma_end;
	uint64_t vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};

#define GM_PROCMAP_QUERY _IOWR('f', 17, struct gm_procmap_query)
/* a kept line: its fields and a dma-buf name of 31 bytes, each escaped */
#define GM_MAPS_LINE_MAX 256
/*
 * Private mappings too: dma_buf_mmap() leaves the choice to the exporter,
 * and maps lists both.
 */
#define GM_QUERY_FLAGS	(0x10 /* COVERING_OR_NEXT */ | 0x20 /* FILE_BACKED */)

/*
 * A queried mapping kept as maps prints its line, when its path is a
 * dma-buf's.  The name is the raw d_path(), where maps escapes '\n' as
 * "\\012": so does this, or a name could end the line and forge another.
 */
int gm_maps_keep_vma(uint64_t start, uint64_t end, uint64_t ino,
		     const char *name, size_t len, struct gm_text *kept)
{
	char line[GM_MAPS_LINE_MAX];
	size_t n, i;
	int w;

	if (len < 7 || memcmp(name, "/dmabuf", 7))
		return 0;
	w = snprintf(line, sizeof(line), "%" PRIx64 "-%" PRIx64 " ---s 0 0:0 %"
		     PRIu64 " ", start, end, ino);
	if (w < 0)
		return -EIO;
	for (n = (size_t)w, i = 0; i < len && n + 5 < sizeof(line); i++) {
		if (name[i] == '\n') {
			memcpy(line + n, "\\012", 4);
			n += 4;
		} else {
			line[n++] = name[i];
		}
	}
	if (i < len)
		return 0;	/* a dma-buf's name is at most 32 bytes */
	line[n++] = '\n';
	return keep_line(line, n, kept);
}

/* One mapping at or after addr, and its name where name is not NULL. */
static int query_vma(int fd, uint64_t addr, char *name, size_t size,
		     struct gm_procmap_query *q)
{
	*q = (struct gm_procmap_query){
		.size = sizeof(*q), .query_flags = GM_QUERY_FLAGS,
		.query_addr = addr, .vma_name_addr = (uintptr_t)name,
		.vma_name_size = (uint32_t)size,
	};
	while (ioctl(fd, GM_PROCMAP_QUERY, q)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * The mapping at was, asked again with its name.  Unmapped or replaced in
 * between, it is what the next step of the walk finds; a path longer than
 * PATH_MAX is no dma-buf's.
 */
static int keep_named(int fd, const struct gm_procmap_query *at,
		      struct gm_text *kept)
{
	struct gm_procmap_query q;
	char name[PATH_MAX];
	int err = query_vma(fd, at->vma_start, name, sizeof(name), &q);

	if (err == -ENOENT || err == -ENAMETOOLONG)
		return 0;
	if (err)
		return err;
	if (q.vma_start != at->vma_start || q.vma_end != at->vma_end ||
	    q.inode != at->inode || !q.vma_name_size ||
	    q.vma_name_size > sizeof(name))
		return 0;
	return gm_maps_keep_vma(q.vma_start, q.vma_end, q.inode, name,
				q.vma_name_size - 1, kept);
}

ssize_t gm_maps_query_fd(int fd, struct gm_text *kept)
{
	struct gm_procmap_query q;
	uint64_t addr = 0;
	int err;

	kept->len = 0;
	for (;;) {
		err = query_vma(fd, addr, NULL, 0, &q);
		if (err == -ENOENT)
			return 1;
		if (err)
			return err;
		if (q.vma_end <= addr)
			return -EIO;
		addr = q.vma_end;
		err = q.dev_major ? 0 : keep_named(fd, &q, kept);
		if (err)
			return err;
	}
}

static void proc_maps_status(const struct gpumem_snapshot *s,
			     struct gpumem_source_status *st)
{
	gm_say_dmabufs(s, st, offsetof(struct gpumem_dmabuf, mapped),
		       "mapped");
}

/* Read by the /proc walk for each process holding something. */
const struct gm_source gm_src_proc_maps = {
	.name = "proc-maps",
	.what = "dma-buf mappings",
	.status = proc_maps_status,
};
