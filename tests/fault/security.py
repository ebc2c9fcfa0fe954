#!/usr/bin/python3
"""security.py: CURVE end to end. `lede keygen` writes one-line Z85 key files (the secret mode
0600, never overwritten). A broker with --curve-secret/--allow-clients/--allow-workers serves an
allowed worker and allowed clients (Python, `lede summarize --broker`, lede-load), and serves
nothing to: an unknown client key, a plaintext client, a client holding the wrong broker key, an
unknown worker key, a client key posing as a worker, a plaintext worker. Each refusal is counted
in the broker's stats ("auth"), and no refused peer's call reaches the broker's call counter."""
import json
import os
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402
from fault import h  # noqa: E402

zmq = f.zmq
if not zmq.has("curve"):
    h.skip("this libzmq has no CURVE")
lede = h.binary("lede")
keys = os.path.join(h.TMP, "keys")
os.makedirs(os.path.join(keys, "clients"))
os.makedirs(os.path.join(keys, "workers"))


def keygen(name):
    r = subprocess.run([lede, "keygen", os.path.join(keys, name)], capture_output=True, timeout=10)
    h.check(r.returncode == 0, "lede keygen %s failed: %s" % (name, r.stderr))
    sec = open(os.path.join(keys, name + ".key")).read()
    pub = open(os.path.join(keys, name + ".pub")).read()
    for what, text in (("key", sec), ("pub", pub)):
        h.check(text.endswith("\n") and text.count("\n") == 1 and len(text.strip()) == 40,
                "%s.%s is not one line of 40 Z85 characters: %r" % (name, what, text))
    h.check(zmq.curve_public(sec.strip().encode()) == pub.strip().encode(),
            "%s.pub is not the public key of %s.key" % (name, name))
    mode = stat.S_IMODE(os.stat(os.path.join(keys, name + ".key")).st_mode)
    h.check(mode == 0o600, "%s.key has mode %o, not 600" % (name, mode))
    return sec.strip().encode(), pub.strip().encode()


k = {n: keygen(n) for n in ("broker", "other", "c1", "c2", "w1", "w2")}
r = subprocess.run([lede, "keygen", os.path.join(keys, "c1")], capture_output=True, timeout=10)
h.check(r.returncode != 0 and b"exists" in r.stderr, "keygen overwrote an existing key")
h.check(open(os.path.join(keys, "c1.key")).read().strip().encode() == k["c1"][0],
        "keygen changed an existing key")
os.link(os.path.join(keys, "c1.pub"), os.path.join(keys, "clients", "c1.pub"))
os.link(os.path.join(keys, "w1.pub"), os.path.join(keys, "workers", "w1.pub"))
kf = lambda n, ext: os.path.join(keys, n + "." + ext)  # noqa: E731

b = h.Broker(extra=("--heartbeat-ms", "200", "--curve-secret", kf("broker", "key"),
                    "--allow-clients", os.path.join(keys, "clients"),
                    "--allow-workers", os.path.join(keys, "workers")))
allowed_calls = 0


def client(name=None, server="broker"):
    """A DEALER to the frontend: CURVE with key pair `name` and broker key `server`, or plain."""
    c = h.Client.__new__(h.Client)
    c.ctx = zmq.Context.instance()
    c.sock = c.ctx.socket(zmq.DEALER)
    c.sock.setsockopt(zmq.LINGER, 0)
    if name:
        c.sock.curve_secretkey, c.sock.curve_publickey = k[name]
        c.sock.curve_serverkey = k[server][1]
    c.sock.connect(b.frontend)
    c.replies, c.duplicates, c.malformed, c.sent = {}, 0, 0, set()
    return c


def stats():
    global allowed_calls
    c = client("c1")
    allowed_calls += 1
    r = c.call("lede.v1.Broker/Stats", b"", timeout_ms=5000).get(5)
    c.close()
    h.check(r is not None and r.status == h.pb.OK, "no stats for the allowed client")
    return json.loads(r.payload.decode())


def worker_names():
    return sorted(w["name"] for w in stats()["workers"])


curve_args = lambda n: ("--curve-secret", kf(n, "key"), "--broker-key", kf("broker", "pub"))  # noqa
ws = [h.worker(b.backend, "w1", threads=1, extra=curve_args("w1"))]
end = time.time() + 10
while worker_names() != ["w1"] and time.time() < end:
    time.sleep(0.1)
h.check(worker_names() == ["w1"], "the allowed worker did not register: %s" % worker_names())

payload = h.summarize_request(h.sample_article(), sentences=2)
good = client("c1")
for _ in range(20):
    p = good.call(h.METHOD, payload)
    allowed_calls += 1
    r = p.get(10)
    h.check(r is not None and r.status == h.pb.OK and r.served_by == "w1",
            "the allowed client was not served: %s" % r)
h.log("allowed client: 20 calls OK through CURVE")

# the refused workers start while the allowed client keeps calling
ws.append(h.worker(b.backend, "w2-unknown-key", threads=1, extra=curve_args("w2")))
ws.append(h.worker(b.backend, "c1-posing-as-worker", threads=1, extra=curve_args("c1")))
ws.append(h.worker(b.backend, "plaintext-worker", threads=1))
refused = {"unknown client key": client("c2"), "plaintext client": client(None),
           "wrong broker key": client("c1", server="other")}
for name, c in refused.items():
    for _ in range(5):
        c.call(h.METHOD, payload, timeout_ms=3000)
t0 = time.time()
while time.time() - t0 < 3.0:
    p = good.call(h.METHOD, payload)
    allowed_calls += 1
    r = p.get(10)
    h.check(r is not None and r.status == h.pb.OK and r.served_by == "w1",
            "during the refusals a call was not served by w1: %s" % r)
    for c in refused.values():
        c.recv_one(0.01)
for name, c in refused.items():
    h.check(not c.replies, "the %s got %d replies" % (name, len(c.replies)))
    h.log("%s: 5 calls, no reply" % name)
h.check(worker_names() == ["w1"], "a refused worker registered: %s" % worker_names())
for w in ws[1:]:
    h.check(w.poll() is None, "a refused worker exited: it should keep trying quietly")

# the CLI and lede-load through CURVE
r = subprocess.run([lede, "summarize", "--broker", b.frontend] + list(curve_args("c1")),
                   input=h.sample_article(), capture_output=True, timeout=20)
allowed_calls += 1
h.check(r.returncode == 0 and r.stdout.strip(), "lede summarize --broker with CURVE failed: %s"
        % r.stderr)
r = subprocess.run([lede, "summarize", "--broker", b.frontend, "--deadline", "1500"] +
                   list(curve_args("c2")), input=h.sample_article(), capture_output=True,
                   timeout=20)
h.check(r.returncode != 0, "lede summarize with an unknown key was served")
data = os.path.join(h.TMP, "articles")
os.makedirs(data)
open(os.path.join(data, "a.txt"), "wb").write(h.sample_article())
out = os.path.join(h.TMP, "load.json")
r = subprocess.run([h.binary("lede-load"), "--broker", b.frontend, "--data", data, "--requests",
                    "300", "--concurrency", "8", "--json", out, "--no-progress"] +
                   list(curve_args("c1")), capture_output=True, timeout=60)
allowed_calls += 300
res = json.load(open(out))
h.check(r.returncode == 0 and res["ok"] == 300, "lede-load with CURVE: %s" % res)
h.log("lede summarize and lede-load (300 calls) served through CURVE")

st = stats()
au = st["auth"]
h.log("broker auth counters: %s; calls_received %d (allowed calls made %d)" % (
    json.dumps(au), st["calls_received"], allowed_calls))
h.check(au["curve"] is True, "stats do not say CURVE is on")
h.check(au["clients_denied"] >= 2, "unknown client keys not counted: %s" % au)
h.check(au["workers_denied"] >= 2, "unknown worker keys not counted: %s" % au)
h.check(au["client_as_worker"] >= 1, "the client key posing as a worker was not counted: %s" % au)
h.check(au["handshakes_failed"] >= 3, "plaintext peers / wrong broker key not counted: %s" % au)
h.check(au["peers_rejected"] >= au["clients_denied"] + au["workers_denied"],
        "peers_rejected is not the sum: %s" % au)
h.check(st["calls_received"] == allowed_calls,
        "the broker received %d calls but allowed clients made %d: a refused peer got through"
        % (st["calls_received"], allowed_calls))
for c in list(refused.values()) + [good]:
    c.close()
for w in ws:
    h.check(h.stop(w) == 0, "a worker did not exit 0")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
log = h.read_log(b.proc)
h.check("a client key may not register as a worker" in log, "the poser was not logged")
h.log("PASS")
