#!/bin/sh
# SPDX-License-Identifier: MIT
# 100,000 create/free operations from 4 processes x 8 threads, each thread
# on a drm file of its own: totals return to baseline, no negative total.
tracecheck --buffer-kb 16384 workload --sync ${GPUMEM_SEED:+--seed $GPUMEM_SEED} stress \
	"${GPUMEM_STRESS_OPS:-100000}" 4 8
