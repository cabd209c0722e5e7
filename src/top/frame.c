// SPDX-License-Identifier: MIT
/*
 * One frame of gpumem top, to any sink: the title, a line per device, the
 * process list (or the selected process's detail, or the help).  Every
 * piece of text reaches the sink through put(), which escapes it and cuts
 * it to the columns left, so no name can move the cursor or the layout.
 */
#include <inttypes.h>
#include <langinfo.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "top.h"

#define SIZE_W 6		/* "1023M?" */
#define BYTES_W 13		/* exact bytes with --bytes */
#define NAME_MIN 12
#define CGROUP_W 24
#define DRIVER_W 24

/* Text already escaped, of w columns. */
static void emit(struct top_sink *k, enum top_attr a, const char *text,
		 size_t w)
{
	k->col += (unsigned int)w;
	k->put(k, a, text);
}

void top_put(struct top_sink *k, enum top_attr a, const char *raw)
{
	char buf[4 * TOP_NAME_MAX];
	size_t w;

	if (k->col >= k->width)
		return;
	gpumem_escape_fit(buf, sizeof(buf), raw, k->width - k->col, &w);
	emit(k, a, buf, w);
}

void top_putf(struct top_sink *k, enum top_attr a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	top_put(k, a, buf);
}

/* A cell: raw text escaped, cut or padded to w columns, then a space. */
void top_cell(struct top_sink *k, enum top_attr a, const char *raw,
	      unsigned int w, bool right)
{
	char buf[4 * TOP_NAME_MAX + 2], out[sizeof(buf) + 64];
	unsigned int room = k->col < k->width ? k->width - k->col : 0;
	size_t tw;

	if (w + 1 > room)
		w = room ? room - 1 : 0;
	if (!room)
		return;
	gpumem_escape_fit(buf, sizeof(buf), raw, w, &tw);
	if (right)
		snprintf(out, sizeof(out), "%*s%s ", (int)(w - tw), "", buf);
	else
		snprintf(out, sizeof(out), "%s%*s ", buf, (int)(w - tw), "");
	emit(k, a, out, w + 1);
}

bool top_full(const struct top_sink *k)
{
	return k->height && k->lines >= k->height;
}

void top_end_line(struct top_sink *k)
{
	if (top_full(k))
		return;
	k->col = 0;
	if (k->skip) {
		k->skip--;
		return;
	}
	k->end_line(k);
	k->lines++;
}

const char *top_fmt_size(char *buf, size_t size, uint64_t v,
			 unsigned int flags)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (flags & GPUMEM_PRINT_BYTES || v < 1024) {
		snprintf(buf, size, "%" PRIu64, v);
		return buf;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, d < 10 ? "%.1f%c" : "%.0f%c", d, units[u]);
	return buf;
}

static const char *fmt_delta(char *buf, size_t size, int64_t d,
			     unsigned int flags)
{
	char n[32];

	if (!d)
		return "0";
	top_fmt_size(n, sizeof(n), d < 0 ? -(uint64_t)d : (uint64_t)d, flags);
	snprintf(buf, size, "%c%s", d < 0 ? '-' : '+', n);
	return buf;
}

/* Block characters from the lowest to the highest point of what is shown. */
void top_sparkline(struct top_sink *k, const struct gpumem_point *pts,
		   size_t nr)
{
	static const char *const blocks[] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588",
	};
	static const char ascii[] = "_.-~=+*#";
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i;

	for (i = 0; i < nr; i++) {
		lo = pts[i].bytes < lo ? pts[i].bytes : lo;
		hi = pts[i].bytes > hi ? pts[i].bytes : hi;
	}
	for (i = 0; i < nr; i++) {
		unsigned int lvl = hi > lo ? (unsigned int)((double)(pts[i].bytes -
					      lo) * 7.0 / (double)(hi - lo) + 0.5) : 0;
		char one[2] = { ascii[lvl], '\0' };

		top_put(k, TOP_A_NONE, k->utf8 ? blocks[lvl] : one);
	}
}

static void title(struct top_sink *k, const struct top_view *v,
		  const struct top_ui *ui)
{
	const struct gpumem_sample_info *info = gpumem_sample_info(v->snap);
	time_t t = (time_t)(info->realtime_ns / 1000000000);
	struct tm tm;
	char when[16] = "?";

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	/* up: the sample's CLOCK_BOOTTIME, which tells a script (the VM
	 * test) which step of a workload a frame was taken in */
	top_putf(k, TOP_A_NONE, "gpumem top - %s UTC up %.3fs, every %.1fs, "
	     "%zu processes, %zu shown, sort %s%s", when,
	     (double)info->boottime_ns / 1e9, ui->interval_s, v->nr_procs,
	     v->procs.nr, top_col_name(ui->set.sort),
	     ui->set.reverse ? " (reversed)" : "");
	if (ui->set.group)
		top_putf(k, TOP_A_NONE, ", by %s", top_group_name(ui->set.group));
	if (ui->set.filter[0])
		top_putf(k, TOP_A_NONE, ", %s ~ %s",
		     top_filter_name(ui->set.filter_kind), ui->set.filter);
	if (ui->paused)
		top_put(k, TOP_A_LEAK, " [paused]");
	if (v->hist_full)
		top_put(k, TOP_A_LEAK, " [no history: a sample exceeds its "
			"budget]");
	top_end_line(k);
}

/* [###===....]: VRAM, then GTT, over their capacity; no capacity, no bar. */
static void bar(struct top_sink *k, const struct gpumem_device *d,
		unsigned int w)
{
	uint64_t cap = d->vram_total + d->gtt_total;
	unsigned int v, g, i;

	if (!cap || w < 3)
		return;
	w -= 2;
	v = (unsigned int)((double)d->vram_used * w / (double)cap + 0.5);
	g = (unsigned int)((double)d->gtt_used * w / (double)cap + 0.5);
	v = v > w ? w : v;
	g = g > w - v ? w - v : g;
	top_put(k, TOP_A_NONE, "[");
	for (i = 0; i < w; i++)
		top_put(k, i < v ? TOP_A_VRAM : i < v + g ? TOP_A_GTT : TOP_A_DIM,
		    i < v ? "#" : i < v + g ? "=" : ".");
	top_put(k, TOP_A_NONE, "] ");
}

static void device_line(struct top_sink *k, const struct top_view *v,
			const struct gpumem_device *d, size_t i,
			unsigned int driver_w, unsigned int flags)
{
	const struct gpumem_tp *tp = gpumem_snapshot_tp(v->snap);
	struct gpumem_point pts[16];
	char a[32], b[32], c[32];
	uint64_t peak = 0;
	size_t j;

	for (j = 0; tp->state == GPUMEM_TP_OK && j < tp->nr; j++) {
		if (tp->totals[j].pid == 0 &&
		    tp->totals[j].gpu_id == (uint32_t)d->index)
			peak = tp->totals[j].peak_bytes;
	}
	top_putf(k, TOP_A_NONE, "card%d ", d->index);
	top_cell(k, TOP_A_NONE, d->driver, driver_w, false);
	bar(k, d, k->width > 100 ? 32 : 14);
	top_putf(k, TOP_A_NONE, "%s%s", d->total_partial ? ">=" : "",
	     top_fmt_size(a, sizeof(a), d->total_bytes, flags));
	if (d->vram_total || d->gtt_total)
		top_putf(k, TOP_A_NONE, "/%s (vram %s, gtt %s)",
		     top_fmt_size(b, sizeof(b), d->vram_total + d->gtt_total,
				  flags),
		     top_fmt_size(c, sizeof(c), d->vram_used, flags),
		     top_fmt_size(a, sizeof(a), d->gtt_used, flags));
	top_putf(k, TOP_A_NONE, " peak %s ", peak ?
	     top_fmt_size(b, sizeof(b), peak, flags) : "-");
	if (i < TOP_MAX_DEVICES && v->dev_leak[i].leak)
		top_put(k, TOP_A_LEAK, "LEAK? ");
	top_sparkline(k, pts, top_series_device(v->hist, d->index, 16, pts));
	top_put(k, TOP_A_NONE, " ");
	top_put(k, TOP_A_DIM, d->name[0] ? d->name : "(no pci.ids name)");
	top_end_line(k);
}

static void header(struct top_sink *k, const struct top_view *v,
		   const struct top_ui *ui)
{
	const struct gpumem_dmabuf_totals *t = gpumem_dmabuf_totals(v->snap);
	const struct gpumem_scan_stats *st = gpumem_scan_stats(v->snap);
	const struct gpumem_device *devs;
	unsigned int flags = ui->set.flags, driver_w = 6;
	char a[32], b[32], name[4 * GPUMEM_NAME_MAX];
	size_t i, nr;

	title(k, v, ui);
	devs = gpumem_devices(v->snap, &nr);
	/* Bars aligned; a driver's name (any text, from fdinfo) in full up
	 * to DRIVER_W columns. */
	for (i = 0; i < nr; i++) {
		size_t w;

		gpumem_escape_fit(name, sizeof(name), gpumem_at(devs, i)->driver,
				  DRIVER_W, &w);
		driver_w = w > driver_w ? (unsigned int)w : driver_w;
	}
	for (i = 0; i < nr; i++)
		device_line(k, v, gpumem_at(devs, i), i, driver_w, flags);
	if (!nr)
		top_put(k, TOP_A_DIM, "(no DRM devices)");
	if (!nr)
		top_end_line(k);
	top_putf(k, TOP_A_NONE, "dma-buf %s%s in %u buffers, %s exported by a GPU",
	     t->total_partial ? ">=" : "",
	     top_fmt_size(a, sizeof(a), t->total_bytes, flags), t->nr_buffers,
	     top_fmt_size(b, sizeof(b), t->gpu_overlap_bytes, flags));
	if (st->unreadable_processes)
		top_putf(k, TOP_A_LEAK, "; %u process%s not readable: figures "
			 "are lower bounds", st->unreadable_processes,
			 st->unreadable_processes == 1 ? "" : "es");
	if (v->nr_leaks)
		top_putf(k, TOP_A_LEAK, "; %u leak hint%s", v->nr_leaks,
		     v->nr_leaks == 1 ? "" : "s");
	top_end_line(k);
}

/* Which columns fit the width, and how wide the name may be. */
struct layout {
	unsigned int size_w;
	unsigned int nr_devs;	/* > 0: a GPU pair per device */
	bool cgroup;
	unsigned int name_w;
};

static struct layout layout(const struct top_view *v, unsigned int width,
			    unsigned int flags)
{
	struct layout l = { flags & GPUMEM_PRINT_BYTES ? BYTES_W : SIZE_W,
			    0, false, 0 };
	size_t nr;
	unsigned int fixed, pair;

	gpumem_devices(v->snap, &nr);
	/* PID USER DMA DMAPSS DELTA L, each with its space */
	fixed = 8 + 9 + 2 * (l.size_w + 1) + (l.size_w + 2) + 2;
	pair = 2 * (l.size_w + 1);
	if (nr > 1 && nr <= TOP_MAX_DEVICES &&
	    width >= fixed + nr * pair + NAME_MIN + CGROUP_W + 1)
		l.nr_devs = (unsigned int)nr;
	fixed += l.nr_devs ? l.nr_devs * pair : pair;
	l.cgroup = width >= fixed + NAME_MIN + CGROUP_W + 1;
	fixed += l.cgroup ? CGROUP_W + 1 : 0;
	l.name_w = width > fixed ? width - fixed : 0;
	return l;
}

static void size_cell(struct top_sink *k, enum top_attr a,
		      const struct layout *l, uint64_t v, bool partial,
		      unsigned int flags)
{
	char buf[40], n[32];

	snprintf(buf, sizeof(buf), "%s%s", top_fmt_size(n, sizeof(n), v, flags),
		 partial ? "?" : "");
	top_cell(k, a, buf, l->size_w, true);
}

static void heads(struct top_sink *k, const struct top_view *v,
		  const struct layout *l)
{
	const struct gpumem_device *devs;
	char h[32];
	unsigned int i;
	size_t nr;

	devs = gpumem_devices(v->snap, &nr);
	top_cell(k, TOP_A_HEAD, "PID", 7, true);
	top_cell(k, TOP_A_HEAD, "USER", 8, false);
	for (i = 0; i < l->nr_devs; i++) {
		snprintf(h, sizeof(h), "GPU%d", gpumem_at(devs, i)->index);
		top_cell(k, TOP_A_HEAD, h, l->size_w, true);
		snprintf(h, sizeof(h), "PSS%d", gpumem_at(devs, i)->index);
		top_cell(k, TOP_A_HEAD, h, l->size_w, true);
	}
	if (!l->nr_devs) {
		top_cell(k, TOP_A_HEAD, "GPU", l->size_w, true);
		top_cell(k, TOP_A_HEAD, "GPUPSS", l->size_w, true);
	}
	top_cell(k, TOP_A_HEAD, "DMABUF", l->size_w, true);
	top_cell(k, TOP_A_HEAD, "DMAPSS", l->size_w, true);
	top_cell(k, TOP_A_HEAD, "DELTA", l->size_w + 1, true);
	top_cell(k, TOP_A_HEAD, "L", 1, false);
	if (l->cgroup)
		top_cell(k, TOP_A_HEAD, "CGROUP", CGROUP_W, false);
	top_cell(k, TOP_A_HEAD, "COMMAND", l->name_w ? l->name_w - 1 : 0, false);
	top_end_line(k);
}

static void row_name(struct top_sink *k, enum top_attr a,
		     const struct top_row *r, const struct layout *l)
{
	char buf[TOP_NAME_MAX + 40];
	unsigned int d = r->depth < 16 ? r->depth : 16;

	snprintf(buf, sizeof(buf), "%*s%s%s", (int)(2 * d), "",
		 d ? "`- " : "", r->name);
	if (!r->pid)
		snprintf(buf, sizeof(buf), "%s (%u process%s)", r->name,
			 r->nr_procs, r->nr_procs == 1 ? "" : "es");
	top_cell(k, a, buf, l->name_w ? l->name_w - 1 : 0, false);
}

/* A unit under user@UID.service: its own name says more than the
 * manager's, and USER says whose. */
static const char *owner_tail(const char *owner)
{
	const char *slash = strrchr(owner, '/');

	return slash && slash[1] ? slash + 1 : owner;
}

static void row(struct top_sink *k, const struct top_row *r,
		const struct layout *l, const struct top_ui *ui)
{
	enum top_attr a = r->pid && r->pid == ui->selected ? TOP_A_SELECT :
			  !r->pid ? TOP_A_GROUP : TOP_A_NONE;
	unsigned int flags = ui->set.flags, i;
	char buf[40];

	snprintf(buf, sizeof(buf), "%d", (int)r->pid);
	top_cell(k, a, r->pid ? buf : "-", 7, true);
	top_cell(k, a, r->user, 8, false);
	for (i = 0; i < l->nr_devs; i++) {
		size_cell(k, a, l, r->gpu[i], r->partial, flags);
		size_cell(k, a, l, r->gpu_pss[i], r->partial, flags);
	}
	if (!l->nr_devs) {
		size_cell(k, a, l, r->gpu_all, r->partial, flags);
		size_cell(k, a, l, r->gpu_pss_all, r->partial, flags);
	}
	size_cell(k, a, l, r->dma, false, flags);
	size_cell(k, a, l, r->dma_pss, false, flags);
	top_cell(k, a, r->has_delta ? fmt_delta(buf, sizeof(buf), r->delta, flags) :
	     "-", l->size_w + 1, true);
	top_cell(k, r->leak.leak ? TOP_A_LEAK : a, r->leak.leak ? "L" : " ", 1,
	     false);
	if (l->cgroup)
		top_cell(k, a, owner_tail(r->cgroup), CGROUP_W, false);
	row_name(k, a, r, l);
	top_end_line(k);
}

static void list(struct top_sink *k, const struct top_view *v,
		 const struct top_ui *ui)
{
	struct layout l = layout(v, k->width, ui->set.flags);
	size_t i;

	heads(k, v, &l);
	for (i = ui->list_scroll; i < v->nr_shown && !top_full(k); i++)
		row(k, v->shown[i], &l, ui);
	if (!v->nr_shown)
		top_put(k, TOP_A_DIM, "(no process holds GPU memory or a dma-buf"
		    " that passes the filter)");
	if (!v->nr_shown)
		top_end_line(k);
}

static const char *const help_lines[] = {
	"gpumem top: keys",
	"",
	"  h ?          this help (any key closes it)",
	"  q            quit",
	"  < >          sort by the column left or right of the current one",
	"  r            reverse the sort",
	"  /            filter: TEXT (name), u:USER, d:cardN or driver, c:CGROUP;",
	"               an empty filter shows everything",
	"  g            group: none, process tree, user, cgroup: a row of",
	"               sums, then its processes; a tree is a holder whose",
	"               parent holds nothing, and the holders below it",
	"  c            command line or comm",
	"  space p      pause and resume sampling",
	"  d            the interval, in seconds",
	"  up down      select a process (also k j, PgUp PgDn, Home End)",
	"  enter        the selected process's clients, regions and dma-bufs;",
	"               enter or esc goes back",
	"",
	"Marks: ? a figure some client does not report (at least that much);",
	">= a sum over holders not all readable; L a leak hint (docs/leaks.md):",
	"grew over the last samples and never came back.  DELTA: the change",
	"of GPU + DMABUF over the last samples (--delta).",
};

static void help(struct top_sink *k)
{
	size_t i;

	for (i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++) {
		top_put(k, i ? TOP_A_NONE : TOP_A_HEAD, help_lines[i]);
		top_end_line(k);
	}
}

void top_frame(struct top_sink *k, const struct top_view *v,
	       const struct top_ui *ui)
{
	k->lines = 0;
	k->col = 0;
	if (ui->help) {
		help(k);
		return;
	}
	header(k, v, ui);
	if (ui->detail)
		top_detail(k, v, ui);
	else
		list(k, v, ui);
}

bool top_utf8(void)
{
	return !strcmp(nl_langinfo(CODESET), "UTF-8");
}

/* A line is kept until its end so that its trailing blanks can go. */
static void text_put(struct top_sink *k, enum top_attr a, const char *text)
{
	struct top_text_sink *t = (struct top_text_sink *)k;
	size_t n = strlen(text);

	(void)a;
	if (t->len + n + 1 > sizeof(t->line))
		n = sizeof(t->line) - t->len - 1;
	memcpy(t->line + t->len, text, n);
	t->len += n;
}

static void text_end_line(struct top_sink *k)
{
	struct top_text_sink *t = (struct top_text_sink *)k;

	while (t->len && t->line[t->len - 1] == ' ')
		t->len--;
	fprintf(t->f, "%.*s\n", (int)t->len, t->line);
	t->len = 0;
}

void top_text_sink_init(struct top_text_sink *t, FILE *f, unsigned int width)
{
	t->f = f;
	t->len = 0;
	t->k = (struct top_sink){ .put = text_put, .end_line = text_end_line,
				  .width = width, .utf8 = top_utf8() };
}
