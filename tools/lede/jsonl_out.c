/* jsonl_out.c: result lines for --jsonl written directly (see jsonl_out.h). Reals are
 * formatted as jansson formats them with JSON_REAL_PRECISION(10): "%.10g", a ".0" when there
 * is neither '.' nor 'e', and exponents without '+' or leading zeros. */
#include "jsonl_out.h"

#include <inttypes.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "json_scan.h"
#include "json_stream.h"

struct out {
    char *p;
    size_t len, cap;
    int err;
};

static void reserve(struct out *o, size_t n)
{
    if (o->err || o->len + n + 1 <= o->cap)
        return;
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + n + 1)
        cap *= 2;
    char *p = realloc(o->p, cap);
    if (!p) {
        o->err = 1;
        return;
    }
    o->p = p;
    o->cap = cap;
}

static void put(struct out *o, const char *s, size_t n)
{
    reserve(o, n);
    if (o->err)
        return;
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* As jansson's dump escapes: " \ and control characters; UTF-8 passes through. The runs of
 * plain bytes between them found sixteen at a time (json_scan.h). */
static void str(struct out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    reserve(o, n + 2);
    put(o, "\"", 1);
    const char *end = s + n, *run = s, *p = s;
    while ((p = lede_json_plain_run(p, end)) < end) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80) { /* UTF-8, as it is */
            while (p < end && (unsigned char)*p >= 0x80)
                p++;
            continue;
        }
        put(o, run, (size_t)(p - run));
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            el = 6;
        }
        put(o, e, el);
        run = ++p;
    }
    put(o, run, (size_t)(end - run));
    put(o, "\"", 1);
}

static void integer(struct out *o, long long v)
{
    char b[24], *e = b + sizeof b, *q = e; /* digits written backwards, no snprintf */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--q = '-';
    put(o, q, (size_t)(e - q));
}

/* "%.10g" of v for 1e-4 <= |v| < 1e10 (fixed notation) without printf, which was most of the
 * writer's time: the 10 significant digits are a * 10^k rounded, k such that they are 10
 * digits. a * 10^k (10^k exact, k <= 13) is off the true product by at most half a unit in its
 * last place, under 2e-6 below 1e10, so its rounding is printf's (the exact value's) except
 * within that of a half: those, and every other case, return 0 for snprintf. Else the length
 * written to b (at least 24 bytes). */
static int fixed10(char *b, double v)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3,  1e4,  1e5,  1e6,
                                 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13};
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e10))
        return 0;
    int e = 0; /* an estimate of the exponent: 10^e <= a < 10^(e+1), checked below */
    while (e < 9 && a >= p10[e + 1])
        e++;
    while (e <= 0 && e > -4 && a < 1.0 / p10[-e])
        e--;
    uint64_t m = 0;
    for (int tries = 0;; tries++) {
        if (tries == 3 || 9 - e < 0 || 9 - e > 13)
            return 0;
        double x = a * p10[9 - e];
        if (x < 1e9) { /* the estimate was one too high (at the edge both give the same) */
            e--;
            continue;
        }
        if (x >= 1e10) { /* one too low */
            e++;
            continue;
        }
        m = (uint64_t)x;
        double f = x - (double)m; /* exact: x and m are within 1 of each other */
        if (fabs(f - 0.5) < 1e-5)
            return 0; /* too close to a half to round here */
        m += f > 0.5;
        break;
    }
    if (m == 10000000000ull) { /* rounded up to the next power of ten */
        m = 1000000000ull;
        e++;
    }
    if (e > 9)
        return 0; /* "%.10g" is in exponent notation there */
    char d[16];
    for (int i = 9; i >= 0; i--) {
        d[i] = (char)('0' + m % 10);
        m /= 10;
    }
    int n = 0;
    if (v < 0)
        b[n++] = '-';
    if (e >= 0) {
        memcpy(b + n, d, (size_t)e + 1);
        n += e + 1;
    } else {
        b[n++] = '0';
    }
    int last = 9; /* the last nonzero digit of the fraction */
    while (last > e && last >= 0 && d[last] == '0')
        last--;
    if (last > e) {
        b[n++] = '.';
        for (int z = -1; z > e; z--)
            b[n++] = '0'; /* leading zeros of a value under 1 */
        int from = e >= 0 ? e + 1 : 0;
        memcpy(b + n, d + from, (size_t)(last - from + 1));
        n += last - from + 1;
    }
    return n;
}

static void real(struct out *o, double v)
{
    char b[48];
    if (v == 0) { /* the common feature value; "%.10g" of 0 and -0 */
        puts_(o, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    int n = fixed10(b, v);
    if (n) {
        if (!memchr(b, '.', (size_t)n)) { /* as jansson: a real keeps a ".0" */
            memcpy(b + n, ".0", 2);
            n += 2;
        }
        put(o, b, (size_t)n);
        return;
    }
    n = snprintf(b, sizeof b, "%.10g", v);
    if (n < 0 || n >= (int)sizeof b - 3)
        return;
    if (!strchr(b, '.') && !strchr(b, 'e')) {
        memcpy(b + n, ".0", 3);
        n += 2;
    }
    char *start = strchr(b, 'e');
    if (start) { /* as jansson: no '+', no leading zeros in the exponent */
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)n - (size_t)(end - b) + 1);
            n -= (int)(end - start);
        }
    }
    put(o, b, (size_t)n);
}

char *lede_jsonl_result(const char *id, const struct lede_result *res, bool explain)
{
    if (explain) /* every sentence: the streamed writer, which knows every field (json_stream.c) */
        return lede_json_result_string(id, res, LEDE_JSON_FLAGS);
    struct out o = {0};
    puts_(&o, "{\"id\":");
    if (id)
        str(&o, id, strlen(id));
    else
        puts_(&o, "null");
    puts_(&o, ",\"language\":");
    const char *lang = res->lang ? res->lang : "en";
    str(&o, lang, strlen(lang));
    const char *fmt = lede_format_name((int)res->format);
    if (fmt) {
        puts_(&o, ",\"format\":");
        str(&o, fmt, strlen(fmt));
    }
    puts_(&o, ",\"language_detected\":");
    str(&o, res->lang_detected, strlen(res->lang_detected));
    puts_(&o, ",\"language_confidence\":");
    real(&o, res->lang_confidence);
    puts_(&o, ",\"summary\":[");
    for (size_t k = 0; k < res->n_summary; k++) {
        const struct lede_sentence *s = &res->sentences[res->summary[k]];
        if (k)
            put(&o, ",", 1);
        str(&o, res->text + s->text_offset, s->text_length);
    }
    puts_(&o, "],\"keyphrases\":[");
    for (size_t k = 0; k < res->n_keyphrases; k++) {
        const struct lede_keyphrase *x = &res->keyphrases[k];
        puts_(&o, k ? ",{\"text\":" : "{\"text\":");
        str(&o, res->text + x->text_offset, x->text_length);
        puts_(&o, ",\"score\":");
        real(&o, x->score);
        puts_(&o, ",\"count\":");
        integer(&o, (long long)x->count);
        puts_(&o, ",\"words\":");
        integer(&o, (long long)x->words);
        puts_(&o, ",\"offset\":");
        integer(&o, (long long)x->offset);
        put(&o, "}", 1);
    }
    puts_(&o, "],\"entities\":[");
    for (size_t k = 0; k < res->n_entities; k++) {
        const struct lede_entity *x = &res->entities[k];
        const char *kind = lede_entity_kind_name((int)x->kind);
        puts_(&o, k ? ",{\"text\":" : "{\"text\":");
        str(&o, res->text + x->text_offset, x->text_length);
        puts_(&o, ",\"kind\":");
        kind = kind ? kind : "name";
        str(&o, kind, strlen(kind));
        puts_(&o, ",\"count\":");
        integer(&o, (long long)x->count);
        puts_(&o, ",\"offset\":");
        integer(&o, (long long)x->offset);
        put(&o, "}", 1);
    }
    puts_(&o, "]}");
    if (o.err) {
        free(o.p);
        return NULL;
    }
    o.p[o.len] = 0;
    return o.p;
}
