/* boiler.c: the boilerplate table (see boiler.h). Each row is a case-insensitive ASCII pattern
 * and where it must occur; a few rows also need a second pattern or a short sentence. Matching
 * is a scan of the sentence per row whose first letter fits, so the table stays cheap. */
#define _GNU_SOURCE /* memmem */
#include "boiler.h"

#include <string.h>

enum where {
    AT_START, /* the sentence starts with it (after spaces, an opening bracket or a dash) */
    ANYWHERE, /* it occurs anywhere */
    WHOLE,    /* it is the whole sentence, bar punctuation and spaces */
};

struct row {
    const char *pat; /* lowercase */
    enum where where;
    const char *also; /* NULL, or a second pattern that must occur anywhere */
    size_t max_len;   /* 0, or the longest sentence (bytes) the row applies to */
};

/* The table. Add a row and a case under tests/data/editor/ together. */
static const struct row rows[] = {
    {"advertisement", WHOLE, NULL, 0},
    {"(ap photo", ANYWHERE, NULL, 0},
    {"(afp photo", ANYWHERE, NULL, 0},
    {"(reuters photo", ANYWHERE, NULL, 0},
    {"(photo:", ANYWHERE, NULL, 0},
    {"photo:", AT_START, NULL, 0},
    {"photograph:", AT_START, NULL, 0},
    {"photos:", AT_START, NULL, 0},
    {"image:", AT_START, NULL, 0},
    {"image copyright", AT_START, NULL, 0},
    {"image caption", AT_START, NULL, 0},
    {"getty images", ANYWHERE, NULL, 300},
    {"follow us on", ANYWHERE, NULL, 300},
    {"sign up for", AT_START, NULL, 0},
    {"click here", AT_START, NULL, 0},
    {"read more:", AT_START, NULL, 0},
    {"correction:", AT_START, NULL, 0},
    {"correction appended", AT_START, NULL, 0},
    {"an earlier version of this", AT_START, NULL, 0},
    {"this article has been corrected", AT_START, NULL, 0},
    {"this story has been corrected", AT_START, NULL, 0},
    {"this article was amended", AT_START, NULL, 0},
    {"copyright", AT_START, NULL, 0},
    {"\xc2\xa9", AT_START, NULL, 0},
    {"(c) 1", AT_START, NULL, 0},
    {"(c) 2", AT_START, NULL, 0},
    {"all rights reserved", ANYWHERE, NULL, 300},
    {"reporting by", AT_START, NULL, 300},
    {"editing by", AT_START, NULL, 300},
    {"writing by", AT_START, NULL, 300},
    {"contributing:", AT_START, NULL, 0},
    {"(additional reporting by", ANYWHERE, NULL, 0},
    {"additional reporting by", AT_START, NULL, 300},
};

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

/* Search for p, jumping between the first letter's occurrences with memchr
 * (once per case), which keeps the common no-match case fast. */
static bool contains_c(const char *t, size_t n, const char *p, size_t k, char c)
{
    const char *e = t + n, *q = t;
    while ((size_t)(e - q) >= k && (q = memchr(q, c, (size_t)(e - q) - k + 1)) != NULL) {
        if (prefix_at(t, n, (size_t)(q - t), p, k))
            return true;
        q++;
    }
    return false;
}

/* Case-insensitive search for p (k bytes). A pattern that opens with a letter is found by a
 * search (memmem) for its next three letters, which are lowercase in every usual casing
 * ("Getty", "getty"), and then checked whole. */
static bool contains(const char *t, size_t n, const char *p, size_t k)
{
    if (!(p[0] >= 'a' && p[0] <= 'z') || k < 4)
        return contains_c(t, n, p, k, p[0]);
    const char *q = t + 1, *e = t + n;
    while (q < e && (q = memmem(q, (size_t)(e - q), p + 1, 3)) != NULL) {
        if (prefix_at(t, n, (size_t)(q - 1 - t), p, k))
            return true;
        q++;
    }
    return false;
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
    unsigned char c0 = lower((unsigned char)t[a]);
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        const struct row *w = &rows[r];
        if (w->where != ANYWHERE && (unsigned char)w->pat[0] != c0)
            continue; /* the first letter rules out most rows at once */
        if (w->max_len && n > w->max_len)
            continue;
        size_t k = strlen(w->pat);
        bool hit = false;
        switch (w->where) {
        case AT_START: hit = prefix_at(t, n, a, w->pat, k); break;
        case WHOLE: hit = b - a == k && prefix_at(t, n, a, w->pat, k); break;
        case ANYWHERE: hit = contains(t, n, w->pat, k); break;
        }
        if (hit && (!w->also || contains(t, n, w->also, strlen(w->also))))
            return w->pat;
    }
    return NULL;
}
