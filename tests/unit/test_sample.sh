#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumem [INTERVAL [COUNT]]: tables with a time line, NDJSON, CSV, the
# refresh path, replay of a recorded series, SIGINT/SIGTERM and a closed
# pipe; the renamed short options of bpf and trace.
# Usage: test_sample.sh path/to/gpumem tests/fixtures     Output: TAP.
set -u

GPUMEM=${1:?usage: test_sample.sh path/to/gpumem FIXTURES}
FIX=${2:?usage: test_sample.sh path/to/gpumem FIXTURES}
SERIES=$FIX/series-leak

. "$(dirname "$0")/tap.sh"
export TMP

# A tree with a hostile comm: a comma, quotes and a newline.
R=$TMP/root
mkdir -p "$R/proc/100/fd" "$R/proc/100/fdinfo"
printf 'a,"b"\nc\n' >"$R/proc/100/comm"
: >"$R/proc/100/maps"
ln -s /dev/dri/renderD128 "$R/proc/100/fd/5"
printf 'pos:\t0\nflags:\t02\nmnt_id:\t1\nino:\t9\ndrm-driver:\ti915\ndrm-client-id:\t1\ndrm-total-system0:\t4 KiB\n' \
	>"$R/proc/100/fdinfo/5"

run --root "$SERIES" 0.02 3 --json
rc_is "3 NDJSON samples" 0
py "NDJSON: 3 lines, each a whole document, times rising" "$TMP/out" '
import json, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "" and len(lines) == 4, lines
docs = [json.loads(l) for l in lines[:-1]]
t = [d["time"]["realtime_ns"] for d in docs]
assert t == sorted(t) and len(set(t)) == 3, t
assert len({d["schema_version"] for d in docs}) == 1'

run --root "$FIX/demo-desktop" 0.02 3 --json --reindex 3600
py "after the first, samples take the refresh path" "$TMP/out" '
import json, sys
r = [json.loads(l)["scan"]["refreshed"] for l in open(sys.argv[1])]
assert r == [False, True, True], r'
run --root "$FIX/demo-desktop" 0.02 3 --json --reindex 0
py "--reindex 0: every sample a full walk" "$TMP/out" '
import json, sys
r = [json.loads(l)["scan"]["refreshed"] for l in open(sys.argv[1])]
assert r == [False, False, False], r'
run --root "$FIX/demo-desktop" 0.02 3 --json --reindex 3600 --bytes
py "a refresh gives the figures of a full walk" "$TMP/out" '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
key = lambda x: [(p["pid"], p["gpu_pss_bytes"], p["dmabuf_pss_bytes"])
                 for p in x["processes"]] + [v["total_bytes"] for v in x["devices"]]
assert key(d[0]) == key(d[1]) == key(d[2])'

run --root "$FIX/demo-desktop" 0.02 2
rc_is "tables every interval" 0
check "each table after its time line" \
	'[ "$(grep -cE "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} " "$TMP/out")" = 2 ] &&
	 [ "$(grep -c "^DEVICE " "$TMP/out")" = 2 ] && head -1 "$TMP/out" | grep -qE "^[0-9]{4}-"'

for bad in 0 -1 abc nan inf 0x10 1e9 0.001 ""; do
	run --root "$R" "$bad"
	rc_is "interval '$bad' refused" 1
done
for bad in 0 x -3 1.5; do
	run --root "$R" 1 "$bad"
	rc_is "count '$bad' refused" 1
done
run --root "$R" 1 2 3
rc_is "a third operand refused" 1
run --root "$R" -o bogus
rc_is "-o bogus refused" 1
run --root "$R" --reindex -1
rc_is "--reindex -1 refused" 1

# --group as a series: per sample, the groups' sums are that sample's
# processes' (from the --json series of the same captures).
run --root "$SERIES" 0.01 --json
cp "$TMP/out" "$TMP/procs.ndjson"
run --root "$SERIES" 0.01 --json --group unit
rc_is "--group --json INTERVAL: a series" 0
py "--group NDJSON: a document a line, each sample's groups closing on its processes" "$TMP/out" '
import json, os, sys
g = [json.loads(l) for l in open(sys.argv[1])]
p = [json.loads(l) for l in open(os.environ["TMP"] + "/procs.ndjson")]
assert len(g) == len(p) == 12, (len(g), len(p))
for a, b in zip(g, p):
    assert a["group_by"] == "unit", a
    for k in ("gpu_pss_upper_bytes", "dmabuf_pss_bytes"):
        want = sum(x[k] for x in b["processes"])
        assert sum(x[k] for x in a["groups"]) == want == a["total"][k], k
    assert a["total"]["processes"] == len(b["processes"])
t = [a["time"]["realtime_ns"] for a in g]
assert t == sorted(t) and len(set(t)) == len(t), t
growth = [a["total"]["gpu_pss_upper_bytes"] for a in g]
assert len(set(growth)) > 1, growth'
run --root "$SERIES" 0.01 --csv --group user
rc_is "--group --csv INTERVAL: a series" 0
py "--group CSV: one head, then a row per group and sample, as its NDJSON says" "$TMP/out" '
import csv, json, os, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head = ["time.realtime_ns", "time.boottime_ns", "group_by", "processes",
        "gpu_pss_bytes", "gpu_pss_upper_bytes", "dmabuf_pss_bytes",
        "unknown_clients", "name"]
assert rows[0] == head, rows[0]
p = [json.loads(l) for l in open(os.environ["TMP"] + "/procs.ndjson")]
body = [dict(zip(head, r)) for r in rows[1:]]
assert all(len(r) == len(head) for r in rows[1:])
assert len(body) == len(p), (len(body), len(p))
t = [int(r["time.realtime_ns"]) for r in body]
assert t == sorted(t) and len(set(t)) == len(t), t
for r, b in zip(body, p):
    assert r["group_by"] == "user" and r["name"] == "unknown", r
    assert int(r["processes"]) == len(b["processes"])
    assert int(r["gpu_pss_upper_bytes"]) == sum(
        x["gpu_pss_upper_bytes"] for x in b["processes"]), r'

# Replay: each capture of the series once, in order, then the end.
run --root "$SERIES" 0.01 --json
rc_is "a series replays to its end" 0
py "replay: 12 samples in order, the leak rising 16 MiB a sample" "$TMP/out" '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
assert len(d) == 12, len(d)
leak = [next(p["gpu_total_bytes"] for p in x["processes"] if p["pid"] == 100)
        for x in d]
assert leak == [(64 + 16 * i) << 20 for i in range(12)], leak'
run --root "$SERIES" --json
py "one sample of a series: its first capture" "$TMP/out" '
import json, sys
d = json.load(open(sys.argv[1]))
assert {p["pid"]: p["gpu_total_bytes"] >> 20 for p in d["processes"]} == \
    {100: 64, 200: 32, 300: 128}'
mkdir -p "$TMP/series/01/proc" "$TMP/series/.9/proc" "$TMP/series/notcap"
ln -s "$SERIES/00" "$TMP/series/02"
run --root "$TMP/series" 0.01 --json
py "a series skips symlinks, dot names and non-captures" "$TMP/out" '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
assert len(d) == 1 and d[0]["processes"] == [], d'

# record: NDJSON appended, one whole document a line, FILE 0600.
run record "$TMP/rec.ndjson" --root "$SERIES" 0.01 4
rc_is "record 4 samples of the series" 0
run record --root "$SERIES" "$TMP/rec.ndjson" 0.01
rc_is "record the whole series after them" 0
py "record appends: 4 + 12 lines, each a whole document" "$TMP/rec.ndjson" '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
leak = [next(p["gpu_total_bytes"] >> 20 for p in x["processes"] if p["pid"] == 100)
        for x in d]
assert leak == [64, 80, 96, 112] + [64 + 16 * i for i in range(12)], leak'
check "a recording is made 0600" \
	'[ "$(stat -c %a "$TMP/rec.ndjson")" = 600 ]'
run record
rc_is "record without FILE" 1
run record "$TMP/nodir/x" --root "$SERIES"
rc_is "record into a missing directory" 3
run record "$TMP/r2" --root "$TMP/noproc" 1 1
rc_is "record of a root without proc" 2

# Stopped by a signal: exit 0, every line written whole.
for sig in INT TERM; do
	# Emptied here: the child's own redirection may come after the first
	# look below, which would then count the last round's lines.
	: >"$TMP/out"
	"$GPUMEM" --root "$FIX/demo-desktop" 0.02 --json >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	# Until two samples are out (60 s at most: an ASan build on a loaded
	# machine can take seconds to start).
	i=0
	while [ "$(wc -l <"$TMP/out")" -lt 2 ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -$sig $pid
	wait $pid
	echo $? >"$TMP/rc"
	rc_is "SIG$sig ends the series" 0
	py "SIG$sig: only whole documents written" "$TMP/out" '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
assert len(d) >= 2, len(d)'
done

# A reader that goes away ends the series, quietly, with exit 0.
{ "$GPUMEM" --root "$FIX/demo-desktop" 0.01 --json 2>"$TMP/err"; echo $? >"$TMP/rc"; } |
	head -n 2 >"$TMP/out"
rc_is "a closed pipe ends the series" 0
check "a closed pipe: nothing on stderr" '[ ! -s "$TMP/err" ]'
{ "$GPUMEM" --root "$FIX/demo-desktop" 0.01 2>"$TMP/err"; echo $? >"$TMP/rc"; } |
	head -n 1 >"$TMP/out"
rc_is "a closed pipe ends the tables" 0

# CSV: a row per process and device it holds memory of, per sample.
run --root "$FIX/demo-desktop" --json
cp "$TMP/out" "$TMP/json"
run --root "$FIX/demo-desktop" 0.02 2 --csv --bytes
rc_is "CSV of two samples" 0
py "CSV: one header, a row per process, device and sample" "$TMP/out" '
import csv, json, sys, os
rows = list(csv.reader(open(sys.argv[1])))
doc = json.load(open(os.environ["TMP"] + "/json"))
want = sum(max(1, len(p["gpu_devices"])) for p in doc["processes"])
head = rows[0]
assert head[:4] == ["time.realtime_ns", "time.boottime_ns", "pid", "comm"], head
assert "gpu_devices.by_kind.vram" in head and "gpu_devices.card" in head
assert len(rows) == 1 + 2 * want, (len(rows), want)
assert len({r[0] for r in rows[1:]}) == 2
assert all(len(r) == len(head) for r in rows)
i = {k: n for n, k in enumerate(head)}
per = {(r[i["pid"]], r[i["gpu_devices.card"]]):
       (r[i["gpu_devices.pss_bytes"]], r[i["gpu_devices.pss_upper_bytes"]])
       for r in rows[1:]}
cell = lambda v: "" if v is None else str(v)
for p in doc["processes"]:
    for d in p["gpu_devices"]:
        assert per[(str(p["pid"]), d["card"])] == \
            (cell(d["pss_bytes"]), cell(d["pss_upper_bytes"])), (p["pid"], d)'
run --root "$FIX/demo-desktop" -o csv
cp "$TMP/out" "$TMP/csv-o"
run --root "$FIX/demo-desktop" -c
check "-o csv is --csv (-c)" 'cut -d, -f3- "$TMP/out" | cmp -s - "$TMP/csv-o" ||
	[ "$(cut -d, -f3- "$TMP/out")" = "$(cut -d, -f3- "$TMP/csv-o")" ]'
run --root "$R" --csv
py "CSV: a hostile comm is one escaped, quoted cell" "$TMP/out" '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert len(rows) == 2, rows
comm = rows[1][rows[0].index("comm")]
assert comm == "a,\"b\"\\x0ac", repr(comm)'

# bpf and trace: -n/-d/-c mean count, delay and CSV elsewhere.
for cmd in "bpf load -n 5" "bpf load -d /x" "trace -c 5" "trace -d /x"; do
	# shellcheck disable=SC2086
	run $cmd --help
	check "gpumem $cmd: old spelling works, with a deprecation note" \
		'[ "$(cat "$TMP/rc")" = 0 ] && grep -q "deprecated" "$TMP/err"'
done
for cmd in "bpf load -m 5" "bpf load -P /x" "trace -n 5" "trace -P /x"; do
	# shellcheck disable=SC2086
	run $cmd --help
	check "gpumem $cmd: the new spelling, no note" \
		'[ "$(cat "$TMP/rc")" = 0 ] && [ ! -s "$TMP/err" ]'
done
run trace --help
check "trace --help names -n and -P" 'grep -q -- "-n, --count" "$TMP/out" &&
	grep -q -- "-P, --pin-dir" "$TMP/out"'

echo "1..$N"
[ "$FAILED" -eq 0 ]
