#!/usr/bin/env bash
# bench_broker_vs.sh: lede-broker against an older commit of it and against a bare zmq_proxy,
# measured in the same run: builds lede-broker from REV (git archive, no worktree) and from this
# checkout with the same flags (Release), starts the three side by side, each with a 2-thread
# echo worker (this checkout's lede-worker --echo behind both brokers, bench/bare_proxy.c's
# echo worker behind the proxy), and runs this checkout's lede-load against them in turns,
# rotated each round (REV, this, bare; this, bare, REV; ...), 2 s each at 64 in flight, as
# scripts/bench.sh's broker row does. Prints the median calls/s of each, the medians of the
# rounds' own ratios (this / REV, REV / bare, this / bare) with their spread, and the median CPU
# each broker (proxy) used per call (user + sys from /proc, all its threads). Issue 11: the
# broker's cost per relayed call back to (or below) ebdd933's. Not part of scripts/test.sh.
#   scripts/bench_broker_vs.sh [REV]   (default ebdd933)
#   LEDE_VS_ROUNDS (7)  rounds (0: none, the counts below alone);  LEDE_VS_SECONDS (2)  length
#                  of one run;  LEDE_VS_CONC (64)  calls in flight
#   LEDE_EVAL_DIR  folder with cnndm-dev.jsonl (as bench.sh)
#   LEDE_VS_IR=1   also counts the instructions of each broker's main thread per relayed call
#                  with callgrind (10,000 calls at 64 in flight after 1,000 unmeasured ones;
#                  counters zeroed before and dumped after; LEDE_VS_IR_CALLS sets the count)
#   LEDE_VS_SYSCALLS=1  also counts each broker's system calls per call (strace -c on the main
#                  thread, 3,000 calls at 1 in flight)
# A broker and its callgrind run need no free cores to be exact; the timed rounds want a quiet
# machine (uptime's load below ~2).
# shellcheck source=vs_common.sh
. "$(dirname "$0")/vs_common.sh"
CONC=${LEDE_VS_CONC:-64}
IR_CALLS=${LEDE_VS_IR_CALLS:-10000}
EVAL=${LEDE_EVAL_DIR:-$ROOT/../shared/eval}
DATA=$EVAL/cnndm-dev.jsonl
PY=/usr/bin/python3
FLAGS=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g)
[ -f "$DATA" ] || { echo "bench_broker_vs: $DATA is missing (set LEDE_EVAL_DIR)" >&2; exit 1; }

cmake -S "$BASE_SRC" -B "$ROOT/build-vs/broker-$SHA" "${FLAGS[@]}" >/dev/null
cmake --build "$ROOT/build-vs/broker-$SHA" --target lede-broker >/dev/null
cmake -S . -B "$ROOT/build-vs/head" "${FLAGS[@]}" >/dev/null
cmake --build "$ROOT/build-vs/head" --target lede-broker lede-worker lede-load bare_proxy >/dev/null
BIN=$ROOT/build-vs/head/bin
BROKERS=("$ROOT/build-vs/broker-$SHA/bin/lede-broker" "$BIN/lede-broker")
NAMES=("$SHA" "this")

OUT=$(mktemp -d /tmp/lede-brkvs-XXXXXX)
# shellcheck source=procs.sh
. "$ROOT/scripts/procs.sh"
trap 'cleanup; rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

wait_ready() {
  for _ in $(seq 400); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "bench_broker_vs: $1 never appeared" >&2; return 1
}
load() { "$BIN/lede-load" --no-progress --broker "$@"; }

# start_broker I PREFIX...: broker I (under the command prefix, e.g. valgrind) and its echo
# worker, warmed; sets FE and BP (the broker's pid)
start_broker() {
  local i=$1; shift
  rm -f "$OUT/ready$i"
  "$@" "${BROKERS[$i]}" --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' \
    --ready-file "$OUT/ready$i" --log-level warn --queue-max 100000 2>>"$OUT/broker$i.log" &
  BP=$!; PIDS+=($BP)
  wait_ready "$OUT/ready$i"
  FE=$(sed -n 's/^frontend=//p' "$OUT/ready$i")
  local be; be=$(sed -n 's/^backend=//p' "$OUT/ready$i")
  "$BIN/lede-worker" --broker "$be" --threads 2 --name "w$i" --echo 2>>"$OUT/worker$i.log" &
  PIDS+=($!)
  # the worker has registered once a call goes through (calls before fail fast); then warm
  for _ in $(seq 100); do
    load "$FE" --data "$DATA" --limit 4 --requests 8 --concurrency 4 >/dev/null 2>&1 && break
    sleep 0.1
  done
  load "$FE" --data "$DATA" --requests 1000 --concurrency 16 >/dev/null
}

if [ "${LEDE_VS_IR:-0}" = 1 ]; then
  for i in 0 1; do
    cg=$OUT/cg$i
    start_broker "$i" valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$cg"
    callgrind_control -z "$BP" >/dev/null 2>&1
    load "$FE" --data "$DATA" --requests "$IR_CALLS" --concurrency 64 --json "$OUT/ir$i.json" >/dev/null
    callgrind_control -d "$BP" >/dev/null 2>&1
    sleep 0.5
    cleanup
    f=$(ls -t "$cg".*-01 | head -1) # the dump after the load, thread 1 (main)
    ir=$(callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    echo "{\"bench\":\"broker_vs_ir\",\"broker\":\"${NAMES[$i]}\",\"calls\":$IR_CALLS,\"main_thread_ir_per_call\":$((ir / IR_CALLS))}"
  done
fi

if [ "${LEDE_VS_SYSCALLS:-0}" = 1 ]; then
  for i in 0 1; do
    start_broker "$i"
    strace -c -o "$OUT/st$i" -p "$BP" &
    sp=$!
    sleep 0.5
    load "$FE" --data "$DATA" --requests 3000 --concurrency 1 >/dev/null
    kill -INT "$sp"; wait "$sp" || true
    cleanup
    n=$(awk '$NF == "total" {print $4}' "$OUT/st$i") # %, s, us/call, calls
    $PY -c "import sys; print('{\"bench\":\"broker_vs_syscalls\",\"broker\":\"%s\",\"calls\":3000,\"syscalls_per_call\":%.2f}' % (sys.argv[1], int(sys.argv[2]) / 3000))" "${NAMES[$i]}" "$n"
  done
fi

[ "$ROUNDS" -gt 0 ] || exit 0 # LEDE_VS_ROUNDS=0: the counts alone
FES=()
BPS=()
for i in 0 1; do
  start_broker "$i"
  FES+=("$FE")
  BPS+=("$BP")
done
rm -f "$OUT/readyb"
"$BIN/bare_proxy" --proxy --ready-file "$OUT/readyb" 2>>"$OUT/bare.log" &
PIDS+=($!)
BPS+=($!)
wait_ready "$OUT/readyb"
FES+=("$(sed -n 's/^frontend=//p' "$OUT/readyb")")
"$BIN/bare_proxy" --worker --connect "$(sed -n 's/^backend=//p' "$OUT/readyb")" --threads 2 \
  --io-batch 2>>"$OUT/bare.log" &
PIDS+=($!)
for _ in $(seq 100); do
  load "${FES[2]}" --data "$DATA" --limit 4 --requests 8 --concurrency 4 >/dev/null 2>&1 && break
  sleep 0.1
done
for r in $(seq "$ROUNDS"); do
  for k in 0 1 2; do
    j=$(((k + r) % 3))
    c0=$(awk '{print $14 + $15}' "/proc/${BPS[$j]}/stat") # the broker's (proxy's) CPU ticks
    load "${FES[$j]}" --data "$DATA" --concurrency "$CONC" --duration "$SECS" \
      --json "$OUT/r$j.$r.json" >/dev/null
    echo $(($(awk '{print $14 + $15}' "/proc/${BPS[$j]}/stat") - c0)) >"$OUT/c$j.$r"
  done
done
cleanup
$PY - "$OUT" "$ROUNDS" "$SHA" "$(getconf CLK_TCK)" <<'EOF'
import json, statistics as st, sys
d, R, sha, hz = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
runs = [[json.load(open("%s/r%d.%d.json" % (d, j, r))) for r in range(1, R + 1)] for j in range(3)]
v = [[x["throughput_rps"] for x in runs[j]] for j in range(3)]
# CPU (user + sys, all threads) of the broker or proxy per call answered, in microseconds
cpu = [[int(open("%s/c%d.%d" % (d, j, r + 1)).read()) * 1e6 / hz / max(1, runs[j][r]["ok"])
        for r in range(R)] for j in range(3)]
names = (sha, "this", "bare")
def ratios(a, b):
    x = sorted(v[a][r] / v[b][r] for r in range(R))
    return {"median": round(st.median(x), 3), "min": round(x[0], 3), "max": round(x[-1], 3)}
print(json.dumps({"bench": "broker_vs", "baseline": sha, "rounds": R,
                  "calls_per_s": {names[j]: round(st.median(v[j])) for j in range(3)},
                  "this_vs_baseline": ratios(1, 0), "baseline_vs_bare": ratios(0, 2),
                  "this_vs_bare": ratios(1, 2),
                  "cpu_us_per_call": {names[j]: round(st.median(cpu[j]), 2) for j in range(3)},
                  "calls_per_s_runs": {names[j]: [round(x) for x in v[j]] for j in range(3)}}))
EOF
