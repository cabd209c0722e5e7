// SPDX-License-Identifier: MIT
/* libFuzzer: gm_drm_fdinfo_parse() on arbitrary fdinfo text. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_drm_client d;
	const struct gpumem_client *c = &d.c;
	unsigned int malformed = 0, i;
	uint64_t sum = 0;
	int keys;

	memset(&d, 0, sizeof(d));
	/* data is exactly size bytes, no NUL: over-reads are caught. */
	keys = gm_drm_fdinfo_parse((const char *)data, size, &d, &malformed);
	if (keys < 0 || c->nr_regions > GPUMEM_MAX_REGIONS ||
	    c->nr_engines > GPUMEM_MAX_ENGINES)
		__builtin_trap();
	for (i = 0; i < c->nr_regions; i++) {
		const struct gpumem_region *r = &d.regions[i];

		/* the snapshot hands these out as they are: gpumem_at() */
		if (r->struct_size != sizeof(*r) ||
		    strnlen(r->name, sizeof(r->name)) == sizeof(r->name))
			__builtin_trap();
		if (r->present & (1u << GPUMEM_STAT_TOTAL))
			sum = gm_add_sat(sum, r->bytes[GPUMEM_STAT_TOTAL]);
		else if (r->present & (1u << GPUMEM_STAT_RESIDENT))
			sum = gm_add_sat(sum, r->bytes[GPUMEM_STAT_RESIDENT]);
	}
	for (i = 0; i < c->nr_engines; i++) {
		if (d.engines[i].struct_size != sizeof(d.engines[i]) ||
		    !d.engines[i].capacity)
			__builtin_trap();
	}
	/* the client's figure is the sum of its regions, saturated */
	if (sum != c->bytes)
		__builtin_trap();
	if (strnlen(c->driver, sizeof(c->driver)) == sizeof(c->driver) ||
	    strnlen(c->name, sizeof(c->name)) == sizeof(c->name))
		__builtin_trap();
	return 0;
}
