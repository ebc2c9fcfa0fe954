#!/usr/bin/python3
"""fail_fast.py: calls with nowhere to go end at once, not at the deadline, with real processes:
no broker (refused port, unresolvable host) -> UNAVAILABLE within 2 s; a broker with no worker ->
UNAVAILABLE within 0.5 s; a CURVE broker and a wrong key -> UNAUTHENTICATED. The same through the
CLI here, and through lede-gateway (HTTP 503/401) and the Python client when they are built
(gateway_http.py and clients/python's tests check those paths too). Times measured and printed."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

LEDE = h.binary("lede")
article = os.path.join(h.TMP, "a.txt")
with open(article, "wb") as f:
    f.write(h.sample_article())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def summarize(endpoint, *extra):
    t0 = time.time()
    p = subprocess.run([LEDE, "summarize", "--broker", endpoint, "--deadline", "10000"] +
                       list(extra) + [article], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr.strip(), time.time() - t0


def expect(what, rc, err, secs, status, limit):
    h.log("%-34s exit %d after %.3f s: %s" % (what, rc, secs, err))
    h.check(rc == 1, "%s: exit %d, expected 1 (call failed)" % (what, rc))
    h.check(status in err, "%s: %r does not say %s" % (what, err, status))
    h.check(secs < limit, "%s: %.2f s, expected under %.1f s" % (what, secs, limit))


# no broker at all: a port nobody listens on, and a host that does not resolve
expect("no broker (refused port)", *summarize("tcp://127.0.0.1:%d" % free_port()),
       "UNAVAILABLE", 2.0)
expect("no broker (unresolvable host)", *summarize("tcp://no-such-host.invalid:5555"),
       "UNAVAILABLE", 2.0)

# a broker with no worker: it answers UNAVAILABLE itself, at once
b = h.Broker()
expect("broker without workers", *summarize(b.frontend), "UNAVAILABLE", 0.5)
# two brokers, neither with a worker: each is asked once, then the call fails
b2 = h.Broker("broker2")
expect("two brokers without workers", *summarize(b.frontend + "," + b2.frontend),
       "UNAVAILABLE", 0.5)
# ... and once a worker registers, the same command works
w = h.worker(b.backend, "w1")
h.wait_registered(b, 1)
rc, err, secs = summarize(b.frontend)
h.check(rc == 0, "with a worker: exit %d: %s" % (rc, err))
h.log("with a worker: ok after %.3f s" % secs)

# CURVE: a broker that wants keys; a wrong broker key, an unlisted client key, no key at all
keys = os.path.join(h.TMP, "keys")
os.makedirs(os.path.join(keys, "clients"))
os.makedirs(os.path.join(keys, "workers"))
for name in ("broker", "client", "stranger", "notbroker"):
    subprocess.run([LEDE, "keygen", os.path.join(keys, name)], check=True, capture_output=True)
os.rename(os.path.join(keys, "client.pub"), os.path.join(keys, "clients", "client.pub"))
cb = h.Broker("curve-broker", extra=("--curve-secret", os.path.join(keys, "broker.key"),
                                     "--allow-clients", os.path.join(keys, "clients"),
                                     "--allow-workers", os.path.join(keys, "workers")))
k = lambda n: os.path.join(keys, n)  # noqa: E731
expect("CURVE: wrong broker key", *summarize(cb.frontend, "--curve-secret", k("client.key"),
                                             "--broker-key", k("notbroker.pub")),
       "UNAUTHENTICATED", 2.0)
expect("CURVE: client key not allowed", *summarize(cb.frontend, "--curve-secret", k("stranger.key"),
                                                   "--broker-key", k("broker.pub")),
       "UNAUTHENTICATED", 2.0)
expect("CURVE: no key (plaintext)", *summarize(cb.frontend), "UNAUTHENTICATED", 2.0)
expect("CURVE: right keys, no worker", *summarize(cb.frontend, "--curve-secret", k("client.key"),
                                                  "--broker-key", k("broker.pub")),
       "UNAVAILABLE", 0.5)
h.check(h.stop(w) == 0, "worker did not exit 0")
for br in (b, b2, cb):
    h.check(h.stop(br.proc) == 0, "broker did not exit 0")
h.log("PASS")
