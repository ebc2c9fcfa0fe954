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
    size_t len;     /* strlen(pat) */
    size_t max_len; /* 0: any */
};

#define ROW(pat, max_len)                                                                          \
    {                                                                                              \
        pat, sizeof(pat) - 1, max_len                                                              \
    }

/* The table, in three parts by where the pattern must occur. Add a row and a case under
 * tests/data/editor/ together. */

/* The sentence starts with it (after spaces, "[", "-" or "*"), or is it (bar closing
 * punctuation): one array per first byte, found through by_first (a new first byte needs its
 * line there too). */
static const struct row start_paren[] = {ROW("(c) 1", 0), ROW("(c) 2", 0)};
static const struct row start_a[] = {
    ROW("additional reporting by", 300),
    ROW("advertisement", 16), /* the whole sentence, bar punctuation */
    ROW("an earlier version of this", 0),
};
/* "Read also" lines of other languages' sites (a link to another story, never a summary's
 * sentence): id, fr, de, es, it, pt, nl, ca, ro, sv, da, no, fi, ru, el. */
static const struct row start_b[] = {ROW("baca juga", 0), ROW("baca selengkapnya", 0)};
static const struct row start_c[] = {
    ROW("click here", 0),          ROW("contributing:", 0), ROW("copyright", 0),
    ROW("correction appended", 0), ROW("correction:", 0),   ROW("cite\xc8\x99te \xc8\x99i", 0),
    ROW("citeste si", 0),
};
static const struct row start_e[] = {ROW("editing by", 300)};
static const struct row start_f[] = {ROW("follow us on", 0)};
static const struct row start_i[] = {ROW("image caption", 0), ROW("image copyright", 0),
                                     ROW("image:", 0)};
static const struct row start_l[] = {
    ROW("lire aussi", 0),
    ROW("lire \xc3\xa9galement", 0),
    ROW("lesen sie auch", 0),
    ROW("lea tambi\xc3\xa9n", 0),
    ROW("lee tambi\xc3\xa9n", 0),
    ROW("leggi anche", 0),
    ROW("leia tamb\xc3\xa9m", 0),
    ROW("leia mais", 0),
    ROW("lees ook", 0),
    ROW("llegiu tamb\xc3\xa9", 0),
    ROW("llegeix tamb\xc3\xa9", 0),
    ROW("l\xc3\xa4s ocks\xc3\xa5", 0),
    ROW("l\xc3\xa6s ogs\xc3\xa5", 0),
    ROW("les ogs\xc3\xa5", 0),
    ROW("lue my\xc3\xb6s", 0),
    ROW("lihat juga", 0),
};
static const struct row start_m[] = {ROW("mehr zum thema", 0)};
static const struct row start_p[] = {ROW("photo:", 0), ROW("photograph:", 0), ROW("photos:", 0)};
static const struct row start_r[] = {ROW("read more:", 0), ROW("reporting by", 300)};
static const struct row start_s[] = {ROW("sign up for", 0), ROW("simak juga", 0),
                                     ROW("saiba mais", 0),
                                     ROW("sebelumnya berjudul", 0)}; /* id: "previously titled" */
static const struct row start_t[] = {
    ROW("this article has been corrected", 0),
    ROW("this article was amended", 0),
    ROW("this story has been corrected", 0),
};
static const struct row start_v[] = {ROW("voir aussi", 0), ROW("veja tamb\xc3\xa9m", 0),
                                     ROW("ver tambi\xc3\xa9n", 0)};
static const struct row start_w[] = {ROW("writing by", 300)};
static const struct row start_copy[] = {ROW("\xc2\xa9", 0)};
/* lower() folds ASCII only: the capital of a first letter outside it is a row of its own */
static const struct row start_c3[] = {ROW("\xc3\xa0 lire aussi", 0), ROW("\xc3\x80 lire aussi", 0)};
static const struct row start_ru[] = {
    ROW("\xd1\x87\xd0\xb8\xd1\x82\xd0\xb0\xd0\xb9\xd1\x82\xd0\xb5 "
        "\xd1\x82\xd0\xb0\xd0\xba\xd0\xb6\xd0\xb5",
        0),
    ROW("\xd0\xa7\xd0\xb8\xd1\x82\xd0\xb0\xd0\xb9\xd1\x82\xd0\xb5 "
        "\xd1\x82\xd0\xb0\xd0\xba\xd0\xb6\xd0\xb5",
        0)};
static const struct row start_el[] = {
    ROW("\xce\xb4\xce\xb9\xce\xb1\xce\xb2\xce\xac\xcf\x83\xcf\x84\xce\xb5 "
        "\xce\xb5\xcf\x80\xce\xaf\xcf\x83\xce\xb7\xcf\x82",
        0),
    ROW("\xce\x94\xce\xb9\xce\xb1\xce\xb2\xce\xac\xcf\x83\xcf\x84\xce\xb5 "
        "\xce\xb5\xcf\x80\xce\xaf\xcf\x83\xce\xb7\xcf\x82",
        0),
};

struct group {
    const struct row *v;
    unsigned char n;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define GROUP(a)                                                                                   \
    {                                                                                              \
        a, COUNT(a)                                                                                \
    }

/* The rows that start with each (lowercase) byte; most bytes have none. */
static const struct group by_first[256] = {
    ['('] = GROUP(start_paren), ['a'] = GROUP(start_a),   ['b'] = GROUP(start_b),
    ['c'] = GROUP(start_c),     ['e'] = GROUP(start_e),   ['f'] = GROUP(start_f),
    ['i'] = GROUP(start_i),     ['l'] = GROUP(start_l),   ['m'] = GROUP(start_m),
    ['p'] = GROUP(start_p),     ['r'] = GROUP(start_r),   ['s'] = GROUP(start_s),
    ['t'] = GROUP(start_t),     ['v'] = GROUP(start_v),   ['w'] = GROUP(start_w),
    [0xc2] = GROUP(start_copy), [0xc3] = GROUP(start_c3), [0xd0] = GROUP(start_ru),
    [0xd1] = GROUP(start_ru),   [0xce] = GROUP(start_el),
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

/* Bytes trimmed off the sentence's start (LEAD) before at_start is matched, and off its end
 * (TAIL) before at_end is: a table, as every sentence ends with one or two of them. */
enum { LEAD = 1, TAIL = 2 };
static const unsigned char edge[256] = {
    [' '] = LEAD | TAIL, ['\t'] = LEAD | TAIL, ['['] = LEAD | TAIL, ['-'] = LEAD | TAIL,
    ['*'] = LEAD | TAIL, ['('] = TAIL,         ['.'] = TAIL,        ['!'] = TAIL,
    [')'] = TAIL,        [']'] = TAIL,         [':'] = TAIL,
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
    while (a < b && (edge[(unsigned char)t[a]] & LEAD))
        a++;
    while (b > a && (edge[(unsigned char)t[b - 1]] & TAIL))
        b--;
    if (a == b)
        return NULL;
    /* Rows that start the sentence: those whose first byte is the sentence's. */
    const struct group *g = &by_first[lower((unsigned char)t[a])];
    for (size_t r = 0; r < g->n; r++) {
        const struct row *w = &g->v[r];
        if ((!w->max_len || n <= w->max_len) && head4(t, n, a, w) &&
            prefix_at(t, n, a, w->pat, w->len))
            return w->pat;
    }
    unsigned char z = lower((unsigned char)t[b - 1]);
    for (size_t r = 0; r < COUNT(at_end); r++) {
        size_t k = at_end[r].len;
        if (z == (unsigned char)at_end[r].pat[k - 1] && b - a >= k &&
            prefix_at(t, n, b - k, at_end[r].pat, k))
            return at_end[r].pat;
    }
    for (const char *q = t, *e = t + n; q < e && (q = memchr(q, '(', (size_t)(e - q))); q++)
        for (size_t r = 0; r < COUNT(anywhere); r++)
            if (prefix_at(t, n, (size_t)(q - t), anywhere[r].pat, anywhere[r].len))
                return anywhere[r].pat;
    return NULL;
}
