/* boiler.c: the boilerplate table (see boiler.h). Each row is a case-insensitive ASCII pattern
 * and where it must occur; a few rows apply only to short sentences. Matching
 * is a scan of the sentence per row whose first letter fits, so the table stays cheap. */
#include "boiler.h"

#include <string.h>

enum where {
    AT_START, /* the sentence starts with it (after spaces, an opening bracket or a dash) */
    ANYWHERE, /* it occurs anywhere */
    WHOLE,    /* it is the whole sentence, bar punctuation and spaces */
    AT_END,   /* the sentence ends with it (before closing punctuation and spaces) */
};

struct row {
    const char *pat; /* lowercase */
    enum where where;
    size_t max_len; /* 0, or the longest sentence (bytes) the row applies to */
};

/* The table. Add a row and a case under tests/data/editor/ together. ANYWHERE rows open with
 * a rare byte ("(", "/"), found with memchr, so that matching stays cheap. */
static const struct row rows[] = {
    {"advertisement", WHOLE, 0},
    {"(ap photo", ANYWHERE, 0},
    {"(afp photo", ANYWHERE, 0},
    {"(reuters photo", ANYWHERE, 0},
    {"(photo:", ANYWHERE, 0},
    {"photo:", AT_START, 0},
    {"photograph:", AT_START, 0},
    {"photos:", AT_START, 0},
    {"image:", AT_START, 0},
    {"image copyright", AT_START, 0},
    {"image caption", AT_START, 0},
    {"getty images", AT_END, 0},
    {"(getty images", ANYWHERE, 0},
    {"/getty images", ANYWHERE, 0},
    {"follow us on", AT_START, 0},
    {"sign up for", AT_START, 0},
    {"click here", AT_START, 0},
    {"read more:", AT_START, 0},
    {"correction:", AT_START, 0},
    {"correction appended", AT_START, 0},
    {"an earlier version of this", AT_START, 0},
    {"this article has been corrected", AT_START, 0},
    {"this story has been corrected", AT_START, 0},
    {"this article was amended", AT_START, 0},
    {"copyright", AT_START, 0},
    {"\xc2\xa9", AT_START, 0},
    {"(c) 1", AT_START, 0},
    {"(c) 2", AT_START, 0},
    {"all rights reserved", AT_END, 0},
    {"reporting by", AT_START, 300},
    {"editing by", AT_START, 300},
    {"writing by", AT_START, 300},
    {"contributing:", AT_START, 0},
    {"(additional reporting by", ANYWHERE, 0},
    {"additional reporting by", AT_START, 300},
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
    /* Rows found anywhere open with "(" or "/": one memchr walk per such byte. */
    for (int pass = 0; pass < 2; pass++) {
        char c = pass ? '/' : '(';
        const char *q = t, *e = t + n;
        while (q < e && (q = memchr(q, c, (size_t)(e - q))) != NULL) {
            for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
                if (rows[r].where == ANYWHERE && rows[r].pat[0] == c &&
                    prefix_at(t, n, (size_t)(q - t), rows[r].pat, strlen(rows[r].pat)))
                    return rows[r].pat;
            q++;
        }
    }
    unsigned char c0 = lower((unsigned char)t[a]);
    for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
        const struct row *w = &rows[r];
        if (w->where == ANYWHERE ||
            ((w->where == AT_START || w->where == WHOLE) && (unsigned char)w->pat[0] != c0))
            continue; /* the first letter rules out most rows at once */
        if (w->max_len && n > w->max_len)
            continue;
        size_t k = strlen(w->pat);
        bool hit = false;
        switch (w->where) {
        case AT_START: hit = prefix_at(t, n, a, w->pat, k); break;
        case WHOLE: hit = b - a == k && prefix_at(t, n, a, w->pat, k); break;
        case ANYWHERE: break; /* above */
        case AT_END: hit = b - a >= k && prefix_at(t, n, b - k, w->pat, k); break;
        }
        if (hit)
            return w->pat;
    }
    return NULL;
}
