// SPDX-License-Identifier: MIT
/*
 * The kernel release from /proc/version ("Linux version 6.12.19 (..."),
 * which captures and fixtures carry too; "" when it cannot be read.
 */
#include <string.h>

#include "sources.h"

void gm_kernel_release(int procfd, char *buf, size_t size)
{
	static const char prefix[] = "Linux version ";
	struct gm_text t = { 0 };
	const char *p;
	size_t n = 0;

	buf[0] = '\0';
	if (!gm_read_record_at(procfd, "version", &t) &&
	    t.len > sizeof(prefix) - 1 &&
	    !memcmp(t.buf, prefix, sizeof(prefix) - 1)) {
		p = t.buf + sizeof(prefix) - 1;
		while (p + n < t.buf + t.len && p[n] > ' ' && p[n] < 0x7f)
			n++;
		gm_copy_field(buf, size, p, n);
	}
	gm_text_free(&t);
}

static void proc_version_status(const struct gpumem_snapshot *s,
				struct gpumem_source_status *st)
{
	const char *r = gpumem_sample_info(s)->kernel_release;

	if (r[0])
		gm_source_say(st, GPUMEM_SOURCE_FOUND, "Linux %s", r);
	else
		gm_source_say(st, GPUMEM_SOURCE_MISSING, "no proc/version: "
			      "the kernel release is not known");
}

const struct gm_source gm_src_proc_version = {
	.name = "proc-version",
	.what = "kernel release",
	.cap = GM_CAP_FILES,
	.cap_files = (const char *const[]){ "proc/version", NULL },
	.status = proc_version_status,
};
