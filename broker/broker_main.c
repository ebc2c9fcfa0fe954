/* broker_main.c: lede-broker, the process: options (flag, LEDE_BROKER_* variable, config file),
 * logs and the /metrics /healthz /readyz endpoint (common/ops.h), two ROUTER sockets, and the
 * zmq_poll loop that feeds frames and time into the state machine (broker.c) and sends the
 * frames it asks for. Signals: SIGTERM/SIGINT drain and exit 0, SIGUSR1 prints the counters. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zmq.h>

#include "auth.h"
#include "broker.h"
#include "clock.h"
#include "conns.h"
#include "config.h"
#include "curve.h"
#include "error.h"
#include "http.h"
#include "ops.h"

#ifndef LEDE_VERSION
#define LEDE_VERSION "unknown"
#endif

#define RECV_BATCH 256 /* frames taken from one socket before looking at the other */
#define FD_HEADROOM                                                                                \
    (LEDE_HTTP_MAX_CONNECTIONS + 64) /* descriptors kept free of connections                       \
                                     (the HTTP endpoint, files, libzmq's own) */
#define CONNS_TABLE_MAX  65536       /* descriptors tracked by the connection table */
#define CONNS_CHECK_MS   100         /* how often unfinished messages are looked for */
#define RSS_CHECK_MS     10          /* ... and sooner when the process grew this much meanwhile: */
#define RSS_GROWTH_CHECK (16u << 20)
#define IDLE_EVICT_MS    5000 /* at the connection cap, one idle this long makes room */
#define HANDSHAKE_MS     5000 /* a connection that has not finished its handshake is closed */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        stats_requested = 1;
    else
        stop_requested = 1;
}

/* broker.h's log levels are passed on to the logger as they are. */
_Static_assert((int)LEDE_BROKER_LOG_ERROR == (int)LEDE_LOG_ERROR &&
                   (int)LEDE_BROKER_LOG_WARN == (int)LEDE_LOG_WARN &&
                   (int)LEDE_BROKER_LOG_INFO == (int)LEDE_LOG_INFO &&
                   (int)LEDE_BROKER_LOG_DEBUG == (int)LEDE_LOG_DEBUG,
               "broker.h and log.h number the log levels alike");

struct options {
    const char *frontend, *backend, *ready_file;
    const char *curve_secret, *allow_clients, *allow_workers; /* CURVE: all three or none */
    struct lede_broker_config cfg;
    lede_config_t *conf; /* owns the strings above */
    struct lede_ops ops; /* logger, metrics registry, HTTP endpoint */
    uint64_t wrong_role; /* frames dropped: User-Id not of the socket's role */
    size_t max_connections, client_backlog_bytes;
    lede_conns_t *conns;
};

/* Every option: a flag, LEDE_BROKER_<NAME> and a config-file key (common/config.h). */
static const struct lede_opt broker_opts[] = {
    {.name = "frontend", .arg = "EP", .def = "tcp://*:5555", .help = "clients connect here"},
    {.name = "backend", .arg = "EP", .def = "tcp://*:5556", .help = "workers connect here"},
    {.name = "queue-max",
     .type = LEDE_OPT_INT,
     .def = "10000",
     .min = 0,
     .max = 100000000,
     .help = "queued calls before RESOURCE_EXHAUSTED"},
    {.name = "queue-max-bytes",
     .type = LEDE_OPT_INT,
     .def = "268435456",
     .min = 0,
     .max = 1099511627776.0,
     .help = "queued bytes before RESOURCE_EXHAUSTED"},
    {.name = "heartbeat-ms",
     .type = LEDE_OPT_INT,
     .def = "1000",
     .min = 10,
     .max = 60000,
     .help = "heartbeat interval for workers that announce none"},
    {.name = "liveness",
     .type = LEDE_OPT_INT,
     .def = "3",
     .min = 1,
     .max = 1000,
     .help = "missed heartbeats before a worker is dead"},
    {.name = "default-timeout-ms",
     .type = LEDE_OPT_INT,
     .def = "30000",
     .min = 1,
     .max = 86400000,
     .help = "deadline of calls that set timeout_ms 0"},
    {.name = "max-attempts",
     .type = LEDE_OPT_INT,
     .def = "3",
     .min = 1,
     .max = 1000,
     .help = "dispatches of one call before UNAVAILABLE"},
    {.name = "max-msg-bytes",
     .type = LEDE_OPT_INT,
     .def = "17825792",
     .min = 64,
     .max = 1073741824,
     .help = "largest frame accepted (larger: INVALID_ARGUMENT)"},
    {.name = "max-connections",
     .type = LEDE_OPT_INT,
     .def = "0",
     .min = 0,
     .max = 1000000,
     .help = "connections per socket (0: the descriptor limit, less headroom, halved); past it "
             "the longest idle one, or the newcomer, is closed"},
    {.name = "client-backlog-bytes",
     .type = LEDE_OPT_INT,
     .def = "33554432",
     .min = 0,
     .max = 1099511627776.0,
     .help = "reply bytes queued for one client that does not read (more: dropped, counted)"},
    {.name = "drain-ms",
     .type = LEDE_OPT_INT,
     .def = "5000",
     .min = 0,
     .max = 3600000,
     .help = "on SIGTERM, time given to calls in flight"},
    LEDE_OPT_LOG_LEVEL,
    LEDE_OPT_LOG_FORMAT,
    LEDE_OPT_METRICS,
    {.name = "curve-secret",
     .arg = "FILE",
     .help = "CURVE: this broker's secret key (lede keygen NAME; give others NAME.pub)"},
    {.name = "allow-clients",
     .arg = "DIR",
     .help = "CURVE: .pub files of the clients allowed on the frontend"},
    {.name = "allow-workers",
     .arg = "DIR",
     .help = "CURVE: .pub files of the workers allowed on the backend"},
    {.name = "ready-file",
     .arg = "PATH",
     .help = "once bound, write frontend=EP and backend=EP lines (the real ports)"},
};

static const char usage_text[] =
    "usage: lede-broker [options]\n"
    "Routes calls from clients (frontend) to workers (backend); see docs/PROTOCOL.md.";
static const char epilogue_text[] =
    "CURVE: give --curve-secret, --allow-clients and --allow-workers together (or none);\n"
    "plaintext peers and unlisted keys are then refused, and a client key cannot register\n"
    "as a worker. --ready-file gets the bound endpoints (tcp://HOST:* picks free ports).\n"
    "SIGTERM/SIGINT drain and exit 0 (a second one: exit without waiting); SIGUSR1\n"
    "prints the counters to stderr.\n"
    "Counters: GET /metrics on the --metrics address (Prometheus text), the method\n"
    "lede.v1.Broker/Stats (JSON payload), SIGUSR1, or the line printed at exit.\n"
    "/readyz answers 200 once a worker is registered, 503 before and while draining.";

/* 0: run, 1: --help printed, -1: bad options (message printed). */
static int parse_options(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    lede_broker_config_defaults(&o->cfg);
    int rc = lede_config_cli("lede-broker", "LEDE_BROKER", broker_opts,
                             sizeof broker_opts / sizeof broker_opts[0], 0, argc, argv, usage_text,
                             epilogue_text, &o->conf);
    if (rc != 1) /* 0: --help printed (this function's 1); -1: the error printed */
        return rc == 0 ? 1 : -1;
    const lede_config_t *c = o->conf;
    o->frontend = lede_config_str(c, "frontend");
    o->backend = lede_config_str(c, "backend");
    o->ready_file = lede_config_str_set(c, "ready-file");
    o->curve_secret = lede_config_str_set(c, "curve-secret");
    o->allow_clients = lede_config_str_set(c, "allow-clients");
    o->allow_workers = lede_config_str_set(c, "allow-workers");
    o->cfg.queue_max = (size_t)lede_config_int(c, "queue-max");
    o->cfg.queue_max_bytes = (size_t)lede_config_int(c, "queue-max-bytes");
    o->cfg.heartbeat_ms = (uint32_t)lede_config_int(c, "heartbeat-ms");
    o->cfg.liveness = (uint32_t)lede_config_int(c, "liveness");
    o->cfg.default_timeout_ms = (uint32_t)lede_config_int(c, "default-timeout-ms");
    o->cfg.max_attempts = (uint32_t)lede_config_int(c, "max-attempts");
    o->cfg.max_msg_bytes = (size_t)lede_config_int(c, "max-msg-bytes");
    o->cfg.drain_ms = (uint32_t)lede_config_int(c, "drain-ms");
    o->max_connections = (size_t)lede_config_int(c, "max-connections");
    o->client_backlog_bytes = (size_t)lede_config_int(c, "client-backlog-bytes");
    int n_curve = !!o->curve_secret + !!o->allow_clients + !!o->allow_workers;
    if (n_curve != 0 && n_curve != 3) {
        fprintf(stderr, "lede-broker: CURVE needs all of --curve-secret, --allow-clients and "
                        "--allow-workers\n");
        return -1;
    }
    return 0;
}

/* ---- metrics: the broker's counters copied into Prometheus series on a timer ---- */

#define METRICS_COPY_MS 100 /* how often lede_broker_stats is copied into the registry */
#define METHODS_TRACKED 8   /* methods with their own latency series; the rest are "other" */

/* The counters of broker.h's lists that have a series, in the lists' order. */
struct series_row {
    const char *name, *help; /* name NULL: the JSON alone */
    int type;                /* LEDE_METRIC_COUNTER or LEDE_METRIC_GAUGE */
    size_t offset;           /* of a uint64_t in struct lede_broker_stats */
};
#define ROW(field, kind, metric, help)                                                             \
    {metric, help, LEDE_METRIC_##kind, offsetof(struct lede_broker_stats, field)},
#define IO_ROW(field, kind, metric, help)                                                          \
    {metric, help, LEDE_METRIC_##kind, offsetof(struct lede_broker_stats, io.field)},
static const struct series_row series_rows[] = {LEDE_BROKER_STATS_HEAD(ROW) LEDE_BROKER_STATS_BODY(
    ROW) LEDE_BROKER_STATS_TAIL(ROW) LEDE_BROKER_STATS_IO(IO_ROW)};
#undef ROW
#undef IO_ROW
#define N_SERIES (sizeof series_rows / sizeof series_rows[0])

struct broker_metrics {
    union {
        lede_counter_t *counter;
        lede_gauge_t *gauge;
    } series[N_SERIES]; /* of series_rows, NULL where it has none */
    lede_counter_t *replies[LEDE_BROKER_STATUS_COUNT], *malformed[LEDE_BROKER_BAD_COUNT];
    lede_counter_t *auth_denied;
    lede_metrics_family_t *latency_family;
    char *methods[METHODS_TRACKED]; /* owned */
    lede_histogram_t *latency[METHODS_TRACKED + 1][LEDE_BROKER_STATUS_COUNT];
    lede_log_t *log;
    int64_t next_copy_ms;
    atomic_int workers_ready_now; /* for /readyz, from the HTTP thread */
};

/* One counter of family name (one label) per value names(i), i in [first, n). */
static void label_counters(lede_metrics_t *m, const char *name, const char *help, const char *label,
                           const char *(*names)(int), int first, int n, lede_counter_t **out)
{
    const char *const labels[] = {label, NULL};
    lede_metrics_family_t *f =
        lede_metrics_family(m, LEDE_METRIC_COUNTER, name, help, labels, NULL, 0);
    for (int i = first; f && i < n; i++) {
        const char *v[] = {names(i)};
        out[i] = lede_metrics_family_counter(f, v);
    }
}

/* Registers the broker's series. A failed registration leaves a NULL series, which every
 * update ignores: metrics never stop the broker. */
static void metrics_register(struct broker_metrics *bm, lede_metrics_t *m)
{
    for (size_t i = 0; i < N_SERIES; i++) {
        const struct series_row *r = &series_rows[i];
        if (!r->name)
            continue;
        if (r->type == LEDE_METRIC_GAUGE)
            bm->series[i].gauge = lede_metrics_gauge(m, r->name, r->help);
        else
            bm->series[i].counter = lede_metrics_counter(m, r->name, r->help);
    }
    label_counters(m, "lede_broker_replies_total", "Replies sent to clients, by gRPC status",
                   "status", lede_wire_status_name, 0, LEDE_BROKER_STATUS_COUNT, bm->replies);
    label_counters(m, "lede_broker_malformed_total",
                   "Malformed frames, by kind (PROTOCOL.md section 2)", "kind",
                   lede_broker_bad_name, 1, LEDE_BROKER_BAD_COUNT, bm->malformed);
    bm->auth_denied =
        lede_metrics_counter(m, "lede_broker_auth_denied_total",
                             "CURVE handshakes refused (unknown keys, plaintext peers)");
    static const char *const latency_labels[] = {"method", "status", NULL};
    bm->latency_family = lede_metrics_family(
        m, LEDE_METRIC_HISTOGRAM, "lede_broker_call_duration_seconds",
        "Queued calls from receipt to reply, by method and status", latency_labels,
        lede_metrics_latency_buckets, lede_metrics_latency_buckets_n);
}

static void metrics_release(struct broker_metrics *bm)
{
    for (size_t i = 0; i < METHODS_TRACKED; i++)
        free(bm->methods[i]);
    memset(bm, 0, sizeof *bm);
}

/* Copies the broker's counters into the registry (the broker's thread only). */
static void metrics_copy(struct broker_metrics *bm, const lede_broker_t *b)
{
    const struct lede_broker_stats *st = lede_broker_stats(b);
    for (size_t i = 0; i < N_SERIES; i++) {
        uint64_t v;
        memcpy(&v, (const char *)st + series_rows[i].offset, sizeof v);
        if (series_rows[i].type == LEDE_METRIC_GAUGE)
            lede_metrics_gauge_set(bm->series[i].gauge, (double)v);
        else
            lede_metrics_counter_set(bm->series[i].counter, v);
    }
    for (int s = 0; s < LEDE_BROKER_STATUS_COUNT; s++)
        lede_metrics_counter_set(bm->replies[s], st->replies[s]);
    for (int k = 1; k < LEDE_BROKER_BAD_COUNT; k++)
        lede_metrics_counter_set(bm->malformed[k], st->malformed[k]);
    lede_metrics_counter_set(bm->auth_denied, st->auth.clients_denied + st->auth.workers_denied +
                                                  st->auth.handshakes_failed);
    atomic_store(&bm->workers_ready_now, st->workers_ready > 0);
}

/* The latency series of (method, status), made on first use (the registry's mutex then;
 * lock-free afterwards). */
static lede_histogram_t *latency_series(struct broker_metrics *bm, const char *method, int status)
{
    size_t i = 0;
    while (i < METHODS_TRACKED && bm->methods[i] && strcmp(bm->methods[i], method) != 0)
        i++;
    if (i < METHODS_TRACKED && !bm->methods[i] && !(bm->methods[i] = strdup(method)))
        i = METHODS_TRACKED;
    if (status < 0 || status >= LEDE_BROKER_STATUS_COUNT)
        status = LEDE__V1__STATUS__UNKNOWN;
    if (!bm->latency[i][status] && bm->latency_family) {
        const char *v[] = {i < METHODS_TRACKED ? bm->methods[i] : "other",
                           lede_wire_status_name(status)};
        bm->latency[i][status] = lede_metrics_family_histogram(bm->latency_family, v);
    }
    return bm->latency[i][status];
}

/* The broker's answered hook: one latency sample per call, and a debug line with the call's
 * trace id (successful calls are logged at debug only). */
static void on_answered(void *ctx, const struct lede_broker_answered *a)
{
    struct broker_metrics *bm = ctx;
    int64_t now_us = (int64_t)lede_clock_mono_us(); /* one reading: ms is its floor */
    int64_t ms = now_us / 1000 - a->received_ms;
    /* microseconds when the loop stamped the call (always, here), so sub-ms calls resolve */
    double secs = a->received_us ? (double)(now_us - a->received_us) / 1e6 : (double)ms / 1000.0;
    lede_metrics_histogram_observe(latency_series(bm, a->method, a->status), secs < 0 ? 0 : secs);
    if (lede_log_enabled(bm->log, LEDE_LOG_DEBUG)) {
        char lat[32], att[16];
        snprintf(lat, sizeof lat, "%" PRId64, ms);
        snprintf(att, sizeof att, "%" PRIu32, a->attempts);
        struct lede_log_field f[] = {{"method", a->method},
                                     {"status", lede_wire_status_name(a->status)},
                                     {"latency_ms", lat},
                                     {"attempts", att}};
        lede_log_write(bm->log, LEDE_LOG_DEBUG, a->call_id, a->trace_id, f, 4, "answered");
    }
}

/* The broker's log lines, with the trace id of the call they are about. */
static void log_traced(void *ctx, int level, const char *call_id, const char *trace_id,
                       const char *msg)
{
    lede_log_write(ctx, level, call_id, trace_id, NULL, 0, msg);
}

/* /readyz: ready once a worker is registered (read from the published gauge: atomics only). */
static bool broker_ready(void *ctx, char *why, size_t why_len)
{
    struct broker_metrics *bm = ctx;
    if (atomic_load(&bm->workers_ready_now))
        return true;
    snprintf(why, why_len, "no worker registered");
    return false;
}

/* A ROUTER with lede's options (and CURVE server options when auth is on); not bound yet. */
static void *open_router(void *ctx, const char *ep, const struct options *o, lede_auth_t *auth,
                         const char *secret, int backend)
{
    void *s = zmq_socket(ctx, ZMQ_ROUTER);
    if (!s)
        return NULL;
    if (auth && lede_auth_server(auth, s, backend, secret) != LEDE_OK) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "cannot make %s a CURVE server: %s", ep,
                        zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    int one = 1, linger = 500, hwm = 100000;
    int64_t max =
        (int64_t)o->cfg.max_msg_bytes * 2 + 4096; /* hard cap; the app answers above max */
    zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
    int handshake = HANDSHAKE_MS; /* half-open and unauthenticated connections go */
    zmq_setsockopt(s, ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake);
    return s;
}

/* Binds s to ep and puts the endpoint the kernel chose into bound. */
static int bind_router(void *s, const char *ep, char *bound, size_t bound_len)
{
    if (zmq_bind(s, ep) != 0) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "cannot bind %s: %s", ep,
                        zmq_strerror(zmq_errno()));
        return LEDE_EIO;
    }
    size_t n = bound_len;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, bound, &n) != 0)
        snprintf(bound, bound_len, "%s", ep);
    return LEDE_OK;
}

static void free_frame(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* zmq_free_fn of a call's shared frame (hint): its accounting undone (the connection table's
 * hint in it, when there is a table), then libzmq's reference dropped. libzmq's I/O thread. */
static void free_shared(void *data, void *hint)
{
    (void)data;
    struct lede_broker_shared *sh = hint;
    if (sh->hint)
        lede_conns_unaccount(sh, sh->hint);
    lede_broker_shared_unref(sh);
}

/* Sends every pending action; a peer that cannot take a frame is reported back. Returns the
 * number of actions taken. */
static int flush(lede_broker_t *b, void *sockets[2], lede_conns_t *conns)
{
    struct lede_broker_action a;
    int n = 0, looked = 0;
    /* A call's connection that closed must be known before its reply goes where a new
     * connection could have taken its routing id: one its peer chose. An id libzmq made is
     * never another connection's, so for those a look every millisecond will do (a look is a
     * poll(2); this runs every round). */
    if (conns)
        lede_conns_events_due(conns, lede_clock_mono_ms());
    while (lede_broker_pop(b, &a)) {
        n++;
        void *s = sockets[a.sock == LEDE_BROKER_BACKEND];
        void *hint = NULL;
        if (conns && !looked && lede_conns_id_chosen(a.sock, a.identity, a.identity_len)) {
            lede_conns_events(conns, lede_clock_mono_ms());
            looked = 1;
        }
        /* the memory the frame holds: its block, or the call's that it shares */
        void *block = a.shared ? (void *)a.shared : (void *)a.frame;
        if (conns && !lede_conns_admit(conns, a.sock, a.conn, block, &hint)) {
            lede_broker_action_release(&a); /* counted there: stale or backlog full */
            continue;
        }
        int rc = zmq_send(s, a.identity, a.identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0) {
            zmq_msg_t m;
            zmq_free_fn *ffn = conns ? lede_conns_free_frame : free_frame;
            void *ffn_hint = hint;
            if (a.shared) {
                a.shared->hint = hint;
                ffn = free_shared;
                ffn_hint = a.shared;
            }
            if (zmq_msg_init_data(&m, a.frame, a.frame_len, ffn, ffn_hint) == 0) {
                a.frame = NULL; /* zmq owns it (or the action's reference to it) now */
                a.shared = NULL;
                rc = zmq_msg_send(&m, s, ZMQ_DONTWAIT);
                if (rc < 0)
                    zmq_msg_close(&m); /* frees it, and undoes its accounting */
            } else {
                rc = -1;
                if (conns && hint)
                    lede_conns_unaccount(block, hint);
            }
        } else if (conns && hint) {
            lede_conns_unaccount(block, hint);
        }
        if (rc < 0 && conns)
            lede_conns_count_unsent(conns);
        if (rc < 0) {
            int err = zmq_errno();
            if (err == EHOSTUNREACH || err == EAGAIN)
                lede_broker_on_unreachable(b, lede_clock_mono_ms(), a.sock, a.identity,
                                           a.identity_len);
        }
        lede_broker_action_release(&a);
    }
    return n;
}

/* With CURVE, a frame counts only when its connection was admitted for this socket's role
 * (User-Id "client:KEY" on the frontend, "worker:KEY" on the backend). */
static int role_ok(const struct options *o, zmq_msg_t *m, int sock)
{
    if (!o->curve_secret)
        return 1;
    const char *uid = zmq_msg_gets(m, "User-Id");
    const char *want = sock == LEDE_BROKER_BACKEND ? "worker:" : "client:";
    return uid && strncmp(uid, want, 7) == 0;
}

/* Whether either socket holds a message. Reading ZMQ_EVENTS also processes the sockets'
 * pending commands, which is what re-arms their ZMQ_FD. */
static bool any_readable(void *sockets[2])
{
    for (int i = 0; i < 2; i++) {
        int ev = 0;
        size_t n = sizeof ev;
        if (zmq_getsockopt(sockets[i], ZMQ_EVENTS, &ev, &n) == 0 && (ev & ZMQ_POLLIN))
            return true;
    }
    return false;
}

/* Reads up to RECV_BATCH messages from one socket without blocking; returns how many (fewer
 * than RECV_BATCH: the socket was found empty). */
static int drain_socket(lede_broker_t *b, void *s, int sock, struct options *o)
{
    int i;
    for (i = 0; i < RECV_BATCH; i++) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            break;
        }
        int parts = 0, more = zmq_msg_more(&id);
        size_t bytes = 0;
        const void *idp = zmq_msg_data(&id);
        size_t idn = zmq_msg_size(&id);
        zmq_msg_init(&body);
        while (more) { /* take every part; keep the first after the identity (in body) */
            zmq_msg_t part, *m = parts == 0 ? &body : &part;
            if (m == &part)
                zmq_msg_init(&part);
            if (zmq_msg_recv(m, s, 0) < 0) {
                if (m == &part)
                    zmq_msg_close(&part);
                break;
            }
            more = zmq_msg_more(m);
            bytes += zmq_msg_size(m);
            parts++;
            if (m == &part)
                zmq_msg_close(&part);
        }
        /* one clock reading per message: the broker's ms and its latency stamp in us */
        int64_t now_us = (int64_t)lede_clock_mono_us();
        int64_t now = now_us / 1000;
        uint64_t conn = 0;
        if (o->conns) {
            conn = lede_conns_known(o->conns, sock, idp, idn, bytes, now);
            if (!conn) /* the body carries the descriptor (ids carry no metadata) */
                conn =
                    lede_conns_received(o->conns, sock, parts ? zmq_msg_get(&body, ZMQ_SRCFD) : -1,
                                        idp, idn, bytes, now);
        }
        int rc = LEDE_OK;
        lede_broker_set_now_us(b, now_us);
        if (parts >= 1 && !role_ok(o, &body, sock)) { /* ids carry no metadata; bodies do */
            if (o->wrong_role++ < 20)
                lede_log_printf(o->ops.log, LEDE_LOG_WARN, NULL, NULL,
                                "dropped a frame from a peer whose key is not allowed in this "
                                "role");
        } else if (parts == 1)
            rc = lede_broker_on_frame_from(b, now, sock, idp, idn, conn, zmq_msg_data(&body),
                                           zmq_msg_size(&body));
        else
            lede_broker_on_bad_framing(b, now, sock, idp, idn);
        zmq_msg_close(&body);
        zmq_msg_close(&id);
        if (rc != LEDE_OK)
            lede_log_printf(o->ops.log, LEDE_LOG_ERROR, NULL, NULL, "%s while handling a frame",
                            lede_strerror(rc));
    }
    return i;
}

/* The stats JSON on stderr: "lede-broker stats (WHEN): {...}" (PROTOCOL.md section 10); with
 * --log-format json, one JSON log line with the same message and the stats in "stats" (as
 * text), so that every line stays JSON: at info, or at warn when info lines are off (it was
 * asked for), cut by the logger when it is too long. */
static void print_stats(const lede_broker_t *b, const struct options *o, const char *when)
{
    char *json;
    if (lede_broker_stats_json(b, lede_clock_mono_ms(), &json) != LEDE_OK)
        return;
    if (lede_config_choice(o->conf, "log-format") == LEDE_LOG_JSON) {
        char msg[64];
        snprintf(msg, sizeof msg, "lede-broker stats (%s)", when);
        struct lede_log_field f = {"stats", json};
        int level = lede_log_enabled(o->ops.log, LEDE_LOG_INFO) ? LEDE_LOG_INFO : LEDE_LOG_WARN;
        lede_log_write(o->ops.log, level, NULL, NULL, &f, 1, msg);
    } else {
        fprintf(stderr, "lede-broker stats (%s): %s\n", when, json);
    }
    free(json);
}

/* The process's resident bytes from /proc/self/statm (fd kept open), 0 if unknown. */
static size_t rss_bytes(int fd)
{
    char buf[128];
    ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    unsigned long size = 0, resident = 0;
    if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
        return 0;
    return (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
}

static int write_ready_file(const char *path, const char *fe, const char *be)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "frontend=%s\nbackend=%s\n", fe, be) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "cannot write %s: %s", path,
                        strerror(errno));
        return LEDE_EIO;
    }
    return LEDE_OK;
}

/* With --curve-secret: the key into secret and the ZAP handler's key lists into *auth (not yet
 * running). LEDE_OK, or an error (logged). */
static int start_curve(void *ctx, const struct options *o, char *secret, lede_auth_t **auth)
{
    char err[512];
    size_t nc = 0, nw = 0;
    if (!zmq_has("curve")) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "this libzmq was built without CURVE");
        return LEDE_EINVAL;
    }
    if (lede_curve_read_key(o->curve_secret, secret, err, sizeof err) != LEDE_OK ||
        lede_auth_start(ctx, o->allow_clients, o->allow_workers, auth, err, sizeof err) !=
            LEDE_OK) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "%s", err);
        return LEDE_EINVAL;
    }
    lede_auth_sizes(*auth, &nc, &nw);
    snprintf(err, sizeof err, "CURVE on: %zu client keys (%s), %zu worker keys (%s)", nc,
             o->allow_clients, nw, o->allow_workers);
    lede_log_write(NULL, LEDE_LOG_INFO, NULL, NULL, NULL, 0, err);
    return LEDE_OK;
}

/* The descriptor limit raised as far as allowed; returns it (CONNS_TABLE_MAX if unlimited). */
static size_t raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? CONNS_TABLE_MAX : (size_t)rl.rlim_cur;
}

/* The connection table over both sockets into o->conns: connections stop FD_HEADROOM short of
 * the descriptor limit, so accept(2) never fails with EMFILE (libzmq then retries it in a busy
 * loop). LEDE_OK, or an error (logged). */
static int open_conns(void *ctx, void *sockets[2], struct options *o)
{
    size_t nofile = raise_nofile();
    size_t usable = nofile > 2 * FD_HEADROOM ? nofile - FD_HEADROOM : nofile / 2;
    size_t cap = o->max_connections ? o->max_connections : usable / 2;
    if (2 * cap > usable) {
        lede_log_printf(NULL, LEDE_LOG_WARN, NULL, NULL,
                        "--max-connections %zu: only %zu descriptors usable; capped at %zu", cap,
                        usable, usable / 2);
        cap = usable / 2;
    }
    struct lede_conns_config cc = {.max_connections = {cap, cap},
                                   .peer_out_bytes = o->client_backlog_bytes,
                                   .total_out_bytes = o->cfg.queue_max_bytes,
                                   .max_pending_bytes = 2 * o->cfg.max_msg_bytes + 4096,
                                   .idle_evict_ms = IDLE_EVICT_MS};
    o->conns =
        lede_conns_new(ctx, sockets, &cc, nofile < CONNS_TABLE_MAX ? nofile : CONNS_TABLE_MAX);
    if (!o->conns) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "cannot monitor the sockets: %s",
                        zmq_strerror(zmq_errno()));
        return LEDE_ENOMEM;
    }
    char msg[200];
    snprintf(msg, sizeof msg,
             "connections: at most %zu per socket (%zu descriptors); client backlog %zu bytes", cap,
             nofile, o->client_backlog_bytes);
    lede_log_write(NULL, LEDE_LOG_INFO, NULL, NULL, NULL, 0, msg);
    return LEDE_OK;
}

/* What the socket loop keeps between rounds. */
struct loop {
    lede_broker_t *b;
    void **sockets;
    struct options *o;
    lede_auth_t *auth;
    struct broker_metrics *bm;
    struct pollfd pfd[4]; /* the sockets' ZMQ_FD, then the connection monitors' */
    int draining, forced;
    int64_t next_check_ms, next_rss_ms;
    uint64_t handshakes_logged;
    int statm; /* /proc/self/statm, or -1 */
    size_t rss_at_check;
};

/* The loop sleeps in poll(2) on the sockets' ZMQ_FD only after ZMQ_EVENTS said both are empty:
 * one system call per idle wait, where zmq_poll makes two. LEDE_OK, or LEDE_EIO (logged). */
static int loop_poll_fds(struct loop *l)
{
    for (int i = 0; i < 2; i++) {
        size_t n = sizeof l->pfd[i].fd;
        if (zmq_getsockopt(l->sockets[i], ZMQ_FD, &l->pfd[i].fd, &n) != 0) {
            lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "zmq_getsockopt ZMQ_FD: %s",
                            zmq_strerror(zmq_errno()));
            return LEDE_EIO;
        }
        l->pfd[i].events = POLLIN;
        l->pfd[2 + i].fd = lede_conns_fd(l->o->conns, i);
        l->pfd[2 + i].events = POLLIN;
    }
    return LEDE_OK;
}

/* SIGTERM/SIGINT: the first starts the drain, a second ends it at once. */
static void loop_stop(struct loop *l, int64_t now)
{
    if (stop_requested) {
        stop_requested = 0;
        if (l->draining) {
            lede_log_printf(NULL, LEDE_LOG_WARN, NULL, NULL,
                            "second signal: exiting without waiting");
            l->forced = 1;
        }
        lede_ops_drain(&l->o->ops); /* /readyz 503 from now on */
        lede_broker_drain(l->b, now);
        l->draining = 1;
    }
}

/* The authentication counters into the broker's stats, and a warning when handshakes failed
 * (auth.c logged the refusals its monitor counted). The monitors' events are read by flush()
 * (each millisecond, and before a reply to a routing id its peer chose), when poll(2) wakes for
 * them, and before a message from a connection not known yet: not here as well, each look is
 * a system call. */
static void loop_auth(struct loop *l)
{
    struct lede_auth_counts ac;
    lede_auth_counts(l->auth, &ac);
    uint64_t hf =
        lede_conns_handshakes_failed(l->o->conns, 0) + lede_conns_handshakes_failed(l->o->conns, 1);
    struct lede_broker_auth_stats as = {.enabled = 1,
                                        .clients_allowed = ac.clients_allowed,
                                        .workers_allowed = ac.workers_allowed,
                                        .clients_denied = ac.clients_denied,
                                        .workers_denied = ac.workers_denied,
                                        .client_as_worker = ac.client_as_worker,
                                        .handshakes_failed = ac.handshakes_failed + hf,
                                        .wrong_role_messages = l->o->wrong_role};
    lede_broker_set_auth_stats(l->b, &as);
    if (hf > l->handshakes_logged && (hf <= 20 || hf / 1000 > l->handshakes_logged / 1000))
        lede_log_printf(l->o->ops.log, LEDE_LOG_WARN, NULL, NULL,
                        "a handshake failed (plaintext peer, wrong broker key or not ZMTP; %" PRIu64
                        " so far)",
                        hf);
    l->handshakes_logged = hf;
}

/* A message that never ends grows the process at the network's speed: looked for every
 * CONNS_CHECK_MS, and within RSS_CHECK_MS of the process growing by RSS_GROWTH_CHECK. Then the
 * connection table's counters into the broker's stats. */
static void loop_conns(struct loop *l, int64_t now)
{
    size_t rss_now = 0;
    if (now >= l->next_rss_ms) {
        rss_now = rss_bytes(l->statm);
        l->next_rss_ms = now + RSS_CHECK_MS;
    }
    if (now >= l->next_check_ms || rss_now > l->rss_at_check + RSS_GROWTH_CHECK) {
        lede_conns_check(l->o->conns, now);
        l->next_check_ms = now + CONNS_CHECK_MS;
        l->rss_at_check = rss_now ? rss_now : rss_bytes(l->statm);
    }
    struct lede_broker_io_stats io;
    lede_conns_stats(l->o->conns, &io);
    lede_broker_set_io_stats(l->b, &io);
}

/* How long the loop may sleep: until the broker's next event, but never past a metrics copy
 * someone may scrape, a connection check or a possible growth check (libzmq reads on without
 * us). */
static int loop_wait_ms(const struct loop *l)
{
    int wait = lede_broker_next_wakeup(l->b, lede_clock_mono_ms());
    if (l->o->ops.http && wait > METRICS_COPY_MS)
        wait = METRICS_COPY_MS;
    if (wait > CONNS_CHECK_MS)
        wait = CONNS_CHECK_MS;
    if (wait > RSS_CHECK_MS)
        wait = RSS_CHECK_MS;
    return wait;
}

/* The zmq_poll loop until the broker has drained. LEDE_OK, or LEDE_EIO when poll(2) failed. */
static int loop_run(struct loop *l)
{
    for (;;) {
        int64_t now = lede_clock_mono_ms();
        loop_stop(l, now);
        if (l->auth)
            loop_auth(l);
        loop_conns(l, now);
        if (stats_requested) {
            stats_requested = 0;
            print_stats(l->b, l->o, "SIGUSR1");
        }
        /* Calls, then workers' frames: a worker's heartbeats that arrived while we were busy (a
         * large call takes a while to decode) are read before liveness is judged, so a slow
         * loop never expires a worker whose heartbeats are waiting in the socket. */
        int calls = drain_socket(l->b, l->sockets[0], LEDE_BROKER_FRONTEND, l->o);
        int frames = drain_socket(l->b, l->sockets[1], LEDE_BROKER_BACKEND, l->o);
        lede_broker_tick(l->b, lede_clock_mono_ms());
        int sent = flush(l->b, l->sockets, l->o->conns);
        if (now >= l->bm->next_copy_ms) { /* a timer, not per call: the hot path stays as it was */
            metrics_copy(l->bm, l->b);
            l->bm->next_copy_ms = now + METRICS_COPY_MS;
        }
        /* forced: as if the drain time had run out (leftovers answered UNAVAILABLE) */
        if (lede_broker_drained(l->b, l->forced ? INT64_MAX : lede_clock_mono_ms())) {
            flush(l->b, l->sockets, l->o->conns);
            return LEDE_OK;
        }
        /* Both reads ended empty (or a batch was cut short: go round again). Sending may have
         * taken a socket's pending commands, so ZMQ_EVENTS is asked again before sleeping;
         * otherwise the reads' own check holds and the loop sleeps in poll(2) on ZMQ_FD. */
        if (calls == RECV_BATCH || frames == RECV_BATCH || (sent && any_readable(l->sockets)))
            continue;
        int wait = loop_wait_ms(l);
        /* idle: publish the counters before sleeping, so a scrape sees every call that has
         * been answered; under load the loop never idles and the 100 ms timer does it */
        if (l->o->ops.http && wait > 0)
            metrics_copy(l->bm, l->b);
        if (poll(l->pfd, 4, wait) < 0 && errno != EINTR) {
            lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "poll: %s", strerror(errno));
            return LEDE_EIO;
        }
        /* woken by a monitor: its events now (flush may have looked this millisecond) */
        if ((l->pfd[2].revents | l->pfd[3].revents) & POLLIN)
            lede_conns_events(l->o->conns, lede_clock_mono_ms());
    }
}

/* The broker state machine with the process's logging and latency hooks; NULL (logged) when
 * out of memory. */
static lede_broker_t *new_broker(const struct options *o, struct broker_metrics *bm)
{
    lede_broker_t *b = lede_broker_new(&o->cfg, lede_clock_mono_ms());
    if (!b) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "out of memory");
        return NULL;
    }
    lede_broker_set_log_traced(b, log_traced, o->ops.log);
    lede_broker_set_log_level(b, lede_log_enabled(o->ops.log, LEDE_LOG_DEBUG)
                                     ? LEDE_BROKER_LOG_DEBUG
                                     : LEDE_BROKER_LOG_INFO);
    lede_broker_set_answered(b, on_answered, bm);
    metrics_copy(bm, b);
    return b;
}

int main(int argc, char **argv)
{
    static struct options o; /* static: large, and the HTTP thread reads bm until ops stop */
    static struct broker_metrics bm;
    int pr = parse_options(argc, argv, &o);
    if (pr != 0) {
        lede_config_destroy(&o.conf);
        return pr > 0 ? 0 : 2;
    }
    char err[400];
    if (lede_ops_start(&o.ops, o.conf, "broker", LEDE_VERSION, broker_ready, &bm, err,
                       sizeof err) != LEDE_OK) {
        fprintf(stderr, "lede-broker: %s\n", err);
        lede_config_destroy(&o.conf);
        return 2;
    }
    bm.log = o.ops.log;
    metrics_register(&bm, o.ops.metrics);

    int status = 1;
    void *sockets[2] = {NULL, NULL};
    lede_broker_t *b = NULL;
    lede_auth_t *auth = NULL;
    char fe[256], be[256];
    char secret[LEDE_CURVE_Z85_LEN + 1] = "";
    lede_ops_catch_signals(on_signal);
    void *ctx = zmq_ctx_new();
    if (!ctx || (o.curve_secret && start_curve(ctx, &o, secret, &auth) != LEDE_OK))
        goto cleanup;
    sockets[0] = open_router(ctx, o.frontend, &o, auth, secret, 0);
    sockets[1] = sockets[0] ? open_router(ctx, o.backend, &o, auth, secret, 1) : NULL;
    if (!sockets[1] || open_conns(ctx, sockets, &o) != LEDE_OK)
        goto cleanup;
    /* the ZAP handler runs before either socket binds (a peer may connect at once) */
    if (auth && lede_auth_run(auth) != LEDE_OK) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "cannot start the ZAP handler thread");
        goto cleanup;
    }
    if (bind_router(sockets[0], o.frontend, fe, sizeof fe) != LEDE_OK ||
        bind_router(sockets[1], o.backend, be, sizeof be) != LEDE_OK)
        goto cleanup;
    if (!(b = new_broker(&o, &bm)))
        goto cleanup;
    if (o.ready_file && write_ready_file(o.ready_file, fe, be) != LEDE_OK)
        goto cleanup;
    lede_log_printf(NULL, LEDE_LOG_INFO, NULL, NULL,
                    "listening: frontend %s, backend %s (protocol version %d)", fe, be,
                    LEDE_WIRE_VERSION);

    struct loop l = {.b = b, .sockets = sockets, .o = &o, .auth = auth, .bm = &bm};
    if (loop_poll_fds(&l) != LEDE_OK)
        goto cleanup;
    l.statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    int rc = loop_run(&l);
    if (l.statm >= 0)
        close(l.statm);
    if (rc != LEDE_OK)
        goto cleanup;
    lede_log_write(NULL, LEDE_LOG_INFO, NULL, NULL, NULL, 0, "drained; exiting");
    status = 0;

cleanup:
    if (b)
        print_stats(b, &o, "exit");
    lede_broker_destroy(&b);
    lede_conns_stop(o.conns);
    for (int i = 0; i < 2; i++)
        if (sockets[i])
            zmq_close(sockets[i]);
    lede_auth_stop(&auth);
    if (ctx)
        zmq_ctx_term(ctx);
    lede_conns_destroy(&o.conns); /* libzmq has freed every frame that points into it */
    lede_ops_stop(&o.ops);        /* stops the HTTP thread before bm goes */
    metrics_release(&bm);
    lede_config_destroy(&o.conf);
    return status;
}
