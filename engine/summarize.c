/* summarize.c: the engine's public API and the pipeline that runs the stages in order:
 * text -> segment -> tokenize -> features -> select. Owns the engine (immutable, shared)
 * and the workspace (per thread, reused between calls). */
#include "summarize.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "boiler.h"
#include "editorial.h"
#include "entity.h"
#include "feature.h"
#include "format.h"
#include "idf.h"
#include "lang.h"
#include "keyphrase.h"
#include "segment.h"
#include "select.h"
#include "text.h"
#include "tokenize.h"
#include "utf8.h"

/* Default weights, tuned on the dev splits only (docs/TUNING.md). */
static const struct lede_weights default_weights = {{
    [LEDE_F_POSITION] = 3.95,
    [LEDE_F_TERM] = 1.2,
    [LEDE_F_ENTITY] = 0.05,
    [LEDE_F_TITLE] = 0.8,
    [LEDE_F_LENGTH] = 0.8,
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

const char *lede_entity_kind_name(int kind)
{
    static const char *const names[] = {"name", "person", "acronym"};
    return kind >= 0 && kind < 3 ? names[kind] : NULL;
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
    lede_detect_fn detect;
    void *detect_ctx;
};

/* Up to this many languages, each with its tokenizer kept once seen (lede_lang_count_all()). */
#define MAX_LANGS 64

struct lede_workspace {
    const lede_engine_t *engine;
    lede_tokenizer_t *tk;             /* the current call's, one of tks[] */
    lede_tokenizer_t *tks[MAX_LANGS]; /* one per language seen, by lede_lang_at index */
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
            return fail(err, LEDE_EINVAL, 0,
                        "weight %s must be a finite number in "
                        "[-1000, 1000]",
                        feature_names[f]);
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
    e->detect = cfg->detect;
    e->detect_ctx = cfg->detect_ctx;
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
    lede_map_init(&ws->doc.kp_map, 0);
    lede_map_init(&ws->doc.ent_map, 0);
    lede_map_init(&ws->doc.ent_last, 0);
    *out = ws;
    return LEDE_OK;
}

/* Frees what summarizing grows (everything but the tokenizers and the format stage's state),
 * leaving ws as it was new: the next call grows what it needs again. */
static void release_buffers(lede_workspace_t *ws)
{
    struct lede_doc *d = &ws->doc;
    lede_regions_release(&ws->regions);
    lede_spans_release(&ws->spans);
    lede_tokens_release(&ws->toks);
    lede_tokens_release(&ws->title_toks);
    struct lede_map *maps[] = {&d->terms,  &d->title,   &d->sigs,
                               &d->kp_map, &d->ent_map, &d->ent_last};
    for (size_t i = 0; i < sizeof maps / sizeof *maps; i++)
        lede_map_release(maps[i]);
    for (int i = 0; i < LEDE_SCRATCH_SLOTS; i++) {
        free(d->scratch[i]);
        d->scratch[i] = NULL;
        d->scratch_cap[i] = 0;
    }
    free(d->sent);
    free(d->tf);
    free(d->cap_inner);
    free(d->stem);
    free(d->tw);
    free(d->stamp);
    free(d->first_tok);
    free(d->first_sent);
    free(d->stop_adj);
    free(ws->values);
    d->sent = NULL;
    d->tf = d->cap_inner = d->stamp = NULL;
    d->stem = NULL;
    d->tw = NULL;
    d->first_tok = d->first_sent = NULL;
    d->stop_adj = NULL;
    ws->values = NULL;
    ws->cap_sent = ws->cap_values = d->cap_terms = 0;
    d->n_sent = d->n_terms = 0;
}

void lede_workspace_destroy(lede_workspace_t **wsp)
{
    if (!wsp || !*wsp)
        return;
    lede_workspace_t *ws = *wsp;
    for (size_t i = 0; i < MAX_LANGS; i++)
        lede_tokenizer_destroy(&ws->tks[i]);
    ws->tk = NULL;
    lede_fmt_release(&ws->fmt);
    release_buffers(ws);
    free(ws);
    *wsp = NULL;
}

static size_t map_bytes(const struct lede_map *m)
{
    return m->cap * (sizeof *m->keys + sizeof *m->vals);
}

size_t lede_workspace_bytes(const lede_workspace_t *ws)
{
    if (!ws)
        return 0;
    const struct lede_doc *d = &ws->doc;
    size_t scratch = 0;
    for (int i = 0; i < LEDE_SCRATCH_SLOTS; i++)
        scratch += d->scratch_cap[i];
    return ws->regions.cap * sizeof *ws->regions.v + ws->spans.cap * sizeof *ws->spans.v +
           ws->toks.cap * sizeof *ws->toks.v + ws->title_toks.cap * sizeof *ws->title_toks.v +
           map_bytes(&d->terms) + map_bytes(&d->title) + map_bytes(&d->sigs) +
           map_bytes(&d->kp_map) + map_bytes(&d->ent_map) + map_bytes(&d->ent_last) + scratch +
           ws->cap_sent * sizeof *d->sent + ws->cap_values * sizeof *ws->values +
           d->cap_terms * (sizeof *d->tf + sizeof *d->cap_inner + sizeof *d->stem + sizeof *d->tw +
                           sizeof *d->stamp + sizeof *d->first_tok + sizeof *d->first_sent +
                           sizeof *d->stop_adj);
}

void lede_workspace_trim(lede_workspace_t *ws, size_t keep_bytes)
{
    if (!ws || lede_workspace_bytes(ws) <= keep_bytes)
        return;
    release_buffers(ws); /* everything but the stemmer */
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
    free((*rp)->keyphrases);
    free((*rp)->entities);
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
    char why[sizeof err->message];
    if (lede_budget_check(req->budget, why, sizeof why) != LEDE_OK)
        return fail(err, LEDE_EINVAL, 0, "%s", why); /* budget.c: the one rule */
    if ((int)req->format < LEDE_FORMAT_AUTO || (int)req->format > LEDE_FORMAT_NINJS)
        return fail(err, LEDE_EINVAL, 0, "unknown format %d", (int)req->format);
    if (req->max_keyphrases > LEDE_MAX_KEYPHRASES || req->max_entities > LEDE_MAX_ENTITIES)
        return fail(err, LEDE_EINVAL, 0, "at most %d keyphrases and %d entities may be asked for",
                    LEDE_MAX_KEYPHRASES, LEDE_MAX_ENTITIES);
    if (req->weights)
        return check_weights(req->weights, err);
    return LEDE_OK;
}

/* The stems of toks[from..to) that are not stop words, into doc's title terms (the title feature
 * reads them). LEDE_ENOMEM when the map cannot grow. */
static int add_title_terms(struct lede_doc *doc, const struct lede_token *toks, size_t from,
                           size_t to)
{
    int rc = LEDE_OK;
    for (size_t t = from; t < to; t++) {
        if (toks[t].flags & LEDE_TOK_STOP)
            continue;
        bool fresh;
        if (!lede_map_put(&doc->title, toks[t].stem, &fresh, &rc))
            return rc;
        doc->n_title += fresh;
    }
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

/* Reallocates the array arr to cap elements; returns LEDE_ENOMEM from the caller on failure
 * (arr is then unchanged). */
#define GROW_OR_FAIL(arr, cap)                                                                     \
    do {                                                                                           \
        void *q_ = realloc((arr), (cap) * sizeof *(arr));                                          \
        if (!q_)                                                                                   \
            return LEDE_ENOMEM;                                                                    \
        (arr) = q_;                                                                                \
    } while (0)

/* Term index of a stem, adding it to the document's term table (first seen at token tok of
 * sentence sent). */
static inline int add_term(struct lede_doc *doc, uint64_t stem, uint32_t tok, uint32_t sent,
                           uint32_t *ix)
{
    bool fresh;
    int rc = LEDE_ENOMEM;
    uint32_t *v = lede_map_put_inline(&doc->terms, stem, &fresh, &rc);
    if (!v)
        return rc;
    if (fresh) {
        size_t n = doc->n_terms; /* in a local: the stores below may change doc->n_terms */
        if (n == doc->cap_terms) {
            size_t cap = doc->cap_terms ? doc->cap_terms * 2 : 1024;
            /* every per-term array grows together */
            GROW_OR_FAIL(doc->tf, cap);
            GROW_OR_FAIL(doc->cap_inner, cap);
            GROW_OR_FAIL(doc->stem, cap);
            GROW_OR_FAIL(doc->tw, cap);
            GROW_OR_FAIL(doc->stamp, cap);
            GROW_OR_FAIL(doc->first_tok, cap);
            GROW_OR_FAIL(doc->first_sent, cap);
            GROW_OR_FAIL(doc->stop_adj, cap);
            doc->cap_terms = cap;
        }
        *v = (uint32_t)n;
        doc->tf[n] = 0;
        doc->cap_inner[n] = 0;
        doc->stop_adj[n] = 0;
        doc->stem[n] = stem;
        doc->first_tok[n] = tok;
        doc->first_sent[n] = sent;
        doc->n_terms = n + 1;
    }
    *ix = *v;
    return LEDE_OK;
}

/* UTF-16 code units in s[0..off), counted on from the cursor's last position when it is not
 * past off (sentences come in document order, so the whole body is read once). */
struct utf16_cursor {
    size_t byte, units; /* a multiple of 8 bytes and the units before it */
    size_t ascii;       /* body[0..ascii) is ASCII */
    size_t n;           /* the body's length */
};

/* Eight bytes at p (in registers: a memcpy to an array of four went through the stack). */
static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* The cursor for s[0..n): the ASCII prefix measured 32 bytes at a time. */
static struct utf16_cursor utf16_start(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        if ((load64(p + i) | load64(p + i + 8) | load64(p + i + 16) | load64(p + i + 24)) &
            0x8080808080808080ull)
            break;
    }
    while (i < n && p[i] < 0x80)
        i++;
    size_t b = i & ~(size_t)7;
    return (struct utf16_cursor){b, b, i, n};
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
    /* each byte of cont and lead4 is 0 or 1, so one multiply sums them into the top byte (a
     * popcount is a libgcc call on the baseline x86-64 the build targets) */
    return 8 - (size_t)((cont * ones) >> 56) + (size_t)((lead4 * ones) >> 56);
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
        uint64_t w0 = load64(p + i), w1 = load64(p + i + 8), w2 = load64(p + i + 16),
                 w3 = load64(p + i + 24);
        if (!((w0 | w1 | w2 | w3) & 0x8080808080808080ull))
            u += 32;
        else
            u += units8(w0) + units8(w1) + units8(w2) + units8(w3);
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
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (i + 8 <= c->n) { /* the whole word, its bytes from off on masked off */
            memcpy(&w, p + i, 8);
            w &= ~(uint64_t)0 >> (8 * (8 - (off - i)));
        } else
#endif
            memcpy(&w, p + i, off - i);
        u += units8(w) - (8 - (off - i));
    }
    return u;
}

/* A range found in the format stage's text, [*off, +*len), becomes that text range (in *t_off,
 * *t_len) and the range of the body as sent it came from (in *off, *len). */
static void to_body(const struct lede_fmt *fm, size_t *off, size_t *len, size_t *t_off,
                    size_t *t_len)
{
    size_t a, b;
    *t_off = *off;
    *t_len = *len;
    lede_fmt_source(fm, *t_off, *t_len, &a, &b);
    *off = a;
    *len = b - a;
}

/* The tokenizer for lang, made once per workspace and kept. */
static int use_tokenizer(lede_workspace_t *ws, const struct lede_lang *lang)
{
    size_t i = 0, n = lede_lang_count_all();
    while (i < n && lede_lang_at(i) != lang)
        i++;
    if (i >= n || i >= MAX_LANGS)
        return LEDE_ELANG;
    if (!ws->tks[i]) {
        int rc = lede_tokenizer_new(lang->code, &ws->tks[i]);
        if (rc)
            return rc;
    }
    ws->tk = ws->tks[i];
    return LEDE_OK;
}

static bool is_auto(const char *lang)
{
    return !lang || !*lang || !strcmp(lang, "auto");
}

/* The language of a request: the one it names (an unsupported one is LEDE_ELANG, with the
 * list of those supported), or the detector's on the title and the start of the body, or,
 * without a detector or when it names a language lede lacks, a guess from the script. */
static int resolve_lang(const lede_engine_t *e, const struct lede_request *req, const char *title,
                        size_t title_len, const char *body, size_t body_len,
                        const struct lede_lang **out, struct lede_detection *det,
                        struct lede_error *err)
{
    if (!is_auto(req->lang)) {
        *out = lede_lang_find(req->lang);
        if (*out)
            return LEDE_OK;
        const char *const *l = lede_languages();
        char list[160] = "";
        for (size_t i = 0; l[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "", l[i]);
        char quoted[21]; /* at most 20 bytes of it, cut between characters, invalid bytes
                            replaced: the message leaves the process (utf8.h) */
        lede_utf8_sanitize(quoted, sizeof quoted, req->lang, strlen(req->lang));
        return fail(err, LEDE_ELANG, 0, "language '%s' is not supported (supported: %s, or auto)",
                    quoted, list);
    }
    /* The text detection reads: the title, a line break, and the start of the body, cut at a
     * code point boundary (the detector gets valid UTF-8). */
    char buf[LEDE_DETECT_MAX_BYTES];
    size_t n = 0;
    if (title && title_len) {
        n = title_len < sizeof buf / 4 ? title_len : sizeof buf / 4;
        memcpy(buf, title, n);
        buf[n++] = '\n';
    }
    size_t take = body_len < sizeof buf - n ? body_len : sizeof buf - n;
    if (take)
        memcpy(buf + n, body, take);
    n += take;
    while (n && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
        n--; /* back to a lead byte... */
    if (n && (unsigned char)buf[n - 1] >= 0xC0)
        n--; /* ...which starts a code point that may be cut: dropped */
    *out = NULL;
    det->code[0] = 0;
    det->confidence = 0;
    if (e->detect && e->detect(e->detect_ctx, buf, n, det) == 0) {
        det->code[sizeof det->code - 1] = 0;
        *out = lede_lang_find(det->code);
    }
    if (!*out) {
        double share = 0;
        const struct lede_lang *g = lede_lang_guess_script(buf, n, n, &share);
        if (!det->code[0]) {
            snprintf(det->code, sizeof det->code, "%s", g->code);
            /* a script names its language well, except Latin, which many languages share */
            det->confidence = strcmp(g->code, "en") ? share : share * 0.5;
        }
        *out = g;
    }
    return LEDE_OK;
}

int lede_summarize(lede_workspace_t *ws, const struct lede_request *req, struct lede_result **out,
                   struct lede_error *err)
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
    size_t bad;
    if (!lede_utf8_valid(req->body, req->body_len, &bad))
        return fail(err, LEDE_EUTF8, bad, "body is not valid UTF-8: bad byte 0x%02x at offset %zu",
                    (unsigned char)req->body[bad], bad);
    if (req->title && !lede_utf8_valid(req->title, req->title_len, &bad))
        return fail(err, LEDE_EUTF8, bad, "title is not valid UTF-8: bad byte 0x%02x at offset %zu",
                    (unsigned char)req->title[bad], bad);

    /* Stage 0: the body as sent (HTML, ANS, ninjs, wire copy) to paragraphs of text. */
    char fmsg[160];
    if ((rc =
             lede_fmt_run(&ws->fmt, (int)req->format, req->body, req->body_len, fmsg, sizeof fmsg)))
        return fail(err, rc, 0, "%s", fmsg[0] ? fmsg : lede_strerror(rc));
    const struct lede_fmt *fm = &ws->fmt;
    const char *tx = fm->len ? fm->text : "";
    size_t tx_len = fm->len;
    if (!fm->identity && !lede_utf8_valid(tx, tx_len, &bad))
        return fail(err, LEDE_EFORMAT, 0, "the %s body decodes to invalid UTF-8",
                    lede_fmt_name(fm->format));
    const char *title = req->title;
    size_t title_len = req->title_len;
    if ((!title || !title_len) && fm->title) { /* an ANS or ninjs headline */
        title = fm->title;
        title_len = fm->title_len < 65536 ? fm->title_len : 65536;
    }

    /* The language: the request's, or detected on the text the format stage read. */
    struct lede_detection det = {.code = "", .confidence = 1.0};
    const struct lede_lang *lang;
    if ((rc = resolve_lang(e, req, title, title_len, tx, tx_len, &lang, &det, err)))
        return rc;
    if ((rc = use_tokenizer(ws, lang)))
        return fail(err, rc, 0, "cannot start the %s tokenizer", lang->code);

    /* Stage 1 and 2: regions, then sentences. */
    size_t stripped = 0;
    ws->regions.n = 0;
    ws->regions.max = e->max_sentences;
    if ((rc = lede_text_regions_lang(tx, tx_len, lang, &ws->regions, &stripped)))
        return fail(err, rc, 0, "article has too many paragraphs");
    ws->spans.n = 0;
    ws->spans.max = e->max_sentences;
    size_t n_sent = 0;
    for (size_t r = 0; r < ws->regions.n; r++) {
        const struct lede_region *g = &ws->regions.v[r];
        size_t before = ws->spans.n;
        if ((rc = lede_segment_split_lang(tx + g->offset, g->length, lang, &ws->spans)))
            return fail(err, rc, 0,
                        rc == LEDE_ETOOBIG ? "article has more than %zu sentences"
                                           : "out of memory",
                        e->max_sentences);
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
    doc->cased = false;
    doc->toks = &ws->toks;
    lede_map_reset(&doc->terms, req->body_len / 24); /* about one new term per 4 words */
    ws->toks.n = 0;
    size_t region = 0, last_para = SIZE_MAX, n_ct = 0, n_caps = 0;
    for (size_t k = 0; k < n_sent; k++) {
        const struct lede_span *sp = &ws->spans.v[k];
        while (region + 1 < ws->regions.n && ws->regions.v[region + 1].offset <= sp->offset)
            region++;
        size_t para = ws->regions.v[region].paragraph;
        const char *text = tx + sp->offset;
        if (lede_text_sentence_is_boilerplate(text, sp->length) ||
            lede_boiler_match(text, sp->length)) {
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
        s->c_begin = n_ct;
        /* room for every token of the sentence (at most as many are content words) */
        uint32_t *ct = lede_doc_scratch(doc, LEDE_SCR_CTERM, ws->toks.n * sizeof *ct);
        uint32_t *caps = lede_doc_scratch(doc, LEDE_SCR_CAPS, ws->toks.n * sizeof *caps);
        if (!ct || !caps)
            return fail(err, LEDE_ENOMEM, 0, "out of memory");
        uint64_t sig = 0x6c656465;
        /* in locals, not through s and doc, which the compiler must assume the term arrays'
         * stores may change */
        uint32_t n_content = 0, content_flags = 0;
        uint32_t si = (uint32_t)(doc->n_sent - 1);
        struct lede_token *tv = ws->toks.v;
        size_t t1 = ws->toks.n;
        /* The signature over every token, and the content tokens listed (no branch on a stop
         * word: a store each, kept or overwritten); then the content tokens' terms. */
        uint32_t *cs = ct + n_ct;
        for (size_t t = t0; t < t1; t++) {
            uint32_t flags = tv[t].flags;
            sig = mix64(sig, tv[t].stem);
            cs[n_content] = (uint32_t)t;
            n_content += !(flags & (LEDE_TOK_STOP | LEDE_TOK_NUMBER));
            caps[n_caps] = (uint32_t)t;
            n_caps += (flags & (LEDE_TOK_CAP | LEDE_TOK_ALLCAPS)) != 0;
        }
        for (uint32_t c = 0; c < n_content; c++) {
            size_t t = cs[c];
            struct lede_token *tok = &tv[t];
            uint32_t flags = tok->flags;
            uint32_t ix = 0;
            if ((rc = add_term(doc, tok->stem, (uint32_t)t, si, &ix)))
                return fail(err, rc, 0, "out of memory");
            doc->tf[ix]++;
            /* stop words beside it, for keyphrase.c (nouns follow "the", precede "of") */
            uint32_t stop_before = t > t0 ? tok[-1].flags & LEDE_TOK_STOP : 0;
            uint32_t stop_after = t + 1 < t1 ? tok[1].flags & LEDE_TOK_STOP : 0;
            doc->stop_adj[ix] += (stop_before != 0) + (stop_after != 0);
            tok->term = ix;
            doc->cap_inner[ix] += (flags & (LEDE_TOK_CAP | LEDE_TOK_FIRST)) == LEDE_TOK_CAP;
            content_flags |= flags;
            cs[c] = ix;
        }
        n_ct += n_content;
        bool cased = (content_flags & LEDE_TOK_CAP) != 0;
        s->n_content = n_content;
        doc->cased |= cased;
        s->sig = sig;
    }
    doc->cterm = doc->scratch[LEDE_SCR_CTERM];
    doc->caps = doc->scratch[LEDE_SCR_CAPS];
    doc->n_caps = n_caps;
    if (doc->n_sent)
        doc->n_paragraphs = doc->sent[doc->n_sent - 1].paragraph + 1;
    if (!doc->n_sent)
        return fail(err, LEDE_EEMPTY, 0, "article has no sentences%s",
                    stripped ? " once boilerplate is removed" : "");

    /* The title's content stems. */
    lede_map_reset(&doc->title, 64);
    doc->n_title = 0;
    uint64_t title_sig = 0;
    if (title && title_len) {
        ws->title_toks.n = 0;
        if ((rc = lede_tokenize(ws->tk, title, title_len, 0, &ws->title_toks)))
            return fail(err, rc, 0, "out of memory");
        title_sig = ws->title_toks.n ? 0x6c656465 : 0;
        for (size_t t = 0; t < ws->title_toks.n; t++)
            title_sig = mix64(title_sig, ws->title_toks.v[t].stem);
        if ((rc = add_title_terms(doc, ws->title_toks.v, 0, ws->title_toks.n)))
            return fail(err, rc, 0, "out of memory");
    }

    /* The editor's rules: quotation units; the headline is no candidate, but a headline
     * first line stands in for a missing title. */
    lede_editorial_quotes(doc);
    size_t head = lede_editorial_headline(doc, title_sig);
    if (head != SIZE_MAX && !doc->n_title) {
        const struct lede_sent *hs = &doc->sent[head];
        if ((rc = add_title_terms(doc, ws->toks.v, hs->tok_begin, hs->tok_end)))
            return fail(err, rc, 0, "out of memory");
    }

    /* Stage 4 and 5. */
    /* the idf table serves only the language it was built for: its stems are that stemmer's */
    bool idf_here = e->has_idf && lede_lang_find(e->idf.lang) == lang;
    if (lede_features_compute(doc, idf_here ? &e->idf : NULL, ws->values))
        goto nomem;
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
    memcpy(res->lang_detected, det.code, sizeof res->lang_detected);
    res->lang_detected[sizeof res->lang_detected - 1] = 0;
    res->lang_confidence = det.confidence;
    res->n_sentences = doc->n_sent;
    /* every field is set here (the ones selection fills, zero until then), so not calloc's
     * zeroing of all of them first */
    res->sentences = malloc(doc->n_sent * sizeof *res->sentences);
    if (!res->sentences)
        goto nomem;
    struct utf16_cursor u16 = utf16_start(req->body, req->body_len);
    for (size_t i = 0; i < doc->n_sent; i++) {
        size_t a, b;
        lede_fmt_source(fm, doc->sent[i].offset, doc->sent[i].length, &a, &b);
        size_t u0 = utf16_at(&u16, req->body, a);
        res->sentences[i] = (struct lede_sentence){
            .offset = a,
            .length = b - a,
            .paragraph = doc->sent[i].paragraph,
            .utf16_offset = u0,
            .utf16_length = utf16_at(&u16, req->body, b) - u0,
            .text_offset = doc->sent[i].offset,
            .text_length = doc->sent[i].length,
        };
    }
    /* Keyphrases and entities, in every result (after the features, whose per-term title
     * marks keyphrase.c reads, and before selection, which reuses that scratch). */
    size_t max_kp = req->max_keyphrases ? req->max_keyphrases : LEDE_DEFAULT_KEYPHRASES;
    size_t max_ent = req->max_entities ? req->max_entities : LEDE_DEFAULT_ENTITIES;
    if (lede_entities_extract(doc, max_ent, &res->entities, &res->n_entities) ||
        lede_keyphrases_extract(doc, max_kp, res->entities, res->n_entities, &res->keyphrases,
                                &res->n_keyphrases))
        goto nomem;
    /* found in the text; their offsets are the body's, as a sentence's */
    for (size_t i = 0; i < res->n_keyphrases; i++) {
        struct lede_keyphrase *k = &res->keyphrases[i];
        to_body(fm, &k->offset, &k->length, &k->text_offset, &k->text_length);
    }
    for (size_t i = 0; i < res->n_entities; i++) {
        struct lede_entity *x = &res->entities[i];
        to_body(fm, &x->offset, &x->length, &x->text_offset, &x->text_length);
    }
    const struct lede_weights *w = req->weights ? req->weights : &e->weights;
    if ((rc = lede_select_summary(doc, ws->values, w, req->budget, res))) {
        if (rc != LEDE_EINVAL)
            goto nomem;
        lede_result_destroy(&res);
        return fail(err, rc, 0, "no sentence fits in %.0f %s", req->budget.value,
                    req->budget.kind == LEDE_BUDGET_WORDS ? "words" : "characters");
    }
    *out = res;
    return LEDE_OK;
nomem:
    lede_result_destroy(&res);
    return fail(err, LEDE_ENOMEM, 0, "out of memory");
}
