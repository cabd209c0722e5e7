// SPDX-License-Identifier: MIT
/*
 * The one description of fields (lib/output/objects.c): every field of a
 * device and of a process is in the JSON and in the table, or says why
 * not; and the two renderers really print what the description lists, in
 * its order.  On the demo fixture, with and without its devices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/fields.h"

#define MAX_FIELDS 64

struct listing {
	const struct gm_field *f[MAX_FIELDS];
	struct gm_field copy[MAX_FIELDS];
	size_t nr;
};

static void list_one(void *ctx, const struct gm_field *fl)
{
	struct listing *l = ctx;

	assert_true(l->nr < MAX_FIELDS);
	l->copy[l->nr] = *fl;
	l->f[l->nr] = &l->copy[l->nr];
	l->nr++;
}

static struct gpumem_snapshot *demo(void)
{
	struct gpumem_opts opts = { GPUMEM_OPTS_INIT,
				    .root = SOURCE_DIR "/fixtures/demo-desktop" };
	struct gpumem_snapshot *s;

	assert_int_equal(gpumem_snapshot_take(&opts, &s), 0);
	return s;
}

/* Each field is in both outputs, or in one with a reason. */
static void check_reasons(const struct listing *l)
{
	size_t i;

	assert_true(l->nr > 0);
	for (i = 0; i < l->nr; i++) {
		const struct gm_field *fl = l->f[i];

		if (fl->key && fl->head)
			continue;
		if (!fl->why || !fl->why[0])
			fail_msg("field %s/%s is in one output with no reason",
				 fl->key ? fl->key : "-",
				 fl->head ? fl->head : "-");
	}
}

/* The JSON object has exactly the listed keys, in the listed order. */
static void check_json(const struct listing *l, json_t *obj)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	json_object_foreach(obj, key, v) {
		(void)v;
		while (i < l->nr && !l->f[i]->key)
			i++;
		assert_true(i < l->nr);
		assert_string_equal(key, l->f[i]->key);
		i++;
	}
	while (i < l->nr && !l->f[i]->key)
		i++;
	assert_int_equal(i, l->nr);
}

/* The table's head line has every listed head, in the listed order. */
static void check_head(const struct listing *l, const char *line)
{
	const char *p = line;
	size_t i;

	for (i = 0; i < l->nr; i++) {
		if (!l->f[i]->head || !l->f[i]->head[0])
			continue;
		p = strstr(p, l->f[i]->head);
		if (!p)
			fail_msg("head %s not in '%s'", l->f[i]->head, line);
		p += strlen(l->f[i]->head);
	}
}

static json_t *json_of(const struct gpumem_snapshot *s, const char *arr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *root, *a;

	assert_non_null(f);
	assert_int_equal(gpumem_print_json(s, f), 0);
	fclose(f);
	root = json_loads(buf, 0, NULL);
	free(buf);
	assert_non_null(root);
	a = json_incref(json_array_get(json_object_get(root, arr), 0));
	json_decref(root);
	assert_non_null(a);
	return a;
}

/* The line of the table that starts with first (the first head). */
static char *table_line(const struct gpumem_snapshot *s, const char *first)
{
	char *buf = NULL, *line, *end;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(gpumem_print_table(s, f, 0), 0);
	fclose(f);
	line = strstr(buf, first);
	assert_non_null(line);
	end = strchr(line, '\n');
	line = strndup(line, end ? (size_t)(end - line) : strlen(line));
	free(buf);
	return line;
}

static void test_device_fields(void **state)
{
	struct gpumem_snapshot *s = demo();
	struct listing l = { .nr = 0 };
	struct gm_out o = { .mode = GM_OUT_LIST, .list = list_one, .ctx = &l };
	const struct gpumem_device *d;
	json_t *obj;
	char *head;
	size_t nr;

	(void)state;
	d = gpumem_devices(s, &nr);
	assert_true(nr >= 1);
	gm_device_fields(&o, s, &d[0]);
	check_reasons(&l);
	obj = json_of(s, "devices");
	check_json(&l, obj);
	head = table_line(s, "DEVICE");
	check_head(&l, head);
	free(head);
	json_decref(obj);
	gpumem_snapshot_free(s);
}

static void test_process_fields(void **state)
{
	struct gpumem_snapshot *s = demo();
	struct listing l = { .nr = 0 };
	struct gm_out o = { .mode = GM_OUT_LIST, .list = list_one, .ctx = &l };
	const struct gpumem_process *p;
	json_t *obj;
	char *head;
	size_t nr;

	(void)state;
	p = gpumem_processes(s, &nr);
	assert_true(nr >= 1);
	gm_process_fields(&o, s, &p[0]);
	check_reasons(&l);
	obj = json_of(s, "processes");
	check_json(&l, obj);
	head = table_line(s, "    PID");
	check_head(&l, head);
	free(head);
	json_decref(obj);
	gpumem_snapshot_free(s);
}

static const void *first_client(const struct gpumem_snapshot *s)
{
	size_t nr;

	return gpumem_clients(s, &nr);
}

static const void *first_dmabuf(const struct gpumem_snapshot *s)
{
	size_t nr;

	return gpumem_dmabufs(s, &nr);
}

/* Clients and dma-bufs are only in the JSON; each field still says so. */
static void check_json_only(gm_fields_fn *fields, const char *arr,
			    const void *(*first)(const struct gpumem_snapshot *))
{
	struct gpumem_snapshot *s = demo();
	struct listing l = { .nr = 0 };
	struct gm_out o = { .mode = GM_OUT_LIST, .list = list_one, .ctx = &l };
	json_t *j;

	fields(&o, s, first(s));
	check_reasons(&l);
	j = json_of(s, arr);
	check_json(&l, j);
	json_decref(j);
	gpumem_snapshot_free(s);
}

static void test_client_fields(void **state)
{
	(void)state;
	check_json_only(gm_client_fields, "clients", first_client);
}

static void test_dmabuf_fields(void **state)
{
	(void)state;
	check_json_only(gm_dmabuf_fields, "dmabufs", first_dmabuf);
}

/* What gm_fmt_size() printed before it counted in integers: "%.1f". */
static void printf_size(char *buf, size_t size, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	double d = (double)v;
	size_t u = 0;

	if (v < 1024) {
		snprintf(buf, size, "%llu B", (unsigned long long)v);
		return;
	}
	while (d >= 1024 && u + 1 < 7) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", d, units[u]);
}

static void expect_size(uint64_t v)
{
	char got[48], want[48];

	gm_fmt_size(got, sizeof(got), false, v, 0);
	printf_size(want, sizeof(want), v);
	if (strcmp(got, want))
		fail_msg("%llu: \"%s\", printf \"%s\"", (unsigned long long)v,
			 got, want);
}

/*
 * Sizes are rounded as printf's "%.1f" rounded them, half to even: each
 * unit's edges, the ties (a tenth's half is .x5: of a power of two only
 * .25 and .75 are exact), and a spread of other values up to 2^64.
 */
static void test_size_rounding(void **state)
{
	uint64_t x = 88172645463325252ull;
	unsigned int u, m, i;

	(void)state;
	for (u = 1; u <= 5; u++) {
		uint64_t base = 1ull << (10 * u);
		const uint64_t frac[] = { 0, 1, base / 4 - 1, base / 4,
					  base / 4 + 1, base / 2, base * 3 / 4,
					  base * 3 / 4 + 1, base / 20,
					  base - 1 };

		for (m = 1; m < 1024; m++) {
			for (i = 0; i < sizeof(frac) / sizeof(frac[0]); i++)
				expect_size(m * base + frac[i]);
		}
	}
	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		expect_size(x >> (i % 64));
	}
	expect_size(UINT64_MAX);
	expect_size(1ull << 53);
	expect_size((1ull << 53) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_rounding),
		cmocka_unit_test(test_device_fields),
		cmocka_unit_test(test_process_fields),
		cmocka_unit_test(test_client_fields),
		cmocka_unit_test(test_dmabuf_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
