#!/usr/bin/python3
"""broker_smoke.py: lede-broker alone, with Python stand-ins for workers: garbage frames of every
kind and a wrong protocol version are answered and counted while the broker keeps serving; a call
at a worker that goes silent is re-dispatched to another and answered once; SIGUSR1 prints the
counters; SIGTERM drains, tells workers to DISCONNECT, and exits 0."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

pb = h.pb
zmq = h.zmq


class FakeWorker:
    """A DEALER on the backend that speaks READY/HEARTBEAT/REPLY by hand."""

    def __init__(self, endpoint, name, capacity=1, heartbeat_ms=200):
        self.name = name
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        r = pb.Ready(methods=[h.METHOD], capacity=capacity, name=name, heartbeat_ms=heartbeat_ms)
        self.sock.send(h.frame(pb.READY, r.SerializeToString()))
        self.got = []  # (command, message)

    def beat(self):
        self.sock.send(h.frame(pb.HEARTBEAT, pb.Heartbeat().SerializeToString()))

    def pump(self, seconds, beat=True, answer=True):
        """Receives for `seconds`, heartbeating every 100 ms and answering calls if asked."""
        end = time.time() + seconds
        next_beat = 0
        while time.time() < end:
            if beat and time.time() >= next_beat:
                self.beat()
                next_beat = time.time() + 0.1
            if not self.sock.poll(20):
                continue
            data = self.sock.recv()
            h.check(data[:5] == b"LEDE\x01", "broker sent a frame that is not LEDE v1")
            cmd = data[5]
            body = {pb.CALL: pb.Call, pb.HEARTBEAT: pb.Heartbeat,
                    pb.DISCONNECT: pb.Disconnect}[cmd].FromString(data[6:])
            self.got.append((cmd, body))
            if cmd == pb.CALL and answer:
                rep = pb.Reply(call_id=body.call_id, status=pb.OK, payload=b"done:" + body.payload,
                               dispatch_id=body.dispatch_id)
                self.sock.send(h.frame(pb.REPLY, rep.SerializeToString()))

    def calls(self):
        return [m for c, m in self.got if c == pb.CALL]

    def close(self):
        self.sock.close(0)


def main():
    b = h.Broker("smoke", extra=["--heartbeat-ms", "200", "--drain-ms", "2000", "--liveness", "3"])
    c = h.Client(b.frontend)

    # 1. garbage of every kind: each is answered (empty call id), none is fatal
    garbage = [b"", b"xy", b"GET / HTTP/1.1\r\n\r\n", h.frame(99, b""),
               h.frame(pb.CALL, b"\x0a\x50abc"), h.frame(pb.READY, b"")]
    for g in garbage:
        c.send_raw(g)
    c.sock.send_multipart([h.frame(pb.CALL, b""), b"second frame"])
    v2 = h.frame(pb.CALL, pb.Call(call_id="v2", method=h.METHOD).SerializeToString(), version=2)
    c.send_raw(v2)
    answers = []
    for _ in range(len(garbage) + 2):
        r = c.recv_one(5)
        h.check(r is not None, "the broker did not answer every malformed frame")
        answers.append(r)
    statuses = sorted(pb.Status.Name(r.status) for r in answers)
    h.log("answers to malformed frames:", statuses)
    h.check(statuses.count("INVALID_ARGUMENT") == len(garbage) + 1, "INVALID_ARGUMENT expected")
    vr = [r for r in answers if r.status == pb.FAILED_PRECONDITION]
    h.check(len(vr) == 1 and "version 2" in vr[0].message and "version 1" in vr[0].message,
            "wrong version answer should name both versions: %r" % [r.message for r in vr])
    h.check(b.proc.poll() is None, "broker died on malformed input")

    s = b.stats()
    h.log("malformed counters:", s["malformed"])
    m = s["malformed"]
    h.check(s["malformed_total"] == len(garbage) + 2, "malformed_total %d" % s["malformed_total"])
    for kind, n in (("short", 2), ("magic", 1), ("command", 1), ("body", 1), ("unexpected", 1),
                    ("frames", 1), ("version", 1)):
        h.check(m[kind] == n, "malformed[%s] = %d, expected %d" % (kind, m[kind], n))

    # 2. unknown method; a known method waits for a worker that starts later
    r = c.call("no.such/Method", b"x", timeout_ms=2000).get(5)
    h.check(r is not None and r.status == pb.UNIMPLEMENTED, "unknown method -> UNIMPLEMENTED")
    early = c.call(h.METHOD, b"early", timeout_ms=5000)
    time.sleep(0.2)
    w1 = FakeWorker(b.backend, "w1")
    w1.pump(0.5)
    r = early.get(3)
    h.check(r is not None and r.status == pb.OK and r.payload == b"done:early"
            and r.served_by == "w1", "a call sent before any worker should be served: %r" % r)

    # 3. w1 takes a call and goes silent; w2 registers; the call is re-dispatched to w2
    dups = c.duplicates  # the malformed frames' answers all had the empty call id
    lost = c.call(h.METHOD, b"lost", timeout_ms=10000)
    w1.pump(0.3, answer=False)
    h.check(any(x.payload == b"lost" for x in w1.calls()), "w1 should have got the call")
    w2 = FakeWorker(b.backend, "w2", heartbeat_ms=1000)  # a long leash: the test pauses it
    t0 = time.time()
    # w1 neither beats nor answers: dead 3 x 200 ms after its last heartbeat
    while time.time() - t0 < 5 and not any(x.payload == b"lost" for x in w2.calls()):
        w2.pump(0.05)
    h.log("w2 got the call %.2f s after w1 went silent" % (time.time() - t0))
    r = lost.get(3)
    h.check(r is not None and r.status == pb.OK and r.served_by == "w2",
            "the call at the dead worker should be answered by w2: %r" % r)
    again = [x for x in w2.calls() if x.payload == b"lost"]
    h.check(len(again) == 1 and again[0].attempt == 2, "re-dispatch with attempt 2")
    # w1 wakes up and answers late: dropped, and it is told to re-register
    first = [x for x in w1.calls() if x.payload == b"lost"][0]
    w1.sock.send(h.frame(pb.REPLY, pb.Reply(call_id=first.call_id, status=pb.OK, payload=b"late",
                                            dispatch_id=first.dispatch_id).SerializeToString()))
    w1.pump(0.3, beat=False)
    h.check(any(cmd == pb.DISCONNECT and "READY" in m.reason for cmd, m in w1.got),
            "a dead worker's late reply should get DISCONNECT")
    w2.pump(0.3)
    extra = c.recv_one(0.1)
    h.check(extra is None and c.duplicates == dups, "late reply must not reach the client: %r" % extra)
    s = b.stats()
    h.check(s["workers_expired"] == 1 and s["redispatches"] == 1 and s["late_replies_dropped"] == 1,
            "counters after the re-dispatch: %s" % json.dumps(s))

    # 4. SIGUSR1 prints the counters; SIGTERM drains and exits 0
    b.proc.send_signal(signal.SIGUSR1)
    w2.pump(0.3)
    h.check("lede-broker stats (SIGUSR1)" in h.read_log(b.proc), "SIGUSR1 should print stats")
    inflight = c.call(h.METHOD, b"drain", timeout_ms=10000)
    # w2 holds the call while the broker drains, then answers it
    w2.pump(0.2, answer=False)
    b.proc.send_signal(signal.SIGTERM)
    w2.pump(0.2, answer=False)
    r = c.call(h.METHOD, b"after", timeout_ms=2000).get(3)
    h.check(r is not None and r.status == pb.UNAVAILABLE, "new calls while draining: UNAVAILABLE")
    held = [x for x in w2.calls() if x.payload == b"drain"][0]
    w2.sock.send(h.frame(pb.REPLY, pb.Reply(call_id=held.call_id, status=pb.OK, payload=b"ok",
                                            dispatch_id=held.dispatch_id).SerializeToString()))
    r = inflight.get(3)
    h.check(r is not None and r.status == pb.OK, "the call in flight should finish during drain")
    rc = b.proc.wait(timeout=5)
    h.check(rc == 0, "broker exit code after SIGTERM: %d" % rc)
    w2.pump(0.3, beat=False)
    h.check(any(cmd == pb.DISCONNECT and "shutting down" in m.reason for cmd, m in w2.got),
            "workers should get DISCONNECT when the broker exits")
    h.check("lede-broker stats (exit)" in h.read_log(b.proc), "stats at exit")
    for x in (c, w1, w2):
        x.close()
    h.log("PASS broker_smoke")


if __name__ == "__main__":
    main()
