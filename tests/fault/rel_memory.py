#!/usr/bin/python3
"""rel_memory.py: what one hostile client's bytes can make the broker hold (issue 10, 3.1 to 3.3),
while an honest client sends a 1 s-deadline call (3 s in a sanitizer build) every 100 ms and must
get every one answered OK in time. The broker runs with --queue-max-bytes Q = 64 MiB and the default 16 MiB frame limit.

1. Decode amplification (3.1): CALLs of empty metadata entries (2 bytes each on the wire; they
   unpacked to ~30x) at the frame limit, 32 MiB frames of them (over the limit, under ZeroMQ's
   2x cap), and 201 MB of 1 MB ones sent as fast as possible. Before: 4 calls took the broker to
   1.9 GB, one 32 MiB frame to 1.5 GB, and honest calls waited 15 s. Each must be answered
   INVALID_ARGUMENT (by the broker, at once; calls it can queue by the worker or
   RESOURCE_EXHAUSTED) and the broker's VmHWM stay under the RSS before plus 3 x Q + 8 x the
   frame limit (here 5 x Q).
2. A multipart message that never ends (3.2), spoken as raw ZMTP: 1 MiB parts, all with MORE.
   Before: the broker grew one for one with it. Now the connection is closed once what libzmq
   took in exceeds what it delivered by more than 2 x the frame limit; the broker must close it
   before 512 MiB are sent, and grow by less than 2 x 32 MiB + 128 MiB.
3. A client that never reads its replies (3.3): 8.4 MB of Stats calls (each answered with a few
   KB). Before: 9 MB -> 388 MB, nothing counted. Now at most --client-backlog-bytes (here 16 MiB)
   wait for it; the rest are dropped and counted; growth under that + 48 MiB."""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

pb, zmq = f.pb, f.zmq
MiB = 1 << 20
Q = 64 * MiB
MAX = 16 * MiB
BACKLOG = 16 * MiB
SCALE = 3 if f.sanitized() else 1  # redzones and quarantine: bounds tripled, said so below
QUARANTINE = 256 * MiB if f.sanitized() else 0  # ASan keeps freed blocks (256 MiB by default)

# liveness 15 (3 s) both ways: the worker's one thread takes 16 MiB frames here, and on a loaded
# machine (ASan, 2 cores) 3 beats of 200 ms were missed, the worker expired (or took the broker
# for silent and reconnected) and the calls it held came back UNAVAILABLE; nothing here tests
# expiry
b = h.Broker(extra=("--heartbeat-ms", "200", "--liveness", "15", "--queue-max-bytes", str(Q),
                    "--client-backlog-bytes", str(BACKLOG)))
w = h.worker(b.backend, "w1", threads=1, extra=("--heartbeat-ms", "200", "--liveness", "15"))
h.wait_registered(b, 1)
pid = b.proc.pid
payload = h.summarize_request(h.sample_article(), sentences=2)
if SCALE > 1:
    h.log("sanitizer build: memory bounds tripled plus ASan's 256 MiB quarantine")


class Honest(threading.Thread):
    """One call every 100 ms, deadline 1 s; records (status, latency) per call."""

    def __init__(self):
        super().__init__(daemon=True)
        self.results = []
        self.stop = False

    def run(self):
        c = h.Client(b.frontend, ctx=zmq.Context())
        while not self.stop:
            t = time.time()
            r = c.call(h.METHOD, payload, timeout_ms=int(1000 * SCALE)).get(3 * SCALE)
            self.results.append((r.status if r else None, time.time() - t))
            time.sleep(max(0, 0.1 - (time.time() - t)))
        c.close()

    def check(self, what):
        # OK means the broker and worker kept the deadline (1 s; SCALE times that in a sanitizer
        # build, where one slow moment on a loaded 2-core machine once took 1.9 s); the client's
        # own clock gets as much again for scheduling (before the fixes: 15 s)
        bad = [(s, round(dt, 2)) for s, dt in self.results if s != pb.OK or dt > 2.0 * SCALE]
        worst = max(dt for _, dt in self.results)
        h.log("%s: honest calls %d, all OK (deadline %g s, seen within %g s): %s (slowest %.3f s)"
              % (what, len(self.results), SCALE, 2 * SCALE, not bad, worst))
        h.check(len(self.results) >= 2, "too few honest calls ran")
        h.check(not bad, "honest calls late or failed during %s: %s" % (what, bad[:10]))
        self.results = []


def metadata_bomb(call_id, size):
    """A CALL frame of `size` bytes: a call id, then empty metadata entries."""
    head = h.frame(pb.CALL, pb.Call(call_id=call_id, method=h.METHOD).SerializeToString())
    n = (size - len(head)) // 2
    return head + b"\x22\x00" * n


def rss(field="VmRSS"):
    return f.proc_kb(pid, field) * 1024


def reset_peak():
    """Resets the broker's VmHWM to its current RSS (Linux: clear_refs 5), so each section's
    peak is its own."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as fh:
            fh.write("5")
    except OSError as e:
        h.fail("cannot reset the broker's peak RSS: %s" % e)


def attacker():
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SNDHWM, 0)
    s.setsockopt(zmq.RCVHWM, 0)
    s.connect(b.frontend)
    return s


honest = Honest()
honest.start()
time.sleep(0.5)

# ---- 1. decode amplification ----
reset_peak()
base = rss()
t0 = time.time()
a = attacker()
frames = [metadata_bomb("at-limit-%d" % i, MAX - 64) for i in range(4)]
frames += [metadata_bomb("over-%d" % i, 2 * MAX - 64) for i in range(8)]
frames += [metadata_bomb("flood-%d" % i, MiB) for i in range(201)]
sent_bytes = sum(len(x) for x in frames)
for x in frames:
    a.send(x, copy=False)
del frames
want = set(["at-limit-%d" % i for i in range(4)] + ["over-%d" % i for i in range(8)] +
           ["flood-%d" % i for i in range(201)])
got = {}
peak = 0
while len(got) < len(want) and time.time() - t0 < 30:
    if a.poll(50):
        r = pb.Reply.FromString(a.recv()[6:])
        got[r.call_id] = r.status
    peak = max(peak, rss())
elapsed = time.time() - t0
hwm = rss("VmHWM")
# held calls (Q), their stamped copies on the way to the worker (at most Q more), replies (small
# here), and ZeroMQ's receive buffers: frames in transit, read as fast as they come (nothing is
# decoded first) but allocated by libzmq's I/O thread ahead of the broker's on a loaded machine;
# allowed 8 frame limits (= 2 Q here), seen 60 to 200 MB
bound = base + SCALE * (3 * Q + 8 * MAX) + QUARANTINE
h.log("decode amplification: %.0f MB of metadata-entry frames answered in %.1f s: %d of %d, "
      "statuses %s; broker RSS %.0f MB before, peak %.0f MB, VmHWM %.0f MB, bound %.0f MB" % (
          sent_bytes / 1e6, elapsed, len(got), len(want), sorted(set(got.values())), base / 1e6,
          peak / 1e6, hwm / 1e6, bound / 1e6))
h.check(set(got) == want, "%d frames got no reply" % len(want - set(got)))
h.check(set(got.values()) == {pb.INVALID_ARGUMENT}, "unexpected statuses: %s" % set(got.values()))
h.check(hwm < bound, "broker VmHWM %.0f MB over the bound %.0f MB" % (hwm / 1e6, bound / 1e6))
honest.check("the decode flood")

# then calls the broker takes (64 metadata entries, a payload up to the limit less the stamp):
# the byte bound holds what they really take, and the worker refuses their payload. The honest
# calls share the one worker thread with them: their latency is the worker's, not checked here
t0 = time.time()
md = [pb.MetadataEntry(key="", value="")] * 64
for i in range(6):
    c = pb.Call(call_id="queued-%d" % i, method=h.METHOD, timeout_ms=20000, metadata=md,
                payload=b"\x00" * (MAX - 1024))
    a.send(h.frame(pb.CALL, c.SerializeToString()))
    want.add("queued-%d" % i)
msgs = {}
while len(got) < len(want) and time.time() - t0 < 30:
    if a.poll(50):
        r = pb.Reply.FromString(a.recv()[6:])
        got[r.call_id] = r.status
        msgs[r.call_id] = r.message
held = b.stats()["held_bytes"]
hwm = rss("VmHWM")
h.log("6 calls of 16 MiB with 64 metadata entries: %s; broker VmHWM %.0f MB (bound %.0f MB)" % (
    sorted(pb.Status.Name(got[k]) for k in got if k.startswith("queued")), hwm / 1e6, bound / 1e6))
h.check(set(got) == want, "%d queued calls got no reply" % len(want - set(got)))
h.check(all(got[k] in (pb.INVALID_ARGUMENT, pb.RESOURCE_EXHAUSTED) for k in got
            if k.startswith("queued")), "unexpected statuses for the queued calls: %s" % sorted(
                (k, pb.Status.Name(got[k]), msgs.get(k, "")) for k in got if k.startswith("queued")))
h.check(hwm < bound, "broker VmHWM %.0f MB over the bound %.0f MB" % (hwm / 1e6, bound / 1e6))
a.close(0)
honest.results = []

# ---- 2. a multipart message that never ends (raw ZMTP 3.0, NULL mechanism) ----
host, port = b.frontend.split("://", 1)[1].rsplit(":", 1)
raw = socket.create_connection((host, int(port)))
greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + bytes([3, 0]) + b"NULL" + b"\x00" * 16 + b"\x00" * 32
prop = bytes([11]) + b"Socket-Type" + struct.pack(">I", 6) + b"DEALER"
ready = b"\x05READY" + prop
raw.sendall(greeting + bytes([0x04, len(ready)]) + ready)
raw.settimeout(5)
raw.recv(64)
raw.settimeout(None)
part = struct.pack(">BQ", 0x03, MiB) + b"\x00" * MiB  # MORE | LONG, 1 MiB
reset_peak()
base = rss()
sent = 0
closed = False
t0 = time.time()
while sent < 512 * MiB and time.time() - t0 < 30:
    try:
        raw.sendall(part)
    except OSError:
        closed = True
        break
    sent += MiB
peak = rss("VmHWM")
raw.close()
time.sleep(0.3)
st = b.stats()
grown = max(0, peak - base)
limit = SCALE * (2 * 2 * MAX + 128 * MiB) + QUARANTINE
h.log("endless multipart: connection closed by the broker: %s after %d MiB sent in %.1f s; "
      "broker grew %.0f MB (bound %.0f MB); connections_unfinished_dropped=%d" % (
          closed, sent // MiB, time.time() - t0, grown / 1e6, limit / 1e6,
          st["io"]["connections_unfinished_dropped"]))
h.check(closed, "the broker kept a never-ending message's connection after %d MiB" % (sent // MiB))
h.check(grown < limit, "the broker grew %.0f MB with a message that never ends" % (grown / 1e6))
h.check(st["io"]["connections_unfinished_dropped"] >= 1, "the closed connection was not counted")
honest.check("the endless multipart message")

# ---- 3. a client that never reads ----
lazy = zmq.Context.instance().socket(zmq.DEALER)
lazy.setsockopt(zmq.LINGER, 0)
lazy.setsockopt(zmq.RCVHWM, 1)
lazy.setsockopt(zmq.RCVBUF, 4096)
lazy.setsockopt(zmq.SNDHWM, 0)
lazy.connect(b.frontend)
stats_call = h.frame(pb.CALL, pb.Call(call_id="s", method="lede.v1.Broker/Stats",
                                      timeout_ms=60000).SerializeToString())
n_calls = 8400000 // len(stats_call)
reset_peak()
base = rss()
t0 = time.time()
for _ in range(n_calls):
    lazy.send(stats_call)
before = b.stats()["calls_received"]
while time.time() - t0 < 30:  # until the broker has read them all
    st = b.stats()
    if st["calls_received"] >= before + n_calls - 1000 or st["calls_received"] >= n_calls:
        break
    time.sleep(0.2)
time.sleep(0.5)
st = b.stats()
grown = max(0, rss("VmHWM") - base)
limit = SCALE * (BACKLOG + 48 * MiB) + QUARANTINE
h.log("unread replies: %d Stats calls (%.1f MB) in %.1f s; broker grew %.0f MB (bound %.0f MB); "
      "replies_backlog_dropped=%d, out_bytes=%d" % (
          n_calls, n_calls * len(stats_call) / 1e6, time.time() - t0, grown / 1e6, limit / 1e6,
          st["io"]["replies_backlog_dropped"], st["io"]["out_bytes"]))
h.check(st["io"]["replies_backlog_dropped"] > 0, "no reply was dropped for the unread backlog")
h.check(grown < limit, "the broker grew %.0f MB for a client that never reads" % (grown / 1e6))
honest.check("the unread replies")
lazy.close(0)

honest.stop = True
honest.join(5)
h.check(b.proc.poll() is None and w.poll() is None, "a process died")
h.check(h.stop(w) == 0, "worker did not exit 0")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
