// SPDX-License-Identifier: MIT
/*
 * The graph is built straight into a snapshot, as the sources would feed
 * it, so that millions of shapes cost no file: the rules are about the
 * arithmetic, and the fixture tests cover reading the files.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/model.h"
#include "shares_graph.h"

#define MAX_DEVS 3
#define MAX_CLIENTS 12
#define MAX_PROCS 8

struct cursor {
	const uint8_t *p;
	size_t left;
};

static uint8_t next(struct cursor *c)
{
	if (!c->left)
		return 0;
	c->left--;
	return *c->p++;
}

/* Mostly small page-sized figures, sometimes huge ones that saturate. */
static uint64_t next_size(struct cursor *c)
{
	uint8_t kind = next(c);
	uint64_t v = (uint64_t)next(c) << 8 | next(c);

	if (kind == 0xff)
		return UINT64_MAX - v;
	return (v % 64) * 4096 * (kind % 4 + 1);
}

static int fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static void add_devices(struct gpumem_snapshot *s, struct cursor *c)
{
	static const enum gpumem_origin origins[] = {
		GPUMEM_ORIGIN_TRACEPOINT, GPUMEM_ORIGIN_SYSFS,
		GPUMEM_ORIGIN_NONE,
	};
	size_t i;

	s->devs.nr = 1 + next(c) % MAX_DEVS;
	s->devs.dev = calloc(s->devs.nr, sizeof(*s->devs.dev));
	for (i = 0; s->devs.dev && i < s->devs.nr; i++) {
		struct gpumem_device *d = &s->devs.dev[i];
		enum gpumem_origin o = origins[next(c) % 3];

		d->index = (int)i;
		d->render_minor = -1;
		if (o != GPUMEM_ORIGIN_NONE)
			gm_device_reading(d, o, next_size(c));
	}
}

static void add_clients(struct gpumem_snapshot *s, struct cursor *c)
{
	size_t i;

	s->nr_clients = 1 + next(c) % MAX_CLIENTS;
	s->clients = calloc(s->nr_clients, sizeof(*s->clients));
	for (i = 0; s->clients && i < s->nr_clients; i++) {
		struct gpumem_client *cl = &s->clients[i];
		uint8_t shape = next(c);

		cl->device = shape & 0x80 ? -1 : (int)(next(c) % s->devs.nr);
		cl->mem_known = (shape & 0x70) != 0x70;
		cl->bytes = next_size(c);
		/* none shared, all, some, or more than the total (hostile) */
		cl->shared_bytes = shape % 4 == 0 ? 0 :
				   shape % 4 == 1 ? cl->bytes :
				   shape % 4 == 2 ? cl->bytes / (1 + next(c)) :
				   next_size(c);
	}
}

/* Every client has a holder; some have more, some processes several. */
static int add_refs(struct gpumem_snapshot *s, struct gm_refs *r,
		    struct cursor *c)
{
	size_t i, extra;
	int err = 0;

	s->nr_procs = 1 + next(c) % MAX_PROCS;
	s->procs = calloc(s->nr_procs, sizeof(*s->procs));
	if (!s->procs)
		return -1;
	for (i = 0; i < s->nr_procs; i++)
		s->procs[i].pid = (pid_t)(100 + i);
	for (i = 0; !err && i < s->nr_clients; i++)
		err = gm_refs_add(r, (uint32_t)i, next(c) % s->nr_procs);
	extra = next(c) % 24;
	for (i = 0; !err && i < extra; i++)
		err = gm_refs_add(r, next(c) % s->nr_clients,
				  next(c) % s->nr_procs);
	return err;
}

/* Some (card, pid) figures from the collector, sorted as it gives them. */
static void add_tp(struct gpumem_snapshot *s, struct cursor *c)
{
	size_t d, p, n = 0;

	if (!(next(c) & 1))
		return;
	s->tp.state = GPUMEM_TP_OK;
	s->tp.totals = calloc(s->devs.nr * s->nr_procs + 1,
			      sizeof(*s->tp.totals));
	for (d = 0; s->tp.totals && d < s->devs.nr; d++) {
		for (p = 0; p < s->nr_procs; p++) {
			if (next(c) % 3)
				continue;
			s->tp.totals[n++] = (struct gpumem_tp_total){
				.gpu_id = (uint32_t)d,
				.pid = (uint32_t)(100 + p),
				.bytes = next_size(c),
			};
		}
	}
	s->tp.nr = n;
}

/* What docs/model.md says of a device's shares, from its clients alone. */
static bool want_shares_exact(const struct gpumem_snapshot *s,
			      const struct gpumem_device *d, size_t di)
{
	uint64_t priv = 0, most = 0, pool;
	size_t i;

	if (!gm_total_exact(d) || d->nr_unknown_clients ||
	    s->stats.unreadable_processes)
		return false;
	for (i = 0; i < s->nr_clients; i++) {
		const struct gpumem_client *c = &s->clients[i];
		uint64_t sh = gm_client_shared(c);

		if (c->device != (int)di || !c->mem_known)
			continue;
		priv = gm_add_sat(priv, c->bytes - sh);
		most = sh > most ? sh : most;
	}
	if (priv > d->total_bytes || priv == UINT64_MAX ||
	    d->clients_shared_bytes == UINT64_MAX)
		return false;
	/* the shared objects once: between the largest and the rest */
	pool = d->total_bytes - priv;
	pool = pool < d->clients_shared_bytes ? pool : d->clients_shared_bytes;
	return pool == most;
}

static int check_client(const struct gpumem_snapshot *s,
			const struct gpumem_client *c, char *why, size_t size)
{
	bool pool = c->device >= 0 && s->devs.dev[c->device].shares_exact;
	bool want = c->mem_known && (!gm_client_shared(c) || pool);

	if (c->share_exact != want)
		return fail(why, size, "client share_exact %d, want %d",
			    c->share_exact, want);
	if (c->mem_known && c->share_bytes > c->bytes)
		return fail(why, size, "client share %llu above its %llu bytes",
			    (unsigned long long)c->share_bytes,
			    (unsigned long long)c->bytes);
	return 0;
}

/* The collector's figure for (card, pid) is the rss, within the total. */
static int check_tp(const struct gpumem_snapshot *s,
		    const struct gpumem_device *d,
		    const struct gpumem_process *p,
		    const struct gpumem_process_device *pd, char *why,
		    size_t size)
{
	uint64_t want;
	size_t i;

	for (i = 0; i < s->tp.nr; i++) {
		const struct gpumem_tp_total *t = &s->tp.totals[i];

		if (t->gpu_id != (uint32_t)d->index || t->pid != (uint32_t)p->pid)
			continue;
		want = gm_total_exact(d) && t->bytes > d->total_bytes ?
		       d->total_bytes : t->bytes;
		if (!pd->rss_from_tp || pd->rss_bytes != want)
			return fail(why, size, "pid %d: rss %llu, collector %llu",
				    p->pid, (unsigned long long)pd->rss_bytes,
				    (unsigned long long)want);
	}
	return 0;
}

/* Each process at most its device; the shares of a device sum exactly. */
static int check_device(const struct gpumem_snapshot *s, size_t di,
			char *why, size_t size)
{
	const struct gpumem_device *d = &s->devs.dev[di];
	uint64_t shares = 0, pss = 0;
	size_t i, j, nr;

	if (d->shares_exact != want_shares_exact(s, d, di))
		return fail(why, size, "card%zu shares_exact %d", di,
			    d->shares_exact);
	for (i = 0; i < s->nr_clients; i++) {
		if (s->clients[i].device == (int)di && s->clients[i].mem_known)
			shares = gm_add_sat(shares, s->clients[i].share_bytes);
	}
	for (i = 0; i < s->nr_procs; i++) {
		const struct gpumem_process_device *pd =
			gpumem_process_devices(s, &s->procs[i], &nr);

		for (j = 0; j < nr; j++) {
			if (pd[j].device != (int)di)
				continue;
			if (gm_total_exact(d) &&
			    (pd[j].rss_bytes > d->total_bytes ||
			     pd[j].pss_bytes > d->total_bytes))
				return fail(why, size, "pid %d above card%zu",
					    s->procs[i].pid, di);
			pss = gm_add_sat(pss, pd[j].pss_bytes);
			if (check_tp(s, d, &s->procs[i], &pd[j], why, size))
				return -1;
		}
	}
	if (d->shares_exact && pss != shares)
		return fail(why, size, "card%zu: pss %llu != shares %llu", di,
			    (unsigned long long)pss,
			    (unsigned long long)shares);
	if (d->shares_exact && shares + d->unattributed_bytes != d->total_bytes)
		return fail(why, size, "card%zu: shares %llu + %llu != %llu",
			    di, (unsigned long long)shares,
			    (unsigned long long)d->unattributed_bytes,
			    (unsigned long long)d->total_bytes);
	return 0;
}

/* A process's figures are its devices' and exact only if all of them are. */
static int check_process(const struct gpumem_snapshot *s,
			 const struct gpumem_process *p, char *why, size_t size)
{
	const struct gpumem_process_device *pd;
	uint64_t rss = 0, pss = 0;
	bool pss_exact = true;
	size_t j, nr;

	pd = gpumem_process_devices(s, p, &nr);
	for (j = 0; j < nr; j++) {
		rss = gm_add_sat(rss, pd[j].rss_bytes);
		pss = gm_add_sat(pss, pd[j].pss_bytes);
		pss_exact &= pd[j].pss_exact;
		if (!pd[j].rss_from_tp && pd[j].pss_bytes > pd[j].rss_bytes)
			return fail(why, size, "pid %d pss above rss", p->pid);
	}
	if (rss != p->gpu_total_bytes || pss != p->gpu_pss_bytes ||
	    pss_exact != p->gpu_pss_exact)
		return fail(why, size, "pid %d: not the sum of its devices",
			    p->pid);
	return 0;
}

static int check(const struct gpumem_snapshot *s, char *why, size_t size)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < s->nr_clients; i++)
		err = check_client(s, &s->clients[i], why, size);
	for (i = 0; !err && i < s->devs.nr; i++)
		err = check_device(s, i, why, size);
	for (i = 0; !err && i < s->nr_procs; i++)
		err = check_process(s, &s->procs[i], why, size);
	return err;
}

int shares_graph_check(const uint8_t *data, size_t len, char *why,
		       size_t size)
{
	struct gpumem_snapshot *s = calloc(1, sizeof(*s));
	struct gm_refs clients = { 0 }, bufs = { 0 };
	struct cursor c = { data, len };
	int err = -1;

	snprintf(why, size, "out of memory");
	if (!s)
		return -1;
	add_devices(s, &c);
	add_clients(s, &c);
	s->stats.unreadable_processes = next(&c) % 4 == 0;
	if (s->devs.dev && s->clients && !add_refs(s, &clients, &c)) {
		add_tp(s, &c);
		if (!gm_finish_model(s, &clients, &bufs))
			err = check(s, why, size);
	}
	gm_refs_free(&clients);
	gm_refs_free(&bufs);
	gpumem_snapshot_free(s);
	return err;
}
