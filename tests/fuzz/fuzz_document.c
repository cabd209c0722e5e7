// SPDX-License-Identifier: MIT
/*
 * libFuzzer: a JSON document read back as a snapshot (gpumem's reader of
 * gpumemd's reply, which anyone listening on an overridden socket path
 * writes).  What it accepts is then rendered by every output that
 * gpumem shows it with: the table, each grouping, the CSV and the JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gpumem/gpumem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gpumem_snapshot *s;
	FILE *f;
	int by;

	if (gpumem_snapshot_from_json((const char *)data, size, &s))
		return 0;
	f = fopen("/dev/null", "w");
	if (f) {
		gpumem_print_table(s, f, 0);
		for (by = GPUMEM_GROUP_CGROUP; by <= GPUMEM_GROUP_USER; by++)
			gpumem_print_groups_table(s, by, f, GPUMEM_PRINT_BYTES);
		gpumem_print_csv(s, f, GPUMEM_PRINT_CSV_HEAD);
		gpumem_print_json(s, f);
		fclose(f);
	}
	gpumem_snapshot_free(s);
	return 0;
}
