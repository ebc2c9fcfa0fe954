#!/usr/bin/python3
"""late_worker.py (f): calls sent while no worker is registered wait in the broker's queue and
are served by a worker started afterwards, within their deadline."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

b = h.Broker()
c = h.Client(b.frontend)
payload = h.summarize_request(h.sample_article())
calls = [c.call(h.METHOD, payload, timeout_ms=15000) for _ in range(5)]
h.check(c.recv_one(1.0) is None, "a reply came before any worker existed")
h.check(b.stats()["queue_depth"] == 5, "the calls are not queued at the broker")
t0 = time.time()
w = h.worker(b.backend, "late", threads=2)
for p in calls:
    r = p.get(10)
    h.check(r is not None, "call %s was not answered after the worker started" % p.call_id)
    h.check(r.status == h.pb.OK and r.served_by == "late",
            "call %s: %s %s by %r" % (p.call_id, h.pb.Status.Name(r.status), r.message, r.served_by))
h.log("5 queued calls served %.0f ms after the worker started" % ((time.time() - t0) * 1000))
# --echo: the service without the engine (for measuring the broker's cost)
e = h.worker(b.backend, "echo", threads=1, extra=("--echo",))
h.wait_registered(b, 2)  # once "late" stops, a broker without a worker would fail fast
h.check(h.stop(w) == 0, "worker did not exit 0")
h.check(h.worker_stats(w)["ok"] == 5, "worker counters: %s" % h.worker_stats(w))
r = c.call(h.METHOD, payload, timeout_ms=10000).get(10)
h.check(r is not None and r.status == h.pb.OK and r.served_by == "echo", "echo worker: %s" % r)
resp = h.pb.SummarizeResponse.FromString(r.payload)
h.check(resp.engine_version == "echo" and len(resp.sentences) == 0, "echo response: %s" % resp)
h.check(h.stop(e) == 0, "echo worker did not exit 0")
c.close()
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
