/* summarize.c: the engine's public API and the pipeline that runs the stages in order:
 * text -> segment -> tokenize -> features -> select. Owns the engine (immutable, shared)
 * and the workspace (per thread, reused between calls). */
#include "summarize.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feature.h"
#include "format.h"
#include "idf.h"
#include "segment.h"
#include "select.h"
#include "text.h"
#include "tokenize.h"

/* Default weights, tuned on the dev splits only (docs/TUNING.md). */
static const struct lede_weights default_weights = {{
    [LEDE_F_POSITION] = 1.3,
    [LEDE_F_TERM] = 1.2,
    [LEDE_F_ENTITY] = 0.15,
    [LEDE_F_TITLE] = 0.8,
    [LEDE_F_LENGTH] = 0.3,
    [LEDE_F_OPENER] = 0.2,
}};

static const char *const feature_names[LEDE_F_COUNT] = {
    "position", "term", "entity", "title", "length", "opener",
};

const char *lede_feature_name(int feature)
{
    return feature >= 0 && feature < LEDE_F_COUNT ? feature_names[feature] : NULL;
}

int lede_feature_by_name(const char *name)
{
    for (int f = 0; name && f < LEDE_F_COUNT; f++)
        if (!strcmp(feature_names[f], name))
            return f;
    return -1;
}

const char *lede_format_name(int format)
{
    return lede_fmt_name(format);
}

int lede_format_by_name(const char *name)
{
    return lede_fmt_by_name(name);
}

const char *const *lede_languages(void)
{
    return lede_tokenize_languages();
}

struct lede_engine {
    struct lede_weights weights;
    struct lede_idf idf;
    bool has_idf;
    size_t max_body;
    size_t max_sentences;
};

struct lede_workspace {
    const lede_engine_t *engine;
    lede_tokenizer_t *tk;
    struct lede_fmt fmt;
    struct lede_regions regions;
    struct lede_spans spans;
    struct lede_tokens toks;
    struct lede_tokens title_toks;
    struct lede_doc doc;
    size_t cap_sent;
    double *values;
    size_t cap_values;
};

static int fail(struct lede_error *err, int code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct lede_error *err, int code, size_t offset, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        err->offset = offset;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int check_weights(const struct lede_weights *w, struct lede_error *err)
{
    for (int f = 0; f < LEDE_F_COUNT; f++)
        if (!isfinite(w->w[f]) || fabs(w->w[f]) > 1000)
            return fail(err, LEDE_EINVAL, 0, "weight %s must be a finite number in "
                        "[-1000, 1000]", feature_names[f]);
    return LEDE_OK;
}

int lede_engine_new(const struct lede_engine_config *cfg, lede_engine_t **out,
                    struct lede_error *err)
{
    static const struct lede_engine_config none;
    int rc;
    *out = NULL;
    if (!cfg)
        cfg = &none;
    lede_engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return fail(err, LEDE_ENOMEM, 0, "out of memory");
    e->weights = cfg->weights ? *cfg->weights : default_weights;
    if ((rc = check_weights(&e->weights, err)))
        goto fail;
    e->max_body = cfg->max_body ? cfg->max_body : LEDE_DEFAULT_MAX_BODY;
    e->max_sentences = cfg->max_sentences ? cfg->max_sentences : LEDE_DEFAULT_MAX_SENTENCES;
    lede_fmt_init(); /* the HTML parser's one-time set-up, before any thread parses */
    if (cfg->idf_data) {
        char msg[160];
        if ((rc = lede_idf_parse(&e->idf, cfg->idf_data, cfg->idf_len, msg, sizeof msg))) {
            fail(err, rc, 0, "%s", msg);
            goto fail;
        }
        if (!lede_tokenize_algorithm(e->idf.lang)) {
            rc = fail(err, LEDE_EFORMAT, 0, "idf table is for language '%s', not supported",
                      e->idf.lang);
            goto fail;
        }
        e->has_idf = true;
    }
    *out = e;
    return LEDE_OK;
fail:
    lede_engine_destroy(&e);
    return rc;
}

void lede_engine_destroy(lede_engine_t **ep)
{
    if (!ep || !*ep)
        return;
    lede_idf_release(&(*ep)->idf);
    free(*ep);
    *ep = NULL;
}

const struct lede_weights *lede_engine_weights(const lede_engine_t *engine)
{
    return &engine->weights;
}

bool lede_engine_has_idf(const lede_engine_t *engine)
{
    return engine->has_idf;
}

int lede_workspace_new(const lede_engine_t *engine, lede_workspace_t **out)
{
    *out = NULL;
    lede_workspace_t *ws = calloc(1, sizeof *ws);
    if (!ws)
        return LEDE_ENOMEM;
    ws->engine = engine;
    lede_map_init(&ws->doc.terms, 0);
    lede_map_init(&ws->doc.title, 0);
    lede_map_init(&ws->doc.sigs, 0);
    *out = ws;
    return LEDE_OK;
}

void lede_workspace_destroy(lede_workspace_t **wsp)
{
    if (!wsp || !*wsp)
        return;
    lede_workspace_t *ws = *wsp;
    lede_tokenizer_destroy(&ws->tk);
    lede_fmt_release(&ws->fmt);
    lede_regions_release(&ws->regions);
    lede_spans_release(&ws->spans);
    lede_tokens_release(&ws->toks);
    lede_tokens_release(&ws->title_toks);
    lede_map_release(&ws->doc.terms);
    lede_map_release(&ws->doc.title);
    lede_map_release(&ws->doc.sigs);
    free(ws->doc.sent);
    free(ws->doc.tf);
    free(ws->doc.cap_inner);
    free(ws->doc.stem);
    free(ws->doc.tw);
    free(ws->doc.stamp);
    free(ws->values);
    free(ws);
    *wsp = NULL;
}

void lede_result_destroy(struct lede_result **rp)
{
    if (!rp || !*rp)
        return;
    if ((*rp)->text != (*rp)->body)
        free((char *)(*rp)->text);
    free((char *)(*rp)->body);
    free((*rp)->sentences);
    free((*rp)->summary);
    free(*rp);
    *rp = NULL;
}

static int check_request(const lede_engine_t *e, const struct lede_request *req,
                         struct lede_error *err)
{
    if (!req->body && req->body_len)
        return fail(err, LEDE_EINVAL, 0, "body is NULL with a length");
    if (req->body_len > e->max_body)
        return fail(err, LEDE_ETOOBIG, 0, "article of %zu bytes is over the maximum of %zu",
                    req->body_len, e->max_body);
    if (req->title_len > 65536)
        return fail(err, LEDE_ETOOBIG, 0, "title of %zu bytes is over the maximum of 65536",
                    req->title_len);
    double v = req->budget.value;
    switch (req->budget.kind) {
    case LEDE_BUDGET_SENTENCES:
    case LEDE_BUDGET_WORDS:
    case LEDE_BUDGET_CHARS:
        if (!isfinite(v) || v < 1 || v > 1e9 || floor(v) != v)
            return fail(err, LEDE_EINVAL, 0, "budget must be a whole number from 1 to 1e9");
        break;
    case LEDE_BUDGET_RATIO:
        if (!isfinite(v) || v <= 0 || v > 1)
            return fail(err, LEDE_EINVAL, 0, "ratio must be in (0, 1]");
        break;
    default:
        return fail(err, LEDE_EINVAL, 0, "unknown budget kind %d", (int)req->budget.kind);
    }
    if ((int)req->format < LEDE_FORMAT_AUTO || (int)req->format > LEDE_FORMAT_NINJS)
        return fail(err, LEDE_EINVAL, 0, "unknown format %d", (int)req->format);
    if (req->weights)
        return check_weights(req->weights, err);
    return LEDE_OK;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static bool grow_arrays(lede_workspace_t *ws, size_t n_sent)
{
    if (n_sent > ws->cap_sent) {
        size_t cap = ws->cap_sent ? ws->cap_sent : 64;
        while (cap < n_sent)
            cap *= 2;
        struct lede_sent *s = realloc(ws->doc.sent, cap * sizeof *s);
        if (!s)
            return false;
        ws->doc.sent = s;
        ws->cap_sent = cap;
    }
    size_t nv = n_sent * LEDE_F_COUNT;
    if (nv > ws->cap_values) {
        double *v = realloc(ws->values, nv * sizeof *v);
        if (!v)
            return false;
        ws->values = v;
        ws->cap_values = nv;
    }
    return true;
}

/* Term index of a stem, adding it to the document's term table. */
static inline int add_term(struct lede_doc *doc, uint64_t stem, uint32_t *ix)
{
    bool fresh;
    int rc = LEDE_ENOMEM;
    uint32_t *v = lede_map_put_inline(&doc->terms, stem, &fresh, &rc);
    if (!v)
        return rc;
    if (fresh) {
        if (doc->n_terms == doc->cap_terms) {
            size_t cap = doc->cap_terms ? doc->cap_terms * 2 : 1024;
            uint32_t *tf = realloc(doc->tf, cap * sizeof *tf);
            if (!tf)
                return LEDE_ENOMEM;
            doc->tf = tf;
            uint32_t *ci = realloc(doc->cap_inner, cap * sizeof *ci);
            if (!ci)
                return LEDE_ENOMEM;
            doc->cap_inner = ci;
            uint64_t *sh = realloc(doc->stem, cap * sizeof *sh);
            if (!sh)
                return LEDE_ENOMEM;
            doc->stem = sh;
            double *tw = realloc(doc->tw, cap * sizeof *tw);
            if (!tw)
                return LEDE_ENOMEM;
            doc->tw = tw;
            uint32_t *st = realloc(doc->stamp, cap * sizeof *st);
            if (!st)
                return LEDE_ENOMEM;
            doc->stamp = st;
            doc->cap_terms = cap;
        }
        *v = (uint32_t)doc->n_terms;
        doc->tf[doc->n_terms] = 0;
        doc->cap_inner[doc->n_terms] = 0;
        doc->stem[doc->n_terms] = stem;
        doc->n_terms++;
    }
    *ix = *v;
    return LEDE_OK;
}

/* UTF-16 code units in s[0..off), counted on from the cursor's last position when it is not
 * past off (sentences come in document order, so the whole body is read once). */
struct utf16_cursor {
    size_t byte, units; /* a multiple of 8 bytes and the units before it */
    size_t ascii;       /* body[0..ascii) is ASCII */
};

/* The cursor for s[0..n): the ASCII prefix measured 32 bytes at a time. */
static struct utf16_cursor utf16_start(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, 32);
        if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull)
            break;
    }
    while (i < n && p[i] < 0x80)
        i++;
    size_t b = i & ~(size_t)7;
    return (struct utf16_cursor){b, b, i};
}

/* UTF-16 units of eight bytes: one per byte that is not a continuation byte (10xxxxxx), two
 * for a 4-byte lead (11110xxx). */
static inline size_t units8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull;
    if (!(w & 0x8080808080808080ull))
        return 8;
    uint64_t cont = (w >> 7) & ~(w >> 6) & ones;
    uint64_t lead4 = (w >> 7) & (w >> 6) & (w >> 5) & (w >> 4) & ones;
    return 8 - (size_t)__builtin_popcountll(cont) + (size_t)__builtin_popcountll(lead4);
}

/* The cursor stays on a multiple of 8 bytes; the part of a block before off is counted from a
 * copy of just those bytes (zero bytes count one unit each, taken off again). */
static size_t utf16_at(struct utf16_cursor *c, const char *s, size_t off)
{
    if (off <= c->ascii)
        return off; /* all ASCII before the first non-ASCII byte */
    if (off < c->byte)
        c->byte = c->units = 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = c->byte, u = c->units, end = off & ~(size_t)7;
    for (; i + 32 <= end; i += 32) { /* 32 bytes at a time, at once when all ASCII */
        uint64_t w[4];
        memcpy(w, p + i, 32);
        if (!((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull))
            u += 32;
        else
            u += units8(w[0]) + units8(w[1]) + units8(w[2]) + units8(w[3]);
    }
    for (; i < end; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        u += units8(w);
    }
    c->byte = i;
    c->units = u;
    if (off > i) {
        uint64_t w = 0;
        memcpy(&w, p + i, off - i);
        u += units8(w) - (8 - (off - i));
    }
    return u;
}

int lede_summarize(lede_workspace_t *ws, const struct lede_request *req,
                   struct lede_result **out, struct lede_error *err)
{
    const lede_engine_t *e = ws->engine;
    struct lede_doc *doc = &ws->doc;
    struct lede_result *res = NULL;
    int rc;
    *out = NULL;
    if (err) {
        err->code = LEDE_OK;
        err->offset = 0;
        err->message[0] = 0;
    }
    if ((rc = check_request(e, req, err)))
        return rc;
    const char *lang = req->lang && *req->lang ? req->lang : "en";
    if (!lede_tokenize_algorithm(lang)) {
        const char *const *l = lede_languages();
        char list[64] = "";
        for (size_t i = 0; l[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", l[i]);
        return fail(err, LEDE_ELANG, 0, "language '%.20s' is not supported (supported: %s)",
                    lang, list);
    }
    if (!ws->tk || strcmp(lede_tokenizer_lang(ws->tk), lede_tokenize_languages()[0]) ||
        strcmp(lede_tokenize_algorithm(lang), lede_tokenize_algorithm(lede_tokenizer_lang(ws->tk)))) {
        lede_tokenizer_destroy(&ws->tk);
        if ((rc = lede_tokenizer_new(lang, &ws->tk)))
            return fail(err, rc, 0, "cannot start the %s stemmer", lang);
    }
    size_t bad;
    if (!lede_text_utf8_valid(req->body, req->body_len, &bad))
        return fail(err, LEDE_EUTF8, bad, "body is not valid UTF-8: bad byte 0x%02x at offset %zu",
                    (unsigned char)req->body[bad], bad);
    if (req->title && !lede_text_utf8_valid(req->title, req->title_len, &bad))
        return fail(err, LEDE_EUTF8, bad, "title is not valid UTF-8: bad byte 0x%02x at offset %zu",
                    (unsigned char)req->title[bad], bad);

    /* Stage 0: the body as sent (HTML, ANS, ninjs, wire copy) to paragraphs of text. */
    char fmsg[160];
    if ((rc = lede_fmt_run(&ws->fmt, (int)req->format, req->body, req->body_len, fmsg,
                           sizeof fmsg)))
        return fail(err, rc, 0, "%s", fmsg[0] ? fmsg : lede_strerror(rc));
    const struct lede_fmt *fm = &ws->fmt;
    const char *tx = fm->len ? fm->text : "";
    size_t tx_len = fm->len;
    if (!fm->identity && !lede_text_utf8_valid(tx, tx_len, &bad))
        return fail(err, LEDE_EFORMAT, 0, "the %s body decodes to invalid UTF-8",
                    lede_fmt_name(fm->format));
    const char *title = req->title;
    size_t title_len = req->title_len;
    if ((!title || !title_len) && fm->title) { /* an ANS or ninjs headline */
        title = fm->title;
        title_len = fm->title_len < 65536 ? fm->title_len : 65536;
    }

    /* Stage 1 and 2: regions, then sentences. */
    size_t stripped = 0;
    ws->regions.n = 0;
    ws->regions.max = e->max_sentences;
    if ((rc = lede_text_regions(tx, tx_len, &ws->regions, &stripped)))
        return fail(err, rc, 0, "article has too many paragraphs");
    ws->spans.n = 0;
    ws->spans.max = e->max_sentences;
    size_t n_sent = 0;
    for (size_t r = 0; r < ws->regions.n; r++) {
        const struct lede_region *g = &ws->regions.v[r];
        size_t before = ws->spans.n;
        if ((rc = lede_segment_split(tx + g->offset, g->length, &ws->spans)))
            return fail(err, rc, 0, rc == LEDE_ETOOBIG ? "article has more than %zu sentences"
                        : "out of memory", e->max_sentences);
        for (size_t k = before; k < ws->spans.n; k++)
            ws->spans.v[k].offset += g->offset;
        n_sent = ws->spans.n;
    }
    if (!grow_arrays(ws, n_sent))
        return fail(err, LEDE_ENOMEM, 0, "out of memory");

    /* Stage 3: tokens, the term table and the per-sentence facts. */
    doc->body = tx;
    doc->n_sent = 0;
    doc->n_terms = 0;
    doc->n_paragraphs = 0;
    doc->toks = &ws->toks;
    lede_map_reset(&doc->terms, req->body_len / 24); /* about one new term per 4 words */
    ws->toks.n = 0;
    size_t region = 0, last_para = SIZE_MAX;
    for (size_t k = 0; k < n_sent; k++) {
        const struct lede_span *sp = &ws->spans.v[k];
        while (region + 1 < ws->regions.n &&
               ws->regions.v[region + 1].offset <= sp->offset)
            region++;
        size_t para = ws->regions.v[region].paragraph;
        const char *text = tx + sp->offset;
        if (lede_text_sentence_is_boilerplate(text, sp->length)) {
            stripped++;
            continue;
        }
        size_t t0 = ws->toks.n;
        if ((rc = lede_tokenize(ws->tk, text, sp->length, sp->offset, &ws->toks)))
            return fail(err, rc, 0, "out of memory");
        if (ws->toks.n == t0)
            continue; /* no word at all: punctuation or symbols */
        struct lede_sent *s = &doc->sent[doc->n_sent++];
        memset(s, 0, sizeof *s);
        s->offset = sp->offset;
        s->length = sp->length;
        s->paragraph = para;
        s->para_first = para != last_para;
        last_para = para;
        s->tok_begin = t0;
        s->tok_end = ws->toks.n;
        s->n_words = (uint32_t)(s->tok_end - s->tok_begin);
        s->opener = (ws->toks.v[t0].flags & LEDE_TOK_OPENER) != 0;
        uint64_t sig = 0x6c656465;
        for (size_t t = t0; t < ws->toks.n; t++) {
            struct lede_token *tok = &ws->toks.v[t];
            sig = mix64(sig, tok->stem);
            if (tok->flags & (LEDE_TOK_STOP | LEDE_TOK_NUMBER))
                continue;
            s->n_content++;
            uint32_t ix = 0;
            if ((rc = add_term(doc, tok->stem, &ix)))
                return fail(err, rc, 0, "out of memory");
            doc->tf[ix]++;
            tok->term = ix;
            if ((tok->flags & LEDE_TOK_CAP) && !(tok->flags & LEDE_TOK_FIRST))
                doc->cap_inner[ix]++;
        }
        s->sig = sig;
    }
    if (doc->n_sent)
        doc->n_paragraphs = doc->sent[doc->n_sent - 1].paragraph + 1;
    if (!doc->n_sent)
        return fail(err, LEDE_EEMPTY, 0, "article has no sentences%s",
                    stripped ? " once boilerplate is removed" : "");

    /* The title's content stems. */
    lede_map_reset(&doc->title, 64);
    doc->n_title = 0;
    if (title && title_len) {
        ws->title_toks.n = 0;
        if ((rc = lede_tokenize(ws->tk, title, title_len, 0, &ws->title_toks)))
            return fail(err, rc, 0, "out of memory");
        for (size_t t = 0; t < ws->title_toks.n; t++) {
            const struct lede_token *tok = &ws->title_toks.v[t];
            if (tok->flags & LEDE_TOK_STOP)
                continue;
            bool fresh;
            if (!lede_map_put(&doc->title, tok->stem, &fresh, &rc))
                return fail(err, rc, 0, "out of memory");
            doc->n_title += fresh;
        }
    }

    /* Stage 4 and 5. */
    lede_features_compute(doc, e->has_idf ? &e->idf : NULL, ws->values);
    res = calloc(1, sizeof *res);
    if (!res)
        goto nomem;
    char *body = malloc(req->body_len + 1);
    if (!body)
        goto nomem;
    if (req->body_len)
        memcpy(body, req->body, req->body_len);
    body[req->body_len] = 0;
    res->body = body;
    res->body_len = req->body_len;
    res->text = body;
    res->text_len = req->body_len;
    if (!fm->identity) {
        char *t = malloc(tx_len + 1);
        if (!t)
            goto nomem;
        memcpy(t, tx, tx_len);
        t[tx_len] = 0;
        res->text = t;
        res->text_len = tx_len;
    }
    res->format = (enum lede_format)fm->format;
    res->n_markup_errors = fm->n_errors;
    res->n_dropped = fm->n_dropped;
    res->n_stripped = stripped;
    res->lang = lede_tokenizer_lang(ws->tk);
    res->n_sentences = doc->n_sent;
    res->sentences = calloc(doc->n_sent, sizeof *res->sentences);
    if (!res->sentences)
        goto nomem;
    struct utf16_cursor u16 = utf16_start(req->body, req->body_len);
    for (size_t i = 0; i < doc->n_sent; i++) {
        struct lede_sentence *o = &res->sentences[i];
        o->text_offset = doc->sent[i].offset;
        o->text_length = doc->sent[i].length;
        size_t a, b;
        lede_fmt_source(fm, o->text_offset, o->text_length, &a, &b);
        o->offset = a;
        o->length = b - a;
        o->utf16_offset = utf16_at(&u16, req->body, a);
        o->utf16_length = utf16_at(&u16, req->body, b) - o->utf16_offset;
        o->paragraph = doc->sent[i].paragraph;
    }
    const struct lede_weights *w = req->weights ? req->weights : &e->weights;
    if ((rc = lede_select_summary(doc, ws->values, w, req->budget, res)))
        goto nomem;
    *out = res;
    return LEDE_OK;
nomem:
    lede_result_destroy(&res);
    return fail(err, LEDE_ENOMEM, 0, "out of memory");
}
