#!/usr/bin/env python3
"""make_corpus.py: writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

ctest replays every file there before each short random run, so a crash input kept here is a
regression case that runs the same way every time. Found crashes are added by hand as
crash-<what>.bin (never regenerated); this script only (re)writes the seed-*.bin files.
Run it from anywhere: python3 tests/fuzz/make_corpus.py
"""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(num, wt, payload):
    key = varint(num << 3 | wt)
    if wt == 0:
        return key + varint(payload)
    if wt == 2:
        return key + varint(len(payload)) + payload
    raise ValueError(wt)


def frame(cmd, body=b"", version=1):
    return b"LEDE" + bytes([version, cmd]) + body


def summarize_request(body, title=b"", lang=b"en", sentences=3, explain=True):
    req = field(3, 2, body)
    if title:
        req = field(2, 2, title) + req
    if lang:
        req += field(4, 2, lang)
    req += field(5, 0, sentences)
    if explain:
        req += field(10, 0, 1)
    return req


def call(call_id=b"c1", payload=b"", timeout=1000, meta=()):
    body = field(1, 2, call_id) + field(2, 2, b"lede.v1.Summarizer/Summarize")
    body += field(3, 0, timeout)
    for k, v in meta:
        body += field(4, 2, field(1, 2, k) + field(2, 2, v))
    return body + field(5, 2, payload)


ARTICLE = (b"The U.S. Senate on Thursday passed a $95 billion aid package. "
           b"Lawmakers said the vote was close.\nDr. Smith of the U.N. said: \"We are glad.\" "
           b"Officials will meet again on Monday.")


def wire_seeds():
    req = summarize_request(ARTICLE, title=b"Senate passes aid")
    return {
        "seed-call.bin": frame(1, call(payload=req, meta=[(b"trace-id", b"abc")])),
        "seed-call-empty.bin": frame(1, call(payload=b"")),
        "seed-reply.bin": frame(2, field(1, 2, b"c1") + field(2, 0, 0) + field(4, 2, b"\x0a\x01x")
                                + field(5, 0, 7) + field(6, 2, b"w1")),
        "seed-reply-error.bin": frame(2, field(1, 2, b"c1") + field(2, 0, 3)
                                      + field(3, 2, b"bad article")),
        "seed-ready.bin": frame(16, field(1, 2, b"lede.v1.Summarizer/Summarize") + field(2, 0, 4)
                                + field(3, 2, b"host:1") + field(4, 0, 1000)),
        "seed-heartbeat.bin": frame(17, field(1, 0, 2)),
        "seed-disconnect.bin": frame(18, field(1, 2, b"draining")),
        "seed-bad-magic.bin": b"LEDX\x01\x01",
        "seed-bad-version.bin": frame(1, call(), version=2),
        "seed-noncanonical-tag.bin": frame(1, b"\x8a\x00\x02c1" + field(5, 2, b"x")),
    }


def broker_script(events):
    """Each event: op, who, len, frame bytes (see fuzz_broker.c); an int in place of the bytes
    is the length byte alone (a tick of len * 10 ms consumes no frame)."""
    out = bytearray()
    for op, who, data in events:
        if isinstance(data, int):
            out += bytes([op, who, data])
        else:
            out += bytes([op, who, len(data)]) + data
    return bytes(out)


def broker_seeds():
    ready = field(1, 2, b"lede.v1.Summarizer/Summarize") + field(2, 0, 2) + field(3, 2, b"w")
    c = call(payload=b"\x1a\x02hi", timeout=500)
    reply = field(1, 2, b"c1") + field(5, 0, 1)
    # op & 8 adds a valid header; (op >> 4) % 5 picks the command: 0 CALL, 1 REPLY, 2 READY,
    # 3 HEARTBEAT, 4 DISCONNECT; op % 2 is the side (0 client, 1 worker).
    hdr = lambda cmd_index, side: 8 | cmd_index << 4 | side
    return {
        "seed-dispatch.bin": broker_script([(hdr(2, 1), 1, ready), (hdr(0, 0), 0, c),
                                            (hdr(1, 1), 1, reply)]),
        "seed-worker-dies.bin": broker_script([(hdr(2, 1), 1, ready), (hdr(0, 0), 0, c),
                                               (2, 0, 255), (2, 0, 255), (hdr(2, 1), 2, ready)]),
        "seed-no-worker.bin": broker_script([(hdr(0, 0), 0, c), (2, 0, 100)]),
        "seed-drain.bin": broker_script([(hdr(2, 1), 1, ready), (hdr(0, 0), 0, c),
                                         (5, 0xFF, b""), (hdr(4, 1), 1, b"")]),
    }


def engine_seeds():
    opts = lambda kind, value, lang, title_len: bytes([kind, value & 0xFF, value >> 8, 0, lang,
                                                       title_len, 0, 0])
    title = b"Senate passes aid"
    return {
        "seed-sentences.bin": opts(0, 3, 0, len(title)) + title + ARTICLE,
        "seed-words.bin": opts(1, 20, 0, 0) + ARTICLE,
        "seed-chars.bin": opts(2, 80, 0, 0) + ARTICLE,
        "seed-ratio.bin": opts(3, 12000, 0, 0) + ARTICLE,
        "seed-bad-utf8.bin": opts(0, 2, 0, 0) + b"Caf\xc3 au lait. Second sentence here.",
        "seed-lowercase.bin": opts(0, 2, 0, 0) + ARTICLE.lower(),
        # other languages (the index into fuzz_engine.c's langs[]): datelines, CJK, scripts
        "seed-de.bin": opts(0, 2, 10, 0) + "Berlin (dpa) - Am 3. Oktober kam z. B. Dr. Meier. "
                       "„Gut.“ Dann ging er.".encode(),
        "seed-zh.bin": opts(0, 1, 7, 0) + "新华社北京12月1日电（记者王明）国务院批准了《计划！》。"
                       "他说：「好！」".encode(),
        "seed-ja.bin": opts(0, 1, 8, 0) + "【東京共同】これはペンです。それは何ですか？".encode(),
        "seed-ar.bin": opts(0, 2, 11, 0) + "سؤال وجواب: ماذا حدث؟ الدم، والقلب، زرعها".encode(),
        "seed-auto.bin": opts(0, 2, 6, 0) + "МОСКВА, 1 декабря. /ТАСС/. Правительство "
                         "одобрило план. Он сказал.".encode(),
    }


def format_seeds():
    """fuzz_format: byte 0 picks the format (0 auto .. 4 ninjs, 5 out of range), byte 1 the
    budget; the rest is the body."""
    html = (b'<!-- wp:paragraph --><p><strong>LONDON</strong> &mdash; The Senate passed the aid '
            b'&amp bill.<p>Officials said &#8220;yes&#x201D; &nbsp;twice.</p><figure><img src=x>'
            b'<figcaption>A caption (AP Photo/X Y)</figcaption></figure><aside class="related">'
            b'<a href=/a>Related story</a></aside><![CDATA[ c ]]><script>if (a < b) x();</script>'
            b'<ul><li><p>An item here.</li></ul></div></span><h2>Sub</h2><p>Last one.')
    ans = (b'{"type":"story","headlines":{"basic":"Aid bill"},"content_elements":[{"type":"text",'
           b'"content":"The Senate <b>passed</b> the bill \u2014 \"finally\". \ud83d\udd25"},'
           b'{"type":"image","caption":"x"},{"type":"list","items":[{"type":"text","content":'
           b'"An item."}]},{"type":"raw_html","content":"<div>AD</div>"}]}')
    ninjs = (b'{"uri":"urn:x","headlines":[{"role":"main","value":"Aid"}],"bodies":[{"role":'
             b'"main","contenttype":"text/html","value":"<p>The Senate passed it.</p>"}],'
             b'"body_text":"Plain body here."}')
    wire = (b"BC-US--Senate-Aid,1st Ld-Writethru,0612\n^Senate passes aid^\n\n"
            b"   WASHINGTON (AP) -- The U.S. Senate on Thursday passed a $95\n"
            b"billion aid package for Ukraine, Israel and Taiwan after months of\n"
            b"delay, sending the measure to the president for his signature.\n"
            b"- The vote was 79 to 18 and supporters said the money was long\n"
            b"overdue.\n(MORE)\n-0-\nAP-NY-04-20-24 1532EDT\n")
    return {
        "seed-html.bin": bytes([2, 3]) + html,
        "seed-html-auto.bin": bytes([0, 2]) + html,
        "seed-html-charset.bin": bytes([2, 3]) + b'<meta charset="latin1"><p>Text.</p>',
        "seed-ans.bin": bytes([3, 3]) + ans,
        "seed-ans-auto.bin": bytes([0, 3]) + ans,
        "seed-ans-bad.bin": bytes([3, 3]) + ans[:40],
        "seed-ninjs.bin": bytes([4, 3]) + ninjs,
        "seed-wire.bin": bytes([1, 3]) + wire,
        "seed-wire-auto.bin": bytes([0, 5]) + wire,
        "seed-text.bin": bytes([1, 2]) + ARTICLE,
    }


def handler_seeds():
    # two bytes of reply bound (fuzz_handler.c), then a Summarize or SummarizeBatch payload
    good = summarize_request(ARTICLE, title=b"Senate passes aid")
    short = summarize_request(ARTICLE, explain=False, sentences=1)
    refused = field(3, 2, ARTICLE) + field(6, 0, 1)  # words: 1, no sentence fits
    garbled = b"\x0a\xff\x01"
    batch = lambda *items: b"".join(field(1, 2, x) for x in items)
    return {
        "seed-single.bin": b"\x01\x00" + good,
        "seed-batch.bin": b"\x01\x00" + batch(good, short),
        "seed-batch-mixed.bin": b"\x01\x00" + batch(short, garbled, refused, good),
        "seed-batch-resend.bin": b"\x00\x30" + batch(short, good, good, short),
        "seed-batch-empty-item.bin": b"\x01\x00" + batch(b"", short),
        "seed-batch-none.bin": b"\x01\x00",
    }


def main():
    for target, seeds in (("wire", wire_seeds()), ("broker", broker_seeds()),
                          ("engine", engine_seeds()), ("format", format_seeds()),
                          ("handler", handler_seeds())):
        d = os.path.join(HERE, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
