#!/usr/bin/python3
"""html_view.py: `lede summarize --html`, the editor's view. Writes an article with markup,
quotes and a repeated sentence; checks the page against the --json result (one highlighted
span per summary sentence, one table row per sentence, the duplicate marked, everything
escaped, no script); renders it in headless Chromium (screenshot not blank, no console
errors); and, when lede-broker and lede-worker are built, checks the page made through a
broker is the same as the local one. Exit 77 (skip) when Chromium cannot start."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402  (binaries, temp dir, process cleanup)

ARTICLE = """SEOUL, Jan. 3 (Yonhap) -- South Korea's exports rose 12 percent in December from a year \
earlier, the trade ministry said Tuesday, as chip shipments <b>recovered</b> & "demand" grew.
The ministry said semiconductor exports jumped 20 percent to $11.2 billion, the first rise in 18 months.
Imports fell 3 percent, leaving a trade surplus of $4.5 billion <script>alert(1)</script>.
South Korea's exports rose 12 percent in December from a year earlier, the trade ministry said \
Tuesday, as chip shipments <b>recovered</b> & "demand" grew.

Analysts expect the recovery to continue into the first half of the year, said Mr. Kim of the U.S. bank.
Shipments of cars, ships and displays also grew, while petrochemicals lagged behind.
"""
TITLE = 'Exports <rise> & "chips" </title><script>alert(2)</script>'


def run(args, **kw):
    return subprocess.run([h.binary("lede")] + args, capture_output=True, text=True, **kw)


def png_check(path):
    """Size and decoded-pixel variety of a PNG (stdlib only)."""
    data = open(path, "rb").read()
    h.check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path)
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    return len(data), width, height, len(set(raw))


def main():
    art = os.path.join(h.TMP, "article.txt")
    with open(art, "w") as f:
        f.write(ARTICLE)
    local_html = os.path.join(h.TMP, "local.html")
    r = run(["summarize", "--local", "--title", TITLE, "--html", local_html, art])
    h.check(r.returncode == 0, "lede --html failed: %s" % r.stderr)
    summary_lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    js = run(["summarize", "--local", "--title", TITLE, "--json", art])
    h.check(js.returncode == 0, "lede --json failed: %s" % js.stderr)
    res = json.loads(js.stdout)
    sentences = res["sentences"]
    page = open(local_html, encoding="utf-8").read()

    # structure against the JSON result
    n_sel = len(re.findall(r'<span class="s sel"', page))
    h.check(n_sel == len(summary_lines) > 0,
            "%d highlighted spans, %d summary lines" % (n_sel, len(summary_lines)))
    rows = len(re.findall(r"<tr[ >]", page)) - 1  # minus the header row
    h.check(rows == len(sentences), "%d table rows for %d sentences" % (rows, len(sentences)))
    dups = [s for s in sentences if s.get("duplicate_of", -1) not in (-1, None)]
    h.check(len(dups) >= 1, "the repeated sentence was not reported as a duplicate by --json")
    h.check(page.count("duplicate of #") == len(dups), "duplicates not marked in the table")
    h.check(len(re.findall(r'<span class="s dup"', page)) == len(dups), "duplicate spans")
    for k in range(1, len(summary_lines) + 1):
        h.check('<sup class="rank">%d</sup>' % k in page, "rank %d is not shown" % k)
    # escaping: nothing from the article or title becomes markup
    h.check("<script" not in page.lower(), "a <script> tag got through")
    h.check("<b>" not in page, "article markup got through")
    h.check("&lt;script&gt;alert(1)&lt;/script&gt;" in page, "the article's text is missing")
    h.check("&lt;/title&gt;&lt;script&gt;alert(2)" in page, "the title is not escaped")
    h.check("&amp; &quot;demand&quot;" in page, "quotes and ampersands not escaped")
    h.check(page.count("<title>") == 1 and page.count("</title>") == 1, "title element broken")
    for name in ("position", "term", "entity", "title", "length", "opener"):
        h.check("<th>%s</th>" % name, "no column for feature %s" % name)
    h.log("structure: %d sentences, %d chosen, %d duplicate(s), escaped" %
          (len(sentences), n_sel, len(dups)))

    # usage errors
    bad = run(["summarize", "--local", "--html", local_html, "--jsonl", art])
    h.check(bad.returncode == 2 and "--html" in bad.stderr, "--html with --jsonl accepted")
    bad = run(["summarize", "--local", "--html", "/nonexistent-dir/x.html", art])
    h.check(bad.returncode == 4 and "cannot write" in bad.stderr,
            "unwritable --html: rc %d %s" % (bad.returncode, bad.stderr))

    # through a broker: the same page
    if all(os.access(os.path.join(h.BIN, b), os.X_OK) for b in ("lede-broker", "lede-worker")):
        broker = h.Broker()
        h.worker(broker.backend, "w-html")
        h.wait_registered(broker, 1)  # a broker without a worker fails fast
        remote_html = os.path.join(h.TMP, "remote.html")
        r = run(["summarize", "--broker", broker.frontend, "--deadline", "20000", "--title",
                 TITLE, "--html", remote_html, art], timeout=60)
        h.check(r.returncode == 0, "lede --broker --html failed: %s" % r.stderr)
        remote = open(remote_html, encoding="utf-8").read()
        # the wire's SummarizeResponse does not carry the count of boilerplate spans removed
        strip = re.compile(r"\d+ boilerplate spans removed")
        h.check(strip.sub("", remote) == strip.sub("", page),
                "the page made through the broker differs from the local one")
        h.log("broker: the page made through %s equals the local one" % broker.frontend)
    else:
        h.check(not h.CI, "lede-broker/lede-worker are not built (CI=true: a failure)")
        h.log("broker: lede-broker/lede-worker not built; --broker path not checked")

    # render in headless Chromium
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        h.skip("chromium is not installed (scripts/deps.sh installs it); structure checks passed")
    shot = os.path.join(h.TMP, "view.png")
    out_png = os.path.join(os.environ.get("LEDE_BUILD_DIR", h.TMP), "html_view.png")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--user-data-dir=" + os.path.join(h.TMP, "chromium-profile"),
           "--window-size=1200,1600", "--screenshot=" + shot, "--enable-logging=stderr",
           "--v=0", "file://" + local_html]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired:
        h.fail("chromium did not finish within 90 s")
    if p.returncode != 0 or not os.path.exists(shot):
        h.skip_env("chromium could not start here (rc %d): %s" % (p.returncode, p.stderr[-500:]))
    console = [ln for ln in p.stderr.splitlines() if "CONSOLE" in ln]
    h.check(not console, "the page logged to the console:\n" + "\n".join(console))
    size, w, ht, colours = png_check(shot)
    h.check(size > 10000, "screenshot only %d bytes" % size)
    h.check((w, ht) == (1200, 1600), "screenshot is %dx%d" % (w, ht))
    h.check(colours > 16, "screenshot looks blank (%d distinct byte values)" % colours)
    shutil.copyfile(shot, out_png)
    h.log("chromium: %s (%d bytes, %dx%d, %d distinct byte values), no console messages" %
          (out_png, size, w, ht, colours))
    h.log("PASS")


main()
