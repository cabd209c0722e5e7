// SPDX-License-Identifier: MIT
/*
 * A snapshot read back from its JSON document (gpumem_snapshot_from_json,
 * what gpumem makes of gpumemd's reply): on the demo fixture, the table,
 * each grouping and the CSV of the read-back snapshot are byte for byte
 * those of the snapshot that wrote the document, and so are its devices,
 * processes, dma-buf totals and sources in JSON.  A document that is not
 * one (a value of the wrong type, a figure out of range, another schema,
 * a duplicate key, a device or a pid named twice, cut short) is refused
 * whole.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "gpumem/gpumem.h"

static char *json_of(const struct gpumem_snapshot *s, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(gpumem_print_json(s, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

struct pair {
	struct gpumem_snapshot *orig, *back;
	char *doc;
	size_t len;
};

static int setup(void **state)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT,
				    .root = SOURCE_DIR "/fixtures/demo-desktop" };
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	assert_int_equal(gpumem_snapshot_take(&opts, &p->orig), 0);
	p->doc = json_of(p->orig, &p->len);
	assert_int_equal(gpumem_snapshot_from_json(p->doc, p->len, &p->back), 0);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	gpumem_snapshot_free(p->orig);
	gpumem_snapshot_free(p->back);
	free(p->doc);
	free(p);
	return 0;
}

typedef int print_fn(const struct gpumem_snapshot *s, FILE *f, int how);

static char *printed(const struct gpumem_snapshot *s, print_fn *fn, int how)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(s, f, how), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void same(const struct pair *p, print_fn *fn, int how)
{
	char *a = printed(p->orig, fn, how), *b = printed(p->back, fn, how);

	assert_true(strlen(a) > 100);
	assert_string_equal(b, a);
	free(a);
	free(b);
}

static int table(const struct gpumem_snapshot *s, FILE *f, int flags)
{
	return gpumem_print_table(s, f, (unsigned int)flags);
}

static int groups(const struct gpumem_snapshot *s, FILE *f, int by)
{
	return gpumem_print_groups_table(s, by, f, GPUMEM_PRINT_BYTES);
}

static int csv(const struct gpumem_snapshot *s, FILE *f, int flags)
{
	return gpumem_print_csv(s, f, (unsigned int)flags);
}

static void test_table(void **state)
{
	same(*state, table, 0);
	same(*state, table, GPUMEM_PRINT_BYTES);
}

static void test_groups(void **state)
{
	same(*state, groups, GPUMEM_GROUP_CGROUP);
	same(*state, groups, GPUMEM_GROUP_UNIT);
	same(*state, groups, GPUMEM_GROUP_USER);
}

static void test_csv(void **state)
{
	same(*state, csv, GPUMEM_PRINT_CSV_HEAD);
}

/* What is read back is written again as it was; clients are not kept. */
static void test_json_keys(void **state)
{
	static const char *const keys[] = {
		"schema_version", "kernel_release", "time", "devices",
		"processes", "dmabuf", "unreadable_processes", "scan",
		"tracepoint", "sources",
	};
	const struct pair *p = *state;
	size_t len, i, nr;
	char *again = json_of(p->back, &len);
	json_t *a = json_loadb(p->doc, p->len, 0, NULL);
	json_t *b = json_loadb(again, len, 0, NULL);

	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_true(json_equal(json_object_get(a, keys[i]),
				       json_object_get(b, keys[i])));
	assert_true(json_array_size(json_object_get(a, "clients")) > 0);
	gpumem_clients(p->back, &nr);
	assert_int_equal(nr, 0);
	json_decref(a);
	json_decref(b);
	free(again);
}

/* doc with the value at path (keys and array indexes, "/"-separated)
 * replaced by v, as text. */
static char *edited(const char *doc, size_t len, const char *path, json_t *v)
{
	json_t *root = json_loadb(doc, len, 0, NULL), *o = root;
	char buf[256], *key, *save = NULL, *next;
	char *out;

	assert_non_null(root);
	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, "/", &save); key; key = next) {
		next = strtok_r(NULL, "/", &save);
		if (json_is_array(o) && !next)
			assert_int_equal(json_array_set_new(o, strtoul(key, NULL, 10), v), 0);
		else if (!next)
			assert_int_equal(json_object_set_new(o, key, v), 0);
		else
			o = json_is_array(o) ? json_array_get(o, strtoul(key, NULL, 10)) :
			    json_object_get(o, key);
		assert_non_null(o);
	}
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return out;
}

static void refused(const struct pair *p, const char *path, json_t *v)
{
	char *doc = edited(p->doc, p->len, path, v);
	struct gpumem_snapshot *s = (void *)1;

	assert_int_equal(gpumem_snapshot_from_json(doc, strlen(doc), &s),
			 -EBADMSG);
	assert_null(s);
	free(doc);
}

static void test_refused(void **state)
{
	/* Each a value that gpumem never writes there. */
	static const char *const edits[][2] = {
		{ "schema_version", "3" },
		{ "devices", "{}" },
		{ "devices/0/total_bytes", "-1" },
		{ "devices/0/total_bytes", "\"1\"" },
		{ "devices/0/card", "\"card-1\"" },
		{ "devices/0/card", "\"gpu0\"" },
		{ "devices/1/card", "\"card0\"" },
		{ "devices/0/total_origin", "\"guess\"" },
		{ "devices/0/pci_id", "\"zz\"" },
		{ "processes/0/pid", "0" },
		{ "processes/0/pid", "1.5" },
		{ "processes/0/comm", "null" },
		{ "processes/0/uid", "-1" },
		{ "processes/0/gpu_devices/0/card", "\"card9\"" },
		{ "processes/0/cgroup/kind", "\"vm\"" },
		{ "tracepoint/state", "\"maybe\"" },
		{ "sources/0/state", "0" },
		{ "scan/listed", "1099511627776" },
	};
	const struct pair *p = *state;
	struct gpumem_snapshot *s;
	json_t *doc, *pid;
	char *dup;
	size_t i;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++)
		refused(p, edits[i][0], json_loads(edits[i][1],
						   JSON_DECODE_ANY, NULL));
	/* A pid twice: the second process given the first one's. */
	doc = json_loadb(p->doc, p->len, 0, NULL);
	pid = json_object_get(json_array_get(json_object_get(doc, "processes"),
					     0), "pid");
	assert_true(json_is_integer(pid));
	refused(p, "processes/1/pid", json_copy(pid));
	json_decref(doc);
	assert_int_equal(gpumem_snapshot_from_json(p->doc, p->len / 2, &s),
			 -EBADMSG);
	assert_int_equal(gpumem_snapshot_from_json("[]", 2, &s), -EBADMSG);
	assert_int_equal(asprintf(&dup, "{\"devices\":[],%s", p->doc + 1) > 0, 1);
	assert_int_equal(gpumem_snapshot_from_json(dup, strlen(dup), &s),
			 -EBADMSG);
	free(dup);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json_keys),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
