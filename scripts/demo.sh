#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job on a fresh Debian 12 machine (as root): install what is
# missing, build, show gpumem on a two-GPU desktop fixture and on this
# machine, then boot the patched kernel in QEMU with a virtio-gpu device and
# show GPU memory changing as the workload allocates, shares and frees.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/vm/lib.sh

bash scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
[ -f build-static/build.ninja ] ||
	meson setup build-static -Ddefault_library=static -Dprefer_static=true \
		-Dc_link_args=-static -Dtests=disabled >/dev/null
ninja -C build-static src/gpumem >/dev/null

echo "=== A two-GPU desktop (tests/fixtures/demo-desktop): amdgpu + i915, a"
echo "=== compositor, a browser with forked GPU processes, a video player"
build/src/gpumem --root tests/fixtures/demo-desktop
echo
echo "=== This machine"
build/src/gpumem || true
echo
echo "=== Linux 6.12 + kernel/patches in QEMU with virtio-gpu (first run builds"
echo "=== the kernel: about 13 minutes), the workload's prime scenario step by step,"
echo "=== with the BPF collector loaded"
out=${GPUMEM_VM_OUT:-/var/cache/gpumem/demo}
mkdir -p "$out/bin"
kernel=$(vm_kernel)
vm_cc "$out/bin/workload" tests/vm/workload.c
vm_initrd "$out/initrd.gz" "$out/root" \
	"$out/bin/workload $PWD/build-static/src/gpumem" scripts/demo-vm.sh
vm_boot "$kernel" "$out/initrd.gz" "$out/console.log" 300 "gpumem.collector=1" ||
	echo "demo: QEMU exited with status $?, see $out/console.log" >&2
sed -n 's/^GPUMEM: //p' "$out/console.log" | grep -v '^# '
