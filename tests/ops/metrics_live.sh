#!/usr/bin/env bash
# metrics_live.sh: the operations endpoint of real processes. lede-broker and lede-worker with
# --metrics 127.0.0.1:0 (ports from their "serving ... (port N)" log line): /healthz 200 at
# once; the broker's /readyz 503 without a worker and 200 once one registered (the worker's
# once its broker answered); after one summary the broker counts the call and the worker
# counts method/status; every /metrics line is well-formed; two scrapes while lede-load runs
# show the call counters and histograms moving, and the gauges are 0 after; when the only
# worker leaves, the broker's /readyz is 503 again. A binary or curl missing: skip (77), a
# failure under CI=true (tests/lib/skip.sh).
set -u
. "$(dirname "$0")/../lib/skip.sh"
bin=${LEDE_BIN:?LEDE_BIN is not set}
for b in lede-broker lede-worker lede; do [ -x "$bin/$b" ] || lede_missing "$bin/$b is not built"; done
command -v curl >/dev/null || lede_missing "curl is not installed (scripts/deps.sh installs it)"
tmp=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
port_of() { # the port from a "serving ... (port N)" line
  for _ in $(seq 100); do
    p=$(sed -n 's/.*serving \/metrics.*(port \([0-9]*\)).*/\1/p' "$1" | head -1)
    [ -n "$p" ] && { echo "$p"; return; }; sleep 0.05
  done
}
get() { curl -s -o "$tmp/body" -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1$2"; }

"$bin/lede-broker" --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' --ready-file "$tmp/ready" \
  --metrics 127.0.0.1:0 --log-level info >"$tmp/broker.log" 2>&1 &
pids+=($!)
bp=$(port_of "$tmp/broker.log"); [ -n "$bp" ] || fail "the broker did not log its metrics port"
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
fe=$(sed -n 's/^frontend=//p' "$tmp/ready"); be=$(sed -n 's/^backend=//p' "$tmp/ready")
[ "$(get "$bp" /healthz)" = 200 ] || fail "broker /healthz"
[ "$(get "$bp" /readyz)" = 503 ] || fail "broker /readyz is not 503 without workers: $(cat "$tmp/body")"
echo "broker: /healthz 200, /readyz 503 ($(cat "$tmp/body" | tr -d '\n')) before any worker"

"$bin/lede-worker" --broker "$be" --threads 1 --name live --metrics 127.0.0.1:0 >"$tmp/worker.log" 2>&1 &
pids+=($!)
wp=$(port_of "$tmp/worker.log"); [ -n "$wp" ] || fail "the worker did not log its metrics port"
code=; for _ in $(seq 100); do code=$(get "$bp" /readyz); [ "$code" = 200 ] && break; sleep 0.05; done
[ "$code" = 200 ] || fail "broker /readyz stays $code with a worker"
# the worker counts as registered once its broker answers (a heartbeat, within --heartbeat-ms)
code=; for _ in $(seq 100); do code=$(get "$wp" /readyz); [ "$code" = 200 ] && break; sleep 0.05; done
[ "$code" = 200 ] || fail "worker /readyz: $(cat "$tmp/body")"
echo "broker /readyz 200 with a worker; worker /readyz 200"

printf 'The council approved the budget on Monday.\nIt raises school spending by 8 percent.\n' >"$tmp/a.txt"
"$bin/lede" summarize --broker "$fe" --deadline 20000 "$tmp/a.txt" >/dev/null || fail "summarize through the broker"
[ "$(get "$bp" /metrics)" = 200 ] || fail "broker /metrics"; cp "$tmp/body" "$tmp/broker.metrics"
[ "$(get "$wp" /metrics)" = 200 ] || fail "worker /metrics"; cp "$tmp/body" "$tmp/worker.metrics"
grep -Eq '^lede_broker_calls_received_total [1-9]' "$tmp/broker.metrics" || fail "broker did not count the call"
grep -Eq '^lede_worker_calls_total\{.*status="OK".*\} 1$' "$tmp/worker.metrics" || fail "worker did not count the call by method/status"
grep -q '^lede_build_info{component="broker"' "$tmp/broker.metrics" || fail "no broker build info"
re='^([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (NaN|[+-]Inf|-?[0-9.]+(e[+-]?[0-9]+)?)|# (HELP|TYPE) .*)$'
bad=$(cat "$tmp/broker.metrics" "$tmp/worker.metrics" | grep -Ev "$re" | head -3)
[ -z "$bad" ] || fail "malformed exposition lines: $bad"
echo "metrics: broker $(grep -c '^lede_' "$tmp/broker.metrics") samples, worker $(grep -c '^lede_' "$tmp/worker.metrics") samples, all well-formed"

# ---- during calls: two scrapes of each process while lede-load runs; the counters move ----
sum_of() { # sum_of FILE NAME: the sum of every series of NAME (any labels)
  awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $2 } END { printf "%.0f\n", s }' "$1"; }
scrape() { # scrape TAG: both processes' /metrics into $tmp/{broker,worker}.TAG
  [ "$(get "$bp" /metrics)" = 200 ] || fail "broker /metrics during calls"; cp "$tmp/body" "$tmp/broker.$1"
  [ "$(get "$wp" /metrics)" = 200 ] || fail "worker /metrics during calls"; cp "$tmp/body" "$tmp/worker.$1"; }
if [ -x "$bin/lede-load" ]; then
  mkdir -p "$tmp/data"
  for i in 1 2 3 4 5 6 7 8; do
    printf 'Story %d. The council approved the budget on Monday after a long debate.\nIt raises school spending by %d percent.\nThe mayor said the vote was close.\n' "$i" "$i" >"$tmp/data/a$i.txt"
  done
  "$bin/lede-load" --broker "$fe" --data "$tmp/data" --concurrency 4 --duration 3 --no-progress \
    --json "$tmp/load.json" >"$tmp/load.log" 2>&1 &
  lp=$!; pids+=("$lp")
  moved=; sleep 1; scrape 1; sleep 1; scrape 2
  wait "$lp"; lrc=$?
  [ "$lrc" = 0 ] || fail "lede-load exit $lrc: $(tail -3 "$tmp/load.log")"
  for pair in "broker lede_broker_calls_received_total" "broker lede_broker_replies_total" \
              "broker lede_broker_dispatches_total" "broker lede_broker_call_duration_seconds_count" \
              "worker lede_worker_calls_total" "worker lede_worker_call_duration_seconds_count" \
              "worker lede_worker_engine_seconds_count"; do
    set -- $pair
    a=$(sum_of "$tmp/$1.1" "$2"); b=$(sum_of "$tmp/$1.2" "$2")
    [ "$b" -gt "$a" ] && [ "$a" -gt 1 ] || fail "$1 $2 did not move during calls: $a then $b"
    moved="$moved $2 $a->$b;"
  done
  echo "during calls:$moved"
  [ "$(sum_of "$tmp/broker.2" lede_broker_workers_ready)" = 1 ] || fail "lede_broker_workers_ready is not 1"
  [ "$(sum_of "$tmp/worker.2" lede_worker_brokers_registered)" = 1 ] || fail "lede_worker_brokers_registered is not 1"
  # after the run every call is answered: the gauges are back at 0
  sleep 0.3; scrape 3
  for g in "broker lede_broker_in_flight" "broker lede_broker_queue_depth" "worker lede_worker_in_flight"; do
    set -- $g; [ "$(sum_of "$tmp/$1.3" "$2")" = 0 ] || fail "$2 is not 0 after the run"
  done
  ok=$(sum_of "$tmp/worker.3" 'lede_worker_calls_total'); sent=$(sed -n 's/.*"ok": *\([0-9]*\).*/\1/p' "$tmp/load.json" | head -1)
  echo "after the run: worker counted $ok calls (lede-load: ok $sent); gauges back at 0"
  # sub-millisecond resolution: the broker's latency sum is not whole milliseconds, and the
  # buckets start at 50 us
  bsum=$(awk '$1 ~ /^lede_broker_call_duration_seconds_sum/ { s += $2 } END { printf "%.6f", s }' "$tmp/broker.3")
  [ "$(awk -v s="$bsum" 'BEGIN { ms = s * 1000; print (ms == int(ms)) ? "whole" : "fine" }')" = fine ] ||
    fail "lede_broker_call_duration_seconds_sum $bsum is whole milliseconds"
  grep -q 'lede_broker_call_duration_seconds_bucket{.*le="5e-05"' "$tmp/broker.3" ||
    grep -q 'lede_broker_call_duration_seconds_bucket{.*le="0.00005"' "$tmp/broker.3" ||
    fail "the broker's latency buckets do not start at 50 us"
  # the process series on every process
  for f in broker worker; do
    for m in process_cpu_seconds_total process_resident_memory_bytes process_open_fds; do
      grep -q "^$m [0-9]" "$tmp/$f.3" || fail "$f /metrics has no $m"
    done
  done
  echo "broker latency sum $bsum s (sub-ms); process_* series on broker and worker"
else
  echo "(lede-load is not built: the during-calls check is left out)"
fi

# ---- draining: SIGTERM turns /readyz to 503 while calls in flight finish ----
kill -TERM "${pids[1]}"
code=$(get "$wp" /readyz); [ "$code" = 503 ] || [ "$code" = 000 ] || fail "worker /readyz $code after SIGTERM"
wait "${pids[1]}"; [ $? = 0 ] || fail "the worker did not exit 0 after SIGTERM"
code=; for _ in $(seq 100); do code=$(get "$bp" /readyz); [ "$code" = 503 ] && break; sleep 0.05; done
[ "$code" = 503 ] || fail "broker /readyz stays $code after its only worker left"
echo "worker SIGTERM: exit 0; broker /readyz back to 503 ($(cat "$tmp/body" | tr -d '\n'))"
echo PASS
