#!/usr/bin/python3
"""batch_calls.py: lede.v1.Summarizer/SummarizeBatch with real processes (docs/PROTOCOL.md §7).
1. A batch call straight to the broker: each item is answered on its own, in order (a garbled
   item and one the engine refuses fail alone), OK items are the bytes a Summarize call of each
   gives; an empty batch and one of 65 items fail as a whole.
2. `lede summarize --broker --jsonl` (which sends chunks) prints byte for byte what `--local`
   prints, the line the engine refuses included, in far fewer calls than articles.
3. POST /v1/summarize:batch gives, line for line, what /v1/summarize gives for each line.
4. A worker killed while it holds a chunk loses nothing: the broker re-dispatches the chunk and
   another worker answers every item.
5. Against workers that serve Summarize only (--no-batch, as before SummarizeBatch) the CLI and
   the gateway fall back to single calls: the same output, one refused batch call.
6. A chunk whose answers do not all fit in the worker's reply: the rest are resent alone.
7. A batch body that arrives in pieces: its lines reach the broker before the upload ends and
   the output is the same, in order; a chunked upload past the cap is refused (413) after lines
   went out, a client may leave mid-upload, and the gateway serves on and exits cleanly.
The workers' counters count articles (a chunk's items each)."""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import gw  # noqa: E402

BATCH = "lede.v1.Summarizer/SummarizeBatch"
N = 60
BAD = 7  # the line whose budget no sentence fits: the engine refuses it

articles = []
cnndm = h.eval_file("cnndm-dev.jsonl", required=False)
if cnndm:
    with open(cnndm, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            articles.append({"id": rec["id"], "title": rec.get("title") or "",
                             "article": rec["article"]})
            if len(articles) == N:
                break
else:
    exdir = os.path.join(h.SRC, "examples", "articles")
    names = sorted(os.listdir(exdir))
    while len(articles) < N:
        name = names[len(articles) % len(names)]
        articles.append({"id": "%s-%d" % (name, len(articles)), "title": "",
                         "article": open(os.path.join(exdir, name), encoding="utf-8").read()})


def budget(i):
    return {"words": 1} if i == BAD else {"sentences": 3}


def request(i, explain=False):
    a = articles[i]
    return h.pb.SummarizeRequest(article_id=a["id"], title=a["title"].encode(),
                                 body=a["article"].encode(), language="en", explain=explain,
                                 **budget(i)).SerializeToString()


def no_timings(payload):
    m = h.pb.SummarizeResponse.FromString(payload)
    m.ClearField("timings")
    return m.SerializeToString(deterministic=True)


expect_ok = expect_failed = 0  # articles the workers of broker b answer, for their counters

b = h.Broker()
w1 = h.worker(b.backend, "w1")
w2 = h.worker(b.backend, "w2")
h.wait_registered(b, 2)
c = h.Client(b.frontend)

# ---- 1. a batch call, item by item ----
singles = [c.call(h.METHOD, request(i, explain=True)).get(30) for i in (0, 1, BAD)]
h.check(all(r is not None for r in singles), "a Summarize call went unanswered")
h.check([r.status for r in singles] == [h.pb.OK, h.pb.OK, h.pb.INVALID_ARGUMENT],
        "single calls: %r" % [(r.status, r.message) for r in singles])
expect_ok += 2
expect_failed += 1
garbled = b"\x0a\xff\x01"  # field 1, 255 bytes long, cut short
items = [request(0, explain=True), garbled, request(BAD, explain=True), request(1, explain=True)]
r = c.call(BATCH, h.pb.SummarizeBatchRequest(requests=items).SerializeToString()).get(30)
h.check(r is not None and r.status == h.pb.OK, "batch call: %r" % ((r and (r.status, r.message)),))
resp = h.pb.SummarizeBatchResponse.FromString(r.payload)
st = [it.status for it in resp.items]
h.check(st == [h.pb.OK, h.pb.INVALID_ARGUMENT, h.pb.INVALID_ARGUMENT, h.pb.OK],
        "item statuses %r" % [(it.status, it.message) for it in resp.items])
h.check("not a valid lede.v1.SummarizeRequest" in resp.items[1].message, resp.items[1].message)
h.check(resp.items[2].message == singles[2].message,
        "the refused item says %r, a single call %r" % (resp.items[2].message, singles[2].message))
h.check(no_timings(resp.items[0].response) == no_timings(singles[0].payload) and
        no_timings(resp.items[3].response) == no_timings(singles[1].payload),
        "a batch item's response differs from the Summarize call's")
h.check(not any(it.resend for it in resp.items), "an item marked resend")
expect_ok += 2
expect_failed += 2
for bad, what in ((b"", "no items"), (h.pb.SummarizeBatchRequest(
        requests=[request(0)] * 65).SerializeToString(), "65 items"), (b"\xff", "garbage")):
    r = c.call(BATCH, bad).get(30)
    h.check(r is not None and r.status == h.pb.INVALID_ARGUMENT,
            "batch of %s: %r" % (what, r and (r.status, r.message)))
    expect_failed += 1
h.log("1. batch call: items answered in order, each on its own; bad batches refused")

# ---- 2. the CLI's chunks: the same bytes as --local ----
jsonl = os.path.join(h.TMP, "in.jsonl")
with open(jsonl, "w", encoding="utf-8") as f:
    for i, a in enumerate(articles):
        f.write(json.dumps({"id": a["id"], "title": a["title"], "article": a["article"],
                            "options": budget(i)}) + "\n")


def cli(*args):
    return subprocess.run([h.binary("lede"), "summarize", "--lang", "en", "--jsonl", jsonl] +
                          list(args), capture_output=True, timeout=120)


local = cli("--local")
h.check(local.returncode == 3, "--local: exit %d (one line fails): %s" % (local.returncode,
                                                                          local.stderr.decode()))
bad_line = local.stdout.decode().splitlines()[BAD]
h.check("no sentence fits" in bad_line, "--local's line %d: %s" % (BAD + 1, bad_line))
calls0 = b.stats()["calls_received"]
remote = cli("--broker", b.frontend)
calls = b.stats()["calls_received"] - calls0 - 1  # the second Stats call counts itself
h.check(remote.returncode == 3, "--broker: exit %d: %s" % (remote.returncode,
                                                           remote.stderr.decode()))
h.check(remote.stdout == local.stdout, "--broker --jsonl differs from --local")
h.check(calls <= N // 4, "%d calls for %d articles: not sent in chunks" % (calls, N))
expect_ok += N - 1
expect_failed += 1
h.log("2. --broker --jsonl == --local byte for byte (line %d refused alone), %d calls for %d "
      "articles" % (BAD + 1, calls, N))

# ---- 3. the gateway's batch route: line for line what the unary route gives ----
g = gw.Gateway(b.frontend)
g.wait_ready()


def http_line(i):
    a = articles[i]
    r = {"articleId": a["id"], "body": a["article"], "language": "en"}
    r.update(budget(i))
    if a["title"]:
        r["title"] = a["title"]
    return json.dumps(r)


def strip(line):
    return re.sub(r'"timings":\{[^}]*\}', '"timings":{}', line)


M = 48
lines = [http_line(i) for i in range(M)]
conn = g.conn()
unary = []
for ln in lines:
    status, _, body = g.post("/v1/summarize", ln, conn=conn)
    unary.append(strip(body.decode().rstrip("\n")))
conn.close()
h.check("no sentence fits" in unary[BAD], "unary line %d: %s" % (BAD + 1, unary[BAD]))


def batch_route(gateway):
    status, hd, body = gateway.post("/v1/summarize:batch", "\n".join(lines) + "\n",
                                    headers={"Content-Type": "application/x-ndjson"})
    h.check(status == 200, "batch route: HTTP %d %s" % (status, body[:200]))
    return [strip(x) for x in body.decode().splitlines()]


calls0 = b.stats()["calls_received"]
out = batch_route(g)
calls = b.stats()["calls_received"] - calls0 - 1
h.check(len(out) == M, "batch route: %d lines out for %d" % (len(out), M))
for i in range(M):
    h.check(out[i] == unary[i], "batch line %d differs from /v1/summarize:\n%s\n%s"
            % (i + 1, out[i][:300], unary[i][:300]))
# a batch of under 128 lines goes in 8 calls (so that every worker gets some)
h.check(calls <= 8, "%d calls for %d lines: not sent in chunks" % (calls, M))
expect_ok += 2 * (M - 1)
expect_failed += 2
h.log("3. /v1/summarize:batch == /v1/summarize line for line, %d calls for %d lines" % (calls, M))

# the workers' counters: articles, not calls
for w in (w1, w2):
    h.check(h.stop(w) == 0, "worker exit code")
ws = [h.worker_stats(w) for w in (w1, w2)]
h.check(all(ws), "no stats line from a worker")
ok, failed = sum(s["ok"] for s in ws), sum(s["failed"] for s in ws)
h.check((ok, failed) == (expect_ok, expect_failed),
        "workers counted %d ok, %d failed; %d and %d articles were answered"
        % (ok, failed, expect_ok, expect_failed))
h.log("workers counted %d articles OK and %d failed, as answered" % (ok, failed))

# ---- 4. a worker killed while it holds a chunk ----
# a chunk heavy enough to take a while (the longest articles, concatenated), sent to the one
# worker there is; stopped as soon as it logs the call, then a second worker starts and the
# first is killed: the broker hears nothing more from it and re-dispatches the chunk
big = "\n".join(a["article"] for a in articles).encode()
heavy = [h.pb.SummarizeRequest(article_id="big-%d" % k, body=big, language="en").SerializeToString()
         for k in range(24)]
b2 = h.Broker(name="broker2")
c2 = h.Client(b2.frontend)
for attempt in range(1, 4):
    k1 = h.worker(b2.backend, "k%d" % (2 * attempt - 1))
    h.wait_registered(b2, 1)
    p = c2.call(BATCH, h.pb.SummarizeBatchRequest(requests=heavy).SerializeToString(),
                timeout_ms=120000)
    end = time.time() + 30
    while "msg=call" not in h.read_log(k1):
        h.check(time.time() < end, "the worker never logged the call")
        time.sleep(0.005)
    k1.send_signal(signal.SIGSTOP)
    k2 = h.worker(b2.backend, "k%d" % (2 * attempt))
    k1.send_signal(signal.SIGKILL)
    k1.wait()
    r = p.get(120)
    h.check(r is not None and r.status == h.pb.OK, "chunk after the kill: %r"
            % ((r and (r.status, r.message)),))
    items = h.pb.SummarizeBatchResponse.FromString(r.payload).items
    h.check(len(items) == len(heavy) and all(it.status == h.pb.OK for it in items),
            "items after the kill: %r" % [(it.status, it.message) for it in items][:5])
    if r.served_by == k2.args[k2.args.index("--name") + 1]:
        break
    h.log("attempt %d: the first worker answered before it was stopped; again" % attempt)
    h.stop(k2)
    heavy = heavy + heavy[:8]
else:
    h.fail("the first worker always answered before it was stopped: nothing re-dispatched")
h.check(b2.stats()["redispatches"] >= 1, "the broker did not re-dispatch the chunk")
h.log("4. worker killed mid-chunk: all %d items answered by %s" % (len(items), r.served_by))

# ---- 5. fallback: workers that serve Summarize only ----
b3 = h.Broker(name="broker3")
o1 = h.worker(b3.backend, "o1", extra=("--no-batch",))
o2 = h.worker(b3.backend, "o2", extra=("--no-batch",))
h.wait_registered(b3, 2)
h.check(BATCH not in b3.stats()["methods"], "a --no-batch worker registered SummarizeBatch")
calls0 = b3.stats()["calls_received"]
old = cli("--broker", b3.frontend)
st3 = b3.stats()
calls = st3["calls_received"] - calls0 - 1  # the second Stats call counts itself
refused = st3["replies"]["UNIMPLEMENTED"]
h.check(old.returncode == 3 and old.stdout == local.stdout,
        "--broker --jsonl over --no-batch workers differs from --local (exit %d): %s"
        % (old.returncode, old.stderr.decode()))
# the chunks sent before the first refusal came back (at most 64 articles in flight, 16 a
# chunk) are refused; then every article goes in a Summarize call of its own
h.check(1 <= refused <= 4 and calls == N + refused,
        "fallback: %d UNIMPLEMENTED, %d calls for %d articles (want 1 to 4 refused batches, "
        "then one call per article)" % (refused, calls, N))
g3 = gw.Gateway(b3.frontend, name="gateway3")
g3.wait_ready()
out3 = batch_route(g3)
h.check(out3 == out, "/v1/summarize:batch over --no-batch workers differs")
h.log("5. fallback to Summarize calls: the same output from workers without SummarizeBatch")

# ---- 6. a chunk whose answers do not all fit in the worker's reply: the rest resent alone ----
# articles of many short sentences, every sentence in each answer (--explain): an
# answer is several times its request, so a chunk's answers pass a 150 kB reply while each
# answer alone (about 40 kB) and each chunk of requests (128 kB at most) fit
N6 = 24
jsonl6 = os.path.join(h.TMP, "in6.jsonl")
with open(jsonl6, "w", encoding="utf-8") as f:
    for i in range(N6):
        body = "\n".join("Member %d of council %d voted for plan %d." % (k, i, k * 7 % 13)
                         for k in range(300))
        f.write(json.dumps({"id": "short-%d" % i, "article": body}) + "\n")
b4 = h.Broker(name="broker4")
cap = h.worker(b4.backend, "cap1", extra=("--max-message", "150000"))
h.wait_registered(b4, 1)


def cli6(*args):
    return subprocess.run([h.binary("lede"), "summarize", "--lang", "en", "--explain", "--jsonl",
                           jsonl6] + list(args), capture_output=True, timeout=120)


local6 = cli6("--local")
h.check(local6.returncode == 0, "--local (short sentences): exit %d" % local6.returncode)
calls0 = b4.stats()["calls_received"]
remote6 = cli6("--broker", b4.frontend)
calls = b4.stats()["calls_received"] - calls0 - 1
h.check(remote6.returncode == 0 and remote6.stdout == local6.stdout,
        "--broker --jsonl with resends differs from --local (exit %d): %s"
        % (remote6.returncode, remote6.stderr.decode()))
# without resends: the first article alone, then chunks of 16 (or 128 kB): 3 calls
h.check(calls >= N6 // 2, "%d calls for %d articles: were the answers that did not fit resent "
        "alone?" % (calls, N6))
h.check(h.stop(cap) == 0, "worker exit code")
cs = h.worker_stats(cap)
h.check(cs["ok"] == N6 and cs["failed"] == 0, "the worker counted %r" % cs)
h.log("6. chunk answers over the worker's reply cap: resent alone, %d calls for %d articles, "
      "output == --local" % (calls, N6))

# ---- 7. a batch body that arrives in pieces: its lines run before the upload ends ----
# The gateway sends a batch's lines as the upload completes them (docs/HTTP.md). The lines of
# section 3, the first 20 sent and the rest held back: the broker must get calls meanwhile.
# Then: a chunked upload that passes the cap after lines went out is refused with 413, and a
# client that goes away mid-upload; the gateway serves on after both.
b5 = h.Broker(name="broker5")
s1 = h.worker(b5.backend, "s1")
s2 = h.worker(b5.backend, "s2")
h.wait_registered(b5, 2)
head = ("\n".join(lines[:20]) + "\n").encode()
tail = ("\n".join(lines[20:]) + "\n").encode()
CAP = len(head) + 4096  # over the first 20 lines, under all 48
g5 = gw.Gateway(b5.frontend, name="gateway5")
g6 = gw.Gateway(b5.frontend, name="gateway6", extra=("--max-batch-bytes", str(CAP)))
for gx in (g5, g6):
    gx.wait_ready()


def upload_start(gx, chunked):
    """A batch request with only its first 20 lines sent; -> the connection."""
    conn = gx.conn()
    conn.putrequest("POST", "/v1/summarize:batch")
    conn.putheader("Content-Type", "application/x-ndjson")
    if chunked:
        conn.putheader("Transfer-Encoding", "chunked")
    else:
        conn.putheader("Content-Length", str(len(head) + len(tail)))
    conn.endheaders()
    conn.send(b"%x\r\n%s\r\n" % (len(head), head) if chunked else head)
    return conn


def calls_reach(n, what):
    end = time.time() + 20
    while b5.stats()["dispatches"] < n:  # calls sent to workers (not the Stats calls)
        h.check(time.time() < end, "%s: no batch call reached the broker while the upload was "
                "unfinished (the lines waited for the whole body)" % what)
        time.sleep(0.02)


calls0 = b5.stats()["dispatches"]
conn = upload_start(g5, chunked=False)
calls_reach(calls0 + 1, "20 lines of 48 sent")  # the first 16 lines' chunk
conn.send(tail)
r = conn.getresponse()
got = [strip(x) for x in r.read().decode().splitlines()]
conn.close()
h.check(r.status == 200 and got == out, "a body sent in pieces: HTTP %d, %d lines, %s"
        % (r.status, len(got), "in order, equal" if got == out else "different from section 3"))

# over the cap, chunked (no Content-Length to refuse it up front): some lines are out already
calls0 = b5.stats()["dispatches"]
conn = upload_start(g6, chunked=True)
calls_reach(calls0 + 1, "a chunked upload")
conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail), tail))
r = conn.getresponse()
err = json.loads(r.read())
conn.close()
h.check(r.status == 413 and err.get("code") == "RESOURCE_EXHAUSTED" and str(CAP) in
        err.get("message", ""), "batch over the cap after lines went out: %d %r" % (r.status, err))

# a client that goes away mid-upload
calls0 = b5.stats()["dispatches"]
conn = upload_start(g5, chunked=False)
calls_reach(calls0 + 1, "an upload then abandoned")
conn.close()
time.sleep(0.3)
for gx in (g5, g6):
    status, _, body = gx.post("/v1/summarize:batch", "\n".join(lines[:3]) + "\n",
                              headers={"Content-Type": "application/x-ndjson"})
    h.check(status == 200 and [strip(x) for x in body.decode().splitlines()] == out[:3],
            "after the refused and the abandoned uploads: HTTP %d %s" % (status, body[:200]))
for p in (g5.proc, g6.proc):
    h.check(h.stop(p) == 0, "gateway exit code (a sanitizer build checks for leaks here)")
h.log("7. batch body in pieces: lines sent before the upload ended, output in order; 413 past "
      "the cap mid-upload; an abandoned upload; the gateway serves on and exits cleanly")
