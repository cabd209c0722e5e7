#!/bin/sh
# SPDX-License-Identifier: MIT
# Discovery by BPF iterator (task_file, task_vma) against the /proc walk:
# the same figures to the byte at every step of scenarios with real DRM
# clients (virtio-gpu), PRIME exports and dma-heap/udmabuf buffers, held
# by fd and by mapping.  Then iter/dmabuf, which Linux 6.12 lacks: said
# missing, sysfs read instead, the listing itself skipped.
if ! command -v discoverycheck >/dev/null; then
	echo "ok - discovery # SKIP discoverycheck not in the VM"
	exit 0
fi
for scenario in basic prime holders share dmabuf gpus; do
	discoverycheck --workload "$scenario"
done
discoverycheck --dmabuf-iter
