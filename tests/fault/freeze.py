#!/usr/bin/python3
"""freeze.py: a worker is SIGSTOPped for longer than the liveness window (heartbeat 200 ms x 3)
while calls flow. The broker declares it dead and serves its calls elsewhere; after SIGCONT it
re-registers (its late reply is dropped) and serves again. The clients see exactly one OK reply
per call, and no call waits much longer than the liveness window."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

HB, LIVENESS, STOP_S = 200, 3, 2.0
window_s = HB * LIVENESS / 1000.0
b = h.Broker(extra=("--heartbeat-ms", str(HB), "--liveness", str(LIVENESS)))
ws = {n: h.worker(b.backend, n, threads=1, extra=("--liveness", str(LIVENESS)))
      for n in ("w1", "w2", "w3")}
h.wait_registered(b, 3)
payload = h.summarize_request(h.sample_article(), sentences=2)
load = f.Load(b.frontend, 4, 2, 10 ** 9, payload, timeout_ms=30000)


def run_for(seconds):
    end = time.time() + seconds
    while time.time() < end:
        load.step(0.02)


run_for(1.0)
before = load.served().get("w1", 0)
h.check(before > 0, "w1 served nothing before the freeze")
ws["w1"].send_signal(signal.SIGSTOP)
t_stop = time.time()
h.log("SIGSTOP w1 after %d replies (w1 had served %d)" % (len(load.replies), before))
run_for(0.3)  # replies w1 sent before the signal may still be on their way
before = load.served().get("w1", 0)
run_for(STOP_S - 0.3)
during = load.served().get("w1", 0) - before
st = b.stats()
names = [w["name"] for w in st["workers"]]
h.log("after %.1f s stopped: broker workers %s, expired %d, redispatches %d; w1 served %d meanwhile"
      % (STOP_S, names, st["workers_expired"], st["redispatches"], during))
h.check("w1" not in names, "w1 is still registered after %.1f s stopped" % STOP_S)
h.check(st["workers_expired"] >= 1, "the broker did not expire the frozen worker")
h.check(during == 0, "w1 answered %d calls while stopped" % during)
ws["w1"].send_signal(signal.SIGCONT)
t_cont = time.time()
h.log("SIGCONT w1")
rejoined = None
while time.time() - t_cont < 10:
    load.step(0.02)
    if rejoined is None and "w1" in [w["name"] for w in b.stats()["workers"]]:
        rejoined = time.time() - t_cont
    if rejoined is not None and load.served().get("w1", 0) > before + during + 20:
        break
h.check(rejoined is not None, "w1 did not re-register within 10 s of SIGCONT")
after = load.served().get("w1", 0) - before - during
h.log("w1 re-registered %.2f s after SIGCONT and served %d calls since" % (rejoined, after))
h.check(after > 20, "w1 did not serve again after rejoining")
# stop sending and collect everything
load.total = load.sent
load.run(30)
slowest = max(load.latency.values())
h.log("%d calls, statuses %s, served %s, slowest %.2f s (liveness window %.1f s)" % (
    load.sent, load.statuses(), dict(sorted(load.served().items())), slowest, window_s))
load.check_exactly_once_ok()
h.check(slowest < window_s + 1.5, "a call waited %.2f s: not re-dispatched within the liveness "
        "window" % slowest)
st = b.stats()
h.log("broker: workers_expired=%d redispatches=%d late_replies_dropped=%d unknown_worker_messages=%d"
      % (st["workers_expired"], st["redispatches"], st["late_replies_dropped"],
         st["unknown_worker_messages"]))
load.close()
for p in ws.values():
    h.check(h.stop(p) == 0, "a worker did not exit 0")
wst = h.worker_stats(ws["w1"])
h.log("w1 counters: %s" % wst)
h.check(wst["reconnects"] >= 1, "w1 never re-registered")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
