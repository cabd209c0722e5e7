#!/bin/sh
# SPDX-License-Identifier: MIT
# The collector under the stress workload, with ftrace's gpu_mem_total as
# the independent count: (1) default map: every event seen, none dropped;
# (2) --max-entries 1, held by one key: each event of any other key with
# a non-zero size is a dropped update, and the counter says exactly that.
T=/tmp/bpf51
TR=/sys/kernel/tracing
OPS=${GPUMEM_STRESS_OPS:-100000}
mkdir -p $T

. /tests/common.inc
counter() { gpumem bpf status | sed -n "s/^$1: //p"; }

trace_on() {
	base=$(gpu_totals)
	echo 0 > $TR/tracing_on
	echo 16384 > $TR/buffer_size_kb
	echo 1 > $TR/events/gpu_mem/gpu_mem_total/enable
	echo > $TR/trace
	echo 1 > $TR/tracing_on
}

# Stops tracing; the events in $T/trace as "gpu pid size"; 1 if any was lost.
trace_off() {
	settle_totals "$base"
	echo 0 > $TR/tracing_on
	echo 0 > $TR/events/gpu_mem/gpu_mem_total/enable
	sed -n 's/.*gpu_mem_total: gpu_id=\([0-9]*\) pid=\([0-9]*\) size=\([0-9]*\).*/\1 \2 \3/p' \
		$TR/trace > $T/trace
	! grep -q "^overrun: [1-9]" $TR/per_cpu/cpu*/stats
}

stress() {
	workload ${GPUMEM_SEED:+--seed $GPUMEM_SEED} stress "$@" > $T/stress.out 2>&1
}

gpumem bpf unload 2>/dev/null
gpumem bpf load > /dev/null
e0=$(counter events)
trace_on
stress "$OPS" 4 8
say $? "bpf-stress: $OPS operations, 4 processes x 8 threads"
trace_off
say $? "bpf-stress: ftrace lost no event"
n=$(wc -l < $T/trace)
seen=$(($(counter events) - e0))
[ "$seen" = "$n" ] && [ "$n" -gt 0 ]
say $? "bpf-stress: the collector saw every event ($seen of $n)"
[ "$(counter 'dropped (totals map full)')" = 0 ]
say $? "bpf-stress: none dropped with the default size"
gpumem bpf dump | awk 'NR > 1 && $2 != 0' > $T/left
[ ! -s $T/left ]
say $? "bpf-stress: no process key left after the workload"
gpumem bpf unload

# One slot, taken by a workload paused at its first step with a device
# total (it holds buffers); a fifth of the operations is enough here.
echo "# uptime $(cut -d' ' -f1 /proc/uptime) s"
gpumem bpf load --max-entries 1 > /dev/null
rm -f $T/in
mkfifo $T/in
workload --sync basic < $T/in > $T/basic.out 2>&1 &
wpid=$!
exec 3>$T/in
s=0
while kill -0 $wpid 2>/dev/null; do
	grep -q "^end step=$s " $T/basic.out || { sleep 0.05; continue; }
	grep -q "^truth step=$s gpu=0 pid=0 bytes=[1-9]" $T/basic.out && break
	printf x >&3
	s=$((s + 1))
done
sleep 1
gpumem bpf dump | awk 'NR > 1 { print $1, $2 }' > $T/held
k=$(cat $T/held)
[ "$(wc -l < $T/held)" = 1 ]
say $? "bpf-full: --max-entries 1 holds one key ($k)"
d0=$(counter 'dropped (totals map full)')
trace_on
stress $((OPS / 5)) 2 2
trace_off
say $? "bpf-full: ftrace lost no event"
want=$(awk -v k="$k" '$1 " " $2 != k && $3 != 0' $T/trace | wc -l)
got=$(($(counter 'dropped (totals map full)') - d0))
[ "$got" = "$want" ] && [ "$want" -gt 0 ]
say $? "bpf-full: the drop counter is exact ($got dropped, ftrace says $want)"
while kill -0 $wpid 2>/dev/null; do printf x >&3 || break; sleep 0.05; done
exec 3>&-
wait $wpid
gpumem bpf unload
