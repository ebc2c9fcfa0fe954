#!/usr/bin/python3
"""netns_spread.py (i): the broker and two workers each in their own network namespace, joined
by veth pairs (10.201.1.0/24 and 10.201.2.0/24, addresses that exist only inside these
namespaces), like three hosts. Calls from a client next to the broker spread over both workers
(served_by); when one worker's link is taken down, calls keep being answered by the other; when
it comes back, that worker re-registers and serves again. Skips (77) without root or netns."""
import atexit
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if len(sys.argv) > 1 and sys.argv[1] == "--client":
    # runs inside the broker's namespace: N calls, 8 in flight; prints served_by counts as JSON
    import harness as h  # noqa: E402
    ep, n = sys.argv[2], int(sys.argv[3])
    cut = sys.argv[4:6]  # [after-k-replies, device]: take that link down mid-flow
    c = h.Client(ep)
    payload = h.summarize_request(h.sample_article(), sentences=2)
    pending, sent, served, bad = set(), 0, {}, []
    end = time.time() + 25
    while (sent < n or pending) and time.time() < end:
        while sent < n and len(pending) < 8:
            pending.add(c.call(h.METHOD, payload, timeout_ms=15000).call_id)
            sent += 1
        r = c.recv_one(0.5)
        if r is not None and r.call_id in pending:
            pending.discard(r.call_id)
            if r.status == h.pb.OK:
                served[r.served_by] = served.get(r.served_by, 0) + 1
            else:
                bad.append(h.pb.Status.Name(r.status) + " " + r.message)
            if cut and sum(served.values()) == int(cut[0]):
                subprocess.run(["ip", "link", "set", cut[1], "down"], check=True)
    print(json.dumps({"served": served, "unanswered": len(pending), "bad": bad[:5],
                      "n_bad": len(bad), "duplicates": c.duplicates}))
    c.close()
    sys.exit(0)

import harness as h  # noqa: E402

if os.geteuid() != 0:
    h.skip_env("network namespaces need root")
ip = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "/sbin/ip"
if not os.path.exists(ip):
    h.skip("iproute2 (ip) is not installed")
tag = "%d" % os.getpid()
nsb, ns1, ns2 = "lede-b-" + tag, "lede-w1-" + tag, "lede-w2-" + tag
made = []


def sh(*args, ok=False):
    r = subprocess.run([ip] + list(args), capture_output=True, timeout=10)
    if r.returncode != 0 and not ok:
        raise RuntimeError("ip %s: %s" % (" ".join(args), r.stderr.decode().strip()))
    return r


def teardown():
    h._cleanup()  # stop the processes first
    for ns in made:
        sh("netns", "del", ns, ok=True)


atexit.register(teardown)
try:
    for ns in (nsb, ns1, ns2):
        sh("netns", "add", ns)
        made.append(ns)
        sh("-n", ns, "link", "set", "lo", "up")
    for k, ns in ((1, ns1), (2, ns2)):
        vb, vw = "lb%d-%s" % (k, tag), "lw%d-%s" % (k, tag)
        sh("link", "add", vb[:15], "netns", nsb, "type", "veth", "peer", "name", vw[:15], "netns", ns)
        sh("-n", nsb, "addr", "add", "10.201.%d.1/24" % k, "dev", vb[:15])
        sh("-n", ns, "addr", "add", "10.201.%d.2/24" % k, "dev", vw[:15])
        sh("-n", nsb, "link", "set", vb[:15], "up")
        sh("-n", ns, "link", "set", vw[:15], "up")
except (RuntimeError, OSError, subprocess.SubprocessError) as e:
    h.skip_env("cannot make network namespaces and veth pairs here: %s" % e)


def in_ns(ns):
    return [ip, "netns", "exec", ns]


# 3 beats both ways whatever the build: the cut must be noticed by the broker and by w1
LIVE = ("--liveness", "3")
b = h.Broker(wrap=in_ns(nsb), frontend="tcp://127.0.0.1:*", backend="tcp://0.0.0.0:*",
             extra=("--heartbeat-ms", "200") + LIVE)
port = b.backend.rsplit(":", 1)[1]
w1 = h.worker("tcp://10.201.1.1:" + port, "w1-ns", threads=1, wrap=in_ns(ns1), extra=LIVE)
w2 = h.worker("tcp://10.201.2.1:" + port, "w2-ns", threads=1, wrap=in_ns(ns2), extra=LIVE)


def run_client(n, *cut):
    r = subprocess.run(in_ns(nsb) + ["/usr/bin/python3", os.path.abspath(__file__), "--client",
                                     b.frontend, str(n)] + list(cut), capture_output=True,
                       timeout=40)
    if r.returncode != 0:
        h.fail("client failed: %s" % r.stderr.decode(errors="replace"))
    res = json.loads(r.stdout)
    h.check(res["unanswered"] == 0 and res["n_bad"] == 0 and res["duplicates"] == 0,
            "client result: %s" % res)
    return res["served"]


def ns_stats():
    """The broker's stats, asked from inside its namespace."""
    out = subprocess.run(in_ns(nsb) + ["/usr/bin/python3", "-c",
                         "import sys, json; sys.path.insert(0, %r); import harness as h; "
                         "b = h.Broker.__new__(h.Broker); b.frontend = %r; "
                         "print(json.dumps(b.stats()))" % (os.path.dirname(
                             os.path.abspath(__file__)), b.frontend)],
                         capture_output=True, timeout=15)
    h.check(out.returncode == 0, "no stats: %s" % out.stdout.decode(errors="replace"))
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def wait_workers(n):
    end = time.time() + 15
    while time.time() < end:
        if ns_stats()["workers_ready"] >= n:
            return
        time.sleep(0.2)
    h.fail("the broker did not see %d workers" % n)


wait_workers(2)
served = run_client(300)
h.log("both links up: %s" % served)
h.check(served.get("w1-ns", 0) > 0 and served.get("w2-ns", 0) > 0, "calls did not spread: %s" % served)

t0 = time.time()
served = run_client(300, "50", ("lb1-" + tag)[:15])
h.log("w1's link cut after 50 replies: %s in %.1f s" % (served, time.time() - t0))
h.check(sum(served.values()) == 300 and served.get("w2-ns", 0) > 150,
        "calls were not taken over by w2: %s" % served)
served = run_client(100)
h.log("w1's link still down: %s" % served)
h.check(set(served) == {"w2-ns"}, "calls went elsewhere than w2: %s" % served)

sh("-n", nsb, "link", "set", ("lb1-" + tag)[:15], "up")
wait_workers(2)
served = run_client(300)
h.log("link back up: %s" % served)
h.check(served.get("w1-ns", 0) > 0 and served.get("w2-ns", 0) > 0,
        "w1 did not come back: %s" % served)
st = ns_stats()
h.log("broker: workers_expired=%d redispatches=%d" % (st["workers_expired"], st["redispatches"]))
h.check(h.stop(w1) == 0 and h.stop(w2) == 0, "a worker did not exit 0")
h.log("w1 counters: %s" % h.worker_stats(w1))
h.check(h.worker_stats(w1)["reconnects"] >= 1, "w1 never reconnected")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
