/* broker.h: the broker's scheduling state machine: worker registry and credit, bounded call
 * queue, in-flight table, heartbeats, deadlines, re-dispatch, counters. No sockets and no clock:
 * callers pass now_ms and frames in and pop "send this frame to that peer" actions out
 * (broker_main.c is the zmq_poll loop around it; tests/unit/check_broker.c drives it directly). */
#ifndef LEDE_BROKER_H
#define LEDE_BROKER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define LEDE_BROKER_IDENTITY_MAX 255 /* a ZeroMQ routing id is at most 255 bytes */
#define LEDE_BROKER_STATUS_COUNT LEDE_WIRE_STATUS_COUNT /* lede.v1.Status values */

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

/* The broker's counters, each written once here: X(field, kind, metric, help).
 *   field  the member of the stats struct and the key in the stats JSON (PROTOCOL.md section 10)
 *   kind   COUNTER (counts since start) or GAUGE (a value now)
 *   metric its Prometheus series on /metrics (broker_main.c), or NULL: the JSON alone
 *   help   what it counts (the series' HELP text)
 * The lists stand in the JSON's order: HEAD, then "replies" by status, BODY, then "malformed"
 * by kind, TAIL; IO and AUTH are the JSON's "io" and "auth" objects. broker.c makes the JSON
 * rows and broker_main.c the series from them, so a counter added here appears in both. */
#define LEDE_BROKER_STATS_HEAD(X)                                                                  \
    X(calls_received, COUNTER, "lede_broker_calls_received_total",                                 \
      "Calls from clients that decoded")                                                           \
    X(replies_total, COUNTER, NULL, "REPLY frames sent to clients (by status: replies)")

#define LEDE_BROKER_STATS_BODY(X)                                                                  \
    X(queue_depth, GAUGE, "lede_broker_queue_depth", "Calls waiting for a worker")                 \
    X(queue_bytes, GAUGE, "lede_broker_queue_bytes", "Bytes of the queued calls")                  \
    X(queue_peak, GAUGE, NULL, "Most calls queued at once since start")                            \
    X(workers_ready, GAUGE, "lede_broker_workers_ready", "Registered workers")                     \
    X(workers_registered, COUNTER, "lede_broker_workers_registered_total",                         \
      "READY frames accepted")                                                                     \
    X(workers_expired, COUNTER, "lede_broker_workers_expired_total",                               \
      "Workers declared dead after missed heartbeats")                                             \
    X(workers_disconnected, COUNTER, "lede_broker_workers_disconnected_total",                     \
      "Workers that said DISCONNECT or became unreachable")                                        \
    X(in_flight, GAUGE, "lede_broker_in_flight", "Calls at workers")                               \
    X(dispatches, COUNTER, "lede_broker_dispatches_total", "Calls sent to workers")                \
    X(redispatches, COUNTER, "lede_broker_redispatches_total",                                     \
      "Calls put back at the queue front after a worker loss")                                     \
    X(late_replies_dropped, COUNTER, "lede_broker_late_replies_dropped_total",                     \
      "Worker replies dropped: duplicate, re-dispatched or too late")                              \
    X(unknown_worker_messages, COUNTER, NULL, "Frames from workers that are not registered")       \
    X(unreachable_clients, COUNTER, "lede_broker_unreachable_clients_total",                       \
      "Replies lost because the client was gone")                                                  \
    X(unreachable_workers, COUNTER, "lede_broker_unreachable_workers_total",                       \
      "Sends to workers that failed (the worker is dropped)")                                      \
    X(heartbeats_sent, COUNTER, NULL, "HEARTBEAT frames sent to workers")                          \
    X(heartbeats_received, COUNTER, NULL, "HEARTBEAT frames from workers")                         \
    X(malformed_total, COUNTER, NULL, "Malformed frames (by kind: malformed)")

#define LEDE_BROKER_STATS_TAIL(X)                                                                  \
    X(held_bytes, GAUGE, "lede_broker_held_bytes",                                                 \
      "Memory of the calls held, queued or at workers")                                            \
    X(worker_timeouts, COUNTER, "lede_broker_worker_timeouts_total",                               \
      "Calls whose deadline passed at a worker")

/* Kept by the process's socket loop (broker_main.c, conns.c), shown in the stats as "io". */
#define LEDE_BROKER_STATS_IO(X)                                                                    \
    X(connections, GAUGE, "lede_broker_connections", "Connections open")                           \
    X(connections_refused, COUNTER, "lede_broker_connections_refused_total",                       \
      "Connections closed by the connection cap")                                                  \
    X(out_bytes, GAUGE, "lede_broker_out_bytes", "Bytes handed to ZeroMQ and not yet written")     \
    X(replies_backlog_dropped, COUNTER, "lede_broker_replies_backlog_dropped_total",               \
      "Replies dropped: the client's unread backlog was full")                                     \
    X(replies_stale_connection, COUNTER, "lede_broker_replies_stale_connection_total",             \
      "Replies dropped: the call's connection had closed")                                         \
    X(replies_unsent, COUNTER, NULL, "Frames ZeroMQ refused (peer gone, pipe full)")               \
    X(connections_unfinished_dropped, COUNTER, "lede_broker_connections_unfinished_total",         \
      "Connections closed: a message past the bound that never ends")

/* CURVE authentication, kept by the process (broker/auth.c), shown in the stats as "auth" (with
 * "curve" and their sum "peers_rejected" before them). Handshakes, not distinct peers: a refused
 * peer that reconnects counts again. /metrics has their sum as lede_broker_auth_denied_total. */
#define LEDE_BROKER_STATS_AUTH(X)                                                                  \
    X(clients_allowed, COUNTER, NULL, "Client handshakes admitted")                                \
    X(workers_allowed, COUNTER, NULL, "Worker handshakes admitted")                                \
    X(clients_denied, COUNTER, NULL, "Unknown client keys refused by the ZAP handler")             \
    X(workers_denied, COUNTER, NULL, "Unknown worker keys refused by the ZAP handler")             \
    X(client_as_worker, COUNTER, NULL, "... of them client keys refused on the backend")           \
    X(handshakes_failed, COUNTER, NULL, "Plaintext peers, wrong mechanism, garbage")               \
    X(wrong_role_messages, COUNTER, NULL, "Frames whose User-Id is not of the socket's role")

#define LEDE_BROKER_STATS_FIELD(field, kind, metric, help) uint64_t field;

struct lede_broker_auth_stats {
    uint64_t enabled; /* 1: CURVE on */
    LEDE_BROKER_STATS_AUTH(LEDE_BROKER_STATS_FIELD)
};

struct lede_broker_io_stats {
    LEDE_BROKER_STATS_IO(LEDE_BROKER_STATS_FIELD)
};

/* The broker's counters (the lists above, and the two by-status and by-kind arrays). */
struct lede_broker_stats {
    LEDE_BROKER_STATS_HEAD(LEDE_BROKER_STATS_FIELD)
    uint64_t replies[LEDE_BROKER_STATUS_COUNT]; /* replies_total by status */
    LEDE_BROKER_STATS_BODY(LEDE_BROKER_STATS_FIELD)
    uint64_t malformed[LEDE_BROKER_BAD_COUNT]; /* by enum lede_broker_bad (index 0 unused) */
    LEDE_BROKER_STATS_TAIL(LEDE_BROKER_STATS_FIELD)
    struct lede_broker_auth_stats auth;
    struct lede_broker_io_stats io;
};

/* A call's frame as the broker keeps it (for a re-dispatch), with room for the fields a
 * dispatch stamps on it: a dispatch stamps it in place and sends these very bytes, no copy,
 * when nothing else holds them (refs 1: the call alone). refs counts the call and a dispatch
 * on its way (its action, then libzmq, whose free callback runs on its I/O thread). */
struct lede_broker_shared {
    atomic_uint refs;
    void *hint; /* the socket loop's, for its free callback (one dispatch at a time) */
    uint8_t data[];
};
/* Drops one reference; the last frees it. NULL is fine. */
void lede_broker_shared_unref(struct lede_broker_shared *s);

/* One thing to do: send frame to the peer with this identity on this socket. */
struct lede_broker_action {
    int sock; /* enum lede_broker_sock */
    uint8_t identity[LEDE_BROKER_IDENTITY_MAX];
    size_t identity_len;
    uint8_t *frame; /* owned by the action: release with lede_broker_action_release */
    size_t frame_len;
    uint64_t conn; /* frontend: the connection the call came on (lede_broker_on_frame_from);
                      0: whichever peer holds the identity */
    struct lede_broker_shared *shared; /* NULL, or: frame is shared->data, not malloc'd, and
                                          the action holds one of its references */
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
/* Frees a->frame (or drops its reference to a->shared); the action is then empty (frame and
 * shared NULL, no identity). */
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
