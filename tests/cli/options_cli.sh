#!/usr/bin/env bash
# options_cli.sh: the command-line tools take their options from one table (common/config.h):
# for lede summarize, lede-eval, lede-load and lede-idf build, --help lists every option the
# docs and tests use, each with its environment variable and --config key; and a variable and
# a config-file key each set an option (seen in what the tool does), a flag winning over both.
set -uo pipefail
bin=${LEDE_BIN:?LEDE_BIN must name the folder with the lede binaries}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1" >&2; fails=$((fails + 1)); fi; }

# help_lists TOOL-LABEL HELP-FILE PREFIX OPTION...: each option with its flag, its variable
# (PREFIX_NAME unless given as name:VAR) and its file key.
help_lists() {
  local label=$1 help=$2 prefix=$3 missing=""
  shift 3
  for spec in "$@"; do
    local name=${spec%%:*} var
    if [ "$name" != "$spec" ]; then var=${spec#*:}; else var=${prefix}_$(echo "$name" | tr 'a-z-' 'A-Z_'); fi
    grep -q -- "--$name[ ,]" "$help" && grep -q "env $var=" "$help" && grep -q "file: $name = " "$help" ||
      missing="$missing $name"
  done
  check "$label --help: every option with flag, variable and file key${missing:+ (missing:$missing)}" '[ -z "$missing" ]'
}

# ---- lede summarize ----
"$bin/lede" summarize --help >"$tmp/lede.help"; rc=$?
check "lede summarize --help: exit 0" '[ $rc = 0 ]'
help_lists "lede summarize" "$tmp/lede.help" LEDE local broker deadline:LEDE_DEADLINE_MS in-flight \
  curve-secret broker-key sentences words chars ratio title format lang idf weight json jsonl \
  explain id max-bytes html
cat >"$tmp/a.txt" <<'TXT'
The city council approved a new budget on Monday after a long debate.
Spending on schools will rise by 4 percent, the mayor said.
Opponents said the plan would raise taxes for small businesses.
The budget takes effect in July.
TXT
lines() { wc -l <"$1" | tr -d ' '; }
LEDE_SENTENCES=1 "$bin/lede" summarize --local "$tmp/a.txt" >"$tmp/o1" 2>&1
check "lede: LEDE_SENTENCES=1 gives 1 sentence" '[ "$(lines "$tmp/o1")" = 1 ]'
printf 'sentences = 2\n' >"$tmp/lede.conf"
"$bin/lede" summarize --local --config "$tmp/lede.conf" "$tmp/a.txt" >"$tmp/o2" 2>&1
check "lede: config key sentences = 2 gives 2" '[ "$(lines "$tmp/o2")" = 2 ]'
LEDE_CONFIG=$tmp/lede.conf LEDE_SENTENCES=1 "$bin/lede" summarize --local --sentences 4 "$tmp/a.txt" >"$tmp/o4" 2>&1
check "lede: the flag wins over variable and file" '[ "$(lines "$tmp/o4")" = 4 ]'
LEDE_CONFIG=$tmp/lede.conf LEDE_SENTENCES=1 "$bin/lede" summarize --local "$tmp/a.txt" >"$tmp/o5" 2>&1
check "lede: the variable wins over the file" '[ "$(lines "$tmp/o5")" = 1 ]'
LEDE_WORDS=12 "$bin/lede" summarize --local --sentences 2 "$tmp/a.txt" >"$tmp/o6" 2>&1
check "lede: a budget flag wins over another budget's variable" '[ "$(lines "$tmp/o6")" = 2 ]'
LEDE_JSON=true LEDE_ID=from-env "$bin/lede" summarize --local "$tmp/a.txt" >"$tmp/o7" 2>&1
check "lede: LEDE_JSON and LEDE_ID set --json --id" 'grep -q "\"id\":\"from-env\"" "$tmp/o7"'
LEDE_DEADLINE_MS=soon "$bin/lede" summarize --local "$tmp/a.txt" >/dev/null 2>"$tmp/e1"; rc=$?
check "lede: a bad LEDE_DEADLINE_MS is refused, naming it" '[ $rc = 2 ] && grep -q "LEDE_DEADLINE_MS" "$tmp/e1"'

# ---- lede-eval ----
"$bin/lede-eval" --help >"$tmp/eval.help"; rc=$?
check "lede-eval --help: exit 0" '[ $rc = 0 ]'
help_lists "lede-eval" "$tmp/eval.help" LEDE_EVAL data sentences idf lang limit weight words \
  chars half keyphrases json
body='The city council approved the new budget on Monday evening.\nThe plan raises spending on schools by ten percent.\nCritics said the increase would require higher property taxes.\nThe mayor defended the plan.'
for i in 1 2 3; do
  printf '{"id":"a%s","title":null,"article":"%s","reference":"The city council approved the new budget on Monday evening."}\n' "$i" "$body"
done >"$tmp/e.jsonl"
field() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$@"; }
LEDE_EVAL_DATA=$tmp/e.jsonl LEDE_EVAL_SENTENCES=1 LEDE_EVAL_JSON=1 "$bin/lede-eval" >"$tmp/e1.json" 2>/dev/null
check "lede-eval: LEDE_EVAL_DATA, _SENTENCES, _JSON set the run" '[ "$(field "$tmp/e1.json" sentences)" = 1 ] && [ "$(field "$tmp/e1.json" records)" = 3 ]'
printf 'data = %s\nlimit = 2\njson = yes\n' "$tmp/e.jsonl" >"$tmp/eval.conf"
"$bin/lede-eval" --config "$tmp/eval.conf" >"$tmp/e2.json" 2>/dev/null
check "lede-eval: config keys data, limit, json" '[ "$(field "$tmp/e2.json" records)" = 2 ]'
LEDE_EVAL_LIMIT=2 "$bin/lede-eval" --config "$tmp/eval.conf" --limit 1 >"$tmp/e3.json" 2>/dev/null
check "lede-eval: the flag wins" '[ "$(field "$tmp/e3.json" records)" = 1 ]'
LEDE_EVAL_WEIGHT=term=0.25,position=0.5 "$bin/lede-eval" --config "$tmp/eval.conf" >"$tmp/e4.json" 2>/dev/null
check "lede-eval: LEDE_EVAL_WEIGHT holds a list of --weight" '/usr/bin/python3 -c "import json,sys; w=json.load(open(sys.argv[1]))[\"weights\"]; sys.exit(0 if (w[\"term\"], w[\"position\"]) == (0.25, 0.5) else 1)" "$tmp/e4.json"'

# ---- lede-load (no broker needed: which --data it reads, and refusals, show the source) ----
"$bin/lede-load" --help >"$tmp/load.help"; rc=$?
check "lede-load --help: exit 0" '[ $rc = 0 ]'
help_lists "lede-load" "$tmp/load.help" LEDE_LOAD broker data limit concurrency rate \
  max-in-flight duration requests deadline sentences grace json timeline interval plot label \
  progress curve-secret broker-key
LEDE_LOAD_BROKER=tcp://127.0.0.1:1 LEDE_LOAD_DATA=$tmp/from-env "$bin/lede-load" --no-progress >/dev/null 2>"$tmp/l1"; rc=$?
check "lede-load: LEDE_LOAD_BROKER and LEDE_LOAD_DATA set --broker --data" '[ $rc = 1 ] && grep -q "from-env" "$tmp/l1"'
printf 'broker = tcp://127.0.0.1:1\ndata = %s/from-file\n' "$tmp" >"$tmp/load.conf"
"$bin/lede-load" --config "$tmp/load.conf" >/dev/null 2>"$tmp/l2"; rc=$?
check "lede-load: config keys broker, data" '[ $rc = 1 ] && grep -q "from-file" "$tmp/l2"'
LEDE_LOAD_RATE=-3 "$bin/lede-load" --config "$tmp/load.conf" >/dev/null 2>"$tmp/l3"; rc=$?
check "lede-load: a bad LEDE_LOAD_RATE is refused, naming it" '[ $rc = 1 ] && grep -q "environment variable LEDE_LOAD_RATE" "$tmp/l3"'
LEDE_LOAD_RATE=10 "$bin/lede-load" --config "$tmp/load.conf" --concurrency 2 >/dev/null 2>"$tmp/l4"; rc=$?
check "lede-load: --concurrency (flag) over LEDE_LOAD_RATE: runs on to --data" '[ $rc = 1 ] && grep -q "from-file" "$tmp/l4"'
"$bin/lede-load" --config "$tmp/load.conf" --concurrency 2 --rate 10 >/dev/null 2>"$tmp/l5"; rc=$?
check "lede-load: --concurrency and --rate as flags exclude each other" '[ $rc = 1 ] && grep -q "exclude each other" "$tmp/l5"'

# ---- lede-idf build ----
"$bin/lede-idf" build --help >"$tmp/idf.help"; rc=$?
check "lede-idf build --help: exit 0" '[ $rc = 0 ]'
help_lists "lede-idf build" "$tmp/idf.help" LEDE_IDF out min-df lang

[ $fails = 0 ] && echo PASS || { echo "$fails checks failed"; exit 1; }
