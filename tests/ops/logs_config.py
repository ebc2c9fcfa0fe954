#!/usr/bin/python3
"""logs_config.py: the logs and settings of real lede-broker and lede-worker processes.
JSON lines (--log-format json) that all parse, with level and component; a call sent with
"trace-id" metadata is followed by call_id and trace_id in the broker's and the worker's debug
lines; at the default level no line names a call that succeeded; every option of both --help
texts shows its flag, variable and config-file key; a flag beats a variable, which beats the
config file; a bad value stops start-up with exit 2 and a message naming the setting and where
it came from."""
import json
import os
import re
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402

pb = h.pb
broker_bin, worker_bin = h.binary("lede-broker"), h.binary("lede-worker")


def run(argv, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run(argv, capture_output=True, text=True, timeout=20, env=env)


def call_with_trace(client, call_id, trace):
    c = pb.Call(call_id=call_id, method=h.METHOD, timeout_ms=20000,
                payload=h.summarize_request(h.SAMPLE),
                metadata=[pb.MetadataEntry(key="trace-id", value=trace)])
    client.sent.add(call_id)
    client.sock.send(h.frame(pb.CALL, c.SerializeToString()))
    return h.Pending(client, call_id)


def json_lines(text, who):
    out = []
    for ln in text.splitlines():
        if not ln.strip():
            continue
        try:
            d = json.loads(ln)
        except ValueError:
            h.fail("%s wrote a line that is not JSON: %r" % (who, ln))
        h.check(d.get("component") in ("broker", "worker") and d.get("level") and d.get("ts"),
                "%s: a line without ts/level/component: %r" % (who, ln))
        out.append(d)
    return out


# ---- --help: all three forms of every option ----
for b, prefix in ((broker_bin, "LEDE_BROKER_"), (worker_bin, "LEDE_WORKER_")):
    r = run([b, "--help"])
    h.check(r.returncode == 0, "%s --help exit %d" % (b, r.returncode))
    lines = r.stdout.splitlines()
    names = []
    for i, ln in enumerate(lines):
        m = re.match(r"^  --([a-z][a-z0-9-]*)", ln)
        if not m or m.group(1) in ("help",):
            continue
        name = m.group(1).split(",")[0]
        names.append(name)
        var = prefix + name.upper().replace("-", "_")
        key = "" if name == "config" else "%s =" % name  # the file itself has no key
        h.check(i + 1 < len(lines) and var in lines[i + 1] and key in lines[i + 1],
                "%s --help: --%s does not show %s and its file key" % (b, name, var))
    for must in ("metrics", "log-level", "log-format", "config"):
        h.check(must in names, "%s --help has no --%s" % (b, must))
    h.log("%s --help: %d options, each with flag, variable and file key" %
          (os.path.basename(b), len(names)))

# ---- bad values stop start-up, naming the setting and its source ----
r = run([broker_bin], {"LEDE_BROKER_QUEUE_MAX": "12x"})
h.check(r.returncode == 2 and "--queue-max" in r.stderr and "LEDE_BROKER_QUEUE_MAX" in r.stderr,
        "bad LEDE_BROKER_QUEUE_MAX: exit %d, %r" % (r.returncode, r.stderr))
conf = os.path.join(h.TMP, "bad-worker.conf")
with open(conf, "w") as f:
    f.write("# a worker\nbroker = tcp://127.0.0.1:1\nthreads = 0\n")
r = run([worker_bin, "--config", conf])
h.check(r.returncode == 2 and "--threads" in r.stderr and conf in r.stderr,
        "threads = 0 in a config file: exit %d, %r" % (r.returncode, r.stderr))
with open(conf, "w") as f:
    f.write("broker = tcp://127.0.0.1:1\nthreadz = 2\n")
r = run([worker_bin], {"LEDE_WORKER_CONFIG": conf})
h.check(r.returncode == 2 and "threadz" in r.stderr, "unknown key: exit %d, %r" %
        (r.returncode, r.stderr))
r = run([broker_bin, "--log-format", "xml"])
h.check(r.returncode == 2 and "--log-format" in r.stderr and "command line" in r.stderr,
        "--log-format xml: exit %d, %r" % (r.returncode, r.stderr))
r = run([worker_bin, "--broker", "tcp://127.0.0.1:1", "--metrics", "nohost"])
h.check(r.returncode == 2 and "--metrics" in r.stderr, "--metrics nohost: exit %d, %r" %
        (r.returncode, r.stderr))
h.log("bad values: exit 2 with the setting and its source named (%s)" % r.stderr.strip())

# ---- JSON logs, trace ids on call lines (debug) ----
# the format from a config file, the level from a variable, and a flag beating both
bconf = os.path.join(h.TMP, "broker.conf")
with open(bconf, "w") as f:
    f.write("log-format = logfmt\nlog_level = warn\n")
os.environ["LEDE_BROKER_LOG_FORMAT"] = "json"  # beats the file
b = h.Broker(extra=("--config", bconf))       # harness passes --log-level debug: beats the file
del os.environ["LEDE_BROKER_LOG_FORMAT"]
w = h.worker(b.backend, "wj", extra=("--log-format", "json"))
h.wait_registered(b, 1)
c = h.Client(b.frontend)
trace = "trace-" + uuid.uuid4().hex[:12]
cid = uuid.uuid4().hex
r = call_with_trace(c, cid, trace).get(20)
h.check(r is not None and r.status == pb.OK, "the traced call failed: %s" % r)
c.close()
h.check(h.stop(w) == 0 and h.stop(b.proc) == 0, "a process did not exit 0")
blines = json_lines(h.read_log(b.proc), "broker")
h.check(any(d.get("msg") == "lede-broker stats (exit)" and json.loads(d["stats"]) for d in blines),
        "no JSON stats line at exit")
wlines = json_lines(h.read_log(w), "worker")
bcall = [d for d in blines if d.get("call_id") == cid]
wcall = [d for d in wlines if d.get("call_id") == cid]
h.check(bcall and all(d.get("trace_id") == trace for d in bcall),
        "no broker line with call_id and trace_id: %s" % bcall)
h.check(wcall and all(d.get("trace_id") == trace for d in wcall),
        "no worker line with call_id and trace_id: %s" % wcall)
h.check(any(d.get("level") == "debug" for d in blines), "the broker's --log-level debug flag lost")
h.log("JSON logs: broker %d lines, worker %d; the call's lines carry trace_id: broker %r, worker %r"
      % (len(blines), len(wlines), bcall[0]["msg"], wcall[0]["msg"]))

# ---- the default level: no line per successful call ----
b = h.Broker(name="quiet", extra=("--log-level", "info"))
w = h.spawn([worker_bin, "--broker", b.backend, "--threads", "2", "--name", "wq"], "wq.log")
h.wait_registered(b, 1)
c = h.Client(b.frontend)
ids = [c.call(h.METHOD, h.summarize_request(h.SAMPLE), timeout_ms=20000) for _ in range(40)]
got = [p.get(20) for p in ids]
h.check(all(x is not None and x.status == pb.OK for x in got), "a call failed at the default level")
c.close()
h.check(h.stop(w) == 0 and h.stop(b.proc) == 0, "a process did not exit 0")
logs = h.read_log(b.proc) + h.read_log(w)
named = [p.call_id for p in ids if p.call_id in logs]
h.check(not named, "%d successful calls were logged at the default level" % len(named))
h.log("40 calls at the default level: broker %d lines, worker %d lines, none about a call" %
      (len(h.read_log(b.proc).splitlines()), len(h.read_log(w).splitlines())))
h.log("PASS")
