/* handler.c: one Summarize call at the worker: SummarizeRequest -> lede_request -> engine ->
 * SummarizeResponse. Errors become a gRPC status and a message, never a crash. */
#include "handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lede.pb-c.h"
#include "wire.h"

uint64_t lede_handler_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void lede_handler_out_release(struct lede_handler_out *out)
{
    if (!out)
        return;
    free(out->payload);
    out->payload = NULL;
    out->payload_len = 0;
}

static void fail(struct lede_handler_out *out, int status, const char *msg)
{
    out->status = status;
    snprintf(out->message, sizeof out->message, "%s", msg);
}

/* Maps the request's budget oneof; none means 3 sentences. */
static void map_budget(const Lede__V1__SummarizeRequest *rq, struct lede_budget *b)
{
    switch (rq->budget_case) {
    case LEDE__V1__SUMMARIZE_REQUEST__BUDGET_SENTENCES:
        b->kind = LEDE_BUDGET_SENTENCES;
        b->value = rq->sentences;
        break;
    case LEDE__V1__SUMMARIZE_REQUEST__BUDGET_WORDS:
        b->kind = LEDE_BUDGET_WORDS;
        b->value = rq->words;
        break;
    case LEDE__V1__SUMMARIZE_REQUEST__BUDGET_CHARS:
        b->kind = LEDE_BUDGET_CHARS;
        b->value = rq->chars;
        break;
    case LEDE__V1__SUMMARIZE_REQUEST__BUDGET_RATIO:
        b->kind = LEDE_BUDGET_RATIO;
        b->value = rq->ratio;
        break;
    default:
        b->kind = LEDE_BUDGET_SENTENCES;
        b->value = 3;
        break;
    }
}

/* Encodes the response; sentences are all of them with explain, else only the summary's. */
static int encode_response(const Lede__V1__SummarizeRequest *rq, const struct lede_result *res,
                           uint64_t engine_us, uint64_t started_us, struct lede_handler_out *out)
{
    int rc = LEDE_ENOMEM;
    size_t n = rq->explain ? res->n_sentences : res->n_summary;
    Lede__V1__Sentence *sent = calloc(n ? n : 1, sizeof *sent);
    Lede__V1__Sentence **sentp = calloc(n ? n : 1, sizeof *sentp);
    Lede__V1__FeatureScores *fs = calloc(n ? n : 1, sizeof *fs);
    uint32_t *summary = calloc(res->n_summary ? res->n_summary : 1, sizeof *summary);
    Lede__V1__EditorKeyphrase *kp = NULL, **kpp = NULL;
    Lede__V1__EditorEntity *en = NULL, **enp = NULL;
    if (!sent || !sentp || !fs || !summary)
        goto cleanup;
    for (size_t i = 0; i < res->n_summary; i++)
        summary[i] = (uint32_t)res->summary[i];
    for (size_t k = 0; k < n; k++) {
        size_t i = rq->explain ? k : res->summary[k];
        const struct lede_sentence *s = &res->sentences[i];
        lede__v1__sentence__init(&sent[k]);
        lede__v1__feature_scores__init(&fs[k]);
        fs[k].position = s->features[LEDE_F_POSITION];
        fs[k].term = s->features[LEDE_F_TERM];
        fs[k].entity = s->features[LEDE_F_ENTITY];
        fs[k].title = s->features[LEDE_F_TITLE];
        fs[k].length = s->features[LEDE_F_LENGTH];
        fs[k].opener = s->features[LEDE_F_OPENER];
        sent[k].index = (uint32_t)i;
        sent[k].rank = s->rank;
        sent[k].score = s->score;
        sent[k].features = &fs[k];
        sent[k].offset = s->offset;
        sent[k].length = s->length;
        sent[k].paragraph = (uint32_t)s->paragraph;
        sent[k].selected = s->selected;
        sent[k].duplicate_of = s->duplicate_of;
        sent[k].text.data = (uint8_t *)(uintptr_t)(res->body + s->offset);
        sent[k].text.len = s->length;
        sent[k].headline = s->headline;
        sentp[k] = &sent[k];
    }
    size_t nk = res->n_keyphrases, ne = res->n_entities;
    kp = calloc(nk ? nk : 1, sizeof *kp);
    kpp = calloc(nk ? nk : 1, sizeof *kpp);
    en = calloc(ne ? ne : 1, sizeof *en);
    enp = calloc(ne ? ne : 1, sizeof *enp);
    if (!kp || !kpp || !en || !enp)
        goto cleanup;
    for (size_t k = 0; k < nk; k++) {
        const struct lede_keyphrase *x = &res->keyphrases[k];
        lede__v1__editor_keyphrase__init(&kp[k]);
        kp[k].text.data = (uint8_t *)(uintptr_t)(res->body + x->offset);
        kp[k].text.len = x->length;
        kp[k].score = x->score;
        kp[k].count = x->count;
        kp[k].words = x->words;
        kp[k].offset = x->offset;
        kp[k].length = x->length;
        kpp[k] = &kp[k];
    }
    for (size_t k = 0; k < ne; k++) {
        const struct lede_entity *x = &res->entities[k];
        lede__v1__editor_entity__init(&en[k]);
        en[k].text.data = (uint8_t *)(uintptr_t)(res->body + x->offset);
        en[k].text.len = x->length;
        en[k].kind = (char *)lede_entity_kind_name((int)x->kind);
        en[k].count = x->count;
        en[k].offset = x->offset;
        en[k].length = x->length;
        enp[k] = &en[k];
    }
    Lede__V1__Timings tm = LEDE__V1__TIMINGS__INIT;
    Lede__V1__SummarizeResponse resp = LEDE__V1__SUMMARIZE_RESPONSE__INIT;
    resp.article_id = rq->article_id;
    resp.n_keyphrases = nk;
    resp.keyphrases = kpp;
    resp.n_entities = ne;
    resp.entities = enp;
    resp.n_summary = res->n_summary;
    resp.summary = summary;
    resp.n_sentences = n;
    resp.sentences = sentp;
    resp.engine_version = (char *)LEDE_ENGINE_VERSION;
    resp.language = (char *)(res->lang ? res->lang : "en");
    resp.sentence_count = (uint32_t)res->n_sentences;
    resp.timings = &tm;
    tm.engine_us = engine_us;
    /* worker_us is measured up to here; encoding itself is a small, linear step after it. */
    tm.worker_us = lede_handler_now_us() - started_us;
    size_t len = lede__v1__summarize_response__get_packed_size(&resp);
    out->payload = malloc(len ? len : 1);
    if (!out->payload)
        goto cleanup;
    out->payload_len = lede__v1__summarize_response__pack(&resp, out->payload);
    rc = LEDE_OK;
cleanup:
    free(sent);
    free(sentp);
    free(fs);
    free(summary);
    free(kp);
    free(kpp);
    free(en);
    free(enp);
    return rc;
}

static void echo_response(const Lede__V1__SummarizeRequest *rq, uint64_t started_us,
                          struct lede_handler_out *out)
{
    Lede__V1__Timings tm = LEDE__V1__TIMINGS__INIT;
    Lede__V1__SummarizeResponse resp = LEDE__V1__SUMMARIZE_RESPONSE__INIT;
    resp.article_id = rq->article_id;
    resp.engine_version = (char *)"echo";
    resp.language = rq->language;
    resp.timings = &tm;
    tm.worker_us = lede_handler_now_us() - started_us;
    size_t len = lede__v1__summarize_response__get_packed_size(&resp);
    out->payload = malloc(len ? len : 1);
    if (!out->payload) {
        fail(out, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, "out of memory encoding the response");
        return;
    }
    out->payload_len = lede__v1__summarize_response__pack(&resp, out->payload);
}

void lede_handler_summarize(const lede_engine_t *engine, lede_workspace_t *ws, const uint8_t *payload,
                            size_t len, uint64_t started_us, int echo, struct lede_handler_out *out)
{
    memset(out, 0, sizeof *out);
    out->status = LEDE__V1__STATUS__OK;
    Lede__V1__SummarizeRequest *rq = NULL;
    struct lede_result *res = NULL;
    if (lede_wire_unpack(&lede__v1__summarize_request__descriptor, payload, len, len + 1,
                         (ProtobufCMessage **)&rq) != LEDE_OK) {
        fail(out, LEDE__V1__STATUS__INVALID_ARGUMENT, "payload is not a valid lede.v1.SummarizeRequest");
        return;
    }
    if (echo) {
        echo_response(rq, started_us, out);
        goto cleanup;
    }
    struct lede_weights weights;
    const struct lede_weights *defaults = lede_engine_weights(engine);
    if (defaults)
        weights = *defaults;
    else
        memset(&weights, 0, sizeof weights);
    for (size_t i = 0; i < rq->n_weights; i++) {
        const char *name = rq->weights[i]->name;
        int f = lede_feature_by_name(name);
        if (f < 0 || f >= LEDE_F_COUNT) {
            char msg[200];
            snprintf(msg, sizeof msg, "weights[%zu]: unknown feature name \"%.60s\"", i, name);
            fail(out, LEDE__V1__STATUS__INVALID_ARGUMENT, msg);
            goto cleanup;
        }
        weights.w[f] = rq->weights[i]->value;
    }
    struct lede_request req = {
        .title = rq->title.len ? (const char *)rq->title.data : NULL,
        .title_len = rq->title.len,
        .body = (const char *)rq->body.data,
        .body_len = rq->body.len,
        .lang = rq->language,
        .weights = rq->n_weights ? &weights : NULL,
        .max_keyphrases = rq->max_keyphrases,
        .max_entities = rq->max_entities,
    };
    if (!req.body)
        req.body = "";
    map_budget(rq, &req.budget);

    struct lede_error err;
    memset(&err, 0, sizeof err);
    uint64_t t0 = lede_handler_now_us();
    int rc = lede_summarize(ws, &req, &res, &err);
    out->engine_us = lede_handler_now_us() - t0;
    if (rc != LEDE_OK) {
        fail(out, lede_wire_status_from_err(rc), err.message[0] ? err.message : lede_strerror(rc));
        goto cleanup;
    }
    if (encode_response(rq, res, out->engine_us, started_us, out) != LEDE_OK)
        fail(out, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, "out of memory encoding the response");
cleanup:
    lede_result_destroy(&res);
    protobuf_c_message_free_unpacked(&rq->base, NULL);
}
