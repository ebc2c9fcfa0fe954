/* json_scan.c: the parts of JSON's grammar that lede's two readers (gateway/pbjson.c, straight
 * into protobuf messages, and tools/lede/jsonl_in.c, the CLI's article records) share. Pure. */
#include "json_scan.h"

#include <stdlib.h>

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = lede_hex_digit(s[i]);
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

static const char *fail(const char **why, const char *what)
{
    *why = what;
    return NULL;
}

const char *lede_json_escape(const char *s, const char *end, unsigned *cp, const char **why)
{
    if (end - s < 2)
        return fail(why, "unterminated escape");
    char e = s[1];
    s += 2;
    switch (e) {
    case '"': *cp = '"'; return s;
    case '\\': *cp = '\\'; return s;
    case '/': *cp = '/'; return s;
    case 'b': *cp = '\b'; return s;
    case 'f': *cp = '\f'; return s;
    case 'n': *cp = '\n'; return s;
    case 'r': *cp = '\r'; return s;
    case 't': *cp = '\t'; return s;
    case 'u': break;
    default: return fail(why, "bad escape");
    }
    if (end - s < 4 || hex4(s, cp))
        return fail(why, "bad \\u escape");
    s += 4;
    if (*cp >= 0xd800 && *cp <= 0xdbff) {
        unsigned lo;
        if (end - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, &lo) || lo < 0xdc00 ||
            lo > 0xdfff)
            return fail(why, "unpaired surrogate in a \\u escape");
        s += 6;
        *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
    } else if (*cp >= 0xdc00 && *cp <= 0xdfff) {
        return fail(why, "unpaired surrogate in a \\u escape");
    }
    return s;
}

static const char *digits(const char *q, const char *end)
{
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    return q;
}

const char *lede_json_number_end(const char *s, const char *end, int *integral, const char **why)
{
    const char *q = s;
    *integral = 1;
    if (q < end && *q == '-')
        q++;
    if (q >= end || *q < '0' || *q > '9')
        return fail(why, "unexpected character");
    q = *q == '0' ? q + 1 : digits(q, end);
    if (q < end && *q == '.') {
        *integral = 0;
        if (++q >= end || *q < '0' || *q > '9')
            return fail(why, "bad number");
        q = digits(q, end);
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        *integral = 0;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q >= end || *q < '0' || *q > '9')
            return fail(why, "bad number");
        q = digits(q, end);
    }
    return q;
}

int lede_json_number_value(const char *s, size_t len, double *v)
{
    char small[64], *tmp = small;
    if (len >= sizeof small) { /* JSON numbers have no length limit */
        tmp = malloc(len + 1);
        if (!tmp)
            return -1;
    }
    memcpy(tmp, s, len);
    tmp[len] = 0;
    *v = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    return 0;
}
