/* backend.h: where `lede summarize` (and lede-eval, the HTML view) get results from:
 * the engine in-process ("local") or the service through liblede-client ("remote").
 * Calls are submitted with a sequence number and completed through a callback, so the remote
 * backend can keep many calls in flight while the caller prints results in order. */
#ifndef LEDE_BACKEND_H
#define LEDE_BACKEND_H

#include <stddef.h>

#include "summarize.h"
#include "weights.h"

/* One article to summarize. All pointers are borrowed for the duration of submit. */
struct lede_job {
    const char *id;    /* article id or NULL */
    const char *title; /* or NULL */
    size_t title_len;
    const char *body;
    size_t body_len;
    const char *lang;        /* NULL: "en" */
    enum lede_format format; /* of body; 0: sniffed */
    struct lede_budget budget;
    size_t n_overrides; /* weight overrides by feature; the rest keep the defaults */
    struct lede_weight_override overrides[LEDE_F_COUNT];
};

/* gRPC status numbers (the same as lede.v1.Status), used for local errors too. */
enum lede_status {
    LEDE_STATUS_OK = 0,
    LEDE_STATUS_CANCELLED = 1,
    LEDE_STATUS_UNKNOWN = 2,
    LEDE_STATUS_INVALID_ARGUMENT = 3,
    LEDE_STATUS_DEADLINE_EXCEEDED = 4,
    LEDE_STATUS_NOT_FOUND = 5,
    LEDE_STATUS_ALREADY_EXISTS = 6,
    LEDE_STATUS_PERMISSION_DENIED = 7,
    LEDE_STATUS_RESOURCE_EXHAUSTED = 8,
    LEDE_STATUS_FAILED_PRECONDITION = 9,
    LEDE_STATUS_ABORTED = 10,
    LEDE_STATUS_OUT_OF_RANGE = 11,
    LEDE_STATUS_UNIMPLEMENTED = 12,
    LEDE_STATUS_INTERNAL = 13,
    LEDE_STATUS_UNAVAILABLE = 14,
    LEDE_STATUS_DATA_LOSS = 15,
    LEDE_STATUS_UNAUTHENTICATED = 16,
};

/* Names and the mapping from error codes: lede_wire_status_name, lede_wire_status_from_err
 * (proto/wire.h). */

/* Called once per submitted job, in completion order (not necessarily submission order).
 * On LEDE_STATUS_OK, result is the callee's to keep (free with lede_result_destroy);
 * otherwise result is NULL and message says why. */
typedef void (*lede_done_fn)(void *ctx, size_t seq, int status, const char *message,
                             struct lede_result *result);

typedef struct lede_backend lede_backend_t;

struct lede_backend_ops {
    /* Starts job seq; may call done for it (and for earlier jobs) before returning, and may
     * block while too many calls are in flight. Returns LEDE_OK or an error for the backend
     * as a whole (the job's own failures go to done). */
    int (*submit)(lede_backend_t *b, size_t seq, const struct lede_job *job);
    /* Waits until every submitted job has been passed to done. */
    int (*drain)(lede_backend_t *b);
    void (*destroy)(lede_backend_t *b);
};

struct lede_backend {
    const struct lede_backend_ops *ops;
    lede_done_fn done;
    void *ctx;
};

/* The engine in-process. engine is borrowed and must outlive the backend. */
int lede_backend_local_new(const lede_engine_t *engine, lede_done_fn done, void *ctx,
                           lede_backend_t **out);

/* The service: endpoints is a comma-separated list of broker endpoints; deadline_ms per call;
 * max_in_flight articles at once (0: LEDE_REMOTE_IN_FLIGHT). Options for CURVE may be NULL.
 * Implemented in remote.c. */
#define LEDE_REMOTE_IN_FLIGHT 256 /* sixteen calls of 16 articles (remote.c says why) */
struct lede_remote_options {
    const char *endpoints;
    int deadline_ms;
    int max_in_flight;
    const char *curve_secret_file; /* NULL: plaintext */
    const char *broker_key_file;
    int explain; /* 1: every sentence in each result (--json, --jsonl, --html);
                    0: only the summary's (plain text: a smaller reply) */
};
int lede_backend_remote_new(const struct lede_remote_options *opt, lede_done_fn done, void *ctx,
                            lede_backend_t **out);

/* Frees a backend (NULL is fine) and sets *b to NULL; does not drain. */
void lede_backend_destroy(lede_backend_t **b);

#endif
