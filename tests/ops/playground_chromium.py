#!/usr/bin/python3
"""playground_chromium.py: the gateway's playground page (GET /) in real headless Chromium,
driven through the DevTools protocol (python3-websocket). With a real broker, worker and
gateway: types an article and a title into the page (Input.insertText), picks a budget, clicks
the button (Input.dispatchMouseEvent), waits for the answer, and checks that the page shows what
the API answers for the same request: the summary sentences in order, exactly those sentences
highlighted in the article, one table row per sentence with its rank and feature bars. No
JavaScript exception may be thrown. Saves a screenshot under the build dir."""
import base64
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness as h  # noqa: E402
import gw  # noqa: E402

try:
    import websocket  # python3-websocket
except ImportError:
    if os.environ.get("CI") == "true":
        h.fail("python3-websocket is not installed")
    h.skip("python3-websocket is not installed (scripts/deps.sh installs it)")
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    if os.environ.get("CI") == "true":
        h.fail("chromium is not installed")
    h.skip("chromium is not installed (scripts/deps.sh installs it)")

TITLE = "Harbour bridge reopens after repairs"
ARTICLE = open(os.path.join(h.SRC, "examples", "articles", "harbour-bridge.txt"),
               encoding="utf-8").read()

b = h.Broker()
w = h.worker(b.backend, "w-play")
h.wait_registered(b, 1)
g = gw.Gateway(b.frontend, name="gateway-play")
g.wait_ready()

# the API's own answer to the request the page will make
api_req = {"title": TITLE, "body": ARTICLE, "explain": True, "words": 60}
st, _, body = g.post("/v1/summarize", api_req)
h.check(st == 200, "API: %d %s" % (st, body[:200]))
api = json.loads(body)
by_index = {s["index"]: s for s in api["sentences"]}
api_summary = [by_index[i]["text"] for i in api["summary"]]
h.check(api_summary, "the API chose no sentence")

profile = os.path.join(h.TMP, "chromium-profile")
proc = h.spawn([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--remote-debugging-port=0", "--remote-allow-origins=*",
                "--user-data-dir=" + profile, "--window-size=1400,1800", "about:blank"],
               "chromium.log")
port_file = os.path.join(profile, "DevToolsActivePort")
end = time.time() + 30
while not os.path.exists(port_file) or not open(port_file).read().strip():
    if proc.poll() is not None or time.time() > end:
        h.fail("chromium did not start its DevTools endpoint:\n" + h.read_log(proc)[-2000:])
    time.sleep(0.1)
port = int(open(port_file).read().split()[0])
pages = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10))
page = [p for p in pages if p.get("type") == "page"][0]
ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
msg_id = [0]
events = []


def cdp(method, **params):
    msg_id[0] += 1
    ws.send(json.dumps({"id": msg_id[0], "method": method, "params": params}))
    while True:
        m = json.loads(ws.recv())
        if m.get("id") == msg_id[0]:
            if "error" in m:
                h.fail("%s: %s" % (method, m["error"]))
            return m.get("result", {})
        events.append(m)


def js(expr):
    r = cdp("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
    if "exceptionDetails" in r:
        h.fail("evaluating %s: %s" % (expr, r["exceptionDetails"]))
    return r["result"].get("value")


def click(selector):
    box = js("(() => { const r = document.querySelector(%s).getBoundingClientRect();"
             " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(selector))
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        cdp("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
            clickCount=1)


def type_into(selector, text):
    click(selector)
    cdp("Input.insertText", text=text)


cdp("Page.enable")
cdp("Runtime.enable")
cdp("Page.navigate", url=g.url + "/")
end = time.time() + 20
while not js("document.readyState === 'complete' && !!document.getElementById('go')"):
    h.check(time.time() < end, "the playground did not load")
    time.sleep(0.05)
type_into("#title", TITLE)
type_into("#body", ARTICLE)
js("document.getElementById('budgetKind').value = 'words'")
js("document.getElementById('budget').value = ''")
type_into("#budget", "60")
h.check(js("document.getElementById('body').value") == ARTICLE, "the typed article differs")
t0 = time.time()
click("#go")
end = time.time() + 20
while not (js("document.getElementById('status').textContent") or "").startswith("done"):
    status = js("document.getElementById('status').textContent")
    h.check(time.time() < end, "no answer shown; status %r" % status)
    h.check(not (status or "").startswith(("4", "5")), "the page shows an error: %s" % status)
    time.sleep(0.05)
h.log("the page answered in %.0f ms: %s" % ((time.time() - t0) * 1000,
                                             js("document.getElementById('status').textContent")))

shown_summary = js("[...document.querySelectorAll('#summary li')].map(li => li.textContent)")
h.check(shown_summary == api_summary, "summary on the page %r != API's %r" % (shown_summary,
                                                                             api_summary))
marked = js("[...document.querySelectorAll('#article mark')].map(m => [+m.dataset.index, m.textContent])")
h.check(sorted(i for i, _ in marked) == sorted(api["summary"]),
        "highlighted sentences %r != the summary %r" % ([i for i, _ in marked], api["summary"]))
for i, text in marked:
    h.check(text == by_index[i]["text"], "highlight %d shows %r" % (i, text))
article_text = js("document.getElementById('article').textContent")
h.check(article_text == ARTICLE, "the article shown is not the article typed")
rows = js("[...document.querySelectorAll('#ranks tbody tr')].map(tr => [+tr.dataset.index,"
          " +tr.children[1].textContent, tr.querySelectorAll('.bar').length,"
          " tr.className === 'selected'])")
h.check(len(rows) == len(api["sentences"]), "%d rows for %d sentences" % (len(rows),
                                                                          len(api["sentences"])))
for idx, rank, n_bars, sel in rows:
    s = by_index[idx]
    h.check(rank == s["rank"] and sel == s["selected"] and n_bars == len(s["features"]),
            "row %d: rank %d selected %r bars %d; API: %r" % (idx, rank, sel, n_bars, s))
meta = js("document.getElementById('meta').textContent")
h.check(str(api["sentenceCount"]) + " sentences" in meta, "meta line: %r" % meta)
exceptions = [e for e in events if e.get("method") == "Runtime.exceptionThrown"]
h.check(not exceptions, "JavaScript exceptions: %r" % exceptions)
errors = [e for e in events if e.get("method") == "Runtime.consoleAPICalled"
          and e["params"].get("type") == "error"]
h.check(not errors, "console errors: %r" % errors)

shot = cdp("Page.captureScreenshot", format="png", captureBeyondViewport=True)
out_png = os.path.join(os.environ.get("LEDE_BUILD_DIR", h.TMP), "playground.png")
with open(out_png, "wb") as f:
    f.write(base64.b64decode(shot["data"]))
h.check(os.path.getsize(out_png) > 20000, "the screenshot is only %d bytes" % os.path.getsize(out_png))
h.log("chromium %s: summary (%d sentences), %d highlights, %d rows with rank and %d feature "
      "bars each equal the API's answer; screenshot %s (%d bytes)" % (
          subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip(),
          len(shown_summary), len(marked), len(rows), len(api["sentences"][0]["features"]),
          out_png, os.path.getsize(out_png)))
ws.close()
h.stop(proc, timeout=10)
h.check(h.stop(g.proc) == 0, "gateway did not exit 0")
h.check(h.stop(w) == 0, "worker did not exit 0")
h.check(h.stop(b.proc) == 0, "broker did not exit 0")
h.log("PASS")
