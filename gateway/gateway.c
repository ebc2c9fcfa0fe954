/* gateway.c: lede-gateway's HTTP side and its calls (see gateway.h), both on one thread: it runs
 * libmicrohttpd (MHD_run, no thread of its own) and liblede-client's sockets from one poll. A
 * request is read, turned into a SummarizeRequest (pbjson.c) and queued, its connection
 * suspended; the loop submits it through liblede-client and, when the reply comes, writes the
 * JSON answer and resumes the connection. A batch's lines go out while its body is still
 * arriving, up to batch_window lines at once, and come back as one streamed response, in order,
 * once the body is complete. */
#include "gateway.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "http_listen.h"
#include "lede.pb-c.h"
#include <lede/client.h>
#include "pbjson.h"
#include "article_limit.h" /* LEDE_DEFAULT_MAX_BODY: lede's article limit */
#include "tokens.h"
#include "wire.h"

#ifndef LEDE_VERSION
#define LEDE_VERSION "unknown"
#endif

extern const unsigned char lede_gateway_playground_html[];
extern const size_t lede_gateway_playground_html_len;

#define MAX_RESPONSE (64u << 20) /* bytes of one JSON answer */
/* /v1/summarize:batch sends its lines in SummarizeBatch calls of at most this many lines and
 * bytes of packed requests (well under the 17 MiB frame limit; a larger line goes alone), and
 * fewer lines a call for batches of under 128 lines */
#define BATCH_CHUNK_MAX   16
#define BATCH_CHUNK_BYTES (128u * 1024u)
#define MAX_ORIGINS       32
#define STATUS_COUNT      LEDE_WIRE_STATUS_COUNT

enum route {
    R_SUMMARIZE = 0, /* /v1/summarize */
    R_CONNECT,       /* /lede.v1.Summarizer/Summarize */
    R_BATCH,         /* /v1/summarize:batch */
    R_HEALTHZ,
    R_READYZ,
    R_METRICS,
    R_OPENAPI,
    R_PLAYGROUND,
    R_OTHER,
    R_COUNT
};
static const char *const route_names[R_COUNT] = {
    "summarize", "connect", "batch",      "healthz", "readyz",
    "metrics",   "openapi", "playground", "other",
};

enum job_kind { JOB_UNARY = 0, JOB_BATCH_ITEM };

struct batch;

struct job {
    struct job *next; /* the submit queue */
    lede_gateway_t *g;
    int kind;
    struct MHD_Connection *conn; /* unary */
    struct batch *batch;
    size_t index;
    uint8_t *payload; /* unary: the packed request */
    size_t len;
    size_t line_off, line_len; /* batch item: its JSON line (in the batch's body, which grows) */
    int deadline_ms;
    char trace[33];
    char tenant[LEDE_TOKENS_TENANT_MAX + 1];
    int status;
    struct lede_jbuf out; /* the JSON answer */
    int done;
};

/* A batch's lines run while its body is still arriving: each piece of the upload adds the
 * lines it completes and they go to the workers at once, instead of the workers idling until
 * the last byte (a 24 MB body uploaded at 20 MB/s: 1.72 s before, 1.27 s). The response can only
 * start when the upload ends (libmicrohttpd reads a request whole before it answers), so the lines
 * answered before that wait in memory; then it streams them in order. Lines are kept in blocks that
 * never move, since calls in flight point at them. */
#define BATCH_BLOCK 1024 /* lines a block */
struct batch {
    lede_gateway_t *g;
    struct MHD_Connection *conn;
    struct lede_jbuf body; /* the upload so far (released when the upload fails) */
    size_t scanned;        /* bytes of body looked at for lines */
    struct job **blocks;   /* line i: blocks[i / BATCH_BLOCK][i % BATCH_BLOCK] */
    size_t n, n_blocks;
    int sealed; /* the upload is complete: n is final and the response exists */
    size_t next_submit, in_flight, completed; /* the calls */
    size_t next_out, out_off;                 /* the streamed response */
    int waiting;                              /* the response is suspended for the next line */
    int abandoned; /* the response is gone (client went away), or the upload failed */
    int refs;      /* the request (then its response) and the calls' side */
};

static inline struct job *batch_item(const struct batch *b, size_t i)
{
    return &b->blocks[i / BATCH_BLOCK][i % BATCH_BLOCK];
}

struct req {
    int route;
    struct lede_jbuf body;
    int too_big, oom; /* the upload was over the cap, or the batch's memory ran out */
    int state;        /* 0 reading, 1 call out, 2 answered */
    struct job *job;
    struct batch *batch; /* R_BATCH: made by the first piece of the upload */
    int deadline_ms;
    char trace[33];
    char tenant[LEDE_TOKENS_TENANT_MAX + 1];
    int scopes;
    char origin[256]; /* an allowed Origin to echo, or "" */
    struct timespec start;
};

/* The loop's allocator for unpacking replies: a bump allocator over one block that
 * is reset after each reply is written (an unpacked SummarizeResponse is dozens of small
 * allocations; malloc and free of them were a tenth of the gateway's instructions). Larger
 * replies than the block get blocks of their own, freed at the reset. */
#define ARENA_BLOCK (256u << 10)
struct arena_extra {
    struct arena_extra *next;
    max_align_t data[];
};
struct arena {
    max_align_t *block; /* ARENA_BLOCK bytes, or NULL */
    size_t used;
    struct arena_extra *extra;
};

struct lede_gateway {
    struct lede_gateway_config cfg;
    struct MHD_Daemon *daemon;
    int fd;
    int port;
    char *tls_cert, *tls_key;
    char *origins[MAX_ORIGINS];
    size_t n_origins;
    int any_origin;
    char *openapi;
    size_t openapi_len;
    pthread_mutex_t tokens_mu;
    lede_tokens_t *tokens;
    /* the loop thread */
    lede_client_t *client;
    pthread_t thread;
    int thread_started;
    int efd;
    int mhd_fd;                          /* libmicrohttpd's epoll descriptor, polled by the loop */
    struct arena arena;                  /* for unpacking replies */
    unsigned seed;                       /* trace ids */
    struct job *queue_head, *queue_tail; /* read this turn, submitted after MHD_run */
    atomic_bool stop;
    atomic_bool draining;
    atomic_size_t brokers_up;
    atomic_size_t in_flight;
    /* metrics */
    lede_metrics_family_t *f_requests;
    lede_counter_t *requests[R_COUNT][STATUS_COUNT + 2]; /* by route and gRPC status (+413) */
    lede_histogram_t *latency[R_COUNT];
    lede_gauge_t *g_in_flight, *g_brokers_up;
    lede_counter_t *c_batch_lines;
};

static void logf_(lede_gateway_t *g, int level, const char *trace, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void logf_(lede_gateway_t *g, int level, const char *trace, const char *fmt, ...)
{
    if (!lede_log_enabled(g->cfg.log, level))
        return;
    va_list ap;
    va_start(ap, fmt);
    lede_log_vprintf(g->cfg.log, level, NULL, trace && trace[0] ? trace : NULL, fmt, ap);
    va_end(ap);
}

/* ---- small parsers (exported for the unit test) ---- */

unsigned lede_gateway_http_status(int s)
{
    switch (s) {
    case 0: return 200;  /* OK */
    case 1: return 499;  /* CANCELLED */
    case 2: return 500;  /* UNKNOWN */
    case 3: return 400;  /* INVALID_ARGUMENT */
    case 4: return 504;  /* DEADLINE_EXCEEDED */
    case 5: return 404;  /* NOT_FOUND */
    case 6: return 409;  /* ALREADY_EXISTS */
    case 7: return 403;  /* PERMISSION_DENIED */
    case 8: return 429;  /* RESOURCE_EXHAUSTED */
    case 9: return 400;  /* FAILED_PRECONDITION */
    case 10: return 409; /* ABORTED */
    case 11: return 400; /* OUT_OF_RANGE */
    case 12: return 501; /* UNIMPLEMENTED */
    case 13: return 500; /* INTERNAL */
    case 14: return 503; /* UNAVAILABLE */
    case 15: return 500; /* DATA_LOSS */
    case 16: return 401; /* UNAUTHENTICATED */
    default: return 500;
    }
}

long long lede_gateway_parse_timeout(const char *v, int connect)
{
    if (!v || !*v)
        return -1;
    long long n = 0;
    const char *p = v;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (++digits > (connect ? 10 : 8)) /* grpc-timeout: at most 8 digits */
            return -1;
        n = n * 10 + (*p++ - '0');
    }
    if (!digits)
        return -1;
    if (connect)
        return *p ? -1 : n;
    if (!p[0] || p[1])
        return -1;
    switch (p[0]) {
    case 'H': return n * 3600000;
    case 'M': return n * 60000;
    case 'S': return n * 1000;
    case 'm': return n;
    case 'u': return (n + 999) / 1000;
    case 'n': return (n + 999999) / 1000000;
    default: return -1;
    }
}

static int hexdigits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int lede_gateway_parse_traceparent(const char *v, char out[33])
{
    /* version "-" trace-id (32 hex) "-" parent-id (16 hex) "-" flags (2 hex) */
    if (!v || strlen(v) < 55 || !hexdigits(v, 2) || v[2] != '-' || !hexdigits(v + 3, 32) ||
        v[35] != '-' || !hexdigits(v + 36, 16) || v[52] != '-' || !hexdigits(v + 53, 2) ||
        !strncmp(v, "ff", 2) || (v[55] && v[55] != '-') || (!strncmp(v, "00", 2) && v[55]))
        return -1;
    if (strspn(v + 3, "0") >= 32 || strspn(v + 36, "0") >= 16)
        return -1;
    memcpy(out, v + 3, 32);
    out[32] = 0;
    return 0;
}

/* ---- responses ---- */

static size_t status_slot(int status, unsigned http)
{
    if (http == 413)
        return STATUS_COUNT;
    return status >= 0 && status < STATUS_COUNT ? (size_t)status : STATUS_COUNT + 1;
}

static void count(lede_gateway_t *g, const struct req *r, int status, unsigned http)
{
    if (!g->f_requests)
        return;
    size_t slot = status_slot(status, http);
    int route = r ? r->route : R_OTHER;
    lede_counter_t *c = g->requests[route][slot];
    if (!c) {
        char code[16];
        snprintf(code, sizeof code, "%u", http % 1000u);
        const char *name = http == 413 ? "PAYLOAD_TOO_LARGE" : lede_wire_status_name(status);
        const char *vals[] = {route_names[route], code, name};
        c = g->requests[route][slot] = lede_metrics_family_counter(g->f_requests, vals);
    }
    lede_metrics_counter_inc(c);
    if (r && g->latency[route]) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double s = (double)(now.tv_sec - r->start.tv_sec) + (now.tv_nsec - r->start.tv_nsec) / 1e9;
        lede_metrics_histogram_observe(g->latency[route], s);
    }
}

static void add_common_headers(lede_gateway_t *g, struct MHD_Response *resp, const struct req *r)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r && r->origin[0]) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, r->origin);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", "Retry-After, Traceparent");
    }
    if (r && r->trace[0]) {
        char tp[64];
        unsigned span = (unsigned)rand_r(&g->seed);
        snprintf(tp, sizeof tp, "00-%s-%08x%08x-01", r->trace, span, span ^ 0x5bd1e995u);
        MHD_add_response_header(resp, "Traceparent", tp);
    }
}

/* Queues body (taken: freed by MHD) with the given status. */
static enum MHD_Result send_body(lede_gateway_t *g, struct MHD_Connection *c, const struct req *r,
                                 unsigned http, const char *type, char *body, size_t len,
                                 int grpc_status)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    add_common_headers(g, resp, r);
    if (http == 429 || http == 503)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (http == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"lede\"");
    enum MHD_Result rc = MHD_queue_response(c, http, resp);
    MHD_destroy_response(resp);
    count(g, r, grpc_status, http);
    return rc;
}

static enum MHD_Result send_static(lede_gateway_t *g, struct MHD_Connection *c, const struct req *r,
                                   unsigned http, const char *type, const char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    add_common_headers(g, resp, r);
    enum MHD_Result rc = MHD_queue_response(c, http, resp);
    MHD_destroy_response(resp);
    count(g, r, http == 200 ? 0 : 14, http);
    return rc;
}

/* {"code":"NAME","message":"..."} into b. */
static void error_json(struct lede_jbuf *b, int status, const char *msg)
{
    const char *name = lede_wire_status_name(status);
    lede_jbuf_puts(b, "{\"code\":");
    lede_jbuf_string(b, name, strlen(name));
    lede_jbuf_puts(b, ",\"message\":");
    lede_jbuf_string(b, msg ? msg : "", msg ? strlen(msg) : 0);
    lede_jbuf_puts(b, "}");
}

static enum MHD_Result send_error(lede_gateway_t *g, struct MHD_Connection *c, const struct req *r,
                                  int status, unsigned http, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static enum MHD_Result send_error(lede_gateway_t *g, struct MHD_Connection *c, const struct req *r,
                                  int status, unsigned http, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct lede_jbuf b;
    lede_jbuf_init(&b, 4096);
    error_json(&b, status, msg);
    lede_jbuf_puts(&b, "\n");
    logf_(g, http >= 500 ? LEDE_LOG_WARN : LEDE_LOG_DEBUG, r ? r->trace : NULL,
          "event=error route=%s http=%u status=%s message=\"%s\"",
          route_names[r ? r->route : R_OTHER], http, lede_wire_status_name(status), msg);
    if (b.failed) {
        lede_jbuf_release(&b);
        return MHD_NO;
    }
    return send_body(g, c, r, http ? http : lede_gateway_http_status(status), "application/json",
                     b.data, b.len, status);
}

/* ---- the calls ---- */

static void enqueue(lede_gateway_t *g, struct job *j)
{
    j->next = NULL;
    if (g->queue_tail)
        g->queue_tail->next = j;
    else
        g->queue_head = j;
    g->queue_tail = j;
}

/* From another thread (lede_gateway_stop, after it set g->stop): the loop leaves its poll and
 * then its loop, so nobody reads the eventfd back. Everything else runs on the loop, which
 * submits what it queued before it polls again. */
static void wake(lede_gateway_t *g)
{
    uint64_t one = 1;
    ssize_t n = write(g->efd, &one, sizeof one);
    (void)n;
}

static void *arena_alloc(void *data, size_t size)
{
    struct arena *a = data;
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (!a->block)
        a->block = malloc(ARENA_BLOCK);
    if (a->block && size <= ARENA_BLOCK - a->used) {
        void *p = (char *)a->block + a->used;
        a->used += size;
        return p;
    }
    if (size > SIZE_MAX - sizeof(struct arena_extra))
        return NULL;
    struct arena_extra *e = malloc(sizeof *e + size);
    if (!e)
        return NULL;
    e->next = a->extra;
    a->extra = e;
    return e->data;
}

static void arena_free(void *data, void *p)
{
    (void)data;
    (void)p; /* all at once in arena_reset */
}

static void arena_reset(struct arena *a)
{
    a->used = 0;
    while (a->extra) {
        struct arena_extra *e = a->extra;
        a->extra = e->next;
        free(e);
    }
}

/* The JSON answer of a reply: the response message, or the error object. */
static void answer_of(struct job *j, const struct lede_client_reply *reply)
{
    j->status = reply->status;
    if (reply->status == 0) {
        /* the JSON written straight from the bytes a worker sends; else (a message of another
           shape) unpacked and written from its struct: the same text */
        int written = lede_pbjson_write_packed(&j->out, &lede__v1__summarize_response__descriptor,
                                               reply->payload, reply->payload_len);
        Lede__V1__SummarizeResponse *m = NULL;
        if (!written) {
            struct arena *arena = &j->g->arena;
            ProtobufCAllocator alloc = {arena_alloc, arena_free, arena};
            m = (Lede__V1__SummarizeResponse *)lede_wire_unpack_any(
                &lede__v1__summarize_response__descriptor, &alloc, reply->payload_len,
                reply->payload);
            if (m)
                lede_pbjson_write(&j->out, &m->base);
            arena_reset(arena);
        }
        if (written || m) {
            if (!j->out.failed)
                return;
            lede_jbuf_release(&j->out);
            lede_jbuf_init(&j->out, MAX_RESPONSE);
            j->status = LEDE__V1__STATUS__RESOURCE_EXHAUSTED;
            error_json(&j->out, j->status, "the answer is larger than the gateway's limit");
            return;
        }
        j->status = LEDE__V1__STATUS__INTERNAL;
        error_json(&j->out, j->status, "the worker's reply is not a SummarizeResponse");
        return;
    }
    error_json(&j->out, reply->status, reply->message);
}

static void batch_release(struct batch *b)
{
    if (--b->refs)
        return;
    for (size_t i = 0; i < b->n; i++) {
        lede_jbuf_release(&batch_item(b, i)->out);
        free(batch_item(b, i)->payload); /* a line prepared for a chunk that never left */
    }
    for (size_t k = 0; k < b->n_blocks; k++)
        free(b->blocks[k]);
    free(b->blocks);
    lede_jbuf_release(&b->body);
    free(b);
}

static void batch_pump(lede_gateway_t *g, struct batch *b);

/* A batch line is answered (or given up): counted, marked done, and the streaming response
 * woken when it is the line it waits for. */
static void batch_job_done(struct batch *b, struct job *j)
{
    b->completed++;
    j->done = 1;
    if (b->waiting && j->index == b->next_out) {
        b->waiting = 0;
        MHD_resume_connection(b->conn);
    }
}

static void on_reply(void *ctx, const struct lede_client_reply *reply)
{
    struct job *j = ctx;
    lede_gateway_t *g = j->g;
    answer_of(j, reply);
    if (j->kind == JOB_UNARY) {
        j->done = 1;
        atomic_fetch_sub(&g->in_flight, 1);
        MHD_resume_connection(j->conn);
        return;
    }
    struct batch *b = j->batch;
    b->in_flight--;
    batch_job_done(b, j);
    batch_pump(g, b);
}

/* Answers jobs[0..n) with the error lede_client gave when their call could not be sent. */
static void answer_submit_error(struct job **jobs, size_t n, int rc)
{
    struct lede_client_reply r = {
        .status = lede_wire_status_from_err(rc),
        .message = rc == LEDE_EAGAIN ? "too many calls in flight at the gateway; retry later"
                                     : lede_strerror(rc),
    };
    for (size_t i = 0; i < n; i++)
        on_reply(jobs[i], &r);
}

/* A call's metadata: its trace id, and its tenant when a token named one; returns the count. */
static size_t metadata_of(const struct job *j, struct lede_client_metadata md[2])
{
    md[0] = (struct lede_client_metadata){"trace-id", j->trace};
    md[1] = (struct lede_client_metadata){"tenant", j->tenant};
    return j->tenant[0] ? 2 : 1;
}

static void submit(lede_gateway_t *g, struct job *j)
{
    struct lede_client_metadata md[2];
    size_t n_md = metadata_of(j, md);
    int rc = lede_client_call(g->client, LEDE_METHOD_SUMMARIZE, j->payload, j->len, j->deadline_ms,
                              md, n_md, on_reply, j, NULL);
    if (rc != LEDE_OK)
        answer_submit_error(&j, 1, rc);
}

/* A chunk of batch lines in one call; every line is answered through on_reply. */
static void submit_batch(lede_gateway_t *g, struct job **jobs,
                         const struct lede_client_batch_item *items, size_t n)
{
    struct job *j0 = jobs[0];
    struct lede_client_metadata md[2];
    size_t n_md = metadata_of(j0, md);
    int rc = lede_client_summarize_batch(g->client, items, n, j0->deadline_ms, md, n_md, on_reply);
    for (size_t i = 0; i < n; i++) {
        free(jobs[i]->payload);
        jobs[i]->payload = NULL;
    }
    if (rc != LEDE_OK)
        answer_submit_error(jobs, n, rc);
}

/* A batch line -> a packed request in j (or j answered with the error). 0: submit it. */
static int batch_prepare(struct job *j)
{
    char err[400], ferr[360];
    ProtobufCMessage *m = NULL;
    int rc =
        lede_pbjson_parse(&lede__v1__summarize_request__descriptor,
                          j->batch->body.data + j->line_off, j->line_len, &m, ferr, sizeof ferr);
    if (rc != LEDE_OK)
        snprintf(err, sizeof err, "line %zu: %s", j->index + 1,
                 rc == LEDE_ENOMEM ? "out of memory" : ferr);
    if (rc == LEDE_OK && ((Lede__V1__SummarizeRequest *)m)->body.len > LEDE_DEFAULT_MAX_BODY) {
        snprintf(err, sizeof err,
                 "line %zu: article of %zu bytes is over lede's limit of %u bytes "
                 "(16 MiB)",
                 j->index + 1, ((Lede__V1__SummarizeRequest *)m)->body.len, LEDE_DEFAULT_MAX_BODY);
        protobuf_c_message_free_unpacked(m, NULL);
        rc = LEDE_ETOOBIG;
    }
    if (rc == LEDE_OK) {
        j->len = protobuf_c_message_get_packed_size(m);
        j->payload = malloc(j->len ? j->len : 1);
        if (j->payload) {
            protobuf_c_message_pack(m, j->payload);
        } else {
            rc = LEDE_ENOMEM;
            snprintf(err, sizeof err, "line %zu: out of memory", j->index + 1);
        }
        protobuf_c_message_free_unpacked(m, NULL);
    }
    if (rc == LEDE_OK)
        return 0;
    struct lede_client_reply r = {
        .status = rc == LEDE_ENOMEM || rc == LEDE_ETOOBIG ? LEDE__V1__STATUS__RESOURCE_EXHAUSTED
                                                          : LEDE__V1__STATUS__INVALID_ARGUMENT,
        .message = err,
    };
    j->status = r.status;
    error_json(&j->out, r.status, r.message);
    return -1;
}

static void batch_pump(lede_gateway_t *g, struct batch *b)
{
    /* refilled a quarter of the window at a time, not one call per reply: the calls leave in
       bursts that each thread on the way (this one's ZeroMQ I/O thread, the broker's) takes in
       one wake-up, and the workers still always have calls queued */
    size_t window = g->cfg.batch_window, burst = window / 4 ? window / 4 : 1;
    size_t chunk_max = burst < BATCH_CHUNK_MAX ? burst : BATCH_CHUNK_MAX;
    /* a short batch still goes out in at least 8 calls, so that all the workers share it */
    size_t spread = (b->n + 7) / 8;
    if (b->sealed && chunk_max > spread)
        chunk_max = spread ? spread : 1;
    int refill = b->in_flight + burst <= window;
    while (!b->abandoned && refill && b->next_submit < b->n && b->in_flight < window) {
        /* while the upload goes on, only whole chunks leave: the lines after them are coming */
        if (!b->sealed && b->n - b->next_submit < chunk_max) {
            size_t pending = 0;
            for (size_t i = b->next_submit; i < b->n; i++)
                pending += batch_item(b, i)->line_len;
            if (pending < BATCH_CHUNK_BYTES)
                break;
        }
        /* consecutive lines in one SummarizeBatch call (the messaging is paid once for them;
           every line still gets its own answer): a burst's worth, at most BATCH_CHUNK_MAX lines
           and BATCH_CHUNK_BYTES of requests (a larger line goes alone) */
        struct lede_client_batch_item items[BATCH_CHUNK_MAX];
        struct job *jobs[BATCH_CHUNK_MAX];
        size_t n = 0, bytes = 0;
        while (n < chunk_max && b->next_submit < b->n && b->in_flight + n < window) {
            struct job *j = batch_item(b, b->next_submit);
            if (!j->payload) {
                lede_metrics_counter_inc(g->c_batch_lines);
                if (batch_prepare(j) != 0) {
                    b->next_submit++;
                    batch_job_done(b, j);
                    continue;
                }
            }
            if (n && bytes + j->len > BATCH_CHUNK_BYTES)
                break; /* the next chunk's first line, prepared already */
            b->next_submit++;
            items[n] = (struct lede_client_batch_item){j->payload, j->len, j};
            jobs[n++] = j;
            bytes += j->len;
        }
        if (n == 0)
            continue;
        b->in_flight += n; /* before the call: an article that cannot be sent is answered in it */
        submit_batch(g, jobs, items, n);
    }
    if (b->in_flight == 0 && (b->abandoned || (b->sealed && b->completed == b->n)) && b->refs > 0 &&
        b->next_submit != (size_t)-1) {
        b->next_submit = (size_t)-1; /* the calls' side is done with it */
        batch_release(b);
    }
}

/* The one thread that does the work: HTTP (libmicrohttpd's handlers run here, in MHD_run),
 * the calls (liblede-client) and the replies. */
static void *loop_main(void *arg)
{
    lede_gateway_t *g = arg;
    int fds[2] = {g->efd, g->mhd_fd};
    while (!atomic_load(&g->stop)) {
        int timeout = 200;
        MHD_UNSIGNED_LONG_LONG mto;
        if (MHD_get_timeout(g->daemon, &mto) == MHD_YES && mto < (MHD_UNSIGNED_LONG_LONG)timeout)
            timeout = (int)mto;
        int rc = lede_client_poll_fds(g->client, timeout, fds, 2);
        if (rc < 0 && rc != LEDE_EINVAL)
            logf_(g, LEDE_LOG_WARN, NULL, "event=poll_failed error=\"%s\"", lede_strerror(rc));
        MHD_run(g->daemon); /* requests in, resumed connections answered */
        struct job *list = g->queue_head;
        g->queue_head = g->queue_tail = NULL;
        while (list) {
            struct job *j = list;
            list = j->next;
            submit(g, j);
        }
        size_t up = lede_client_brokers_up(g->client);
        atomic_store(&g->brokers_up, up);
        lede_metrics_gauge_set(g->g_brokers_up, (double)up);
        lede_metrics_gauge_set(g->g_in_flight, (double)lede_client_in_flight(g->client));
    }
    lede_client_drain(g->client, 2000);
    return NULL;
}

/* ---- requests ---- */

static int route_of(const char *url, const char *method, int *allowed)
{
    int post = !strcmp(method, MHD_HTTP_METHOD_POST);
    int get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
    static const struct {
        const char *path;
        int route, post;
    } table[] = {
        {"/v1/summarize", R_SUMMARIZE, 1},
        {"/lede.v1.Summarizer/Summarize", R_CONNECT, 1},
        {"/v1/summarize:batch", R_BATCH, 1},
        {"/healthz", R_HEALTHZ, 0},
        {"/readyz", R_READYZ, 0},
        {"/metrics", R_METRICS, 0},
        {"/openapi.json", R_OPENAPI, 0},
        {"/", R_PLAYGROUND, 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(url, table[i].path))
            continue;
        *allowed = table[i].post ? post : get;
        return table[i].route;
    }
    *allowed = 1;
    return R_OTHER;
}

static int origin_allowed(lede_gateway_t *g, const char *origin)
{
    if (!origin || !*origin)
        return 0;
    if (g->any_origin)
        return 1;
    for (size_t i = 0; i < g->n_origins; i++)
        if (!strcmp(g->origins[i], origin))
            return 1;
    return 0;
}

static void new_trace(lede_gateway_t *g, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++)
        out[i] = hex[rand_r(&g->seed) & 15];
    out[32] = 0;
}

/* Authentication, deadline and trace headers; 0 when the request may go on (else answered). */
static int check_headers(lede_gateway_t *g, struct MHD_Connection *c, struct req *r,
                         enum MHD_Result *ret)
{
    const char *tp = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "traceparent");
    if (!tp || lede_gateway_parse_traceparent(tp, r->trace) != 0)
        new_trace(g, r->trace);
    if (g->cfg.tokens_file) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
            *ret = send_error(g, c, r, LEDE__V1__STATUS__UNAUTHENTICATED, 0,
                              "this gateway needs \"Authorization: Bearer TOKEN\"");
            return -1;
        }
        const char *tok = auth + 7;
        while (*tok == ' ')
            tok++;
        pthread_mutex_lock(&g->tokens_mu);
        const char *tenant = lede_tokens_check(g->tokens, tok, strlen(tok), &r->scopes);
        if (tenant)
            snprintf(r->tenant, sizeof r->tenant, "%s", tenant);
        pthread_mutex_unlock(&g->tokens_mu);
        if (!tenant) {
            *ret = send_error(g, c, r, LEDE__V1__STATUS__UNAUTHENTICATED, 0,
                              "the bearer token is not one this gateway knows");
            return -1;
        }
        int need = r->route == R_BATCH ? LEDE_TOKEN_SCOPE_BATCH : LEDE_TOKEN_SCOPE_SUMMARIZE;
        if (!(r->scopes & need)) {
            *ret = send_error(g, c, r, LEDE__V1__STATUS__PERMISSION_DENIED, 0,
                              "tenant \"%s\" may not use %s", r->tenant,
                              r->route == R_BATCH ? "batch" : "summarize");
            return -1;
        }
    }
    r->deadline_ms = g->cfg.deadline_ms;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Connect-Timeout-Ms");
    const char *gt = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "grpc-timeout");
    if (ct || gt) {
        long long ms = lede_gateway_parse_timeout(ct ? ct : gt, ct != NULL);
        if (ms < 0) {
            *ret = send_error(g, c, r, LEDE__V1__STATUS__INVALID_ARGUMENT, 0,
                              "bad %s header \"%.60s\" (Connect-Timeout-Ms: milliseconds; "
                              "grpc-timeout: digits and a unit H M S m u n)",
                              ct ? "Connect-Timeout-Ms" : "grpc-timeout", ct ? ct : gt);
            return -1;
        }
        if (ms < 1)
            ms = 1;
        r->deadline_ms = ms > g->cfg.max_deadline_ms ? g->cfg.max_deadline_ms : (int)ms;
    }
    return 0;
}

static enum MHD_Result start_unary(lede_gateway_t *g, struct MHD_Connection *c, struct req *r)
{
    ProtobufCMessage *m = NULL;
    char err[400];
    int rc = lede_pbjson_parse(&lede__v1__summarize_request__descriptor,
                               r->body.data ? r->body.data : "", r->body.len, &m, err, sizeof err);
    lede_jbuf_release(&r->body);
    if (rc != LEDE_OK)
        return send_error(g, c, r,
                          rc == LEDE_ENOMEM ? LEDE__V1__STATUS__RESOURCE_EXHAUSTED
                                            : LEDE__V1__STATUS__INVALID_ARGUMENT,
                          0, "%s", rc == LEDE_ENOMEM ? "out of memory" : err);
    size_t body_len = ((Lede__V1__SummarizeRequest *)m)->body.len;
    if (body_len > LEDE_DEFAULT_MAX_BODY) {
        protobuf_c_message_free_unpacked(m, NULL);
        return send_error(g, c, r, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, 413,
                          "article of %zu bytes is over lede's limit of %u bytes (16 MiB)",
                          body_len, LEDE_DEFAULT_MAX_BODY);
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        protobuf_c_message_free_unpacked(m, NULL);
        return MHD_NO;
    }
    j->len = protobuf_c_message_get_packed_size(m);
    j->payload = malloc(j->len ? j->len : 1);
    if (!j->payload) {
        free(j);
        protobuf_c_message_free_unpacked(m, NULL);
        return MHD_NO;
    }
    protobuf_c_message_pack(m, j->payload);
    protobuf_c_message_free_unpacked(m, NULL);
    if (atomic_fetch_add(&g->in_flight, 1) >= g->cfg.max_in_flight) {
        atomic_fetch_sub(&g->in_flight, 1);
        free(j->payload);
        free(j);
        return send_error(g, c, r, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, 0,
                          "the gateway has %zu calls in flight; retry later", g->cfg.max_in_flight);
    }
    j->g = g;
    j->kind = JOB_UNARY;
    j->conn = c;
    j->deadline_ms = r->deadline_ms;
    memcpy(j->trace, r->trace, sizeof j->trace);
    memcpy(j->tenant, r->tenant, sizeof j->tenant);
    lede_jbuf_init(&j->out, MAX_RESPONSE);
    r->job = j;
    r->state = 1;
    MHD_suspend_connection(c); /* the reply resumes it */
    enqueue(g, j);             /* submitted when MHD_run returns */
    return MHD_YES;
}

static enum MHD_Result finish_unary(lede_gateway_t *g, struct MHD_Connection *c, struct req *r)
{
    struct job *j = r->job;
    r->state = 2;
    unsigned http = lede_gateway_http_status(j->status);
    logf_(g, http >= 500 ? LEDE_LOG_INFO : LEDE_LOG_DEBUG, r->trace,
          "event=call route=%s http=%u status=%s tenant=%s", route_names[r->route], http,
          lede_wire_status_name(j->status), r->tenant[0] ? r->tenant : "-");
    if (j->out.failed)
        return send_error(g, c, r, LEDE__V1__STATUS__INTERNAL, 0, "cannot build the answer");
    lede_jbuf_put(&j->out, "\n", 1);
    char *body = j->out.data;
    size_t len = j->out.len;
    j->out.data = NULL;
    return send_body(g, c, r, http, "application/json", body, len, j->status);
}

/* The batch response: lines in order as they complete; suspends while the next one runs. */
static ssize_t batch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct batch *b = cls;
    (void)pos;
    size_t n = 0;
    while (n < max && b->next_out < b->n && batch_item(b, b->next_out)->done) {
        struct job *j = batch_item(b, b->next_out);
        size_t left = j->out.len - b->out_off;
        size_t take = left < max - n ? left : max - n;
        memcpy(buf + n, j->out.data + b->out_off, take);
        n += take;
        b->out_off += take;
        if (b->out_off == j->out.len) {
            if (n == max) /* the newline next time */
                break;
            buf[n++] = '\n';
            lede_jbuf_release(&j->out);
            b->next_out++;
            b->out_off = 0;
        }
    }
    if (n == 0 && b->next_out == b->n)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n == 0) {
        b->waiting = 1;
        MHD_suspend_connection(b->conn);
    }
    return (ssize_t)n;
}

static void batch_free(void *cls)
{
    struct batch *b = cls;
    b->abandoned = 1; /* lines still in flight: batch_pump lets go when they are done */
    batch_release(b);
}

/* The batch of request r, made by the first piece of its upload (the body so far is taken);
 * NULL when out of memory. */
static struct batch *batch_new(lede_gateway_t *g, struct MHD_Connection *c, struct req *r)
{
    struct batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->g = g;
    b->conn = c;
    b->body = r->body;
    memset(&r->body, 0, sizeof r->body);
    b->refs = 2;
    return b;
}

/* A job for each line of the body that is complete, or that the body's end completes when
 * final (blank lines skipped). 0, or -1 when out of memory. */
static int batch_scan(struct batch *b, const struct req *r, int final)
{
    const char *d = b->body.data;
    size_t len = b->body.len;
    while (b->scanned < len) {
        size_t start = b->scanned; /* memchr, not a byte loop: it was a tenth of the route's CPU */
        const char *nl = memchr(d + start, '\n', len - start);
        if (!nl && !final)
            break;
        size_t s = start, e = nl ? (size_t)(nl - d) : len;
        b->scanned = nl ? e + 1 : len;
        while (s < e && (d[s] == ' ' || d[s] == '\t' || d[s] == '\r'))
            s++;
        while (e > s && (d[e - 1] == ' ' || d[e - 1] == '\t' || d[e - 1] == '\r'))
            e--;
        if (s == e)
            continue;
        if (b->n == b->n_blocks * BATCH_BLOCK) {
            struct job **blocks = realloc(b->blocks, (b->n_blocks + 1) * sizeof *blocks);
            if (!blocks)
                return -1;
            b->blocks = blocks;
            if (!(blocks[b->n_blocks] = calloc(BATCH_BLOCK, sizeof **blocks)))
                return -1;
            b->n_blocks++;
        }
        struct job *j = batch_item(b, b->n);
        j->g = b->g;
        j->kind = JOB_BATCH_ITEM;
        j->batch = b;
        j->index = b->n++;
        j->line_off = s;
        j->line_len = e - s;
        j->deadline_ms = r->deadline_ms;
        memcpy(j->trace, r->trace, sizeof j->trace);
        memcpy(j->tenant, r->tenant, sizeof j->tenant);
        lede_jbuf_init(&j->out, MAX_RESPONSE);
    }
    return 0;
}

/* The upload failed (too large, out of memory, the client gone): no more lines leave, those
 * in flight are let go when they return. Idempotent. */
static void batch_fail(lede_gateway_t *g, struct batch *b)
{
    b->abandoned = 1;
    lede_jbuf_release(&b->body);
    batch_pump(g, b);
}

/* A piece of r's batch upload: appended, and the lines it completes sent. */
static void batch_upload(lede_gateway_t *g, struct MHD_Connection *c, struct req *r,
                         const char *data, size_t n)
{
    if (!r->batch && !(r->batch = batch_new(g, c, r))) {
        r->oom = 1;
        return;
    }
    struct batch *b = r->batch;
    lede_jbuf_put(&b->body, data, n);
    if (b->body.failed)
        r->too_big = 1;
    else if (batch_scan(b, r, 0) != 0)
        r->oom = 1;
    if (r->too_big || r->oom)
        batch_fail(g, b);
    else
        batch_pump(g, b);
}

/* The upload is complete: the last line queued and the streamed response started; the
 * request's reference to the batch becomes the response's. */
static enum MHD_Result start_batch(lede_gateway_t *g, struct MHD_Connection *c, struct req *r)
{
    if (!r->batch && !r->oom && !(r->batch = batch_new(g, c, r)))
        r->oom = 1;
    struct batch *b = r->batch;
    if (!r->oom && batch_scan(b, r, 1) != 0)
        r->oom = 1;
    struct MHD_Response *resp = r->oom
                                    ? NULL
                                    : MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                        batch_read, b, batch_free);
    if (!resp) {
        if (b)
            batch_fail(g, b); /* on_completed lets go of it */
        r->state = 2;
        return send_error(g, c, r, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, 0, "out of memory");
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
    add_common_headers(g, resp, r);
    r->state = 2;
    r->batch = NULL;
    b->sealed = 1;
    count(g, r, 0, 200);
    logf_(g, LEDE_LOG_INFO, r->trace, "event=batch lines=%zu bytes=%zu tenant=%s", b->n,
          b->body.len, r->tenant[0] ? r->tenant : "-");
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp); /* when it failed, this let go of the response's reference */
    batch_pump(g, b);           /* the last lines; the calls' side lets go when all are done */
    return rc;
}

static enum MHD_Result serve_get(lede_gateway_t *g, struct MHD_Connection *c, struct req *r)
{
    switch (r->route) {
    case R_HEALTHZ: return send_static(g, c, r, 200, "text/plain; charset=utf-8", "ok\n", 3);
    case R_READYZ: {
        if (atomic_load(&g->draining))
            return send_static(g, c, r, 503, "text/plain; charset=utf-8", "not ready: draining\n",
                               20);
        if (atomic_load(&g->brokers_up) == 0)
            return send_static(g, c, r, 503, "text/plain; charset=utf-8",
                               "not ready: no broker connected\n", 31);
        return send_static(g, c, r, 200, "text/plain; charset=utf-8", "ready\n", 6);
    }
    case R_METRICS: {
        char *out;
        size_t len;
        if (!g->cfg.metrics || lede_metrics_render(g->cfg.metrics, &out, &len) != LEDE_OK)
            return send_error(g, c, r, LEDE__V1__STATUS__INTERNAL, 0, "cannot render metrics");
        return send_body(g, c, r, 200, "text/plain; version=0.0.4; charset=utf-8", out, len, 0);
    }
    case R_OPENAPI:
        return send_static(g, c, r, 200, "application/json", g->openapi, g->openapi_len);
    case R_PLAYGROUND:
        return send_static(g, c, r, 200, "text/html; charset=utf-8",
                           (const char *)lede_gateway_playground_html,
                           lede_gateway_playground_html_len);
    default: break;
    }
    return send_error(g, c, r, LEDE__V1__STATUS__NOT_FOUND, 404, "no such page");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    lede_gateway_t *g = cls;
    (void)version;
    struct req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        clock_gettime(CLOCK_MONOTONIC, &r->start);
        int allowed;
        r->route = route_of(url, method, &allowed);
        const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
        if (origin_allowed(g, origin))
            snprintf(r->origin, sizeof r->origin, "%s", origin);
        if (!strcmp(method, MHD_HTTP_METHOD_OPTIONS)) {
            r->state = 2;
            if (!r->origin[0])
                return send_error(g, c, r, LEDE__V1__STATUS__PERMISSION_DENIED, 0,
                                  "origin \"%.100s\" is not allowed (--cors-origins)",
                                  origin ? origin : "");
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
            if (!resp)
                return MHD_NO;
            add_common_headers(g, resp, r);
            MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
            MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                    "Authorization, Content-Type, Connect-Timeout-Ms, "
                                    "Connect-Protocol-Version, Grpc-Timeout, Traceparent");
            MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
            enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, resp);
            MHD_destroy_response(resp);
            count(g, r, 0, 204);
            return rc;
        }
        if (r->route == R_OTHER) {
            r->state = 2;
            if (!strcmp(method, MHD_HTTP_METHOD_POST) && !strncmp(url, "/lede.", 6))
                return send_error(g, c, r, LEDE__V1__STATUS__UNIMPLEMENTED, 0,
                                  "no method \"%.200s\" (this gateway serves "
                                  "/lede.v1.Summarizer/Summarize)",
                                  url + 1);
            return send_error(g, c, r, LEDE__V1__STATUS__NOT_FOUND, 404,
                              "no route %.200s (see /openapi.json)", url);
        }
        if (!allowed) {
            r->state = 2;
            return send_error(g, c, r, LEDE__V1__STATUS__UNIMPLEMENTED, 405, "%s does not take %s",
                              url, method);
        }
        if (r->route <= R_BATCH) {
            enum MHD_Result ret;
            if (check_headers(g, c, r, &ret) != 0) {
                r->state = 2;
                return ret;
            }
            size_t cap = r->route == R_BATCH ? g->cfg.max_batch_body : g->cfg.max_body;
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
            if (cl && strtoull(cl, NULL, 10) > cap) {
                r->state = 2;
                return send_error(g, c, r, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, 413,
                                  "the body is larger than %zu bytes", cap);
            }
            lede_jbuf_init(&r->body, cap + 1);
        }
        return MHD_YES;
    }
    if (r->state == 2) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->route > R_BATCH)
        return serve_get(g, c, r);
    if (r->state == 1)
        return r->job->done ? finish_unary(g, c, r) : MHD_YES;
    if (*upload_size) {
        if (r->route == R_BATCH && !r->too_big && !r->oom) {
            batch_upload(g, c, r, upload, *upload_size);
        } else if (!r->too_big) {
            lede_jbuf_put(&r->body, upload, *upload_size);
            if (r->body.failed) {
                r->too_big = 1;
                lede_jbuf_release(&r->body);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->too_big) {
        r->state = 2;
        return send_error(g, c, r, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, 413,
                          "the body is larger than %zu bytes",
                          r->route == R_BATCH ? g->cfg.max_batch_body : g->cfg.max_body);
    }
    if (r->route == R_BATCH)
        return start_batch(g, c, r);
    return start_unary(g, c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct req *r = *con_cls;
    if (!r)
        return;
    if (r->batch) { /* the upload never completed, or was refused */
        batch_fail(r->batch->g, r->batch);
        batch_release(r->batch);
    }
    if (r->job && r->job->done) {
        lede_jbuf_release(&r->job->out);
        free(r->job->payload);
        free(r->job);
    }
    lede_jbuf_release(&r->body);
    free(r);
    *con_cls = NULL;
}

/* ---- start and stop ---- */

static char *read_file(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct lede_jbuf b;
    lede_jbuf_init(&b, 1u << 20);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        lede_jbuf_put(&b, tmp, n);
    fclose(f);
    if (b.failed || !b.data) {
        snprintf(err, err_len, "%s: empty, unreadable or over 1 MiB", path);
        lede_jbuf_release(&b);
        return NULL;
    }
    return b.data;
}

static json_t *error_schema(void)
{
    json_t *names = json_array();
    for (int s = 0; s < STATUS_COUNT; s++)
        json_array_append_new(names, json_string(lede_wire_status_name(s)));
    return json_pack("{s:s, s:[s,s], s:{s:{s:s, s:o}, s:{s:s}}}", "type", "object", "required",
                     "code", "message", "properties", "code", "type", "string", "enum", names,
                     "message", "type", "string");
}

static json_t *responses(const char *ok_ref, const char *ok_type)
{
    json_t *r = json_object();
    json_object_set_new(r, "200",
                        json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", "the answer", "content",
                                  ok_type, "schema", "$ref", ok_ref));
    static const struct {
        const char *code, *what;
    } errs[] = {
        {"400", "INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE"},
        {"401", "UNAUTHENTICATED: no or unknown bearer token"},
        {"403", "PERMISSION_DENIED: the token's tenant may not use this route"},
        {"413", "the body is over the gateway's limit"},
        {"429", "RESOURCE_EXHAUSTED (Retry-After): queue full, too many calls, article too big"},
        {"499", "CANCELLED"},
        {"500", "INTERNAL, UNKNOWN, DATA_LOSS"},
        {"501", "UNIMPLEMENTED"},
        {"503", "UNAVAILABLE (Retry-After): no broker or no worker"},
        {"504", "DEADLINE_EXCEEDED"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        json_object_set_new(r, errs[i].code,
                            json_pack("{s:s, s:{s:{s:{s:s}}}}", "description", errs[i].what,
                                      "content", "application/json", "schema", "$ref",
                                      "#/components/schemas/Error"));
    return r;
}

static json_t *header_params(void)
{
    return json_pack(
        "[{s:s, s:s, s:s, s:{s:s}}, {s:s, s:s, s:s, s:{s:s}}, {s:s, s:s, s:s, s:{s:s}}]", "name",
        "Connect-Timeout-Ms", "in", "header", "description", "deadline in milliseconds", "schema",
        "type", "integer", "name", "grpc-timeout", "in", "header", "description",
        "deadline as digits and a unit (H M S m u n)", "schema", "type", "string", "name",
        "traceparent", "in", "header", "description",
        "W3C trace context: its trace id goes with the call to the worker's log", "schema", "type",
        "string");
}

char *lede_gateway_openapi(void)
{
    json_t *schemas = json_object();
    lede_pbjson_schema(&lede__v1__summarize_request__descriptor, schemas);
    lede_pbjson_schema(&lede__v1__summarize_response__descriptor, schemas);
    json_object_set_new(schemas, "Error", error_schema());
    json_t *sum_op =
        json_pack("{s:s, s:s, s:o, s:{s:b, s:{s:{s:{s:s}}}}, s:o}", "operationId", "Summarize",
                  "summary", "Summarize one article (lede.v1.Summarizer/Summarize)", "parameters",
                  header_params(), "requestBody", "required", 1, "content", "application/json",
                  "schema", "$ref", "#/components/schemas/SummarizeRequest", "responses",
                  responses("#/components/schemas/SummarizeResponse", "application/json"));
    json_t *connect_op = json_deep_copy(sum_op);
    json_object_set_new(connect_op, "operationId", json_string("SummarizeConnect"));
    json_object_set_new(connect_op, "summary",
                        json_string("The same call in the Connect protocol's unary JSON form"));
    json_t *batch_op = json_pack(
        "{s:s, s:s, s:o, s:{s:b, s:{s:{s:{s:s}}}}, s:o}", "operationId", "SummarizeBatch",
        "summary",
        "NDJSON: one SummarizeRequest per line in; one SummarizeResponse (or {\"code\", "
        "\"message\"}) per line out, in order, streamed",
        "parameters", header_params(), "requestBody", "required", 1, "content",
        "application/x-ndjson", "schema", "$ref", "#/components/schemas/SummarizeRequest",
        "responses", responses("#/components/schemas/SummarizeResponse", "application/x-ndjson"));
    json_t *text_get =
        json_pack("{s:{s:{s:s, s:{s:{s:{s:s}}}}}}", "get", "responses", "200", "description", "ok",
                  "content", "text/plain", "schema", "type", "string");
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:{s:{s:o}, s:{s:o}, s:{s:o}, s:o, s:o, s:o, s:o}, "
        "s:{s:o, s:{s:{s:s, s:s}}}, s:[{s:[]}, {}]}",
        "openapi", "3.1.0", "info", "title", "lede", "version", LEDE_VERSION, "description",
        "lede's HTTP/JSON API: the messages of proto/lede.proto (package lede.v1) in the proto3 "
        "JSON mapping (lowerCamelCase names), except that text fields are JSON strings (not "
        "base64) and 64-bit integers are JSON numbers. Status codes as grpc-gateway maps them.",
        "paths", "/v1/summarize", "post", sum_op, "/lede.v1.Summarizer/Summarize", "post",
        connect_op, "/v1/summarize:batch", "post", batch_op, "/healthz", text_get, "/readyz",
        json_deep_copy(text_get), "/metrics", json_deep_copy(text_get), "/openapi.json",
        json_pack("{s:{s:{s:{s:s}}}}", "get", "responses", "200", "description", "this document"),
        "components", "schemas", schemas, "securitySchemes", "bearer", "type", "http", "scheme",
        "bearer", "security", "bearer");
    char *s = doc ? json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    return s;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss->ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
    return 0;
}

int lede_gateway_start(const struct lede_gateway_config *cfg, lede_gateway_t **out, char *err,
                       size_t err_len)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t slen;
    int rc = lede_http_parse_listen(cfg->listen, &ss, &slen, err, err_len);
    if (rc)
        return rc;
    if (!cfg->tokens_file && !is_loopback(&ss)) {
        snprintf(err, err_len,
                 "--listen %s is not a loopback address: give --tokens FILE so callers must "
                 "authenticate (without tokens the gateway listens on loopback only)",
                 cfg->listen);
        return LEDE_EINVAL;
    }
    if (!!cfg->tls_cert != !!cfg->tls_key) {
        snprintf(err, err_len, "TLS needs both --tls-cert and --tls-key");
        return LEDE_EINVAL;
    }
    lede_gateway_t *g = calloc(1, sizeof *g);
    if (!g)
        return LEDE_ENOMEM;
    g->cfg = *cfg;
    g->fd = -1;
    g->efd = -1;
    g->mhd_fd = -1;
    pthread_mutex_init(&g->tokens_mu, NULL); /* lede_gateway_reload_tokens runs on another thread */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    g->seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid() << 16;
    rc = LEDE_EINVAL;
    if (cfg->cors_origins && *cfg->cors_origins) {
        char *list = strdup(cfg->cors_origins), *save = NULL;
        for (char *t = list ? strtok_r(list, ",", &save) : NULL; t;
             t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            if (!strcmp(t, "*"))
                g->any_origin = 1;
            else if (*t && g->n_origins < MAX_ORIGINS)
                g->origins[g->n_origins++] = strdup(t);
        }
        free(list);
    }
    if (cfg->tokens_file) {
        rc = lede_tokens_load(cfg->tokens_file, &g->tokens, err, err_len);
        if (rc != LEDE_OK)
            goto fail;
    }
    if (cfg->tls_cert) {
        g->tls_cert = read_file(cfg->tls_cert, err, err_len);
        g->tls_key = g->tls_cert ? read_file(cfg->tls_key, err, err_len) : NULL;
        if (!g->tls_key) {
            rc = LEDE_EIO;
            goto fail;
        }
    }
    g->openapi = lede_gateway_openapi();
    if (!g->openapi) {
        rc = LEDE_ENOMEM;
        goto fail;
    }
    g->openapi_len = strlen(g->openapi);
    /* the client */
    struct lede_client_options copt;
    lede_client_options_init(&copt);
    copt.deadline_ms = cfg->deadline_ms;
    copt.max_in_flight = cfg->max_in_flight + 64 * cfg->batch_window + 64;
    copt.unreachable_ms = cfg->unreachable_ms;
    copt.curve_secret_file = cfg->curve_secret;
    copt.broker_key_file = cfg->broker_key;
    rc = lede_client_new(cfg->brokers, &copt, &g->client, err, err_len);
    if (rc != LEDE_OK)
        goto fail;
    g->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (g->efd < 0) {
        snprintf(err, err_len, "eventfd: %s", strerror(errno));
        rc = LEDE_EIO;
        goto fail;
    }
    /* metrics */
    if (cfg->metrics) {
        static const char *const labels[] = {"route", "code", "status", NULL};
        g->f_requests = lede_metrics_family(
            cfg->metrics, LEDE_METRIC_COUNTER, "lede_gateway_requests_total",
            "HTTP requests answered, by route, HTTP code and gRPC status", labels, NULL, 0);
        static const char *const rl[] = {"route", NULL};
        lede_metrics_family_t *lat = lede_metrics_family(
            cfg->metrics, LEDE_METRIC_HISTOGRAM, "lede_gateway_request_duration_seconds",
            "time from the request's headers to its answer, by route", rl,
            lede_metrics_latency_buckets, lede_metrics_latency_buckets_n);
        for (int i = 0; i < R_COUNT && lat; i++) {
            const char *v[] = {route_names[i]};
            g->latency[i] = lede_metrics_family_histogram(lat, v);
        }
        g->g_in_flight = lede_metrics_gauge(cfg->metrics, "lede_gateway_calls_in_flight",
                                            "calls out to the brokers now");
        g->g_brokers_up = lede_metrics_gauge(cfg->metrics, "lede_gateway_brokers_up",
                                             "brokers with a connection up now");
        g->c_batch_lines = lede_metrics_counter(cfg->metrics, "lede_gateway_batch_lines_total",
                                                "NDJSON lines taken by /v1/summarize:batch");
    }
    /* the listener */
    g->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (g->fd < 0 || setsockopt(g->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(g->fd, (struct sockaddr *)&ss, slen) || listen(g->fd, 1024)) {
        snprintf(err, err_len, "cannot listen on %s: %s", cfg->listen, strerror(errno));
        rc = LEDE_EIO;
        goto fail;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(g->fd, (struct sockaddr *)&bound, &blen);
    g->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    /* libmicrohttpd without a thread of its own: the loop thread runs it (its epoll fd is
       polled with the broker sockets), so a request never hops between threads */
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (g->tls_cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_LISTEN_SOCKET, g->fd, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->conn_timeout_s, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->max_per_ip, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, g->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, g->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!g->tls_cert)
        opts[5].option = MHD_OPTION_END;
    g->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, g, MHD_OPTION_ARRAY, opts,
                                 MHD_OPTION_END);
    if (!g->daemon) {
        snprintf(err, err_len, "cannot start the HTTP server on %s%s", cfg->listen,
                 g->tls_cert ? " (is the certificate and key a matching PEM pair?)" : "");
        rc = LEDE_EIO;
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(g->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    g->mhd_fd = info ? info->epoll_fd : -1;
    if (g->mhd_fd < 0) {
        snprintf(err, err_len, "libmicrohttpd gives no epoll descriptor");
        rc = LEDE_EIO;
        goto fail;
    }
    if (pthread_create(&g->thread, NULL, loop_main, g) != 0) {
        snprintf(err, err_len, "cannot start the gateway's thread");
        rc = LEDE_ENOMEM;
        goto fail;
    }
    g->thread_started = 1;
    *out = g;
    return LEDE_OK;
fail:
    lede_gateway_stop(&g);
    return rc;
}

int lede_gateway_port(const lede_gateway_t *g)
{
    return g ? g->port : -1;
}

int lede_gateway_reload_tokens(lede_gateway_t *g, char *err, size_t err_len)
{
    if (!g->cfg.tokens_file)
        return LEDE_OK;
    lede_tokens_t *t = NULL;
    int rc = lede_tokens_load(g->cfg.tokens_file, &t, err, err_len);
    if (rc != LEDE_OK)
        return rc;
    pthread_mutex_lock(&g->tokens_mu);
    lede_tokens_t *old = g->tokens;
    g->tokens = t;
    pthread_mutex_unlock(&g->tokens_mu);
    lede_tokens_destroy(&old);
    logf_(g, LEDE_LOG_INFO, NULL, "event=tokens_reloaded tokens=%zu", lede_tokens_count(t));
    return LEDE_OK;
}

void lede_gateway_drain(lede_gateway_t *g)
{
    if (g)
        atomic_store(&g->draining, true);
}

void lede_gateway_stop(lede_gateway_t **gp)
{
    if (!gp || !*gp)
        return;
    lede_gateway_t *g = *gp;
    if (g->thread_started) {
        atomic_store(&g->stop, true);
        wake(g);
        pthread_join(g->thread, NULL);
    }
    if (g->daemon)
        MHD_stop_daemon(g->daemon);
    else if (g->fd >= 0)
        close(g->fd);
    lede_client_destroy(&g->client);
    arena_reset(&g->arena);
    free(g->arena.block);
    if (g->efd >= 0)
        close(g->efd);
    lede_tokens_destroy(&g->tokens);
    for (size_t i = 0; i < g->n_origins; i++)
        free(g->origins[i]);
    free(g->tls_cert);
    free(g->tls_key);
    free(g->openapi);
    pthread_mutex_destroy(&g->tokens_mu);
    free(g);
    *gp = NULL;
}
