// SPDX-License-Identifier: MIT
/*
 * DRM fdinfo: the keys of Documentation/gpu/drm-usage-stats.rst as 6.12 and
 * later mainline print them, including amdgpu's legacy drm-memory-<region>
 * (printed "drm-memory-gtt: \t" with a stray blank) which the document
 * defines as an alias of drm-resident-<region>.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sources.h"

struct unit {
	const char *name;
	uint64_t mult;
};

static const struct unit mem_units[] = {
	{ "", 1 }, { "KiB", 1ull << 10 }, { "MiB", 1ull << 20 },
	{ "GiB", 1ull << 30 }, { NULL, 0 }
};

static const struct unit ns_units[] = { { "", 1 }, { "ns", 1 }, { NULL, 0 } };
static const struct unit plain_units[] = { { "", 1 }, { NULL, 0 } };

static const struct unit freq_units[] = {
	{ "", 1 }, { "Hz", 1 }, { "KHz", 1000 }, { "kHz", 1000 },
	{ "MHz", 1000000 }, { "GHz", 1000000000 }, { NULL, 0 }
};

static const char *const stat_keys[GPUMEM_STAT_COUNT] = {
	[GPUMEM_STAT_TOTAL] = "total-",
	[GPUMEM_STAT_SHARED] = "shared-",
	[GPUMEM_STAT_RESIDENT] = "resident-",
	[GPUMEM_STAT_PURGEABLE] = "purgeable-",
	[GPUMEM_STAT_ACTIVE] = "active-",
};

enum engine_field { ENG_BUSY, ENG_CAPACITY, ENG_CYCLES, ENG_TOTAL_CYCLES,
		    ENG_MAXFREQ };

static const struct {
	const char *prefix;
	enum engine_field field;
	const struct unit *units;
} engine_keys[] = {
	/* Longer prefixes first: "engine-capacity-" starts with "engine-". */
	{ "engine-capacity-", ENG_CAPACITY, plain_units },
	{ "engine-", ENG_BUSY, ns_units },
	{ "total-cycles-", ENG_TOTAL_CYCLES, plain_units },
	{ "cycles-", ENG_CYCLES, plain_units },
	{ "maxfreq-", ENG_MAXFREQ, freq_units },
};

/* "<uint>[<blanks><unit>]" with nothing else; rejects overflow. */
static int parse_amount(const char *val, size_t len, const struct unit *units,
			uint64_t *out)
{
	char tmp[64];
	const char *p;
	uint64_t v;
	int err;

	if (len >= sizeof(tmp))
		return -ERANGE;
	if (memchr(val, '\0', len))
		return -EINVAL;
	memcpy(tmp, val, len);
	tmp[len] = '\0';
	err = gm_parse_u64(tmp, &p, &v);
	if (err)
		return err;
	while (*p == ' ' || *p == '\t')
		p++;
	for (; units->name; units++) {
		if (strcmp(p, units->name))
			continue;
		if (v > UINT64_MAX / units->mult)
			return -ERANGE;
		*out = v * units->mult;
		return 0;
	}
	return -EINVAL;
}

static bool has_prefix(const char *s, size_t len, const char *prefix,
		       size_t *plen)
{
	size_t n = strlen(prefix);

	*plen = n;
	return len > n && !memcmp(s, prefix, n);
}

/*
 * Finds the entry called name in an array of regions or engines (both
 * have it at one offset) or appends a cleared one; NULL when the array is
 * full.
 */
#define GM_NAMED_OFF offsetof(struct gpumem_region, name)
_Static_assert(offsetof(struct gpumem_engine, name) == GM_NAMED_OFF,
	       "one layout");

static void *named_get(void *arr, unsigned int *nr, unsigned int max,
		       size_t elem, const char *name, size_t len)
{
	char *e = arr;
	unsigned int i;

	if (len >= GPUMEM_KEY_MAX)
		return NULL;
	for (i = 0; i < *nr; i++, e += elem) {
		if (strlen(e + GM_NAMED_OFF) == len &&
		    !memcmp(e + GM_NAMED_OFF, name, len))
			return e;
	}
	if (*nr == max)
		return NULL;
	(*nr)++;
	memset(e, 0, elem);
	gm_copy_field(e + GM_NAMED_OFF, GPUMEM_KEY_MAX, name, len);
	return e;
}

/*
 * Region names as the drivers print them: amdgpu vram/gtt/cpu, i915
 * system0/local0/stolen-system0/stolen-local0, xe system/gtt/vram0/stolen,
 * and "memory" from the shmem-helper drivers (msm, panfrost, virtio-gpu).
 */
enum gpumem_kind gm_region_kind(const char *name)
{
	static const struct {
		const char *prefix;
		enum gpumem_kind kind;
	} kinds[] = {
		{ "vram", GPUMEM_KIND_VRAM }, { "local", GPUMEM_KIND_VRAM },
		{ "stolen", GPUMEM_KIND_STOLEN }, { "gtt", GPUMEM_KIND_GTT },
		{ "system", GPUMEM_KIND_SYSTEM }, { "cpu", GPUMEM_KIND_SYSTEM },
		{ "memory", GPUMEM_KIND_SYSTEM },
	};
	size_t i;

	for (i = 0; i < GM_ARRAY_SIZE(kinds); i++) {
		if (!strncmp(name, kinds[i].prefix, strlen(kinds[i].prefix)))
			return kinds[i].kind;
	}
	return GPUMEM_KIND_UNKNOWN;
}

static struct gpumem_region *region_get(struct gm_drm_client *dc,
					const char *name, size_t len)
{
	struct gpumem_region *r = named_get(dc->regions, &dc->c.nr_regions,
					    GPUMEM_MAX_REGIONS,
					    sizeof(dc->regions[0]), name, len);

	if (r) {
		r->struct_size = sizeof(*r);
		r->kind = gm_region_kind(r->name);
	}
	return r;
}

static struct gpumem_engine *engine_get(struct gm_drm_client *dc,
					const char *name, size_t len)
{
	struct gpumem_engine *e = named_get(dc->engines, &dc->c.nr_engines,
					    GPUMEM_MAX_ENGINES,
					    sizeof(dc->engines[0]), name, len);

	if (e && !e->present) {
		e->struct_size = sizeof(*e);
		e->capacity = 1;	/* the documented default */
	}
	return e;
}

/* drm-<stat>-<region>, drm-memory-<region>; 1 if the key was a memory key. */
static int parse_memory(struct gm_drm_client *dc, const char *key,
			size_t klen, const char *val, size_t vlen)
{
	struct gpumem_region *r;
	size_t plen;
	uint64_t v;
	int stat;

	for (stat = 0; stat < GPUMEM_STAT_COUNT; stat++) {
		if (has_prefix(key, klen, stat_keys[stat], &plen))
			break;
	}
	if (stat == GPUMEM_STAT_COUNT) {
		if (!has_prefix(key, klen, "memory-", &plen))
			return 0;
		stat = -1;
	}
	if (parse_amount(val, vlen, mem_units, &v))
		return -EINVAL;
	r = region_get(dc, key + plen, klen - plen);
	if (!r)
		return -ENOSPC;
	if (stat < 0) {
		/* An explicit drm-resident- wins over its legacy alias. */
		if (r->present & (1u << GPUMEM_STAT_RESIDENT) && !r->legacy)
			return 1;
		r->legacy = true;
		stat = GPUMEM_STAT_RESIDENT;
	} else if (stat == GPUMEM_STAT_RESIDENT) {
		r->legacy = false;
	}
	r->bytes[stat] = v;
	r->present |= 1u << stat;
	return 1;
}

static int parse_engine(struct gm_drm_client *dc, const char *key,
			size_t klen, const char *val, size_t vlen)
{
	struct gpumem_engine *e;
	size_t i, plen;
	uint64_t v;

	for (i = 0; i < GM_ARRAY_SIZE(engine_keys); i++) {
		if (has_prefix(key, klen, engine_keys[i].prefix, &plen))
			break;
	}
	if (i == GM_ARRAY_SIZE(engine_keys))
		return 0;
	if (parse_amount(val, vlen, engine_keys[i].units, &v))
		return -EINVAL;
	if (engine_keys[i].field == ENG_CAPACITY && v == 0)
		return -EINVAL;
	e = engine_get(dc, key + plen, klen - plen);
	if (!e)
		return -ENOSPC;
	switch (engine_keys[i].field) {
	case ENG_BUSY:
		e->busy_ns = v;
		break;
	case ENG_CAPACITY:
		e->capacity = v;
		break;
	case ENG_CYCLES:
		e->cycles = v;
		break;
	case ENG_TOTAL_CYCLES:
		e->total_cycles = v;
		break;
	case ENG_MAXFREQ:
		e->maxfreq_hz = v;
		break;
	}
	e->present |= 1u << engine_keys[i].field;
	return 1;
}

static int parse_ident(struct gpumem_client *c, const char *key, size_t klen,
		       const char *val, size_t vlen)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "driver", offsetof(struct gpumem_client, driver) },
		{ "pdev", offsetof(struct gpumem_client, pdev) },
		{ "client-name", offsetof(struct gpumem_client, name) },
	};
	size_t i;

	if (klen == 9 && !memcmp(key, "client-id", 9)) {
		if (parse_amount(val, vlen, plain_units, &c->client_id))
			return -EINVAL;
		c->has_client_id = true;
		return 1;
	}
	for (i = 0; i < GM_ARRAY_SIZE(strs); i++) {
		if (strlen(strs[i].key) != klen || memcmp(key, strs[i].key, klen))
			continue;
		if (!vlen || vlen >= GPUMEM_NAME_MAX)
			return -EINVAL;
		gm_copy_field((char *)c + strs[i].off, GPUMEM_NAME_MAX, val, vlen);
		return 1;
	}
	return 0;
}

/* A region's memory: total where the driver reports it, else resident. */
bool gm_region_bytes(const struct gpumem_region *r, uint64_t *bytes)
{
	int stat = r->present & (1u << GPUMEM_STAT_TOTAL) ?
		   GPUMEM_STAT_TOTAL : GPUMEM_STAT_RESIDENT;

	*bytes = r->present & (1u << stat) ? r->bytes[stat] : 0;
	return r->present & (1u << stat);
}

static void client_sum(struct gm_drm_client *dc)
{
	struct gpumem_client *c = &dc->c;
	unsigned int i;
	uint64_t v;

	c->bytes = 0;
	c->shared_bytes = 0;
	c->resident_bytes = 0;
	for (i = 0; i < c->nr_regions; i++) {
		const struct gpumem_region *r = &dc->regions[i];

		if (!gm_region_bytes(r, &v))
			continue;
		c->bytes = gm_add_sat(c->bytes, v);
		c->shared_bytes = gm_add_sat(c->shared_bytes,
					     r->bytes[GPUMEM_STAT_SHARED]);
		c->resident_bytes = gm_add_sat(c->resident_bytes,
					       r->bytes[GPUMEM_STAT_RESIDENT]);
		c->mem_known = true;
	}
}

/* Clears dc->c; the region and engine arrays are cleared entry by entry. */
int gm_drm_fdinfo_parse(const char *text, size_t len,
			struct gm_drm_client *dc, unsigned int *malformed)
{
	struct gpumem_client *c = &dc->c;
	const char *line, *key, *val;
	size_t pos = 0, llen, klen, vlen;
	int nr_keys = 0;

	memset(c, 0, sizeof(*c));

	while (gm_next_line(text, len, &pos, &line, &llen)) {
		int ret;

		if (!gm_key_value(line, llen, &key, &klen, &val, &vlen))
			continue;
		if (klen < 5 || memcmp(key, "drm-", 4))
			continue;
		key += 4;
		klen -= 4;
		ret = parse_ident(c, key, klen, val, vlen);
		if (!ret)
			ret = parse_engine(dc, key, klen, val, vlen);
		if (!ret)
			ret = parse_memory(dc, key, klen, val, vlen);
		if (ret > 0)
			nr_keys++;
		else if (ret < 0)
			(*malformed)++;
	}
	client_sum(dc);
	return nr_keys;
}

static void drm_fdinfo_status(const struct gpumem_snapshot *s,
			      struct gpumem_source_status *st)
{
	unsigned int known = 0, unknown = 0;
	const struct gpumem_client *c;
	size_t i, nr;

	c = gpumem_clients(s, &nr);
	for (i = 0; i < nr; i++) {
		known += c[i].mem_known;
		unknown += !c[i].mem_known;
	}
	if (!nr) {
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no DRM client open "
			      "(or none readable: run as root)");
		return;
	}
	gm_source_say(st, unknown ? GPUMEM_SOURCE_MISSING :
		      GPUMEM_SOURCE_FOUND, "%u DRM clients report memory, "
		      "%u do not%s", known, unknown, unknown ? " (their driver "
		      "has no drm-*-memory keys: use the tracepoint)" : "");
}

const struct gm_source gm_src_drm_fdinfo = {
	.name = "drm-fdinfo",
	.what = "fdinfo memory keys",
	.status = drm_fdinfo_status,
};
