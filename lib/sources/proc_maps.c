// SPDX-License-Identifier: MIT
/*
 * /proc/PID/maps: a mapped dma-buf shows as "/dmabuf:" or "/dmabuf:<name>"
 * (dmabuffs_dname()), and stays there after its fd is closed.  Only such
 * lines are parsed; "start-end perms offset major:minor inode path".
 */
#include <string.h>

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
