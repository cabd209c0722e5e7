#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Debian's prometheus scrapes gpumemd on the demo-desktop fixture (and on a
copy whose comm is hostile), and the figures read back through its HTTP
query API must be the fixture's ground truth (expected.json, derived from
the generator's description, never from gpumem).  One daemon serves every
process, one is capped at 3 per-process series: its pss sums must still
close.  promtool check metrics must find nothing wrong with either.

test_prometheus.py GPUMEMD FIXTURE
"""
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gmd  # noqa: E402

HOSTILE = b'a"b\\c\x1b[31m\xff\n'


def query(port, q):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (
        port, urllib.parse.urlencode({"query": q}))
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            d = json.load(r)
    except OSError:  # not listening yet
        return None
    return d["data"]["result"] if d.get("status") == "success" else None


def value(port, q):
    """The one value of q as an int (exact up to 2^53), or None."""
    res = query(port, q)
    if not res or len(res) != 1:
        return None
    return int(float(res[0]["value"][1]))


def start_prometheus(tmp, targets):
    port = gmd.free_port()
    jobs = "".join(
        "  - job_name: %s\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
        % (job, p) for job, p in targets.items())
    cfg = os.path.join(tmp, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n" + jobs)
    log = open(os.path.join(tmp, "prometheus.log"), "w")
    proc = subprocess.Popen(
        ["prometheus", "--config.file=" + cfg,
         "--storage.tsdb.path=" + os.path.join(tmp, "tsdb"),
         "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
        stdout=log, stderr=log)
    return proc, port


def hostile_tree(fixture, tmp):
    root = os.path.join(tmp, "hostile")
    shutil.copytree(fixture, root, symlinks=True)
    with open(os.path.join(root, "proc/3388/comm"), "wb") as f:
        f.write(HOSTILE)
    return root


def card_sums(t, port, exp, job):
    """A card with exact shares: its pss over processes is its total less
    what no client holds (docs/model.md)."""
    for card, d in exp["devices"].items():
        if d["shares_exact"]:
            t.eq(value(port, 'sum(gpumem_process_gpu_memory_bytes{job="%s",'
                       'card="%s",share="pss"})' % (job, card)),
                 d["total_bytes"] - d["unattributed_bytes"],
                 "%s: %s pss over processes = total - unattributed"
                 % (job, card))


def check_truth(t, port, exp):
    job = '{job="gpumem"}'
    for card, d in exp["devices"].items():
        t.eq(value(port, 'gpumem_device_memory_bytes{job="gpumem",card="%s"}'
                   % card), d["total_bytes"], "%s total" % card)
        t.eq(value(port, 'gpumem_device_memory_partial{job="gpumem",card="%s"}'
                   % card), 0, "%s not partial" % card)
        for kind in ("vram", "gtt"):
            want = d.get(kind + "_total_bytes") or None
            t.eq(value(port, 'gpumem_device_memory_capacity_bytes{job="gpumem",'
                       'card="%s",kind="%s"}' % (card, kind)), want,
                 "%s %s capacity" % (card, kind))
    for pid, p in exp["processes"].items():
        t.eq(value(port, 'sum(gpumem_process_gpu_memory_bytes{job="gpumem",'
                   'pid="%s",share="rss"})' % pid), p["gpu_total_bytes"],
             "pid %s GPU rss" % pid)
        # a share is a bound where the device's shares are not exact
        t.eq(value(port, 'sum(gpumem_process_gpu_memory_bytes{job="gpumem",'
                   'pid="%s",share=~"pss|pss_upper"})' % pid),
             p["gpu_pss_upper_bytes"], "pid %s GPU pss or its bound" % pid)
        if p["gpu_pss_bytes"] is not None:
            t.eq(value(port, 'sum(gpumem_process_gpu_memory_bytes{job='
                       '"gpumem",pid="%s",share="pss"})' % pid),
                 p["gpu_pss_bytes"], "pid %s GPU pss, exact" % pid)
        for share, key in (("pss", "dmabuf_pss_bytes"),
                           ("rss", "dmabuf_rss_bytes")):
            want = p[key] if p["dmabufs"] else None
            t.eq(value(port, 'gpumem_process_dmabuf_bytes{job="gpumem",pid="%s",'
                       'share="%s"}' % (pid, share)), want,
                 "pid %s dma-buf %s" % (pid, share))
    by_cgroup = {}
    for p in exp["processes"].values():
        path = p["cgroup"]["path"] if p.get("cgroup") else "unknown"
        by_cgroup[path] = by_cgroup.get(path, 0) + p["gpu_pss_upper_bytes"]
    for path, want in sorted(by_cgroup.items()):
        t.eq(value(port, 'gpumem_cgroup_gpu_memory_bytes{job="gpumem",'
                   'cgroup="%s"}' % path), want, "cgroup %s" % path)
    t.eq(value(port, 'count(gpumem_cgroup_gpu_memory_bytes%s)' % job),
         len(by_cgroup), "one series per cgroup")
    card_sums(t, port, exp, "gpumem")
    shares = sum(p["gpu_pss_upper_bytes"] for p in exp["processes"].values())
    t.eq(value(port, 'sum(gpumem_dmabuf_bytes%s)' % job),
         exp["dmabuf"]["total_bytes"], "dma-bufs, each once")
    t.eq(value(port, 'sum(gpumem_dmabuf_bytes{job="gpumem",held="kernel"})'),
         exp["dmabuf"]["kernel_bytes"], "kernel-held dma-bufs")
    t.eq(value(port, 'sum(gpumem_dmabuf_bytes{job="gpumem",held!="kernel"})'),
         exp["dmabuf"]["userspace_bytes"], "dma-bufs held by processes")
    t.eq(value(port, 'gpumem_unreadable_processes%s' % job),
         exp["unreadable_processes"], "unreadable processes")
    t.eq(value(port, 'gpumem_source_up{job="gpumem",source="proc"}'), 1,
         "source proc up")
    t.eq(value(port, 'sum(gpumem_explain_bytes%s)' % job),
         value(port, 'gpumem_explain_bytes{job="gpumem",line="free"}') +
         value(port, 'sum(gpumem_explain_bytes{job="gpumem",line!="free"})'),
         "explain lines are there")
    return shares


def check_capped(t, port, exp, shares):
    t.eq(value(port, 'sum(gpumem_process_gpu_memory_bytes{job="capped",'
               'share=~"pss|pss_upper"})'), shares,
         "capped: pss sums still close")
    card_sums(t, port, exp, "capped")
    t.eq(value(port, 'count(count by (pid) (gpumem_process_gpu_memory_bytes'
               '{job="capped"}))'), 4, "capped: 3 processes and other")
    largest = sorted(exp["processes"].items(), key=lambda kv: -(
        kv[1]["gpu_pss_upper_bytes"] + kv[1]["dmabuf_pss_bytes"]))
    for pid, p in largest[:3]:
        t.eq(value(port, 'sum(gpumem_process_gpu_memory_bytes{job="capped",'
                   'pid="%s",share=~"pss|pss_upper"})' % pid),
             p["gpu_pss_upper_bytes"], "capped: largest pid %s kept" % pid)
    rest = sum(p["dmabuf_pss_bytes"] for _, p in largest[3:])
    t.eq(value(port, 'gpumem_process_dmabuf_bytes{job="capped",pid="other",'
               'share="pss"}'), rest, "capped: dma-buf other = the rest")


def check_hostile(t, port):
    res = query(port, 'gpumem_process_dmabuf_bytes{job="hostile",pid="3388",'
                'share="pss"}') or [{}]
    comm = res[0].get("metric", {}).get("comm")
    t.eq(comm, 'a"b\\\\c\\x1b[31m\\xff', "hostile comm: escaped as the "
         "table escapes it, intact through a scrape")


def promtool_clean(t, d, name):
    text = d.scrape()
    r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       capture_output=True)
    t.ok(r.returncode == 0 and not r.stdout and not r.stderr,
         "promtool check metrics: %s" % name, (r.stdout + r.stderr).decode())


def main():
    exe, fixture = sys.argv[1:3]
    t = gmd.Tap()
    if not shutil.which("prometheus") or not shutil.which("promtool"):
        print("1..0 # SKIP no prometheus (scripts/deps.sh installs it)")
        return 0
    with open(os.path.join(fixture, "expected.json")) as f:
        exp = json.load(f)
    tmp = gmd.scratch()
    daemons = {
        "gpumem": gmd.Daemon(exe, fixture, tmp, "--no-collector"),
        "capped": gmd.Daemon(exe, fixture, os.path.join(tmp, "c"),
                             "--no-collector", "--max-process-series", "3"),
        "hostile": gmd.Daemon(exe, hostile_tree(fixture, tmp),
                              os.path.join(tmp, "h"), "--no-collector"),
    }
    prom = None
    try:
        for job, d in daemons.items():
            t.ok(d.start(), "gpumemd %s serves" % job, d.log_text())
        for job, d in daemons.items():
            promtool_clean(t, d, job)
        prom, port = start_prometheus(tmp, {j: d.port for j, d in
                                            daemons.items()})
        up = gmd.wait_for(lambda: value(port, 'count(gpumem_build_info)') == 3,
                          seconds=60, step=0.5)
        t.ok(up, "prometheus scraped all three")
        shares = check_truth(t, port, exp)
        check_capped(t, port, exp, shares)
        check_hostile(t, port)
        t.eq(value(port, 'count(up == 1)'), 3, "no scrape failed")
    finally:
        if prom:
            prom.terminate()
            prom.wait()
        for d in daemons.values():
            d.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
