#!/usr/bin/env bash
# valgrind_cli.sh: the lede CLI leaks nothing and touches no uninitialised memory summarizing
# the seed story (or a bundled sample when the evaluation data is absent), plain and --json.
set -euo pipefail
bin=${LEDE_BIN:?}
. "$(dirname "$0")/../lib/skip.sh"
command -v valgrind >/dev/null || lede_missing "valgrind not installed (scripts/deps.sh installs it)"
article=${LEDE_EVAL_DIR:-}/seed-yonhap.txt
if [ ! -f "$article" ]; then
  lede_ci && { echo "FAIL: $article not found (CI=true: the evaluation data must be there)"; exit 1; }
  article=${LEDE_SOURCE_DIR:?}/examples/articles/harbour-bridge.txt
fi
for mode in "" "--json"; do
  valgrind --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
    --error-exitcode=99 "$bin/lede" summarize --local $mode "$article" >/dev/null
  echo "ok   valgrind: lede summarize --local $mode $(basename "$article"): no leak, no error"
done
