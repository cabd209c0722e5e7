#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumem top --batch while the workload steps: each frame's per-process
# figures equal the truth of the step it was taken in.
#
# How a frame's step is known: the workload runs with --sync and this
# script holds each step HOLD seconds.  It notes the uptime when it reads
# "end step=S" (the step's actions are done: its state holds from there)
# and just before it lets the workload go on (the next actions start
# after).  Each frame's title says its sample's CLOCK_BOOTTIME ("up
# T.s"), the clock of /proc/uptime.  A frame taken from SETTLE s after the
# first note to MARGIN s before the second (a scan takes time; virtio-gpu
# frees complete late) must equal step S exactly (PSS-like figures within
# the truth's spare bytes).  A frame outside every such window is between
# steps: it may be either, and is only counted.  Each step must have had
# at least one frame judged, so the test cannot pass on nothing.  Every
# sample is a full walk (--full-every 0): a refresh does not see the
# processes and fds a step creates until the next walk (gpumem(1)).
. /tests/common.inc

HOLD=1.5
SETTLE=0.4
MARGIN=0.3

if ! command -v gpumem >/dev/null; then
	echo "ok - top: batch frames # SKIP gpumem not in the VM"
	exit 0
fi

up() { cut -d' ' -f1 /proc/uptime; }

# run_scenario NAME: frames in $D/NAME.frames, truth and step windows
# in $D/NAME.truth and $D/NAME.steps.
run_scenario() {
	rm -f $D/ack $D/out
	mkfifo $D/ack $D/out
	gpumem top --batch -d 0.25 --full-every 0 -b -w 1000 -s pid >$D/$1.frames 2>$D/$1.err &
	top_pid=$!
	sleep 1
	workload --sync "$1" <$D/ack >$D/out &
	wl=$!
	exec 3>$D/ack 4<$D/out
	: >$D/$1.truth
	: >$D/$1.steps
	while read -r line <&4; do
		case $line in
		"truth step="*" gpumem pid="*|"truth step="*" gpushare pid="*|"truth step="*" gpu="*" pid=0 "*)
			echo "$line" >>$D/$1.truth ;;
		"end step="*)
			s=${line#end step=}
			s=${s%% *}
			t0=$(up)
			sleep $HOLD
			echo "$s $t0 $(up)" >>$D/$1.steps
			printf x >&3 ;;
		"done"*)
			break ;;
		esac
	done
	exec 3>&- 4<&-
	wait $wl
	say $? "top: $1: the workload ran all its steps"
	sleep 0.5
	kill $top_pid
	wait $top_pid 2>/dev/null
}

# judge NAME: TAP lines from the frames, the truth and the windows.
judge() {
	awk -v name="$1" -v settle=$SETTLE -v margin=$MARGIN '
	FILENAME ~ /steps$/ { lo[$1] = $2 + settle; hi[$1] = $3 - margin
		nsteps++; next }
	# gpushare: per device the figures with an exact total, the bounds
	# (at most the device total) and the collector figure; gpumem says which
	# applies, top does not show it, so a frame may match any of them.
	FILENAME ~ /truth$/ && $3 ~ /^gpu=/ {
		split($3, g, "="); split($5, b, "="); total[substr($2, 6), g[2]] = b[2]
		next }
	FILENAME ~ /truth$/ {
		delete f
		for (i = 4; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		s = substr($2, 6); p = f["pid"]
		pids[p] = 1
		if ($3 == "gpushare") {
			gk = s SUBSEP p SUBSEP f["gpu"]; gpus[f["gpu"]] = 1
			sh[gk] = f["rss"] " " f["pss"] " " f["spare"] " " \
				f["rss_bound"] " " f["pss_bound"] " " \
				f["spare_bound"] " " f["rss_tp"]
		} else
			t[s, p] = f["dmabuf_rss"] " " f["dmabuf_pss"] " " f["dmabuf_spare"]
		next }
	/^gpumem top - / { flush()
		for (i = 1; i <= NF; i++) if ($i == "up") up = $(i + 1)
		sub(/s,$/, "", up); inframe = 1; delete row; delete grss; delete gpss; next }
	inframe && /^ +PID USER/ { for (i = 1; i <= NF; i++) col[$i] = i
		heads = 1; next }
	inframe && heads && NF == 0 { heads = 0; next }
	inframe && heads && $1 ~ /^[0-9]+$/ {
		for (c in col) {
			v = $(col[c]); sub(/\?$/, "", v)
			if (c ~ /^GPU[0-9]+$/) grss[$1, substr(c, 4)] = v
			if (c ~ /^PSS[0-9]+$/) gpss[$1, substr(c, 4)] = v
		}
		row[$1] = $(col["DMABUF"]) " " $(col["DMAPSS"])
		next }
	function within(v, lo, spare) { return v >= lo && v <= lo + spare }
	function min(a, b) { return a < b ? a : b }
	# One process on one device: any of the truths gpumem may have taken.
	function gpu_ok(s, p, d,  a, r, q) {
		if (!((s, p, d) in sh)) return 1
		split(sh[s, p, d], a, " ")
		r = ((p, d) in grss) ? grss[p, d] : 0
		q = ((p, d) in gpss) ? gpss[p, d] : 0
		return (r == a[1] && within(q, a[2], a[3])) ||
		       (r == min(a[4], total[s, d]) &&
			within(q, min(a[5], total[s, d]), a[6])) ||
		       (r == a[7] && within(q, a[2], a[3]))
	}
	function flush(  s, p, n, a, b, ok, why, d, good) {
		if (!inframe) return
		frames++
		for (s in lo) if (up >= lo[s] && up <= hi[s]) break
		if (!(s in lo) || up < lo[s] || up > hi[s]) { between++; return }
		judged[s]++
		ok = 1
		for (p in pids) {
			if (!((s, p) in t)) continue
			n = split(t[s, p], a, " ")
			if (p in row) split(row[p], b, " ")
			else split("0 0", b, " ")
			good = b[1] == a[1] && within(b[2], a[2], a[3])
			for (d in gpus) good = good && gpu_ok(s, p, d)
			if (!good) {
				ok = 0
				if (diags++ < 8)
					printf "# %s: step %s frame up %s pid %s: dma-buf got %s, want %s\n",
						name, s, up, p, b[1] " " b[2], t[s, p]
			}
		}
		if (!ok) bad++
	}
	END { flush()
		for (s in lo) if (!judged[s]) { missing++
			printf "# %s: no frame inside step %s (%s..%s)\n", name, s, lo[s], hi[s] }
		printf "# %s: %d frames, %d judged, %d between steps, %d steps\n",
			name, frames, frames - between, between, nsteps
		printf "%s - top: %s: every frame inside a step equals its truth\n",
			(bad || !nsteps) ? "not ok" : "ok", name
		printf "%s - top: %s: every step had a frame judged\n",
			(missing || !nsteps) ? "not ok" : "ok", name
	}' $D/$1.steps $D/$1.truth $D/$1.frames
}

D=$(mktemp -d)
for scenario in share gpus; do
	run_scenario $scenario
	judge $scenario
	if [ -s $D/$scenario.err ]; then
		sed 's/^/# top stderr: /' $D/$scenario.err | head -5
	fi
done
rm -rf $D
