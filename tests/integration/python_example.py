#!/usr/bin/python3
"""python_example.py (h): examples/python/lede_client.py summarizes the Yonhap seed article
($LEDE_EVAL_DIR/seed-yonhap.txt) through a running broker and worker and prints what
`lede summarize --local` prints; also its --json mode and a failover from a dead endpoint."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

seed = h.eval_file("seed-yonhap.txt")  # a skip without it; a failure under CI=true
example = os.path.join(h.SRC, "examples", "python", "lede_client.py")
b = h.Broker()
w = h.worker(b.backend, "py-w1", threads=1)
h.wait_registered(b, 1)
env = dict(os.environ, PYTHONPATH="")

out = subprocess.run(["/usr/bin/python3", example, "--broker", b.frontend, seed],
                     capture_output=True, timeout=30, env=env)
h.check(out.returncode == 0, "example failed: %s" % out.stderr.decode(errors="replace"))
local = subprocess.run([h.binary("lede"), "summarize", "--local", seed], capture_output=True,
                       timeout=30)
h.check(local.returncode == 0, "lede --local failed")
h.log("python example printed %d lines:\n%s" % (len(out.stdout.splitlines()), out.stdout.decode()))
h.check(out.stdout == local.stdout, "the example's summary differs from lede --local:\n%r\n%r" % (
    out.stdout, local.stdout))

# --json, and a dead first endpoint: the call fails over to the live broker
dead = h.zmq.Context.instance().socket(h.zmq.ROUTER)
port = dead.bind_to_random_port("tcp://127.0.0.1")
dead.close(0)  # nothing listens there now
out = subprocess.run(["/usr/bin/python3", example, "--broker",
                      "tcp://127.0.0.1:%d,%s" % (port, b.frontend), "--sentences", "2", "--json",
                      seed], capture_output=True, timeout=30, env=env)
h.check(out.returncode == 0, "example --json failed: %s" % out.stderr.decode(errors="replace"))
resp = json.loads(out.stdout)
h.check(len(resp["summary"]) == 2 and len(resp["sentences"]) == int(resp["sentenceCount"]),
        "--json response: %s" % out.stdout[:300])
h.check(h.stop(w) == 0 and h.stop(b.proc) == 0, "a process did not exit 0")
h.log("PASS")
