#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages as a user gets them: dpkg-buildpackage builds them
# from a copy of the source, lintian finds no error, apt installs them on
# this machine, the installed files work (the command, the library through
# its -dev package, bash completion, man pages, the group, gpumemd.service
# started by a real systemd, its sandbox checked in the running process,
# scraped and asked), then a purge leaves nothing behind: no file, no
# group, no package state, no pin.
# Usage: deb.sh SOURCE_DIR        Output: TAP.  Needs root (dpkg, apt).
set -u
SRC=$(cd "$1" && pwd)
. "$SRC/tests/unit/tap.sh"
PKGS=$(sed -n 's/^Package: //p' "$SRC/debian/control")
export DEBIAN_FRONTEND=noninteractive
# Wait for an apt of someone else's rather than fail.
APT_WAIT="-o DPkg::Lock::Timeout=600"

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 # SKIP installing packages needs root"
	echo "1..1"
	exit 0
fi
# Two runs at once would install and purge each other's packages.
exec 9>/run/gpumem-deb-test.lock
flock -w 900 9 || { echo "not ok 1 - another deb.sh holds the lock"; exit 1; }

installed() {
	for p in $PKGS; do
		dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$p" 2>/dev/null
	done | grep -v '^un\|^pn' | grep -v '^ *$'
}
# What a purge must give back as it was: every file of the system
# outside the package manager's own state, caches and logs.
tree() {
	find /etc /usr /var/lib /run/gpumem /sys/fs/bpf -xdev \
		\( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/man-db \
		   -o -path /var/lib/ucf \) -prune -o -print 2>/dev/null | sort
}

# Build from the files of the tree (tracked or not, never ignored ones
# such as build directories): dpkg-buildpackage writes into the parent.
B=$TMP/build
mkdir -p "$B/gpumem"
git -C "$SRC" ls-files -co --exclude-standard -z |
	(cd "$SRC" && tar -c --null -T -) | tar -x -C "$B/gpumem"
# The tests already ran on this tree (tests/run.sh's unit stage).
(cd "$B/gpumem" && DEB_BUILD_OPTIONS=nocheck \
	dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1
st=$?
tail -20 "$TMP/build.log" >"$TMP/err"
debs=
for p in $PKGS; do
	debs="$debs $(ls "$B/${p}_"*.deb 2>/dev/null)"
done
check "dpkg-buildpackage -us -uc -b builds $(echo $PKGS)" \
	'[ $st -eq 0 ] && [ $(echo $debs | wc -w) -eq $(echo $PKGS | wc -w) ]'

lintian --fail-on error "$B"/gpumem_*.changes >"$TMP/lintian" 2>"$TMP/err"
st=$?
grep '^E:' "$TMP/lintian" >>"$TMP/err"
check "lintian finds no error" '[ $st -eq 0 ] && ! grep -q "^E:" "$TMP/lintian"'
sed 's/^/# lintian: /' "$TMP/lintian" | grep -v '^# lintian: N:'

# A leftover of an interrupted run would hide what this one leaves.
left=$(installed | awk '{ print $2 }')
[ -z "$left" ] || apt-get purge -y -qq $APT_WAIT $left >/dev/null 2>&1
tree >"$TMP/before"
getent group gpumem >"$TMP/group.before"

apt-get install -y -qq --no-install-recommends $APT_WAIT $debs \
	>"$TMP/apt.log" 2>"$TMP/err"
check "apt installs them" \
	'[ $? -eq 0 ] && [ $(installed | grep -c "^ii") -eq $(echo $PKGS | wc -w) ]'
dpkg -L $PKGS 2>/dev/null | sort -u >"$TMP/files"

check "gpumem --version is the package's version" \
	'[ "$(gpumem --version 2>"$TMP/err")" = "gpumem $(dpkg-query -W -f="\${Version}" gpumem)" ]'
check "the group gpumem exists (sysusers.d)" 'getent group gpumem >/dev/null'
check "man finds gpumem(1), gpumemd(8) and libgpumem(3)" \
	'man -w gpumem >/dev/null 2>"$TMP/err" && man -w 8 gpumemd >/dev/null 2>>"$TMP/err" &&
	 man -w 3 libgpumem >/dev/null 2>>"$TMP/err"'

# The completion as bash loads it: on demand, by the command's name.
complete_words() {
	bash -c '. /usr/share/bash-completion/bash_completion
		_completion_loader "$1"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/")
		printf "%s\n" "${COMPREPLY[@]}"' -- "$@" 2>"$TMP/err"
}
check "bash completes gpumem's commands from gpumem --help" \
	'[ "$(complete_words gpumem ex)" = explain ] &&
	 complete_words gpumem bpf "" | grep -qx unload'
check "bash completes gpumemd's options from gpumemd --help" \
	'complete_words gpumemd --li | grep -qx -- --listen'
check "bash completes gpumem's --no-daemon and --socket's PATH" \
	'[ "$(complete_words gpumem --no-d)" = --no-daemon ] &&
	 complete_words gpumem --socket /usr/b | grep -qx /usr/bin'
check "bash completes an option's choices (bpf load --attach)" \
	'[ "$(complete_words gpumem bpf load --attach "" | tr "\n" " ")" = "auto raw_tp tp_btf " ]'

# libgpumem-dev: a program built with pkg-config alone, on the demo
# fixture, against its hand-computed truth.
cc -std=c11 -Wall -Werror -o "$TMP/per_device" "$SRC/examples/per_device.c" \
	$(pkg-config --cflags --libs gpumem 2>"$TMP/err") 2>>"$TMP/err"
check "a program builds with pkg-config gpumem from libgpumem-dev" \
	'[ -x "$TMP/per_device" ]'
python3 "$SRC/tests/examples/check_per_device.py" "$TMP/per_device" \
	"$SRC/tests/fixtures/demo-desktop" >"$TMP/per_device.tap" 2>"$TMP/err"
st=$?
so=$(ldd "$TMP/per_device" | awk '$1 == "libgpumem.so.2" { print $3 }')
check "it runs on libgpumem2's libgpumem.so.2: the fixture's truth" \
	'[ $st -eq 0 ] && ! grep -q "^not ok" "$TMP/per_device.tap" &&
	 dpkg -S "$(readlink -f "$so")" 2>>"$TMP/err" | grep -q "^libgpumem2:"'

# gpumemd.service as installed, first as files.
unit=$(dpkg -L gpumemd | grep '/gpumemd\.service$')
unit_get() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
check "gpumemd.service is installed and enabled" \
	'[ -f "$unit" ] && [ -L /etc/systemd/system/multi-user.target.wants/gpumemd.service ]'
check "gpumemd.service: hardened as the issue says" \
	'[ "$(unit_get CapabilityBoundingSet)" = "CAP_BPF CAP_PERFMON CAP_SYS_PTRACE CAP_DAC_READ_SEARCH" ] &&
	 [ "$(unit_get ProtectSystem)" = strict ] && [ "$(unit_get ProtectHome)" = yes ] &&
	 [ "$(unit_get NoNewPrivileges)" = yes ] && [ "$(unit_get RuntimeDirectory)" = gpumem ] &&
	 grep -qx "Before=display-manager.service" "$unit"'
systemd-analyze verify "$unit" >"$TMP/err" 2>&1
check "systemd-analyze verify has nothing to say of it" \
	'[ $? -eq 0 ] && [ ! -s "$TMP/err" ]'
# The exposure score gpumemd(8) quotes: systemd's own rating of the
# unit file, offline (PID 1 need not be systemd).  --threshold makes a
# unit that rates worse than the man page says fail (it counts tenths).
exposure=$(sed -n 's/.*exposure level of this unit: \([0-9.]*\).*/\1/p' \
	"$SRC/docs/gpumemd.8")
tenths=$(echo "${exposure:-0}" | awk '{ printf "%d", $1 * 10 + 0.5 }')
systemd-analyze security --offline=true --threshold="$tenths" \
	"$unit" >"$TMP/security" 2>"$TMP/err"
st=$?
got=$(sed -n 's/.*Overall exposure level for gpumemd.service: \([0-9.]*\).*/\1/p' \
	"$TMP/security")
echo "# systemd-analyze security --offline=true: exposure $got (gpumemd(8): $exposure)"
check "systemd-analyze security rates it $exposure, as gpumemd(8) says" \
	'[ $st -eq 0 ] && [ -n "$exposure" ] && [ "$got" = "$exposure" ]'

# Under a real systemd: the machine's PID 1 when that is systemd, else
# one booted as PID 1 of namespaces of its own (systemd-ns.sh), in a
# cgroup of its own; $IN runs a command where that systemd is (its pid
# and mount namespaces, its loopback).
IN=
cg=
upid=
# Kill what is left in the cgroup (of this run, or of one killed before
# its teardown) and remove it, deepest first, once its processes are gone.
end_systemd() {
	[ -n "$cg" ] && [ -d "$cg" ] || return 0
	echo 1 >"$cg/cgroup.kill"
	for i in $(seq 50); do
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$cg" ] || return 0
		sleep 0.1
	done
	echo "# could not remove $cg" >&2
	return 1
}
# tap.sh's INT and TERM traps exit, through this.
trap 'end_systemd; rm -rf "$TMP"' EXIT
boot_systemd() {
	cg=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
	[ -n "$cg" ] || { echo "no cgroup2 mount" >&2; return 1; }
	cg=$cg/gpumem-deb-test
	end_systemd && mkdir "$cg" || return
	# The cgroup first: the new cgroup namespace is rooted at it.
	sh -c 'echo $$ >"$1/cgroup.procs" && exec unshare --pid --fork \
		--mount --mount-proc --cgroup --net --uts --ipc "$2" "$3"' \
		-- "$cg" "$SRC/tests/install/systemd-ns.sh" "$unit" \
		>"$TMP/unshare.log" 2>&1 &
	upid=$!
	# It is up when it runs in its init.scope and answers.
	for i in $(seq 100); do
		sd=$(cat "$cg/init.scope/cgroup.procs" 2>/dev/null)
		[ -n "$sd" ] && IN="nsenter -t $sd -a --" &&
			timeout 10 $IN systemctl is-system-running >"$TMP/state" 2>&1 &&
			return
		kill -0 "$upid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/unshare.log" "$TMP/state" >&2 2>/dev/null
	return 1
}
if [ "$(cat /proc/1/comm)" = systemd ]; then
	echo "# PID 1 is systemd: gpumemd starts under it"
else
	echo "# PID 1 is $(cat /proc/1/comm): gpumemd starts under a systemd booted in namespaces of its own"
	boot_systemd 2>"$TMP/err"
	st=$?
	check "systemd boots as PID 1 of its namespaces: $(cat "$TMP/state" 2>/dev/null)" \
		'[ $st -eq 0 ] && [ "$($IN cat /proc/1/comm)" = systemd ] &&
		 [ "$(cat "$TMP/state")" = running ]'
fi
timeout 60 $IN systemctl start gpumemd 2>"$TMP/err"
st=$?
check "systemctl start gpumemd: active" \
	'[ $st -eq 0 ] && [ "$($IN systemctl is-active gpumemd)" = active ]'
show() { $IN systemctl show -p "$1" --value gpumemd; }
pid=$(show MainPID)
inv=$(show InvocationID)
sock=/run/gpumem/gpumemd.sock
# Up when it listens on both; bounded, in case it never does.
for i in $(seq 100); do
	$IN test -S "$sock" && $IN ss -ltnpH | grep -q "pid=$pid," && break
	sleep 0.1
done
$IN ss -ltnpH | grep "pid=$pid," | awk '{ print $4 }' >"$TMP/listen"
check "gpumemd listens on the socket and 127.0.0.1 only" \
	'[ "$pid" -gt 0 ] && $IN test -S "$sock" && [ -s "$TMP/listen" ] &&
	 ! grep -qv "^127\.0\.0\.1:" "$TMP/listen"'
$IN cat "/proc/$pid/status" >"$TMP/status" 2>"$TMP/err"
# 0x...: CAP_BPF 39, CAP_PERFMON 38, CAP_SYS_PTRACE 19, CAP_DAC_READ_SEARCH 2.
check "it holds those four capabilities and no others" \
	'grep -qx "CapBnd:	000000c000080004" "$TMP/status" &&
	 grep -qx "CapEff:	000000c000080004" "$TMP/status"'
check "NoNewPrivileges: no_new_privs is set; SupplementaryGroups: gpumem" \
	'grep -qx "NoNewPrivs:	1" "$TMP/status" &&
	 grep "^Groups:" "$TMP/status" | grep -qw "$(getent group gpumem | cut -d: -f3)"'
# Tried as root with every capability in the process's mount namespace,
# where only a read-only mount stops it (no dot in the name: bpffs
# refuses those).
can_write() {
	$IN nsenter -t "$pid" -m -- sh -c \
		'd=$(mktemp -d "$1/gpumem-deb-test-XXXXXX") && rmdir "$d"' -- "$1"
}
check "ProtectSystem=strict: in its mount namespace /usr is read-only" \
	'! can_write /usr 2>"$TMP/err" && grep -q "Read-only file system" "$TMP/err"'
check "ReadWritePaths=/sys/fs/bpf/gpumem: there the collector can pin, and nowhere else in the bpffs" \
	'can_write /sys/fs/bpf/gpumem 2>"$TMP/err" &&
	 ! can_write /sys/fs/bpf 2>>"$TMP/err" && grep -q "Read-only file system" "$TMP/err"'
# The unit lists the paths ProtectKernelTunables= makes read-only, but for
# the bpffs: each is mounted read-only in its namespace (the topmost mount
# there says so), and kallsyms is closed, where the manager's are not.
ro_at() {
	$IN nsenter -t "$pid" -m -- findmnt -n -o OPTIONS -T "$1" |
		tail -n 1 | grep -q '^ro\(,\|$\)'
}
$IN cat /proc/kallsyms 2>/dev/null | head -c 64 >"$TMP/ksyms.manager"
$IN nsenter -t "$pid" -m -- cat /proc/kallsyms 2>/dev/null | head -c 64 \
	>"$TMP/ksyms.unit"
check "ProtectKernelTunables' paths: /sys, /proc/sys, /proc/irq read-only, /proc/kallsyms closed" \
	'! $IN findmnt -n -o OPTIONS -T /sys | tail -n 1 | grep -q "^ro" &&
	 ro_at /sys 2>"$TMP/err" && ro_at /proc/sys && ro_at /proc/irq &&
	 ro_at /sys/kernel/mm && ro_at /sys/fs/bpf && ! ro_at /sys/fs/bpf/gpumem &&
	 [ -s "$TMP/ksyms.manager" ] && [ ! -s "$TMP/ksyms.unit" ]'
check "ProtectHome: /root is closed to it" \
	'[ "$($IN nsenter -t "$pid" -m -- stat -c %a /root 2>"$TMP/err")" = 0 ]'
check "RuntimeDirectory: /run/gpumem, mode 0755, holds the socket" \
	'[ "$($IN stat -c "%a %U" /run/gpumem 2>"$TMP/err")" = "755 root" ]'
check "Before=display-manager.service, as systemctl show says" \
	'show Before | tr " " "\n" | grep -qx display-manager.service'
port=$(head -n 1 "$TMP/listen" | sed 's/.*://')
$IN python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
	"http://127.0.0.1:$port/metrics" >"$TMP/metrics" 2>"$TMP/err"
check "a scrape of :$port/metrics has gpumem_build_info of this version" \
	'grep -qx "gpumem_build_info{version=\"$(dpkg-query -W -f="\${Version}" gpumemd)\"} 1" "$TMP/metrics"'
# ask USER: the snapshot's keys other than "access", and its scope, asked
# on the socket as USER (Debian's python3: USER may not read root's PATH).
ask() {
	$IN setpriv --reuid "$1" --regid "$(id -g "$1")" --clear-groups \
		/usr/bin/python3 -c '
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(b"{\"get\":\"snapshot\"}\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
doc = json.loads(buf)
scope = doc.pop("access")["scope"]
print(" ".join(sorted(doc)), scope)' "$sock" 2>"$TMP/err"
}
gpumem --json 2>/dev/null | python3 -c 'import json, sys
print(" ".join(sorted(json.load(sys.stdin))))' >"$TMP/want"
check "the socket answers root with the gpumem --json document, all of it" \
	'[ "$(ask root)" = "$(cat "$TMP/want") all" ]'
check "and nobody with their own (the socket lets anyone ask)" \
	'[ "$(ask nobody)" = "$(cat "$TMP/want") own" ]'
timeout 60 $IN systemctl stop gpumemd 2>"$TMP/err"
st=$?
check "systemctl stop gpumemd: it exits 0 on SIGTERM" \
	'[ $st -eq 0 ] && [ "$(show Result)" = success ] &&
	 [ "$(show ExecMainStatus)" = 0 ] && [ "$(show ActiveState)" = inactive ]'
check "and its RuntimeDirectory is removed" '! $IN test -e /run/gpumem'
$IN journalctl -o cat "_SYSTEMD_INVOCATION_ID=$inv" >"$TMP/journal" 2>"$TMP/err"
sed 's/^/# journal: /' "$TMP/journal"
check "its journal: it served the socket and the port" \
	'grep -q "serving $sock and http://127.0.0.1:$port" "$TMP/journal"'
if [ -n "$upid" ]; then
	timeout 30 $IN systemctl exit 2>"$TMP/err"
	timeout 30 sh -c 'while kill -0 "$1" 2>/dev/null; do sleep 0.1; done' \
		-- "$upid"
	kill -0 "$upid" 2>/dev/null
	gone=$?
	# One that is still there goes with its cgroup, or wait would hang.
	[ $gone -ne 0 ] || end_systemd 2>>"$TMP/err"
	wait "$upid"
	st=$?
	check "systemctl exit: that systemd exits 0, its cgroups are removed" \
		'[ $gone -ne 0 ] && [ $st -eq 0 ] && end_systemd 2>>"$TMP/err"'
fi

# gpumem's prerm unloads the collector: gpumemd's, or where this kernel
# has no gpu_mem_total to attach to, a map that stands in, pinned where
# the collector pins its totals; the prerm's `gpumem bpf unload` must
# remove it and the directory (a pin directory there before the install
# is someone else's, and left alone; without gpumem installed, nothing
# would).
pins=/sys/fs/bpf/gpumem
if grep -qx "$pins" "$TMP/before" ||
	! dpkg-query -W -f='${Status}\n' gpumem 2>/dev/null |
	grep -qx "install ok installed"; then
	N=$((N + 1))
	echo "ok $N - gpumem's prerm removes the collector's pins # SKIP $pins was already there, or gpumem is not installed"
	pins=
elif [ -n "$(ls -A "$pins" 2>/dev/null)" ]; then
	echo "# gpumemd's collector left its pins at $pins"
else
	# The unit leaves its empty pin directory after a stop.
	mkdir -p "$pins" && bpftool map create "$pins/gpu_mem_total_map" type hash \
		key 8 value 8 entries 1 name gpu_mem_total 2>"$TMP/err"
	check "a map pinned where the collector pins its totals" \
		'[ -e "$pins/gpu_mem_total_map" ]'
fi

apt-get purge -y -qq $APT_WAIT $PKGS >"$TMP/apt.log" 2>"$TMP/err"
check "apt purges them" '[ $? -eq 0 ] && [ -z "$(installed)" ]'
[ -z "$pins" ] || check "gpumem's prerm unloaded the collector: $pins is gone" \
	'[ ! -e "$pins" ]'
# Directories such as /usr/bin stay; one of the packages' own would show
# in the comparison of the trees below.
while read -r f; do
	{ [ -e "$f" ] || [ -L "$f" ]; } && [ ! -d "$f" ] && echo "$f"
done <"$TMP/files" >"$TMP/err"
check "no file of the packages is left" '[ ! -s "$TMP/err" ]'
tree >"$TMP/after"
diff "$TMP/before" "$TMP/after" >"$TMP/err"
check "the system's files are as before the install" '[ $? -eq 0 ]'
getent group gpumem >"$TMP/group.after"
check "the group gpumem is gone (or as it was before)" \
	'cmp -s "$TMP/group.before" "$TMP/group.after"'

echo "1..$N"
[ "$FAILED" -eq 0 ]
