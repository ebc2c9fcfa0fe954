#!/usr/bin/env bash
# demo_run.sh: the README's first command, scripts/demo.sh, on the built programs (LEDE_BIN):
# it starts a broker and two workers, summarizes every bundled article (and the eval folder's
# seed-yonhap.txt) through them, prints 3 sentences for each, exits 0 and leaves no process
# of its own behind.
set -u
src=${LEDE_SOURCE_DIR:?}
bin=${LEDE_BIN:?}
out=$(mktemp); trap 'rm -f "$out"' EXIT
for p in lede lede-broker lede-worker; do
  [ -x "$bin/$p" ] || { echo "FAIL: $bin/$p is not built"; exit 1; }
done
LEDE_BIN=$bin timeout 120 bash "$src/scripts/demo.sh" >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" = 0 ] || { echo "FAIL: demo.sh exited $rc"; exit 1; }
want=$(ls "$src"/examples/articles/*.txt | wc -l)
[ -f "${LEDE_EVAL_DIR:-/nonexistent}/seed-yonhap.txt" ] && want=$((want + 1))
got=$(grep -c '^== .* (3 sentences, through the broker)$' "$out")
[ "$got" = "$want" ] || { echo "FAIL: $got articles summarized, $want expected"; exit 1; }
# every article header is followed by 3 non-empty summary lines
bad=$(awk '/^== .*through the broker\)$/ {n = 0; inart = 1; next}
           inart && NF {n++} inart && !NF && n {if (n != 3) b++; inart = 0}
           END {print b + 0}' "$out")
[ "$bad" = 0 ] || { echo "FAIL: $bad article(s) without exactly 3 summary lines"; exit 1; }
if grep -q 'UNAVAILABLE\|DEADLINE_EXCEEDED\|lede: ' "$out"; then
  echo "FAIL: an error in the demo's output"; exit 1
fi
sleep 0.5
# the demo's own: its broker's ready file is in a lede-demo.* folder, its workers demo-worker-N
left=$(pgrep -f 'lede-demo\.|--name demo-worker-' | wc -l)
[ "$left" = 0 ] || { echo "FAIL: $left broker/worker process(es) left running"; exit 1; }
echo "PASS: $got articles summarized through the demo's broker and 2 workers; nothing left running"
