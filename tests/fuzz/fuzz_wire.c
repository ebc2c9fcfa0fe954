/* fuzz_wire.c: libFuzzer target for the frame codec: any bytes must decode to a clean error or
 * a frame that re-encodes and decodes again to the same command; the broker's decoder (which
 * leaves the payload out) must agree with the full one on every verdict; a CALL stamped for
 * a worker must decode to the stamped fields; and the bytes read as a payload (a response, a
 * batch response, a request) by wire_fast.c, when it takes them, must be what protobuf-c reads
 * in them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *packed(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len ? *len : 1);
    if (!b)
        abort();
    protobuf_c_message_pack(m, b);
    return b;
}

static void fast_agrees(const ProtobufCMessageDescriptor *d, const uint8_t *data, size_t size)
{
    ProtobufCMessage *f = NULL;
    if (lede_wire_unpack_fast(d, NULL, size, data, &f, NULL) != LEDE_WIRE_FAST_OK)
        return;
    ProtobufCMessage *s = protobuf_c_message_unpack(d, NULL, size, data);
    if (!s || s->n_unknown_fields)
        abort();
    size_t a, b;
    uint8_t *pa = packed(f, &a), *pb = packed(s, &b);
    if (a != b || memcmp(pa, pb, a))
        abort();
    free(pa);
    free(pb);
    protobuf_c_message_free_unpacked(f, NULL);
    protobuf_c_message_free_unpacked(s, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fast_agrees(&lede__v1__summarize_response__descriptor, data, size);
    fast_agrees(&lede__v1__summarize_batch_response__descriptor, data, size);
    fast_agrees(&lede__v1__summarize_request__descriptor, data, size);
    struct lede_wire_frame f;
    enum lede_wire_fault fault;
    int rc = lede_wire_decode(data, size, 1 << 20, &f, &fault);
    struct lede_wire_frame e;
    enum lede_wire_fault efault;
    int erc = lede_wire_decode_envelope(data, size, 1 << 20, &e, &efault);
    if (erc != rc || efault != fault || (erc == LEDE_OK && e.command != f.command))
        abort();
    lede_wire_frame_release(&e);
    if (rc != LEDE_OK) {
        if (fault == LEDE_WIRE_FAULT_NONE || f.body.base)
            abort();
        return 0;
    }
    if (f.command == LEDE__V1__COMMAND__CALL) {
        uint8_t *st;
        size_t st_len;
        struct lede_wire_frame s;
        if (lede_wire_call_stamp(data, size, 7, 1ull << 40, 3, &st, &st_len) != LEDE_OK ||
            lede_wire_decode(st, st_len, 0, &s, NULL) != LEDE_OK || s.body.call->timeout_ms != 7 ||
            s.body.call->dispatch_id != 1ull << 40 || s.body.call->attempt != 3 ||
            s.body.call->payload.len != f.body.call->payload.len ||
            strcmp(s.body.call->call_id, f.body.call->call_id) != 0)
            abort();
        lede_wire_frame_release(&s);
        free(st);
    }
    uint8_t *buf;
    size_t len;
    if (lede_wire_encode(f.command, f.body.base, &buf, &len) != LEDE_OK)
        abort();
    struct lede_wire_frame g;
    if (lede_wire_decode(buf, len, 0, &g, NULL) != LEDE_OK || g.command != f.command)
        abort();
    lede_wire_frame_release(&g);
    free(buf);
    lede_wire_frame_release(&f);
    return 0;
}
