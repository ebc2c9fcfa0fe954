#!/usr/bin/env bash
# bench.sh: lede's benchmarks, each against a baseline measured in the same run on this machine:
# the engine against OTS and across article sizes, the broker against a bare zmq_proxy, the
# service against the engine in-process, scaling with article size and workers, RSS per worker.
# Writes docs/BENCHMARKS.md and docs/bench-*.png. All load goes to 127.0.0.1, bounded in time
# (about 5 minutes with the defaults). Not part of scripts/test.sh.
#   LEDE_BENCH_RUNS (3)  runs of each measurement (the median is reported)
#   LEDE_BENCH_PAIRS (7)  pairs of runs for the three target ratios (lede/OTS on the same 150
#                         articles; lede-broker/bare proxy; service/engine on one core)
#   LEDE_BENCH_SECONDS (4)  length of one service run
#   LEDE_EVAL_DIR  folder with cnndm-dev.jsonl (default ../shared/eval beside the checkout)
#   LEDE_BENCH_OUT  keep the raw results here (default a temporary folder, removed)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${LEDE_BENCH_RUNS:-3}
PAIRS=${LEDE_BENCH_PAIRS:-7}
SECS=${LEDE_BENCH_SECONDS:-4}
EVAL=${LEDE_EVAL_DIR:-$ROOT/../shared/eval}
DATA=$EVAL/cnndm-dev.jsonl
PY=/usr/bin/python3
if [ ! -f "$DATA" ]; then
  echo "bench: $DATA is missing (set LEDE_EVAL_DIR); nothing measured" >&2
  exit 1
fi
T_START=$(date +%s)

bash scripts/deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-bench --target lede-broker lede-worker lede-load bench_engine bare_proxy
BIN=$ROOT/build-bench/bin

OUT=${LEDE_BENCH_OUT:-}
KEEP=1
if [ -z "$OUT" ]; then OUT=$(mktemp -d /tmp/lede-bench-XXXXXX); KEEP=0; fi
mkdir -p "$OUT/load"
# shellcheck source=procs.sh
. "$ROOT/scripts/procs.sh"
trap 'cleanup; [ "$KEEP" = 1 ] || rm -rf "$OUT"' EXIT
trap 'exit 130' INT TERM

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# wait_ready FILE: until the broker (or bare proxy) has written its ports
wait_ready() {
  for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done
  echo "bench: $1 never appeared" >&2; return 1
}

# on CPUS: a command prefix pinning to those CPUs (taskset), or nothing for "any"
on() { if [ "$1" = any ]; then echo; else echo "taskset -c $1"; fi; }
LAST_CPU=$(( $(nproc) - 1 ))

# start_lede WORKERS THREADS [worker options...]: a broker and WORKERS workers; sets FE.
# BROKER_CPUS / WORKER_CPUS (default any) pin them.
start_lede() {
  local n=$1 th=$2; shift 2
  rm -f "$OUT/ready"
  $(on "${BROKER_CPUS:-any}") "$BIN/lede-broker" --frontend 'tcp://127.0.0.1:*' \
    --backend 'tcp://127.0.0.1:*' --ready-file "$OUT/ready" --log-level warn \
    --queue-max 100000 2>>"$OUT/broker.log" &
  PIDS+=($!); BROKER_PID=$!
  wait_ready "$OUT/ready"
  FE=$(sed -n 's/^frontend=//p' "$OUT/ready"); local be; be=$(sed -n 's/^backend=//p' "$OUT/ready")
  WORKER_PIDS=()
  for i in $(seq "$n"); do
    $(on "${WORKER_CPUS:-any}") "$BIN/lede-worker" --broker "$be" --threads "$th" --name "w$i" \
      "$@" 2>>"$OUT/worker.log" &
    PIDS+=($!); WORKER_PIDS+=($!)
  done
  # the workers have registered when a call goes through; then 1 s of calls warms them (stem
  # caches, allocations), as a long-running service is warm, and is not counted
  "$BIN/lede-load" --no-progress --broker "$FE" --data "$DATA" --limit 4 --requests $((n * 8)) \
    --concurrency $((n * 4)) >/dev/null || true
  $(on "${LOAD_CPUS:-any}") "$BIN/lede-load" --no-progress --broker "$FE" --data "$DATA" \
    --duration 1 --concurrency 16 >/dev/null || true
}

# start_bare THREADS: the bare zmq_proxy and a THREADS-thread echo worker; sets FE. Its I/O
# thread is SCHED_BATCH like lede-worker's (--io-batch), so the workers differ in nothing that
# matters and the ratio is the brokers'.
start_bare() {
  local th=$1
  rm -f "$OUT/ready"
  "$BIN/bare_proxy" --proxy --ready-file "$OUT/ready" 2>>"$OUT/bare.log" &
  PIDS+=($!); BROKER_PID=$!
  wait_ready "$OUT/ready"
  FE=$(sed -n 's/^frontend=//p' "$OUT/ready"); local be; be=$(sed -n 's/^backend=//p' "$OUT/ready")
  "$BIN/bare_proxy" --worker --connect "$be" --threads "$th" --io-batch 2>>"$OUT/bare.log" &
  PIDS+=($!); WORKER_PIDS=($!)
  "$BIN/lede-load" --no-progress --broker "$FE" --data "$DATA" --limit 4 --requests 8 \
    --concurrency 4 >/dev/null || true
}

# rss NAME PID...: peak resident memory of each process, one JSON line each
rss() {
  local name=$1; shift
  for p in "$@"; do
    local hwm rss
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    echo "{\"bench\":\"rss\",\"what\":\"$name\",\"pid\":$p,\"hwm_kb\":${hwm:-0},\"rss_kb\":${rss:-0}}" \
      >>"$OUT/rss.jsonl"
  done
}

# cpu NAME GROUP PID...: CPU seconds (user + sys) the processes used so far, one JSON line;
# the report divides it by the calls of the runs whose labels start with GROUP
cpu() {
  local name=$1 group=$2; shift 2
  local ticks=0 hz; hz=$(getconf CLK_TCK)
  for p in "$@"; do
    ticks=$(( ticks + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) ))
  done
  echo "{\"bench\":\"cpu\",\"what\":\"$name\",\"group\":\"$group\",\"cpu_s\":$(awk "BEGIN {print $ticks / $hz}")}" \
    >>"$OUT/cpu.jsonl"
}

# load LABEL RUN lede-load options...: one lede-load run into $OUT/load/LABEL.RUN.json, against
# $FE (or LOAD_FE), pinned to LOAD_CPUS (default any)
load() {
  local label=$1 run=$2; shift 2
  $(on "${LOAD_CPUS:-any}") "$BIN/lede-load" --no-progress --broker "${LOAD_FE:-$FE}" \
    --label "$label" --json "$OUT/load/$label.$run.json" "$@" >>"$OUT/load.log" || true
}

# ---- 1. engine: lede vs OTS, 1 thread; lede with 2 threads; size scaling ----
log "1/4 engine (lede, OTS on the same articles, sizes)"
for r in $(seq "$RUNS"); do
  "$BIN/bench_engine" --data "$DATA" --mode lede --seconds 2 >>"$OUT/engine.jsonl"
  "$BIN/bench_engine" --data "$DATA" --mode ots --seconds 2 >>"$OUT/engine.jsonl" || log "OTS baseline failed"
  "$BIN/bench_engine" --data "$DATA" --mode lede --threads 2 --seconds 2 >>"$OUT/engine.jsonl"
  "$BIN/bench_engine" --data "$DATA" --mode scale --seconds 0.7 >>"$OUT/engine.jsonl"
done
# every language in one run (ratios to English's MB/s per core), and language detection
"$BIN/bench_engine" --data "$EVAL" --mode langs --seconds 1 --limit 300 | grep '^{' >>"$OUT/langs.jsonl" || log "a language is under 0.5x English"
"$BIN/bench_engine" --data "$EVAL" --mode detect >>"$OUT/langs.jsonl" || log "detection missed its targets"
# The ratio to OTS: both on exactly the same 150 articles, lede just before OTS, in slices
# spread over the file (a run of OTS over all 2,000 articles alone would take 30 s)
for r in $(seq "$PAIRS"); do
  "$BIN/bench_engine" --data "$DATA" --mode pair --first $(( (r - 1) * 1850 / (PAIRS > 1 ? PAIRS - 1 : 1) )) \
    --count 150 --seconds 2 >>"$OUT/engine.jsonl" || log "OTS pair $r failed"
done

# ---- 2. broker cost: lede-broker + lede-worker --echo vs bare zmq_proxy + echo ----
# Both setups run side by side (idle one costs nothing) and their load runs alternate, so a
# change in the machine's speed during the runs hits both alike.
log "2/4 broker cost (echo workers, lede vs bare zmq_proxy, alternating)"
start_lede 1 2 --echo
LEDE_FE=$FE; LEDE_BROKER=$BROKER_PID; LEDE_WORKERS=("${WORKER_PIDS[@]}")
start_bare 2
BARE_FE=$FE; BARE_BROKER=$BROKER_PID; BARE_WORKERS=("${WORKER_PIDS[@]}")
# short runs in many pairs: the host's bursts of contention hit single runs, and the median
# of the pairs' own ratios stays clear of them
for r in $(seq "$PAIRS"); do
  LOAD_FE=$LEDE_FE load broker_lede_c64 "$r" --data "$DATA" --concurrency 64 --duration 2
  LOAD_FE=$BARE_FE load broker_bare_c64 "$r" --data "$DATA" --concurrency 64 --duration 2
done
for r in $(seq "$RUNS"); do
  LOAD_FE=$LEDE_FE load broker_lede_c1 "$r" --data "$DATA" --concurrency 1 --duration 1.5
  LOAD_FE=$BARE_FE load broker_bare_c1 "$r" --data "$DATA" --concurrency 1 --duration 1.5
done
rss broker_echo "$LEDE_BROKER"
cpu broker broker_lede "$LEDE_BROKER"; cpu worker broker_lede "${LEDE_WORKERS[@]}"
cpu broker broker_bare "$BARE_BROKER"; cpu worker broker_bare "${BARE_WORKERS[@]}"
cleanup
# before the worker's local queue: credit = its thread count (--capacity 2), so only 2 calls
# are ever in flight between broker and worker (the default credit is 4 per thread, >= 16)
start_lede 1 2 --echo --capacity 2
for r in $(seq "$RUNS"); do
  load deep_echo_c64 "$r" --data "$DATA" --concurrency 64 --duration "$SECS"
done
cleanup

# ---- 3. service: vs the engine in-process on the same cores; open loop at half saturation ----
# (a) The worker's cores: one worker with one engine thread pinned to the last CPU, against
# the engine in-process on one thread pinned to the same CPU; the broker and lede-load run on
# CPU 0, as a broker and its clients run on other machines in production. Engine and service
# runs alternate.
if [ "$LAST_CPU" -ge 1 ]; then
  log "3/4 service (worker pinned to CPU $LAST_CPU, broker and lede-load on CPU 0)"
  BROKER_CPUS=0 WORKER_CPUS=$LAST_CPU LOAD_CPUS=0 start_lede 1 1
  for r in $(seq "$PAIRS"); do
    taskset -c "$LAST_CPU" "$BIN/bench_engine" --data "$DATA" --mode lede --seconds 2 \
      | sed 's/"label":"corpus"/"label":"pinned"/' >>"$OUT/engine.jsonl"
    LOAD_CPUS=0 load service_pinned "$r" --data "$DATA" --concurrency 32 --duration 2
  done
  rss worker_pinned "${WORKER_PIDS[@]}"
  cpu broker service_pinned "$BROKER_PID"; cpu worker service_pinned "${WORKER_PIDS[@]}"
  cleanup
fi
# (b) Everything on all cores: 1 worker with 2 threads, and 2 workers with 1 thread each,
# against the engine in-process on 2 threads.
log "3/4 service (1 and 2 workers on all cores, open loop at half saturation)"
for w in 1 2; do
  start_lede "$w" $((3 - w))
  for r in $(seq "$RUNS"); do
    load "service_w$w" "$r" --data "$DATA" --concurrency 32 --duration "$SECS"
  done
  if [ "$w" = 1 ]; then
    # two load generators at once: if lede-load were the limit, the sum would be higher
    "$BIN/lede-load" --no-progress --broker "$FE" --label service_w1_gen2a --data "$DATA" \
      --concurrency 16 --duration "$SECS" --json "$OUT/load/service_w1_gen2a.1.json" >>"$OUT/load.log" &
    g=$!
    load service_w1_gen2b 1 --data "$DATA" --concurrency 16 --duration "$SECS"
    wait "$g" || true
  fi
  rss "worker_w$w" "${WORKER_PIDS[@]}"
  rss "broker_w$w" "$BROKER_PID"
  cpu broker "service_w$w" "$BROKER_PID"; cpu worker "service_w$w" "${WORKER_PIDS[@]}"
  cleanup
done
start_lede 1 2 --capacity 2   # credit = threads, as before the worker's local queue
for r in $(seq "$RUNS"); do
  load deep_service "$r" --data "$DATA" --concurrency 32 --duration "$SECS"
done
cleanup
SAT=$($PY "$ROOT/bench/report.py" --saturation "$OUT")
HALF=$($PY -c "print(max(1, round($SAT / 2)))")
log "saturation ${SAT} calls/s; open loop at ${HALF} calls/s"
BEST=$($PY "$ROOT/bench/report.py" --best-workers "$OUT")
start_lede "$BEST" $((3 - BEST))   # as measured at saturation: 1 x 2 threads or 2 x 1 thread
for r in $(seq "$RUNS"); do
  extra=()
  [ "$r" = 1 ] && extra=(--timeline "$OUT/open.csv" --plot "$ROOT/docs/bench-open-loop.png")
  load open_half "$r" --data "$DATA" --rate "$HALF" --duration $((SECS * 2)) --interval 250 "${extra[@]}"
done
cleanup

# ---- 4. scale with article size (1 worker) and with workers (1 thread each) ----
log "4/4 scaling (article size, worker count)"
$PY "$ROOT/bench/report.py" --make-sized "$DATA" "$OUT"
start_lede 1 2
for s in 1KB 4KB 64KB 1MB; do
  load "size_$s" 1 --data "$OUT/sized-$s.jsonl" --concurrency 8 --duration 3 --deadline 60000
done
rss worker_sized "${WORKER_PIDS[@]}"
cleanup
for w in 1 2 3 4; do
  start_lede "$w" 1
  load "workers_$w" 1 --data "$DATA" --concurrency 32 --duration 3
  rss "worker_n$w" "${WORKER_PIDS[@]}"
  cleanup
done

log "report"
$PY "$ROOT/bench/report.py" --report "$OUT" "$ROOT/docs" --runs "$RUNS" --seconds "$SECS" \
  --elapsed $(( $(date +%s) - T_START ))
log "done in $(( $(date +%s) - T_START )) s: docs/BENCHMARKS.md, docs/bench-*.png"
