#!/usr/bin/env python3
"""check_forms.py: the format invariance and offsets checks on render.py's articles.

Reads the rendered records and lede's --jsonl results (one line each, same order) and checks
  invariance: every form's 3-sentence summary equals the plain text's, sentence for sentence,
              compared after decoding entities, folding typographic quotes and dashes and
              white space; at least --min-equal of all (article, form) pairs;
  noise:      no summary sentence holds any wrapper text the generator injected, markup or an
              undecoded entity;
  offsets:    for HTML bodies (and ANS / ninjs, through their JSON strings) the source bytes at
              offset/length, tags dropped and entities decoded, are the sentence's text, and
              utf16_offset/utf16_length index the body as a JavaScript string would.
Prints one JSON line of figures; exits 1 when a check fails.
"""
import argparse
import collections
import html
import json
import re
import sys

FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                      "\u2014": "-", "\u00a0": " ", "\u2032": "'", "\u201a": "'", "\u201e": '"'})
TAG = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<[A-Za-z/!?][^>]*>", re.S)
WS = re.compile(r"\s+")
BULLET = re.compile(r"^(?:[-*\u2022\u00b7] )")  # a list marker, which wire copy loses


def norm(s):
    """Text as a reader sees it: typographic quotes and dashes folded, white space collapsed."""
    return BULLET.sub("", WS.sub(" ", s.translate(FOLD)).strip())


def from_markup(raw):
    """Source bytes of a sentence: tags dropped, entities decoded."""
    return norm(html.unescape(TAG.sub("", raw)))


def utf16_index(b, off):
    return len(b[:off].decode("utf-8", "surrogatepass").encode("utf-16-le")) // 2


def json_raw_text(raw):
    """The raw bytes of (part of) a JSON string, escapes decoded."""
    try:
        return json.loads('"' + raw + '"')
    except ValueError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rendered")
    ap.add_argument("results")
    ap.add_argument("--min-equal", type=float, default=0.99)
    ap.add_argument("--show", type=int, default=5, help="differences to print")
    a = ap.parse_args()
    recs = [json.loads(l) for l in open(a.rendered, encoding="utf-8")]
    outs = [json.loads(l) for l in open(a.results, encoding="utf-8")]
    if len(recs) != len(outs):
        sys.exit(f"check_forms: {len(recs)} records but {len(outs)} results")
    plain, plain_text = {}, {}
    for r, o in zip(recs, outs):
        if r["form"] == "text":
            plain[r["article_id"]] = o
            plain_text[r["article_id"]] = r["article"]
    pairs = equal = noisy = off_bad = off_checked = u16_bad = errors = 0
    by_form = collections.Counter()
    eq_form = collections.Counter()
    shown = 0
    failures = []
    for r, o in zip(recs, outs):
        if "error" in o:
            errors += 1
            failures.append(f"{r['id']}: error {o['error']}")
            continue
        summ = [norm(s) for s in o["summary"]]
        # No wrapper text, markup or entity in any summary sentence.
        for s in summ:
            bad = [n for n in r["noise"] if norm(n) and (norm(n) in s if len(norm(n)) > 3
                                                        else re.search(r"\b%s\b" % re.escape(norm(n)), s))]
            m = re.search(r"<[a-z/!][^ ]*|&[a-z]+;|&#\d+", s)
            if m and m.group(0) not in plain_text.get(r["article_id"], ""):
                bad.append("markup")
            if bad:
                noisy += 1
                failures.append(f"{r['id']}: noise {bad[:2]} in {s[:100]!r}")
        if r["form"] != "text":
            p = plain.get(r["article_id"])
            if p is None or "error" in p:
                continue
            pairs += 1
            by_form[r["form"]] += 1
            if summ == [norm(s) for s in p["summary"]]:
                equal += 1
                eq_form[r["form"]] += 1
            elif shown < a.show:
                shown += 1
                print(f"differs: {r['id']}\n  plain: {[norm(s)[:70] for s in p['summary']]}\n"
                      f"  {r['form']}: {[s[:70] for s in summ]}", file=sys.stderr)
        # Offsets: every sentence of every HTML, ANS and ninjs body.
        if r["form"] in ("html", "ans", "ninjs"):
            body = r["article"].encode("utf-8")
            for s in o["sentences"]:
                raw = body[s["offset"]:s["offset"] + s["length"]].decode("utf-8", "replace")
                markup = r["form"] != "ninjs" or "body_text" not in json.loads(r["article"])
                if r["form"] != "html":
                    raw = json_raw_text(raw)
                off_checked += 1
                seen = (from_markup(raw) if markup else norm(raw)) if raw is not None else None
                if seen != norm(s["text"]):
                    off_bad += 1
                    if off_bad <= a.show:
                        print(f"offsets: {r['id']} sentence {s['index']}: {s['text'][:80]!r} vs "
                              f"{seen!r}", file=sys.stderr)
                if (utf16_index(body, s["offset"]) != s["utf16_offset"] or
                        utf16_index(body, s["offset"] + s["length"]) - s["utf16_offset"] != s["utf16_length"]):
                    u16_bad += 1
    share = equal / pairs if pairs else 0.0
    report = {"check": "formats", "pairs": pairs, "equal": equal, "share": round(share, 4),
              "by_form": {f: f"{eq_form[f]}/{by_form[f]}" for f in sorted(by_form)},
              "noisy_sentences": noisy, "errors": errors, "offsets_checked": off_checked,
              "offsets_bad": off_bad, "utf16_bad": u16_bad}
    print(json.dumps(report))
    for f in failures[:a.show]:
        print(f, file=sys.stderr)
    ok = pairs > 0 and share >= a.min_equal and noisy == 0 and errors == 0 and off_bad == 0 \
        and u16_bad == 0 and off_checked > 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
