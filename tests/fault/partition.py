#!/usr/bin/python3
"""partition.py: the broker and two workers as three hosts (network namespaces made here, joined
by veth pairs on 10.202.x.0/24, addresses that exist only inside them). While calls flow, w1's
link is taken down: the broker declares w1 dead after the liveness window (200 ms x 3) and
re-dispatches its calls to w2; no call is lost or answered twice. The link comes back: w1
re-registers and serves again. tc netem is tried (delay on w2's link) and that part skipped,
saying so, where the kernel lacks it; tbf caps w2's link bandwidth. Skips (77) where namespaces
cannot be made."""
import atexit
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

if len(sys.argv) > 1 and sys.argv[1] == "--client":
    # inside the broker's namespace: calls with 8 in flight; the link goes down at CUT s, up at
    # UP s; sending stops once w1 has served 30 calls after UP (or at END s)
    import fault as f  # noqa: E402
    from fault import h  # noqa: E402
    ep, dev, cut_s, up_s, end_s = sys.argv[2], sys.argv[3], *map(float, sys.argv[4:7])
    load = f.Load(ep, 4, 2, 10 ** 9, h.summarize_request(h.sample_article(), sentences=2),
                  timeout_ms=20000)
    t0 = time.time()
    t_cut = t_up = None
    phase_of = {}
    while time.time() - t0 < end_s:
        load.step(0.01)
        now = time.time() - t0
        if t_cut is None and now >= cut_s:
            subprocess.run(["ip", "link", "set", dev, "down"], check=True)
            t_cut = time.time()
        if t_up is None and now >= up_s:
            subprocess.run(["ip", "link", "set", dev, "up"], check=True)
            t_up = time.time()
        if t_up and sum(1 for t, cid in load.order if t > t_up and
                        load.replies[cid].served_by == "w1") >= 30:
            break
    load.total = load.sent
    load.run(30)
    # replies w1 sent before the cut may still be on their way to us for a moment after it
    phases = {"before": {}, "transit": {}, "cut": {}, "after": {}}
    for t, cid in load.order:
        r = load.replies[cid]
        ph = ("before" if t < t_cut else "transit" if t < t_cut + 0.3 else "cut" if t < t_up
              else "after")
        phases[ph][r.served_by] = phases[ph].get(r.served_by, 0) + 1
    # calls in flight at the cut: sent before it, answered after it
    spanning = [load.latency[cid] for t, cid in load.order if t >= t_cut and
                t - load.latency[cid] < t_cut]
    print(json.dumps({"sent": load.sent, "replies": len(load.replies), "lost": load.outstanding(),
                      "dup": load.dup, "unknown": load.unknown, "statuses": load.statuses(),
                      "phases": phases, "slowest_across_cut": max(spanning or [0]),
                      "n_across_cut": len(spanning), "slowest": max(load.latency.values())}))
    sys.exit(0)

import fault as f  # noqa: E402
from fault import h  # noqa: E402

if os.geteuid() != 0:
    h.skip_env("network namespaces need root")
ip = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "/sbin/ip"
tc = "/usr/sbin/tc" if os.path.exists("/usr/sbin/tc") else "/sbin/tc"
if not os.path.exists(ip):
    h.skip("iproute2 (ip) is not installed")
tag = "%d" % os.getpid()
nsb, ns1, ns2 = "lede-pb-" + tag, "lede-p1-" + tag, "lede-p2-" + tag
made = []


def run(*args, ok=False):
    r = subprocess.run(list(args), capture_output=True, timeout=10)
    if r.returncode != 0 and not ok:
        raise RuntimeError("%s: %s" % (" ".join(args), r.stderr.decode().strip()))
    return r


def teardown():
    h._cleanup()
    for ns in made:
        run(ip, "netns", "del", ns, ok=True)


atexit.register(teardown)
dev = {}
try:
    for ns in (nsb, ns1, ns2):
        run(ip, "netns", "add", ns)
        made.append(ns)
        run(ip, "-n", ns, "link", "set", "lo", "up")
    for k, ns in ((1, ns1), (2, ns2)):
        vb, vw = ("pb%d-%s" % (k, tag))[:15], ("pw%d-%s" % (k, tag))[:15]
        dev[k] = (vb, vw)
        run(ip, "link", "add", vb, "netns", nsb, "type", "veth", "peer", "name", vw, "netns", ns)
        run(ip, "-n", nsb, "addr", "add", "10.202.%d.1/24" % k, "dev", vb)
        run(ip, "-n", ns, "addr", "add", "10.202.%d.2/24" % k, "dev", vw)
        run(ip, "-n", nsb, "link", "set", vb, "up")
        run(ip, "-n", ns, "link", "set", vw, "up")
except (RuntimeError, OSError, subprocess.SubprocessError) as e:
    h.skip_env("cannot make network namespaces and veth pairs here: %s" % e)

in_ns = lambda ns: [ip, "netns", "exec", ns]  # noqa: E731
# the impaired link: netem delay if the kernel has it, a tbf bandwidth cap otherwise too
netem = run(tc, "-n", ns2, "qdisc", "add", "dev", dev[2][1], "root", "netem", "delay", "5ms",
            ok=True) if os.path.exists(tc) else None
if netem is None or netem.returncode != 0:
    why = netem.stderr.decode().strip() if netem is not None else "tc is not installed"
    h.log("SKIP (part): tc netem is not available on this kernel (%s); no delay on w2's link"
          % why)
    tbf = run(tc, "-n", ns2, "qdisc", "add", "dev", dev[2][1], "root", "tbf", "rate", "50mbit",
              "burst", "64kb", "latency", "100ms", ok=True) if os.path.exists(tc) else None
    if tbf is not None and tbf.returncode == 0:
        h.log("w2's link capped at 50 Mbit/s with tbf")
    else:
        h.log("SKIP (part): no tbf either; w2's link is not capped")
else:
    h.log("w2's link delayed 5 ms with netem")

HB, LIVE = 200, 3
b = h.Broker(wrap=in_ns(nsb), frontend="tcp://127.0.0.1:*", backend="tcp://0.0.0.0:*",
             extra=("--heartbeat-ms", str(HB), "--liveness", str(LIVE)))
port = b.backend.rsplit(":", 1)[1]
# the workers' own window too (w1 must notice the cut and reconnect), whatever the build
w1 = h.worker("tcp://10.202.1.1:" + port, "w1", threads=1, wrap=in_ns(ns1),
              extra=("--reconnect-max-ms", "1000", "--liveness", str(LIVE)))
w2 = h.worker("tcp://10.202.2.1:" + port, "w2", threads=1, wrap=in_ns(ns2),
              extra=("--liveness", str(LIVE)))


def ns_stats():
    code = ("import sys, json; sys.path.insert(0, %r); from fault import h; "
            "b = h.Broker.__new__(h.Broker); b.frontend = %r; print(json.dumps(b.stats()))"
            % (HERE, b.frontend))
    out = subprocess.run(in_ns(nsb) + ["/usr/bin/python3", "-c", code], capture_output=True,
                         timeout=20)
    h.check(out.returncode == 0, "no stats: %s" % out.stdout.decode(errors="replace"))
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


end = time.time() + 15
while ns_stats()["workers_ready"] < 2:
    h.check(time.time() < end, "the broker did not see both workers")
    time.sleep(0.2)

CUT, UP, END = 1.5, 4.5, 20.0
r = subprocess.run(in_ns(nsb) + ["/usr/bin/python3", os.path.abspath(__file__), "--client",
                                 b.frontend, dev[1][0], str(CUT), str(UP), str(END)],
                   capture_output=True, timeout=90)
h.check(r.returncode == 0, "client failed: %s" % r.stderr.decode(errors="replace"))
res = json.loads(r.stdout.decode().strip().splitlines()[-1])
window = HB * LIVE / 1000.0
h.log("w1's link down at %.1f s, up at %.1f s: %d calls, statuses %s, lost %d, duplicates %d" % (
    CUT, UP, res["sent"], res["statuses"], res["lost"], res["dup"]))
h.log("served before the cut %s, while cut %s, after %s" % (
    res["phases"]["before"], res["phases"]["cut"], res["phases"]["after"]))
h.log("%d calls were in flight across the cut; the slowest took %.2f s (liveness window %.1f s)"
      % (res["n_across_cut"], res["slowest_across_cut"], window))
st = ns_stats()
h.log("broker: workers_expired=%d redispatches=%d workers_registered=%d" % (
    st["workers_expired"], st["redispatches"], st["workers_registered"]))
h.check(res["lost"] == 0 and res["dup"] == 0 and res["unknown"] == 0, "lost or duplicated: %s" % res)
h.check(res["replies"] == res["sent"] and set(res["statuses"]) == {"OK"}, "not all OK: %s" % res)
h.check(res["phases"]["before"].get("w1", 0) > 0, "w1 served nothing before the cut")
h.check(res["phases"]["cut"].get("w1", 0) <= 1, "w1 answered while cut off")
h.check(res["phases"]["cut"].get("w2", 0) > 0, "nothing served while w1 was cut off")
h.check(res["phases"]["after"].get("w1", 0) >= 30, "w1 did not rejoin and serve after the link "
        "came back")
h.check(st["workers_expired"] >= 1, "the broker never expired w1")
h.check(res["slowest_across_cut"] < window + 1.0, "a call in flight at the cut took %.2f s: not "
        "re-dispatched within the liveness window" % res["slowest_across_cut"])
h.check(h.stop(w1) == 0 and h.stop(w2) == 0, "a worker did not exit 0")
h.check(h.worker_stats(w1)["reconnects"] >= 1, "w1 never reconnected")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
