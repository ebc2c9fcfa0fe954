"""lede's ZeroMQ frames (docs/PROTOCOL.md) with a small protobuf codec of its own, so the
ZeroMQ client needs pyzmq but not the protobuf package. Only the messages a client sends and
reads: Call, Reply, SummarizeRequest, SummarizeResponse. Unknown fields are skipped (fields
added later reach Python through the HTTP client, which gets every field)."""
import struct

VERSION = 1
CALL, REPLY = 1, 2
METHOD = "lede.v1.Summarizer/Summarize"


def _varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def _bytes(field, b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    return _key(field, 2) + _varint(len(b)) + b if b else b""


def _uint(field, n):
    return _key(field, 0) + _varint(int(n)) if n else b""


def _double(field, x):
    return _key(field, 1) + struct.pack("<d", x)


def frame(command, body):
    return b"LEDE" + bytes([VERSION, command]) + body


def encode_call(call_id, method, timeout_ms, payload, metadata=None, wait_for_ready=False):
    out = _bytes(1, call_id) + _bytes(2, method) + _uint(3, timeout_ms)
    for k, v in (metadata or {}).items():
        out += _bytes(4, _bytes(1, k) + _bytes(2, v))
    out += _bytes(5, payload) + _uint(8, 1 if wait_for_ready else 0)
    return frame(CALL, out)


def encode_request(req):
    """A request dict (the JSON shape: body, title, sentences, ...) -> SummarizeRequest bytes."""
    out = _bytes(1, req.get("articleId", "")) + _bytes(2, req.get("title", ""))
    out += _bytes(3, req.get("body", "")) + _bytes(4, req.get("language", ""))
    for field, name in ((5, "sentences"), (6, "words"), (7, "chars")):
        if name in req:
            out += _key(field, 0) + _varint(int(req[name]))
    if "ratio" in req:
        out += _double(8, float(req["ratio"]))
    for w in req.get("weights", []):
        out += _bytes(9, _bytes(1, w["name"]) + _double(2, float(w["value"])))
    if req.get("explain"):
        out += _uint(10, 1)
    return out


def _fields(data):
    """Yields (field, wire type, value) of one message."""
    i, n = 0, len(data)
    while i < n:
        key, i = _read_varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _read_varint(data, i)
        elif wire == 1:
            v, i = data[i:i + 8], i + 8
        elif wire == 2:
            ln, i = _read_varint(data, i)
            v, i = data[i:i + ln], i + ln
        elif wire == 5:
            v, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d is not supported" % wire)
        yield field, wire, v


def _read_varint(data, i):
    shift = result = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _d(v):
    return struct.unpack("<d", v)[0]


def _utf8(v):
    return v.decode("utf-8")


def _text(v):
    return v.decode("utf-8", "replace")


def _same(v):
    return v


def _decode(data, fields, into):
    """Fills dict into from a message's scalar fields: fields maps a field number to
    (key, convert); other fields are skipped. Returns into."""
    for f, _, v in _fields(data):
        if f in fields:
            key, convert = fields[f]
            into[key] = convert(v)
    return into


_REPLY = {1: ("callId", _utf8), 2: ("status", _same), 3: ("message", _text),
          4: ("payload", bytes), 6: ("servedBy", _text)}


def decode_reply(data):
    """A REPLY frame -> dict(callId, status, message, payload, servedBy); ValueError if not one."""
    if len(data) < 6 or data[:4] != b"LEDE" or data[4] != VERSION or data[5] != REPLY:
        raise ValueError("not a lede REPLY frame")
    r = {"callId": "", "status": 0, "message": "", "payload": b"", "servedBy": ""}
    return _decode(data[6:], _REPLY, r)


_FEATURES = {1: "position", 2: "term", 3: "entity", 4: "title", 5: "length", 6: "opener"}
_SENTENCE = {
    1: ("index", _same), 2: ("rank", _same), 3: ("score", _d),
    4: ("features", lambda v: {_FEATURES[k]: _d(x) for k, _, x in _fields(v) if k in _FEATURES}),
    5: ("offset", _same), 6: ("length", _same), 7: ("paragraph", _same),
    8: ("selected", bool), 9: ("duplicateOf", lambda v: v - (1 << 64) if v >= 1 << 63 else v),
    10: ("text", _text)}


def _sentence(data):
    s = {"index": 0, "rank": 0, "score": 0.0, "features": {}, "offset": 0, "length": 0,
         "paragraph": 0, "selected": False, "duplicateOf": 0, "text": ""}
    return _decode(data, _SENTENCE, s)


_TIMINGS = {1: ("engineUs", _same), 2: ("workerUs", _same)}
_RESPONSE = {1: ("articleId", _utf8), 4: ("engineVersion", _utf8),
             5: ("timings", lambda v: _decode(v, _TIMINGS, {})), 6: ("language", _utf8),
             7: ("sentenceCount", _same)}


def decode_response(data):
    """SummarizeResponse bytes -> the dict the gateway's JSON would give (lowerCamelCase)."""
    r = {"articleId": "", "summary": [], "sentences": [], "engineVersion": "", "language": "",
         "sentenceCount": 0}
    for f, wire, v in _fields(data):
        if f == 2:  # repeated uint32: packed, or one value
            if wire == 2:
                i = 0
                while i < len(v):
                    x, i = _read_varint(v, i)
                    r["summary"].append(x)
            else:
                r["summary"].append(v)
        elif f == 3:
            r["sentences"].append(_sentence(v))
        elif f in _RESPONSE:
            key, convert = _RESPONSE[f]
            r[key] = convert(v)
    return r
