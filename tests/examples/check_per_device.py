#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""examples/per_device on the demo fixture, against its hand-computed truth
(expected.json) and against the fixture's own fdinfo text.  TAP."""
import json
import os
import re
import subprocess
import sys

exe, tree = sys.argv[1], sys.argv[2]
exp = json.load(open(os.path.join(tree, "expected.json")))
out = subprocess.run([exe, tree], capture_output=True, text=True, check=True)
rows = [l.split("\t") for l in out.stdout.splitlines()[1:]]
results = []


def check(name, ok, why=""):
    results.append((name, ok, why))


per_pid = {}
for r in rows:
    pid, rss, pss = r[0], int(r[3]), int(r[4])
    kinds = dict(k.split("=") for k in r[5:])
    tot = per_pid.setdefault(pid, [0, 0])
    tot[0] += rss
    tot[1] += pss
    check("pid %s %s: by kind adds up to rss" % (pid, r[2]),
          sum(int(v) for v in kinds.values()) == rss)

for pid, e in sorted(exp["processes"].items()):
    if not e["clients"]:
        continue
    got = per_pid.get(pid, [0, 0])
    check("pid %s: rss over devices = gpu_total_bytes" % pid,
          got[0] == e["gpu_total_bytes"], "%d != %d" % (got[0], e["gpu_total_bytes"]))
    check("pid %s: pss over devices = gpu_pss_bytes" % pid,
          got[1] == e["gpu_pss_upper_bytes"],
          "%d != %d" % (got[1], e["gpu_pss_upper_bytes"]))


# The game's VRAM on card0, as its fdinfo says (amdgpu's legacy keys, KiB).
def fdinfo_sum(pid, key):
    total, seen = 0, set()
    d = os.path.join(tree, "proc", pid, "fdinfo")
    for fd in os.listdir(d):
        text = open(os.path.join(d, fd)).read()
        cid = re.search(r"^drm-client-id:\s*(\d+)", text, re.M)
        m = re.search(r"^%s:\s*(\d+) KiB" % key, text, re.M)
        if cid and m and cid.group(1) not in seen:
            seen.add(cid.group(1))
            total += int(m.group(1)) * 1024
    return total


game = [r for r in rows if r[0] == "4102" and r[2] == "card0"]
want = fdinfo_sum("4102", "drm-memory-vram")
check("witcher3 vram on card0 = its fdinfo drm-memory-vram", len(game) == 1 and
      dict(k.split("=") for k in game[0][5:])["vram"] == str(want),
      "want %d" % want)

print("1..%d" % len(results))
for i, (name, ok, why) in enumerate(results, 1):
    print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name,
                            "" if ok else " # " + why))
sys.exit(0 if all(ok for _, ok, _ in results) else 1)
