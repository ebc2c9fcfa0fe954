/* handler.c: one Summarize call at the worker: SummarizeRequest -> lede_request -> engine ->
 * SummarizeResponse. Errors become a gRPC status and a message, never a crash. */
#include "handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lede.pb-c.h"
#include "utf8.h"
#include "wire.h"

void lede_handler_out_release(struct lede_handler_out *out)
{
    if (!out)
        return;
    free(out->payload);
    out->payload = NULL;
    out->payload_len = 0;
}

/* The message is cut between characters and its invalid bytes replaced (utf8.h): it leaves
 * the worker in a proto3 string field. */
static void fail(struct lede_handler_out *out, int status, const char *msg)
{
    out->status = status;
    lede_utf8_sanitize(out->message, sizeof out->message, msg, strlen(msg));
}

/* s as valid UTF-8: s itself when it already is, else a cleaned copy in *own (the caller
 * frees it); NULL when that copy cannot be made. The request's strings are not checked by
 * protobuf-c, and what is echoed back must parse in a strict proto3 client. */
static char *clean_string(char *s, char **own)
{
    *own = NULL;
    if (!s || lede_utf8_is_clean(s, strlen(s)))
        return s;
    size_t n = lede_utf8_sanitized_size(s, strlen(s));
    if (!(*own = malloc(n)))
        return NULL;
    lede_utf8_sanitize(*own, n, s, strlen(s));
    return *own;
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

/* Bytes the response's sentences take at least, from a one-sentence scratch message: the
 * size gate runs before the encoding's arrays are made (they grow with every sentence). */
static size_t sentences_size(const Lede__V1__SummarizeRequest *rq, const struct lede_result *res,
                             size_t n)
{
    size_t total = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = rq->explain ? k : res->summary[k];
        const struct lede_sentence *s = &res->sentences[i];
        Lede__V1__Sentence one = LEDE__V1__SENTENCE__INIT;
        Lede__V1__FeatureScores fs = LEDE__V1__FEATURE_SCORES__INIT;
        fs.position = s->features[LEDE_F_POSITION];
        fs.term = s->features[LEDE_F_TERM];
        fs.entity = s->features[LEDE_F_ENTITY];
        fs.title = s->features[LEDE_F_TITLE];
        fs.length = s->features[LEDE_F_LENGTH];
        fs.opener = s->features[LEDE_F_OPENER];
        one.index = (uint32_t)i;
        one.rank = s->rank;
        one.score = s->score;
        one.features = &fs;
        one.offset = s->offset;
        one.length = s->length;
        one.paragraph = (uint32_t)s->paragraph;
        one.selected = s->selected;
        one.duplicate_of = s->duplicate_of;
        one.text.len = s->length;
        size_t m = lede__v1__sentence__get_packed_size(&one);
        total += m + 2 + (m >= 128) + (m >= 16384) + (m >= 2097152); /* tag and length */
    }
    return total;
}

/* Encodes the response; sentences are all of them with explain, else only the summary's.
 * A response over max_payload bytes (0: no limit) is LEDE_ETOOBIG, found before it is made. */
static int encode_response(const Lede__V1__SummarizeRequest *rq, const struct lede_result *res,
                           uint64_t engine_us, uint64_t started_us, size_t max_payload,
                           struct lede_handler_out *out)
{
    int rc = LEDE_ENOMEM;
    char *own_id = NULL;
    size_t n = rq->explain ? res->n_sentences : res->n_summary;
    size_t need = max_payload ? sentences_size(rq, res, n) : 0;
    if (max_payload && need > max_payload) {
        out->payload_len = need; /* what it would have taken, for the message */
        return LEDE_ETOOBIG;
    }
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
        sent[k].text.data = (uint8_t *)(uintptr_t)(res->text + s->text_offset);
        sent[k].text.len = s->text_length;
        sent[k].utf16_offset = s->utf16_offset;
        sent[k].utf16_length = s->utf16_length;
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
        kp[k].text.data = (uint8_t *)(uintptr_t)(res->text + x->text_offset);
        kp[k].text.len = x->text_length;
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
        en[k].text.data = (uint8_t *)(uintptr_t)(res->text + x->text_offset);
        en[k].text.len = x->text_length;
        en[k].kind = (char *)lede_entity_kind_name((int)x->kind);
        en[k].count = x->count;
        en[k].offset = x->offset;
        en[k].length = x->length;
        enp[k] = &en[k];
    }
    Lede__V1__Timings tm = LEDE__V1__TIMINGS__INIT;
    Lede__V1__SummarizeResponse resp = LEDE__V1__SUMMARIZE_RESPONSE__INIT;
    if (!(resp.article_id = clean_string(rq->article_id, &own_id)))
        goto cleanup;
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
    resp.language_detected = (char *)res->lang_detected;
    resp.language_confidence = res->lang_confidence;
    resp.sentence_count = (uint32_t)res->n_sentences;
    resp.format = (Lede__V1__Format)res->format;
    resp.timings = &tm;
    tm.engine_us = engine_us;
    /* worker_us is measured up to here; encoding itself is a small, linear step after it. */
    tm.worker_us = lede_clock_mono_us() - started_us;
    size_t len = lede__v1__summarize_response__get_packed_size(&resp);
    if (max_payload && len > max_payload) {
        out->payload_len = len;
        rc = LEDE_ETOOBIG;
        goto cleanup;
    }
    out->payload = malloc(len ? len : 1);
    if (!out->payload)
        goto cleanup;
    out->payload_len = lede__v1__summarize_response__pack(&resp, out->payload);
    rc = LEDE_OK;
cleanup:
    free(own_id);
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
    char *own_id = NULL, *own_lang = NULL;
    resp.article_id = clean_string(rq->article_id, &own_id);
    resp.engine_version = (char *)"echo";
    resp.language = clean_string(rq->language, &own_lang);
    resp.timings = &tm;
    tm.worker_us = lede_clock_mono_us() - started_us;
    size_t len = lede__v1__summarize_response__get_packed_size(&resp);
    out->payload = resp.article_id && resp.language ? malloc(len ? len : 1) : NULL;
    if (!out->payload)
        fail(out, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, "out of memory encoding the response");
    else
        out->payload_len = lede__v1__summarize_response__pack(&resp, out->payload);
    free(own_id);
    free(own_lang);
}

void lede_handler_summarize(const lede_engine_t *engine, lede_workspace_t *ws,
                            const uint8_t *payload, size_t len, uint64_t started_us, int echo,
                            struct lede_handler_out *out)
{
    lede_handler_summarize_capped(engine, ws, payload, len, started_us, echo, 0, out);
}

void lede_handler_summarize_capped(const lede_engine_t *engine, lede_workspace_t *ws,
                                   const uint8_t *payload, size_t len, uint64_t started_us,
                                   int echo, size_t max_payload, struct lede_handler_out *out)
{
    memset(out, 0, sizeof *out);
    out->status = LEDE__V1__STATUS__OK;
    Lede__V1__SummarizeRequest *rq = NULL;
    struct lede_result *res = NULL;
    if (lede_wire_unpack(&lede__v1__summarize_request__descriptor, payload, len, len + 1,
                         (ProtobufCMessage **)&rq) != LEDE_OK) {
        fail(out, LEDE__V1__STATUS__INVALID_ARGUMENT,
             "payload is not a valid lede.v1.SummarizeRequest");
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
            char msg[200], quoted[61]; /* at most 60 bytes of the name, whole characters */
            lede_utf8_sanitize(quoted, sizeof quoted, name, strlen(name));
            snprintf(msg, sizeof msg, "weights[%zu]: unknown feature name \"%s\"", i, quoted);
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
        .format = (unsigned)rq->format <= LEDE_FORMAT_NINJS ? (enum lede_format)rq->format
                                                            : (enum lede_format) - 1,
        .max_keyphrases = rq->max_keyphrases,
        .max_entities = rq->max_entities,
    };
    if (!req.body)
        req.body = "";
    map_budget(rq, &req.budget);

    struct lede_error err;
    memset(&err, 0, sizeof err);
    uint64_t t0 = lede_clock_mono_us();
    int rc = lede_summarize(ws, &req, &res, &err);
    out->engine_us = lede_clock_mono_us() - t0;
    if (rc != LEDE_OK) {
        fail(out, lede_wire_status_from_err(rc), err.message[0] ? err.message : lede_strerror(rc));
        goto cleanup;
    }
    rc = encode_response(rq, res, out->engine_us, started_us, max_payload, out);
    if (rc == LEDE_ETOOBIG) {
        char msg[sizeof out->message];
        snprintf(msg, sizeof msg,
                 "the response (%zu bytes%s) would be larger than this worker's limit (%zu bytes "
                 "of payload, from --max-message): ask for a smaller budget%s",
                 out->payload_len, rq->explain ? " with explain: every sentence" : "", max_payload,
                 rq->explain ? ", or without explain" : "");
        out->payload_len = 0;
        fail(out, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, msg);
    } else if (rc != LEDE_OK) {
        fail(out, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, "out of memory encoding the response");
    }
cleanup:
    lede_result_destroy(&res);
    protobuf_c_message_free_unpacked(&rq->base, NULL);
}
