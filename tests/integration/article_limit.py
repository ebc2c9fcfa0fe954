#!/usr/bin/python3
"""article_limit.py: lede's one article limit (16 MiB, docs/PROTOCOL.md) with default settings
everywhere: an article just over it gets the same clear error from `lede summarize --local`,
`lede summarize --broker` and lede-gateway (413), and large articles under it go through the
broker (no frame cap refuses them first)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import gw  # noqa: E402

LIMIT = 16 << 20
SENTENCE = "The harbour authority said on Tuesday that the new ferry terminal would open in May. "


def article(n):
    """n bytes of distinct sentences (repeated ones would be dropped as duplicates)."""
    parts, size, i = [], 0, 0
    while size < n:
        s = "Report %d: %s" % (i, SENTENCE)
        parts.append(s)
        size += len(s)
        i += 1
    return "".join(parts)[:n]


b = h.Broker()
# A 15 MiB article keeps the worker's one engine thread busy for seconds in the sanitizer build;
# heartbeats every 1 s (declared dead after 3 s of silence) instead of the harness's 200 ms keep
# a loaded machine from taking a slow worker for a dead one.
w = h.worker(b.backend, "w-limit", threads=1, extra=("--heartbeat-ms", "1000"))
h.wait_registered(b, 1)
g = gw.Gateway(b.frontend)
g.wait_ready()
over = os.path.join(h.TMP, "over.txt")
with open(over, "w") as f:
    f.write(article(LIMIT + 1))
for mode in (["--local"], ["--broker", b.frontend]):
    p = subprocess.run([h.binary("lede"), "summarize"] + mode + [over], capture_output=True,
                       text=True, timeout=120)
    h.check(p.returncode != 0 and str(LIMIT) in p.stderr,
            "lede %s, an article of limit+1 bytes: rc %d %r" % (mode[0], p.returncode, p.stderr))
    h.log("lede summarize %s, %d bytes: %s" % (mode[0], LIMIT + 1, p.stderr.strip()))
st, _, body = g.post("/v1/summarize", {"body": article(LIMIT + 1)})
err = json.loads(body)
h.check(st == 413 and err["code"] == "RESOURCE_EXHAUSTED" and str(LIMIT) in err["message"],
        "gateway, limit+1: %d %r" % (st, err))
h.log("gateway, %d bytes: %d %s" % (LIMIT + 1, st, err["message"]))

# under the limit: through the broker and workers with their default frame caps
big = 15 << 20
st, _, body = g.post("/v1/summarize", {"body": article(big), "sentences": 2}, headers={
    "Connect-Timeout-Ms": "60000"})
h.check(st == 200 and len(json.loads(body)["summary"]) == 2, "gateway, 15 MiB: %d %s"
        % (st, body[:200]))
h.log("gateway, a 15 MiB article: 200")
mid = os.path.join(h.TMP, "mid.txt")
with open(mid, "w") as f:
    f.write(article(6 << 20))
p = subprocess.run([h.binary("lede"), "summarize", "--broker", b.frontend, "--deadline", "60000",
                    mid], capture_output=True, text=True, timeout=120)
h.check(p.returncode == 0, "lede --broker, a 6 MiB article: %s" % p.stderr)
h.log("lede summarize --broker, a 6 MiB article (explain: the reply carries every sentence): ok")
h.check(h.stop(g.proc) == 0 and h.stop(w) == 0 and h.stop(b.proc) == 0, "exit codes")
h.log("PASS")
