#!/bin/sh
# SPDX-License-Identifier: MIT
# PID 1 of the namespaces deb.sh's unshare makes (pid, mount, cgroup,
# network, uts, ipc), which becomes systemd: what the manager and its
# units write goes to a /run, /tmp and cgroup tree of their own, not the
# machine's; and it loads units from one directory of links only, so
# that it starts what gpumemd.service's start needs (its default
# dependencies, the journal) and its own exit, and none of the machine's
# other units (timers, gettys, tmpfiles, apt).
# Usage: systemd-ns.sh UNIT_FILE    Boots the target gpumem-deb-test.
set -eu
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
# The machine's sysctls are not this manager's to set.
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
# In the new cgroup namespace the mount's root is this namespace's cgroup.
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Messages to the console would go to the machine's.
mount --bind /dev/null /dev/console

units=/run/gpumem-deb-test
mkdir "$units"
for u in sysinit.target basic.target sockets.target \
	systemd-journald.service systemd-journald.socket \
	systemd-journald-dev-log.socket exit.target systemd-exit.service \
	shutdown.target umount.target final.target; do
	ln -s "/lib/systemd/system/$u" "$units/$u"
done
ln -s "$1" "$units/"
cat >"$units/gpumem-deb-test.target" <<EOF
[Unit]
Description=What deb.sh starts gpumemd.service on
Requires=basic.target systemd-journald.socket systemd-journald-dev-log.socket
After=basic.target systemd-journald.socket systemd-journald-dev-log.socket
EOF
# The journal only of this manager, in this /run.
mkdir -p /run/systemd/journald.conf.d
printf '[Journal]\nStorage=volatile\nReadKMsg=no\n' \
	>/run/systemd/journald.conf.d/gpumem-deb-test.conf

export SYSTEMD_UNIT_PATH="$units" container=gpumem-deb-test
exec /lib/systemd/systemd --system --unit=gpumem-deb-test.target
