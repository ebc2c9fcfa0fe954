/* handler.h: what a worker does with one call's payload, between the broker link and the engine:
 * decode a SummarizeRequest, run the engine, encode a SummarizeResponse.
 * No sockets and no threads here: the pool calls it from each engine thread. */
#ifndef LEDE_HANDLER_H
#define LEDE_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "summarize.h"

/* The outcome of one call. payload is the encoded SummarizeResponse when status is OK
 * (the caller's, free with lede_handler_out_release); message says why otherwise. */
struct lede_handler_out {
    int status; /* a lede_status number (gRPC codes) */
    char message[256];
    uint8_t *payload;
    size_t payload_len;
    uint64_t engine_us;
};

/* Summarizes the SummarizeRequest in payload[0..len) with ws (a workspace of engine).
 * started_us is the monotonic time the worker began handling the call, for Timings.worker_us.
 * Never fails as a function: errors become out->status and out->message. With echo, the engine
 * is skipped and the response is empty but well-formed (for measuring the service's overhead). */
void lede_handler_summarize(const lede_engine_t *engine, lede_workspace_t *ws,
                            const uint8_t *payload, size_t len, uint64_t started_us, int echo,
                            struct lede_handler_out *out);

/* lede_handler_summarize with a bound: a response that would be over max_payload bytes
 * (0: no bound) is not made; the call is RESOURCE_EXHAUSTED, saying how large it would be
 * (the transport drops a link for a frame past its cap, so the worker refuses it first). */
void lede_handler_summarize_capped(const lede_engine_t *engine, lede_workspace_t *ws,
                                   const uint8_t *payload, size_t len, uint64_t started_us,
                                   int echo, size_t max_payload, struct lede_handler_out *out);

/* Frees out's payload (the struct itself is the caller's). */
void lede_handler_out_release(struct lede_handler_out *out);

#endif
