// SPDX-License-Identifier: MIT
/* The head of every JSON document (docs/json-schema.md, "Every document"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

json_t *gm_json_bytes(uint64_t v)
{
	/* jansson's integers are signed 64-bit; larger sizes are not real. */
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/*
 * jansson refuses invalid UTF-8 (json_string() gives NULL, so the key
 * would vanish): such a name is repaired, U+FFFD for each invalid byte
 * (docs/json-schema.md).  Valid names, the usual case, pass untouched.
 */
json_t *gm_json_name(const char *s)
{
	size_t size = 3 * strlen(s) + 1;
	json_t *j = json_string(s);
	char *buf;

	if (j)
		return j;
	buf = malloc(size);
	if (!buf)
		return NULL;
	gm_utf8_repair(buf, size, s);
	j = json_string(buf);
	free(buf);
	return j;
}

int gm_json_set_named(json_t *o, const char *key, json_t *v)
{
	char buf[GM_ESCAPED_SIZE(GPUMEM_NAME_MAX)];

	gm_utf8_repair(buf, sizeof(buf), key);
	return json_object_set_new(o, buf, v);
}

struct dump_buf {
	char *buf;
	size_t len, cap;
};

static int to_buf(const char *s, size_t n, void *data)
{
	struct dump_buf *d = data;

	if (gm_grow((void **)&d->buf, &d->cap, d->len + n + 1, 1))
		return -1;
	memcpy(d->buf + d->len, s, n);
	d->len += n;
	return 0;
}

/*
 * Writes and frees doc (line: on one line); the error is the stream's
 * (ENOSPC, EPIPE), not EIO.  The text is made in memory and written at
 * once: json_dumpf() calls fwrite() for every token, which at 1,000
 * processes was half the time of an NDJSON sample.
 */
int gm_json_print(json_t *doc, FILE *f, bool line)
{
	struct dump_buf d = { 0 };
	int err;

	if (!doc)
		return -ENOMEM;
	err = json_dump_callback(doc, to_buf, &d, (line ? JSON_COMPACT :
				 JSON_INDENT(2)) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!err)
		err = to_buf("\n", 1, &d);
	if (err) {
		free(d.buf);
		return -ENOMEM;
	}
	errno = 0;
	if (fwrite(d.buf, 1, d.len, f) != d.len)
		err = errno ? -errno : -EIO;
	free(d.buf);
	return err;
}

json_t *gm_json_doc(int schema_version, const struct gpumem_sample_info *info)
{
	struct gm_out out = { .mode = GM_OUT_JSON, .obj = json_object() };

	json_object_set_new(out.obj, "schema_version",
			    json_integer(schema_version));
	json_object_set_new(out.obj, "gpumem_version",
			    json_string(gpumem_version()));
	json_object_set_new(out.obj, "kernel_release",
			    gm_json_name(info->kernel_release));
	gm_time_fields(&out, NULL, info);
	return out.obj;
}
