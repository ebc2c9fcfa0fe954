#!/usr/bin/python3
"""remote_equals_local.py (a): `lede summarize --broker` through a real broker and two workers
prints byte for byte what `lede summarize --local` prints: text, --json, a budget and weight
override, and a --jsonl batch (from the evaluation data when present)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

lede = h.binary("lede")
b = h.Broker()
w1 = h.worker(b.backend, "w1", threads=2)
w2 = h.worker(b.backend, "w2", threads=1)
h.wait_registered(b, 2)

art = os.path.join(h.TMP, "article.txt")
open(art, "wb").write(h.sample_article())
batch = os.path.join(h.TMP, "batch.jsonl")
with open(batch, "w") as out:
    n = 0
    for name, most in (("cnndm-dev.jsonl", 40), ("bbc-dev.jsonl", 40), ("orangesum-fr-dev.jsonl", 8),
                       ("indosum-id-dev.jsonl", 8), ("lcsts-zh-dev.jsonl", 8)):
        path = h.eval_file(name, required=False)
        if path:
            with open(path) as f:
                for i, line in enumerate(f):
                    if i >= most:
                        break
                    out.write(line)
                    n += 1
    # always some lines of our own, including ones the engine must refuse
    out.write(json.dumps({"id": "own-1", "title": "Budget", "article": h.SAMPLE}) + "\n")
    out.write(json.dumps({"id": "own-2", "article": h.SAMPLE, "options": {"words": 30}}) + "\n")
    out.write(json.dumps({"id": "own-empty", "article": ""}) + "\n")
    out.write(json.dumps({"id": "own-ratio", "article": h.SAMPLE, "options": {"ratio": 0.5}}) + "\n")
    # languages: detected (with the agency's dateline), given, and one lede does not support
    de = ("Berlin (dpa) - Die Bundesregierung hat am 3. Oktober einen Gesetzentwurf vorgelegt. "
          "Die Gewerkschaften rufen z. B. in Bayern zu Streiks auf. Der Minister will sie treffen.")
    out.write(json.dumps({"id": "own-de", "article": de}) + "\n")
    out.write(json.dumps({"id": "own-de-given", "article": de, "language": "de"}) + "\n")
    out.write(json.dumps({"id": "own-ja", "article": "政府は法案を提出した。労働組合はストを呼びかけた。"}) + "\n")
    out.write(json.dumps({"id": "own-xx", "article": de, "language": "xx"}) + "\n")
h.log("batch of %d evaluation articles + 8 of our own" % n)

cases = [
    [art],
    ["--json", art],
    ["--sentences", "2", "--title", "Putin invites Kim", art],
    ["--words", "40", "--weight", "position=0.5", "--json", art],
    ["--chars", "300", art],
    ["--jsonl", batch],
    ["--jsonl", batch, "--explain"],  # every sentence: the remote path asks with explain
]
for args in cases:
    loc = subprocess.run([lede, "summarize", "--local"] + args, capture_output=True, timeout=60)
    rem = subprocess.run([lede, "summarize", "--broker", b.frontend, "--deadline", "20000"] + args,
                         capture_output=True, timeout=60)
    h.log("case %s: local rc=%d %d bytes, broker rc=%d %d bytes" % (
        " ".join(a if a not in (art, batch) else os.path.basename(a) for a in args),
        loc.returncode, len(loc.stdout), rem.returncode, len(rem.stdout)))
    h.check(loc.returncode == rem.returncode,
            "exit codes differ: local %d, broker %d; stderr: %s" % (
                loc.returncode, rem.returncode, rem.stderr.decode(errors="replace")))
    h.check(len(loc.stdout) > 0, "local output is empty")
    if loc.stdout != rem.stdout:
        la, ra = loc.stdout.splitlines(), rem.stdout.splitlines()
        for i, (x, y) in enumerate(zip(la, ra)):
            if x != y:
                h.fail("outputs differ at line %d:\nlocal:  %r\nbroker: %r" % (i + 1, x[:300], y[:300]))
        h.fail("outputs differ in length: %d vs %d lines" % (len(la), len(ra)))

# the languages through the service: detected, given, refused
rem = subprocess.run([lede, "summarize", "--broker", b.frontend, "--deadline", "20000", "--jsonl", batch,
                      "--explain"],
                     capture_output=True, timeout=60)
got = {r["id"]: r for r in map(json.loads, rem.stdout.splitlines())}
h.check(got["own-de"].get("language") == "de" and got["own-de"].get("language_detected") == "de",
        "German not detected through the service: %r" % got["own-de"])
h.check(not got["own-de"]["summary"][0].startswith("Berlin"), "the dpa dateline was not cut")
h.check(got["own-de-given"].get("language_detected") == "", "a language given was detected anyway")
h.check(got["own-ja"].get("language") == "ja" and len(got["own-ja"]["sentences"]) == 2,
        "Japanese: %r" % got["own-ja"])
h.check("error" in got["own-xx"] and "supported" in got["own-xx"]["error"]["message"],
        "an unsupported language was not refused: %r" % got["own-xx"])

stats = {w: h.worker_stats(p) for w, p in (("w1", w1), ("w2", w2))
         if h.stop(p) == 0}
h.log("worker stats: %s" % stats)
h.check(len(stats) == 2, "a worker did not exit 0 on SIGTERM")
h.check(sum(s["calls"] for s in stats.values()) >= 5, "the workers served too few calls")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
