#!/usr/bin/python3
"""article_limit.py: lede's one article limit (16 MiB, docs/PROTOCOL.md) with default settings
everywhere: an article just over it gets the same clear error from `lede summarize --local`,
`lede summarize --broker` and lede-gateway (413), and large articles under it go through the
broker (no frame cap refuses them first); `lede summarize --jsonl` holds at most 64 MiB of
articles in flight."""
import json
import os
import signal
import subprocess
import sys
import time

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

# `lede summarize --jsonl` holds every article in flight until it is answered: 256 articles by
# default, but at most 64 MiB of them (one always goes). With the worker stopped, 20 articles
# of 4 MiB: the broker must see at most 16 calls (each that large goes alone) until the worker
# goes on. The articles name a language the worker refuses at once, so no engine work is done.
N_BIG, BIG = 20, 4 << 20
big_jsonl = os.path.join(h.TMP, "big.jsonl")
with open(big_jsonl, "w") as f:
    body = article(BIG)
    for i in range(N_BIG):
        f.write(json.dumps({"id": "big-%d" % i, "article": body, "language": "xx"}) + "\n")
# a worker of its own, whose heartbeats (every 5 s) let the broker wait out the stop
h.check(h.stop(w) == 0, "worker exit code")
w = h.worker(b.backend, "w-stopped", threads=1, extra=("--heartbeat-ms", "5000"))
end = time.time() + 20  # registered, and the one before gone (wait_registered counts either)
while [x["name"] for x in b.stats()["workers"]] != ["w-stopped"]:
    h.check(time.time() < end, "the broker did not see w-stopped alone: %r" % b.stats()["workers"])
    time.sleep(0.05)
calls0 = b.stats()["calls_received"]
w.send_signal(signal.SIGSTOP)
cli = subprocess.Popen([h.binary("lede"), "summarize", "--broker", b.frontend, "--deadline",
                        "60000", "--jsonl", big_jsonl], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
seen, last, since, polls = 0, -1, time.time(), 0
while time.time() - since < 1.5:  # until the count has not moved for 1.5 s
    polls += 1
    seen = b.stats()["calls_received"] - calls0 - polls  # (less the Stats calls)
    if seen != last:
        last, since = seen, time.time()
    time.sleep(0.1)
w.send_signal(signal.SIGCONT)
out, err = cli.communicate(timeout=120)
lines = out.decode().splitlines()
h.check(seen <= (64 << 20) // BIG and len(lines) == N_BIG and cli.returncode == 3 and
        all("is not supported" in ln for ln in lines),
        "--jsonl, %d articles of 4 MiB, worker stopped: %d reached the broker (at most %d may), "
        "%d lines out, exit %d" % (N_BIG, seen, (64 << 20) // BIG, len(lines), cli.returncode))
h.log("lede --jsonl with the worker stopped: %d of %d articles of 4 MiB in flight (64 MiB)"
      % (seen, N_BIG))
h.check(h.stop(g.proc) == 0 and h.stop(w) == 0 and h.stop(b.proc) == 0, "exit codes")
h.log("PASS")
