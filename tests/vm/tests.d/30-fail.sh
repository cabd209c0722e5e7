#!/bin/sh
# SPDX-License-Identifier: MIT
# Allocation failures (impossible sizes, foreign dma-buf import, and every
# allocation of create/export/import failed in turn with fail-nth) never
# change a total.
tracecheck workload --sync ${GPUMEM_SEED:+--seed $GPUMEM_SEED} fail
