#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Build everything the gpumem test VM needs and run the VM suite; TAP on
# stdout, exit status 0 only if every test passed.
#
# Usage: tests/vm/run.sh [-s] [-u]
#   -s   boot to a shell in the VM instead of running the tests
#   -u   use the unpatched kernel (kernel/build.sh --unpatched): the tests
#        of the series' features skip, the rig itself is still tested
#
# Environment:
#   GPUMEM_VM_EXTRA_BINS="p1 p2"  more static binaries for the VM's /bin
#   GPUMEM_VM_OUT=DIR             build/scratch dir, kept (default: a fresh
#                                 /var/cache/gpumem/vm.XXXXXX per run, so
#                                 concurrent runs do not mix; removed when
#                                 every test passed)
#   GPUMEM_VM_TIMEOUT=SECONDS     QEMU wall-clock limit (480)
#   GPUMEM_SEED=N                 workload seed (default: time in the VM)
#   GPUMEM_STRESS_OPS=N           stress operations (100000)
#   GPUMEM_VM_ONLY="10-totals .." run only these tests.d scripts (default all)
#
# The kernel comes from kernel/build.sh; its patch list (kernel/patches)
# reaches the VM as gpumem.patches=, so tests of a patch that exists fail
# rather than skip when its feature is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

shell=
unpatched=
while getopts su opt; do
	case "$opt" in
	s) shell=1 ;;
	u) unpatched=--unpatched ;;
	*) sed -n '4,24p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
	esac
done

if [ -n "${GPUMEM_VM_OUT:-}" ]; then
	out=$GPUMEM_VM_OUT
	keep=1
else
	mkdir -p /var/cache/gpumem
	out=$(mktemp -d /var/cache/gpumem/vm.XXXXXX)
	keep=
fi
mkdir -p "$out/bin"
log="$out/console.log"

# A setup failure (kernel, compiler, initramfs) is one failed test too.
trap 'echo "not ok 1 - vm: setup failed (kernel build, compile or initramfs; see stderr)"; echo "1..1"' EXIT
kernel=$(vm_kernel $unpatched)
vm_cc "$out/bin/workload" "$VM_DIR/workload.c"
vm_cc "$out/bin/tracecheck" "$VM_DIR/tracecheck.c"
vm_initrd "$out/initrd.gz" "$out/root" \
	"$out/bin/workload $out/bin/tracecheck ${GPUMEM_VM_EXTRA_BINS:-}" \
	"$(ls "$VM_DIR"/tests.d/*.sh) $VM_DIR/tests.d/common.inc"

# Two virtio-gpu devices: card0 and card1, keys of two GPUs.
export VM_GPUS=2
patches=
[ -n "$unpatched" ] || patches=$(vm_patches)
append="gpumem.patches=$patches gpumem.seed=${GPUMEM_SEED:-}"
append+=" gpumem.stress_ops=${GPUMEM_STRESS_OPS:-100000}"
only=${GPUMEM_VM_ONLY:-}
append+=" gpumem.only=${only// /,}"
trap - EXIT
if [ -n "$shell" ]; then
	vm_boot "$kernel" "$out/initrd.gz" "$log" 0 "$append gpumem.shell=1" interactive
	exit
fi

start=$(date +%s.%N)
qemu_status=0
vm_boot "$kernel" "$out/initrd.gz" "$log" "${GPUMEM_VM_TIMEOUT:-480}" "$append" ||
	qemu_status=$?
vm_note "QEMU exited with status $qemu_status after" \
	"$(echo "$(date +%s.%N) - $start" | bc) s; console log: $log"
suites=
case ",$patches," in *,0004,*) suites=drm_gem_totals ;; esac
status=0
awk -v logfile="$log" -v suites="$suites" -f "$VM_DIR/console2tap.awk" "$log" ||
	status=$?
[ -n "$keep" ] || [ "$status" != 0 ] || rm -rf "$out"
exit "$status"
