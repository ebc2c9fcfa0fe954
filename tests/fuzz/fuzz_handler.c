/* fuzz_handler.c: libFuzzer target for the worker's payload decoding (worker/handler.c) with a
 * real engine: any bytes as a Summarize payload and as a SummarizeBatch payload. Nothing may
 * crash or leak; an OK Summarize answer decodes as a SummarizeResponse; a SummarizeBatch call
 * is OK exactly when its payload is a SummarizeBatchRequest of 1..64 items, and then its answer
 * decodes to one item per request, stays within its bound, marks resend only on a tail of
 * items, and every item answered says what a Summarize call of that item alone says (its
 * status and message). The first two bytes choose the reply bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "lede.pb-c.h"
#include "summarize.h"
#include "wire.h"
#include "fuzz_workspace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A Summarize call of payload: its status and message into *st, msg; 1 when an OK answer does
 * not decode as a SummarizeResponse. */
static int single(const uint8_t *payload, size_t len, int *st, char *msg, size_t msg_size)
{
    struct lede_handler_out out;
    lede_handler_summarize_capped(engine, ws, payload, len, 0, 0, 0, &out);
    *st = out.status;
    strncpy(msg, out.message, msg_size - 1);
    msg[msg_size - 1] = 0;
    int bad = 0;
    if (out.status == LEDE__V1__STATUS__OK) {
        Lede__V1__SummarizeResponse *m =
            lede__v1__summarize_response__unpack(NULL, out.payload_len, out.payload);
        bad = !m;
        if (m)
            protobuf_c_message_free_unpacked(&m->base, NULL);
    }
    lede_handler_out_release(&out);
    return bad;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_workspace_once();
    if (size < 2)
        return 0;
    size_t max_payload = data[0] & 1 ? 0 : 64u + (size_t)data[1] * 16u;
    data += 2;
    size -= 2;
    int st;
    char msg[sizeof(((struct lede_handler_out *)0)->message)];
    if (single(data, size, &st, msg, sizeof msg))
        abort();

    struct lede_handler_batch_out *bo = malloc(sizeof *bo);
    if (!bo)
        return 0;
    lede_handler_summarize_batch(engine, ws, data, size, 0, 0, 0, 0, max_payload, bo);
    Lede__V1__SummarizeBatchRequest *rq = NULL;
    int dec = lede_wire_unpack(&lede__v1__summarize_batch_request__descriptor, data, size, size + 1,
                               (ProtobufCMessage **)&rq);
    int shape_ok = dec == LEDE_OK && rq->n_requests >= 1 && rq->n_requests <= LEDE_BATCH_MAX_ITEMS;
    if (bo->out.status != LEDE__V1__STATUS__OK) {
        if (bo->out.status == LEDE__V1__STATUS__INVALID_ARGUMENT && shape_ok)
            abort();
        goto done;
    }
    /* the bound holds, but never under a resend mark (4 bytes) an item */
    if (!shape_ok || (max_payload && bo->out.payload_len > max_payload &&
                      bo->out.payload_len > 4 * rq->n_requests))
        abort();
    Lede__V1__SummarizeBatchResponse *resp =
        lede__v1__summarize_batch_response__unpack(NULL, bo->out.payload_len, bo->out.payload);
    if (!resp || resp->n_items != rq->n_requests)
        abort();
    size_t answered = 0;
    int resend_seen = 0;
    for (size_t i = 0; i < resp->n_items; i++) {
        const Lede__V1__BatchItem *it = resp->items[i];
        if (it->resend) {
            resend_seen = 1;
            continue;
        }
        if (resend_seen)
            abort(); /* resend marks a tail: an item answered after one not run */
        answered++;
        if (single(rq->requests[i].data, rq->requests[i].len, &st, msg, sizeof msg) ||
            st != (int)it->status || strcmp(msg, it->message) != 0)
            abort();
        if (it->status == LEDE__V1__STATUS__OK) {
            Lede__V1__SummarizeResponse *m =
                lede__v1__summarize_response__unpack(NULL, it->response.len, it->response.data);
            if (!m)
                abort();
            protobuf_c_message_free_unpacked(&m->base, NULL);
        } else if (it->response.len) {
            abort();
        }
    }
    if (answered != bo->n_items)
        abort();
    protobuf_c_message_free_unpacked(&resp->base, NULL);
done:
    if (rq)
        protobuf_c_message_free_unpacked(&rq->base, NULL);
    lede_handler_out_release(&bo->out);
    free(bo);
    return 0;
}
