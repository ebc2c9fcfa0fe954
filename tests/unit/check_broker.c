/* check_broker.c: the broker's state machine (broker/broker.c) driven with explicit timestamps
 * and frames, no sockets and no sleeping: credit, least-loaded choice, heartbeats and expiry,
 * re-dispatch at the queue front, late replies, deadlines, queue bounds, methods, malformed
 * frames, attempts, drain. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "error.h"
#include "wire.h"
#include "utf8.h"
#include "run.h"

/* ---- helpers: feed frames, collect and decode the actions ---- */

#define MAX_GOT 512

struct got {
    int sock;
    char to[64];
    int command;
    struct lede_wire_frame f;
};

static struct got got[MAX_GOT];
static size_t n_got;

static void clear_got(void)
{
    for (size_t i = 0; i < n_got; i++)
        lede_wire_frame_release(&got[i].f);
    n_got = 0;
}

/* Pops every pending action into got[] (replacing what was there). */
static size_t collect(lede_broker_t *b)
{
    clear_got();
    struct lede_broker_action a;
    while (lede_broker_pop(b, &a)) {
        ck_assert_uint_lt(n_got, MAX_GOT);
        struct got *g = &got[n_got++];
        g->sock = a.sock;
        ck_assert_uint_lt(a.identity_len, sizeof g->to);
        memcpy(g->to, a.identity, a.identity_len);
        g->to[a.identity_len] = '\0';
        ck_assert_int_eq(lede_wire_decode(a.frame, a.frame_len, 0, &g->f, NULL), LEDE_OK);
        ck_assert_int_eq(g->f.version, LEDE_WIRE_VERSION);
        g->command = g->f.command;
        lede_broker_action_release(&a);
    }
    return n_got;
}

/* The i-th collected action that is `command` to `to` (NULL: anyone), or NULL. */
static struct got *find(int command, const char *to, size_t nth)
{
    for (size_t i = 0; i < n_got; i++)
        if (got[i].command == command && (!to || strcmp(got[i].to, to) == 0) && nth-- == 0)
            return &got[i];
    return NULL;
}

static size_t count(int command, const char *to)
{
    size_t n = 0;
    while (find(command, to, n))
        n++;
    return n;
}

/* The reply collected for call_id, or NULL. */
static Lede__V1__Reply *reply_for(const char *cid)
{
    for (size_t i = 0; i < n_got; i++)
        if (got[i].command == LEDE__V1__COMMAND__REPLY && got[i].sock == LEDE_BROKER_FRONTEND &&
            strcmp(got[i].f.body.reply->call_id, cid) == 0)
            return got[i].f.body.reply;
    return NULL;
}

static void feed(lede_broker_t *b, int64_t now, int sock, const char *from, int command,
                 const ProtobufCMessage *body)
{
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(lede_wire_encode(command, body, &buf, &len), LEDE_OK);
    ck_assert_int_eq(lede_broker_on_frame(b, now, sock, from, strlen(from), buf, len), LEDE_OK);
    free(buf);
}

static void ready_m(lede_broker_t *b, int64_t now, const char *w, uint32_t cap, uint32_t hb,
                    const char *method)
{
    Lede__V1__Ready r = LEDE__V1__READY__INIT;
    char *methods[1] = {(char *)method};
    r.methods = methods;
    r.n_methods = method ? 1 : 0;
    r.capacity = cap;
    r.name = (char *)w;
    r.heartbeat_ms = hb;
    feed(b, now, LEDE_BROKER_BACKEND, w, LEDE__V1__COMMAND__READY, &r.base);
}

static void ready(lede_broker_t *b, int64_t now, const char *w, uint32_t cap)
{
    ready_m(b, now, w, cap, 1000, LEDE_METHOD_SUMMARIZE);
}

static void call_m(lede_broker_t *b, int64_t now, const char *client, const char *cid,
                   const char *method, uint32_t timeout_ms)
{
    Lede__V1__Call c = LEDE__V1__CALL__INIT;
    c.call_id = (char *)cid;
    c.method = (char *)method;
    c.timeout_ms = timeout_ms;
    c.payload.data = (uint8_t *)"request";
    c.payload.len = 7;
    c.wait_for_ready = 1; /* these tests queue calls before any worker registers */
    feed(b, now, LEDE_BROKER_FRONTEND, client, LEDE__V1__COMMAND__CALL, &c.base);
}

static void call(lede_broker_t *b, int64_t now, const char *cid, uint32_t timeout_ms)
{
    call_m(b, now, "client", cid, LEDE_METHOD_SUMMARIZE, timeout_ms);
}

static void heartbeat(lede_broker_t *b, int64_t now, const char *w)
{
    Lede__V1__Heartbeat h = LEDE__V1__HEARTBEAT__INIT;
    feed(b, now, LEDE_BROKER_BACKEND, w, LEDE__V1__COMMAND__HEARTBEAT, &h.base);
}

static void worker_reply(lede_broker_t *b, int64_t now, const char *w, const char *cid,
                         uint64_t dispatch_id)
{
    Lede__V1__Reply r = LEDE__V1__REPLY__INIT;
    r.call_id = (char *)cid;
    r.status = LEDE__V1__STATUS__OK;
    r.payload.data = (uint8_t *)"summary";
    r.payload.len = 7;
    r.dispatch_id = dispatch_id;
    feed(b, now, LEDE_BROKER_BACKEND, w, LEDE__V1__COMMAND__REPLY, &r.base);
}

/* The CALL collected for call_id to worker w (NULL: anyone), or NULL. */
static Lede__V1__Call *call_to(const char *w, const char *cid)
{
    for (size_t i = 0; i < n_got; i++)
        if (got[i].command == LEDE__V1__COMMAND__CALL && (!w || strcmp(got[i].to, w) == 0) &&
            strcmp(got[i].f.body.call->call_id, cid) == 0)
            return got[i].f.body.call;
    return NULL;
}

static lede_broker_t *new_broker(void (*tweak)(struct lede_broker_config *))
{
    struct lede_broker_config c;
    lede_broker_config_defaults(&c);
    if (tweak)
        tweak(&c);
    lede_broker_t *b = lede_broker_new(&c, 0);
    ck_assert_ptr_nonnull(b);
    return b;
}

static void finish(lede_broker_t **b)
{
    clear_got();
    lede_broker_destroy(b);
    ck_assert_ptr_null(*b);
}

/* ---- tests ---- */

START_TEST(credit_never_exceeded)
{
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "w1", 2);
    collect(b);
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "c%d", i);
        call(b, 10, id, 0);
    }
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "w1"), 2);
    ck_assert_ptr_nonnull(call_to("w1", "c0"));
    ck_assert_ptr_nonnull(call_to("w1", "c1"));
    const struct lede_broker_stats *s = lede_broker_stats(b);
    ck_assert_uint_eq(s->in_flight, 2);
    ck_assert_uint_eq(s->queue_depth, 3);
    /* every reply frees exactly one slot, oldest queued call first */
    uint64_t d0 = call_to("w1", "c0")->dispatch_id;
    worker_reply(b, 20, "w1", "c0", d0);
    collect(b);
    ck_assert_ptr_nonnull(reply_for("c0"));
    ck_assert_str_eq(reply_for("c0")->served_by, "w1");
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "w1"), 1);
    ck_assert_ptr_nonnull(call_to("w1", "c2"));
    ck_assert_uint_eq(s->in_flight, 2);
    /* ticks and heartbeats give no extra credit */
    heartbeat(b, 500, "w1");
    lede_broker_tick(b, 500);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, NULL), 0);
    ck_assert_uint_eq(s->in_flight, 2);
    ck_assert_uint_eq(s->dispatches, 3);
    finish(&b);
}
END_TEST

START_TEST(credit_per_worker_with_other_methods_free)
{
    /* a full worker for method X must not get a second X call because another worker (for
     * another method) has free credit */
    lede_broker_t *b = new_broker(NULL);
    ready_m(b, 0, "wx", 1, 1000, "x.v1.X/Do");
    ready(b, 0, "ws", 4);
    call_m(b, 1, "cl", "x1", "x.v1.X/Do", 0);
    call_m(b, 1, "cl", "x2", "x.v1.X/Do", 0);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "wx"), 1);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "ws"), 0);
    ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 1);
    /* a Summarize call behind the waiting X call is not blocked by it */
    call(b, 2, "s1", 0);
    collect(b);
    ck_assert_ptr_nonnull(call_to("ws", "s1"));
    finish(&b);
}
END_TEST

START_TEST(least_loaded_choice)
{
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "small", 1);
    ready(b, 0, "big", 4);
    collect(b);
    call(b, 1, "a", 0); /* both idle: either may take it */
    call(b, 1, "b", 0); /* the other one: it is idle */
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "small"), 1);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "big"), 1);
    call(b, 2, "c", 0); /* small is full */
    call(b, 2, "d", 0);
    call(b, 2, "e", 0);
    call(b, 2, "f", 0); /* big is full too: queued */
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "big"), 3);
    ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 1);
    finish(&b);

    /* with equal capacity, calls alternate; a worker at 1/4 loses to one at 0/2 */
    b = new_broker(NULL);
    ready(b, 0, "w1", 4);
    ready(b, 0, "w2", 2);
    collect(b);
    call(b, 1, "x1", 0);
    call(b, 1, "x2", 0);
    call(b, 1, "x3", 0);
    collect(b);
    /* x1 -> either; x2 -> the other; x3 -> w1 (1/4 < 1/2) */
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "w1"), 2);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, "w2"), 1);
    ck_assert_ptr_nonnull(call_to("w1", "x3"));
    finish(&b);
}
END_TEST

START_TEST(heartbeat_expiry_redispatches_at_front)
{
    lede_broker_t *b = new_broker(NULL); /* heartbeat 1000, liveness 3 */
    ready(b, 0, "w1", 1);
    ready(b, 0, "w2", 1);
    collect(b);
    call(b, 10, "A", 60000);
    call(b, 10, "B", 60000);
    call(b, 10, "C", 60000);
    collect(b);
    const char *wa = call_to("w1", "A") ? "w1" : "w2";
    const char *wb = strcmp(wa, "w1") == 0 ? "w2" : "w1";
    uint64_t dA = call_to(wa, "A")->dispatch_id;
    ck_assert_uint_eq(call_to(wa, "A")->attempt, 1);
    ck_assert_ptr_nonnull(call_to(wb, "B"));
    uint64_t dB = call_to(wb, "B")->dispatch_id;
    ck_assert_uint_ne(dA, dB);

    /* the broker heartbeats both workers every second */
    lede_broker_tick(b, 1000);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__HEARTBEAT, "w1"), 1);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__HEARTBEAT, "w2"), 1);
    ck_assert_uint_eq(find(LEDE__V1__COMMAND__HEARTBEAT, "w1", 0)->f.body.heartbeat->in_flight, 1);

    /* wb keeps beating, wa goes silent; at 3000 ms it is still alive, after it is dead */
    for (int64_t t = 1000; t <= 3000; t += 1000)
        heartbeat(b, t, wb);
    lede_broker_tick(b, 3000);
    collect(b);
    ck_assert_uint_eq(lede_broker_stats(b)->workers_ready, 2);
    lede_broker_tick(b, 3001);
    collect(b);
    const struct lede_broker_stats *s = lede_broker_stats(b);
    ck_assert_uint_eq(s->workers_ready, 1);
    ck_assert_uint_eq(s->workers_expired, 1);
    ck_assert_uint_eq(s->redispatches, 1);
    ck_assert_uint_eq(s->queue_depth, 2); /* A back in the queue, ahead of C */
    ck_assert_ptr_null(reply_for("A"));

    /* wb finishes B: the freed slot goes to A (queue front), not C */
    worker_reply(b, 3100, wb, "B", dB);
    collect(b);
    ck_assert_ptr_nonnull(reply_for("B"));
    Lede__V1__Call *again = call_to(wb, "A");
    ck_assert_ptr_nonnull(again);
    ck_assert_uint_eq(again->attempt, 2);
    ck_assert_uint_ne(again->dispatch_id, dA);
    ck_assert_uint_le(again->timeout_ms, 60000 - 3090);
    ck_assert_ptr_null(call_to(NULL, "C"));
    uint64_t dA2 = again->dispatch_id;

    /* the dead worker wakes up (SIGCONT) and answers A: dropped, told to re-register */
    worker_reply(b, 3200, wa, "A", dA);
    collect(b);
    ck_assert_ptr_null(reply_for("A"));
    ck_assert_uint_eq(s->late_replies_dropped, 1);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__DISCONNECT, wa), 1);
    ck_assert_ptr_nonnull(
        strstr(find(LEDE__V1__COMMAND__DISCONNECT, wa, 0)->f.body.disconnect->reason, "READY"));
    /* its heartbeat gets the same answer */
    heartbeat(b, 3300, wa);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__DISCONNECT, wa), 1);
    ck_assert_uint_eq(s->unknown_worker_messages, 2);

    /* A is answered once, by wb */
    worker_reply(b, 3400, wb, "A", dA2);
    collect(b);
    ck_assert_ptr_nonnull(reply_for("A"));
    ck_assert_int_eq(reply_for("A")->status, LEDE__V1__STATUS__OK);
    ck_assert_str_eq(reply_for("A")->served_by, wb);
    ck_assert_ptr_nonnull(call_to(wb, "C"));
    /* a duplicate of that reply is dropped */
    worker_reply(b, 3500, wb, "A", dA2);
    collect(b);
    ck_assert_ptr_null(reply_for("A"));
    ck_assert_uint_eq(s->late_replies_dropped, 2);
    finish(&b);
}
END_TEST

START_TEST(worker_heartbeat_interval_is_its_own)
{
    lede_broker_t *b = new_broker(NULL);
    ready_m(b, 0, "fast", 1, 100, NULL); /* no methods: Summarize */
    collect(b);
    lede_broker_tick(b, 100);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__HEARTBEAT, "fast"), 1);
    ck_assert_int_le(lede_broker_next_wakeup(b, 100), 100);
    lede_broker_tick(b, 301);
    collect(b);
    ck_assert_uint_eq(lede_broker_stats(b)->workers_expired, 1);
    finish(&b);
}
END_TEST

START_TEST(deadline_while_queued)
{
    lede_broker_t *b = new_broker(NULL);
    call(b, 0, "q", 100);
    collect(b);
    ck_assert_uint_eq(n_got, 0);
    ck_assert_int_eq(lede_broker_next_wakeup(b, 0), 100);
    lede_broker_tick(b, 99);
    collect(b);
    ck_assert_ptr_null(reply_for("q"));
    lede_broker_tick(b, 100);
    collect(b);
    ck_assert_ptr_nonnull(reply_for("q"));
    ck_assert_int_eq(reply_for("q")->status, LEDE__V1__STATUS__DEADLINE_EXCEEDED);
    ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 0);
    /* a worker that registers later never sees it */
    ready(b, 150, "w", 1);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, NULL), 0);
    finish(&b);

    /* expired in the queue, but nobody ticked: the worker's arrival must not dispatch it */
    b = new_broker(NULL);
    call(b, 0, "late", 50);
    ready(b, 80, "w", 1);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__CALL, NULL), 0);
    ck_assert_int_eq(reply_for("late")->status, LEDE__V1__STATUS__DEADLINE_EXCEEDED);
    finish(&b);
}
END_TEST

START_TEST(deadline_in_flight)
{
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "w", 1);
    call(b, 0, "slow", 100);
    call(b, 0, "next", 10000);
    collect(b);
    Lede__V1__Call *c = call_to("w", "slow");
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->timeout_ms, 100);
    uint64_t d = c->dispatch_id;
    lede_broker_tick(b, 100);
    collect(b);
    ck_assert_int_eq(reply_for("slow")->status, LEDE__V1__STATUS__DEADLINE_EXCEEDED);
    /* the slot stays taken until the worker answers */
    ck_assert_ptr_null(call_to(NULL, "next"));
    heartbeat(b, 150, "w");
    worker_reply(b, 150, "w", "slow", d);
    collect(b);
    ck_assert_ptr_null(reply_for("slow"));
    ck_assert_uint_eq(lede_broker_stats(b)->late_replies_dropped, 1);
    ck_assert_ptr_nonnull(call_to("w", "next"));
    finish(&b);
}
END_TEST

START_TEST(timeout_is_time_left_and_default)
{
    lede_broker_t *b = new_broker(NULL);
    call(b, 0, "t", 1000);
    call(b, 0, "d", 0); /* default 30 s */
    ready(b, 300, "w", 2);
    collect(b);
    ck_assert_uint_eq(call_to("w", "t")->timeout_ms, 700);
    ck_assert_uint_eq(call_to("w", "d")->timeout_ms, 30000 - 300);
    /* metadata and payload travel unchanged */
    ck_assert_uint_eq(call_to("w", "t")->payload.len, 7);
    finish(&b);
}
END_TEST

static void small_queue(struct lede_broker_config *c)
{
    c->queue_max = 2;
}

static size_t queue_bytes_for_test;
static void small_queue_bytes(struct lede_broker_config *c)
{
    c->queue_max_bytes = queue_bytes_for_test;
}

START_TEST(queue_bound_resource_exhausted)
{
    lede_broker_t *b = new_broker(small_queue);
    call(b, 0, "1", 0);
    call(b, 0, "2", 0);
    call(b, 0, "3", 0);
    collect(b);
    ck_assert_ptr_null(reply_for("1"));
    ck_assert_int_eq(reply_for("3")->status, LEDE__V1__STATUS__RESOURCE_EXHAUSTED);
    /* recovers when load falls */
    ready(b, 10, "w", 2);
    call(b, 11, "4", 0);
    collect(b);
    ck_assert_ptr_null(reply_for("4"));
    ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 1);
    ck_assert_uint_eq(lede_broker_stats(b)->replies[LEDE__V1__STATUS__RESOURCE_EXHAUSTED], 1);
    finish(&b);

    /* the byte bound counts what a call holds (frame, decoded fields, bookkeeping), more than
     * its ~50-byte frame: room for two such calls and a half */
    b = new_broker(NULL);
    call(b, 0, "a", 0);
    size_t one = (size_t)lede_broker_stats(b)->held_bytes;
    ck_assert_uint_gt(one, 100);
    ck_assert_uint_eq(lede_broker_stats(b)->queue_bytes, one);
    finish(&b);
    queue_bytes_for_test = 2 * one + one / 2;
    b = new_broker(small_queue_bytes);
    call(b, 0, "a", 0);
    call(b, 0, "b", 0);
    call(b, 0, "c", 0);
    collect(b);
    ck_assert_ptr_null(reply_for("a"));
    ck_assert_ptr_null(reply_for("b"));
    ck_assert_int_eq(reply_for("c")->status, LEDE__V1__STATUS__RESOURCE_EXHAUSTED);
    ck_assert_uint_le(lede_broker_stats(b)->queue_bytes, queue_bytes_for_test);
    finish(&b);
}
END_TEST

/* Fail fast (gRPC's default): without wait_for_ready a call for a method no registered worker
 * serves is answered UNAVAILABLE at once, not at its deadline; with a worker it is dispatched. */
START_TEST(no_worker_fails_fast_without_wait_for_ready)
{
    lede_broker_t *b = new_broker(NULL);
    Lede__V1__Call c = LEDE__V1__CALL__INIT;
    c.call_id = "ff";
    c.method = LEDE_METHOD_SUMMARIZE;
    c.timeout_ms = 10000;
    feed(b, 0, LEDE_BROKER_FRONTEND, "cl", LEDE__V1__COMMAND__CALL, &c.base);
    collect(b);
    ck_assert_ptr_nonnull(reply_for("ff"));
    ck_assert_int_eq(reply_for("ff")->status, LEDE__V1__STATUS__UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(reply_for("ff")->message, "no worker"));
    ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 0);
    ready(b, 1, "w", 1);
    c.call_id = "ff2";
    feed(b, 2, LEDE_BROKER_FRONTEND, "cl", LEDE__V1__COMMAND__CALL, &c.base);
    collect(b);
    ck_assert_ptr_nonnull(call_to("w", "ff2"));
    /* the only worker busy: the call queues (a worker serves the method, it has no credit) */
    c.call_id = "ff3";
    feed(b, 3, LEDE_BROKER_FRONTEND, "cl", LEDE__V1__COMMAND__CALL, &c.base);
    collect(b);
    ck_assert_ptr_null(reply_for("ff3"));
    ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 1);
    finish(&b);
}
END_TEST

START_TEST(methods_known_and_unknown)
{
    lede_broker_t *b = new_broker(NULL);
    call_m(b, 0, "cl", "u", "no.such/Method", 0);
    collect(b);
    ck_assert_int_eq(reply_for("u")->status, LEDE__V1__STATUS__UNIMPLEMENTED);
    ck_assert_ptr_nonnull(strstr(reply_for("u")->message, "no.such/Method"));
    /* a worker registers another method: now it is known and routed only to that worker */
    ready(b, 1, "sum", 1);
    ready_m(b, 1, "other", 1, 1000, "x.v1.Other/Do");
    call_m(b, 2, "cl", "o", "x.v1.Other/Do", 0);
    call_m(b, 2, "cl", "s", LEDE_METHOD_SUMMARIZE, 0);
    collect(b);
    ck_assert_ptr_nonnull(call_to("other", "o"));
    ck_assert_ptr_nonnull(call_to("sum", "s"));
    /* the method stays known after its worker left: calls wait for the next one */
    Lede__V1__Disconnect d = LEDE__V1__DISCONNECT__INIT;
    feed(b, 3, LEDE_BROKER_BACKEND, "other", LEDE__V1__COMMAND__DISCONNECT, &d.base);
    collect(b); /* o is re-queued */
    call_m(b, 4, "cl", "o2", "x.v1.Other/Do", 0);
    collect(b);
    ck_assert_ptr_null(reply_for("o2"));
    ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 2);
    /* a worker started after the calls still serves them */
    ready_m(b, 5, "other2", 4, 1000, "x.v1.Other/Do");
    collect(b);
    ck_assert_ptr_nonnull(call_to("other2", "o"));
    ck_assert_ptr_nonnull(call_to("other2", "o2"));
    finish(&b);
}
END_TEST

START_TEST(stats_method)
{
    lede_broker_t *b = new_broker(NULL);
    uint8_t junk[3] = {1, 2, 3};
    lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "c", 1, junk, sizeof junk);
    ready(b, 0, "w\"1", 3);
    call_m(b, 5, "c", "s", LEDE_METHOD_BROKER_STATS, 0);
    collect(b);
    Lede__V1__Reply *r = reply_for("s");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status, LEDE__V1__STATUS__OK);
    ck_assert_str_eq(r->served_by, "broker");
    char *json = strndup((const char *)r->payload.data, r->payload.len);
    ck_assert_ptr_nonnull(strstr(json, "\"malformed_total\":1"));
    ck_assert_ptr_nonnull(strstr(json, "\"short\":1"));
    ck_assert_ptr_nonnull(strstr(json, "\"workers_ready\":1"));
    ck_assert_ptr_nonnull(strstr(json, "\"name\":\"w\\\"1\"")); /* escaped */
    ck_assert_ptr_nonnull(strstr(json, "\"capacity\":3"));
    free(json);
    finish(&b);
}
END_TEST

START_TEST(malformed_client_frames_counted_and_answered)
{
    lede_broker_t *b = new_broker(NULL);
    const struct lede_broker_stats *s = lede_broker_stats(b);
    const uint8_t shortf[] = {'L', 'E'};
    const uint8_t magic[] = {'H', 'T', 'T', 'P', 1, 1};
    const uint8_t cmd[] = {'L', 'E', 'D', 'E', 1, 99};
    const uint8_t body[] = {'L', 'E', 'D', 'E', 1, 1, 0x0a, 0x50};
    uint8_t *v2;
    size_t v2len;
    Lede__V1__Call c = LEDE__V1__CALL__INIT;
    c.call_id = "v2";
    c.method = LEDE_METHOD_SUMMARIZE;
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__CALL, &c.base, &v2, &v2len), LEDE_OK);
    v2[4] = 2;

    lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "c", 1, shortf, sizeof shortf);
    lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "c", 1, magic, sizeof magic);
    lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "c", 1, cmd, sizeof cmd);
    lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "c", 1, body, sizeof body);
    lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "c", 1, v2, v2len);
    lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "c", 1, NULL, 0);
    lede_broker_on_bad_framing(b, 0, LEDE_BROKER_FRONTEND, "c", 1);
    Lede__V1__Ready r = LEDE__V1__READY__INIT;
    feed(b, 0, LEDE_BROKER_FRONTEND, "c", LEDE__V1__COMMAND__READY, &r.base);
    call(b, 0, "", 0); /* empty call id */
    free(v2);

    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_SHORT], 2);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_MAGIC], 1);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_COMMAND], 1);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_BODY], 1);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_VERSION], 1);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_FRAMES], 1);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_UNEXPECTED], 1);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_INVALID], 1);
    ck_assert_uint_eq(s->malformed_total, 9);
    ck_assert_uint_eq(s->calls_received, 0);
    /* every one was answered, in version 1 (collect checks the version) */
    ck_assert_uint_eq(s->replies_total, 9);
    ck_assert_uint_eq(s->replies[LEDE__V1__STATUS__INVALID_ARGUMENT], 8);
    ck_assert_uint_eq(s->replies[LEDE__V1__STATUS__FAILED_PRECONDITION], 1);
    finish(&b);
}
END_TEST

START_TEST(wrong_version_message_names_both)
{
    lede_broker_t *b = new_broker(NULL);
    const uint8_t v7[] = {'L', 'E', 'D', 'E', 7, 1, 0x0a, 0x01, 'x'};
    lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "c", 1, v7, sizeof v7);
    collect(b);
    ck_assert_uint_eq(n_got, 1);
    Lede__V1__Reply *r = got[0].f.body.reply;
    ck_assert_int_eq(r->status, LEDE__V1__STATUS__FAILED_PRECONDITION);
    ck_assert_ptr_nonnull(strstr(r->message, "version 7"));
    ck_assert_ptr_nonnull(strstr(r->message, "version 1"));
    /* a worker speaking version 7 is told the same in a DISCONNECT */
    lede_broker_on_frame(b, 0, LEDE_BROKER_BACKEND, "w", 1, v7, sizeof v7);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__DISCONNECT, "w"), 1);
    ck_assert_ptr_nonnull(strstr(
        find(LEDE__V1__COMMAND__DISCONNECT, "w", 0)->f.body.disconnect->reason, "version 7"));
    ck_assert_uint_eq(lede_broker_stats(b)->malformed[LEDE_BROKER_BAD_VERSION], 2);
    finish(&b);
}
END_TEST

START_TEST(malformed_worker_frames)
{
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "w", 1);
    collect(b);
    const uint8_t junk[] = {0xff, 0, 1, 2, 3, 4, 5, 6};
    lede_broker_on_frame(b, 0, LEDE_BROKER_BACKEND, "w", 1, junk, sizeof junk);
    lede_broker_on_bad_framing(b, 0, LEDE_BROKER_BACKEND, "w", 1);
    Lede__V1__Call c = LEDE__V1__CALL__INIT;
    feed(b, 0, LEDE_BROKER_BACKEND, "w", LEDE__V1__COMMAND__CALL, &c.base);
    collect(b);
    ck_assert_uint_eq(n_got, 0); /* nothing to answer on the backend */
    const struct lede_broker_stats *s = lede_broker_stats(b);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_MAGIC], 1);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_FRAMES], 1);
    ck_assert_uint_eq(s->malformed[LEDE_BROKER_BAD_UNEXPECTED], 1);
    ck_assert_uint_eq(s->workers_ready, 1); /* still registered, still served */
    call(b, 1, "ok", 0);
    collect(b);
    ck_assert_ptr_nonnull(call_to("w", "ok"));
    finish(&b);
}
END_TEST

static void oversize_cfg(struct lede_broker_config *c)
{
    c->max_msg_bytes = 200;
}

START_TEST(oversized_call_answered_with_its_id)
{
    lede_broker_t *b = new_broker(oversize_cfg);
    Lede__V1__Call c = LEDE__V1__CALL__INIT;
    uint8_t big[500] = {0};
    c.call_id = "big";
    c.method = LEDE_METHOD_SUMMARIZE;
    c.payload.data = big;
    c.payload.len = sizeof big;
    feed(b, 0, LEDE_BROKER_FRONTEND, "c", LEDE__V1__COMMAND__CALL, &c.base);
    collect(b);
    ck_assert_int_eq(reply_for("big")->status, LEDE__V1__STATUS__INVALID_ARGUMENT);
    ck_assert_uint_eq(lede_broker_stats(b)->malformed[LEDE_BROKER_BAD_SIZE], 1);
    finish(&b);
}
END_TEST

START_TEST(oversized_worker_reply_answered)
{
    lede_broker_t *b = new_broker(oversize_cfg);
    ready(b, 0, "w", 1);
    call(b, 0, "r", 0);
    call(b, 0, "next", 0);
    collect(b);
    uint64_t d = call_to("w", "r")->dispatch_id;
    Lede__V1__Reply r = LEDE__V1__REPLY__INIT;
    uint8_t big[500] = {0};
    r.call_id = "r";
    r.dispatch_id = d;
    r.payload.data = big;
    r.payload.len = sizeof big;
    feed(b, 10, LEDE_BROKER_BACKEND, "w", LEDE__V1__COMMAND__REPLY, &r.base);
    collect(b);
    ck_assert_int_eq(reply_for("r")->status, LEDE__V1__STATUS__RESOURCE_EXHAUSTED);
    ck_assert_ptr_nonnull(call_to("w", "next")); /* the slot was freed */
    ck_assert_uint_eq(lede_broker_stats(b)->malformed[LEDE_BROKER_BAD_SIZE], 1);
    finish(&b);
}
END_TEST

static void two_attempts(struct lede_broker_config *c)
{
    c->max_attempts = 2;
}

START_TEST(max_attempts_then_unavailable)
{
    lede_broker_t *b = new_broker(two_attempts);
    ready(b, 0, "w1", 1);
    call(b, 0, "A", 60000);
    collect(b);
    ck_assert_ptr_nonnull(call_to("w1", "A"));
    Lede__V1__Disconnect d = LEDE__V1__DISCONNECT__INIT;
    d.reason = "bye";
    feed(b, 10, LEDE_BROKER_BACKEND, "w1", LEDE__V1__COMMAND__DISCONNECT, &d.base);
    collect(b);
    ck_assert_ptr_null(reply_for("A"));
    ck_assert_uint_eq(lede_broker_stats(b)->workers_disconnected, 1);
    ready(b, 20, "w2", 1);
    collect(b);
    ck_assert_uint_eq(call_to("w2", "A")->attempt, 2);
    /* w2 becomes unreachable (the ROUTER said EHOSTUNREACH) */
    lede_broker_on_unreachable(b, 30, LEDE_BROKER_BACKEND, "w2", 2);
    collect(b);
    ck_assert_int_eq(reply_for("A")->status, LEDE__V1__STATUS__UNAVAILABLE);
    ck_assert_uint_eq(lede_broker_stats(b)->workers_ready, 0);
    ck_assert_uint_eq(lede_broker_stats(b)->in_flight, 0);
    ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 0);
    finish(&b);
}
END_TEST

/* The one action popped now (failing unless there is exactly one), decoded into *f. */
static void pop_one(lede_broker_t *b, struct lede_broker_action *a, struct lede_wire_frame *f)
{
    ck_assert_int_eq(lede_broker_pop(b, a), 1);
    struct lede_broker_action more;
    ck_assert_int_eq(lede_broker_pop(b, &more), 0);
    ck_assert_int_eq(lede_wire_decode(a->frame, a->frame_len, 0, f, NULL), LEDE_OK);
}

static void disconnect(lede_broker_t *b, int64_t now, const char *w)
{
    Lede__V1__Disconnect d = LEDE__V1__DISCONNECT__INIT;
    d.reason = "bye";
    feed(b, now, LEDE_BROKER_BACKEND, w, LEDE__V1__COMMAND__DISCONNECT, &d.base);
}

/* A dispatch sends the call's own bytes, stamped in place, when nothing holds them; while an
 * earlier dispatch's frame is still held (libzmq has not written it), a re-dispatch goes on a
 * copy and the earlier frame keeps its own stamp. */
START_TEST(redispatch_while_the_first_frame_is_held)
{
    lede_broker_t *b = new_broker(NULL); /* max_attempts 3 */
    ready(b, 0, "w1", 1);
    collect(b);
    call(b, 0, "A", 60000);
    struct lede_broker_action a1, a2, a3;
    struct lede_wire_frame f1, f2, f3;
    pop_one(b, &a1, &f1);
    ck_assert_ptr_nonnull(a1.shared); /* the call's own bytes */
    ck_assert_uint_eq(f1.body.call->attempt, 1);
    disconnect(b, 10, "w1");
    ready(b, 20, "w2", 1);
    pop_one(b, &a2, &f2);
    ck_assert_ptr_null(a2.shared); /* a1 still holds them: a copy */
    ck_assert_uint_eq(f2.body.call->attempt, 2);
    ck_assert_uint_ne(f2.body.call->dispatch_id, f1.body.call->dispatch_id);
    struct lede_wire_frame again; /* a1's bytes are as they were sent */
    ck_assert_int_eq(lede_wire_decode(a1.frame, a1.frame_len, 0, &again, NULL), LEDE_OK);
    ck_assert_uint_eq(again.body.call->attempt, 1);
    ck_assert_uint_eq(again.body.call->dispatch_id, f1.body.call->dispatch_id);
    lede_wire_frame_release(&again);
    lede_broker_action_release(&a1);
    lede_broker_action_release(&a2);
    disconnect(b, 30, "w2");
    ready(b, 40, "w3", 1);
    pop_one(b, &a3, &f3);
    ck_assert_ptr_nonnull(a3.shared); /* nothing holds them now: in place again */
    ck_assert_uint_eq(f3.body.call->attempt, 3);
    ck_assert_str_eq(f3.body.call->call_id, "A");
    ck_assert_uint_eq(f3.body.call->payload.len, 7);
    ck_assert_mem_eq(f3.body.call->payload.data, "request", 7);
    ck_assert_uint_le(f3.body.call->timeout_ms, 60000 - 40);
    /* the call is answered and freed while a3 still holds the bytes: they stay valid */
    worker_reply(b, 50, "w3", "A", f3.body.call->dispatch_id);
    collect(b);
    ck_assert_int_eq(reply_for("A")->status, LEDE__V1__STATUS__OK);
    ck_assert_int_eq(lede_wire_decode(a3.frame, a3.frame_len, 0, &again, NULL), LEDE_OK);
    ck_assert_uint_eq(again.body.call->attempt, 3);
    lede_wire_frame_release(&again);
    lede_broker_action_release(&a3);
    lede_wire_frame_release(&f1);
    lede_wire_frame_release(&f2);
    lede_wire_frame_release(&f3);
    finish(&b);
}
END_TEST

START_TEST(re_ready_requeues_and_unknown_worker_registers)
{
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "w", 1);
    call(b, 0, "A", 60000);
    collect(b);
    uint64_t d1 = call_to("w", "A")->dispatch_id;
    /* the worker restarted under the same identity and says READY again */
    ready(b, 100, "w", 1);
    collect(b);
    Lede__V1__Call *c = call_to("w", "A");
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->attempt, 2);
    ck_assert_uint_ne(c->dispatch_id, d1);
    /* the old dispatch's reply is dropped; the new one is forwarded */
    uint64_t d2 = c->dispatch_id;
    worker_reply(b, 150, "w", "A", d1);
    collect(b);
    ck_assert_ptr_null(reply_for("A"));
    worker_reply(b, 160, "w", "A", d2);
    collect(b);
    ck_assert_ptr_nonnull(reply_for("A"));
    finish(&b);
}
END_TEST

START_TEST(client_unreachable_is_counted)
{
    lede_broker_t *b = new_broker(NULL);
    lede_broker_on_unreachable(b, 0, LEDE_BROKER_FRONTEND, "gone", 4);
    ck_assert_uint_eq(lede_broker_stats(b)->unreachable_clients, 1);
    lede_broker_on_unreachable(b, 0, LEDE_BROKER_BACKEND, "nobody", 6);
    ck_assert_uint_eq(lede_broker_stats(b)->unreachable_workers, 1);
    finish(&b);
}
END_TEST

START_TEST(drain_finishes_in_flight)
{
    lede_broker_t *b = new_broker(NULL); /* drain 5000 ms */
    ready(b, 0, "w", 1);
    call(b, 0, "run", 60000);
    call(b, 0, "wait", 60000);
    collect(b);
    uint64_t d = call_to("w", "run")->dispatch_id;
    lede_broker_drain(b, 100);
    collect(b);
    ck_assert_int_eq(reply_for("wait")->status, LEDE__V1__STATUS__UNAVAILABLE);
    ck_assert_int_eq(lede_broker_drained(b, 100), 0);
    call(b, 200, "new", 0);
    collect(b);
    ck_assert_int_eq(reply_for("new")->status, LEDE__V1__STATUS__UNAVAILABLE);
    worker_reply(b, 300, "w", "run", d);
    collect(b);
    ck_assert_int_eq(reply_for("run")->status, LEDE__V1__STATUS__OK);
    ck_assert_int_eq(lede_broker_drained(b, 300), 1);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__DISCONNECT, "w"), 1);
    finish(&b);
}
END_TEST

START_TEST(drain_time_runs_out)
{
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "w", 1);
    call(b, 0, "stuck", 60000);
    collect(b);
    lede_broker_drain(b, 0);
    ck_assert_int_eq(lede_broker_drained(b, 4999), 0);
    ck_assert_int_le(lede_broker_next_wakeup(b, 4000), 1000);
    heartbeat(b, 4999, "w");
    lede_broker_tick(b, 5000);
    ck_assert_int_eq(lede_broker_drained(b, 5000), 1);
    collect(b);
    ck_assert_int_eq(reply_for("stuck")->status, LEDE__V1__STATUS__UNAVAILABLE);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__DISCONNECT, "w"), 1);
    ck_assert_uint_eq(lede_broker_stats(b)->in_flight, 0);
    finish(&b);
}
END_TEST

START_TEST(every_call_gets_exactly_one_reply)
{
    /* a small random schedule: workers come, die and reply; every call is answered once */
    lede_broker_t *b = new_broker(NULL);
    uint64_t s = 12345;
    int replies[200] = {0};
    int64_t t = 0;
    char name[16], cid[16];
    for (int step = 0; step < 4000; step++, t += 7) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        int r = (int)(s % 100);
        if (step < 400 && step % 2 == 0) {
            snprintf(cid, sizeof cid, "%d", step / 2);
            call(b, t, cid, 500 + (uint32_t)(s % 3000));
        } else if (r < 5) {
            snprintf(name, sizeof name, "w%d", (int)(s >> 8) % 4);
            ready(b, t, name, 1 + (uint32_t)(s >> 16) % 3);
        } else if (r < 80) {
            lede_broker_tick(b, t);
        }
        /* workers answer what they got, except w3, which hangs (and then dies) */
        size_t n = collect(b);
        for (size_t i = 0; i < n; i++) {
            if (got[i].command == LEDE__V1__COMMAND__REPLY) {
                int k = atoi(got[i].f.body.reply->call_id);
                ck_assert(k >= 0 && k < 200);
                replies[k]++;
            }
        }
        for (size_t i = 0; i < n_got; i++) {
            if (got[i].command == LEDE__V1__COMMAND__CALL && strcmp(got[i].to, "w3") != 0 &&
                (s >> 20) % 4 != 0) {
                worker_reply(b, t, got[i].to, got[i].f.body.call->call_id,
                             got[i].f.body.call->dispatch_id);
            } else if (got[i].command == LEDE__V1__COMMAND__HEARTBEAT &&
                       strcmp(got[i].to, "w3") != 0) {
                heartbeat(b, t, got[i].to);
            }
        }
        struct lede_broker_action a;
        while (lede_broker_pop(b, &a)) {
            struct lede_wire_frame f;
            ck_assert_int_eq(lede_wire_decode(a.frame, a.frame_len, 0, &f, NULL), LEDE_OK);
            if (f.command == LEDE__V1__COMMAND__REPLY)
                replies[atoi(f.body.reply->call_id)]++;
            lede_wire_frame_release(&f);
            lede_broker_action_release(&a);
        }
    }
    lede_broker_tick(b, t + 100000);
    size_t n = collect(b);
    for (size_t i = 0; i < n; i++)
        if (got[i].command == LEDE__V1__COMMAND__REPLY)
            replies[atoi(got[i].f.body.reply->call_id)]++;
    for (int k = 0; k < 200; k++)
        ck_assert_msg(replies[k] == 1, "call %d got %d replies", k, replies[k]);
    finish(&b);
}
END_TEST

START_TEST(random_frames_never_crash)
{
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "w", 2);
    uint64_t s = 99;
    uint8_t buf[64];
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(i % 64);
        for (size_t j = 0; j < len; j++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[j] = (uint8_t)s;
        }
        if (len >= 6 && (i & 1)) {
            memcpy(buf, "LEDE\x01", 5);
            static const uint8_t cmds[] = {1, 2, 16, 17, 18};
            buf[5] = cmds[(s >> 9) % 5];
        }
        ck_assert_int_eq(
            lede_broker_on_frame(b, i, (int)(s >> 33) & 1, (i & 2) ? "w" : "x", 1, buf, len),
            LEDE_OK);
        if (i % 100 == 0)
            lede_broker_tick(b, i);
        struct lede_broker_action a;
        while (lede_broker_pop(b, &a))
            lede_broker_action_release(&a);
    }
    ck_assert_uint_gt(lede_broker_stats(b)->malformed_total, 0);
    finish(&b);
}
END_TEST

/* ---- issue 10 section 3: limits found by trying to break a running broker ---- */

static void tiny_frames(struct lede_broker_config *c)
{
    c->max_msg_bytes = 1024;
}

/* A CALL frame of exactly len bytes (the payload pads it). */
static uint8_t *call_of_size(const char *cid, size_t len, size_t *out_len)
{
    Lede__V1__Call c = LEDE__V1__CALL__INIT;
    c.call_id = (char *)cid;
    c.method = LEDE_METHOD_SUMMARIZE;
    c.timeout_ms = 1000;
    static uint8_t pad[1 << 16];
    size_t p = len > 64 ? len - 64 : 0;
    for (;;) {
        c.payload.data = pad;
        c.payload.len = p;
        size_t n = lede_wire_size(&c.base);
        if (n == len)
            break;
        ck_assert_uint_lt(n, len); /* grows by one byte per step, or two at a varint boundary */
        p++;
    }
    uint8_t *buf;
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__CALL, &c.base, &buf, out_len), LEDE_OK);
    return buf;
}

START_TEST(stamped_call_stays_within_the_limit)
{
    /* 3.11: a call of exactly --max-msg-bytes grew past it when stamped, and a worker with the
     * same limit dropped it unanswered. Now the broker takes calls up to the limit less the
     * stamp and answers larger ones at once; what it sends a worker is never over the limit. */
    lede_broker_t *b = new_broker(tiny_frames);
    ready(b, 0, "w", 4);
    collect(b);
    size_t sizes[] = {1024 - LEDE_WIRE_STAMP_BYTES - 1, 1024 - LEDE_WIRE_STAMP_BYTES, 1024 - 8,
                      1024, 1025};
    const char *ids[] = {"fits1", "fits2", "near", "exact", "over"};
    for (size_t i = 0; i < 5; i++) {
        size_t len;
        uint8_t *buf = call_of_size(ids[i], sizes[i], &len);
        ck_assert_uint_eq(len, sizes[i]);
        ck_assert_int_eq(lede_broker_on_frame(b, 1, LEDE_BROKER_FRONTEND, "cl", 2, buf, len),
                         LEDE_OK);
        free(buf);
    }
    size_t to_worker = 0, replies = 0;
    struct lede_broker_action a;
    while (lede_broker_pop(b, &a)) {
        struct lede_wire_frame f;
        ck_assert_int_eq(lede_wire_decode(a.frame, a.frame_len, 1024, &f, NULL), LEDE_OK);
        if (a.sock == LEDE_BROKER_BACKEND) {
            to_worker++;
            ck_assert_uint_le(a.frame_len, 1024);
            ck_assert_uint_eq(f.body.call->timeout_ms, 1000);
        } else {
            replies++;
            ck_assert_int_eq(f.body.reply->status, LEDE__V1__STATUS__INVALID_ARGUMENT);
            ck_assert_ptr_nonnull(strstr(f.body.reply->message, "larger than"));
            ck_assert(strcmp(f.body.reply->call_id, "near") == 0 ||
                      strcmp(f.body.reply->call_id, "exact") == 0 ||
                      strcmp(f.body.reply->call_id, "over") == 0);
        }
        lede_wire_frame_release(&f);
        lede_broker_action_release(&a);
    }
    ck_assert_uint_eq(to_worker, 2);
    ck_assert_uint_eq(replies, 3);
    ck_assert_uint_eq(lede_broker_stats(b)->malformed[LEDE_BROKER_BAD_SIZE], 3);
    finish(&b);
}
END_TEST

START_TEST(oversized_call_is_not_decoded)
{
    /* 3.1 and 3.14: a frame far over the limit (here 64x, full of empty metadata entries that
     * would unpack to ~65x their bytes) is answered with its call id from a walk of its fields,
     * never unpacked; and a frame over twice the limit is answered too */
    lede_broker_t *b = new_broker(tiny_frames);
    size_t n = 32768, len = 6 + 6 + 2 * n;
    uint8_t *buf = malloc(len);
    memcpy(buf,
           "LEDE\x01\x01\x0a\x04"
           "big1",
           12);
    for (size_t i = 0; i < n; i++) {
        buf[12 + 2 * i] = 0x22;
        buf[13 + 2 * i] = 0x00;
    }
    ck_assert_int_eq(lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "cl", 2, buf, len), LEDE_OK);
    free(buf);
    collect(b);
    ck_assert_ptr_nonnull(reply_for("big1"));
    ck_assert_int_eq(reply_for("big1")->status, LEDE__V1__STATUS__INVALID_ARGUMENT);
    ck_assert_uint_eq(lede_broker_stats(b)->malformed[LEDE_BROKER_BAD_SIZE], 1);
    ck_assert_uint_eq(lede_broker_stats(b)->held_bytes, 0);
    /* within the size limit, too many metadata entries: a bad body, answered */
    len = 6 + 2 * (LEDE_WIRE_MAX_METADATA + 1);
    buf = malloc(len);
    memcpy(buf, "LEDE\x01\x01", 6);
    for (size_t i = 0; i <= LEDE_WIRE_MAX_METADATA; i++) {
        buf[6 + 2 * i] = 0x22;
        buf[7 + 2 * i] = 0x00;
    }
    ck_assert_int_eq(lede_broker_on_frame(b, 0, LEDE_BROKER_FRONTEND, "cl", 2, buf, len), LEDE_OK);
    free(buf);
    collect(b);
    ck_assert_uint_eq(count(LEDE__V1__COMMAND__REPLY, "cl"), 1);
    ck_assert_uint_eq(lede_broker_stats(b)->malformed[LEDE_BROKER_BAD_BODY], 1);
    finish(&b);
}
END_TEST

START_TEST(silent_worker_loses_its_credit)
{
    /* 3.6: a worker that announces capacity 1024, heartbeats and never answers, beside an
     * honest one of capacity 2 that answers in 1 ms. 300 calls of 1 s, one per ms. Least-loaded
     * placement sent it nearly all of them (294 of 300 DEADLINE_EXCEEDED); its credit now starts
     * at INITIAL_CREDIT (4), grows only with answers and halves per call that times out there. */
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "hole", 1024);
    ready(b, 0, "honest", 2);
    collect(b);
    struct pend {
        char cid[16];
        uint64_t dispatch;
        int64_t at;
    } pend[8];
    size_t n_pend = 0, ok = 0, late = 0, other = 0, to_hole = 0;
    for (int64_t t = 0; t <= 1600; t++) {
        if (t < 300) {
            char cid[16];
            snprintf(cid, sizeof cid, "%d", (int)t);
            call(b, t, cid, 1000);
        }
        for (size_t i = 0; i < n_pend;) {
            if (pend[i].at <= t) {
                worker_reply(b, t, "honest", pend[i].cid, pend[i].dispatch);
                pend[i] = pend[--n_pend];
            } else {
                i++;
            }
        }
        if (t % 100 == 0) {
            heartbeat(b, t, "hole");
            heartbeat(b, t, "honest");
        }
        lede_broker_tick(b, t);
        collect(b);
        for (size_t i = 0; i < n_got; i++) {
            if (got[i].command == LEDE__V1__COMMAND__CALL && strcmp(got[i].to, "honest") == 0) {
                ck_assert_uint_lt(n_pend, 8);
                snprintf(pend[n_pend].cid, sizeof pend[n_pend].cid, "%s",
                         got[i].f.body.call->call_id);
                pend[n_pend].dispatch = got[i].f.body.call->dispatch_id;
                pend[n_pend++].at = t + 1;
            } else if (got[i].command == LEDE__V1__COMMAND__CALL) {
                to_hole++;
            } else if (got[i].command == LEDE__V1__COMMAND__REPLY) {
                int st = got[i].f.body.reply->status;
                ok += st == LEDE__V1__STATUS__OK;
                late += st == LEDE__V1__STATUS__DEADLINE_EXCEEDED;
                other += st != LEDE__V1__STATUS__OK && st != LEDE__V1__STATUS__DEADLINE_EXCEEDED;
            }
        }
    }
    ck_assert_uint_eq(ok + late + other, 300);
    ck_assert_uint_eq(other, 0);
    ck_assert_uint_le(to_hole, 4);
    ck_assert_uint_le(late, 4);
    ck_assert_uint_ge(ok, 296);
    ck_assert_uint_eq(lede_broker_stats(b)->worker_timeouts, late);
    finish(&b);
}
END_TEST

START_TEST(parked_calls_do_not_slow_dispatch)
{
    /* 3.12: 9,000 calls parked for a method whose worker left made every dispatch scan them
     * (Summarize throughput 70.6k -> 6.0k calls/s). The same 20,000 call-reply rounds are
     * timed without and with the parked calls; CPU time, the ratio against this run's own
     * baseline: it was ~100x, it must stay under 3x. */
    double cpu[2];
    for (int parked = 0; parked < 2; parked++) {
        lede_broker_t *b = new_broker(NULL);
        ready_m(b, 0, "gone", 1, 1000, "x.v1.Gone/Do");
        Lede__V1__Disconnect d = LEDE__V1__DISCONNECT__INIT;
        feed(b, 0, LEDE_BROKER_BACKEND, "gone", LEDE__V1__COMMAND__DISCONNECT, &d.base);
        ready(b, 0, "w", 1);
        collect(b);
        char cid[32];
        /* the method is known while calls for it are held; park them before the worker goes */
        if (parked) {
            ready_m(b, 0, "gone", 1, 1000, "x.v1.Gone/Do");
            for (int i = 0; i < 9001; i++) {
                snprintf(cid, sizeof cid, "p%d", i);
                call_m(b, 0, "cl", cid, "x.v1.Gone/Do", 3600000);
            }
            feed(b, 0, LEDE_BROKER_BACKEND, "gone", LEDE__V1__COMMAND__DISCONNECT, &d.base);
            ck_assert_uint_eq(lede_broker_stats(b)->queue_depth, 9001);
        }
        struct lede_broker_action a;
        while (lede_broker_pop(b, &a))
            lede_broker_action_release(&a);
        /* one call in flight (dispatch d0); each round queues one and answers the one in
         * flight, which dispatches the queued one (dispatch ids count up from d0) */
        uint64_t d0 = parked ? 2 : 1, before = lede_broker_stats(b)->dispatches;
        call_m(b, 1, "cl", "first", LEDE_METHOD_SUMMARIZE, 3600000);
        clock_t t0 = clock();
        for (int i = 0; i < 20000; i++) {
            snprintf(cid, sizeof cid, "s%d", i);
            call_m(b, 1, "cl", cid, LEDE_METHOD_SUMMARIZE, 3600000);
            worker_reply(b, 1, "w", "x", d0 + (uint64_t)i);
            while (lede_broker_pop(b, &a))
                lede_broker_action_release(&a);
        }
        cpu[parked] = (double)(clock() - t0) / CLOCKS_PER_SEC;
        ck_assert_uint_eq(lede_broker_stats(b)->dispatches - before, 20001);
        lede_broker_destroy(&b);
    }
    printf("parked_calls_do_not_slow_dispatch: %.3f s without, %.3f s with 9,001 parked (%.2fx)\n",
           cpu[0], cpu[1], cpu[1] / cpu[0]);
    ck_assert_msg(cpu[1] < 3 * cpu[0] + 0.05, "%.3f s vs %.3f s", cpu[1], cpu[0]);
}
END_TEST

START_TEST(method_table_is_not_filled_by_one_worker)
{
    /* 3.14: one worker re-registering with new names filled the 256-name table for good.
     * Names live while a worker serves them or a call for them is held. */
    lede_broker_t *b = new_broker(NULL);
    char names[64][32];
    char *ptrs[64];
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < 64; i++) {
            snprintf(names[i], sizeof names[i], "greedy%d.v1/M%d", round, i);
            ptrs[i] = names[i];
        }
        Lede__V1__Ready r = LEDE__V1__READY__INIT;
        r.methods = ptrs;
        r.n_methods = 64;
        r.capacity = 1;
        r.name = "greedy";
        feed(b, round, LEDE_BROKER_BACKEND, "greedy", LEDE__V1__COMMAND__READY, &r.base);
    }
    ready_m(b, 10, "late", 1, 1000, "late.v1.Service/Do");
    collect(b);
    call_m(b, 11, "cl", "c1", "late.v1.Service/Do", 0);
    call_m(b, 11, "cl", "c2", "greedy7.v1/M3", 0);
    call_m(b, 11, "cl", "c3", "greedy0.v1/M3", 0); /* no longer served: forgotten */
    collect(b);
    ck_assert_ptr_nonnull(call_to("late", "c1"));
    ck_assert_ptr_nonnull(call_to("greedy", "c2"));
    ck_assert_int_eq(reply_for("c3")->status, LEDE__V1__STATUS__UNIMPLEMENTED);
    finish(&b);
}
END_TEST

START_TEST(strings_out_are_utf8)
{
    /* 3.7: the worker's name (cut to 127 bytes) and the unknown-method message (the method cut
     * to 200 bytes) were cut inside a character, and a worker's invalid bytes went out as they
     * came: a strict proto3 client could not parse the reply. */
    lede_broker_t *b = new_broker(NULL);
    char name[300];
    memset(name, 'a', 126);
    strcpy(name + 126, "\xc3\xa9\xff tail"); /* 'é' across the cut, then an invalid byte */
    Lede__V1__Ready rd = LEDE__V1__READY__INIT;
    rd.capacity = 1;
    rd.name = name;
    feed(b, 0, LEDE_BROKER_BACKEND, "wu", LEDE__V1__COMMAND__READY, &rd.base);
    collect(b);
    call(b, 1, "c1", 0);
    collect(b);
    Lede__V1__Call *sent = call_to(NULL, "c1");
    ck_assert_ptr_nonnull(sent);
    worker_reply(b, 2, "wu", "c1", sent->dispatch_id);
    collect(b);
    Lede__V1__Reply *r = reply_for("c1");
    ck_assert_ptr_nonnull(r);
    ck_assert(lede_utf8_valid(r->served_by, strlen(r->served_by), NULL));
    ck_assert_uint_ge(strlen(r->served_by), 126);
    /* a method of 'a' then 150 'é': the 200-byte cut falls inside one */
    char method[400] = "a";
    for (int i = 0; i < 150; i++)
        strcat(method, "\xc3\xa9");
    call_m(b, 3, "cl", "c2", method, 0);
    collect(b);
    r = reply_for("c2");
    ck_assert_int_eq(r->status, LEDE__V1__STATUS__UNIMPLEMENTED);
    ck_assert(lede_utf8_valid(r->message, strlen(r->message), NULL));
    /* a worker's reply with invalid UTF-8 in served_by and message is cleaned on the way */
    call(b, 4, "c3", 0);
    collect(b);
    sent = call_to(NULL, "c3");
    Lede__V1__Reply wr = LEDE__V1__REPLY__INIT;
    wr.call_id = "c3";
    wr.status = LEDE__V1__STATUS__INTERNAL;
    wr.message = "bad \xe2\x82 bytes \xff";
    wr.served_by = "w\xc0\xaf";
    wr.dispatch_id = sent->dispatch_id;
    feed(b, 5, LEDE_BROKER_BACKEND, "wu", LEDE__V1__COMMAND__REPLY, &wr.base);
    collect(b);
    r = reply_for("c3");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->status, LEDE__V1__STATUS__INTERNAL);
    ck_assert(lede_utf8_valid(r->message, strlen(r->message), NULL));
    ck_assert(lede_utf8_valid(r->served_by, strlen(r->served_by), NULL));
    ck_assert_ptr_nonnull(strstr(r->message, "bytes"));
    finish(&b);
}
END_TEST

START_TEST(replies_carry_the_calls_connection)
{
    /* 3.9: every reply to a call is an action tagged with the connection the call came on, so
     * the socket loop can drop it if that connection closed (a new peer may hold the id) */
    lede_broker_t *b = new_broker(NULL);
    ready(b, 0, "w", 1);
    collect(b);
    Lede__V1__Call c = LEDE__V1__CALL__INIT;
    c.call_id = "k1";
    c.method = LEDE_METHOD_SUMMARIZE;
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__CALL, &c.base, &buf, &len), LEDE_OK);
    ck_assert_int_eq(lede_broker_on_frame_from(b, 1, LEDE_BROKER_FRONTEND, "cl", 2, 77, buf, len),
                     LEDE_OK);
    c.call_id = "k2";
    free(buf);
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__CALL, &c.base, &buf, &len), LEDE_OK);
    ck_assert_int_eq(lede_broker_on_frame_from(b, 1, LEDE_BROKER_FRONTEND, "cl", 2, 78, buf, len),
                     LEDE_OK);
    free(buf);
    struct lede_broker_action a;
    uint64_t dispatch = 0;
    while (lede_broker_pop(b, &a)) {
        struct lede_wire_frame f;
        ck_assert_int_eq(lede_wire_decode(a.frame, a.frame_len, 0, &f, NULL), LEDE_OK);
        dispatch = f.body.call->dispatch_id;
        lede_wire_frame_release(&f);
        lede_broker_action_release(&a);
    }
    worker_reply(b, 2, "w", "k1", dispatch); /* k1 answered by the worker */
    lede_broker_tick(b, 40000);              /* k2 expires in the queue */
    int seen = 0;
    while (lede_broker_pop(b, &a)) {
        if (a.sock == LEDE_BROKER_FRONTEND) {
            struct lede_wire_frame f;
            ck_assert_int_eq(lede_wire_decode(a.frame, a.frame_len, 0, &f, NULL), LEDE_OK);
            ck_assert_uint_eq(a.conn, strcmp(f.body.reply->call_id, "k1") == 0 ? 77 : 78);
            seen++;
            lede_wire_frame_release(&f);
        }
        lede_broker_action_release(&a);
    }
    ck_assert_int_eq(seen, 2);
    finish(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("broker");
    TCase *tc = tcase_create("state machine");
    tcase_add_test(tc, credit_never_exceeded);
    tcase_add_test(tc, no_worker_fails_fast_without_wait_for_ready);
    tcase_add_test(tc, credit_per_worker_with_other_methods_free);
    tcase_add_test(tc, least_loaded_choice);
    tcase_add_test(tc, heartbeat_expiry_redispatches_at_front);
    tcase_add_test(tc, worker_heartbeat_interval_is_its_own);
    tcase_add_test(tc, deadline_while_queued);
    tcase_add_test(tc, deadline_in_flight);
    tcase_add_test(tc, timeout_is_time_left_and_default);
    tcase_add_test(tc, queue_bound_resource_exhausted);
    tcase_add_test(tc, methods_known_and_unknown);
    tcase_add_test(tc, stats_method);
    tcase_add_test(tc, malformed_client_frames_counted_and_answered);
    tcase_add_test(tc, wrong_version_message_names_both);
    tcase_add_test(tc, malformed_worker_frames);
    tcase_add_test(tc, oversized_call_answered_with_its_id);
    tcase_add_test(tc, oversized_worker_reply_answered);
    tcase_add_test(tc, max_attempts_then_unavailable);
    tcase_add_test(tc, re_ready_requeues_and_unknown_worker_registers);
    tcase_add_test(tc, redispatch_while_the_first_frame_is_held);
    tcase_add_test(tc, client_unreachable_is_counted);
    tcase_add_test(tc, drain_finishes_in_flight);
    tcase_add_test(tc, drain_time_runs_out);
    tcase_add_test(tc, every_call_gets_exactly_one_reply);
    tcase_add_test(tc, random_frames_never_crash);
    tcase_add_test(tc, stamped_call_stays_within_the_limit);
    tcase_add_test(tc, oversized_call_is_not_decoded);
    tcase_add_test(tc, silent_worker_loses_its_credit);
    tcase_add_test(tc, parked_calls_do_not_slow_dispatch);
    tcase_add_test(tc, method_table_is_not_filled_by_one_worker);
    tcase_add_test(tc, strings_out_are_utf8);
    tcase_add_test(tc, replies_carry_the_calls_connection);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
