/* http_load.c: lede's HTTP load generator for the gateway benchmark (scripts/bench_gateway.sh):
 * POST /v1/summarize over C keep-alive HTTP/1.1 connections, the articles of a JSONL file in
 * turn, closed loop (every connection sends again as soon as it is answered) or open loop (a
 * fixed rate; latency from each call's intended send time, so no coordinated omission). Prints
 * one JSON object like lede-load's: throughput_rps, latency_us {p50, p90, p99, p999, max}. */
#define _GNU_SOURCE 1 /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "histogram.h"
#include "load_sched.h"
#include "record.h"

#define MAX_CONNS 1024

struct conn {
    int fd;
    const char *out; /* the request being sent */
    size_t out_len, out_off;
    char *in;
    size_t in_len, in_cap;
    uint64_t intended_ns;
    int busy;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
    fprintf(stderr, "usage: http_load --host IP --port N --data FILE.jsonl [--path /v1/summarize]\n"
                    "  [--connections C] [--duration S] [--rate R] [--limit N] [--sentences K]\n"
                    "  [--token T] [--out FILE] [--bodies FILE (write the JSON bodies, one a line, "
                    "and exit)]\n");
}

struct build_ctx {
    size_t limit, n, cap;
    int sentences;
    const char *path, *token;
    FILE *bf;
    char **reqs;
};

/* One record's request (a line without an article is skipped); 1 stops at the limit. */
static int build_request(void *ctx, const struct lede_record *rec)
{
    struct build_ctx *b = ctx;
    if (rec->error)
        return 0;
    /* the request lede-load sends (tools/lede-load): the language named, so both sides of the
       gateway/native ratio (and the batch/engine ratio) ask the workers for the same work;
       detection (CLD2) would add about 40% to every call of this side only */
    json_t *req = json_pack("{s:s%, s:s, s:i}", "body", rec->article, rec->article_len, "language",
                            "en", "sentences", b->sentences);
    if (!req)
        return -1;
    if (rec->id)
        json_object_set_new(req, "articleId", json_string(rec->id));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body)
        return -1;
    if (b->bf)
        fprintf(b->bf, "%s\n", body);
    char auth[300] = "";
    if (b->token)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", b->token);
    size_t blen = strlen(body);
    size_t rlen = blen + strlen(b->path) + strlen(auth) + 160;
    char *r = malloc(rlen);
    if (r)
        snprintf(r, rlen,
                 "POST %s HTTP/1.1\r\nHost: lede\r\nContent-Type: application/json\r\n%s"
                 "Content-Length: %zu\r\n\r\n%s",
                 b->path, auth, blen, body);
    free(body);
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        char **q = realloc(b->reqs, cap * sizeof *q);
        if (!q) {
            free(r);
            return -1;
        }
        b->reqs = q;
        b->cap = cap;
    }
    if (!r)
        return -1;
    b->reqs[b->n++] = r;
    return b->n >= b->limit ? 1 : 0;
}

/* The requests: HTTP/1.1 POSTs with a JSON SummarizeRequest each. */
static char **build(const char *data, size_t limit, int sentences, const char *path,
                    const char *token, size_t *n_out, const char *bodies_file)
{
    struct build_ctx b = {.limit = limit, .sentences = sentences, .path = path, .token = token};
    b.bf = bodies_file ? fopen(bodies_file, "w") : NULL;
    char err[300] = "";
    int rc = limit ? lede_records_read(data, 64u << 20, build_request, &b, err, sizeof err) : 0;
    if (b.bf)
        fclose(b.bf);
    if (rc == -1) {
        fprintf(stderr, "http_load: %s\n", err[0] ? err : "out of memory");
        for (size_t i = 0; i < b.n; i++)
            free(b.reqs[i]);
        free(b.reqs);
        return NULL;
    }
    *n_out = b.n;
    return b.reqs;
}

static int connect_to(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* A complete response in c->in: its status and total length, else 0. */
static size_t response_len(const struct conn *c, int *status)
{
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->in) + 4;
    *status = atoi(c->in + 9);
    const char *cl = memmem(c->in, head, "Content-Length:", 15);
    if (!cl)
        cl = memmem(c->in, head, "content-length:", 15);
    size_t body = cl ? strtoull(cl + 15, NULL, 10) : 0;
    return c->in_len >= head + body ? head + body : 0;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *data = NULL, *path = "/v1/summarize", *token = NULL;
    const char *bodies = NULL, *out_file = NULL;
    int port = 0, conns = 32, sentences = 3;
    double duration = 4, rate = 0;
    size_t limit = (size_t)-1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 1;
        }
        if (!strcmp(a, "--host"))
            host = v;
        else if (!strcmp(a, "--port"))
            port = atoi(v);
        else if (!strcmp(a, "--data"))
            data = v;
        else if (!strcmp(a, "--path"))
            path = v;
        else if (!strcmp(a, "--connections"))
            conns = atoi(v);
        else if (!strcmp(a, "--duration"))
            duration = atof(v);
        else if (!strcmp(a, "--rate"))
            rate = atof(v);
        else if (!strcmp(a, "--limit"))
            limit = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--sentences"))
            sentences = atoi(v);
        else if (!strcmp(a, "--token"))
            token = v;
        else if (!strcmp(a, "--bodies"))
            bodies = v;
        else if (!strcmp(a, "--out"))
            out_file = v;
        else {
            usage();
            return 1;
        }
        i++;
    }
    if (!data || (!port && !bodies) || conns < 1 || conns > MAX_CONNS || duration <= 0) {
        usage();
        return 1;
    }
    size_t n_req = 0;
    char **reqs = build(data, limit, sentences, path, token, &n_req, bodies);
    if (!reqs || !n_req) {
        fprintf(stderr, "http_load: no articles in %s\n", data);
        return 1;
    }
    if (bodies)
        return 0;
    size_t *req_len = malloc(n_req * sizeof *req_len);
    for (size_t i = 0; i < n_req; i++)
        req_len[i] = strlen(reqs[i]);
    struct conn *cs = calloc((size_t)conns, sizeof *cs);
    struct pollfd *pf = calloc((size_t)conns, sizeof *pf);
    for (int i = 0; i < conns; i++) {
        cs[i].fd = connect_to(host, port);
        if (cs[i].fd < 0) {
            fprintf(stderr, "http_load: cannot connect to %s:%d: %s\n", host, port,
                    strerror(errno));
            return 1;
        }
        cs[i].in_cap = 1 << 16;
        cs[i].in = malloc(cs[i].in_cap);
    }
    lede_hist_t *hist = NULL;
    lede_hist_new(60000000u, 7, &hist);
    struct lede_load_sched sched;
    uint64_t start = now_ns();
    uint64_t stop_send = start + (uint64_t)(duration * 1e9);
    if (rate > 0)
        lede_load_sched_init(&sched, rate, start);
    uint64_t sent = 0, ok = 0, errors = 0, in_flight = 0, last_done = start, next_req = 0;
    uint64_t backlog = 0; /* open loop: calls due with no free connection */
    for (;;) {
        uint64_t now = now_ns();
        int sending = now < stop_send;
        /* start calls on idle connections */
        for (int i = 0; i < conns && sending; i++) {
            struct conn *c = &cs[i];
            if (c->busy)
                continue;
            uint64_t intended = now;
            if (rate > 0) {
                if (lede_load_sched_due(&sched, now, 1) == 0)
                    break;
                intended = lede_load_sched_take(&sched);
            }
            size_t k = (size_t)(next_req++ % n_req);
            c->out = reqs[k];
            c->out_len = req_len[k];
            c->out_off = 0;
            c->in_len = 0;
            c->intended_ns = intended;
            c->busy = 1;
            sent++;
            in_flight++;
        }
        if (rate > 0 && sending)
            backlog = lede_load_sched_due(&sched, now, UINT64_MAX);
        if (!sending && in_flight == 0)
            break;
        if (now > stop_send + 10000000000ull) /* 10 s grace */
            break;
        for (int i = 0; i < conns; i++) {
            pf[i].fd = cs[i].fd;
            pf[i].events = cs[i].busy ? (cs[i].out_off < cs[i].out_len ? POLLOUT : POLLIN) : 0;
            pf[i].revents = 0;
        }
        /* sleep until a reply, or the next call is due (to the microsecond: no busy loop that
           would take CPU from the service on a shared machine) */
        uint64_t wait = 10000000u;
        if (rate > 0 && sending) {
            uint64_t w = lede_load_sched_wait_ns(&sched, now_ns());
            if (w < wait)
                wait = w;
            int idle = 0;
            for (int i = 0; i < conns; i++)
                idle += !cs[i].busy;
            if (!idle) /* due calls wait for a connection: a reply is what we wait for */
                wait = 10000000u;
        }
        struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
        ppoll(pf, (nfds_t)conns, &ts, NULL);
        for (int i = 0; i < conns; i++) {
            struct conn *c = &cs[i];
            if (!c->busy || !pf[i].revents)
                continue;
            if (c->out_off < c->out_len) {
                ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
                if (w > 0)
                    c->out_off += (size_t)w;
                continue;
            }
            if (c->in_len + 65536 > c->in_cap) {
                c->in_cap *= 2;
                c->in = realloc(c->in, c->in_cap);
            }
            ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                fprintf(stderr, "http_load: the gateway closed a connection\n");
                return 2;
            }
            c->in_len += (size_t)r;
            int status = 0;
            size_t whole = response_len(c, &status);
            if (!whole)
                continue;
            uint64_t done = now_ns();
            lede_hist_record(hist, lede_load_latency_us(c->intended_ns, done));
            if (status == 200)
                ok++;
            else
                errors++;
            c->busy = 0;
            in_flight--;
            last_done = done;
        }
    }
    double secs = (double)(last_done - start) / 1e9;
    FILE *out = out_file ? fopen(out_file, "w") : stdout;
    if (!out)
        out = stdout;
    fprintf(
        out,
        "{\"label\":\"http_load\",\"mode\":\"%s\",\"connections\":%d,\"rate\":%.1f,\"sent\":%llu,"
        "\"ok\":%llu,\"errors\":%llu,\"lost\":%llu,\"backlog_at_end\":%llu,"
        "\"throughput_rps\":%.1f,\"duration_s\":%.3f,\"latency_us\":{\"p50\":%llu,\"p90\":%llu,"
        "\"p99\":%llu,\"p999\":%llu,\"max\":%llu}}\n",
        rate > 0 ? "open" : "closed", conns, rate, (unsigned long long)sent, (unsigned long long)ok,
        (unsigned long long)errors, (unsigned long long)in_flight, (unsigned long long)backlog,
        (double)ok / secs, secs, (unsigned long long)lede_hist_percentile(hist, 50),
        (unsigned long long)lede_hist_percentile(hist, 90),
        (unsigned long long)lede_hist_percentile(hist, 99),
        (unsigned long long)lede_hist_percentile(hist, 99.9),
        (unsigned long long)lede_hist_max(hist));
    return errors || in_flight ? 2 : 0;
}
