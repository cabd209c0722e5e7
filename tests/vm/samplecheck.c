// SPDX-License-Identifier: MIT
/*
 * samplecheck: `gpumem 0.2 10 --json` runs while the workload steps (the
 * basic scenario, --sync: it waits for a byte after each step), and each
 * of its frames is checked against the truth of the step it was taken in:
 * the workload process's GPU rss and pss on card0 ("gpushare" lines; with
 * one process and one file, its exact share, its bound and the collector's
 * figure are the same bytes, which the check asserts) and its dmabuf_rss
 * and dmabuf_pss ("gpumem" lines).
 *
 * How a frame's step is known, by CLOCK_BOOTTIME, the clock of the frame's
 * time.boottime_ns: step S holds from the moment its "end step=S" line is
 * read (the workload prints it when S is done) to the moment the byte for
 * S+1 is written.  gpumem takes one sample at a time, so frame i's scan
 * lies between its own start and the start of frame i+1 (for the last
 * frame: when gpumem's output ended).  A frame whose whole span lies in
 * the window of step S must equal S; one whose span crosses from S into
 * S+1 may equal either, and must equal one of them.  Every DRM file of
 * basic is opened in its first step, before gpumem starts, so what the
 * refresh path re-reads is all there is; fdinfo figures change with the
 * ioctl, so no settle time is needed (device totals, which the host's
 * completions delay, are not compared).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "vmlib.h"

#define MAX_STEPS 64
#define MAX_FRAMES 16
#define HOLD_NS 500000000LL	/* each step held this long */

struct figures {
	unsigned long long rss, pss, drss, dpss;
};

struct step {
	long long end_ns, go_ns;	/* its window; go 0: never left */
	struct figures truth;
};

struct frame {
	long long start_ns;
	bool refreshed;
	bool parsed;
	struct figures got;
};

static struct {
	pid_t wl_pid;			/* the workload process (its truth) */
	struct step steps[MAX_STEPS];
	int nsteps;			/* steps whose end was seen */
	struct frame frames[MAX_FRAMES];
	int nframes;
	long long eof_ns;		/* gpumem's output ended */
	bool truth_agrees;		/* see one_truth() */
} st = { .truth_agrees = true };

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One process, one file: the share, its bound, the collector's figure. */
static bool one_truth(unsigned long long rss, unsigned long long pss,
		      unsigned long long rss_bound, unsigned long long pss_bound,
		      unsigned long long rss_tp)
{
	return rss == rss_bound && pss == pss_bound && rss == rss_tp;
}

static void workload_line(const char *line)
{
	unsigned long long a, b, rb, pb, tp;
	unsigned int s;
	int pid, gpu;

	if (sscanf(line, "scenario name=%*s seed=%*u pid=%d", &pid) == 1)
		st.wl_pid = pid;
	else if (sscanf(line, "truth step=%u gpushare pid=%d gpu=%d rss=%llu "
			"pss=%llu spare=%*u rss_bound=%llu pss_bound=%llu "
			"spare_bound=%*u rss_tp=%llu", &s, &pid, &gpu, &a, &b,
			&rb, &pb, &tp) == 8 && pid == st.wl_pid && gpu == 0 &&
		 s < MAX_STEPS) {
		st.steps[s].truth.rss = a;
		st.steps[s].truth.pss = b;
		st.truth_agrees &= one_truth(a, b, rb, pb, tp);
	} else if (sscanf(line, "truth step=%u gpumem pid=%d dmabuf_rss=%llu "
			  "dmabuf_pss=%llu", &s, &pid, &a, &b) == 4 &&
		   pid == st.wl_pid && s < MAX_STEPS) {
		st.steps[s].truth.drss = a;
		st.steps[s].truth.dpss = b;
	} else if (sscanf(line, "end step=%u", &s) == 1 && s < MAX_STEPS) {
		st.steps[s].end_ns = now_ns();
		st.nsteps = (int)s + 1;
	}
}

static unsigned long long u64_of(const json_t *o, const char *key)
{
	return (unsigned long long)json_integer_value(json_object_get(o, key));
}

/* Its card0 entry: rss_bytes, and pss_bytes (null when gpumem has only a
 * bound: then pss_upper_bytes, which with one holder is the same). */
static void card0(struct figures *f, const json_t *p)
{
	const json_t *d, *pss;
	size_t i;

	json_array_foreach(json_object_get(p, "gpu_devices"), i, d) {
		if (strcmp(json_string_value(json_object_get(d, "card")) ?: "",
			   "card0"))
			continue;
		pss = json_object_get(d, "pss_bytes");
		f->rss = u64_of(d, "rss_bytes");
		f->pss = json_is_integer(pss) ? u64_of(d, "pss_bytes") :
			 u64_of(d, "pss_upper_bytes");
	}
}

/* The workload process's figures; absent: it holds nothing (0). */
static void frame_line(const char *line)
{
	struct frame *f = &st.frames[st.nframes];
	json_t *doc = json_loads(line, 0, NULL), *p;
	size_t i;

	if (st.nframes == MAX_FRAMES)
		return;
	st.nframes++;
	if (!doc)
		return;
	f->start_ns = json_integer_value(json_object_get(
		json_object_get(doc, "time"), "boottime_ns"));
	f->refreshed = json_is_true(json_object_get(
		json_object_get(doc, "scan"), "refreshed"));
	f->parsed = f->start_ns > 0;
	json_array_foreach(json_object_get(doc, "processes"), i, p) {
		if (json_integer_value(json_object_get(p, "pid")) != st.wl_pid)
			continue;
		card0(&f->got, p);
		f->got.drss = u64_of(p, "dmabuf_rss_bytes");
		f->got.dpss = u64_of(p, "dmabuf_pss_bytes");
	}
	json_decref(doc);
}

/* Lines from a pipe, read with read(2): stdio would buffer lines that
 * poll(2) then never reports. */
struct lines {
	int fd;
	bool eof;
	size_t len;
	char buf[1 << 20];
};

static struct lines wl_lines, gm_lines;

/* What fd has now, each whole line to fn; an overlong line is dropped. */
static void pump(struct lines *l, void (*fn)(const char *))
{
	ssize_t n = read(l->fd, l->buf + l->len, sizeof(l->buf) - 1 - l->len);
	char *p = l->buf, *nl;

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		l->eof = true;
		return;
	}
	l->len += (size_t)n;
	while ((nl = memchr(p, '\n', l->len - (size_t)(p - l->buf)))) {
		*nl = '\0';
		fn(p);
		p = nl + 1;
	}
	l->len -= (size_t)(p - l->buf);
	memmove(l->buf, p, l->len);
	if (l->len == sizeof(l->buf) - 1)
		l->len = 0;
}

static bool equal(const struct figures *a, const struct figures *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Until gpumem has written its frames: a step every HOLD_NS. */
static void run(int wl_to)
{
	struct pollfd pfd[2] = { { wl_lines.fd, POLLIN, 0 },
				 { gm_lines.fd, POLLIN, 0 } };
	int seen = st.nsteps;
	bool sent = false;

	while (!gm_lines.eof) {
		long long due = st.steps[st.nsteps - 1].end_ns + HOLD_NS;
		long long wait = (due - now_ns()) / 1000000;

		if (!sent && !wl_lines.eof && wait <= 0) {
			st.steps[st.nsteps - 1].go_ns = now_ns();
			sent = write(wl_to, "k", 1) == 1;
		}
		pfd[0].fd = wl_lines.eof ? -1 : wl_lines.fd;
		if (poll(pfd, 2, sent || wait <= 0 ? 50 : (int)wait) < 0 &&
		    errno != EINTR)
			vm_fatal("sample: poll", -errno);
		if (pfd[0].revents)
			pump(&wl_lines, workload_line);
		if (st.nsteps != seen) {
			seen = st.nsteps;
			sent = false;
		}
		if (pfd[1].revents)
			pump(&gm_lines, frame_line);
	}
	st.eof_ns = now_ns();
}

/* The step whose window holds [from, to], or -1. */
static int step_of(long long from, long long to)
{
	int s;

	for (s = 0; s < st.nsteps; s++) {
		const struct step *w = &st.steps[s];

		if (w->end_ns <= from && (!w->go_ns || to <= w->go_ns))
			return s;
	}
	return -1;
}

/* A span across a step change: the step it started in (and S+1 next). */
static int step_at(long long t)
{
	int s;

	for (s = st.nsteps - 1; s >= 0; s--) {
		if (st.steps[s].end_ns <= t)
			return s;
	}
	return -1;
}

static void judge(void)
{
	int i, inside = 0, across = 0, bad_in = 0, bad_across = 0;
	int first = -1, last = -1, refreshed = 0;

	for (i = 0; i < st.nframes; i++) {
		const struct frame *f = &st.frames[i];
		long long end = i + 1 < st.nframes ? st.frames[i + 1].start_ns :
			       st.eof_ns;
		int s = step_of(f->start_ns, end);

		refreshed += f->refreshed;
		if (s >= 0) {
			inside++;
			first = first < 0 ? s : first;
			last = s;
			if (!equal(&f->got, &st.steps[s].truth)) {
				bad_in++;
				vm_diag("sample: frame %d in step %d: rss %llu "
					"pss %llu, truth %llu %llu", i, s,
					f->got.rss, f->got.pss,
					st.steps[s].truth.rss,
					st.steps[s].truth.pss);
			}
			continue;
		}
		s = step_at(f->start_ns);
		across++;
		if (s < 0 || !(equal(&f->got, &st.steps[s].truth) ||
			       (s + 1 < st.nsteps &&
				equal(&f->got, &st.steps[s + 1].truth)))) {
			bad_across++;
			vm_diag("sample: frame %d across steps %d-%d: rss %llu",
				i, s, s + 1, f->got.rss);
		}
	}
	vm_diag("sample: %d frames, %d of the refresh path", st.nframes,
		refreshed);
	vm_tap(st.truth_agrees, "sample: basic's truth is one figure: share, "
	       "bound and collector agree at every step");
	vm_tap(!bad_in && inside >= 3 && last > first,
	       "sample: each of %d frames taken within one step equals that "
	       "step's truth (steps %d to %d)", inside, first, last);
	vm_tap(!bad_across, "sample: each of %d frames taken across a step "
	       "change equals one of the two steps", across);
}

int main(void)
{
	char *wl[] = { "workload", "--sync", "--seed", "12", "basic", NULL };
	char *gm[] = { "gpumem", "0.2", "10", "--json", NULL };
	int wl_to, gm_to, status, gstatus, i, parsed = 0;
	pid_t wpid, gpid;

	/* The workload may be gone when a last byte is written to it. */
	signal(SIGPIPE, SIG_IGN);
	wpid = vm_spawn(wl, &wl_to, &wl_lines.fd);
	/* Its DRM file open (step 0) before gpumem's first full walk. */
	while (!st.nsteps && !wl_lines.eof)
		pump(&wl_lines, workload_line);
	if (!st.nsteps || !st.wl_pid)
		vm_fatal("sample: the workload did not start", -EIO);
	gpid = vm_spawn(gm, &gm_to, &gm_lines.fd);
	close(gm_to);
	run(wl_to);
	if (waitpid(gpid, &gstatus, 0) < 0)
		gstatus = -1;
	for (i = 0; i < st.nframes; i++)
		parsed += st.frames[i].parsed;
	vm_tap(WIFEXITED(gstatus) && !WEXITSTATUS(gstatus) &&
	       st.nframes == 10 && parsed == 10,
	       "sample: gpumem 0.2 10 --json wrote 10 frames, each one JSON "
	       "document on its line, and exited 0 (%d, %d parsed, status %d)",
	       st.nframes, parsed, gstatus);
	judge();
	/* The rest of the workload, unheld: a byte ahead of each read, as it
	 * may be waiting for one now (a byte too many is never read). */
	while (!wl_lines.eof && write(wl_to, "k", 1) == 1)
		pump(&wl_lines, workload_line);
	close(wl_to);
	waitpid(wpid, &status, 0);
	vm_tap(WIFEXITED(status) && !WEXITSTATUS(status),
	       "sample: the workload ran all its steps (status %d)", status);
	return 0;
}
