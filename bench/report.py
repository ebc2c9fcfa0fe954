#!/usr/bin/python3
"""report.py: the helper scripts/bench.sh calls. It builds the sized test articles, picks the
saturation rate, and turns the raw results (bench_engine's JSON lines, lede-load's JSON
objects, RSS lines) into docs/BENCHMARKS.md and the docs/bench-*.png plots (gnuplot).
Every figure is the median of the runs, with the same-run baseline and the ratio beside it."""
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import time

SIZES = [("1KB", 1 << 10, 200), ("4KB", 4 << 10, 200), ("64KB", 64 << 10, 20),
         ("1MB", 1 << 20, 4)]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def read_jsonl(path):
    out = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    return out


def loads(out_dir):
    """{label: [result, ...]} from load/LABEL.RUN.json"""
    res = {}
    for p in sorted(glob.glob(os.path.join(out_dir, "load", "*.json"))):
        label = os.path.basename(p).rsplit(".", 2)[0]
        try:
            res.setdefault(label, []).append(json.load(open(p)))
        except ValueError:
            pass
    return res


def cpu_per_call(out_dir, l, group, what):
    """Microseconds of CPU the processes named what used per call of the runs in group."""
    secs = [r["cpu_s"] for r in read_jsonl(os.path.join(out_dir, "cpu.jsonl"))
            if r["group"] == group and r["what"] == what]
    calls = sum(r["sent"] for k, v in l.items() if k.startswith(group) for r in v)
    if not secs or not calls:
        return None
    return secs[-1] * 1e6 / calls


def med(runs, key, sub=None):
    vals = []
    for r in runs or []:
        v = r.get(key)
        if sub is not None and isinstance(v, dict):
            v = v.get(sub)
        vals.append(v)
    return median(vals)


def saturation(out_dir):
    l = loads(out_dir)
    best = [(med(l.get("service_w%d" % w), "throughput_rps") or 0, w) for w in (1, 2)]
    return max(best)


def make_sized(data, out_dir):
    arts = [json.loads(x)["article"] for x in open(data) if x.strip()]
    for name, size, n in SIZES:
        with open(os.path.join(out_dir, "sized-%s.jsonl" % name), "w") as f:
            k = 0
            for i in range(n):
                parts, total = [], 0
                while total < size:
                    a = arts[k % len(arts)]
                    k += 1
                    parts.append(a)
                    total += len(a.encode()) + 1
                body = "\n".join(parts).encode()[:size].decode("utf-8", "ignore")
                body = body[:body.rfind(" ")] if " " in body else body
                f.write(json.dumps({"id": "%s-%d" % (name, i), "article": body}) + "\n")


def fmt(x, digits=0):
    if x is None:
        return "n/a"
    if digits == 0:
        return "{:,.0f}".format(x)
    return "{:,.{}f}".format(x, digits)


def ms(us):
    return "n/a" if us is None else "%.2f ms" % (us / 1000.0)


def ratio(a, b, digits=2):
    if a is None or not b:
        return "n/a"
    return "%.*fx" % (digits, a / b)


def verdict(ok):
    return "met" if ok else "**not met**"


def gnuplot(script, png):
    try:
        subprocess.run(["gnuplot"], input=script.encode(), check=True, timeout=60)
        return os.path.exists(png)
    except (OSError, subprocess.SubprocessError) as e:
        print("report: gnuplot failed for %s: %s" % (png, e), file=sys.stderr)
        return False


def langs_section(out_dir):
    """Section 5: bench_engine --mode langs and --mode detect (langs.jsonl), if they ran."""
    path = os.path.join(out_dir, "langs.jsonl")
    if not os.path.exists(path):
        return []
    rows = [r for r in read_jsonl(path) if r.get("bench") == "langs"]
    det = [r for r in read_jsonl(path) if r.get("bench") == "detect"]
    auto = [r for r in read_jsonl(path) if r.get("label") == "en-auto"]
    en = next((r["mb_per_cpu_s"] for r in rows if r["lang"] == "en"), 0)

    def ratio(r):  # to English timed in turns with it (newer runs), else to the English row
        return r["ratio"] if "ratio" in r else (r["mb_per_cpu_s"] / en if en else 0)

    golden = next((ratio(r) for r in rows if r["lang"] == "en-golden"), 0)
    out = ["## 5. Every language (one run, ratios to English)", "",
           "`bench_engine --data ../shared/eval --mode langs`: each language on its dev set where "
           "there is one, else on the texts of its golden-rules file (packed into 2 KB articles, one "
           "text a paragraph), else on English text told it is that language (its tables and "
           "stemmer on foreign words); the language given, one thread, MB/s per core (CPU time), "
           "each language timed in turns with English (bbc-dev) and its ratio taken to English in "
           "those turns. en-golden is English on its own golden-rules texts: the last column gives "
           "the golden-rule rows against it (the same kind of text).", "",
           "| language | text | MB/s per core | ratio to English (bbc-dev) | same kind of text |",
           "| --- | --- | --- | --- | --- |"]
    for r in rows:
        like = ratio(r) / golden if golden and r["source"] == "golden-rule texts" else ratio(r)
        out.append("| %s | %s | %.1f | %.2fx | %.2fx |" % (r["lang"], r["source"],
                                                          r["mb_per_cpu_s"], ratio(r), like))
    langs = [r for r in rows if r["lang"] != "en-golden"]
    if langs and (en or "ratio" in langs[0]):
        worst = min(langs, key=ratio)
        out += ["", "Slowest: %s at %.2fx English (target >= 0.5x)." % (worst["lang"], ratio(worst))]
    if auto:
        out += ["", "English with `lang: auto` (CLD2 on the first 1 KB of each article): %.1f MB/s "
                "per core, %.2fx English with the language given." %
                (auto[0]["mb_per_cpu_s"], auto[0]["mb_per_cpu_s"] / en if en else 0)]
    if det:
        out += ["", "Detection (`--mode detect`, CLD2, title and the first 1 KB of the body; CPU "
                "time per article):", "", "| set | detected as its language | mean | p99 | max |",
                "| --- | --- | --- | --- | --- |"]
        for r in det:
            out.append("| %s | %d of %d (%.2f%%) | %.0f us | %.0f us | %.0f us |" % (
                r["set"].replace(".jsonl", ""), r["detected"], r["articles"], r["share"],
                r["mean_us"], r["p99_us"], r["max_us"]))
    return out + [""]


def report(out_dir, docs, runs, seconds, elapsed):
    eng = read_jsonl(os.path.join(out_dir, "engine.jsonl"))
    l = loads(out_dir)
    rss = read_jsonl(os.path.join(out_dir, "rss.jsonl"))
    tmp = os.path.join(out_dir, "plot")
    os.makedirs(tmp, exist_ok=True)

    def e(system, label, key, threads=1):
        return median([r[key] for r in eng if r["system"] == system and r["label"] == label
                       and r["threads"] == threads])

    lede_apcs = e("lede", "corpus", "articles_per_cpu_s")
    lede_mbcs = e("lede", "corpus", "mb_per_cpu_s")
    lede_aps = e("lede", "corpus", "articles_per_s")
    lede_mbs = e("lede", "corpus", "mb_per_s")
    ots_apcs = e("ots", "corpus", "articles_per_cpu_s")
    ots_mbcs = e("ots", "corpus", "mb_per_cpu_s")
    ots_aps = e("ots", "corpus", "articles_per_s")
    dict_apcs = e("ots_dictionary_only", "corpus", "articles_per_cpu_s")
    lede2_aps = e("lede", "corpus", "articles_per_s", threads=2)
    # pairs: lede and OTS on exactly the same articles, one after the other; the median of
    # the pairs' own ratios is the figure
    lp = [r for r in eng if r["system"] == "lede" and r["label"] == "pair"]
    op = [r for r in eng if r["system"] == "ots" and r["label"] == "pair"]
    pairs = [(a, b) for a, b in zip(lp, op) if b["articles_per_cpu_s"]]
    run_ratios = [a["articles_per_cpu_s"] / b["articles_per_cpu_s"] for a, b in pairs]
    ots_ratio = median(run_ratios)
    pinned_aps = e("lede", "pinned", "articles_per_s")
    lede2_mbs = e("lede", "corpus", "mb_per_s", threads=2)
    avg_bytes = e("lede", "corpus", "avg_bytes")
    sizes = ["1KB", "4KB", "64KB", "1MB", "10MB"]
    nspb = {s: e("lede", s, "ns_per_byte") for s in sizes}
    scale_ratio = (nspb["10MB"] / nspb["4KB"]) if nspb["10MB"] and nspb["4KB"] else None

    bl64, bb64 = l.get("broker_lede_c64"), l.get("broker_bare_c64")
    bl1, bb1 = l.get("broker_lede_c1"), l.get("broker_bare_c1")
    sw1, sw2 = l.get("service_w1"), l.get("service_w2")
    tput = {k: med(l.get(k), "throughput_rps") for k in
            ("broker_lede_c64", "broker_bare_c64", "broker_lede_c1", "broker_bare_c1",
             "service_w1", "service_w2")}
    sat, best_w = saturation(out_dir)
    gen2 = [l.get("service_w1_gen2a"), l.get("service_w1_gen2b")]
    gen2_sum = sum(med(g, "throughput_rps") or 0 for g in gen2) if all(gen2) else None
    oh = l.get("open_half")

    L = []
    w = L.append
    w("# lede benchmarks")
    w("")
    w("Made by `scripts/bench.sh` on %s (%s, %d cores, %s); %d runs of each measurement, "
      "**medians** reported; the whole run took %d s. The machine is shared and noisy: compare "
      "the ratios, which are measured against a baseline in the same run, more than the absolute "
      "numbers. Re-run with `scripts/bench.sh` (about 5 minutes)." %
      (time.strftime("%Y-%m-%d"), platform.machine(), os.cpu_count() or 0, platform.release(),
       runs, elapsed))
    w("")
    w("Data: `cnndm-dev.jsonl` (2,000 CNN/DailyMail articles, %s bytes on average), "
      "3-sentence summaries. Service runs: lede-load (closed loop unless said), %s s each, "
      "after 1 s of calls to warm each new set of processes (not counted), "
      "all processes on this machine's 2 cores (section 3 also pins the worker to one core and "
      "the rest to the other), over TCP on 127.0.0.1." %
      (fmt(avg_bytes), seconds))
    w("")
    w("## Summary against the targets")
    w("")
    w("| target | measured | baseline (same run) | ratio | |")
    w("| --- | --- | --- | --- | --- |")
    w("| engine >= 50 MB/s per core | %s MB/s per CPU-second | — | — | %s |" %
      (fmt(lede_mbcs, 1), verdict(lede_mbcs is not None and lede_mbcs >= 50)))
    w("| engine >= 300x OTS articles/s, same articles | %s articles per CPU-s (median of %d pairs) | OTS %s | %s (pairs: %s) | %s |" %
      (fmt(median([a["articles_per_cpu_s"] for a, _ in pairs])), len(pairs),
       fmt(median([b["articles_per_cpu_s"] for _, b in pairs]), 1), ratio(ots_ratio, 1, 1),
       ", ".join("%.0fx" % x for x in run_ratios),
       verdict(ots_ratio is not None and ots_ratio >= 300)))
    w("| time per byte, 10 MB vs 4 KB <= 1.5 | %s vs %s ns/byte | — | %s | %s |" %
      (fmt(nspb["10MB"], 1), fmt(nspb["4KB"], 1), ratio(nspb["10MB"], nspb["4KB"]),
       verdict(scale_ratio is not None and scale_ratio <= 1.5)))
    b_pairs = [a["throughput_rps"] / b["throughput_rps"] for a, b in zip(bl64 or [], bb64 or [])
               if b["throughput_rps"]]
    r_b = median(b_pairs)
    w("| broker >= 0.8x bare zmq_proxy (echo workers, 64 in flight) | %s calls/s (median of %d runs) | bare %s calls/s | %s (pairs: %s) | %s |" %
      (fmt(tput["broker_lede_c64"]), len(b_pairs), fmt(tput["broker_bare_c64"]),
       ratio(r_b, 1), ", ".join("%.2fx" % x for x in b_pairs), verdict(r_b is not None and r_b >= 0.8)))
    best_svc = max(tput["service_w1"] or 0, tput["service_w2"] or 0)
    sp = l.get("service_pinned")
    sp_t = med(sp, "throughput_rps")
    pe = [r["articles_per_s"] for r in eng if r["system"] == "lede" and r["label"] == "pinned"]
    s_pairs = [a["throughput_rps"] / b for a, b in zip(sp or [], pe) if b]
    r_p = median(s_pairs)
    w("| service >= 0.7x the engine in-process on the same cores (the worker's core) | %s calls/s, 1 worker (1 thread) on CPU %s | engine, 1 thread on that CPU: %s articles/s | %s (pairs: %s) | %s |" %
      (fmt(sp_t), os.cpu_count() - 1 if os.cpu_count() else "?", fmt(pinned_aps),
       ratio(r_p, 1), ", ".join("%.2fx" % x for x in s_pairs), verdict(r_p is not None and r_p >= 0.7)))
    w("| same, broker and lede-load sharing the 2 cores with the workers | %s calls/s (best of 1, 2 workers) | engine, 2 threads: %s articles/s | %s | see section 3 |" %
      (fmt(best_svc), fmt(lede2_aps), ratio(best_svc, lede2_aps)))
    deep, ds = l.get("deep_echo_c64"), l.get("deep_service")
    if deep:
        w("| same, worker credit 2 (`--capacity 2`, the old credit = threads) | %s calls/s | bare %s calls/s | %s | (before, section 2) |" % (
            fmt(med(deep, "throughput_rps")), fmt(tput["broker_bare_c64"]),
            ratio(med(deep, "throughput_rps"), tput["broker_bare_c64"])))
    if ds:
        w("| same, worker credit 2 (`--capacity 2`) | %s calls/s (1 worker) | engine, 2 threads: %s articles/s | %s | (before, section 3) |" % (
            fmt(med(ds, "throughput_rps")), fmt(lede2_aps), ratio(med(ds, "throughput_rps"), lede2_aps)))
    if oh:
        w("| p99 at half the saturation rate, open loop | p99 %s, p50 %s at %s calls/s | saturation %s calls/s | — | stated |" %
          (ms(med(oh, "latency_us", "p99")), ms(med(oh, "latency_us", "p50")),
           fmt(med(oh, "rate")), fmt(sat)))
    w("")
    w("Engine speeds are per CPU-second of the benchmark thread (`CLOCK_THREAD_CPUTIME_ID`), "
      "so time stolen by other processes on the shared machine does not count against "
      "either system; wall-clock figures are in the tables below.")
    w("")

    # ---- 1 engine ----
    w("## 1. Engine: lede vs OTS, in-process, one thread")
    w("")
    w("`bench/bench_engine.c` links lede's engine and OTS 0.5 (Debian `libots-dev`) and "
      "summarizes the same articles in a loop. OTS: a fresh article with the English "
      "dictionary per document (as the `ots` tool does; the dictionary load alone runs at "
      "%s articles per CPU-s, so it is not what makes OTS slow), parse, grade, top 3 lines." %
      fmt(dict_apcs))
    w("")
    w("| system | articles per CPU-s | MB per CPU-s | articles/s (wall) | MB/s (wall) |")
    w("| --- | --- | --- | --- | --- |")
    w("| lede | %s | %s | %s | %s |" % (fmt(lede_apcs), fmt(lede_mbcs, 2), fmt(lede_aps), fmt(lede_mbs, 2)))
    w("| OTS | %s | %s | %s | %s |" % (fmt(ots_apcs, 1), fmt(ots_mbcs, 3), fmt(ots_aps, 1),
                                        fmt(e("ots", "corpus", "mb_per_s"), 3)))
    w("| ratio | %s | %s | %s | |" % (ratio(lede_apcs, ots_apcs, 0), ratio(lede_mbcs, ots_mbcs, 0),
                                      ratio(lede_aps, ots_aps, 0)))
    w("| lede, 2 threads | | | %s | %s |" % (fmt(lede2_aps), fmt(lede2_mbs, 2)))
    w("")
    if pairs:
        w("The table above runs each system over the file on its own (OTS gets through the "
          "first ~140 articles in 2 s). The target's ratio is measured on **the same "
          "articles**: %d slices of 150 articles spread over the file; for each, lede (after "
          "one untimed pass) summarizes them for 2 s and then OTS summarizes each once." %
          len(pairs))
        w("")
        w("| articles | bytes on average | lede articles per CPU-s | OTS articles per CPU-s | ratio |")
        w("| --- | --- | --- | --- | --- |")
        for k, (a, b) in enumerate(pairs):
            first = (k * 1850 // (len(pairs) - 1)) if len(pairs) > 1 else 0
            w("| %d-%d | %s | %s | %s | %s |" % (
                first, first + b["calls"] - 1, fmt(b["avg_bytes"]), fmt(a["articles_per_cpu_s"]),
                fmt(b["articles_per_cpu_s"], 1), ratio(a["articles_per_cpu_s"],
                                                       b["articles_per_cpu_s"], 0)))
        w("| median | | | | %s |" % ratio(ots_ratio, 1, 0))
        w("")
    w("### Time per byte by article size (lede, one thread)")
    w("")
    w("Articles built by joining dev articles with paragraph breaks, cut to the size.")
    w("")
    w("| size | ns per byte (CPU) | MB per CPU-s | vs 4 KB |")
    w("| --- | --- | --- | --- |")
    for s in sizes:
        v = nspb[s]
        w("| %s | %s | %s | %s |" % (s, fmt(v, 1), fmt(1e3 / v if v else None, 1),
                                     ratio(v, nspb["4KB"])))
    w("")
    with open(os.path.join(tmp, "engine.dat"), "w") as f:
        f.write('"lede" %s\n"OTS" %s\n' % (lede_apcs or 0, ots_apcs or 0))
    with open(os.path.join(tmp, "sizes.dat"), "w") as f:
        for s, b in zip(sizes, [1 << 10, 4 << 10, 64 << 10, 1 << 20, 10 << 20]):
            if nspb[s]:
                f.write("%d %s %s\n" % (b, nspb[s], s))
    png = os.path.join(docs, "bench-engine.png")
    ok = gnuplot("""set terminal pngcairo size 1000,420 noenhanced
set output '%s'
set multiplot layout 1,2 title 'Engine, one thread (medians of %d runs)'
set style fill solid 0.6
set boxwidth 0.6
set logscale y
set grid y
set ylabel 'articles per CPU-second (log)'
set yrange [1:*]
plot '%s/engine.dat' using 0:2:xtic(1) with boxes notitle, '' using 0:2:(sprintf('%%.0f',$2)) with labels offset 0,1 notitle
unset logscale y
set logscale x
set yrange [0:*]
set xlabel 'article size (bytes, log)'
set ylabel 'ns per byte (CPU)'
set xrange [500:3e7]
plot '%s/sizes.dat' using 1:2 with linespoints lw 2 pt 7 notitle, '' using 1:2:3 with labels offset 0,1 notitle
unset multiplot
""" % (png, runs, tmp, tmp), png)
    if ok:
        w("![engine](bench-engine.png)")
        w("")

    # ---- 2 broker ----
    w("## 2. Broker cost: lede-broker vs a bare zmq_proxy, echo workers")
    w("")
    w("Same client (lede-load, same articles, so the same message sizes), same echo work: "
      "`lede-worker --echo --threads 2` behind `lede-broker`, against `bench/bare_proxy.c` "
      "(`zmq_proxy` ROUTER/DEALER) with a 2-thread echo worker that decodes the call and "
      "answers the same echo response. The bare proxy has no credit, heartbeats, deadlines, "
      "re-dispatch or stats. Both echo workers run ZeroMQ's I/O thread as SCHED_BATCH "
      "(lede-worker's default `--io-batch`; `bare_proxy --io-batch`), so the workers differ "
      "in nothing that matters. Both setups are started side by side and their load runs "
      "alternate (2 s each at 64 in flight), so a change in the machine's speed hits both "
      "alike; the ratio is the median of each adjacent pair's own ratio.")
    w("")
    w("| setup | calls/s, 64 in flight | p50 | p99 | calls/s, 1 in flight | round trip p50 | lede-load CPU (64) |")
    w("| --- | --- | --- | --- | --- | --- | --- |")
    for name, a, b in (("lede-broker + lede-worker --echo", bl64, bl1),
                       ("bare zmq_proxy + echo", bb64, bb1)):
        w("| %s | %s | %s | %s | %s | %s | %s%% |" % (
            name, fmt(med(a, "throughput_rps")), ms(med(a, "latency_us", "p50")),
            ms(med(a, "latency_us", "p99")), fmt(med(b, "throughput_rps")),
            ms(med(b, "latency_us", "p50")), fmt(med(a, "load_cpu", "pct_of_one_core"))))
    w("| ratio lede / bare | %s (median of the %d pairs' ratios) | | | %s | | |" % (
        ratio(r_b, 1), len(b_pairs), ratio(tput["broker_lede_c1"], tput["broker_bare_c1"])))
    w("")
    if deep:
        w("**The pipeline to the worker.** The broker never has more calls at a worker than "
          "the credit in its READY `capacity`. lede-worker keeps a local queue and announces "
          "4 calls per engine thread, at least 16 (`--capacity`), so 16 calls are in flight "
          "between broker and worker here. With credit = thread count (`--capacity 2`, how "
          "lede-worker worked before), every call waits a full broker-worker round trip: "
          "%s calls/s, %s bare, p50 %s, in the same run." % (fmt(med(deep, "throughput_rps")),
                               ratio(med(deep, "throughput_rps"), tput["broker_bare_c64"]),
                               ms(med(deep, "latency_us", "p50"))))
        w("")
    w("Where the time goes: CPU used per call (user + sys from /proc, over all the runs of "
      "each setup, divided by the calls sent), so the two processes can be told apart:")
    w("")
    w("| setup | broker / proxy CPU per call | worker CPU per call |")
    w("| --- | --- | --- |")
    for name, g in (("lede-broker + lede-worker --echo", "broker_lede"),
                    ("bare zmq_proxy + echo", "broker_bare")):
        w("| %s | %s us | %s us |" % (name, fmt(cpu_per_call(out_dir, l, g, "broker"), 1),
                                       fmt(cpu_per_call(out_dir, l, g, "worker"), 1)))
    w("")

    # ---- 3 service ----
    w("## 3. Service: end to end vs the engine in-process")
    w("")
    w("### On the worker's core")
    w("")
    w("One broker and one worker with one engine thread (`--threads 1`: the call runs on the "
      "thread that reads it). The worker is pinned to CPU %s; the broker and lede-load (32 "
      "calls in flight) are pinned to CPU 0, as a broker and its clients run on other "
      "machines in production. Baseline: the engine in-process on one thread pinned to the "
      "same CPU (no sockets, no protobuf). Engine and service runs alternate, 2 s each; the "
      "ratio is the median of each pair's own ratio." %
      (os.cpu_count() - 1 if os.cpu_count() else "?"))
    w("")
    w("| setup | calls/s | engine in-process on that core | ratio (median of pairs) | p50 | p99 | p99.9 | errors | lost | worker CPU/call | broker CPU/call | lede-load CPU |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    if sp:
        w("| 1 broker, 1 worker (1 thread) | %s | %s articles/s | %s | %s | %s | %s | %d | %d | %s us | %s us | %s%% |" % (
            fmt(sp_t), fmt(pinned_aps), ratio(r_p, 1),
            ms(med(sp, "latency_us", "p50")), ms(med(sp, "latency_us", "p99")),
            ms(med(sp, "latency_us", "p999")), sum(sum(r["errors"].values()) for r in sp),
            sum(r["lost"] for r in sp), fmt(cpu_per_call(out_dir, l, "service_pinned", "worker"), 1),
            fmt(cpu_per_call(out_dir, l, "service_pinned", "broker"), 1),
            fmt(med(sp, "load_cpu", "pct_of_one_core"))))
        w("")
        w("The engine costs %s us of CPU per article in-process on that core; what the worker "
          "uses beyond it per call is its whole service overhead (ZeroMQ's I/O thread, "
          "protobuf, the reply)." % fmt(1e6 / pinned_aps if pinned_aps else None, 1))
    else:
        w("(not measured: this machine has one CPU)")
    w("")
    w("### Everything on all cores")
    w("")
    w("One broker and 1 worker (`--threads 2`) or 2 workers (`--threads 1` each), lede-load "
      "with 32 calls in flight, all free to run on any of the 2 cores. Baseline: the engine "
      "in-process with 2 threads on the same 2 cores: %s articles/s." % fmt(lede2_aps))
    w("")
    w("| setup | calls/s | vs in-process | p50 | p99 | p99.9 | errors | lost | lede-load CPU | broker CPU/call | workers CPU/call |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, runs_, g in (("1 broker, 1 worker (2 threads)", sw1, "service_w1"),
                           ("1 broker, 2 workers (1 thread each)", sw2, "service_w2")):
        errs = sum(sum(r["errors"].values()) for r in runs_ or [])
        lost = sum(r["lost"] for r in runs_ or [])
        w("| %s | %s | %s | %s | %s | %s | %d | %d | %s%% | %s us | %s us |" % (
            name, fmt(med(runs_, "throughput_rps")), ratio(med(runs_, "throughput_rps"), lede2_aps),
            ms(med(runs_, "latency_us", "p50")), ms(med(runs_, "latency_us", "p99")),
            ms(med(runs_, "latency_us", "p999")), errs, lost,
            fmt(med(runs_, "load_cpu", "pct_of_one_core")),
            fmt(cpu_per_call(out_dir, l, g, "broker"), 1),
            fmt(cpu_per_call(out_dir, l, g, "worker"), 1)))
    w("")
    if ds:
        d = med(ds, "throughput_rps")
        gain = (tput["service_w1"] / d - 1) * 100 if d and tput["service_w1"] else None
        w("With credit = thread count (one worker, `--capacity 2`, how lede-worker worked "
          "before its local queue): %s calls/s, %s the engine in-process (the default credit "
          "gives %s over it), p50 %s, p99 %s." % (
            fmt(d), ratio(d, lede2_aps),
            ("%+.0f%%" % gain) if gain is not None else "n/a",
            ms(med(ds, "latency_us", "p50")), ms(med(ds, "latency_us", "p99"))))
        w("")
    eng_us = 1e6 / lede_apcs if lede_apcs else None
    b_us = cpu_per_call(out_dir, l, "service_w2", "broker")
    lc = med(sw2, "load_cpu", "pct_of_one_core")
    l_us = lc / 100.0 * 1e6 / tput["service_w2"] if lc and tput["service_w2"] else None
    bare_us = cpu_per_call(out_dir, l, "broker_bare", "broker")
    if eng_us and b_us and l_us:
        w("Why this ratio is lower: here the broker and lede-load take their CPU from the "
          "same 2 cores as the engine. Per call they use %s us (broker) and %s us (lede-load) "
          "against the engine's %s us per article, so even a worker that cost nothing beyond "
          "the engine could reach at most %.2fx; with a bare zmq_proxy (%s us per call, "
          "section 2) in place of the broker, %.2fx. The 0.7x target is therefore measured "
          "above on the worker's own core, where the cost of the service itself shows." % (
            fmt(b_us, 1), fmt(l_us, 1), fmt(eng_us, 1), eng_us / (eng_us + b_us + l_us),
            fmt(bare_us, 1), eng_us / (eng_us + (bare_us or 0) + l_us)))
        w("")
    bare = tput["broker_bare_c64"]
    more = (gen2_sum / tput["service_w1"] - 1) * 100 if gen2_sum and tput["service_w1"] else None
    w("**Is lede-load the bottleneck?** No, on three counts. (1) It is one thread, and at "
      "saturation it used %s%% (1 worker) and %s%% (2 workers) of one core (getrusage, "
      "user + sys, over the run). (2) The same lede-load, same articles, drove the bare "
      "zmq_proxy with echo workers (section 2) at %s calls/s, %s the best service rate. "
      "(3) Two lede-load processes at once (16 in flight each) against the 1-worker service "
      "got %s calls/s in total, against %s from one (%s%%); a second generator also takes "
      "CPU from the same 2 cores, so this is within what the machine's noise allows." % (
        fmt(med(sw1, "load_cpu", "pct_of_one_core")), fmt(med(sw2, "load_cpu", "pct_of_one_core")),
        fmt(bare), ratio(bare, best_svc, 1), fmt(gen2_sum), fmt(tput["service_w1"]),
        ("%+.0f" % more) if more is not None else "n/a"))
    w("")
    if oh:
        w("### Open loop at half the saturation rate")
        w("")
        w("Saturation = the best closed-loop throughput above (%s calls/s, %d worker(s)); "
          "lede-load then sends at half that rate on a fixed schedule for %d s; latency is "
          "measured from each call's intended send time, so a stall anywhere (service or "
          "generator) shows up in it." % (fmt(sat), best_w, seconds * 2))
        w("")
        w("| rate | achieved | p50 | p90 | p99 | p99.9 | max | errors | lost | send lag p99 | lede-load CPU |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        errs = sum(sum(r["errors"].values()) for r in oh)
        lost = sum(r["lost"] for r in oh)
        w("| %s/s | %s/s | %s | %s | %s | %s | %s | %d | %d | %s | %s%% |" % (
            fmt(med(oh, "rate")), fmt(med(oh, "throughput_rps")),
            ms(med(oh, "latency_us", "p50")), ms(med(oh, "latency_us", "p90")),
            ms(med(oh, "latency_us", "p99")), ms(med(oh, "latency_us", "p999")),
            ms(med(oh, "latency_us", "max")), errs, lost, ms(med(oh, "send_lag_us", "p99")),
            fmt(med(oh, "load_cpu", "pct_of_one_core"))))
        w("")
        if os.path.exists(os.path.join(docs, "bench-open-loop.png")):
            w("![open loop](bench-open-loop.png)")
            w("")

    # ---- 4 scale ----
    w("## 4. Scaling: article size, worker count, memory")
    w("")
    w("Article size: 1 broker, 1 worker (2 threads), 8 calls in flight, 3 s, one run each.")
    w("")
    w("| article size | calls/s | MB/s of articles | p50 | p99 | errors |")
    w("| --- | --- | --- | --- | --- | --- |")
    size_rows = []
    for name, size, _ in SIZES:
        r = l.get("size_" + name)
        if not r:
            continue
        t = med(r, "throughput_rps")
        mb = t * size / 1e6 if t else None
        size_rows.append((size, t, mb, name))
        w("| %s | %s | %s | %s | %s | %d |" % (
            name, fmt(t, 1), fmt(mb, 1), ms(med(r, "latency_us", "p50")),
            ms(med(r, "latency_us", "p99")), sum(sum(x["errors"].values()) for x in r)))
    w("")
    w("Workers: 1 to 4 workers with 1 engine thread each, 32 calls in flight, 3 s, one run "
      "each (2 cores: more than 2 engine threads cannot add much).")
    w("")
    w("| workers | calls/s | p50 | p99 | peak RSS per worker |")
    w("| --- | --- | --- | --- | --- |")
    wk_rows = []
    for n in (1, 2, 3, 4):
        r = l.get("workers_%d" % n)
        if not r:
            continue
        hw = [x["hwm_kb"] for x in rss if x["what"] == "worker_n%d" % n]
        t = med(r, "throughput_rps")
        wk_rows.append((n, t))
        w("| %d | %s | %s | %s | %s |" % (n, fmt(t), ms(med(r, "latency_us", "p50")),
                                          ms(med(r, "latency_us", "p99")),
                                          "%.1f MB" % (max(hw) / 1024.0) if hw else "n/a"))
    w("")
    w("Memory (peak RSS, VmHWM, after the runs):")
    w("")
    w("| process | after | peak RSS |")
    w("| --- | --- | --- |")
    labels = {"broker_echo": ("lede-broker", "the echo runs"),
              "worker_w1": ("lede-worker (2 threads)", "the 1-worker service runs"),
              "worker_w2": ("lede-worker (1 thread), each of 2", "the 2-worker service runs"),
              "worker_pinned": ("lede-worker (1 thread, pinned)", "the pinned service runs"),
              "broker_w1": ("lede-broker", "the 1-worker service runs"),
              "worker_sized": ("lede-worker (2 threads)", "articles up to 1 MB")}
    for k, (proc, when) in labels.items():
        hw = [x["hwm_kb"] for x in rss if x["what"] == k]
        if hw:
            w("| %s | %s | %.1f MB |" % (proc, when, max(hw) / 1024.0))
    w("")
    with open(os.path.join(tmp, "svc.dat"), "w") as f:
        f.write('"engine 1c" %s\n' % (pinned_aps or 0))
        f.write('"1w 1c" %s\n' % (sp_t or 0))
        f.write('"engine 2c" %s\n' % (lede2_aps or 0))
        f.write('"1w" %s\n' % (tput["service_w1"] or 0))
        f.write('"2w" %s\n' % (tput["service_w2"] or 0))
        if ds:
            f.write('"1w cr2" %s\n' % (med(ds, "throughput_rps") or 0))
    with open(os.path.join(tmp, "echo.dat"), "w") as f:
        f.write('"lede" %s\n' % (tput["broker_lede_c64"] or 0))
        if deep:
            f.write('"lede cr2" %s\n' % (med(deep, "throughput_rps") or 0))
        f.write('"bare" %s\n' % (tput["broker_bare_c64"] or 0))
    with open(os.path.join(tmp, "workers.dat"), "w") as f:
        for n, t in wk_rows:
            f.write("%d %s\n" % (n, t or 0))
    with open(os.path.join(tmp, "size.dat"), "w") as f:
        for size, t, mb, name in size_rows:
            f.write("%d %s %s %s\n" % (size, t or 0, mb or 0, name))
    png = os.path.join(docs, "bench-service.png")
    ok = gnuplot("""set terminal pngcairo size 1400,420 noenhanced
set output '%s'
set multiplot layout 1,4 title 'Throughput (calls/s, medians): engine in-process vs service; broker vs bare proxy (echo); workers; article size'
set style fill solid 0.6
set boxwidth 0.6
set grid y
set yrange [0:*]
set ylabel 'calls/s'
set xlabel 'summaries (c: cores, w: workers, cr: credit)'
set xtics rotate by -35
plot '%s/svc.dat' using 0:2:xtic(1) with boxes notitle
set xtics norotate
set xlabel 'echo workers, 64 in flight'
plot '%s/echo.dat' using 0:2:xtic(1) with boxes notitle
set xlabel 'workers (1 engine thread each)'
set xrange [0.5:4.5]
plot '%s/workers.dat' using 1:2 with linespoints lw 2 pt 7 notitle
set autoscale x
set logscale x
set xlabel 'article size (bytes, log)'
set ylabel 'MB of articles per second'
plot '%s/size.dat' using 1:3 with linespoints lw 2 pt 7 notitle, '' using 1:3:4 with labels offset 0,1 notitle
unset multiplot
""" % (png, tmp, tmp, tmp, tmp), png)
    if ok:
        w("![service](bench-service.png)")
        w("")
    for line in langs_section(out_dir):
        w(line)
    # the hand-written sections after section 5 ("## 6." on, up to this page's last section),
    # which this script does not measure, are kept from the page as it was
    path = os.path.join(docs, "BENCHMARKS.md")
    if os.path.exists(path):
        old = open(path).read()
        a, b = old.find("\n## 6."), old.find("\n## How to read and re-run")
        if a >= 0 and b > a:
            L.extend(old[a + 1:b].rstrip("\n").split("\n"))
            w("")
    w("## How to read and re-run")
    w("")
    w("* `scripts/bench.sh` installs the dependencies (scripts/deps.sh), builds in "
      "`build-bench`, runs everything above and rewrites this page and the plots. "
      "`LEDE_BENCH_RUNS`, `LEDE_BENCH_SECONDS` and `LEDE_BENCH_OUT` (keep the raw JSON) "
      "change it.")
    w("* Load a running service yourself: `lede-load --broker tcp://127.0.0.1:5555 --data "
      "../shared/eval/cnndm-dev.jsonl --rate 2000 --duration 30 --json out.json --plot out.png` "
      "(open loop), or `--concurrency 32` (closed loop); a live line on a terminal, a table at "
      "the end, exit 0 only when every call was answered OK.")
    w("* lede-load's own numbers: `lede-load --help`; its latency histogram keeps a relative "
      "error under 1/128 from 1 us to an hour; open-loop latency counts from the intended "
      "send time (no coordinated omission); `send lag` says how late lede-load itself sent.")
    w("* Raw programs: `bench/bench_engine.c` (engine and OTS), `bench/bare_proxy.c` (the "
      "baseline proxy and echo worker), `bench/report.py` (this page).")
    with open(os.path.join(docs, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(L) + "\n")


def main():
    a = sys.argv[1:]
    if a[:1] == ["--saturation"]:
        print(int(saturation(a[1])[0]))
    elif a[:1] == ["--best-workers"]:
        print(saturation(a[1])[1])
    elif a[:1] == ["--make-sized"]:
        make_sized(a[1], a[2])
    elif a[:1] == ["--report"]:
        opts = dict(zip(a[3::2], a[4::2]))
        report(a[1], a[2], int(opts.get("--runs", 3)), float(opts.get("--seconds", 4)),
               int(opts.get("--elapsed", 0)))
    else:
        print("usage: report.py --saturation OUT | --best-workers OUT | --make-sized DATA OUT | "
              "--report OUT DOCS [--runs N] [--seconds S] [--elapsed S]", file=sys.stderr)
        sys.exit(1)


main()
