#!/usr/bin/python3
"""python_client.py: clients/python as a user gets it: `pip install ./clients/python` (offline,
into a temp folder), then its unittest suite against a real broker, worker and lede-gateway
(with tokens), once as it is and once with pyzmq hidden (a python3 without zmq: the HTTP client
works, BrokerClient says what it needs). Also runs examples/python with zmq hidden."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import gw  # noqa: E402

PY = "/usr/bin/python3"
site = os.path.join(h.TMP, "site")
p = subprocess.run([PY, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--no-deps",
                    "--no-index", "--target", site, os.path.join(h.SRC, "clients", "python")],
                   capture_output=True, text=True, timeout=120)
h.check(p.returncode == 0, "pip install ./clients/python failed:\n" + p.stdout + p.stderr)
h.check(os.path.exists(os.path.join(site, "lede", "__init__.py")), "pip did not install lede/")
h.log("pip install ./clients/python: ok (%s)" % site)

b = h.Broker()
w = h.worker(b.backend, "py-w")
h.wait_registered(b, 1)
lonely = h.Broker("lonely")
tokens = gw.tokens_file(os.path.join(h.TMP, "tokens"), [("py", "py-token", None)])
g = gw.Gateway(b.frontend, extra=("--tokens", tokens))
g.wait_ready()
g2 = gw.Gateway(lonely.frontend, name="gateway-noworker")
g2.wait_ready()
env = dict(os.environ, PYTHONPATH=site, LEDE_TEST_GATEWAY=g.url, LEDE_TEST_TOKEN="py-token",
           LEDE_TEST_GATEWAY_NOWORKER=g2.url, LEDE_TEST_BROKER=b.frontend,
           LEDE_TEST_BROKER_NOWORKER=lonely.frontend)
tests = os.path.join(h.SRC, "clients", "python", "tests")
for label, extra in (("with pyzmq", {}), ("pyzmq hidden", {"LEDE_TEST_NO_ZMQ": "1"})):
    p = subprocess.run([PY, "-m", "unittest", "discover", "-v", "-s", tests], cwd=h.TMP,
                       env=dict(env, **extra), capture_output=True, text=True, timeout=180)
    h.log("---- clients/python tests, %s ----\n%s%s" % (label, p.stdout, p.stderr.strip()))
    h.check(p.returncode == 0, "the package's tests failed (%s)" % label)
    h.check(" OK" in p.stderr or "\nOK" in p.stderr, "no OK from unittest")

# examples/python under a python3 without zmq: a clear message, no traceback
ex = os.path.join(h.SRC, "examples", "python", "lede_client.py")
art = os.path.join(h.TMP, "a.txt")
with open(art, "wb") as f:
    f.write(h.sample_article())
code = ("import sys, runpy; sys.modules['zmq'] = None; sys.argv = %r; "
        "runpy.run_path(%r, run_name='__main__')" % ([ex, "--broker", b.frontend, art], ex))
p = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
h.check(p.returncode != 0 and "Traceback" not in p.stderr and "zmq" in p.stderr,
        "example without zmq: rc %d\n%s" % (p.returncode, p.stderr))
h.log("example without zmq: exit %d, %s" % (p.returncode, p.stderr.strip()))
code = ("import sys, runpy; sys.modules['zmq'] = None; sys.argv = %r; "
        "runpy.run_path(%r, run_name='__main__')" % ([ex, "--gateway", g.url, "--token",
                                                       "py-token", "--json", art], ex))
p = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
h.check(p.returncode == 0, "example --gateway without zmq failed:\n" + p.stderr)
import json  # noqa: E402
resp = json.loads(p.stdout)
h.check(all(isinstance(s["text"], str) and isinstance(s["offset"], int)
            for s in resp["sentences"]), "example --json: text not str or offset not int")
h.log("example --gateway --json without zmq: %d sentences, text as str, offsets as int"
      % len(resp["sentences"]))
for x in (g, g2):
    h.check(h.stop(x.proc) == 0, "gateway did not exit 0")
h.check(h.stop(w) == 0 and h.stop(b.proc) == 0 and h.stop(lonely.proc) == 0, "exit codes")
h.log("PASS")
