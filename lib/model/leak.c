// SPDX-License-Identifier: MIT
/*
 * Leak hints: the rule of docs/leaks.md.  It looks only at the last window
 * of a series, so a live view can run it on every sample and a plot on
 * every prefix of a recording, and both mark the same points.
 */
#include <errno.h>

#include "gm.h"

/* Each half of the window carries at least this share of the growth: one
 * allocation (a level loaded, a cache filled) is a step, not a leak. */
#define GM_LEAK_HALF_DIV 4

void gpumem_leak_rule_default(struct gpumem_leak_rule *rule)
{
	*rule = (struct gpumem_leak_rule){
		.window = GPUMEM_LEAK_WINDOW_DEFAULT,
		.min_growth_bytes = GPUMEM_LEAK_MIN_GROWTH_DEFAULT,
		.max_dip_pct = GPUMEM_LEAK_MAX_DIP_PCT_DEFAULT,
	};
}

/* Came back: some point fell below the highest before it by more than the
 * tolerance.  Noise smaller than that (a buffer freed and another one
 * allocated between samples) does not clear the hint. */
static bool came_back(const struct gpumem_point *p, size_t n,
		      uint64_t tolerance)
{
	uint64_t high = p[0].bytes;
	size_t i;

	for (i = 1; i < n; i++) {
		if (p[i].bytes > high)
			high = p[i].bytes;
		else if (high - p[i].bytes > tolerance)
			return true;
	}
	return false;
}

static bool spread(const struct gpumem_point *p, size_t n, uint64_t growth)
{
	uint64_t mid = p[(n - 1) / 2].bytes, least = growth / GM_LEAK_HALF_DIV;

	return mid >= p[0].bytes + least && p[n - 1].bytes >= mid + least;
}

static bool is_leak(const struct gpumem_point *p, size_t n,
		    const struct gpumem_leak_rule *rule)
{
	uint64_t growth;

	if (p[n - 1].bytes <= p[0].bytes)
		return false;
	growth = p[n - 1].bytes - p[0].bytes;
	if (growth < rule->min_growth_bytes)
		return false;
	/* growth / 100 * pct cannot overflow, growth * pct could. */
	return !came_back(p, n, growth / 100 * rule->max_dip_pct +
			  growth % 100 * rule->max_dip_pct / 100) &&
	       spread(p, n, growth);
}

int gpumem_leak_check(const struct gpumem_point *pts, size_t nr,
		      const struct gpumem_leak_rule *rule,
		      struct gpumem_leak_hint *hint)
{
	struct gpumem_leak_rule def;
	const struct gpumem_point *p;
	size_t n;

	if (!rule) {
		gpumem_leak_rule_default(&def);
		rule = &def;
	}
	if (rule->window < 3 || rule->max_dip_pct > 100)
		return -EINVAL;
	*hint = (struct gpumem_leak_hint){ 0 };
	n = nr < rule->window ? nr : rule->window;
	hint->samples = (unsigned int)n;
	if (!n)
		return 0;
	p = pts + nr - n;
	hint->first_bytes = p[0].bytes;
	hint->last_bytes = p[n - 1].bytes;
	hint->span_ns = p[n - 1].time_ns - p[0].time_ns;
	if (n < rule->window || !is_leak(p, n, rule))
		return 0;
	hint->leak = true;
	if (hint->span_ns > 0)
		hint->bytes_per_s = (double)(hint->last_bytes -
					     hint->first_bytes) * 1e9 /
				    (double)hint->span_ns;
	return 0;
}
