/* check_wire.c: the frame codec (proto/wire.c): round trips of every command, and every way a
 * frame can be wrong (short, magic, version, command, body, size), plus random bytes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "wire.h"

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
    tcase_add_test(tc, names);
    tcase_add_test(tc, status_names_match_proto);
    tcase_add_test(tc, envelope_leaves_out_payload);
    tcase_add_test(tc, envelope_agrees_with_decode);
    tcase_add_test(tc, envelope_fields_past_the_stack);
    tcase_add_test(tc, envelope_rejects_what_decode_rejects);
    tcase_add_test(tc, call_stamp_overrides);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
