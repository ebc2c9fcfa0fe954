/* editorial.c: quotation units and the headline (see editorial.h). One pass over each
 * sentence's bytes for the quotation marks; constant work per sentence for the headline. */
#include "editorial.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define HEADLINE_WORDS 20 /* longest line taken for a headline */
#define UNIT_MAX       6  /* most sentences in one quotation unit */

struct qstate {
    int dq;      /* open double quotations */
    int sq;      /* open PTB single quotations */
    bool low9;   /* the open double quotation began with a low-9 mark, so a U+201C closes it */
    bool broken; /* a closing mark with nothing open */
};

/* Bytes that may start a quotation mark: '"', '`', '\'', and the lead bytes of U+201C..E,
 * guillemets and CJK corner brackets. */
static const bool mark_byte[256] = {
    ['"'] = true, ['`'] = true, ['\''] = true, [0xC2] = true, [0xE2] = true, [0xE3] = true,
};

#define ONES        0x0101010101010101ull
#define HIGHS       0x8080808080808080ull
#define HAS_ZERO(v) (((v)-ONES) & ~(v)&HIGHS)

/* Whether the eight bytes of w may hold a mark: a lead byte of one (see mark_byte), '"', '`', and
 * '\'' (lone: the text is lowercased PTB, where a lone "'" quotes) or else two of them ("''"). */
static inline bool may_mark8(uint64_t w, bool lone)
{
    if ((w & HIGHS) && (HAS_ZERO(w ^ (ONES * 0xC2)) | HAS_ZERO((w | ONES) ^ (ONES * 0xE3))))
        return true; /* 0xC2, or 0xE2 and 0xE3 (the same but for the lowest bit) */
    if (HAS_ZERO(w ^ (ONES * '"')) || HAS_ZERO(w ^ (ONES * '`')))
        return true;
    uint64_t q = HAS_ZERO(w ^ (ONES * '\''));
    return lone ? q != 0 : (q & (q >> 8)) != 0; /* cased: only "''" counts */
}

static bool space_or_edge(const char *t, size_t n, size_t i)
{
    return i >= n || t[i] == ' ' || t[i] == '\t';
}

/* True when a lone "'" (spaces around it) occurs in t[from..n), within 300 bytes. */
static bool later_lone(const char *t, size_t n, size_t from)
{
    size_t lim = n - from > 300 ? from + 300 : n;
    for (size_t j = from; j < lim; j++)
        if (t[j] == '\'' && t[j - 1] == ' ' && space_or_edge(t, n, j + 1))
            return true;
    return false;
}

static void open_dq(struct qstate *q, bool low9)
{
    if (q->dq == 0)
        q->low9 = low9;
    q->dq++;
}

static void close_dq(struct qstate *q)
{
    if (q->dq > 0)
        q->dq--;
    else
        q->broken = true;
}

/* Runs the quotation marks of t[0..n) through q; *first_mark says whether the text opens with
 * one (after spaces). skip_first: the first mark continues a quotation (not toggled). */
static void scan(const char *t, size_t n, struct qstate *q, bool skip_first, bool *opens, bool lone)
{
    size_t i = 0;
    while (i < n && (t[i] == ' ' || t[i] == '\t'))
        i++;
    size_t start = i;
    *opens = false;
    for (; i < n; i++) {
#ifdef __SSE2__
        /* Sixteen bytes at a time, straight to the first that may start a mark (the usual
         * case): a lead byte of one (0xC2, 0xE2, 0xE3, not every high byte: Cyrillic or Greek
         * text is not read byte by byte), '"', '`', and '\'' (lone) or else one before another
         * '\''. A '\'' last in the block counts, as its pair cannot be seen; bytes it passes
         * cannot. */
        while (i + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
            unsigned m = (unsigned)_mm_movemask_epi8(v);
            if (m) /* high bytes: which are lead bytes of a mark */
                m = (unsigned)_mm_movemask_epi8(
                    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\xC2')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('\xE2'))),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\xE3'))));
            m |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))) |
                 (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('`')));
            unsigned ap = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')));
            m |= lone ? ap : ap & ((ap >> 1) | 0x8000u);
            if (m) {
                i += (size_t)__builtin_ctz(m);
                break;
            }
            i += 16;
        }
#endif
        /* Eight bytes at a time past those that cannot start a mark (the usual case). */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, t + i, 8);
            if (may_mark8(w, lone))
                break;
            i += 7; /* seven: a "''" across two blocks is still seen whole in one */
        }
        if (i >= n)
            break;
        unsigned char c = (unsigned char)t[i];
        if (!mark_byte[c])
            continue; /* the usual byte: no quotation mark starts with it */
        int kind = 0; /* 1 open, 2 close, 3 toggle double, 4 toggle single */
        size_t w = 1;
        bool low9 = false;
        if (c == '"') {
            kind = 3;
        } else if (c == '`' && i + 1 < n && t[i + 1] == '`') {
            kind = 1, w = 2;
        } else if (c == '\'' && i + 1 < n && t[i + 1] == '\'') {
            kind = 2, w = 2;
        } else if (lone && c == '\'' && (i == 0 || t[i - 1] == ' ') && space_or_edge(t, n, i + 1)) {
            kind = 4;
        } else if (c == 0xE2 && i + 2 < n && (unsigned char)t[i + 1] == 0x80) {
            unsigned char d = (unsigned char)t[i + 2];
            w = 3;
            if (d == 0x9C) /* U+201C: opens, or closes a low-9 quotation */
                kind = q->dq > 0 && q->low9 ? 2 : 1;
            else if (d == 0x9D)
                kind = 2;
            else if (d == 0x9E)
                kind = 1, low9 = true;
        } else if (c == 0xC2 && i + 1 < n) {
            unsigned char d = (unsigned char)t[i + 1];
            w = 2;
            kind = d == 0xAB ? 1 : d == 0xBB ? 2 : 0;
        } else if (c == 0xE3 && i + 2 < n && (unsigned char)t[i + 1] == 0x80) {
            unsigned char d = (unsigned char)t[i + 2];
            w = 3;
            kind = d == 0x8C || d == 0x8E ? 1 : d == 0x8D || d == 0x8F ? 2 : 0;
        }
        if (!kind)
            continue;
        if (i == start)
            *opens = kind == 1 || kind == 3 || kind == 4;
        if (skip_first && i == start) {
            i += w - 1;
            continue;
        }
        switch (kind) {
        case 1: open_dq(q, low9); break;
        case 2: close_dq(q); break;
        case 3: {
            /* A straight mark opens after a space and before a word, closes after a word. An
             * opening mark while one is open continues the quotation (a new paragraph of it,
             * news style, or paragraphs run together). */
            bool before_sp = i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '(';
            bool after_sp = space_or_edge(t, n, i + 1);
            if (before_sp && !after_sp) {
                if (q->dq == 0)
                    open_dq(q, false);
            } else if (q->dq > 0) {
                close_dq(q);
            } else if (!before_sp) {
                q->broken = true;
            } else {
                open_dq(q, false);
            }
            break;
        }
        case 4: {
            /* PTB's lone "'": before "," ";" ":" "." or the end it closes (or is a plural
             * possessive, "st james ' ,"); before a word it opens, unless it follows an "s"
             * and no other lone "'" comes later in the sentence ("players ' union"); inside
             * a quotation the same test tells a possessive from the close. */
            size_t p = i >= 2 ? i - 2 : 0, x = i + 2;
            bool after_s = i >= 2 && (t[p] == 's' || t[p] == 'S');
            bool word_next = x < n && t[x] != ',' && t[x] != ';' && t[x] != ':' && t[x] != '.' &&
                             t[x] != '\'' && t[x] != '"' && t[x] != '!' && t[x] != '?' &&
                             t[x] != ')';
            if (!word_next)
                q->sq = 0;
            else if (q->sq)
                q->sq = after_s && later_lone(t, n, i + 1);
            else if (!after_s || later_lone(t, n, i + 1))
                q->sq = 1;
            break;
        }
        }
        i += w - 1;
    }
}

#ifndef EDITOR_UNITS
#define EDITOR_UNITS 1 /* 0: no quotation units (for measuring their cost only) */
#endif

void lede_editorial_quotes(struct lede_doc *doc)
{
    /* A lone "'" quotes in lowercased PTB text (CNN/DM); in cased prose it is an apostrophe
     * or a possessive, and is left alone. */
    bool lone = !doc->cased;
    struct qstate q = {0};
    size_t unit = 0; /* first sentence of the open unit */
    bool in_unit = false;
    for (size_t i = 0; i < doc->n_sent; i++) {
        struct lede_sent *s = &doc->sent[i];
        bool new_para = i > 0 && s->paragraph != doc->sent[i - 1].paragraph;
        const char *t = doc->body + s->offset;
        bool cont = false;
        if (new_para && in_unit) {
            /* A quotation open at a paragraph's end goes on only when the next opens with a mark.
             */
            struct qstate probe = q;
            bool opens;
            scan(t, s->length < 8 ? s->length : 8, &probe, false, &opens, lone);
            cont = opens;
            if (!cont) {
                for (size_t j = unit; j < i; j++)
                    doc->sent[j].quote_bad = true;
                q = (struct qstate){0};
                in_unit = false;
            }
        }
        bool opens;
        q.broken = false;
        scan(t, s->length, &q, cont, &opens, lone);
        s->quote_open = opens;
        s->quote_bad = q.broken;
        s->unit_first = s->unit_last = (uint32_t)i;
        if (!in_unit && (q.dq > 0 || q.sq > 0)) {
            in_unit = true;
            unit = i;
        }
        if (in_unit && i - unit + 1 > UNIT_MAX) {
            /* Longer than any quotation a summary could hold: the opening mark was stray.
             * Its sentence alone is unbalanced; the scan starts again after it. */
            doc->sent[unit].quote_bad = true;
            doc->sent[unit].unit_first = doc->sent[unit].unit_last = (uint32_t)unit;
            q = (struct qstate){0};
            in_unit = false;
            i = unit;
            continue;
        }
        if (in_unit) {
            s->unit_first = (uint32_t)unit;
            if (q.dq == 0 && q.sq == 0) {
                for (size_t j = unit; j <= i; j++)
                    doc->sent[j].unit_last = (uint32_t)i;
                in_unit = false;
            }
        }
    }
    if (in_unit)
        for (size_t j = unit; j < doc->n_sent; j++)
            doc->sent[j].quote_bad = true;
    if (EDITOR_UNITS == 0 || EDITOR_UNITS == 2)
        for (size_t j = 0; j < doc->n_sent; j++)
            doc->sent[j].quote_bad = false;
    if (EDITOR_UNITS == 0 || EDITOR_UNITS == 3)
        for (size_t j = 0; j < doc->n_sent; j++)
            doc->sent[j].unit_first = doc->sent[j].unit_last = (uint32_t)j;
}

/* True when the sentence ends in sentence punctuation (maybe followed by closing quotes or
 * brackets). */
static bool ends_like_sentence(const char *t, size_t n)
{
    while (n > 0) {
        unsigned char c = (unsigned char)t[n - 1];
        if (c == '"' || c == '\'' || c == ')' || c == ']' || c == ' ')
            n--;
        else if (n >= 3 && (unsigned char)t[n - 3] == 0xE2 && (unsigned char)t[n - 2] == 0x80 &&
                 ((unsigned char)t[n - 1] == 0x9D || (unsigned char)t[n - 1] == 0x99))
            n -= 3;
        else
            break;
    }
    if (!n)
        return false;
    unsigned char c = (unsigned char)t[n - 1];
    if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';')
        return true;
    /* "…", "。", "！", "？" */
    return n >= 3 &&
           (((unsigned char)t[n - 3] == 0xE2 && (unsigned char)t[n - 2] == 0x80 && c == 0xA6) ||
            ((unsigned char)t[n - 3] == 0xE3 && (unsigned char)t[n - 2] == 0x80 && c == 0x82) ||
            ((unsigned char)t[n - 3] == 0xEF && (unsigned char)t[n - 2] == 0xBC &&
             (c == 0x81 || c == 0x9F)));
}

size_t lede_editorial_headline(struct lede_doc *doc, uint64_t title_sig)
{
    if (!doc->n_sent)
        return SIZE_MAX;
    struct lede_sent *s = &doc->sent[0];
    bool hit = (title_sig && s->sig == title_sig) ||
               (doc->n_paragraphs > 1 && s->n_words <= HEADLINE_WORDS &&
                (doc->n_sent == 1 || doc->sent[1].paragraph != s->paragraph) &&
                !ends_like_sentence(doc->body + s->offset, s->length));
    if (!hit)
        return SIZE_MAX;
    s->headline = true;
    return 0;
}
