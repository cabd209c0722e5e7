#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmark the gpu_mem_total accounting in the VM (bench/vm/gembench.c)
# on the patched and the unpatched kernel (kernel/build.sh [--unpatched]),
# tracepoint off and on:
#   create  dumb buffer create + GEM_CLOSE (the whole life of a buffer,
#           dominated by virtio commands to the host under TCG)
#   import  PRIME import into a second file + GEM_CLOSE (a handle's life,
#           the accounted path, with no host command)
# The kernels boot GPUMEM_BENCH_BOOTS times each, alternating, so drift of
# the (shared, 2-core) host does not bias one kernel.  Prints, per kernel,
# op and trace mode, the minimum and the median over all rounds, and the
# ratios measured in this run.  Asserts nothing: wall clock under TCG.
# The guest clock is refined-jiffies (4 ms, no usable TSC/HPET in the rig
# kernel), so a round lasts about half a second.  One vCPU: with two, rounds
# fall into two clusters ~40% apart depending on where QEMU's vCPU threads
# run on the shared host.
#
# Environment: GPUMEM_BENCH_ROUNDS (5), GPUMEM_BENCH_CREATE_PAIRS (3000),
#   GPUMEM_BENCH_IMPORT_PAIRS (50000), GPUMEM_BENCH_BOOTS (3),
#   GPUMEM_BENCH_OUT (/var/cache/gpumem/bench-vm)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/vm/lib.sh"

rounds=${GPUMEM_BENCH_ROUNDS:-5}
create_pairs=${GPUMEM_BENCH_CREATE_PAIRS:-3000}
import_pairs=${GPUMEM_BENCH_IMPORT_PAIRS:-50000}
boots=${GPUMEM_BENCH_BOOTS:-3}
out=${GPUMEM_BENCH_OUT:-/var/cache/gpumem/bench-vm}
mkdir -p "$out/bin"

export VM_SMP=1
declare -A kernel
kernel[patched]=$(vm_kernel)
kernel[unpatched]=$(vm_kernel --unpatched)
vm_cc "$out/bin/gembench" "$VM_ROOT/bench/vm/gembench.c"
cat > "$out/10-gembench.sh" <<EOF
#!/bin/sh
for t in off on off; do
	gembench create \$t $rounds $create_pairs || exit 1
	gembench import \$t $rounds $import_pairs || exit 1
done
EOF
vm_initrd "$out/initrd.gz" "$out/root" "$out/bin/gembench" "$out/10-gembench.sh"

vm_bench_boots "$out" "$boots" 600 \
	's/^GPUMEM: bench op=\([a-z]*\) trace=\([a-z]*\) round=[0-9]* ns_per_pair=\([0-9]*\).*/$k \1 \2 \3/p'
results="$out/results.txt"

awk -v rounds="$rounds" -v boots="$boots" '
function stat(key, which,    v, n, i, j, t) {
	n = split(vals[key], v, " ")
	if (!n)
		return 0
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return which == "min" ? v[1] : v[int((n + 1) / 2)]
}
function ratio(a, b, what) {
	if (stat(a, "min") && stat(b, "min"))
		printf "%-44s min %.3fx, median %.3fx\n", what,
		       stat(a, "min") / stat(b, "min"), stat(a, "med") / stat(b, "med")
}
{ vals[$1 " " $2 " " $3] = vals[$1 " " $2 " " $3] " " $4 }
END {
	printf "%d boots per kernel, %d rounds per mode and boot (off twice)\n",
	       boots, rounds
	printf "%-10s %-7s %-5s %12s %12s\n", "kernel", "op", "trace",
	       "min ns/pair", "median"
	for (key in vals) {
		split(key, f, " ")
		printf "%-10s %-7s %-5s %12d %12d\n", f[1], f[2], f[3],
		       stat(key, "min"), stat(key, "med")
	}
	split("create import", ops, " ")
	for (i = 1; i <= 2; i++) {
		ratio("patched " ops[i] " off", "unpatched " ops[i] " off",
		      ops[i] ": patched/unpatched, nobody listening")
		ratio("patched " ops[i] " on", "patched " ops[i] " off",
		      ops[i] ": patched, tracepoint on/off")
	}
	print "goal: patched/unpatched <= 1.02x with nobody listening"
}' "$results"
