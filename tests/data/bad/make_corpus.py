#!/usr/bin/python3
"""make_corpus.py: writes the bad-input corpus in this folder (the checked-in files and
MANIFEST.tsv) from the rules below, so every item says how it was made. Run it after changing a
rule: `tests/data/bad/make_corpus.py`. Items too big to commit (50 MB, oversized frames, deeply
repeated text) are made at test time by tests/fault/bad_inputs.py; they are listed in the
manifest with kind "gen".

MANIFEST.tsv columns: file, kind, expected status, who answers, what it is.
  kind frame    the file is one whole ZeroMQ frame sent to the broker's frontend as is
  kind payload  the file is the Summarize payload (SummarizeRequest bytes) of a valid CALL
  kind article  the file is an article body, sent in a valid SummarizeRequest
  kind gen      made by the test (the file column is the generator's name)"""
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
tmp = tempfile.mkdtemp()
subprocess.run(["protoc", "--python_out=" + tmp, "--proto_path=" + os.path.join(SRC, "proto"),
                os.path.join(SRC, "proto", "lede.proto")], check=True)
sys.path.insert(0, tmp)
import lede_pb2 as pb  # noqa: E402

shutil.rmtree(tmp)
rnd = random.Random(20240501)
M = "lede.v1.Summarizer/Summarize"
ART = (b"The council approved the budget on Tuesday, officials said.\n"
       b"The plan adds 40 electric buses and extends two tram lines.\n"
       b"Critics said the budget relies on optimistic tax forecasts.\n")


def hdr(cmd, version=1, magic=b"LEDE"):
    return magic + bytes([version, cmd])


def call(**kw):
    base = dict(call_id="bad-1", method=M, timeout_ms=20000,
                payload=pb.SummarizeRequest(article_id="x", body=ART).SerializeToString())
    base.update(kw)
    return pb.Call(**base).SerializeToString()


def req(**kw):
    base = dict(article_id="x", body=ART)
    base.update(kw)
    return pb.SummarizeRequest(**base).SerializeToString()


items = []  # (file, kind, expect, who, description, bytes or None)


def add(name, kind, expect, who, desc, data=None):
    items.append((name, kind, expect, who, desc, data))


good = hdr(1) + call()
# ---- frames: the broker's codec ----
add("empty.frame", "frame", "INVALID_ARGUMENT", "broker", "a zero-length frame", b"")
add("short.frame", "frame", "INVALID_ARGUMENT", "broker", "5 bytes: header cut short", b"LEDE\x01")
add("magic.frame", "frame", "INVALID_ARGUMENT", "broker", "wrong magic, valid CALL after it",
    hdr(1, magic=b"LEDX") + call())
add("http.frame", "frame", "INVALID_ARGUMENT", "broker", "an HTTP request line",
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
add("version-0.frame", "frame", "FAILED_PRECONDITION", "broker", "protocol version 0",
    hdr(1, version=0) + call())
add("version-2.frame", "frame", "FAILED_PRECONDITION", "broker", "protocol version 2",
    hdr(1, version=2) + call())
add("version-255.frame", "frame", "FAILED_PRECONDITION", "broker", "protocol version 255",
    hdr(1, version=255) + call())
add("command-99.frame", "frame", "INVALID_ARGUMENT", "broker", "unknown command byte 99",
    hdr(99) + call())
add("command-0.frame", "frame", "INVALID_ARGUMENT", "broker", "command byte 0", hdr(0) + call())
add("ready-on-frontend.frame", "frame", "INVALID_ARGUMENT", "broker",
    "a worker's READY sent by a client",
    hdr(16) + pb.Ready(capacity=4, name="intruder").SerializeToString())
add("reply-on-frontend.frame", "frame", "INVALID_ARGUMENT", "broker",
    "a REPLY sent by a client", hdr(2) + pb.Reply(call_id="bad-1").SerializeToString())
add("truncated-call.frame", "frame", "INVALID_ARGUMENT", "broker",
    "a valid CALL cut in the middle of its payload field", good[:len(good) // 2])
add("truncated-varint.frame", "frame", "INVALID_ARGUMENT", "broker",
    "body ends inside a varint", hdr(1) + b"\x18\xff\xff\xff")
add("garbage-body.frame", "frame", "INVALID_ARGUMENT", "broker", "CALL header + 512 random bytes",
    hdr(1) + bytes(rnd.getrandbits(8) for _ in range(512)))
add("wrong-wiretype.frame", "frame", "INVALID_ARGUMENT", "broker",
    "call_id (field 1) sent as a varint", hdr(1) + b"\x08\x05")
add("huge-length.frame", "frame", "INVALID_ARGUMENT", "broker",
    "payload field claiming 2 GiB of bytes that are not there", hdr(1) + b"\x2a\x80\x80\x80\x80\x08abc")
add("field-zero.frame", "frame", "INVALID_ARGUMENT", "broker", "protobuf field number 0",
    hdr(1) + b"\x02\x01x" + call())
add("empty-call-id.frame", "frame", "INVALID_ARGUMENT", "broker", "CALL without a call_id",
    hdr(1) + call(call_id=""))
add("long-call-id.frame", "frame", "INVALID_ARGUMENT", "broker", "a 300-byte call_id",
    hdr(1) + call(call_id="x" * 300))
add("no-method.frame", "frame", "INVALID_ARGUMENT", "broker", "CALL without a method",
    hdr(1) + call(method=""))
add("unknown-method.frame", "frame", "UNIMPLEMENTED", "broker", "a method nobody serves",
    hdr(1) + call(method="lede.v1.Nope/Nothing"))
add("invalid-utf8-call-id.frame", "frame", "INVALID_ARGUMENT", "broker",
    "call_id (a proto3 string) that is not UTF-8", hdr(1) + b"\x0a\x02\xc3\x28" + call()[7:])
# ---- payloads: the worker's request decoding and validation ----
add("garbage.payload", "payload", "INVALID_ARGUMENT", "worker",
    "4 KB of random bytes as the SummarizeRequest", bytes(rnd.getrandbits(8) for _ in range(4096)))
add("truncated.payload", "payload", "INVALID_ARGUMENT", "worker",
    "a SummarizeRequest cut inside its body field", req()[:40])
add("ratio-5.payload", "payload", "INVALID_ARGUMENT", "worker", "budget ratio 5.0 (must be in (0,1])",
    req(ratio=5.0))
add("ratio-nan.payload", "payload", "INVALID_ARGUMENT", "worker", "budget ratio NaN",
    req(ratio=float("nan")))
add("ratio-negative.payload", "payload", "INVALID_ARGUMENT", "worker", "budget ratio -1",
    req(ratio=-1.0))
add("unknown-weight.payload", "payload", "INVALID_ARGUMENT", "worker",
    "a weight for a feature that does not exist",
    req(weights=[pb.FeatureWeight(name="bogus", value=1.0)]))
add("weight-inf.payload", "payload", "INVALID_ARGUMENT", "worker", "an infinite weight",
    req(weights=[pb.FeatureWeight(name="position", value=float("inf"))]))
add("language-xx.payload", "payload", "INVALID_ARGUMENT", "worker", "an unsupported language",
    req(language="xx"))
add("title-invalid-utf8.payload", "payload", "INVALID_ARGUMENT", "worker",
    "a title that is not UTF-8", req(title=b"Bad \xff title"))
# ---- articles: the engine ----
add("empty.article", "article", "INVALID_ARGUMENT", "worker", "an empty body", b"")
add("whitespace.article", "article", "INVALID_ARGUMENT", "worker", "only spaces and newlines",
    b" \n\t\n   \n" * 100)
add("invalid-utf8.article", "article", "INVALID_ARGUMENT", "worker", "a stray 0xC3 0x28",
    ART + b"Caf\xc3\x28 is closed.\n")
add("overlong-utf8.article", "article", "INVALID_ARGUMENT", "worker", "an overlong '/' (C0 AF)",
    ART + b"Path \xc0\xaf here.\n")
add("surrogate-utf8.article", "article", "INVALID_ARGUMENT", "worker",
    "a UTF-16 surrogate encoded in UTF-8 (ED A0 80)", ART + b"Odd \xed\xa0\x80 text.\n")
add("truncated-utf8.article", "article", "INVALID_ARGUMENT", "worker",
    "ends inside a 3-byte sequence", ART + b"Euro \xe2\x82")
add("binary.article", "article", "INVALID_ARGUMENT", "worker", "64 KB of random bytes",
    bytes(rnd.getrandbits(8) for _ in range(65536)))
add("png.article", "article", "INVALID_ARGUMENT", "worker", "a PNG header and binary chunks",
    b"\x89PNG\r\n\x1a\n" + bytes(rnd.getrandbits(8) for _ in range(2048)))
add("nul-bytes.article", "article", "OK", "worker",
    "text with NUL bytes inside sentences (valid UTF-8)",
    b"The council met on Tuesday.\x00 It approved the budget.\n\x00\x00The mayor spoke.\n" * 20)
add("punctuation.article", "article", "INVALID_ARGUMENT", "worker",
    "punctuation only, no words", b"... !!! ??? ;;; --- ***\n" * 200)
add("long-word.article", "article", "OK", "worker", "one 100 KB word", b"a" * 100000)
add("controls.article", "article", "OK", "worker", "C0 controls and bidi marks around text",
    b"\x01\x02Hello \xe2\x80\xae world.\x1b[31m Red text.\x07\n" * 50)

for name, kind, expect, who, desc, data in items:
    with open(os.path.join(HERE, name), "wb") as fh:
        fh.write(data)
gen = [
    ("gen-50mb", "gen", "RESOURCE_EXHAUSTED", "worker",
     "a 50 MB article (text), over the worker's --max-article-bytes"),
    ("gen-over-article-limit", "gen", "RESOURCE_EXHAUSTED", "worker",
     "an article one byte over --max-article-bytes"),
    ("gen-oversized-frame", "gen", "INVALID_ARGUMENT", "broker",
     "a CALL frame over the broker's --max-msg-bytes"),
    ("gen-repeated-sentence", "gen", "OK", "worker",
     "one sentence repeated to 4 MB (deeply repeated text)"),
    ("gen-repeated-word", "gen", "OK", "worker",
     "one word repeated to 4 MB without punctuation (one huge sentence)"),
    ("gen-many-paragraphs", "gen", "OK", "worker", "200,000 one-word paragraphs"),
    ("gen-multipart", "gen", "INVALID_ARGUMENT", "broker", "a valid CALL sent as two frames"),
]
with open(os.path.join(HERE, "MANIFEST.tsv"), "w") as fh:
    fh.write("# file\tkind\texpect\twho\tdescription (made by make_corpus.py)\n")
    for name, kind, expect, who, desc, _ in items:
        fh.write("\t".join((name, kind, expect, who, desc)) + "\n")
    for row in gen:
        fh.write("\t".join(row) + "\n")
print("wrote %d files and MANIFEST.tsv (%d items)" % (len(items), len(items) + len(gen)))
