#!/usr/bin/env bash
# metrics_live.sh: the operations endpoint of real processes. lede-broker and lede-worker with
# --metrics 127.0.0.1:0 (ports from their "serving ... (port N)" log line): /healthz 200 at
# once; the broker's /readyz 503 without a worker and 200 once one registered; after one
# summary the broker counts the call and the worker counts method/status; every /metrics
# line is well-formed. Skips (77) while --metrics is not wired into a binary (phase 2).
set -u
bin=${LEDE_BIN:?LEDE_BIN is not set}
for b in lede-broker lede-worker lede; do [ -x "$bin/$b" ] || { echo "SKIP: $bin/$b is not built"; exit 77; }; done
for b in lede-broker lede-worker; do
  "$bin/$b" --help 2>&1 | grep -q -- "--metrics" || { echo "SKIP: $b has no --metrics yet (see docs/OPERATIONS.md, phase 2)"; exit 77; }
done
command -v curl >/dev/null || { echo "SKIP: curl is not installed (scripts/deps.sh installs it)"; exit 77; }
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
echo PASS
