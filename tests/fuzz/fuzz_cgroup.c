// SPDX-License-Identifier: MIT
/*
 * libFuzzer: gm_cgroup_parse() (/proc/PID/cgroup) and gm_cgroup_owner()
 * on its path, in exact-size copies so that a read past the end is
 * caught.  The path stays inside the text; every name stays terminated
 * within its field, and an owner is always named.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_owner(const char *path)
{
	struct gpumem_cgroup o = { .path = path };

	gm_cgroup_owner(&o);
	if (strnlen(o.unit, sizeof(o.unit)) == sizeof(o.unit) ||
	    strnlen(o.runtime, sizeof(o.runtime)) == sizeof(o.runtime) ||
	    strnlen(o.container_id, sizeof(o.container_id)) ==
	    sizeof(o.container_id) ||
	    strnlen(o.pod_uid, sizeof(o.pod_uid)) == sizeof(o.pod_uid) ||
	    strnlen(o.owner, sizeof(o.owner)) == sizeof(o.owner) ||
	    (o.kind != GPUMEM_OWNER_UNKNOWN && !o.owner[0]) ||
	    (o.kind == GPUMEM_OWNER_POD && !o.pod_uid[0]))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gm_cgroup_line cg;
	char *text = malloc(size ? size : 1), *path;
	unsigned int bad = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	if (gm_cgroup_parse(text, size, &cg, &bad)) {
		if (cg.path < text || cg.path + cg.len > text + size ||
		    cg.path[0] != '/')
			__builtin_trap();
		path = malloc(cg.len + 1);
		if (path) {
			memcpy(path, cg.path, cg.len);
			path[cg.len] = '\0';
			check_owner(path);
			free(path);
		}
	}
	free(text);
	return 0;
}
