/* SPDX-License-Identifier: MIT */
/* What the renderers share; they see the model only through gpumem.h. */
#ifndef GM_OUTPUT_H
#define GM_OUTPUT_H

#include <jansson.h>

#include "gm.h"

/*
 * The keys every JSON document starts with: schema_version, the version of
 * gpumem, the kernel release and the time of the sample.
 */
json_t *gm_json_doc(int schema_version, const struct gpumem_sample_info *info);
json_t *gm_json_bytes(uint64_t v);
int gm_json_print(json_t *doc, FILE *f, bool line);
/* A name as a string that is always there (never NULL for invalid UTF-8). */
json_t *gm_json_name(const char *s);
/* Sets o[key] where key is a name: an invalid one would drop the value. */
int gm_json_set_named(json_t *o, const char *key, json_t *v);

#endif
