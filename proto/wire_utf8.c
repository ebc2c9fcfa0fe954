/* wire_utf8.c: strict UTF-8 checks and cleaning for wire strings (see wire_utf8.h). */
#include "wire_utf8.h"

#include <stdint.h>
#include <string.h>

/* The length of the valid sequence at p[0..n) (1..4), or 0 when it is not one. */
static size_t seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t k;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        k = 1, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        k = 2, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 3, min = 0x10000;
    else
        return 0;
    if (n < k + 1)
        return 0;
    unsigned cp = c & (0x3fu >> k);
    for (size_t i = 1; i <= k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return k + 1;
}

int lede_wire_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t k = seq_len(p + i, len - i);
        if (!k)
            return 0;
        i += k;
    }
    return 1;
}

size_t lede_wire_utf8_clean(char *dst, size_t dst_size, const char *s, size_t len)
{
    static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
    if (dst_size == 0)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t k = seq_len(p + i, len - i);
        const char *src = (const char *)p + i;
        size_t out = k;
        if (k == 0) {
            src = repl;
            out = 3;
            k = 1;
        } else if (k == 1 && p[i] == 0) {
            i++;
            continue;
        }
        if (o + out > dst_size - 1)
            break;
        memcpy(dst + o, src, out);
        o += out;
        i += k;
    }
    dst[o] = '\0';
    return o;
}
