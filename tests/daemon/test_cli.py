#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
gpumem asking gpumemd (gpumem(1), FROM GPUMEMD), as a real unprivileged
user.  gpumemd serves a copy of demo-desktop whose firefox processes
belong to uid 4242 (the owners of test_access.py); gpumem runs as uid
4242 on this machine's /proc, where root's processes are not readable to
it, so it asks the daemon: it shows the fixture's device totals and
uid 4242's processes only (table, JSON, --group, an interval), and says
so in one line on stderr.  --no-daemon gives its own scan; --daemon as
root gives everything.  Then daemons that fail: one killed (its socket
left behind), one that never answers, one that answers garbage or an
error, one whose names carry escapes; gpumem falls back to its own scan
with a note, or escapes what it shows, and never hangs.

test_cli.py GPUMEMD GPUMEM FIXTURE
"""
import glob
import json
import resource
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gmd  # noqa: E402
from test_access import OWNERS, FOX, GROUP  # noqa: E402

FOX_PIDS = sorted(p for p, u in OWNERS.items() if u == FOX)
VIA = "figures from gpumemd"


def run(gpumem, args, uid=FOX):
    """gpumem as uid (its own group, no others); a hang is a failure."""
    try:
        r = subprocess.run([gpumem] + args, capture_output=True, timeout=120,
                           user=uid, group=uid, extra_groups=[])
    except subprocess.TimeoutExpired:
        return 124, "", "timed out: gpumem hung"
    return r.returncode, r.stdout.decode(errors="replace"), \
        r.stderr.decode(errors="replace")


def reachable_copy(gpumem, tmp):
    """gpumem where uid 4242 can run it.  The build may sit where only
    root can enter (a clone in mktemp -d's directory): a copy, beside a
    copy of the library its rpath ($ORIGIN/../lib) finds, as
    tests/unit/test_partial.sh does."""
    bin_dir, lib_dir = (os.path.join(tmp, "bin", d) for d in ("src", "lib"))
    os.makedirs(bin_dir)
    os.makedirs(lib_dir)
    exe = shutil.copy(gpumem, bin_dir)
    libs = os.path.join(os.path.dirname(os.path.abspath(gpumem)), "..", "lib")
    for lib in glob.glob(os.path.join(libs, "libgpumem.so*")):
        if not os.path.isdir(lib):  # the objects' libgpumem.so.N.p/
            shutil.copy(lib, lib_dir, follow_symlinks=False)
    for d in (os.path.join(tmp, "bin"), bin_dir, lib_dir):
        os.chmod(d, 0o755)  # whatever the umask
    return exe


def doc_of(out):
    try:
        return json.loads(out)
    except ValueError:
        return {}


def pids(doc):
    return sorted(p["pid"] for p in doc.get("processes", []))


def device_rows(table):
    """The device table: the lines before the first blank one."""
    return table.split("\n\n", 1)[0]


def check_json(t, g, sock, exp):
    rc, out, err = run(g, ["--no-daemon", "--json"])
    own = doc_of(out)
    t.ok(rc == 0 and own.get("unreadable_processes", 0) > 0,
         "uid 4242's own scan of this machine leaves processes unread",
         err)
    rc, out, err = run(g, ["--socket", sock, "--json"])
    doc = doc_of(out)
    t.eq(rc, 0, "as uid 4242, gpumem --json: exit 0")
    t.eq(sorted(d["total_bytes"] for d in doc.get("devices", [])),
         sorted(d["total_bytes"] for d in exp["devices"].values()),
         "it shows gpumemd's device totals (the fixture's)")
    t.eq(pids(doc), FOX_PIDS, "and uid 4242's processes only")
    t.eq(doc.get("access"), {"scope": "own", "uid": FOX},
         "the document is gpumemd's reply, its access scope in it")
    lines = err.splitlines()
    t.ok(len(lines) == 1 and VIA in lines[0] and sock in lines[0] and
         "not readable by this user" in lines[0] and
         "your own processes only" in lines[0],
         "one line on stderr says where the figures came from and why", err)
    t.ok("access" not in own and VIA not in err.replace(lines[0], "") and
         not [l for l in run(g, ["--no-daemon", "--socket", sock])[2]
              .splitlines() if VIA in l],
         "--no-daemon: the own scan, nothing from gpumemd")


def check_table(t, g, sock, root_dir):
    rc, out, err = run(g, ["--socket", sock])
    _, want, _ = run(g, ["--root", root_dir, "--no-daemon"], uid=0)
    shown = sorted(int(l.split()[0]) for l in out.split("\n\n")[2]
                   .splitlines()[1:] if l.split() and l.split()[0].isdigit())
    t.ok(rc == 0 and device_rows(out) == device_rows(want),
         "the table: the device rows of gpumemd's sample, as a scan of "
         "its tree prints them", out[:400])
    t.eq(shown, FOX_PIDS, "the table: uid 4242's processes only")
    t.ok(VIA in err, "the table: the line on stderr", err)
    rc, out, err = run(g, ["--socket", sock, "--group", "user", "--bytes"])
    rows = [l.split() for l in out.splitlines()[1:] if l and l[0] == " "]
    t.ok(rc == 0 and [r[0] for r in rows if r[-1] == str(FOX)] == ["3"] and
         len(rows) == 2, "--group user: one group, uid 4242's 3 processes",
         out)
    rc, out, err = run(g, ["--socket", sock, "--json", "0.2", "3"])
    docs = [doc_of(l) for l in out.splitlines()]
    t.ok(rc == 0 and len(docs) == 3 and
         all(d.get("access", {}).get("uid") == FOX for d in docs) and
         len([l for l in err.splitlines() if VIA in l]) == 1,
         "an interval: each sample from gpumemd, said once", err)
    rc, out, err = run(g, ["--socket", sock, "--daemon", "--json"], uid=0)
    doc = doc_of(out)
    t.ok(rc == 0 and doc.get("access") == {"scope": "all"} and
         len(pids(doc)) == len(OWNERS) and "--daemon" in err,
         "root with --daemon: every process, from gpumemd", err)
    rc, _, err = run(g, ["--root", root_dir, "--daemon"], uid=0)
    t.eq(rc, 1, "--daemon with --root: a usage error (exit 1)")


class Fake:
    """A listener on a socket anyone may reach: reply is sent to each
    request, or nothing ever (None: the connection is held open)."""

    def __init__(self, path, reply):
        self.path, self.reply, self.held = path, reply, []
        self.s = socket.socket(socket.AF_UNIX)
        self.s.bind(path)
        os.chmod(path, 0o777)
        self.s.listen(16)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            c.recv(4096)
            data = self.reply
            if data is None:
                self.held.append(c)
                continue
            c.sendall(data)
            c.close()


def check_hostile_replies(t, g, tmp, snapshot):
    """Replies written to cost memory or to reach the terminal."""
    doc = json.loads(snapshot)
    doc["x"] = [[]] * (4 << 20)
    bomb = Fake(os.path.join(tmp, "bomb.sock"),
                json.dumps(doc, separators=(",", ":")).encode() + b"\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rc, out, err = run(g, ["--socket", bomb.path, "--json"])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # 12 MiB of empty arrays: 1.1 GiB parsed without a budget, 190 MiB
    # within it (330 MiB under ASan, whose quarantine keeps what is freed)
    t.ok(rc == 0 and "not a gpumem document" in err and
         (peak == before or peak < 512 << 10),
         "a reply of 4M empty arrays: refused within the parse budget "
         "(peak RSS %d KiB)" % peak, err)
    doc = json.loads(snapshot)
    doc["tracepoint"].update(state="denied", path="\x1b]0;tp\x07")
    tp = Fake(os.path.join(tmp, "tp.sock"), json.dumps(doc).encode() + b"\n")
    rc, out, err = run(g, ["--socket", tp.path, "--daemon"])
    t.ok("\x1b" not in err and "\\x1b]0;tp\\x07" in err,
         "a tracepoint path in a reply: escaped on stderr", err)
    doc = json.loads(snapshot)
    doc["access"] = {"scope": "own", "uid": FOX}
    t.ok(len({p.get("uid") for p in doc["processes"]}) > 1,
         "the spoof below holds processes of several users")
    spoof = Fake(os.path.join(tmp, "spoof.sock"),
                 json.dumps(doc).encode() + b"\n")
    rc, out, err = run(g, ["--socket", spoof.path, "--json"])
    t.ok(rc == 0 and "access" not in doc_of(out) and
         "not a gpumem document" in err,
         "a reply for this user alone with others' processes: refused", err)


def check_fallback(t, g, d, tmp, snapshot):
    d.kill(signal.SIGKILL)
    t.ok(os.path.exists(d.sock), "gpumemd killed -9: its socket is left")
    rc, out, err = run(g, ["--socket", d.sock, "--json"])
    t.ok(rc == 0 and "access" not in doc_of(out) and
         "not running" in err and "own figures" in err,
         "a dead socket: the own scan, with a note", err)
    rc, _, err = run(g, ["--socket", d.sock, "--daemon"])
    t.ok(rc == 2 and "--daemon" in err, "... and --daemon exits 2", err)
    hang = Fake(os.path.join(tmp, "hang.sock"), None)
    rc, out, err = run(g, ["--socket", hang.path, "--json"])
    t.ok(rc == 0 and "access" not in doc_of(out) and "no answer" in err,
         "a daemon that never answers: no hang, the own scan, a note", err)
    for name, data, says in (
            ("garbage", b'{"schema_version":2,"devices":"x"}\n',
             "not a gpumem document"),
            ("truncated", snapshot[:len(snapshot) // 2], "ended before"),
            ("error", b'{"error":"no \\u001b[2Jsample"}\n', "\\x1b[2J")):
        f = Fake(os.path.join(tmp, name + ".sock"), data)
        rc, out, err = run(g, ["--socket", f.path, "--json"])
        t.ok(rc == 0 and "access" not in doc_of(out) and says in err and
             "\x1b" not in err, "a reply that is %s: the own scan, said "
             "(escaped)" % name, err)
    rc, out, err = run(g, ["--socket", hang.path, "0.1", "3"])
    t.ok(rc == 0 and err.count("no answer") == 1 and
         "not asked again" in err,
         "a series and a hung daemon: one timeout, then the own scans", err)
    check_hostile_replies(t, g, tmp, snapshot)
    doc = json.loads(snapshot)
    doc["processes"][0]["comm"] = "\x1b]0;owned\x07"
    f = Fake(os.path.join(tmp, "names.sock"),
             json.dumps(doc).encode() + b"\n")
    rc, out, err = run(g, ["--socket", f.path])
    t.ok(rc == 0 and "\x1b" not in out and "\\x1b]0;owned\\x07" in out,
         "a name with escapes in a reply: shown escaped", out[-600:])
    rc, out, err = run(g, ["--socket", f.path, "--json"])
    t.eq(doc_of(out).get("processes", [{}])[0].get("comm"),
         "\x1b]0;owned\x07", "... and kept, valid JSON, in --json")


def main():
    exe, gpumem, fixture = sys.argv[1:4]
    t = gmd.Tap()

    def body(d, root, tmp, exp):
        s = d.connect()
        s.sendall(b'{"get":"snapshot"}\n')
        snapshot = s.readline()
        s.close()
        g = reachable_copy(gpumem, tmp)
        check_json(t, g, d.sock, exp)
        check_table(t, g, d.sock, root)
        check_fallback(t, g, d, tmp, snapshot)
    return gmd.serve_owned(t, exe, fixture, OWNERS, body, "--group", GROUP)


if __name__ == "__main__":
    sys.exit(main())
