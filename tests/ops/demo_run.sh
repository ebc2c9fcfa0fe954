#!/usr/bin/env bash
# demo_run.sh: the README's first command, scripts/demo.sh, on the built programs (LEDE_BIN):
# it starts a broker, two workers and the gateway, summarizes every bundled article (and the
# eval folder's seed-yonhap.txt) through the broker with the CLI and through the gateway over
# HTTP, prints 3 sentences for each, exits 0 and leaves no process of its own behind. The two
# paths print the same sentences for each article, and the gateway's headers name the format
# and language the service found (HTML for the .html sample, de and es for the .de and .es ones).
set -u
src=${LEDE_SOURCE_DIR:?}
bin=${LEDE_BIN:?}
out=$(mktemp); trap 'rm -f "$out"' EXIT
for p in lede lede-broker lede-worker lede-gateway; do
  [ -x "$bin/$p" ] || { echo "FAIL: $bin/$p is not built"; exit 1; }
done
LEDE_BIN=$bin timeout 120 bash "$src/scripts/demo.sh" >"$out" 2>&1
rc=$?
cat "$out"
[ "$rc" = 0 ] || { echo "FAIL: demo.sh exited $rc"; exit 1; }
want=$(ls "$src"/examples/articles/*.txt "$src"/examples/articles/*.html | wc -l)
[ -f "${LEDE_EVAL_DIR:-/nonexistent}/seed-yonhap.txt" ] && want=$((want + 1))
for via in broker gateway; do
  got=$(grep -c "^== .* (3 sentences, through the $via[:)]" "$out")
  [ "$got" = "$want" ] || { echo "FAIL: $got articles summarized through the $via, $want expected"; exit 1; }
done
# every article header is followed by 3 non-empty summary lines, the same through both paths
bad=$(awk '/^== .* \(3 sentences, through the (broker|gateway)[:)]/ {
             name = $2; via = ($0 ~ /through the broker/) ? "b" : "g"; n = 0; inart = 1; next }
           inart && NF { n++; text[via, name] = text[via, name] "\n" $0; next }
           inart && !NF { if (n != 3) { print "not 3 lines: " via " " name; b++ } inart = 0 }
           END { if (inart && n != 3) { print "not 3 lines: " via " " name; b++ }
                 for (k in text) { split(k, p, SUBSEP)
                   if (p[1] == "b" && text["g", p[2]] != text[k]) { print "differ: " p[2]; b++ } }
                 print b + 0 }' "$out")
[ "$(tail -1 <<<"$bad")" = 0 ] || { echo "FAIL: $bad"; exit 1; }
for want_hdr in 'library-reopens.html (3 sentences, through the gateway: HTML, en detected' \
                'bahnstreik.de.txt (3 sentences, through the gateway: text, de detected' \
                'arboles-madrid.es.txt (3 sentences, through the gateway: text, es detected'; do
  grep -qF "== $want_hdr" "$out" || { echo "FAIL: no line '== $want_hdr'"; exit 1; }
done
if grep -q 'UNAVAILABLE\|DEADLINE_EXCEEDED\|lede: \|Traceback' "$out"; then
  echo "FAIL: an error in the demo's output"; exit 1
fi
sleep 0.5
# the demo's own: its broker's and gateway's ready files are in a lede-demo.* folder, its
# workers are demo-worker-N
left=$(pgrep -f 'lede-demo\.|--name demo-worker-' | wc -l)
[ "$left" = 0 ] || { echo "FAIL: $left broker/worker/gateway process(es) left running"; exit 1; }
echo "PASS: $got articles summarized through the demo's broker and 2 workers, the same through its gateway; nothing left running"
