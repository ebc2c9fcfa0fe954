/* worker.c: the lede-worker loop. The main thread owns one DEALER per broker and the PULL end
 * of the engine threads' results; it registers (READY), beats, re-registers with backoff and
 * jitter when a broker goes silent or says DISCONNECT, and drains on stop. */
#include "worker.h"

#include <errno.h>
#include <sched.h>
#ifndef SCHED_BATCH
#define SCHED_BATCH 3 /* Linux; glibc declares it only under _GNU_SOURCE */
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "clock.h"
#include "handler.h"
#include "pool.h"
#include "utf8.h"
#include "wire.h"
#include "worker_ops.h"

enum link_state { LINK_WAIT = 0, LINK_UP };

/* The largest call (its SummarizeRequest) a --threads 1 worker runs on its socket thread:
 * about 3 ms of engine time, well inside any heartbeat interval. */
#define INLINE_MAX_BYTES (256u * 1024u)

struct link {
    const char *endpoint;
    void *sock;
    enum link_state state;
    uint64_t last_heard_us; /* last frame from the broker (or the moment we connected) */
    uint64_t next_beat_us;
    uint64_t reconnect_at_us;
    unsigned backoff_ms;
    int heard;          /* heard from the broker since the last READY */
    uint32_t in_flight; /* calls of the current generation not yet answered */
};

struct worker {
    const struct lede_worker_config *cfg;
    struct lede_worker_stats st;
    void *zctx;
    void *pull;
    lede_pool_t *pool;
    struct link *links;
    _Atomic uint32_t *gens;
    uint64_t in_flight; /* all generations */
    int inline_run;     /* --threads 1: small calls may run on this thread */
    int draining;
    uint64_t drain_started_us;
    unsigned seed;
};

/* One line: the event and its typed fields (worker_ops.h adds the worker's name). */
#define WLOG(w, level, event, ...)                                                                 \
    do {                                                                                           \
        const struct lede_log_field wlog_f_[] = {__VA_ARGS__};                                     \
        lede_worker_log((w)->cfg->name, (level), NULL, NULL, (event), wlog_f_,                     \
                        sizeof wlog_f_ / sizeof wlog_f_[0]);                                       \
    } while (0)

void lede_worker_config_init(struct lede_worker_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->threads = 2;
    cfg->heartbeat_ms = 1000;
    cfg->liveness = 3;
    cfg->reconnect_ms = 250;
    cfg->reconnect_max_ms = 8000;
    cfg->drain_ms = 10000;
    cfg->max_message = LEDE_WIRE_MAX_DEFAULT;
    cfg->max_queue = 4096;
    cfg->name = "lede-worker";
    cfg->io_batch = 1;
}

unsigned lede_worker_default_capacity(unsigned threads)
{
    unsigned c = threads > 64 ? 256 : threads * 4;
    return c < 16 ? 16 : c > 256 ? 256 : c;
}

/* The credit announced to each broker. */
static unsigned capacity_of(const struct lede_worker_config *cfg)
{
    return cfg->capacity ? cfg->capacity : lede_worker_default_capacity(cfg->threads);
}

static void log_stats(const struct worker *w, const char *when)
{
    const struct lede_worker_stats *s = &w->st;
    const struct {
        const char *key;
        uint64_t v;
    } counts[] = {
#define COUNT(field, key, what) {key, s->field},
        LEDE_WORKER_STATS(COUNT)
#undef COUNT
            {"in_flight", w->in_flight}};
    enum { N = sizeof counts / sizeof counts[0] };
    char num[N][LEDE_LOG_NUM];
    struct lede_log_field f[N + 1];
    f[0] = (struct lede_log_field){"at", when};
    for (size_t i = 0; i < N; i++)
        f[i + 1] = (struct lede_log_field){counts[i].key, lede_log_u64(num[i], counts[i].v)};
    lede_worker_log(w->cfg->name, LEDE_LOG_INFO, NULL, NULL, "stats", f, N + 1);
}

/* Sends one encoded frame to a broker without blocking; counts a failure. */
static int send_frame(struct worker *w, struct link *l, const uint8_t *buf, size_t len)
{
    if (l->state != LINK_UP || zmq_send(l->sock, buf, len, ZMQ_DONTWAIT) < 0) {
        w->st.send_failed++;
        return LEDE_EIO;
    }
    return LEDE_OK;
}

static int send_msg(struct worker *w, struct link *l, int command, const ProtobufCMessage *body)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = lede_wire_encode(command, body, &buf, &len);
    if (rc == LEDE_OK)
        rc = send_frame(w, l, buf, len);
    free(buf);
    return rc;
}

static void send_ready(struct worker *w, struct link *l)
{
    char *methods[] = {(char *)LEDE_METHOD_SUMMARIZE, (char *)LEDE_METHOD_SUMMARIZE_BATCH};
    Lede__V1__Ready r = LEDE__V1__READY__INIT;
    r.n_methods = w->cfg->no_batch ? 1 : 2;
    r.methods = methods;
    r.capacity = capacity_of(w->cfg);
    r.name = (char *)w->cfg->name;
    r.heartbeat_ms = w->cfg->heartbeat_ms;
    send_msg(w, l, LEDE__V1__COMMAND__READY, &r.base);
}

static void send_beat(struct worker *w, struct link *l)
{
    Lede__V1__Heartbeat hb = LEDE__V1__HEARTBEAT__INIT;
    hb.in_flight = l->in_flight;
    send_msg(w, l, LEDE__V1__COMMAND__HEARTBEAT, &hb.base);
}

static void send_disconnect(struct worker *w, struct link *l, const char *reason)
{
    Lede__V1__Disconnect d = LEDE__V1__DISCONNECT__INIT;
    d.reason = (char *)reason;
    send_msg(w, l, LEDE__V1__COMMAND__DISCONNECT, &d.base);
}

static int link_connect(struct worker *w, struct link *l, uint64_t now)
{
    l->sock = zmq_socket(w->zctx, ZMQ_DEALER);
    if (!l->sock)
        return LEDE_EIO;
    int zero = 0, hwm = 100000;
    zmq_setsockopt(l->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(l->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(l->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (w->cfg->curve && lede_curve_client_apply(l->sock, w->cfg->curve) != LEDE_OK) {
        WLOG(w, LEDE_LOG_ERROR, "curve_failed", {"broker", l->endpoint},
             {"error", zmq_strerror(zmq_errno())});
        zmq_close(l->sock);
        l->sock = NULL;
        return LEDE_EIO;
    }
    if (zmq_connect(l->sock, l->endpoint) != 0) {
        WLOG(w, LEDE_LOG_ERROR, "connect_failed", {"broker", l->endpoint},
             {"error", zmq_strerror(zmq_errno())});
        zmq_close(l->sock);
        l->sock = NULL;
        return LEDE_EIO;
    }
    l->state = LINK_UP;
    l->heard = 0;
    l->in_flight = 0;
    l->last_heard_us = now;
    l->next_beat_us = now + (uint64_t)w->cfg->heartbeat_ms * 1000u;
    send_ready(w, l);
    return LEDE_OK;
}

/* Drops the broker link: its calls in the engine are dropped (the broker re-dispatches them)
 * and a new socket registers after a backoff with jitter. */
static void link_reset(struct worker *w, struct link *l, uint64_t now, const char *why)
{
    size_t i = (size_t)(l - w->links);
    if (l->sock)
        zmq_close(l->sock);
    l->sock = NULL;
    l->state = LINK_WAIT;
    atomic_fetch_add(&w->gens[i], 1);
    l->in_flight = 0;
    unsigned delay = l->backoff_ms + (unsigned)(rand_r(&w->seed) % (l->backoff_ms / 2u + 1u));
    l->reconnect_at_us = now + (uint64_t)delay * 1000u;
    if (l->backoff_ms < w->cfg->reconnect_max_ms) {
        l->backoff_ms *= 2u;
        if (l->backoff_ms > w->cfg->reconnect_max_ms)
            l->backoff_ms = w->cfg->reconnect_max_ms;
    }
    w->st.reconnects++;
    lede_worker_metrics_reconnect(w->cfg->metrics);
    if (l->heard)
        lede_worker_metrics_registered(w->cfg->metrics, -1);
    l->heard = 0;
    char ms[LEDE_LOG_NUM];
    WLOG(w, LEDE_LOG_WARN, "reconnect", {"broker", l->endpoint}, {"reason", why},
         {"delay_ms", lede_log_u64(ms, delay)});
}

static void reply_now(struct worker *w, struct link *l, const Lede__V1__Call *c, int status,
                      const char *msg)
{
    Lede__V1__Reply r = LEDE__V1__REPLY__INIT;
    r.call_id = c->call_id;
    r.status = (Lede__V1__Status)status;
    r.message = (char *)msg;
    r.dispatch_id = c->dispatch_id;
    r.served_by = (char *)w->cfg->name;
    send_msg(w, l, LEDE__V1__COMMAND__REPLY, &r.base);
    w->st.failed++;
    lede_worker_metrics_call(w->cfg->metrics, c->method, status);
}

/* --echo: the answer needs no engine, so the main thread makes and sends it at once rather than
 * passing the call to a thread and back (what --echo measures is the broker, not hand-offs). */
static void echo_now(struct worker *w, struct link *l, const Lede__V1__Call *c, uint64_t now)
{
    struct lede_handler_out out;
    lede_handler_summarize(NULL, NULL, c->payload.data, c->payload.len, now, 1, &out);
    Lede__V1__Reply r = LEDE__V1__REPLY__INIT;
    r.call_id = c->call_id;
    r.status = (Lede__V1__Status)out.status;
    r.message = out.message;
    r.payload.data = out.payload;
    r.payload.len = out.payload_len;
    r.dispatch_id = c->dispatch_id;
    r.served_by = (char *)w->cfg->name;
    send_msg(w, l, LEDE__V1__COMMAND__REPLY, &r.base);
    if (out.status == LEDE__V1__STATUS__OK)
        w->st.ok++;
    else
        w->st.failed++;
    lede_worker_metrics_done(w->cfg->metrics, out.status, lede_clock_mono_us() - now, 0);
    lede_handler_out_release(&out);
}

/* One finished call: count it and forward its REPLY frame (body, which this takes) to the broker
 * link it belongs to, unless that link was reset meanwhile. */
static void finish(struct worker *w, const struct lede_pool_done *d, zmq_msg_t *body)
{
    if (w->in_flight)
        w->in_flight--;
    lede_worker_metrics_in_flight(w->cfg->metrics, w->in_flight);
    struct link *l = d->link < w->cfg->n_brokers ? &w->links[d->link] : NULL;
    int current = l && atomic_load(&w->gens[d->link]) == d->gen && l->state == LINK_UP;
    if (current && l->in_flight)
        l->in_flight--;
    if (d->dropped || !current) {
        w->st.dropped++;
        free(d->items);
        return;
    }
    if (d->skipped)
        w->st.skipped++;
    uint64_t took = lede_clock_mono_us() - d->received_us;
    if (d->items) {
        /* a SummarizeBatch call: every article counts as a Summarize call would */
        w->st.skipped += d->items_skipped;
        for (uint32_t i = 0; i < d->n_items; i++) {
            if (d->items[i].status == LEDE__V1__STATUS__OK)
                w->st.ok++;
            else
                w->st.failed++;
            lede_worker_metrics_done(w->cfg->metrics, d->items[i].status, took,
                                     d->items[i].engine_us);
        }
        free(d->items);
    } else {
        if (d->status == LEDE__V1__STATUS__OK)
            w->st.ok++;
        else
            w->st.failed++;
        if (w->cfg->metrics)
            lede_worker_metrics_done(w->cfg->metrics, d->status, took, d->engine_us);
    }
    if (zmq_msg_send(body, l->sock, ZMQ_DONTWAIT) < 0)
        w->st.send_failed++;
}

/* One engine thread's result from the PULL socket. Returns 0 when none was waiting. */
static int on_done(struct worker *w)
{
    zmq_msg_t head, body;
    zmq_msg_init(&head);
    zmq_msg_init(&body);
    if (zmq_msg_recv(&head, w->pull, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&head);
        zmq_msg_close(&body);
        return 0;
    }
    if (!zmq_msg_more(&head) || zmq_msg_recv(&body, w->pull, 0) < 0 ||
        zmq_msg_size(&head) != sizeof(struct lede_pool_done)) {
        WLOG(w, LEDE_LOG_ERROR, "internal", {"reason", "bad result from an engine thread"});
    } else {
        struct lede_pool_done d;
        memcpy(&d, zmq_msg_data(&head), sizeof d);
        finish(w, &d, &body);
    }
    zmq_msg_close(&head);
    zmq_msg_close(&body);
    return 1;
}

/* Runs a call here, on the thread that owns the sockets, with no hand-off to the engine
 * thread and back (two wake-ups per call that cost about as much as a third of the engine's
 * own time on a shared core). */
static void run_inline(struct worker *w, struct lede_pool_job *job)
{
    struct lede_pool_done d;
    zmq_msg_t body;
    lede_pool_run(w->pool, job, &d, &body); /* the pool was made with inline_run */
    finish(w, &d, &body);
    zmq_msg_close(&body);
}

/* Queues a call for the engine threads. Takes the decoded call (*cp is set to NULL) when it
 * is queued. */
static void on_call(struct worker *w, struct link *l, Lede__V1__Call **cp, uint64_t now)
{
    const Lede__V1__Call *c = *cp;
    size_t i = (size_t)(l - w->links);
    w->st.calls++;
    if (w->cfg->verbose) {
        char d[LEDE_LOG_NUM], a[LEDE_LOG_NUM], t[LEDE_LOG_NUM];
        const struct lede_log_field f[] = {{"dispatch_id", lede_log_u64(d, c->dispatch_id)},
                                           {"attempt", lede_log_u64(a, c->attempt)},
                                           {"timeout_ms", lede_log_u64(t, c->timeout_ms)},
                                           {"broker", l->endpoint}};
        lede_worker_log(w->cfg->name, LEDE_LOG_DEBUG, c->call_id, lede_worker_trace_id(c), "call",
                        f, 4);
    }
    int batch = strcmp(c->method, LEDE_METHOD_SUMMARIZE_BATCH) == 0 && !w->cfg->no_batch;
    if (!batch && strcmp(c->method, LEDE_METHOD_SUMMARIZE) != 0) {
        char msg[160], quoted[81]; /* at most 80 bytes of it, whole characters (utf8.h) */
        lede_utf8_sanitize(quoted, sizeof quoted, c->method, strlen(c->method));
        snprintf(msg, sizeof msg, "method \"%s\" is not served by this worker", quoted);
        w->st.unimplemented++;
        reply_now(w, l, c, LEDE__V1__STATUS__UNIMPLEMENTED, msg);
        return;
    }
    if (w->cfg->echo && !batch) {
        echo_now(w, l, c, now);
        return;
    }
    struct lede_pool_job *job = calloc(1, sizeof *job);
    if (!job)
        goto nomem;
    job->link = (uint32_t)i;
    job->gen = atomic_load(&w->gens[i]);
    job->received_us = now;
    job->deadline_us = c->timeout_ms ? now + (uint64_t)c->timeout_ms * 1000u : 0;
    job->call = *cp; /* no copy of the payload: the engine thread reads the decoded call */
    /* --threads 1: a call runs here, where it was read, when the engine thread is idle and
     * the call is small enough (INLINE_MAX_BYTES) that heartbeats are not held up by it;
     * larger calls go to the engine thread, so this thread keeps beating meanwhile */
    if (w->inline_run && w->in_flight == 0 && c->payload.len <= INLINE_MAX_BYTES) {
        *cp = NULL;
        l->in_flight++;
        w->in_flight++;
        run_inline(w, job);
        return;
    }
    if (lede_pool_push(w->pool, job) != LEDE_OK) {
        job->call = NULL; /* still the frame's */
        lede_pool_job_free(job);
        w->st.rejected++;
        reply_now(w, l, c, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, "worker queue is full");
        return;
    }
    *cp = NULL;
    l->in_flight++;
    w->in_flight++;
    lede_worker_metrics_in_flight(w->cfg->metrics, w->in_flight);
    return;
nomem:
    reply_now(w, l, c, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, "worker out of memory");
}

static void on_frame(struct worker *w, struct link *l, const void *data, size_t len, uint64_t now)
{
    struct lede_wire_frame f;
    enum lede_wire_fault fault = LEDE_WIRE_FAULT_NONE;
    int rc = lede_wire_decode(data, len, w->cfg->max_message, &f, &fault);
    if (rc != LEDE_OK) {
        w->st.malformed++;
        lede_worker_metrics_malformed(w->cfg->metrics);
        if (w->st.malformed <= 20 || w->st.malformed % 1000 == 0) {
            char v[LEDE_LOG_NUM], b[LEDE_LOG_NUM], k[LEDE_LOG_NUM];
            WLOG(w, LEDE_LOG_WARN, "malformed", {"broker", l->endpoint},
                 {"fault", lede_wire_fault_name(fault)},
                 {"version", lede_log_u64(v, (unsigned)f.version)}, {"bytes", lede_log_u64(b, len)},
                 {"count", lede_log_u64(k, w->st.malformed)});
        }
        lede_wire_frame_release(&f);
        return;
    }
    l->last_heard_us = now;
    if (!l->heard) {
        l->heard = 1;
        lede_worker_metrics_registered(w->cfg->metrics, 1);
        l->backoff_ms = w->cfg->reconnect_ms;
    }
    switch (f.command) {
    case LEDE__V1__COMMAND__CALL: on_call(w, l, &f.body.call, now); break;
    case LEDE__V1__COMMAND__HEARTBEAT: break;
    case LEDE__V1__COMMAND__DISCONNECT:
        if (!w->draining) {
            char why[160];
            snprintf(why, sizeof why, "broker said DISCONNECT: %.100s", f.body.disconnect->reason);
            l->backoff_ms = w->cfg->reconnect_ms; /* the broker is alive: come back soon */
            link_reset(w, l, now, why);
        }
        break;
    default:
        w->st.unexpected++;
        WLOG(w, LEDE_LOG_WARN, "unexpected", {"broker", l->endpoint},
             {"command", lede_wire_command_name(f.command)});
        break;
    }
    lede_wire_frame_release(&f);
}

/* Draining (docs/PROTOCOL.md §4.6): stop reading new calls, keep beating, answer the calls we
 * hold, then DISCONNECT, so the broker re-dispatches whatever it sent us meanwhile. */
static void start_drain(struct worker *w, uint64_t now)
{
    w->draining = 1;
    w->drain_started_us = now;
    char n[LEDE_LOG_NUM];
    WLOG(w, LEDE_LOG_INFO, "drain", {"in_flight", lede_log_u64(n, w->in_flight)});
}

static int drained(const struct worker *w, uint64_t now)
{
    if (now - w->drain_started_us >= (uint64_t)w->cfg->drain_ms * 1000u) {
        char n[LEDE_LOG_NUM];
        WLOG(w, LEDE_LOG_WARN, "drain_timeout", {"in_flight", lede_log_u64(n, w->in_flight)});
        return 1;
    }
    return w->in_flight == 0;
}

static void finish_drain(struct worker *w)
{
    for (size_t i = 0; i < w->cfg->n_brokers; i++)
        if (w->links[i].state == LINK_UP)
            send_disconnect(w, &w->links[i], "draining");
}

static void teardown(struct worker *w)
{
    int linger = 1000;
    for (size_t i = 0; w->links && i < w->cfg->n_brokers; i++) {
        if (w->links[i].sock) {
            zmq_setsockopt(w->links[i].sock, ZMQ_LINGER, &linger, sizeof linger);
            zmq_close(w->links[i].sock);
            w->links[i].sock = NULL;
        }
    }
    lede_pool_destroy(&w->pool);
    if (w->pull)
        zmq_close(w->pull);
    w->pull = NULL;
    if (w->zctx)
        zmq_ctx_term(w->zctx);
    w->zctx = NULL;
    free(w->links);
    free(w->gens);
}

static int setup(struct worker *w, const struct lede_worker_config *cfg)
{
    char ep[96];
    memset(w, 0, sizeof *w);
    w->cfg = cfg;
    w->seed = (unsigned)lede_clock_mono_us() ^ ((unsigned)getpid() << 16);
    w->links = calloc(cfg->n_brokers, sizeof *w->links);
    w->gens = calloc(cfg->n_brokers, sizeof *w->gens);
    w->zctx = zmq_ctx_new();
    /* A packet for the I/O thread does not preempt an engine thread mid-article: it runs at
     * the next tick or when the engine thread waits, and sends the replies queued meanwhile
     * in one go. On one core this is the difference between 0.64x and 0.8x of the engine's
     * own throughput (docs/BENCHMARKS.md, section 3). */
    if (w->zctx && cfg->io_batch && zmq_ctx_set(w->zctx, ZMQ_THREAD_SCHED_POLICY, SCHED_BATCH) != 0)
        WLOG(w, LEDE_LOG_WARN, "io_batch_failed", {"error", zmq_strerror(zmq_errno())});
    if (!w->links || !w->gens || !w->zctx)
        return LEDE_ENOMEM;
    w->pull = zmq_socket(w->zctx, ZMQ_PULL);
    snprintf(ep, sizeof ep, "inproc://lede-worker-done-%p", (void *)w);
    int hwm = 0;
    if (!w->pull)
        return LEDE_EIO;
    zmq_setsockopt(w->pull, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (zmq_bind(w->pull, ep) != 0)
        return LEDE_EIO;
    /* every broker may fill its credit: the queue takes that much at least */
    size_t max_queue = (size_t)capacity_of(cfg) * cfg->n_brokers;
    if (max_queue < cfg->max_queue)
        max_queue = cfg->max_queue;
    struct lede_pool_config pc = {
        .zctx = w->zctx,
        .done_endpoint = ep,
        .engine = cfg->engine,
        .threads = cfg->threads,
        .max_queue = max_queue,
        .echo = cfg->echo,
        .served_by = cfg->name,
        .link_gens = w->gens,
        .n_links = cfg->n_brokers,
        .inline_run = cfg->threads == 1 && !cfg->echo,
        .max_reply_bytes = cfg->max_message, /* the broker's own cap by default (16 MiB) */
    };
    w->inline_run = pc.inline_run;
    int rc = lede_pool_new(&pc, &w->pool);
    if (rc != LEDE_OK)
        return rc;
    uint64_t now = lede_clock_mono_us();
    for (size_t i = 0; i < cfg->n_brokers; i++) {
        struct link *l = &w->links[i];
        l->endpoint = cfg->brokers[i];
        l->backoff_ms = cfg->reconnect_ms;
        if (link_connect(w, l, now) != LEDE_OK)
            return LEDE_EINVAL;
        char c[LEDE_LOG_NUM], t[LEDE_LOG_NUM], h[LEDE_LOG_NUM];
        WLOG(w, LEDE_LOG_INFO, "register", {"broker", l->endpoint},
             {"capacity", lede_log_u64(c, capacity_of(cfg))},
             {"threads", lede_log_u64(t, cfg->threads)},
             {"heartbeat_ms", lede_log_u64(h, cfg->heartbeat_ms)});
    }
    return LEDE_OK;
}

/* The next moment a timer needs us, in ms from now (at most 100 ms, so signals are seen). */
static long poll_timeout(const struct worker *w, uint64_t now)
{
    uint64_t next = now + 100000u;
    for (size_t i = 0; i < w->cfg->n_brokers; i++) {
        const struct link *l = &w->links[i];
        uint64_t t = l->state == LINK_UP ? l->next_beat_us : l->reconnect_at_us;
        if (t < next)
            next = t;
    }
    return next <= now ? 0 : (long)((next - now + 999u) / 1000u);
}

static void timers(struct worker *w, uint64_t now)
{
    uint64_t dead_after = (uint64_t)w->cfg->heartbeat_ms * w->cfg->liveness * 1000u;
    for (size_t i = 0; i < w->cfg->n_brokers; i++) {
        struct link *l = &w->links[i];
        if (l->state == LINK_UP) {
            if (!w->draining && now - l->last_heard_us > dead_after) {
                link_reset(w, l, now, l->heard ? "broker silent" : "no answer to READY");
                continue;
            }
            if (now >= l->next_beat_us) {
                send_beat(w, l);
                l->next_beat_us = now + (uint64_t)w->cfg->heartbeat_ms * 1000u;
            }
        } else if (!w->draining && now >= l->reconnect_at_us) {
            if (link_connect(w, l, now) != LEDE_OK)
                link_reset(w, l, now, "connect failed");
        } else if (w->draining) {
            l->reconnect_at_us = now + 100000u;
        }
    }
}

int lede_worker_run(const struct lede_worker_config *cfg, volatile sig_atomic_t *stop,
                    volatile sig_atomic_t *dump, struct lede_worker_stats *stats)
{
    struct worker w;
    if (!cfg || cfg->n_brokers == 0 || cfg->threads == 0 || cfg->heartbeat_ms == 0 ||
        (!cfg->engine && !cfg->echo))
        return LEDE_EINVAL;
    int rc = setup(&w, cfg);
    if (rc != LEDE_OK) {
        WLOG(&w, LEDE_LOG_ERROR, "start_failed", {"error", lede_strerror(rc)});
        teardown(&w);
        return rc;
    }
    zmq_pollitem_t *items = calloc(cfg->n_brokers + 1, sizeof *items);
    size_t *which = calloc(cfg->n_brokers + 1, sizeof *which);
    if (!items || !which) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    for (;;) {
        uint64_t now = lede_clock_mono_us();
        if (*stop && !w.draining)
            start_drain(&w, now);
        if (w.draining && drained(&w, now)) {
            finish_drain(&w);
            break;
        }
        if (dump && *dump) {
            *dump = 0;
            log_stats(&w, "signal");
        }
        size_t n = 0;
        items[n++] = (zmq_pollitem_t){.socket = w.pull, .events = ZMQ_POLLIN};
        for (size_t i = 0; i < cfg->n_brokers && !w.draining; i++) {
            if (w.links[i].state != LINK_UP)
                continue;
            which[n] = i;
            items[n++] = (zmq_pollitem_t){.socket = w.links[i].sock, .events = ZMQ_POLLIN};
        }
        int ready = zmq_poll(items, (int)n, poll_timeout(&w, now));
        if (ready < 0 && zmq_errno() != EINTR) {
            WLOG(&w, LEDE_LOG_ERROR, "poll_failed", {"error", zmq_strerror(zmq_errno())});
            rc = LEDE_EIO;
            break;
        }
        now = lede_clock_mono_us();
        if (ready > 0) {
            if (items[0].revents & ZMQ_POLLIN)
                for (int k = 0; k < 1024 && on_done(&w); k++)
                    ;
            for (size_t k = 1; k < n; k++) {
                if (!(items[k].revents & ZMQ_POLLIN))
                    continue;
                struct link *l = &w.links[which[k]];
                uint64_t batch_start = now;
                for (int m = 0; m < 256 && l->state == LINK_UP; m++) {
                    /* inline calls take engine time: timers run at least every 50 ms */
                    if (w.inline_run && m > 0 && (now = lede_clock_mono_us()) - batch_start > 50000)
                        break;
                    zmq_msg_t msg;
                    zmq_msg_init(&msg);
                    if (zmq_msg_recv(&msg, l->sock, ZMQ_DONTWAIT) < 0) {
                        zmq_msg_close(&msg);
                        break;
                    }
                    if (zmq_msg_more(&msg)) {
                        /* one frame per message is the protocol: drain and count the rest */
                        w.st.malformed++;
                        lede_worker_metrics_malformed(cfg->metrics);
                        while (zmq_msg_more(&msg) && zmq_msg_recv(&msg, l->sock, 0) >= 0)
                            ;
                        zmq_msg_close(&msg);
                        continue;
                    }
                    on_frame(&w, l, zmq_msg_data(&msg), zmq_msg_size(&msg), now);
                    zmq_msg_close(&msg);
                }
            }
        }
        timers(&w, now);
    }
    log_stats(&w, "exit");
cleanup:
    if (stats)
        *stats = w.st;
    free(items);
    free(which);
    teardown(&w);
    return rc;
}
