#!/usr/bin/python3
"""gateway_http.py: lede-gateway with a real broker and workers. Checks that the summary over
HTTP equals `lede summarize --local` byte for byte for 200 cnndm-dev articles (unary and batch),
every status mapping the gateway can be driven to with real components (400, 401, 403, 413, 429 +
Retry-After, 501, 503, 504; 500 is covered by check_gateway's table), bearer tokens (missing,
wrong, scopes, rotation by SIGHUP), TLS with a certificate made here, CORS, the traceparent's trace
id in the worker's log, fail-fast 503s, /healthz /readyz /metrics /openapi.json, and that it
refuses a non-loopback listen without tokens."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import gw  # noqa: E402

N_ARTICLES = 200
TOKEN, RO_TOKEN = "tok-newsroom-1", "tok-readonly-1"

# ---- articles: the first 200 of cnndm-dev (the seed and examples when the data is absent) ----
articles = []
cnndm = os.path.join(h.EVAL, "cnndm-dev.jsonl") if h.EVAL else ""
if cnndm and os.path.exists(cnndm):
    with open(cnndm, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            articles.append({"id": rec["id"], "title": rec.get("title"), "article": rec["article"]})
            if len(articles) == N_ARTICLES:
                break
elif os.environ.get("CI") == "true":
    h.fail("cnndm-dev.jsonl not found in LEDE_EVAL_DIR=%r (CI=true)" % h.EVAL)
else:
    h.log("NOTE: cnndm-dev.jsonl absent (LEDE_EVAL_DIR=%r): comparing the example articles only"
          % h.EVAL)
    exdir = os.path.join(h.SRC, "examples", "articles")
    for name in sorted(os.listdir(exdir)):
        articles.append({"id": name, "title": None,
                         "article": open(os.path.join(exdir, name), encoding="utf-8").read()})

# ---- processes ----
b = h.Broker()
w1 = h.worker(b.backend, "w1", extra=("--max-article-bytes", "1000000"))
w2 = h.worker(b.backend, "w2", extra=("--max-article-bytes", "1000000"))
h.wait_registered(b, 2)
tokens = gw.tokens_file(os.path.join(h.TMP, "tokens"), [("newsroom", TOKEN, None),
                                                         ("archive", RO_TOKEN, "summarize")])
g = gw.Gateway(b.frontend, extra=("--tokens", tokens, "--max-body-bytes", "2000000",
                                  "--cors-origins", "https://cms.example"))
g.wait_ready()

# ---- 1. the same summaries as --local, byte for byte ----
local_in = os.path.join(h.TMP, "local.jsonl")
with open(local_in, "w", encoding="utf-8") as f:
    for a in articles:
        f.write(json.dumps({"id": a["id"], "title": a["title"], "article": a["article"],
                            "options": {"sentences": 3}}) + "\n")
p = subprocess.run([h.binary("lede"), "summarize", "--local", "--jsonl", local_in],
                   capture_output=True, check=True)
local = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]
h.check(len(local) == len(articles), "lede --local gave %d lines for %d" % (len(local), len(articles)))


def http_request(a):
    r = {"articleId": a["id"], "body": a["article"], "sentences": 3}
    if a["title"]:
        r["title"] = a["title"]
    return r


def summary_of(ans):
    by = {s["index"]: s for s in ans["sentences"]}
    return [by[i]["text"] for i in ans["summary"]]


conn = g.conn()
t0 = time.time()
for a, loc in zip(articles, local):
    st, hd, body = g.post("/v1/summarize", http_request(a), TOKEN, conn=conn)
    h.check(st == 200, "%s: HTTP %d %s" % (a["id"], st, body[:300]))
    ans = json.loads(body)
    h.check(ans["articleId"] == a["id"], "articleId %r for %r" % (ans["articleId"], a["id"]))
    got = summary_of(ans)
    h.check([s.encode() for s in got] == [s.encode() for s in loc["summary"]],
            "%s: summary differs from --local:\n  http:  %r\n  local: %r" % (a["id"], got,
                                                                            loc["summary"]))
    h.check(all(isinstance(s["offset"], int) and isinstance(s["length"], int)
                for s in ans["sentences"]), "offsets are not JSON numbers")
    for s in ans["sentences"]:
        raw = a["article"].encode()[s["offset"]:s["offset"] + s["length"]]
        h.check(raw.decode() == s["text"], "%s: text is not body[offset:offset+length]" % a["id"])
h.log("unary: %d summaries equal --local byte for byte (%.1f s, keep-alive)"
      % (len(articles), time.time() - t0))
conn.close()
# the Connect route gives the same
st, _, body = g.post("/lede.v1.Summarizer/Summarize", http_request(articles[0]), TOKEN)
h.check(st == 200 and summary_of(json.loads(body)) == local[0]["summary"], "Connect route: %d" % st)

# batch: NDJSON in, NDJSON out in order (two bad lines answered in place)
lines = [json.dumps(http_request(a)) for a in articles]
lines.insert(5, "this is not json")
lines.insert(9, json.dumps({"bogusField": 1}))
st, hd, body = g.post("/v1/summarize:batch", "\n".join(lines) + "\n", TOKEN,
                      {"Content-Type": "application/x-ndjson"})
h.check(st == 200 and hd.get("content-type") == "application/x-ndjson", "batch: HTTP %d" % st)
out = [json.loads(line) for line in body.decode().splitlines()]
h.check(len(out) == len(lines), "batch: %d lines out for %d in" % (len(out), len(lines)))
h.check(out[5]["code"] == "INVALID_ARGUMENT" and "line 6" in out[5]["message"], "bad line: %r" % out[5])
h.check(out[9]["code"] == "INVALID_ARGUMENT" and "bogusField" in out[9]["message"], "bad field: %r"
        % out[9])
good = [o for i, o in enumerate(out) if i not in (5, 9)]
for a, loc, o in zip(articles, local, good):
    h.check(o["articleId"] == a["id"] and summary_of(o) == loc["summary"],
            "batch %s differs from --local" % a["id"])
h.log("batch: %d lines in order, equal to --local; bad lines answered in place" % len(out))

# ---- 2. status mappings ----


def expect(what, st, hd, body, http, code, header=None):
    try:
        err = json.loads(body)
    except ValueError:
        h.fail("%s: body is not JSON: %r" % (what, body[:200]))
    h.check(st == http and err.get("code") == code and isinstance(err.get("message"), str),
            "%s: HTTP %d %r, expected %d %s" % (what, st, err, http, code))
    if header:
        h.check(header in hd, "%s: no %s header" % (what, header))
    h.log("%-40s -> %d %s: %s" % (what, st, code, err["message"][:90]))


article = articles[0]["article"]
st, hd, body = g.post("/v1/summarize", "{not json", TOKEN)
expect("bad JSON", st, hd, body, 400, "INVALID_ARGUMENT")
st, hd, body = g.post("/v1/summarize", {"body": article, "sentencez": 3}, TOKEN)
expect("unknown field", st, hd, body, 400, "INVALID_ARGUMENT")
st, hd, body = g.post("/v1/summarize", {"body": "   "}, TOKEN)
expect("empty article (worker)", st, hd, body, 400, "INVALID_ARGUMENT")
st, hd, body = g.post("/v1/summarize", {"body": article})
expect("no token", st, hd, body, 401, "UNAUTHENTICATED", "www-authenticate")
st, hd, body = g.post("/v1/summarize", {"body": article}, "not-a-token")
expect("wrong token", st, hd, body, 401, "UNAUTHENTICATED")
st, hd, body = g.post("/v1/summarize:batch", json.dumps({"body": article}) + "\n", RO_TOKEN)
expect("token without the batch scope", st, hd, body, 403, "PERMISSION_DENIED")
# an oversized body announced by Content-Length is refused before it is sent ...
import socket  # noqa: E402
sk = socket.create_connection((g.host, g.port), timeout=10)
sk.sendall(("POST /v1/summarize HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: 2500000\r\n\r\n" % TOKEN).encode())
resp = b""
while b"\r\n\r\n" not in resp or not resp.rstrip().endswith(b"}"):
    chunk = sk.recv(65536)
    if not chunk:
        break
    resp += chunk
sk.close()
head, _, body = resp.partition(b"\r\n\r\n")
expect("Content-Length 2.5 MB > 2 MB", int(head.split()[1]), {}, body, 413, "RESOURCE_EXHAUSTED")
# ... and one sent chunked (no length) is read, counted and refused past the cap
c = g.conn()
c.request("POST", "/v1/summarize", body=iter([b'{"body": "' + b"word " * 100000] * 5 + [b'"}']),
          headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
          encode_chunked=True)
r = c.getresponse()
expect("chunked body 2.5 MB > 2 MB", r.status, {}, r.read(), 413, "RESOURCE_EXHAUSTED")
c.close()
big = ("The council met on Tuesday and approved the plan. " * 21000)  # 1.05 MB > the cap
st, hd, body = g.post("/v1/summarize", {"body": big}, TOKEN)
expect("article over the worker's cap", st, hd, body, 429, "RESOURCE_EXHAUSTED", "retry-after")
st, hd, body = g.post("/lede.v1.Summarizer/Translate", {"body": article}, TOKEN)
expect("unknown method", st, hd, body, 501, "UNIMPLEMENTED")
mid = ("The council met on Tuesday and approved the plan. " * 18000)  # 0.9 MB: > 1 ms of engine
st, hd, body = g.post("/v1/summarize", {"body": mid}, TOKEN, {"Connect-Timeout-Ms": "1"})
expect("Connect-Timeout-Ms: 1", st, hd, body, 504, "DEADLINE_EXCEEDED")
st, hd, body = g.post("/v1/summarize", {"body": mid}, TOKEN, {"grpc-timeout": "1m"})
expect("grpc-timeout: 1m", st, hd, body, 504, "DEADLINE_EXCEEDED")
st, hd, body = g.post("/v1/summarize", {"body": article}, TOKEN, {"grpc-timeout": "soon"})
expect("bad grpc-timeout", st, hd, body, 400, "INVALID_ARGUMENT")
st, hd, body = g.post("/v1/summarize", {"body": article}, TOKEN, {"grpc-timeout": "20S"})
h.check(st == 200, "grpc-timeout 20S: %d" % st)

# 503: a broker with no worker (at once), and no broker at all (within about a second)
b2 = h.Broker("lonely")
g2 = gw.Gateway(b2.frontend, name="gateway-noworker")
g2.wait_ready()
t0 = time.time()
st, hd, body = g2.post("/v1/summarize", {"body": article})
secs = time.time() - t0
expect("broker without workers (%.3f s)" % secs, st, hd, body, 503, "UNAVAILABLE", "retry-after")
h.check(secs < 0.5, "no worker: 503 after %.2f s, expected under 0.5 s" % secs)
g3 = gw.Gateway("tcp://127.0.0.1:1", name="gateway-nobroker")
st, _, _ = g3.request("GET", "/readyz")
h.check(st == 503, "/readyz with no broker: %d" % st)
t0 = time.time()
st, hd, body = g3.post("/v1/summarize", {"body": article})
secs = time.time() - t0
expect("no broker (%.3f s)" % secs, st, hd, body, 503, "UNAVAILABLE")
h.check(secs < 2.0, "no broker: 503 after %.2f s, expected under 2 s" % secs)

# ---- 3. traceparent: its trace id reaches the worker's log ----
trace = "4bf92f3577b34da6a3ce929d0e0e4736"
st, hd, body = g.post("/v1/summarize", {"body": article}, TOKEN,
                      {"traceparent": "00-%s-00f067aa0ba902b7-01" % trace})
h.check(st == 200 and trace in hd.get("traceparent", ""), "traceparent: %d %r" % (st, hd))
end = time.time() + 5
while time.time() < end and not any(trace in h.read_log(w) for w in (w1, w2)):
    time.sleep(0.05)
lines = [ln for w in (w1, w2) for ln in h.read_log(w).splitlines() if trace in ln]
h.check(lines, "trace id %s is in no worker's log" % trace)
h.check(trace in h.read_log(g.proc), "trace id not in the gateway's log")
h.log("traceparent -> worker log: %s" % lines[0][:160])

# ---- 4. CORS ----
st, hd, _ = g.request("OPTIONS", "/v1/summarize", headers={
    "Origin": "https://cms.example", "Access-Control-Request-Method": "POST"})
h.check(st == 204 and hd.get("access-control-allow-origin") == "https://cms.example",
        "preflight from an allowed origin: %d %r" % (st, hd))
st, hd, _ = g.request("OPTIONS", "/v1/summarize", headers={"Origin": "https://evil.example"})
h.check(st == 403 and "access-control-allow-origin" not in hd, "preflight, other origin: %d" % st)
st, hd, _ = g.post("/v1/summarize", {"body": article}, TOKEN, {"Origin": "https://cms.example"})
h.check(st == 200 and hd.get("access-control-allow-origin") == "https://cms.example", "CORS POST")
h.log("CORS: allowed origin 204 + Access-Control-Allow-Origin; other origin 403")

# ---- 5. token rotation: edit the file, SIGHUP ----
gw.tokens_file(tokens, [("newsroom", "tok-newsroom-2", None)])
g.proc.send_signal(signal.SIGHUP)
end = time.time() + 5
while time.time() < end:
    st, _, _ = g.post("/v1/summarize", {"body": article}, TOKEN)
    if st == 401:
        break
    time.sleep(0.05)
h.check(st == 401, "the old token still works after SIGHUP")
st, _, _ = g.post("/v1/summarize", {"body": article}, "tok-newsroom-2")
h.check(st == 200, "the new token does not work after SIGHUP: %d" % st)
h.log("SIGHUP: the old token is refused, the new one works")

# ---- 6. TLS with a certificate made here ----
cert, key = gw.test_certificate(h.TMP)
gt = gw.Gateway(b.frontend, name="gateway-tls", tls=cert,
                extra=("--tls-cert", cert, "--tls-key", key))
st, hd, body = gt.post("/v1/summarize", http_request(articles[1]))
h.check(st == 200 and summary_of(json.loads(body)) == local[1]["summary"], "TLS: %d" % st)
plain = gw.Gateway.__new__(gw.Gateway)
plain.host, plain.port, plain.tls = gt.host, gt.port, None
try:
    st, _, _ = plain.request("GET", "/healthz")
    h.check(st != 200, "plain HTTP to the TLS port answered 200")
except Exception as e:  # noqa: BLE001 (a TLS server drops a plaintext request)
    h.log("plain HTTP to the TLS port fails as it should: %s" % type(e).__name__)
h.log("TLS: summary over HTTPS equals --local")

# ---- 7. operations endpoints ----
st, _, body = g.request("GET", "/healthz")
h.check(st == 200, "/healthz %d" % st)
st, _, body = g.request("GET", "/metrics")
text = body.decode()
h.check(st == 200 and 'lede_gateway_requests_total{route="summarize",code="200",status="OK"}' in text,
        "/metrics lacks the request counter")
st, _, body = g.request("GET", "/openapi.json")
doc = json.loads(body)
h.check(st == 200 and doc["openapi"].startswith("3.1") and "/v1/summarize" in doc["paths"],
        "/openapi.json")
offline = json.loads(subprocess.run([h.binary("lede-gateway"), "openapi"], capture_output=True,
                                    check=True).stdout)
h.check(doc == offline, "/openapi.json differs from `lede-gateway openapi` (which "
        "tests/ops/openapi_check.py checks against proto/lede.proto)")
st, _, body = g.request("GET", "/")
h.check(st == 200 and b"<title>lede playground</title>" in body, "playground page")

# ---- 8. no tokens: loopback only ----
p = subprocess.run([h.binary("lede-gateway"), "--listen", "0.0.0.0:0", "--broker", b.frontend],
                   capture_output=True, text=True, timeout=10)
h.check(p.returncode != 0 and "loopback" in p.stderr, "non-loopback listen without tokens: %d %s"
        % (p.returncode, p.stderr))
h.log("without --tokens a non-loopback --listen is refused: " + p.stderr.strip()[:100])

for x in (gt, g3, g2, g):
    h.check(h.stop(x.proc) == 0, "a gateway did not exit 0:\n" + h.read_log(x.proc)[-2000:])
for x in (w1, w2):
    h.check(h.stop(x) == 0, "worker did not exit 0")
for x in (b, b2):
    h.check(h.stop(x.proc) == 0, "broker did not exit 0")
h.log("PASS")
