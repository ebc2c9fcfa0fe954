#!/usr/bin/python3
"""rel_limits.py: every call gets a reply by its deadline at the frame-size limits (issue 10,
3.11 and 3.14), with a real broker and worker.

1. A call of exactly --max-msg-bytes grew by the broker's stamp (up to 23 bytes) past the
   worker's equal limit and was dropped there without a reply. Now the broker takes calls up to
   the limit less 23 bytes and answers larger ones INVALID_ARGUMENT at once (within 1 s); one
   of the limit less 23 goes through and the worker answers it.
2. A broker/worker mismatch (worker --max-message 1 MiB below the broker's 16 MiB): a 2 MiB
   call is dropped by the worker; the broker still answers it by its 2 s deadline (+ 0.5 s),
   the worker's credit halves, and the next calls are served.
3. A frame over twice the limit (libzmq's own cap, 2 x + 4 KiB) never reaches the broker:
   libzmq closes the connection, so no reply can come from the broker. liblede-client (which
   refuses locally only past its own max_message, 16 MiB) still ends the call by its deadline
   with a clear error (the lede CLI: exit 1 and the reason within the 3 s deadline + 0.5 s), and
   the broker serves on."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402,F401
from fault import h  # noqa: E402

pb, zmq = f.pb, f.zmq
MiB = 1 << 20
MAX = 4 * MiB
STAMP = 23

# liveness 10 beats both ways: a worker that takes a 4 MiB call under ASan on a loaded machine
# was once taken for dead three times and the call given up; nothing here tests expiry
LIVE = ("--liveness", "10")
b = h.Broker(extra=("--heartbeat-ms", "200", "--max-msg-bytes", str(MAX)) + LIVE)
w = h.worker(b.backend, "w1", threads=1, extra=("--max-message", str(MAX)) + LIVE)
h.wait_registered(b, 1)
c = h.Client(b.frontend)


def call_of(call_id, size, timeout_ms):
    """A Summarize CALL frame of exactly `size` bytes (a real request, the article repeated)."""
    text = h.sample_article() * (size // len(h.sample_article()) + 1)

    def make(t):
        req = h.summarize_request(text[:t], sentences=2)
        return h.frame(pb.CALL, pb.Call(call_id=call_id, method=h.METHOD, timeout_ms=timeout_ms,
                                        payload=req).SerializeToString())
    t = max(0, size - len(make(0)) - 16)
    for _ in range(50):
        fr = make(t)
        if len(fr) == size:
            return fr
        t += 1 if len(fr) < size - 1 else (size - len(fr)) if len(fr) > size else 1
        t = max(0, t)
    h.fail("cannot make a call of %d bytes" % size)


# ---- 1. the stamp's room ----
for name, size, want in (("exact", MAX, pb.INVALID_ARGUMENT), ("near", MAX - 8, pb.INVALID_ARGUMENT),
                         ("fits", MAX - STAMP, pb.OK)):
    t0 = time.time()
    c.send_raw(call_of(name, size, 10000))
    r = c.wait(name, 12)
    dt = time.time() - t0
    h.log("call of %d bytes (limit %d): %s after %.2f s%s" % (
        size, MAX, pb.Status.Name(r.status) if r else "no reply", dt,
        (": " + r.message) if r and r.message else ""))
    h.check(r is not None and r.status == want, "call %s: expected %s" % (name, pb.Status.Name(want)))
    # refused when it arrives, not at its 10 s deadline: under half of it even on a loaded
    # machine (a 4 MiB frame from Python took 1.12 s once under ASan and heavy load)
    h.check(dt < 5.0 or want == pb.OK, "call %s answered after %.2f s" % (name, dt))
h.check(h.stop(w) == 0, "worker did not exit 0")

# ---- 2. a worker with a lower limit than the broker's ----
w = h.worker(b.backend, "w2", threads=1, extra=("--max-message", str(1 * MiB)) + LIVE)
h.wait_registered(b, 1)
t0 = time.time()
c.send_raw(call_of("mismatch", 2 * MiB, 2000))
r = c.wait("mismatch", 5)
dt = time.time() - t0
h.log("2 MiB call to a worker that takes 1 MiB: %s after %.2f s" % (
    pb.Status.Name(r.status) if r else "no reply", dt))
h.check(r is not None and r.status in (pb.DEADLINE_EXCEEDED, pb.RESOURCE_EXHAUSTED,
                                       pb.INVALID_ARGUMENT),
        "the mismatched call got no error reply")
h.check(dt < 2.5, "the mismatched call was answered after %.2f s (deadline 2 s)" % dt)
small = h.summarize_request(h.sample_article(), sentences=2)
for i in range(5):
    r = c.call(h.METHOD, small, timeout_ms=2000).get(3)
    h.check(r is not None and r.status == pb.OK, "a small call after the mismatch failed")
h.check(h.stop(w) == 0, "worker did not exit 0")

# ---- 3. over twice the limit: ended by the client library at its deadline ----
w = h.worker(b.backend, "w3", threads=1, extra=("--max-message", str(MAX)) + LIVE)
h.wait_registered(b, 1)
big = os.path.join(h.TMP, "big.txt")
with open(big, "wb") as fh:
    fh.write((h.sample_article() * (3 * MAX // len(h.sample_article()) + 1))[:3 * MAX])
t0 = time.time()
p = subprocess.run([h.binary("lede"), "summarize", "--broker", b.frontend, "--deadline", "3000",
                    big], capture_output=True, timeout=20)
dt = time.time() - t0
err = p.stderr.decode("utf-8", "replace").strip()
h.log("lede summarize of a %d MiB article through a %d MiB broker: exit %d after %.2f s: %s" % (
    3 * MAX // MiB, MAX // MiB, p.returncode, dt, err[:200]))
h.check(p.returncode != 0 and err, "the oversized call did not fail with a message")
# The deadline is 3 s; reading and sending the 3 MiB file and starting the CLI come on top,
# and a sanitizer build on a loaded machine took 3.56 s once (3.2 s on reruns).
slack = 1.5 if h.sanitized() else 0.5
h.check(dt < 3.0 + slack, "the oversized call took %.2f s to fail (deadline 3 s + %.1f s)" % (dt, slack))
r = c.call(h.METHOD, small, timeout_ms=2000).get(3)
h.check(r is not None and r.status == pb.OK, "the broker did not serve on")
c.close()
h.check(h.stop(w) == 0, "worker did not exit 0")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
