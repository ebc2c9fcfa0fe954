/* jsonl_in.c: --jsonl input lines read directly (see jsonl_in.h): a small strict JSON scanner
 * that decodes the few strings a record needs and skips every other value. */
#include "jsonl_in.h"

#include "json_scan.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sc {
    const char *s, *end, *start;
    char *msg;
    size_t msg_len;
    int depth;
    int nomem;
};

static int bad(struct sc *p, const char *what)
{
    if (!p->msg[0])
        snprintf(p->msg, p->msg_len, "not JSON: %s (column %zu)", what,
                 (size_t)(p->s - p->start) + 1);
    return -1;
}

static void ws(struct sc *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->s++;
}

/* The escape at p->s (after its backslash's string run; p->s at the backslash), p->s moved
 * past it: its code point in *cp (a surrogate pair joined). Nonzero: bad() said why. */
static int escape(struct sc *p, unsigned *cp)
{
    const char *why = NULL, *next = lede_json_escape(p->s, p->end, cp, &why);
    if (!next)
        return bad(p, why);
    p->s = next;
    return 0;
}

/* The end of the run of plain string bytes from p->s (up to a quote, a backslash or the end),
 * checked: no control character, valid UTF-8. NULL: bad() said why (p->s at the fault). */
static const char *plain_run(struct sc *p)
{
    const char *r = p->s;
    while ((r = lede_json_plain_run(r, p->end)) < p->end && *r != '"' && *r != '\\') {
        unsigned char c = (unsigned char)*r; /* a control or the start of a UTF-8 sequence */
        if (c < 0x20) {
            p->s = r;
            bad(p, "control character in a string");
            return NULL;
        }
        if (c < 0x80) {
            r++;
            continue;
        }
        size_t u = lede_utf8_seq_len((const unsigned char *)r, (size_t)(p->end - r));
        if (!u) {
            p->s = r;
            bad(p, "invalid UTF-8 in a string");
            return NULL;
        }
        r += u;
    }
    return r;
}

/* A string at p->s; decoded into *out (malloc'd, NUL-terminated) when out is not NULL. */
static int string(struct sc *p, char **out, size_t *len)
{
    if (p->s >= p->end || *p->s != '"')
        return bad(p, "expected a string");
    p->s++;
    char *b = NULL;
    size_t n = 0, cap = 0;
    if (out) {
        const char *q = p->s; /* the first guess of the size: up to the first special byte */
        while ((q = lede_json_plain_run(q, p->end)) < p->end && *q != '"' && *q != '\\')
            q++;
        cap = (size_t)(q - p->s) + 16;
        b = malloc(cap);
        if (!b) {
            p->nomem = 1;
            return -1;
        }
    }
    for (;;) {
        const char *r = plain_run(p);
        if (!r)
            goto fail;
        size_t run = (size_t)(r - p->s);
        if (b && n + run + 8 > cap) {
            cap = (n + run + 8) * 2;
            char *nb = realloc(b, cap);
            if (!nb) {
                p->nomem = 1;
                goto fail;
            }
            b = nb;
        }
        if (b)
            memcpy(b + n, p->s, run);
        n += run;
        p->s = r;
        if (p->s >= p->end) {
            bad(p, "unterminated string");
            goto fail;
        }
        if (*p->s == '"') {
            p->s++;
            break;
        }
        unsigned cp;
        if (escape(p, &cp))
            goto fail;
        if (b)
            lede_utf8_put(b, &n, cp);
    }
    if (out) {
        b[n] = 0;
        *out = b;
        *len = n;
    }
    return 0;
fail:
    free(b);
    return -1;
}

/* A number's grammar at p->s; its value in *v. */
static int number(struct sc *p, double *v, int *integral)
{
    const char *why = NULL, *q = lede_json_number_end(p->s, p->end, integral, &why);
    if (!q)
        return bad(p, why);
    if (lede_json_number_value(p->s, (size_t)(q - p->s), v))
        return bad(p, "number too long");
    p->s = q;
    return 0;
}

static int literal(struct sc *p, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n))
        return bad(p, "unexpected character");
    p->s += n;
    return 0;
}

enum kind { K_NONE = 0, K_STRING, K_INTEGER, K_REAL, K_OBJECT, K_OTHER };

static int skip(struct sc *p);

static int skip_container(struct sc *p, char open, char close)
{
    if (++p->depth > 64)
        return bad(p, "nesting too deep");
    p->s++;
    ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        p->depth--;
        return 0;
    }
    for (;;) {
        ws(p);
        if (open == '{') {
            if (string(p, NULL, NULL))
                return -1;
            ws(p);
            if (p->s >= p->end || *p->s != ':')
                return bad(p, "expected ':'");
            p->s++;
            ws(p);
        }
        if (skip(p))
            return -1;
        ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            p->depth--;
            return 0;
        }
        return bad(p, open == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int skip(struct sc *p)
{
    if (p->s >= p->end)
        return bad(p, "unexpected end");
    double v;
    int integral;
    switch (*p->s) {
    case '"': return string(p, NULL, NULL);
    case '{': return skip_container(p, '{', '}');
    case '[': return skip_container(p, '[', ']');
    case 't': return literal(p, "true");
    case 'f': return literal(p, "false");
    case 'n': return literal(p, "null");
    default: return number(p, &v, &integral);
    }
}

static int key_is(const char *k, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(k, want, n) == 0;
}

/* A member's "key": at p->s, p->s then at its value; *k the caller's to free. */
static int member_key(struct sc *p, char **k, size_t *kl)
{
    if (string(p, k, kl))
        return -1;
    ws(p);
    if (p->s >= p->end || *p->s != ':') {
        free(*k);
        return bad(p, "expected ':'");
    }
    p->s++;
    ws(p);
    return 0;
}

/* The options object: budgets by name. */
static int options(struct sc *p, struct lede_jsonl_rec *r, int *status)
{
    static const struct {
        const char *name;
        enum lede_budget_kind kind;
    } kinds[] = {{"sentences", LEDE_BUDGET_SENTENCES},
                 {"words", LEDE_BUDGET_WORDS},
                 {"chars", LEDE_BUDGET_CHARS},
                 {"ratio", LEDE_BUDGET_RATIO}};
    int given[4] = {0};
    double val[4] = {0};
    p->s++;
    ws(p);
    if (p->s < p->end && *p->s == '}') {
        p->s++;
        return 0;
    }
    for (;;) {
        ws(p);
        char *k;
        size_t kl;
        if (member_key(p, &k, &kl))
            return -1;
        int which = -1;
        for (int i = 0; i < 4; i++)
            if (key_is(k, kl, kinds[i].name))
                which = i;
        free(k);
        if (which >= 0) {
            int integral;
            if (p->s < p->end && (*p->s == '-' || (*p->s >= '0' && *p->s <= '9'))) {
                if (number(p, &val[which], &integral))
                    return -1;
                given[which] = 1;
            } else {
                if (skip(p))
                    return -1;
                if (!*status) {
                    snprintf(p->msg, p->msg_len, "options.%s must be a number", kinds[which].name);
                    *status = 3;
                }
            }
        } else if (skip(p)) {
            return -1;
        }
        ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == '}') {
            p->s++;
            break;
        }
        return bad(p, "expected ',' or '}'");
    }
    int n = 0;
    for (int i = 0; i < 4; i++)
        if (given[i]) {
            r->budget = (struct lede_budget){kinds[i].kind, val[i]};
            r->has_budget = 1;
            n++;
        }
    if (n > 1 && !*status) {
        snprintf(p->msg, p->msg_len, "options: give one of sentences, words, chars, ratio");
        *status = 3;
    }
    return 0;
}

/* The line does not start with '{': a message saying whether it is another JSON value. */
static int not_object(struct sc *p)
{
    if (p->s < p->end && (*p->s == '[' || *p->s == '"' || *p->s == '-' || *p->s == 't' ||
                          *p->s == 'f' || *p->s == 'n' || (*p->s >= '0' && *p->s <= '9'))) {
        const char *save = p->s;
        if (skip(p) == 0) {
            ws(p);
            if (p->s == p->end) {
                snprintf(p->msg, p->msg_len, "a line must be a JSON object");
                return 3;
            }
        }
        p->s = save;
        p->msg[0] = 0;
    }
    bad(p, "'[' or '{' expected");
    return 3;
}

/* A numeric "id" at p->s: an integer is kept as jansson would print it, any other number
 * drops the id. */
static int numeric_id(struct sc *p, struct lede_jsonl_rec *r)
{
    double v;
    int integral;
    const char *t = p->s;
    if (number(p, &v, &integral))
        return -1;
    free(r->id);
    r->id = NULL;
    if (integral) {
        char b[32], num[64];
        size_t nl = (size_t)(p->s - t) < sizeof num - 1 ? (size_t)(p->s - t) : sizeof num - 1;
        memcpy(num, t, nl); /* the line is not NUL-terminated */
        num[nl] = 0;
        snprintf(b, sizeof b, "%lld", strtoll(num, NULL, 10));
        r->id = strdup(b);
    }
    return 0;
}

/* What the record's members said about "article" and "options". */
struct members {
    int status, article_kind, options_bad;
};

/* One "key": value member at p->s into r. Nonzero: bad() said why (or p->nomem). */
static int member(struct sc *p, struct lede_jsonl_rec *r, struct members *m)
{
    char *k;
    size_t kl;
    if (member_key(p, &k, &kl))
        return -1;
    int is_id = key_is(k, kl, "id"), is_article = key_is(k, kl, "article");
    int is_title = key_is(k, kl, "title"), is_lang = key_is(k, kl, "language");
    int is_opt = key_is(k, kl, "options"), is_fmt = key_is(k, kl, "format");
    free(k);
    char c = p->s < p->end ? *p->s : 0;
    if (is_fmt && c != '"')
        r->format_bad = 1; /* checked by the caller, with the names it knows */
    if ((is_id || is_article || is_title || is_lang || is_fmt) && c == '"') {
        char *v;
        size_t vl;
        if (string(p, &v, &vl))
            return -1;
        char **dst = is_id        ? &r->id
                     : is_article ? &r->article
                     : is_title   ? &r->title
                     : is_fmt     ? &r->format
                                  : &r->language;
        free(*dst);
        *dst = v;
        if (is_article) {
            r->article_len = vl;
            m->article_kind = K_STRING;
        } else if (is_title) {
            r->title_len = vl;
        }
        return 0;
    }
    if (is_id && (c == '-' || (c >= '0' && c <= '9')))
        return numeric_id(p, r);
    if (is_opt && c == '{') {
        m->options_bad = 0;
        return options(p, r, &m->status);
    }
    if (is_article)
        m->article_kind = K_OTHER;
    if (is_opt)
        m->options_bad = c != 'n'; /* null is fine */
    if (is_id) {
        free(r->id);
        r->id = NULL;
    }
    return skip(p);
}

int lede_jsonl_read(const char *s, size_t n, struct lede_jsonl_rec *r, char *msg, size_t msg_len)
{
    memset(r, 0, sizeof *r);
    msg[0] = 0;
    struct sc p = {.s = s, .end = s + n, .start = s, .msg = msg, .msg_len = msg_len};
    struct members m = {.status = 0, .article_kind = K_NONE, .options_bad = 0};
    ws(&p);
    if (p.s >= p.end || *p.s != '{')
        return not_object(&p);
    p.s++;
    ws(&p);
    if (p.s < p.end && *p.s == '}') {
        p.s++;
    } else {
        for (;;) {
            ws(&p);
            if (member(&p, r, &m))
                goto fail;
            ws(&p);
            if (p.s < p.end && *p.s == ',') {
                p.s++;
                continue;
            }
            if (p.s < p.end && *p.s == '}') {
                p.s++;
                break;
            }
            bad(&p, "expected ',' or '}'");
            goto fail;
        }
    }
    ws(&p);
    if (p.s != p.end) {
        bad(&p, "end of file expected");
        goto fail;
    }
    if (m.article_kind != K_STRING) {
        snprintf(msg, msg_len, "\"article\" must be a string");
        return 3;
    }
    if (m.options_bad) {
        snprintf(msg, msg_len, "\"options\" must be an object");
        return 3;
    }
    return m.status;
fail:
    if (p.nomem) {
        snprintf(msg, msg_len, "out of memory");
        return 8;
    }
    return 3;
}

void lede_jsonl_rec_release(struct lede_jsonl_rec *r)
{
    free(r->id);
    free(r->title);
    free(r->article);
    free(r->language);
    free(r->format);
    memset(r, 0, sizeof *r);
}
