/* boiler.c: the boilerplate table (see boiler.h). Each row is a case-insensitive ASCII pattern;
 * where it must occur picks its part of the table. Matching looks only at the rows that share
 * the sentence's first byte, its end, and its "(" (found with memchr), so it stays cheap. */
#include "boiler.h"

#include <string.h>

/* A row: a lowercase ASCII pattern, and the longest sentence (bytes) it applies to (0: any). */
struct row {
    const char *pat;
    size_t max_len;
};

/* The table, in three parts by where the pattern must occur. Add a row and a case under
 * tests/data/editor/ together. */

/* The sentence starts with it (after spaces, "[", "-" or "*"), or is it (bar closing
 * punctuation): sorted by the pattern's first byte, for a binary search on that byte. */
static const struct row at_start[] = {
    {"(c) 1", 0},
    {"(c) 2", 0},
    {"additional reporting by", 300},
    {"advertisement", 16}, /* the whole sentence, bar punctuation */
    {"an earlier version of this", 0},
    {"click here", 0},
    {"contributing:", 0},
    {"copyright", 0},
    {"correction appended", 0},
    {"correction:", 0},
    {"editing by", 300},
    {"follow us on", 0},
    {"image caption", 0},
    {"image copyright", 0},
    {"image:", 0},
    {"photo:", 0},
    {"photograph:", 0},
    {"photos:", 0},
    {"read more:", 0},
    {"reporting by", 300},
    {"sign up for", 0},
    {"this article has been corrected", 0},
    {"this article was amended", 0},
    {"this story has been corrected", 0},
    {"writing by", 300},
    {"\xc2\xa9", 0},
};

/* The sentence ends with it (before closing punctuation and spaces): "... /Getty Images". */
static const struct row at_end[] = {
    {"getty images", 0},
    {"all rights reserved", 0},
};

/* Anywhere in the sentence; each opens with "(", found with memchr. */
static const struct row anywhere[] = {
    {"(ap photo", 0}, {"(afp photo", 0},    {"(reuters photo", 0},
    {"(photo:", 0},   {"(getty images", 0}, {"(additional reporting by", 0},
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

static bool is_edge(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '(' || c == '[' || c == '-' || c == '*' || c == '.' ||
           c == '!' || c == ')' || c == ']' || c == ':';
}

const char *lede_boiler_match(const char *t, size_t n)
{
    size_t a = 0, b = n;
    while (a < b && (t[a] == ' ' || t[a] == '\t' || t[a] == '[' || t[a] == '-' || t[a] == '*'))
        a++;
    while (b > a && is_edge((unsigned char)t[b - 1]))
        b--;
    if (a == b)
        return NULL;
    /* Rows that start the sentence: those whose first byte is the sentence's. */
    unsigned char c0 = lower((unsigned char)t[a]);
    size_t lo = 0, hi = COUNT(at_start);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((unsigned char)at_start[mid].pat[0] < c0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t r = lo; r < COUNT(at_start) && (unsigned char)at_start[r].pat[0] == c0; r++) {
        const struct row *w = &at_start[r];
        if (!w->max_len || n <= w->max_len) {
            size_t k = strlen(w->pat);
            if (prefix_at(t, n, a, w->pat, k))
                return w->pat;
        }
    }
    for (size_t r = 0; r < COUNT(at_end); r++) {
        size_t k = strlen(at_end[r].pat);
        if (b - a >= k && prefix_at(t, n, b - k, at_end[r].pat, k))
            return at_end[r].pat;
    }
    for (const char *q = t, *e = t + n; q < e && (q = memchr(q, '(', (size_t)(e - q))); q++)
        for (size_t r = 0; r < COUNT(anywhere); r++)
            if (prefix_at(t, n, (size_t)(q - t), anywhere[r].pat, strlen(anywhere[r].pat)))
                return anywhere[r].pat;
    return NULL;
}
