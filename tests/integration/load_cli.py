#!/usr/bin/python3
"""load_cli.py: lede-load against a real lede-broker and lede-worker (real engine) that this
test starts on kernel-chosen ports: closed loop by count, open loop by rate, a folder of
articles, the JSON and CSV outputs agreeing with what the broker counted, options from a
variable and a --config file, deadline errors
with no worker (exit 2, errors by status, nothing lost), and bad input rejected. Small and
not timed: it checks counts and consistency, not speed."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

LOAD = h.binary("lede-load")


def run_load(args, expect_rc, timeout=60, env=None):
    p = subprocess.run([LOAD, "--no-progress"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout, env=env)
    out, err = p.stdout.decode(), p.stderr.decode()
    h.check(p.returncode == expect_rc, "lede-load %s: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s"
            % (" ".join(args), p.returncode, expect_rc, out, err))
    return out, err


def read_json(path):
    with open(path) as f:
        return json.load(f)


def check_result(r, sent, mode):
    for k in ("sent", "ok", "errors", "lost", "duplicates", "throughput_rps", "latency_us",
              "duration_s"):
        h.check(k in r, "JSON has no %r: %r" % (k, r))
    h.check(r["mode"] == mode, "mode %r, expected %r" % (r["mode"], mode))
    h.check(r["sent"] == sent, "sent %d, expected %d" % (r["sent"], sent))
    h.check(r["ok"] == sent, "ok %d of %d: %r" % (r["ok"], sent, r))
    h.check(r["errors"] == {} and r["lost"] == 0 and r["duplicates"] == 0, "errors: %r" % r)
    lat = r["latency_us"]
    h.check(0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"],
            "latency percentiles out of order: %r" % lat)
    h.check(lat["max"] < 60 * 1000000, "a call took over a minute: %r" % lat)
    h.check(r["duration_s"] > 0 and r["throughput_rps"] > 0, "no throughput: %r" % r)
    h.check(abs(r["throughput_rps"] * r["duration_s"] - r["ok"]) < 1.0,
            "throughput x duration != ok: %r" % r)
    cpu = r["load_cpu"]
    h.check(cpu["user_s"] >= 0 and cpu["sys_s"] >= 0, "cpu: %r" % cpu)


def main():
    # a small corpus of distinct articles written here (no evaluation data needed)
    base = h.SAMPLE.splitlines()
    data = os.path.join(h.TMP, "articles.jsonl")
    with open(data, "w") as f:
        for i in range(12):
            lines = base[i % len(base):] + base[:i % len(base)]
            f.write(json.dumps({"id": "a%d" % i, "title": "Budget story %d" % i,
                                "article": "\n".join(lines)}) + "\n")
    folder = os.path.join(h.TMP, "articles")
    os.makedirs(folder)
    for i in range(3):
        with open(os.path.join(folder, "a%d.txt" % i), "w") as f:
            f.write("\n".join(base[i:] + base[:i]))

    broker = h.Broker()
    w = h.worker(broker.backend, "w1", threads=2)
    h.wait_registered(broker, 1)
    before = broker.stats()["replies"]["OK"]

    # closed loop, a fixed count: every call answered once, JSON and table agree
    js = os.path.join(h.TMP, "closed.json")
    csv = os.path.join(h.TMP, "closed.csv")
    out, _ = run_load(["--broker", broker.frontend, "--data", data, "--concurrency", "4",
                       "--requests", "60", "--json", js, "--timeline", csv], 0)
    r = read_json(js)
    check_result(r, 60, "closed")
    h.check(r["articles"] == 12, "articles %r" % r["articles"])
    h.check("ok                     60" in out, "the table does not show 60 OK:\n" + out)
    rows = open(csv).read().splitlines()
    h.check(rows[0].startswith("t_s,sent,ok,errors"), "CSV header: %r" % rows[0])
    h.check(sum(int(x.split(",")[2]) for x in rows[1:]) <= 60, "CSV counts more OK than sent")
    # the broker answered exactly those 60 (plus our stats calls, which it counts as OK too)
    after = broker.stats()["replies"]["OK"]
    h.check(after - before >= 60 and after - before <= 62,
            "the broker counted %d OK replies, lede-load 60" % (after - before))

    # open loop: 40 calls at 200/s take about 0.2 s to send; latency is from intended times
    js = os.path.join(h.TMP, "open.json")
    run_load(["--broker", broker.frontend, "--data", data, "--rate", "200", "--requests", "40",
              "--json", js], 0)
    r = read_json(js)
    check_result(r, 40, "open")
    h.check(r["send_s"] >= 0.18, "40 calls at 200/s were sent in %.3f s" % r["send_s"])
    h.check("send_lag_us" in r, "open loop reports no send lag")

    # a folder of articles, repeated --broker, by duration
    js = os.path.join(h.TMP, "dir.json")
    run_load(["--broker", broker.frontend, "--broker", broker.frontend, "--data", folder,
              "--concurrency", "2", "--duration", "0.5", "--json", js], 0)
    r = read_json(js)
    h.check(r["articles"] == 3 and r["sent"] > 0 and r["ok"] == r["sent"], "dir run: %r" % r)

    # the option table: --requests from LEDE_LOAD_REQUESTS, --concurrency and --json from a
    # --config file, a flag (--concurrency 3) over the file
    js = os.path.join(h.TMP, "conf.json")
    conf = os.path.join(h.TMP, "load.conf")
    with open(conf, "w") as f:
        f.write("concurrency = 2\njson = %s\n" % js)
    env = dict(os.environ, LEDE_LOAD_REQUESTS="10")
    run_load(["--config", conf, "--broker", broker.frontend, "--data", data], 0, env=env)
    r = read_json(js)
    check_result(r, 10, "closed")
    h.check(r["concurrency"] == 2, "concurrency from the file: %r" % r)
    run_load(["--config", conf, "--concurrency", "3", "--broker", broker.frontend, "--data", data],
             0, env=env)
    r = read_json(js)
    h.check(r["sent"] == 10 and r["concurrency"] == 3, "the flag over the file: %r" % r)

    # no worker: every call ends DEADLINE_EXCEEDED, none lost, exit 2
    h.stop(w)
    h.wait_registered(broker, 0)
    js = os.path.join(h.TMP, "deadline.json")
    run_load(["--broker", broker.frontend, "--data", data, "--concurrency", "3", "--requests",
              "6", "--deadline", "300", "--json", js], 2)
    r = read_json(js)
    h.check(r["sent"] == 6 and r["ok"] == 0 and r["lost"] == 0, "deadline run: %r" % r)
    h.check(r["errors"].get("DEADLINE_EXCEEDED", 0) + r["errors"].get("UNAVAILABLE", 0) == 6,
            "deadline run errors: %r" % r["errors"])

    # bad input: exit 1 with a message naming the problem
    _, err = run_load(["--broker", broker.frontend, "--data", os.path.join(h.TMP, "nope")], 1)
    h.check("nope" in err, "missing file not named: " + err)
    bad = os.path.join(h.TMP, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"article": "One. Two."}\n{"article": 3}\n')
    _, err = run_load(["--broker", broker.frontend, "--data", bad], 1)
    h.check("bad.jsonl:2" in err, "bad line not named: " + err)
    _, err = run_load(["--broker", broker.frontend, "--data", data, "--rate", "10",
                       "--concurrency", "2"], 1)
    _, err = run_load(["--broker", broker.frontend, "--data", data, "--rate", "-3"], 1)
    _, err = run_load(["--data", data], 1)
    h.check("--broker" in err, "missing --broker not named: " + err)
    h.stop(broker.proc)
    print("load_cli: 6 passed, 0 failed")


main()
