/* worker_ops.h: lede-worker's operations hooks: its Prometheus series (calls by method and
 * status, call and engine time, calls held, reconnects, brokers registered with), its /readyz
 * answer, and its structured log lines. Registered once by main.c in the process's
 * lede_metrics_t; worker.c updates them with atomics only (every function accepts a NULL wm:
 * no metrics, nothing done). */
#ifndef LEDE_WORKER_OPS_H
#define LEDE_WORKER_OPS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lede.pb-c.h"
#include "log.h"
#include "metrics.h"
#include "wire.h"

#define LEDE_WORKER_METRICS_STATUSES LEDE_WIRE_STATUS_COUNT /* lede.v1.Status values */

struct lede_worker_metrics {
    /* [0]: lede.v1.Summarizer/Summarize, [1]: any other method (label "other", so a client
     * cannot grow the registry with made-up method names) */
    lede_counter_t *calls[2][LEDE_WORKER_METRICS_STATUSES];
    lede_histogram_t *call_seconds;   /* receipt to reply */
    lede_histogram_t *engine_seconds; /* engine time per article */
    lede_gauge_t *in_flight;          /* calls held: running or waiting for a thread */
    lede_counter_t *reconnects;
    lede_counter_t *malformed;
    lede_gauge_t *brokers_registered; /* links that heard from their broker since READY */
    atomic_int registered;            /* the same, read by /readyz */
};

/* Registers the series in m. wm must start zeroed (static, or memset) and may already be the
 * /readyz context: `registered` is left as it is. LEDE_OK, or LEDE_EINVAL when a series could
 * not be registered (the others still work). */
int lede_worker_metrics_init(struct lede_worker_metrics *wm, lede_metrics_t *m);

/* One call answered with status (method NULL or the Summarize method: "Summarize" series). */
void lede_worker_metrics_call(struct lede_worker_metrics *wm, const char *method, int status);
/* One engine result answered: its status, receipt-to-reply and engine time in microseconds. */
void lede_worker_metrics_done(struct lede_worker_metrics *wm, int status, uint64_t call_us,
                              uint64_t engine_us);
/* Calls held now. */
void lede_worker_metrics_in_flight(struct lede_worker_metrics *wm, uint64_t n);
void lede_worker_metrics_reconnect(struct lede_worker_metrics *wm);
void lede_worker_metrics_malformed(struct lede_worker_metrics *wm);
/* A broker link registered (delta +1: first frame heard after READY) or lost (-1). */
void lede_worker_metrics_registered(struct lede_worker_metrics *wm, int delta);

/* The /readyz callback (ctx: a struct lede_worker_metrics *): ready once registered with at
 * least one broker. */
bool lede_worker_metrics_ready(void *ctx, char *why, size_t why_len);

/* The call's "trace-id" metadata (borrowed from c), or "" when it has none. */
const char *lede_worker_trace_id(const Lede__V1__Call *c);

/* One log line of the worker through the default logger (lede_log_default; nothing is written
 * without one): event is the message, fields its key/values (borrowed; NULL with n 0), call_id
 * and trace_id fill the logger's own fields (NULL or "" leave them out), and a field worker=name
 * is added. level: LEDE_LOG_ERROR ... LEDE_LOG_DEBUG. Thread-safe. */
void lede_worker_log(const char *name, int level, const char *call_id, const char *trace_id,
                     const char *event, const struct lede_log_field *fields, size_t n);

#endif
