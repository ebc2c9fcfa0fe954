/* pbjson.h: protobuf-c messages <-> JSON in the proto3 JSON mapping, driven by the message
 * descriptors (so a field added to proto/lede.proto appears in the gateway's JSON and its
 * OpenAPI document with no code change). Field names are lowerCamelCase (both spellings are
 * read); enums are their names; unset oneof members and absent messages are left out, every
 * other field is written (grpc-gateway's EmitUnpopulated). Two deliberate differences from the
 * mapping, for newsroom clients: `bytes` fields (title, body, sentence text: UTF-8 in lede)
 * are JSON strings, never base64, and 64-bit integers (offsets) are JSON numbers. */
#ifndef LEDE_PBJSON_H
#define LEDE_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* A growing output buffer with a maximum set at creation. */
struct lede_jbuf {
    char *data;
    size_t len, cap, max;
    int failed; /* out of memory or past max: the contents are incomplete */
};

void lede_jbuf_init(struct lede_jbuf *b, size_t max);
void lede_jbuf_release(struct lede_jbuf *b);
void lede_jbuf_put(struct lede_jbuf *b, const void *s, size_t n);
void lede_jbuf_puts(struct lede_jbuf *b, const char *s);
/* s[0..n) as a JSON string (quotes added); bytes that are not UTF-8 become U+FFFD. */
void lede_jbuf_string(struct lede_jbuf *b, const char *s, size_t n);

/* "article_id" -> "articleId" into out (NUL-terminated, cut at out_len). */
void lede_pbjson_camel(const char *name, char *out, size_t out_len);

/* Appends m as a JSON object. */
void lede_pbjson_write(struct lede_jbuf *b, const ProtobufCMessage *m);

/* lede_pbjson_write of the message of type d packed in buf[0..len), written straight from its
 * bytes when they are what lede's encoders write (fields in number order, each singular field
 * at most once, repeated ones together, proto3 scalars, ASCII strings, no unknown field):
 * returns 1, and b holds the same bytes as unpacking it and lede_pbjson_write would give.
 * 0: b is left as it was (unpack the message and write it). */
int lede_pbjson_write_packed(struct lede_jbuf *b, const ProtobufCMessageDescriptor *d,
                             const uint8_t *buf, size_t len);

/* Builds a message of type d from a JSON object. On LEDE_OK *out is the caller's (free with
 * protobuf_c_message_free_unpacked(*out, NULL)). Errors (err names the field and why):
 * LEDE_EINVAL (not an object, an unknown field, a value of the wrong type or out of range, two
 * members of one oneof), LEDE_ENOMEM. */
int lede_pbjson_read(const ProtobufCMessageDescriptor *d, const json_t *obj, ProtobufCMessage **out,
                     char *err, size_t err_len);

/* The same from JSON text s[0..n) directly, without building a jansson tree (the gateway's hot
 * path: jansson took a third of its CPU). Strict JSON (RFC 8259): one value, nesting at most 32
 * deep, strings valid UTF-8 after escapes; a key given twice keeps the last value. Errors as
 * lede_pbjson_read (LEDE_EINVAL for text that is not JSON too). */
int lede_pbjson_parse(const ProtobufCMessageDescriptor *d, const char *s, size_t n,
                      ProtobufCMessage **out, char *err, size_t err_len);

/* Adds the JSON Schema (OpenAPI 3.1) of d, and of every message and enum it uses, to schemas
 * (an object keyed by the type's short name); references are "#/components/schemas/NAME". */
void lede_pbjson_schema(const ProtobufCMessageDescriptor *d, json_t *schemas);

#endif
