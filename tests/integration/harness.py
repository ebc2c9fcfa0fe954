"""harness.py: what lede's integration tests share: finding the binaries ($LEDE_BIN), starting a
broker (ports chosen by the kernel, learnt from --ready-file) and workers as real processes,
stopping every one of them on exit, generating lede_pb2 from proto/lede.proto into a temp dir,
and a small DEALER client that speaks docs/PROTOCOL.md."""
import atexit
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

SKIP = 77
SRC = os.environ.get("LEDE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("LEDE_BIN") or os.path.join(SRC, "build", "bin")
EVAL = os.environ.get("LEDE_EVAL_DIR", "")
METHOD = "lede.v1.Summarizer/Summarize"

_procs = []
TMP = tempfile.mkdtemp(prefix="lede-it-")


def log(*a):
    print(*a, flush=True)


def fail(msg):
    log("FAIL: " + msg)
    sys.exit(1)


CI = os.environ.get("CI") == "true"


def skip(msg):
    """A program, binary or data file the test needs is missing: skipped (77), saying why, but
    a failure under CI=true, where everything a test needs is installed and built."""
    if CI:
        fail(msg + " (CI=true: a missing program, binary or data file is a failure, not a skip)")
    log("SKIP: " + msg)
    sys.exit(SKIP)


def skip_env(msg):
    """This machine cannot do what the test needs (no root for network namespaces, a sandbox
    that refuses a browser): skipped (77), saying why, CI or not."""
    log("SKIP (environment): " + msg)
    sys.exit(SKIP)


def eval_file(name, required=True):
    """The path of LEDE_EVAL_DIR/name. When it is absent: a failure under CI=true; else a skip
    when required, or None (the caller says what it does instead)."""
    path = os.path.join(EVAL, name) if EVAL else ""
    if path and os.path.exists(path):
        return path
    if required or CI:
        skip("evaluation data %s not found (set LEDE_EVAL_DIR)" % (path or name))
    log("note: evaluation data %s not found (LEDE_EVAL_DIR); going on without it" % (path or name))
    return None


def check(cond, msg):
    if not cond:
        fail(msg)


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGKILL)
            except OSError:
                pass
    for p in _procs:
        try:
            p.wait(timeout=5)
        except Exception:
            pass
    shutil.rmtree(TMP, ignore_errors=True)


atexit.register(_cleanup)


def _on_signal(sig, frame):
    sys.exit(1)  # runs atexit


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)

try:
    import zmq
except ImportError:
    skip("python3-zmq is not installed (scripts/deps.sh installs it)")


def load_pb2():
    """Generates lede_pb2.py with protoc into the temp dir and imports it."""
    protoc = shutil.which("protoc")
    if not protoc:
        skip("protoc is not installed (protobuf-compiler; scripts/deps.sh installs it)")
    out = os.path.join(TMP, "pb")
    os.makedirs(out, exist_ok=True)
    subprocess.run([protoc, "--python_out=" + out, "--proto_path=" + os.path.join(SRC, "proto"),
                    os.path.join(SRC, "proto", "lede.proto")], check=True)
    sys.path.insert(0, out)
    import lede_pb2  # noqa: E402
    return lede_pb2


pb = load_pb2()


def binary(name):
    path = os.path.join(BIN, name)
    if not os.access(path, os.X_OK):
        skip("%s is not built (looked in %s)" % (name, BIN))
    return path


def spawn(argv, logname, env=None, wrap=None):
    """Starts a process with stderr/stdout to TMP/logname; it is killed at exit if still running."""
    f = open(os.path.join(TMP, logname), "wb")
    full = (wrap or []) + argv
    p = subprocess.Popen(full, stdout=f, stderr=subprocess.STDOUT, env=env)
    p.logpath = os.path.join(TMP, logname)
    _procs.append(p)
    return p


def read_log(p):
    with open(p.logpath, "rb") as f:
        return f.read().decode("utf-8", "replace")


def stop(p, sig=signal.SIGTERM, timeout=15):
    """Signals p and waits for it; returns its exit code."""
    if p.poll() is None:
        p.send_signal(sig)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("%s did not exit within %d s after signal %d" % (p.args, timeout, sig))


@functools.lru_cache(maxsize=None)
def sanitized():
    """True when LEDE_BUILD_DIR was configured with -DLEDE_SANITIZE=... (read once)."""
    cache = os.path.join(os.environ.get("LEDE_BUILD_DIR", ""), "CMakeCache.txt")
    try:
        for line in open(cache):
            if line.startswith("LEDE_SANITIZE:") and line.strip().split("=", 1)[1]:
                return True
    except OSError:
        pass
    return False


def liveness(extra):
    """["--liveness", "10"] in a sanitizer build unless the test sets its own: there, on a loaded
    2-core machine, a broker or worker busy with a large call missed 3 beats of 200 ms and its
    peer took it for dead (calls given up after 3 re-dispatches). Tests of expiry set theirs."""
    return [] if "--liveness" in extra or not sanitized() else ["--liveness", "10"]


class Broker:
    def __init__(self, name="broker", host="127.0.0.1", extra=(), wrap=None, frontend=None,
                 backend=None):
        ready = os.path.join(TMP, name + ".ready")
        fe = frontend or "tcp://%s:*" % host
        be = backend or "tcp://%s:*" % host
        self.proc = spawn([binary("lede-broker"), "--frontend", fe, "--backend", be,
                           "--ready-file", ready, "--log-level", "debug"] + list(extra) +
                          liveness(extra), name + ".log", wrap=wrap)
        deadline = time.time() + 10
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                fail("broker exited at start:\n" + read_log(self.proc))
            if time.time() > deadline:
                fail("broker did not write its ready file")
            time.sleep(0.02)
        kv = dict(line.split("=", 1) for line in open(ready).read().split())
        self.frontend = kv["frontend"]
        self.backend = kv["backend"]

    def stats(self, timeout=5.0):
        import json
        c = Client(self.frontend)
        r = c.call("lede.v1.Broker/Stats", b"", timeout_ms=int(timeout * 1000)).get(timeout)
        c.close()
        check(r is not None and r.status == pb.OK, "no stats from the broker")
        return json.loads(r.payload.decode())


def worker(brokers, name, threads=1, extra=(), wrap=None):
    if isinstance(brokers, str):
        brokers = [brokers]
    return spawn([binary("lede-worker"), "--broker", ",".join(brokers), "--threads", str(threads),
                  "--name", name, "--heartbeat-ms", "200", "--reconnect-ms", "100",
                  "--verbose"] + list(extra) + liveness(extra), name + ".log", wrap=wrap)


def worker_stats(p):
    """The last 'stats' line of a worker's log, as a dict of ints."""
    # logfmt: "... msg=stats at=exit calls=3 ...", JSON: {"msg":"stats","at":"exit",...}
    lines = [ln for ln in read_log(p).splitlines()
             if re.search(r'(msg=|"msg":)"?stats\b', ln) or " stats at=" in ln]
    if not lines:
        return None
    out = {}
    for k, v in re.findall(r'"?([a-z_]+)"?[=:]"?([A-Za-z0-9_.:-]*)', lines[-1].split("stats", 1)[1]):
        out[k] = int(v) if v.isdigit() else v
    return out


def frame(command, body=b"", version=1):
    return b"LEDE" + bytes([version, command]) + body


def summarize_request(body, title=b"", explain=False, **budget):
    if isinstance(body, str):
        body = body.encode()
    if isinstance(title, str):
        title = title.encode()
    return pb.SummarizeRequest(article_id="a", body=body, title=title, explain=explain,
                               **budget).SerializeToString()


class Pending:
    def __init__(self, client, call_id):
        self.client = client
        self.call_id = call_id

    def get(self, timeout=10.0):
        return self.client.wait(self.call_id, timeout)


class Client:
    """One DEALER to one broker frontend; replies matched by call id, duplicates counted."""

    def __init__(self, endpoint, ctx=None):
        self.ctx = ctx or zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.replies = {}
        self.duplicates = 0
        self.malformed = 0
        self.sent = set()

    def send_raw(self, data):
        self.sock.send(data)

    def call(self, method, payload, timeout_ms=10000, call_id=None, wait_for_ready=True):
        # wait_for_ready: queue while no worker is registered (these tests start workers late);
        # False: the broker answers UNAVAILABLE at once when no worker serves the method
        call_id = call_id or uuid.uuid4().hex
        c = pb.Call(call_id=call_id, method=method, timeout_ms=timeout_ms, payload=payload,
                    wait_for_ready=wait_for_ready)
        self.sent.add(call_id)
        self.sock.send(frame(pb.CALL, c.SerializeToString()))
        return Pending(self, call_id)

    def recv_one(self, timeout):
        if not self.sock.poll(int(timeout * 1000)):
            return None
        data = self.sock.recv()
        if len(data) < 6 or data[:4] != b"LEDE" or data[5] != pb.REPLY:
            self.malformed += 1
            return None
        r = pb.Reply.FromString(data[6:])
        if r.call_id in self.replies:
            self.duplicates += 1
        else:
            self.replies[r.call_id] = r
        return r

    def wait(self, call_id, timeout=10.0):
        end = time.time() + timeout
        while call_id not in self.replies:
            left = end - time.time()
            if left <= 0:
                return None
            self.recv_one(left)
        return self.replies[call_id]

    def close(self):
        self.sock.close(0)


def wait_registered(broker, n, timeout=10.0):
    """Waits until the broker has n ready workers."""
    end = time.time() + timeout
    while time.time() < end:
        if broker.stats()["workers_ready"] >= n:
            return
        time.sleep(0.05)
    fail("the broker did not see %d workers within %.0f s" % (n, timeout))


SAMPLE = (
    "Seoul, Nov. 14 (Lede) -- The city council of Harbor Town approved a new budget on Tuesday "
    "that doubles spending on public transport, officials said.\n"
    "The plan, backed by Mayor Ana Ruiz, adds 40 electric buses and extends two tram lines by "
    "2027.\n"
    "Critics said the 1.2 billion dollar budget relies on optimistic tax forecasts.\n"
    "\"We cannot wait another decade for better buses,\" Ruiz told reporters after the vote.\n"
    "The council voted 9 to 4 in favour of the plan after a six-hour debate.\n"
    "Opposition member Tom Reed said the city should first repair its roads.\n"
    "The budget also funds 300 new teachers and a library in the northern district.\n"
    "Transport workers' unions welcomed the decision and called off a planned strike.\n"
    "The new buses are expected to enter service in the spring.\n")


def sample_article():
    """The Yonhap seed article if the evaluation data is there, else a built-in one (under
    CI=true the data must be there)."""
    path = eval_file("seed-yonhap.txt", required=False)
    if path:
        return open(path, "rb").read()
    return SAMPLE.encode()
