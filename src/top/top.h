/* SPDX-License-Identifier: MIT */
/*
 * gpumem top: a live view of GPU memory.  The parts, in the order the
 * data flows: series.c reads a figure's recent points from the library's
 * history, view.c turns a snapshot into the rows shown (filter, group, sort), frame.c writes a
 * frame to a sink (plain text for --batch, ncurses for the terminal,
 * tty.c), cmd_top.c runs the loop (sample.c's).
 */
#ifndef GPUMEM_TOP_H
#define GPUMEM_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gpumem/gpumem.h"

/* Points a figure is read with: the widest sparkline, and more than any
 * window; the history's budget keeps that many samples of 1,000 busy
 * processes. */
#define TOP_HISTORY 128
#define TOP_HISTORY_BYTES (16u << 20)
#define TOP_NAME_MAX (4 * 256 + 1)	/* an escaped command line */

/* series.c: a figure's last max points from the history, oldest first. */
size_t top_series_procs(const struct gpumem_history *h, const pid_t *pids,
			size_t nr, size_t max, struct gpumem_point *out);
size_t top_series_device(const struct gpumem_history *h, int index,
			 size_t max, struct gpumem_point *out);

/* The columns of the process list, in the order shown. */
enum top_col {
	TOP_COL_PID,
	TOP_COL_USER,
	TOP_COL_GPU,		/* one pair per device when there is room */
	TOP_COL_GPU_PSS,
	TOP_COL_DMA,
	TOP_COL_DMA_PSS,
	TOP_COL_DELTA,
	TOP_COL_CGROUP,
	TOP_COL_NAME,
	TOP_COL_COUNT,
};

enum top_group {
	TOP_GROUP_NONE,
	TOP_GROUP_TREE,
	TOP_GROUP_USER,
	TOP_GROUP_CGROUP,
	TOP_GROUP_COUNT,
};

enum top_filter {
	TOP_FILTER_NAME,
	TOP_FILTER_USER,
	TOP_FILTER_DEVICE,
	TOP_FILTER_CGROUP,
	TOP_FILTER_COUNT,
};

#define TOP_MAX_DEVICES 8

/* One line of the list: a process, or a user's or cgroup's sum. */
struct top_row {
	pid_t pid;		/* 0 for a group */
	pid_t ppid;
	uid_t uid;
	unsigned int nr_procs;	/* a group's */
	size_t first;		/* view.c's own: a group's first member,
				 * a process's rank in the sort */
	unsigned int depth;	/* indent in the process tree */
	char user[64];
	char cgroup[256];	/* its owner: unit, container, pod */
	char name[TOP_NAME_MAX];	/* comm or command line, raw */
	uint64_t gpu[TOP_MAX_DEVICES], gpu_pss[TOP_MAX_DEVICES];
	uint64_t gpu_all, gpu_pss_all;
	uint64_t dma, dma_pss;
	bool partial;		/* some client says no figure */
	bool has_delta;
	int64_t delta;		/* over the Δ window */
	struct gpumem_leak_hint leak;
	const char *cgroup_path;	/* the snapshot's, NULL: unknown */
};

struct top_settings {
	enum top_col sort;
	bool reverse;		/* smallest first */
	enum top_group group;
	enum top_filter filter_kind;
	char filter[128];	/* "" : none */
	bool cmdline;		/* the command line instead of comm */
	unsigned int delta_samples;
	struct gpumem_leak_rule rule;
	unsigned int flags;	/* GPUMEM_PRINT_BYTES */
};

/* view.c: the rows of one sample, filtered, grouped and sorted. */
#define TOP_USERS 64		/* uids whose names are kept */

struct top_user {
	uid_t uid;
	char name[64];
};

struct top_rows {
	struct top_row *v;
	size_t nr, cap;
};

struct top_view {
	const struct gpumem_snapshot *snap;
	struct top_rows procs;	/* the processes that pass the filter */
	struct top_rows groups;	/* a user's or cgroup's sums */
	const struct top_row **shown;	/* in the order shown */
	size_t nr_shown;
	size_t nr_procs;	/* before the filter */
	struct gpumem_history *hist;	/* the caller's */
	bool hist_full;		/* a sample alone exceeds its budget */
	unsigned int nr_leaks;	/* rows and devices with a hint */
	struct gpumem_leak_hint dev_leak[TOP_MAX_DEVICES];
	bool live;		/* the running system: user names from passwd */
	const char *root;	/* --root, for the command lines */
	struct top_user users[TOP_USERS];
	size_t nr_users;
};

/* sample: s is a new sample (it joins the history), else the same one
 * arranged anew. */
int top_view_update(struct top_view *v, const struct gpumem_snapshot *s,
		    const struct top_settings *set, bool sample);
void top_view_free(struct top_view *v);
const char *top_col_name(enum top_col c);
const char *top_group_name(enum top_group g);
const char *top_filter_name(enum top_filter f);
/* "u:alice" into kind and text; a bare word is a name. */
void top_filter_parse(struct top_settings *set, const char *text);

/* frame.c: what is shown, written to a sink of lines and attributes. */
enum top_attr {
	TOP_A_NONE,
	TOP_A_HEAD,		/* the column heads */
	TOP_A_SELECT,		/* the selected row */
	TOP_A_VRAM,		/* the bar's parts */
	TOP_A_GTT,
	TOP_A_LEAK,
	TOP_A_DIM,
	TOP_A_GROUP,		/* a user's or cgroup's sum */
	TOP_A_COUNT,
};

struct top_sink {
	void (*put)(struct top_sink *k, enum top_attr a, const char *text);
	void (*end_line)(struct top_sink *k);	/* false: no more room */
	unsigned int width, height;	/* height 0: no limit */
	unsigned int lines;	/* written so far */
	unsigned int col;	/* of the line being written */
	unsigned int skip;	/* lines still to drop: a scrolled view */
	bool utf8;		/* block characters for sparklines */
	void *ctx;
};

struct top_ui {
	struct top_settings set;
	double interval_s;
	bool paused;
	pid_t selected;		/* 0: none */
	bool detail;		/* the selected process's detail view */
	unsigned int detail_scroll;
	unsigned int list_scroll;
	bool help;
	char prompt[160];	/* "" or what is being typed, shown last */
	char message[160];
	unsigned long count;	/* -n: samples to take, 0: until quit */
};

void top_frame(struct top_sink *k, const struct top_view *v,
	       const struct top_ui *ui);
/* Raw text, escaped and cut to the columns left. */
void top_put(struct top_sink *k, enum top_attr a, const char *raw);
void top_putf(struct top_sink *k, enum top_attr a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Raw text escaped, cut or padded to w columns, then a space. */
void top_cell(struct top_sink *k, enum top_attr a, const char *raw,
	      unsigned int w, bool right);
void top_end_line(struct top_sink *k);
bool top_full(const struct top_sink *k);
void top_sparkline(struct top_sink *k, const struct gpumem_point *pts,
		   size_t nr);
/* detail.c: the selected process, below the header. */
void top_detail(struct top_sink *k, const struct top_view *v,
		const struct top_ui *ui);
/* The text sink of --batch: lines to f, cut at width. */
#define TOP_TEXT_WIDTH_MAX 1024
struct top_text_sink {
	struct top_sink k;
	FILE *f;
	size_t len;
	char line[16 * TOP_TEXT_WIDTH_MAX];	/* 4 bytes a column, escaped */
};

void top_text_sink_init(struct top_text_sink *t, FILE *f, unsigned int width);
/* The locale's charset is UTF-8: sparklines of block characters. */
bool top_utf8(void);
/* Sizes as the list shows them: "8.0G", or bytes with --bytes. */
const char *top_fmt_size(char *buf, size_t size, uint64_t v,
			 unsigned int flags);

/* cmd_top.c: CLOCK_MONOTONIC in seconds, the sampler's clock */
struct sampler;
double top_now(void);

/* tty.c: the interactive terminal */
int top_tty_run(struct sampler *sm, struct top_view *v,
		struct top_ui *ui);

/* cmd_top.c: "0.5": seconds, 0.1 to a day */
int top_parse_interval(const char *s, double *out);

#endif
