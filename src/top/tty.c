// SPDX-License-Identifier: MIT
/*
 * The terminal: ncurses draws the frame, reads keys while it waits for the
 * next sample, and gives the terminal back as it found it on the way out.
 * Colour only on a terminal that has it, and never with NO_COLOR set.
 */
#include <curses.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "../sample.h"
#include "top.h"

#define KEY_ESC 27

/* nonl(): the return key is '\r'; some terminals send '\n' or KEY_ENTER. */
static bool is_enter(int ch)
{
	return ch == '\r' || ch == '\n' || ch == KEY_ENTER;
}

enum prompt {
	PROMPT_NONE,
	PROMPT_FILTER,
	PROMPT_INTERVAL,
};

struct tty {
	struct top_sink k;
	struct sampler *sm;
	struct top_view *v;
	struct top_ui *ui;
	struct gpumem_snapshot *snap;
	unsigned long taken;
	double next_s;			/* when the next sample is due */
	enum prompt prompt;
	size_t prompt_len;
	bool colour;
	bool quit;
};

static int attr_of(const struct tty *t, enum top_attr a)
{
	switch (a) {
	case TOP_A_HEAD:
		return A_BOLD | A_REVERSE;
	case TOP_A_SELECT:
		return A_REVERSE;
	case TOP_A_GROUP:
		return A_BOLD;
	case TOP_A_DIM:
		return A_DIM;
	case TOP_A_VRAM:
		return t->colour ? COLOR_PAIR(1) : A_BOLD;
	case TOP_A_GTT:
		return t->colour ? COLOR_PAIR(2) : A_NORMAL;
	case TOP_A_LEAK:
		return (t->colour ? COLOR_PAIR(3) : A_NORMAL) | A_BOLD;
	default:
		return A_NORMAL;
	}
}

static void tty_put(struct top_sink *k, enum top_attr a, const char *text)
{
	struct tty *t = k->ctx;

	attrset(attr_of(t, a));
	addstr(text);
	attrset(A_NORMAL);
}

static void tty_end_line(struct top_sink *k)
{
	clrtoeol();
	move((int)k->lines + 1, 0);
}

/* stderr is under the screen: a capture that stopped early says so here. */
static void partial_message(struct tty *t, const struct gpumem_snapshot *s)
{
	const char *detail = cli_partial(s);

	if (detail)
		gpumem_escape_fit(t->ui->message, sizeof(t->ui->message),
				  detail, sizeof(t->ui->message) / 4, NULL);
}

static int take(struct tty *t)
{
	struct gpumem_snapshot *s;
	int err = sampler_take(t->sm, &s);

	/* A replayed series (--root of captures) has ended: its last frame
	 * stays, to look at. */
	if (err == -ENODATA && t->snap) {
		t->ui->paused = true;
		snprintf(t->ui->message, sizeof(t->ui->message), "the replayed "
			 "series has ended (q quits)");
		return 0;
	}
	if (err)
		return err;
	partial_message(t, s);
	err = top_view_update(t->v, s, &t->ui->set, true);
	gpumem_snapshot_free(t->snap);
	t->snap = s;
	t->taken++;
	t->next_s = top_now() + t->ui->interval_s;
	return err;
}

/* Settings changed: the same sample, arranged anew. */
static int arrange(struct tty *t)
{
	return top_view_update(t->v, t->snap, &t->ui->set, false);
}

static long selected_index(const struct tty *t)
{
	size_t i;

	for (i = 0; i < t->v->nr_shown; i++) {
		if (t->v->shown[i]->pid && t->v->shown[i]->pid == t->ui->selected)
			return (long)i;
	}
	return -1;
}

/* Moves the selection by d rows (over processes only) and keeps it shown. */
static void select_move(struct tty *t, long d, unsigned int rows)
{
	const struct top_view *v = t->v;
	long i = selected_index(t), step = d < 0 ? -1 : 1, moved = 0;

	if (!v->nr_shown)
		return;
	if (i < 0)
		i = d < 0 ? (long)v->nr_shown : -1;
	while (moved != d && i + step >= 0 && i + step < (long)v->nr_shown) {
		i += step;
		if (v->shown[i]->pid)
			moved += step;
	}
	while (i >= 0 && i < (long)v->nr_shown && !v->shown[i]->pid)
		i += step > 0 ? -1 : 1;
	if (i < 0 || i >= (long)v->nr_shown)
		return;
	t->ui->selected = v->shown[i]->pid;
	if ((unsigned long)i < t->ui->list_scroll)
		t->ui->list_scroll = (unsigned int)i;
	if (rows && (unsigned long)i >= t->ui->list_scroll + rows)
		t->ui->list_scroll = (unsigned int)(i - rows + 1);
}

static unsigned int list_rows(const struct tty *t)
{
	size_t nr_devs;
	unsigned int head;

	gpumem_devices(t->snap, &nr_devs);
	/* title, devices (one line when none), dma-buf, column heads,
	 * and the last line for the prompt */
	head = 3 + (unsigned int)(nr_devs ? nr_devs : 1) + 1;
	return (unsigned int)LINES > head ? (unsigned int)LINES - head : 1;
}

static void draw_bottom(const struct tty *t)
{
	const struct top_ui *ui = t->ui;

	move(LINES - 1, 0);
	attrset(A_NORMAL);
	if (t->prompt == PROMPT_FILTER)
		printw("filter (text, u:USER, d:DEVICE, c:CGROUP): ");
	else if (t->prompt == PROMPT_INTERVAL)
		printw("interval in seconds: ");
	if (t->prompt) {
		char buf[4 * sizeof(ui->prompt)];

		gpumem_escape_fit(buf, sizeof(buf), ui->prompt,
				  (size_t)COLS / 2, NULL);
		addstr(buf);
	} else if (ui->message[0]) {
		addstr(ui->message);
	} else {
		addstr(ui->detail ? "enter/esc back  up/down scroll  q quit" :
		       "h help  q quit  </> sort  / filter  g group  enter "
		       "detail");
	}
	clrtoeol();
}

static void draw(struct tty *t)
{
	t->k.width = (unsigned int)COLS;
	t->k.height = LINES > 1 ? (unsigned int)LINES - 1 : 1;
	move(0, 0);
	top_frame(&t->k, t->v, t->ui);
	if ((int)t->k.lines < LINES - 1) {
		move((int)t->k.lines, 0);
		clrtobot();
	}
	draw_bottom(t);
	refresh();
}

static void prompt_done(struct tty *t)
{
	struct top_ui *ui = t->ui;
	double s;

	if (t->prompt == PROMPT_FILTER) {
		top_filter_parse(&ui->set, ui->prompt);
		ui->list_scroll = 0;
	} else if (!top_parse_interval(ui->prompt, &s)) {
		ui->interval_s = s;
		t->next_s = top_now() + s;
	} else {
		snprintf(ui->message, sizeof(ui->message), "not an interval "
			 "(0.1 to 86400 seconds)");
	}
	t->prompt = PROMPT_NONE;
}

static void prompt_key(struct tty *t, int ch)
{
	struct top_ui *ui = t->ui;

	if (is_enter(ch)) {
		prompt_done(t);
	} else if (ch == KEY_ESC) {
		t->prompt = PROMPT_NONE;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (t->prompt_len)
			ui->prompt[--t->prompt_len] = '\0';
	} else if (ch >= 0x20 && ch < 0x100 && ch != 0x7f &&
		   t->prompt_len + 1 < sizeof(ui->prompt)) {
		ui->prompt[t->prompt_len++] = (char)ch;
		ui->prompt[t->prompt_len] = '\0';
	}
}

static void start_prompt(struct tty *t, enum prompt p)
{
	t->prompt = p;
	t->prompt_len = 0;
	t->ui->prompt[0] = '\0';
}

static void detail_key(struct tty *t, int ch)
{
	struct top_ui *ui = t->ui;

	if (is_enter(ch) || ch == KEY_ESC ||
	    ch == KEY_BACKSPACE || ch == KEY_LEFT)
		ui->detail = false;
	else if ((ch == KEY_UP || ch == 'k') && ui->detail_scroll)
		ui->detail_scroll--;
	else if (ch == KEY_DOWN || ch == 'j')
		ui->detail_scroll++;
	else if (ch == KEY_NPAGE)
		ui->detail_scroll += 10;
	else if (ch == KEY_PPAGE)
		ui->detail_scroll = ui->detail_scroll > 10 ?
				    ui->detail_scroll - 10 : 0;
}

/* The keys that change how the same sample is arranged. */
static bool arrange_key(struct tty *t, int ch)
{
	struct top_settings *set = &t->ui->set;

	if (ch == '<')
		set->sort = (set->sort + TOP_COL_COUNT - 1) % TOP_COL_COUNT;
	else if (ch == '>')
		set->sort = (set->sort + 1) % TOP_COL_COUNT;
	else if (ch == 'r')
		set->reverse = !set->reverse;
	else if (ch == 'g')
		set->group = (set->group + 1) % TOP_GROUP_COUNT;
	else if (ch == 'c')
		set->cmdline = !set->cmdline;
	else
		return false;
	t->ui->list_scroll = 0;
	return true;
}

static void list_key(struct tty *t, int ch)
{
	struct top_ui *ui = t->ui;
	unsigned int rows = list_rows(t);

	if (ch == KEY_UP || ch == 'k')
		select_move(t, -1, rows);
	else if (ch == KEY_DOWN || ch == 'j')
		select_move(t, 1, rows);
	else if (ch == KEY_PPAGE)
		select_move(t, -(long)rows, rows);
	else if (ch == KEY_NPAGE)
		select_move(t, (long)rows, rows);
	else if (ch == KEY_HOME)
		select_move(t, -(long)t->v->nr_shown, rows);
	else if (ch == KEY_END)
		select_move(t, (long)t->v->nr_shown, rows);
	else if ((is_enter(ch)) && ui->selected) {
		ui->detail = true;
		ui->detail_scroll = 0;
	}
}

static int key(struct tty *t, int ch)
{
	struct top_ui *ui = t->ui;

	ui->message[0] = '\0';
	if (t->prompt) {
		prompt_key(t, ch);
		return t->prompt ? 0 : arrange(t);
	}
	if (ui->help) {
		ui->help = false;
		return 0;
	}
	if (ch == 'q') {
		t->quit = true;
	} else if (ch == 'h' || ch == '?') {
		ui->help = true;
	} else if (ch == ' ' || ch == 'p') {
		ui->paused = !ui->paused;
		t->next_s = top_now() + ui->interval_s;
	} else if (ch == '/' || ch == 'd') {
		start_prompt(t, ch == '/' ? PROMPT_FILTER : PROMPT_INTERVAL);
	} else if (arrange_key(t, ch)) {
		return arrange(t);
	} else if (ui->detail) {
		detail_key(t, ch);
	} else {
		list_key(t, ch);
	}
	return 0;
}

static void start_colour(struct tty *t)
{
	const char *no = getenv("NO_COLOR");

	t->colour = has_colors() && !(no && no[0]);
	if (!t->colour)
		return;
	start_color();
	use_default_colors();
	init_pair(1, COLOR_GREEN, -1);
	init_pair(2, COLOR_CYAN, -1);
	init_pair(3, COLOR_RED, -1);
}

static int loop(struct tty *t)
{
	int err = take(t);

	/* SIGINT, SIGTERM: cli_stop, and getch() returns; then endwin(). */
	while (!err && !t->quit && !cli_stop) {
		double wait = t->next_s - top_now();
		int ch;

		draw(t);
		timeout(t->ui->paused ? -1 : wait > 0 ? (int)(wait * 1000) : 0);
		ch = getch();
		if (ch != ERR && ch != KEY_RESIZE)
			err = key(t, ch);
		else if (ch == ERR && t->ui->count && t->taken >= t->ui->count)
			t->quit = true;
		else if (ch == ERR && !t->ui->paused && top_now() >= t->next_s)
			err = take(t);
	}
	return err;
}

int top_tty_run(struct sampler *sm, struct top_view *v,
		struct top_ui *ui)
{
	struct tty t = { .sm = sm, .v = v, .ui = ui };
	int err;

	if (!newterm(NULL, stdout, stdin))
		return -ENOTTY;
	t.k = (struct top_sink){ .put = tty_put, .end_line = tty_end_line,
				 .utf8 = top_utf8(),
				 .ctx = &t };
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	start_colour(&t);
	err = loop(&t);
	endwin();
	gpumem_snapshot_free(t.snap);
	return err;
}
