// SPDX-License-Identifier: MIT
/*
 * /proc/PID/smaps_rollup of every process.  Pss_Anon, Pss_File and
 * Pss_Shmem (show_smaps_rollup(), fs/proc/task_mmu.c) split a process's PSS
 * by what backs the pages; summed over all processes, Pss_Anon is the
 * anonymous memory that is mapped, each page once.  Kernel threads have no
 * mm: their smaps_rollup read fails with ESRCH and they are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sources.h"

static bool is_pid(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++) {
		if (*name < '0' || *name > '9')
			return false;
	}
	return true;
}

static int read_one(int procfd, const char *pid, struct gm_text *t,
		    struct gm_kvs *kvs, struct gm_pss *p, char *why,
		    size_t why_len)
{
	char path[64];
	unsigned int bad;
	int err;

	snprintf(path, sizeof(path), "%.20s/smaps_rollup", pid);
	err = gm_read_at(procfd, path, t);
	if (err)
		return err;
	if (!t->len)
		return -ESRCH;
	err = gm_kv_parse(t->buf, t->len, true, kvs, &bad);
	if (!err && !gm_kv_find(kvs, "Pss_Anon")) {
		bad = 0;
		err = -EBADMSG;
	}
	if (err) {
		snprintf(why, why_len, "proc/%s: malformed line %u", path, bad);
		return err;
	}
	p->pss = gm_kv_get(kvs, "Pss");
	p->pss_anon = gm_kv_get(kvs, "Pss_Anon");
	p->pss_file = gm_kv_get(kvs, "Pss_File");
	p->pss_shmem = gm_kv_get(kvs, "Pss_Shmem");
	p->swap_pss = gm_kv_get(kvs, "SwapPss");
	return 0;
}

static void add(struct gm_pss *sum, const struct gm_pss *p)
{
	sum->pss = gm_add_sat(sum->pss, p->pss);
	sum->pss_anon = gm_add_sat(sum->pss_anon, p->pss_anon);
	sum->pss_file = gm_add_sat(sum->pss_file, p->pss_file);
	sum->pss_shmem = gm_add_sat(sum->pss_shmem, p->pss_shmem);
	sum->swap_pss = gm_add_sat(sum->swap_pss, p->swap_pss);
}

int gm_pss_scan(int procfd, pid_t want_pid, struct gm_pss_totals *t,
		char *why, size_t why_len)
{
	struct gm_text text = { 0 };
	struct gm_kvs kvs = { 0 };
	struct dirent *de;
	DIR *dir;
	int err;

	err = gm_opendir_at(procfd, ".", &dir);
	if (err)
		return err;
	while ((de = readdir(dir))) {
		struct gm_pss p = { 0 };

		if (!is_pid(de->d_name))
			continue;
		err = read_one(procfd, de->d_name, &text, &kvs, &p, why, why_len);
		if (gm_is_denied(err)) {
			t->unreadable++;
			t->pid_denied |= atoi(de->d_name) == want_pid;
		} else if (!err) {
			t->processes++;
			add(&t->sum, &p);
			if (atoi(de->d_name) == want_pid) {
				t->found_pid = true;
				t->pid = p;
			}
		} else if (err != -ENOENT && err != -ESRCH) {
			break;	/* vanished or kernel threads are not errors */
		}
		err = 0;
	}
	closedir(dir);
	gm_text_free(&text);
	gm_kvs_free(&kvs);
	return err;
}

static int read_smaps_rollup(struct gm_source_ctx *ctx,
			     struct gpumem_source_status *st)
{
	struct gm_explain_in *in = ctx->feed->explain;
	int err = gm_pss_scan(ctx->procfd, in->want_pid, &in->pss, in->why,
			      in->why_len);

	if (!err)
		gm_source_say(st, in->pss.unreadable ? GPUMEM_SOURCE_DENIED :
			      GPUMEM_SOURCE_FOUND, "%u processes read, %u not "
			      "readable", in->pss.processes, in->pss.unreadable);
	return err;
}

/* Copied with each process by the proc source's capture. */
const struct gm_source gm_src_smaps_rollup = {
	.name = "smaps-rollup",
	.what = "process PSS",
	.use = GM_USE_EXPLAIN,
	.read = read_smaps_rollup,
	.status = gm_explain_only,
};
