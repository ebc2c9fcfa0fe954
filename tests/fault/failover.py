#!/usr/bin/python3
"""failover.py: two brokers side by side, four workers registered with both, and lede-load
(liblede-client) connected to both frontends. One broker is stopped and then SIGKILLed while 5,000 calls flow:
the library re-sends the calls that broker held to the other one, drops any second reply by call
id, and every call completes OK exactly once (lede-load counts callbacks per call)."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

TOTAL, RATE = 5000, 1200
b1 = h.Broker("b1", extra=("--heartbeat-ms", "200"))
b2 = h.Broker("b2", extra=("--heartbeat-ms", "200"))
ws = [h.worker([b1.backend, b2.backend], "w%d" % i, threads=1) for i in range(1, 5)]
h.wait_registered(b1, 4)
h.wait_registered(b2, 4)
data = os.path.join(h.TMP, "articles")
os.makedirs(data)
with open(os.path.join(data, "a.txt"), "wb") as fh:
    fh.write(b"\n".join([h.sample_article()] * 4))  # long enough that calls are in flight
out = os.path.join(h.TMP, "load.json")
load = h.spawn([h.binary("lede-load"), "--broker", b1.frontend + "," + b2.frontend, "--data", data,
                "--requests", str(TOTAL), "--rate", str(RATE), "--deadline", "20000",
                "--json", out, "--no-progress"], "load.log")
t0 = time.time()
time.sleep(TOTAL / RATE / 3.0)  # a third of the way in
# Stopped first, so that it surely holds calls when it dies: a call takes well under a
# millisecond here, so at any one moment a running broker may hold none. The client goes on
# sending to it for these 150 ms, unaware.
b1.proc.send_signal(signal.SIGSTOP)
time.sleep(0.15)
b1.proc.send_signal(signal.SIGKILL)
b1.proc.wait()
h.log("SIGKILL broker b1 %.2f s into the run" % (time.time() - t0))
try:
    rc = load.wait(timeout=90)
except subprocess.TimeoutExpired:
    h.fail("lede-load did not finish within 90 s")
elapsed = time.time() - t0
h.check(os.path.exists(out), "lede-load wrote no result (exit %s):\n%s" % (rc, h.read_log(load)))
res = json.load(open(out))
h.log("lede-load exit %d in %.1f s: sent %d ok %d errors %s lost %d duplicates dropped %d resent %d"
      " p99 %.1f ms max %.1f ms" % (rc, elapsed, res["sent"], res["ok"], res["errors"], res["lost"],
                                    res["duplicates"], res["resent"],
                                    res["latency_us"]["p99"] / 1000.0,
                                    res["latency_us"]["max"] / 1000.0))
st2 = b2.stats()
h.log("surviving broker b2: calls_received=%d OK=%d" % (st2["calls_received"], st2["replies"]["OK"]))
h.check(res["sent"] == TOTAL and res["ok"] == TOTAL, "not every call OK: %s" % res)
h.check(res["lost"] == 0 and not any(res["errors"].values()), "calls lost or failed: %s" % res)
h.check(rc == 0, "lede-load exited %d" % rc)
h.check(res["resent"] > 0, "nothing was re-sent: the kill did not hit calls in flight")
for p in ws:
    h.check(h.stop(p) == 0, "a worker did not exit 0")
h.check(h.stop(b2.proc) == 0, "broker b2 did not exit 0")
h.log("PASS")
