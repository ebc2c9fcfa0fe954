/* utf8.c: bounded, character-safe copies of strings that leave a process (see utf8.h). Used by
 * the engine's error messages and by the worker for every string field of its replies. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t lede_utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0; /* no overlongs */
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (need >= n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k <= need; k++)
        if (p[k] < 0x80 || p[k] > 0xBF)
            return 0;
    return need + 1;
}

size_t lede_utf8_sanitize(char *dst, size_t dst_size, const char *src, size_t len)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t i = 0, o = 0;
    if (!dst_size)
        return 0;
    while (src && i < len && p[i]) {
        size_t k = lede_utf8_seq_len(p + i, len - i);
        const char *from = k ? src + i : LEDE_UTF8_REPLACEMENT;
        size_t m = k ? k : 3;
        if (o + m >= dst_size)
            break;
        memcpy(dst + o, from, m);
        o += m;
        i += k ? k : 1;
    }
    dst[o] = 0;
    return o;
}

size_t lede_utf8_sanitized_size(const char *src, size_t len)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t i = 0, o = 0;
    while (src && i < len && p[i]) {
        size_t k = lede_utf8_seq_len(p + i, len - i);
        o += k ? k : 3;
        i += k ? k : 1;
    }
    return o + 1;
}

bool lede_utf8_is_clean(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t k = p[i] ? lede_utf8_seq_len(p + i, len - i) : 0;
        if (!k)
            return false;
        i += k;
    }
    return true;
}

bool lede_utf8_valid(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* Fast path: eight ASCII bytes at a time, and straight to the first high byte. */
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            uint64_t h = w & 0x8080808080808080ull;
            if (!h) {
                i += 8;
                continue;
            }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            i += (size_t)(__builtin_ctzll(h) >> 3); /* the ASCII bytes before it are valid */
#endif
        }
        /* Two-byte sequences (Latin-1, Greek, Cyrillic, Arabic ...) here, without a call. */
        if (i + 1 < n && p[i] >= 0xC2 && p[i] <= 0xDF && (p[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        size_t k = lede_utf8_seq_len(p + i, n - i);
        if (!k)
            goto fail;
        i += k;
    }
    return true;
fail:
    if (bad)
        *bad = i;
    return false;
}

void lede_utf8_put(char *b, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        b[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        b[(*n)++] = (char)(0xc0 | cp >> 6);
        b[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        b[(*n)++] = (char)(0xe0 | cp >> 12);
        b[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        b[(*n)++] = (char)(0xf0 | cp >> 18);
        b[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3f));
        b[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
        b[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}
