#!/usr/bin/env python3
"""demo_gateway.py URL FILE...: scripts/demo.sh's HTTP half. Summarizes each FILE through
lede-gateway at URL with the Python client in clients/python (standard library only, used from
the source tree, not installed), the format (text or HTML) and the language left for the
service to detect, and prints each summary's sentences under a header saying what was found.
Exits 1 if any article fails, after trying them all."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python"))
import lede  # noqa: E402

FORMATS = {"FORMAT_TEXT": "text", "FORMAT_HTML": "HTML", "FORMAT_ANS": "ANS", "FORMAT_NINJS": "ninjs"}


def main(argv):
    if len(argv) < 3:
        print("usage: demo_gateway.py URL FILE...", file=sys.stderr)
        return 2
    status = 0
    with lede.Client(argv[1]) as c:
        for path in argv[2:]:
            with open(path, encoding="utf-8") as f:
                body = f.read()
            try:
                s = c.summarize(body, sentences=3, deadline_ms=10000)
            except lede.LedeError as e:
                print("\n== %s: %s" % (os.path.basename(path), e))
                status = 1
                continue
            lang = s.language
            if s.get("languageDetected"):
                lang += " detected, confidence %.2f" % s.get("languageConfidence", 0)
            print("\n== %s (3 sentences, through the gateway: %s, %s)"
                  % (os.path.basename(path), FORMATS.get(s.get("format"), s.get("format")), lang))
            for t in s.texts:
                print(t)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
