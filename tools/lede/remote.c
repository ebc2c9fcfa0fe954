/* remote.c: the "remote" backend of `lede summarize --broker`: jobs go to the service through
 * liblede-client with many in flight, and each SummarizeResponse (asked for with explain when
 * the output shows every sentence) is turned back into a struct lede_result, so the CLI prints
 * the same bytes as with --local. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include <lede/client.h>

struct pending {
    struct remote *r;
    size_t seq;
    char *body; /* the request body (NUL-terminated); becomes the result's */
    size_t body_len;
    struct pending *prev, *next;
};

/* Consecutive jobs go to the service in chunks, one SummarizeBatch call each (the messaging
 * costs the broker and the workers about as much per call as the engine's work on an article):
 * at most CHUNK_MAX articles and CHUNK_BYTES of requests (an article larger than that goes
 * alone), fewer when --in-flight is small. The default 256 keeps sixteen chunks in flight:
 * with four (64), each worker had one running and one queued, and a worker sat idle whenever
 * this process waited for a core to read the replies (on two cores shared with the broker and
 * two workers, 6,000 articles took 0.52 s instead of 0.43 s). A partial chunk leaves at once
 * when nothing is in flight (input that comes slowly is not held back) and at the end. */
#define CHUNK_MAX   16
#define CHUNK_BYTES (128u * 1024u)
/* Articles in flight hold their bodies until answered: at most this many bytes of them (one
 * article, however large, may always go), so 256 articles of the 16 MiB limit do not take
 * 4 GiB. */
#define FLIGHT_BYTES (64u << 20)

struct remote {
    struct lede_backend base;
    lede_client_t *client;
    int deadline_ms;
    size_t max_in_flight; /* articles */
    size_t in_flight;     /* articles sent and not yet answered */
    size_t flight_bytes;  /* their bodies' bytes */
    int explain;          /* ask for every sentence, not only the summary's */
    struct pending *head; /* jobs in flight, freed at destroy if never completed */
    size_t chunk_max;     /* articles in one call */
    size_t chunk_n, chunk_bytes;
    struct lede_client_batch_item chunk[CHUNK_MAX]; /* packed requests, ctx: the pending */
};

static void unlink_pending(struct pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        p->r->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
}

static const char *static_lang(const char *lang)
{
    for (const char *const *l = lede_languages(); l && *l; l++)
        if (strcmp(*l, lang) == 0)
            return *l;
    return "en";
}

/* Where a keyphrase's or entity's words stand in res->text: for plain text (same) its body
 * range; else a copy of its text written at *cursor, past the article's text (the markup is
 * not sent back, nor every sentence without explain). */
static void text_of(struct lede_result *res, bool same, uint64_t off, uint64_t len,
                    const char *text, size_t text_len, size_t *cursor, size_t *t_off, size_t *t_len)
{
    if (same) {
        *t_off = (size_t)off;
        *t_len = (size_t)len;
        return;
    }
    char *t = (char *)(uintptr_t)res->text;
    memcpy(t + *cursor, text, text_len);
    t[*cursor + text_len] = 0;
    *t_off = *cursor;
    *t_len = text_len;
    *cursor += text_len + 1;
}

/* The response's sentences into res->sentences (allocated by the caller, n of them). */
static int copy_sentences(const struct pending *p, const struct lede_client_response *resp,
                          int explain, struct lede_result *res, const char **why)
{
    for (size_t i = 0; i < resp->n_sentences; i++) {
        const struct lede_client_sentence *s = &resp->sentences[i];
        struct lede_sentence *d = &res->sentences[i];
        /* without explain, the k-th sentence listed is the summary's k-th, and the result
         * holds those only (what plain-text output prints) */
        size_t want = explain ? i : (i < resp->n_summary ? resp->summary[i] : (size_t)-1);
        if (s->index != want || s->offset > p->body_len || s->length > p->body_len - s->offset) {
            *why = "a sentence's index or byte range does not fit the request body";
            return LEDE_EPROTO;
        }
        d->offset = (size_t)s->offset;
        d->length = (size_t)s->length;
        d->paragraph = s->paragraph;
        d->score = s->score;
        d->features[LEDE_F_POSITION] = s->features[LEDE_CLIENT_F_POSITION];
        d->features[LEDE_F_TERM] = s->features[LEDE_CLIENT_F_TERM];
        d->features[LEDE_F_ENTITY] = s->features[LEDE_CLIENT_F_ENTITY];
        d->features[LEDE_F_TITLE] = s->features[LEDE_CLIENT_F_TITLE];
        d->features[LEDE_F_LENGTH] = s->features[LEDE_CLIENT_F_LENGTH];
        d->features[LEDE_F_OPENER] = s->features[LEDE_CLIENT_F_OPENER];
        d->rank = s->rank;
        d->duplicate_of = s->duplicate_of;
        d->selected = s->selected != 0;
        d->utf16_offset = (size_t)s->utf16_offset;
        d->utf16_length = (size_t)s->utf16_length;
        d->text_offset = d->offset;
        d->text_length = d->length;
        d->headline = s->headline != 0;
    }
    return LEDE_OK;
}

/* The text: the body itself when every sentence is its bytes (plain text: *same, res->text
 * left NULL), else the sentences' texts, a line per paragraph (the markup of HTML, ANS or
 * ninjs is not sent), with room after its NUL for the keyphrases' and entities' own texts,
 * which the sentences sent back may not contain; *cursor: where those go. */
static int build_text(const struct pending *p, const struct lede_client_response *resp,
                      struct lede_result *res, bool *same, size_t *cursor)
{
    size_t n = resp->n_sentences, total = 0, extra = 0;
    *same = true;
    *cursor = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lede_client_sentence *s = &resp->sentences[i];
        *same =
            *same && s->text_len == s->length && !memcmp(s->text, p->body + s->offset, s->length);
        total += s->text_len + 1;
    }
    if (*same)
        return LEDE_OK;
    for (size_t i = 0; i < resp->n_keyphrases; i++)
        extra += resp->keyphrases[i].text_len + 1;
    for (size_t i = 0; i < resp->n_entities; i++)
        extra += resp->entities[i].text_len + 1;
    char *t = malloc(total + 1 + extra);
    if (!t)
        return LEDE_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lede_client_sentence *s = &resp->sentences[i];
        if (i)
            t[k++] = res->sentences[i].paragraph != res->sentences[i - 1].paragraph ? '\n' : ' ';
        res->sentences[i].text_offset = k;
        res->sentences[i].text_length = s->text_len;
        memcpy(t + k, s->text, s->text_len);
        k += s->text_len;
    }
    t[k] = 0;
    res->text = t;
    res->text_len = k;
    *cursor = k + 1;
    return LEDE_OK;
}

/* The keyphrases and entities, their ranges checked against the body, their texts placed
 * by text_of. */
static int copy_tags(const struct pending *p, const struct lede_client_response *resp,
                     struct lede_result *res, bool same, size_t *cursor, const char **why)
{
    res->keyphrases = calloc(resp->n_keyphrases ? resp->n_keyphrases : 1, sizeof *res->keyphrases);
    res->entities = calloc(resp->n_entities ? resp->n_entities : 1, sizeof *res->entities);
    if (!res->keyphrases || !res->entities)
        return LEDE_ENOMEM;
    for (size_t k = 0; k < resp->n_keyphrases; k++) {
        const struct lede_client_keyphrase *x = &resp->keyphrases[k];
        if (x->offset > p->body_len || x->length > p->body_len - x->offset) {
            *why = "a keyphrase's byte range does not fit the request body";
            return LEDE_EPROTO;
        }
        res->keyphrases[k] = (struct lede_keyphrase){.offset = (size_t)x->offset,
                                                     .length = (size_t)x->length,
                                                     .words = x->words,
                                                     .count = x->count,
                                                     .score = x->score};
        text_of(res, same, x->offset, x->length, x->text, x->text_len, cursor,
                &res->keyphrases[k].text_offset, &res->keyphrases[k].text_length);
    }
    res->n_keyphrases = resp->n_keyphrases;
    for (size_t k = 0; k < resp->n_entities; k++) {
        const struct lede_client_entity *x = &resp->entities[k];
        if (x->offset > p->body_len || x->length > p->body_len - x->offset) {
            *why = "an entity's byte range does not fit the request body";
            return LEDE_EPROTO;
        }
        int kind = LEDE_ENTITY_NAME;
        for (int j = 0; j < 3; j++)
            if (x->kind && !strcmp(x->kind, lede_entity_kind_name(j)))
                kind = j;
        res->entities[k] = (struct lede_entity){.offset = (size_t)x->offset,
                                                .length = (size_t)x->length,
                                                .count = x->count,
                                                .kind = (enum lede_entity_kind)kind};
        text_of(res, same, x->offset, x->length, x->text, x->text_len, cursor,
                &res->entities[k].text_offset, &res->entities[k].text_length);
    }
    res->n_entities = resp->n_entities;
    return LEDE_OK;
}

/* Builds a lede_result from a decoded response; takes p->body on success. Returns LEDE_OK or
 * LEDE_EPROTO (the response does not describe this body) or LEDE_ENOMEM. */
static int to_result(struct pending *p, const struct lede_client_response *resp,
                     struct lede_result **out, const char **why)
{
    *out = NULL;
    size_t n = resp->n_sentences;
    int explain = p->r->explain;
    if (explain ? n != resp->sentence_count : n != resp->n_summary) {
        *why = explain ? "the response does not list every sentence (explain was not honoured)"
                       : "the response does not list exactly the summary's sentences";
        return LEDE_EPROTO;
    }
    struct lede_result *res = calloc(1, sizeof *res);
    if (!res)
        return LEDE_ENOMEM;
    res->sentences = calloc(n ? n : 1, sizeof *res->sentences);
    res->summary = calloc(resp->n_summary ? resp->n_summary : 1, sizeof *res->summary);
    bool same;
    size_t cursor;
    int rc = !res->sentences || !res->summary ? LEDE_ENOMEM : LEDE_OK;
    if (rc == LEDE_OK)
        rc = copy_sentences(p, resp, explain, res, why);
    if (rc == LEDE_OK)
        rc = build_text(p, resp, res, &same, &cursor);
    if (rc == LEDE_OK) {
        int f = resp->format ? lede_format_by_name(resp->format) : -1;
        res->format = f > 0 ? (enum lede_format)f : LEDE_FORMAT_TEXT;
        rc = copy_tags(p, resp, res, same, &cursor, why);
    }
    for (size_t k = 0; rc == LEDE_OK && k < resp->n_summary; k++) {
        if (explain && resp->summary[k] >= n) {
            *why = "a summary index is out of range";
            rc = LEDE_EPROTO;
        }
        res->summary[k] = explain ? resp->summary[k] : k;
    }
    if (rc != LEDE_OK) {
        lede_result_destroy(&res);
        return rc;
    }
    res->n_sentences = n;
    res->n_summary = resp->n_summary;
    res->lang = static_lang(resp->language);
    snprintf(res->lang_detected, sizeof res->lang_detected, "%s", resp->language_detected);
    res->lang_confidence = resp->language_confidence;
    res->body = p->body;
    res->body_len = p->body_len;
    if (!res->text) {
        res->text = res->body;
        res->text_len = res->body_len;
    }
    p->body = NULL;
    *out = res;
    return LEDE_OK;
}

static void on_reply(void *ctx, const struct lede_client_reply *reply)
{
    struct pending *p = ctx;
    struct remote *r = p->r;
    unlink_pending(p);
    if (r->in_flight)
        r->in_flight--;
    r->flight_bytes -= p->body_len;
    if (reply->status != LEDE_STATUS_OK) {
        r->base.done(r->base.ctx, p->seq, reply->status, reply->message, NULL);
        goto cleanup;
    }
    struct lede_client_response *resp = NULL;
    struct lede_result *res = NULL;
    const char *why = "the response did not decode";
    int rc = lede_client_response_decode(reply->payload, reply->payload_len, &resp);
    if (rc == LEDE_OK)
        rc = to_result(p, resp, &res, &why);
    lede_client_response_destroy(&resp);
    if (rc == LEDE_OK)
        r->base.done(r->base.ctx, p->seq, LEDE_STATUS_OK, "", res);
    else if (rc == LEDE_ENOMEM)
        r->base.done(r->base.ctx, p->seq, LEDE_STATUS_RESOURCE_EXHAUSTED, "out of memory", NULL);
    else
        r->base.done(r->base.ctx, p->seq, LEDE_STATUS_DATA_LOSS, why, NULL);
cleanup:
    free(p->body);
    free(p);
}

static enum lede_client_budget map_budget(enum lede_budget_kind k)
{
    switch (k) {
    case LEDE_BUDGET_SENTENCES: return LEDE_CLIENT_BUDGET_SENTENCES;
    case LEDE_BUDGET_WORDS: return LEDE_CLIENT_BUDGET_WORDS;
    case LEDE_BUDGET_CHARS: return LEDE_CLIENT_BUDGET_CHARS;
    default: return LEDE_CLIENT_BUDGET_RATIO;
    }
}

/* A job that cannot be sent: its own failure (too big, bad budget), not the backend's. */
static void refuse(struct remote *r, struct pending *p, int rc)
{
    r->base.done(r->base.ctx, p->seq,
                 rc == LEDE_ETOOBIG || rc == LEDE_EAGAIN ? LEDE_STATUS_RESOURCE_EXHAUSTED
                                                         : LEDE_STATUS_INVALID_ARGUMENT,
                 rc == LEDE_ETOOBIG  ? "the article is over lede's limit of 16777216 bytes (16 MiB)"
                 : rc == LEDE_EAGAIN ? "too many calls in flight; try again later"
                                     : "the request cannot be encoded (bad budget or weights)",
                 NULL);
    free(p->body);
    free(p);
}

/* Sends the chunk as one call (waiting for room first) and empties it. */
static int flush(struct remote *r)
{
    size_t n = r->chunk_n, bytes = 0;
    if (n == 0)
        return LEDE_OK;
    for (size_t i = 0; i < n; i++)
        bytes += ((struct pending *)r->chunk[i].ctx)->body_len;
    while (r->in_flight &&
           (r->in_flight + n > r->max_in_flight || r->flight_bytes + bytes > FLIGHT_BYTES)) {
        int rc = lede_client_poll(r->client, 1000);
        if (rc < 0)
            return rc;
    }
    r->chunk_n = 0;
    r->chunk_bytes = 0;
    r->in_flight += n; /* before the call: a callback may come from inside it */
    r->flight_bytes += bytes;
    int rc = lede_client_summarize_batch(r->client, r->chunk, n, r->deadline_ms, NULL, 0, on_reply);
    for (size_t i = 0; i < n; i++) {
        free((void *)(uintptr_t)r->chunk[i].payload);
        if (rc != LEDE_OK) {
            struct pending *p = r->chunk[i].ctx;
            r->in_flight--;
            r->flight_bytes -= p->body_len;
            unlink_pending(p);
            if (rc == LEDE_ENOMEM) {
                r->base.done(r->base.ctx, p->seq, LEDE_STATUS_RESOURCE_EXHAUSTED, "out of memory",
                             NULL);
                free(p->body);
                free(p);
            } else {
                refuse(r, p, rc);
            }
        }
    }
    return LEDE_OK;
}

static int remote_submit(lede_backend_t *b, size_t seq, const struct lede_job *job)
{
    struct remote *r = (struct remote *)b;
    struct pending *p = calloc(1, sizeof *p);
    if (!p)
        return LEDE_ENOMEM;
    p->r = r;
    p->seq = seq;
    p->body = malloc(job->body_len + 1);
    if (!p->body) {
        free(p);
        return LEDE_ENOMEM;
    }
    if (job->body_len)
        memcpy(p->body, job->body, job->body_len);
    p->body[job->body_len] = '\0';
    p->body_len = job->body_len;

    const char *names[LEDE_F_COUNT];
    double values[LEDE_F_COUNT];
    size_t n_w = job->n_overrides < LEDE_F_COUNT ? job->n_overrides : LEDE_F_COUNT;
    for (size_t i = 0; i < n_w; i++) {
        const char *name = lede_feature_name(job->overrides[i].feature);
        names[i] = name ? name : "";
        values[i] = job->overrides[i].value;
    }
    struct lede_client_request req = {
        .article_id = job->id,
        .title = job->title,
        .title_len = job->title ? job->title_len : 0,
        .body = p->body,
        .body_len = p->body_len,
        .lang = job->lang,
        .budget = map_budget(job->budget.kind),
        .budget_value = job->budget.value,
        .n_weights = n_w,
        .weight_names = names,
        .weight_values = values,
        .explain = r->explain,
        .deadline_ms = r->deadline_ms,
        .format = lede_format_name((int)job->format),
    };
    uint8_t *packed;
    size_t len;
    int rc = lede_client_summarize_pack(&req, 0, &packed, &len);
    if (rc == LEDE_ENOMEM) {
        free(p->body);
        free(p);
        return rc;
    }
    if (rc != LEDE_OK) {
        refuse(r, p, rc);
        return LEDE_OK;
    }
    p->next = r->head;
    if (r->head)
        r->head->prev = p;
    r->head = p;
    /* a chunk never goes over CHUNK_BYTES, except an article that large on its own */
    if (r->chunk_n && r->chunk_bytes + len > CHUNK_BYTES && (rc = flush(r)) != LEDE_OK) {
        free(packed);
        return rc;
    }
    r->chunk[r->chunk_n++] = (struct lede_client_batch_item){packed, len, p};
    r->chunk_bytes += len;
    if (r->chunk_n >= r->chunk_max || r->chunk_bytes >= CHUNK_BYTES || r->in_flight == 0)
        return flush(r);
    return LEDE_OK;
}

static int remote_drain(lede_backend_t *b)
{
    struct remote *r = (struct remote *)b;
    int rc = flush(r);
    if (rc != LEDE_OK)
        return rc;
    return lede_client_drain(r->client, -1);
}

static void remote_destroy(lede_backend_t *b)
{
    struct remote *r = (struct remote *)b;
    lede_client_destroy(&r->client);
    for (size_t i = 0; i < r->chunk_n; i++)
        free((void *)(uintptr_t)r->chunk[i].payload);
    while (r->head) {
        struct pending *p = r->head;
        r->head = p->next;
        free(p->body);
        free(p);
    }
    free(r);
}

static const struct lede_backend_ops remote_ops = {remote_submit, remote_drain, remote_destroy};

int lede_backend_remote_new(const struct lede_remote_options *opt, lede_done_fn done, void *ctx,
                            lede_backend_t **out)
{
    *out = NULL;
    if (!opt || !opt->endpoints || !done)
        return LEDE_EINVAL;
    struct remote *r = calloc(1, sizeof *r);
    if (!r)
        return LEDE_ENOMEM;
    struct lede_client_options co;
    lede_client_options_init(&co);
    if (opt->deadline_ms > 0)
        co.deadline_ms = opt->deadline_ms;
    if (opt->max_in_flight > 0 && (size_t)opt->max_in_flight < co.max_in_flight)
        co.max_in_flight = (size_t)opt->max_in_flight;
    co.curve_secret_file = opt->curve_secret_file;
    co.broker_key_file = opt->broker_key_file;
    r->deadline_ms = co.deadline_ms;
    r->explain = opt->explain;
    r->max_in_flight = opt->max_in_flight > 0 ? (size_t)opt->max_in_flight : LEDE_REMOTE_IN_FLIGHT;
    if (r->max_in_flight > co.max_in_flight)
        r->max_in_flight = co.max_in_flight;
    r->chunk_max = r->max_in_flight / 4;
    r->chunk_max = r->chunk_max < 1 ? 1 : r->chunk_max > CHUNK_MAX ? CHUNK_MAX : r->chunk_max;
    /* the client's own bound is in calls: every article may be one (a fallback) */
    co.max_in_flight = r->max_in_flight + CHUNK_MAX;
    char err[256] = "";
    int rc = lede_client_new(opt->endpoints, &co, &r->client, err, sizeof err);
    if (rc != LEDE_OK) {
        fprintf(stderr, "lede: %s\n", err[0] ? err : lede_strerror(rc));
        free(r);
        return rc;
    }
    r->base = (struct lede_backend){&remote_ops, done, ctx};
    *out = &r->base;
    return LEDE_OK;
}
