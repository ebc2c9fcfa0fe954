#!/usr/bin/python3
"""openapi_check.py: the gateway's OpenAPI document (`lede-gateway openapi`, the same bytes as
GET /openapi.json) against proto/lede.proto, parsed here on its own: every message reachable from
SummarizeRequest and SummarizeResponse is a schema whose properties are exactly the proto's
fields in lowerCamelCase, with their field numbers, JSON types (bytes as plain strings, 64-bit
integers as numbers), repeated as arrays, messages and enums as references, enum values equal;
and the routes and error codes the gateway serves are there."""
import json
import os
import re
import subprocess
import sys

SRC = os.environ.get("LEDE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("LEDE_BIN") or os.path.join(SRC, "build", "bin")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


gw = os.path.join(BIN, "lede-gateway")
if not os.access(gw, os.X_OK):
    if os.environ.get("CI") == "true":
        fail("lede-gateway is not built in %s" % BIN)
    print("SKIP: lede-gateway is not built in %s" % BIN)
    sys.exit(77)
doc = json.loads(subprocess.run([gw, "openapi"], capture_output=True, check=True).stdout)
schemas = doc["components"]["schemas"]

# ---- a small parser for the proto3 subset lede.proto uses ----
text = re.sub(r"//[^\n]*", "", open(os.path.join(SRC, "proto", "lede.proto")).read())
messages, enums = {}, {}


def parse_block(body):
    fields = []
    for m in re.finditer(r"oneof\s+\w+\s*\{([^}]*)\}", body):
        for f in re.finditer(r"(\w+)\s+(\w+)\s*=\s*(\d+)\s*;", m.group(1)):
            fields.append(("", f.group(1), f.group(2), int(f.group(3)), True))
    rest = re.sub(r"oneof\s+\w+\s*\{[^}]*\}", "", body)
    for f in re.finditer(r"(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;", rest):
        fields.append(((f.group(1) or "").strip(), f.group(2), f.group(3), int(f.group(4)), False))
    return fields


for m in re.finditer(r"\bmessage\s+(\w+)\s*\{", text):
    depth, i = 1, m.end()
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    messages[m.group(1)] = parse_block(text[m.end():i - 1])
for m in re.finditer(r"\benum\s+(\w+)\s*\{([^}]*)\}", text):
    enums[m.group(1)] = [v.group(1) for v in re.finditer(r"(\w+)\s*=\s*-?\d+\s*;", m.group(2))]

SCALARS = {
    "string": ("string", None), "bytes": ("string", None), "bool": ("boolean", None),
    "double": ("number", "double"), "float": ("number", "float"),
    "int32": ("integer", "int32"), "sint32": ("integer", "int32"), "sfixed32": ("integer", "int32"),
    "uint32": ("integer", "uint32"), "fixed32": ("integer", "uint32"),
    "int64": ("integer", "int64"), "sint64": ("integer", "int64"), "sfixed64": ("integer", "int64"),
    "uint64": ("integer", "uint64"), "fixed64": ("integer", "uint64"),
}


def camel(name):
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


seen, todo, checked = set(), ["SummarizeRequest", "SummarizeResponse"], 0
while todo:
    name = todo.pop()
    if name in seen:
        continue
    seen.add(name)
    if name not in schemas:
        fail("message %s has no schema in the OpenAPI document" % name)
    props = schemas[name]["properties"]
    want = {camel(f[2]) for f in messages[name]}
    if set(props) != want:
        fail("%s: OpenAPI properties %s != proto fields %s" % (name, sorted(props), sorted(want)))
    if schemas[name].get("additionalProperties") is not False:
        fail("%s: additionalProperties is not false (unknown fields are rejected)" % name)
    for label, ftype, fname, number, oneof in messages[name]:
        p = props[camel(fname)]
        if p.get("x-proto-field") != number or p.get("x-proto-name") != fname:
            fail("%s.%s: field number %r, proto says %d" % (name, fname, p.get("x-proto-field"),
                                                             number))
        if bool(p.get("x-proto-oneof")) != oneof:
            fail("%s.%s: oneof is %r, proto says %r" % (name, fname, p.get("x-proto-oneof"), oneof))
        item = p
        if label == "repeated":
            if p.get("type") != "array":
                fail("%s.%s is repeated but not an array" % (name, fname))
            item = p["items"]
        if ftype in SCALARS:
            t, fmt = SCALARS[ftype]
            if item.get("type") != t or (fmt and item.get("format") != fmt):
                fail("%s.%s: %s is %r/%r in OpenAPI, expected %s/%s" % (
                    name, fname, ftype, item.get("type"), item.get("format"), t, fmt))
            if ftype == "bytes" and "contentEncoding" in item:
                fail("%s.%s: bytes must be plain JSON strings, not %s" % (name, fname,
                                                                          item["contentEncoding"]))
        else:
            short = ftype.split(".")[-1]
            if item.get("$ref") != "#/components/schemas/" + short:
                fail("%s.%s: %s is not a $ref to it: %r" % (name, fname, ftype, item))
            if short in messages:
                todo.append(short)
            elif short in enums:
                if schemas[short].get("enum") != enums[short]:
                    fail("enum %s: %r != proto's %r" % (short, schemas[short].get("enum"),
                                                        enums[short]))
            else:
                fail("%s.%s: type %s is neither a message nor an enum in lede.proto" % (
                    name, fname, ftype))
        checked += 1

for path, method in (("/v1/summarize", "post"), ("/lede.v1.Summarizer/Summarize", "post"),
                     ("/v1/summarize:batch", "post"), ("/healthz", "get"), ("/readyz", "get"),
                     ("/metrics", "get"), ("/openapi.json", "get")):
    if method not in doc["paths"].get(path, {}):
        fail("no %s %s in the document" % (method.upper(), path))
codes = set(doc["paths"]["/v1/summarize"]["post"]["responses"])
for c in ("200", "400", "401", "403", "413", "429", "500", "501", "503", "504"):
    if c not in codes:
        fail("POST /v1/summarize lists no %s response" % c)
if schemas["Error"]["properties"]["code"]["enum"] != enums["Status"]:
    fail("the Error schema's codes are not lede.v1.Status's names")
if not doc["openapi"].startswith("3.1"):
    fail("not OpenAPI 3.1: %s" % doc["openapi"])
print("%d messages, %d fields checked against proto/lede.proto; routes and error codes present"
      % (len(seen), checked))
print("PASS")
