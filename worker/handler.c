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

/* ---- SummarizeResponse written straight from the result ----
 * The same bytes protobuf-c's pack gives for the SummarizeResponse of these values (check_handler
 * compares them): fields in number order, proto3's zero values left out (a double equal to 0, -0.0
 * too, a string when empty, bytes when of length 0), a message field always written
 * (features, timings), summary packed. Sizes first, exactly, then one buffer: protobuf-c sized
 * every nested message again at each level, and that was most of the worker's time outside the
 * engine. */

static size_t vlen(uint64_t v)
{
    size_t n = 1;
    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Bytes of a varint field (tag < 16), of a double field, of a length-delimited field. */
static size_t sz_u(uint64_t v)
{
    return v ? 1 + vlen(v) : 0;
}
static size_t sz_d(double d)
{
    return d != 0 ? 9 : 0; /* -0.0 too is left out, as protobuf-c does */
}
static size_t sz_ld(size_t n)
{
    return 1 + vlen(n) + n;
}
static size_t sz_str(const char *s)
{
    return s && *s ? sz_ld(strlen(s)) : 0;
}

static uint8_t *put_v(uint8_t *p, uint64_t v)
{
    while (v >= 128) {
        *p++ = (uint8_t)(v | 128);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}
static uint8_t *put_u(uint8_t *p, unsigned field, uint64_t v)
{
    if (!v)
        return p;
    *p++ = (uint8_t)(field << 3);
    return put_v(p, v);
}
static uint8_t *put_d(uint8_t *p, unsigned field, double d)
{
    if (d == 0)
        return p;
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    *p++ = (uint8_t)(field << 3 | 1);
    for (int i = 0; i < 8; i++)
        *p++ = (uint8_t)(u >> (8 * i)); /* little-endian, as the wire has it */
    return p;
}
static uint8_t *put_ld(uint8_t *p, unsigned field, const void *data, size_t n)
{
    *p++ = (uint8_t)(field << 3 | 2);
    p = put_v(p, n);
    if (n)
        memcpy(p, data, n);
    return p + n;
}
static uint8_t *put_bytes(uint8_t *p, unsigned field, const void *data, size_t n)
{
    return n ? put_ld(p, field, data, n) : p;
}
static uint8_t *put_str(uint8_t *p, unsigned field, const char *s)
{
    return s && *s ? put_ld(p, field, s, strlen(s)) : p;
}

/* FeatureScores' fields, in its numbering (position = 1 ... opener = 6). */
static const int feature_order[] = {LEDE_F_POSITION, LEDE_F_TERM,   LEDE_F_ENTITY,
                                    LEDE_F_TITLE,    LEDE_F_LENGTH, LEDE_F_OPENER};
#define N_FEATURE_FIELDS (sizeof feature_order / sizeof *feature_order)

static size_t features_size(const struct lede_sentence *s)
{
    size_t n = 0;
    for (size_t f = 0; f < N_FEATURE_FIELDS; f++)
        n += sz_d(s->features[feature_order[f]]);
    return n;
}

static size_t sentence_size(const struct lede_sentence *s, size_t i)
{
    return sz_u((uint32_t)i) + sz_u(s->rank) + sz_d(s->score) + sz_ld(features_size(s)) +
           sz_u((uint64_t)s->offset) + sz_u((uint64_t)s->length) + sz_u((uint32_t)s->paragraph) +
           (s->selected ? 2 : 0) + sz_u((uint64_t)s->duplicate_of) +
           (s->text_length ? sz_ld(s->text_length) : 0) + sz_u((uint64_t)s->utf16_offset) +
           sz_u((uint64_t)s->utf16_length) + (s->headline ? 2 : 0);
}

static uint8_t *put_sentence(uint8_t *p, const struct lede_result *res, size_t i)
{
    const struct lede_sentence *s = &res->sentences[i];
    p = put_u(p, 1, (uint32_t)i);
    p = put_u(p, 2, s->rank);
    p = put_d(p, 3, s->score);
    *p++ = 4 << 3 | 2;
    p = put_v(p, features_size(s));
    for (size_t f = 0; f < N_FEATURE_FIELDS; f++)
        p = put_d(p, (unsigned)f + 1, s->features[feature_order[f]]);
    p = put_u(p, 5, (uint64_t)s->offset);
    p = put_u(p, 6, (uint64_t)s->length);
    p = put_u(p, 7, (uint32_t)s->paragraph);
    p = put_u(p, 8, s->selected ? 1 : 0);
    p = put_u(p, 9, (uint64_t)s->duplicate_of);
    p = put_bytes(p, 10, res->text + s->text_offset, s->text_length);
    p = put_u(p, 11, (uint64_t)s->utf16_offset);
    p = put_u(p, 12, (uint64_t)s->utf16_length);
    return put_u(p, 15, s->headline ? 1 : 0);
}

static size_t keyphrase_size(const struct lede_keyphrase *x)
{
    return (x->text_length ? sz_ld(x->text_length) : 0) + sz_d(x->score) + sz_u(x->count) +
           sz_u(x->words) + sz_u((uint64_t)x->offset) + sz_u((uint64_t)x->length);
}

static uint8_t *put_keyphrase(uint8_t *p, const struct lede_result *res,
                              const struct lede_keyphrase *x)
{
    p = put_bytes(p, 1, res->text + x->text_offset, x->text_length);
    p = put_d(p, 2, x->score);
    p = put_u(p, 3, x->count);
    p = put_u(p, 4, x->words);
    p = put_u(p, 5, (uint64_t)x->offset);
    return put_u(p, 6, (uint64_t)x->length);
}

static size_t entity_size(const struct lede_entity *x)
{
    return (x->text_length ? sz_ld(x->text_length) : 0) +
           sz_str(lede_entity_kind_name((int)x->kind)) + sz_u(x->count) +
           sz_u((uint64_t)x->offset) + sz_u((uint64_t)x->length);
}

static uint8_t *put_entity(uint8_t *p, const struct lede_result *res, const struct lede_entity *x)
{
    p = put_bytes(p, 1, res->text + x->text_offset, x->text_length);
    p = put_str(p, 2, lede_entity_kind_name((int)x->kind));
    p = put_u(p, 3, x->count);
    p = put_u(p, 4, (uint64_t)x->offset);
    return put_u(p, 5, (uint64_t)x->length);
}

/* Encodes the response; sentences are all of them with explain, else only the summary's.
 * A response over max_payload bytes (0: no limit) is LEDE_ETOOBIG (out->payload_len: its size),
 * found before anything is allocated. */
static int encode_response(const Lede__V1__SummarizeRequest *rq, const struct lede_result *res,
                           uint64_t engine_us, uint64_t started_us, size_t max_payload,
                           struct lede_handler_out *out)
{
    size_t n = rq->explain ? res->n_sentences : res->n_summary;
    char *own_id = NULL;
    const char *id = clean_string(rq->article_id, &own_id);
    if (!id)
        return LEDE_ENOMEM;
    const char *lang = res->lang ? res->lang : "en";
    /* worker_us is measured up to here; encoding itself is a small, linear step after it. */
    uint64_t worker_us = lede_clock_mono_us() - started_us;
    size_t sum_len = 0;
    for (size_t i = 0; i < res->n_summary; i++)
        sum_len += vlen((uint32_t)res->summary[i]);
    size_t len = sz_str(id) + (res->n_summary ? sz_ld(sum_len) : 0) + sz_str(LEDE_ENGINE_VERSION) +
                 sz_ld(sz_u(engine_us) + sz_u(worker_us)) + sz_str(lang) +
                 sz_u((uint32_t)res->n_sentences) + sz_str(res->lang_detected) +
                 sz_d(res->lang_confidence) + sz_u((uint64_t)(int64_t)res->format);
    for (size_t k = 0; k < n; k++) {
        size_t i = rq->explain ? k : res->summary[k];
        len += sz_ld(sentence_size(&res->sentences[i], i));
    }
    for (size_t k = 0; k < res->n_keyphrases; k++)
        len += sz_ld(keyphrase_size(&res->keyphrases[k]));
    for (size_t k = 0; k < res->n_entities; k++)
        len += sz_ld(entity_size(&res->entities[k]));
    if (max_payload && len > max_payload) {
        free(own_id);
        out->payload_len = len; /* what it would have taken, for the message */
        return LEDE_ETOOBIG;
    }
    uint8_t *buf = malloc(len ? len : 1), *p = buf;
    if (!buf) {
        free(own_id);
        return LEDE_ENOMEM;
    }
    p = put_str(p, 1, id);
    if (res->n_summary) {
        *p++ = 2 << 3 | 2;
        p = put_v(p, sum_len);
        for (size_t i = 0; i < res->n_summary; i++)
            p = put_v(p, (uint32_t)res->summary[i]);
    }
    for (size_t k = 0; k < n; k++) {
        size_t i = rq->explain ? k : res->summary[k];
        *p++ = 3 << 3 | 2;
        p = put_v(p, sentence_size(&res->sentences[i], i));
        p = put_sentence(p, res, i);
    }
    p = put_str(p, 4, LEDE_ENGINE_VERSION);
    *p++ = 5 << 3 | 2;
    p = put_v(p, sz_u(engine_us) + sz_u(worker_us));
    p = put_u(p, 1, engine_us);
    p = put_u(p, 2, worker_us);
    p = put_str(p, 6, lang);
    p = put_u(p, 7, (uint32_t)res->n_sentences);
    p = put_str(p, 8, res->lang_detected);
    p = put_d(p, 9, res->lang_confidence);
    for (size_t k = 0; k < res->n_keyphrases; k++) {
        *p++ = 10 << 3 | 2;
        p = put_v(p, keyphrase_size(&res->keyphrases[k]));
        p = put_keyphrase(p, res, &res->keyphrases[k]);
    }
    for (size_t k = 0; k < res->n_entities; k++) {
        *p++ = 11 << 3 | 2;
        p = put_v(p, entity_size(&res->entities[k]));
        p = put_entity(p, res, &res->entities[k]);
    }
    p = put_u(p, 13, (uint64_t)(int64_t)res->format); /* an enum: int32 */
    free(own_id);
    out->payload = buf;
    out->payload_len = (size_t)(p - buf); /* == len: every size above is what its put writes */
    return LEDE_OK;
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
