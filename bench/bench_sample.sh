#!/bin/sh
# SPDX-License-Identifier: MIT
# CPU of `gpumem 1` (a table a second), of `gpumem --json 1` (NDJSON) and
# of `gpumem top` at 1 s (--batch, every row of every frame to /dev/null;
# and its terminal view, 200x50, in a pseudo-terminal of script(1)) over
# 1,000 GPU-holding processes x 20 fds (bench_scan's desktop tree, in
# /dev/shm), as a share of one core: CPU time (user + system, from the
# kernel's rusage of the child) over the wall time it ran.  Goal <= 2%.
# The figure is one run's; nothing here is asserted.  Then what load on
# the machine cannot move: the syscalls (strace -c) and user instructions
# (valgrind's callgrind) of one refresh of the table and of the NDJSON,
# from runs of 1 and N samples 0.01 s apart with no full walk between.
#   bench/bench_sample.sh [GPUMEM [BENCH_SCAN [SECONDS]]]
set -eu

GPUMEM=${1:-build/src/gpumem}
BENCH_SCAN=${2:-build/bench/bench_scan}
SECS=${3:-60}
DIR=$(mktemp -d /dev/shm/gpumem-bench-sample-XXXXXX)
trap 'rm -rf "$DIR"' EXIT INT TERM

"$BENCH_SCAN" --tree "$DIR/root" 1000 20
python3 - "$GPUMEM" "$DIR/root" "$SECS" <<'PY'
import os, subprocess, sys, time
gpumem, root, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
tty = "stty cols 200 rows 50; exec %s top --root %s -d 1 -n %d" % (
    gpumem, root, secs)
runs = [("gpumem 1 %d" % secs, [gpumem, "--root", root, "1", str(secs)]),
        ("gpumem --json 1 %d" % secs,
         [gpumem, "--root", root, "--json", "1", str(secs)]),
        ("gpumem top --batch -d 1 -n %d" % secs,
         [gpumem, "top", "--root", root, "--batch", "-d", "1", "-n", str(secs)]),
        ("gpumem top -d 1 -n %d (200x50)" % secs,
         ["script", "-qfec", tty, "/dev/null"])]
env = dict(os.environ, TERM="xterm-256color")
for name, cmd in runs:
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    cpu = ru.ru_utime + ru.ru_stime
    assert status == 0, (name, status)
    print("%-34s 1000 procs x 20 fds: CPU %.2f s over %.1f s "
          "= %.2f%% of one core (goal <= 2%%)"
          % (name, cpu, wall, 100 * cpu / wall))
PY

# COUNT_CMD N: the count for N samples (--reindex 1000: refreshes only).
syscalls() {
	strace -f -c -o "$DIR/strace" "$GPUMEM" --root "$DIR/root" \
		--reindex 1000 $MODE 0.01 "$1" >/dev/null 2>&1
	awk '$NF == "total" { print $(NF - 2) }' "$DIR/strace"
}
instructions() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$GPUMEM" \
		--root "$DIR/root" --reindex 1000 $MODE 0.01 "$1" 2>&1 \
		>/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for MODE in "" --json; do
	name="gpumem ${MODE:+$MODE }0.01 N"
	if command -v strace >/dev/null; then
		a=$(syscalls 1) b=$(syscalls 21)
		echo "$name, one refresh: $(( (b - a) / 20 )) syscalls"
	fi
	if command -v valgrind >/dev/null; then
		a=$(instructions 1) b=$(instructions 4)
		echo "$name, one refresh: $(( (b - a) / 3000000 )).$(( (b - a) / 300000 % 10 ))M user instructions"
	fi
done
