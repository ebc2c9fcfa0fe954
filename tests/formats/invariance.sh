#!/usr/bin/env bash
# invariance.sh: bbc-dev and duc2002-en-dev articles rendered as HTML bodies, ANS stories, ninjs
# documents and hard-wrapped wire copy (tests/formats/render.py, wrapper noise at random with a
# fixed seed) must summarize as their plain text does: >= 99% of 3-sentence summaries equal
# sentence for sentence, no wrapper text in any summary, and every HTML/ANS/ninjs sentence's
# offsets (bytes and UTF-16) pointing at its text in the body as sent (check_forms.py).
# Options: --limit N articles per set (default 0: all), --seed S (default 12), --min-equal F.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${LEDE_BIN:-$here/../../build/bin}
eval_dir=${LEDE_EVAL_DIR:-$here/../../../shared/eval}
limit=0 seed=12 min=0.99
while [ $# -gt 0 ]; do
  case $1 in
    --limit) limit=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --min-equal) min=$2; shift 2 ;;
    *) echo "invariance.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$bin/lede" ] || { echo "FAIL: $bin/lede is not built"; exit 1; }
for set in bbc-dev duc2002-en-dev; do
  if [ ! -f "$eval_dir/$set.jsonl" ]; then
    if [ "${CI:-}" = true ]; then echo "FAIL: $eval_dir/$set.jsonl is missing"; exit 1; fi
    echo "SKIP: no $eval_dir/$set.jsonl"; exit 77
  fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/render.py" --seed "$seed" --limit "$limit" \
  "$eval_dir/bbc-dev.jsonl" "$eval_dir/duc2002-en-dev.jsonl" >"$tmp/forms.jsonl"
rc=0
"$bin/lede" summarize --local --jsonl "$tmp/forms.jsonl" --explain >"$tmp/out.jsonl" || rc=$?
[ $rc -eq 0 ] || { echo "FAIL: lede summarize exited $rc"; exit 1; }
python3 "$here/check_forms.py" --min-equal "$min" "$tmp/forms.jsonl" "$tmp/out.jsonl"
