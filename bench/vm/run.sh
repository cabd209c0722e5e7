#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmark the gpu_mem_total accounting in the VM: virtio-gpu dumb buffer
# create + destroy pairs (bench/vm/gembench.c) on the patched and the
# unpatched kernel (kernel/build.sh [--unpatched]), tracepoint off and on.
# Each kernel boots GPUMEM_BENCH_BOOTS times, alternating, so slow drift of
# the host shows up instead of biasing one kernel.  Prints the medians and
# the ratios measured in this run; asserts nothing (wall clock under TCG).
#
# Environment: GPUMEM_BENCH_ROUNDS (5), GPUMEM_BENCH_PAIRS (2000),
#              GPUMEM_BENCH_BOOTS (2), GPUMEM_BENCH_OUT (/var/cache/gpumem/bench-vm)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/vm/lib.sh"

rounds=${GPUMEM_BENCH_ROUNDS:-5}
pairs=${GPUMEM_BENCH_PAIRS:-2000}
boots=${GPUMEM_BENCH_BOOTS:-2}
out=${GPUMEM_BENCH_OUT:-/var/cache/gpumem/bench-vm}
mkdir -p "$out/bin"

declare -A kernel
kernel[patched]=$(vm_kernel)
kernel[unpatched]=$(vm_kernel --unpatched)
vm_cc "$out/bin/gembench" "$VM_ROOT/bench/vm/gembench.c"
cat > "$out/10-gembench.sh" <<EOF
#!/bin/sh
gembench off $rounds $pairs && gembench on $rounds $pairs &&
	gembench off $rounds $pairs
EOF
vm_initrd "$out/initrd.gz" "$out/root" "$out/bin/gembench" "$out/10-gembench.sh"

results="$out/results.txt"
: > "$results"
for boot in $(seq "$boots"); do
	for k in unpatched patched; do
		log="$out/console-$k-$boot.log"
		vm_note "boot $boot: $k kernel"
		vm_boot "${kernel[$k]}" "$out/initrd.gz" "$log" 600 "" ||
			vm_die "$k VM failed (see $log)"
		grep -q GPUMEM-SUITE-END "$log" || vm_die "$k VM did not finish (see $log)"
		sed -n "s/^GPUMEM: bench trace=\([a-z]*\) median_ns_per_pair=\([0-9]*\).*/$k \1 \2/p" \
			"$log" >> "$results"
	done
done

# Median over all medians of one (kernel, mode); then the ratios.
awk -v pairs="$pairs" -v rounds="$rounds" -v boots="$boots" '
function median(key,    n, i, j, t, v) {
	n = split(vals[key], v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n ? v[int((n + 1) / 2)] : 0
}
{ vals[$1 " " $2] = vals[$1 " " $2] " " $3 }
END {
	printf "%d boots per kernel, %d rounds x %d create+destroy pairs per mode\n",
	       boots, rounds, pairs
	printf "%-10s %-5s %-16s %s\n", "kernel", "trace", "median ns/pair", "all medians"
	for (key in vals)
		printf "%-10s %-5s %-16d%s\n", substr(key, 1, index(key, " ") - 1),
		       substr(key, index(key, " ") + 1), median(key), vals[key]
	u = median("unpatched off"); p = median("patched off"); on = median("patched on")
	if (u && p)
		printf "patched/unpatched, nobody listening: %.3fx (goal <= 1.02x)\n", p / u
	if (p && on)
		printf "patched, tracepoint on/off: %.3fx\n", on / p
}' "$results"
