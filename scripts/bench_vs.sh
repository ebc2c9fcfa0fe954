#!/usr/bin/env bash
# bench_vs.sh: the engine's speed against an older commit of it, measured in the same run:
# builds bench_engine from REV (git archive, no worktree) and from this checkout with the same
# flags (Release), runs the two in turns (A B A B ...) on each dev set and prints, per set, the
# median of the rounds' ratios (this / REV, MB per CPU-second) beside a target. Issue 14's
# target: the engine, keyphrases and entities on (they always are), at least 0.9x ebdd933 (the
# engine before the format, language and editor stages). Not part of scripts/test.sh.
#   scripts/bench_vs.sh [REV]   (default ebdd933)
#   LEDE_VS_ROUNDS (7)  rounds of each pair;  LEDE_VS_SECONDS (2)  length of one run
#   LEDE_VS_TARGET (0.9);  LEDE_VS_SETS ("cnndm-dev bbc-dev");  LEDE_EVAL_DIR as bench.sh
#   LEDE_VS_IR=1  also counts instructions per article with callgrind (one pass, then three:
#                 the difference is the warm stem cache's cost, as the timed runs see it)
# Exit status 0 when every set meets the target, 2 when one does not.
# shellcheck source=vs_common.sh
. "$(dirname "$0")/vs_common.sh"
TARGET=${LEDE_VS_TARGET:-0.9}
SETS=${LEDE_VS_SETS:-cnndm-dev bbc-dev}
EVAL=${LEDE_EVAL_DIR:-$ROOT/../shared/eval}
PY=/usr/bin/python3
FLAGS=(-G Ninja -DCMAKE_BUILD_TYPE=Release)

cmake -S "$BASE_SRC" -B "$ROOT/build-vs/base-$SHA" "${FLAGS[@]}" >/dev/null
cmake --build "$ROOT/build-vs/base-$SHA" --target bench_engine >/dev/null
cmake -S . -B "$ROOT/build-vs/head" "${FLAGS[@]}" >/dev/null
cmake --build "$ROOT/build-vs/head" --target bench_engine >/dev/null
A=$ROOT/build-vs/base-$SHA/bin/bench_engine
B=$ROOT/build-vs/head/bin/bench_engine

mbs() { "$1" --data "$2" --mode lede --seconds "$SECS" | $PY -c 'import json,sys; print(json.load(sys.stdin)["mb_per_cpu_s"])'; }

# ir BIN FILE PASSES: callgrind instructions inside lede_summarize over PASSES passes of FILE
ir() {
  local n out
  n=$(wc -l <"$2")
  out=$(mktemp /tmp/lede-vs-XXXXXX.cg)
  valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=lede_summarize \
    "$1" --data "$2" --mode lede --calls $(($3 * n)) >/dev/null 2>&1
  callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
  rm -f "$out"
}

status=0
for set in $SETS; do
  f=$EVAL/$set.jsonl
  [ -f "$f" ] || { echo "bench_vs: $f is missing (set LEDE_EVAL_DIR)" >&2; exit 1; }
  pairs=""
  for _ in $(seq "$ROUNDS"); do
    a=$(mbs "$A" "$f")
    b=$(mbs "$B" "$f")
    pairs="$pairs $a:$b"
  done
  irs=""
  if [ "${LEDE_VS_IR:-0}" = 1 ]; then
    irs="$(wc -l <"$f") $(ir "$A" "$f" 1) $(ir "$A" "$f" 3) $(ir "$B" "$f" 1) $(ir "$B" "$f" 3)"
  fi
  $PY - "$set" "$SHA" "$TARGET" "$pairs" "$irs" <<'EOF' || status=2
import json, statistics as st, sys
name, sha, target, pairs, irs = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
p = [tuple(map(float, x.split(":"))) for x in pairs.split()]
r = sorted(b / a for a, b in p)
out = {"bench": "vs", "set": name, "baseline": sha, "rounds": len(p),
       "baseline_mb_per_cpu_s": round(st.median(a for a, _ in p), 2),
       "mb_per_cpu_s": round(st.median(b for _, b in p), 2),
       "ratio": round(st.median(r), 3), "ratios": [round(x, 3) for x in r], "target": target}
if irs:
    n, a1, a3, b1, b3 = map(int, irs.split())
    out.update({"baseline_ir_per_article": round((a3 - a1) / (2 * n)),
                "ir_per_article": round((b3 - b1) / (2 * n)),
                "ir_ratio": round((a3 - a1) / (b3 - b1), 3)})
out["met"] = out["ratio"] >= target
print(json.dumps(out))
sys.exit(0 if out["met"] else 1)
EOF
done
exit $status
