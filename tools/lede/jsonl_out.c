/* jsonl_out.c: result lines for --jsonl written directly (see jsonl_out.h). Reals are
 * formatted as jansson formats them with JSON_REAL_PRECISION(10): "%.10g", a ".0" when there
 * is neither '.' nor 'e', and exponents without '+' or leading zeros. */
#include "jsonl_out.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
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
    size_t cap = o->cap ? o->cap : 1024;
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

/* As jansson's dump escapes: " \ and control characters; UTF-8 passes through. */
static void str(struct out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    reserve(o, n + 2);
    put(o, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(o, s + run, i - run);
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
        run = i + 1;
    }
    put(o, s + run, n - run);
    put(o, "\"", 1);
}

static void integer(struct out *o, long long v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%lld", v);
    put(o, b, (size_t)n);
}

static void real(struct out *o, double v)
{
    char b[48];
    if (v == 0) { /* the common feature value; "%.10g" of 0 and -0 */
        puts_(o, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    int n = snprintf(b, sizeof b, "%.10g", v);
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
