"""The HTTP/JSON client (standard library only): lede-gateway's POST /v1/summarize and
/v1/summarize:batch. Errors become typed exceptions; a gateway that cannot be reached is
Unavailable at once."""
import http.client
import json
import socket
import ssl
import urllib.parse

from .errors import LedeError, Unavailable, error_for
from .summary import Summary

_BUDGETS = ("sentences", "words", "chars", "ratio")


def request_of(body, title=None, sentences=None, words=None, chars=None, ratio=None,
               language=None, explain=False, article_id=None, weights=None, **fields):
    """A SummarizeRequest as JSON (a dict): text as strings, one budget at most. Extra keyword
    fields (lowerCamelCase, e.g. format="FORMAT_HTML") are passed through as they are."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    req = {"body": body}
    if title:
        req["title"] = title.decode("utf-8") if isinstance(title, bytes) else title
    if article_id:
        req["articleId"] = article_id
    if language:
        req["language"] = language
    if explain:
        req["explain"] = True
    given = [(k, v) for k, v in zip(_BUDGETS, (sentences, words, chars, ratio)) if v is not None]
    if len(given) > 1:
        raise ValueError("give one of sentences, words, chars, ratio")
    for k, v in given:
        req[k] = v
    if weights:
        req["weights"] = [{"name": k, "value": float(v)} for k, v in weights.items()]
    req.update(fields)
    return req


class Client:
    """Calls lede through lede-gateway. url: "http://127.0.0.1:8080" or https://...; token: the
    bearer token (when the gateway has --tokens); cafile: a CA or self-signed certificate to
    trust for https; deadline_ms: the deadline sent as Connect-Timeout-Ms (None: the
    gateway's default); timeout: seconds the socket waits (connect and read)."""

    def __init__(self, url="http://127.0.0.1:8080", token=None, deadline_ms=None, timeout=60.0,
                 cafile=None, ssl_context=None):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError("url must be http://HOST:PORT or https://HOST:PORT, not %r" % url)
        self.url = url.rstrip("/")
        self.scheme, self.host = u.scheme, u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.prefix = u.path.rstrip("/")
        self.token = token
        self.deadline_ms = deadline_ms
        self.timeout = timeout
        self.ssl_context = ssl_context
        if u.scheme == "https" and ssl_context is None:
            self.ssl_context = ssl.create_default_context(cafile=cafile)
        self._conn = None

    # ---- plumbing ----

    def _connect(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout,
                                               context=self.ssl_context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _headers(self, deadline_ms, traceparent, ctype="application/json"):
        h = {"Content-Type": ctype, "Accept": "application/json"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        d = deadline_ms if deadline_ms is not None else self.deadline_ms
        if d is not None:
            h["Connect-Timeout-Ms"] = str(int(d))
        if traceparent:
            h["traceparent"] = traceparent
        return h

    def _send(self, method, path, body, headers, stream=False):
        """-> the http.client response (read it). Retries once on a dropped keep-alive."""
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = self._connect()
            try:
                self._conn.request(method, self.prefix + path, body=body, headers=headers,
                                   encode_chunked=stream)
                return self._conn.getresponse()
            except (ConnectionRefusedError, socket.gaierror, socket.timeout) as e:
                self.close()
                raise Unavailable("cannot reach the gateway at %s: %s" % (self.url, e)) from e
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self.close()
                if attempt or stream:
                    raise Unavailable("the gateway at %s closed the connection: %s"
                                      % (self.url, e)) from e
            except OSError as e:
                self.close()
                raise Unavailable("cannot reach the gateway at %s: %s" % (self.url, e)) from e

    @staticmethod
    def _error(resp, data):
        try:
            e = json.loads(data)
            code, message = e.get("code", "UNKNOWN"), e.get("message", "")
        except ValueError:
            code, message = "UNKNOWN", data[:300].decode("utf-8", "replace")
        ra = resp.getheader("Retry-After")
        return error_for(code, message, http_status=resp.status,
                         retry_after=float(ra) if ra and ra.replace(".", "", 1).isdigit() else None)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- calls ----

    def summarize(self, body, title=None, deadline_ms=None, traceparent=None, **options):
        """Summarizes one article. options: sentences=, words=, chars=, ratio= (one), language=,
        explain=, article_id=, weights={name: value}, and any other request field by its JSON
        name. Returns a Summary; raises a LedeError subclass (InvalidArgument, Unauthenticated,
        ResourceExhausted, Unavailable, DeadlineExceeded, ...) otherwise."""
        req = request_of(body, title, **options)
        resp = self._send("POST", "/v1/summarize", json.dumps(req).encode("utf-8"),
                          self._headers(deadline_ms, traceparent))
        data = resp.read()
        if resp.status != 200:
            raise self._error(resp, data)
        return Summary(json.loads(data))

    def summarize_batch(self, requests, deadline_ms=None, traceparent=None):
        """Summarizes many articles in one streamed call (/v1/summarize:batch). requests: an
        iterable of dicts made by request_of() (or plain request dicts), sent as NDJSON while
        it is read. Yields, in order, a Summary or a LedeError instance (not raised) per
        request; raises a LedeError when the whole call fails."""
        def lines():
            for r in requests:
                yield (json.dumps(r) + "\n").encode("utf-8")
        resp = self._send("POST", "/v1/summarize:batch", lines(),
                          self._headers(deadline_ms, traceparent, "application/x-ndjson"),
                          stream=True)
        if resp.status != 200:
            raise self._error(resp, resp.read())
        while True:
            line = resp.readline()
            if not line:
                break
            if not line.strip():
                continue
            obj = json.loads(line)
            if "code" in obj and "message" in obj and "sentences" not in obj:
                yield error_for(obj["code"], obj["message"])
            else:
                yield Summary(obj)
        self.close()  # a streamed answer ends the connection's reuse here

    def ready(self):
        """True when the gateway's /readyz says it has a broker."""
        try:
            resp = self._send("GET", "/readyz", None, {})
            resp.read()
            return resp.status == 200
        except LedeError:
            return False
