#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumem trace, the collector's live stream, against the workload's truth
# on two GPUs: every change once, in order per key (old = the previous
# new), each step's truth reached, the last value right; --count, the
# text form, the stream lease (no reader: no ring buffer traffic) and who
# may stream.
T=/tmp/trace52
mkdir -p $T

. /tests/common.inc
status() { gpumem bpf status | sed -n "s/^$1: //p"; }

wait_stream() {
	i=0
	while [ "$(status stream)" = off ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(status stream)" != off ]
}

gpumem bpf unload 2>/dev/null
gpumem bpf load > /dev/null 2> $T/load.err
say $? "trace: collector loaded $(cat $T/load.err)"

BASE=$(gpu_totals)
workload basic > /dev/null 2>&1
settle_totals "$BASE"
[ "$(status stream)" = off ] && [ "$(status 'dropped (ring buffer full)')" = 0 ]
say $? "trace: no reader, no stream: nothing went to the ring buffer"

# A step's virtio-gpu frees complete when the host answers, on another
# CPU: the next step waits for the device totals of this one, or its
# events could come before them and a step's truth never be a total.
settle_step() {
	cat $T/truth >> $T/all
	settle_totals "$(awk -v base="$BASE" 'BEGIN {
		n = split(base, b, " ")
		for (i = 1; i < n; i += 2) dev[b[i]] = t[b[i]] = b[i + 1]
	} $3 ~ /^gpu=/ && $4 == "pid=0" {
		split($3, g, "="); split($5, v, "=")
		t[g[2]] = v[2] + dev[g[2]]
	} END {
		for (i = 1; i < n; i += 2) printf "%s %s ", b[i], t[b[i]]
	}' $T/truth)"
}

gpumem trace --json > $T/json 2> $T/err &
tracer=$!
wait_stream
say $? "trace: a reader holds the stream lease ($(status stream))"
BASE=$(gpu_totals)
: > $T/all
run_sync gpus settle_step
say $? "trace: workload gpus ran"
settle_totals "$BASE"
kill -INT $tracer
wait $tracer
say $? "trace: SIGINT ends gpumem trace with status 0 $(cat $T/err)"
[ "$(status stream)" = off ]
say $? "trace: the lease ends with the reader"

# One line per event: "gpu pid old new by comm", then the checks.
sed 's/[{}"]//g; s/,/ /g; s/[a-z_]*://g' $T/json |
	awk '{ print $2, $3, $6, $7, $5, $4 }' > $T/events
echo "# $(wc -l < $T/events) events, $(grep -c '^truth step=[0-9]* gpu=' $T/all) truth lines"
awk '$3 !~ /^[0-9]+$/ || $4 !~ /^[0-9]+$/ || $5 !~ /^[0-9]+$/ || $6 == "" { bad++ }
     END { exit bad > 0 || NR == 0 }' $T/events
say $? "trace: every line has gpu, pid, old, new, the causing task"

# Per key, old is the previous new; the base's device keys start there.
awk -v base="$BASE" 'BEGIN {
	n = split(base, b, " ")
	for (i = 1; i < n; i += 2) last[b[i] " 0"] = b[i + 1]
} {
	k = $1 " " $2
	if ($3 != (k in last ? last[k] : 0)) { print "# " k ": old " $3 ", before " last[k]; bad++ }
	if ($3 == $4) { print "# " k ": no change " $4; bad++ }
	last[k] = $4
} END { exit bad > 0 }' $T/events > $T/chain
rc=$?
head -5 $T/chain
say $rc "trace: per key, each event starts where the last one ended"

# Each step's truth is reached, in order, and the last event is the end.
awk -v base="$BASE" 'BEGIN {
	n = split(base, b, " ")
	for (i = 1; i < n; i += 2) dev[b[i]] = b[i + 1]
} FNR == NR {
	if ($0 !~ /^truth step=[0-9]+ gpu=[0-9]+ pid=/)
		next
	split($3, g, "="); split($4, p, "="); split($5, v, "=")
	k = g[2] " " p[2]
	val = v[2] + (p[2] == 0 ? dev[g[2]] : 0)
	if (!(k in nt) || want[k, nt[k]] != val)
		want[k, ++nt[k]] = val
	final[k] = val
	next
} {
	k = $1 " " $2
	seq[k, ++ns[k]] = $4
} END {
	for (k in nt) {
		j = 1
		if (want[k, 1] == (p0 = (k ~ / 0$/ ? dev[substr(k, 1, index(k, " ") - 1)] : 0)))
			j = 2
		for (i = 1; i <= ns[k] && j <= nt[k]; i++)
			if (seq[k, i] == want[k, j])
				j++
		if (j <= nt[k]) { print "# " k ": truth " want[k, j] " (step value " j ") never seen"; bad++ }
		end = ns[k] ? seq[k, ns[k]] : p0
		gone = k ~ / 0$/ ? dev[substr(k, 1, index(k, " ") - 1)] : 0
		if (end != gone) { print "# " k ": ends at " end ", not " gone; bad++ }
		keys++
	}
	exit bad > 0 || keys < 4
}' $T/all $T/events > $T/steps
rc=$?
head -5 $T/steps
say $rc "trace: every key's truth at every step, in order, then back to the start"
awk '{ print $1 }' $T/events | sort -u | tr '\n' ' ' > $T/gpus
[ "$(cat $T/gpus)" = "0 1 " ]
say $? "trace: events of both GPUs ($(cat $T/gpus))"

# --count N: exactly N events, then exit 0; the text form has a header.
gpumem trace --count 2 > $T/count 2>&1 &
tracer=$!
wait_stream
workload basic > /dev/null 2>&1
wait $tracer
rc=$?
[ $rc = 0 ] && [ "$(wc -l < $T/count)" = 3 ] &&
	head -1 $T/count | grep -q "TIME.*GPU.*PID.*COMM.*BY.*OLD.*NEW"
say $? "trace: --count 2 prints a header and 2 events, exits $rc"
settle_totals "$BASE"

mkdir -p /etc
grep -q '^bob:' /etc/passwd 2>/dev/null ||
	echo 'bob:x:1502:1502::/:/bin/sh' >> /etc/passwd
su -s /bin/sh bob -c "gpumem trace" > $T/bob 2>&1
rc=$?
[ $rc = 2 ] && grep -q "needs root" $T/bob
say $? "trace: an unprivileged user is refused in one line (exit $rc)"
gpumem bpf unload
gpumem trace > $T/none 2>&1
rc=$?
[ $rc = 2 ] && grep -q "gpumem bpf load" $T/none
say $? "trace: without the collector, one line saying what to do (exit $rc)"
