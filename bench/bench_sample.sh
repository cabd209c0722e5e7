#!/bin/sh
# SPDX-License-Identifier: MIT
# CPU of `gpumem 1` (a table a second), of `gpumem --json 1` (NDJSON) and
# of `gpumem top` at 1 s (--batch, every row of every frame to /dev/null;
# and its terminal view, 200x50, in a pseudo-terminal of script(1)) over
# 1,000 GPU-holding processes x 20 fds (bench_scan's desktop tree, in
# /dev/shm), as a share of one core: CPU time (user + system, from the
# kernel's rusage of the child) over the wall time it ran.  Goal <= 2%.
# The figure is one run's; nothing here is asserted.
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
