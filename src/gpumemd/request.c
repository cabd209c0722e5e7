// SPDX-License-Identifier: MIT
/*
 * One request: a JSON object on one line, {"get":"snapshot"},
 * {"get":"history","seconds":N} or {"get":"explain"}.  Anyone may send
 * anything: the line is bounded before it gets here, jansson parses it,
 * and every key is checked, so that a typo is an error, not a default.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gpumemd.h"

static int fail(char *why, size_t len, const char *msg)
{
	snprintf(why, len, "%s", msg);
	return -EINVAL;
}

static int parse_get(const char *get, struct gmd_request *r)
{
	static const char *const names[] = {
		[GMD_GET_SNAPSHOT] = "snapshot",
		[GMD_GET_HISTORY] = "history",
		[GMD_GET_EXPLAIN] = "explain",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(get, names[i])) {
			r->get = (enum gmd_get)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int check_keys(json_t *doc, const struct gmd_request *r, char *why,
		      size_t len)
{
	const char *key;
	json_t *v;

	json_object_foreach(doc, key, v) {
		if (!strcmp(key, "get"))
			continue;
		if (!strcmp(key, "seconds") && r->get == GMD_GET_HISTORY)
			continue;
		return fail(why, len, "unknown key in request (keys: get, "
			    "and seconds for history)");
	}
	return 0;
}

static int parse_seconds(json_t *doc, struct gmd_request *r, char *why,
			 size_t len)
{
	json_t *v = json_object_get(doc, "seconds");

	if (!v)
		return fail(why, len, "history needs \"seconds\"");
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > GMD_HISTORY_SECONDS_MAX)
		return fail(why, len, "\"seconds\" must be an integer from 1 "
			    "to 604800");
	r->seconds = json_integer_value(v);
	return 0;
}

static int parse_doc(json_t *doc, struct gmd_request *r, char *why,
		     size_t len)
{
	json_t *get;

	if (!json_is_object(doc))
		return fail(why, len, "a request is a JSON object");
	get = json_object_get(doc, "get");
	if (!json_is_string(get))
		return fail(why, len, "a request needs \"get\": \"snapshot\", "
			    "\"history\" or \"explain\"");
	if (parse_get(json_string_value(get), r))
		return fail(why, len, "unknown \"get\" (snapshot, history, "
			    "explain)");
	if (r->get == GMD_GET_HISTORY && parse_seconds(doc, r, why, len))
		return -EINVAL;
	return check_keys(doc, r, why, len);
}

int gmd_request_parse(const char *line, size_t len, struct gmd_request *r,
		      char *why, size_t why_len)
{
	json_error_t jerr;
	json_t *doc;
	int err;

	memset(r, 0, sizeof(*r));
	if (len > GMD_REQUEST_MAX)
		return fail(why, why_len, "request too long");
	/* One object per line: a NUL inside is not JSON text. */
	if (memchr(line, '\0', len))
		return fail(why, why_len, "a NUL byte in the request");
	doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		/* jerr.text quotes the input: only its offset is said. */
		snprintf(why, why_len, "not JSON (at byte %d)", jerr.position);
		return -EINVAL;
	}
	err = parse_doc(doc, r, why, why_len);
	json_decref(doc);
	return err;
}
