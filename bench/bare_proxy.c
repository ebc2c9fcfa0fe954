/* bare_proxy.c: the baseline for the broker-cost benchmark (scripts/bench.sh). Two modes:
 *   bare_proxy --proxy --frontend EP --backend EP --ready-file F
 *       a bare zmq_proxy, ROUTER frontend and DEALER backend, nothing else (no credit,
 *       heartbeats, deadlines or re-dispatch);
 *   bare_proxy --worker --connect EP [--threads T] [--io-batch]
 *       T echo threads, each a DEALER: decodes the LEDE CALL and its SummarizeRequest and
 *       answers a REPLY with the same echo SummarizeResponse that lede-worker --echo sends;
 *       --io-batch runs ZeroMQ's I/O thread as SCHED_BATCH, as lede-worker does by default,
 * so lede-load drives it exactly as it drives lede-broker + lede-worker --echo. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#ifndef SCHED_BATCH
#define SCHED_BATCH 3 /* Linux; glibc declares it only under _GNU_SOURCE */
#endif

#include "clock.h"
#include "error.h"
#include "handler.h"
#include "lede.pb-c.h"
#include "wire.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct worker_arg {
    void *ctx;
    const char *endpoint;
    unsigned id;
};

/* Builds the REPLY for one CALL frame; *out is malloc'd. The response is made by the same
 * handler as lede-worker --echo's. Returns 0 or -1 (frame dropped). */
static int echo(const void *buf, size_t len, uint8_t **out, size_t *out_len)
{
    uint64_t t0 = lede_clock_mono_us();
    struct lede_wire_frame f;
    if (lede_wire_decode(buf, len, 0, &f, NULL) != LEDE_OK)
        return -1;
    if (f.command != LEDE__V1__COMMAND__CALL) {
        lede_wire_frame_release(&f);
        return -1;
    }
    Lede__V1__Call *call = f.body.call;
    struct lede_handler_out ho;
    lede_handler_summarize(NULL, NULL, call->payload.data, call->payload.len, t0, 1, &ho);
    Lede__V1__Reply reply = LEDE__V1__REPLY__INIT;
    reply.call_id = call->call_id;
    reply.dispatch_id = call->dispatch_id;
    reply.served_by = (char *)"bare";
    reply.status = (Lede__V1__Status)ho.status;
    reply.message = ho.message;
    reply.payload.data = ho.payload;
    reply.payload.len = ho.payload_len;
    int rc =
        lede_wire_encode(LEDE__V1__COMMAND__REPLY, &reply.base, out, out_len) == LEDE_OK ? 0 : -1;
    lede_handler_out_release(&ho);
    lede_wire_frame_release(&f);
    return rc;
}

static void *worker_main(void *p)
{
    struct worker_arg *a = p;
    void *s = zmq_socket(a->ctx, ZMQ_DEALER);
    int linger = 0, rcv_to = 200;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &rcv_to, sizeof rcv_to);
    if (zmq_connect(s, a->endpoint) != 0) {
        fprintf(stderr, "bare_proxy: connect %s: %s\n", a->endpoint, zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    zmq_msg_t parts[8];
    while (!stop_flag) {
        /* a message from the proxy's DEALER: the client's routing id(s), then the frame */
        int n = 0, more = 1;
        while (more && n < 8) {
            zmq_msg_init(&parts[n]);
            if (zmq_msg_recv(&parts[n], s, 0) < 0) {
                zmq_msg_close(&parts[n]);
                break;
            }
            more = zmq_msg_more(&parts[n]);
            n++;
        }
        if (more) { /* timeout, or an over-long message: drop what came */
            for (int i = 0; i < n; i++)
                zmq_msg_close(&parts[i]);
            continue;
        }
        uint8_t *out = NULL;
        size_t out_len = 0;
        if (n >= 2 &&
            echo(zmq_msg_data(&parts[n - 1]), zmq_msg_size(&parts[n - 1]), &out, &out_len) == 0) {
            for (int i = 0; i < n - 1; i++)
                zmq_msg_send(&parts[i], s, ZMQ_SNDMORE); /* the envelope goes back as is */
            zmq_send(s, out, out_len, 0);
            free(out);
            zmq_msg_close(&parts[n - 1]);
        } else {
            for (int i = 0; i < n; i++)
                zmq_msg_close(&parts[i]);
        }
    }
    zmq_close(s);
    return NULL;
}

static int write_ready(const char *path, void *fe, void *be)
{
    char a[256], b[256], tmp[4096];
    size_t la = sizeof a, lb = sizeof b;
    zmq_getsockopt(fe, ZMQ_LAST_ENDPOINT, a, &la);
    zmq_getsockopt(be, ZMQ_LAST_ENDPOINT, b, &lb);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "frontend=%s\nbackend=%s\n", a, b);
    fclose(f);
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    const char *frontend = "tcp://127.0.0.1:*", *backend = "tcp://127.0.0.1:*";
    const char *ready = NULL, *connect = NULL;
    int proxy = 0, worker = 0;
    unsigned threads = 1;
    int io_batch = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--proxy") == 0)
            proxy = 1;
        else if (strcmp(argv[i], "--worker") == 0)
            worker = 1;
        else if (strcmp(argv[i], "--frontend") == 0 && v)
            frontend = argv[++i];
        else if (strcmp(argv[i], "--backend") == 0 && v)
            backend = argv[++i];
        else if (strcmp(argv[i], "--ready-file") == 0 && v)
            ready = argv[++i];
        else if (strcmp(argv[i], "--connect") == 0 && v)
            connect = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && v)
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--io-batch") == 0)
            io_batch = 1;
        else {
            fprintf(stderr,
                    "usage: bare_proxy --proxy [--frontend EP] [--backend EP] "
                    "[--ready-file F] | --worker --connect EP [--threads T] [--io-batch]\n");
            return 1;
        }
    }
    if (proxy == worker || (worker && (!connect || threads < 1 || threads > 64))) {
        fprintf(stderr, "bare_proxy: give --proxy, or --worker --connect EP (1..64 threads)\n");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    void *ctx = zmq_ctx_new();
    if (io_batch && zmq_ctx_set(ctx, ZMQ_THREAD_SCHED_POLICY, SCHED_BATCH) != 0)
        fprintf(stderr, "bare_proxy: SCHED_BATCH: %s\n", zmq_strerror(zmq_errno()));
    if (worker) {
        pthread_t th[64];
        struct worker_arg args[64];
        for (unsigned t = 0; t < threads; t++) {
            args[t] = (struct worker_arg){ctx, connect, t};
            pthread_create(&th[t], NULL, worker_main, &args[t]);
        }
        for (unsigned t = 0; t < threads; t++)
            pthread_join(th[t], NULL);
        zmq_ctx_term(ctx);
        return 0;
    }
    void *fe = zmq_socket(ctx, ZMQ_ROUTER), *be = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(fe, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(be, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(fe, frontend) != 0 || zmq_bind(be, backend) != 0) {
        fprintf(stderr, "bare_proxy: bind: %s\n", zmq_strerror(zmq_errno()));
        return 1;
    }
    if (ready && write_ready(ready, fe, be) != 0) {
        fprintf(stderr, "bare_proxy: cannot write %s\n", ready);
        return 1;
    }
    zmq_proxy(fe, be, NULL); /* returns when a signal interrupts it */
    zmq_close(fe);
    zmq_close(be);
    zmq_ctx_term(ctx);
    return 0;
}
