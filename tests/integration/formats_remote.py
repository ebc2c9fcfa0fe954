#!/usr/bin/python3
"""formats_remote.py: HTML, ANS, ninjs and wire bodies through a real broker and worker give
byte for byte what `lede summarize --local` gives (text, offsets, UTF-16 offsets, format), with
--format and with the format sniffed, and bad bodies get the same clear errors both ways."""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "formats"))
import harness as h  # noqa: E402
import render  # noqa: E402

lede = h.binary("lede")
b = h.Broker()
w1 = h.worker(b.backend, "w1", threads=1)
h.wait_registered(b, 1)

paras = [p for p in h.SAMPLE.split("\n") if p.strip()]
rng = render.Rng(5)
bodies = {
    "html": render.render_html("Sample", paras, rng)[0],
    "ans": render.render_ans("s1", "Sample", paras, rng)[0],
    "ninjs": render.render_ninjs("s1", "Sample", paras, rng)[0],
    "wire": render.render_wire("s1", "Sample", paras, rng)[0],
    "bad-ans": "{\"type\": \"story\", \"content_elements\": [",
    "empty-ans": json.dumps({"type": "story", "content_elements": [{"type": "image"}]}),
    "charset": "<meta charset=\"windows-1252\"><p>Text here. More text.</p>",
}
cases = []
for name, body in bodies.items():
    path = os.path.join(h.TMP, name + ".in")
    open(path, "w", encoding="utf-8").write(body)
    fmt = {"wire": "text", "bad-ans": "ans", "empty-ans": "ans", "charset": "html"}.get(name, name)
    cases.append(["--json", "--format", fmt, path])
    cases.append(["--json", path])
batch = os.path.join(h.TMP, "batch.jsonl")
with open(batch, "w") as out:
    for name, body in bodies.items():
        out.write(json.dumps({"id": name, "article": body, "format": "auto"}) + "\n")
cases.append(["--jsonl", batch])
for args in cases:
    loc = subprocess.run([lede, "summarize", "--local"] + args, capture_output=True, timeout=60)
    rem = subprocess.run([lede, "summarize", "--broker", b.frontend, "--deadline", "20000"] + args,
                         capture_output=True, timeout=60)
    h.log("case %s: local rc=%d %d bytes, broker rc=%d %d bytes" % (
        " ".join(os.path.basename(a) for a in args), loc.returncode, len(loc.stdout),
        rem.returncode, len(rem.stdout)))
    h.check(loc.returncode == rem.returncode, "exit codes differ: local %d, broker %d: %s" % (
        loc.returncode, rem.returncode, rem.stderr.decode(errors="replace")))
    h.check(len(loc.stdout) > 0, "local output is empty")
    h.check(loc.stdout == rem.stdout, "outputs differ:\nlocal:  %r\nbroker: %r" % (
        loc.stdout[:400], rem.stdout[:400]))
    if "--jsonl" not in args and loc.returncode == 0:
        r = json.loads(loc.stdout)
        h.check(r["format"] in ("html", "ans", "ninjs", "text"), "no format in %r" % r.get("format"))
        h.check(all("<" not in s for s in r["summary"]), "markup in a summary: %r" % r["summary"])
h.check(h.stop(w1) == 0, "worker did not exit 0 on SIGTERM")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
