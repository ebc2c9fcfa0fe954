/* broker.c: the broker's state machine (see broker.h): clients' calls go into a bounded FIFO,
 * out to the least-loaded worker with credit, back to the queue front when a worker dies, and
 * every call gets exactly one reply by its deadline. Time only enters through now_ms. */
#include "broker.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "utf8.h"

#define MAX_METHODS        256 /* distinct method names known at once (slots are reused) */
#define MAX_METHOD_LEN     200
#define MAX_WORKER_METHODS LEDE_WIRE_MAX_METHODS
/* A new worker's credit starts here (or at its capacity if lower), grows by one per reply in
 * time and halves per call that passes its deadline there: a worker that heartbeats but never
 * answers holds a few calls, not its whole announced capacity (issue 10, 3.6). */
#define INITIAL_CREDIT      4
#define MAX_CALL_ID_LEN     256
#define MAX_CAPACITY        1024
#define MIN_HEARTBEAT_MS    10
#define MAX_HEARTBEAT_MS    60000
#define MIN_ZOMBIE_GRACE_MS 5000

struct worker;

/* A client's call: queued (worker NULL) or in flight at a worker. */
struct call {
    struct call *prev, *next;
    struct call *mprev, *mnext;     /* queued: its method's own FIFO */
    Lede__V1__Call *msg;            /* as decoded from the client, without its payload; owned */
    struct lede_broker_shared *raw; /* the client's frame as received (raw_len bytes, then
                                       room for a dispatch's stamp); one reference */
    size_t raw_len;
    uint8_t client[LEDE_BROKER_IDENTITY_MAX];
    size_t client_len;
    uint64_t conn; /* the client's connection (lede_broker_on_frame_from), 0: any */
    int method;    /* index into b->methods */
    int64_t deadline_ms;
    size_t bytes;          /* memory the call holds (frame, decoded fields, this struct) */
    uint64_t seq;          /* arrival order */
    uint32_t attempts;     /* dispatches so far */
    struct worker *worker; /* in flight at */
    uint64_t dispatch_id;
    int answered;        /* the client has had its reply (deadline passed while in flight) */
    int64_t release_ms;  /* answered: free the worker's slot at this time even without reply */
    int64_t received_ms; /* when it arrived, for the answered hook */
    int64_t received_us; /* the same in microseconds when the loop gives them, else 0 */
};

struct call_list {
    struct call *head, *tail;
    size_t n;
};

struct worker {
    struct worker *prev, *next;
    uint8_t id[LEDE_BROKER_IDENTITY_MAX];
    size_t id_len;
    char name[128];
    uint16_t methods[MAX_WORKER_METHODS];
    size_t n_methods;
    uint32_t capacity;
    uint32_t limit;    /* credit in force: INITIAL_CREDIT .. capacity (see above) */
    uint64_t timeouts; /* calls whose deadline passed here */
    uint32_t heartbeat_ms;
    int64_t last_seen_ms, next_heartbeat_ms;
    uint64_t last_dispatch; /* b->dispatch_seq at its last dispatch: round robin among equals */
    struct call_list inflight;
};

struct lede_broker {
    struct lede_broker_config cfg;
    int64_t started_ms;
    struct lede_broker_stats st;
    lede_broker_log_fn log_fn;
    void *log_ctx;
    lede_broker_answered_fn answered_fn;
    int64_t now_us; /* the next event's instant in microseconds, for latency stamps; 0 unknown */
    void *answered_ctx;
    lede_broker_log_traced_fn traced_fn; /* instead of log_fn when set (same log_ctx) */
    int log_max;                         /* lines above this level are not even formatted */

    struct method {
        char *name;                 /* NULL: a free slot */
        size_t refs;                /* workers serving it + calls held for it */
        struct call *qhead, *qtail; /* its queued calls, oldest first */
        size_t queued;
    } methods[MAX_METHODS];
    size_t n_methods;      /* slots in use or freed: methods[0 .. n_methods) */
    size_t methods_queued; /* methods with queued calls */
    uint64_t next_seq;

    struct call_list queue;
    int64_t next_deadline_ms; /* no queued or in-flight call expires before this */
    struct worker *workers;   /* doubly linked, newest first */
    size_t n_workers;
    uint64_t next_dispatch_id;
    uint64_t dispatch_seq;

    int draining;
    int64_t drain_deadline_ms;
    int drained;

    uint64_t cur_conn; /* the connection of the frame being handled (0: none known) */

    struct lede_broker_action *out; /* pending actions: out[out_head .. out_n) */
    size_t out_head, out_n, out_cap;
};

/* ---- small helpers ---- */

const char *lede_broker_bad_name(int kind)
{
    switch (kind) {
    case LEDE_BROKER_BAD_FRAMES: return "frames";
    case LEDE_BROKER_BAD_UNEXPECTED: return "unexpected";
    case LEDE_BROKER_BAD_INVALID: return "invalid";
    }
    return lede_wire_fault_name(kind);
}

void lede_broker_config_defaults(struct lede_broker_config *c)
{
    c->heartbeat_ms = 1000;
    c->liveness = 3;
    c->default_timeout_ms = 30000;
    c->max_attempts = 3;
    c->queue_max = 10000;
    c->queue_max_bytes = 256u * 1024u * 1024u;
    c->max_msg_bytes = LEDE_WIRE_MAX_DEFAULT;
    c->drain_ms = 5000;
    c->max_workers = 1024;
}

static const char *trace_id(const struct call *c);

/* A log line about call c (NULL: about none, then call_id says which call, if any). */
__attribute__((format(printf, 5, 0))) static void vlog(lede_broker_t *b, int level,
                                                       const char *call_id, const struct call *c,
                                                       const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (b->traced_fn)
        b->traced_fn(b->log_ctx, level, call_id, c ? trace_id(c) : NULL, msg);
    else
        b->log_fn(b->log_ctx, level, call_id, msg);
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
logf_(lede_broker_t *b, int level, const char *call_id, const char *fmt, ...)
{
    if ((!b->log_fn && !b->traced_fn) || level > b->log_max)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(b, level, call_id, NULL, fmt, ap);
    va_end(ap);
}

/* Links c into l after `after` (NULL: at the front). */
static void list_insert(struct call_list *l, struct call *after, struct call *c)
{
    c->prev = after;
    c->next = after ? after->next : l->head;
    if (c->next)
        c->next->prev = c;
    else
        l->tail = c;
    if (after)
        after->next = c;
    else
        l->head = c;
    l->n++;
}

static void list_push_back(struct call_list *l, struct call *c)
{
    list_insert(l, l->tail, c);
}

static void list_push_front(struct call_list *l, struct call *c)
{
    list_insert(l, NULL, c);
}

static void list_remove(struct call_list *l, struct call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
    l->n--;
}

static void method_unref(lede_broker_t *b, int m);

static void call_free(lede_broker_t *b, struct call *c)
{
    if (!c)
        return;
    b->st.held_bytes -= c->bytes;
    method_unref(b, c->method);
    if (c->msg)
        protobuf_c_message_free_unpacked(&c->msg->base, NULL);
    lede_broker_shared_unref(c->raw);
    free(c);
}

static const char *call_id(const struct call *c)
{
    return c->msg->call_id;
}

/* The call's "trace-id" metadata, or NULL. */
static const char *trace_id(const struct call *c)
{
    for (size_t i = 0; i < c->msg->n_metadata; i++)
        if (strcmp(c->msg->metadata[i]->key, "trace-id") == 0)
            return c->msg->metadata[i]->value;
    return NULL;
}

/* A log line about call c: with its call id, and its trace id for a traced callback. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
logc_(lede_broker_t *b, int level, const struct call *c, const char *fmt, ...)
{
    if ((!b->log_fn && !b->traced_fn) || level > b->log_max)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(b, level, call_id(c), c, fmt, ap);
    va_end(ap);
}

void lede_broker_shared_unref(struct lede_broker_shared *s)
{
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        free(s);
}

/* Appends an action (its frame malloc'd, or shared's data with a reference for the action); on
 * allocation failure the frame is released and the action lost (logged). */
static void emit_shared(lede_broker_t *b, int sock, const void *id, size_t id_len, uint64_t conn,
                        uint8_t *frame, size_t frame_len, struct lede_broker_shared *shared)
{
    if (b->out_head > 0 && b->out_head == b->out_n)
        b->out_head = b->out_n = 0;
    if (b->out_n == b->out_cap) {
        if (b->out_head > 0) {
            memmove(b->out, b->out + b->out_head, (b->out_n - b->out_head) * sizeof *b->out);
            b->out_n -= b->out_head;
            b->out_head = 0;
        }
        if (b->out_n == b->out_cap) {
            size_t cap = b->out_cap ? b->out_cap * 2 : 64;
            struct lede_broker_action *n = realloc(b->out, cap * sizeof *n);
            if (!n) {
                if (shared)
                    lede_broker_shared_unref(shared);
                else
                    free(frame);
                logf_(b, LEDE_BROKER_LOG_ERROR, NULL, "out of memory: a frame was not sent");
                return;
            }
            b->out = n;
            b->out_cap = cap;
        }
    }
    struct lede_broker_action *a = &b->out[b->out_n++];
    a->sock = sock;
    if (id_len > LEDE_BROKER_IDENTITY_MAX)
        id_len = LEDE_BROKER_IDENTITY_MAX;
    memcpy(a->identity, id, id_len);
    a->identity_len = id_len;
    a->frame = frame;
    a->frame_len = frame_len;
    a->conn = conn;
    a->shared = shared;
}

static void emit_conn(lede_broker_t *b, int sock, const void *id, size_t id_len, uint64_t conn,
                      uint8_t *frame, size_t frame_len)
{
    emit_shared(b, sock, id, id_len, conn, frame, frame_len, NULL);
}

/* An action to the connection the frame being handled came from (b->cur_conn), or any. */
static void emit(lede_broker_t *b, int sock, const void *id, size_t id_len, uint8_t *frame,
                 size_t frame_len)
{
    emit_conn(b, sock, id, id_len, sock == LEDE_BROKER_FRONTEND ? b->cur_conn : 0, frame,
              frame_len);
}

static void count_reply(lede_broker_t *b, int status)
{
    b->st.replies_total++;
    if (status >= 0 && status < LEDE_BROKER_STATUS_COUNT)
        b->st.replies[status]++;
}

/* Tells the answered hook (metrics, per-call debug lines) that queued call c got status. */
static void note_answered(lede_broker_t *b, const struct call *c, int status)
{
    if (!b->answered_fn)
        return;
    struct lede_broker_answered a = {.call_id = c->msg->call_id,
                                     .method = c->msg->method,
                                     .status = status,
                                     .received_ms = c->received_ms,
                                     .received_us = c->received_us,
                                     .attempts = c->attempts};
    a.trace_id = trace_id(c);
    b->answered_fn(b->answered_ctx, &a);
}

/* A REPLY with a status and message (no payload) to a client. */
#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static void
reply_status(lede_broker_t *b, const void *client, size_t client_len, const char *cid, int status,
             const char *fmt, ...)
{
    char raw[400], msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* the message may quote the client's or a worker's text, and vsnprintf cuts bytes, not
     * characters: what goes out is UTF-8 (issue 10, 3.7) */
    lede_utf8_sanitize(msg, sizeof msg, raw, strlen(raw));
    uint8_t *frame;
    size_t len;
    if (lede_wire_encode_status(cid, status, &frame, &len, "%s", msg) != LEDE_OK) {
        logf_(b, LEDE_BROKER_LOG_ERROR, cid, "out of memory: reply %s not sent",
              lede_wire_status_name(status));
        return;
    }
    count_reply(b, status);
    emit(b, LEDE_BROKER_FRONTEND, client, client_len, frame, len);
}

/* Answers a call's client (queued or in flight) with a status. Does not free the call. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
answer(lede_broker_t *b, struct call *c, int status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint64_t saved = b->cur_conn;
    b->cur_conn = c->conn;
    reply_status(b, c->client, c->client_len, call_id(c), status, "%s", msg);
    b->cur_conn = saved;
    note_answered(b, c, status);
    if (status != LEDE__V1__STATUS__OK)
        /* deadlines pass by the thousand under overload: the counters carry them */
        logc_(b,
              status == LEDE__V1__STATUS__DEADLINE_EXCEEDED ? LEDE_BROKER_LOG_DEBUG
                                                            : LEDE_BROKER_LOG_WARN,
              c, "%s: %s", lede_wire_status_name(status), msg);
}

static void send_backend(lede_broker_t *b, struct worker *w, const void *id, size_t id_len,
                         int command, const ProtobufCMessage *body)
{
    uint8_t *frame;
    size_t len;
    if (lede_wire_encode(command, body, &frame, &len) != LEDE_OK) {
        logf_(b, LEDE_BROKER_LOG_ERROR, NULL, "out of memory: %s to worker %s not sent",
              lede_wire_command_name(command), w ? w->name : "?");
        return;
    }
    emit(b, LEDE_BROKER_BACKEND, id, id_len, frame, len);
}

static void send_disconnect(lede_broker_t *b, const void *id, size_t id_len, const char *reason)
{
    Lede__V1__Disconnect d = LEDE__V1__DISCONNECT__INIT;
    d.reason = (char *)reason;
    send_backend(b, NULL, id, id_len, LEDE__V1__COMMAND__DISCONNECT, &d.base);
}

static void note_deadline(lede_broker_t *b, int64_t deadline)
{
    if (deadline < b->next_deadline_ms)
        b->next_deadline_ms = deadline;
}

/* ---- methods ---- */

/* A method's slot lives while a worker serves it or a call for it is held (refs > 0), so no
 * worker can fill the table for good by announcing names (issue 10, 3.14); Summarize, slot 0,
 * is always there. */
static int method_find(const lede_broker_t *b, const char *name)
{
    for (size_t i = 0; i < b->n_methods; i++)
        if (b->methods[i].name && strcmp(b->methods[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int method_learn(lede_broker_t *b, const char *name)
{
    int i = method_find(b, name);
    if (i >= 0)
        return i;
    size_t len = strlen(name);
    if (len == 0 || len > MAX_METHOD_LEN || !lede_utf8_valid(name, len, NULL))
        return -1;
    size_t slot = 0;
    while (slot < b->n_methods && b->methods[slot].name)
        slot++;
    if (slot == MAX_METHODS)
        return -1;
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, name, len + 1);
    memset(&b->methods[slot], 0, sizeof b->methods[slot]);
    b->methods[slot].name = copy;
    if (slot == b->n_methods)
        b->n_methods++;
    return (int)slot;
}

static void method_ref(lede_broker_t *b, int m)
{
    if (m >= 0 && (size_t)m < b->n_methods)
        b->methods[m].refs++;
}

static void method_unref(lede_broker_t *b, int m)
{
    if (m < 0 || (size_t)m >= b->n_methods || b->methods[m].refs == 0)
        return;
    if (--b->methods[m].refs > 0 || m == 0)
        return;
    free(b->methods[m].name);
    b->methods[m].name = NULL;
    while (b->n_methods > 1 && !b->methods[b->n_methods - 1].name)
        b->n_methods--;
}

/* The queue: one FIFO of every queued call (deadlines, drain) and one per method (dispatch
 * looks only at each method's oldest call, so calls parked for a method without a worker
 * cost nothing: issue 10, 3.12). */
static void mq_push(lede_broker_t *b, struct call *c, int front)
{
    struct method *m = &b->methods[c->method];
    if (m->queued++ == 0)
        b->methods_queued++;
    if (front) {
        c->mprev = NULL;
        c->mnext = m->qhead;
        if (m->qhead)
            m->qhead->mprev = c;
        else
            m->qtail = c;
        m->qhead = c;
    } else {
        c->mnext = NULL;
        c->mprev = m->qtail;
        if (m->qtail)
            m->qtail->mnext = c;
        else
            m->qhead = c;
        m->qtail = c;
    }
}

static void mq_remove(lede_broker_t *b, struct call *c)
{
    struct method *m = &b->methods[c->method];
    if (c->mprev)
        c->mprev->mnext = c->mnext;
    else
        m->qhead = c->mnext;
    if (c->mnext)
        c->mnext->mprev = c->mprev;
    else
        m->qtail = c->mprev;
    c->mprev = c->mnext = NULL;
    if (--m->queued == 0)
        b->methods_queued--;
}

/* ---- workers ---- */

static struct worker *worker_find(const lede_broker_t *b, const void *id, size_t id_len)
{
    for (struct worker *w = b->workers; w; w = w->next)
        if (w->id_len == id_len && memcmp(w->id, id, id_len) == 0)
            return w;
    return NULL;
}

static int worker_serves(const struct worker *w, int method)
{
    for (size_t i = 0; i < w->n_methods; i++)
        if (w->methods[i] == method)
            return 1;
    return 0;
}

/* Whether a registered worker serves the method (busy or not). */
static int method_served(const lede_broker_t *b, int method)
{
    for (const struct worker *w = b->workers; w; w = w->next)
        if (worker_serves(w, method))
            return 1;
    return 0;
}

static uint32_t busy(const struct worker *w)
{
    return (uint32_t)w->inflight.n;
}

/* Puts a worker's calls back: at the queue front in their original order, or answered when out
 * of attempts or time. The worker keeps an empty in-flight list. */
static void requeue_inflight(lede_broker_t *b, struct worker *w, int64_t now)
{
    struct call *c;
    while ((c = w->inflight.tail) != NULL) {
        list_remove(&w->inflight, c);
        b->st.in_flight--;
        c->worker = NULL;
        if (c->answered) {
            call_free(b, c);
        } else if (now >= c->deadline_ms) {
            answer(b, c, LEDE__V1__STATUS__DEADLINE_EXCEEDED,
                   "deadline exceeded (worker %s was lost with the call)", w->name);
            call_free(b, c);
        } else if (c->attempts >= b->cfg.max_attempts) {
            answer(b, c, LEDE__V1__STATUS__UNAVAILABLE,
                   "call lost by %" PRIu32 " workers (last %s); giving up", c->attempts, w->name);
            call_free(b, c);
        } else {
            list_push_front(&b->queue, c);
            mq_push(b, c, 1);
            b->st.queue_depth++;
            b->st.queue_bytes += c->bytes;
            b->st.redispatches++;
            note_deadline(b, c->deadline_ms);
            logc_(b, LEDE_BROKER_LOG_INFO, c, "re-queued after worker %s was lost", w->name);
        }
    }
    if (b->st.queue_depth > b->st.queue_peak)
        b->st.queue_peak = b->st.queue_depth;
}

static void worker_unref_methods(lede_broker_t *b, struct worker *w)
{
    for (size_t i = 0; i < w->n_methods; i++)
        method_unref(b, w->methods[i]);
    w->n_methods = 0;
}

static void worker_remove(lede_broker_t *b, struct worker *w, int64_t now)
{
    requeue_inflight(b, w, now);
    worker_unref_methods(b, w);
    if (w->prev)
        w->prev->next = w->next;
    else
        b->workers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    b->n_workers--;
    b->st.workers_ready--;
    free(w);
}

/* The least-loaded worker with credit that serves method: lowest in_flight/capacity, then the
 * one that waited longest since its last call. NULL if none. */
static struct worker *pick_worker(lede_broker_t *b, int method)
{
    struct worker *best = NULL;
    for (struct worker *w = b->workers; w; w = w->next) {
        if (busy(w) >= w->limit || !worker_serves(w, method))
            continue;
        if (!best) {
            best = w;
            continue;
        }
        uint64_t lw = (uint64_t)busy(w) * best->limit;
        uint64_t lb = (uint64_t)busy(best) * w->limit;
        if (lw < lb || (lw == lb && w->last_dispatch < best->last_dispatch))
            best = w;
    }
    return best;
}

/* Sends a queued call (already unlinked from the queue) to w. */
static void dispatch_to(lede_broker_t *b, struct call *c, struct worker *w, int64_t now)
{
    int64_t left = c->deadline_ms - now;
    uint32_t timeout_ms = left > UINT32_MAX ? UINT32_MAX : (uint32_t)(left < 1 ? 1 : left);
    c->dispatch_id = b->next_dispatch_id++;
    c->attempts++;
    c->worker = w;
    c->answered = 0;
    list_push_back(&w->inflight, c);
    w->last_dispatch = ++b->dispatch_seq;
    b->st.in_flight++;
    b->st.dispatches++;
    /* the client's frame goes on as it came, with this attempt's fields appended: in place
     * when no earlier dispatch still holds the bytes (acquire: libzmq's thread is done reading
     * them), else on a copy */
    uint8_t *frame;
    size_t len;
    if (atomic_load_explicit(&c->raw->refs, memory_order_acquire) == 1) {
        len = c->raw_len + lede_wire_call_stamp_put(c->raw->data + c->raw_len, timeout_ms,
                                                    c->dispatch_id, c->attempts);
        atomic_fetch_add_explicit(&c->raw->refs, 1, memory_order_relaxed);
        emit_shared(b, LEDE_BROKER_BACKEND, w->id, w->id_len, 0, c->raw->data, len, c->raw);
    } else if (lede_wire_call_stamp(c->raw->data, c->raw_len, timeout_ms, c->dispatch_id,
                                    c->attempts, &frame, &len) == LEDE_OK)
        emit(b, LEDE_BROKER_BACKEND, w->id, w->id_len, frame, len);
    else
        logc_(b, LEDE_BROKER_LOG_ERROR, c, "out of memory: call to worker %s not sent", w->name);
    logc_(b, LEDE_BROKER_LOG_DEBUG, c,
          "dispatched to %s (dispatch %" PRIu64 ", attempt %" PRIu32 ", %" PRIu32 " ms left)",
          w->name, c->dispatch_id, c->attempts, timeout_ms);
}

static void unqueue(lede_broker_t *b, struct call *c)
{
    list_remove(&b->queue, c);
    mq_remove(b, c);
    b->st.queue_depth--;
    b->st.queue_bytes -= c->bytes;
}

/* Hands queued calls, oldest first, to workers with credit; expired calls are answered. Each
 * round looks at the oldest call of every method that has queued calls and a worker with
 * credit: the work per dispatched call is methods x workers, whatever the queue holds. */
static void dispatch(lede_broker_t *b, int64_t now)
{
    while (b->queue.head) { /* the common case after a reply: nothing waits */
        struct call *best = NULL;
        struct worker *best_w = NULL;
        for (size_t i = 0; i < b->n_methods && b->methods_queued > 0; i++) {
            struct call *c = b->methods[i].qhead;
            if (!c)
                continue;
            while (c && now >= c->deadline_ms) { /* expired heads: answered on the way */
                struct call *next = c->mnext;
                unqueue(b, c);
                answer(b, c, LEDE__V1__STATUS__DEADLINE_EXCEEDED, "deadline exceeded in the queue");
                call_free(b, c);
                c = next;
            }
            if (!c || (best && best->seq < c->seq))
                continue;
            struct worker *w = pick_worker(b, (int)i);
            if (w) {
                best = c;
                best_w = w;
            }
        }
        if (!best)
            return;
        unqueue(b, best);
        dispatch_to(b, best, best_w, now);
    }
}

/* ---- deadlines ---- */

static int64_t zombie_grace(const lede_broker_t *b, const struct worker *w)
{
    int64_t g = 2 * (int64_t)b->cfg.liveness * w->heartbeat_ms;
    return g < MIN_ZOMBIE_GRACE_MS ? MIN_ZOMBIE_GRACE_MS : g;
}

static void enforce_deadlines(lede_broker_t *b, int64_t now)
{
    if (now < b->next_deadline_ms)
        return;
    int64_t next = INT64_MAX;
    for (struct call *c = b->queue.head, *n; c; c = n) {
        n = c->next;
        if (now >= c->deadline_ms) {
            unqueue(b, c);
            answer(b, c, LEDE__V1__STATUS__DEADLINE_EXCEEDED, "deadline exceeded in the queue");
            call_free(b, c);
        } else if (c->deadline_ms < next) {
            next = c->deadline_ms;
        }
    }
    for (struct worker *w = b->workers; w; w = w->next) {
        for (struct call *c = w->inflight.head, *n; c; c = n) {
            n = c->next;
            if (!c->answered && now >= c->deadline_ms) {
                answer(b, c, LEDE__V1__STATUS__DEADLINE_EXCEEDED, "deadline exceeded at worker %s",
                       w->name);
                c->answered = 1;
                w->timeouts++;
                b->st.worker_timeouts++;
                if (w->limit > 1) {
                    w->limit /= 2;
                    logf_(b, LEDE_BROKER_LOG_INFO, NULL,
                          "worker %s let a call pass its deadline: its credit is now %" PRIu32,
                          w->name, w->limit);
                }
                c->release_ms = c->deadline_ms + zombie_grace(b, w);
            }
            if (c->answered && now >= c->release_ms) {
                logc_(b, LEDE_BROKER_LOG_WARN, c, "worker %s never answered; its slot is freed",
                      w->name);
                list_remove(&w->inflight, c);
                b->st.in_flight--;
                call_free(b, c);
                continue;
            }
            int64_t t = c->answered ? c->release_ms : c->deadline_ms;
            if (t < next)
                next = t;
        }
    }
    b->next_deadline_ms = next;
}

/* ---- lifecycle ---- */

lede_broker_t *lede_broker_new(const struct lede_broker_config *config, int64_t now_ms)
{
    lede_broker_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (config)
        b->cfg = *config;
    else
        lede_broker_config_defaults(&b->cfg);
    if (b->cfg.heartbeat_ms < MIN_HEARTBEAT_MS)
        b->cfg.heartbeat_ms = MIN_HEARTBEAT_MS;
    if (b->cfg.liveness < 1)
        b->cfg.liveness = 1;
    if (b->cfg.default_timeout_ms < 1)
        b->cfg.default_timeout_ms = 1;
    if (b->cfg.max_attempts < 1)
        b->cfg.max_attempts = 1;
    if (b->cfg.max_msg_bytes < LEDE_WIRE_HEADER_BYTES)
        b->cfg.max_msg_bytes = LEDE_WIRE_HEADER_BYTES;
    b->started_ms = now_ms;
    b->next_deadline_ms = INT64_MAX;
    b->next_dispatch_id = 1;
    b->log_max = LEDE_BROKER_LOG_DEBUG;
    if (method_learn(b, LEDE_METHOD_SUMMARIZE) != 0) {
        free(b);
        return NULL;
    }
    b->methods[0].refs = 1; /* always known */
    return b;
}

void lede_broker_destroy(lede_broker_t **bp)
{
    if (!bp || !*bp)
        return;
    lede_broker_t *b = *bp;
    struct call *c;
    while ((c = b->queue.head) != NULL) {
        list_remove(&b->queue, c);
        call_free(b, c);
    }
    struct worker *w;
    while ((w = b->workers) != NULL) {
        while ((c = w->inflight.head) != NULL) {
            list_remove(&w->inflight, c);
            call_free(b, c);
        }
        b->workers = w->next;
        free(w);
    }
    for (size_t i = 0; i < b->n_methods; i++)
        free(b->methods[i].name);
    for (size_t i = b->out_head; i < b->out_n; i++)
        lede_broker_action_release(&b->out[i]);
    free(b->out);
    free(b);
    *bp = NULL;
}

void lede_broker_set_log(lede_broker_t *b, lede_broker_log_fn fn, void *ctx)
{
    b->log_fn = fn;
    b->log_ctx = ctx;
}

void lede_broker_set_log_level(lede_broker_t *b, int level)
{
    b->log_max = level;
}

void lede_broker_set_log_traced(lede_broker_t *b, lede_broker_log_traced_fn fn, void *ctx)
{
    b->traced_fn = fn;
    b->log_ctx = ctx;
}

void lede_broker_set_now_us(lede_broker_t *b, int64_t now_us)
{
    b->now_us = now_us;
}

void lede_broker_set_answered(lede_broker_t *b, lede_broker_answered_fn fn, void *ctx)
{
    b->answered_fn = fn;
    b->answered_ctx = ctx;
}

int lede_broker_pop(lede_broker_t *b, struct lede_broker_action *a)
{
    if (b->out_head >= b->out_n) {
        b->out_head = b->out_n = 0;
        return 0;
    }
    /* field by field: the identity's bytes in use, not all 255 */
    const struct lede_broker_action *o = &b->out[b->out_head++];
    a->sock = o->sock;
    a->identity_len = o->identity_len;
    memcpy(a->identity, o->identity, o->identity_len);
    a->frame = o->frame;
    a->frame_len = o->frame_len;
    a->conn = o->conn;
    a->shared = o->shared;
    return 1;
}

void lede_broker_action_release(struct lede_broker_action *a)
{
    if (!a)
        return;
    if (a->shared)
        lede_broker_shared_unref(a->shared);
    else
        free(a->frame);
    a->frame = NULL;
    a->frame_len = 0;
    a->shared = NULL;
    a->identity_len = 0;
}

void lede_broker_set_auth_stats(lede_broker_t *b, const struct lede_broker_auth_stats *a)
{
    b->st.auth = *a;
}

void lede_broker_set_io_stats(lede_broker_t *b, const struct lede_broker_io_stats *io)
{
    b->st.io = *io;
}

const struct lede_broker_stats *lede_broker_stats(const lede_broker_t *b)
{
    return &b->st;
}

static void count_bad(lede_broker_t *b, int kind)
{
    if (kind > 0 && kind < LEDE_BROKER_BAD_COUNT)
        b->st.malformed[kind]++;
    b->st.malformed_total++;
}

/* ---- frontend: clients ---- */

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF): proto3 strings must be,
 * and a client's call_id is echoed to it, so a non-UTF-8 one would make a reply that strict
 * decoders (Python, Go, Java) refuse. */
static int utf8_valid(const char *str)
{
    const unsigned char *p = (const unsigned char *)str;
    while (*p) {
        unsigned c = *p;
        size_t n;
        unsigned min;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, min = 0x10000;
        } else {
            return 0;
        }
        unsigned cp = c & (0x3f >> n);
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n + 1;
    }
    return 1;
}

static int call_strings_valid(const Lede__V1__Call *m)
{
    if (!utf8_valid(m->call_id) || !utf8_valid(m->method))
        return 0;
    for (size_t i = 0; i < m->n_metadata; i++)
        if (!utf8_valid(m->metadata[i]->key) || !utf8_valid(m->metadata[i]->value))
            return 0;
    return 1;
}

/* The reply to a client frame that failed to decode. */
static void answer_bad_client_frame(lede_broker_t *b, const void *id, size_t id_len,
                                    const struct lede_wire_frame *f, enum lede_wire_fault fault,
                                    const void *frame, size_t len)
{
    switch (fault) {
    case LEDE_WIRE_FAULT_VERSION:
        reply_status(b, id, id_len, NULL, LEDE__V1__STATUS__FAILED_PRECONDITION,
                     "protocol version %d is not supported; this broker speaks version %d",
                     f->version, LEDE_WIRE_VERSION);
        break;
    case LEDE_WIRE_FAULT_SIZE:
        reply_status(b, id, id_len, NULL, LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "frame of %zu bytes is larger than the broker's maximum of %zu", len,
                     b->cfg.max_msg_bytes);
        break;
    case LEDE_WIRE_FAULT_COMMAND:
        reply_status(b, id, id_len, NULL, LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "malformed frame: unknown command %d", f->command);
        break;
    case LEDE_WIRE_FAULT_BODY: {
        /* a call's id is echoed when it can be found, so the client knows which call failed */
        char cid[MAX_CALL_ID_LEN + 1];
        int have = f->command == LEDE__V1__COMMAND__CALL &&
                   lede_wire_peek_call_id(frame, len, cid, sizeof cid) && cid[0] &&
                   lede_utf8_valid(cid, strlen(cid), NULL);
        reply_status(b, id, id_len, have ? cid : NULL, LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "malformed frame (body): not a valid %s message, or more than %d metadata "
                     "entries or %d other fields",
                     f->command == LEDE__V1__COMMAND__CALL ? "lede.v1.Call" : "protobuf",
                     LEDE_WIRE_MAX_METADATA, LEDE_WIRE_MAX_FIELDS);
        break;
    }
    default:
        reply_status(b, id, id_len, NULL, LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "malformed frame (%s): expected \"LEDE\", version %d, command, protobuf body",
                     lede_wire_fault_name(fault), LEDE_WIRE_VERSION);
        break;
    }
}

static void answer_stats(lede_broker_t *b, int64_t now, const void *id, size_t id_len,
                         const char *cid)
{
    char *json = NULL;
    if (lede_broker_stats_json(b, now, &json) != LEDE_OK) {
        reply_status(b, id, id_len, cid, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    Lede__V1__Reply r = LEDE__V1__REPLY__INIT;
    r.call_id = (char *)cid;
    r.status = LEDE__V1__STATUS__OK;
    r.payload.data = (uint8_t *)json;
    r.payload.len = strlen(json);
    r.served_by = "broker";
    uint8_t *frame;
    size_t len;
    if (lede_wire_encode(LEDE__V1__COMMAND__REPLY, &r.base, &frame, &len) == LEDE_OK) {
        count_reply(b, LEDE__V1__STATUS__OK);
        emit(b, LEDE_BROKER_FRONTEND, id, id_len, frame, len);
    }
    free(json);
}

/* A client's frame decoded into *f. LEDE_OK: f holds a CALL; 1: the frame was counted and
 * answered (too large, malformed, not a CALL) and f holds nothing; LEDE_ENOMEM. */
static int decode_client_frame(lede_broker_t *b, const void *id, size_t id_len, const void *frame,
                               size_t len, struct lede_wire_frame *f)
{
    enum lede_wire_fault fault;
    /* A call must leave room for the fields the broker stamps on it, so that what reaches the
     * worker is within the same maximum (issue 10, 3.11). An oversized frame is answered
     * before anything is decoded, with its call id when a walk of its fields finds one (3.1). */
    size_t max_call = b->cfg.max_msg_bytes - LEDE_WIRE_STAMP_BYTES;
    if (len > max_call) {
        char cid[MAX_CALL_ID_LEN + 1];
        int have = lede_wire_peek_call_id(frame, len, cid, sizeof cid) && cid[0] &&
                   lede_utf8_valid(cid, strlen(cid), NULL);
        count_bad(b, LEDE_BROKER_BAD_SIZE);
        logf_(b, LEDE_BROKER_LOG_DEBUG, NULL, "oversized frame from a client (%zu bytes)", len);
        reply_status(b, id, id_len, have ? cid : NULL, LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "call of %zu bytes is larger than the broker's maximum of %zu", len, max_call);
        return 1;
    }
    int rc = lede_wire_decode_envelope(frame, len, b->cfg.max_msg_bytes, f, &fault);
    if (rc == LEDE_ENOMEM)
        return rc;
    if (rc != LEDE_OK) {
        count_bad(b, fault);
        logf_(b, LEDE_BROKER_LOG_DEBUG, NULL, "malformed frame from a client (%s, %zu bytes)",
              lede_wire_fault_name(fault), len);
        answer_bad_client_frame(b, id, id_len, f, fault, frame, len);
        return 1;
    }
    if (f->command != LEDE__V1__COMMAND__CALL) {
        count_bad(b, LEDE_BROKER_BAD_UNEXPECTED);
        reply_status(b, id, id_len, NULL, LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "clients send CALL on this socket, not %s (workers connect to the backend)",
                     lede_wire_command_name(f->command));
        lede_wire_frame_release(f);
        return 1;
    }
    return LEDE_OK;
}

/* Whether call m (holding held bytes once queued) is queued: its method's index, or -1 when it
 * was answered instead (invalid, draining, the Stats call, unknown or unserved method, queue
 * full). */
static int admit_call(lede_broker_t *b, int64_t now, const void *id, size_t id_len,
                      const Lede__V1__Call *m, size_t held)
{
    size_t idlen = strlen(m->call_id);
    if (!call_strings_valid(m)) {
        count_bad(b, LEDE_BROKER_BAD_INVALID);
        reply_status(b, id, id_len, NULL, LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "call_id, method and metadata must be UTF-8 (proto3 strings)");
        return -1;
    }
    if (idlen == 0 || idlen > MAX_CALL_ID_LEN || m->method[0] == '\0') {
        count_bad(b, LEDE_BROKER_BAD_INVALID);
        reply_status(b, id, id_len, idlen > MAX_CALL_ID_LEN ? NULL : m->call_id,
                     LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "a call needs a call_id of 1..%d bytes and a method", MAX_CALL_ID_LEN);
        return -1;
    }
    b->st.calls_received++;
    if (b->draining) {
        reply_status(b, id, id_len, m->call_id, LEDE__V1__STATUS__UNAVAILABLE,
                     "broker is shutting down; try another broker");
        return -1;
    }
    if (strcmp(m->method, LEDE_METHOD_BROKER_STATS) == 0) {
        answer_stats(b, now, id, id_len, m->call_id);
        return -1;
    }
    int method = method_find(b, m->method);
    if (method < 0) {
        reply_status(b, id, id_len, m->call_id, LEDE__V1__STATUS__UNIMPLEMENTED,
                     "unknown method \"%.200s\"", m->method); /* cleaned: cut at a character */
        return -1;
    }
    if (!m->wait_for_ready && !method_served(b, method)) {
        /* fail fast (gRPC's default): no worker for the method is registered now */
        reply_status(b, id, id_len, m->call_id, LEDE__V1__STATUS__UNAVAILABLE,
                     "no worker serves \"%.200s\" at this broker (wait_for_ready queues the call)",
                     m->method);
        return -1;
    }
    if (b->queue.n >= b->cfg.queue_max || b->st.held_bytes + held > b->cfg.queue_max_bytes) {
        reply_status(b, id, id_len, m->call_id, LEDE__V1__STATUS__RESOURCE_EXHAUSTED,
                     "broker queue is full (%zu calls, %" PRIu64 " bytes held); retry later",
                     b->queue.n, b->st.held_bytes);
        return -1;
    }
    return method;
}

/* Queues the call that f holds (the call takes f's message and a copy of the frame) and
 * dispatches. LEDE_OK, or LEDE_ENOMEM (f is then still the caller's). */
static int enqueue_call(lede_broker_t *b, int64_t now, const void *id, size_t id_len,
                        const void *frame, size_t len, struct lede_wire_frame *f, int method,
                        size_t held)
{
    struct call *c = calloc(1, sizeof *c);
    struct lede_broker_shared *raw = c ? malloc(sizeof *raw + len + LEDE_WIRE_STAMP_BYTES) : NULL;
    if (!raw) {
        free(c);
        return LEDE_ENOMEM;
    }
    atomic_init(&raw->refs, 1);
    raw->hint = NULL;
    memcpy(raw->data, frame, len);
    c->raw = raw;
    c->raw_len = len;
    c->conn = b->cur_conn;
    c->seq = ++b->next_seq;
    c->msg = f->body.call; /* the call takes the decoded message */
    f->body.base = NULL;
    if (id_len > LEDE_BROKER_IDENTITY_MAX)
        id_len = LEDE_BROKER_IDENTITY_MAX;
    memcpy(c->client, id, id_len);
    c->client_len = id_len;
    c->method = method;
    c->deadline_ms = now + (c->msg->timeout_ms ? c->msg->timeout_ms : b->cfg.default_timeout_ms);
    c->received_ms = now;
    c->received_us = b->now_us;
    c->bytes = held;
    method_ref(b, method);
    list_push_back(&b->queue, c);
    mq_push(b, c, 0);
    b->st.queue_depth++;
    b->st.queue_bytes += held;
    b->st.held_bytes += held;
    if (b->st.queue_depth > b->st.queue_peak)
        b->st.queue_peak = b->st.queue_depth;
    note_deadline(b, c->deadline_ms);
    dispatch(b, now);
    return LEDE_OK;
}

static int on_client(lede_broker_t *b, int64_t now, const void *id, size_t id_len,
                     const void *frame, size_t len)
{
    struct lede_wire_frame f;
    int rc = decode_client_frame(b, id, id_len, frame, len, &f);
    if (rc != LEDE_OK)
        return rc == 1 ? LEDE_OK : rc;
    /* what the call will hold: the frame (with its stamp's room), its decoded fields, the
     * struct (issue 10, 3.1); the byte bound counts every call held, queued or at a worker */
    size_t held = len + sizeof(struct lede_broker_shared) + LEDE_WIRE_STAMP_BYTES + f.held +
                  sizeof(struct call) + 16;
    int method = admit_call(b, now, id, id_len, f.body.call, held);
    rc = method < 0 ? LEDE_OK : enqueue_call(b, now, id, id_len, frame, len, &f, method, held);
    lede_wire_frame_release(&f); /* NULL body once the call took it */
    return rc;
}

/* ---- backend: workers ---- */

static uint32_t clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int on_ready(lede_broker_t *b, int64_t now, struct worker *w, const void *id, size_t id_len,
                    const Lede__V1__Ready *r)
{
    if (w) {
        /* READY from a registered worker: it restarted or lost us; its calls are gone. */
        logf_(b, LEDE_BROKER_LOG_INFO, NULL, "worker %s re-registered; re-queueing its calls",
              w->name);
        requeue_inflight(b, w, now);
    } else {
        if (b->n_workers >= b->cfg.max_workers) {
            logf_(b, LEDE_BROKER_LOG_WARN, NULL, "worker %.100s refused: %zu workers registered",
                  r->name, b->n_workers);
            send_disconnect(b, id, id_len, "too many workers registered at this broker");
            return LEDE_OK;
        }
        w = calloc(1, sizeof *w);
        if (!w)
            return LEDE_ENOMEM;
        if (id_len > LEDE_BROKER_IDENTITY_MAX)
            id_len = LEDE_BROKER_IDENTITY_MAX;
        memcpy(w->id, id, id_len);
        w->id_len = id_len;
        w->next = b->workers;
        if (b->workers)
            b->workers->prev = w;
        b->workers = w;
        b->n_workers++;
        b->st.workers_ready++;
    }
    /* the name goes out in replies (served_by): UTF-8, cut at a character (issue 10, 3.7) */
    lede_utf8_sanitize(w->name, sizeof w->name, r->name, strlen(r->name));
    if (!w->name[0])
        snprintf(w->name, sizeof w->name, "unnamed");
    worker_unref_methods(b, w);
    if (r->n_methods == 0) {
        w->methods[w->n_methods++] = 0; /* Summarize */
        method_ref(b, 0);
    }
    for (size_t i = 0; i < r->n_methods && w->n_methods < MAX_WORKER_METHODS; i++) {
        if (strcmp(r->methods[i], LEDE_METHOD_BROKER_STATS) == 0)
            continue;
        int m = method_learn(b, r->methods[i]);
        if (m < 0) {
            logf_(b, LEDE_BROKER_LOG_WARN, NULL, "worker %s: method \"%.100s\" ignored", w->name,
                  r->methods[i]);
            continue;
        }
        if (!worker_serves(w, m)) {
            w->methods[w->n_methods++] = (uint16_t)m;
            method_ref(b, m);
        }
    }
    int fresh = w->capacity == 0;
    w->capacity = clamp_u32(r->capacity ? r->capacity : 1, 1, MAX_CAPACITY);
    /* a new worker proves itself: its credit starts low and grows with its replies; a worker
     * that registers again keeps what it had earned or lost */
    if (fresh || w->limit > w->capacity)
        w->limit = fresh && w->capacity > INITIAL_CREDIT ? INITIAL_CREDIT : w->capacity;
    w->heartbeat_ms = r->heartbeat_ms
                          ? clamp_u32(r->heartbeat_ms, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS)
                          : b->cfg.heartbeat_ms;
    w->last_seen_ms = now;
    w->next_heartbeat_ms = now + w->heartbeat_ms;
    w->last_dispatch = 0;
    b->st.workers_registered++;
    logf_(b, LEDE_BROKER_LOG_INFO, NULL,
          "worker %s ready: capacity %" PRIu32 ", %zu methods, heartbeat %" PRIu32 " ms", w->name,
          w->capacity, w->n_methods, w->heartbeat_ms);
    dispatch(b, now);
    return LEDE_OK;
}

/* A worker's REPLY (r, decoded from frame[0..len)) for one of its calls in flight: forwarded to
 * the client, byte for byte when the worker already echoed the call id and named itself. */
static void on_worker_reply(lede_broker_t *b, int64_t now, struct worker *w, Lede__V1__Reply *r,
                            const void *raw, size_t raw_len)
{
    struct call *c = w->inflight.head;
    while (c && c->dispatch_id != r->dispatch_id)
        c = c->next;
    if (!c) {
        b->st.late_replies_dropped++;
        logf_(b, LEDE_BROKER_LOG_INFO, r->call_id,
              "dropped a reply from %s for dispatch %" PRIu64 " (duplicate or re-dispatched)",
              w->name, r->dispatch_id);
        return;
    }
    list_remove(&w->inflight, c);
    b->st.in_flight--;
    if (c->answered) {
        b->st.late_replies_dropped++;
        logc_(b, LEDE_BROKER_LOG_INFO, c, "dropped a reply from %s after the deadline", w->name);
        call_free(b, c);
        dispatch(b, now);
        return;
    }
    if (w->limit < w->capacity) /* answered in time: one more call of credit */
        w->limit++;
    if (r->served_by[0] != '\0' && (int)r->status >= 0 &&
        (int)r->status < LEDE_BROKER_STATUS_COUNT && strcmp(r->call_id, c->msg->call_id) == 0 &&
        lede_utf8_valid(r->served_by, strlen(r->served_by), NULL) &&
        lede_utf8_valid(r->message, strlen(r->message), NULL)) {
        /* nothing to rewrite: the worker's frame goes on as it came (no re-encoding) */
        uint8_t *copy = malloc(raw_len);
        if (copy) {
            memcpy(copy, raw, raw_len);
            count_reply(b, r->status);
            emit_conn(b, LEDE_BROKER_FRONTEND, c->client, c->client_len, c->conn, copy, raw_len);
            note_answered(b, c, r->status);
            call_free(b, c);
            dispatch(b, now);
            return;
        }
    }
    /* Forward with the client's call id, whatever the worker put there: decoded again in
     * full (r was decoded without its payload), rewritten and encoded. The frame's own strings
     * are put back before it is freed. */
    struct lede_wire_frame full;
    uint8_t *frame = NULL;
    size_t len = 0;
    if (lede_wire_decode(raw, raw_len, raw_len, &full, NULL) == LEDE_OK) {
        Lede__V1__Reply *fr = full.body.reply;
        char *own_id = fr->call_id, *own_by = fr->served_by, *own_msg = fr->message;
        fr->call_id = c->msg->call_id;
        /* strings that go on to the client are UTF-8, whatever the worker sent (3.7) */
        char by[128], *msg = NULL;
        if (fr->served_by[0] == '\0' ||
            !lede_utf8_valid(fr->served_by, strlen(fr->served_by), NULL))
            fr->served_by =
                fr->served_by[0]
                    ? (lede_utf8_sanitize(by, sizeof by, fr->served_by, strlen(fr->served_by)), by)
                    : w->name;
        size_t mlen = strlen(fr->message);
        if (!lede_utf8_valid(fr->message, mlen, NULL) && (msg = malloc(3 * mlen + 1)) != NULL) {
            lede_utf8_sanitize(msg, 3 * mlen + 1, fr->message, mlen);
            fr->message = msg;
        }
        if ((int)fr->status < 0 || (int)fr->status >= LEDE_BROKER_STATUS_COUNT)
            fr->status = LEDE__V1__STATUS__UNKNOWN;
        int status = fr->status;
        if (lede_wire_encode(LEDE__V1__COMMAND__REPLY, &fr->base, &frame, &len) == LEDE_OK) {
            count_reply(b, status);
            emit_conn(b, LEDE_BROKER_FRONTEND, c->client, c->client_len, c->conn, frame, len);
            note_answered(b, c, status);
        }
        fr->call_id = own_id;
        fr->served_by = own_by;
        fr->message = own_msg;
        free(msg);
        lede_wire_frame_release(&full);
    }
    if (!frame)
        logc_(b, LEDE_BROKER_LOG_ERROR, c, "out of memory: reply not forwarded");
    call_free(b, c);
    dispatch(b, now);
}

/* A worker's reply larger than max_msg_bytes: the client gets RESOURCE_EXHAUSTED instead. */
static void reply_too_large(lede_broker_t *b, int64_t now, struct worker *w, uint64_t dispatch_id,
                            size_t len)
{
    w->last_seen_ms = now;
    struct call *c = w->inflight.head;
    while (c && c->dispatch_id != dispatch_id)
        c = c->next;
    if (!c) {
        b->st.late_replies_dropped++;
        return;
    }
    list_remove(&w->inflight, c);
    b->st.in_flight--;
    if (!c->answered)
        answer(b, c, LEDE__V1__STATUS__RESOURCE_EXHAUSTED,
               "the reply (%zu bytes) is larger than the broker's maximum of %zu", len,
               b->cfg.max_msg_bytes);
    call_free(b, c);
    dispatch(b, now);
}

static int on_worker(lede_broker_t *b, int64_t now, const void *id, size_t id_len,
                     const void *frame, size_t len)
{
    struct lede_wire_frame f;
    enum lede_wire_fault fault;
    struct worker *w = worker_find(b, id, id_len);
    /* Oversized frames (the socket's own cap is higher) are decoded too, so that a reply too
     * large to forward can still be matched to its call and answered. */
    int rc = lede_wire_decode_envelope(
        frame, len, len > b->cfg.max_msg_bytes ? len : b->cfg.max_msg_bytes, &f, &fault);
    if (rc == LEDE_ENOMEM)
        return rc;
    if (rc == LEDE_OK && len > b->cfg.max_msg_bytes) {
        count_bad(b, LEDE_BROKER_BAD_SIZE);
        if (w && f.command == LEDE__V1__COMMAND__REPLY)
            reply_too_large(b, now, w, f.body.reply->dispatch_id, len);
        lede_wire_frame_release(&f);
        return LEDE_OK;
    }
    if (rc != LEDE_OK) {
        count_bad(b, fault);
        logf_(b, LEDE_BROKER_LOG_WARN, NULL, "malformed frame from worker %s (%s, %zu bytes)",
              w ? w->name : "(unknown)", lede_wire_fault_name(fault), len);
        if (fault == LEDE_WIRE_FAULT_VERSION) {
            char reason[128];
            snprintf(reason, sizeof reason,
                     "protocol version %d is not supported; this broker speaks version %d",
                     f.version, LEDE_WIRE_VERSION);
            send_disconnect(b, id, id_len, reason);
        }
        return LEDE_OK;
    }
    if (f.command == LEDE__V1__COMMAND__READY) {
        rc = on_ready(b, now, w, id, id_len, f.body.ready);
        lede_wire_frame_release(&f);
        return rc;
    }
    if (!w) {
        b->st.unknown_worker_messages++;
        if (f.command == LEDE__V1__COMMAND__REPLY)
            b->st.late_replies_dropped++;
        if (f.command != LEDE__V1__COMMAND__DISCONNECT) {
            logf_(b, LEDE_BROKER_LOG_INFO, NULL, "%s from an unknown worker: asking it to register",
                  lede_wire_command_name(f.command));
            send_disconnect(b, id, id_len, "unknown worker: send READY to register");
        }
        lede_wire_frame_release(&f);
        return LEDE_OK;
    }
    w->last_seen_ms = now;
    switch (f.command) {
    case LEDE__V1__COMMAND__HEARTBEAT: b->st.heartbeats_received++; break;
    case LEDE__V1__COMMAND__REPLY: on_worker_reply(b, now, w, f.body.reply, frame, len); break;
    case LEDE__V1__COMMAND__DISCONNECT:
        logf_(b, LEDE_BROKER_LOG_INFO, NULL, "worker %s disconnected (%.200s)", w->name,
              f.body.disconnect->reason);
        b->st.workers_disconnected++;
        worker_remove(b, w, now);
        dispatch(b, now);
        break;
    default:
        count_bad(b, LEDE_BROKER_BAD_UNEXPECTED);
        logf_(b, LEDE_BROKER_LOG_WARN, NULL, "worker %s sent %s on the backend; ignored", w->name,
              lede_wire_command_name(f.command));
        break;
    }
    lede_wire_frame_release(&f);
    return LEDE_OK;
}

int lede_broker_on_frame_from(lede_broker_t *b, int64_t now_ms, int sock, const void *identity,
                              size_t identity_len, uint64_t conn, const void *frame,
                              size_t frame_len)
{
    if (sock != LEDE_BROKER_FRONTEND)
        return on_worker(b, now_ms, identity, identity_len, frame, frame_len);
    b->cur_conn = conn;
    int rc = on_client(b, now_ms, identity, identity_len, frame, frame_len);
    b->cur_conn = 0;
    return rc;
}

int lede_broker_on_frame(lede_broker_t *b, int64_t now_ms, int sock, const void *identity,
                         size_t identity_len, const void *frame, size_t frame_len)
{
    return lede_broker_on_frame_from(b, now_ms, sock, identity, identity_len, 0, frame, frame_len);
}

void lede_broker_on_bad_framing(lede_broker_t *b, int64_t now_ms, int sock, const void *identity,
                                size_t identity_len)
{
    (void)now_ms;
    count_bad(b, LEDE_BROKER_BAD_FRAMES);
    if (sock == LEDE_BROKER_FRONTEND)
        reply_status(b, identity, identity_len, NULL, LEDE__V1__STATUS__INVALID_ARGUMENT,
                     "malformed message: send exactly one frame per message");
}

void lede_broker_on_unreachable(lede_broker_t *b, int64_t now_ms, int sock, const void *identity,
                                size_t identity_len)
{
    if (sock == LEDE_BROKER_FRONTEND) {
        b->st.unreachable_clients++;
        logf_(b, LEDE_BROKER_LOG_INFO, NULL, "a reply was lost: the client is gone");
        return;
    }
    b->st.unreachable_workers++;
    struct worker *w = worker_find(b, identity, identity_len);
    if (!w)
        return;
    logf_(b, LEDE_BROKER_LOG_WARN, NULL, "worker %s is unreachable; re-dispatching its calls",
          w->name);
    b->st.workers_disconnected++;
    worker_remove(b, w, now_ms);
    dispatch(b, now_ms);
}

/* ---- time ---- */

void lede_broker_tick(lede_broker_t *b, int64_t now)
{
    for (struct worker *w = b->workers, *n; w; w = n) {
        n = w->next;
        int64_t expiry = w->last_seen_ms + (int64_t)b->cfg.liveness * w->heartbeat_ms;
        if (now > expiry) {
            logf_(b, LEDE_BROKER_LOG_WARN, NULL,
                  "worker %s missed %" PRIu32 " heartbeats: dead; re-dispatching %zu calls",
                  w->name, b->cfg.liveness, w->inflight.n);
            b->st.workers_expired++;
            worker_remove(b, w, now);
            continue;
        }
        if (now >= w->next_heartbeat_ms) {
            Lede__V1__Heartbeat h = LEDE__V1__HEARTBEAT__INIT;
            h.in_flight = busy(w);
            send_backend(b, w, w->id, w->id_len, LEDE__V1__COMMAND__HEARTBEAT, &h.base);
            b->st.heartbeats_sent++;
            w->next_heartbeat_ms = now + w->heartbeat_ms;
        }
    }
    enforce_deadlines(b, now);
    if (b->draining && !b->drained && now >= b->drain_deadline_ms)
        lede_broker_drained(b, now);
    dispatch(b, now);
}

int lede_broker_next_wakeup(lede_broker_t *b, int64_t now)
{
    int64_t t = now + b->cfg.heartbeat_ms;
    for (struct worker *w = b->workers; w; w = w->next) {
        int64_t expiry = w->last_seen_ms + (int64_t)b->cfg.liveness * w->heartbeat_ms + 1;
        if (w->next_heartbeat_ms < t)
            t = w->next_heartbeat_ms;
        if (expiry < t)
            t = expiry;
    }
    if (b->next_deadline_ms < t)
        t = b->next_deadline_ms;
    if (b->draining && b->drain_deadline_ms < t)
        t = b->drain_deadline_ms;
    return t <= now ? 0 : (int)(t - now);
}

void lede_broker_drain(lede_broker_t *b, int64_t now)
{
    if (b->draining)
        return;
    b->draining = 1;
    b->drain_deadline_ms = now + b->cfg.drain_ms;
    logf_(b, LEDE_BROKER_LOG_INFO, NULL,
          "draining: %zu queued calls answered UNAVAILABLE, %" PRIu64 " in flight get %" PRIu32
          " ms",
          b->queue.n, b->st.in_flight, b->cfg.drain_ms);
    struct call *c;
    while ((c = b->queue.head) != NULL) {
        unqueue(b, c); /* one log line above says how many, not one per call */
        b->cur_conn = c->conn;
        reply_status(b, c->client, c->client_len, call_id(c), LEDE__V1__STATUS__UNAVAILABLE,
                     "broker is shutting down; try another broker");
        b->cur_conn = 0;
        note_answered(b, c, LEDE__V1__STATUS__UNAVAILABLE);
        call_free(b, c);
    }
}

int lede_broker_drained(lede_broker_t *b, int64_t now)
{
    if (!b->draining)
        return 0;
    if (b->drained)
        return 1;
    uint64_t live = 0; /* in flight and not yet answered */
    for (struct worker *w = b->workers; w; w = w->next)
        for (struct call *c = w->inflight.head; c; c = c->next)
            live += !c->answered;
    live += b->queue.n; /* re-queued after a worker loss while draining */
    if (live > 0 && now < b->drain_deadline_ms)
        return 0;
    struct call *q;
    while ((q = b->queue.head) != NULL) {
        unqueue(b, q);
        answer(b, q, LEDE__V1__STATUS__UNAVAILABLE, "broker shut down before the call ran");
        call_free(b, q);
    }
    for (struct worker *w = b->workers; w; w = w->next) {
        struct call *c;
        while ((c = w->inflight.head) != NULL) {
            list_remove(&w->inflight, c);
            b->st.in_flight--;
            if (!c->answered)
                answer(b, c, LEDE__V1__STATUS__UNAVAILABLE,
                       "broker shut down before worker %s answered", w->name);
            call_free(b, c);
        }
        send_disconnect(b, w->id, w->id_len, "broker shutting down");
    }
    b->drained = 1;
    return 1;
}

/* ---- stats ---- */

/* The stats' scalar counters and gauges, one row each (the lists in broker.h): the JSON key
 * and where the value is. */
struct stat_row {
    const char *key;
    size_t offset; /* of a uint64_t in the struct the rows are of */
};
#define ROW(field, kind, metric, help)    {#field, offsetof(struct lede_broker_stats, field)},
#define IO_ROW(field, kind, metric, help) {#field, offsetof(struct lede_broker_io_stats, field)},
#define AUTH_ROW(field, kind, metric, help)                                                        \
    {#field, offsetof(struct lede_broker_auth_stats, field)},
static const struct stat_row head_rows[] = {LEDE_BROKER_STATS_HEAD(ROW)};
static const struct stat_row body_rows[] = {LEDE_BROKER_STATS_BODY(ROW)};
static const struct stat_row tail_rows[] = {LEDE_BROKER_STATS_TAIL(ROW)};
static const struct stat_row io_rows[] = {LEDE_BROKER_STATS_IO(IO_ROW)};
static const struct stat_row auth_rows[] = {LEDE_BROKER_STATS_AUTH(AUTH_ROW)};
#undef ROW
#undef IO_ROW
#undef AUTH_ROW

static int set_u64(json_t *o, const char *key, uint64_t v)
{
    return json_object_set_new(o, key, json_integer((json_int_t)v));
}

static int set_rows(json_t *o, const void *base, const struct stat_row *rows, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, (const char *)base + rows[i].offset, sizeof v);
        rc |= set_u64(o, rows[i].key, v);
    }
    return rc;
}

/* A JSON string of a name that came from a worker: sanitized at READY, and cleaned again here
 * so that jansson (which refuses invalid UTF-8) always takes it. */
static json_t *name_json(const char *s)
{
    char clean[256];
    lede_utf8_sanitize(clean, sizeof clean, s, strlen(s));
    return json_string(clean);
}

int lede_broker_stats_json(const lede_broker_t *b, int64_t now_ms, char **out)
{
    *out = NULL;
    const struct lede_broker_stats *s = &b->st;
    json_t *o = json_object(), *replies = json_object(), *malformed = json_object();
    json_t *io = json_object(), *auth = json_object(), *methods = json_array();
    json_t *workers = json_array();
    int rc = !o || !replies || !malformed || !io || !auth || !methods || !workers;
    if (rc) {
        json_decref(o);
        json_decref(replies);
        json_decref(malformed);
        json_decref(io);
        json_decref(auth);
        json_decref(methods);
        json_decref(workers);
        return LEDE_ENOMEM;
    }
    rc |= json_object_set_new(o, "protocol_version", json_integer(LEDE_WIRE_VERSION));
    rc |= json_object_set_new(o, "uptime_ms", json_integer(now_ms - b->started_ms));
    rc |= json_object_set_new(o, "draining", json_boolean(b->draining));
    rc |= set_rows(o, s, head_rows, sizeof head_rows / sizeof head_rows[0]);
    for (int i = 0; i < LEDE_BROKER_STATUS_COUNT; i++)
        rc |= set_u64(replies, lede_wire_status_name(i), s->replies[i]);
    rc |= json_object_set_new(o, "replies", replies);
    rc |= set_rows(o, s, body_rows, sizeof body_rows / sizeof body_rows[0]);
    for (int k = 1; k < LEDE_BROKER_BAD_COUNT; k++)
        rc |= set_u64(malformed, lede_broker_bad_name(k), s->malformed[k]);
    rc |= json_object_set_new(o, "malformed", malformed);
    rc |= set_rows(o, s, tail_rows, sizeof tail_rows / sizeof tail_rows[0]);
    rc |= set_rows(io, &s->io, io_rows, sizeof io_rows / sizeof io_rows[0]);
    rc |= json_object_set_new(o, "io", io);
    const struct lede_broker_auth_stats *au = &s->auth;
    rc |= json_object_set_new(auth, "curve", json_boolean(au->enabled != 0));
    rc |= set_u64(auth, "peers_rejected",
                  au->clients_denied + au->workers_denied + au->handshakes_failed +
                      au->wrong_role_messages);
    rc |= set_rows(auth, au, auth_rows, sizeof auth_rows / sizeof auth_rows[0]);
    rc |= json_object_set_new(o, "auth", auth);
    for (size_t i = 0; i < b->n_methods; i++)
        if (b->methods[i].name)
            rc |= json_array_append_new(methods, name_json(b->methods[i].name));
    rc |= json_object_set_new(o, "methods", methods);
    for (const struct worker *w = b->workers; w; w = w->next) {
        json_t *wj = json_object();
        if (!wj) {
            rc = 1;
            break;
        }
        rc |= json_object_set_new(wj, "name", name_json(w->name));
        rc |= set_u64(wj, "capacity", w->capacity);
        rc |= set_u64(wj, "credit", w->limit);
        rc |= set_u64(wj, "timeouts", w->timeouts);
        rc |= set_u64(wj, "in_flight", w->inflight.n);
        rc |= set_u64(wj, "heartbeat_ms", w->heartbeat_ms);
        rc |= json_object_set_new(wj, "last_seen_ms_ago", json_integer(now_ms - w->last_seen_ms));
        rc |= json_array_append_new(workers, wj);
    }
    rc |= json_object_set_new(o, "workers", workers);
    char *text = rc ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        return LEDE_ENOMEM;
    *out = text;
    return LEDE_OK;
}
