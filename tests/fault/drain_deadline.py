#!/usr/bin/python3
"""drain_deadline.py: deadlines and graceful drains with real processes.
1. Deadlines: calls queued past their deadline and a call still running at its deadline are
   answered DEADLINE_EXCEEDED by the broker on time (the worker's late reply is dropped).
2. SIGTERM to a worker holding calls: it finishes them (OK, served by it), takes no new ones,
   tells the broker (DISCONNECT) and exits 0; nothing is lost.
3. SIGTERM to a broker: new and queued calls get UNAVAILABLE at once, calls in flight finish;
   with a short --drain-ms the ones still running are answered UNAVAILABLE and the broker exits
   within the bound."""
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

pb = f.pb
sentence = b"The council approved the budget on Tuesday after a long debate, officials said. "
slow_payload = h.summarize_request(sentence * (6 * 1024 * 1024 // len(sentence)), sentences=2)
fast_payload = h.summarize_request(h.sample_article(), sentences=2)

# ---- 1. deadlines ----
# Liveness 10 beats (2 s) both ways in parts 1 and 2, not 3: a 6 MB call under ASan on a loaded
# machine once kept the worker and broker from hearing each other for 600 ms, and the slow call
# was re-dispatched three times and given up. Nothing here tests expiry.
LIVE = ("--liveness", "10")
b = h.Broker("b-deadline", extra=("--heartbeat-ms", "200") + LIVE)
w = h.worker(b.backend, "w1", threads=1, extra=tuple(f.capacity_args(1)) + LIVE)
h.wait_registered(b, 1)
c = h.Client(b.frontend)
slow_s = None
for _ in range(2):  # the warm time: the first call also pays for cold caches and allocations
    t0 = time.time()
    r = c.call(h.METHOD, slow_payload, timeout_ms=60000).get(60)
    h.check(r is not None and r.status == pb.OK, "the slow call failed: %s" % r)
    slow_s = min(slow_s or 1e9, time.time() - t0)
h.log("one slow call (6 MB article) takes %.2f s" % slow_s)
# a sixth: on a shared machine one 6 MB call can take 3x less time than the one before it
# (the engine does 6 MB in well under 100 ms, so no fixed floor near that: 10 ms at least)
deadline_ms = max(10, int(slow_s * 1000 / 6))
t0 = time.time()
slow = c.call(h.METHOD, slow_payload, timeout_ms=deadline_ms)        # in flight at its deadline
queued = [c.call(h.METHOD, fast_payload, timeout_ms=deadline_ms) for _ in range(20)]  # waiting
late = []
slow_reply = None
for p in [slow] + queued:
    r = p.get(30)
    h.check(r is not None, "no reply for %s" % p.call_id)
    slow_reply = slow_reply or r
    late.append(time.time() - t0)
    h.check(r.status == pb.DEADLINE_EXCEEDED, "%s: %s, expected DEADLINE_EXCEEDED" % (
        p.call_id, pb.Status.Name(r.status)))
h.log("a running call and 20 queued calls with a %d ms deadline: all DEADLINE_EXCEEDED, the last "
      "at %.0f ms" % (deadline_ms, max(late) * 1000))
# Enforced at the deadline, not when the worker finishes: every answer within one slow call's
# time of the deadline (at least 0.25 s; on a loaded machine the broker's timer ran 0.5-1 s
# late). That the broker, not the worker, answered the running call is its DEADLINE_EXCEEDED
# status and message, checked above and below.
bound_s = deadline_ms / 1000.0 + max(0.25, slow_s)
h.check(max(late) < bound_s, "a deadline was enforced late: %.3f s (bound %.3f s)" % (max(late), bound_s))
# Who answered the running call: usually the broker, at the deadline, and the worker's reply
# comes later and is dropped. On a loaded machine the worker may instead read the 6 MB call only
# after its deadline, skip it and answer DEADLINE_EXCEEDED itself before the broker's timer
# fires: then that reply is the one answer and there is no late reply to drop.
by_worker = "waiting at the worker" in slow_reply.message
h.log("the running call was answered by the %s: %s" % (
    "worker (skipped, past its deadline)" if by_worker else "broker", slow_reply.message))
end = time.time() + slow_s * 3 + 5  # the worker's late reply arrives and is dropped
while not by_worker and b.stats()["late_replies_dropped"] < 1 and time.time() < end:
    c.recv_one(0.1)
c.recv_one(0.2)
h.check(c.duplicates == 0, "a second reply reached the client")
st = b.stats()
h.log("broker: DEADLINE_EXCEEDED=%d late_replies_dropped=%d workers_expired=%d" % (
    st["replies"]["DEADLINE_EXCEEDED"], st["late_replies_dropped"], st["workers_expired"]))
h.check(by_worker or st["late_replies_dropped"] >= 1,
        "the worker's late reply was not counted as dropped")
r = c.call(h.METHOD, fast_payload).get(10)
h.check(r is not None and r.status == pb.OK, "service did not continue after the deadlines")

# ---- 2. SIGTERM to a worker holding calls ----
w2 = h.worker(b.backend, "w2", threads=2, extra=tuple(f.capacity_args(2)) + LIVE)
h.wait_registered(b, 2)
load = f.Load(b.frontend, 2, 3, 10 ** 9, slow_payload, timeout_ms=60000)
load.fill()
# SIGTERM once w2 has read a call (its --verbose log has it), not after a fixed time: a 6 MB
# call takes a while to reach it, and the engine then needs only 70-90 ms for it
def w2_has_a_call():
    return re.search(r'\bmsg=call\b', h.read_log(w2)) is not None


end = time.time() + 20
while not w2_has_a_call() and time.time() < end:
    time.sleep(0.005)
h.check(w2_has_a_call(), "w2 received no call within 20 s")
held = b.stats()["workers"]
h.log("before SIGTERM: %s" % [(x["name"], x["in_flight"]) for x in held])
w2.send_signal(signal.SIGTERM)
t_term = time.time()
load.total = load.sent + 6  # a few more arrive while it drains
load.run(120)
rc = w2.wait(timeout=60)
h.log("w2 exited %d %.2f s after SIGTERM" % (rc, time.time() - t_term))
load.check_exactly_once_ok()
wst = h.worker_stats(w2)
h.log("w2 counters: %s; replies served by %s" % (wst, load.served()))
h.check(rc == 0, "w2 exited %d" % rc)
h.check(wst["in_flight"] == 0 and wst["dropped"] == 0, "w2 did not finish what it held: %s" % wst)
h.check(wst["ok"] >= 1, "w2 answered none of the calls it held")
h.check(b.stats()["workers_disconnected"] >= 1, "w2 did not tell the broker")
load.close()
c.close()
h.check(h.stop(w) == 0, "w1 did not exit 0")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")

# ---- 3. SIGTERM to a broker ----
# The two running calls are held at their workers with SIGSTOP (so "in flight at SIGTERM" does
# not depend on timing); a long liveness keeps the broker from expiring them meanwhile.
# the drain that lets both finish: 5 s, or six slow calls' time when the machine is slower
# (two 6 MB calls at once on a loaded 2-core machine took longer than 5 s once)
for drain_s, expect_finish in ((max(5.0, 6 * slow_s), True), (0.5, False)):
    b = h.Broker("b-drain-%d" % int(drain_s * 1000),
                 extra=("--heartbeat-ms", "200", "--liveness", "15",
                        "--drain-ms", str(int(drain_s * 1000))))
    # credit 1: the calls sent while both workers are frozen wait in the broker's queue (with
    # the default credit they would be prefetched by the frozen workers, i.e. in flight)
    ws = [h.worker(b.backend, "d%d" % i, threads=1, extra=f.capacity_args(1)) for i in (1, 2)]
    h.wait_registered(b, 2)
    c = h.Client(b.frontend)
    running = [c.call(h.METHOD, slow_payload, timeout_ms=60000) for _ in range(2)]
    end = time.time() + 20
    while b.stats()["in_flight"] < 2:
        h.check(time.time() < end, "the two slow calls were not dispatched")
        time.sleep(0.005)
    for x in ws:
        x.send_signal(signal.SIGSTOP)
    waiting = [c.call(h.METHOD, fast_payload, timeout_ms=60000) for _ in range(4)]
    time.sleep(0.05)
    t_term = time.time()
    b.proc.send_signal(signal.SIGTERM)
    for p in waiting:
        r = p.get(10)
        h.check(r is not None and r.status == pb.UNAVAILABLE, "a queued call got %s" % r)
    h.check(time.time() - t_term < 1.0, "queued calls were not refused at once")
    newer = c.call(h.METHOD, fast_payload).get(5)
    h.check(newer is not None and newer.status == pb.UNAVAILABLE,
            "a call after SIGTERM got %s" % newer)
    if expect_finish:
        for x in ws:
            x.send_signal(signal.SIGCONT)
    got = [p.get(drain_s + 10) for p in running]
    rc = b.proc.wait(timeout=drain_s + 10)
    took = time.time() - t_term
    if not expect_finish:
        for x in ws:
            x.send_signal(signal.SIGCONT)
    statuses = [pb.Status.Name(r.status) if r else None for r in got]
    h.log("--drain-ms %d: 4 queued and 1 new call UNAVAILABLE at once; the 2 in flight %s; "
          "broker exit %d after %.2f s" % (drain_s * 1000, statuses, rc, took))
    h.check(rc == 0, "the broker exited %d" % rc)
    h.check(took < drain_s + 1.5, "the broker took %.2f s to exit (drain %.1f s)" % (took, drain_s))
    if expect_finish:
        h.check(statuses == ["OK", "OK"], "calls in flight did not finish: %s" % statuses)
    else:
        h.check(statuses == ["UNAVAILABLE", "UNAVAILABLE"],
                "calls still running at the drain time: %s" % statuses)
        h.check(took >= drain_s - 0.05, "the broker did not wait its drain time")
    c.recv_one(0.2)
    h.check(c.duplicates == 0, "duplicate replies")
    c.close()
    for x in ws:
        h.check(h.stop(x) == 0, "a worker did not exit 0")
h.log("PASS")
