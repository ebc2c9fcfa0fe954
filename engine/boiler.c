/* boiler.c: the boilerplate table (see boiler.h). Each row is a case-insensitive ASCII pattern;
 * where it must occur picks its part of the table. Matching looks only at the rows that share
 * the sentence's first byte, its end, and its "(" (found with memchr), and tests a row's first
 * four bytes at once before its byte loop, so it stays cheap. */
#include "boiler.h"

#include <stdint.h>
#include <string.h>

/* A row: a lowercase ASCII pattern, and the longest sentence (bytes) it applies to (0: any). */
struct row {
    const char *pat;
    size_t len;       /* strlen(pat) */
    size_t max_len;   /* 0: any */
    unsigned char c0; /* pat[0], beside the row: the binary search reads no pattern */
};

#define ROW(pat, max_len)                                                                          \
    {                                                                                              \
        pat, sizeof(pat) - 1, max_len, (unsigned char)(pat)[0]                                     \
    }

/* The table, in three parts by where the pattern must occur. Add a row and a case under
 * tests/data/editor/ together. */

/* The sentence starts with it (after spaces, "[", "-" or "*"), or is it (bar closing
 * punctuation): sorted by the pattern's first byte, for a binary search on that byte. */
static const struct row at_start[] = {
    ROW("(c) 1", 0),
    ROW("(c) 2", 0),
    ROW("additional reporting by", 300),
    ROW("advertisement", 16), /* the whole sentence, bar punctuation */
    ROW("an earlier version of this", 0),
    ROW("click here", 0),
    ROW("contributing:", 0),
    ROW("copyright", 0),
    ROW("correction appended", 0),
    ROW("correction:", 0),
    ROW("editing by", 300),
    ROW("follow us on", 0),
    ROW("image caption", 0),
    ROW("image copyright", 0),
    ROW("image:", 0),
    ROW("photo:", 0),
    ROW("photograph:", 0),
    ROW("photos:", 0),
    ROW("read more:", 0),
    ROW("reporting by", 300),
    ROW("sign up for", 0),
    ROW("this article has been corrected", 0),
    ROW("this article was amended", 0),
    ROW("this story has been corrected", 0),
    ROW("writing by", 300),
    ROW("\xc2\xa9", 0),
};

/* The sentence ends with it (before closing punctuation and spaces): "... /Getty Images". */
static const struct row at_end[] = {
    ROW("getty images", 0),
    ROW("all rights reserved", 0),
};

/* Anywhere in the sentence; each opens with "(", found with memchr. */
static const struct row anywhere[] = {
    ROW("(ap photo", 0), ROW("(afp photo", 0),    ROW("(reuters photo", 0),
    ROW("(photo:", 0),   ROW("(getty images", 0), ROW("(additional reporting by", 0),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static bool prefix_at(const char *t, size_t n, size_t i, const char *p, size_t k)
{
    if (n - i < k)
        return false;
    for (size_t j = 0; j < k; j++)
        if (lower((unsigned char)t[i + j]) != (unsigned char)p[j])
            return false;
    return true;
}

/* Bytes trimmed off the sentence's end before at_end is matched; a table, as every sentence
 * ends with one or two of them. */
static const bool edge[256] = {
    [' '] = true, ['\t'] = true, ['('] = true, ['['] = true, ['-'] = true, ['*'] = true,
    ['.'] = true, ['!'] = true,  [')'] = true, [']'] = true, [':'] = true,
};

/* The first four bytes of t[i..) and of the row's pattern agree, bar case: a cheap test that
 * lets a row that cannot match go without the byte loop. The pattern is lower case, so a
 * byte that lower() makes equal to it is equal to it once both have 0x20 set; OR 0x20 folds
 * more than A-Z, so a pass is confirmed by prefix_at. */
static bool head4(const char *t, size_t n, size_t i, const struct row *w)
{
    if (w->len < 4 || n - i < 4)
        return true;
    uint32_t a, b;
    memcpy(&a, t + i, 4);
    memcpy(&b, w->pat, 4);
    return (a | 0x20202020u) == (b | 0x20202020u);
}

const char *lede_boiler_match(const char *t, size_t n)
{
    size_t a = 0, b = n;
    while (a < b && (t[a] == ' ' || t[a] == '\t' || t[a] == '[' || t[a] == '-' || t[a] == '*'))
        a++;
    while (b > a && edge[(unsigned char)t[b - 1]])
        b--;
    if (a == b)
        return NULL;
    /* Rows that start the sentence: those whose first byte is the sentence's. */
    unsigned char c0 = lower((unsigned char)t[a]);
    size_t lo = 0, hi = COUNT(at_start);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (at_start[mid].c0 < c0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t r = lo; r < COUNT(at_start) && at_start[r].c0 == c0; r++) {
        const struct row *w = &at_start[r];
        if ((!w->max_len || n <= w->max_len) && head4(t, n, a, w) &&
            prefix_at(t, n, a, w->pat, w->len))
            return w->pat;
    }
    for (size_t r = 0; r < COUNT(at_end); r++) {
        size_t k = at_end[r].len;
        if (b - a >= k && lower((unsigned char)t[b - 1]) == (unsigned char)at_end[r].pat[k - 1] &&
            prefix_at(t, n, b - k, at_end[r].pat, k))
            return at_end[r].pat;
    }
    for (const char *q = t, *e = t + n; q < e && (q = memchr(q, '(', (size_t)(e - q))); q++)
        for (size_t r = 0; r < COUNT(anywhere); r++)
            if (prefix_at(t, n, (size_t)(q - t), anywhere[r].pat, anywhere[r].len))
                return anywhere[r].pat;
    return NULL;
}
