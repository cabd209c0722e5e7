#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs inside the demo VM (busybox sh): the workload's "prime" scenario one
# step at a time; after each step, what the kernel says (the gpu_mem_total
# events of that step, sysfs), what gpumem shows and what the BPF collector
# keeps; at the end the collector's counters and Android's dumpsys text.
ev=/sys/kernel/tracing/events/gpu_mem/gpu_mem_total
if [ ! -d "$ev" ]; then
	echo "no gpu_mem_total tracepoint in this kernel"
	exit 1
fi
echo 1 >"$ev/enable"
# /init loaded the collector before this script (gpumem.collector=1): the
# kernel does not replay totals, so it has seen every change since boot.
mkfifo /tmp/steps
workload --sync prime </tmp/steps >/tmp/truth 2>&1 &
workload=$!
exec 3>/tmp/steps

step=0
while ! grep -q '^done' /tmp/truth; do
	if ! grep -q "^end step=$step " /tmp/truth; then
		kill -0 $workload 2>/dev/null || break
		sleep 0.1
		continue
	fi
	echo
	echo "=== $(grep "^end step=$step " /tmp/truth | cut -d' ' -f3-)"
	echo "--- gpu_mem_total events:"
	grep -o 'gpu_mem_total: .*' /sys/kernel/tracing/trace
	echo >/sys/kernel/tracing/trace
	echo "--- /sys/class/drm/card0/gpu_mem/total: $(cat /sys/class/drm/card0/gpu_mem/total 2>/dev/null || echo absent)"
	echo "--- gpumem:"
	gpumem
	echo "--- gpumem bpf dump:"
	gpumem bpf dump
	echo >&3
	step=$((step + 1))
done
wait
echo
echo "=== the collector after the scenario: gpumem bpf status"
gpumem bpf status
echo "=== gpumem bpf dump --android (dumpsys gpu --gpumem)"
gpumem bpf dump --android
