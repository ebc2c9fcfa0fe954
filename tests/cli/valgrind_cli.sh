#!/usr/bin/env bash
# valgrind_cli.sh: the lede CLI leaks nothing and touches no uninitialised memory summarizing
# the seed story (or a bundled sample when the evaluation data is absent), plain and --json.
set -euo pipefail
bin=${LEDE_BIN:?}
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed (scripts/deps.sh installs it)"; exit 77; }
article=${LEDE_EVAL_DIR:-}/seed-yonhap.txt
[ -f "$article" ] || article=${LEDE_SOURCE_DIR:?}/examples/articles/harbour-bridge.txt
for mode in "" "--json"; do
  valgrind --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
    --error-exitcode=99 "$bin/lede" summarize --local $mode "$article" >/dev/null
  echo "ok   valgrind: lede summarize --local $mode $(basename "$article"): no leak, no error"
done
