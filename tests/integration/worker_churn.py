#!/usr/bin/python3
"""worker_churn.py (g): while calls flow (24 in flight), one worker is drained with SIGTERM, a new
one joins, then a second old one is drained and one is SIGKILLed: every call is answered OK
exactly once. The drained workers exit 0 having answered what they took."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

TOTAL, WINDOW = 600, 24
b = h.Broker(extra=("--heartbeat-ms", "200"))
ws = {n: h.worker(b.backend, n, threads=1) for n in ("w1", "w2", "w3")}
h.wait_registered(b, 3)
c = h.Client(b.frontend)
payload = h.summarize_request(h.sample_article(), sentences=2)

events = {100: ("term", "w1"), 180: ("start", "w4"), 300: ("term", "w2"),
          380: ("start", "w5"), 450: ("kill", "w3")}
ids, pending = [], set()
done = 0
t0 = time.time()
while (len(ids) < TOTAL or pending) and time.time() - t0 < 50:
    while len(ids) < TOTAL and len(pending) < WINDOW:
        p = c.call(h.METHOD, payload, timeout_ms=20000)
        ids.append(p.call_id)
        pending.add(p.call_id)
    r = c.recv_one(1.0)
    if r is None:
        continue
    h.check(r.call_id in pending, "reply for unknown or completed call %s" % r.call_id)
    pending.discard(r.call_id)
    done += 1
    ev = events.pop(done, None)
    if ev:
        what, name = ev
        h.log("after %d replies: %s %s" % (done, what, name))
        if what == "start":
            ws[name] = h.worker(b.backend, name, threads=1)
            # the newcomer must take part: on a loaded machine (ASan, 2 cores) the remaining
            # calls could all be answered before it has even registered
            end = time.time() + 15
            while name not in [w["name"] for w in b.stats()["workers"]]:
                h.check(time.time() < end, "%s did not register within 15 s" % name)
                time.sleep(0.02)
        elif what == "term":
            ws[name].send_signal(signal.SIGTERM)
        else:
            ws[name].send_signal(signal.SIGKILL)
while c.recv_one(0.3) is not None:
    pass
elapsed = time.time() - t0
h.check(not pending, "%d calls never answered" % len(pending))
h.check(c.duplicates == 0, "%d duplicate replies" % c.duplicates)
served = {}
for cid in ids:
    r = c.replies[cid]
    h.check(r.status == h.pb.OK, "call %s: %s %s" % (cid, h.pb.Status.Name(r.status), r.message))
    served[r.served_by] = served.get(r.served_by, 0) + 1
h.log("%d calls in %.1f s, all OK once; served by %s" % (TOTAL, elapsed, dict(sorted(served.items()))))
h.check(served.get("w4", 0) > 0 and served.get("w5", 0) > 0, "the new workers served nothing")
for n in ("w1", "w2"):
    rc = ws[n].wait(timeout=15)
    st = h.worker_stats(ws[n])
    h.check(rc == 0, "%s exited %s after SIGTERM" % (n, rc))
    h.check(st["in_flight"] == 0 and st["dropped"] == 0, "%s drained with %s" % (n, st))
    h.log("%s drained: %s" % (n, st))
st = b.stats()
h.log("broker: redispatches=%d workers_expired=%d workers_disconnected=%d late_replies_dropped=%d" % (
    st["redispatches"], st["workers_expired"], st["workers_disconnected"], st["late_replies_dropped"]))
for n in ("w4", "w5"):
    h.check(h.stop(ws[n]) == 0, "%s did not exit 0" % n)
c.close()
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
