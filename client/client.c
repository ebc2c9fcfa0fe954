/* lede_client.c: liblede-client. One DEALER per broker; an in-flight table of calls keyed by
 * call id; timers for deadlines, retries (UNAVAILABLE, with backoff and jitter) and failover
 * (a broker silent while our call waits on it: re-send to another). Replies for calls already
 * completed are duplicates and are dropped. Each DEALER has a socket monitor (an inproc PAIR)
 * that tells whether its broker is up, unreachable or refusing the handshake, so a call with
 * nowhere to go fails fast instead of at its deadline. */
#include <lede/client.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "budget.h"
#include "clock.h"
#include "curve.h"
#include "lede.pb-c.h"
#include "article_limit.h" /* LEDE_DEFAULT_MAX_BODY: the article limit */
#include "wire.h"
#include "wire_zmq.h"

_Static_assert(LEDE_WIRE_MAX_DEFAULT == LEDE_DEFAULT_MAX_BODY + (1u << 20),
               "a frame is the article limit plus 1 MiB of envelope");

#define MAX_BROKERS       16
#define WAIT_RETRY_US     20000u /* no broker connected: try again this soon */
#define DEADLINE_GRACE_US 50000u /* let the broker's own DEADLINE_EXCEEDED arrive first */
#define SCAN_MIN_US       2000u
/* After a SummarizeBatch call was refused (no worker serves it), batches are tried again this
 * much later: until then lede_client_summarize_batch sends Summarize calls. */
#define LEDE_CLIENT_BATCH_RETRY_US 10000000u

enum call_state { CALL_WAIT = 0, CALL_SENT };

struct call {
    uint64_t seq;
    char id[40];
    char *method;
    uint8_t *payload;
    size_t len;
    char **md; /* key, value, key, value ... */
    size_t n_md;
    uint64_t submitted_us, deadline_us, sent_us, next_us;
    int broker;         /* last broker it went to, -1 none */
    int avoid;          /* broker to avoid on the next send, -1 none */
    uint32_t refused;   /* brokers that answered UNAVAILABLE themselves (bit per broker) */
    int refused_status; /* and the last such status and message */
    char refused_msg[200];
    unsigned attempts;
    unsigned sent_failures; /* its broker's failures when it was sent (a change: the link broke) */
    enum call_state state;
    lede_client_reply_fn fn;
    void *ctx;
    struct call *hnext;
    struct call *prev, *next;
};

enum link_state { LINK_UNKNOWN = 0, LINK_UP, LINK_DOWN };

struct broker {
    char *endpoint;
    void *sock;
    void *mon; /* PAIR reading the socket monitor's events */
    uint64_t last_heard_us;
    int suspect;
    enum link_state link;
    uint64_t down_since_us; /* start of the current unreachable spell (creation at first) */
    int handshake_failed;   /* the last failure was a handshake (CURVE key, mechanism) */
    unsigned failures;      /* connect retries and failed handshakes seen */
    int tcp_connected;      /* the current attempt got as far as a TCP connection */
};

struct lede_client {
    struct lede_client_options opt;
    struct lede_curve_client curve_keys; /* when curve is 1 */
    int curve;
    void *zctx;
    struct broker brokers[MAX_BROKERS];
    size_t n_brokers;
    size_t rr;
    uint32_t prefix;
    uint64_t next_seq;
    struct call **table; /* hash by seq */
    size_t table_size;   /* power of two */
    struct call *head, *tail;
    size_t n_calls;
    uint64_t next_scan_us;
    unsigned seed;
    struct lede_client_stats st;
    int in_poll;                 /* a callback must not poll again (it would free what we walk) */
    uint64_t batch_off_until_us; /* SummarizeBatch was refused: single calls until then */
    zmq_pollitem_t items[2 * MAX_BROKERS + 8];
};

_Static_assert(LEDE_CLIENT_BATCH_MAX == LEDE_BATCH_MAX_ITEMS, "client.h's batch size is wire.h's");
_Static_assert(LEDE_CLIENT_STATUS_COUNT == LEDE_WIRE_STATUS_COUNT,
               "client.h's status count is lede.proto's");

const char *lede_client_status_name(int status)
{
    return lede_wire_status_name(status);
}

void lede_client_options_init(struct lede_client_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->deadline_ms = 10000;
    opt->max_attempts = 5;
    opt->retry_ms = 50;
    opt->silence_ms = 1000;
    opt->max_in_flight = 4096;
    opt->max_message = LEDE_WIRE_MAX_DEFAULT;
    opt->unreachable_ms = 1000;
    opt->wait_for_ready = 0;
}

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static int open_broker(lede_client_t *c, struct broker *b)
{
    b->sock = zmq_socket(c->zctx, ZMQ_DEALER);
    if (!b->sock)
        return LEDE_EIO;
    int zero = 0, one = 1, hwm = 100000, ivl = 100, ivl_max = 2000;
    int hb = c->opt.silence_ms, hb_timeout = c->opt.silence_ms * 3;
    int64_t maxmsg = (int64_t)c->opt.max_message + 4096;
    zmq_setsockopt(b->sock, ZMQ_LINGER, &zero, sizeof zero);
    /* queue only to a connected broker, so a send to a dead one fails at once (failover) */
    zmq_setsockopt(b->sock, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(b->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(b->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(b->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(b->sock, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    zmq_setsockopt(b->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    /* ZMTP heartbeats drop a dead TCP connection, which ZMQ_IMMEDIATE then reports */
    zmq_setsockopt(b->sock, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(b->sock, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    /* a connect that hangs (no SYN-ACK) counts as a failed one after unreachable_ms, and a
       handshake that never completes (a stopped broker) fails after twice that */
    int connect_timeout = c->opt.unreachable_ms, handshake = 2 * c->opt.unreachable_ms;
    if (handshake < 2000)
        handshake = 2000;
    zmq_setsockopt(b->sock, ZMQ_CONNECT_TIMEOUT, &connect_timeout, sizeof connect_timeout);
    zmq_setsockopt(b->sock, ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake);
    if (c->curve && lede_curve_client_apply(b->sock, &c->curve_keys) != LEDE_OK)
        return LEDE_EIO;
    char mon_ep[80];
    snprintf(mon_ep, sizeof mon_ep, "inproc://lede-client-monitor-%p", (void *)b);
    int events = ZMQ_EVENT_CONNECT_RETRIED | ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED |
                 ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor(b->sock, mon_ep, events) != 0)
        return LEDE_EIO;
    b->mon = zmq_socket(c->zctx, ZMQ_PAIR);
    if (!b->mon)
        return LEDE_EIO;
    zmq_setsockopt(b->mon, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(b->mon, mon_ep) != 0)
        return LEDE_EIO;
    b->link = LINK_UNKNOWN;
    b->down_since_us = lede_clock_mono_us();
    if (zmq_connect(b->sock, b->endpoint) != 0)
        return LEDE_EINVAL;
    return LEDE_OK;
}

int lede_client_new(const char *endpoints, const struct lede_client_options *opt,
                    lede_client_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!endpoints || !*endpoints) {
        set_err(errbuf, errlen, "no broker endpoint");
        return LEDE_EINVAL;
    }
    struct lede_client_options o;
    if (opt)
        o = *opt;
    else
        lede_client_options_init(&o);
    if (o.deadline_ms <= 0 || o.max_attempts <= 0 || o.retry_ms <= 0 || o.silence_ms <= 0 ||
        o.max_in_flight == 0 || o.max_message < 64 || o.unreachable_ms <= 0) {
        set_err(errbuf, errlen, "bad client options (times and counts must be positive)");
        return LEDE_EINVAL;
    }
    lede_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return LEDE_ENOMEM;
    c->opt = o;
    char cerr[512];
    int crc = lede_curve_client_load(o.curve_secret_file, o.broker_key_file, &c->curve_keys,
                                     &c->curve, cerr, sizeof cerr);
    if (crc != LEDE_OK) {
        set_err(errbuf, errlen, "%s", cerr);
        free(c);
        return crc == LEDE_EIO ? LEDE_EIO : LEDE_EINVAL;
    }
    c->table_size = 64;
    while (c->table_size < o.max_in_flight)
        c->table_size *= 2;
    c->table = calloc(c->table_size, sizeof *c->table);
    c->zctx = zmq_ctx_new();
    int rc = LEDE_ENOMEM;
    if (!c->table || !c->zctx)
        goto fail;
    uint64_t t = lede_clock_mono_us();
    c->seed = (unsigned)(t ^ (t >> 32)) ^ ((unsigned)getpid() << 12) ^ (unsigned)(uintptr_t)c;
    c->prefix = (uint32_t)rand_r(&c->seed) ^ ((uint32_t)rand_r(&c->seed) << 16);
    c->next_seq = 1;

    char *list = strdup(endpoints);
    if (!list)
        goto fail;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (c->n_brokers >= MAX_BROKERS) {
            set_err(errbuf, errlen, "at most %d broker endpoints", MAX_BROKERS);
            rc = LEDE_EINVAL;
            free(list);
            goto fail;
        }
        struct broker *b = &c->brokers[c->n_brokers++];
        b->endpoint = strdup(tok);
        if (!b->endpoint) {
            free(list);
            goto fail;
        }
        rc = open_broker(c, b);
        if (rc != LEDE_OK) {
            set_err(errbuf, errlen, "cannot connect to \"%s\": %s", tok, zmq_strerror(zmq_errno()));
            free(list);
            goto fail;
        }
    }
    free(list);
    if (c->n_brokers == 0) {
        set_err(errbuf, errlen, "no broker endpoint in \"%s\"", endpoints);
        rc = LEDE_EINVAL;
        goto fail;
    }
    *out = c;
    return LEDE_OK;
fail:
    lede_client_destroy(&c);
    return rc;
}

static void call_free(struct call *k)
{
    if (!k)
        return;
    free(k->method);
    free(k->payload);
    for (size_t i = 0; i < 2 * k->n_md; i++)
        free(k->md[i]);
    free(k->md);
    free(k);
}

void lede_client_destroy(lede_client_t **cp)
{
    if (!cp || !*cp)
        return;
    lede_client_t *c = *cp;
    while (c->head) {
        struct call *k = c->head;
        c->head = k->next;
        call_free(k);
    }
    for (size_t i = 0; i < c->n_brokers; i++) {
        if (c->brokers[i].sock) {
            zmq_socket_monitor(c->brokers[i].sock, NULL, 0);
            zmq_close(c->brokers[i].sock);
        }
        if (c->brokers[i].mon)
            zmq_close(c->brokers[i].mon);
        free(c->brokers[i].endpoint);
    }
    if (c->zctx)
        zmq_ctx_term(c->zctx);
    free(c->table);
    free(c);
    *cp = NULL;
}

size_t lede_client_in_flight(const lede_client_t *c)
{
    return c->n_calls;
}

size_t lede_client_brokers_up(const lede_client_t *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_brokers; i++)
        n += c->brokers[i].link == LINK_UP;
    return n;
}

void lede_client_stats(const lede_client_t *c, struct lede_client_stats *out)
{
    *out = c->st;
}

/* ---- the in-flight table ---- */

static void table_add(lede_client_t *c, struct call *k)
{
    size_t h = (size_t)(k->seq & (c->table_size - 1));
    k->hnext = c->table[h];
    c->table[h] = k;
    k->prev = c->tail;
    k->next = NULL;
    if (c->tail)
        c->tail->next = k;
    else
        c->head = k;
    c->tail = k;
    c->n_calls++;
}

static void table_remove(lede_client_t *c, struct call *k)
{
    struct call **pp = &c->table[k->seq & (c->table_size - 1)];
    while (*pp && *pp != k)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = k->hnext;
    if (k->prev)
        k->prev->next = k->next;
    else
        c->head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    else
        c->tail = k->prev;
    c->n_calls--;
}

/* The value of the hex digits at *s (at most max of them, at least one), advancing *s; -1 when
 * there is none. */
static int64_t hex_run(const char **s, int max)
{
    uint64_t v = 0;
    int n = 0;
    for (; n < max; n++) {
        char ch = (*s)[n];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0)
            break;
        v = v << 4 | (uint64_t)d;
    }
    *s += n;
    return n == 0 || v > INT64_MAX ? -1 : (int64_t)v;
}

/* A call by its id ("%08x-%llx": our prefix, then the sequence number); every reply looks one up,
 * so no sscanf. The id must also match byte for byte. */
static struct call *table_find(lede_client_t *c, const char *id)
{
    const char *p = id;
    int64_t prefix = hex_run(&p, 8);
    if (prefix < 0 || (uint32_t)prefix != c->prefix || *p++ != '-')
        return NULL;
    int64_t sseq = hex_run(&p, 16);
    if (sseq < 0 || *p != '\0')
        return NULL;
    uint64_t seq = (uint64_t)sseq;
    for (struct call *k = c->table[seq & (c->table_size - 1)]; k; k = k->hnext)
        if (k->seq == seq && strcmp(k->id, id) == 0)
            return k;
    return NULL;
}

static void wake_at(lede_client_t *c, uint64_t t)
{
    if (t < c->next_scan_us)
        c->next_scan_us = t;
}

/* Completes a call: off the table, then its callback, then freed. */
static void complete(lede_client_t *c, struct call *k, int status, const char *message,
                     const uint8_t *payload, size_t len, const char *served_by, const char *broker)
{
    table_remove(c, k);
    c->st.completed++;
    if (status == 0)
        c->st.ok++;
    struct lede_client_reply r = {
        .call = k->seq,
        .call_id = k->id,
        .status = status,
        .message = message ? message : "",
        .payload = payload,
        .payload_len = len,
        .served_by = served_by ? served_by : "",
        .broker = broker,
        .attempts = k->attempts,
        .latency_us = lede_clock_mono_us() - k->submitted_us,
    };
    if (k->fn)
        k->fn(k->ctx, &r);
    call_free(k);
}

/* ---- sending ---- */

static int send_to(lede_client_t *c, struct call *k, size_t bi, uint64_t now)
{
    Lede__V1__Call m = LEDE__V1__CALL__INIT;
    Lede__V1__MetadataEntry entries[8];
    Lede__V1__MetadataEntry *ptrs[8];
    size_t n_md = k->n_md < 8 ? k->n_md : 8;
    for (size_t i = 0; i < n_md; i++) {
        lede__v1__metadata_entry__init(&entries[i]);
        entries[i].key = k->md[2 * i];
        entries[i].value = k->md[2 * i + 1];
        ptrs[i] = &entries[i];
    }
    uint64_t left = k->deadline_us > now ? k->deadline_us - now : 0;
    m.call_id = k->id;
    m.method = k->method;
    m.timeout_ms = (uint32_t)(left / 1000u) ? (uint32_t)(left / 1000u) : 1u;
    m.n_metadata = n_md;
    m.metadata = ptrs;
    m.payload.data = k->payload;
    m.payload.len = k->len;
    m.wait_for_ready = c->opt.wait_for_ready ? 1 : 0;
    zmq_msg_t msg;
    if (lede_wire_msg_encode(&msg, LEDE__V1__COMMAND__CALL, &m.base) != LEDE_OK)
        return LEDE_ENOMEM;
    if (zmq_msg_send(&msg, c->brokers[bi].sock, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&msg);
        return LEDE_EUNAVAIL;
    }
    return LEDE_OK;
}

/* Sends (or re-sends) a call to the next broker that takes it, preferring brokers not suspect
 * and not k->avoid. When none is connected the call waits and is tried again soon. */
static void dispatch(lede_client_t *c, struct call *k, uint64_t now)
{
    size_t n = c->n_brokers;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = 0; j < n; j++) {
            size_t bi = (c->rr + j) % n;
            struct broker *b = &c->brokers[bi];
            if (k->refused & (1u << bi))
                continue;
            if (pass == 0 && (b->suspect || (n > 1 && (int)bi == k->avoid)))
                continue;
            int rc = send_to(c, k, bi, now);
            if (rc == LEDE_ENOMEM)
                break;
            if (rc != LEDE_OK)
                continue;
            c->rr = (bi + 1) % n;
            if (k->attempts > 0)
                c->st.resent++;
            k->attempts++;
            k->broker = (int)bi;
            k->avoid = -1;
            k->state = CALL_SENT;
            k->sent_us = now;
            k->sent_failures = b->failures;
            k->next_us = now + (uint64_t)c->opt.silence_ms * 1000u;
            wake_at(c, k->next_us);
            return;
        }
    }
    k->state = CALL_WAIT;
    k->next_us = now + WAIT_RETRY_US;
    wake_at(c, k->next_us);
}

static char *dupn(const char *s)
{
    return strdup(s ? s : "");
}

/* Copies md[0..n) into dst as key, value, ... (2n slots); *n_dst counts the pairs copied so far,
 * so that the owner's free releases them when a copy fails (LEDE_ENOMEM). */
static int copy_md(char **dst, size_t *n_dst, const struct lede_client_metadata *md, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = dupn(md[i].key);
        dst[2 * i + 1] = dupn(md[i].value);
        *n_dst = i + 1;
        if (!dst[2 * i] || !dst[2 * i + 1])
            return LEDE_ENOMEM;
    }
    return LEDE_OK;
}

int lede_client_call(lede_client_t *c, const char *method, const void *payload, size_t len,
                     int deadline_ms, const struct lede_client_metadata *md, size_t n_md,
                     lede_client_reply_fn fn, void *ctx, uint64_t *call)
{
    if (!c || !method || !*method || (!payload && len) || deadline_ms < 0 || n_md > 8 ||
        (n_md && !md))
        return LEDE_EINVAL;
    if (len > c->opt.max_message)
        return LEDE_ETOOBIG;
    if (c->n_calls >= c->opt.max_in_flight)
        return LEDE_EAGAIN;
    struct call *k = calloc(1, sizeof *k);
    if (!k)
        return LEDE_ENOMEM;
    k->method = strdup(method);
    k->payload = malloc(len ? len : 1);
    k->md = n_md ? calloc(2 * n_md, sizeof *k->md) : NULL;
    if (!k->method || !k->payload || (n_md && !k->md)) {
        call_free(k);
        return LEDE_ENOMEM;
    }
    if (len)
        memcpy(k->payload, payload, len);
    k->len = len;
    if (copy_md(k->md, &k->n_md, md, n_md) != LEDE_OK) {
        call_free(k);
        return LEDE_ENOMEM;
    }
    uint64_t now = lede_clock_mono_us();
    k->seq = c->next_seq++;
    snprintf(k->id, sizeof k->id, "%08" PRIx32 "-%" PRIx64, c->prefix, k->seq);
    k->submitted_us = now;
    k->deadline_us = now + (uint64_t)(deadline_ms ? deadline_ms : c->opt.deadline_ms) * 1000u;
    k->broker = -1;
    k->avoid = -1;
    k->fn = fn;
    k->ctx = ctx;
    table_add(c, k);
    c->st.submitted++;
    wake_at(c, k->deadline_us + DEADLINE_GRACE_US);
    dispatch(c, k, now);
    if (call)
        *call = k->seq;
    return LEDE_OK;
}

int lede_client_summarize_pack(const struct lede_client_request *req, size_t max, uint8_t **out,
                               size_t *out_len)
{
    if (!out || !out_len)
        return LEDE_EINVAL;
    *out = NULL;
    *out_len = 0;
    if (!req || (!req->body && req->body_len) || (!req->title && req->title_len) ||
        (req->n_weights && (!req->weight_names || !req->weight_values)) || req->n_weights > 64)
        return LEDE_EINVAL;
    if (req->body_len > LEDE_DEFAULT_MAX_BODY)
        return LEDE_ETOOBIG; /* the article limit; the worker would refuse it anyway */
    Lede__V1__SummarizeRequest r = LEDE__V1__SUMMARIZE_REQUEST__INIT;
    Lede__V1__FeatureWeight fw[64];
    Lede__V1__FeatureWeight *fwp[64];
    r.article_id = (char *)(req->article_id ? req->article_id : "");
    r.title.data = (uint8_t *)(uintptr_t)req->title;
    r.title.len = req->title_len;
    r.body.data = (uint8_t *)(uintptr_t)req->body;
    r.body.len = req->body_len;
    r.language = (char *)(req->lang ? req->lang : "");
    r.explain = req->explain ? 1 : 0;
    if (req->format && *req->format) {
        static const char *const fmts[] = {"auto", "text", "html", "ans", "ninjs"};
        size_t f = 0;
        while (f < 5 && strcmp(fmts[f], req->format))
            f++;
        if (f == 5)
            return LEDE_EINVAL;
        r.format = (Lede__V1__Format)f;
    }
    switch (req->budget) {
    case LEDE_CLIENT_BUDGET_DEFAULT: break;
    case LEDE_CLIENT_BUDGET_SENTENCES:
    case LEDE_CLIENT_BUDGET_WORDS:
    case LEDE_CLIENT_BUDGET_CHARS: {
        /* the engine's own rule (budget.c), so a budget the engine would refuse in-process
         * (2.7 sentences, 0 words) is refused here too rather than cut to a whole number */
        struct lede_budget eb = {req->budget == LEDE_CLIENT_BUDGET_SENTENCES ? LEDE_BUDGET_SENTENCES
                                 : req->budget == LEDE_CLIENT_BUDGET_WORDS   ? LEDE_BUDGET_WORDS
                                                                             : LEDE_BUDGET_CHARS,
                                 req->budget_value};
        if (lede_budget_check(eb, NULL, 0) != LEDE_OK)
            return LEDE_EINVAL;
        if (req->budget == LEDE_CLIENT_BUDGET_SENTENCES) {
            r.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_SENTENCES;
            r.sentences = (uint32_t)req->budget_value;
        } else if (req->budget == LEDE_CLIENT_BUDGET_WORDS) {
            r.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_WORDS;
            r.words = (uint32_t)req->budget_value;
        } else {
            r.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_CHARS;
            r.chars = (uint32_t)req->budget_value;
        }
        break;
    }
    case LEDE_CLIENT_BUDGET_RATIO:
        if (lede_budget_check((struct lede_budget){LEDE_BUDGET_RATIO, req->budget_value}, NULL,
                              0) != LEDE_OK)
            return LEDE_EINVAL;
        r.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_RATIO;
        r.ratio = req->budget_value;
        break;
    default: return LEDE_EINVAL;
    }
    for (size_t i = 0; i < req->n_weights; i++) {
        lede__v1__feature_weight__init(&fw[i]);
        fw[i].name = (char *)(req->weight_names[i] ? req->weight_names[i] : "");
        fw[i].value = req->weight_values[i];
        fwp[i] = &fw[i];
    }
    r.n_weights = req->n_weights;
    r.weights = fwp;
    size_t len = lede__v1__summarize_request__get_packed_size(&r);
    if (max && len > max)
        return LEDE_ETOOBIG;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return LEDE_ENOMEM;
    *out_len = lede__v1__summarize_request__pack(&r, buf);
    *out = buf;
    return LEDE_OK;
}

int lede_client_summarize_submit(lede_client_t *c, const struct lede_client_request *req,
                                 lede_client_reply_fn fn, void *ctx, uint64_t *call)
{
    if (!c)
        return LEDE_EINVAL;
    uint8_t *buf;
    size_t len;
    int rc = lede_client_summarize_pack(req, c->opt.max_message, &buf, &len);
    if (rc != LEDE_OK)
        return rc;
    struct lede_client_metadata md = {"trace-id", req->trace_id};
    rc = lede_client_call(c, LEDE_METHOD_SUMMARIZE, buf, len, req->deadline_ms, &md,
                          req->trace_id ? 1 : 0, fn, ctx, call);
    free(buf);
    return rc;
}

/* ---- SummarizeBatch: several articles in one call ---- */

/* A batch call in flight: each item's packed request (for a resend on its own) and context. */
struct batch_call {
    lede_client_t *c;
    lede_client_reply_fn fn;
    int deadline_ms; /* each item's own, for a resend */
    size_t n_md;
    char *md[16]; /* key, value, ... */
    size_t n;
    struct batch_entry {
        const uint8_t *payload; /* into buf */
        size_t len;
        void *ctx;
    } items[LEDE_BATCH_MAX_ITEMS];
    uint8_t *buf; /* the packed SummarizeBatchRequest */
    size_t buf_len;
};

static void batch_call_free(struct batch_call *bc)
{
    for (size_t i = 0; i < 2 * bc->n_md; i++)
        free(bc->md[i]);
    free(bc->buf);
    free(bc);
}

/* Item i as a Summarize call of its own (fallback, or the worker had no room for it); when that
 * cannot be sent, its callback gets the reason at once. */
static void batch_resend(struct batch_call *bc, size_t i, const struct lede_client_reply *parent)
{
    struct lede_client_metadata md[8];
    for (size_t k = 0; k < bc->n_md; k++)
        md[k] = (struct lede_client_metadata){bc->md[2 * k], bc->md[2 * k + 1]};
    int rc = lede_client_call(bc->c, LEDE_METHOD_SUMMARIZE, bc->items[i].payload, bc->items[i].len,
                              bc->deadline_ms, md, bc->n_md, bc->fn, bc->items[i].ctx, NULL);
    if (rc == LEDE_OK)
        return;
    struct lede_client_reply r = *parent;
    r.status = lede_wire_status_from_err(rc);
    r.message = rc == LEDE_EAGAIN ? "too many calls in flight; try again later" : lede_strerror(rc);
    r.payload = NULL;
    r.payload_len = 0;
    bc->fn(bc->items[i].ctx, &r);
}

static void batch_done(void *ctx, const struct lede_client_reply *reply)
{
    struct batch_call *bc = ctx;
    lede_client_t *c = bc->c;
    struct lede_client_reply r = *reply;
    int from_broker =
        reply->broker && (!reply->served_by[0] || strcmp(reply->served_by, "broker") == 0);
    if (reply->status == LEDE__V1__STATUS__UNIMPLEMENTED ||
        (reply->status == LEDE__V1__STATUS__UNAVAILABLE && from_broker)) {
        /* no worker serves SummarizeBatch here (an older fleet) or none is up: one call per
           article, and single calls for a while before batches are tried again */
        c->batch_off_until_us = lede_clock_mono_us() + LEDE_CLIENT_BATCH_RETRY_US;
        for (size_t i = 0; i < bc->n; i++)
            batch_resend(bc, i, reply);
        batch_call_free(bc);
        return;
    }
    Lede__V1__SummarizeBatchResponse *m = NULL;
    if (reply->status == LEDE__V1__STATUS__OK &&
        (lede_wire_unpack(&lede__v1__summarize_batch_response__descriptor, reply->payload,
                          reply->payload_len, reply->payload_len + 1,
                          (ProtobufCMessage **)&m) != LEDE_OK ||
         m->n_items != bc->n)) {
        r.status = LEDE__V1__STATUS__DATA_LOSS;
        r.message = "the worker's reply is not a SummarizeBatchResponse for this call";
    }
    if (r.status != LEDE__V1__STATUS__OK) { /* the call failed as a whole: so does every item */
        r.payload = NULL;
        r.payload_len = 0;
        for (size_t i = 0; i < bc->n; i++)
            bc->fn(bc->items[i].ctx, &r);
    } else {
        for (size_t i = 0; i < bc->n; i++) {
            const Lede__V1__BatchItem *it = m->items[i];
            if (it->resend) {
                batch_resend(bc, i, reply);
                continue;
            }
            r.status = (int)it->status;
            r.message = it->message ? it->message : "";
            r.payload = it->status == LEDE__V1__STATUS__OK ? it->response.data : NULL;
            r.payload_len = it->status == LEDE__V1__STATUS__OK ? it->response.len : 0;
            bc->fn(bc->items[i].ctx, &r);
        }
    }
    if (m)
        protobuf_c_message_free_unpacked(&m->base, NULL);
    batch_call_free(bc);
}

int lede_client_summarize_batch(lede_client_t *c, const struct lede_client_batch_item *items,
                                size_t n, int deadline_ms, const struct lede_client_metadata *md,
                                size_t n_md, lede_client_reply_fn fn)
{
    if (!c || !items || n == 0 || n > LEDE_CLIENT_BATCH_MAX || !fn || deadline_ms < 0 || n_md > 8 ||
        (n_md && !md))
        return LEDE_EINVAL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].payload && items[i].len)
            return LEDE_EINVAL;
        if (items[i].len > c->opt.max_message)
            return LEDE_ETOOBIG;
        total += items[i].len + 16;
    }
    if (c->n_calls + n > c->opt.max_in_flight)
        return LEDE_EAGAIN; /* room for its articles on their own too (fallback, resend) */
    int per_item = deadline_ms ? deadline_ms : c->opt.deadline_ms;
    uint64_t now = lede_clock_mono_us();
    if (n == 1 || now < c->batch_off_until_us) {
        /* one article, or batches were refused lately: Summarize calls (all are sent or none) */
        for (size_t i = 0; i < n; i++) {
            int rc = lede_client_call(c, LEDE_METHOD_SUMMARIZE, items[i].payload, items[i].len,
                                      per_item, md, n_md, fn, items[i].ctx, NULL);
            if (rc != LEDE_OK && i == 0)
                return rc; /* nothing sent */
            if (rc != LEDE_OK) {
                struct lede_client_reply r = {
                    .status = lede_wire_status_from_err(rc),
                    .message = lede_strerror(rc),
                    .served_by = "",
                };
                fn(items[i].ctx, &r);
            }
        }
        return LEDE_OK;
    }
    if (total > c->opt.max_message)
        return LEDE_ETOOBIG;
    struct batch_call *bc = calloc(1, sizeof *bc);
    if (!bc)
        return LEDE_ENOMEM;
    bc->c = c;
    bc->fn = fn;
    bc->deadline_ms = per_item;
    bc->n = n;
    if (copy_md(bc->md, &bc->n_md, md, n_md) != LEDE_OK) {
        batch_call_free(bc);
        return LEDE_ENOMEM;
    }
    ProtobufCBinaryData reqs[LEDE_BATCH_MAX_ITEMS];
    for (size_t i = 0; i < n; i++)
        reqs[i] = (ProtobufCBinaryData){items[i].len, (uint8_t *)(uintptr_t)items[i].payload};
    Lede__V1__SummarizeBatchRequest br = LEDE__V1__SUMMARIZE_BATCH_REQUEST__INIT;
    br.n_requests = n;
    br.requests = reqs;
    bc->buf_len = lede__v1__summarize_batch_request__get_packed_size(&br);
    if (!(bc->buf = malloc(bc->buf_len ? bc->buf_len : 1))) {
        batch_call_free(bc);
        return LEDE_ENOMEM;
    }
    bc->buf_len = lede__v1__summarize_batch_request__pack(&br, bc->buf);
    /* each item's bytes inside the packed request: its length-delimited field's body */
    const uint8_t *p = bc->buf, *end = bc->buf + bc->buf_len;
    for (size_t i = 0; i < n; i++) {
        p++; /* the tag of field 1, length-delimited: one byte */
        while (p < end && (*p & 0x80))
            p++;
        p++;
        bc->items[i] = (struct batch_entry){p, items[i].len, items[i].ctx};
        p += items[i].len;
    }
    /* the worker runs the articles one after another: each has its own deadline's worth */
    uint64_t chunk_ms = (uint64_t)per_item * n;
    int rc = lede_client_call(c, LEDE_METHOD_SUMMARIZE_BATCH, bc->buf, bc->buf_len,
                              chunk_ms > INT32_MAX ? INT32_MAX : (int)chunk_ms, md, n_md,
                              batch_done, bc, NULL);
    if (rc != LEDE_OK)
        batch_call_free(bc);
    return rc;
}

/* ---- receiving and timers ---- */

static void on_reply(lede_client_t *c, size_t bi, const Lede__V1__Reply *r, uint64_t now)
{
    struct call *k = table_find(c, r->call_id);
    if (!k) {
        c->st.duplicates++;
        return;
    }
    /* UNAVAILABLE (broker draining, call lost by workers) and a full broker queue are worth
     * another try, preferably at another broker; a worker's RESOURCE_EXHAUSTED (article too big)
     * is not. */
    int from_broker = !r->served_by[0] || strcmp(r->served_by, "broker") == 0;
    if (r->status == LEDE__V1__STATUS__UNAVAILABLE && from_broker) {
        /* the broker itself cannot serve it (no worker, draining, lost by its workers): try
           each other broker once, at once, then give up with the brokers' answer */
        k->refused |= 1u << bi;
        k->refused_status = (int)r->status;
        snprintf(k->refused_msg, sizeof k->refused_msg, "%s", r->message);
        uint32_t all = c->n_brokers >= 32 ? UINT32_MAX : (1u << c->n_brokers) - 1u;
        if ((k->refused & all) != all && k->attempts < (unsigned)c->opt.max_attempts &&
            now < k->deadline_us) {
            k->state = CALL_WAIT;
            k->next_us = now;
            wake_at(c, now);
            return;
        }
        complete(c, k, (int)r->status, r->message, NULL, 0, r->served_by, c->brokers[bi].endpoint);
        return;
    }
    int retry = r->status == LEDE__V1__STATUS__UNAVAILABLE ||
                (r->status == LEDE__V1__STATUS__RESOURCE_EXHAUSTED && from_broker);
    if (retry && k->attempts < (unsigned)c->opt.max_attempts && now < k->deadline_us) {
        uint64_t backoff = (uint64_t)c->opt.retry_ms * 1000u
                           << (k->attempts > 6 ? 6 : k->attempts - 1);
        backoff += (uint64_t)rand_r(&c->seed) % (backoff / 2u + 1u);
        k->state = CALL_WAIT;
        k->avoid = (int)bi;
        k->next_us = now + backoff;
        wake_at(c, k->next_us);
        return;
    }
    complete(c, k, (int)r->status, r->message, r->payload.data, r->payload.len, r->served_by,
             c->brokers[bi].endpoint);
}

static void on_frame(lede_client_t *c, size_t bi, const void *data, size_t len, uint64_t now)
{
    struct lede_wire_frame f;
    struct broker *b = &c->brokers[bi];
    b->last_heard_us = now;
    b->suspect = 0;
    b->link = LINK_UP;
    if (lede_wire_decode(data, len, c->opt.max_message + 4096, &f, NULL) != LEDE_OK) {
        c->st.malformed++;
        lede_wire_frame_release(&f);
        return;
    }
    if (f.command == LEDE__V1__COMMAND__REPLY)
        on_reply(c, bi, f.body.reply, now);
    else
        c->st.malformed++;
    lede_wire_frame_release(&f);
}

static void read_broker(lede_client_t *c, size_t bi)
{
    for (int m = 0; m < 1024; m++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, c->brokers[bi].sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        if (zmq_msg_more(&msg)) {
            c->st.malformed++;
            while (zmq_msg_more(&msg) && zmq_msg_recv(&msg, c->brokers[bi].sock, 0) >= 0)
                ;
        } else {
            on_frame(c, bi, zmq_msg_data(&msg), zmq_msg_size(&msg), lede_clock_mono_us());
        }
        zmq_msg_close(&msg);
    }
}

/* Drains one broker's monitor events into its link state. */
static void read_monitor(lede_client_t *c, size_t bi)
{
    struct broker *b = &c->brokers[bi];
    for (int m = 0; m < 256; m++) {
        zmq_msg_t ev, ep;
        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, b->mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            return;
        }
        uint16_t event = 0;
        if (zmq_msg_size(&ev) >= 6)
            memcpy(&event, zmq_msg_data(&ev), sizeof event);
        int more = zmq_msg_more(&ev);
        zmq_msg_close(&ev);
        if (more) { /* the endpoint frame */
            zmq_msg_init(&ep);
            zmq_msg_recv(&ep, b->mon, 0);
            zmq_msg_close(&ep);
        }
        uint64_t now = lede_clock_mono_us();
        switch (event) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            b->link = LINK_UP;
            b->handshake_failed = 0;
            break;
        case ZMQ_EVENT_CONNECT_RETRIED:
        case ZMQ_EVENT_DISCONNECTED:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            if (b->link != LINK_DOWN) {
                b->link = LINK_DOWN;
                b->down_since_us = now;
            }
            b->failures++;
            /* a failed handshake comes as HANDSHAKE_FAILED_*, DISCONNECTED, CONNECT_RETRIED;
               a refused or hung connect as CONNECT_RETRIED alone */
            if (event != ZMQ_EVENT_CONNECT_RETRIED && event != ZMQ_EVENT_DISCONNECTED)
                b->handshake_failed = 1;
            else if (event == ZMQ_EVENT_CONNECT_RETRIED && !b->tcp_connected)
                b->handshake_failed = 0;
            if (event == ZMQ_EVENT_CONNECT_RETRIED)
                b->tcp_connected = 0;
            break;
        case ZMQ_EVENT_CONNECTED: /* TCP is up, the handshake follows */
            b->tcp_connected = 1;
            break;
        default: break;
        }
    }
}

/* A waiting call with nowhere to go: every broker either answered it UNAVAILABLE or has been
 * unreachable (failed connects or handshakes, never up) for unreachable_ms. Completes it (1) with
 * the brokers' answer, UNAUTHENTICATED for a failed handshake, else UNAVAILABLE; 0: keep waiting.
 */
static int nowhere_to_go(lede_client_t *c, struct call *k, uint64_t now)
{
    uint64_t limit = (uint64_t)c->opt.unreachable_ms * 1000u;
    int handshake = 0;
    for (size_t i = 0; i < c->n_brokers; i++) {
        const struct broker *b = &c->brokers[i];
        if (k->refused & (1u << i))
            continue;
        if (b->link == LINK_UP || b->failures == 0 || now - b->down_since_us < limit)
            return 0;
        if (b->handshake_failed)
            handshake = 1;
    }
    char msg[400];
    int status;
    if (k->refused) {
        status = k->refused_status;
        snprintf(msg, sizeof msg, "%s", k->refused_msg);
    } else if (handshake) {
        status = LEDE__V1__STATUS__UNAUTHENTICATED;
        snprintf(msg, sizeof msg, "the handshake with %s%s failed for %d ms (%s)",
                 c->brokers[0].endpoint, c->n_brokers > 1 ? " and the other brokers" : "",
                 c->opt.unreachable_ms,
                 c->curve ? "wrong broker key, or this client's key is not allowed"
                          : "the broker wants CURVE: give --curve-secret and --broker-key");
    } else {
        status = LEDE__V1__STATUS__UNAVAILABLE;
        snprintf(msg, sizeof msg,
                 "no broker reachable for %d ms: %s%s (connection refused, "
                 "no route or no such host)",
                 c->opt.unreachable_ms, c->brokers[0].endpoint,
                 c->n_brokers > 1 ? " and the other brokers" : "");
    }
    complete(c, k, status, msg, NULL, 0, NULL, NULL);
    return 1;
}

/* Walks the table for calls whose time has come: deadlines, waits, silent brokers. */
static void run_timers(lede_client_t *c, uint64_t now)
{
    if (now < c->next_scan_us)
        return;
    uint64_t next = now + 1000000u;
    struct call *k = c->head;
    while (k) {
        struct call *nx = k->next;
        if (now >= k->deadline_us + DEADLINE_GRACE_US) {
            char msg[160];
            snprintf(msg, sizeof msg, "no reply within the deadline of %llu ms (%u sends)",
                     (unsigned long long)((k->deadline_us - k->submitted_us) / 1000u), k->attempts);
            c->st.timed_out++;
            complete(c, k, LEDE__V1__STATUS__DEADLINE_EXCEEDED, msg, NULL, 0, NULL, NULL);
            k = nx;
            continue;
        }
        if (now >= k->next_us) {
            if (k->state == CALL_WAIT) {
                if (nowhere_to_go(c, k, now)) {
                    k = nx;
                    continue;
                }
                dispatch(c, k, now);
            } else {
                struct broker *b = &c->brokers[k->broker];
                uint64_t silence = (uint64_t)c->opt.silence_ms * 1000u;
                int silent = now - b->last_heard_us >= silence && now - k->sent_us >= silence;
                /* a broker that is alive but never answers (it restarted and lost the call) */
                int stale = now - k->sent_us >= 4u * silence
                                                    << (k->attempts > 4 ? 4 : k->attempts - 1);
                /* A broker whose link stayed up since the call went out has it (TCP delivered
                 * it; a restart breaks the link): sent there again it would be a second copy
                 * of the work, and a call queued behind a busy worker for a second was re-sent
                 * every second (a call held 2.5 s ran three times). So the same broker gets it
                 * again only after its link broke; another broker that is up, as a hedge (when
                 * the link did not break, this broker is one of those up). A link not yet
                 * known (its monitor's first events unread) is no sign of a break: the call
                 * went out over a connected pipe (ZMQ_IMMEDIATE), and a break since counts a
                 * failure. */
                int broke = b->link == LINK_DOWN || b->failures != k->sent_failures;
                if ((silent || stale) && (broke || lede_client_brokers_up(c) > 1) &&
                    k->attempts < (unsigned)c->opt.max_attempts) {
                    if (silent)
                        b->suspect = 1;
                    k->avoid = k->broker;
                    dispatch(c, k, now);
                } else {
                    k->next_us = now + silence / 4u;
                }
            }
        }
        if (k->next_us < next)
            next = k->next_us;
        if (k->deadline_us + DEADLINE_GRACE_US < next)
            next = k->deadline_us + DEADLINE_GRACE_US;
        k = nx;
    }
    c->next_scan_us = next > now + SCAN_MIN_US ? next : now + SCAN_MIN_US;
}

static int poll_once(lede_client_t *c, int timeout_ms, const int *fds, size_t n_fds);

int lede_client_poll(lede_client_t *c, int timeout_ms)
{
    return lede_client_poll_fds(c, timeout_ms, NULL, 0);
}

int lede_client_poll_fds(lede_client_t *c, int timeout_ms, const int *fds, size_t n_fds)
{
    if (!c || c->in_poll || n_fds > 8 || (n_fds && !fds))
        return LEDE_EINVAL;
    c->in_poll = 1;
    int rc = poll_once(c, timeout_ms, fds, n_fds);
    c->in_poll = 0;
    return rc;
}

/* Reads what the last zmq_poll over c->items found: replies, monitor events; returns whether
 * one of the caller's descriptors is readable. */
static int handle_ready(lede_client_t *c, size_t n_fds)
{
    size_t n = c->n_brokers;
    for (size_t i = 0; i < n; i++) {
        if (c->items[n + i].revents & ZMQ_POLLIN)
            read_monitor(c, i);
        if (c->items[i].revents & ZMQ_POLLIN)
            read_broker(c, i);
    }
    int fd_ready = 0;
    for (size_t i = 0; i < n_fds; i++)
        if (c->items[2 * n + i].revents & ZMQ_POLLIN)
            fd_ready = 1;
    return fd_ready;
}

static int poll_once(lede_client_t *c, int timeout_ms, const int *fds, size_t n_fds)
{
    uint64_t start = lede_clock_mono_us();
    uint64_t end = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000u;
    uint64_t done0 = c->st.completed;
    size_t n = c->n_brokers;
    int n_items = (int)(2 * n + n_fds);
    for (size_t i = 0; i < n; i++) {
        c->items[i] = (zmq_pollitem_t){.socket = c->brokers[i].sock, .events = ZMQ_POLLIN};
        c->items[n + i] = (zmq_pollitem_t){.socket = c->brokers[i].mon, .events = ZMQ_POLLIN};
    }
    for (size_t i = 0; i < n_fds; i++)
        c->items[2 * n + i] = (zmq_pollitem_t){.fd = fds[i], .events = ZMQ_POLLIN};
    for (;;) {
        /* what came while the caller was busy first (replies, link events), so the timers
         * judge silence and broken links on what is known now: a caller that packed large
         * articles for over a second had its calls re-sent to a broker it had only not read */
        int ready = zmq_poll(c->items, n_items, 0);
        int fd_ready = ready > 0 ? handle_ready(c, n_fds) : 0;
        uint64_t now = lede_clock_mono_us();
        run_timers(c, now);
        now = lede_clock_mono_us();
        uint64_t done = c->st.completed - done0;
        if (done > 0 || fd_ready || timeout_ms == 0 || (c->n_calls == 0 && n_fds == 0) ||
            now >= end)
            return (int)(done > (uint64_t)INT32_MAX ? INT32_MAX : done);
        uint64_t wake = c->next_scan_us < end ? c->next_scan_us : end;
        if (c->n_calls == 0)
            wake = end;
        long wait_ms = wake > now ? (long)((wake - now + 999u) / 1000u) : 0;
        if (wait_ms > 1000)
            wait_ms = 1000;
        ready = zmq_poll(c->items, n_items, wait_ms);
        if (ready < 0 && zmq_errno() != EINTR)
            return LEDE_EIO;
        fd_ready = ready > 0 ? handle_ready(c, n_fds) : 0;
        if (c->st.completed - done0 > 0 || fd_ready)
            return (int)(c->st.completed - done0);
    }
}

int lede_client_drain(lede_client_t *c, int timeout_ms)
{
    uint64_t end =
        timeout_ms < 0 ? UINT64_MAX : lede_clock_mono_us() + (uint64_t)timeout_ms * 1000u;
    while (c->n_calls > 0) {
        uint64_t now = lede_clock_mono_us();
        if (now >= end)
            return LEDE_ETIMEDOUT;
        uint64_t left = (end - now) / 1000u;
        int rc = lede_client_poll(c, left > 1000 ? 1000 : (int)left);
        if (rc < 0)
            return rc;
    }
    return LEDE_OK;
}

/* ---- decoded responses ---- */

void lede_client_response_destroy(struct lede_client_response **rp)
{
    if (!rp || !*rp)
        return;
    struct lede_client_response *r = *rp;
    free(r->message);
    free(r->served_by);
    free(r->article_id);
    free(r->engine_version);
    free(r->language);
    free(r->summary);
    for (size_t i = 0; r->sentences && i < r->n_sentences; i++)
        free(r->sentences[i].text);
    free(r->sentences);
    for (size_t i = 0; r->keyphrases && i < r->n_keyphrases; i++)
        free(r->keyphrases[i].text);
    free(r->keyphrases);
    for (size_t i = 0; r->entities && i < r->n_entities; i++) {
        free(r->entities[i].text);
        free(r->entities[i].kind);
    }
    free(r->entities);
    free(r);
    *rp = NULL;
}

/* A NUL-terminated copy of b (malloc'd) with its length in *len; NULL when out of memory. */
static char *dup_bytes(ProtobufCBinaryData b, size_t *len)
{
    char *t = malloc(b.len + 1);
    if (!t)
        return NULL;
    if (b.len)
        memcpy(t, b.data, b.len);
    t[b.len] = '\0';
    *len = b.len;
    return t;
}

/* s into d; LEDE_ENOMEM leaves what d holds for lede_client_response_destroy. */
static int copy_sentence(struct lede_client_sentence *d, const Lede__V1__Sentence *s)
{
    d->index = s->index;
    d->rank = s->rank;
    d->paragraph = s->paragraph;
    d->selected = s->selected ? 1 : 0;
    d->duplicate_of = s->duplicate_of;
    d->score = s->score;
    if (s->features) {
        d->features[LEDE_CLIENT_F_POSITION] = s->features->position;
        d->features[LEDE_CLIENT_F_TERM] = s->features->term;
        d->features[LEDE_CLIENT_F_ENTITY] = s->features->entity;
        d->features[LEDE_CLIENT_F_TITLE] = s->features->title;
        d->features[LEDE_CLIENT_F_LENGTH] = s->features->length;
        d->features[LEDE_CLIENT_F_OPENER] = s->features->opener;
    }
    d->offset = s->offset;
    d->length = s->length;
    d->utf16_offset = s->utf16_offset;
    d->utf16_length = s->utf16_length;
    d->headline = s->headline ? 1 : 0;
    d->text = dup_bytes(s->text, &d->text_len);
    return d->text ? LEDE_OK : LEDE_ENOMEM;
}

static int copy_keyphrase(struct lede_client_keyphrase *d, const Lede__V1__EditorKeyphrase *k)
{
    d->score = k->score;
    d->count = k->count;
    d->words = k->words;
    d->offset = k->offset;
    d->length = k->length;
    d->text = dup_bytes(k->text, &d->text_len);
    return d->text ? LEDE_OK : LEDE_ENOMEM;
}

static int copy_entity(struct lede_client_entity *d, const Lede__V1__EditorEntity *k)
{
    d->count = k->count;
    d->offset = k->offset;
    d->length = k->length;
    d->text = dup_bytes(k->text, &d->text_len);
    d->kind = strdup(k->kind ? k->kind : "");
    return d->text && d->kind ? LEDE_OK : LEDE_ENOMEM;
}

/* The response's header fields (strings, format, language, timings, summary) into r, and its
 * arrays allocated; LEDE_ENOMEM leaves what r holds for lede_client_response_destroy. */
static int copy_header(struct lede_client_response *r, const Lede__V1__SummarizeResponse *m)
{
    static const char *const fmts[] = {"auto", "text", "html", "ans", "ninjs"};
    r->status = 0;
    r->message = strdup("");
    r->served_by = strdup("");
    r->article_id = strdup(m->article_id);
    r->engine_version = strdup(m->engine_version);
    r->language = strdup(m->language);
    r->summary = calloc(m->n_summary ? m->n_summary : 1, sizeof *r->summary);
    r->sentences = calloc(m->n_sentences ? m->n_sentences : 1, sizeof *r->sentences);
    r->keyphrases = calloc(m->n_keyphrases ? m->n_keyphrases : 1, sizeof *r->keyphrases);
    r->entities = calloc(m->n_entities ? m->n_entities : 1, sizeof *r->entities);
    if (!r->message || !r->served_by || !r->article_id || !r->engine_version || !r->language ||
        !r->summary || !r->sentences || !r->keyphrases || !r->entities)
        return LEDE_ENOMEM;
    r->sentence_count = m->sentence_count;
    r->format = (unsigned)m->format < 5 ? fmts[m->format] : "auto";
    snprintf(r->language_detected, sizeof r->language_detected, "%s",
             m->language_detected ? m->language_detected : "");
    r->language_confidence = m->language_confidence;
    r->n_summary = m->n_summary;
    if (m->n_summary)
        memcpy(r->summary, m->summary, m->n_summary * sizeof *r->summary);
    if (m->timings) {
        r->engine_us = m->timings->engine_us;
        r->worker_us = m->timings->worker_us;
    }
    return LEDE_OK;
}

/* The unpacked message's pieces, bump-allocated in one block that is freed whole once they are
 * copied (a malloc and a free for each piece, and protobuf-c's walk to free them, were a large
 * part of decoding a reply). */
struct arena {
    char *base;
    size_t used, cap;
};

static void *arena_alloc(void *data, size_t size)
{
    struct arena *a = data;
    size_t n = (size + 15u) & ~(size_t)15u;
    if (n < size || n > a->cap - a->used)
        return NULL; /* full: the message is left to lede_wire_unpack */
    void *p = a->base + a->used;
    a->used += n;
    return p;
}

static void arena_free(void *data, void *p)
{
    (void)data;
    (void)p; /* all at once */
}

int lede_client_response_decode(const uint8_t *payload, size_t len,
                                struct lede_client_response **out)
{
    *out = NULL;
    Lede__V1__SummarizeResponse *m = NULL;
    /* the block holds what lede's own responses unpack to (about 3x their bytes; the unpack
       budget allows 16x): when the fast reader takes the message within it, lede_wire_unpack
       (the same reader, then protobuf-c) would take it as the same message */
    struct arena ar = {NULL, 0, 4 * len + 4096};
    ProtobufCAllocator alloc = {arena_alloc, arena_free, &ar};
    size_t slabs = 0;
    if (len <= LEDE_WIRE_MAX_DEFAULT && (ar.base = malloc(ar.cap)) &&
        (lede_wire_unpack_fast(&lede__v1__summarize_response__descriptor, &alloc, len, payload,
                               (ProtobufCMessage **)&m, &slabs) != LEDE_WIRE_FAST_OK ||
         ar.used + slabs > 4 * len + 4096)) {
        m = NULL;
        free(ar.base);
        ar.base = NULL;
    }
    int rc = LEDE_OK;
    if (!m)
        rc = lede_wire_unpack(&lede__v1__summarize_response__descriptor, payload, len, len + 1,
                              (ProtobufCMessage **)&m);
    if (rc != LEDE_OK)
        return rc == LEDE_ENOMEM ? rc : LEDE_EPROTO;
    rc = LEDE_ENOMEM;
    struct lede_client_response *r = calloc(1, sizeof *r);
    if (!r || copy_header(r, m) != LEDE_OK)
        goto cleanup;
    /* each count covers the element being copied, so a partial one is freed too */
    for (size_t i = 0; i < m->n_sentences; i++) {
        r->n_sentences = i + 1;
        if (copy_sentence(&r->sentences[i], m->sentences[i]) != LEDE_OK)
            goto cleanup;
    }
    for (size_t i = 0; i < m->n_keyphrases; i++) {
        r->n_keyphrases = i + 1;
        if (copy_keyphrase(&r->keyphrases[i], m->keyphrases[i]) != LEDE_OK)
            goto cleanup;
    }
    for (size_t i = 0; i < m->n_entities; i++) {
        r->n_entities = i + 1;
        if (copy_entity(&r->entities[i], m->entities[i]) != LEDE_OK)
            goto cleanup;
    }
    *out = r;
    r = NULL;
    rc = LEDE_OK;
cleanup:
    lede_client_response_destroy(&r);
    if (ar.base)
        free(ar.base);
    else
        protobuf_c_message_free_unpacked(&m->base, NULL);
    return rc;
}

/* Detaches a call's callback (it stays in flight and completes silently). */
static void forget(lede_client_t *c, uint64_t seq)
{
    for (struct call *k = c->table[seq & (c->table_size - 1)]; k; k = k->hnext)
        if (k->seq == seq)
            k->fn = NULL;
}

struct sync_call {
    int done;
    int rc;
    struct lede_client_response *resp;
};

static void sync_done(void *ctx, const struct lede_client_reply *reply)
{
    struct sync_call *s = ctx;
    s->done = 1;
    if (reply->status == 0) {
        s->rc = lede_client_response_decode(reply->payload, reply->payload_len, &s->resp);
        if (s->rc == LEDE_OK) {
            free(s->resp->served_by);
            s->resp->served_by = strdup(reply->served_by);
            if (!s->resp->served_by) {
                lede_client_response_destroy(&s->resp);
                s->rc = LEDE_ENOMEM;
            }
        }
        return;
    }
    s->resp = calloc(1, sizeof *s->resp);
    if (!s->resp) {
        s->rc = LEDE_ENOMEM;
        return;
    }
    s->resp->status = reply->status;
    s->resp->message = strdup(reply->message);
    s->resp->served_by = strdup(reply->served_by);
    s->rc = s->resp->message && s->resp->served_by ? LEDE_OK : LEDE_ENOMEM;
    if (s->rc != LEDE_OK)
        lede_client_response_destroy(&s->resp);
}

int lede_client_summarize(lede_client_t *c, const struct lede_client_request *req,
                          struct lede_client_response **out)
{
    *out = NULL;
    struct sync_call s = {0, LEDE_OK, NULL};
    uint64_t seq = 0;
    int rc = lede_client_summarize_submit(c, req, sync_done, &s, &seq);
    if (rc != LEDE_OK)
        return rc;
    while (!s.done) {
        rc = lede_client_poll(c, 1000);
        if (rc < 0) {
            forget(c, seq); /* s is about to go out of scope */
            return rc;
        }
    }
    *out = s.resp;
    return s.rc;
}
