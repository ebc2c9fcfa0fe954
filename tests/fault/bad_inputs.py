#!/usr/bin/python3
"""bad_inputs.py: every item of the bad-input corpus (tests/data/bad/MANIFEST.tsv: truncated and
oversized frames, wrong versions, invalid protobuf, invalid UTF-8, empty, binary and 50 MB
articles, deeply repeated text) is sent to a running broker and worker, one at a time. Each gets
exactly one reply with the status the manifest names, from the process it names (broker or
worker), within a time bound; neither process dies, and a good call still works afterwards.
Runs in the sanitizer build too."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

pb, zmq = f.pb, f.zmq
CORPUS = os.path.join(h.SRC, "tests", "data", "bad")
MAX_MSG = 60 << 20        # broker --max-msg-bytes
MAX_ARTICLE = 8 << 20     # worker --max-article-bytes
PER_ITEM_S = 120 if f.sanitized() else 30

# The default liveness window (3 x 1000 ms): a worker's main thread takes the 50 MB call off the
# wire and copies it before it beats again, which under a sanitizer can take most of a second.
b = h.Broker(extra=("--heartbeat-ms", "1000", "--max-msg-bytes", str(MAX_MSG)))
w = h.worker(b.backend, "w1", threads=1, extra=("--heartbeat-ms", "1000",
                                                 "--max-message", str(64 << 20),
                                                 "--max-article-bytes", str(MAX_ARTICLE)))
h.wait_registered(b, 1)
ctx = zmq.Context.instance()
sock = ctx.socket(zmq.DEALER)
sock.setsockopt(zmq.LINGER, 0)
sock.connect(b.frontend)
seq = 0


def call_frame(payload, call_id=None):
    global seq
    seq += 1
    c = pb.Call(call_id=call_id or "item-%d" % seq, method=h.METHOD, timeout_ms=PER_ITEM_S * 1000,
                payload=payload)
    return c.call_id, h.frame(pb.CALL, c.SerializeToString())


def article_payload(body):
    return pb.SummarizeRequest(article_id="bad", body=body, sentences=2).SerializeToString()


def generate(name):
    """The frames (a list: several for a multipart message) of a generated item."""
    sentence = b"The council approved the budget on Tuesday, officials said. "
    if name == "gen-50mb":
        body = (sentence * (50 * 1024 * 1024 // len(sentence) + 1))[:50 * 1024 * 1024]
        return [call_frame(article_payload(body))[1]]
    if name == "gen-over-article-limit":
        body = (sentence * (MAX_ARTICLE // len(sentence) + 2))[:MAX_ARTICLE + 1]
        return [call_frame(article_payload(body))[1]]
    if name == "gen-oversized-frame":
        return [call_frame(b"\x00" * (MAX_MSG + 1024))[1]]
    if name == "gen-repeated-sentence":
        return [call_frame(article_payload(sentence * (4 * 1024 * 1024 // len(sentence))))[1]]
    if name == "gen-repeated-word":
        return [call_frame(article_payload(b"buffalo " * (4 * 1024 * 1024 // 8)))[1]]
    if name == "gen-many-paragraphs":
        return [call_frame(article_payload(b"word\n" * 200000))[1]]
    if name == "gen-multipart":
        fr = call_frame(article_payload(b"Fine text. More text."))[1]
        return [fr[:20], fr[20:]]
    h.fail("unknown generator %s" % name)


items = []
for line in open(os.path.join(CORPUS, "MANIFEST.tsv")):
    if line.startswith("#") or not line.strip():
        continue
    name, kind, expect, who, desc = line.rstrip("\n").split("\t")
    items.append((name, kind, expect, who, desc))
h.check(len(items) >= 40, "the manifest lists only %d items" % len(items))

failures = []
slowest = (0, "")
t_all = time.time()
for name, kind, expect, who, desc in items:
    if kind == "gen":
        frames = generate(name)
    else:
        data = open(os.path.join(CORPUS, name), "rb").read()
        if kind == "frame":
            frames = [data]
        elif kind == "payload":
            frames = [call_frame(data)[1]]
        elif kind == "article":
            frames = [call_frame(article_payload(data))[1]]
        else:
            h.fail("%s: unknown kind %s" % (name, kind))
    t0 = time.time()
    sock.send_multipart(frames)
    del frames
    if not sock.poll(PER_ITEM_S * 1000):
        failures.append("%s: no reply within %d s" % (name, PER_ITEM_S))
        continue
    data = sock.recv()
    took = time.time() - t0
    slowest = max(slowest, (took, name))
    try:
        h.check(data[:4] == b"LEDE" and data[4] == 1 and data[5] == pb.REPLY, "not a REPLY")
        r = pb.Reply.FromString(data[6:])
    except Exception as e:  # noqa: BLE001 - any decode problem is this item's failure
        failures.append("%s: the reply does not decode: %s" % (name, e))
        continue
    got = pb.Status.Name(r.status)
    by = "worker" if r.served_by == "w1" else "broker"
    ok = got == expect and by == who
    h.log("%-28s %-8s -> %-19s by %-6s %6.2f s  %s%s" % (
        name, kind, got, by, took, desc, "" if ok else "   <-- expected %s by %s (%s)" % (
            expect, who, r.message)))
    if not ok:
        failures.append("%s: %s by %s, expected %s by %s: %s" % (name, got, by, expect, who,
                                                                 r.message))
    h.check(b.proc.poll() is None, "the broker died on %s" % name)
    h.check(w.poll() is None, "the worker died on %s:\n%s" % (name, h.read_log(w)[-2000:]))

# nothing more may arrive: one reply per item
time.sleep(0.5)
extra = 0
while sock.poll(0):
    sock.recv()
    extra += 1
h.log("%d items in %.1f s (slowest %s: %.2f s); %d extra replies" % (
    len(items), time.time() - t_all, slowest[1], slowest[0], extra))
h.check(extra == 0, "%d replies more than items" % extra)
h.check(not failures, "%d items wrong:\n  %s" % (len(failures), "\n  ".join(failures)))
cid, fr = call_frame(article_payload(h.sample_article()))
sock.send(fr)
h.check(sock.poll(20000), "no reply to a good call after the corpus")
r = pb.Reply.FromString(sock.recv()[6:])
h.check(r.status == pb.OK and r.call_id == cid, "a good call after the corpus: %s" % r)
st = b.stats()
h.log("broker: malformed %s; worker counters follow" % st["malformed"])
sock.close(0)
h.check(h.stop(w) == 0, "the worker did not exit 0")
h.log("worker: %s" % h.worker_stats(w))
h.check(h.stop(b.proc) == 0, "the broker did not exit 0")
h.log("PASS")
