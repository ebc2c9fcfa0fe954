#!/usr/bin/python3
"""logs_json.py: with --log-format json every line that lede-broker and lede-worker write is
one JSON object, through the events that used to bypass the logger: refused CURVE peers (the
broker's auth thread), failed handshakes, malformed frames, a worker killed with SIGKILL, and a
drain on SIGTERM. A client key refused about 100 times in a few seconds yields at most a few
lines, and they carry the count (the auth thread logs a repeating refusal once per 10 s)."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402

zmq = h.zmq
if not zmq.has("curve"):
    h.fail("this libzmq has no CURVE (Debian's libzmq5 has it)")
lede = h.binary("lede")
keys = os.path.join(h.TMP, "keys")
for d in ("clients", "workers"):
    os.makedirs(os.path.join(keys, d))


def keygen(name):
    r = subprocess.run([lede, "keygen", os.path.join(keys, name)], capture_output=True, timeout=10)
    h.check(r.returncode == 0, "lede keygen %s failed: %s" % (name, r.stderr))
    return (open(os.path.join(keys, name + ".key")).read().strip().encode(),
            open(os.path.join(keys, name + ".pub")).read().strip().encode())


k = {n: keygen(n) for n in ("broker", "c1", "stranger", "w1", "w2")}
os.link(os.path.join(keys, "c1.pub"), os.path.join(keys, "clients", "c1.pub"))
for w in ("w1", "w2"):
    os.link(os.path.join(keys, w + ".pub"), os.path.join(keys, "workers", w + ".pub"))
kf = lambda n, ext: os.path.join(keys, n + "." + ext)  # noqa: E731
json_args = ("--log-format", "json")
b = h.Broker(extra=json_args + ("--heartbeat-ms", "200", "--curve-secret", kf("broker", "key"),
                                "--allow-clients", os.path.join(keys, "clients"),
                                "--allow-workers", os.path.join(keys, "workers")))


def dealer(name=None):
    s = zmq.Context.instance().socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    if name:
        s.curve_secretkey, s.curve_publickey = k[name]
        s.curve_serverkey = k["broker"][1]
    s.connect(b.frontend)
    return s


def call(sock, method, payload, timeout=10.0):
    cid = uuid.uuid4().hex
    c = h.pb.Call(call_id=cid, method=method, timeout_ms=int(timeout * 1000), payload=payload)
    sock.send(h.frame(h.pb.CALL, c.SerializeToString()))
    end = time.time() + timeout
    while time.time() < end:
        if sock.poll(100):
            data = sock.recv()
            r = h.pb.Reply.FromString(data[6:])
            if r.call_id == cid:
                return r
    return None


def try_send(sock, data):
    """A refused peer's socket may have no pipe to queue on: never block on it."""
    try:
        sock.send(data, zmq.NOBLOCK)
    except zmq.Again:
        pass


worker_args = lambda n: json_args + ("--curve-secret", kf(n, "key"), "--broker-key",  # noqa
                                     kf("broker", "pub"))
w1 = h.worker(b.backend, "w1", threads=1, extra=worker_args("w1"))
w2 = h.worker(b.backend, "w2", threads=1, extra=worker_args("w2"))
c1 = dealer("c1")
end = time.time() + 15
ready = 0
while time.time() < end and ready < 2:
    r = call(c1, "lede.v1.Broker/Stats", b"", timeout=2)
    ready = json.loads(r.payload.decode())["workers_ready"] if r and r.status == h.pb.OK else 0
    time.sleep(0.1)
h.check(ready == 2, "the two CURVE workers did not register")
r = call(c1, h.METHOD, h.summarize_request(h.SAMPLE.encode()))
h.check(r is not None and r.status == h.pb.OK, "the allowed client got no summary")

# ---- a stranger's key, refused again and again; plaintext peers; malformed frames ----
t0 = time.time()
for _ in range(100):
    s = dealer("stranger")
    try_send(s, h.frame(h.pb.CALL, b""))
    time.sleep(0.03)
    s.close(0)
for _ in range(5):
    s = dealer(None)  # plaintext against a CURVE socket: the handshake fails
    try_send(s, b"hello")
    time.sleep(0.03)
    s.close(0)
for junk in (b"", b"LEDE", b"LEDE\x09\x01", b"LEDE\x01\x01\xff\xff\xff", os.urandom(64)):
    c1.send(junk)
r = call(c1, h.METHOD, h.summarize_request(h.SAMPLE.encode()))
h.check(r is not None and r.status == h.pb.OK, "no summary after the malformed frames")
refusals = time.time() - t0

# ---- a worker killed, then a drain ----
w2.send_signal(signal.SIGKILL)
w2.wait(timeout=10)
time.sleep(1.5)  # a few missed heartbeats: the broker declares w2 dead
time.sleep(max(0.0, 11 - (time.time() - t0)))  # the refusals' interval ends: their count is logged
h.check(h.stop(w1) == 0, "worker w1 did not drain and exit 0 on SIGTERM")
c1.close(0)
h.check(h.stop(b.proc) == 0, "the broker did not drain and exit 0 on SIGTERM")


def lines_of(p, who):
    out = []
    for ln in h.read_log(p).splitlines():
        if not ln.strip():
            continue
        try:
            d = json.loads(ln)
        except ValueError:
            h.fail("%s wrote a line that is not JSON: %r" % (who, ln))
        h.check(isinstance(d, dict) and d.get("level") and d.get("ts") and "msg" in d,
                "%s: a line without ts/level/msg: %r" % (who, ln))
        out.append(d)
    return out


bl = lines_of(b.proc, "lede-broker")
for p, who in ((w1, "w1"), (w2, "w2")):
    lines_of(p, who)
stranger = k["stranger"][1].decode()
refused = [d for d in bl if stranger in json.dumps(d)]
h.check(1 <= len(refused) <= 4,
        "the stranger's ~100 refusals in %.1f s made %d lines (want 1 to 4)" % (refusals, len(refused)))
counted = sum(int(d.get("repeated", 0)) for d in refused)
h.check(counted + len(refused) >= 90,
        "the lines about the stranger account for %d refusals, not ~100: %s" % (counted + len(refused), refused))
h.check(any("handshake" in d.get("msg", "") for d in bl), "no line about the failed handshakes")
h.check(any("malformed" in json.dumps(d) for d in bl), "no line about the malformed frames")
h.log("PASS: %d broker lines all JSON; the stranger's refusals in %d lines (%d counted)"
      % (len(bl), len(refused), counted))
