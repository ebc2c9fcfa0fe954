#!/usr/bin/python3
"""reply_limits.py: what leaves a worker is something every client can take, with real broker and
worker processes.
1. A reply too large for the transport (issue 10, 3.5): a 6.4 MB article of short sentences with
   explain makes a response of about 37 MB, past the broker's socket cap (2 x --max-msg-bytes);
   ZeroMQ used to drop the worker's link for it, and the call moved on to drop the next one. The
   worker must answer RESOURCE_EXHAUSTED for that call alone, saying why, within the deadline,
   stay connected (broker: workers_disconnected 0) and serve the next call.
2. Strings a strict proto3 reader can parse (3.7): a language, weight name or article_id that is
   invalid UTF-8, or long enough to be cut inside a character, must come back as valid UTF-8
   (python3-protobuf, the C++ parser, rejects anything else), from the engine and from --echo.
3. A call id with '"' cannot forge fields in the worker's log lines (3.14).
LEDE_REPLY_PARTS (default "utf8,log,dense") picks parts, e.g. to show one failing on an older
build. Bounds asserted: every reply parses; the too-large reply is answered in under 30 s with
RESOURCE_EXHAUSTED; no worker disconnects."""
import json
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

pb = h.pb
from google.protobuf.message import DecodeError  # noqa: E402


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, data):
    """A length-delimited field: raw bytes, so invalid UTF-8 can be put in a string field."""
    return varint(num << 3 | 2) + varint(len(data)) + data


def raw_request(body, language=b"", article_id=b"a", weight_name=None, sentences=3):
    out = field(1, article_id) + field(3, body) + field(4, language) + varint(5 << 3) + varint(sentences)
    if weight_name is not None:
        out += field(9, field(1, weight_name) + varint(2 << 3 | 1) + struct.pack("<d", 1.0))
    return out


def strict_call(client, payload, timeout_ms=10000, call_id=None):
    """Sends a Summarize call; returns (Reply, SummarizeResponse or None) parsed strictly."""
    cid = call_id or "c%d" % random.randrange(1 << 30)
    c = pb.Call(call_id=cid, method=h.METHOD, timeout_ms=timeout_ms, payload=payload)
    client.sock.send(h.frame(pb.CALL, c.SerializeToString()))
    end = time.time() + timeout_ms / 1000.0 + 5
    while time.time() < end:
        if not client.sock.poll(int(max(0.0, end - time.time()) * 1000) or 1):
            break
        data = client.sock.recv()
        h.check(data[:4] == b"LEDE" and data[5] == pb.REPLY, "not a REPLY frame")
        try:
            r = pb.Reply.FromString(data[6:])
        except DecodeError as e:
            h.fail("a strict proto3 client cannot parse the Reply: %s (%r)" % (e, data[6:300]))
        if r.call_id != cid:
            continue
        resp = None
        if r.status == pb.OK:
            try:
                resp = pb.SummarizeResponse.FromString(r.payload)
            except DecodeError as e:
                h.fail("a strict proto3 client cannot parse the SummarizeResponse: %s" % e)
        return r, resp
    h.fail("no reply within the deadline")


# the sanitizer build uses a smaller article and the caps to match (same faults, less time)
CAP = ("--max-msg-bytes", "2097152") if f.sanitized() else ()
WCAP = ("--max-message", "2097152") if f.sanitized() else ()
# liveness 10: the dense call keeps both cores busy for seconds, and under a loaded CI machine
# the worker's beats were once 3 s late (expired 1); a worker the broker drops for its reply
# still shows here, as workers_disconnected or as an expiry past 10 s
b = h.Broker(extra=CAP + ("--liveness", "10"))
w = h.worker(b.backend, "w1", threads=2, extra=("--log-format", "json") + WCAP)
h.wait_registered(b, 1)
cl = h.Client(b.frontend)
ok_body = h.SAMPLE.encode()
PARTS = os.environ.get("LEDE_REPLY_PARTS", "utf8,log,dense").split(",")

# ---- 2. strict UTF-8 in every string field ----
cases = [
    ("invalid language", raw_request(ok_body, language=b"e\xffn\xc3"), pb.INVALID_ARGUMENT),
    ("language cut inside a character", raw_request(ok_body, language=("x" + "\u00e9" * 30).encode()),
     pb.INVALID_ARGUMENT),
    ("invalid weight name", raw_request(ok_body, weight_name=b"pos\xe2\x82"), pb.INVALID_ARGUMENT),
    ("weight name cut inside a character",
     raw_request(ok_body, weight_name=("y" + "\u20ac" * 40).encode()), pb.INVALID_ARGUMENT),
    ("invalid article_id", raw_request(ok_body, article_id=b"id-\xff\xfe-\xed\xa0\x80"), pb.OK),
]
for name, payload, want in cases if "utf8" in PARTS else []:
    r, resp = strict_call(cl, payload)
    h.check(r.status == want, "%s: status %s (%s), wanted %s" % (
        name, pb.Status.Name(r.status), r.message, pb.Status.Name(want)))
    if resp is not None:
        h.check(resp.article_id.startswith("id-\ufffd"), "%s: article_id %r" % (name, resp.article_id))
        h.check(len(resp.summary) == 3, "%s: summary of %d" % (name, len(resp.summary)))
    h.log("ok: %s -> %s %r" % (name, pb.Status.Name(r.status), r.message[:90]))

# the same through an --echo worker (it echoes language and article_id without the engine)
be = h.Broker(name="broker-echo")
we = h.worker(be.backend, "w-echo", threads=1, extra=("--echo",))
h.wait_registered(be, 1)
ce = h.Client(be.frontend)
if "utf8" in PARTS:
    r, resp = strict_call(ce, raw_request(ok_body, language=b"\xc3(", article_id=b"\xf0\x9f\x98"))
    h.check(r.status == pb.OK and resp is not None, "echo: %s %s" % (pb.Status.Name(r.status), r.message))
    h.check(resp.language == "\ufffd(" and resp.article_id == "\ufffd" * 3,
            "echo: language %r article_id %r" % (resp.language, resp.article_id))
    h.log("ok: --echo worker: language %r, article_id %r" % (resp.language, resp.article_id))

# ---- 3. a call id that tries to forge log fields ----
if "log" in PARTS:
    evil = 'x" level=error forged=1 msg="pwned'
    r, _ = strict_call(cl, raw_request(ok_body), call_id=evil)
    h.check(r.status == pb.OK, "evil call id: %s" % pb.Status.Name(r.status))
    time.sleep(0.3)
    lines = [json.loads(ln) for ln in h.read_log(w).splitlines() if ln.startswith("{")]
    seen = [ln for ln in lines if ln.get("call_id") == evil]
    h.check(seen, "the worker logged no line with the call id as sent")
    forged = [ln for ln in lines if "forged" in ln or ln.get("msg") == "pwned"]
    h.check(not forged, "a call id forged log fields: %s" % forged[:2])
    h.log("ok: call id %r logged whole in call_id, no field added" % evil)

# ---- 1. a reply too large for the transport ----
if "dense" not in PARTS:
    h.log("PASS (parts %s)" % PARTS)
    sys.exit(0)
random.seed(7)
words = "the a cat dog ran fell city mayor said vote rose".split()
parts, n = [], 0
target = int(os.environ.get("LEDE_DENSE_BYTES", 6400000))
if f.sanitized() and "LEDE_DENSE_BYTES" not in os.environ:
    target = 1600000
    h.log("sanitizer build: a %d-byte article and a broker cap of 2 MiB" % target)
while n < target:
    s = " ".join(random.choice(words) for _ in range(2)).capitalize() + ". "
    parts.append(s)
    n += len(s)
dense = "".join(parts).encode()
big = h.summarize_request(dense, explain=True, sentences=3)
t0 = time.time()
r, _ = strict_call(cl, big, timeout_ms=30000)
took = time.time() - t0
h.log("dense %d-byte article with explain: %s in %.1f s: %s" % (
    len(dense), pb.Status.Name(r.status), took, r.message))
h.check(r.status == pb.RESOURCE_EXHAUSTED, "the too-large reply: %s (%s), wanted RESOURCE_EXHAUSTED" % (
    pb.Status.Name(r.status), r.message))
h.check("larger than" in r.message and "explain" in r.message, "the message does not say why: %r" % r.message)
h.check(r.served_by == "w1", "answered by %r, not by the worker" % r.served_by)
# the same article without explain is fine: only the summary's sentences travel
r, resp = strict_call(cl, h.summarize_request(dense, sentences=3), timeout_ms=30000)
h.check(r.status == pb.OK and len(resp.summary) == 3, "without explain: %s %s" % (
    pb.Status.Name(r.status), r.message))
r, resp = strict_call(cl, raw_request(ok_body))
h.check(r.status == pb.OK and r.served_by == "w1", "the next call: %s by %r" % (
    pb.Status.Name(r.status), r.served_by))
st = b.stats()
h.check(st["workers_disconnected"] == 0 and st["workers_expired"] == 0,
        "workers were dropped: disconnected %d, expired %d" % (
            st["workers_disconnected"], st["workers_expired"]))
h.check(st["workers_ready"] == 1, "workers ready: %d" % st["workers_ready"])
h.log("ok: the worker answered, stayed connected and served the next call")
cl.close()
ce.close()
for p in (w, we):
    h.check(h.stop(p) == 0, "a worker did not exit 0")
for br in (b, be):
    h.check(h.stop(br.proc) == 0, "a broker did not exit 0")
h.log("PASS")
