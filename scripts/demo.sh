#!/usr/bin/env bash
# The demo command: installs what is missing, builds, starts a broker, two workers and the HTTP
# gateway on loopback, summarizes the bundled sample articles (text and HTML, in English, German
# and Spanish) through the broker with the CLI and through the gateway over HTTP/JSON, prints the
# summaries, and stops everything it started (also when interrupted).
# LEDE_DEMO_STAY=1: keep everything running afterwards, for the playground at the printed
# address, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# LEDE_BIN: programs already built there (the test of this script); else deps and a build
if [ -n "${LEDE_BIN:-}" ]; then
  bin=$LEDE_BIN
else
  scripts/deps.sh
  echo "== building (build/)"
  cmake -S . -B build -G Ninja >/dev/null
  cmake --build build -j "$(nproc)" --target lede lede-broker lede-worker lede-gateway >/dev/null
  bin=$root/build/bin
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/lede-demo.XXXXXX")
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== starting lede-broker and two lede-workers on 127.0.0.1"
"$bin/lede-broker" --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' \
  --ready-file "$run/ready" --log-level info 2>"$run/broker.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$run/ready" ] && break; sleep 0.05; done
[ -s "$run/ready" ] || { echo "demo: the broker did not start:" >&2; cat "$run/broker.log" >&2; exit 1; }
frontend=$(sed -n 's/^frontend=//p' "$run/ready")
backend=$(sed -n 's/^backend=//p' "$run/ready")
for n in 1 2; do
  "$bin/lede-worker" --broker "$backend" --threads 2 --name "demo-worker-$n" 2>"$run/worker$n.log" &
  pids+=($!)
done
# a broker with no worker answers UNAVAILABLE at once (fail fast): wait until both registered
for _ in $(seq 300); do
  [ "$(grep -c 'worker demo-worker-[12] ready' "$run/broker.log")" -ge 2 ] && break
  sleep 0.05
done
[ "$(grep -c 'worker demo-worker-[12] ready' "$run/broker.log")" -ge 2 ] || {
  echo "demo: the workers did not register within 15 s:" >&2
  cat "$run/broker.log" "$run"/worker*.log >&2
  exit 1
}
echo "   broker: clients at $frontend, workers at $backend (2 workers registered)"

echo "== starting lede-gateway on 127.0.0.1 (HTTP/JSON in front of the broker)"
"$bin/lede-gateway" --listen 127.0.0.1:0 --broker "$frontend" --ready-file "$run/gateway.ready" \
  --log-level info 2>"$run/gateway.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$run/gateway.ready" ] && break; sleep 0.05; done
[ -s "$run/gateway.ready" ] || { echo "demo: the gateway did not start:" >&2; cat "$run/gateway.log" >&2; exit 1; }
gateway=http://$(sed -n 's/^listen=//p' "$run/gateway.ready")
echo "   gateway: $gateway (the playground is at $gateway/)"

articles=(examples/articles/*.txt examples/articles/*.html)
seed=${LEDE_EVAL_DIR:-$root/../shared/eval}/seed-yonhap.txt
[ -f "$seed" ] && articles+=("$seed")
status=0
for a in "${articles[@]}"; do
  echo
  echo "== $(basename "$a") (3 sentences, through the broker)"
  if ! "$bin/lede" summarize --broker "$frontend" --deadline 10000 --sentences 3 "$a"; then
    status=1
  fi
done
echo
echo "== the same articles through the gateway (POST $gateway/v1/summarize, clients/python)"
python3 scripts/demo_gateway.py "$gateway" "${articles[@]}" || status=1
if [ "${LEDE_DEMO_STAY:-}" = 1 ]; then
  echo
  echo "== running until Ctrl-C: the playground is at $gateway/"
  while kill -0 "${pids[0]}" 2>/dev/null; do sleep 1; done
fi
echo
echo "== done; stopping the gateway, the broker and the workers"
exit $status
