/* json_scan.h: what lede's JSON readers and writer (gateway/pbjson.c, tools/lede/jsonl_in.c)
 * share: how far a JSON string's plain bytes run (the hot loop, inline), an escape, a number's
 * grammar and value (json_scan.c, in lede_common). Pure. */
#ifndef LEDE_JSON_SCAN_H
#define LEDE_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The first byte at or after s (before end) that is '"', '\\', a control character or not
 * ASCII, sixteen bytes at a time with SSE2 (else eight): article bodies and sentence texts are
 * long runs of plain text. */
static inline const char *lede_json_plain_run(const char *s, const char *end)
{
#ifdef __SSE2__
    /* sixteen at a time: one signed compare finds both the controls and the non-ASCII bytes */
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  space = _mm_set1_epi8(0x20);
    while (end - s >= 16) {
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote), _mm_cmpeq_epi8(w, bslash)),
                         _mm_cmplt_epi8(w, space));
        int mask = _mm_movemask_epi8(hit);
        if (mask)
            return s + __builtin_ctz((unsigned)mask);
        s += 16;
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (end - s >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t special = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
        if (special & highs)
            break;
        s += 8;
    }
    while (s < end) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
            break;
        s++;
    }
    return s;
}

/* The value of hex digit c, or -1 (also for the gateway's token hashes). */
static inline int lede_hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The escape at s (its backslash; end the string's end): its code point in *cp, a surrogate
 * pair joined. Returns the byte after it, or NULL with *why saying what is wrong. */
const char *lede_json_escape(const char *s, const char *end, unsigned *cp, const char **why);

/* The end of the JSON number at s (its grammar checked), *integral 0 when it has a fraction
 * or an exponent. NULL with *why ("unexpected character", "bad number") when it is not one. */
const char *lede_json_number_end(const char *s, const char *end, int *integral, const char **why);

/* The value of the number text s[0..len) (as lede_json_number_end found it). -1: no memory
 * for a very long one. */
int lede_json_number_value(const char *s, size_t len, double *v);

#endif
