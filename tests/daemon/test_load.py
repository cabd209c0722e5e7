#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Load and faults, bounded in count and on loopback only:
- 100 clients x 1,000 requests on the socket while 10,000 scrapes run:
  every reply a JSON object (an error exactly for the malformed ones),
  every scrape whole, none lost;
- 10,000 fuzzed request lines (mutations of good ones, seeded): one JSON
  object back for each, the daemon alive;
- kill -9 under load, then a restart on the same socket: the stale socket
  file is taken over and the history restarts with a gap that says so.
The collector's pins are reused across the restart only on a live system
whose kernel has the gpu_mem_total tracepoint: tests/vm proves that.

test_load.py GPUMEMD FIXTURE GMD_LOAD
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gmd  # noqa: E402

GOOD = [b'{"get":"snapshot"}', b'{"get":"history","seconds":5}',
        b'{"get":"explain"}']


def load(t, d, loader, clients, each, scrapes):
    r = subprocess.run([loader, d.sock, str(d.port), str(clients), str(each),
                        str(scrapes)], capture_output=True, timeout=900)
    out = r.stdout.decode().split()
    counts = dict(zip(out[0::2], map(int, out[1::2])))
    print("# %s" % r.stdout.decode().strip())
    t.eq(counts.get("replies"), clients * each,
         "%d clients x %d requests: every reply" % (clients, each))
    t.eq((counts.get("bad"), counts.get("lost")), (0, 0),
         "... each one JSON object, errors only for the malformed")
    t.eq(counts.get("bad_scrapes"), 0, "%d scrapes meanwhile, none failed"
         % scrapes)


def mutate(rng, line):
    b = bytearray(line)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:
            del b[min(pos, len(b) - 1)]
        elif op == 1:
            b.insert(pos, rng.randrange(256))
        elif op == 2 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        else:
            b[pos:pos] = rng.choice([b'{', b'}', b'"', b'\\u0000', b'[',
                                     b'"seconds":99999999999', b'null'])
    # one request per line: a newline inside would make two
    return bytes(b).replace(b"\n", b" ")


def fuzz(t, d, count):
    rng = random.Random(11)
    s = d.connect()
    bad = []
    for i in range(count):
        line = mutate(rng, rng.choice(GOOD))
        s.sendall(line + b"\n")
        reply = s.readline()
        try:
            ok = isinstance(json.loads(reply), dict)
        except ValueError:
            ok = False
        if not ok:
            bad.append((line, reply[:80]))
    s.close()
    t.ok(not bad, "%d fuzzed requests: a JSON object for each" % count,
         bad[:3])
    t.ok(d.proc.poll() is None and "processes" in d.ask({"get": "snapshot"}),
         "... and the daemon goes on")


def kill_under_load(t, d, loader, exe, fixture, tmp):
    bg = subprocess.Popen([loader, d.sock, str(d.port), "100", "1000",
                           "1000"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
    gmd.wait_for(lambda: len(d.ask({"get": "history", "seconds": 600})
                             ["history"]["samples"]) >= 3)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    t.ok(os.path.exists(d.sock), "kill -9 leaves the socket file behind")
    try:
        bg.wait(timeout=300)
        t.ok(True, "the clients of the killed daemon are not left hanging")
    except subprocess.TimeoutExpired:
        bg.kill()
        t.ok(False, "the clients of the killed daemon are not left hanging")
    again = gmd.Daemon(exe, fixture, tmp, "--no-collector", port=d.port)
    t.ok(again.start(), "a restart takes over the stale socket",
         again.log_text())
    samples = again.ask({"get": "history", "seconds": 600})["history"][
        "samples"]
    t.eq(samples[0]["gap"] if samples else None, "start",
         "the history after the restart starts with a gap")
    t.ok(all(s["gap"] != "start" for s in samples[1:]),
         "... and only there")
    return again


def main():
    exe, fixture, loader = sys.argv[1:4]
    t = gmd.Tap()
    tmp = gmd.scratch()
    d = gmd.Daemon(exe, fixture, tmp, "--no-collector")
    try:
        t.ok(d.start(), "gpumemd serves", d.log_text())
        load(t, d, loader, 100, 1000, 10000)
        fuzz(t, d, 10000)
        d = kill_under_load(t, d, loader, exe, fixture, tmp)
        print("ok %d - the collector's pins survive a restart # SKIP a "
              "--root tree: tests/vm loads the collector" % (t.n + 1))
        t.n += 1
        t.eq(d.kill(), 0, "SIGTERM after all that: exit 0")
    finally:
        d.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
