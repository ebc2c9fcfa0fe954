#!/usr/bin/python3
"""dense_memory.py: memory for dense articles is bounded and given back (issue 10, 3.13), with a
real broker and a 2-thread worker. Two 6.4 MB articles of short sentences at once, with explain
(refused: the reply would be too large, found before it is made) and without (answered), then
the worker idles: its peak RSS (VmHWM) must stay under PEAK_PER_BYTE bytes per article byte in
flight above its start, and its RSS once idle within IDLE_SLACK_MB of its start. The local CLI
on the same article: peak under the same per-byte bound, and under JSON_PER_BYTE with --json.
Measured (6.4 MB, 2 threads, without explain): before the fix, peak +330..390 MB and +264 MB kept idle (with explain the link was
dropped instead); after, the same peak (27-32 bytes per article byte in flight) and +9..27 MB
idle. The bounds below are those figures plus a stated tolerance (48 bytes per byte, 40 MB).
LEDE_DENSE_BYTES sets the article size. The sanitizer build uses a 1.6 MB article, bounds x4 and
300 MB of slack for ASan's quarantine, saying so: its figures bound little; the release run does."""
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

pb = h.pb
PEAK_PER_BYTE = 48     # measured 37-41 (worker, two calls at once) and 38 (lede --local) with
                       # the format, language and keyphrase stages (27-32 and 31 before them)
IDLE_SLACK_MB = 40     # measured +9..27 MB after the dense calls (+264 MB before the fix)
JSON_PER_BYTE = 90     # lede --local --json: measured 73-75 (292 before the fix): the engine's
                       # ~31 plus its output (23 per byte here) in a buffer grown by doubling
SLACK_MB = 0           # besides the per-byte bounds (the sanitizer build needs some)
target = int(os.environ.get("LEDE_DENSE_BYTES", 6400000))
if f.sanitized() and "LEDE_DENSE_BYTES" not in os.environ:
    target = 1600000
    PEAK_PER_BYTE *= 4  # ASan's redzones
    JSON_PER_BYTE *= 4
    SLACK_MB = 300      # ASan's quarantine of freed memory (256 MB) and its runtime
    IDLE_SLACK_MB = 400
    h.log("sanitizer build: a %d-byte article, caps of 2 MiB, bounds x4" % target)

random.seed(11)
words = "the a cat dog ran fell city mayor said vote rose".split()
parts, n = [], 0
while n < target:
    s = " ".join(random.choice(words) for _ in range(2)).capitalize() + ". "
    parts.append(s)
    n += len(s)
dense = "".join(parts).encode()
path = os.path.join(h.TMP, "dense.txt")
open(path, "wb").write(dense)

# the sanitizer build's smaller article needs smaller caps to be too large with explain
CAP = ("--max-msg-bytes", "2097152") if f.sanitized() else ()
WCAP = ("--max-message", "2097152") if f.sanitized() else ()
b = h.Broker(extra=CAP)
w = h.worker(b.backend, "w1", threads=2, extra=WCAP)
h.wait_registered(b, 1)
cl = h.Client(b.frontend)
r = cl.call(h.METHOD, h.summarize_request(h.SAMPLE, sentences=2)).get(10)
h.check(r is not None and r.status == pb.OK, "a small call failed")
time.sleep(0.3)
start_kb = f.proc_kb(w.pid, "VmRSS")

for explain in (True, False):
    calls = [cl.call(h.METHOD, h.summarize_request(dense, explain=explain, sentences=3),
                     timeout_ms=60000) for _ in range(2)]
    for c in calls:
        r = c.get(70)
        h.check(r is not None, "no reply for a dense article (explain=%s)" % explain)
        want = pb.RESOURCE_EXHAUSTED if explain else pb.OK
        h.check(r.status == want, "dense article, explain=%s: %s (%s)" % (
            explain, pb.Status.Name(r.status), r.message))
peak_kb = f.proc_kb(w.pid, "VmHWM")
time.sleep(1.0)
idle_kb = f.proc_kb(w.pid, "VmRSS")
peak_per_byte = max(0, peak_kb - start_kb - SLACK_MB * 1024) * 1024.0 / (2 * len(dense))
h.log("worker: start %d MB, peak %d MB (+%.1f bytes per article byte in flight), idle after %d MB"
      % (start_kb // 1024, peak_kb // 1024, peak_per_byte, idle_kb // 1024))
h.check(peak_per_byte <= PEAK_PER_BYTE, "worker peak %.1f bytes per article byte > %d" % (
    peak_per_byte, PEAK_PER_BYTE))
h.check(idle_kb - start_kb <= IDLE_SLACK_MB * 1024, "worker kept %d MB after the dense calls (> %d)"
        % ((idle_kb - start_kb) // 1024, IDLE_SLACK_MB))
r = cl.call(h.METHOD, h.summarize_request(h.SAMPLE, sentences=2)).get(10)
h.check(r is not None and r.status == pb.OK, "a small call after the dense ones failed")

# the local CLI, plain output: the same per-byte bound (one call)
def cli_peak_kb(args):
    p = subprocess.Popen([h.binary("lede"), "summarize", "--local"] + args + [path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)  # the child's own peak RSS (ru_maxrss, kB)
    h.check(os.waitstatus_to_exitcode(status) == 0, "lede --local %s failed: %s" % (
        args, p.stderr.read()[-300:]))
    p.returncode = 0
    return usage.ru_maxrss


# --json on top of the engine holds its output (23 bytes per byte here), not a jansson tree of
# every sentence (292 bytes per article byte before: 1.87 GB for this article)
for args, bound in (([], PEAK_PER_BYTE), (["--json"], JSON_PER_BYTE)):
    cli_per_byte = max(0, cli_peak_kb(args) - SLACK_MB * 1024) * 1024.0 / len(dense)
    h.log("lede --local %s: peak %.1f bytes per article byte (bound %d%s)" % (
        " ".join(args), cli_per_byte, bound, ", after %d MB of slack" % SLACK_MB if SLACK_MB else ""))
    h.check(cli_per_byte <= bound, "lede --local %s: peak %.1f bytes per article byte > %d" % (
        args, cli_per_byte, bound))
cl.close()
h.check(h.stop(w) == 0, "worker did not exit 0")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
