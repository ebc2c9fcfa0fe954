/* text.c: paragraph splitting and boilerplate removal (engine stage 1); UTF-8 validation is
 * common/utf8.c's. Boilerplate is only ever cut from the edges of a paragraph or as a whole
 * paragraph, so every region left is a contiguous slice of the original body. */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dateline.h"
#include "error.h"
#include "lang.h"

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Case-insensitive compare of s[0..n) with an ASCII lowercase word. */
static bool eq_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)w[i])
            return false;
    return true;
}

static inline bool starts_ci_n(const char *s, size_t n, const char *w, size_t k)
{
    if (n < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)w[i])
            return false;
    return true;
}

static bool starts_with_ci(const char *s, size_t n, const char *w)
{
    return starts_ci_n(s, n, w, strlen(w));
}

/* News agencies whose tags open datelines and close wire stories. */
static const char *const agencies[] = {
    "yonhap",
    "ap",
    "reuters",
    "afp",
    "cnn",
    "upi",
    "xinhua",
    "kyodo",
    "dpa",
    "ani",
    "pti",
    "ians",
    "efe",
    "ansa",
    "tass",
    "itar-tass",
    "ria novosti",
    "bloomberg",
    "bbc",
    "cnsnews",
    "nyt",
    "mcclatchy",
    "kcna",
    "aap",
    "cp",
    "ap photo",
    "the associated press",
    "ep",
    "cnn student news",
    "ew.com",
    "cnnmoney",
    "mashable",
    "wired",
    "time.com",
    "people.com",
    NULL,
};

/* If s[i] starts "(agency)" (spaces inside allowed, as in lowercased "( cnn )"), returns the
 * offset just past ')', else 0. */
static size_t agency_tag(const char *s, size_t n, size_t i)
{
    if (i >= n || s[i] != '(')
        return 0;
    size_t j = i + 1;
    size_t lim = i + 40 < n ? i + 40 : n;
    while (j < lim && s[j] != ')' && s[j] != '(')
        j++;
    if (j >= lim || s[j] != ')')
        return 0;
    size_t a = i + 1, b = j;
    while (a < b && is_space((unsigned char)s[a]))
        a++;
    while (b > a && is_space((unsigned char)s[b - 1]))
        b--;
    for (int k = 0; agencies[k]; k++)
        if (eq_word(s + a, b - a, agencies[k]))
            return j + 1;
    return 0;
}

static size_t dash_at(const char *s, size_t n, size_t i);

/* Past the ')' of a short "(...)" at s[i] when a dash follows it, else 0: an unknown agency in
 * a dateline that is otherwise unmistakable. */
static size_t any_tag_before_dash(const char *s, size_t n, size_t i)
{
    size_t j = i + 1, lim = i + 40 < n ? i + 40 : n;
    while (j < lim && s[j] != ')' && s[j] != '(')
        j++;
    if (j >= lim || s[j] != ')' || j == i + 1)
        return 0;
    size_t e = j + 1;
    while (e < n && is_space((unsigned char)s[e]))
        e++;
    return dash_at(s, n, e) ? j + 1 : 0;
}

/* Length of a dash at s[i] ("--", "—", "–", "-" surrounded by space), or 0. */
static size_t dash_at(const char *s, size_t n, size_t i)
{
    if (i + 1 < n && s[i] == '-' && s[i + 1] == '-')
        return 2;
    if (i + 2 < n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
        ((unsigned char)s[i + 2] == 0x94 || (unsigned char)s[i + 2] == 0x93))
        return 3;
    if (i < n && s[i] == '-' && (i + 1 == n || is_space((unsigned char)s[i + 1])))
        return 1;
    return 0;
}

/* Bytes of a dateline at the start of the paragraph p[0..n), or 0. A dateline is a short
 * prefix (a place, maybe a date) ending in an agency tag and/or a dash before the story:
 * "SEOUL, Nov. 21 (Yonhap) -- ", "WASHINGTON (CNN) -- ", "washington ( cnn ) ",
 * "LONDON -- ". */
static size_t dateline(const char *p, size_t n)
{
    size_t lim = n < 90 ? n : 90;
    /* A dateline ends in an agency tag or a dash: a paragraph whose first bytes hold no '('
     * and nothing a dash starts with ('-', 0xE2) has none, and is not read byte by byte. */
    if (!memchr(p, '(', lim) && !memchr(p, '-', lim) && !memchr(p, 0xE2, lim))
        return 0;
    size_t i = 0;
    bool upper_run = true; /* the prefix so far is an all-caps place name */
    size_t w = 0;
    while (w < lim && p[w] >= 'A' && p[w] <= 'Z')
        w++;
    bool caps_first = w >= 3 && (w == lim || p[w] == ',' || p[w] == ' '); /* "PORTLAND," */
    size_t letters = 0, lower_words = 0, upper_words = 0;
    for (; i < lim; i++) {
        unsigned char c = (unsigned char)p[i];
        if (i == 0 || p[i - 1] == ' ') {
            if (c >= 'a' && c <= 'z')
                lower_words++;
            else if (c >= 'A' && c <= 'Z')
                upper_words++;
        }
        if (c == '(') {
            size_t e = agency_tag(p, n, i);
            if (!e && caps_first)
                e = any_tag_before_dash(p, n, i); /* "PORTLAND, March 3 (Lede Wire) --" */
            /* A place (and date) before the tag: words all capitalised ("Seoul, Nov. 21")
             * or all lower case (lowercased corpora), and few of them. */
            if (!e || (lower_words && upper_words) || lower_words + upper_words > 6)
                return 0;
            while (e < n && is_space((unsigned char)p[e]))
                e++;
            size_t d = dash_at(p, n, e);
            if (d) {
                e += d;
                while (e < n && is_space((unsigned char)p[e]))
                    e++;
            }
            /* The tag must follow something place-like, or open the paragraph. */
            return e < n ? e : 0;
        }
        if (c == '.' || c == '!' || c == '?' || c == '"' || c == '\n')
            if (!(c == '.' && i > 0 && p[i - 1] != ' ' && i + 1 < n && p[i + 1] == ' '))
                return 0; /* a sentence ended: no dateline; "Nov. 21" keeps going */
        /* a dash starts with '-' or 0xE2 (dash_at): no call for the other bytes */
        size_t d = c == '-' || c == 0xE2 ? dash_at(p, n, i) : 0;
        if (d && i > 0 && is_space((unsigned char)p[i - 1]) && upper_run && letters >= 3) {
            size_t e = i + d;
            while (e < n && is_space((unsigned char)p[e]))
                e++;
            return e < n ? e : 0;
        }
        if (c >= 'a' && c <= 'z')
            upper_run = false;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
            letters++;
    }
    return 0;
}

/* Bytes of a trailing agency tag "(Yonhap)" at the end of p[0..n), counted from the start of
 * the tag (so the paragraph keeps p[0..result)), or n when there is none. */
static size_t trailing_tag(const char *p, size_t n)
{
    size_t e = n;
    while (e > 0 && is_space((unsigned char)p[e - 1]))
        e--;
    if (e == 0 || p[e - 1] != ')')
        return n;
    size_t b = e - 1;
    size_t stop = e > 40 ? e - 40 : 0;
    while (b > stop && p[b] != '(')
        b--;
    if (p[b] != '(' || agency_tag(p, e, b) != e)
        return n;
    while (b > 0 && is_space((unsigned char)p[b - 1]))
        b--;
    return b;
}

/* Whole-paragraph boilerplate: bylines, "Read more", "Click here", copyright lines. */
static bool boiler_paragraph(const char *p, size_t n)
{
    if (starts_with_ci(p, n, "read more") || starts_with_ci(p, n, "click here") ||
        starts_with_ci(p, n, "copyright") || starts_with_ci(p, n, "\xC2\xA9") ||
        starts_with_ci(p, n, "all rights reserved") || starts_with_ci(p, n, "follow us") ||
        starts_with_ci(p, n, "related:") || starts_with_ci(p, n, "share this"))
        return n < 200;
    if (starts_with_ci(p, n, "by ") && n < 80) {
        /* "By Jane Doe, Staff Writer": no sentence punctuation, mostly capitalised words. */
        size_t caps = 0, words = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            if (c == '.' && i + 1 < n && p[i + 1] == ' ' && i >= 2 && p[i - 2] != ' ')
                return false;
            if ((i == 0 || p[i - 1] == ' ') && c != ' ') {
                words++;
                if (c >= 'A' && c <= 'Z')
                    caps++;
            }
        }
        return words <= 8 && caps + 1 >= words;
    }
    return false;
}

void lede_regions_release(struct lede_regions *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

static int push_region(struct lede_regions *r, size_t offset, size_t length, size_t paragraph)
{
    if (r->max && r->n >= r->max)
        return LEDE_ETOOBIG;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct lede_region *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return LEDE_ENOMEM;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = (struct lede_region){offset, length, paragraph};
    return LEDE_OK;
}

int lede_text_regions(const char *body, size_t len, struct lede_regions *regions, size_t *stripped)
{
    return lede_text_regions_lang(body, len, NULL, regions, stripped);
}

int lede_text_regions_lang(const char *body, size_t len, const struct lede_lang *lang,
                           struct lede_regions *regions, size_t *stripped)
{
    if (lang && !strcmp(lang->code, "en"))
        lang = NULL; /* English: the rules below, as they always were */
    size_t para = 0, cut = 0;
    size_t i = 0;
    int rc;
    while (i < len) {
        /* The line ends at '\n' or '\r', found with memchr (vectorised) rather than by bytes. */
        const char *nl = memchr(body + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - body) : len;
        const char *cr = memchr(body + i, '\r', e - i);
        if (cr)
            e = (size_t)(cr - body);
        size_t a = i, b = e;
        while (a < b && is_space((unsigned char)body[a]))
            a++;
        while (b > a && is_space((unsigned char)body[b - 1]))
            b--;
        if (b > a) {
            if (boiler_paragraph(body + a, b - a)) {
                cut++;
            } else {
                size_t d = dateline(body + a, b - a);
                if (!d && lang) /* another language's press: "MADRID, 12 jun (EFE).-" */
                    d = lede_dateline_prefix(body + a, b - a, lang);
                if (d) {
                    a += d;
                    cut++;
                }
                size_t t = trailing_tag(body + a, b - a);
                if (t == b - a && lang)
                    t = lede_dateline_trailing(body + a, b - a, lang);
                if (t < b - a) {
                    b = a + t;
                    cut++;
                }
                if (b > a) {
                    if ((rc = push_region(regions, a, b - a, para)))
                        return rc;
                }
            }
            para++;
        }
        i = e;
        while (i < len && (body[i] == '\n' || body[i] == '\r'))
            i++;
    }
    if (stripped)
        *stripped = cut;
    return LEDE_OK;
}

/* t[0..n) starts with the lowercase ASCII literal w, bar case (its length known at compile
 * time: no strlen per sentence). */
#define STARTS(t, n, w) starts_ci_n(t, n, w, sizeof(w) - 1)

bool lede_text_sentence_is_boilerplate(const char *t, size_t n)
{
    /* The prefixes, by their first byte: a sentence tries only those that share its own
     * (most sentences none). "published :" and "updated :" cover their forms with a space. */
    while (n && is_space((unsigned char)*t)) {
        t++;
        n--;
    }
    if (!n)
        return true;
    switch (lower((unsigned char)t[0])) {
    case 'a': return STARTS(t, n, "all rights reserved");
    case 'b':
        /* "by . ", and a bare "by NAME ." byline. (Sentences without any word are dropped by
         * the caller.) */
        return STARTS(t, n, "by . ") || STARTS(t, n, "by daily mail reporter") ||
               (STARTS(t, n, "by ") && n < 40 && t[n - 1] == '.');
    case 'c': return STARTS(t, n, "click here") || STARTS(t, n, "copyright");
    case 'd': return STARTS(t, n, "daily mail reporter");
    case 'f': return STARTS(t, n, "follow @") || STARTS(t, n, "follow us");
    case 'l': return STARTS(t, n, "last updated at");
    case 'p': return STARTS(t, n, "published :") || STARTS(t, n, "please scroll down");
    case 'r': return STARTS(t, n, "read more");
    case 's': return STARTS(t, n, "scroll down for video") || STARTS(t, n, "share this");
    case 'u': return STARTS(t, n, "updated :");
    case '|': return STARTS(t, n, "| . ");
    default: return false;
    }
}
