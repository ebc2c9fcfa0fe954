#!/usr/bin/python3
"""chaos.py: 20,000 calls from 16 concurrent clients through one broker and 4 workers while a
worker is SIGKILLed every half second (and every 1/30 of the calls) and started again. Every call must be answered OK exactly
once: none lost (the broker re-dispatches what the dead worker held), none duplicated (the dead
worker's replies never arrive, a restarted one has a new identity). Under a sanitizer build the
call count is scaled down (the same faults, fewer calls)."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

TOTAL = int(os.environ.get("LEDE_CHAOS_CALLS", "20000"))
if f.sanitized() and "LEDE_CHAOS_CALLS" not in os.environ:
    TOTAL = 5000
    h.log("sanitizer build: %d calls instead of 20000" % TOTAL)
CLIENTS, WINDOW, WORKERS, KILL_EVERY = 16, 4, 4, 0.5

# The broker gives a call up as a poison pill after --max-attempts dispatches (3 by default;
# unit_broker max_attempts_then_unavailable tests that). Here a worker dies every
# half second, holding its whole credit window, so about one dispatch in twelve is lost (CI's
# ASan run: 459 re-dispatches of 5459); with 3 attempts ~5000 x (1/12)^3 = 3 calls per run would
# be given up by chance. With 10, the chance that any call is lost 10 times is below 1e-6.
b = h.Broker(extra=("--heartbeat-ms", "200", "--liveness", "3", "--max-attempts", "10"))
names = ["w%d" % i for i in range(1, WORKERS + 1)]
ws = {n: h.worker(b.backend, n, threads=1) for n in names}
h.wait_registered(b, WORKERS)

# four copies of the article: each call takes long enough that the run sees ~30 kills
payload = h.summarize_request(b"\n".join([h.sample_article()] * 4), sentences=2)
load = f.Load(b.frontend, CLIENTS, WINDOW, TOTAL, payload, timeout_ms=60000)
kills = 0
next_kill = time.time() + KILL_EVERY
victim = 0
t0 = time.time()


# A kill comes KILL_EVERY seconds or TOTAL / KILL_MARKS answered calls after the last one,
# whichever is first: a slow machine (a sanitizer build) is killed every half second as before,
# a fast one every 1/30 of the calls, so each sees enough kills: the run needs MIN_KILLS of them
# (KILL_MARKS less a tolerance of 9), never waived.
KILL_MARKS, MIN_KILLS = 30, 21
next_mark = TOTAL // KILL_MARKS


def chaos(_load):
    global kills, next_kill, next_mark, victim
    if _load.sent >= TOTAL and _load.outstanding() == 0:
        return
    if time.time() < next_kill and len(_load.replies) < next_mark:
        return
    next_mark = len(_load.replies) + TOTAL // KILL_MARKS
    name = names[victim % WORKERS]
    victim += 1
    p = ws[name]
    p.send_signal(signal.SIGKILL)
    p.wait()
    kills += 1
    ws[name] = h.worker(b.backend, name, threads=1)
    next_kill = time.time() + KILL_EVERY


load.run(240, chaos)
elapsed = time.time() - t0
h.log("%d calls from %d clients in %.1f s (%.0f calls/s), %d SIGKILLs; statuses %s; served %s" % (
    load.sent, CLIENTS, elapsed, load.sent / elapsed, kills, load.statuses(),
    dict(sorted(load.served().items()))))
st = b.stats()
h.log("broker: dispatches=%d redispatches=%d workers_expired=%d workers_disconnected=%d "
      "unreachable_workers=%d late_replies_dropped=%d replies_total=%d" % (
          st["dispatches"], st["redispatches"], st["workers_expired"], st["workers_disconnected"],
          st["unreachable_workers"], st["late_replies_dropped"], st["replies_total"]))
load.check_exactly_once_ok()
h.check(kills >= MIN_KILLS, "only %d kills happened (at least %d needed): the test did not "
        "exercise re-dispatch enough" % (kills, MIN_KILLS))
h.check(st["redispatches"] > 0, "no call was re-dispatched although %d workers were killed" % kills)
load.close()
for p in ws.values():
    h.check(h.stop(p) == 0, "a worker did not exit 0 on SIGTERM")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
