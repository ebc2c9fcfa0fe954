"""gw.py: what the gateway's tests share (beside harness.py): starting lede-gateway as a real
process (port from --ready-file), a token file, a test TLS certificate made with openssl, and
small HTTP helpers on the standard library."""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import time

import harness as h


def tokens_file(path, entries):
    """entries: [(tenant, token, scopes or None)] -> a tokens file with hashed tokens."""
    gw = h.binary("lede-gateway")
    with open(path, "w") as f:
        f.write("# tenant  sha256:HEX  [scopes]\n")
        for tenant, token, scopes in entries:
            hx = subprocess.run([gw, "hash-token"], input=token, capture_output=True, text=True,
                                check=True).stdout.strip()
            f.write("%s %s%s\n" % (tenant, hx, " " + scopes if scopes else ""))
    return path


def test_certificate(folder):
    """A self-signed certificate for 127.0.0.1/localhost made with openssl: (cert, key)."""
    openssl = shutil.which("openssl")
    if not openssl:
        h.fail("openssl is not installed (the TLS test makes its certificate with it)")
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True,
                   capture_output=True)
    return cert, key


class Gateway:
    def __init__(self, brokers, name="gateway", extra=(), listen="127.0.0.1:0", tls=None):
        ready = os.path.join(h.TMP, name + ".ready")
        if isinstance(brokers, (list, tuple)):
            brokers = ",".join(brokers)
        self.tls = tls
        self.proc = h.spawn([h.binary("lede-gateway"), "--listen", listen, "--broker", brokers,
                             "--ready-file", ready, "--log-level", "debug"] + list(extra),
                            name + ".log")
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                h.fail("gateway exited at start:\n" + h.read_log(self.proc))
            if time.time() > deadline:
                h.fail("gateway did not write its ready file")
            time.sleep(0.02)
        kv = dict(line.split("=", 1) for line in open(ready).read().split())
        self.host, port = kv["listen"].rsplit(":", 1)
        self.port = int(port)
        self.url = "%s://%s:%d" % ("https" if tls else "http", self.host, self.port)

    def conn(self, timeout=30):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.tls)
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        """-> (status, headers dict (lower-case names), body bytes)."""
        c = conn or self.conn()
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if conn is None:
            c.close()
        return r.status, hdrs, data

    def post(self, path, body, token=None, headers=None, conn=None):
        hd = {"Content-Type": "application/json"}
        if token:
            hd["Authorization"] = "Bearer " + token
        hd.update(headers or {})
        return self.request("POST", path, body, hd, conn)

    def wait_ready(self, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            st, _, _ = self.request("GET", "/readyz")
            if st == 200:
                return
            time.sleep(0.05)
        h.fail("the gateway did not become ready")
