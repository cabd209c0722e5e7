// SPDX-License-Identifier: MIT
/* Strict number parsing, whole-file reads and small containers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gm.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Rejects empty input and overflow; *end points past the last digit. */
int gm_parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = *p - '0';

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*end = p;
	*out = v;
	return 0;
}

/* The whole of s[0..len) must be one decimal number, blanks around allowed. */
int gm_parse_u64_all(const char *s, size_t len, uint64_t *out)
{
	char tmp[32];
	const char *end;
	int err;

	while (len && (is_blank(*s) || *s == '\n')) {
		s++;
		len--;
	}
	while (len && (is_blank(s[len - 1]) || s[len - 1] == '\n'))
		len--;
	if (!len || len >= sizeof(tmp))
		return len ? -ERANGE : -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	err = gm_parse_u64(tmp, &end, out);
	if (err)
		return err;
	/* A NUL inside the text is junk too, not an end. */
	return end != tmp + len ? -EINVAL : 0;
}

int gm_parse_hex(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	for (;; p++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			break;
		if (v >> 60)
			return -ERANGE;
		v = v << 4 | d;
	}
	if (p == s)
		return -EINVAL;
	*end = p;
	*out = v;
	return 0;
}

size_t gm_fmt_u64(char *p, uint64_t v)
{
	char d[20];
	size_t n = 0, i;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (i = 0; i < n; i++)
		p[i] = d[n - 1 - i];
	p[n] = '\0';
	return n;
}

/*
 * v / 1024^u to one decimal at p, rounded as printf's "%.1f" rounds the
 * exact value (half to even), in integers: a table of 1,000 processes
 * formats 10,000 sizes a second, and printf's floating point was a fifth
 * of its time.
 */
static size_t fmt_tenths(char *p, uint64_t v, size_t u)
{
	unsigned int shift = 10 * (unsigned int)u;
	uint64_t half = 1ull << (shift - 1), mask = (1ull << shift) - 1;
	uint64_t ten = (v & mask) * 10, r = ten & mask;
	uint64_t q = (v >> shift) * 10 + (ten >> shift);
	size_t n;

	if (r > half || (r == half && q % 2))
		q++;
	n = gm_fmt_u64(p, q / 10);
	p[n++] = '.';
	p[n++] = (char)('0' + q % 10);
	p[n] = '\0';
	return n;
}

/* a, b and c joined into buf, cut to size: no printf on the table's path. */
static void join3(char *buf, size_t size, const char *a, const char *b,
		  const char *c)
{
	size_t n = gm_strlcpy(buf, a, size);

	if (n < size)
		n += gm_strlcpy(buf + n, b, size - n);
	if (n < size)
		gm_strlcpy(buf + n, c, size - n);
}

/*
 * "1.5 GiB", or exact bytes with GPUMEM_PRINT_BYTES; negative for deltas.
 * From 2^53 bytes on, a double is not v: printf's figure of it, as ever.
 */
const char *gm_fmt_size(char *buf, size_t size, bool negative, uint64_t v,
			unsigned int flags)
{
	static const char *const units[] = { " B", " KiB", " MiB", " GiB",
					     " TiB", " PiB", " EiB" };
	const char *sign = negative && v ? "-" : "";
	bool bytes = flags & GPUMEM_PRINT_BYTES;
	double d = (double)v;
	char num[32];
	size_t u = 0;

	if (v >> 53 && !bytes) {
		while (d >= 1024 && u + 1 < GM_ARRAY_SIZE(units)) {
			d /= 1024;
			u++;
		}
		snprintf(buf, size, "%s%.1f%s", sign, d, units[u]);
		return buf;
	}
	while (!bytes && v >> (10 * (u + 1)))
		u++;
	if (u)
		fmt_tenths(num, v, u);
	else
		gm_fmt_u64(num, v);
	join3(buf, size, sign, num, bytes ? "" : units[u]);
	return buf;
}

size_t gm_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* Copies a counted field, truncating, always terminated. */
void gm_copy_field(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void gm_text_free(struct gm_text *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
	t->cap = 0;
}

/*
 * Everything in /proc, /sys and a --root tree may have been put there by
 * someone else: a link is never followed (comm -> /etc/shadow), a FIFO
 * cannot block the open or the read, and only a regular file is kernel
 * text (a directory or a device where a file should be is an error of
 * that file only).
 */
/* Seccomp filters (container runtimes) answer EPERM for a syscall they
 * do not know; openat itself never says EPERM here. */
int gm_openat2(int dirfd, const char *path, int flags, uint64_t resolve)
{
	static bool none;
	struct open_how how = { .flags = (uint64_t)flags, .resolve = resolve };
	long fd;

	if (none)
		return -ENOSYS;
	fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	none = true;
	return -ENOSYS;
}

int gm_open_beneath(int dirfd, const char *path, int flags)
{
	int fd = gm_openat2(dirfd, path, flags,
			    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);

	if (fd != -ENOSYS)
		return fd;
	fd = openat(dirfd, path, flags);
	return fd < 0 ? -errno : fd;
}

int gm_open_file_at(int dirfd, const char *path, unsigned int flags)
{
	int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW;
	struct stat st;
	int fd, err;

	/* The running kernel's procfs has no link on these paths. */
	if (flags & GM_READ_KERNEL) {
		fd = openat(dirfd, path, oflags);
		return fd < 0 ? -errno : fd;
	}
	fd = gm_open_beneath(dirfd, path, oflags);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st))
		err = -errno;
	else if (!S_ISREG(st.st_mode))
		err = -GM_ENOTREG;
	else
		return fd;
	close(fd);
	return err;
}

/*
 * Reads into t whatever fd has left (from 0: all of it, at offsets from 0,
 * which keeps no file position); t->len counts from 0.
 */
static int read_fd(int fd, struct gm_text *t, bool one_record, bool from0)
{
	t->len = 0;
	for (;;) {
		size_t want;
		ssize_t n;

		if (t->cap - t->len < 4096) {
			size_t cap = t->cap ? t->cap * 2 : 8192;
			char *buf;

			if (cap > GM_READ_MAX + 1)
				return -EFBIG;
			buf = realloc(t->buf, cap);
			if (!buf)
				return -ENOMEM;
			t->buf = buf;
			t->cap = cap;
		}
		want = t->cap - t->len - 1;
		n = from0 ? pread(fd, t->buf + t->len, want, (off_t)t->len) :
			    read(fd, t->buf + t->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		t->len += (size_t)n;
		if (n == 0 || (one_record && (size_t)n < want))
			break;
	}
	t->buf[t->len] = '\0';
	return 0;
}

/* Reads all of path into t (reusing its buffer); procfs files have no size. */
static int read_at(int dirfd, const char *path, struct gm_text *t,
		   bool one_record, unsigned int flags)
{
	int fd = gm_open_file_at(dirfd, path, flags);
	int err;

	if (fd < 0)
		return fd;
	err = read_fd(fd, t, one_record, false);
	close(fd);
	return err;
}

int gm_check_linked(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	return st.st_nlink ? 0 : -ESTALE;
}

int gm_reread_record(int fd, struct gm_text *t, bool linked)
{
	int err = linked ? gm_check_linked(fd) : 0;

	return err ? err : read_fd(fd, t, true, true);
}

int gm_read_at(int dirfd, const char *path, struct gm_text *t)
{
	return read_at(dirfd, path, t, false, 0);
}

int gm_read_record_at(int dirfd, const char *path, struct gm_text *t)
{
	return read_at(dirfd, path, t, true, 0);
}

int gm_read_record_flags_at(int dirfd, const char *path, struct gm_text *t,
			    unsigned int flags)
{
	return read_at(dirfd, path, t, true, flags);
}

/* A directory stream at dirfd/path; the stream owns its descriptor. */
int gm_opendir_at(int dirfd, const char *path, DIR **out)
{
	int fd = gm_open_beneath(dirfd, path, O_RDONLY | O_DIRECTORY |
				 O_NOFOLLOW | O_CLOEXEC);
	int err;

	if (fd < 0)
		return fd;
	*out = fdopendir(fd);
	if (*out)
		return 0;
	err = -errno;
	close(fd);
	return err;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int gm_subdirs(int dirfd, char ***names, size_t *nr)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *dir;
	int err = gm_opendir_at(dirfd, ".", &dir);

	*names = NULL;
	*nr = 0;
	if (err)
		return err;
	while (!err && (de = readdir(dir))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		err = gm_grow((void **)names, &cap, *nr + 1, sizeof(**names));
		if (!err && !((*names)[*nr] = strdup(de->d_name)))
			err = -ENOMEM;
		*nr += !err;
	}
	closedir(dir);
	if (*nr)
		qsort(*names, *nr, sizeof(**names), by_name);
	return err;
}

bool gm_next_line(const char *buf, size_t len, size_t *pos,
		  const char **line, size_t *line_len)
{
	const char *nl;
	size_t start = *pos;

	if (start >= len)
		return false;
	nl = memchr(buf + start, '\n', len - start);
	*line = buf + start;
	*line_len = nl ? (size_t)(nl - (buf + start)) : len - start;
	*pos = start + *line_len + 1;
	return true;
}

bool gm_key_value(const char *line, size_t len, const char **key,
		  size_t *key_len, const char **val, size_t *val_len)
{
	const char *colon = memchr(line, ':', len);
	const char *v, *end = line + len;
	size_t i;

	/* Every fdinfo line passes here: one lookup a byte, not three tests. */
	static const bool not_in_key[256] = { ['\0'] = 1, [' '] = 1,
					      ['\t'] = 1 };

	if (!colon || colon == line)
		return false;
	for (i = 0; line + i < colon; i++) {
		if (not_in_key[(unsigned char)line[i]])
			return false;
	}
	for (v = colon + 1; v < end && is_blank(*v); v++)
		;
	while (end > v && is_blank(end[-1]))
		end--;
	*key = line;
	*key_len = (size_t)(colon - line);
	*val = v;
	*val_len = (size_t)(end - v);
	return true;
}

int gm_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		n *= 2;
	}
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

void gm_fit(void **arr, size_t *cap, size_t nr, size_t elem)
{
	void *p;

	if (!nr || nr >= *cap)
		return;
	p = realloc(*arr, nr * elem);
	if (p) {
		*arr = p;
		*cap = nr;
	}
}

static size_t map_slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

static int map_rehash(struct gm_map *m, size_t cap)
{
	struct gm_map n = { 0 };
	size_t i;

	n.keys = calloc(cap, sizeof(*n.keys));
	n.vals = calloc(cap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		gm_map_free(&n);
		return -ENOMEM;
	}
	n.cap = cap;
	for (i = 0; i < m->cap; i++) {
		size_t s;

		if (!m->vals[i])
			continue;
		for (s = map_slot(m->keys[i], cap); n.vals[s]; s = (s + 1) & (cap - 1))
			;
		n.keys[s] = m->keys[i];
		n.vals[s] = m->vals[i];
	}
	n.len = m->len;
	gm_map_free(m);
	*m = n;
	return 0;
}

int gm_map_put(struct gm_map *m, uint64_t key, uint32_t val)
{
	size_t s;

	if (val == UINT32_MAX)
		return -EOVERFLOW;
	if ((m->len + 1) * 4 > m->cap * 3) {
		int err = map_rehash(m, m->cap ? m->cap * 2 : 64);

		if (err)
			return err;
	}
	for (s = map_slot(key, m->cap); m->vals[s]; s = (s + 1) & (m->cap - 1)) {
		if (m->keys[s] == key) {
			m->vals[s] = val + 1;
			return 0;
		}
	}
	m->keys[s] = key;
	m->vals[s] = val + 1;
	m->len++;
	return 0;
}

bool gm_map_get(const struct gm_map *m, uint64_t key, uint32_t *val)
{
	size_t s;

	if (!m->cap)
		return false;
	for (s = map_slot(key, m->cap); m->vals[s]; s = (s + 1) & (m->cap - 1)) {
		if (m->keys[s] == key) {
			*val = m->vals[s] - 1;
			return true;
		}
	}
	return false;
}

void gm_map_free(struct gm_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/*
 * One code point at s, strictly (no overlong form, surrogate or value past
 * U+10FFFF, so that one spelling means one character); 0: s[0] starts no
 * valid sequence, which covers a sequence the kernel cut at the end.
 */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c = s[0];
	size_t n, i;

	if (c < 0x80)
		n = 1;
	else if ((c & 0xe0) == 0xc0)
		n = 2;
	else if ((c & 0xf0) == 0xe0)
		n = 3;
	else if ((c & 0xf8) == 0xf0)
		n = 4;
	else
		return 0;
	if (n > 1)
		c &= 0x7f >> n;	/* the lead byte's payload */
	/* A NUL ends the string, and it is no continuation byte either. */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static bool in_ranges(uint32_t c, const uint32_t (*r)[2], size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (c >= r[i][0] && c <= r[i][1])
			return true;
	}
	return false;
}

/*
 * What a terminal acts on or hides instead of showing: C0, DEL, C1 (U+009B
 * is a CSI to some terminals), and the format characters that reorder or
 * hide text (bidi controls, zero-width ones, separators, tags).
 */
static bool cp_hidden(uint32_t c)
{
	static const uint32_t r[][2] = {
		{ 0x00, 0x1f }, { 0x7f, 0x9f }, { 0xad, 0xad },
		{ 0x061c, 0x061c }, { 0x180e, 0x180e }, { 0x200b, 0x200f },
		{ 0x2028, 0x202e }, { 0x2060, 0x206f }, { 0xfeff, 0xfeff },
		{ 0xfff9, 0xfffb }, { 0xe0000, 0xe007f },
	};

	return in_ranges(c, r, GM_ARRAY_SIZE(r));
}

/*
 * Columns of a shown code point, from our own table so that it does not
 * depend on the locale (wcwidth() gives -1 for all of it in "C"): East
 * Asian Wide and Fullwidth blocks take two, the combining-mark blocks and
 * variation selectors none, everything else one.  Script-specific marks
 * (Devanagari, ...) count one: a row may then sit a column off, never
 * more than the name's marks.
 */
static unsigned int cp_width(uint32_t c)
{
	static const uint32_t zero[][2] = {
		{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x1ab0, 0x1aff },
		{ 0x1dc0, 0x1dff }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f },
		{ 0xfe20, 0xfe2f }, { 0xe0100, 0xe01ef },
	};
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
		{ 0x2e80, 0x303e }, { 0x3041, 0x33ff }, { 0x3400, 0x4dbf },
		{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xa960, 0xa97f },
		{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 },
		{ 0xfe30, 0xfe6f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 },
		{ 0x16fe0, 0x18cff }, { 0x1b000, 0x1b2ff }, { 0x1f300, 0x1f64f },
		{ 0x1f680, 0x1f6ff }, { 0x1f900, 0x1faff }, { 0x20000, 0x3fffd },
	};

	if (in_ranges(c, zero, GM_ARRAY_SIZE(zero)))
		return 0;
	return in_ranges(c, wide, GM_ARRAY_SIZE(wide)) ? 2 : 1;
}

/*
 * One unit of s into out (17 bytes): a shown character as it is, a
 * backslash doubled (so that \x in a name cannot pass for an escape), any
 * other byte as \xNN.  Returns the unit's length; *n: bytes of s used.
 */
static size_t escape_unit(const unsigned char *s, char *out, size_t *n,
			  size_t *cols)
{
	uint32_t c = 0;
	size_t len = utf8_decode(s, &c), i;

	if (len && c == '\\') {
		memcpy(out, "\\\\", 2);
		*n = 1;
		*cols = 2;
		return 2;
	}
	if (len && !cp_hidden(c)) {
		memcpy(out, s, len);
		*n = len;
		*cols = cp_width(c);
		return len;
	}
	*n = len ? len : 1;
	for (i = 0; i < *n; i++)
		snprintf(out + 4 * i, 5, "\\x%02x", s[i]);
	*cols = 4 * *n;
	return *cols;
}

static size_t escape_fit(char *dst, size_t size, const char *src,
			 size_t max_cols, size_t *width)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t len = 0, w = 0;

	while (*s) {
		char unit[17];
		size_t n, cols, ulen;

		/* Printable ASCII, most names and every figure of a table:
		 * copied as it is, a column a byte. */
		for (n = 0; s[n] >= 0x20 && s[n] < 0x7f && s[n] != '\\'; n++)
			;
		if (n > size - len - (size ? 1 : 0) || n > max_cols - w)
			n = 0;
		memcpy(dst + len, s, n);
		len += n;
		w += n;
		s += n;
		if (!*s)
			break;
		ulen = escape_unit(s, unit, &n, &cols);
		if (len + ulen >= size || w + cols > max_cols)
			break;
		memcpy(dst + len, unit, ulen);
		len += ulen;
		w += cols;
		s += n;
	}
	if (size)
		dst[len] = '\0';
	if (width)
		*width = w;
	return len;
}

size_t gm_escape_name(char *dst, size_t size, const char *src, size_t *width)
{
	return escape_fit(dst, size, src, SIZE_MAX, width);
}

/* For JSON, whose strings are Unicode: each invalid byte becomes U+FFFD. */
size_t gm_utf8_repair(char *dst, size_t size, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t len = 0;

	while (*s) {
		uint32_t c;
		size_t n = utf8_decode(s, &c);
		const void *text = n ? (const void *)s : "\xef\xbf\xbd";
		size_t tlen = n ? n : 3;

		if (len + tlen >= size)
			break;
		memcpy(dst + len, text, tlen);
		len += tlen;
		s += n ? n : 1;
	}
	if (size)
		dst[len] = '\0';
	return len;
}

size_t gpumem_escape_name(char *dst, size_t size, const char *src,
			  size_t *width)
{
	return gm_escape_name(dst, size, src, width);
}

size_t gpumem_escape_fit(char *dst, size_t size, const char *src,
			 size_t max_width, size_t *width)
{
	return escape_fit(dst, size, src, max_width, width);
}

size_t gpumem_utf8_repair(char *dst, size_t size, const char *src)
{
	return gm_utf8_repair(dst, size, src);
}
