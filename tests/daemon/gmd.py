# SPDX-License-Identifier: MIT
"""What the gpumemd tests share: TAP, a daemon started on a fixture, its
socket, free loopback ports, a copy of a fixture with owners."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=""):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            for line in str(diag).splitlines()[:8]:
                print("# " + line)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got %r, want %r" % (got, want))

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, seconds=20, step=0.05):
    """Polls cond() until it is true; bounded in count, never a timing
    assertion: a slow machine only waits longer."""
    for _ in range(int(seconds / step)):
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


class Daemon:
    """gpumemd -f on a tree; its socket in a directory anyone may enter."""

    def __init__(self, exe, root, tmp, *extra, port=None):
        os.makedirs(tmp, mode=0o755, exist_ok=True)
        self.sock = os.path.join(tmp, "gpumemd.sock")
        self.port = port or free_port()
        self.args = [exe, "-f", "--root", root, "--socket", self.sock,
                     "--listen", "127.0.0.1:%d" % self.port,
                     "--interval", "0.2"] + list(extra)
        self.log = open(os.path.join(tmp, "gpumemd-%d.log" % self.port), "w+")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=self.log,
                                     stderr=self.log)
        up = wait_for(lambda: self.proc.poll() is not None or
                      self.scrape_ok())
        return up and self.proc.poll() is None

    def start_socket(self):
        """start() for a daemon without HTTP: up when its socket answers."""
        self.proc = subprocess.Popen(self.args, stdout=self.log,
                                     stderr=self.log)

        def answers():
            try:
                return self.proc.poll() is not None or \
                    "processes" in self.ask({"get": "snapshot"})
            except (OSError, ValueError):
                return False
        return wait_for(answers) and self.proc.poll() is None

    def scrape_ok(self):
        try:
            return bool(self.scrape())
        except OSError:
            return False

    def scrape(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" %
                                    self.port, timeout=10) as r:
            return r.read().decode()

    def connect(self):
        return Conn(self.sock)

    def ask(self, request, s=None):
        """One request line, one reply line, as JSON."""
        own = s is None
        s = s or self.connect()
        try:
            s.sendall(request if isinstance(request, bytes) else
                      (json.dumps(request) + "\n").encode())
            return json.loads(s.readline())
        finally:
            if own:
                s.close()

    def kill(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


class Conn:
    """A client of the socket: lines in, lines out."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def sendall(self, data):
        self.s.sendall(data)

    def readline(self):
        return self.f.readline()

    def settimeout(self, t):
        self.s.settimeout(t)

    def close(self):
        self.f.close()
        self.s.close()


def scratch():
    d = tempfile.mkdtemp(prefix="gpumemd-test-")
    os.chmod(d, 0o755)
    return d


def fixture_copy(fixture, tmp, owners):
    """The fixture with proc/PID/status for each pid in owners (uid)."""
    root = os.path.join(tmp, "root")
    shutil.copytree(fixture, root, symlinks=True)
    for pid, uid in owners.items():
        with open(os.path.join(root, "proc", str(pid), "status"), "w") as f:
            f.write("Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\n"
                    "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n" %
                    ((uid,) * 4 + (uid,) * 4))
    return root


def serve_owned(t, exe, fixture, owners, body, *extra):
    """body(d, root, tmp, exp) with gpumemd on a copy of fixture whose
    processes belong to owners, answering on its socket only; exp: the
    fixture's expected.json.  Root only: the tests run clients as other
    users.  Returns the TAP exit status."""
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root to run clients as other users")
        return 0
    with open(os.path.join(fixture, "expected.json")) as f:
        exp = json.load(f)
    tmp = scratch()
    root = fixture_copy(fixture, tmp, owners)
    d = Daemon(exe, root, tmp, "--no-collector", "--listen", "none", *extra)
    try:
        t.ok(d.start_socket(), "gpumemd serves its socket", d.log_text())
        body(d, root, tmp, exp)
    finally:
        d.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()
