#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumemd under the patched kernel: it loads the BPF collector itself, and
# its /metrics at every workload step equal the workload's truth (each
# process's GPU and dma-buf rss and pss, each device's total); kill -9 and
# a restart adopt the pins and no event counter goes backwards (the
# history's gap after a restart: tests/daemon/test_load.py).  gpumemd is the host's dynamic build, run
# through the dynamic loader with its libraries beside it in /bin
# (tests/run.sh puts them there).
T=/tmp/gmd55
mkdir -p $T
. /tests/common.inc

if [ ! -x /bin/gpumemd ] || [ ! -x /bin/ld-linux-x86-64.so.2 ]; then
	echo "ok - gpumemd # SKIP gpumemd not in the VM"
	exit 0
fi
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
PORT=20226

# exec: started with &, $! is the daemon itself (kill -9 must reach it).
gpumemd() { exec /bin/ld-linux-x86-64.so.2 --library-path /bin /bin/gpumemd "$@"; }
# (busybox 1.35's wget -T crashes: no timeout, the daemon answers at once)
metrics() { wget -q -O - http://127.0.0.1:$PORT/metrics 2>/dev/null; }
events() { metrics | awk '$1 == "gpumem_collector_events_total" { print $2 }'; }

# start NAME: gpumemd sampling (and indexing) every 0.2 s, up when /metrics is.
start() {
	(gpumemd -f --socket $T/sock --listen 127.0.0.1:$PORT --interval 0.2 \
		--index-interval 0.2 > $T/log.$1 2>&1) &
	GPID=$!
	i=0
	while ! metrics > /dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	metrics > /dev/null
}

# Mismatches between $T/truth (this step) and $T/m (a scrape), one a line.
# With the collector loaded the device totals are known, so pss is exact;
# rss on a card is the collector's (rss_tp) where it has the pid, else the
# shares' (gpumemcheck.c judges which one libgpumem took).
mismatches() {
	awk -v base="$BASE" '
	BEGIN {
		n = split(base, b, " ")
		for (i = 1; i < n; i += 2) dev[b[i]] = b[i + 1]
	}
	function kv(   i, f) {
		delete t
		for (i = 3; i <= NF; i++) { split($i, f, "="); t[f[1]] = f[2] }
	}
	FNR == NR && / gpushare pid=/ {
		kv(); k = t["pid"] SUBSEP "card" t["gpu"]
		keys[k] = 1; nshares++
		want[k, "rss"] = t["rss_tp"]; spare[k, "rss"] = 0; alt[k] = t["rss"]
		want[k, "pss"] = t["pss"]; spare[k, "pss"] = t["spare"]
		next
	}
	FNR == NR && / gpumem pid=/ {
		kv(); k = t["pid"] SUBSEP "dmabuf"
		keys[k] = 1
		want[k, "rss"] = t["dmabuf_rss"]; spare[k, "rss"] = 0
		want[k, "pss"] = t["dmabuf_pss"]; spare[k, "pss"] = t["dmabuf_spare"]
		next
	}
	FNR == NR && / gpu=[0-9]+ pid=0 / {
		split($3, g, "="); split($5, v, "=")
		wdev[g[2]] = v[2] + dev[g[2]]
		next
	}
	FNR == NR { next }
	/^gpumem_process_(gpu_memory|dmabuf)_bytes\{/ {
		match($0, /pid="[0-9a-z]+"/); p = substr($0, RSTART + 5, RLENGTH - 6)
		match($0, /share="[a-z_]+"/); s = substr($0, RSTART + 7, RLENGTH - 8)
		c = "dmabuf"
		if (match($0, /card="[a-z0-9]+"/))
			c = substr($0, RSTART + 6, RLENGTH - 7)
		got[p SUBSEP c, s] += $NF
	}
	/^gpumem_device_memory_bytes\{/ {
		match($0, /card="card[0-9]+"/); c = substr($0, RSTART + 10, RLENGTH - 11)
		gdev[c] = $NF
	}
	END {
		if (!nshares)
			print "no gpushare truth in this step"
		for (k in keys)
			for (i = 0; i < 2; i++) {
				s = i ? "pss" : "rss"; w = want[k, s]; x = got[k, s] + 0
				if (s == "rss" && k in alt && x == alt[k])
					continue
				if (x < w || x > w + spare[k, s]) {
					split(k, kk, SUBSEP)
					print "pid " kk[1] " " kk[2] " " s ": " x ", want " w
				}
			}
		for (c in wdev)
			if (gdev[c] + 0 != wdev[c])
				print "card" c ": " gdev[c] + 0 ", want " wdev[c]
	}' $T/truth $T/m
}

# A step settles within 5 s (virtio-gpu frees complete late, a sample is
# taken every 0.2 s).
check_step() {
	CHECKED=$((CHECKED + 1))
	i=0
	while [ $i -lt 50 ]; do
		metrics > $T/m
		[ -z "$(mismatches)" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "# step $1: gpumemd's metrics vs the truth:"
	mismatches | sed 's/^/#   /' | head -8
	BAD="$BAD $1"
}

every_step() { check_step "$1"; }

gpumem bpf unload 2>/dev/null
if ! start first; then
	say 1 "gpumemd: serves /metrics in the VM"
	sed 's/^/# /' $T/log.first
	kill $GPID
	exit 1
fi
say 0 "gpumemd: serves /metrics in the VM"
grep -q "collector: loaded" $T/log.first
say $? "gpumemd: loads and pins the collector: $(grep collector: $T/log.first)"
metrics | grep -q '^gpumem_source_up{source="bpf-pins"} 1$'
say $? "gpumemd: reads the collector's pins (source up)"

for sc in basic holders prime dmabuf; do
	check_scenario gpumemd $sc /metrics
done

before=$(events)
[ "${before:-0}" -gt 0 ]
say $? "gpumemd: the collector counted $before events"
kill -9 $GPID
wait $GPID 2>/dev/null
start again
say $? "gpumemd: restarts after kill -9 on the stale socket"
grep -q "collector: adopted the pins" $T/log.again
say $? "gpumemd: the restart adopts the pins: $(grep collector: $T/log.again)"
after=$(events)
[ "${after:-0}" -ge "${before:-1}" ]
say $? "gpumemd: no event counter goes backwards ($before, then $after)"
check_scenario "gpumemd (restarted)" basic /metrics
kill $GPID
wait $GPID
say $? "gpumemd: SIGTERM, exit 0"

# Killed between its pins, a load leaves maps that nothing feeds.
rm /sys/fs/bpf/gpumem/link
start half
grep -q "died half-way, removed" $T/log.half && grep -q "collector: loaded" $T/log.half &&
	[ -e /sys/fs/bpf/gpumem/link ]
say $? "gpumemd: removes a half-made pin set and loads: $(grep collector: $T/log.half | tr '\n' ' ')"
check_scenario "gpumemd (after a half load)" basic /metrics
kill $GPID
wait $GPID
gpumem bpf unload
