#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Who sees what on gpumemd's socket, by SO_PEERCRED.  A copy of demo-desktop
gets /proc/PID/status files: gnome-shell, Xwayland and mpv belong to
nobody (65534), the firefox processes to uid 4242, the game to uid 4343.
Clients are forked and drop to those uids (and groups) before they
connect: nobody and 4242 see the device totals and their own processes
only (and the clients and dma-bufs those hold); a member of the daemon's
--group and root see all.  Then malformed requests: each gets
{"error":...} and the connection and the daemon go on; a line too long
or never ended gets an error and the connection ends.

test_access.py GPUMEMD FIXTURE
"""
import grp
import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gmd  # noqa: E402

NOBODY, FOX, GAME = 65534, 4242, 4343
OWNERS = {1534: NOBODY, 1790: NOBODY, 3388: NOBODY,
          2610: FOX, 2688: FOX, 2745: FOX, 4102: GAME}
GROUP = "users"


def as_user(uid, groups, fn):
    """fn() in a child that runs as uid (gid = uid) with groups; its
    JSON-able result comes back through a pipe."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups(groups)
            os.setgid(uid)
            os.setuid(uid)
            out = json.dumps({"ok": fn()})
        except Exception as e:  # the parent reports it as a failure
            out = json.dumps({"exc": repr(e)})
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    res = json.loads(data or b'{"exc": "no result"}')
    return res.get("ok", res)


def pids(doc):
    return sorted(p["pid"] for p in doc.get("processes", []))


def check_view(t, d, exp, name, uid, groups, want):
    def ask():
        return [d.ask({"get": "snapshot"}),
                d.ask({"get": "history", "seconds": 60})]

    snap, hist = as_user(uid, groups, ask)
    t.eq(pids(snap), want, "%s: the processes of the snapshot" % name)
    t.eq(len(snap.get("devices", [])), len(exp["devices"]),
         "%s: every device" % name)
    t.eq(sorted(d["total_bytes"] for d in snap.get("devices", [])),
         sorted(d["total_bytes"] for d in exp["devices"].values()),
         "%s: the device totals" % name)
    held = sorted({p for c in snap.get("clients", [])
                   for p in c["holders_pids"]})
    t.ok(set(held) <= set(want) and (held or not want),
         "%s: clients held by own processes, own holders only" % name, held)
    hist_pids = sorted({p["pid"] for s in hist["history"]["samples"]
                        for p in s["processes"]})
    t.eq(hist_pids, want, "%s: the processes of the history" % name)
    return snap


def check_dmabufs(t, own, everyone):
    """nobody's dma-bufs are those gnome-shell, Xwayland and mpv hold."""
    t.ok(0 < len(own["dmabufs"]) < len(everyone["dmabufs"]),
         "nobody: some dma-bufs, not all",
         "%d of %d" % (len(own["dmabufs"]), len(everyone["dmabufs"])))
    t.eq(own["dmabuf"], everyone["dmabuf"], "nobody: dma-buf totals as root")


def check_malformed(t, d):
    s = d.connect()
    for req, name in ((b"not json\n", "not JSON"),
                      (b'{"get":"everything"}\n', "unknown get"),
                      (b'{"get":"history","seconds":-1}\n', "negative seconds"),
                      (b'{"get":"history","seconds":1.5}\n', "fractional seconds"),
                      (b'{"get":"snapshot","pid":1}\n', "unknown key"),
                      (b'{"get":"snapshot","get":"explain"}\n', "duplicate key"),
                      (b'"snapshot"\n', "not an object"),
                      (b'{"get":"snap\x00shot"}\n', "NUL byte"),
                      (b'{"get":"\xff"}\n', "invalid UTF-8"),
                      (b"\n", "empty line")):
        reply = d.ask(req, s)
        t.ok(isinstance(reply.get("error"), str) and len(reply) == 1,
             "malformed (%s): an error reply" % name, reply)
    reply = d.ask({"get": "explain"}, s)
    t.ok("error" not in reply and reply.get("lines"),
         "the same connection goes on after errors", list(reply)[:5])
    s.sendall(b'{"get":"snapshot"}\n{"get":"explain"}\n')
    first = json.loads(s.readline())
    second = json.loads(s.readline())
    t.ok("processes" in first and "lines" in second,
         "two requests in one write: two replies, in order")
    s.close()


def check_bounds(t, d):
    s = d.connect()
    s.sendall(b"[" * 5000)
    reply = json.loads(s.readline() or b"{}")
    t.ok("error" in reply, "a request over 4096 bytes: an error", reply)
    try:
        rest = s.readline()
    except ConnectionResetError:  # closed with the rest of it unread
        rest = b""
    t.eq(rest, b"", "... and the connection ends")
    s.close()
    s = d.connect()
    s.settimeout(60)
    s.sendall(b'{"get":')
    reply = json.loads(s.readline() or b"{}")
    t.ok("error" in reply, "a request never ended: an error after the "
         "read timeout", reply)
    s.close()
    t.ok("processes" in d.ask({"get": "snapshot"}), "the daemon goes on")


def check_options(t, exe):
    import subprocess
    for args, code, name in ((["--help"], 0, "--help"),
                             (["--interval", "0"], 1, "--interval 0"),
                             (["--listen", "nowhere"], 1, "--listen without port"),
                             (["--max-process-series", "-1"], 1, "negative cap"),
                             (["--bogus"], 1, "unknown option"),
                             (["extra"], 1, "an argument")):
        r = subprocess.run([exe] + args, capture_output=True, timeout=30)
        t.eq(r.returncode, code, "gpumemd %s exits %d" % (name, code))
    r = subprocess.run([exe, "-f", "--root", "/nonexistent", "--listen",
                        "none", "--socket", "/nonexistent/s"],
                       capture_output=True, timeout=30)
    t.eq(r.returncode, 2, "a root without proc: exit 2 (no data source)")


def main():
    exe, fixture = sys.argv[1:3]
    t = gmd.Tap()

    def body(d, root, tmp, exp):
        gid = grp.getgrnam(GROUP).gr_gid
        everyone = sorted(int(p) for p in exp["processes"])
        mine = lambda u: sorted(p for p, o in OWNERS.items() if o == u)
        own = check_view(t, d, exp, "nobody", NOBODY, [], mine(NOBODY))
        check_view(t, d, exp, "uid 4242", FOX, [], mine(FOX))
        check_view(t, d, exp, "uid 5000 (owns nothing)", 5000, [], [])
        all_ = check_view(t, d, exp, "a member of the group", 5001, [gid],
                          everyone)
        check_view(t, d, exp, "root", 0, [0], everyone)
        check_dmabufs(t, own, all_)
        t.eq(own["access"], {"scope": "own", "uid": NOBODY},
             "the reply says what its peer sees")
        check_malformed(t, d)
        check_bounds(t, d)
        t.eq(d.kill(), 0, "SIGTERM: exit 0")
        t.ok(not os.path.exists(d.sock), "the socket is removed")
        check_options(t, exe)
    return gmd.serve_owned(t, exe, fixture, OWNERS, body, "--group", GROUP)


if __name__ == "__main__":
    sys.exit(main())
