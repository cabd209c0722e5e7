#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the gpumem test VM (busybox).  Mounts the pseudo filesystems,
# dumps the boot log (KUnit KTAP) and runs /tests/*.sh in name order.  Every
# line a test prints goes to the console prefixed with "GPUMEM: "; the host
# (tests/vm/run.sh) turns them into TAP.  Ends with "GPUMEM-SUITE-END" and
# reboot -f, which makes QEMU (-no-reboot) exit.
#
# Kernel command line: gpumem.patches=0001,0002,...  patches of kernel/patches
#                      gpumem.shell=1                 a shell instead of tests
#                      gpumem.timeout=SECONDS         per test script (150)
#                      gpumem.seed=N                  workload seed (default: time)
#                      gpumem.stress_ops=N            stress operations (100000)
#                      gpumem.only=NAME,NAME          run only these tests (no .sh)
#                      gpumem.collector=1             gpumem bpf load before any test
#                      gpumem.cpus=N                  the vCPUs QEMU was given

/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing

param() {
	for word in $(cat /proc/cmdline); do
		case "$word" in
		"gpumem.$1="*) echo "${word#*=}"; return ;;
		esac
	done
	echo "$2"
}

GPUMEM_PATCHES=$(param patches "" | tr , ' ')
GPUMEM_SEED=$(param seed "")
GPUMEM_STRESS_OPS=$(param stress_ops 100000)
export GPUMEM_PATCHES GPUMEM_SEED GPUMEM_STRESS_OPS
timeout=$(param timeout 150)
only=$(param only "" | tr , ' ')

if [ "$(param shell 0)" = 1 ]; then
	echo "gpumem VM shell; tests are in /tests, exit to power off"
	setsid cttyhack sh
	reboot -f
fi

echo "GPUMEM-DMESG-BEGIN"
dmesg -c
echo "GPUMEM-DMESG-END"

echo "GPUMEM: # kernel $(uname -r), patches: ${GPUMEM_PATCHES:-none}"
# A kernel without CONFIG_SMP, or without CONFIG_ACPI (SeaBIOS's MP table
# lists the boot CPU only), runs on one CPU whatever -smp says: the
# stress and contention figures would race nothing.
cpus=$(grep -c '^processor' /proc/cpuinfo)
given=$(param cpus 1)
if [ "$cpus" = "$given" ]; then
	echo "GPUMEM: ok - vm: the guest runs on the $cpus CPUs QEMU gives it"
else
	echo "GPUMEM: not ok - vm: the guest runs on $cpus CPUs, QEMU gives it $given"
fi
# The kernel does not replay totals to a late reader: a collector that is
# to see every change must be attached before the workload starts.
if [ "$(param collector 0)" = 1 ]; then
	mkdir -p /etc
	grep -qs '^gpumem:' /etc/group || echo gpumem:x:1500: >>/etc/group
	gpumem bpf load 2>&1 | sed 's/^/GPUMEM: # /'
fi
for t in /tests/*.sh; do
	[ -e "$t" ] || continue
	name=${t##*/}
	case " ${only:-${name%.sh}} " in *" ${name%.sh} "*) ;; *) continue ;; esac
	echo "GPUMEM: # $name (uptime $(cut -d' ' -f1 /proc/uptime) s)"
	{ timeout "$timeout" sh "$t" 2>&1; echo "@@rc=$?"; } |
	while IFS= read -r line; do
		case "$line" in
		@@rc=0) ;;
		@@rc=*) echo "GPUMEM: not ok - $name: exited with status ${line#@@rc=}" ;;
		*) echo "GPUMEM: $line" ;;
		esac
	done
done

echo "GPUMEM: # suite done (uptime $(cut -d' ' -f1 /proc/uptime) s)"
echo "GPUMEM-DMESG-BEGIN"
dmesg
echo "GPUMEM-DMESG-END"
echo "GPUMEM-SUITE-END"
reboot -f
