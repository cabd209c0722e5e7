#!/bin/sh
# SPDX-License-Identifier: MIT
# At every step of every scenario: gpu_mem_total device and per-process
# totals, DRM fdinfo, dma-buf fdinfo/maps and sysfs equal the workload's
# ground truth; after it exits every total is back at its baseline.
for scenario in basic prime multi holders handoff share dmabuf; do
	tracecheck workload --sync ${GPUMEM_SEED:+--seed $GPUMEM_SEED} "$scenario"
done
