#!/bin/sh
# SPDX-License-Identifier: MIT
# A capture reproduces an explain: at one quiet moment, gpumem --capture of
# the live system first, then gpumem explain --root of that capture, then
# gpumem explain of the live system at once.  The two tables must have the
# same lines, in the same order, and each line's bytes must agree within
# what a live system moves between two reads (below).  The truth is the
# live system itself, read by the same code a moment later.  Also: the
# capture is complete, its files are 0600 and its directories 0700, and it
# holds the workload's GPU memory (a workload holding buffers runs
# meanwhile, so the GPU and dma-buf lines are not empty).
# Runs after 05-explain (quiet machine) and before the stress tests.
if ! command -v gpumem >/dev/null; then
	echo "ok - explain-capture # SKIP gpumem not in the VM"
	exit 0
fi
. /tests/common.inc

# Per-cpu vmstat deltas are folded into the global counters first (SMP).
settle() {
	sync
	sleep 1
	[ -w /proc/sys/vm/stat_refresh ] && echo 1 >/proc/sys/vm/stat_refresh
	:
}

# table FILE ARGS...: "name<TAB>bytes" of each line, as 05-explain reads it.
table() {
	f=$1
	shift
	gpumem explain --bytes "$@" >/tmp/xc.txt 2>/tmp/xc.err || return 1
	awk '{ n = substr($0, 14, 34); b = substr($0, 49, 14)
	       gsub(/^ +| +$/, "", n); gsub(/ /, "", b)
	       if (b ~ /^-?[0-9]+$/) print n "\t" b }' /tmp/xc.txt >"$f"
}

# Something on the GPUs and in dma-bufs while we look: the workload's
# "share" scenario (--sync: it waits for a byte after each step) is held
# at the step where a dumb buffer is exported, held by fd and mapped.
rm -f /tmp/xc.go
mkfifo /tmp/xc.go
workload --sync --seed 6 share </tmp/xc.go >/tmp/xc.workload 2>&1 &
wpid=$!
exec 7>/tmp/xc.go
acked=0
i=0
while ! grep -q '^end .*what=export' /tmp/xc.workload &&
      kill -0 $wpid 2>/dev/null && [ $i -lt 600 ]; do
	if [ "$(grep -c '^end ' /tmp/xc.workload)" -gt $acked ]; then
		printf x >&7
		acked=$((acked + 1))
	fi
	sleep 0.1
	i=$((i + 1))
done
grep -q '^end .*what=export' /tmp/xc.workload
say $? "explain-capture: the workload holds its buffers"

rm -rf /tmp/xc.cap /tmp/xc.captured /tmp/xc.live
settle
gpumem --capture /tmp/xc.cap 2>/tmp/xc.cerr
say $? "explain-capture: gpumem --capture of the live system (exit 0)"
table /tmp/xc.captured --root /tmp/xc.cap
cap_rc=$?
table /tmp/xc.live
live_rc=$?
sed 's/^/# capture: /' /tmp/xc.cerr
head -c 2000 /tmp/xc.cap/gpumem-capture | sed 's/^/# manifest: /'
[ -e /tmp/xc.cap/PARTIAL ] && sed 's/^/# PARTIAL: /' /tmp/xc.cap/PARTIAL
say $cap_rc "explain-capture: gpumem explain --root CAPTURE (exit 0)"
say $live_rc "explain-capture: gpumem explain of the live system (exit 0)"
[ -e /tmp/xc.cap/gpumem-capture ] && [ ! -e /tmp/xc.cap/PARTIAL ]
say $? "explain-capture: the capture is complete"
loose=$(find /tmp/xc.cap \( -type f ! -perm 600 \) -o \
	\( -type d ! -perm 700 \) | head -1)
[ -z "$loose" ]
say $? "explain-capture: files 0600, directories 0700${loose:+ (not: $loose)}"

cut -f1 /tmp/xc.captured >/tmp/xc.names.cap
cut -f1 /tmp/xc.live >/tmp/xc.names.live
cmp -s /tmp/xc.names.cap /tmp/xc.names.live && [ -s /tmp/xc.names.cap ]
say $? "explain-capture: the same lines in the same order"
grep -q '^card0 virtio_gpu' /tmp/xc.names.cap &&
	grep -q '^dma-buf virtio_gpu' /tmp/xc.names.cap
say $? "explain-capture: the capture has the GPU and dma-buf lines"

# The tolerance.  Between the capture's reads and the live explain's, a
# quiet machine still moves: the per-cpu free lists trade pages with
# MemFree (05-explain: 54 pages around a 16 MiB allocation, up to a
# pageset's "high" per CPU), the capture's own files (a few pages per
# process, in the initramfs' page cache) were written after it read
# meminfo, slab and page tables follow the gpumem processes themselves,
# and each gpumem's own anonymous memory is in the PSS sum it reads.  All
# of that is bounded by the capture's size in pages plus the pagesets, so
# each line may differ by 4 MiB (1024 pages; 2 vCPUs, the capture of this
# VM is ~0.5 MiB of tmpfs pages, in "shared memory") and no more; GPU and
# dma-buf lines do not move at all (the workload is stopped) and must be
# equal.  Measured on 2026-12-01: the largest move 0.35 MiB (slab), shared
# memory +0.2 MiB, free and the per-cpu lists -0.3 MiB each.
tol=$((4 << 20))
echo "# explain-capture: LINE | capture | live | live - capture"
[ -s /tmp/xc.captured ] && [ -s /tmp/xc.live ] &&
[ "$(wc -l </tmp/xc.captured)" -eq "$(wc -l </tmp/xc.live)" ] &&
paste /tmp/xc.captured /tmp/xc.live | awk -F'\t' -v tol=$tol '
	{ d = $4 - $2; a = d < 0 ? -d : d
	  exact = $1 ~ /^(card[0-9]|dma-buf )/
	  bad = $1 != $3 || a > (exact ? 0 : tol)
	  printf "# %s%s | %s | %s | %d\n", bad ? "BAD " : "", $1, $2, $4, d
	  nbad += bad }
	END { exit nbad > 0 }'
say $? "explain-capture: each line's bytes equal (GPU, dma-buf) or within 4 MiB"

# The rest of the scenario's steps, then its end.
printf 'xxxxxxxxxxxxxxxx' >&7
exec 7>&-
wait $wpid
rm -rf /tmp/xc.cap /tmp/xc.go
exit 0
