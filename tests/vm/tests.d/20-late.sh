#!/bin/sh
# SPDX-License-Identifier: MIT
# A late reader: the event is enabled only at step 3 of "holders", when
# four processes already hold buffers; registering the probe must re-emit
# the current totals (patch 0004).
tracecheck --late 3 workload --sync ${GPUMEM_SEED:+--seed $GPUMEM_SEED} holders
