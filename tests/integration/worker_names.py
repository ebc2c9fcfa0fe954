#!/usr/bin/python3
"""worker_names.py: a worker named with non-ASCII UTF-8 ("Zürich-1") appears under that very
name in the broker's stats (JSON through jansson, not byte-by-byte escapes: it used to come
back "ZÃ¼rich-1") and in the worker's /metrics (lede_worker_info{name="Zürich-1"})."""
import os
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

NAME = "Z\u00fcrich-1"
b = h.Broker()
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
w = h.worker(b.backend, NAME, extra=("--metrics", "127.0.0.1:%d" % port))
h.wait_registered(b, 1)
names = [x["name"] for x in b.stats()["workers"]]
h.check(names == [NAME], "the broker's stats name the worker %r, not %r" % (names, NAME))
body = ""
end = time.time() + 10
while time.time() < end:
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2).read().decode("utf-8")
        break
    except OSError:
        time.sleep(0.1)
want = 'lede_worker_info{name="%s"} 1' % NAME
h.check(want in body, "the worker's /metrics lacks %r" % want)
h.log("PASS: %r in the broker's stats and in the worker's /metrics" % NAME)
