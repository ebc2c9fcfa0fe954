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
/* The arrays a SummarizeResponse points into while it is packed (they point into res's text). */
struct resp_parts {
    Lede__V1__Sentence *sent, **sentp;
    Lede__V1__FeatureScores *fs;
    uint32_t *summary;
    Lede__V1__EditorKeyphrase *kp, **kpp;
    Lede__V1__EditorEntity *en, **enp;
};

static void parts_release(struct resp_parts *p)
{
    free(p->sent);
    free(p->sentp);
    free(p->fs);
    free(p->summary);
    free(p->kp);
    free(p->kpp);
    free(p->en);
    free(p->enp);
}

/* Sentence i of res as message d with its feature scores in fs. */
static void fill_sentence(Lede__V1__Sentence *d, Lede__V1__FeatureScores *fs,
                          const struct lede_result *res, size_t i)
{
    const struct lede_sentence *s = &res->sentences[i];
    lede__v1__sentence__init(d);
    lede__v1__feature_scores__init(fs);
    fs->position = s->features[LEDE_F_POSITION];
    fs->term = s->features[LEDE_F_TERM];
    fs->entity = s->features[LEDE_F_ENTITY];
    fs->title = s->features[LEDE_F_TITLE];
    fs->length = s->features[LEDE_F_LENGTH];
    fs->opener = s->features[LEDE_F_OPENER];
    d->index = (uint32_t)i;
    d->rank = s->rank;
    d->score = s->score;
    d->features = fs;
    d->offset = s->offset;
    d->length = s->length;
    d->paragraph = (uint32_t)s->paragraph;
    d->selected = s->selected;
    d->duplicate_of = s->duplicate_of;
    d->text.data = (uint8_t *)(uintptr_t)(res->text + s->text_offset);
    d->text.len = s->text_length;
    d->utf16_offset = s->utf16_offset;
    d->utf16_length = s->utf16_length;
    d->headline = s->headline;
}

static void fill_keyphrase(Lede__V1__EditorKeyphrase *d, const struct lede_result *res,
                           const struct lede_keyphrase *x)
{
    lede__v1__editor_keyphrase__init(d);
    d->text.data = (uint8_t *)(uintptr_t)(res->text + x->text_offset);
    d->text.len = x->text_length;
    d->score = x->score;
    d->count = x->count;
    d->words = x->words;
    d->offset = x->offset;
    d->length = x->length;
}

static void fill_entity(Lede__V1__EditorEntity *d, const struct lede_result *res,
                        const struct lede_entity *x)
{
    lede__v1__editor_entity__init(d);
    d->text.data = (uint8_t *)(uintptr_t)(res->text + x->text_offset);
    d->text.len = x->text_length;
    d->kind = (char *)lede_entity_kind_name((int)x->kind);
    d->count = x->count;
    d->offset = x->offset;
    d->length = x->length;
}

/* p's arrays for n sentences of res (every one with explain, else the summary's), its
 * keyphrases and entities, filled in. LEDE_OK or LEDE_ENOMEM (release p either way). */
static int fill_parts(struct resp_parts *p, const Lede__V1__SummarizeRequest *rq,
                      const struct lede_result *res, size_t n)
{
    size_t nk = res->n_keyphrases, ne = res->n_entities;
    p->sent = calloc(n ? n : 1, sizeof *p->sent);
    p->sentp = calloc(n ? n : 1, sizeof *p->sentp);
    p->fs = calloc(n ? n : 1, sizeof *p->fs);
    p->summary = calloc(res->n_summary ? res->n_summary : 1, sizeof *p->summary);
    p->kp = calloc(nk ? nk : 1, sizeof *p->kp);
    p->kpp = calloc(nk ? nk : 1, sizeof *p->kpp);
    p->en = calloc(ne ? ne : 1, sizeof *p->en);
    p->enp = calloc(ne ? ne : 1, sizeof *p->enp);
    if (!p->sent || !p->sentp || !p->fs || !p->summary || !p->kp || !p->kpp || !p->en || !p->enp)
        return LEDE_ENOMEM;
    for (size_t i = 0; i < res->n_summary; i++)
        p->summary[i] = (uint32_t)res->summary[i];
    for (size_t k = 0; k < n; k++) {
        fill_sentence(&p->sent[k], &p->fs[k], res, rq->explain ? k : res->summary[k]);
        p->sentp[k] = &p->sent[k];
    }
    for (size_t k = 0; k < nk; k++) {
        fill_keyphrase(&p->kp[k], res, &res->keyphrases[k]);
        p->kpp[k] = &p->kp[k];
    }
    for (size_t k = 0; k < ne; k++) {
        fill_entity(&p->en[k], res, &res->entities[k]);
        p->enp[k] = &p->en[k];
    }
    return LEDE_OK;
}

static int encode_response(const Lede__V1__SummarizeRequest *rq, const struct lede_result *res,
                           uint64_t engine_us, uint64_t started_us, size_t max_payload,
                           struct lede_handler_out *out)
{
    size_t n = rq->explain ? res->n_sentences : res->n_summary;
    size_t need = max_payload ? sentences_size(rq, res, n) : 0;
    if (max_payload && need > max_payload) {
        out->payload_len = need; /* what it would have taken, for the message */
        return LEDE_ETOOBIG;
    }
    char *own_id = NULL;
    struct resp_parts p = {0};
    Lede__V1__Timings tm = LEDE__V1__TIMINGS__INIT;
    Lede__V1__SummarizeResponse resp = LEDE__V1__SUMMARIZE_RESPONSE__INIT;
    int rc = fill_parts(&p, rq, res, n);
    if (rc != LEDE_OK || !(resp.article_id = clean_string(rq->article_id, &own_id))) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    resp.n_keyphrases = res->n_keyphrases;
    resp.keyphrases = p.kpp;
    resp.n_entities = res->n_entities;
    resp.entities = p.enp;
    resp.n_summary = res->n_summary;
    resp.summary = p.summary;
    resp.n_sentences = n;
    resp.sentences = p.sentp;
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
    rc = LEDE_ENOMEM;
    out->payload = malloc(len ? len : 1);
    if (!out->payload)
        goto cleanup;
    out->payload_len = lede__v1__summarize_response__pack(&resp, out->payload);
    rc = LEDE_OK;
cleanup:
    free(own_id);
    parts_release(&p);
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

void lede_handler_deadline_missed(struct lede_handler_out *out, uint64_t now_us,
                                  uint64_t started_us)
{
    out->status = LEDE__V1__STATUS__DEADLINE_EXCEEDED;
    snprintf(out->message, sizeof out->message,
             "deadline exceeded after %llu ms waiting at the worker, before the engine ran",
             (unsigned long long)((now_us - started_us) / 1000u));
}

/* A BatchItem that says only resend, as a field of SummarizeBatchResponse. */
#define RESEND_BYTES 4u

/* Bytes a length-delimited field of n bytes takes: tag, length prefix, body. */
static size_t field_bytes(size_t n)
{
    size_t v = 1;
    for (size_t x = n; x >= 128; x >>= 7)
        v++;
    return 1 + v + n;
}

void lede_handler_summarize_batch(const lede_engine_t *engine, lede_workspace_t *ws,
                                  const uint8_t *payload, size_t len, uint64_t started_us,
                                  uint64_t deadline_us, int echo, size_t item_max,
                                  size_t max_payload, struct lede_handler_batch_out *bo)
{
    struct lede_handler_out *out = &bo->out;
    memset(out, 0, sizeof *out);
    bo->n_items = 0;
    bo->skipped = 0;
    out->status = LEDE__V1__STATUS__OK;
    Lede__V1__SummarizeBatchRequest *rq = NULL;
    if (lede_wire_unpack(&lede__v1__summarize_batch_request__descriptor, payload, len, len + 1,
                         (ProtobufCMessage **)&rq) != LEDE_OK) {
        fail(out, LEDE__V1__STATUS__INVALID_ARGUMENT,
             "payload is not a valid lede.v1.SummarizeBatchRequest");
        return;
    }
    size_t n = rq->n_requests;
    if (n == 0 || n > LEDE_BATCH_MAX_ITEMS) {
        char msg[120];
        snprintf(msg, sizeof msg, "a SummarizeBatchRequest holds 1 to %d requests, not %zu",
                 LEDE_BATCH_MAX_ITEMS, n);
        fail(out, LEDE__V1__STATUS__INVALID_ARGUMENT, msg);
        protobuf_c_message_free_unpacked(&rq->base, NULL);
        return;
    }
    struct lede_handler_out res[LEDE_BATCH_MAX_ITEMS];
    Lede__V1__BatchItem items[LEDE_BATCH_MAX_ITEMS], *itemp[LEDE_BATCH_MAX_ITEMS];
    size_t total = 0;
    int full = 0;
    for (size_t i = 0; i < n; i++) {
        struct lede_handler_out *o = &res[i];
        Lede__V1__BatchItem *it = &items[i];
        lede__v1__batch_item__init(it);
        itemp[i] = it;
        memset(o, 0, sizeof *o);
        uint64_t now = lede_clock_mono_us();
        if (full) {
            it->resend = 1;
        } else if (deadline_us && now >= deadline_us) {
            lede_handler_deadline_missed(o, now, started_us);
            bo->skipped++;
        } else {
            lede_handler_summarize_capped(engine, ws, rq->requests[i].data, rq->requests[i].len,
                                          started_us, echo, item_max, o);
        }
        it->status = (Lede__V1__Status)o->status;
        it->message = o->message;
        it->response.data = o->payload;
        it->response.len = o->payload_len;
        size_t need = field_bytes(lede__v1__batch_item__get_packed_size(it));
        /* room is kept for the resend marks of the items after this one */
        if (!full && max_payload && total + need + RESEND_BYTES * (n - i - 1) > max_payload) {
            /* no room for this answer: it and the rest go back to be sent alone */
            lede_handler_out_release(o);
            lede__v1__batch_item__init(it);
            it->resend = 1;
            full = 1;
            need = field_bytes(lede__v1__batch_item__get_packed_size(it));
        }
        if (!it->resend) {
            bo->items[bo->n_items].status = o->status;
            bo->items[bo->n_items++].engine_us = o->engine_us;
            out->engine_us += o->engine_us;
        }
        total += need;
    }
    Lede__V1__SummarizeBatchResponse resp = LEDE__V1__SUMMARIZE_BATCH_RESPONSE__INIT;
    resp.n_items = n;
    resp.items = itemp;
    size_t plen = lede__v1__summarize_batch_response__get_packed_size(&resp);
    out->payload = malloc(plen ? plen : 1);
    if (out->payload)
        out->payload_len = lede__v1__summarize_batch_response__pack(&resp, out->payload);
    else
        fail(out, LEDE__V1__STATUS__RESOURCE_EXHAUSTED, "out of memory encoding the response");
    for (size_t i = 0; i < n; i++)
        lede_handler_out_release(&res[i]);
    protobuf_c_message_free_unpacked(&rq->base, NULL);
}
