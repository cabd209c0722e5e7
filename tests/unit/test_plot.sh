#!/bin/sh
# SPDX-License-Identifier: MIT
# gpumem plot on a recording of tests/fixtures/series-leak: the PNG's size
# (its IHDR), the SVG's series (paths of the series line widths) and axis
# labels (its <desc>), the leak marked on the leak only; hostile lines.
# Usage: test_plot.sh path/to/gpumem tests/fixtures     Output: TAP.
set -u

GPUMEM=${1:?usage: test_plot.sh path/to/gpumem FIXTURES}
FIX=${2:?usage: test_plot.sh path/to/gpumem FIXTURES}
. "$(dirname "$0")/tap.sh"

REC=$TMP/rec.ndjson
run record "$REC" --root "$FIX/series-leak" 0.01
rc_is "record the series" 0

run plot "$REC" -o "$TMP/p.png" --size 800x400
rc_is "plot a PNG" 0
py "the PNG is 800x400" "$TMP/p.png" '
import struct, sys
b = open(sys.argv[1], "rb").read(32)
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", b
assert struct.unpack(">II", b[16:24]) == (800, 400), struct.unpack(">II", b[16:24])'

run plot "$REC" -o "$TMP/p.svg" --top 2
rc_is "plot an SVG" 0
py "SVG: a path per series, the device thicker" "$TMP/p.svg" '
import re, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
widths = [re.search(r"stroke-width:([0-9.]+)", p.get("style", ""))
          for p in root.iter(ns + "path")]
widths = [w.group(1) for w in widths if w]
# A line in the plot and one in the legend per series.
assert widths.count("2.5") == 2 and widths.count("1.5") == 4, widths'
py "SVG: desc names 1 device and the top 2 processes, the leak marked" "$TMP/p.svg" '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
desc = root.find("{http://www.w3.org/2000/svg}desc").text.split("\n")
series = [l for l in desc if l.startswith("series: ")]
assert series == ["series: device: card0", "series: process: 100 leaky (leak)",
                  "series: process: 300 steady"], series'
py "SVG: y labels in binary units up to the peak, x in seconds" "$TMP/p.svg" '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
desc = root.find("{http://www.w3.org/2000/svg}desc").text.split("\n")
y = [l[9:] for l in desc if l.startswith("y-label: ")]
# Peak: card0 at 240 + 128 + 80 = 448 MiB; 64 MiB ticks.
assert y == ["%d MiB" % (64 * i) for i in range(9)], y
x = [l for l in desc if l.startswith("x-label: ")]
assert x and x[0] == "x-label: 0 s", x
assert any(l.startswith("time from ") for l in desc)'

# Hostile lines are skipped and said; what is left is drawn.
{
	printf 'not json\n{"time":{"realtime_ns":"x"},"devices":[],"processes":[]}\n'
	printf '{"time":{"realtime_ns":5},"devices":[{"card":"card0\\u001b[2J","total_bytes":1}],"processes":[{"pid":-1,"comm":"x","gpu_total_bytes":1}]}\n'
	printf '\n'
	head -3 "$REC"
	printf '{"time":{"realtime_ns":1},"devices":[],"processes":[]}\n'
} >"$TMP/bad.ndjson"
run plot "$TMP/bad.ndjson" -o "$TMP/bad.svg"
rc_is "plot a recording with bad lines" 0
check "bad lines counted on stderr" \
	'grep -q "3 lines that are no sample in time order skipped" "$TMP/err"'
py "a bad card name or pid makes no series" "$TMP/bad.svg" '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
desc = root.find("{http://www.w3.org/2000/svg}desc").text
assert "\x1b" not in desc and "-1 " not in desc, desc
assert desc.count("series: device: ") == 1, desc'

# An NVIDIA GPU without a DRM node is "nvidiaN" (NVML): a device too.
printf '{"time":{"realtime_ns":%s},"devices":[{"card":"%s","total_bytes":%s}],"processes":[]}\n' \
	1 nvidia0 5 1 card0 7 2 nvidia0 9 >"$TMP/nv.ndjson"
run plot "$TMP/nv.ndjson" -o "$TMP/nv.svg"
py "nvidiaN and cardN are each a device series" "$TMP/nv.svg" '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
desc = root.find("{http://www.w3.org/2000/svg}desc").text.split("\n")
assert [l for l in desc if l.startswith("series: ")] == \
    ["series: device: card0", "series: device: nvidia0"], desc'

: >"$TMP/empty"
run plot "$TMP/empty" -o "$TMP/e.png"
rc_is "an empty recording" 2
run plot "$TMP/missing" -o "$TMP/e.png"
rc_is "a missing recording" 2
run plot "$REC"
rc_is "no -o" 1
run plot -o "$TMP/e.png"
rc_is "no FILE" 1
run plot "$REC" -o "$TMP/e.png" --size 10x10
rc_is "--size too small" 1
run plot "$REC" -o "$TMP/nodir/e.png"
rc_is "OUT not writable" 3

echo "1..$N"
[ "$FAILED" -eq 0 ]
