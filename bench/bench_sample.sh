#!/bin/sh
# SPDX-License-Identifier: MIT
# CPU of `gpumem 1` (a table a second) and of `gpumem --json 1` (NDJSON)
# over 1,000 GPU-holding processes x 20 fds (bench_scan's desktop tree, in
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
for mode in ([], ["--json"]):
    cmd = [gpumem, "--root", root] + mode + ["1", str(secs)]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    cpu = ru.ru_utime + ru.ru_stime
    assert status == 0, status
    print("gpumem %-6s 1 %d, 1000 procs x 20 fds: CPU %.2f s over %.1f s "
          "= %.2f%% of one core (goal <= 2%%)"
          % (" ".join(mode) or "table", secs, cpu, wall, 100 * cpu / wall))
PY
