#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Handle churn under contention (bench/vm/churn.c) on the patched and the
# unpatched kernel, 2 vCPUs (both run: CONFIG_SMP and CONFIG_ACPI, and
# the guest checks its count, tests/vm/init.sh), nobody listening to the
# tracepoint: N = 1, 2, 4 threads of one process and N processes, each on
# its own vgem file, creating and closing buffers (create), closing files
# that hold 64 buffers (close) and importing one shared buffer (import).
# The kernels boot GPUMEM_BENCH_BOOTS times each, alternating, so that
# drift of the shared host does not bias one kernel.  Prints the median
# ns per pair per kernel and case, and the ratios patched/unpatched
# measured in this run.
# Asserts nothing: wall clock under TCG.
#
# The guest clock ticks every 4 ms: a round must last far longer (import
# pairs are ~15 us under TCG, so import needs ~20000 pairs).
#
# GPUMEM_BENCH_AA=1 boots the patched kernel in both columns: the ratios
# are then this rig's own spread, the least a patched/unpatched ratio
# must differ from 1 by to say anything (kernel/README.md).
#
# Environment: GPUMEM_BENCH_PAIRS (2000), GPUMEM_BENCH_ROUNDS (5),
#   GPUMEM_BENCH_BOOTS (2), GPUMEM_BENCH_OPS ("create close import"),
#   GPUMEM_BENCH_AA (0), GPUMEM_BENCH_OUT (/var/cache/gpumem/bench-churn)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/vm/lib.sh"

pairs=${GPUMEM_BENCH_PAIRS:-2000}
rounds=${GPUMEM_BENCH_ROUNDS:-5}
boots=${GPUMEM_BENCH_BOOTS:-2}
ops=${GPUMEM_BENCH_OPS:-create close import}
out=${GPUMEM_BENCH_OUT:-/var/cache/gpumem/bench-churn}
mkdir -p "$out/bin"

export VM_SMP=2
declare -A kernel
kernel[patched]=$(vm_kernel)
kernel[unpatched]=$(vm_kernel --unpatched)
if [ "${GPUMEM_BENCH_AA:-0}" = 1 ]; then
	kernel[unpatched]=${kernel[patched]}
	echo "A/A: the patched kernel in both columns"
fi
vm_cc "$out/bin/churn" "$VM_ROOT/bench/vm/churn.c"
cat > "$out/10-churn.sh" <<EOF
#!/bin/sh
for op in $ops; do
	for mode in threads procs; do
		for n in 1 2 4; do
			churn \$op \$mode \$n $pairs $rounds || exit 1
		done
	done
done
EOF
vm_initrd "$out/initrd.gz" "$out/root" "$out/bin/churn" "$out/10-churn.sh"

vm_bench_boots "$out" "$boots" 900 \
	's/^GPUMEM: churn op=\([a-z]*\) mode=\([a-z]*\) n=\([0-9]*\) round=[0-9]* ns_per_pair=\([0-9]*\).*/$k \1 \2 \3 \4/p'
results="$out/results.txt"

awk -v rounds="$rounds" -v boots="$boots" '
function median(key,    v, n, i, j, t) {
	n = split(vals[key], v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n ? v[int((n + 1) / 2)] : 0
}
# a round of 0 ns is the guest clock standing still (seen under -icount)
$5 == 0 { stood++; next }
{ vals[$1 " " $2 " " $3 " " $4] = vals[$1 " " $2 " " $3 " " $4] " " $5 }
END {
	printf "%d boots per kernel, %d rounds each; median ns per pair (per worker)\n",
	       boots, rounds
	if (stood)
		printf "%d rounds read 0 ns (the guest clock stood still): left out\n",
		       stood
	printf "%-7s %-8s %2s %12s %12s %8s\n", "op", "mode", "n", "unpatched",
	       "patched", "ratio"
	split("create close import", ops, " ")
	split("threads procs", modes, " ")
	for (o = 1; o <= 3; o++)
		for (m = 1; m <= 2; m++)
			for (n = 1; n <= 4; n *= 2) {
				k = ops[o] " " modes[m] " " n
				u = median("unpatched " k)
				p = median("patched " k)
				if (u && p)
					printf "%-7s %-8s %2d %12d %12d %7.3fx\n",
					       ops[o], modes[m], n, u, p, p / u
			}
	print "goal: <= 1.05x at n = 4, <= 1.02x at n = 1 (nobody listening)"
}' "$results"
