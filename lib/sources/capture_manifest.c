// SPDX-License-Identifier: MIT
/*
 * A capture's own manifest (ROOT/gpumem-capture, lib/capture.c): the
 * processes the capturing user could not read are not in the capture, so
 * reading it back must count them as unreadable, or every figure that
 * depends on them would look complete.  The manifest is the capture's
 * text, untrusted: a count it gives can only mark figures partial.
 */
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
