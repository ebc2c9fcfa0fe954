#!/usr/bin/python3
"""lede_client.py: a small Python client for lede's summarization service, speaking
docs/PROTOCOL.md with Debian's python3-zmq and python3-protobuf.

    python3 examples/python/lede_client.py --broker tcp://127.0.0.1:5555 article.txt
    python3 examples/python/lede_client.py --gateway http://127.0.0.1:8080 article.txt

prints the summary, one sentence per line. lede_pb2 is imported if it is on the path; otherwise
it is generated from proto/lede.proto with protoc (package protobuf-compiler) into a temp dir.
--gateway speaks HTTP/JSON to lede-gateway with the standard library alone (no zmq, no
protobuf); the installable client is clients/python.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

try:
    import zmq
except ImportError:  # a python3 without pyzmq: --gateway still works
    zmq = None

HERE = os.path.dirname(os.path.abspath(__file__))
METHOD = "lede.v1.Summarizer/Summarize"
VERSION = 1


def load_pb2(proto=None):
    """Imports lede_pb2, generating it from lede.proto with protoc when it is not installed."""
    try:
        import lede_pb2
        return lede_pb2
    except ImportError:
        pass
    proto = proto or os.environ.get("LEDE_PROTO") or os.path.join(HERE, "..", "..", "proto",
                                                                   "lede.proto")
    protoc = shutil.which("protoc")
    if not protoc or not os.path.exists(proto):
        sys.exit("lede_client: need lede_pb2 on PYTHONPATH, or protoc and %s" % proto)
    out = tempfile.mkdtemp(prefix="lede-pb2-")
    subprocess.run([protoc, "--python_out=" + out, "--proto_path=" + os.path.dirname(proto),
                    proto], check=True)
    sys.path.insert(0, out)
    import lede_pb2
    shutil.rmtree(out, ignore_errors=True)  # already imported
    return lede_pb2


class LedeError(Exception):
    def __init__(self, status, message):
        super().__init__("%s: %s" % (status, message))
        self.status = status
        self.message = message


class Client:
    """Calls lede through one or more brokers. A call that gets no reply within `resend_s` is
    re-sent (same call id) to the next broker; UNAVAILABLE and a full broker queue are retried
    with backoff; a second reply for the same call id is ignored."""

    def __init__(self, endpoints, pb, resend_s=1.0, attempts=4):
        if zmq is None:
            raise LedeError("SETUP", "--broker needs pyzmq (Debian: python3-zmq; pip: pyzmq); "
                                     "--gateway URL works without it")
        if isinstance(endpoints, str):
            endpoints = [e for e in endpoints.split(",") if e]
        self.pb = pb
        self.ctx = zmq.Context.instance()
        self.socks = []
        for ep in endpoints:
            s = self.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(ep)
            self.socks.append(s)
        self.poller = zmq.Poller()
        for s in self.socks:
            self.poller.register(s, zmq.POLLIN)
        self.resend_s = resend_s
        self.attempts = attempts

    def close(self):
        for s in self.socks:
            s.close(0)

    def _frame(self, command, body):
        return b"LEDE" + bytes([VERSION, command]) + body

    def call(self, method, payload, timeout_ms=10000, metadata=None):
        """Sends one call and waits for its reply; returns the Reply message."""
        pb = self.pb
        call_id = uuid.uuid4().hex
        deadline = time.time() + timeout_ms / 1000.0
        attempt, k = 0, 0
        next_send = time.time()
        while True:
            now = time.time()
            if now >= deadline:
                raise LedeError("DEADLINE_EXCEEDED", "no reply within %d ms" % timeout_ms)
            if now >= next_send and attempt < self.attempts:
                left = max(1, int((deadline - now) * 1000))
                call = pb.Call(call_id=call_id, method=method, timeout_ms=left, payload=payload)
                for key, value in (metadata or {}).items():
                    call.metadata.add(key=key, value=value)
                self.socks[k % len(self.socks)].send(self._frame(pb.CALL, call.SerializeToString()))
                k += 1
                attempt += 1
                next_send = now + self.resend_s * attempt
            wait = max(0.0, min(deadline, next_send) - time.time())
            for sock, _ in self.poller.poll(int(wait * 1000) + 1):
                data = sock.recv()
                if len(data) < 6 or data[:4] != b"LEDE" or data[4] != VERSION or data[5] != pb.REPLY:
                    continue  # not for us: ignore
                reply = pb.Reply.FromString(data[6:])
                if reply.call_id != call_id:
                    continue  # a late duplicate of an earlier call
                busy = reply.status == pb.UNAVAILABLE or (
                    reply.status == pb.RESOURCE_EXHAUSTED and reply.served_by in ("", "broker"))
                if busy and attempt < self.attempts:
                    next_send = time.time() + 0.05 * (2 ** attempt)
                    continue
                return reply

    def summarize(self, body, title=b"", language="", explain=False, timeout_ms=10000,
                  weights=None, **budget):
        """Summarizes one article; budget is one of sentences=, words=, chars=, ratio=.
        Returns a SummarizeResponse; raises LedeError with the status otherwise."""
        pb = self.pb
        if isinstance(body, str):
            body = body.encode("utf-8")
        if isinstance(title, str):
            title = title.encode("utf-8")
        req = pb.SummarizeRequest(body=body, title=title, language=language, explain=explain,
                                  **budget)
        for name, value in (weights or {}).items():
            req.weights.add(name=name, value=value)
        reply = self.call(METHOD, req.SerializeToString(), timeout_ms=timeout_ms)
        if reply.status != pb.OK:
            raise LedeError(pb.Status.Name(reply.status), reply.message)
        resp = pb.SummarizeResponse.FromString(reply.payload)
        return resp


def response_dict(resp):
    """A SummarizeResponse as JSON: text as strings, offsets and counts as numbers."""
    return {
        "articleId": resp.article_id, "summary": list(resp.summary),
        "sentences": [{"index": s.index, "rank": s.rank, "score": s.score,
                       "features": {f: getattr(s.features, f) for f in
                                    ("position", "term", "entity", "title", "length", "opener")},
                       "offset": s.offset, "length": s.length, "paragraph": s.paragraph,
                       "selected": s.selected, "duplicateOf": s.duplicate_of,
                       "text": s.text.decode("utf-8", "replace")} for s in resp.sentences],
        "engineVersion": resp.engine_version, "language": resp.language,
        "sentenceCount": resp.sentence_count,
    }


def via_gateway(url, token, body, title, language, explain, timeout_ms, budget):
    """One call to lede-gateway's POST /v1/summarize; returns its JSON answer."""
    req = {"body": body.decode("utf-8"), "explain": explain}
    if title:
        req["title"] = title
    if language:
        req["language"] = language
    req.update(budget)
    headers = {"Content-Type": "application/json", "Connect-Timeout-Ms": str(timeout_ms)}
    if token:
        headers["Authorization"] = "Bearer " + token
    r = urllib.request.Request(url.rstrip("/") + "/v1/summarize", json.dumps(req).encode(),
                               headers)
    try:
        with urllib.request.urlopen(r, timeout=timeout_ms / 1000.0 + 5) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        err = json.loads(e.read() or b"{}")
        raise LedeError(err.get("code", "HTTP %d" % e.code), err.get("message", ""))
    except (urllib.error.URLError, OSError) as e:
        raise LedeError("UNAVAILABLE", "cannot reach %s: %s" % (url, e))


def main(argv=None):
    ap = argparse.ArgumentParser(description="Summarize a news article through lede-broker.")
    ap.add_argument("--broker", default=os.environ.get("LEDE_BROKER"),
                    help="broker frontend endpoint(s), comma-separated (or LEDE_BROKER)")
    ap.add_argument("--gateway", default=os.environ.get("LEDE_GATEWAY"),
                    help="lede-gateway URL instead, e.g. http://127.0.0.1:8080 (HTTP/JSON)")
    ap.add_argument("--token", default=os.environ.get("LEDE_TOKEN"),
                    help="bearer token for --gateway (or LEDE_TOKEN)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--sentences", type=int)
    g.add_argument("--words", type=int)
    g.add_argument("--chars", type=int)
    g.add_argument("--ratio", type=float)
    ap.add_argument("--title", default="")
    ap.add_argument("--lang", default="")
    ap.add_argument("--deadline", type=int, default=10000, help="ms (default 10000)")
    ap.add_argument("--json", action="store_true", help="print the whole response as JSON")
    ap.add_argument("--proto", help="lede.proto to generate lede_pb2 from")
    ap.add_argument("file", nargs="?", default="-", help="the article (default: stdin)")
    a = ap.parse_args(argv)
    if not a.broker and not a.gateway:
        ap.error("--broker or --gateway is required (or set LEDE_BROKER / LEDE_GATEWAY)")
    body = sys.stdin.buffer.read() if a.file == "-" else open(a.file, "rb").read()
    budget = {k: v for k in ("sentences", "words", "chars", "ratio")
              for v in [getattr(a, k)] if v is not None}
    if a.gateway:
        try:
            ans = via_gateway(a.gateway, a.token, body, a.title, a.lang, a.json, a.deadline,
                              budget)
        except LedeError as e:
            print("lede_client: %s" % e, file=sys.stderr)
            return 1
        if a.json:
            print(json.dumps(ans, ensure_ascii=False))
            return 0
        by = {s["index"]: s for s in ans["sentences"]}
        for i in ans["summary"]:
            sys.stdout.buffer.write(by[i]["text"].encode("utf-8") + b"\n")
        return 0
    if zmq is None:
        print("lede_client: --broker needs pyzmq (Debian: python3-zmq; pip: pyzmq); "
              "--gateway URL works without it", file=sys.stderr)
        return 2
    pb = load_pb2(a.proto)
    c = Client(a.broker, pb)
    try:
        resp = c.summarize(body, title=a.title, language=a.lang, explain=a.json,
                           timeout_ms=a.deadline, **budget)
    except LedeError as e:
        print("lede_client: %s" % e, file=sys.stderr)
        return 1
    finally:
        c.close()
    if a.json:
        print(json.dumps(response_dict(resp), ensure_ascii=False))
        return 0
    by_index = {s.index: s for s in resp.sentences}
    out = sys.stdout.buffer
    for i in resp.summary:
        out.write(by_index[i].text + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
