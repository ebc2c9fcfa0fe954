#!/usr/bin/env bash
# run_fuzz.sh BIN CORPUS WORK SECONDS [libFuzzer flags...]: one fuzz target as ctest runs it.
# First every file of the committed corpus (seeds and kept crash inputs) runs once, the same way
# every time; then a short random run with a fresh seed grows a copy of the corpus in WORK (the
# source tree is never written). A finding fails the test and prints the input as base64, so a
# CI log alone is enough to add it to the corpus as a regression case.
set -euo pipefail
bin=$1 corpus=$2 work=$3 seconds=$4
shift 4
[ -x "$bin" ] || { echo "run_fuzz: no fuzz binary at $bin" >&2; exit 1; }
files=("$corpus"/*)
[ -e "${files[0]}" ] || { echo "run_fuzz: the corpus $corpus is empty" >&2; exit 1; }
rm -rf "$work/artifacts"
mkdir -p "$work/corpus" "$work/artifacts"

show_findings() {
  for f in "$work"/artifacts/*; do
    [ -e "$f" ] || continue
    echo "run_fuzz: finding $(basename "$f") (base64 below; keep it in $corpus as crash-<what>.bin)"
    base64 -w0 "$f"; echo
  done
}

echo "== replaying ${#files[@]} corpus inputs from $corpus"
if ! "$bin" -artifact_prefix="$work/artifacts/" "$@" "${files[@]}"; then
  show_findings
  exit 1
fi
seed=${LEDE_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "== random run: $seconds s, seed $seed (LEDE_FUZZ_SEED=$seed repeats it)"
if ! "$bin" -seed="$seed" -max_total_time="$seconds" -artifact_prefix="$work/artifacts/" \
       -print_final_stats=1 "$@" "$work/corpus" "$corpus"; then
  show_findings
  exit 1
fi
