#!/bin/sh
# SPDX-License-Identifier: MIT
# The owner of a DRM file exits while the receiver of the file keeps it
# (orphan), and a new process gets the dead owner's pid (reuse): charges
# follow the file's owner and its struct pid, not the number.  pid_max is
# lowered for the run so that the pid comes back within a few hundred forks.
max=$(cat /proc/sys/kernel/pid_max)
echo 1024 > /proc/sys/kernel/pid_max
# Once past RESERVED_PIDS (300) the kernel never hands out a number below
# it again: the workload's pids must be above it to come back.
while [ "$(sh -c 'echo $$')" -lt 320 ]; do :; done
for scenario in orphan reuse; do
	tracecheck workload --sync ${GPUMEM_SEED:+--seed $GPUMEM_SEED} "$scenario"
done
echo "$max" > /proc/sys/kernel/pid_max
if command -v gpumemcheck >/dev/null; then
	gpumemcheck orphan
fi
