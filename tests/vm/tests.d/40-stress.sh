#!/bin/sh
# SPDX-License-Identifier: MIT
# 100,000 create/free/share operations from 4 processes x 8 threads, each
# thread on two drm files of its own (share: PRIME export, import into the
# second file, close): totals return to baseline, no negative total.
# Under TCG the host lags behind 32 threads; the virtio commands in flight
# hold object references, so the device total may take seconds to drop.
tracecheck --buffer-kb 16384 --settle-ms 30000 workload --sync ${GPUMEM_SEED:+--seed $GPUMEM_SEED} stress \
	"${GPUMEM_STRESS_OPS:-100000}" 4 8
