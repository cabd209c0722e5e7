#!/bin/sh
# SPDX-License-Identifier: MIT
# libgpumem's per-process RSS-/PSS-like figures, each DRM client and dma-buf
# counted once, gpu_overlap and the device total against the workload's
# ground truth at every step (gpumemcheck; tests/run.sh puts it in the VM).
# Only scenarios whose truth is exact in the gpumem model: not fail (an
# injected export failure may leave obj->dma_buf unknown) nor stress.
if ! command -v gpumemcheck >/dev/null; then
	echo "ok - gpumem # SKIP gpumemcheck not in the VM"
	exit 0
fi
for scenario in basic prime overlap multi holders handoff share dmabuf; do
	gpumemcheck "$scenario"
done
