/* pool.c: the worker's engine threads: a bounded mutex queue in, an inproc PUSH socket per
 * thread out. Each thread owns one lede_workspace_t; the lede_engine_t is shared read-only. */
#include "pool.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "handler.h"
#include "log.h"
#include "utf8.h"
#include "wire.h"

struct lede_pool {
    struct lede_pool_config cfg;
    lede_workspace_t *inline_ws; /* cfg.inline_run: for calls the caller runs itself */
    char *served_by;
    char *done_endpoint;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct lede_pool_job *head, *tail;
    size_t queued;
    int stop;
    size_t n_threads; /* started */
    pthread_t *threads;
};

void lede_pool_job_free(struct lede_pool_job *job)
{
    if (!job)
        return;
    if (job->call)
        protobuf_c_message_free_unpacked(&job->call->base, NULL);
    free(job);
}

static struct lede_pool_job *take(lede_pool_t *p)
{
    struct lede_pool_job *job = NULL;
    pthread_mutex_lock(&p->mu);
    while (!p->stop && !p->head)
        pthread_cond_wait(&p->cv, &p->mu);
    if (!p->stop) {
        job = p->head;
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
    }
    pthread_mutex_unlock(&p->mu);
    return job;
}

/* out's result replaced by RESOURCE_EXHAUSTED: its reply would be `bytes` long, over max. */
static void too_big(struct lede_handler_out *out, size_t bytes, size_t max)
{
    lede_handler_out_release(out);
    out->status = LEDE__V1__STATUS__RESOURCE_EXHAUSTED;
    snprintf(out->message, sizeof out->message,
             "the reply (%zu bytes) would be larger than the worker's --max-message of %zu bytes: "
             "ask for a smaller budget, or without explain (every sentence)",
             bytes, max);
}

/* The most a REPLY frame holds besides its payload: header, ids, message and field tags. */
static size_t call_head_bytes(const lede_pool_t *p, const struct lede_pool_job *job)
{
    return LEDE_WIRE_HEADER_BYTES + strlen(job->call->call_id) + strlen(p->served_by) +
           sizeof(((struct lede_handler_out *)0)->message) + 64;
}

/* A SummarizeBatch call: every article through the same handler as a Summarize call of its own,
 * each with the bound such a call has, and the whole reply within the frame's cap (what does
 * not fit is sent back to be resent alone). done->items lists the articles for the counters. */
static void run_batch(lede_pool_t *p, lede_workspace_t *ws, const struct lede_pool_job *job,
                      struct lede_pool_done *done, struct lede_handler_out *out)
{
    struct lede_handler_batch_out *bo = malloc(sizeof *bo);
    if (!bo) {
        out->status = LEDE__V1__STATUS__RESOURCE_EXHAUSTED;
        snprintf(out->message, sizeof out->message, "worker out of memory");
        return;
    }
    size_t cap = p->cfg.max_reply_bytes, head = call_head_bytes(p, job);
    size_t item_max = cap ? (cap > head ? cap - head : 1) : 0;
    /* the batch's own envelope: a few bytes per item besides the items' answers */
    size_t slack = head + 16u * LEDE_BATCH_MAX_ITEMS;
    size_t max_payload = cap ? (cap > slack ? cap - slack : 1) : 0;
    lede_handler_summarize_batch(p->cfg.engine, ws, job->call->payload.data, job->call->payload.len,
                                 job->received_us, job->deadline_us, p->cfg.echo, item_max,
                                 max_payload, bo);
    *out = bo->out;
    if (bo->n_items && (done->items = malloc(bo->n_items * sizeof *done->items))) {
        memcpy(done->items, bo->items, bo->n_items * sizeof *done->items);
        done->n_items = (uint32_t)bo->n_items;
        done->items_skipped = (uint32_t)bo->skipped;
    }
    free(bo);
}

/* Runs one job and fills done; *frame is the REPLY frame to send (NULL when dropped). */
static void run_job(lede_pool_t *p, lede_workspace_t *ws, struct lede_pool_job *job,
                    struct lede_pool_done *done, uint8_t **frame, size_t *frame_len)
{
    uint64_t now = lede_clock_mono_us();
    struct lede_handler_out out;
    memset(&out, 0, sizeof out);
    done->link = job->link;
    done->gen = job->gen;
    done->received_us = job->received_us;
    *frame = NULL;
    *frame_len = 0;
    if (job->link < p->cfg.n_links && atomic_load(&p->cfg.link_gens[job->link]) != job->gen) {
        done->dropped = 1;
        return;
    }
    if (strcmp(job->call->method, LEDE_METHOD_SUMMARIZE_BATCH) == 0) {
        /* its deadline is checked before each article (one past it is answered alone, and
           counted as an article) */
        run_batch(p, ws, job, done, &out);
    } else if (job->deadline_us && now >= job->deadline_us) {
        done->skipped = 1;
        lede_handler_deadline_missed(&out, now, job->received_us);
    } else {
        /* the response is bounded before it is made: what is left of the frame's cap */
        size_t cap = p->cfg.max_reply_bytes, head = call_head_bytes(p, job);
        lede_handler_summarize_capped(p->cfg.engine, ws, job->call->payload.data,
                                      job->call->payload.len, job->received_us, p->cfg.echo,
                                      cap ? (cap > head ? cap - head : 1) : 0, &out);
    }
    /* A reply the transport would refuse (the broker drops the whole link for a frame past its
     * cap) becomes an error for this call alone: checked on the payload before the frame is
     * made, and on the frame itself. */
    size_t max = p->cfg.max_reply_bytes;
    size_t head = call_head_bytes(p, job);
    if (max && out.payload_len + head > max)
        too_big(&out, out.payload_len + head, max);
    char message[sizeof out.message]; /* whole characters, invalid bytes replaced (utf8.h) */
    lede_utf8_sanitize(message, sizeof message, out.message, strlen(out.message));
    done->status = out.status;
    done->engine_us = out.engine_us;

    Lede__V1__Reply reply = LEDE__V1__REPLY__INIT;
    reply.call_id = job->call->call_id;
    reply.status = (Lede__V1__Status)out.status;
    reply.message = message;
    reply.payload.data = out.payload;
    reply.payload.len = out.payload_len;
    reply.dispatch_id = job->call->dispatch_id;
    reply.served_by = p->served_by;
    int rc = lede_wire_encode(LEDE__V1__COMMAND__REPLY, &reply.base, frame, frame_len);
    if (rc == LEDE_OK && max && *frame_len > max) {
        too_big(&out, *frame_len, max);
        free(*frame);
        *frame = NULL;
        lede_utf8_sanitize(message, sizeof message, out.message, strlen(out.message));
        done->status = reply.status = (Lede__V1__Status)out.status;
        reply.payload.data = NULL;
        reply.payload.len = 0;
        rc = lede_wire_encode(LEDE__V1__COMMAND__REPLY, &reply.base, frame, frame_len);
    }
    if (rc != LEDE_OK) { /* allocation failure: RESOURCE_EXHAUSTED, as everywhere */
        done->status = LEDE__V1__STATUS__RESOURCE_EXHAUSTED;
        reply.status = LEDE__V1__STATUS__RESOURCE_EXHAUSTED;
        reply.payload.data = NULL;
        reply.payload.len = 0;
        reply.message = (char *)"out of memory encoding the reply";
        if (lede_wire_encode(LEDE__V1__COMMAND__REPLY, &reply.base, frame, frame_len) != LEDE_OK) {
            *frame = NULL;
            done->dropped = 1;
        }
    }
    lede_handler_out_release(&out);
}

static void free_frame(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Runs a job with workspace ws, frees it and fills done and body: the REPLY frame as a zmq
 * message that owns it, so it goes on without a copy (zmq frees it once sent), or an empty
 * message when the call was dropped. */
static void run_to_message(lede_pool_t *p, lede_workspace_t *ws, struct lede_pool_job *job,
                           struct lede_pool_done *done, zmq_msg_t *body)
{
    uint8_t *frame = NULL;
    size_t frame_len = 0;
    memset(done, 0, sizeof *done);
    run_job(p, ws, job, done, &frame, &frame_len);
    lede_pool_job_free(job);
    /* after a dense article, give its scratch memory back (the workspace and the allocator
     * would otherwise keep the peak of the largest call for good) */
    if (ws && lede_workspace_bytes(ws) > LEDE_POOL_TRIM_BYTES) {
        lede_workspace_trim(ws, LEDE_POOL_TRIM_BYTES);
        malloc_trim(0);
    }
    int rc =
        frame ? zmq_msg_init_data(body, frame, frame_len, free_frame, NULL) : zmq_msg_init(body);
    if (rc != 0) {
        free(frame);
        zmq_msg_init(body);
        done->dropped = 1;
    }
}

static void *thread_main(void *arg)
{
    lede_pool_t *p = arg;
    lede_workspace_t *ws = NULL;
    void *push = zmq_socket(p->cfg.zctx, ZMQ_PUSH);
    int hwm = 0, linger = 0, sndtimeo = 2000;
    if (!push) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL,
                        "engine thread: cannot make its socket: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    zmq_setsockopt(push, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(push, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
    if (zmq_connect(push, p->done_endpoint) != 0) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "engine thread: cannot connect %s: %s",
                        p->done_endpoint, zmq_strerror(zmq_errno()));
        goto cleanup;
    }
    if (!p->cfg.echo && lede_workspace_new(p->cfg.engine, &ws) != LEDE_OK) {
        lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "engine thread: cannot make a workspace");
        goto cleanup;
    }
    for (;;) {
        struct lede_pool_job *job = take(p);
        if (!job)
            break;
        struct lede_pool_done done;
        zmq_msg_t body;
        run_to_message(p, ws, job, &done, &body);
        if (zmq_send(push, &done, sizeof done, ZMQ_SNDMORE) < 0 ||
            zmq_msg_send(&body, push, 0) < 0) {
            lede_log_printf(NULL, LEDE_LOG_ERROR, NULL, NULL, "engine thread: result lost: %s",
                            zmq_strerror(zmq_errno()));
            zmq_msg_close(&body);
            free(done.items);
        }
    }
cleanup:
    lede_workspace_destroy(&ws);
    zmq_close(push);
    return NULL;
}

int lede_pool_run(lede_pool_t *p, struct lede_pool_job *job, struct lede_pool_done *done,
                  zmq_msg_t *body)
{
    if (!p->cfg.inline_run)
        return LEDE_EINVAL;
    run_to_message(p, p->inline_ws, job, done, body);
    return LEDE_OK;
}

int lede_pool_new(const struct lede_pool_config *cfg, lede_pool_t **out)
{
    *out = NULL;
    if (!cfg || !cfg->zctx || !cfg->done_endpoint || cfg->threads == 0 ||
        (!cfg->engine && !cfg->echo))
        return LEDE_EINVAL;
    lede_pool_t *p = calloc(1, sizeof *p);
    if (!p)
        return LEDE_ENOMEM;
    p->cfg = *cfg;
    if (p->cfg.max_queue == 0)
        p->cfg.max_queue = 1024;
    const char *by = cfg->served_by ? cfg->served_by : "";
    size_t by_size = lede_utf8_sanitized_size(by, strlen(by));
    if ((p->served_by = malloc(by_size)))
        lede_utf8_sanitize(p->served_by, by_size, by, strlen(by));
    p->done_endpoint = strdup(cfg->done_endpoint);
    p->threads = calloc(cfg->threads, sizeof *p->threads);
    if (!p->served_by || !p->done_endpoint || !p->threads) {
        free(p->served_by);
        free(p->done_endpoint);
        free(p->threads);
        free(p);
        return LEDE_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (cfg->inline_run && !cfg->echo &&
        lede_workspace_new(cfg->engine, &p->inline_ws) != LEDE_OK) {
        lede_pool_destroy(&p);
        return LEDE_ENOMEM;
    }
    for (unsigned i = 0; i < cfg->threads; i++) {
        if (pthread_create(&p->threads[i], NULL, thread_main, p) != 0) {
            lede_pool_destroy(&p);
            return LEDE_EIO;
        }
        p->n_threads++;
    }
    *out = p;
    return LEDE_OK;
}

int lede_pool_push(lede_pool_t *p, struct lede_pool_job *job)
{
    pthread_mutex_lock(&p->mu);
    if (p->queued >= p->cfg.max_queue || p->stop) {
        pthread_mutex_unlock(&p->mu);
        return LEDE_EAGAIN;
    }
    job->next = NULL;
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    p->queued++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return LEDE_OK;
}

size_t lede_pool_queued(lede_pool_t *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->queued;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void lede_pool_destroy(lede_pool_t **pool)
{
    if (!pool || !*pool)
        return;
    lede_pool_t *p = *pool;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    while (p->head) {
        struct lede_pool_job *j = p->head;
        p->head = j->next;
        lede_pool_job_free(j);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    lede_workspace_destroy(&p->inline_ws);
    free(p->served_by);
    free(p->done_endpoint);
    free(p->threads);
    free(p);
    *pool = NULL;
}
