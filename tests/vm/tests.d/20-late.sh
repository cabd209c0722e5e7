#!/bin/sh
# SPDX-License-Identifier: MIT
# A late reader: the event is enabled only at step 3 of "holders", when
# four processes already hold buffers.  The kernel does not replay: the
# reader takes the device totals from sysfs (patch 0006) and then every
# event; a process total must equal the truth once it changed.
tracecheck --late 3 workload --sync ${GPUMEM_SEED:+--seed $GPUMEM_SEED} holders
