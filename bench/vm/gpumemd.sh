#!/bin/bash
# SPDX-License-Identifier: MIT
#
# gpumemd live, as it runs in production: root, the patched kernel, the
# BPF collector loaded, /proc itself (discovery by the task_file
# iterator), default intervals (a refresh a second, a full sample every
# 10 s), every process its series.  GPUMEM_BENCH_PROCS processes
# (bench/vm/holders.c) each hold a virtio-gpu file with one resource, that
# resource as a mapped dma-buf, and ordinary fds up to 20.  Printed: the
# daemon's CPU per second of sampling over GPUMEM_BENCH_SECONDS (goal
# <= 1% of a core), its CPU per scrape over 200 scrapes (goal 1 ms) and
# its RSS (goal 4 MiB; in the VM, whose files are all in RAM, the
# libraries count as shared memory).
#
# QEMU runs under TCG here (the hypervisor's CPUID signature says which:
# nested KVM on this host is slower still, tests/vm/lib.sh), where a guest
# instruction costs many host ones.  So the same gpumemd also samples
# bench_scan's 1,000-process --root tree, in the VM and then on the host:
# the ratio of the two is this run's TCG factor for gpumemd's own mix of
# syscalls and parsing, and the live figure over it estimates what a
# machine would spend.  An estimate, said as one; one run; nothing is
# asserted.
#
# Environment: GPUMEM_BENCH_PROCS (1000), GPUMEM_BENCH_SECONDS (30),
#   GPUMEM_BENCH_OUT (/var/cache/gpumem/bench-gpumemd), BUILD (build: a
#   meson build dir with src/gpumemd and bench/bench_scan)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/vm/lib.sh"

procs=${GPUMEM_BENCH_PROCS:-1000}
secs=${GPUMEM_BENCH_SECONDS:-30}
out=${GPUMEM_BENCH_OUT:-/var/cache/gpumem/bench-gpumemd}
build=${BUILD:-build}
warm=25
mkdir -p "$out/bin"

ninja -C "$build" src/gpumemd bench/bench_scan >/dev/null ||
	vm_die "building gpumemd and bench_scan failed"
kernel=$(vm_kernel)
vm_cc "$out/bin/holders" "$VM_ROOT/bench/vm/holders.c"
bins=$(vm_gpumemd_bins "$build/src/gpumemd" "$out/gpumemd")
data=$(mktemp -d /dev/shm/gpumem-bench-gpumemd-XXXXXX)
trap 'rm -rf "$data"' EXIT
"$build/bench/bench_scan" --tree "$data/tree" 1000 20 >/dev/null

# The --root run's options, the same in the VM and on the host.
root_opts="-f --root TREE --socket SOCK --listen 127.0.0.1:20227 --interval 1 --max-process-series 1000 --no-collector"

cat > "$out/10-gpumemd.sh" <<EOF
#!/bin/sh
T=/tmp/bench
mkdir -p \$T /sys/fs/bpf
grep -qs ' /sys/fs/bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
# utime + stime of pid, in ticks of 1/100 s
ticks() { set -- \$(cat /proc/\$1/stat); echo \$((\${14} + \${15})); }
kib() { awk -v k="\$2:" '\$1 == k { print \$2 }' /proc/\$1/status; }
gpumemd() { exec /bin/ld-linux-x86-64.so.2 --library-path /bin /bin/gpumemd "\$@"; }
up() {
	i=0
	while ! wget -q -O \$T/m http://127.0.0.1:\$1/metrics 2>/dev/null && [ \$i -lt 600 ]; do
		sleep 0.5; i=\$((i + 1))
	done
}
mkfifo \$T/hold
holders $procs 20 < \$T/hold > \$T/holders &
exec 3> \$T/hold
i=0
while ! grep -q ready \$T/holders && [ \$i -lt 600 ]; do sleep 0.5; i=\$((i + 1)); done
echo "bench \$(cat \$T/holders)"
(gpumemd -f --socket \$T/sock --listen 127.0.0.1:20226 \\
	--max-process-series $procs > \$T/log 2>&1) &
G=\$!
up 20226
sleep $warm
echo "bench series=\$(grep -c '^gpumem_process_gpu_memory_bytes{' \$T/m)"
c0=\$(ticks \$G)
sleep $secs
c1=\$(ticks \$G)
echo "bench live cpu_ticks=\$((c1 - c0))"
c0=\$(ticks \$G)
n=0
while [ \$n -lt 200 ]; do wget -q -O \$T/m http://127.0.0.1:20226/metrics; n=\$((n + 1)); done
c1=\$(ticks \$G)
echo "bench scrapes=200 cpu_ticks=\$((c1 - c0)) bytes=\$(wc -c < \$T/m)"
echo "bench rss_kib=\$(kib \$G VmRSS) anon_kib=\$(kib \$G RssAnon)"
grep -i 'collector\\|error' \$T/log | head -3 | sed 's/^/bench log: /'
kill \$G
exec 3>&-
wait \$G 2>/dev/null
opts=\$(echo "$root_opts" | sed "s|TREE|/data/tree|; s|SOCK|\$T/sock2|")
(gpumemd \$opts > \$T/log2 2>&1) &
G=\$!
up 20227
sleep $warm
c0=\$(ticks \$G)
sleep $secs
c1=\$(ticks \$G)
echo "bench root cpu_ticks=\$((c1 - c0))"
kill \$G
EOF
vm_initrd "$out/initrd.gz" "$out/root" "$out/bin/holders $bins" \
	"$out/10-gpumemd.sh" "$data"

# The host's figure for the --root tree first: the VM would load it.
opts=${root_opts/TREE/$data/tree}
# shellcheck disable=SC2086
"$build/src/gpumemd" ${opts/SOCK/$data/sock} 2>/dev/null &
host=$!
sleep "$warm"
host_ticks() { awk '{ print $14 + $15 }' "/proc/$host/stat"; }
c0=$(host_ticks)
sleep "$secs"
c1=$(host_ticks)
kill "$host"
echo "host root cpu_ticks=$((c1 - c0))" > "$out/host.txt"

log="$out/console.log"
vm_note "booting the patched kernel with $procs holders"
vm_boot "$kernel" "$out/initrd.gz" "$log" 900 "gpumem.timeout=800" ||
	vm_die "the VM failed (see $log)"
grep -q GPUMEM-SUITE-END "$log" || vm_die "the VM did not finish (see $log)"
sed -n 's/^GPUMEM: bench //p' "$log" > "$out/results.txt"
cat "$out/host.txt" "$out/results.txt"
awk -v secs="$secs" -v hz="$(getconf CLK_TCK)" '
function val(k,    i, f) {
	for (i = 1; i <= NF; i++) { split($i, f, "="); if (f[1] == k) return f[2] }
}
FNR == NR { host = val("cpu_ticks") / hz / secs; next }
/^holders ready/ {
	accel = val("hypervisor") == "KVMKVMKVM" ? "KVM" : "TCG"
	failed = val("failed")
}
/^live / { live = val("cpu_ticks") / 100 / secs }
/^root / { root = val("cpu_ticks") / 100 / secs }
/^scrapes=/ { scrape = val("cpu_ticks") / 100 / val("scrapes") }
/^rss_kib=/ { rss = val("rss_kib"); anon = val("anon_kib") }
END {
	if (failed)
		printf "warning: %d holders failed to set up\n", failed
	printf "QEMU: %s\n", accel
	printf "in the VM, live: CPU per second of sampling %.3f%% of a core, a scrape %.3f ms, RSS %d KiB (anon %d)\n",
	       live * 100, scrape * 1e3, rss, anon
	printf "the --root tree: %.3f%% in the VM, %.3f%% on the host\n",
	       root * 100, host * 100
	if (host > 0 && root > 0) {
		f = root / host
		printf "TCG factor (VM over host, the --root tree): %.1fx\n", f
		printf "live, estimated for this host: CPU per second of sampling %.3f%% of a core (goal 1%%: %.2fx), a scrape %.3f ms (goal 1 ms: %.2fx)\n",
		       live / f * 100, live / f / 0.01, scrape / f * 1e3,
		       scrape / f / 1e-3
	}
}' "$out/host.txt" "$out/results.txt"
