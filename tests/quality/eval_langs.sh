#!/usr/bin/env bash
# eval_langs.sh: quality in other languages (ctest label "quality"), scored as the eval README
# says (Unicode words; characters for zh): lede-eval on orangesum-fr-dev at 1 sentence,
# indosum-id-dev at the reference's sentence count and lcsts-zh-dev at 1 sentence, with the
# default configuration and the language detected (lang: auto). Fails when lede falls below a
# floor: what it scores now less 0.3 ROUGE (x100), and, for fr and zh, below Lead-k on the
# README's plain splitter. indosum-id is not yet at Lead-k (see docs/TUNING.md): only its floor
# is checked. Skips (exit 77) without the evaluation data, except under CI=true.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
eval_dir=${LEDE_EVAL_DIR:-$here/../../../shared/eval}
bin=${LEDE_BIN:-$here/../../build/bin}
lede_eval=$bin/lede-eval
if [ ! -x "$lede_eval" ]; then
  echo "FAIL: $lede_eval is not built" >&2
  exit 1
fi
# set  budget  floors R1,R2,RLsum (now less 0.3)  must beat plain Lead-k
sets=(
  "orangesum-fr-dev 1 25.62,8.50,18.53 yes"
  "indosum-id-dev ref 67.29,59.76,66.47 no"
  "lcsts-zh-dev 1 26.36,15.00,22.60 yes"
)
fail=0
for s in "${sets[@]}"; do
  read -r name budget floors beat <<<"$s"
  f=$eval_dir/$name.jsonl
  if [ ! -r "$f" ]; then
    if [ "${CI:-}" = true ]; then
      echo "FAIL: $f is missing (CI)" >&2
      exit 1
    fi
    echo "SKIP: $f not found (set LEDE_EVAL_DIR); quality in other languages not checked"
    exit 77
  fi
  "$lede_eval" --data "$f" --sentences "$budget" --json >"${TMPDIR:-/tmp}/eval_langs.$$.json"
  python3 - "$name" "$floors" "$beat" "${TMPDIR:-/tmp}/eval_langs.$$.json" <<'PY' || fail=1
import json, sys
name, floors, beat, path = sys.argv[1], [float(x) for x in sys.argv[2].split(",")], sys.argv[3], sys.argv[4]
d = json.load(open(path))
ok = d["errors"] == 0 and d["articles"] > 0
for m, floor in zip(("rouge1", "rouge2", "rougeLsum"), floors):
    lede, plain = d["lede"][m]["f"], d["lead_plain"][m]["f"]
    good = lede >= floor and (beat != "yes" or lede >= plain)
    ok &= good
    print(f"{'ok  ' if good else 'FAIL'} {name} {m}: lede {lede:.2f} (floor {floor:.2f}), "
          f"Lead-k plain {plain:.2f}, scoring {d['scoring']}")
sys.exit(0 if ok else 1)
PY
  rm -f "${TMPDIR:-/tmp}/eval_langs.$$.json"
done
exit $fail
