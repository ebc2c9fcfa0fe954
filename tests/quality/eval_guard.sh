#!/usr/bin/env bash
# eval_guard.sh: the quality guard (ctest label "quality"). Runs lede-eval on the first N articles
# of cnndm-dev (3 sentences) and bbc-dev (as many sentences as the reference) and fails when lede
# falls below Lead-3 on cnndm or below the given ROUGE F1 floors on bbc (OTS's published figures).
# Skips (exit 77) when the evaluation data is absent.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: eval_guard.sh [--limit N] [--bbc-min R1,R2,RLSUM] [--cnndm-lead-margin M] [--max-errors N]
  --limit N               articles from each file (default 300)
  --bbc-min R1,R2,RLSUM   F1 floors (x100) for lede on bbc-dev at --sentences ref
                          (default 75.67,67.06,74.18: OTS as published in the eval README)
  --cnndm-lead-margin M   lede's F1 on cnndm-dev must be >= Lead-3's + M (x100; default 0)
  --cnndm-min R1,R2,RLSUM fixed F1 floors (x100) on cnndm-dev at 3 sentences as well (default
                          none; the issue's are Lead-3 with a plain splitter: 39.99,17.56,36.28)
  --limit 0               every record of both files
  --max-errors N          records the engine may reject per file (default 0)
  --duc-min R1,R2,RLSUM   F1 floors (x100) on duc2002-en-dev at 3 sentences (default: not run)
Every run must also have no summary over its cap and none with a boilerplate sentence.
Environment: LEDE_EVAL_DIR (the evaluation data), LEDE_BIN (folder with lede-eval).
USAGE
}

limit=300
bbc_min=75.67,67.06,74.18
margin=0
cnndm_min=0,0,0
max_errors=0
duc_min=
while [ $# -gt 0 ]; do
  case $1 in
    --limit) limit=${2:?}; shift 2 ;;
    --bbc-min) bbc_min=${2:?}; shift 2 ;;
    --cnndm-lead-margin) margin=${2:?}; shift 2 ;;
    --cnndm-min) cnndm_min=${2:?}; shift 2 ;;
    --max-errors) max_errors=${2:?}; shift 2 ;;
    --duc-min) duc_min=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "eval_guard: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
eval_dir=${LEDE_EVAL_DIR:-$here/../../../shared/eval}
for f in cnndm-dev.jsonl bbc-dev.jsonl; do
  if [ ! -r "$eval_dir/$f" ]; then
    echo "SKIP: evaluation data $eval_dir/$f not found (set LEDE_EVAL_DIR); quality not checked"
    exit 77
  fi
done
bin=${LEDE_BIN:-$here/../../build/bin}
lede_eval=$bin/lede-eval
if [ ! -x "$lede_eval" ]; then
  echo "FAIL: $lede_eval is not built" >&2
  exit 1
fi

limit_arg=(--limit "$limit")
[ "$limit" = 0 ] && limit_arg=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Human-readable tables first (stderr carries any rejected records), then the JSON to check.
"$lede_eval" --data "$eval_dir/cnndm-dev.jsonl" --sentences 3 "${limit_arg[@]}" --json \
  >"$tmp/cnndm.json" 2>"$tmp/cnndm.err" || { cat "$tmp/cnndm.err" >&2; echo "FAIL: lede-eval on cnndm-dev" >&2; exit 1; }
"$lede_eval" --data "$eval_dir/bbc-dev.jsonl" --sentences ref "${limit_arg[@]}" --json \
  >"$tmp/bbc.json" 2>"$tmp/bbc.err" || { cat "$tmp/bbc.err" >&2; echo "FAIL: lede-eval on bbc-dev" >&2; exit 1; }
cat "$tmp/cnndm.err" "$tmp/bbc.err" >&2
echo '{}' >"$tmp/duc.json"
if [ -n "$duc_min" ]; then
  if [ ! -r "$eval_dir/duc2002-en-dev.jsonl" ]; then
    echo "FAIL: --duc-min given but $eval_dir/duc2002-en-dev.jsonl is missing" >&2
    exit 1
  fi
  "$lede_eval" --data "$eval_dir/duc2002-en-dev.jsonl" --sentences 3 "${limit_arg[@]}" --json \
    >"$tmp/duc.json" 2>"$tmp/duc.err" || { cat "$tmp/duc.err" >&2; echo "FAIL: lede-eval on duc2002-en-dev" >&2; exit 1; }
  cat "$tmp/duc.err" >&2
fi

python3 - "$tmp/cnndm.json" "$tmp/bbc.json" "$bbc_min" "$margin" "$max_errors" "$limit" "$cnndm_min" "$tmp/duc.json" "$duc_min" <<'PY'
import json, sys
cnndm = json.load(open(sys.argv[1]))
bbc = json.load(open(sys.argv[2]))
floors = [float(x) for x in sys.argv[3].split(",")]
margin = float(sys.argv[4])
max_errors = int(sys.argv[5])
limit = int(sys.argv[6]) or 10**9
cnndm_floor = [float(x) for x in sys.argv[7].split(",")]
if len(floors) != 3:
    sys.exit("eval_guard: --bbc-min wants three numbers R1,R2,RLSUM")
metrics = ["rouge1", "rouge2", "rougeLsum"]
failures = []

def line(name, run, other, label):
    f = [run["lede"][m]["f"] for m in metrics]
    print(f"{name:6} lede F1 {f[0]:6.2f} / {f[1]:6.2f} / {f[2]:6.2f}   {label} "
          + " / ".join(f"{x:6.2f}" for x in other)
          + f"   ({run['articles']} articles, {run['errors']} errors, "
            f"{run['articles_per_second']:.0f} articles/s)")
    return f

lead = [cnndm["lead"][m]["f"] + margin for m in metrics]
f = line("cnndm", cnndm, lead, "needs >= Lead-3" + (f"+{margin:g}" if margin else ""))
for m, got, want in zip(metrics, f, lead):
    if got < want:
        failures.append(f"cnndm-dev {m} F1 {got:.2f} < Lead-3 {want:.2f}")
if any(cnndm_floor):
    print(f"{'':6} {'':28}   needs >= " + " / ".join(f"{x:6.2f}" for x in cnndm_floor))
for m, got, want in zip(metrics, f, cnndm_floor):
    if got < want:
        failures.append(f"cnndm-dev {m} F1 {got:.2f} < {want:.2f}")
f = line("bbc", bbc, floors, "needs >=")
for m, got, want in zip(metrics, f, floors):
    if got < want:
        failures.append(f"bbc-dev {m} F1 {got:.2f} < {want:.2f}")
duc = json.load(open(sys.argv[8]))
runs = [("cnndm-dev", cnndm), ("bbc-dev", bbc)]
if sys.argv[9]:
    duc_floor = [float(x) for x in sys.argv[9].split(",")]
    f = line("duc", duc, duc_floor, "needs >=")
    for m, got, want in zip(metrics, f, duc_floor):
        if got < want:
            failures.append(f"duc2002-en-dev {m} F1 {got:.2f} < {want:.2f}")
    runs.append(("duc2002-en-dev", duc))
for name, run in runs:
    check = run.get("check", {})
    if check.get("over_cap", 0) or check.get("boilerplate", 0):
        failures.append(f"{name}: {check.get('over_cap')} summaries over the cap, "
                        f"{check.get('boilerplate')} with a boilerplate sentence")
for name, run in runs:
    if run["errors"] > max_errors:
        failures.append(f"{name}: {run['errors']} records rejected (max {max_errors})")
    if run["articles"] + run["errors"] < min(limit, run["records"]):
        failures.append(f"{name}: only {run['articles']} articles scored")
if failures:
    print("FAIL: " + "; ".join(failures))
    sys.exit(1)
print("PASS: lede meets the quality guard")
PY
