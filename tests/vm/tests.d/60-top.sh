#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumem top --batch while the workload steps: each frame's per-process
# figures (GPU per card, dma-buf) equal the truth of the step it was
# taken in.
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
# GPU figures per (process, card) from the gpushare lines: the model's
# figure is the exact share (rss, pss) when the card's total is exact,
# the bound (rss_bound, pss_bound) when not, the collector's (rss_tp)
# when loaded; a frame does not say which, so each must be one of them,
# rss and pss of the same kind.  dma-bufs from the gpumem lines, exactly.
# A truth line without its fields fails the test (never a vacuous pass).
judge() {
	awk -v name="$1" -v settle=$SETTLE -v margin=$MARGIN '
	function num(k) { if (!(k in f) || f[k] !~ /^[0-9]+$/) badtruth++
		return f[k] + 0 }
	function fields(  i, kv) { split("", f)
		for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
	FILENAME ~ /steps$/ { lo[$1] = $2 + settle; hi[$1] = $3 - margin
		nsteps++; next }
	FILENAME ~ /truth$/ && $3 == "gpushare" { fields(); s = substr($2, 6)
		k = s SUBSEP f["pid"] SUBSEP f["gpu"]
		sh[k] = num("rss") " " num("pss") " " num("spare") " " \
			num("rss_bound") " " num("pss_bound") " " \
			num("spare_bound") " " num("rss_tp")
		next }
	FILENAME ~ /truth$/ && $3 == "gpumem" { fields(); s = substr($2, 6)
		db[s SUBSEP f["pid"]] = num("dmabuf_rss") " " num("dmabuf_pss") \
			" " num("dmabuf_spare")
		next }
	FILENAME ~ /truth$/ { next }
	/^gpumem top - / { flush()
		for (i = 1; i <= NF; i++) if ($i == "up") up = $(i + 1)
		sub(/s,$/, "", up); up += 0; inframe = 1
		split("", rg); split("", rp); split("", rd); next }
	inframe && /^ +PID USER/ { split("", col)
		for (i = 1; i <= NF; i++) col[$i] = i
		heads = 1; next }
	inframe && heads && NF == 0 { heads = 0; next }
	inframe && heads && $1 ~ /^[0-9]+$/ {
		for (c in col) {
			v = $(col[c]); sub(/\?$/, "", v)
			if (c ~ /^GPU[0-9]+$/) rg[$1, substr(c, 4)] = v
			if (c ~ /^PSS[0-9]+$/) rp[$1, substr(c, 4)] = v
		}
		rd[$1] = $(col["DMABUF"]) " " $(col["DMAPSS"])
		next }
	function within(v, lo, spare) { return v >= lo && v <= lo + spare }
	function gpu_ok(k, kk,  a, r, p) {
		split(sh[k], a, " ")
		r = ((kk[2], kk[3]) in rg) ? rg[kk[2], kk[3]] + 0 : 0
		p = ((kk[2], kk[3]) in rp) ? rp[kk[2], kk[3]] + 0 : 0
		return (r == a[1] && within(p, a[2], a[3])) ||
		       (r == a[4] && within(p, a[5], a[6])) ||
		       (r == a[7] && (within(p, a[2], a[3]) || within(p, a[5], a[6])))
	}
	function flush(  s, k, kk, a, b, ok) {
		if (!inframe) return
		frames++
		for (s in lo) if (up >= lo[s] && up <= hi[s]) break
		if (!(s in lo) || up < lo[s] || up > hi[s]) { between++; return }
		judged[s]++
		ok = 1
		for (k in sh) {
			split(k, kk, SUBSEP)
			if (kk[1] != s) continue
			checked++
			if (gpu_ok(k, kk)) continue
			ok = 0
			if (diags++ < 8)
				printf "# %s: step %s frame up %s pid %s card%s: got %s %s, want %s\n",
					name, s, up, kk[2], kk[3], rg[kk[2], kk[3]], rp[kk[2], kk[3]], sh[k]
		}
		for (k in db) {
			split(k, kk, SUBSEP)
			if (kk[1] != s) continue
			split(db[k], a, " ")
			split((kk[2] in rd) ? rd[kk[2]] : "0 0", b, " ")
			checked++
			if (b[1] == a[1] && within(b[2], a[2], a[3])) continue
			ok = 0
			if (diags++ < 8)
				printf "# %s: step %s frame up %s pid %s: dma-buf got %s, want %s\n",
					name, s, up, kk[2], b[1] " " b[2], db[k]
		}
		if (!ok) bad++
	}
	END { flush()
		for (s in lo) if (!judged[s]) { missing++
			printf "# %s: no frame inside step %s (%s..%s)\n", name, s, lo[s], hi[s] }
		printf "# %s: %d frames, %d judged (%d figures), %d between steps, %d steps\n",
			name, frames, frames - between, checked, between, nsteps
		if (badtruth)
			printf "# %s: %d truth fields missing or not numbers\n", name, badtruth
		printf "%s - top: %s: every frame inside a step equals its truth\n",
			(bad || badtruth || !checked) ? "not ok" : "ok", name
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
