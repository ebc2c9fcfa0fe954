/* pool.h: the worker's engine threads. The main thread (which owns the broker sockets) pushes
 * calls onto a bounded mutex queue; each engine thread runs one call at a time with its own
 * workspace and hands the encoded REPLY frame back over an inproc PUSH socket. */
#ifndef LEDE_POOL_H
#define LEDE_POOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "handler.h"
#include "lede.pb-c.h"
#include "summarize.h"

/* One call for an engine thread. Every pointer is owned by the job once pushed. */
struct lede_pool_job {
    uint32_t link;        /* the broker link the call came from */
    uint32_t gen;         /* that link's generation when the call arrived */
    Lede__V1__Call *call; /* as decoded from the broker (its payload is the SummarizeRequest);
                             freed with protobuf_c_message_free_unpacked */
    uint64_t received_us; /* monotonic time of receipt */
    uint64_t deadline_us; /* monotonic deadline; 0: none */
    struct lede_pool_job *next;
};

/* What an engine thread sends back, as the first of two frames (the second is the REPLY
 * frame, empty when the call was dropped because its link was reset meanwhile). */
struct lede_pool_done {
    uint32_t link;
    uint32_t gen;
    int32_t status;   /* the reply's status */
    uint32_t skipped; /* 1: not run because its deadline had passed */
    uint32_t dropped; /* 1: not run because its link was reset (no reply frame) */
    uint64_t engine_us;
    uint64_t received_us; /* the job's, for the call-duration metric */
    /* a SummarizeBatch call: its articles answered (malloc'd, the receiver frees it; NULL
       for a Summarize call, which counts as one article of status `status`) */
    struct lede_handler_item *items;
    uint32_t n_items;
    uint32_t items_skipped; /* of those, DEADLINE_EXCEEDED without running */
};

/* A thread whose workspace holds more than this after a call frees it and trims the heap
 * (malloc_trim): about a 500 KB article's worth; a larger article pays for its own memory. */
#define LEDE_POOL_TRIM_BYTES (8u << 20)

typedef struct lede_pool lede_pool_t;

struct lede_pool_config {
    void *zctx;                        /* the zmq context shared with the main thread */
    const char *done_endpoint;         /* inproc endpoint the main thread has bound a PULL to */
    const lede_engine_t *engine;       /* borrowed; may be NULL only with echo */
    unsigned threads;                  /* >= 1 */
    size_t max_queue;                  /* calls waiting at most (bounded) */
    int echo;                          /* skip the engine */
    const char *served_by;             /* copied */
    const _Atomic uint32_t *link_gens; /* current generation per link (borrowed) */
    size_t n_links;
    int inline_run;         /* the caller may also run calls itself (lede_pool_run), with
                               a workspace of its own */
    size_t max_reply_bytes; /* a REPLY frame larger than this becomes RESOURCE_EXHAUSTED
                               for its call (0: no limit) */
};

/* Starts the threads. On LEDE_OK *out is the caller's (lede_pool_destroy). Errors: LEDE_EINVAL,
 * LEDE_ENOMEM, LEDE_EIO (a socket or thread could not be made). */
int lede_pool_new(const struct lede_pool_config *cfg, lede_pool_t **out);

/* Queues a job and takes ownership of it. Returns LEDE_OK, or LEDE_EAGAIN when the queue is
 * full or the pool is stopping (the job then stays the caller's). */
int lede_pool_push(lede_pool_t *pool, struct lede_pool_job *job);

/* inline_run pools only (else LEDE_EINVAL, nothing touched): runs the job on the calling
 * thread, frees it and fills *done and *body (the REPLY frame, empty when dropped; the caller
 * sends or closes it) as an engine thread would. */
int lede_pool_run(lede_pool_t *pool, struct lede_pool_job *job, struct lede_pool_done *done,
                  zmq_msg_t *body);

/* Jobs queued but not yet taken by a thread. */
size_t lede_pool_queued(lede_pool_t *pool);

/* Frees a job and what it owns (NULL is fine). */
void lede_pool_job_free(struct lede_pool_job *job);

/* Stops the threads after the call each is running (queued calls are dropped), joins them and
 * frees the pool; sets *pool to NULL. NULL is fine. */
void lede_pool_destroy(lede_pool_t **pool);

#endif
