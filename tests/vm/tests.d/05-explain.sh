#!/bin/sh
# SPDX-License-Identifier: MIT
# The proof of gpumem explain: for each kind of memory and N in 16, 64 and
# 256 MiB, allocate N MiB (alloc_kinds), explain again: the kind's line
# must grow by N within 1% and "unexplained" move by at most 1% of N.
# Prints the figures as TAP comments; needs /bin/gpumem and /bin/alloc_kinds
# (tests/run.sh puts both in the VM).  It runs first: the stress tests leave
# frees that the host completes seconds later, and a measurement that
# wants 1% of 16 MiB needs a quiet machine.
if ! command -v gpumem >/dev/null || ! command -v alloc_kinds >/dev/null; then
	echo "ok - explain # SKIP gpumem or alloc_kinds not in the VM"
	exit 0
fi

# Per-cpu vmstat deltas are folded into the global counters first (SMP).
settle() {
	sync
	sleep 1
	[ -w /proc/sys/vm/stat_refresh ] && echo 1 >/proc/sys/vm/stat_refresh
	:
}

# snap FILE: "name<TAB>bytes" for every line of the table.
snap() {
	settle
	gpumem explain --bytes >/tmp/explain.txt 2>/tmp/explain.err || {
		sed 's/^/# /' /tmp/explain.err
		return 1
	}
	awk '{ n = substr($0, 14, 34); b = substr($0, 49, 14)
	       gsub(/^ +| +$/, "", n); gsub(/ /, "", b)
	       if (b ~ /^-?[0-9]+$/) print n "\t" b }' /tmp/explain.txt >"$1"
}

# val FILE NAME...: the sum of those lines (0 when absent).
val() {
	f=$1
	shift
	for n in "$@"; do
		awk -F'\t' -v n="$n" '$1 == n { s += $2 } END { print s + 0 }' "$f"
	done | awk '{ s += $1 } END { print s + 0 }'
}

line_of() {
	case $1 in
	dumb) echo "card0 virtio_gpu" ;;
	prime) echo "dma-buf virtio_gpu fd" ;;
	heap) echo "dma-buf system fd" ;;
	heapmap) echo "dma-buf ? mapped" ;;	# no fd, no sysfs: no exporter
	udmabuf) echo "dma-buf udmabuf fd" ;;
	esac
}

lines_of() {
	if [ "$1" = mix ]; then
		for k in dumb prime heap heapmap udmabuf; do line_of $k; done
	else
		line_of "$1"
	fi
}

# val_lines FILE KIND
val_lines() {
	lines_of "$2" >/tmp/explain.names
	total=0
	while IFS= read -r n; do
		total=$((total + $(val "$1" "$n")))
	done </tmp/explain.names
	echo $total
}

snap /tmp/idle || { echo "not ok - explain: gpumem explain failed"; exit 0; }
echo "# explain: the table at idle"
sed 's/^/#   /' /tmp/explain.txt
memtotal=$(val /tmp/idle MemTotal)
idle=$(val /tmp/idle unexplained)
echo "# explain: idle unexplained $idle bytes of MemTotal $memtotal" \
	"($(awk -v u="$idle" -v t="$memtotal" 'BEGIN { printf "%.3f", 100 * u / t }')%)"
echo "# explain: KIND N | line growth | error % of N | unexplained moved | % of N"

for kind in dumb prime heap heapmap udmabuf mix; do
	for mib in 16 64 256; do
		name="explain: $kind $mib MiB"
		snap /tmp/before || { echo "not ok - $name: explain failed"; continue; }
		rm -f /tmp/explain.ready
		alloc_kinds "$kind" "$mib" /tmp/explain.ready &
		pid=$!
		i=0
		while [ ! -e /tmp/explain.ready ] && kill -0 $pid 2>/dev/null &&
		      [ $i -lt 600 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if [ ! -e /tmp/explain.ready ]; then
			kill $pid 2>/dev/null
			wait $pid
			echo "not ok - $name: alloc_kinds did not get ready"
			continue
		fi
		snap /tmp/after
		kill $pid
		wait $pid
		n=$((mib << 20))
		grow=$(( $(val_lines /tmp/after $kind) - $(val_lines /tmp/before $kind) ))
		moved=$(( $(val /tmp/after unexplained) - $(val /tmp/before unexplained) ))
		verdict=$(awk -v g="$grow" -v m="$moved" -v n="$n" 'BEGIN {
			e = g - n; if (e < 0) e = -e; a = m; if (a < 0) a = -a
			printf "%s %.3f %.3f", (e * 100 <= n && a * 100 <= n) ? "ok" : "not ok",
			       100 * (g - n) / n, 100 * m / n }')
		set -- $verdict
		[ "$1" = not ] && shift
		echo "# explain: $kind $mib | $grow | ${2}% | $moved | ${3}%"
		case $verdict in
		ok*) echo "ok - $name" ;;
		*) echo "not ok - $name (line +$grow, unexplained $moved)"
		   paste /tmp/before /tmp/after | sed 's/^/#   /' ;;
		esac
	done
done
