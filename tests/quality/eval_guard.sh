#!/usr/bin/env bash
# eval_guard.sh: the quality guard (ctest label "quality"). Runs lede-eval on every set that
# tests/quality/floors.txt lists for the given --limit (the first N records; 0: all of them) and
# fails when lede falls below a floor there (what the code scored, less 0.15) or, on cnndm-dev,
# below its own Lead-3 plus --cnndm-lead-margin. Missing evaluation data: exit 77 (skipped),
# a failure under CI=true (tests/lib/skip.sh).
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: eval_guard.sh [--limit N] [--floors FILE] [--cnndm-lead-margin M] [--max-errors N]
  --limit N               records from each file (default 300; 0: every record); the rows of
                          FILE with this limit are checked
  --floors FILE           the floors (default tests/quality/floors.txt, which says its format)
  --cnndm-lead-margin M   lede's F1 on cnndm-dev must be >= Lead-3's + M (x100; default 0)
  --max-errors N          records the engine may reject per file (default 0)
Every run must also have no summary over its cap and none with a boilerplate sentence.
Environment: LEDE_EVAL_DIR (the evaluation data), LEDE_BIN (folder with lede-eval), CI.
USAGE
}

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/skip.sh"
limit=300
floors=$here/floors.txt
margin=0
max_errors=0
while [ $# -gt 0 ]; do
  case $1 in
    --limit) limit=${2:?}; shift 2 ;;
    --floors) floors=${2:?}; shift 2 ;;
    --cnndm-lead-margin) margin=${2:?}; shift 2 ;;
    --max-errors) max_errors=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "eval_guard: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

eval_dir=${LEDE_EVAL_DIR:-$here/../../../shared/eval}
[ -r "$floors" ] || { echo "FAIL: floors file $floors not found" >&2; exit 1; }
rows=$(awk -v l="$limit" '!/^#/ && NF >= 6 && $3 == l' "$floors")
[ -n "$rows" ] || { echo "FAIL: $floors has no row with limit $limit" >&2; exit 1; }
while read -r set _; do
  [ -r "$eval_dir/$set.jsonl" ] ||
    lede_missing "evaluation data $eval_dir/$set.jsonl not found (set LEDE_EVAL_DIR); quality not checked"
done <<<"$rows"
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

# Human-readable lines first (stderr carries any rejected records), then the checks.
while read -r set budget _; do
  "$lede_eval" --data "$eval_dir/$set.jsonl" --sentences "$budget" "${limit_arg[@]}" --json \
    >"$tmp/$set.json" 2>"$tmp/$set.err" ||
    { cat "$tmp/$set.err" >&2; echo "FAIL: lede-eval on $set" >&2; exit 1; }
  cat "$tmp/$set.err" >&2
done <<<"$rows"

python3 - "$tmp" "$margin" "$max_errors" "$limit" "$floors" <<PY
import json, sys
tmp, margin, max_errors, limit, floors_path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) or 10**9, sys.argv[5]
rows = """$rows""".strip().splitlines()
metrics = ["rouge1", "rouge2", "rougeLsum"]
failures = []
for row in rows:
    f = row.split()
    name, floor = f[0], [float(x) for x in f[3:6]]
    run = json.load(open(f"{tmp}/{name}.json"))
    got = [run["lede"][m]["f"] for m in metrics]
    print(f"{name:15} lede F1 {got[0]:6.2f} / {got[1]:6.2f} / {got[2]:6.2f}   floor "
          + " / ".join(f"{x:6.2f}" for x in floor)
          + f"   ({run['articles']} articles, {run['errors']} errors, "
            f"{run['articles_per_second']:.0f} articles/s)")
    for m, g, w in zip(metrics, got, floor):
        if g < w:
            failures.append(f"{name} {m} F1 {g:.2f} < floor {w:.2f} ({floors_path})")
    if name == "cnndm-dev":
        lead = [run["lead"][m]["f"] + margin for m in metrics]
        print(f"{'':15} needs >= Lead-3{'+%g' % margin if margin else ''} "
              + " / ".join(f"{x:6.2f}" for x in lead))
        for m, g, w in zip(metrics, got, lead):
            if g < w:
                failures.append(f"cnndm-dev {m} F1 {g:.2f} < Lead-3 {w:.2f}")
    check = run.get("check", {})  # lede-eval's own count of summaries that break a rule
    if check.get("over_cap", 0) or check.get("boilerplate", 0):
        failures.append(f"{name}: {check.get('over_cap')} summaries over the cap, "
                        f"{check.get('boilerplate')} with a boilerplate sentence")
    if run["errors"] > max_errors:
        failures.append(f"{name}: {run['errors']} records rejected (max {max_errors})")
    if run["articles"] + run["errors"] < min(limit, run["records"]):
        failures.append(f"{name}: only {run['articles']} articles scored")
if failures:
    print("FAIL: " + "; ".join(failures))
    sys.exit(1)
print("PASS: lede meets the quality floors")
PY
