// SPDX-License-Identifier: MIT
/*
 * gpumem plot: series of byte figures over time, drawn with cairo into a
 * PNG or an SVG.  Bytes on y in binary units on power-of-two ticks, time on
 * x, a line per series (devices thicker), and a mark where the leak rule
 * (lib/model/leak.c, the one gpumem top runs) fired on the series so far:
 * a live view and a plot of its recording mark the same samples.
 *
 * Cairo's SVG draws text as glyph outlines, which no reader or test can
 * read back: the SVG also gets a <title> and a <desc> naming each series
 * and each axis label, the accessible form SVG defines for that.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"

#ifdef HAVE_CAIRO
#include <cairo-svg.h>
#include <cairo.h>

#define PLOT_W_DEFAULT 1000
#define PLOT_H_DEFAULT 500
#define PLOT_MIN 200
#define PLOT_MAX 8000
#define MARGIN_L 80.0
#define MARGIN_R 230.0
#define MARGIN_T 36.0
#define MARGIN_B 56.0
#define MAX_TICKS 8
/* Series lines are the only paths of these widths (tests count them). */
#define WIDTH_DEVICE 2.5
#define WIDTH_PROCESS 1.5
#define LABEL_MAX 160

/* Tableau 10: told apart by most colour-blind readers too. */
static const double palette[][3] = {
	{ 0.12, 0.47, 0.71 }, { 1.00, 0.50, 0.05 }, { 0.17, 0.63, 0.17 },
	{ 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 }, { 0.89, 0.47, 0.76 },
	{ 0.50, 0.50, 0.50 }, { 0.74, 0.74, 0.13 }, { 0.09, 0.75, 0.81 },
	{ 0.84, 0.15, 0.16 },
};

struct plot {
	cairo_t *cr;
	double x0, y0, w, h;		/* the plot area */
	int64_t t_min, t_max;
	uint64_t top;			/* the y axis ends here */
	uint64_t step;			/* between two y ticks */
	int64_t t_step;			/* between two x ticks, ns */
	char *desc;			/* the SVG's <desc> */
	size_t desc_len, desc_cap;
	int err;
};

static void say(struct plot *p, const char *text)
{
	size_t n = strlen(text);

	if (p->err || gm_grow((void **)&p->desc, &p->desc_cap,
			      p->desc_len + n + 2, 1)) {
		p->err = -ENOMEM;
		return;
	}
	memcpy(p->desc + p->desc_len, text, n);
	p->desc_len += n;
	p->desc[p->desc_len++] = '\n';
	p->desc[p->desc_len] = '\0';
}

/* Power-of-two steps: the tick labels are whole binary units. */
static void y_scale(struct plot *p, uint64_t max)
{
	p->step = 1;
	while (max / p->step > MAX_TICKS)
		p->step <<= 1;
	p->top = (max / p->step + 1) * p->step;
}

static void x_scale(struct plot *p)
{
	static const int64_t steps_ms[] = {
		10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000,
		30000, 60000, 120000, 300000, 600000, 900000, 1800000, 3600000,
		7200000, 21600000, 43200000, 86400000,
	};
	int64_t span = p->t_max - p->t_min;
	size_t i;

	for (i = 0; i < GM_ARRAY_SIZE(steps_ms) - 1; i++) {
		if (span / (steps_ms[i] * 1000000) <= MAX_TICKS)
			break;
	}
	p->t_step = steps_ms[i] * 1000000;
}

/* "0 B", "64 MiB", "1.5 GiB" is never needed: ticks are 2^k. */
static void bytes_label(char *buf, size_t size, uint64_t v, uint64_t step)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	uint64_t unit = 1;
	size_t u = 0;

	while (u + 1 < GM_ARRAY_SIZE(units) && step / unit >= 1024) {
		unit <<= 10;
		u++;
	}
	snprintf(buf, size, "%" PRIu64 " %s", v / unit, units[u]);
}

static double px(const struct plot *p, int64_t t)
{
	int64_t span = p->t_max > p->t_min ? p->t_max - p->t_min : 1;

	return p->x0 + p->w * (double)(t - p->t_min) / (double)span;
}

static double py(const struct plot *p, uint64_t v)
{
	return p->y0 + p->h - p->h * (double)v / (double)p->top;
}

static void text_at(struct plot *p, double x, double y, const char *s,
		    double align)
{
	cairo_text_extents_t ext;

	cairo_text_extents(p->cr, s, &ext);
	cairo_move_to(p->cr, x - ext.x_advance * align, y);
	cairo_show_text(p->cr, s);
}

static void y_axis(struct plot *p)
{
	char label[32], line[64];
	uint64_t v;

	for (v = 0; v <= p->top; v += p->step) {
		cairo_set_source_rgb(p->cr, 0.85, 0.85, 0.85);
		cairo_set_line_width(p->cr, 0.5);
		cairo_new_path(p->cr);
		cairo_move_to(p->cr, p->x0, py(p, v));
		cairo_line_to(p->cr, p->x0 + p->w, py(p, v));
		cairo_stroke(p->cr);
		bytes_label(label, sizeof(label), v, p->step);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		text_at(p, p->x0 - 6, py(p, v) + 4, label, 1);
		snprintf(line, sizeof(line), "y-label: %s", label);
		say(p, line);
	}
}

static void x_axis(struct plot *p)
{
	char label[32], line[64], when[64];
	time_t start = (time_t)(p->t_min / 1000000000);
	struct tm tm;
	int64_t t;

	for (t = p->t_min; t <= p->t_max; t += p->t_step) {
		snprintf(label, sizeof(label), "%g s",
			 (double)((t - p->t_min) / 1000000) / 1000);
		text_at(p, px(p, t), p->y0 + p->h + 16, label, 0.5);
		snprintf(line, sizeof(line), "x-label: %s", label);
		say(p, line);
	}
	if (!gmtime_r(&start, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
		when[0] = '\0';
	snprintf(line, sizeof(line), "time from %s", when);
	text_at(p, p->x0 + p->w / 2, p->y0 + p->h + 40, line, 0.5);
	say(p, line);
}

static void frame(struct plot *p, const char *title)
{
	cairo_set_source_rgb(p->cr, 1, 1, 1);
	cairo_paint(p->cr);
	cairo_select_font_face(p->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
			       CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(p->cr, 12);
	y_axis(p);
	x_axis(p);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	cairo_set_line_width(p->cr, 1);
	cairo_new_path(p->cr);
	cairo_rectangle(p->cr, p->x0, p->y0, p->w, p->h);
	cairo_stroke(p->cr);
	if (title) {
		text_at(p, p->x0, p->y0 - 14, title, 0);
		say(p, title);
	}
}

/* A ring where the rule fired: the first sample of each run of hints. */
static void leak_marks(struct plot *p, const struct gpumem_series *sr,
		       const struct gpumem_leak_rule *rule, bool *any)
{
	struct gpumem_leak_hint h;
	bool before = false;
	size_t i;

	for (i = 0; i < sr->nr; i++) {
		if (gpumem_leak_check(sr->points, i + 1, rule, &h)) {
			p->err = -EINVAL;
			return;
		}
		if (h.leak && !before) {
			cairo_set_source_rgb(p->cr, 0.84, 0.15, 0.16);
			cairo_set_line_width(p->cr, 2);
			cairo_new_sub_path(p->cr);
			cairo_arc(p->cr, px(p, sr->points[i].time_ns),
				  py(p, sr->points[i].bytes), 6, 0, 6.2832);
			cairo_stroke(p->cr);
			*any = true;
		}
		before = h.leak;
	}
}

static void legend(struct plot *p, const struct gpumem_series *sr, size_t i,
		   bool leak)
{
	double y = p->y0 + 8 + 18.0 * (double)i, x = p->x0 + p->w + 16;
	char name[LABEL_MAX], line[LABEL_MAX + 48];

	gpumem_escape_name(name, sizeof(name), sr->name, NULL);
	cairo_new_path(p->cr);
	cairo_move_to(p->cr, x, y);
	cairo_line_to(p->cr, x + 24, y);
	cairo_stroke(p->cr);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	snprintf(line, sizeof(line), "%s%s", name, leak ? " (leak)" : "");
	text_at(p, x + 30, y + 4, line, 0);
	snprintf(line, sizeof(line), "series: %s: %s%s", sr->device ?
		 "device" : "process", name, leak ? " (leak)" : "");
	say(p, line);
}

static void line(struct plot *p, const struct gpumem_series *sr, size_t i,
		 const struct gpumem_leak_rule *rule)
{
	const double *c = palette[i % GM_ARRAY_SIZE(palette)];
	bool leak = false;
	size_t k;

	if (!sr->nr)
		return;
	cairo_set_source_rgb(p->cr, c[0], c[1], c[2]);
	cairo_set_line_width(p->cr, sr->device ? WIDTH_DEVICE : WIDTH_PROCESS);
	cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
	/* Text leaves a current point: a line starts from none. */
	cairo_new_path(p->cr);
	for (k = 0; k < sr->nr; k++)
		cairo_line_to(p->cr, px(p, sr->points[k].time_ns),
			      py(p, sr->points[k].bytes));
	/* A single sample is a dot: the path of a line to itself. */
	if (sr->nr == 1)
		cairo_rel_line_to(p->cr, 0.01, 0);
	cairo_stroke(p->cr);
	leak_marks(p, sr, rule, &leak);
	cairo_set_source_rgb(p->cr, c[0], c[1], c[2]);
	cairo_set_line_width(p->cr, sr->device ? WIDTH_DEVICE : WIDTH_PROCESS);
	legend(p, sr, i, leak);
}

static int bounds(struct plot *p, const struct gpumem_series *sr, size_t nr)
{
	uint64_t max = 0;
	size_t i, k, points = 0;

	p->t_min = INT64_MAX;
	p->t_max = INT64_MIN;
	for (i = 0; i < nr; i++) {
		for (k = 0; k < sr[i].nr; k++) {
			const struct gpumem_point *pt = &sr[i].points[k];

			p->t_min = pt->time_ns < p->t_min ? pt->time_ns : p->t_min;
			p->t_max = pt->time_ns > p->t_max ? pt->time_ns : p->t_max;
			max = pt->bytes > max ? pt->bytes : max;
			points++;
		}
	}
	if (!points)
		return -EINVAL;
	y_scale(p, max);
	x_scale(p);
	return 0;
}

static void draw(struct plot *p, const struct gpumem_series *sr, size_t nr,
		 const struct gpumem_plot_opts *o)
{
	size_t i;

	frame(p, o->title);
	for (i = 0; i < nr; i++)
		line(p, &sr[i], i, o->rule);
}

/* The SVG's text, to add <title> and <desc> to before it is written. */
struct svg_buf {
	char *buf;
	size_t len, cap;
};

static cairo_status_t svg_write(void *closure, const unsigned char *data,
				unsigned int len)
{
	struct svg_buf *b = closure;

	if (gm_grow((void **)&b->buf, &b->cap, b->len + len + 1, 1))
		return CAIRO_STATUS_NO_MEMORY;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	return CAIRO_STATUS_SUCCESS;
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
	}
}

static int write_svg(const struct svg_buf *b, const struct plot *p,
		     const char *title, FILE *f)
{
	const char *svg = b->buf ? strstr(b->buf, "<svg") : NULL;
	const char *end = svg ? strchr(svg, '>') : NULL;

	if (!end)
		return -EIO;
	fwrite(b->buf, 1, (size_t)(end + 1 - b->buf), f);
	fputs("\n<title>", f);
	xml_text(f, title ? title : "gpumem plot");
	fputs("</title>\n<desc>", f);
	xml_text(f, p->desc ? p->desc : "");
	fputs("</desc>", f);
	fwrite(end + 1, 1, b->len - (size_t)(end + 1 - b->buf), f);
	return ferror(f) ? -EIO : 0;
}

static cairo_status_t file_write(void *closure, const unsigned char *data,
				 unsigned int len)
{
	return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS :
	       CAIRO_STATUS_WRITE_ERROR;
}

static int render(struct plot *p, const struct gpumem_series *sr, size_t nr,
		  const struct gpumem_plot_opts *o, FILE *f)
{
	struct svg_buf b = { 0 };
	cairo_surface_t *surf;
	int err;

	surf = o->svg ? cairo_svg_surface_create_for_stream(svg_write, &b,
							    p->x0 + p->w + MARGIN_R,
							    p->y0 + p->h + MARGIN_B) :
		cairo_image_surface_create(CAIRO_FORMAT_RGB24,
					   (int)(p->x0 + p->w + MARGIN_R),
					   (int)(p->y0 + p->h + MARGIN_B));
	p->cr = cairo_create(surf);
	draw(p, sr, nr, o);
	err = p->err ? p->err : cairo_status(p->cr) ? -ENOMEM : 0;
	cairo_destroy(p->cr);
	if (!err && !o->svg &&
	    cairo_surface_write_to_png_stream(surf, file_write, f))
		err = -EIO;
	cairo_surface_finish(surf);
	if (!err && cairo_surface_status(surf))
		err = -EIO;
	cairo_surface_destroy(surf);
	if (!err && o->svg)
		err = write_svg(&b, p, o->title, f);
	free(b.buf);
	return err;
}

int gpumem_plot(const struct gpumem_series *series, size_t nr,
		const struct gpumem_plot_opts *o, FILE *f)
{
	unsigned int w = o->width ? o->width : PLOT_W_DEFAULT;
	unsigned int h = o->height ? o->height : PLOT_H_DEFAULT;
	struct plot p = { .x0 = MARGIN_L, .y0 = MARGIN_T };
	int err;

	if (w < PLOT_MIN || h < PLOT_MIN || w > PLOT_MAX || h > PLOT_MAX)
		return -EINVAL;
	p.w = w - MARGIN_L - MARGIN_R;
	p.h = h - MARGIN_T - MARGIN_B;
	err = bounds(&p, series, nr);
	if (!err)
		err = render(&p, series, nr, o, f);
	free(p.desc);
	return err;
}
#else
int gpumem_plot(const struct gpumem_series *series, size_t nr,
		const struct gpumem_plot_opts *o, FILE *f)
{
	(void)series;
	(void)nr;
	(void)o;
	(void)f;
	return -ENOTSUP;
}
#endif
