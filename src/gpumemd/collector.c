// SPDX-License-Identifier: MIT
/*
 * The gpu_mem_total collector (bpf/): pinned maps outlive any process, so
 * a daemon that restarts (or was killed) finds them and reads on; its
 * counters and the totals the collector kept while no daemon ran are all
 * there.  Without the re-emission patch a collector loaded late never
 * sees earlier allocations: that is why the unit starts early.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <syslog.h>

#include "gpumemd.h"
#include "loader.h"

void gmd_collector_start(void)
{
	struct gm_collector_opts opts = { 0 };
	struct gm_collector_info info;
	char msg[GM_LOADER_MSG_MAX];
	struct gpumem_tp tp;
	int err;

	gpumem_tp_read(NULL, &tp);
	if (tp.state == GPUMEM_TP_OK && !tp.android) {
		gmd_log(LOG_INFO, "collector: adopted the pins at %s (%" PRIu64
			" events so far)", GPUMEM_TP_PIN_DIR, tp.events);
		gpumem_tp_release(&tp);
		return;
	}
	gpumem_tp_release(&tp);
	/* Stale maps would block the load, and nothing feeds them. */
	if (tp.err == -ENOLINK) {
		err = gm_collector_unload(NULL);
		gmd_log(err ? LOG_WARNING : LOG_INFO, "collector: %s: %s",
			GPUMEM_TP_PIN_DIR, err ? strerror(-err) :
			"maps of a load that died half-way, removed");
	}
	err = gm_collector_load(&opts, &info, msg, sizeof(msg));
	if (err) {
		gmd_log(LOG_WARNING, "collector: %s (figures from fdinfo and "
			"sysfs only)", msg);
		return;
	}
	gmd_log(LOG_INFO, "collector: loaded (%s), pinned under %s%s",
		gm_attach_name(info.attach), GPUMEM_TP_PIN_DIR,
		info.group_found ? "" : "; no group gpumem: pins root-only");
}
