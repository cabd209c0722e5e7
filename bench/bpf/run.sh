#!/bin/bash
# SPDX-License-Identifier: MIT
#
# BPF benchmark in the VM (patched kernel).  Prints ratios from one run.
#
#  1. Per-event cost: bench/vm/gembench's "share" loop (PRIME import of a
#     buffer into a file of a process that holds no handle to it, then
#     GEM_CLOSE: two gpu_mem_total events per pair, no host command) with
#     no program, with the Android-equivalent program (classic tracepoint
#     + hash update, android_gpu_mem.bpf.c) and with ours; the added cost
#     of a program is (its time per pair - no program's) / events per pair,
#     from the median round (the collector's mirror timer runs once a
#     millisecond: the minimum round may have missed it) and the minimum.
#     "grow" runs the same with a second buffer held: the key stays.
#     QEMU runs with -icount shift=0,sleep=off and the guest clocksource is
#     the TSC: guest time advances exactly one nanosecond per guest
#     instruction, so a "ns" here is an instruction retired by the guest,
#     the same in every run whatever the host's load (wall clock under TCG
#     drifts by more than a program costs).  Instructions are not cycles:
#     a cache miss or a locked instruction counts as one.
#     Also run_time_ns/run_cnt of each program (kernel.bpf_stats_enabled=1),
#     in the same instruction units: the program alone, without the path
#     that leads to it (the classic tracepoint's perf record).
#  2. Query: GPUMEM_BENCH_PROCS processes holding a buffer; every figure
#     read from the pins (gpumem_tp_read) against a full fdinfo snapshot.
#     Timed by the same instruction clock.
#
# Environment: GPUMEM_BENCH_ROUNDS (5), GPUMEM_BENCH_PAIRS (5000),
#   GPUMEM_BENCH_PROCS (1000), GPUMEM_BENCH_OUT (/var/cache/gpumem/bench-bpf)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/vm/lib.sh"

rounds=${GPUMEM_BENCH_ROUNDS:-5}
pairs=${GPUMEM_BENCH_PAIRS:-5000}
procs=${GPUMEM_BENCH_PROCS:-1000}
out=${GPUMEM_BENCH_OUT:-/var/cache/gpumem/bench-bpf}
static="$VM_ROOT/build-static"
modes=${GPUMEM_BENCH_MODES:-"none android tp_btf raw_tp tp_btf_trace"}
ops=${GPUMEM_BENCH_OPS:-"share grow"}
mkdir -p "$out/bin"

if [ ! -f "$static/build.ninja" ]; then
	meson setup "$static" -Ddefault_library=static -Dprefer_static=true \
		-Dc_link_args=-static -Dtests=disabled >&2
fi
ninja -C "$static" src/gpumem bench/bpf/bpfbench >&2
kernel=$(vm_kernel)
vm_cc "$out/bin/gembench" "$VM_ROOT/bench/vm/gembench.c"
cat > "$out/10-bpfbench.sh" <<EOF
#!/bin/sh
echo "# clocksource \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
mount -t bpf bpf /sys/fs/bpf
mkdir -p /etc && echo gpumem:x:1500: >> /etc/group
load() {
	tracer=
	case \$1 in
	none) ;;
	android) bpfbench android-load /sys/fs/bpf/bench-android || exit 1 ;;
	tp_btf|raw_tp) gpumem bpf load --attach \$1 > /dev/null || exit 1 ;;
	tp_btf_trace)
		gpumem bpf load --attach tp_btf > /dev/null || exit 1
		gpumem trace > /dev/null &
		tracer=\$!
		sleep 1 ;;
	esac
}
unload() {
	[ -z "\$tracer" ] || { kill \$tracer; wait \$tracer; }
	rm -f /sys/fs/bpf/bench-android
	gpumem bpf unload 2> /dev/null
}
# Timed with bpf_stats off (it costs two clock reads per run), then a
# short run with it on for the program's own run time.
mode() {
	load \$1
	gembench \$2 off $rounds $pairs |
		sed -n "s/^bench op=\$2 trace=off min_ns_per_pair=\([0-9]*\) median_ns_per_pair=/bench op=\$2 mode=\$1 min=\1 median=/p"
	echo 1 > /proc/sys/kernel/bpf_stats_enabled
	gembench \$2 off 1 $((pairs / 5)) > /dev/null
	echo 0 > /proc/sys/kernel/bpf_stats_enabled
	bpfbench stats | sed -n "s/^prog \\(android_gpu_mem\\|gm_tp_btf\\|gm_raw_tp\\)/bpfstat op=\$2 mode=\$1 prog \\1/p"
	unload
}
# A first run pays for first-time allocations: not measured.
gembench share off 1 $pairs > /dev/null
for op in $ops; do
	for m in $modes; do mode \$m \$op; done
done
bpfbench hold $procs > /tmp/hold.out 2>&1 &
hold=\$!
while ! grep -q held /tmp/hold.out; do sleep 1; done
gpumem bpf load > /dev/null
sleep 1
bpfbench query 5
gpumem bpf unload
kill -- -\$hold
EOF
vm_initrd "$out/initrd.gz" "$out/root" \
	"$out/bin/gembench $static/src/gpumem $static/bench/bpf/bpfbench" \
	"$out/10-bpfbench.sh"
log="$out/console.log"
VM_SMP=1 VM_QEMU_ARGS="-icount shift=0,sleep=off" \
	vm_boot "$kernel" "$out/initrd.gz" "$log" 1200 \
	"clocksource=tsc tsc=reliable gpumem.timeout=1000" ||
	vm_die "VM failed (see $log)"
grep -q GPUMEM-SUITE-END "$log" || vm_die "VM did not finish (see $log)"
grep -E "^GPUMEM: (# clocksource|bench|bpfstat|query)" "$log" |
	sed 's/^GPUMEM: //; s/\r$//' > "$out/results.txt"
grep -qE "^# clocksource tsc(-early)?$" "$out/results.txt" ||
	vm_die "the guest clock is not the TSC: $(head -1 "$out/results.txt")"

awk -v pairs="$pairs" -v modes="$modes" -v ops="$ops" '
function kv(    i, f) {
	delete r
	for (i = 2; i <= NF; i++) { split($i, f, "="); r[f[1]] = f[2] }
}
/^bench/ { kv(); min[r["op"], r["mode"]] = r["min"]; med[r["op"], r["mode"]] = r["median"] }
/^bpfstat/ { kv(); cnt[r["op"], r["mode"]] = $7; rt[r["op"], r["mode"]] = $9 }
/^query/ { kv(); for (k in r) q[k] = r[k] }
END {
	printf "guest instructions (-icount shift=0: 1 ns = 1 instruction)\n"
	n = split(modes, m, " ")
	no = split(ops, o, " ")
	for (j = 1; j <= no; j++) {
		op = o[j]
		ev = int(cnt[op, "tp_btf"] / (pairs / 5 + pairs / 50 + 1) + 0.5)
		printf "\n%s: %d events per pair\n", op, ev
		if (!ev)
			ev = 2
		printf "%-13s %10s %10s %18s %14s\n", "mode", "min/pair",
		       "median", "added/event median", "bpf_stats/run"
		for (i = 1; i <= n; i++) {
			k = op SUBSEP m[i]
			add[k] = (med[k] - med[op, "none"]) / ev
			addmin[k] = (min[k] - min[op, "none"]) / ev
			printf "%-13s %10d %10d %18.1f %14s\n", m[i], min[k], med[k],
			       add[k], cnt[k] ? sprintf("%.1f", rt[k] / cnt[k]) : "-"
		}
		if (add[op, "android"] > 0 && addmin[op, "android"] > 0)
			for (i = 1; i <= n; i++)
				if (m[i] != "none" && m[i] != "android")
					printf "%s: added cost %s / android: %.2f median, %.2f min (goal <= 0.7)\n",
					       op, m[i], add[op, m[i]] / add[op, "android"],
					       addmin[op, m[i]] / addmin[op, "android"]
	}
	if (q["pins_ns"])
		printf "\nquery: %d keys from pins %d, full scan of %d processes %d: %.0fx (goal >= 20x)\n",
		       q["keys"], q["pins_ns"], q["processes"], q["scan_ns"],
		       q["scan_ns"] / q["pins_ns"]
}' "$out/results.txt"
