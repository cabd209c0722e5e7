// SPDX-License-Identifier: MIT
/*
 * /proc/PID/cmdline: a process's arguments, for gpumem top's command-line
 * column.  Not part of a sample: a command line is read on demand, for the
 * rows a view shows, so that a scan of 1,000 processes does not read 1,000
 * more files every second.  What it says is the process's own (any process
 * may rewrite its arguments): a label, escaped before a terminal.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sources.h"

/* Arguments at most this long are read; a longer command line is cut. */
#define GM_CMDLINE_MAX (64u << 10)

size_t gm_cmdline_join(const char *text, size_t len, char *out, size_t size)
{
	size_t i, n = 0;

	if (!size)
		return 0;
	while (len && text[len - 1] == '\0')
		len--;
	for (i = 0; i < len && n + 1 < size; i++)
		out[n++] = text[i] ? text[i] : ' ';
	out[n] = '\0';
	return n;
}

static void proc_cmdline_status(const struct gpumem_snapshot *s,
				struct gpumem_source_status *st)
{
	(void)s;
	gm_source_say(st, GPUMEM_SOURCE_UNUSED, "read on demand, by gpumem "
		      "top's command-line column");
}

const struct gm_source gm_src_proc_cmdline = {
	.name = "proc-cmdline",
	.what = "command lines (gpumem top)",
	.status = proc_cmdline_status,
};

int gpumem_process_cmdline(const char *root, pid_t pid, char *buf,
			   size_t size)
{
	struct gm_text t = { 0 };
	char path[4096];
	int dir, err;

	if (!size || pid <= 0)
		return -EINVAL;
	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/proc/%d", root && root[0] ? root : "",
		 (int)pid);
	dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dir < 0)
		return -errno;
	err = gm_read_at(dir, "cmdline", &t);
	close(dir);
	if (!err && t.len > GM_CMDLINE_MAX)
		t.len = GM_CMDLINE_MAX;
	if (!err && !gm_cmdline_join(t.buf, t.len, buf, size))
		err = -ENODATA;
	gm_text_free(&t);
	return err;
}
