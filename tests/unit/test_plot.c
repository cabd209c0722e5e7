// SPDX-License-Identifier: MIT
/*
 * gpumem_plot(): the PNG has the size asked for and the series drawn in
 * the plot area in their colours, a ring where the leak rule fired and
 * none on a sawtooth; the SVG names its series and axis labels.  The PNG
 * is decoded with cairo, as a reader would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairo.h>
#include <cmocka.h>

#include "gm.h"

#define MIB (1ull << 20)
#define NPTS 12
#define W 640
#define H 320

static struct gpumem_point leak[NPTS], saw[NPTS];

static void make_points(void)
{
	int i;

	for (i = 0; i < NPTS; i++) {
		leak[i] = (struct gpumem_point){ i * 1000000000ll,
						 (64 + 16 * i) * MIB };
		saw[i] = (struct gpumem_point){ i * 1000000000ll,
						(32 + 16 * (i % 4)) * MIB };
	}
}

static cairo_surface_t *plot_png(const struct gpumem_series *sr, size_t nr)
{
	struct gpumem_plot_opts o = { .width = W, .height = H };
	char path[] = "/tmp/gpumem-plot-XXXXXX";
	cairo_surface_t *img;
	FILE *f;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_int_equal(gpumem_plot(sr, nr, &o, f), 0);
	fclose(f);
	img = cairo_image_surface_create_from_png(path);
	unlink(path);
	assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
	return img;
}

/* Pixels of the plot area (inside its frame) near colour rgb. */
static unsigned int count_colour(cairo_surface_t *img, int r, int g, int b)
{
	unsigned char *d = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img), x, y;
	unsigned int n = 0;

	for (y = 40; y < H - 60; y++) {
		for (x = 84; x < W - 234; x++) {
			uint32_t px = *(uint32_t *)(d + y * stride + 4 * x);
			int pr = px >> 16 & 0xff, pg = px >> 8 & 0xff,
			    pb = px & 0xff;

			n += abs(pr - r) < 24 && abs(pg - g) < 24 &&
			     abs(pb - b) < 24;
		}
	}
	return n;
}

static void test_png(void **state)
{
	const struct gpumem_series sr[] = {
		{ "card0", true, leak, NPTS },
		{ "200 sawtooth", false, saw, NPTS },
	};
	cairo_surface_t *img;

	(void)state;
	make_points();
	img = plot_png(sr, 2);
	assert_int_equal(cairo_image_surface_get_width(img), W);
	assert_int_equal(cairo_image_surface_get_height(img), H);
	/* Each series in its palette colour (blue, orange) in the area. */
	assert_true(count_colour(img, 31, 120, 181) > 100);
	assert_true(count_colour(img, 255, 127, 13) > 100);
	/* The leak's ring: red, which no series here is drawn in. */
	assert_true(count_colour(img, 214, 38, 41) > 10);
	cairo_surface_destroy(img);
}

static void test_no_ring_on_sawtooth(void **state)
{
	const struct gpumem_series sr[] = {
		{ "200 sawtooth", false, saw, NPTS },
	};
	cairo_surface_t *img;

	(void)state;
	make_points();
	img = plot_png(sr, 1);
	assert_true(count_colour(img, 31, 120, 181) > 100);
	assert_int_equal(count_colour(img, 214, 38, 41), 0);
	cairo_surface_destroy(img);
}

static void test_svg_desc(void **state)
{
	const struct gpumem_series sr[] = {
		{ "card0", true, leak, NPTS },
		{ "200 saw<tooth>", false, saw, NPTS },
	};
	struct gpumem_plot_opts o = { .svg = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	make_points();
	assert_int_equal(gpumem_plot(sr, 2, &o, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "<desc>"));
	assert_non_null(strstr(buf, "series: device: card0 (leak)\n"));
	assert_non_null(strstr(buf, "series: process: 200 saw&lt;tooth&gt;\n"));
	/* 240 MiB at most: ticks of 32 MiB up to 256 MiB. */
	assert_non_null(strstr(buf, "y-label: 0 MiB\n"));
	assert_non_null(strstr(buf, "y-label: 32 MiB\n"));
	assert_non_null(strstr(buf, "y-label: 256 MiB\n"));
	assert_null(strstr(buf, "y-label: 288 MiB\n"));
	assert_non_null(strstr(buf, "x-label: 10 s\n"));
	free(buf);
}

static void test_refused(void **state)
{
	const struct gpumem_series none[] = { { "card0", true, leak, 0 } };
	const struct gpumem_series one[] = { { "card0", true, leak, 1 } };
	struct gpumem_plot_opts small = { .width = 100, .height = 100 };
	struct gpumem_plot_opts o = { 0 };
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	make_points();
	assert_int_equal(gpumem_plot(none, 1, &o, f), -EINVAL);
	assert_int_equal(gpumem_plot(one, 1, &small, f), -EINVAL);
	/* One sample: a dot, one instant on x. */
	assert_int_equal(gpumem_plot(one, 1, &o, f), 0);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png),
		cmocka_unit_test(test_no_ring_on_sawtooth),
		cmocka_unit_test(test_svg_desc),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
