// SPDX-License-Identifier: MIT
/* Reading a recording back: see recording.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "recording.h"

/* Bounds on what one odd file can make us hold. */
#define REC_LINE_MAX (256u << 20)
#define REC_SERIES_MAX 100000

/* The series of key, made in its sorted place when new. */
static struct rec_series *series_of(struct recording *r, int64_t key)
{
	size_t lo = 0, hi = r->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->s[mid].key == key)
			return &r->s[mid];
		if (r->s[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (r->nr >= REC_SERIES_MAX)
		return NULL;
	if (r->nr == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct rec_series *s = realloc(r->s, cap * sizeof(*s));

		if (!s)
			return NULL;
		r->s = s;
		r->cap = cap;
	}
	memmove(&r->s[lo + 1], &r->s[lo], (r->nr - lo) * sizeof(*r->s));
	r->s[lo] = (struct rec_series){ .key = key };
	r->nr++;
	return &r->s[lo];
}

static int add_point(struct rec_series *s, int64_t t, uint64_t bytes)
{
	if (s->nr == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct gpumem_point *p = realloc(s->pts, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->pts = p;
		s->cap = cap;
	}
	s->pts[s->nr++] = (struct gpumem_point){ t, bytes };
	if (bytes > s->peak)
		s->peak = bytes;
	return 0;
}

/* A byte count: an integer from 0 up, nothing else. */
static bool bytes_of(const json_t *o, const char *key, uint64_t *v)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

/* "card<N>", or "nvidia<N>" (an NVIDIA GPU without a DRM node). */
static int add_device(struct recording *r, const json_t *d, int64_t t)
{
	const char *card = json_string_value(json_object_get(d, "card"));
	size_t skip = card && !strncmp(card, "nvidia", 6) ? 6 : 4;
	struct rec_series *s;
	char *end;
	uint64_t bytes;
	long n;

	if (!card || (skip == 4 && strncmp(card, "card", 4)) ||
	    !bytes_of(d, "total_bytes", &bytes))
		return 0;
	errno = 0;
	n = strtol(card + skip, &end, 10);
	if (errno || end == card + skip || *end || n < 0 || n > 0xfffff)
		return 0;
	/* Below the cards' keys: -1 - N for cardN, below -2^20 NVIDIA's. */
	s = series_of(r, (skip == 6 ? -(1 << 20) : 0) - 1 - (int64_t)n);
	if (!s)
		return -ENOMEM;
	snprintf(s->name, sizeof(s->name), "%.*s%ld", (int)skip, card, n);
	return add_point(s, t, bytes);
}

static int add_process(struct recording *r, const json_t *p, int64_t t)
{
	const char *comm = json_string_value(json_object_get(p, "comm"));
	const json_t *pid = json_object_get(p, "pid");
	/* A comm is at most 15 bytes: cut where a planted one is longer. */
	char esc[2 * GPUMEM_NAME_MAX - 16];
	struct rec_series *s;
	uint64_t bytes;

	if (!json_is_integer(pid) || json_integer_value(pid) <= 0 ||
	    json_integer_value(pid) > 0x3fffffff ||
	    !bytes_of(p, "gpu_total_bytes", &bytes))
		return 0;
	s = series_of(r, json_integer_value(pid));
	if (!s)
		return -ENOMEM;
	gpumem_escape_name(esc, sizeof(esc), comm ? comm : "", NULL);
	snprintf(s->name, sizeof(s->name), "%d %s",
		 (int)json_integer_value(pid), esc);
	return add_point(s, t, bytes);
}

static int add_sample(struct recording *r, const json_t *doc)
{
	const json_t *t = json_object_get(json_object_get(doc, "time"),
					  "realtime_ns");
	const json_t *devs = json_object_get(doc, "devices");
	const json_t *procs = json_object_get(doc, "processes");
	const json_t *v;
	int64_t ns;
	size_t i;
	int err = 0;

	/* Out of time order (two recordings concatenated the wrong way
	 * round): a plot and a leak rule need time to go forward. */
	if (!json_is_integer(t) || !json_is_array(devs) ||
	    !json_is_array(procs) || (r->samples && json_integer_value(t) <
				      r->last_ns)) {
		r->skipped++;
		return 0;
	}
	ns = json_integer_value(t);
	json_array_foreach(devs, i, v)
		if (!err)
			err = add_device(r, v, ns);
	json_array_foreach(procs, i, v)
		if (!err)
			err = add_process(r, v, ns);
	r->last_ns = ns;
	r->samples++;
	return err;
}

int recording_add_line(struct recording *r, const char *line, size_t len)
{
	json_t *doc;
	int err;

	if (len > REC_LINE_MAX) {
		r->skipped++;
		return 0;
	}
	doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		r->skipped++;
		return 0;
	}
	err = add_sample(r, doc);
	json_decref(doc);
	return err;
}

int recording_read(FILE *f, struct recording *r)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = 0;

	while (!err && (n = getline(&line, &cap, f)) > 0) {
		/* A blank line is no sample, nor an error. */
		if (n > 1 || line[0] != '\n')
			err = recording_add_line(r, line, (size_t)n);
	}
	free(line);
	if (!err && ferror(f))
		err = -EIO;
	return err;
}

void recording_free(struct recording *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		free(r->s[i].pts);
	free(r->s);
	*r = (struct recording){ 0 };
}
