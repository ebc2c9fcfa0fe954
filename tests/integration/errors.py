#!/usr/bin/python3
"""errors.py (c, d, e): an unknown method is UNIMPLEMENTED; a call whose deadline passes while
no worker is there is DEADLINE_EXCEEDED and never reaches the worker that comes later; garbage
and wrong-version frames, to the broker and to a worker, are answered or dropped and counted,
and both keep serving. Bad requests (unknown weight name, bad UTF-8) are INVALID_ARGUMENT."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

pb = h.pb
zmq = h.zmq
b = h.Broker()
c = h.Client(b.frontend)
article = h.sample_article()

# (c) unknown method, answered by the broker at once
r = c.call("lede.v1.Nope/Nothing", b"", timeout_ms=5000).get(5)
h.check(r is not None and r.status == pb.UNIMPLEMENTED,
        "unknown method: %s" % (r and pb.Status.Name(r.status)))
h.log("unknown method -> UNIMPLEMENTED: %s" % r.message)

# (d) no worker yet: the call's deadline passes in the queue
t0 = time.time()
expired = c.call(h.METHOD, h.summarize_request(article), timeout_ms=300, call_id="expired-call-1")
r = expired.get(5)
h.check(r is not None and r.status == pb.DEADLINE_EXCEEDED,
        "expired call: %s" % (r and pb.Status.Name(r.status)))
h.log("expired call -> DEADLINE_EXCEEDED after %.0f ms: %s" % ((time.time() - t0) * 1000, r.message))

# a worker connected to the real broker and to a fake broker (a ROUTER this test drives)
ctx = zmq.Context.instance()
fake = ctx.socket(zmq.ROUTER)
fake.setsockopt(zmq.LINGER, 0)
port = fake.bind_to_random_port("tcp://127.0.0.1")
# (a long heartbeat: the fake broker never beats, and must not be declared dead mid-test)
w = h.worker([b.backend, "tcp://127.0.0.1:%d" % port], "w1", threads=2,
             extra=("--heartbeat-ms", "20000"))
h.wait_registered(b, 1)
h.check(fake.poll(5000), "the worker did not send READY to the second broker")
ident, data = fake.recv_multipart()
h.check(data[:6] == h.frame(pb.READY), "first frame from the worker is not READY: %r" % data[:6])
ready = pb.Ready.FromString(data[6:])
# credit: 4 calls per engine thread, at least 16 (a local queue keeps the pipe to the broker full)
h.check(ready.capacity == 16 and ready.name == "w1" and h.METHOD in ready.methods,
        "READY fields: %s" % ready)

# (e) garbage to the worker: none of it is fatal, a good CALL after it is answered
for junk in (b"", b"xyz", b"LEDE", h.frame(pb.CALL, b"\xff\xff\xff"), h.frame(77),
             h.frame(pb.CALL, pb.Call(call_id="v2", method=h.METHOD).SerializeToString(), version=2)):
    fake.send_multipart([ident, junk])
good = pb.Call(call_id="via-fake", method=h.METHOD, timeout_ms=5000, dispatch_id=42, attempt=1,
               payload=h.summarize_request(article, sentences=1))
fake.send_multipart([ident, h.frame(pb.CALL, good.SerializeToString())])
reply = None
end = time.time() + 10
while time.time() < end and reply is None:
    if not fake.poll(500):
        continue
    _, data = fake.recv_multipart()
    if data[:6] == h.frame(pb.REPLY):
        reply = pb.Reply.FromString(data[6:])
h.check(reply is not None, "the worker did not answer the good CALL after the garbage")
h.check(reply.call_id == "via-fake" and reply.dispatch_id == 42 and reply.status == pb.OK
        and reply.served_by == "w1", "reply to the fake broker: %s" % reply)

# (d) at the worker: a call whose time runs out while it waits for an engine thread is answered
# DEADLINE_EXCEEDED without running (both threads busy with big articles meanwhile)
big = h.summarize_request(article * 200, sentences=3)
for i in range(4):
    fake.send_multipart([ident, h.frame(pb.CALL, pb.Call(
        call_id="big-%d" % i, method=h.METHOD, timeout_ms=20000, dispatch_id=100 + i,
        payload=big).SerializeToString())])
fake.send_multipart([ident, h.frame(pb.CALL, pb.Call(
    call_id="short", method=h.METHOD, timeout_ms=1, dispatch_id=200,
    payload=h.summarize_request(article)).SerializeToString())])
answers = {}
end = time.time() + 20
while time.time() < end and len(answers) < 5:
    if fake.poll(500):
        _, data = fake.recv_multipart()
        if data[:6] == h.frame(pb.REPLY):
            r = pb.Reply.FromString(data[6:])
            answers[r.call_id] = r
h.check(len(answers) == 5, "the worker answered %d of 5 calls: %s" % (len(answers), list(answers)))
h.check(all(answers["big-%d" % i].status == pb.OK for i in range(4)), "big calls failed")
h.check(answers["short"].status == pb.DEADLINE_EXCEEDED and answers["short"].dispatch_id == 200,
        "short-deadline call: %s" % answers["short"])
h.log("call expired in the worker's queue -> %s" % answers["short"].message)

# (e) garbage to the broker's frontend
c.send_raw(b"not a lede frame")
c.send_raw(h.frame(pb.CALL, b"", version=9))
c.send_raw(b"LEDE\x01")
got = []
for _ in range(3):
    r = c.recv_one(5)
    h.check(r is not None, "the broker did not answer a malformed frame")
    got.append(pb.Status.Name(r.status))
h.log("broker answers to garbage: %s" % got)
h.check(sorted(got) == ["FAILED_PRECONDITION", "INVALID_ARGUMENT", "INVALID_ARGUMENT"],
        "broker answers to garbage: %s" % got)

# bad requests: the worker's own INVALID_ARGUMENT, with the engine's message
r = c.call(h.METHOD, pb.SummarizeRequest(body=article, weights=[pb.FeatureWeight(
    name="colour", value=1)]).SerializeToString()).get(10)
h.check(r is not None and r.status == pb.INVALID_ARGUMENT and "colour" in r.message,
        "unknown weight: %s" % r)
r = c.call(h.METHOD, h.summarize_request(b"Bad \xff\xfe bytes here. And more text.")).get(10)
h.check(r is not None and r.status == pb.INVALID_ARGUMENT and r.message, "bad UTF-8: %s" % r)
r = c.call(h.METHOD, b"\xff\xff\xff\xff").get(10)
h.check(r is not None and r.status == pb.INVALID_ARGUMENT, "payload garbage: %s" % r)
h.log("bad requests -> INVALID_ARGUMENT (%s)" % r.message)

# both still serve
r = c.call(h.METHOD, h.summarize_request(article)).get(10)
h.check(r is not None and r.status == pb.OK and r.served_by == "w1", "after the garbage: %s" % r)
st = b.stats()
h.log("broker malformed counters: %s" % st["malformed"])
h.check(st["malformed_total"] >= 3 and st["malformed"]["version"] >= 1, "broker counters: %s" % st)
h.check(b.proc.poll() is None and w.poll() is None, "a process died")

w.send_signal(signal.SIGUSR1)
time.sleep(0.3)
ws = h.worker_stats(w)
h.log("worker counters: %s" % ws)
h.check(ws["malformed"] == 6, "worker counted %d malformed frames, sent 6" % ws["malformed"])
log = h.read_log(w)
h.check("expired-call-1" not in log, "the expired call reached the worker")
h.check(h.stop(w) == 0, "worker did not exit 0")
ws = h.worker_stats(w)
h.check(ws["calls"] == 10 and ws["deadline_skipped"] == 1, "worker counters at exit: %s" % ws)
c.close()
fake.close()
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
