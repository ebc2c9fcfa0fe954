/* worker.h: the lede-worker process loop: one DEALER per broker (READY, heartbeats, reconnect
 * with backoff and jitter, DISCONNECT on drain) around a pool of engine threads.
 * main.c turns options into a lede_worker_config; the loop runs until asked to stop. */
#ifndef LEDE_WORKER_H
#define LEDE_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "curve.h"
#include "summarize.h"

struct lede_worker_metrics;

struct lede_worker_config {
    const char *const *brokers; /* broker backend endpoints */
    size_t n_brokers;
    unsigned threads;      /* engine threads: calls run at once; with 1, small calls run
                              on the thread that owns the sockets (no hand-off) */
    unsigned capacity;     /* credit announced to each broker: calls held at once, running
                              or queued for a thread (0: lede_worker_default_capacity) */
    unsigned heartbeat_ms; /* how often we beat; the broker is dead after liveness beats */
    unsigned liveness;
    unsigned reconnect_ms; /* first reconnect delay; doubles up to reconnect_max_ms */
    unsigned reconnect_max_ms;
    unsigned drain_ms;           /* at most this long to finish in-flight calls on SIGTERM */
    size_t max_message;          /* largest frame accepted from a broker */
    size_t max_queue;            /* calls waiting for a thread at most */
    const char *name;            /* served_by in replies */
    int echo;                    /* answer without running the engine */
    int no_batch;                /* serve Summarize only, not SummarizeBatch */
    int io_batch;                /* ZeroMQ's I/O thread runs as SCHED_BATCH (Linux) */
    int verbose;                 /* log every call */
    const lede_engine_t *engine; /* borrowed; NULL only with echo */
    const struct lede_curve_client *curve; /* CURVE keys for every broker link, or NULL */
    struct lede_worker_metrics *metrics;   /* Prometheus series (worker_ops.h), or NULL */
};

/* Fills cfg with the defaults (no brokers, no engine). */
void lede_worker_config_init(struct lede_worker_config *cfg);

/* The credit a worker with this many engine threads announces when --capacity is not given:
 * 4 calls per thread, at least 16 and at most 256 (docs/PROTOCOL.md §4.2 says why). */
unsigned lede_worker_default_capacity(unsigned threads);

/* Counters the worker logs on exit and on SIGUSR1. */
/* The worker's counters, each once: X(field, log key, what it counts). The struct and the
 * "stats" log line (SIGUSR1 and exit) come from it. */
#define LEDE_WORKER_STATS(X)                                                                       \
    X(calls, "calls", "CALL frames received")                                                      \
    X(ok, "ok", "articles answered OK (each of a SummarizeBatch call counts)")                     \
    X(failed, "failed", "articles answered with another status")                                   \
    X(skipped, "deadline_skipped", "not run: deadline already passed")                             \
    X(unimplemented, "unimplemented", "an unknown method")                                         \
    X(rejected, "rejected", "queue full")                                                          \
    X(dropped, "dropped", "not answered because the broker link was reset meanwhile")              \
    X(malformed, "malformed", "frames that did not decode (wrong version, garbage, ...)")          \
    X(unexpected, "unexpected", "well-formed frames a worker should not get")                      \
    X(reconnects, "reconnects", "links reconnected")                                               \
    X(send_failed, "send_failed", "frames the socket refused")

#define LEDE_WORKER_STATS_FIELD(field, key, what) uint64_t field;
struct lede_worker_stats {
    LEDE_WORKER_STATS(LEDE_WORKER_STATS_FIELD)
};

/* Runs until *stop becomes non-zero (then drains) or start-up fails. *dump non-zero asks for
 * the counters in the log (and is reset). Returns LEDE_OK after a drain, or an error when the
 * sockets or threads could not be made. stats may be NULL. */
int lede_worker_run(const struct lede_worker_config *cfg, volatile sig_atomic_t *stop,
                    volatile sig_atomic_t *dump, struct lede_worker_stats *stats);

#endif
