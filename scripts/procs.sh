# procs.sh: sourced by the benchmark scripts that start services (bench.sh,
# bench_broker_vs.sh): PIDS holds what they started; cleanup stops and reaps it all.
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
