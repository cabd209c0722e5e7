// SPDX-License-Identifier: MIT
/*
 * The recent points of every figure top shows: a device's total, a
 * process's, a user's or a cgroup's sum (gpumemd's history keeps devices
 * and processes only, and not in this process).  Series are found by key
 * with a binary search; one that was not in a sample is dropped with its
 * process or group.
 */
#include <stdlib.h>
#include <string.h>

#include "top.h"

static size_t find(const struct top_history *h, const char *key, bool *found)
{
	size_t lo = 0, hi = h->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(h->v[mid]->key, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static int grow(struct top_history *h)
{
	size_t cap = h->cap ? 2 * h->cap : 64;
	struct top_series **v;

	if (h->nr < h->cap)
		return 0;
	v = realloc(h->v, cap * sizeof(*v));
	if (!v)
		return -1;
	h->v = v;
	h->cap = cap;
	return 0;
}

struct top_series *top_history_get(struct top_history *h, const char *key)
{
	struct top_series *s;
	bool found;
	size_t i = find(h, key, &found);

	if (found) {
		h->v[i]->seen = true;
		return h->v[i];
	}
	if (grow(h))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->seen = true;
	memmove(h->v + i + 1, h->v + i, (h->nr - i) * sizeof(*h->v));
	h->v[i] = s;
	h->nr++;
	return s;
}

void top_history_add(struct top_series *s, int64_t time_ns, uint64_t bytes)
{
	unsigned int at = (s->head + s->nr) % TOP_HISTORY;

	s->pts[at] = (struct gpumem_point){ time_ns, bytes };
	if (s->nr < TOP_HISTORY)
		s->nr++;
	else
		s->head = (s->head + 1) % TOP_HISTORY;
}

void top_history_sweep(struct top_history *h)
{
	size_t i, kept = 0;

	for (i = 0; i < h->nr; i++) {
		if (!h->v[i]->seen) {
			free(h->v[i]);
			continue;
		}
		h->v[i]->seen = false;
		h->v[kept++] = h->v[i];
	}
	h->nr = kept;
}

void top_history_free(struct top_history *h)
{
	size_t i;

	for (i = 0; i < h->nr; i++)
		free(h->v[i]);
	free(h->v);
	*h = (struct top_history){ 0 };
}

size_t top_series_last(const struct top_series *s, size_t n,
		       struct gpumem_point *out)
{
	size_t i, skip;

	if (n > s->nr)
		n = s->nr;
	skip = s->nr - n;
	for (i = 0; i < n; i++)
		out[i] = s->pts[(s->head + skip + i) % TOP_HISTORY];
	return n;
}
