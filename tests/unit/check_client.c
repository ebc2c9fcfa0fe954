/* check_client.c: liblede-client against fake brokers (ROUTER sockets this test drives on
 * 127.0.0.1 ports the kernel picks): replies matched by call id, duplicates dropped, retry on
 * UNAVAILABLE, failover from a silent broker and from a dead endpoint, deadlines, bad options,
 * response decoding, and SummarizeBatch (an answer per item, resend, a short reply, the fallback
 * to Summarize calls). Single-threaded: the test alternates the fake broker and the client. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <lede/client.h>
#include "wire.h"

static void *ctx;

struct fake {
    void *sock;
    char endpoint[128];
};

static void fake_open(struct fake *f)
{
    f->sock = zmq_socket(ctx, ZMQ_ROUTER);
    ck_assert_ptr_nonnull(f->sock);
    int zero = 0;
    zmq_setsockopt(f->sock, ZMQ_LINGER, &zero, sizeof zero);
    ck_assert_int_eq(zmq_bind(f->sock, "tcp://127.0.0.1:*"), 0);
    size_t len = sizeof f->endpoint;
    ck_assert_int_eq(zmq_getsockopt(f->sock, ZMQ_LAST_ENDPOINT, f->endpoint, &len), 0);
}

static void fake_close(struct fake *f)
{
    zmq_close(f->sock);
}

/* Waits (polling the client meanwhile) for one CALL at the fake; returns it (caller frees)
 * and the peer identity in id/id_len. NULL on timeout. */
static Lede__V1__Call *fake_recv(struct fake *f, lede_client_t *c, int timeout_ms, uint8_t *id,
                                 size_t *id_len)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        zmq_pollitem_t it = {.socket = f->sock, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, 0) == 1) {
            int n = zmq_recv(f->sock, id, 256, 0);
            ck_assert_int_gt(n, 0);
            *id_len = (size_t)n;
            uint8_t buf[65536];
            int m = zmq_recv(f->sock, buf, sizeof buf, 0);
            ck_assert_int_gt(m, 6);
            struct lede_wire_frame fr;
            ck_assert_int_eq(lede_wire_decode(buf, (size_t)m, 0, &fr, NULL), LEDE_OK);
            ck_assert_int_eq(fr.command, LEDE__V1__COMMAND__CALL);
            Lede__V1__Call *call = fr.body.call;
            fr.body.base = NULL;
            return call;
        }
        lede_client_poll(c, 10);
    }
    return NULL;
}

static void fake_reply_by(struct fake *f, const uint8_t *id, size_t id_len, const char *call_id,
                          int status, const uint8_t *payload, size_t len, const char *served_by)
{
    Lede__V1__Reply r = LEDE__V1__REPLY__INIT;
    r.call_id = (char *)call_id;
    r.status = (Lede__V1__Status)status;
    r.message = (char *)(status ? "fake says no" : "");
    r.payload.data = (uint8_t *)payload;
    r.payload.len = len;
    r.served_by = (char *)served_by;
    uint8_t *buf = NULL;
    size_t n = 0;
    ck_assert_int_eq(lede_wire_encode(LEDE__V1__COMMAND__REPLY, &r.base, &buf, &n), LEDE_OK);
    zmq_send(f->sock, id, id_len, ZMQ_SNDMORE);
    zmq_send(f->sock, buf, n, 0);
    free(buf);
}

static void fake_reply(struct fake *f, const uint8_t *id, size_t id_len, const char *call_id,
                       int status, const uint8_t *payload, size_t len)
{
    fake_reply_by(f, id, id_len, call_id, status, payload, len, "fake");
}

/* A SummarizeResponse of two sentences from body "One. Two." */
static uint8_t *make_response(size_t *len)
{
    static const char body[] = "One. Two.";
    Lede__V1__FeatureScores fs = LEDE__V1__FEATURE_SCORES__INIT;
    fs.position = 0.5;
    fs.term = 0.25;
    Lede__V1__Sentence s[2] = {LEDE__V1__SENTENCE__INIT, LEDE__V1__SENTENCE__INIT};
    Lede__V1__Sentence *sp[2] = {&s[0], &s[1]};
    for (int i = 0; i < 2; i++) {
        s[i].index = (uint32_t)i;
        s[i].rank = (uint32_t)i + 1;
        s[i].score = 1.0 / (i + 1);
        s[i].features = &fs;
        s[i].offset = i ? 5 : 0;
        s[i].length = 4;
        s[i].duplicate_of = -1;
        s[i].selected = i == 0;
        s[i].text.data = (uint8_t *)(uintptr_t)(body + s[i].offset);
        s[i].text.len = 4;
    }
    uint32_t summary[1] = {0};
    Lede__V1__SummarizeResponse m = LEDE__V1__SUMMARIZE_RESPONSE__INIT;
    m.article_id = (char *)"a1";
    m.n_summary = 1;
    m.summary = summary;
    m.n_sentences = 2;
    m.sentences = sp;
    m.engine_version = (char *)"test";
    m.language = (char *)"en";
    m.sentence_count = 2;
    *len = lede__v1__summarize_response__get_packed_size(&m);
    uint8_t *buf = malloc(*len);
    lede__v1__summarize_response__pack(&m, buf);
    return buf;
}

struct got {
    int n;
    int status;
    unsigned attempts;
    char broker[128];
    char message[200];
};

static void on_reply(void *arg, const struct lede_client_reply *r)
{
    struct got *g = arg;
    g->n++;
    g->status = r->status;
    g->attempts = r->attempts;
    snprintf(g->broker, sizeof g->broker, "%s", r->broker ? r->broker : "");
    snprintf(g->message, sizeof g->message, "%s", r->message);
}

static lede_client_t *client_for(const char *endpoints, int silence_ms)
{
    struct lede_client_options o;
    lede_client_options_init(&o);
    o.silence_ms = silence_ms;
    o.retry_ms = 10;
    o.deadline_ms = 3000;
    lede_client_t *c = NULL;
    char err[200];
    ck_assert_int_eq(lede_client_new(endpoints, &o, &c, err, sizeof err), LEDE_OK);
    return c;
}

static void submit(lede_client_t *c, struct got *g, int deadline_ms)
{
    struct lede_client_request rq = {.body = "One. Two.",
                                     .body_len = 9,
                                     .budget = LEDE_CLIENT_BUDGET_SENTENCES,
                                     .budget_value = 1,
                                     .deadline_ms = deadline_ms,
                                     .trace_id = "t-1"};
    ck_assert_int_eq(lede_client_summarize_submit(c, &rq, on_reply, g, NULL), LEDE_OK);
}

static void poll_until(lede_client_t *c, struct got *g, int n, int timeout_ms)
{
    for (int waited = 0; g->n < n && waited < timeout_ms; waited += 10)
        lede_client_poll(c, 10);
}

/* One Summarize call submitted (replies to g); returns the CALL the fake broker received for
 * it (id: the client's routing id). */
static Lede__V1__Call *send_one(struct fake *f, lede_client_t *c, struct got *g, uint8_t *id,
                                size_t *id_len)
{
    submit(c, g, 0);
    Lede__V1__Call *call = fake_recv(f, c, 3000, id, id_len);
    ck_assert_ptr_nonnull(call);
    return call;
}

START_TEST(test_reply_and_duplicate)
{
    struct fake f;
    fake_open(&f);
    lede_client_t *c = client_for(f.endpoint, 1000);
    struct got g = {0};
    uint8_t id[256];
    size_t id_len = 0;
    Lede__V1__Call *call = send_one(&f, c, &g, id, &id_len);
    ck_assert_str_eq(call->method, LEDE_METHOD_SUMMARIZE);
    ck_assert_uint_gt(call->timeout_ms, 2000);
    ck_assert_uint_le(call->timeout_ms, 3000);
    ck_assert_uint_eq(call->n_metadata, 1);
    ck_assert_str_eq(call->metadata[0]->key, "trace-id");
    size_t len;
    uint8_t *resp = make_response(&len);
    fake_reply(&f, id, id_len, "not-a-call-of-ours", 0, resp, len);
    fake_reply(&f, id, id_len, call->call_id, 0, resp, len);
    fake_reply(&f, id, id_len, call->call_id, 0, resp, len);
    poll_until(c, &g, 1, 2000);
    struct lede_client_stats st;
    lede_client_stats(c, &st);
    for (int i = 0; i < 200 && st.duplicates < 2; i++) {
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
        lede_client_poll(c, 0);
        lede_client_stats(c, &st);
    }
    ck_assert_int_eq(g.n, 1);
    ck_assert_int_eq(g.status, 0);
    ck_assert_uint_eq(g.attempts, 1);
    ck_assert_uint_eq(st.duplicates, 2); /* one unknown id, one second reply */
    ck_assert_uint_eq(lede_client_in_flight(c), 0);
    free(resp);
    protobuf_c_message_free_unpacked(&call->base, NULL);
    lede_client_destroy(&c);
    ck_assert_ptr_null(c);
    fake_close(&f);
}
END_TEST

START_TEST(test_retry_unavailable)
{
    struct fake f;
    fake_open(&f);
    lede_client_t *c = client_for(f.endpoint, 1000);
    struct got g = {0};
    uint8_t id[256];
    size_t id_len = 0;
    Lede__V1__Call *call = send_one(&f, c, &g, id, &id_len);
    fake_reply(&f, id, id_len, call->call_id, LEDE__V1__STATUS__UNAVAILABLE, NULL, 0);
    Lede__V1__Call *again = fake_recv(&f, c, 3000, id, &id_len);
    ck_assert_ptr_nonnull(again);
    ck_assert_str_eq(again->call_id, call->call_id); /* the same call id on a resend */
    ck_assert_int_eq(g.n, 0);
    fake_reply(&f, id, id_len, again->call_id, LEDE__V1__STATUS__INVALID_ARGUMENT, NULL, 0);
    poll_until(c, &g, 1, 2000);
    ck_assert_int_eq(g.n, 1);
    ck_assert_int_eq(g.status, LEDE__V1__STATUS__INVALID_ARGUMENT); /* not retried */
    ck_assert_str_eq(g.message, "fake says no");
    ck_assert_uint_eq(g.attempts, 2);
    protobuf_c_message_free_unpacked(&call->base, NULL);
    protobuf_c_message_free_unpacked(&again->base, NULL);
    lede_client_destroy(&c);
    fake_close(&f);
}
END_TEST

START_TEST(test_failover_silent_broker)
{
    struct fake a, b;
    fake_open(&a);
    fake_open(&b);
    char eps[300];
    snprintf(eps, sizeof eps, "%s,%s", a.endpoint, b.endpoint);
    lede_client_t *c = client_for(
        eps, 600); /* not shorter: an ASan build on a loaded machine can stall 200 ms between the
                      fake receiving and replying, and a second resend would follow */
    /* connections are made lazily: give them a moment so the first call goes to a */
    for (int i = 0; i < 20; i++)
        lede_client_poll(c, 5);
    struct got g = {0};
    submit(c, &g, 0);
    uint8_t id[256], idb[256];
    size_t id_len = 0, idb_len = 0;
    struct fake *first = &a, *second = &b;
    Lede__V1__Call *call = NULL;
    for (int waited = 0; !call && waited < 3000; waited += 10) {
        zmq_pollitem_t its[2] = {{.socket = a.sock, .events = ZMQ_POLLIN},
                                 {.socket = b.sock, .events = ZMQ_POLLIN}};
        zmq_poll(its, 2, 0);
        if (its[1].revents) {
            first = &b;
            second = &a;
        }
        if (its[0].revents || its[1].revents)
            call = fake_recv(first, c, 10, id, &id_len);
        else
            lede_client_poll(c, 10);
    }
    ck_assert_ptr_nonnull(call);
    /* the first broker stays silent: the client re-sends to the other one */
    Lede__V1__Call *again = fake_recv(second, c, 3000, idb, &idb_len);
    ck_assert_ptr_nonnull(again);
    ck_assert_str_eq(again->call_id, call->call_id);
    size_t len;
    uint8_t *resp = make_response(&len);
    fake_reply(second, idb, idb_len, again->call_id, 0, resp, len);
    poll_until(c, &g, 1, 2000);
    ck_assert_int_eq(g.n, 1);
    ck_assert_int_eq(g.status, 0);
    ck_assert_str_eq(g.broker, second->endpoint);
    /* the silent one answers late: dropped as a duplicate */
    fake_reply(first, id, id_len, call->call_id, 0, resp, len);
    struct lede_client_stats st;
    lede_client_stats(c, &st);
    for (int i = 0; i < 200 && st.duplicates == 0; i++) {
        /* with nothing in flight, poll does not wait: sleep between looks */
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
        lede_client_poll(c, 0);
        lede_client_stats(c, &st);
    }
    ck_assert_int_eq(g.n, 1);
    ck_assert_uint_eq(st.duplicates, 1);
    ck_assert_uint_eq(st.resent, 1);
    free(resp);
    protobuf_c_message_free_unpacked(&call->base, NULL);
    protobuf_c_message_free_unpacked(&again->base, NULL);
    lede_client_destroy(&c);
    fake_close(&a);
    fake_close(&b);
}
END_TEST

/* The only broker, connected, holds a call for many times silence_ms without a word (its
 * worker is slow): the call is not sent to it again (each copy would be more work for it), and
 * its late answer completes the call. */
/* Within wait_ms no second copy of call reaches the fake and none is counted re-sent; then the
 * fake answers and the client reports the call once, OK, at its first attempt. Frees call. */
static void expect_one_copy(struct fake *f, lede_client_t *c, struct got *g, Lede__V1__Call *call,
                            const uint8_t *id, size_t id_len, int wait_ms)
{
    uint8_t id2[256];
    size_t id2_len = 0;
    ck_assert_ptr_null(fake_recv(f, c, wait_ms, id2, &id2_len));
    struct lede_client_stats st;
    lede_client_stats(c, &st);
    ck_assert_uint_eq(st.resent, 0);
    ck_assert_int_eq(g->n, 0);
    size_t len;
    uint8_t *resp = make_response(&len);
    fake_reply(f, id, id_len, call->call_id, 0, resp, len);
    poll_until(c, g, 1, 2000);
    ck_assert_int_eq(g->n, 1);
    ck_assert_int_eq(g->status, 0);
    ck_assert_uint_eq(g->attempts, 1);
    free(resp);
    protobuf_c_message_free_unpacked(&call->base, NULL);
}

START_TEST(test_quiet_single_broker_no_resend)
{
    struct fake f;
    fake_open(&f);
    lede_client_t *c = client_for(f.endpoint, 200);
    struct got g = {0};
    uint8_t id[256];
    size_t id_len = 0;
    Lede__V1__Call *call = send_one(&f, c, &g, id, &id_len);
    /* 1.5 s = 7.5 silences and past the 4-silence "stale" mark: no second copy */
    expect_one_copy(&f, c, &g, call, id, id_len, 1500);
    lede_client_destroy(&c);
    fake_close(&f);
}
END_TEST

/* A client busy for longer than the silence right after it connected (lede --jsonl packing
 * 4 MiB articles) has not read its socket monitor: the link is neither up nor down as far as it
 * knows. A call it sent over the connected pipe is not sent to the only broker again then. */
START_TEST(test_unpolled_link_no_resend)
{
    struct fake f;
    fake_open(&f);
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    ck_assert_ptr_nonnull(mon);
    ck_assert_int_eq(zmq_socket_monitor(f.sock, "inproc://fake-mon", ZMQ_EVENT_HANDSHAKE_SUCCEEDED),
                     0);
    ck_assert_int_eq(zmq_connect(mon, "inproc://fake-mon"), 0);
    lede_client_t *c = client_for(f.endpoint, 200);
    /* the fake's side of the handshake, then a moment for the client's: never polled */
    zmq_pollitem_t mi = {.socket = mon, .events = ZMQ_POLLIN};
    ck_assert_int_eq(zmq_poll(&mi, 1, 3000), 1);
    nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
    struct got g = {0};
    submit(c, &g, 0);
    zmq_pollitem_t fi = {.socket = f.sock, .events = ZMQ_POLLIN};
    ck_assert_int_eq(zmq_poll(&fi, 1, 2000), 1);
    uint8_t id[256];
    size_t id_len = 0;
    Lede__V1__Call *call = fake_recv(&f, NULL, 10, id, &id_len);
    ck_assert_ptr_nonnull(call);
    nanosleep(&(struct timespec){0, 500 * 1000000L}, NULL); /* 2.5 silences, no poll */
    expect_one_copy(&f, c, &g, call, id, id_len, 800);
    lede_client_destroy(&c);
    zmq_close(mon);
    fake_close(&f);
}
END_TEST

START_TEST(test_dead_endpoint_and_deadline)
{
    struct fake live;
    /* A port bound but never listened on: connecting is refused, and no other process (tests
     * run in parallel) can take the port meanwhile, as it could a closed socket's. */
    int hold = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(hold, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(hold, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(getsockname(hold, (struct sockaddr *)&sa, &sl), 0);
    char dead_ep[128];
    snprintf(dead_ep, sizeof dead_ep, "tcp://127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    fake_open(&live);
    char eps[300];
    snprintf(eps, sizeof eps, "%s,%s", dead_ep, live.endpoint);
    lede_client_t *c = client_for(eps, 5000);
    struct got g = {0};
    submit(c, &g, 0);
    uint8_t id[256];
    size_t id_len = 0;
    /* well before silence_ms: a dead endpoint takes no call (ZMQ_IMMEDIATE) */
    Lede__V1__Call *call = fake_recv(&live, c, 4000, id, &id_len);
    if (!call) {
        struct lede_client_stats st;
        lede_client_stats(c, &st);
        fprintf(stderr, "dead=%s live=%s in_flight=%zu submitted=%llu completed=%llu resent=%llu\n",
                dead_ep, live.endpoint, lede_client_in_flight(c), (unsigned long long)st.submitted,
                (unsigned long long)st.completed, (unsigned long long)st.resent);
    }
    ck_assert_ptr_nonnull(call);
    protobuf_c_message_free_unpacked(&call->base, NULL);
    /* nobody answers: DEADLINE_EXCEEDED from the client itself, near the deadline */
    struct got g2 = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    submit(c, &g2, 300);
    poll_until(c, &g2, 1, 3000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    ck_assert_int_eq(g2.n, 1);
    ck_assert_int_eq(g2.status, LEDE__V1__STATUS__DEADLINE_EXCEEDED);
    ck_assert_msg(ms >= 300 && ms < 1500, "deadline fired after %.0f ms", ms);
    ck_assert_str_eq(g2.broker, "");
    lede_client_destroy(&c); /* the first call is still in flight: dropped, no callback */
    ck_assert_int_eq(g.n, 0);
    fake_close(&live);
    close(hold);
}
END_TEST

START_TEST(test_bad_options_and_decode)
{
    lede_client_t *c = NULL;
    char err[200] = "";
    ck_assert_int_eq(lede_client_new("", NULL, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_int_eq(lede_client_new(" , ", NULL, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_int_eq(lede_client_new("nonsense://x", NULL, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_ptr_null(c);
    struct lede_client_options o;
    lede_client_options_init(&o);
    o.curve_secret_file = "/nonexistent";
    ck_assert_int_eq(lede_client_new("tcp://127.0.0.1:1", &o, &c, err, sizeof err), LEDE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "CURVE"));
    lede_client_options_init(&o);
    o.max_in_flight = 1;
    ck_assert_int_eq(lede_client_new("tcp://127.0.0.1:1", &o, &c, err, sizeof err), LEDE_OK);
    struct got g = {0};
    struct lede_client_request rq = {.body = "x", .body_len = 1};
    ck_assert_int_eq(lede_client_summarize_submit(c, &rq, on_reply, &g, NULL), LEDE_OK);
    ck_assert_int_eq(lede_client_summarize_submit(c, &rq, on_reply, &g, NULL),
                     LEDE_EAGAIN); /* busy, not too big */
    rq.budget = (enum lede_client_budget)99;
    ck_assert_int_eq(lede_client_summarize_submit(c, &rq, on_reply, &g, NULL), LEDE_EINVAL);
    /* the engine's budget rule (budget.c), before anything is sent: 2.7 sentences is refused as
     * it is in-process, not cut to 2; a valid budget gets as far as the full window (busy:
     * LEDE_EAGAIN) */
    const struct {
        enum lede_client_budget kind;
        double v;
        int want;
    } budgets[] = {
        {LEDE_CLIENT_BUDGET_SENTENCES, 2.7, LEDE_EINVAL},
        {LEDE_CLIENT_BUDGET_WORDS, 0, LEDE_EINVAL},
        {LEDE_CLIENT_BUDGET_CHARS, 2e9, LEDE_EINVAL},
        {LEDE_CLIENT_BUDGET_RATIO, 1.5, LEDE_EINVAL},
        {LEDE_CLIENT_BUDGET_RATIO, 0, LEDE_EINVAL},
        {LEDE_CLIENT_BUDGET_SENTENCES, 3, LEDE_EAGAIN},
        {LEDE_CLIENT_BUDGET_RATIO, 0.5, LEDE_EAGAIN},
    };
    for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; i++) {
        rq.budget = budgets[i].kind;
        rq.budget_value = budgets[i].v;
        ck_assert_int_eq(lede_client_summarize_submit(c, &rq, on_reply, &g, NULL), budgets[i].want);
    }
    lede_client_destroy(&c);

    struct lede_client_response *r = NULL;
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    ck_assert_int_eq(lede_client_response_decode(junk, sizeof junk, &r), LEDE_EPROTO);
    ck_assert_ptr_null(r);
    size_t len;
    uint8_t *resp = make_response(&len);
    ck_assert_int_eq(lede_client_response_decode(resp, len, &r), LEDE_OK);
    ck_assert_uint_eq(r->n_sentences, 2);
    ck_assert_str_eq(r->sentences[1].text, "Two.");
    ck_assert_uint_eq(r->n_summary, 1);
    ck_assert(r->sentences[0].selected);
    ck_assert_double_eq(r->sentences[1].features[LEDE_CLIENT_F_TERM], 0.25);
    lede_client_response_destroy(&r);
    ck_assert_ptr_null(r);
    free(resp);
    ck_assert_str_eq(lede_client_status_name(4), "DEADLINE_EXCEEDED");
    ck_assert_str_eq(lede_client_status_name(99), "UNKNOWN");
}
END_TEST

/* ---- SummarizeBatch ---- */

struct item_got {
    int n, status;
    char message[200];
    size_t payload_len;
};

static void on_item(void *arg, const struct lede_client_reply *r)
{
    struct item_got *g = arg;
    g->n++;
    g->status = r->status;
    g->payload_len = r->payload_len;
    snprintf(g->message, sizeof g->message, "%s", r->message);
}

/* Three packed requests of bodies "A.", "BB." and "CCC." in items, their contexts got[]. */
static void batch_items(struct lede_client_batch_item *items, struct item_got *got)
{
    static const char *const bodies[] = {"A.", "BB.", "CCC."};
    for (int i = 0; i < 3; i++) {
        struct lede_client_request rq = {.body = bodies[i], .body_len = strlen(bodies[i])};
        uint8_t *p;
        size_t len;
        ck_assert_int_eq(lede_client_summarize_pack(&rq, 0, &p, &len), LEDE_OK);
        items[i] = (struct lede_client_batch_item){p, len, &got[i]};
        memset(&got[i], 0, sizeof got[i]);
    }
}

static void items_free(struct lede_client_batch_item *items)
{
    for (int i = 0; i < 3; i++)
        free((void *)(uintptr_t)items[i].payload);
}

static void poll_items(lede_client_t *c, struct item_got *got, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms && !(got[0].n && got[1].n && got[2].n); waited += 10)
        lede_client_poll(c, 10);
}

/* Fresh items (batch_items) sent in one lede_client_summarize_batch; returns the CALL the fake
 * broker received for them, checked to be a SummarizeBatch (id: the client's routing id). */
static Lede__V1__Call *send_batch(struct fake *f, lede_client_t *c,
                                  struct lede_client_batch_item *items, struct item_got *got,
                                  uint8_t *id, size_t *id_len)
{
    batch_items(items, got);
    ck_assert_int_eq(lede_client_summarize_batch(c, items, 3, 0, NULL, 0, on_item), LEDE_OK);
    Lede__V1__Call *call = fake_recv(f, c, 3000, id, id_len);
    ck_assert_ptr_nonnull(call);
    ck_assert_str_eq(call->method, LEDE_METHOD_SUMMARIZE_BATCH);
    return call;
}

/* Answers a CALL of method SummarizeBatch with the given items. */
static void reply_items(struct fake *f, const uint8_t *id, size_t id_len,
                        const Lede__V1__Call *call, Lede__V1__BatchItem **items, size_t n)
{
    Lede__V1__SummarizeBatchResponse m = LEDE__V1__SUMMARIZE_BATCH_RESPONSE__INIT;
    m.n_items = n;
    m.items = items;
    size_t len = lede__v1__summarize_batch_response__get_packed_size(&m);
    uint8_t *buf = malloc(len ? len : 1);
    len = lede__v1__summarize_batch_response__pack(&m, buf);
    fake_reply(f, id, id_len, call->call_id, 0, buf, len);
    free(buf);
}

START_TEST(test_batch_items_and_resend)
{
    struct fake f;
    fake_open(&f);
    lede_client_t *c = client_for(f.endpoint, 1000);
    struct lede_client_batch_item items[3];
    struct item_got got[3];
    uint8_t id[256];
    size_t id_len = 0;
    Lede__V1__Call *call = send_batch(&f, c, items, got, id, &id_len);
    /* three articles: three times the per-article deadline (3000 ms) */
    ck_assert_uint_gt(call->timeout_ms, 8000);
    ck_assert_uint_le(call->timeout_ms, 9000);
    Lede__V1__SummarizeBatchRequest *br =
        lede__v1__summarize_batch_request__unpack(NULL, call->payload.len, call->payload.data);
    ck_assert_ptr_nonnull(br);
    ck_assert_uint_eq(br->n_requests, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(br->requests[i].len, items[i].len);
        ck_assert_mem_eq(br->requests[i].data, items[i].payload, items[i].len);
    }
    protobuf_c_message_free_unpacked(&br->base, NULL);
    /* item 0 OK, item 1 refused, item 2 did not fit: resent alone */
    size_t rlen;
    uint8_t *resp = make_response(&rlen);
    Lede__V1__BatchItem it[3] = {LEDE__V1__BATCH_ITEM__INIT, LEDE__V1__BATCH_ITEM__INIT,
                                 LEDE__V1__BATCH_ITEM__INIT};
    Lede__V1__BatchItem *itp[3] = {&it[0], &it[1], &it[2]};
    it[0].response.data = resp;
    it[0].response.len = rlen;
    it[1].status = LEDE__V1__STATUS__INVALID_ARGUMENT;
    it[1].message = (char *)"no sentence fits in 1 words";
    it[2].resend = 1;
    reply_items(&f, id, id_len, call, itp, 3);
    Lede__V1__Call *alone = fake_recv(&f, c, 3000, id, &id_len);
    ck_assert_ptr_nonnull(alone);
    ck_assert_str_eq(alone->method, LEDE_METHOD_SUMMARIZE);
    ck_assert_uint_eq(alone->payload.len, items[2].len);
    ck_assert_mem_eq(alone->payload.data, items[2].payload, items[2].len);
    ck_assert_uint_le(alone->timeout_ms, 3000); /* its own deadline again */
    ck_assert_int_eq(got[0].n, 1);
    ck_assert_int_eq(got[0].status, 0);
    ck_assert_uint_eq(got[0].payload_len, rlen);
    ck_assert_int_eq(got[1].n, 1);
    ck_assert_int_eq(got[1].status, LEDE__V1__STATUS__INVALID_ARGUMENT);
    ck_assert_str_eq(got[1].message, "no sentence fits in 1 words");
    ck_assert_int_eq(got[2].n, 0);
    fake_reply(&f, id, id_len, alone->call_id, 0, resp, rlen);
    poll_items(c, got, 2000);
    ck_assert_int_eq(got[2].n, 1);
    ck_assert_int_eq(got[2].status, 0);
    protobuf_c_message_free_unpacked(&alone->base, NULL);

    /* a reply that does not answer every item: each article fails DATA_LOSS, once */
    items_free(items);
    protobuf_c_message_free_unpacked(&call->base, NULL);
    call = send_batch(&f, c, items, got, id, &id_len);
    reply_items(&f, id, id_len, call, itp, 2);
    poll_items(c, got, 2000);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(got[i].n, 1);
        ck_assert_int_eq(got[i].status, LEDE__V1__STATUS__DATA_LOSS);
    }
    ck_assert_uint_eq(lede_client_in_flight(c), 0);
    protobuf_c_message_free_unpacked(&call->base, NULL);
    items_free(items);
    free(resp);
    lede_client_destroy(&c);
    fake_close(&f);
}
END_TEST

START_TEST(test_batch_fallback)
{
    struct fake f;
    fake_open(&f);
    lede_client_t *c = client_for(f.endpoint, 1000);
    struct lede_client_batch_item items[3];
    struct item_got got[3];
    uint8_t id[256];
    size_t id_len = 0;
    Lede__V1__Call *call = send_batch(&f, c, items, got, id, &id_len);
    /* the broker has no worker for the method: the articles go one call each */
    fake_reply_by(&f, id, id_len, call->call_id, LEDE__V1__STATUS__UNAVAILABLE, NULL, 0, "broker");
    size_t rlen;
    uint8_t *resp = make_response(&rlen);
    for (int i = 0; i < 3; i++) {
        Lede__V1__Call *one = fake_recv(&f, c, 3000, id, &id_len);
        ck_assert_ptr_nonnull(one);
        ck_assert_str_eq(one->method, LEDE_METHOD_SUMMARIZE);
        ck_assert_mem_eq(one->payload.data, items[i].payload, items[i].len);
        fake_reply(&f, id, id_len, one->call_id, 0, resp, rlen);
        protobuf_c_message_free_unpacked(&one->base, NULL);
    }
    poll_items(c, got, 2000);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(got[i].n, 1);
        ck_assert_int_eq(got[i].status, 0);
    }
    /* and the next batch is sent as Summarize calls at once */
    protobuf_c_message_free_unpacked(&call->base, NULL);
    items_free(items);
    batch_items(items, got);
    ck_assert_int_eq(lede_client_summarize_batch(c, items, 3, 0, NULL, 0, on_item), LEDE_OK);
    for (int i = 0; i < 3; i++) {
        Lede__V1__Call *one = fake_recv(&f, c, 3000, id, &id_len);
        ck_assert_ptr_nonnull(one);
        ck_assert_str_eq(one->method, LEDE_METHOD_SUMMARIZE);
        fake_reply(&f, id, id_len, one->call_id, LEDE__V1__STATUS__UNIMPLEMENTED, NULL, 0);
        protobuf_c_message_free_unpacked(&one->base, NULL);
    }
    poll_items(c, got, 2000);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(got[i].status, LEDE__V1__STATUS__UNIMPLEMENTED); /* not batched again */
    ck_assert_int_eq(lede_client_summarize_batch(c, items, 0, 0, NULL, 0, on_item), LEDE_EINVAL);
    ck_assert_int_eq(lede_client_summarize_batch(c, items, 65, 0, NULL, 0, on_item), LEDE_EINVAL);
    items_free(items);
    free(resp);
    lede_client_destroy(&c);
    fake_close(&f);
}
END_TEST

int main(void)
{
    ctx = zmq_ctx_new();
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("client");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_reply_and_duplicate);
    tcase_add_test(tc, test_retry_unavailable);
    tcase_add_test(tc, test_failover_silent_broker);
    tcase_add_test(tc, test_quiet_single_broker_no_resend);
    tcase_add_test(tc, test_unpolled_link_no_resend);
    tcase_add_test(tc, test_dead_endpoint_and_deadline);
    tcase_add_test(tc, test_bad_options_and_decode);
    tcase_add_test(tc, test_batch_items_and_resend);
    tcase_add_test(tc, test_batch_fallback);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (!failed) /* a failed test may leave sockets open: term would wait for them */
        zmq_ctx_term(ctx);
    return failed ? 1 : 0;
}
