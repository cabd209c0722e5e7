// SPDX-License-Identifier: MIT
/*
 * /proc/PID/cgroup: the cgroup each process runs in, and who that is.  A
 * line is "hierarchy-ID:controllers:path" (cgroups(7)); cgroup v2 is the
 * one "0::path" line, with " (deleted)" after a removed cgroup's path.  A
 * cgroup v1 host has no v2 path worth the name ("0::/" on a hybrid one), so
 * there systemd's own hierarchy, "N:name=systemd:path", says the same.
 *
 * The owner is what the path's shape says, as systemd, container runtimes
 * and the kubelet name their cgroups: the innermost unit
 * (system.slice/foo.service, user@1000.service/app-x.scope), a container
 * (docker-<id>.scope, libpod-, crio-, cri-containerd-; cgroupfs drivers:
 * docker/<id>, kubepods/.../<id>), a pod (kubepods-...-pod<uid>.slice,
 * kubepods/.../pod<uid>).  Anyone who can create a cgroup can name it like
 * that: an owner is a label, never a permission.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"

static const char deleted_suffix[] = " (deleted)";

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t len = strlen(prefix);

	return n >= len && !memcmp(s, prefix, len);
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t len = strlen(suffix);

	return n >= len && !memcmp(s + n - len, suffix, len);
}

/* "ID:controllers:path" split; false when it is not such a line. */
static bool split_line(const char *line, size_t len, const char **ctl,
		       size_t *ctl_len, const char **path, size_t *path_len)
{
	const char *c1 = memchr(line, ':', len), *c2;

	if (!c1 || c1 == line)
		return false;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line));
	if (!c2 || c2 + 1 == line + len || c2[1] != '/')
		return false;
	*ctl = c1 + 1;
	*ctl_len = (size_t)(c2 - *ctl);
	*path = c2 + 1;
	*path_len = len - (size_t)(*path - line);
	return memchr(*path, '\0', *path_len) == NULL;
}

static void take(struct gm_cgroup_line *cg, const char *path, size_t len,
		 bool v1)
{
	cg->v1 = v1;
	cg->deleted = has_suffix(path, len, deleted_suffix);
	if (cg->deleted)
		len -= sizeof(deleted_suffix) - 1;
	cg->path = path;
	cg->len = len;
}

int gm_cgroup_parse(const char *text, size_t len, struct gm_cgroup_line *cg,
		    unsigned int *malformed)
{
	const char *line, *ctl, *path, *v2 = NULL, *sd = NULL;
	size_t pos = 0, llen, ctl_len, path_len, v2_len = 0, sd_len = 0;

	memset(cg, 0, sizeof(*cg));
	while (gm_next_line(text, len, &pos, &line, &llen)) {
		if (!split_line(line, llen, &ctl, &ctl_len, &path, &path_len)) {
			*malformed += llen != 0;
			continue;
		}
		if (!ctl_len && has_prefix(line, llen, "0:"))
			v2 = path, v2_len = path_len;
		else if (ctl_len == 12 && !memcmp(ctl, "name=systemd", 12))
			sd = path, sd_len = path_len;
	}
	/* A hybrid host's v2 hierarchy is empty: systemd's v1 one says more. */
	if (v2 && (!sd || v2_len != 1))
		take(cg, v2, v2_len, false);
	else if (sd)
		take(cg, sd, sd_len, true);
	return cg->path != NULL;
}

/* The next "/"-separated component of *p; false at the end. */
static bool next_comp(const char **p, const char **c, size_t *n)
{
	while (**p == '/')
		(*p)++;
	if (!**p)
		return false;
	*c = *p;
	while (**p && **p != '/')
		(*p)++;
	*n = (size_t)(*p - *c);
	return true;
}

static bool is_unit(const char *c, size_t n)
{
	return has_suffix(c, n, ".service") || has_suffix(c, n, ".scope");
}

static bool all_of(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!s[i] || !strchr(set, s[i]))
			return false;
	}
	return true;
}

static bool is_container_id(const char *s, size_t n)
{
	return n >= 12 && n < GPUMEM_ID_MAX &&
	       all_of(s, n, "0123456789abcdef");
}

/* "a/b" (a may be empty) into dst, cut to fit. */
static void join(char *dst, size_t size, const char *a, size_t alen,
		 const char *b, size_t blen)
{
	snprintf(dst, size, "%.*s%s%.*s", (int)alen, a, alen ? "/" : "",
		 (int)blen, b);
}

static const struct {
	const char *prefix;
	const char *runtime;
} scopes[] = {
	/* Longer prefixes first: "crio-conmon-" starts with "crio-". */
	{ "docker-", "docker" },
	{ "libpod-conmon-", "podman" },
	{ "libpod-", "podman" },
	{ "crio-conmon-", "crio" },
	{ "crio-", "crio" },
	{ "cri-containerd-", "containerd" },
};

/*
 * A container's cgroup: a runtime's scope, or (cgroupfs drivers) a bare id
 * below "docker" or in a pod.
 */
static void container_from(struct gpumem_cgroup *o, const char *c, size_t n,
			   const char *prev, size_t prev_n, bool kube)
{
	const char *runtime = NULL;
	size_t i;

	if (has_suffix(c, n, ".scope")) {
		n -= 6;
		for (i = 0; i < GM_ARRAY_SIZE(scopes) && !runtime; i++) {
			if (has_prefix(c, n, scopes[i].prefix)) {
				runtime = scopes[i].runtime;
				c += strlen(scopes[i].prefix);
				n -= strlen(scopes[i].prefix);
			}
		}
	} else if (prev_n == 6 && !memcmp(prev, "docker", 6)) {
		runtime = "docker";
	} else if (kube) {
		runtime = "";
	}
	if (!runtime || !is_container_id(c, n))
		return;
	gm_strlcpy(o->runtime, runtime, sizeof(o->runtime));
	gm_copy_field(o->container_id, sizeof(o->container_id), c, n);
	if (o->kind != GPUMEM_OWNER_POD)
		o->kind = GPUMEM_OWNER_CONTAINER;
}

/* The kubelet's pod cgroup: "pod<uid>", or systemd's "...-pod<uid_>.slice". */
static void pod_from(struct gpumem_cgroup *o, const char *c, size_t n)
{
	const char *uid = NULL;
	size_t len = 0, i;

	if (has_prefix(c, n, "pod")) {
		uid = c + 3;
		len = n - 3;
	} else if (has_suffix(c, n, ".slice")) {
		for (i = n - 6; i >= 4 && !uid; i--) {
			if (!memcmp(c + i - 4, "-pod", 4)) {
				uid = c + i;
				len = n - 6 - i;
			}
		}
	}
	if (!uid || len < 32 || len >= GPUMEM_ID_MAX ||
	    !all_of(uid, len, "0123456789abcdef-_"))
		return;
	gm_copy_field(o->pod_uid, sizeof(o->pod_uid), uid, len);
	/* systemd spells a unit name's "-" as "_" */
	for (i = 0; i < len; i++)
		o->pod_uid[i] = o->pod_uid[i] == '_' ? '-' : o->pod_uid[i];
	o->kind = GPUMEM_OWNER_POD;
}

/*
 * The first unit in the path, with its slice; inside a user manager
 * (user@UID.service), the unit it runs.
 */
static void unit_from(struct gpumem_cgroup *o, const char *c, size_t n,
		      const char *prev, size_t prev_n, const char **user,
		      size_t *user_n)
{
	bool slice = has_suffix(prev, prev_n, ".slice");

	if (!is_unit(c, n) || (o->unit[0] && !*user))
		return;
	if (*user) {
		join(o->unit, sizeof(o->unit), *user, *user_n, c, n);
		*user = NULL;
		return;
	}
	join(o->unit, sizeof(o->unit), prev, slice ? prev_n : 0, c, n);
	if (has_prefix(c, n, "user@") && has_suffix(c, n, ".service")) {
		*user = c;
		*user_n = n;
		gm_copy_field(o->unit, sizeof(o->unit), c, n);
	}
}

static void owner_name(struct gpumem_cgroup *o)
{
	char id[13];

	switch (o->kind) {
	case GPUMEM_OWNER_POD:
		snprintf(o->owner, sizeof(o->owner), "pod %s", o->pod_uid);
		break;
	case GPUMEM_OWNER_CONTAINER:
		gm_strlcpy(id, o->container_id, sizeof(id));
		snprintf(o->owner, sizeof(o->owner), "%s %s",
			 o->runtime[0] ? o->runtime : "container", id);
		break;
	case GPUMEM_OWNER_UNIT:
		gm_strlcpy(o->owner, o->unit, sizeof(o->owner));
		break;
	default:
		gm_strlcpy(o->owner, o->path, sizeof(o->owner));
	}
}

void gm_cgroup_owner(struct gpumem_cgroup *o)
{
	const char *p = o->path, *c, *prev = "", *user = NULL;
	size_t n, prev_n = 0, user_n = 0;
	bool kube = false;

	o->kind = GPUMEM_OWNER_UNKNOWN;
	while (next_comp(&p, &c, &n)) {
		kube |= has_prefix(c, n, "kubepods");
		if (kube)
			pod_from(o, c, n);
		container_from(o, c, n, prev, prev_n, kube);
		unit_from(o, c, n, prev, prev_n, &user, &user_n);
		prev = c;
		prev_n = n;
	}
	if (o->kind == GPUMEM_OWNER_UNKNOWN && o->unit[0])
		o->kind = GPUMEM_OWNER_UNIT;
	owner_name(o);
}

struct cg_read {
	struct gm_source_ctx *ctx;
	struct gm_text text;
	char *path;		/* the line's path, NUL-terminated */
	size_t path_cap;
	unsigned int v2, v1, unknown, missing, denied;
};

/* What pid's cgroup file says: *err, else 1 with cg->path in r->path. */
static int read_one(struct cg_read *r, pid_t pid, struct gpumem_cgroup *cg,
		    int *err)
{
	struct gm_cgroup_line line;
	char name[32];

	snprintf(name, sizeof(name), "%d/cgroup", (int)pid);
	*err = gm_read_record_flags_at(r->ctx->procfd, name, &r->text,
				       r->ctx->live ? GM_READ_KERNEL : 0);
	if (*err || !gm_cgroup_parse(r->text.buf, r->text.len, &line,
				     &r->ctx->stats->malformed_lines))
		return 0;
	*err = gm_grow((void **)&r->path, &r->path_cap, line.len + 1, 1);
	if (*err)
		return 0;
	memcpy(r->path, line.path, line.len);
	r->path[line.len] = '\0';
	cg->path = r->path;
	cg->v1 = line.v1;
	cg->deleted = line.deleted;
	return 1;
}

/* The index keeps what was read, for the refreshes until the next walk. */
static int remember(struct gm_index_pid *ip, const struct gpumem_cgroup *cg,
		    int found, int err)
{
	ip->cg_err = err;
	ip->cg_v1 = cg->v1;
	ip->cg_deleted = cg->deleted;
	if (found && !(ip->cg_path = strdup(cg->path)))
		return -ENOMEM;
	ip->cg_read = true;
	return 0;
}

static int recall(const struct gm_index_pid *ip, struct gpumem_cgroup *cg,
		  int *err)
{
	*err = ip->cg_err;
	cg->path = ip->cg_path;
	cg->v1 = ip->cg_v1;
	cg->deleted = ip->cg_deleted;
	return ip->cg_path != NULL;
}

/*
 * A refresh takes an indexed process's cgroup from the index: a process
 * that moved to another cgroup is seen at the next full sample.
 */
static int one_process(void *arg, pid_t pid)
{
	struct cg_read *r = arg;
	const struct gm_feed *feed = r->ctx->feed;
	struct gpumem_cgroup cg = { .struct_size = sizeof(cg) };
	struct gm_index_pid *ip = r->ctx->idx ?
				  gm_index_pid_of(r->ctx->idx, pid) : NULL;
	int found, err;

	if (ip && ip->cg_read && r->ctx->refresh) {
		found = recall(ip, &cg, &err);
	} else {
		found = read_one(r, pid, &cg, &err);
		if (ip && !ip->cg_read && err != -ENOMEM &&
		    remember(ip, &cg, found, err))
			return -ENOMEM;
	}
	r->missing += err == -ENOENT;
	r->denied += gm_is_denied(err);
	if (!found) {
		r->unknown += !err;
		return err == -ENOMEM ? err : 0;
	}
	gm_cgroup_owner(&cg);
	r->v1 += cg.v1;
	r->v2 += !cg.v1;
	return feed->process_cgroup(feed->ctx, pid, &cg);
}

static int read_cgroups(struct gm_source_ctx *ctx,
			struct gpumem_source_status *st)
{
	struct cg_read r = { .ctx = ctx };
	int err = ctx->feed->each_process(ctx->feed->ctx, one_process, &r);

	gm_text_free(&r.text);
	free(r.path);
	if (err)
		return err;
	if (r.missing && !r.v1 && !r.v2 && !r.unknown && !r.denied)
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no /proc/PID/cgroup "
			      "(a kernel without cgroups): owners unknown");
	else
		gm_source_say(st, r.denied ? GPUMEM_SOURCE_DENIED :
			      GPUMEM_SOURCE_FOUND, "%u processes in cgroup v2, "
			      "%u in v1 name=systemd, %u of neither, %u not "
			      "readable", r.v2, r.v1, r.unknown, r.denied);
	return 0;
}

/* Copied with each process by the proc source's capture. */
const struct gm_source gm_src_proc_cgroup = {
	.name = "proc-cgroup",
	.what = "process cgroups",
	.read = read_cgroups,
};
