"""The ZeroMQ client (optional: needs pyzmq): talks to lede-broker frontends directly, with the
same fail-fast rules as liblede-client: no broker connected for `unreachable_s` (watched through
each socket's monitor) -> Unavailable; a broker that answers UNAVAILABLE itself (no worker) is
not asked again, the next broker is; a call that gets no reply within `resend_s` is re-sent
(same call id) to the next broker; duplicates are dropped. The only connected broker is not sent
a call again while its link has stayed up since the call went out: it has the call (a copy would
be more work for it, as liblede-client also holds)."""
import time
import uuid

try:
    import zmq
    from zmq.utils.monitor import recv_monitor_message
except ImportError as e:  # pragma: no cover - exercised by the tests without pyzmq
    zmq = None
    _IMPORT_ERROR = e

from . import wire
from .errors import DeadlineExceeded, Unauthenticated, Unavailable, error_for
from .http import request_of
from .summary import Summary


class BrokerClient:
    def __init__(self, endpoints, resend_s=1.0, attempts=5, unreachable_s=1.0,
                 wait_for_ready=False):
        if zmq is None:
            raise ImportError("lede.BrokerClient needs pyzmq (pip install 'lede-client[zmq]', or "
                              "Debian's python3-zmq); lede.Client speaks HTTP without it: %s"
                              % _IMPORT_ERROR)
        if isinstance(endpoints, str):
            endpoints = [e.strip() for e in endpoints.split(",") if e.strip()]
        if not endpoints:
            raise ValueError("no broker endpoint")
        self.ctx = zmq.Context()
        self.endpoints = endpoints
        self.socks, self.mons = [], []
        self.up = [False] * len(endpoints)
        self.failed = [0] * len(endpoints)
        self.handshake_failed = [False] * len(endpoints)
        self.down_since = [time.monotonic()] * len(endpoints)
        for ep in endpoints:
            s = self.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.IMMEDIATE, 1)
            s.setsockopt(zmq.RECONNECT_IVL, 100)
            s.setsockopt(zmq.CONNECT_TIMEOUT, int(unreachable_s * 1000))
            self.mons.append(s.get_monitor_socket(
                zmq.EVENT_CONNECT_RETRIED | zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED |
                zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH))
            s.connect(ep)
            self.socks.append(s)
        self.poller = zmq.Poller()
        for s in self.socks + self.mons:
            self.poller.register(s, zmq.POLLIN)
        self.resend_s, self.attempts = resend_s, attempts
        self.unreachable_s = unreachable_s
        self.wait_for_ready = wait_for_ready
        self._tcp = [False] * len(endpoints)

    def close(self):
        for s in self.socks:
            s.disable_monitor()
        for s in self.mons + self.socks:
            s.close(0)
        self.ctx.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _monitor(self, i):
        while self.mons[i].poll(0):
            ev = recv_monitor_message(self.mons[i])["event"]
            if ev == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.up[i], self.handshake_failed[i] = True, False
            elif ev == zmq.EVENT_CONNECTED:
                self._tcp[i] = True
            else:
                if self.up[i] or not self.failed[i]:
                    self.down_since[i] = time.monotonic()
                self.up[i] = False
                self.failed[i] += 1
                if ev in (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                          zmq.EVENT_HANDSHAKE_FAILED_AUTH):
                    self.handshake_failed[i] = True
                elif ev == zmq.EVENT_CONNECT_RETRIED:
                    if not self._tcp[i]:
                        self.handshake_failed[i] = False
                    self._tcp[i] = False

    def call(self, method, payload, timeout_ms=10000, metadata=None):
        """One call; returns the reply dict (status OK) or raises a LedeError."""
        call_id = uuid.uuid4().hex
        start = time.monotonic()
        deadline = start + timeout_ms / 1000.0
        refused, sends, last = set(), 0, None
        next_send, k = start, 0
        must, last_i, last_fail = True, None, 0  # must: a send is owed (not a timer's resend)
        while True:
            now = time.monotonic()
            if now >= deadline:
                raise DeadlineExceeded("no reply within %d ms (%d sends)" % (timeout_ms, sends))
            for i in range(len(self.socks)):
                self._monitor(i)
            due = now >= next_send and sends < self.attempts
            if (due and not must and self.up[last_i] and self.failed[last_i] == last_fail and
                    sum(self.up) == 1):
                next_send = now + self.resend_s  # the only broker up has it: keep waiting
            elif due:
                sent = False
                for j in range(len(self.socks)):
                    i = (k + j) % len(self.socks)
                    if i in refused:
                        continue
                    frame = wire.encode_call(call_id, method, max(1, int((deadline - now) * 1000)),
                                             payload, metadata, self.wait_for_ready)
                    try:
                        self.socks[i].send(frame, zmq.DONTWAIT)
                    except zmq.Again:
                        continue  # not connected (IMMEDIATE): try the next broker
                    k, sends, sent = i + 1, sends + 1, True
                    must, last_i, last_fail = False, i, self.failed[i]
                    next_send = now + self.resend_s * sends
                    break
                if not sent:
                    nowhere = all(i in refused or (not self.up[i] and self.failed[i] and
                                                   now - self.down_since[i] >= self.unreachable_s)
                                  for i in range(len(self.socks)))
                    if nowhere:
                        if last is not None:
                            raise error_for(last["status"], last["message"])
                        if any(self.handshake_failed):
                            raise Unauthenticated("the handshake with %s failed (CURVE key?)"
                                                  % ", ".join(self.endpoints))
                        raise Unavailable("no broker reachable for %.0f ms: %s" % (
                            self.unreachable_s * 1000, ", ".join(self.endpoints)))
                    next_send = now + 0.02
            wait = max(0.0, min(deadline, next_send) - time.monotonic())
            for sock, _ in self.poller.poll(int(wait * 1000) + 1):
                if sock in self.mons:
                    continue
                i = self.socks.index(sock)
                self.up[i] = True
                try:
                    r = wire.decode_reply(sock.recv())
                except ValueError:
                    continue
                if r["callId"] != call_id:
                    continue
                from_broker = r["servedBy"] in ("", "broker")
                if r["status"] == 14 and from_broker:  # UNAVAILABLE from the broker itself
                    refused.add(i)
                    last = r
                    if len(refused) == len(self.socks):
                        raise error_for(r["status"], r["message"])
                    next_send, must = time.monotonic(), True
                    continue
                if r["status"] == 8 and from_broker and sends < self.attempts:  # queue full
                    next_send, must = time.monotonic() + 0.05 * 2 ** sends, True
                    continue
                if r["status"] != 0:
                    raise error_for(r["status"], r["message"])
                return r

    def summarize(self, body, title=None, timeout_ms=10000, trace_id=None, **options):
        """Like Client.summarize, over ZeroMQ. Returns a Summary (the same shape)."""
        req = request_of(body, title, **options)
        md = {"trace-id": trace_id} if trace_id else None
        r = self.call(wire.METHOD, wire.encode_request(req), timeout_ms, md)
        return Summary(wire.decode_response(r["payload"]))
