#!/usr/bin/env bash
# cli_formats.sh: `lede summarize --format` and the "format" key of --jsonl on small bodies made
# here: HTML markup, entities and wrapper elements never reach a sentence; ANS and ninjs give
# their text elements and headline; wire copy is unwrapped and its furniture dropped; bad
# bodies get a clear error (exit 1, or an error object in --jsonl) and nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${LEDE_BIN:-$here/../../build/bin}
lede=$bin/lede
[ -x "$lede" ] || { echo "FAIL: $lede is not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sum() { "$lede" summarize --local --sentences 10 "$@"; }

cat >"$tmp/a.html" <<'HTML'
<!-- wp:paragraph --><p><strong>LONDON</strong> &mdash; The council approved the budget on Monday &amp; raised taxes.</p>
<figure><img src="a.jpg"><figcaption>The council meets (AP Photo/Rich Pedroncelli)</figcaption></figure>
<aside class="related-posts"><h3>Related</h3><ul><li><a href="/x">Budget row deepens</a></li></ul></aside>
<div class="ad-slot">ADVERTISEMENT</div><h2>What next</h2>
<p>Critics said the increase was too steep<p>The mayor defended the plan &#8212; firmly.
<blockquote class="twitter-tweet"><p>Big night at the council</p></blockquote><script>var a = 1 < 2;</script>
HTML
out=$(sum --format html "$tmp/a.html")
[ "$out" = "$(printf 'The council approved the budget on Monday & raised taxes.\nCritics said the increase was too steep\nThe mayor defended the plan \xe2\x80\x94 firmly.')" ] \
  || fail "html: got: $out"
[ "$(sum "$tmp/a.html")" = "$out" ] || fail "html is not sniffed as html"
sum --json "$tmp/a.html" | python3 -c '
import json, sys
r = json.load(sys.stdin); b = open(sys.argv[1], "rb").read()
assert r["format"] == "html", r["format"]
s = r["sentences"][0]
assert b[s["offset"]:s["offset"] + s["length"]] == b"The council approved the budget on Monday &amp; raised taxes.", s
assert s["utf16_offset"] == s["offset"] and s["utf16_length"] == s["length"], s  # an ASCII body
' "$tmp/a.html" || fail "html offsets"

cat >"$tmp/a.ans" <<'JSON'
{"type": "story", "headlines": {"basic": "Council budget"}, "content_elements": [
 {"type": "text", "content": "The council approved the budget on Monday."},
 {"type": "image", "caption": "A caption that is not text"},
 {"type": "raw_html", "content": "<div>ADVERTISEMENT</div>"},
 {"type": "text", "content": "Critics said the increase was <b>too steep</b> \u2014 and \"unfair\"."},
 {"type": "interstitial_link", "content": "Read more: budget row"}]}
JSON
out=$(sum --format ans "$tmp/a.ans")
[ "$out" = "$(printf 'The council approved the budget on Monday.\nCritics said the increase was too steep \xe2\x80\x94 and "unfair".')" ] \
  || fail "ans: got: $out"
sum --json "$tmp/a.ans" | python3 -c '
import json, sys
r = json.load(sys.stdin); b = open(sys.argv[1], "rb").read()
assert r["format"] == "ans", r["format"]
s = r["sentences"][1]
assert b[s["offset"]:s["offset"] + s["length"]] == rb"Critics said the increase was <b>too steep</b> \u2014 and \"unfair\".", s
' "$tmp/a.ans" || fail "ans offsets"

printf '%s' '{"uri": "urn:x", "headlines": [{"role": "main", "value": "Budget"}], "bodies": [{"role": "main", "contenttype": "text/html", "value": "<p>The council approved the budget.</p><p>Critics objected.</p>"}]}' >"$tmp/a.ninjs"
[ "$(sum "$tmp/a.ninjs")" = "$(printf 'The council approved the budget.\nCritics objected.')" ] || fail "ninjs"

cat >"$tmp/wire.txt" <<'WIRE'
BC-US--Senate-Aid,1st Ld-Writethru,0612
^Senate passes aid package^

   WASHINGTON (AP) -- The U.S. Senate on Thursday passed a $95
billion aid package for Ukraine, Israel and Taiwan after months of
delay, sending the measure to the president for his signature.
   The vote was 79 to 18. Supporters said the money was long
overdue and that allies could not wait any longer for help.
(MORE)
   Opponents said the spending should have been paired with new
border measures, and vowed to keep fighting the plan.
(END)
AP-NY-04-20-24 1532EDT
WIRE
out=$(sum "$tmp/wire.txt")
[ "$out" = "$(printf 'The U.S. Senate on Thursday passed a $95 billion aid package for Ukraine, Israel and Taiwan after months of delay, sending the measure to the president for his signature.\nThe vote was 79 to 18.\nSupporters said the money was long overdue and that allies could not wait any longer for help.\nOpponents said the spending should have been paired with new border measures, and vowed to keep fighting the plan.')" ] \
  || fail "wire: got: $out"
# Ordinary text, one paragraph a line, is untouched.
printf 'First paragraph here.\nSecond one here.\n' >"$tmp/plain.txt"
[ "$(sum --json "$tmp/plain.txt" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["format"], [s["offset"] for s in r["sentences"]])')" = "text [0, 22]" ] \
  || fail "plain text offsets changed"

# The editor's view (--html) highlights the summary's sentences, markup-free, in every format.
for f in a.html a.ans a.ninjs wire.txt; do
  "$lede" summarize --local --sentences 2 --html "$tmp/$f.view.html" "$tmp/$f" >"$tmp/$f.sum" || fail "--html $f"
  python3 - "$tmp/$f.view.html" "$tmp/$f.sum" <<'PY' || fail "--html view of $f"
import html, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
summary = [l for l in open(sys.argv[2], encoding="utf-8").read().splitlines() if l]
spans = re.findall(r'<span class="s sel"[^>]*>(?:<sup class="rank">\d+</sup>)?(.*?)</span>', page, re.S)
assert len(spans) == len(summary) == 2, (spans, summary)
for got, want in zip(spans, summary):
    assert html.unescape(got) == want, (got, want)
article = page.split('<div class="article">')[1].split("</div>")[0]
for noise in ("figcaption", "ADVERTISEMENT", "Related", "AP Photo", "&lt;p&gt;", "&lt;b&gt;", "(MORE)", "BC-US"):
    assert noise not in article, noise
PY
done

# Bad input: a clear error, exit 1.
err() { # expected-message-part args...
  local want=$1; shift
  local rc=0 msg
  msg=$(sum "$@" 2>&1 >/dev/null) || rc=$?
  [ $rc -eq 1 ] || fail "$* exited $rc (want 1): $msg"
  case $msg in *"$want"*) ;; *) fail "$*: message '$msg' lacks '$want'" ;; esac
}
printf '{"type": "story", "content_elements": [' >"$tmp/trunc.json"
err "body is not JSON" --format ans "$tmp/trunc.json"
err "body is not JSON" --format ninjs "$tmp/trunc.json"
printf 'Just some words.' >"$tmp/words.txt"
err "body is not JSON" --format ans "$tmp/words.txt"
printf '{"type": "story", "content_elements": [{"type": "image"}]}' >"$tmp/notext.json"
err "no text" --format ans "$tmp/notext.json"
err "no text" "$tmp/notext.json"
printf '{"uri": "urn:x"}' >"$tmp/nobody.json"
err "ninjs document has no" --format ninjs "$tmp/nobody.json"
printf '{"a": 1}' >"$tmp/other.json"
err "neither an ANS story" "$tmp/other.json"
err "not an ANS story" --format ans "$tmp/a.ninjs"
err "body is JSON, not HTML" --format html "$tmp/a.ans"
printf '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body><p>Caf\xe9 text.</p></body></html>' >"$tmp/latin1.html"
err "not valid UTF-8" --format html "$tmp/latin1.html"
printf '<meta charset="windows-1252"><p>Plain ASCII text here.</p>' >"$tmp/cp.html"
err "declares charset windows-1252" --format html "$tmp/cp.html"
rc=0; "$lede" summarize --local --format xml "$tmp/a.html" 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "--format xml exited $rc (want 2, usage)"

# --jsonl: a "format" key per record, bad ones reported in place.
python3 - "$tmp" >"$tmp/b.jsonl" <<'PY'
import json, sys
t = sys.argv[1]
print(json.dumps({"id": "h", "format": "html", "article": open(t + "/a.html").read()}))
print(json.dumps({"id": "t", "format": "text", "article": open(t + "/a.html").read()}))
print(json.dumps({"id": "x", "format": "xml", "article": "a."}))
print(json.dumps({"id": "e", "format": "ans", "article": "not json"}))
PY
rc=0; "$lede" summarize --local --jsonl "$tmp/b.jsonl" >"$tmp/b.out" 2>/dev/null || rc=$?
[ $rc -eq 3 ] || fail "--jsonl with bad records exited $rc (want 3)"
python3 - "$tmp/b.out" <<'PY' || fail "--jsonl results"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
assert r[0]["format"] == "html" and "<" not in " ".join(r[0]["summary"]), r[0]
assert r[1]["format"] == "text" and any("<" in s for s in r[1]["summary"]), r[1]
assert r[2]["error"]["status"] == "INVALID_ARGUMENT" and "format" in r[2]["error"]["message"], r[2]
assert "not JSON" in r[3]["error"]["message"], r[3]
PY
echo "PASS"
