/* fuzz_json.c: libFuzzer target for the two JSON readers that replaced jansson trees on hot
 * paths: the gateway's (gateway/pbjson.c, JSON text -> SummarizeRequest) and the CLI's --jsonl
 * line reader (tools/lede/jsonl_in.c). Any bytes must give a clean error or a message; when jansson
 * parses the input and its descriptor-driven reader accepts it, the direct reader must accept it
 * too and build the same message, byte for byte; and what the gateway writes back must parse. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonl_in.h"
#include "lede.pb-c.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *packed(const ProtobufCMessage *m, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(*len + 1);
    protobuf_c_message_pack(m, b);
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const ProtobufCMessageDescriptor *d = &lede__v1__summarize_request__descriptor;
    char err[300];
    ProtobufCMessage *direct = NULL;
    int rc = lede_pbjson_parse(d, s, size, &direct, err, sizeof err);
    if (rc != LEDE_OK && (direct || !err[0]))
        abort(); /* an error leaves no message and says why */

    json_error_t je;
    /* jansson takes a NUL byte between tokens ("341\0}"); RFC 8259 and the direct reader do
       not, so such inputs are left out of the comparison */
    json_t *v = memchr(s, 0, size) ? NULL : json_loadb(s, size, JSON_REJECT_DUPLICATES, &je);
    ProtobufCMessage *tree = NULL;
    if (v && lede_pbjson_read(d, v, &tree, err, sizeof err) == LEDE_OK) {
        if (rc != LEDE_OK)
            abort(); /* jansson and the tree reader took it: so must the direct reader */
        size_t la, lb;
        uint8_t *a = packed(tree, &la), *b = packed(direct, &lb);
        if (la != lb || memcmp(a, b, la))
            abort();
        free(a);
        free(b);
    }
    if (tree)
        protobuf_c_message_free_unpacked(tree, NULL);
    json_decref(v);

    if (direct) { /* what the gateway writes (a request echoes through the same writer) parses */
        struct lede_jbuf out;
        lede_jbuf_init(&out, 1 << 22);
        lede_pbjson_write(&out, direct);
        ProtobufCMessage *again = NULL;
        if (!out.failed && lede_pbjson_parse(d, out.data, out.len, &again, err, sizeof err))
            abort();
        if (again)
            protobuf_c_message_free_unpacked(again, NULL);
        lede_jbuf_release(&out);
        protobuf_c_message_free_unpacked(direct, NULL);
    }

    struct lede_jsonl_rec rec;
    char msg[200];
    int st = lede_jsonl_read(s, size, &rec, msg, sizeof msg);
    if (st != 0 && !msg[0])
        abort();
    if (st == 0 && !rec.article)
        abort(); /* a record that reads always has its article */
    lede_jsonl_rec_release(&rec);
    return 0;
}
