#!/usr/bin/python3
"""rel_http.py: slow HTTP clients must not take out /healthz, /readyz and /metrics (issue 10,
3.10). Before, 40 slow connections failed 8 of 8 probes (32 connections allowed in all), so a
liveness probe would have restarted a healthy broker. Now the endpoint allows 256 connections,
8 per client address, and closes one idle for 3 s.

40 slowloris connections from five other loopback addresses (127.0.0.2-6, 8 each) send a request
line and then one header byte a second; 16 more from one address are refused past 8. Meanwhile
8 probes of each endpoint from 127.0.0.1, 1 s timeout each, must all answer (200 for /healthz and
/metrics, 200 or 503 for /readyz: an answer). A connection that sends nothing is closed within
3 s + 2 s."""
import os
import re
import socket
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fault as f  # noqa: E402,F401
from fault import h  # noqa: E402

b = h.Broker(extra=("--heartbeat-ms", "200", "--metrics", "127.0.0.1:0"))
port = None
end = time.time() + 5
while port is None and time.time() < end:
    m = re.search(r"serving /metrics.*\(port (\d+)\)", h.read_log(b.proc))
    port = int(m.group(1)) if m else None
    time.sleep(0.05)
h.check(port is not None, "the broker did not log its metrics port")
w = h.worker(b.backend, "w1", threads=1)
h.wait_registered(b, 1)


def probe(path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=1) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:
        return None


h.check(probe("/healthz") == 200, "no /healthz before the attack")
slow = []
stop = False


def slowloris(src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    except OSError:
        return
    slow.append(s)
    while not stop:
        try:
            s.sendall(b"X")
        except OSError:
            return
        time.sleep(1)


threads = [threading.Thread(target=slowloris, args=("127.0.0.%d" % (2 + i // 8),), daemon=True)
           for i in range(40)]
threads += [threading.Thread(target=slowloris, args=("127.0.0.7",), daemon=True)
            for _ in range(16)]
for t in threads:
    t.start()
time.sleep(1.0)
results = {p: [] for p in ("/healthz", "/readyz", "/metrics")}
for i in range(8):
    for p in results:
        results[p].append(probe(p))
    time.sleep(0.5)
h.log("with %d slow connections open: probes %s" % (len(slow), results))
h.check(len(slow) >= 40, "only %d slow connections were made" % len(slow))
h.check(all(s == 200 for s in results["/healthz"]), "/healthz failed: %s" % results["/healthz"])
h.check(all(s == 200 for s in results["/metrics"]), "/metrics failed: %s" % results["/metrics"])
h.check(all(s in (200, 503) for s in results["/readyz"]), "/readyz failed: %s" % results["/readyz"])
stop = True

# a connection that sends nothing is closed by the server
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(6)
t0 = time.time()
try:
    data = s.recv(100)
except OSError:
    data = b""
closed_after = time.time() - t0
h.log("an idle connection was closed after %.1f s (data %r)" % (closed_after, data[:20]))
h.check(data == b"" and closed_after < 5, "an idle HTTP connection stayed open %.1f s" % closed_after)
s.close()
for x in slow:
    x.close()
h.check(h.stop(w) == 0, "worker did not exit 0")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
