#!/bin/bash
# SPDX-License-Identifier: MIT
#
# gpumemd live, as it runs in production: root, the patched kernel, the
# BPF collector loaded, /proc itself (discovery by the task_file
# iterator), default intervals (a refresh a second, a full sample every
# 10 s), every process its series.  GPUMEM_BENCH_PROCS processes
# (bench/vm/holders.c) each hold a virtio-gpu file with one buffer, that
# buffer as a mapped dma-buf, and ordinary fds up to 20.  Printed: the
# daemon's CPU per second of sampling over GPUMEM_BENCH_SECONDS (goal
# <= 1% of a core), the daemon's CPU per scrape over 200 scrapes (goal
# 1 ms), its RSS (goal 4 MiB) and whether QEMU ran under KVM or TCG (the
# guest's CPUID): under TCG every guest instruction costs many host ones,
# so only KVM's figures say what a machine would see.  One run; nothing
# is asserted.
#
# Environment: GPUMEM_BENCH_PROCS (1000), GPUMEM_BENCH_SECONDS (30),
#   GPUMEM_BENCH_OUT (/var/cache/gpumem/bench-gpumemd), BUILD (build: a
#   meson build dir with src/gpumemd)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/vm/lib.sh"

procs=${GPUMEM_BENCH_PROCS:-1000}
secs=${GPUMEM_BENCH_SECONDS:-30}
out=${GPUMEM_BENCH_OUT:-/var/cache/gpumem/bench-gpumemd}
build=${BUILD:-build}
mkdir -p "$out/bin"

ninja -C "$build" src/gpumemd >/dev/null || vm_die "building gpumemd failed"
kernel=$(vm_kernel)
vm_cc "$out/bin/holders" "$VM_ROOT/bench/vm/holders.c"
bins=$(vm_gpumemd_bins "$build/src/gpumemd" "$out/gpumemd")
cat > "$out/10-gpumemd.sh" <<EOF
#!/bin/sh
T=/tmp/bench
mkdir -p \$T /sys/fs/bpf
grep -qs ' /sys/fs/bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
# utime + stime of pid, in ticks of 1/100 s
ticks() { set -- \$(cat /proc/\$1/stat); echo \$((\${14} + \${15})); }
kib() { awk -v k="\$2:" '\$1 == k { print \$2 }' /proc/\$1/status; }
mkfifo \$T/hold
holders $procs 20 < \$T/hold > \$T/holders &
exec 3> \$T/hold
i=0
while ! grep -q ready \$T/holders && [ \$i -lt 600 ]; do sleep 0.5; i=\$((i + 1)); done
echo "bench \$(cat \$T/holders)"
/bin/ld-linux-x86-64.so.2 --library-path /bin /bin/gpumemd -f \\
	--socket \$T/sock --listen 127.0.0.1:20226 \\
	--max-process-series $procs > \$T/log 2>&1 &
G=\$!
i=0
while ! wget -q -O \$T/m http://127.0.0.1:20226/metrics 2>/dev/null && [ \$i -lt 600 ]; do
	sleep 0.5; i=\$((i + 1))
done
sleep 25
series=\$(grep -c '^gpumem_process_gpu_memory_bytes{' \$T/m)
echo "bench series=\$series discovery=\$(grep -o 'discovery=[a-z]*' \$T/log | tail -1)"
c0=\$(ticks \$G)
sleep $secs
c1=\$(ticks \$G)
echo "bench gpumemd cpu_ticks=\$((c1 - c0)) seconds=$secs"
c0=\$(ticks \$G)
t0=\$(cut -d' ' -f1 /proc/uptime)
n=0
while [ \$n -lt 200 ]; do wget -q -O \$T/m http://127.0.0.1:20226/metrics; n=\$((n + 1)); done
c1=\$(ticks \$G)
t1=\$(cut -d' ' -f1 /proc/uptime)
echo "bench scrapes=200 cpu_ticks=\$((c1 - c0)) wall_s=\$(awk -v a=\$t0 -v b=\$t1 'BEGIN { print b - a }') bytes=\$(wc -c < \$T/m)"
echo "bench rss_kib=\$(kib \$G VmRSS) anon_kib=\$(kib \$G RssAnon) file_kib=\$(kib \$G RssFile)"
grep -i 'collector\|error' \$T/log | head -5 | sed 's/^/bench log: /'
kill \$G
exec 3>&-
EOF
vm_initrd "$out/initrd.gz" "$out/root" "$out/bin/holders $bins" "$out/10-gpumemd.sh"
log="$out/console.log"
vm_note "booting the patched kernel with $procs holders"
vm_boot "$kernel" "$out/initrd.gz" "$log" 900 "gpumem.timeout=800" ||
	vm_die "the VM failed (see $log)"
grep -q GPUMEM-SUITE-END "$log" || vm_die "the VM did not finish (see $log)"
sed -n 's/^GPUMEM: bench //p' "$log" > "$out/results.txt"
cat "$out/results.txt"
awk -v secs="$secs" '
function val(k,    i, f) {
	for (i = 1; i <= NF; i++) { split($i, f, "="); if (f[1] == k) return f[2] }
}
/^holders ready/ { accel = val("hypervisor") == "KVMKVMKVM" ? "KVM" : "TCG (figures inflated)" }
/^gpumemd cpu_ticks=/ { cpu = val("cpu_ticks") / 100 / secs }
/^scrapes=/ { scrape = val("cpu_ticks") / 100 / val("scrapes"); wall = val("wall_s") }
/^rss_kib=/ { rss = val("rss_kib"); anon = val("anon_kib"); file = val("file_kib") }
END {
	printf "QEMU: %s\n", accel
	printf "CPU per second of sampling: %.3f%% of a core (goal 1%%: %.2fx)\n",
	       cpu * 100, cpu / 0.01
	printf "one scrape: daemon CPU %.3f ms (ticks of 10 ms over 200; goal 1 ms: %.2fx)\n",
	       scrape * 1e3, scrape / 1e-3
	printf "RSS %d KiB (anon %d, file %d; goal 4096 KiB: %.2fx)\n",
	       rss, anon, file, rss / 4096
}' "$out/results.txt"
