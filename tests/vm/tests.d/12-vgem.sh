#!/bin/sh
# SPDX-License-Identifier: MIT
# vgem (card2, kernel/patches 0008): objects that get pages only while
# mapped, and foreign dma-bufs (a virtio-gpu buffer, a udmabuf) imported
# into it.  At every step: gpu_mem_total of both devices, virtio-gpu's
# fdinfo (vgem has none in 6.12), dma-buf fds and maps, sysfs.
# vgem's platform device has no driver bound: its name is vgem.
if [ "$(basename "$(readlink /sys/class/drm/card2/device)")" != vgem ]; then
	case " $GPUMEM_PATCHES " in
	*" 0008 "*) echo "not ok - vgem: card2 is vgem (patch 0008 is in kernel/patches)" ;;
	*) echo "ok - vgem: card2 is vgem # SKIP patch 0008 not present" ;;
	esac
	exit 0
fi
for scenario in vgem import; do
	tracecheck workload --sync ${GPUMEM_SEED:+--seed $GPUMEM_SEED} "$scenario"
done
