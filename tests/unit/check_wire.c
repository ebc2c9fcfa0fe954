/* check_wire.c: the frame codec (proto/wire.c): round trips of every command, and every way a
 * frame can be wrong (short, magic, version, command, body, size), plus random bytes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "wire.h"
#include "run.h"

static uint8_t *encode_call(const char *id, const char *method, const void *payload, size_t plen,
                            size_t *len)
{
    Lede__V1__Call c = LEDE__V1__CALL__INIT;
    Lede__V1__MetadataEntry e = LEDE__V1__METADATA_ENTRY__INIT;
    Lede__V1__MetadataEntry *ents[1] = {&e};
    e.key = "trace-id";
    e.value = "t-1";
    c.call_id = (char *)id;
    c.method = (char *)method;
    c.timeout_ms = 1234;
    c.n_metadata = 1;
    c.metadata = ents;
    c.payload.data = (uint8_t *)payload;
    c.payload.len = plen;
    c.dispatch_id = 77;
    c.attempt = 2;
    uint8_t *buf;
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__CALL, &c.base, &buf, len), LEDE_OK);
    return buf;
}

START_TEST(call_round_trip)
{
    size_t len;
    uint8_t *buf = encode_call("c-1", LEDE_METHOD_SUMMARIZE, "abc\0def", 7, &len);
    ck_assert_mem_eq(buf, "LEDE\x01\x01", 6);
    struct lede_wire_frame f;
    enum lede_wire_fault fault = LEDE_WIRE_FAULT_SIZE;
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, &fault), LEDE_OK);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_NONE);
    ck_assert_int_eq(f.version, 1);
    ck_assert_int_eq(f.command, LEDE__V1__COMMAND__CALL);
    ck_assert_str_eq(f.body.call->call_id, "c-1");
    ck_assert_str_eq(f.body.call->method, LEDE_METHOD_SUMMARIZE);
    ck_assert_uint_eq(f.body.call->timeout_ms, 1234);
    ck_assert_uint_eq(f.body.call->n_metadata, 1);
    ck_assert_str_eq(f.body.call->metadata[0]->key, "trace-id");
    ck_assert_uint_eq(f.body.call->payload.len, 7);
    ck_assert_mem_eq(f.body.call->payload.data, "abc\0def", 7);
    ck_assert_uint_eq(f.body.call->dispatch_id, 77);
    ck_assert_uint_eq(f.body.call->attempt, 2);
    lede_wire_frame_release(&f);
    ck_assert_ptr_null(f.body.base);
    lede_wire_frame_release(&f); /* twice is fine */
    free(buf);
}
END_TEST

START_TEST(other_commands_round_trip)
{
    uint8_t *buf;
    size_t len;
    struct lede_wire_frame f;

    Lede__V1__Ready r = LEDE__V1__READY__INIT;
    char *methods[2] = {LEDE_METHOD_SUMMARIZE, "x/y"};
    r.methods = methods;
    r.n_methods = 2;
    r.capacity = 8;
    r.name = "host:42";
    r.heartbeat_ms = 500;
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__READY, &r.base, &buf, &len), LEDE_OK);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, NULL), LEDE_OK);
    ck_assert_int_eq(f.command, LEDE__V1__COMMAND__READY);
    ck_assert_uint_eq(f.body.ready->n_methods, 2);
    ck_assert_str_eq(f.body.ready->methods[1], "x/y");
    ck_assert_uint_eq(f.body.ready->capacity, 8);
    ck_assert_str_eq(f.body.ready->name, "host:42");
    ck_assert_uint_eq(f.body.ready->heartbeat_ms, 500);
    lede_wire_frame_release(&f);
    free(buf);

    /* a heartbeat with default values has an empty body: exactly the header */
    Lede__V1__Heartbeat h = LEDE__V1__HEARTBEAT__INIT;
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__HEARTBEAT, &h.base, &buf, &len), LEDE_OK);
    ck_assert_uint_eq(len, 6);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, NULL), LEDE_OK);
    ck_assert_int_eq(f.command, LEDE__V1__COMMAND__HEARTBEAT);
    ck_assert_uint_eq(f.body.heartbeat->in_flight, 0);
    lede_wire_frame_release(&f);
    free(buf);

    /* NULL body encodes as an empty body */
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__DISCONNECT, NULL, &buf, &len), LEDE_OK);
    ck_assert_uint_eq(len, 6);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, NULL), LEDE_OK);
    ck_assert_str_eq(f.body.disconnect->reason, "");
    lede_wire_frame_release(&f);
    free(buf);

    ck_assert_int_eq(lede_wire_encode_status("c-9", LEDE__V1__STATUS__UNAVAILABLE, &buf, &len,
                                             "no worker for %s", "m"),
                     LEDE_OK);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, NULL), LEDE_OK);
    ck_assert_int_eq(f.command, LEDE__V1__COMMAND__REPLY);
    ck_assert_str_eq(f.body.reply->call_id, "c-9");
    ck_assert_int_eq(f.body.reply->status, LEDE__V1__STATUS__UNAVAILABLE);
    ck_assert_str_eq(f.body.reply->message, "no worker for m");
    lede_wire_frame_release(&f);
    free(buf);

    ck_assert_int_eq(lede_wire_encode_status(NULL, 3, &buf, &len, NULL), LEDE_OK);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, NULL), LEDE_OK);
    ck_assert_str_eq(f.body.reply->call_id, "");
    lede_wire_frame_release(&f);
    free(buf);
}
END_TEST

START_TEST(encode_rejects_mismatch)
{
    uint8_t *buf = (uint8_t *)"x";
    size_t len = 9;
    Lede__V1__Heartbeat h = LEDE__V1__HEARTBEAT__INIT;
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__CALL, &h.base, &buf, &len), LEDE_EINVAL);
    ck_assert_ptr_null(buf);
    ck_assert_int_eq(lede_wire_encode(99, NULL, &buf, &len), LEDE_EINVAL);
    ck_assert_int_eq(lede_wire_encode(0, NULL, &buf, &len), LEDE_EINVAL);
}
END_TEST

START_TEST(truncated_frames)
{
    size_t len;
    uint8_t *buf = encode_call("truncate-me", LEDE_METHOD_SUMMARIZE, "0123456789", 10, &len);
    struct lede_wire_frame f;
    enum lede_wire_fault fault;
    for (size_t n = 0; n < 6; n++) {
        ck_assert_int_eq(lede_wire_decode(buf, n, 0, &f, &fault), LEDE_EPROTO);
        ck_assert_int_eq(fault, LEDE_WIRE_FAULT_SHORT);
        ck_assert_ptr_null(f.body.base);
    }
    ck_assert_int_eq(lede_wire_decode(NULL, 0, 0, &f, &fault), LEDE_EPROTO);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_SHORT);
    /* every cut inside the body: a clean error (never a crash), or a valid prefix */
    int errors = 0;
    for (size_t n = 7; n < len; n++) {
        uint8_t *copy = malloc(n); /* exact size, so ASan sees any over-read */
        memcpy(copy, buf, n);
        int rc = lede_wire_decode(copy, n, 0, &f, &fault);
        if (rc != LEDE_OK) {
            ck_assert_int_eq(rc, LEDE_EPROTO);
            ck_assert_int_eq(fault, LEDE_WIRE_FAULT_BODY);
            errors++;
        }
        lede_wire_frame_release(&f);
        free(copy);
    }
    ck_assert_int_gt(errors, 0);
    free(buf);
}
END_TEST

START_TEST(wrong_magic_version_command)
{
    size_t len;
    uint8_t *buf = encode_call("c", "m", NULL, 0, &len);
    struct lede_wire_frame f;
    enum lede_wire_fault fault;
    int v, c;

    buf[0] = 'X';
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, &fault), LEDE_EPROTO);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_MAGIC);
    buf[0] = 'L';

    buf[4] = 2;
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, &fault), LEDE_EFORMAT);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_VERSION);
    ck_assert_int_eq(f.version, 2); /* so the peer can be told which version it spoke */
    ck_assert_int_eq(lede_wire_peek(buf, len, &v, &c, &fault), LEDE_EFORMAT);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(c, 1);
    buf[4] = 0;
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, &fault), LEDE_EFORMAT);
    buf[4] = 1;

    int unknown[] = {0, 3, 15, 19, 255};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        buf[5] = (uint8_t)unknown[i];
        ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, &fault), LEDE_EPROTO);
        ck_assert_int_eq(fault, LEDE_WIRE_FAULT_COMMAND);
        ck_assert_int_eq(f.command, unknown[i]);
    }
    buf[5] = 1;
    ck_assert_int_eq(lede_wire_peek(buf, len, &v, &c, &fault), LEDE_OK);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, &fault), LEDE_OK);
    lede_wire_frame_release(&f);
    free(buf);
}
END_TEST

START_TEST(invalid_protobuf)
{
    struct lede_wire_frame f;
    enum lede_wire_fault fault;
    /* field 1 (string) with a length running past the end */
    const uint8_t bad_len[] = {'L', 'E', 'D', 'E', 1, 1, 0x0a, 0x7f, 'a'};
    ck_assert_int_eq(lede_wire_decode(bad_len, sizeof bad_len, 0, &f, &fault), LEDE_EPROTO);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_BODY);
    /* a varint that never ends */
    const uint8_t bad_varint[] = {'L',  'E',  'D',  'E',  1,    1,    0x18, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ck_assert_int_eq(lede_wire_decode(bad_varint, sizeof bad_varint, 0, &f, &fault), LEDE_EPROTO);
    /* wire type 7 does not exist */
    const uint8_t bad_type[] = {'L', 'E', 'D', 'E', 1, 2, 0x0f, 0x00};
    ck_assert_int_eq(lede_wire_decode(bad_type, sizeof bad_type, 0, &f, &fault), LEDE_EPROTO);
    /* a length-delimited field given as a varint (type mismatch for call_id) */
    const uint8_t mismatch[] = {'L', 'E', 'D', 'E', 1, 1, 0x08, 0x05};
    ck_assert_int_eq(lede_wire_decode(mismatch, sizeof mismatch, 0, &f, &fault), LEDE_EPROTO);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_BODY);
    ck_assert_ptr_null(f.body.base);
    /* field number 0 (spelt as a non-minimal varint, which protobuf-c alone would accept),
     * at the top level and inside a metadata entry: regression found by fuzz_wire */
    const uint8_t zero_top[] = {'L', 'E', 'D', 'E', 1, 2, 0x81, 0x00, 1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_int_eq(lede_wire_decode(zero_top, sizeof zero_top, 0, &f, &fault), LEDE_EPROTO);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_BODY);
    const uint8_t zero_nested[] = {'L', 'E', 'D', 'E', 1, 1, 0x22, 0x03, 0x80, 0x00, 0x05};
    ck_assert_int_eq(lede_wire_decode(zero_nested, sizeof zero_nested, 0, &f, &fault), LEDE_EPROTO);
    /* other unknown fields are kept (a newer peer's additions are forwarded) */
    const uint8_t unknown[] = {'L', 'E', 'D', 'E', 1, 2, 0xf8, 0x01, 0x07};
    ck_assert_int_eq(lede_wire_decode(unknown, sizeof unknown, 0, &f, &fault), LEDE_OK);
    ck_assert_uint_eq(f.body.base->n_unknown_fields, 1);
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(lede_wire_encode(f.command, f.body.base, &buf, &len), LEDE_OK);
    ck_assert_uint_eq(len, sizeof unknown);
    ck_assert_mem_eq(buf, unknown, len);
    free(buf);
    lede_wire_frame_release(&f);
}
END_TEST

START_TEST(oversized)
{
    size_t plen = 100000;
    char *payload = calloc(1, plen);
    size_t len;
    uint8_t *buf = encode_call("big", "m", payload, plen, &len);
    struct lede_wire_frame f;
    enum lede_wire_fault fault;
    ck_assert_int_eq(lede_wire_decode(buf, len, len - 1, &f, &fault), LEDE_ETOOBIG);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_SIZE);
    ck_assert_int_eq(lede_wire_decode(buf, len, len, &f, &fault), LEDE_OK);
    ck_assert_uint_eq(f.body.call->payload.len, plen);
    lede_wire_frame_release(&f);
    ProtobufCMessage *m;
    ck_assert_int_eq(lede_wire_unpack(&lede__v1__call__descriptor, buf + 6, len - 6, 10, &m),
                     LEDE_ETOOBIG);
    ck_assert_ptr_null(m);
    free(buf);
    free(payload);
}
END_TEST

/* A body of n fields "tag 00" (2 bytes each): empty entries of a repeated field. */
static uint8_t *empty_fields(int command, uint8_t tag, size_t n, size_t *len)
{
    *len = 6 + 2 * n;
    uint8_t *buf = malloc(*len);
    memcpy(buf, "LEDE\x01", 5);
    buf[5] = (uint8_t)command;
    for (size_t i = 0; i < n; i++) {
        buf[6 + 2 * i] = tag;
        buf[7 + 2 * i] = 0x00;
    }
    return buf;
}

START_TEST(many_empty_submessages_within_budget)
{
    /* Empty metadata entries, 2 bytes each on the wire, ~130 in memory: up to
     * LEDE_WIRE_MAX_METADATA decode, one more is a bad body, for both decoders, before anything
     * is unpacked (issue 10, 3.1: 16 MiB of them held ~500 MB each) */
    size_t len;
    struct lede_wire_frame f;
    enum lede_wire_fault fault;
    uint8_t *buf = empty_fields(LEDE__V1__COMMAND__CALL, 0x22, LEDE_WIRE_MAX_METADATA, &len);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, NULL), LEDE_OK);
    ck_assert_uint_eq(f.body.call->n_metadata, LEDE_WIRE_MAX_METADATA);
    ck_assert_uint_gt(f.held, 0);
    lede_wire_frame_release(&f);
    free(buf);
    size_t sizes[] = {LEDE_WIRE_MAX_METADATA + 1, 20000, 8u << 20};
    for (size_t i = 0; i < 3; i++) {
        buf = empty_fields(LEDE__V1__COMMAND__CALL, 0x22, sizes[i], &len);
        ck_assert_int_eq(lede_wire_decode(buf, len, 32u << 20, &f, &fault), LEDE_EPROTO);
        ck_assert_int_eq(fault, LEDE_WIRE_FAULT_BODY);
        ck_assert_int_eq(lede_wire_decode_envelope(buf, len, 32u << 20, &f, &fault), LEDE_EPROTO);
        ck_assert_int_eq(fault, LEDE_WIRE_FAULT_BODY);
        free(buf);
    }
    /* READY's methods likewise; unknown fields count against LEDE_WIRE_MAX_FIELDS */
    buf = empty_fields(LEDE__V1__COMMAND__READY, 0x0a, LEDE_WIRE_MAX_METHODS + 1, &len);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, &fault), LEDE_EPROTO);
    free(buf);
    buf = empty_fields(LEDE__V1__COMMAND__HEARTBEAT, 0x52, LEDE_WIRE_MAX_FIELDS + 1, &len);
    ck_assert_int_eq(lede_wire_decode(buf, len, 0, &f, &fault), LEDE_EPROTO);
    free(buf);
}
END_TEST

START_TEST(decoded_size_is_bounded_by_wire_size)
{
    /* The densest unpack protobuf-c allows, empty sentences in a SummarizeResponse (2 bytes on
     * the wire, ~150 in memory), stays under 16x its bytes plus 64 KiB, malloc's overhead
     * counted: past that it is refused, not allocated */
    size_t n = 100000, len = 2 * n;
    uint8_t *buf = malloc(len);
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = 0x1a; /* field 3, length-delimited */
        buf[2 * i + 1] = 0x00;
    }
    ProtobufCMessage *m;
    ck_assert_int_eq(lede_wire_unpack(&lede__v1__summarize_response__descriptor, buf, len, 0, &m),
                     LEDE_EPROTO);
    /* 300 entries fit in the slack, and decode */
    ck_assert_int_eq(lede_wire_unpack(&lede__v1__summarize_response__descriptor, buf, 600, 0, &m),
                     LEDE_OK);
    protobuf_c_message_free_unpacked(m, NULL);
    free(buf);
}
END_TEST

START_TEST(unpack_payload)
{
    Lede__V1__SummarizeRequest r = LEDE__V1__SUMMARIZE_REQUEST__INIT;
    r.article_id = "a1";
    r.body.data = (uint8_t *)"One. Two.";
    r.body.len = 9;
    r.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_WORDS;
    r.words = 30;
    uint8_t tmp[256];
    size_t n = protobuf_c_message_pack(&r.base, tmp);
    ProtobufCMessage *m;
    ck_assert_int_eq(lede_wire_unpack(&lede__v1__summarize_request__descriptor, tmp, n, 0, &m),
                     LEDE_OK);
    Lede__V1__SummarizeRequest *got = (Lede__V1__SummarizeRequest *)m;
    ck_assert_str_eq(got->article_id, "a1");
    ck_assert_uint_eq(got->words, 30);
    protobuf_c_message_free_unpacked(m, NULL);
    /* an empty payload is a request with defaults */
    ck_assert_int_eq(lede_wire_unpack(&lede__v1__summarize_request__descriptor, NULL, 0, 0, &m),
                     LEDE_OK);
    protobuf_c_message_free_unpacked(m, NULL);
    ck_assert_int_eq(lede_wire_unpack(NULL, tmp, n, 0, &m), LEDE_EINVAL);
}
END_TEST

START_TEST(random_bytes_never_crash)
{
    /* deterministic xorshift; half the frames get a valid header so the body parser is hit */
    uint64_t s = 0x9e3779b97f4a7c15ull;
    int ok = 0;
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(i % 97);
        uint8_t *buf = malloc(len ? len : 1);
        for (size_t j = 0; j < len; j++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[j] = (uint8_t)s;
        }
        if (len >= 6 && (i & 1)) {
            memcpy(buf, "LEDE\x01", 5);
            static const uint8_t cmds[] = {1, 2, 16, 17, 18};
            buf[5] = cmds[(size_t)i % 5];
        }
        struct lede_wire_frame f;
        enum lede_wire_fault fault;
        int rc = lede_wire_decode(buf, len, 0, &f, &fault);
        if (rc == LEDE_OK) {
            ck_assert_ptr_nonnull(f.body.base);
            ok++;
        } else {
            ck_assert_int_ne(fault, LEDE_WIRE_FAULT_NONE);
            ck_assert_ptr_null(f.body.base);
        }
        lede_wire_frame_release(&f);
        free(buf);
    }
    ck_assert_int_gt(ok, 0);
}
END_TEST

/* The broker's decoder: the same fields as the full decoder, less the payload. */
START_TEST(envelope_leaves_out_payload)
{
    size_t len;
    uint8_t *buf = encode_call("c-1", LEDE_METHOD_SUMMARIZE, "abc\0def", 7, &len);
    struct lede_wire_frame f;
    enum lede_wire_fault fault = LEDE_WIRE_FAULT_SIZE;
    ck_assert_int_eq(lede_wire_decode_envelope(buf, len, 0, &f, &fault), LEDE_OK);
    ck_assert_int_eq(fault, LEDE_WIRE_FAULT_NONE);
    ck_assert_int_eq(f.command, LEDE__V1__COMMAND__CALL);
    ck_assert_str_eq(f.body.call->call_id, "c-1");
    ck_assert_str_eq(f.body.call->method, LEDE_METHOD_SUMMARIZE);
    ck_assert_uint_eq(f.body.call->timeout_ms, 1234);
    ck_assert_uint_eq(f.body.call->n_metadata, 1);
    ck_assert_str_eq(f.body.call->metadata[0]->value, "t-1");
    ck_assert_uint_eq(f.body.call->dispatch_id, 77);
    ck_assert_uint_eq(f.body.call->attempt, 2);
    ck_assert_uint_eq(f.body.call->payload.len, 0);
    lede_wire_frame_release(&f);
    free(buf);

    Lede__V1__Reply r = LEDE__V1__REPLY__INIT;
    r.call_id = "c-2";
    r.status = LEDE__V1__STATUS__OK;
    r.payload.data = (uint8_t *)"summary";
    r.payload.len = 7;
    r.dispatch_id = 9;
    r.served_by = "w1";
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__REPLY, &r.base, &buf, &len), LEDE_OK);
    ck_assert_int_eq(lede_wire_decode_envelope(buf, len, 0, &f, NULL), LEDE_OK);
    ck_assert_str_eq(f.body.reply->call_id, "c-2");
    ck_assert_str_eq(f.body.reply->served_by, "w1");
    ck_assert_uint_eq(f.body.reply->dispatch_id, 9);
    ck_assert_uint_eq(f.body.reply->payload.len, 0);
    lede_wire_frame_release(&f);
    free(buf);

    /* a command without a payload decodes in full */
    Lede__V1__Disconnect d = LEDE__V1__DISCONNECT__INIT;
    d.reason = "bye";
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__DISCONNECT, &d.base, &buf, &len), LEDE_OK);
    ck_assert_int_eq(lede_wire_decode_envelope(buf, len, 0, &f, NULL), LEDE_OK);
    ck_assert_str_eq(f.body.disconnect->reason, "bye");
    lede_wire_frame_release(&f);
    free(buf);
}
END_TEST

/* Whatever the bytes, the broker's decoder says what the full decoder says. */
START_TEST(envelope_agrees_with_decode)
{
    size_t len;
    uint8_t big[2000];
    memset(big, 'x', sizeof big);
    uint8_t *call = encode_call("c-1", LEDE_METHOD_SUMMARIZE, big, sizeof big, &len);
    uint64_t s = 0x2545f4914f6cdd1dull;
    uint8_t *buf = malloc(len + 64);
    for (int i = 0; i < 40000; i++) {
        /* a valid call cut anywhere, with up to 3 bytes changed, or random bytes after a header */
        size_t n = (size_t)i % (len + 1);
        memcpy(buf, call, len);
        for (int k = 0; k < i % 4; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[6 + (s >> 8) % (len - 6)] = (uint8_t)s;
        }
        if (i % 5 == 4) {
            n = 6 + (size_t)(s % 60);
            for (size_t j = 6; j < n; j++) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                buf[j] = (uint8_t)s;
            }
            buf[5] = (uint8_t)(i & 8 ? LEDE__V1__COMMAND__REPLY : LEDE__V1__COMMAND__CALL);
        }
        struct lede_wire_frame f, e;
        enum lede_wire_fault ff, ef;
        int rc = lede_wire_decode(buf, n, 0, &f, &ff);
        int erc = lede_wire_decode_envelope(buf, n, 0, &e, &ef);
        ck_assert_int_eq(erc, rc);
        ck_assert_int_eq(ef, ff);
        if (rc == LEDE_OK && f.command == LEDE__V1__COMMAND__CALL)
            ck_assert_str_eq(e.body.call->call_id, f.body.call->call_id);
        lede_wire_frame_release(&f);
        lede_wire_frame_release(&e);
    }
    free(buf);
    free(call);
}
END_TEST

/* The envelope decoder keeps the fields but the payload on its stack up to 512 bytes, and in a
 * buffer past that: fields that cross the stack's end, before and after the payload, come out
 * as the full decoder reads them. */
START_TEST(envelope_fields_past_the_stack)
{
    static const size_t sizes[] = {100, 480, 511, 512, 513, 2000};
    uint8_t payload[3000];
    memset(payload, 'p', sizeof payload);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char value[2100];
        memset(value, 'v', sizes[i]);
        value[sizes[i]] = '\0';
        Lede__V1__Call c = LEDE__V1__CALL__INIT;
        Lede__V1__MetadataEntry e[2] = {LEDE__V1__METADATA_ENTRY__INIT,
                                        LEDE__V1__METADATA_ENTRY__INIT};
        Lede__V1__MetadataEntry *ents[2] = {&e[0], &e[1]};
        e[0].key = "a";
        e[0].value = value;
        e[1].key = "trace-id";
        e[1].value = "t-2";
        c.call_id = "c-big";
        c.method = LEDE_METHOD_SUMMARIZE;
        c.n_metadata = 2;
        c.metadata = ents;
        c.payload.data = payload;
        c.payload.len = sizeof payload;
        c.timeout_ms = 99; /* written after the payload */
        uint8_t *buf;
        size_t len;
        ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__CALL, &c.base, &buf, &len), LEDE_OK);
        struct lede_wire_frame f;
        ck_assert_int_eq(lede_wire_decode_envelope(buf, len, 0, &f, NULL), LEDE_OK);
        ck_assert_str_eq(f.body.call->call_id, "c-big");
        ck_assert_str_eq(f.body.call->method, LEDE_METHOD_SUMMARIZE);
        ck_assert_uint_eq(f.body.call->n_metadata, 2);
        ck_assert_str_eq(f.body.call->metadata[0]->value, value);
        ck_assert_str_eq(f.body.call->metadata[1]->value, "t-2");
        ck_assert_uint_eq(f.body.call->timeout_ms, 99);
        ck_assert_uint_eq(f.body.call->payload.len, 0);
        lede_wire_frame_release(&f);
        free(buf);
    }
}
END_TEST

/* Regression (issue 10): protobuf-c reads a tag or a length prefix as at most 5 bytes, so a
 * payload spelt with a longer one is a bad body for the full decoder; the envelope decoder used
 * to accept it (fuzz_wire found the first frame below). Both must give the same verdict. */
START_TEST(envelope_rejects_what_decode_rejects)
{
    static const struct {
        const char *what;
        uint8_t bytes[40];
        size_t len;
    } cases[] = {
        {"10-byte length prefix on the payload (the fuzz input)",
         {'L',  'E',  'D',  'E',  1,    1,    0x22, 0,    0x22, 0,    0x22,
          0,    0x2a, 0,    0x22, 2,    0x22, 0,    0x22, 0,    0x2a, 0x80,
          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0,    0x22, 0},
         33},
        {"6-byte length prefix on the payload",
         {'L', 'E', 'D', 'E', 1, 1, 0x0a, 1, 'c', 0x2a, 0x81, 0x80, 0x80, 0x80, 0x80, 0, 'x'},
         17},
        {"6-byte tag on the payload",
         {'L', 'E', 'D', 'E', 1, 1, 0x0a, 1, 'c', 0xaa, 0x80, 0x80, 0x80, 0x80, 0, 1, 'x'},
         17},
        {"5-byte length prefix (valid)",
         {'L', 'E', 'D', 'E', 1, 1, 0x0a, 1, 'c', 0x2a, 0x81, 0x80, 0x80, 0x80, 0, 'x'},
         16},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lede_wire_frame f, e;
        enum lede_wire_fault ff, ef;
        int rc = lede_wire_decode(cases[i].bytes, cases[i].len, 0, &f, &ff);
        int erc = lede_wire_decode_envelope(cases[i].bytes, cases[i].len, 0, &e, &ef);
        ck_assert_msg(erc == rc && ef == ff, "%s: decode %d/%d, envelope %d/%d", cases[i].what, rc,
                      ff, erc, ef);
        if (i < 3)
            ck_assert_int_eq(rc, LEDE_EPROTO);
        else
            ck_assert_int_eq(rc, LEDE_OK);
        lede_wire_frame_release(&f);
        lede_wire_frame_release(&e);
    }
}
END_TEST

/* A call stamped for a worker decodes to the stamped fields and keeps everything else. */
START_TEST(call_stamp_overrides)
{
    size_t len, slen;
    uint8_t *call = encode_call("c-1", LEDE_METHOD_SUMMARIZE, "abc\0def", 7, &len);
    static const struct {
        uint32_t timeout;
        uint64_t dispatch;
        uint32_t attempt;
    } cases[] = {{500, 9, 3}, {0, 0, 0}, {UINT32_MAX, UINT64_MAX, UINT32_MAX}, {127, 128, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *st;
        ck_assert_int_eq(lede_wire_call_stamp(call, len, cases[i].timeout, cases[i].dispatch,
                                              cases[i].attempt, &st, &slen),
                         LEDE_OK);
        ck_assert_mem_eq(st, call, len);
        struct lede_wire_frame f;
        ck_assert_int_eq(lede_wire_decode(st, slen, 0, &f, NULL), LEDE_OK);
        ck_assert_uint_eq(f.body.call->timeout_ms, cases[i].timeout);
        ck_assert_uint_eq(f.body.call->dispatch_id, cases[i].dispatch);
        ck_assert_uint_eq(f.body.call->attempt, cases[i].attempt);
        ck_assert_str_eq(f.body.call->call_id, "c-1");
        ck_assert_uint_eq(f.body.call->n_metadata, 1);
        ck_assert_uint_eq(f.body.call->payload.len, 7);
        ck_assert_mem_eq(f.body.call->payload.data, "abc\0def", 7);
        lede_wire_frame_release(&f);
        free(st);
    }
    free(call);
}
END_TEST

/* ---- wire_fast.c: its structs are protobuf-c's ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A value of every size a field may hold: often 0, small, large, the type's largest. */
static uint64_t rnd_u(void)
{
    switch (rnd() % 5) {
    case 0: return 0;
    case 1: return rnd() % 128;
    case 2: return rnd() % 100000;
    case 3: return rnd();
    default: return UINT64_MAX;
    }
}

static double rnd_d(void)
{
    static const double odd[] = {0.0, -0.0, 1.0, -2.5, 1e-300, 3.25e12};
    return rnd() % 3 ? (double)(rnd() % 1000000) / 997.0 : odd[rnd() % 6];
}

static char *rnd_str(char *buf, size_t cap)
{
    size_t n = rnd() % 3 ? rnd() % (cap - 1) : 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(0x20 + rnd() % 95);
    buf[n] = 0;
    return buf;
}

/* A SummarizeResponse with every kind of field, packed by protobuf-c (the caller frees). */
static uint8_t *rnd_response(size_t *len)
{
    Lede__V1__SummarizeResponse r = LEDE__V1__SUMMARIZE_RESPONSE__INIT;
    Lede__V1__Timings tm = LEDE__V1__TIMINGS__INIT;
    Lede__V1__Sentence s[6], *sp[6];
    Lede__V1__FeatureScores fs[6];
    Lede__V1__EditorKeyphrase k[5], *kp[5];
    Lede__V1__EditorEntity e[4], *ep[4];
    uint32_t summary[6];
    char id[24], ver[8], lang[6], det[6], text[6][40], kt[5][20], et[4][20];
    r.article_id = rnd_str(id, sizeof id);
    r.engine_version = rnd_str(ver, sizeof ver);
    r.language = rnd_str(lang, sizeof lang);
    r.language_detected = rnd_str(det, sizeof det);
    r.language_confidence = rnd_d();
    r.sentence_count = (uint32_t)rnd_u();
    r.format = (Lede__V1__Format)(rnd() % 5);
    if (rnd() % 4) {
        tm.engine_us = rnd_u();
        tm.worker_us = rnd_u();
        r.timings = &tm;
    }
    r.n_summary = rnd() % 7;
    for (size_t i = 0; i < r.n_summary; i++)
        summary[i] = (uint32_t)rnd_u();
    r.summary = summary;
    r.n_sentences = rnd() % 7;
    for (size_t i = 0; i < r.n_sentences; i++) {
        lede__v1__sentence__init(&s[i]);
        lede__v1__feature_scores__init(&fs[i]);
        fs[i].position = rnd_d();
        fs[i].term = rnd_d();
        fs[i].entity = rnd_d();
        fs[i].title = rnd_d();
        fs[i].length = rnd_d();
        fs[i].opener = rnd_d();
        s[i].features = rnd() % 5 ? &fs[i] : NULL;
        s[i].index = (uint32_t)rnd_u();
        s[i].rank = (uint32_t)rnd_u();
        s[i].score = rnd_d();
        s[i].offset = rnd_u();
        s[i].length = rnd_u();
        s[i].paragraph = (uint32_t)rnd_u();
        s[i].selected = rnd() % 2;
        s[i].duplicate_of = rnd() % 2 ? -1 : (int64_t)rnd_u();
        s[i].text.data = (uint8_t *)rnd_str(text[i], sizeof text[i]);
        s[i].text.len = strlen(text[i]);
        if (s[i].text.len && rnd() % 4 == 0)
            text[i][0] = (char)0xc3; /* bytes need not be UTF-8 */
        s[i].utf16_offset = rnd_u();
        s[i].utf16_length = rnd_u();
        s[i].headline = rnd() % 2;
        sp[i] = &s[i];
    }
    r.sentences = sp;
    r.n_keyphrases = rnd() % 6;
    for (size_t i = 0; i < r.n_keyphrases; i++) {
        lede__v1__editor_keyphrase__init(&k[i]);
        k[i].text.data = (uint8_t *)rnd_str(kt[i], sizeof kt[i]);
        k[i].text.len = strlen(kt[i]);
        k[i].score = rnd_d();
        k[i].count = (uint32_t)rnd_u();
        k[i].words = (uint32_t)rnd_u();
        k[i].offset = rnd_u();
        k[i].length = rnd_u();
        kp[i] = &k[i];
    }
    r.keyphrases = kp;
    r.n_entities = rnd() % 5;
    for (size_t i = 0; i < r.n_entities; i++) {
        lede__v1__editor_entity__init(&e[i]);
        e[i].text.data = (uint8_t *)rnd_str(et[i], sizeof et[i]);
        e[i].text.len = strlen(et[i]);
        e[i].kind = rnd() % 4 ? (char *)"person" : (char *)"";
        e[i].count = (uint32_t)rnd_u();
        e[i].offset = rnd_u();
        e[i].length = rnd_u();
        ep[i] = &e[i];
    }
    r.entities = ep;
    *len = lede__v1__summarize_response__get_packed_size(&r);
    uint8_t *buf = malloc(*len + 64); /* room for the mutations' extra bytes */
    ck_assert_ptr_nonnull(buf);
    lede__v1__summarize_response__pack(&r, buf);
    return buf;
}

/* m packed again (the caller frees) */
static uint8_t *repack(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len ? *len : 1);
    ck_assert_ptr_nonnull(b);
    protobuf_c_message_pack(m, b);
    return b;
}

/* buf as the fast reader and as protobuf-c read it: where the fast one takes it, protobuf-c
 * takes it too, as the same message. Returns the fast reader's verdict. */
static int fast_agrees(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len)
{
    ProtobufCMessage *f = NULL;
    int rc = lede_wire_unpack_fast(d, NULL, len, buf, &f, NULL);
    ProtobufCMessage *slow = protobuf_c_message_unpack(d, NULL, len, buf);
    if (rc == LEDE_WIRE_FAST_OK) {
        ck_assert_ptr_nonnull(f);
        ck_assert_msg(slow != NULL, "the fast reader took %zu bytes protobuf-c refuses", len);
        ck_assert_uint_eq(slow->n_unknown_fields, 0);
        size_t a, b;
        uint8_t *pa = repack(f, &a), *pb = repack(slow, &b);
        ck_assert_msg(a == b && memcmp(pa, pb, a) == 0, "the fast reader's message differs");
        free(pa);
        free(pb);
        protobuf_c_message_free_unpacked(f, NULL);
    } else {
        ck_assert_int_eq(rc, LEDE_WIRE_FAST_OTHER);
        ck_assert_ptr_null(f);
    }
    if (slow)
        protobuf_c_message_free_unpacked(slow, NULL);
    return rc;
}

START_TEST(fast_unpack_equals_protobuf_c)
{
    size_t taken = 0;
    for (int i = 0; i < 3000; i++) {
        size_t len;
        uint8_t *buf = rnd_response(&len);
        /* what protobuf-c writes, the fast reader takes whole */
        ck_assert_int_eq(fast_agrees(&lede__v1__summarize_response__descriptor, buf, len),
                         LEDE_WIRE_FAST_OK);
        /* and lede_wire_unpack, which uses it, gives the same message */
        ProtobufCMessage *m = NULL;
        ck_assert_int_eq(
            lede_wire_unpack(&lede__v1__summarize_response__descriptor, buf, len, 0, &m), LEDE_OK);
        size_t a;
        uint8_t *pa = repack(m, &a);
        ck_assert(a == len && memcmp(pa, buf, len) == 0);
        free(pa);
        protobuf_c_message_free_unpacked(m, NULL);
        /* mutated: cut short, a byte changed, bytes added; both readers agree when it is
           taken (every other case is protobuf-c's alone) */
        size_t cut = len ? rnd() % len : 0;
        fast_agrees(&lede__v1__summarize_response__descriptor, buf, cut);
        for (int k = 0; k < 4 && len; k++) {
            size_t at = rnd() % len;
            uint8_t was = buf[at];
            buf[at] = (uint8_t)rnd();
            taken += fast_agrees(&lede__v1__summarize_response__descriptor, buf, len) ==
                     LEDE_WIRE_FAST_OK;
            buf[at] = was;
        }
        static const uint8_t extra[][4] = {
            {0x78, 0x01},       /* an unknown field 15 */
            {0x38, 0x05},       /* sentence_count again */
            {0x0a, 0x01, 0xc3}, /* article_id again, not ASCII */
            {0x12, 0x01, 0x07}, /* the packed summary again */
            {0x18, 0x01},       /* sentences with the wrong wire type */
        };
        for (size_t k = 0; k < sizeof extra / sizeof *extra; k++) {
            size_t n = extra[k][0] == 0x0a || extra[k][0] == 0x12 ? 3 : 2;
            memcpy(buf + len, extra[k], n);
            int rc = fast_agrees(&lede__v1__summarize_response__descriptor, buf, len + n);
            if (k == 0 || k == 2 || k == 4)
                ck_assert_int_eq(rc, LEDE_WIRE_FAST_OTHER); /* protobuf-c's to decide */
        }
        free(buf);
    }
    ck_assert_uint_gt(taken, 100); /* some changed bytes still make a message it takes */
}
END_TEST

/* lede_wire_unpack reads every payload through the fast reader first: a SummarizeRequest
 * (taken when it has no budget, whose oneof is protobuf-c's) reads as protobuf-c reads it. */
START_TEST(fast_unpack_request_equals_protobuf_c)
{
    size_t taken = 0;
    for (int i = 0; i < 3000; i++) {
        Lede__V1__SummarizeRequest r = LEDE__V1__SUMMARIZE_REQUEST__INIT;
        Lede__V1__FeatureWeight w[3], *wp[3];
        char id[16], lang[6], title[24], body[64], names[3][10];
        r.article_id = rnd_str(id, sizeof id);
        r.language = rnd_str(lang, sizeof lang);
        r.title.data = (uint8_t *)rnd_str(title, sizeof title);
        r.title.len = strlen(title);
        r.body.data = (uint8_t *)rnd_str(body, sizeof body);
        r.body.len = strlen(body);
        if (r.body.len && rnd() % 3 == 0)
            body[0] = (char)0xe9; /* bytes, not UTF-8 */
        switch (rnd() % 6) {
        case 1:
            r.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_SENTENCES;
            r.sentences = (uint32_t)rnd_u();
            break;
        case 2:
            r.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_RATIO;
            r.ratio = rnd_d();
            break;
        default: break; /* no budget: the fast reader's */
        }
        r.n_weights = rnd() % 4;
        for (size_t k = 0; k < r.n_weights; k++) {
            lede__v1__feature_weight__init(&w[k]);
            w[k].name = rnd_str(names[k], sizeof names[k]);
            w[k].value = rnd_d();
            wp[k] = &w[k];
        }
        r.weights = wp;
        r.explain = rnd() % 2;
        r.format = (Lede__V1__Format)(rnd() % 5);
        r.max_keyphrases = (uint32_t)(rnd() % 3 ? 0 : rnd_u());
        r.max_entities = (uint32_t)(rnd() % 3 ? 0 : rnd_u()); /* field 16: a two-byte tag */
        size_t len = lede__v1__summarize_request__get_packed_size(&r);
        uint8_t *buf = malloc(len + 1);
        ck_assert_ptr_nonnull(buf);
        lede__v1__summarize_request__pack(&r, buf);
        int rc = fast_agrees(&lede__v1__summarize_request__descriptor, buf, len);
        if (r.budget_case == LEDE__V1__SUMMARIZE_REQUEST__BUDGET__NOT_SET && !r.max_entities)
            ck_assert_int_eq(rc, LEDE_WIRE_FAST_OK);
        else
            ck_assert_int_eq(rc, LEDE_WIRE_FAST_OTHER);
        ProtobufCMessage *m = NULL;
        ck_assert_int_eq(
            lede_wire_unpack(&lede__v1__summarize_request__descriptor, buf, len, 0, &m), LEDE_OK);
        size_t a;
        uint8_t *pa = repack(m, &a);
        ck_assert(a == len && memcmp(pa, buf, len) == 0);
        free(pa);
        protobuf_c_message_free_unpacked(m, NULL);
        for (int k = 0; k < 3 && len; k++) {
            size_t at = rnd() % len;
            uint8_t was = buf[at];
            buf[at] = (uint8_t)rnd();
            taken += fast_agrees(&lede__v1__summarize_request__descriptor, buf, len) ==
                     LEDE_WIRE_FAST_OK;
            buf[at] = was;
        }
        fast_agrees(&lede__v1__summarize_request__descriptor, buf, len ? rnd() % len : 0);
        free(buf);
    }
    ck_assert_uint_gt(taken, 100);
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(lede_wire_fault_name(LEDE_WIRE_FAULT_VERSION), "version");
    ck_assert_str_eq(lede_wire_command_name(17), "HEARTBEAT");
    ck_assert_str_eq(lede_wire_command_name(3), "UNKNOWN");
    ck_assert_str_eq(lede_wire_status_name(4), "DEADLINE_EXCEEDED");
    ck_assert_str_eq(lede_wire_status_name(16), "UNAUTHENTICATED");
    ck_assert_str_eq(lede_wire_status_name(17), "UNKNOWN");
    ck_assert_str_eq(lede_wire_status_name(-1), "UNKNOWN");
}
END_TEST

/* The names table and LEDE_WIRE_STATUS_COUNT against lede.proto's Status enum as protoc-c saw
 * it: every value 0..COUNT-1 present, under the same name, and no more. */
START_TEST(status_names_match_proto)
{
    const ProtobufCEnumDescriptor *d = &lede__v1__status__descriptor;
    ck_assert_uint_eq(d->n_values, LEDE_WIRE_STATUS_COUNT);
    for (int s = 0; s < LEDE_WIRE_STATUS_COUNT; s++) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, s);
        ck_assert_ptr_nonnull(v);
        ck_assert_str_eq(lede_wire_status_name(s), v->name);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, call_round_trip);
    tcase_add_test(tc, other_commands_round_trip);
    tcase_add_test(tc, encode_rejects_mismatch);
    tcase_add_test(tc, truncated_frames);
    tcase_add_test(tc, wrong_magic_version_command);
    tcase_add_test(tc, invalid_protobuf);
    tcase_add_test(tc, oversized);
    tcase_add_test(tc, many_empty_submessages_within_budget);
    tcase_add_test(tc, decoded_size_is_bounded_by_wire_size);
    tcase_add_test(tc, unpack_payload);
    tcase_add_test(tc, random_bytes_never_crash);
    tcase_add_test(tc, fast_unpack_equals_protobuf_c);
    tcase_add_test(tc, fast_unpack_request_equals_protobuf_c);
    tcase_add_test(tc, names);
    tcase_add_test(tc, status_names_match_proto);
    tcase_add_test(tc, envelope_leaves_out_payload);
    tcase_add_test(tc, envelope_agrees_with_decode);
    tcase_add_test(tc, envelope_fields_past_the_stack);
    tcase_add_test(tc, envelope_rejects_what_decode_rejects);
    tcase_add_test(tc, call_stamp_overrides);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
