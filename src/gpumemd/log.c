// SPDX-License-Identifier: MIT
/* Messages: stderr in the foreground (the journal keeps it), syslog once
 * detached, where stderr is /dev/null. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "gpumemd.h"

static bool use_syslog;

void gmd_log_syslog(void)
{
	openlog("gpumemd", LOG_PID, LOG_DAEMON);
	use_syslog = true;
}

void gmd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		fputs("gpumemd: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
