#!/usr/bin/python3
"""concurrent_clients.py (b): 1,000 Summarize calls from 8 concurrent clients (each its own
DEALER, 16 calls in flight) through one broker and three workers: every call gets exactly one
reply, OK, with its own call id and a real summary. Prints the calls/s seen."""
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

N_CLIENTS, PER_CLIENT, WINDOW = 8, 125, 16
b = h.Broker()
workers = [h.worker(b.backend, "w%d" % i, threads=1) for i in range(3)]
h.wait_registered(b, 3)
payload = h.summarize_request(h.sample_article(), sentences=2)

results = [None] * N_CLIENTS


def run(k):
    c = h.Client(b.frontend, ctx=h.zmq.Context.instance())
    ids = ["c%d-%d-%s" % (k, i, uuid.uuid4().hex[:8]) for i in range(PER_CLIENT)]
    pending = set()
    nxt = 0
    end = time.time() + 45
    while (nxt < len(ids) or pending) and time.time() < end:
        while nxt < len(ids) and len(pending) < WINDOW:
            c.call(h.METHOD, payload, timeout_ms=30000, call_id=ids[nxt])
            pending.add(ids[nxt])
            nxt += 1
        r = c.recv_one(1.0)
        if r is not None:
            pending.discard(r.call_id)
    # a short wait for duplicates that should never come
    while c.recv_one(0.2) is not None:
        pass
    results[k] = (ids, c.replies, c.duplicates, c.malformed)
    c.close()


t0 = time.time()
threads = [threading.Thread(target=run, args=(k,)) for k in range(N_CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - t0 - 0.2

total = ok = 0
served = {}
for k, (ids, replies, dups, bad) in enumerate(results):
    h.check(dups == 0 and bad == 0, "client %d: %d duplicate and %d malformed replies" % (k, dups, bad))
    h.check(set(replies) == set(ids),
            "client %d: %d calls, %d replies, %d unknown ids" % (
                k, len(ids), len(replies), len(set(replies) - set(ids))))
    for cid, r in replies.items():
        total += 1
        h.check(r.status == h.pb.OK, "call %s: %s %s" % (cid, h.pb.Status.Name(r.status), r.message))
        resp = h.pb.SummarizeResponse.FromString(r.payload)
        h.check(len(resp.summary) == 2 and len(resp.sentences) == 2 and resp.sentences[0].text,
                "call %s: not a 2-sentence summary" % cid)
        served[r.served_by] = served.get(r.served_by, 0) + 1
        ok += 1
h.check(total == N_CLIENTS * PER_CLIENT, "expected %d replies, got %d" % (N_CLIENTS * PER_CLIENT, total))
h.log("%d calls from %d clients, all OK, in %.2f s: %.0f calls/s; served by %s" % (
    total, N_CLIENTS, elapsed, total / elapsed, dict(sorted(served.items()))))
h.check(len(served) == 3, "not every worker served calls: %s" % served)
for p in workers:
    h.check(h.stop(p) == 0, "worker did not exit 0")
h.check(sum(h.worker_stats(p)["ok"] for p in workers) == total, "worker counters disagree")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
