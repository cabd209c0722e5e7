#!/bin/sh
# SPDX-License-Identifier: MIT
# The gpu_mem_total BPF collector (gpumem bpf load) in the VM: pin modes
# with and without group gpumem, its maps against the workload's truth at
# every step, a collector loaded late, and who may read the pins.  The
# kernel does not replay totals to a new reader: a key is in the maps once
# it changed after the load, and then it must equal the truth.  Two virtio-gpu devices (tests/vm/run.sh):
# the "gpus" scenario has keys on both.
T=/tmp/bpf50
mkdir -p $T
[ -d /sys/fs/bpf ] || { echo "not ok - bpf: no /sys/fs/bpf"; exit 0; }

. /tests/common.inc

# "gpu pid bytes" the truth lines of the step in $T/truth expect, nonzero
# only; $BASE has what others hold on each device.
expected() {
	awk -v base="$BASE" 'BEGIN {
		n = split(base, b, " ")
		for (i = 1; i < n; i += 2) dev[b[i]] = b[i + 1]
	} /^truth step=[0-9]+ gpu=/ {
		split($3, g, "="); split($4, p, "="); split($5, b, "=")
		v = b[2] + (p[2] == 0 ? dev[g[2]] : 0)
		if (v) print g[2], p[2], v
	}' $T/truth | sort
}

# What the collector was loaded into: the truth's keys then ($T/truth, if
# any) and every device's baseline.
mark_loaded() {
	{ expected; echo "$BASE" | awk '{ for (i = 1; i < NF; i += 2) print $i, 0, $(i + 1) }'; } |
		awk '!seen[$1 " " $2]++' > $T/loaded
	: > $T/changed
}

# expected(), only for the keys that changed since the load ($T/changed
# keeps them across steps): the others have had no event to tell it.
known() {
	expected > $T/cur
	awk -v changed=$T/changed.new '
	FILENAME == ARGV[1] { was[$1 " " $2] = $3; next }
	FILENAME == ARGV[2] { seen[$1 " " $2] = 1; next }
	{ now[$1 " " $2] = $3 }
	END {
		for (k in now) if (!(k in was) || was[k] != now[k]) seen[k] = 1
		for (k in was) if (!(k in now)) seen[k] = 1
		for (k in seen) print k > changed
		for (k in now) if (k in seen) print k, now[k]
	}' $T/loaded $T/changed $T/cur | sort
	mv $T/changed.new $T/changed
}

# The same from the maps, for the truth's pids only.
actual() {
	gpumem bpf dump | awk -v t=$T/truth 'BEGIN {
		while ((getline l < t) > 0)
			if (l ~ /^truth step=[0-9]+ gpu=/) {
				split(l, f, " "); split(f[4], p, "="); want[p[2]] = 1
			}
	} NR > 1 && ($2 in want) { print $1, $2, $3 }' | sort
}

# Events trailing a step (a free the host finishes) get 1 s.
check_step() {
	CHECKED=$((CHECKED + 1))
	i=0
	while [ $i -lt 20 ]; do
		known > $T/e
		actual > $T/a
		cmp -s $T/e $T/a && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "# step $1: truth vs maps:"
	diff $T/e $T/a | sed 's/^/#   /' | head -8
	BAD="$BAD $1"
}

every_step() { check_step "$1"; }
from_step3() {
	if [ "$1" = 3 ]; then
		gpumem bpf load > /dev/null 2>$T/late.err || cat $T/late.err
		mark_loaded
	fi
	[ "$1" -lt 3 ] || check_step "$1"
}

mode() { ls -ld "$1" | awk '{ print $1, $3, $4 }'; }

echo "# unprivileged_bpf_disabled=$(cat /proc/sys/kernel/unprivileged_bpf_disabled)"
# busybox here has su but no adduser: users by hand.
mkdir -p /etc
[ -f /etc/passwd ] || echo 'root:x:0:0:root:/:/bin/sh' > /etc/passwd
[ -f /etc/group ] || echo 'root:x:0:' > /etc/group

gpumem bpf unload 2>/dev/null
gpumem bpf load > $T/load.out 2> $T/load.err
say $? "bpf: load without group gpumem"
grep -q "no group 'gpumem'" $T/load.err
say $? "bpf: a missing group is said (pins root-only)"
[ "$(mode /sys/fs/bpf/gpumem)" = "drwx------ root root" ] &&
	[ "$(mode /sys/fs/bpf/gpumem/gpu_mem_total_map)" = "-rw------- root root" ]
say $? "bpf: without the group, dir 0700 and maps 0600"
gpumem bpf unload
echo 'gpumem:x:1500:alice' >> /etc/group
echo 'alice:x:1501:1501::/:/bin/sh' >> /etc/passwd
echo 'bob:x:1502:1502::/:/bin/sh' >> /etc/passwd
gpumem bpf load > $T/load.out 2> $T/load.err
say $? "bpf: load: $(cat $T/load.out $T/load.err | tr '\n' ' ')"
[ "$(mode /sys/fs/bpf/gpumem)" = "drwxr-x--- root gpumem" ] &&
	[ "$(mode /sys/fs/bpf/gpumem/gpu_mem_total_map)" = "-rw-r----- root gpumem" ] &&
	[ "$(mode /sys/fs/bpf/gpumem/globals)" = "-rw-r----- root gpumem" ]
say $? "bpf: dir 0750, maps 0640, root:gpumem"
gpumem bpf load > /dev/null 2> $T/again.err
[ $? -ne 0 ] && grep -q "holds pins: already loaded" $T/again.err
say $? "bpf: a second load is refused: $(cat $T/again.err)"
# gpumemd.service makes the directory (mkdir -p, 0755) before the start.
gpumem bpf unload
mkdir -m 0755 /sys/fs/bpf/gpumem
gpumem bpf load > /dev/null 2> $T/made.err
[ $? -eq 0 ] && [ "$(mode /sys/fs/bpf/gpumem)" = "drwxr-x--- root gpumem" ] &&
	[ -e /sys/fs/bpf/gpumem/link ]
say $? "bpf: an empty pin directory made before is taken, and ends 0750: $(cat $T/made.err)"
gpumem bpf unload
mkdir -m 0755 /sys/fs/bpf/gpumem && chown 1502 /sys/fs/bpf/gpumem
gpumem bpf load > /dev/null 2> $T/theirs.err
[ $? -ne 0 ] && grep -q "not root's" $T/theirs.err &&
	[ "$(mode /sys/fs/bpf/gpumem)" = "drwxr-xr-x bob root" ]
say $? "bpf: an empty pin directory of someone else's is refused, as it was: $(cat $T/theirs.err)"
rmdir /sys/fs/bpf/gpumem
# A load that died before its last pin: the maps are there, no program.
gpumem bpf load > /dev/null && rm /sys/fs/bpf/gpumem/link
gpumem bpf status > /dev/null 2> $T/half.err
rc=$?
[ $rc -ne 0 ] && grep -q "a load died half-way" $T/half.err
say $? "bpf: maps without their link are not read as a collector (exit $rc): $(cat $T/half.err)"
gpumem sources > $T/half.sources
grep -q "^error *pinned maps.*a load died half-way" $T/half.sources
say $? "bpf: gpumem sources says the pins are half a load: $(grep 'pinned maps' $T/half.sources)"
gpumem bpf unload
gpumem bpf load > /dev/null
gpumem sources > $T/sources
grep -q "^found *tracepoint" $T/sources && grep -q "^found *pinned maps" $T/sources
say $? "bpf: gpumem sources finds the tracepoint and the pins"

for sc in basic holders prime gpus; do
	BAD=
	CHECKED=0
	BASE=$(gpu_totals)
	gpumem bpf unload
	gpumem bpf load > /dev/null
	: > $T/truth
	mark_loaded
	run_sync $sc every_step
	say $? "bpf/$sc: workload ran"
	[ -z "$BAD" ] && [ $CHECKED -gt 0 ]
	say $? "bpf/$sc: maps equal the truth at all $CHECKED steps${BAD:+ (not at$BAD)}"
done

# With the collector, its per-(card, pid) totals are the processes' GPU RSS
# (docs/model.md, GPU shares); 15-gpumem.sh runs the same without it.
if command -v gpumemcheck >/dev/null; then
	for sc in prime overlap; do
		gpumemcheck --collector $sc
	done
fi

gpumem bpf status > $T/status
grep -q "^dropped (totals map full): 0$" $T/status
say $? "bpf: nothing dropped below the map's size"

# Late: no probe on the tracepoint until step 3 (ftrace is off here).
gpumem bpf unload
BAD=
CHECKED=0
BASE=$(gpu_totals)
run_sync holders from_step3
[ -z "$BAD" ] && [ $CHECKED -gt 0 ]
say $? "bpf/late: loaded at step 3, every key that changed since equals the truth at the $CHECKED steps from there${BAD:+ (not at$BAD)}"

# Readers: a member of gpumem reads the pins, a non-member cannot.
su -s /bin/sh alice -c "gpumem bpf dump" > $T/alice 2>&1
say $? "bpf: group member alice reads the pins unprivileged"
su -s /bin/sh alice -c "gpumem bpf dump --android" > $T/alice.android 2>&1 &&
	head -1 $T/alice.android | grep -q "^Memory snapshot for GPU 0:$\|^GPU memory total usage map is empty$"
say $? "bpf: dump --android as alice: $(head -1 $T/alice.android)"
su -s /bin/sh bob -c "gpumem bpf dump" > $T/bob 2>&1
rc=$?
[ $rc = 2 ] && grep -q "Permission denied: join group gpumem" $T/bob
say $? "bpf: non-member bob is refused with one clear line (exit $rc)"
su -s /bin/sh bob -c "gpumem" > $T/bob.show 2>&1
say $? "bpf: gpumem show still works for bob without the pins"
grep -q "not readable: join group gpumem" $T/bob.show
say $? "bpf: gpumem show tells bob the tracepoint figures are missing"
gpumem bpf unload
