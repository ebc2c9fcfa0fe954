#!/usr/bin/env bash
# idf_cli.sh: `lede-idf build` and `info` as a user runs them: a table from a JSONL corpus and
# a plain-text one, its counts, the option table's three forms (flag, LEDE_IDF_* variable,
# --config key) with a bad value refused naming its source, and the table loaded by
# `lede summarize --local --idf`.
set -uo pipefail
bin=${LEDE_BIN:?LEDE_BIN must name the folder with the lede binaries}
idf=$bin/lede-idf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1" >&2; fails=$((fails + 1)); fi; }

for i in 1 2 3 4; do
  printf '{"id":"%s","article":"The council met on Monday. The budget for schools rose by %s percent."}\n' "$i" "$i"
done >"$tmp/corpus.jsonl"
echo "The mayor spoke about the budget and the schools of the city." >"$tmp/extra.txt"

"$idf" build --out "$tmp/t.idf" "$tmp/corpus.jsonl" "$tmp/extra.txt" 2>"$tmp/err"; rc=$?
check "build: exit 0" '[ $rc = 0 ]'
check "build: says what it wrote" 'grep -q "5 documents" "$tmp/err"'
"$idf" info "$tmp/t.idf" >"$tmp/info"; rc=$?
check "info: exit 0" '[ $rc = 0 ]'
check "info: 5 documents" 'grep -qx "documents 5" "$tmp/info"'
check "info: language en" 'grep -qx "language en" "$tmp/info"'
terms2=$(sed -n 's/^terms //p' "$tmp/info")
# --min-df 5 keeps only stems in every document: fewer terms than the default 2
LEDE_IDF_MIN_DF=5 "$idf" build --out "$tmp/t5.idf" "$tmp/corpus.jsonl" "$tmp/extra.txt" 2>/dev/null
terms5=$("$idf" info "$tmp/t5.idf" | sed -n 's/^terms //p')
check "LEDE_IDF_MIN_DF=5 keeps fewer terms ($terms5 < $terms2)" '[ -n "$terms5" ] && [ "$terms5" -lt "$terms2" ]'
printf 'min-df = 5\nout = %s\n' "$tmp/t5c.idf" >"$tmp/idf.conf"
"$idf" build --config "$tmp/idf.conf" "$tmp/corpus.jsonl" "$tmp/extra.txt" 2>/dev/null
check "--config file: same table as the variable" 'cmp -s "$tmp/t5.idf" "$tmp/t5c.idf"'
"$idf" build --min-df 0 --out "$tmp/x.idf" "$tmp/corpus.jsonl" 2>"$tmp/err"; rc=$?
check "--min-df 0: exit 2" '[ $rc = 2 ]'
check "--min-df 0: names the option and its source" 'grep -q -- "--min-df.*command line" "$tmp/err"'
"$idf" build "$tmp/corpus.jsonl" 2>/dev/null; rc=$?
check "no --out: exit 2" '[ $rc = 2 ]'
"$idf" build --help >"$tmp/help"; rc=$?
check "build --help: exit 0, every option with its variable" '[ $rc = 0 ] && grep -q LEDE_IDF_MIN_DF "$tmp/help" && grep -q LEDE_IDF_OUT "$tmp/help"'
"$idf" info "$tmp/corpus.jsonl" >/dev/null 2>&1; rc=$?
check "info of a non-table: exit 1" '[ $rc = 1 ]'
echo "The council met on Monday. The budget for schools rose. The mayor spoke." >"$tmp/a.txt"
"$bin/lede" summarize --local --idf "$tmp/t.idf" --sentences 1 "$tmp/a.txt" >"$tmp/sum"; rc=$?
check "lede summarize --idf loads the table" '[ $rc = 0 ] && [ "$(wc -l <"$tmp/sum")" = 1 ]'
[ $fails = 0 ] && echo PASS || { echo "$fails checks failed"; exit 1; }
