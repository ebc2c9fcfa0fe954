"""fault.py: what lede's fault tests share on top of tests/integration/harness.py: a multi-client
load driver that records every reply by call id (so lost and duplicated replies are caught), a
broker's peak memory from /proc, and whether this is a sanitizer build (loads are scaled down
there, and memory bounds widened, saying so)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402,F401

zmq = h.zmq
pb = h.pb


sanitized = h.sanitized  # the harness decides peers' liveness by it too


def proc_kb(pid, field):
    """A field of /proc/PID/status in kB (VmRSS, VmHWM), or 0 when the process is gone."""
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Load:
    """n_clients DEALER sockets (one per simulated client) to one or more frontends, each keeping
    `window` calls in flight until `total` calls are sent. Every reply is recorded by call id:
    replies[call_id] = Reply, dup counts second replies, unknown counts ids never sent."""

    def __init__(self, endpoints, n_clients, window, total, payload, timeout_ms=30000,
                 method=h.METHOD):
        if isinstance(endpoints, str):
            endpoints = [endpoints]
        self.ctx = zmq.Context.instance()
        self.socks = []
        for i in range(n_clients):
            s = self.ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.RCVHWM, 0)
            s.setsockopt(zmq.SNDHWM, 0)
            s.connect(endpoints[i % len(endpoints)])
            self.socks.append(s)
        self.window, self.total, self.payload = window, total, payload
        self.timeout_ms, self.method = timeout_ms, method
        self.sent = 0
        self.pending = [dict() for _ in self.socks]  # call_id -> send time
        self.replies = {}
        self.latency = {}
        self.dup = 0
        self.unknown = 0
        self.order = []

    def _send(self, i):
        cid = "c%d-%d" % (i, self.sent)
        c = pb.Call(call_id=cid, method=self.method, timeout_ms=self.timeout_ms,
                    payload=self.payload)
        self.socks[i].send(h.frame(pb.CALL, c.SerializeToString()))
        self.pending[i][cid] = time.time()
        self.sent += 1

    def fill(self):
        for i in range(len(self.socks)):
            while self.sent < self.total and len(self.pending[i]) < self.window:
                self._send(i)

    def outstanding(self):
        return sum(len(p) for p in self.pending)

    def step(self, timeout=0.1):
        """Sends up to the window, waits up to timeout for replies, records them; returns how
        many replies arrived."""
        self.fill()
        poller = zmq.Poller()
        for s in self.socks:
            poller.register(s, zmq.POLLIN)
        got = 0
        for s, _ in poller.poll(int(timeout * 1000)):
            i = self.socks.index(s)
            while True:
                try:
                    data = s.recv(zmq.NOBLOCK)
                except zmq.Again:
                    break
                got += 1
                if len(data) < 6 or data[:4] != b"LEDE" or data[5] != pb.REPLY:
                    self.unknown += 1
                    continue
                r = pb.Reply.FromString(data[6:])
                if r.call_id in self.replies:
                    self.dup += 1
                elif r.call_id in self.pending[i]:
                    self.latency[r.call_id] = time.time() - self.pending[i].pop(r.call_id)
                    self.replies[r.call_id] = r
                    self.order.append((time.time(), r.call_id))
                else:
                    self.unknown += 1
        return got

    def done(self):
        return self.sent >= self.total and self.outstanding() == 0

    def run(self, limit_s, on_progress=None):
        end = time.time() + limit_s
        while not self.done() and time.time() < end:
            self.step(0.05)
            if on_progress:
                on_progress(self)
        # late duplicates would arrive shortly after the last reply
        for _ in range(3):
            self.step(0.1)

    def statuses(self):
        out = {}
        for r in self.replies.values():
            name = pb.Status.Name(r.status)
            out[name] = out.get(name, 0) + 1
        return out

    def served(self):
        out = {}
        for r in self.replies.values():
            if r.status == pb.OK:
                out[r.served_by] = out.get(r.served_by, 0) + 1
        return out

    def check_exactly_once_ok(self):
        """Every call sent got exactly one reply, and each is OK."""
        lost = self.outstanding()
        h.check(self.sent == self.total, "only %d of %d calls were sent" % (self.sent, self.total))
        h.check(lost == 0, "%d calls never answered (lost)" % lost)
        h.check(self.dup == 0, "%d duplicate replies" % self.dup)
        h.check(self.unknown == 0, "%d replies for unknown call ids or malformed" % self.unknown)
        h.check(len(self.replies) == self.total, "%d replies for %d calls" % (
            len(self.replies), self.total))
        bad = [(k, pb.Status.Name(r.status), r.message) for k, r in self.replies.items()
               if r.status != pb.OK]
        h.check(not bad, "%d calls not OK, e.g. %s" % (len(bad), bad[:3]))

    def close(self):
        for s in self.socks:
            s.close(0)


_capacity_flag = None


def capacity_args(n):
    """["--capacity", n] when lede-worker has that option (a worker's credit at the broker,
    which otherwise defaults to more than its threads), else [] (credit = threads)."""
    global _capacity_flag
    if _capacity_flag is None:
        import subprocess
        out = subprocess.run([h.binary("lede-worker"), "--help"], capture_output=True, timeout=10)
        _capacity_flag = b"--capacity" in out.stdout + out.stderr
    return ["--capacity", str(n)] if _capacity_flag else []
