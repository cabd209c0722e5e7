// SPDX-License-Identifier: MIT
/*
 * A capture's own manifest (ROOT/gpumem-capture, lib/capture.c): the
 * processes the capturing user could not read are not in the capture, so
 * reading it back must count them as unreadable, or every figure that
 * depends on them would look complete.  The manifest is the capture's
 * text, untrusted: a count it gives can only mark figures partial.
 *
 * A capture that stopped early (its size limit, an error) has PARTIAL
 * instead, whose first line says why: the source is then missing, and
 * its detail (GPUMEM_PARTIAL_CAPTURE, the reason as written, for each
 * output to escape) is what the commands warn with.  Each capture of a
 * series is a sample's root, so each is judged on its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sources.h"

/* "processes: A captured (B holding ...), C vanished, D unreadable" */
static bool unreadable_of(const char *text, unsigned int *n)
{
	const char *line = strstr(text, "\nprocesses: ");

	return line && sscanf(line + 1, "processes: %*u captured (%*u holding "
			      "DRM or dma-buf memory), %*u vanished, %u "
			      "unreadable", n) == 1;
}

/* PARTIAL's first line; a PARTIAL that is not a plain file gives none. */
static bool partial(int rootfd, char *why, size_t size)
{
	struct gm_text t = { 0 };
	size_t len = 0;
	int err = gm_read_record_at(rootfd, "PARTIAL", &t);

	while (!err && len < t.len && t.buf[len] != '\n')
		len++;
	gm_copy_field(why, size, err ? "" : t.buf, len);
	if (!why[0])
		gm_strlcpy(why, "(no reason given)", size);
	gm_text_free(&t);
	return err != -ENOENT;
}

static int read_manifest(struct gm_source_ctx *ctx,
			 struct gpumem_source_status *st)
{
	struct gm_text t = { 0 };
	unsigned int n = 0;
	char head[1024];
	int rootfd, err;

	if (ctx->live) {
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "the live system");
		return 0;
	}
	rootfd = openat(ctx->procfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd >= 0 && partial(rootfd, head, sizeof(head))) {
		close(rootfd);
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "%s: %s",
			      GPUMEM_PARTIAL_CAPTURE, head);
		return 0;
	}
	err = rootfd < 0 ? -1 : gm_read_record_at(rootfd, "gpumem-capture", &t);
	if (rootfd >= 0)
		close(rootfd);
	gm_copy_field(head, sizeof(head), t.buf ? t.buf : "", err ? 0 : t.len);
	gm_text_free(&t);
	if (err || !unreadable_of(head, &n)) {
		gm_source_say(st, GPUMEM_SOURCE_UNUSED, "not a gpumem capture");
		return 0;
	}
	ctx->stats->unreadable_processes += n;
	ctx->stats->listed += n;
	gm_source_say(st, GPUMEM_SOURCE_FOUND, "a capture: %u processes were "
		      "not readable when it was taken", n);
	return 0;
}

const struct gm_source gm_src_capture_manifest = {
	.name = "capture-manifest",
	.what = "capture's manifest",
	.read = read_manifest,
};
