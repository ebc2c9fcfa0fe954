#!/usr/bin/env bash
# eval_cli.sh: checks the lede-eval command itself on a small JSONL file made here (no evaluation
# data needed): Lead-k wiring and ROUGE (a reference equal to the lead scores 100), budgets,
# --limit, --weight, bad records counted not fatal, exit codes and --help.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${LEDE_BIN:-$here/../../build/bin}
ev=$bin/lede-eval
[ -x "$ev" ] || { echo "FAIL: $ev is not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

body='The city council approved the new budget on Monday evening.\nThe plan raises spending on schools by ten percent.\nCritics said the increase would require higher property taxes.\nThe mayor defended the plan at a press conference.\nA final vote is expected next month.'
cat >"$tmp/good.jsonl" <<JSONL
{"id":"a1","title":"Council approves budget","article":"$body","reference":"The city council approved the new budget on Monday evening.\nThe plan raises spending on schools by ten percent.\nCritics said the increase would require higher property taxes."}
{"id":"a2","title":null,"article":"$body","reference":"The city council approved the new budget on Monday evening.\nThe plan raises spending on schools by ten percent.\nCritics said the increase would require higher property taxes."}
JSONL
cat >"$tmp/ref.jsonl" <<JSONL
{"id":"r1","title":null,"article":"$body","reference":"The city council approved the new budget on Monday evening.\nThe plan raises spending on schools by ten percent."}
JSONL
cp "$tmp/good.jsonl" "$tmp/mixed.jsonl"
cat >>"$tmp/mixed.jsonl" <<'JSONL'
this line is not JSON
{"id":"e1","title":null,"article":"","reference":"nothing"}
{"id":"e2","title":null,"article":"Text here.","reference":42}
JSONL
printf '%s\n' 'not json' '{"id":"x","article":"","reference":"a"}' >"$tmp/bad.jsonl"

field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }

# Lead-3 against a reference that is exactly the first three sentences: ROUGE = 100.
"$ev" --data "$tmp/good.jsonl" --sentences 3 --json >"$tmp/o.json"
[ "$(field "$tmp/o.json" 'd["articles"], d["errors"], d["records"]')" = "(2, 0, 2)" ] \
  || fail "good.jsonl: articles/errors/records: $(cat "$tmp/o.json")"
[ "$(field "$tmp/o.json" 'all(abs(d["lead"][m][k] - 100) < 1e-6 for m in ("rouge1","rouge2","rougeLsum") for k in "prf")')" = True ] \
  || fail "Lead-3 of a lead reference is not 100: $(cat "$tmp/o.json")"
[ "$(field "$tmp/o.json" 'all(abs(d["diff"][m]["f"] - (d["lede"][m]["f"] - d["lead"][m]["f"])) < 1e-9 for m in ("rouge1","rouge2","rougeLsum"))')" = True ] \
  || fail "diff is not lede - lead"
[ "$(field "$tmp/o.json" 'd["articles_per_second"] > 0 and d["sentences"] == 3 and d["scale"] == 100')" = True ] \
  || fail "articles_per_second / sentences / scale"

# --sentences ref takes the reference's two lines: Lead-2 = 100; with 1 sentence recall < 100.
"$ev" --data "$tmp/ref.jsonl" --sentences ref --json >"$tmp/o.json"
[ "$(field "$tmp/o.json" 'abs(d["lead"]["rougeLsum"]["f"] - 100) < 1e-6 and d["sentences"] == "ref"')" = True ] \
  || fail "--sentences ref: $(cat "$tmp/o.json")"
"$ev" --data "$tmp/ref.jsonl" --sentences 1 --json >"$tmp/o.json"
[ "$(field "$tmp/o.json" 'd["lead"]["rouge1"]["p"] > 99.99 and d["lead"]["rouge1"]["r"] < 60')" = True ] \
  || fail "--sentences 1: $(cat "$tmp/o.json")"

# Bad records are counted and reported, not fatal; --limit counts records.
"$ev" --data "$tmp/mixed.jsonl" --json >"$tmp/o.json" 2>"$tmp/err"
[ "$(field "$tmp/o.json" 'd["articles"], d["errors"]')" = "(2, 3)" ] || fail "mixed: $(cat "$tmp/o.json")"
grep -q 'line 4' "$tmp/err" && grep -q 'e1' "$tmp/err" && grep -q 'e2' "$tmp/err" \
  || fail "errors not reported: $(cat "$tmp/err")"
"$ev" --data "$tmp/mixed.jsonl" --limit 1 --json >"$tmp/o.json"
[ "$(field "$tmp/o.json" 'd["records"], d["articles"]')" = "(1, 1)" ] || fail "--limit 1"

# --weight reaches the engine (and is echoed); unknown names and bad values are usage errors.
"$ev" --data "$tmp/good.jsonl" --weight term=0.25 --weight position=0.5 --json >"$tmp/o.json"
[ "$(field "$tmp/o.json" 'd["weights"]["term"], d["weights"]["position"]')" = "(0.25, 0.5)" ] \
  || fail "--weight not applied: $(cat "$tmp/o.json")"
rc=0; "$ev" --data "$tmp/good.jsonl" --weight nosuch=1 2>"$tmp/err" >/dev/null || rc=$?
[ $rc -eq 2 ] && grep -q position "$tmp/err" || fail "--weight nosuch=1: rc $rc"
rc=0; "$ev" --data "$tmp/good.jsonl" --weight term=x 2>/dev/null >/dev/null || rc=$?
[ $rc -eq 2 ] || fail "--weight term=x: rc $rc"

# Text output, exit codes, --help.
"$ev" --data "$tmp/good.jsonl" >"$tmp/out"
grep -q 'ROUGE-Lsum' "$tmp/out" && grep -q 'Lead-3' "$tmp/out" && grep -q 'articles/s' "$tmp/out" \
  || fail "text output: $(cat "$tmp/out")"
rc=0; "$ev" --data "$tmp/bad.jsonl" >/dev/null 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "no article scored should exit 1, got $rc"
for args in "" "--data" "--data $tmp/none.jsonl" "--data $tmp/good.jsonl --sentences 0" \
            "--data $tmp/good.jsonl --bogus" "--data $tmp/good.jsonl --idf $tmp/none.idf"; do
  rc=0; "$ev" $args >/dev/null 2>&1 || rc=$?
  [ $rc -eq 2 ] || fail "lede-eval $args: want exit 2, got $rc"
done
echo 'not an idf table' >"$tmp/bad.idf"
rc=0; "$ev" --data "$tmp/good.jsonl" --idf "$tmp/bad.idf" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "bad idf table: want exit 2, got $rc"
# into a file first: grep -q stops reading at the match, and the rest of a long --help would
# then die of SIGPIPE, which pipefail reports as a failure
"$ev" --help >"$tmp/help" || fail "--help: exit status"
grep -q -- '--weight NAME=VALUE' "$tmp/help" && grep -q 'env LEDE_EVAL_WEIGHT=' "$tmp/help" || fail "--help"
echo "PASS: lede-eval CLI"
