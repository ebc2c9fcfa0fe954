#!/usr/bin/env bash
# The demo command: installs what is missing, builds, starts a broker and two workers on
# loopback, summarizes the bundled sample articles through them, prints the summaries, and
# stops everything it started (also when interrupted).
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
  cmake --build build -j "$(nproc)" --target lede lede-broker lede-worker >/dev/null
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

articles=(examples/articles/*.txt)
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
echo "== done; stopping the broker and workers"
exit $status
