#!/usr/bin/python3
"""cli_lines.py: `lede summarize --jsonl` keeps its promises under hostile input, in-process and
through a real broker and worker (issue 10, 3.8 and 3.14).
1. One output line per input line, always, in order (3.8): records whose result or error jansson
   could not render (an --id that is not UTF-8, a language long enough to be cut inside a
   character) used to vanish: 3 lines in, 2 out. Each must get its line; bad ones an error object.
2. A budget means the same --local and --broker (3.14): 2.7 sentences, 0 words and a ratio of 1.5
   are INVALID_ARGUMENT with the same message both ways (remotely 2.7 used to become 2).
3. --max-bytes bounds one JSONL line's memory (3.14): a 100 MB line with --max-bytes 1000000 is an
   error line, the next line is summarized, and lede's peak RSS stays under 60 MB (it used to read
   the whole line first: 103 MB; now 23 MB, most of it the Python parent's pages counted from fork).
4. Plain-text output through the broker asks only for the summary (no explain): the same text as
   --local."""
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

lede = h.binary("lede")
b = h.Broker()
w = h.worker(b.backend, "w1", threads=1)
h.wait_registered(b, 1)
MODES = {"local": ["--local"], "broker": ["--broker", b.frontend]}
art = h.SAMPLE


def run(args, stdin=b""):
    p = subprocess.run([lede, "summarize"] + args, input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def jsonl_run(mode, records, extra=()):
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    rc, out, err = run(MODES[mode] + list(extra) + ["--jsonl", "-"], data)
    lines = out.splitlines()
    h.check(len(lines) == len(records), "%s: %d lines in, %d out (rc %d):\n%s\n%s" % (
        mode, len(records), len(lines), rc, out[:600], err[-600:]))
    objs = []
    for ln in lines:
        try:
            objs.append(json.loads(ln))
        except ValueError:
            h.fail("%s: an output line is not JSON: %r" % (mode, ln[:200]))
    return rc, objs


# ---- 1. output lines up with input ----
for mode in MODES:
    recs = [{"id": "r1", "article": art},
            {"id": "r2", "article": art, "language": "x" + "\u00e9" * 30},
            {"id": "r3", "article": art}]
    rc, objs = jsonl_run(mode, recs)
    h.check([o.get("id") for o in objs] == ["r1", "r2", "r3"], "%s: ids %s" % (mode, objs))
    h.check("summary" in objs[0] and "summary" in objs[2], "%s: r1/r3 not summarized" % mode)
    h.check(objs[1]["error"]["status"] == "INVALID_ARGUMENT", "%s: r2 %s" % (mode, objs[1]))
    # records without an id take --id; one that is not UTF-8 cannot be put in JSON as it is
    rc, objs = jsonl_run(mode, [{"article": art}, {"article": ""}, {"article": art}],
                         extra=["--id", os.fsdecode(b"id-\xff")])
    h.check(all("error" in o or "summary" in o for o in objs), "%s: %s" % (mode, objs))
    h.log("ok: %s: 3 lines in, 3 out, in order, bad ones as error objects" % mode)

# ---- 2. one budget rule ----
msgs = {}
for mode in MODES:
    recs = [{"id": "s", "article": art, "options": {"sentences": 2.7}},
            {"id": "w", "article": art, "options": {"words": 0}},
            {"id": "r", "article": art, "options": {"ratio": 1.5}},
            {"id": "ok", "article": art, "options": {"sentences": 2}}]
    rc, objs = jsonl_run(mode, recs)
    h.check(rc == 3, "%s: exit %d, wanted 3 (some lines failed)" % (mode, rc))
    for o in objs[:3]:
        h.check(o.get("error", {}).get("status") == "INVALID_ARGUMENT",
                "%s: %s accepted: %s" % (mode, o["id"], str(o)[:200]))
    h.check(len(objs[3]["summary"]) == 2, "%s: a valid budget failed: %s" % (mode, objs[3]))
    msgs[mode] = [o["error"]["message"] for o in objs[:3]]
    rc, out, err = run(MODES[mode] + ["--sentences", "2.7", "-"], art.encode())
    h.check(rc == 2 and "whole number" in err, "%s: --sentences 2.7: rc %d %s" % (mode, rc, err))
h.check(msgs["local"] == msgs["broker"], "the budget messages differ: %s" % msgs)
h.log("ok: 2.7 sentences, 0 words, ratio 1.5 refused alike: %s" % msgs["local"])

# ---- 3. --max-bytes bounds one line ----
# made on the fly, 1 MB at a time: this process stays small, and the child's peak RSS (which
# starts from the parent's at fork) is lede's own
chunk, n_chunks = b"word " * 200000, 100
big_len = len(chunk) * n_chunks + 30
tail = (json.dumps({"id": "after", "article": art}) + "\n").encode()
p = subprocess.Popen([lede, "summarize", "--local", "--max-bytes", "1000000", "--jsonl", "-"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def feed():
    p.stdin.write(b'{"id":"big","article":"')
    for _ in range(n_chunks):
        p.stdin.write(chunk)
    p.stdin.write(b'"}\n' + tail)
    p.stdin.close()


t = threading.Thread(target=feed)  # communicate() would close stdin under the writer
t.start()
out = p.stdout.read()
err = p.stderr.read()
t.join(60)
_, _, usage = os.wait4(p.pid, 0)  # the child's own peak RSS (ru_maxrss, kB)
p.returncode = 0
lines = out.decode().splitlines()
rss_kb = usage.ru_maxrss
h.log("a %d MB line with --max-bytes 1000000: %d output lines, peak RSS %d MB" % (
    big_len >> 20, len(lines), rss_kb >> 10))
h.check(len(lines) == 2, "wanted 2 lines, got %d: %s" % (len(lines), out[:300]))
first, second = json.loads(lines[0]), json.loads(lines[1])
h.check(first["error"]["status"] == "RESOURCE_EXHAUSTED", "the long line: %s" % first)
h.check(second.get("id") == "after" and "summary" in second, "the line after: %s" % second)
h.check(rss_kb < 60 * 1024, "peak RSS %d MB for a 1 MB --max-bytes (bound 60 MB)" % (rss_kb >> 10))

# ---- 4. plain text through the broker equals --local ----
rc1, out1, _ = run(MODES["local"] + ["-"], art.encode())
rc2, out2, err2 = run(MODES["broker"] + ["-"], art.encode())
h.check(rc1 == 0 and rc2 == 0 and out1 == out2 and out1, "plain text: local %r, broker %r (%s)" % (
    out1, out2, err2))
h.log("ok: plain text through the broker equals --local")
h.check(h.stop(w) == 0, "worker did not exit 0")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
