/* broker.h: the broker's scheduling state machine: worker registry and credit, bounded call
 * queue, in-flight table, heartbeats, deadlines, re-dispatch, counters. No sockets and no clock:
 * callers pass now_ms and frames in and pop "send this frame to that peer" actions out
 * (broker_main.c is the zmq_poll loop around it; tests/unit/check_broker.c drives it directly). */
#ifndef LEDE_BROKER_H
#define LEDE_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define LEDE_BROKER_IDENTITY_MAX 255 /* a ZeroMQ routing id is at most 255 bytes */
#define LEDE_BROKER_STATUS_COUNT 17  /* lede.v1.Status values 0..16 */

struct lede_broker_config {
    uint32_t heartbeat_ms;       /* heartbeat interval for workers that announce none (1000) */
    uint32_t liveness;           /* missed heartbeats before a worker is dead (3) */
    uint32_t default_timeout_ms; /* deadline of a call with timeout_ms 0 (30000) */
    uint32_t max_attempts;       /* dispatches of one call before UNAVAILABLE (3) */
    size_t queue_max;            /* queued calls before RESOURCE_EXHAUSTED (10000) */
    size_t queue_max_bytes;      /* queued bytes before RESOURCE_EXHAUSTED (256 MiB) */
    size_t max_msg_bytes;        /* largest frame accepted (16 MiB) */
    uint32_t drain_ms;           /* on shutdown, how long in-flight calls may finish (5000) */
    size_t max_workers;          /* registered workers at once (1024) */
};

/* Fills c with the defaults above. */
void lede_broker_config_defaults(struct lede_broker_config *c);

/* Which socket a frame came from or goes to. */
enum lede_broker_sock { LEDE_BROKER_FRONTEND = 0, LEDE_BROKER_BACKEND = 1 };

/* Kinds of malformed input, counted separately. The first ones are lede_wire_fault values. */
enum lede_broker_bad {
    LEDE_BROKER_BAD_SHORT = LEDE_WIRE_FAULT_SHORT,
    LEDE_BROKER_BAD_MAGIC = LEDE_WIRE_FAULT_MAGIC,
    LEDE_BROKER_BAD_VERSION = LEDE_WIRE_FAULT_VERSION,
    LEDE_BROKER_BAD_COMMAND = LEDE_WIRE_FAULT_COMMAND,
    LEDE_BROKER_BAD_BODY = LEDE_WIRE_FAULT_BODY,
    LEDE_BROKER_BAD_SIZE = LEDE_WIRE_FAULT_SIZE,
    LEDE_BROKER_BAD_FRAMES = LEDE_WIRE_FAULT_COUNT, /* not exactly one frame after the id */
    LEDE_BROKER_BAD_UNEXPECTED, /* a known command on the wrong socket (READY from a client) */
    LEDE_BROKER_BAD_INVALID,    /* decodes, but a field is invalid (empty call_id, ...) */
    LEDE_BROKER_BAD_COUNT
};

/* "short", "magic", "version", "command", "body", "size", "frames", "unexpected", "invalid". */
const char *lede_broker_bad_name(int kind);

/* CURVE authentication counters, kept by the process (broker/auth.c) and shown in the stats
 * as "auth". Handshakes, not distinct peers: a refused peer that reconnects counts again. */
struct lede_broker_auth_stats {
    uint64_t enabled;                          /* 1: CURVE on */
    uint64_t clients_allowed, workers_allowed; /* handshakes admitted */
    uint64_t clients_denied, workers_denied;   /* unknown keys refused by the ZAP handler */
    uint64_t client_as_worker;                 /* ... client keys refused on the backend */
    uint64_t handshakes_failed;                /* plaintext peers, wrong mechanism, garbage */
    uint64_t wrong_role_messages; /* frames whose User-Id is not of the socket's role (dropped) */
};

/* Counters kept by the process's socket loop (broker_main.c), shown in the stats as "io". */
struct lede_broker_io_stats {
    uint64_t connections;              /* frontend + backend connections open now */
    uint64_t connections_refused;      /* closed at once: past --max-connections */
    uint64_t out_bytes;                /* bytes handed to ZeroMQ and not yet written, now */
    uint64_t replies_backlog_dropped;  /* replies dropped: the client's unread backlog was full */
    uint64_t replies_stale_connection; /* replies dropped: the call's connection had closed */
    uint64_t replies_unsent;           /* frames ZeroMQ refused (peer gone, pipe full) */
    uint64_t connections_unfinished_dropped; /* closed: a message past the bound that never
                                                ends (every part with MORE) */
};

/* The broker's counters. Gauges (queue_depth, queue_bytes, workers_ready, in_flight) are
 * current values; everything else counts since start. */
struct lede_broker_stats {
    uint64_t calls_received;                    /* CALL frames from clients that decoded */
    uint64_t replies_total;                     /* REPLY frames sent to clients */
    uint64_t replies[LEDE_BROKER_STATUS_COUNT]; /* ... by status */
    uint64_t queue_depth, queue_bytes, queue_peak;
    uint64_t workers_ready;        /* registered workers now */
    uint64_t workers_registered;   /* READY frames accepted */
    uint64_t workers_expired;      /* declared dead after missed heartbeats */
    uint64_t workers_disconnected; /* sent DISCONNECT, or unreachable */
    uint64_t in_flight;            /* calls at workers now */
    uint64_t dispatches;           /* CALL frames sent to workers */
    uint64_t redispatches;         /* calls put back at the queue front after a worker loss */
    uint64_t malformed_total;
    uint64_t malformed[LEDE_BROKER_BAD_COUNT]; /* by enum lede_broker_bad (index 0 unused) */
    uint64_t late_replies_dropped; /* replies from a dead/unknown worker, duplicates, too late */
    uint64_t unknown_worker_messages;
    uint64_t unreachable_clients, unreachable_workers;
    uint64_t heartbeats_sent, heartbeats_received;
    uint64_t held_bytes;      /* memory of every call held, queued or in flight (bounded by
                                 queue_max_bytes) */
    uint64_t worker_timeouts; /* calls whose deadline passed at a worker (its credit halves) */
    struct lede_broker_auth_stats auth;
    struct lede_broker_io_stats io;
};

/* One thing to do: send frame to the peer with this identity on this socket. */
struct lede_broker_action {
    int sock; /* enum lede_broker_sock */
    uint8_t identity[LEDE_BROKER_IDENTITY_MAX];
    size_t identity_len;
    uint8_t *frame; /* owned by the action: release with lede_broker_action_release */
    size_t frame_len;
    uint64_t conn; /* frontend: the connection the call came on (lede_broker_on_frame_from);
                      0: whichever peer holds the identity */
};

enum lede_broker_log_level {
    LEDE_BROKER_LOG_ERROR = 0,
    LEDE_BROKER_LOG_WARN = 1,
    LEDE_BROKER_LOG_INFO = 2,
    LEDE_BROKER_LOG_DEBUG = 3
};
/* A log line: level, the call id it concerns (or NULL), a message without newline. */
typedef void (*lede_broker_log_fn)(void *ctx, int level, const char *call_id, const char *msg);

typedef struct lede_broker lede_broker_t;

/* A new broker; config NULL means defaults. Returns NULL when out of memory. */
lede_broker_t *lede_broker_new(const struct lede_broker_config *config, int64_t now_ms);
/* Frees everything (NULL is fine) and sets *b to NULL. Pending actions are dropped. */
void lede_broker_destroy(lede_broker_t **b);

/* Logging callback (default: none). */
void lede_broker_set_log(lede_broker_t *b, lede_broker_log_fn fn, void *ctx);

/* The same with the trace id of the call a line is about (its "trace-id" metadata; NULL when
 * none or when the line is about no queued call). Set, it is used instead of the plain one. */
typedef void (*lede_broker_log_traced_fn)(void *ctx, int level, const char *call_id,
                                          const char *trace_id, const char *msg);
void lede_broker_set_log_traced(lede_broker_t *b, lede_broker_log_traced_fn fn, void *ctx);
/* Lines above level (enum lede_broker_log_level) are not formatted at all, so the per-call debug
 * lines cost nothing when the process does not log debug. Default: LEDE_BROKER_LOG_DEBUG. */
void lede_broker_set_log_level(lede_broker_t *b, int level);

/* A call that was queued has been answered to its client (by a worker's reply or by the
 * broker: deadline, re-dispatch limit, drain). Strings are borrowed for the callback only. */
struct lede_broker_answered {
    const char *call_id;
    const char *method;
    const char *trace_id; /* the call's "trace-id" metadata, or NULL */
    int status;           /* lede.v1.Status */
    int64_t received_ms;  /* the now_ms at which the call arrived */
    int64_t received_us;  /* the same instant in microseconds (lede_broker_set_now_us), or 0 */
    uint32_t attempts;    /* dispatches to workers */
};
typedef void (*lede_broker_answered_fn)(void *ctx, const struct lede_broker_answered *a);
/* Calls fn once per answered call, on the broker's thread, e.g. for latency metrics; it must
 * not call into the broker. Default: none. */
void lede_broker_set_answered(lede_broker_t *b, lede_broker_answered_fn fn, void *ctx);

/* The instant of the next event, in microseconds of any clock (the socket loop's); used only to
 * stamp calls for latency metrics finer than now_ms. 0: unknown (the default). */
void lede_broker_set_now_us(lede_broker_t *b, int64_t now_us);

/* A frame from a client (frontend) or a worker (backend) with the sender's routing identity.
 * Any bytes are fine: malformed frames are counted and answered, never fatal.
 * Returns LEDE_OK, or LEDE_ENOMEM when the broker could not record the event. */
int lede_broker_on_frame(lede_broker_t *b, int64_t now_ms, int sock, const void *identity,
                         size_t identity_len, const void *frame, size_t frame_len);

/* lede_broker_on_frame for a client frame that arrived on connection conn (any number the
 * caller chooses, 0 meaning unknown): every reply to the calls it carries is an action with that
 * conn, so the caller can drop it when that connection has closed, instead of handing it to
 * another peer that took the same routing id (issue 10, 3.9). */
int lede_broker_on_frame_from(lede_broker_t *b, int64_t now_ms, int sock, const void *identity,
                              size_t identity_len, uint64_t conn, const void *frame,
                              size_t frame_len);

/* A message that was not exactly one frame after the identity: counted, and answered (with
 * INVALID_ARGUMENT to a client) when sock is the frontend. */
void lede_broker_on_bad_framing(lede_broker_t *b, int64_t now_ms, int sock, const void *identity,
                                size_t identity_len);

/* A send to this peer failed (EHOSTUNREACH, or EAGAIN at the high-water mark): a worker is
 * treated as gone (its calls are re-dispatched), a client's reply is counted as lost. */
void lede_broker_on_unreachable(lede_broker_t *b, int64_t now_ms, int sock, const void *identity,
                                size_t identity_len);

/* Time passes: heartbeats out, dead workers expired, deadlines enforced, dispatch. Call at
 * least when lede_broker_next_wakeup says. */
void lede_broker_tick(lede_broker_t *b, int64_t now_ms);

/* Milliseconds until the broker next needs a tick (0 .. the heartbeat interval). */
int lede_broker_next_wakeup(lede_broker_t *b, int64_t now_ms);

/* Starts the shutdown: queued calls are answered UNAVAILABLE, new calls too; calls in flight
 * get drain_ms to finish. */
void lede_broker_drain(lede_broker_t *b, int64_t now_ms);

/* After lede_broker_drain: 1 once nothing is in flight or the drain time is up (the leftovers are
 * then answered UNAVAILABLE and every worker is sent DISCONNECT); 0 before. Pop the actions it
 * queued before exiting. */
int lede_broker_drained(lede_broker_t *b, int64_t now_ms);

/* Takes the next pending action into *a (the caller then owns a->frame). Returns 1 if there was
 * one, 0 if none. */
int lede_broker_pop(lede_broker_t *b, struct lede_broker_action *a);
/* Frees a->frame and zeroes it. */
void lede_broker_action_release(struct lede_broker_action *a);

/* Replaces the authentication counters shown in the stats. */
void lede_broker_set_auth_stats(lede_broker_t *b, const struct lede_broker_auth_stats *a);

/* Replaces the socket loop's counters shown in the stats. */
void lede_broker_set_io_stats(lede_broker_t *b, const struct lede_broker_io_stats *io);

/* The counters; borrowed, valid until the next call into the broker. */
const struct lede_broker_stats *lede_broker_stats(const lede_broker_t *b);

/* The counters and the worker table as one JSON object (malloc'd, caller frees), the payload of
 * the built-in method lede.v1.Broker/Stats. Returns LEDE_OK or LEDE_ENOMEM. */
int lede_broker_stats_json(const lede_broker_t *b, int64_t now_ms, char **out);

#endif
