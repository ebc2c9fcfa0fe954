/* format_json.c: Arc XP ANS stories and IPTC ninjs documents to paragraphs (engine stage 0).
 * A small bounded JSON reader keeps where each string lies in the body, so that the text of a
 * sentence maps back to the raw bytes of the JSON string it came from (escapes included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"

enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
    uint8_t type;
    uint32_t a, b;       /* strings: the raw content between the quotes; else the value */
    uint32_t ka, kb;     /* in an object: the member's key (raw content) */
    int32_t child, next; /* first child, next sibling (-1: none) */
};

struct jparse {
    const char *s;
    size_t n, i;
    struct jnode *v;
    size_t nv, cap, max;
    int rc;
    size_t err_at;
    const char *why;
};

#define JSON_MAX_DEPTH 64

static void skip_ws(struct jparse *p)
{
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int32_t bad(struct jparse *p, const char *why)
{
    if (!p->rc) {
        p->rc = LEDE_EFORMAT;
        p->err_at = p->i;
        p->why = why;
    }
    return -1;
}

static int32_t new_node(struct jparse *p, int type)
{
    if (p->nv >= p->max)
        return bad(p, "too many JSON values");
    if (p->nv == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        struct jnode *v = realloc(p->v, cap * sizeof *v);
        if (!v) {
            p->rc = LEDE_ENOMEM;
            return -1;
        }
        p->v = v;
        p->cap = cap;
    }
    struct jnode *x = &p->v[p->nv];
    memset(x, 0, sizeof *x);
    x->type = (uint8_t)type;
    x->child = x->next = -1;
    x->a = (uint32_t)p->i;
    return (int32_t)p->nv++;
}

/* Scans a string at p->i (at the opening quote); sets [*a, *b) to its raw content. */
static bool scan_string(struct jparse *p, uint32_t *a, uint32_t *b)
{
    p->i++;
    *a = (uint32_t)p->i;
    while (p->i < p->n) {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            *b = (uint32_t)p->i;
            p->i++;
            return true;
        }
        if (c < 0x20) {
            bad(p, "control character in a JSON string");
            return false;
        }
        if (c == '\\') {
            p->i++;
            if (p->i >= p->n)
                break;
            c = (unsigned char)p->s[p->i];
            if (c == 'u') {
                for (int k = 1; k <= 4; k++) {
                    unsigned char h =
                        p->i + (size_t)k < p->n ? (unsigned char)p->s[p->i + (size_t)k] : 0;
                    if (!((h >= '0' && h <= '9') || ((h | 32) >= 'a' && (h | 32) <= 'f'))) {
                        bad(p, "bad \\u escape in a JSON string");
                        return false;
                    }
                }
                p->i += 4;
            } else if (!strchr("\"\\/bfnrt", c)) {
                bad(p, "bad escape in a JSON string");
                return false;
            }
        }
        p->i++;
    }
    bad(p, "unterminated JSON string");
    return false;
}

static int32_t value(struct jparse *p, int depth);

static int32_t container(struct jparse *p, int depth, bool obj)
{
    int32_t id = new_node(p, obj ? J_OBJ : J_ARR);
    if (id < 0)
        return -1;
    p->i++;
    int32_t last = -1;
    skip_ws(p);
    if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
        p->i++;
        p->v[id].b = (uint32_t)p->i;
        return id;
    }
    for (;;) {
        uint32_t ka = 0, kb = 0;
        skip_ws(p);
        if (obj) {
            if (p->i >= p->n || p->s[p->i] != '"')
                return bad(p, "expected a member name in a JSON object");
            if (!scan_string(p, &ka, &kb))
                return -1;
            skip_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return bad(p, "expected ':' in a JSON object");
            p->i++;
        }
        int32_t c = value(p, depth + 1);
        if (c < 0)
            return -1;
        p->v[c].ka = ka;
        p->v[c].kb = kb;
        if (last < 0)
            p->v[id].child = c;
        else
            p->v[last].next = c;
        last = c;
        skip_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
            p->i++;
            p->v[id].b = (uint32_t)p->i;
            return id;
        }
        return bad(p, obj ? "expected ',' or '}' in a JSON object"
                          : "expected ',' or ']' in a JSON array");
    }
}

static bool lit(struct jparse *p, const char *w)
{
    size_t m = strlen(w);
    if (p->n - p->i < m || memcmp(p->s + p->i, w, m))
        return false;
    p->i += m;
    return true;
}

static int32_t value(struct jparse *p, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return bad(p, "JSON nested too deeply");
    skip_ws(p);
    if (p->i >= p->n)
        return bad(p, "unexpected end of JSON");
    char c = p->s[p->i];
    if (c == '{' || c == '[')
        return container(p, depth, c == '{');
    if (c == '"') {
        int32_t id = new_node(p, J_STR);
        if (id < 0)
            return -1;
        uint32_t a, b;
        if (!scan_string(p, &a, &b))
            return -1;
        p->v[id].a = a;
        p->v[id].b = b;
        return id;
    }
    int32_t id;
    if (lit(p, "true") || lit(p, "false"))
        id = new_node(p, J_BOOL);
    else if (lit(p, "null"))
        id = new_node(p, J_NULL);
    else if (c == '-' || (c >= '0' && c <= '9')) {
        id = new_node(p, J_NUM);
        size_t s = p->i;
        while (p->i < p->n && strchr("+-0123456789.eE", p->s[p->i]))
            p->i++;
        if (p->i == s)
            return bad(p, "bad JSON number");
    } else
        return bad(p, "not a JSON value");
    if (id >= 0)
        p->v[id].b = (uint32_t)p->i;
    return id;
}

/* The member of object o named key (a plain name without escapes), or -1. */
static int32_t get(const struct jparse *p, int32_t o, const char *key)
{
    if (o < 0 || p->v[o].type != J_OBJ)
        return -1;
    size_t m = strlen(key);
    for (int32_t c = p->v[o].child; c >= 0; c = p->v[c].next)
        if (p->v[c].kb - p->v[c].ka == m && !memcmp(p->s + p->v[c].ka, key, m))
            return c;
    return -1;
}

static bool str_is(const struct jparse *p, int32_t x, const char *w)
{
    if (x < 0 || p->v[x].type != J_STR)
        return false;
    size_t m = strlen(w);
    return p->v[x].b - p->v[x].a == m && !memcmp(p->s + p->v[x].a, w, m);
}

static bool str_has(const struct jparse *p, int32_t x, const char *w)
{
    if (x < 0 || p->v[x].type != J_STR)
        return false;
    size_t m = strlen(w), len = p->v[x].b - p->v[x].a;
    for (size_t i = 0; i + m <= len; i++)
        if (!memcmp(p->s + p->v[x].a + i, w, m))
            return true;
    return false;
}

static void put_utf8(char *o, size_t *k, uint32_t cp)
{
    if (cp < 0x80)
        o[(*k)++] = (char)cp;
    else if (cp < 0x800) {
        o[(*k)++] = (char)(0xC0 | (cp >> 6));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*k)++] = (char)(0xE0 | (cp >> 12));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*k)++] = (char)(0xF0 | (cp >> 18));
        o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[(*k)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static uint32_t hex4(const char *s)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = (unsigned char)s[k];
        v = v * 16 + (c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
    }
    return v;
}

/* Decodes string node x (already checked by the scanner) into f->sbuf, with the raw range of
 * each decoded byte in f->s_a/s_b. Returns its length or (size_t)-1 on LEDE_ENOMEM. */
static size_t decode(struct lede_fmt *f, const struct jparse *p, int32_t x)
{
    size_t a = p->v[x].a, b = p->v[x].b, need = b - a + 1;
    if (need > f->scap) {
        char *s = realloc(f->sbuf, need);
        if (!s)
            return (size_t)-1;
        f->sbuf = s;
        uint32_t *sa = realloc(f->s_a, need * sizeof *sa);
        if (!sa)
            return (size_t)-1;
        f->s_a = sa;
        uint32_t *sb = realloc(f->s_b, need * sizeof *sb);
        if (!sb)
            return (size_t)-1;
        f->s_b = sb;
        f->scap = need;
    }
    const char *s = p->s;
    size_t k = 0;
    for (size_t i = a; i < b;) {
        size_t k0 = k, start = i;
        if (s[i] != '\\') {
            f->sbuf[k] = s[i];
            f->s_a[k] = (uint32_t)i;
            f->s_b[k] = (uint32_t)(i + 1);
            k++;
            i++;
            continue;
        }
        char e = s[i + 1];
        i += 2;
        uint32_t cp;
        switch (e) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            cp = hex4(s + i);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= b && s[i] == '\\' && s[i + 1] == 'u') {
                uint32_t lo = hex4(s + i + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                }
            }
            if ((cp >= 0xD800 && cp < 0xE000) || cp == 0)
                cp = 0xFFFD; /* a lone surrogate or NUL */
            break;
        default: cp = (unsigned char)e; break;
        }
        put_utf8(f->sbuf, &k, cp);
        for (size_t q = k0; q < k; q++) {
            f->s_a[q] = (uint32_t)start;
            f->s_b[q] = (uint32_t)i;
        }
    }
    return k;
}

/* Appends the string node x as HTML (html true) or plain text, then ends the paragraph. */
static int add_string(struct lede_fmt *f, const struct jparse *p, int32_t x, bool html, char *msg,
                      size_t msglen)
{
    if (x < 0 || p->v[x].type != J_STR)
        return LEDE_OK;
    size_t n = decode(f, p, x);
    if (n == (size_t)-1)
        return LEDE_ENOMEM;
    /* The HTML parser works on its own copy of the input; sbuf is reused only after. */
    int rc = html ? lede_fmt_html(f, f->sbuf, n, f->s_a, f->s_b, msg, msglen)
                  : lede_fmt_plain(f, f->sbuf, n, f->s_a, f->s_b);
    if (rc)
        return rc;
    return lede_fmt_break(f);
}

static int set_title(struct lede_fmt *f, const struct jparse *p, int32_t x)
{
    if (x < 0 || p->v[x].type != J_STR || p->v[x].b == p->v[x].a)
        return LEDE_OK;
    size_t n = decode(f, p, x);
    if (n == (size_t)-1)
        return LEDE_ENOMEM;
    if (n + 1 > f->tcap) {
        char *t = realloc(f->tbuf, n + 1);
        if (!t)
            return LEDE_ENOMEM;
        f->tbuf = t;
        f->tcap = n + 1;
    }
    memcpy(f->tbuf, f->sbuf, n);
    f->tbuf[n] = 0;
    f->title = f->tbuf;
    f->title_len = n;
    return LEDE_OK;
}

/* ANS content elements in order: text elements (inline HTML) and list items; the rest
 * (image, video, gallery, raw_html, interstitial_link, oembed_response, custom_embed, header,
 * table, ...) left out. */
static int ans_elements(struct lede_fmt *f, const struct jparse *p, int32_t arr, int depth,
                        char *msg, size_t msglen)
{
    int rc;
    if (arr < 0 || p->v[arr].type != J_ARR || depth > 8)
        return LEDE_OK;
    for (int32_t e = p->v[arr].child; e >= 0; e = p->v[e].next) {
        int32_t type = get(p, e, "type");
        if (str_is(p, type, "text") || str_is(p, type, "paragraph")) {
            if ((rc = add_string(f, p, get(p, e, "content"), true, msg, msglen)))
                return rc;
        } else if (str_is(p, type, "list")) {
            if ((rc = ans_elements(f, p, get(p, e, "items"), depth + 1, msg, msglen)))
                return rc;
        } else
            f->n_dropped++;
    }
    return LEDE_OK;
}

static int ninjs(struct lede_fmt *f, const struct jparse *p, int32_t root, char *msg, size_t msglen)
{
    int rc;
    /* The headline: headlines[] (2.x, role "main" first) or headline (1.x). */
    int32_t hl = get(p, root, "headlines"), pick = -1;
    if (hl >= 0 && p->v[hl].type == J_ARR)
        for (int32_t h = p->v[hl].child; h >= 0; h = p->v[h].next) {
            int32_t role = get(p, h, "role");
            if (pick < 0 || str_is(p, role, "main"))
                pick = get(p, h, "value");
            if (str_is(p, role, "main"))
                break;
        }
    if (pick < 0)
        pick = get(p, root, "headline");
    if ((rc = set_title(f, p, pick)))
        return rc;
    /* The body: bodies[] (2.x; role "main" or none, HTML preferred), body_html, body_text. */
    int32_t bodies = get(p, root, "bodies"), best = -1;
    bool best_html = false;
    if (bodies >= 0 && p->v[bodies].type == J_ARR)
        for (int32_t b = p->v[bodies].child; b >= 0; b = p->v[b].next) {
            int32_t role = get(p, b, "role"), ct = get(p, b, "contenttype");
            if (ct < 0)
                ct = get(p, b, "content_type");
            if (role >= 0 && !str_is(p, role, "main") && !str_is(p, role, "body"))
                continue;
            bool html = str_has(p, ct, "html");
            int32_t v = get(p, b, "value");
            if (v < 0 || p->v[v].type != J_STR)
                continue;
            if (best < 0 || (html && !best_html)) {
                best = v;
                best_html = html;
            }
        }
    if (best < 0 && (best = get(p, root, "body_html")) >= 0)
        best_html = true;
    if (best < 0 && (best = get(p, root, "body_xhtml")) >= 0)
        best_html = true;
    if (best < 0)
        best = get(p, root, "body_text");
    if (best < 0 || p->v[best].type != J_STR) {
        snprintf(msg, msglen, "ninjs document has no bodies, body_html or body_text");
        return LEDE_EEMPTY;
    }
    return add_string(f, p, best, best_html, msg, msglen);
}

int lede_fmt_json(struct lede_fmt *f, int *format, const char *body, size_t len, char *msg,
                  size_t msglen)
{
    struct jparse p = {.s = body, .n = len, .max = len / 2 + 16};
    int rc = LEDE_OK;
    int32_t root = value(&p, 0);
    if (!p.rc) {
        skip_ws(&p);
        if (p.i < p.n)
            bad(&p, "text after the JSON value");
    }
    if (p.rc) {
        rc = p.rc;
        if (rc == LEDE_EFORMAT)
            snprintf(msg, msglen, "body is not JSON: %s at byte %zu", p.why, p.err_at);
        goto done;
    }
    if (p.v[root].type != J_OBJ) {
        snprintf(msg, msglen, "body is JSON but not an object, so neither ANS nor ninjs");
        rc = LEDE_EFORMAT;
        goto done;
    }
    int32_t ce = get(&p, root, "content_elements");
    bool ans = ce >= 0 || str_is(&p, get(&p, root, "type"), "story");
    bool nj = get(&p, root, "bodies") >= 0 || get(&p, root, "body_html") >= 0 ||
              get(&p, root, "body_text") >= 0 || get(&p, root, "body_xhtml") >= 0 ||
              get(&p, root, "uri") >= 0;
    if (*format == LEDE_FMT_AUTO)
        *format = ans ? LEDE_FMT_ANS : nj ? LEDE_FMT_NINJS : LEDE_FMT_AUTO;
    if (*format == LEDE_FMT_ANS) {
        if (!ans) {
            snprintf(msg, msglen, "body is JSON but not an ANS story (no content_elements)");
            rc = LEDE_EFORMAT;
            goto done;
        }
        if ((rc = set_title(f, &p, get(&p, get(&p, root, "headlines"), "basic"))))
            goto done;
        if ((rc = ans_elements(f, &p, ce, 0, msg, msglen)))
            goto done;
        if (!f->len) {
            snprintf(msg, msglen, "ANS story has no text in its content_elements");
            rc = LEDE_EEMPTY;
        }
    } else if (*format == LEDE_FMT_NINJS) {
        if (!nj) {
            snprintf(msg, msglen,
                     "body is JSON but not a ninjs document (no bodies, "
                     "body_html, body_text or uri)");
            rc = LEDE_EFORMAT;
            goto done;
        }
        if ((rc = ninjs(f, &p, root, msg, msglen)))
            goto done;
        if (!f->len) {
            snprintf(msg, msglen, "ninjs document has no text in its body");
            rc = LEDE_EEMPTY;
        }
    } else {
        snprintf(msg, msglen,
                 "body is JSON but neither an ANS story (content_elements) nor a "
                 "ninjs document (bodies, body_html, body_text); send format text "
                 "to summarize it as text");
        rc = LEDE_EFORMAT;
    }
done:
    free(p.v);
    return rc;
}
