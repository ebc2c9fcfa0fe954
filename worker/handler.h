/* handler.h: what a worker does with one call's payload, between the broker link and the engine:
 * decode a SummarizeRequest, run the engine, encode a SummarizeResponse.
 * No sockets and no threads here: the pool calls it from each engine thread. */
#ifndef LEDE_HANDLER_H
#define LEDE_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "summarize.h"
#include "wire.h" /* LEDE_BATCH_MAX_ITEMS */

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

/* Fills out for a call (or a batch's article) whose deadline passed before the engine ran:
 * DEADLINE_EXCEEDED, saying how long it waited since started_us (now: the monotonic time). */
void lede_handler_deadline_missed(struct lede_handler_out *out, uint64_t now_us,
                                  uint64_t started_us);

/* One article of a SummarizeBatch call, for the worker's counters. */
struct lede_handler_item {
    int status;
    uint64_t engine_us;
};

/* The outcome of a SummarizeBatch call: out as for one call (OK with the encoded
 * SummarizeBatchResponse as its payload, or INVALID_ARGUMENT when the payload is not a
 * SummarizeBatchRequest of 1..LEDE_BATCH_MAX_ITEMS items); items[0..n_items) the articles that
 * were answered (run, refused or past the deadline; not those marked resend). */
struct lede_handler_batch_out {
    struct lede_handler_out out;
    struct lede_handler_item items[LEDE_BATCH_MAX_ITEMS];
    size_t n_items;
    size_t skipped; /* of those, answered DEADLINE_EXCEEDED without running */
};

/* Runs every item of the SummarizeBatchRequest in payload[0..len) through
 * lede_handler_summarize_capped, each with the bound item_max (what a Summarize call of its own
 * may answer), in order. An item not started by deadline_us (monotonic; 0: none) is
 * DEADLINE_EXCEEDED without running, as a single call would be. The encoded reply is kept
 * within max_payload bytes (0: no bound; but never under 4 bytes an item): an item whose answer
 * does not fit, and every item after it, is marked resend and not run (the client sends those
 * alone). */
void lede_handler_summarize_batch(const lede_engine_t *engine, lede_workspace_t *ws,
                                  const uint8_t *payload, size_t len, uint64_t started_us,
                                  uint64_t deadline_us, int echo, size_t item_max,
                                  size_t max_payload, struct lede_handler_batch_out *bo);

#endif
