/* segment.c: rule-based sentence boundaries, stage 2 of the engine (text -> segment -> tokenize).
 * One left-to-right pass over white-space separated words with one word of look-ahead; two
 * styles, chosen per text: cased prose, and PTB-tokenized text (" . " standing alone). */
#include "segment.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "error.h"
#include "lang.h"

/* Per-byte and per-word helpers: inlined into their loops (a call each cost more than
 * their work). */
#define HOT inline __attribute__((always_inline))

/* Class of the first letter of a word (after opening quotes and brackets). */
enum { C_END, C_UPPER, C_LOWER, C_DIGIT, C_OTHER };

/* K_WORD: anything else; K_PUNCT: only terminators (".", "?!", "...", a run of lone dots);
 * K_BULLET: only bullet characters ("•"). */
enum { K_WORD, K_PUNCT, K_BULLET };

/* One token: a white-space separated word, or (K_PUNCT) a run of them, plus any closing
 * quotes or brackets standing alone after a terminator. */
struct tok {
    size_t b, e;    /* whole token, absorbed closers included */
    size_t cb, ce;  /* core of the first word: openers, bullets and closers removed */
    size_t tb;      /* start of the terminator run that ends the core; tb == ce: none */
    unsigned ntok;  /* words merged into a K_PUNCT run */
    unsigned ndots; /* dots in the terminator run, "…" counting three */
    unsigned char kind;
    unsigned char qmark;  /* the terminators include '?' or '!' */
    unsigned char lone;   /* K_PUNCT made only of lone "." words */
    unsigned char bullet; /* the word starts with a bullet character */
    unsigned char fc;     /* class of the core's first letter */
    unsigned char acomma; /* Arabic: the core ends in '\xD8\x8C' (comma) or ':' */
};

struct reader {
    const char *t;
    const struct lede_lang *lang; /* NULL: English, the rules as they always were */
    unsigned lf;                  /* lang's flags, plus L_EXTRA for any language but English */
    size_t len, i;                /* i: first byte not read yet */
    int ptb;                      /* PTB-tokenized style */
    int sq, dq;                   /* a stand-alone straight single / double quote is open */
    unsigned char last;           /* last byte of the previous word */
    /* The word last looked at (merge_run and absorb_closers look one ahead, read_tok then
     * reads the same word): it starts at pk_b (SIZE_MAX: none) and ends at pk_e; pk_tok: pk
     * is its token. */
    size_t pk_b, pk_e;
    int pk_tok;
    struct tok pk;
};

/* Reader flag beside enum lede_lang_flag: a language other than English (its terminators). */
#define L_EXTRA 0x100u

/* A list marker: "1." "2)" "3.)" "a." "iv." (after an optional bullet). */
struct marker {
    int kind;   /* 0 none, 1 number, 2 lower-case letter or roman numeral */
    int value;  /* the number, or the letter (0 for a roman numeral of two letters or more) */
    int roman;  /* value as a roman numeral ("i", "iv", "x"), 0 if it is none */
    int suffix; /* 1 ".", 2 ")", 3 ".)" */
};

/* ---- characters ---- */

static int is_ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Bytes that may start a white-space character (ASCII, U+0085, U+00A0, U+2000.., U+3000). */
static const unsigned char maybe_space[256] = {
    ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
    [' '] = 1,  [0xC2] = 1, [0xE2] = 1, [0xE3] = 1,
};

/* Length of the white-space character at t[i] (0: none); sets *nl for a line break. */
static size_t space_len(const char *t, size_t i, size_t len, int *nl)
{
    const unsigned char *u = (const unsigned char *)t;
    unsigned char c = u[i];
    if (c < 0x80) {
        if (!is_ascii_space(c))
            return 0;
        if (c != ' ' && c != '\t')
            *nl = 1;
        return 1;
    }
    if (c == 0xC2 && i + 1 < len && (u[i + 1] == 0xA0 || u[i + 1] == 0x85)) {
        if (u[i + 1] == 0x85)
            *nl = 1;
        return 2;
    }
    if (i + 2 >= len)
        return 0;
    if (c == 0xE2 && u[i + 1] == 0x80) {
        unsigned char d = u[i + 2];
        if ((d >= 0x80 && d <= 0x8A) || d == 0xAF)
            return 3;
        if (d == 0xA8 || d == 0xA9) { /* line and paragraph separators */
            *nl = 1;
            return 3;
        }
    }
    if (c == 0xE2 && u[i + 1] == 0x81 && u[i + 2] == 0x9F)
        return 3;
    if (c == 0xE3 && u[i + 1] == 0x80 && u[i + 2] == 0x80)
        return 3;
    return 0;
}

static HOT size_t skip_space(const char *t, size_t i, size_t len, int *nl)
{
    const unsigned char *u = (const unsigned char *)t;
    while (i < len) {
        size_t n;
        if (u[i] == ' ' || u[i] == '\t') { /* the usual space: no call */
            i++;
            continue;
        }
        if (!maybe_space[u[i]] || !(n = space_len(t, i, len, nl)))
            break;
        i += n;
    }
    return i;
}

static int inner_byte(unsigned char c)
{
    return c > ' ' && c < 0x7F;
}

/* The end of a run of inner bytes from t[e]: eight bytes at a time while eight are left.
 * A byte is flagged when below '!', equal to 0x7F or above; the lowest flag is exact (a
 * borrow only runs upward from a flagged byte). */
static HOT size_t inner_end(const unsigned char *t, size_t e, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (e + 8 <= len) {
        uint64_t x, y;
        memcpy(&x, t + e, 8);
        y = x ^ (0x7F * ones);
        uint64_t m = (((x - 0x21 * ones) & ~x) | ((y - ones) & ~y) | x) & highs;
        if (m)
            return e + (size_t)(__builtin_ctzll(m) >> 3);
        e += 8;
    }
#endif
    while (e < len && inner_byte(t[e]))
        e++;
    return e;
}

/* CJK text: the end of a word at t[i], cut after a sentence terminator (。！？, several
 * together, and the closing quotes after them) that is not inside 「」『』《》（）“”. */
static size_t cjk_word_end(const char *t, size_t i, size_t len)
{
    const unsigned char *u = (const unsigned char *)t;
    int depth = 0, nl = 0;
    while (i < len) {
        if (maybe_space[u[i]] && space_len(t, i, len, &nl))
            return i;
        if (i + 3 <= len && (u[i] == 0xE3 || u[i] == 0xEF || u[i] == 0xE2)) {
            unsigned a = u[i], b = u[i + 1], c = u[i + 2];
            int open = (a == 0xE3 && b == 0x80 && (c == 0x8C || c == 0x8E || c == 0x8A)) ||
                       (a == 0xEF && b == 0xBC && c == 0x88) ||
                       (a == 0xE2 && b == 0x80 && c == 0x9C);
            int close = (a == 0xE3 && b == 0x80 && (c == 0x8D || c == 0x8F || c == 0x8B)) ||
                        (a == 0xEF && b == 0xBC && c == 0x89) ||
                        (a == 0xE2 && b == 0x80 && c == 0x9D);
            int stop = (a == 0xE3 && b == 0x80 && c == 0x82) ||
                       (a == 0xEF && b == 0xBC && (c == 0x81 || c == 0x9F));
            if (open)
                depth++;
            else if (close && depth > 0)
                depth--;
            else if (stop && depth == 0) {
                i += 3;
                for (;;) { /* more terminators, then closers */
                    if (i + 3 > len)
                        return i;
                    a = u[i], b = u[i + 1], c = u[i + 2];
                    if ((a == 0xE3 && b == 0x80 &&
                         (c == 0x82 || c == 0x8D || c == 0x8F || c == 0x8B)) ||
                        (a == 0xEF && b == 0xBC && (c == 0x81 || c == 0x9F || c == 0x89)) ||
                        (a == 0xE2 && b == 0x80 && c == 0x9D))
                        i += 3;
                    else
                        return i;
                }
            }
            i += 3;
            continue;
        }
        i++;
    }
    return i;
}

static HOT size_t word_end_lang(const char *t, size_t i, size_t len, unsigned lf);

static HOT size_t word_end(const char *t, size_t i, size_t len)
{
    const unsigned char *u = (const unsigned char *)t;
    int nl = 0;
    for (;;) {
        i = inner_end(u, i, len); /* printable ASCII cannot start a space: passed over */
        if (i >= len || u[i] == ' ' || (maybe_space[u[i]] && space_len(t, i, len, &nl)))
            return i;
        i++;
    }
}

static HOT size_t word_end_lang(const char *t, size_t i, size_t len, unsigned lf)
{
    return (lf & LEDE_LANG_CJK) ? cjk_word_end(t, i, len) : word_end(t, i, len);
}

static int has3(const char *t, size_t i, size_t e, unsigned char a, unsigned char b,
                unsigned char c)
{
    const unsigned char *u = (const unsigned char *)t;
    return i + 3 <= e && u[i] == a && u[i + 1] == b && u[i + 2] == c;
}

/* Opening quote or bracket at t[i] (i < e): its length, or 0. */
static size_t opener_len(const char *t, size_t i, size_t e)
{
    unsigned char c = (unsigned char)t[i];
    if (c == '"' || c == '\'' || c == '(' || c == '[' || c == '{' || c == '`')
        return 1;
    if (c == 0xC2 && i + 2 <= e) {
        unsigned char d = (unsigned char)t[i + 1];
        return d == 0xAB || d == 0xBF || d == 0xA1 ? 2 : 0; /* « ¿ ¡ */
    }
    if (c == 0xE2 && i + 3 <= e && (unsigned char)t[i + 1] == 0x80) {
        unsigned char d = (unsigned char)t[i + 2];
        return d == 0x9C || d == 0x98 || d == 0x9E || d == 0xB9 ? 3 : 0; /* “ ‘ „ ‹ */
    }
    if (c == 0xE3 && i + 3 <= e && (unsigned char)t[i + 1] == 0x80) {
        unsigned char d = (unsigned char)t[i + 2];
        return d == 0x8C || d == 0x8E || d == 0x8A ? 3 : 0; /* 「 『 《 */
    }
    return 0;
}

/* Closing quote or bracket ending at t[e-1] (b < e): its length, or 0. */
static size_t closer_len(const char *t, size_t b, size_t e)
{
    unsigned char c = (unsigned char)t[e - 1];
    if (c == '"' || c == '\'' || c == ')' || c == ']' || c == '}')
        return 1;
    if (e - b >= 2 && c == 0xBB && (unsigned char)t[e - 2] == 0xC2) /* » */
        return 2;
    if (e - b >= 3 && has3(t, e - 3, e, 0xE2, 0x80, 0x9D)) /* ” */
        return 3;
    if (e - b >= 3 && has3(t, e - 3, e, 0xE2, 0x80, 0x99)) /* ’ */
        return 3;
    if (e - b >= 3 && has3(t, e - 3, e, 0xE2, 0x80, 0xBA)) /* › */
        return 3;
    if (e - b >= 3 && (has3(t, e - 3, e, 0xE3, 0x80, 0x8D) || has3(t, e - 3, e, 0xE3, 0x80, 0x8F) ||
                       has3(t, e - 3, e, 0xE3, 0x80, 0x8B) || has3(t, e - 3, e, 0xEF, 0xBC, 0x89)))
        return 3; /* 」 』 》 ） */
    return 0;
}

/* Bullet at t[i]: • ‣ ⁃ ◦ ▪ ● ■ ► */
static size_t bullet_len(const char *t, size_t i, size_t e)
{
    if ((unsigned char)t[i] != 0xE2)
        return 0;
    if (has3(t, i, e, 0xE2, 0x80, 0xA2) || has3(t, i, e, 0xE2, 0x80, 0xA3) ||
        has3(t, i, e, 0xE2, 0x81, 0x83) || has3(t, i, e, 0xE2, 0x97, 0xA6) ||
        has3(t, i, e, 0xE2, 0x96, 0xAA) || has3(t, i, e, 0xE2, 0x97, 0x8F) ||
        has3(t, i, e, 0xE2, 0x96, 0xA0) || has3(t, i, e, 0xE2, 0x96, 0xBA))
        return 3;
    return 0;
}

/* C_UPPER, C_LOWER or C_DIGIT for ASCII letters and digits, 0 for any other byte. */
static const unsigned char ascii_class[256] = {
#define R3(c, x)  [c] = x, [c + 1] = x, [c + 2] = x
#define R10(c, x) R3(c, x), R3(c + 3, x), R3(c + 6, x), [c + 9] = x
    R10('0', C_DIGIT),      R10('A', C_UPPER),     R10('A' + 10, C_UPPER),
    R3('A' + 20, C_UPPER),  R3('A' + 23, C_UPPER), R10('a', C_LOWER),
    R10('a' + 10, C_LOWER), R3('a' + 20, C_LOWER), R3('a' + 23, C_LOWER),
#undef R3
#undef R10
};

static unsigned char char_class(const char *t, size_t i, size_t len)
{
    unsigned char c = (unsigned char)t[i];
    if (c < 0x80)
        return ascii_class[c] ? ascii_class[c] : C_OTHER;
    utf8proc_int32_t cp;
    size_t n = len - i < 4 ? len - i : 4;
    if (utf8proc_iterate((const utf8proc_uint8_t *)t + i, (utf8proc_ssize_t)n, &cp) < 0)
        return C_OTHER;
    if (utf8proc_isupper(cp))
        return C_UPPER;
    if (utf8proc_islower(cp))
        return C_LOWER;
    return C_OTHER;
}

/* ---- words ---- */

/* Fills k for the single word t[b..e). */
/* Length of a terminator other than '.', '?', '!' and '…' ending at t[tb-1] in a language
 * with flags lf (0: none): 。！？ in CJK, ';' in Greek, ؟ in Arabic, । ॥ in Devanagari,
 * ։ in Armenian, ። in Ethiopic, ။ in Burmese, ۔ in Urdu. */
static size_t extra_terminator(const char *t, size_t cb, size_t tb, unsigned lf)
{
    const unsigned char *u = (const unsigned char *)t;
    if (!(lf & L_EXTRA) || tb == cb)
        return 0;
    unsigned char c = u[tb - 1];
    if (c == ';')
        return (lf & LEDE_LANG_GREEK_Q) ? 1 : 0;
    if (c == ':')
        return (lf & LEDE_LANG_COLON_STOP) ? 1 : 0;
    if (c < 0x80 || tb - cb < 2)
        return 0;
    if (u[tb - 2] == 0xCD && c == 0xBE) /* U+037E Greek question mark */
        return 2;
    if ((u[tb - 2] == 0xD8 && c == 0x9F) || (u[tb - 2] == 0xD6 && c == 0x89) ||
        (u[tb - 2] == 0xDB && c == 0x94))
        return 2; /* ؟ ։ ۔ */
    if (tb - cb < 3)
        return 0;
    if (has3(t, tb - 3, tb, 0xE0, 0xA5, 0xA4) || has3(t, tb - 3, tb, 0xE0, 0xA5, 0xA5) ||
        has3(t, tb - 3, tb, 0xE1, 0x8D, 0xA2) || has3(t, tb - 3, tb, 0xE1, 0x81, 0x8B) ||
        has3(t, tb - 3, tb, 0xE3, 0x80, 0x82) || has3(t, tb - 3, tb, 0xEF, 0xBC, 0x81) ||
        has3(t, tb - 3, tb, 0xEF, 0xBC, 0x9F))
        return 3;
    return 0;
}

static HOT void classify(const char *t, size_t b, size_t e, struct tok *k, unsigned lf)
{
    size_t n, cb = b, ce = e, tb;
    memset(k, 0, sizeof *k);
    k->b = b;
    k->e = e;
    k->ntok = 1;
    if (ascii_class[(unsigned char)t[b]] >= C_UPPER &&
        ascii_class[(unsigned char)t[e - 1]] >= C_UPPER) {
        /* the common case: a plain word from letter or digit to letter or digit */
        k->cb = b;
        k->ce = k->tb = e;
        k->fc = ascii_class[(unsigned char)t[b]];
        return;
    }
    k->bullet = bullet_len(t, b, e) > 0;
    while (cb < e &&
           ((n = opener_len(t, cb, e)) || (n = bullet_len(t, cb, e)) ||
            ((lf & L_EXTRA) && cb + 2 <= e && t[cb] == ',' && t[cb + 1] == ',' && (n = 2))))
        cb += n; /* ",," opens a quotation where „ cannot be typed */
    while (ce > cb &&
           ((n = closer_len(t, cb, ce)) ||
            ((lf & L_EXTRA) && ce - cb >= 3 && has3(t, ce - 3, ce, 0xE2, 0x80, 0x9C) && (n = 3))))
        ce -= n; /* “ closes what „ opened (German, Danish, ...) */
    tb = ce;
    while (tb > cb) {
        unsigned char c = (unsigned char)t[tb - 1];
        if (c == '.') {
            k->ndots++;
            tb--;
        } else if (c == '?' || c == '!') {
            k->qmark = 1;
            tb--;
        } else if (tb - cb >= 3 && has3(t, tb - 3, tb, 0xE2, 0x80, 0xA6)) { /* … */
            k->ndots += 3;
            tb -= 3;
        } else if ((n = extra_terminator(t, cb, tb, lf))) {
            k->qmark = 1;
            tb -= n;
        } else {
            break;
        }
    }
    if ((lf & LEDE_LANG_COMMA_SPLIT) && tb > cb &&
        (t[tb - 1] == ':' ||
         (tb - cb >= 2 && (unsigned char)t[tb - 2] == 0xD8 && (unsigned char)t[tb - 1] == 0x8C)))
        k->acomma = 1;
    k->cb = cb;
    k->ce = ce;
    k->tb = tb;
    if (k->bullet && cb == e) {
        size_t i = b;
        while (i < e && (n = bullet_len(t, i, e)))
            i += n;
        k->kind = i == e ? K_BULLET : K_WORD;
    } else if (tb == cb && cb < ce) {
        k->kind = K_PUNCT;
        k->lone = cb == b && ce - cb == 1;
    }
    k->fc = cb < ce ? char_class(t, cb, e) : C_OTHER;
}

static int word_is(const char *t, size_t b, size_t e, const char *s)
{
    size_t n = strlen(s);
    return e - b == n && memcmp(t + b, s, n) == 0;
}

/* Class of the next word's first letter after t[i], C_END at a line break or the end. */
static unsigned char peek_class(const char *t, size_t i, size_t len)
{
    int nl = 0;
    size_t n;
    i = skip_space(t, i, len, &nl);
    if (nl || i >= len)
        return C_END;
    while (i < len && (n = opener_len(t, i, len)))
        i += n;
    if (i >= len || (maybe_space[(unsigned char)t[i]] && space_len(t, i, len, &nl)))
        return C_OTHER;
    return char_class(t, i, len);
}

/* A stand-alone quote word that was not absorbed: track which quotes are open. A lone "'"
 * opens after ":" and closes before "," ";" ":" or the end; after a word ending in s and
 * before a word it is a plural possessive ("players ' union"); otherwise it toggles. */
static void quote_word(struct reader *r, size_t b, size_t e)
{
    const char *t = r->t;
    if (word_is(t, b, e, "'")) {
        int nl = 0;
        size_t j = skip_space(t, e, r->len, &nl);
        unsigned char next = j < r->len ? (unsigned char)t[j] : 0, cls = C_END;
        if (j < r->len)
            cls = char_class(t, j, r->len);
        if (r->last == ':')
            r->sq = 1;
        else if (!next || next == ',' || next == ';' || next == ':')
            r->sq = 0;
        else if (!((r->last == 's' || r->last == 'S') && !nl &&
                   (cls == C_LOWER || cls == C_UPPER || cls == C_DIGIT)))
            r->sq = !r->sq;
    } else if (word_is(t, b, e, "\"")) {
        r->dq = !r->dq;
    } else if (word_is(t, b, e, "``") || word_is(t, b, e, "\xE2\x80\x9C")) {
        r->dq = 1;
    } else if (word_is(t, b, e, "''") || word_is(t, b, e, "\xE2\x80\x9D")) {
        r->dq = 0;
    } else if (word_is(t, b, e, "\xE2\x80\x98")) {
        r->sq = 1;
    } else if (word_is(t, b, e, "\xE2\x80\x99")) {
        r->sq = 0;
    }
}

/* True (and the quote state updated) when t[b..e) closes what came before it. */
static int closing_word(struct reader *r, size_t b, size_t e)
{
    const char *t = r->t;
    if (word_is(t, b, e, "''") || word_is(t, b, e, "\xE2\x80\x9D")) {
        r->dq = 0;
        return 1;
    }
    if (word_is(t, b, e, "\xE2\x80\x99")) {
        r->sq = 0;
        return 1;
    }
    if (word_is(t, b, e, "\"") || word_is(t, b, e, "'")) {
        int *open = t[b] == '"' ? &r->dq : &r->sq, nl = 0;
        if (!*open && skip_space(t, e, r->len, &nl) < r->len && !nl)
            return 0; /* open, or last on its line */
        *open = 0;
        return 1;
    }
    for (size_t i = b; i < e;) { /* ) ] } » › */
        unsigned char c = (unsigned char)t[i];
        if (c == ')' || c == ']' || c == '}')
            i++;
        else if (c == 0xC2 && i + 1 < e && (unsigned char)t[i + 1] == 0xBB)
            i += 2;
        else if (has3(t, i, e, 0xE2, 0x80, 0xBA))
            i += 3;
        else
            return 0;
    }
    return 1;
}

/* The end of the word that starts at t[b], as word_end_lang, once per word. */
static HOT size_t word_at(struct reader *r, size_t b)
{
    if (b != r->pk_b) {
        r->pk_b = b;
        r->pk_e = word_end_lang(r->t, b, r->len, r->lf);
        r->pk_tok = 0;
    }
    return r->pk_e;
}

/* Appends to the K_PUNCT token k the terminator-only words that follow it on the same line:
 * any in PTB text ("? !"), lone dots in cased text (". . ."; a closer ends the run).
 * Returns how many were added. */
static unsigned merge_run(struct reader *r, struct tok *k, int closed)
{
    const char *t = r->t;
    unsigned added = 0;
    while (!closed) {
        int nl = 0;
        size_t b = skip_space(t, r->i, r->len, &nl);
        if (nl || b >= r->len)
            break;
        size_t e = word_at(r, b);
        struct tok w;
        classify(t, b, e, &w, r->lf);
        r->pk = w; /* read_tok takes it from here when the run ends before it */
        r->pk_tok = 1;
        if (w.kind != K_PUNCT || (!r->ptb && !w.lone) || w.cb != b)
            break;
        k->e = e;
        k->ntok++;
        k->ndots += w.ndots;
        k->qmark |= w.qmark;
        k->lone &= w.lone;
        r->i = e;
        r->last = (unsigned char)t[e - 1];
        closed = !r->ptb && w.ce < e;
        added++;
    }
    return added;
}

/* Appends to k the closing quotes and brackets standing alone after it ("! ' )").
 * Returns how many were added. */
static unsigned absorb_closers(struct reader *r, struct tok *k)
{
    const char *t = r->t;
    unsigned added = 0;
    for (;;) {
        int nl = 0;
        size_t b = skip_space(t, r->i, r->len, &nl);
        if (nl || b >= r->len)
            break;
        size_t e = word_at(r, b);
        if (!closing_word(r, b, e))
            break;
        k->e = e;
        r->i = e;
        r->last = (unsigned char)t[e - 1];
        added++;
    }
    return added;
}

/* Reads the next token; *nl is set when a line break precedes it. Returns 0 at the end. */
static HOT int read_tok(struct reader *r, struct tok *k, int *nl)
{
    const char *t = r->t;
    size_t len = r->len;
    *nl = 0;
    size_t b = skip_space(t, r->i, len, nl);
    if (b >= len) {
        r->i = len;
        return 0;
    }
    size_t e = word_at(r, b);
    if (r->pk_tok)
        *k = r->pk; /* merge_run classified it already */
    else
        classify(t, b, e, k, r->lf);
    if (k->cb == k->ce)
        quote_word(r, b, e);
    r->i = e;
    r->last = (unsigned char)t[e - 1];
    if (k->kind == K_PUNCT && (r->ptb || k->lone))
        merge_run(r, k, k->ce < e);
    /* PTB: "pick ! ' ) ." is one terminator, its quotes and brackets included */
    if (k->kind == K_PUNCT || k->tb < k->ce)
        while (absorb_closers(r, k) && r->ptb && k->kind == K_PUNCT && merge_run(r, k, 0))
            ;
    return 1;
}

/* ---- word lists ---- */

enum { A_NUM = 1, A_NORMAL, A_TITLE, A_TIME };

struct abbr {
    const char *s;
    unsigned char kind;
};

/* Lower-case abbreviations without their final dot, sorted by bytes. A_TITLE never ends a
 * sentence; A_NORMAL ends one only before a word that usually starts sentences ("Co. It");
 * A_NUM is an abbreviation only before a number ("No. 5", "p. 55"); A_TIME: "a.m.", "p.m.".
 * Words that are also common English words ("ill", "mass", "sun") are left out. */
static const struct abbr abbrs[] = {
    {"a.m", A_TIME},     {"adm", A_TITLE},   {"al", A_NORMAL},     {"approx", A_TITLE},
    {"apr", A_NORMAL},   {"art", A_NUM},     {"assn", A_NORMAL},   {"atty", A_TITLE},
    {"aug", A_NORMAL},   {"ave", A_NORMAL},  {"bldg", A_NORMAL},   {"blvd", A_NORMAL},
    {"bros", A_NORMAL},  {"ca", A_NUM},      {"calif", A_NORMAL},  {"capt", A_TITLE},
    {"cf", A_TITLE},     {"ch", A_NUM},      {"cmdr", A_TITLE},    {"co", A_NORMAL},
    {"col", A_TITLE},    {"colo", A_NORMAL}, {"conn", A_NORMAL},   {"corp", A_NORMAL},
    {"cpl", A_TITLE},    {"dec", A_NORMAL},  {"dept", A_NORMAL},   {"det", A_TITLE},
    {"dr", A_TITLE},     {"e.g", A_TITLE},   {"esq", A_NORMAL},    {"feb", A_NORMAL},
    {"fig", A_NUM},      {"figs", A_NUM},    {"fla", A_NORMAL},    {"fr", A_TITLE},
    {"fri", A_NORMAL},   {"ft", A_NORMAL},   {"gen", A_TITLE},     {"gov", A_TITLE},
    {"hon", A_TITLE},    {"i.e", A_TITLE},   {"inc", A_NORMAL},    {"insp", A_TITLE},
    {"jan", A_NORMAL},   {"jr", A_NORMAL},   {"jul", A_NORMAL},    {"jun", A_NORMAL},
    {"kan", A_NORMAL},   {"kans", A_NORMAL}, {"lt", A_TITLE},      {"ltd", A_NORMAL},
    {"maj", A_TITLE},    {"mar", A_NORMAL},  {"messrs", A_TITLE},  {"mich", A_NORMAL},
    {"minn", A_NORMAL},  {"mlle", A_TITLE},  {"mme", A_TITLE},     {"mont", A_NORMAL},
    {"mr", A_TITLE},     {"mrs", A_TITLE},   {"ms", A_TITLE},      {"msgr", A_TITLE},
    {"mt", A_TITLE},     {"neb", A_NORMAL},  {"nev", A_NORMAL},    {"no", A_NUM},
    {"nos", A_NUM},      {"nov", A_NORMAL},  {"n\xC2\xB0", A_NUM}, {"n\xC2\xBA", A_NUM},
    {"oct", A_NORMAL},   {"okla", A_NORMAL}, {"op", A_NUM},        {"p.m", A_TIME},
    {"para", A_NUM},     {"pp", A_NUM},      {"pres", A_TITLE},    {"prof", A_TITLE},
    {"pvt", A_TITLE},    {"rd", A_NORMAL},   {"rep", A_TITLE},     {"reps", A_TITLE},
    {"rev", A_TITLE},    {"sec", A_NUM},     {"sen", A_TITLE},     {"sens", A_TITLE},
    {"sep", A_NORMAL},   {"sept", A_NORMAL}, {"sgt", A_TITLE},     {"sr", A_NORMAL},
    {"st", A_NORMAL},    {"supt", A_TITLE},  {"tenn", A_NORMAL},   {"thu", A_NORMAL},
    {"thurs", A_NORMAL}, {"tue", A_NORMAL},  {"tues", A_NORMAL},   {"univ", A_NORMAL},
    {"viz", A_TITLE},    {"vol", A_NUM},     {"vols", A_NUM},      {"vs", A_TITLE},
    {"wis", A_NORMAL},   {"wyo", A_NORMAL},
};

/* Lower-case words that often start a sentence and rarely follow an abbreviation inside one
 * (so "the U.S. How" splits and "the U.S. Government" does not). Sorted. */
static const char *const starters[] = {
    "a",       "about",        "according", "after",     "all",   "also",    "although",  "an",
    "and",     "another",      "any",       "are",       "as",    "at",      "because",   "before",
    "both",    "but",          "by",        "can",       "could", "despite", "did",       "do",
    "does",    "during",       "each",      "even",      "every", "for",     "from",      "had",
    "has",     "have",         "he",        "her",       "here",  "his",     "how",       "however",
    "i",       "if",           "in",        "instead",   "is",    "it",      "its",       "just",
    "last",    "later",        "many",      "meanwhile", "more",  "most",    "much",      "my",
    "neither", "nevertheless", "no",        "nor",       "not",   "now",     "of",        "on",
    "once",    "one",          "only",      "or",        "other", "our",     "she",       "should",
    "since",   "so",           "some",      "still",     "such",  "that",    "the",       "their",
    "then",    "there",        "these",     "they",      "this",  "those",   "though",    "thus",
    "to",      "today",        "under",     "unlike",    "until", "was",     "we",        "were",
    "what",    "when",         "where",     "whether",   "which", "while",   "who",       "whom",
    "whose",   "why",          "with",      "without",   "would", "yes",     "yesterday", "yet",
    "you",     "your",
};

/* Copies t[b..e) lower-cased (ASCII) into buf; 0 when it does not fit. */
static size_t lower_copy(const char *t, size_t b, size_t e, char *buf, size_t cap)
{
    if (e - b >= cap)
        return 0;
    for (size_t i = b; i < e; i++) {
        char c = t[i];
        buf[i - b] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    buf[e - b] = '\0';
    return e - b;
}

static int abbr_kind(const char *t, size_t b, size_t e)
{
    char key[16];
    if (!lower_copy(t, b, e, key, sizeof key))
        return 0;
    size_t lo = 0, hi = sizeof abbrs / sizeof abbrs[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = (unsigned char)key[0] - (unsigned char)abbrs[mid].s[0];
        if (c == 0)
            c = strcmp(key, abbrs[mid].s);
        if (c == 0)
            return abbrs[mid].kind;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

/* End of the ASCII letters starting at t[i]. */
static size_t letters_end(const char *t, size_t i, size_t e)
{
    while (i < e && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z')))
        i++;
    return i;
}

/* The capitalised word n is one that typically opens a sentence ("How", "The", "It's"),
 * not a name, an initial ("A.") or an abbreviation. */
static int starts_sentence(const char *t, const struct tok *n)
{
    char key[16];
    if (n->fc != C_UPPER)
        return 0;
    size_t le = letters_end(t, n->cb, n->ce);
    if (le == n->cb || (le < n->ce && t[le] == '.'))
        return 0;
    if (!lower_copy(t, n->cb, le, key, sizeof key))
        return 0;
    size_t lo = 0, hi = sizeof starters / sizeof starters[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = (unsigned char)key[0] - (unsigned char)starters[mid][0];
        if (c == 0)
            c = strcmp(key, starters[mid]);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

/* The capitalised word n carries on a time ("5 p.m. Wednesday", "6 a.m. EST"): a day, a
 * month, a time zone written in capitals, or Eastern / Pacific / Central / Mountain. */
static int continues_time(const char *t, const struct tok *n)
{
    static const char *const words[] = {"april",    "august",  "central",  "december",  "eastern",
                                        "february", "friday",  "january",  "july",      "june",
                                        "march",    "may",     "monday",   "mountain",  "november",
                                        "october",  "pacific", "saturday", "september", "sunday",
                                        "thursday", "tuesday", "wednesday"};
    char key[16];
    size_t le = letters_end(t, n->cb, n->ce), caps = 0;
    if (n->fc != C_UPPER || !lower_copy(t, n->cb, le, key, sizeof key))
        return 0;
    while (n->cb + caps < le && t[n->cb + caps] >= 'A' && t[n->cb + caps] <= 'Z')
        caps++;
    if (caps == le - n->cb && caps >= 2 && caps <= 4)
        return 1;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(key, words[i]) == 0)
            return 1;
    return 0;
}

/* "U.S", "e.g", "Ph.D": two or more groups of one or two letters joined by dots. */
static int multi_period(const char *t, size_t b, size_t e)
{
    size_t groups = 0, i = b;
    while (i < e) {
        size_t le = letters_end(t, i, e);
        if (le == i || le - i > 2)
            return 0;
        groups++;
        i = le;
        if (i < e && t[i++] != '.')
            return 0;
        if (i == e && t[e - 1] == '.')
            return 0;
    }
    return groups >= 2;
}

/* A number such as "100.00", "$5", "1026.253.553": digits, no letters. */
static int is_number(const char *t, size_t b, size_t e)
{
    int digit = 0;
    for (size_t i = b; i < e; i++) {
        char c = t[i];
        if (c >= '0' && c <= '9')
            digit = 1;
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return 0;
    }
    return digit;
}

static int roman_value(const char *t, size_t b, size_t e)
{
    int v = 0;
    for (size_t i = b; i < e; i++) {
        int d = t[i] == 'i' ? 1 : t[i] == 'v' ? 5 : t[i] == 'x' ? 10 : 0;
        int next = i + 1 < e ? (t[i + 1] == 'v' ? 5 : t[i + 1] == 'x' ? 10 : 1) : 0;
        if (!d)
            return 0;
        v += d < next ? -d : d;
    }
    return v > 0 ? v : 0;
}

static int parse_marker(const char *t, size_t b, size_t e, struct marker *m)
{
    size_t n, i = b;
    memset(m, 0, sizeof *m);
    while (i < e && (n = bullet_len(t, i, e)))
        i += n;
    if (i < e && t[i] >= '0' && t[i] <= '9') {
        m->kind = 1;
        m->value = t[i++] - '0';
        if (i < e && t[i] >= '0' && t[i] <= '9')
            m->value = m->value * 10 + (t[i++] - '0');
    } else if (i < e && t[i] >= 'a' && t[i] <= 'z') {
        size_t le = letters_end(t, i, e);
        if (le - i > 4)
            return 0;
        m->kind = 2;
        m->value = le - i == 1 ? t[i] : 0;
        m->roman = roman_value(t, i, le);
        if (!m->value && !m->roman)
            return 0;
        i = le;
    } else {
        return 0;
    }
    if (e - i == 1 && t[i] == '.')
        m->suffix = 1;
    else if (e - i == 1 && t[i] == ')')
        m->suffix = 2;
    else if (e - i == 2 && t[i] == '.' && t[i + 1] == ')')
        m->suffix = 3;
    else
        m->kind = 0;
    return m->kind != 0;
}

/* m is the list item after the one want was made from. */
static int marker_follows(const struct marker *want, const struct marker *m)
{
    if (!want->kind || m->kind != want->kind || m->suffix != want->suffix)
        return 0;
    return (m->value && m->value == want->value) || (m->roman && m->roman == want->roman);
}

/* ---- decisions ---- */

/* The core of word n folded to lower case (Unicode) into key, letters and inner dots only
 * (closing punctuation dropped); 0 when it does not fit. */
static size_t fold_core(const char *t, size_t b, size_t e, char *key, size_t cap, int whole)
{
    size_t i = b, n = 0;
    while (i < e) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)t + i, (utf8proc_ssize_t)(e - i), &cp);
        if (k <= 0)
            return 0;
        if (!utf8proc_isupper(cp) && !utf8proc_islower(cp) && cp != '.' &&
            utf8proc_category(cp) != UTF8PROC_CATEGORY_LO &&
            utf8proc_category(cp) != UTF8PROC_CATEGORY_MN && cp != 0xB0 && cp != 0xBA) {
            if (whole && (cp == '\'' || cp == 0x2019) && n) {
                n = 0; /* an elided article: "l'Avv." is "avv" */
                i += (size_t)k;
                continue;
            }
            if (whole)
                return 0; /* "tel.:0123": no abbreviation */
            break;
        }
        if (n + 4 >= cap)
            return 0;
        n += (size_t)utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)key + n);
        i += (size_t)k;
    }
    while (n && key[n - 1] == '.')
        n--;
    key[n] = 0;
    return n;
}

/* Another language: the capitalised word n usually opens a sentence (one of the language's
 * stop words: "Die", "El", "Он"), so the period before it ends one. */
static int starts_sentence_lang(const char *t, const struct tok *n, const struct lede_lang *lang)
{
    char key[64];
    if (n->fc != C_UPPER)
        return 0;
    size_t k = fold_core(t, n->cb, n->ce, key, sizeof key, 0);
    if (!k || memchr(key, '.', k))
        return 0;
    return lede_lang_is_stop(lang, key, k);
}

/* Another language: does a single period end the word c before the word n? The language's
 * abbreviations; ordinals ("am 3. Oktober") where the language writes them with a period. */
static int period_splits_lang(const char *t, const struct tok *c, const struct tok *n,
                              unsigned nwords, const struct lede_lang *lang)
{
    struct marker m;
    char key[64];
    size_t b = c->cb, e = c->tb;
    if (nwords == 1 && parse_marker(t, b, c->ce, &m))
        return 0;
    if (is_number(t, b, e)) {
        if ((lang->flags & LEDE_LANG_ORDINAL) && e - b <= 2) /* "am 3. Oktober", "1. -3." */
            return n->fc == C_UPPER && starts_sentence_lang(t, n, lang); /* not "um 3. Die" */
        return 1;
    }
    size_t k = fold_core(t, b, e, key, sizeof key, 1);
    int a = k ? lede_lang_abbr_kind(lang, key, k) : 0;
    if (!a) { /* English abbreviations turn up in every language's news ("Mr.", "No.") */
        int ea = abbr_kind(t, b, e);
        a = ea == A_TITLE ? LEDE_ABBR_TITLE
            : ea == A_NUM ? LEDE_ABBR_NUM
            : ea          ? LEDE_ABBR_NORMAL
                          : 0;
    }
    if (a == LEDE_ABBR_TITLE)
        return 0;
    if (a == LEDE_ABBR_NUM)
        return n->fc != C_DIGIT;
    /* one letter ("J. Smith", "z. B."), an abbreviation, or letters joined by dots ("u.a.") */
    size_t letters = 0;
    for (size_t i = 0; i < k; i++)
        letters += ((unsigned char)key[i] & 0xC0) != 0x80 && key[i] != '.';
    if (a == LEDE_ABBR_NORMAL || letters == 1 || (k && memchr(key, '.', k))) {
        if (n->fc == C_DIGIT || nwords == 1)
            return 0;
        if (letters == 1 && n->ce > n->cb && t[n->ce - 1] == '.' &&
            fold_core(t, n->cb, n->ce, key, sizeof key, 0) &&
            utf8proc_iterate((const utf8proc_uint8_t *)key, (utf8proc_ssize_t)strlen(key),
                             &(utf8proc_int32_t){0}) == (utf8proc_ssize_t)strlen(key))
            return 0; /* initials: "А. И. Семенов" */
        return starts_sentence_lang(t, n, lang);
    }
    return 1;
}

/* Cased text: does a single period end the word c before the word n? */
static int period_splits(const char *t, const struct tok *c, const struct tok *n, unsigned nwords)
{
    struct marker m;
    size_t b = c->cb, e = c->tb;
    if (nwords == 1 && parse_marker(t, b, c->ce, &m))
        return 0; /* "1. The first item", "a. The ..." */
    if (is_number(t, b, e))
        return 1;
    if (e - b == 1 && ((t[b] >= 'a' && t[b] <= 'z') || (t[b] >= 'A' && t[b] <= 'Z'))) {
        /* an initial ("Jonas E. Smith"), "p. 55", or a last word ("you and I. Did") */
        if (nwords == 1 || n->fc == C_DIGIT)
            return 0;
        return starts_sentence(t, n);
    }
    int a = abbr_kind(t, b, e);
    if (a == A_TITLE)
        return 0;
    if (a == A_TIME) /* "At 5 a.m. Mr. Smith went": a short opening phrase is no sentence */
        return nwords > 3 && n->fc == C_UPPER && !continues_time(t, n);
    if (a == A_NORMAL || multi_period(t, b, e))
        return n->fc != C_DIGIT && starts_sentence(t, n);
    return a != A_NUM || n->fc != C_DIGIT;
}

/* Cased text: is there a boundary between c and n? */
static int split_cased(const char *t, size_t len, const struct marker *want, const struct tok *c,
                       const struct tok *n, unsigned nwords, const struct lede_lang *lang)
{
    struct marker m;
    if (c->acomma) /* Arabic: "، X،" is a list, any other comma or colon ends a sentence */
        return !n->acomma || n->ntok != 1;
    if (c->kind == K_BULLET)
        return 0;
    if (n->kind == K_BULLET || n->bullet)
        return 1;
    if (want->kind && n->kind == K_WORD && peek_class(t, n->e, len) == C_UPPER &&
        parse_marker(t, n->b, n->e, &m) && marker_follows(want, &m))
        return 1; /* "1) The first item 2) The second item" */
    if (c->kind == K_PUNCT) {
        if (c->qmark)
            return n->fc != C_LOWER;
        if (c->lone) { /* ". . ." is an ellipsis, ". . . ." a period and an ellipsis */
            if (c->ntok == 3)
                return 0;
            return c->ntok == 1 || n->fc != C_LOWER;
        }
        return c->ndots >= 4 && n->fc != C_LOWER;
    }
    if (c->tb == c->ce)
        return 0;
    if (c->qmark)
        return n->fc != C_LOWER;
    if (t[c->tb - 1] == '(' || t[c->tb - 1] == '[')
        return 0;
    if (n->kind == K_PUNCT) /* "compounds. . . . The": the period ends it, ". . ." opens the next */
        return c->ndots == 1 && n->lone && n->ntok == 3 && peek_class(t, n->e, len) == C_UPPER;
    if (n->fc == C_LOWER)
        return 0;
    if (c->ndots == 3)
        return n->fc == C_UPPER;
    if (c->ndots != 1)
        return 1;
    if (lang)
        return period_splits_lang(t, c, n, nwords, lang);
    return period_splits(t, c, n, nwords);
}

/* PTB text: only terminators standing alone end a sentence; ". . ." and "..." do not. */
static int split_ptb(const struct tok *c)
{
    if (c->kind != K_PUNCT)
        return 0;
    return c->qmark || c->ndots != 3;
}

/* PTB style when stand-alone punctuation (" , " " . ") outnumbers attached (", " ". ") in the
 * first 2 KiB, or as soon as one leads by more than 12. Dots next to other dots are ellipses
 * and do not count. */
struct ptb_count {
    long spaced, attached;
};

/* Counts the stop character t[i] (0 < i); true once the style is plain. */
static HOT int ptb_stop(const char *t, size_t len, size_t i, struct ptb_count *k)
{
    char c = t[i];
    if (i + 1 < len && !is_ascii_space((unsigned char)t[i + 1]))
        return 0;
    if (c == '.' &&
        (t[i - 1] == '.' || (i >= 2 && t[i - 2] == '.') || (i + 2 < len && t[i + 2] == '.')))
        return 0;
    if (t[i - 1] == ' ')
        k->spaced++;
    else
        k->attached++;
    /* the style is plain already: no need to read the whole 2 KiB */
    return k->spaced > k->attached + 12 || k->attached > k->spaced + 12;
}

static int detect_ptb(const char *t, size_t len)
{
    size_t n = len < 2048 ? len : 2048, i = 1;
    struct ptb_count k = {0, 0};
    static const unsigned char stop[256] = {
        [','] = 1, ['.'] = 1, ['?'] = 1, ['!'] = 1, [';'] = 1, [':'] = 1};
#ifdef __SSE2__
    /* Sixteen bytes at a time to the stop characters: ',' and '.' are 0x2E once 0x02 is set,
     * ':' and ';' 0x3B once 0x01 is. */
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
        __m128i x =
            _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x02)), _mm_set1_epi8(0x2E)),
                         _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x01)), _mm_set1_epi8(0x3B)));
        x = _mm_or_si128(x, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('?')),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('!'))));
        for (unsigned m = (unsigned)_mm_movemask_epi8(x); m; m &= m - 1)
            if (ptb_stop(t, len, i + (size_t)__builtin_ctz(m), &k))
                return k.spaced > k.attached;
    }
#endif
    for (; i < n; i++)
        if (stop[(unsigned char)t[i]] && ptb_stop(t, len, i, &k))
            break;
    return k.spaced > k.attached;
}

/* ---- the fast path ---- */

/* A word the loop below would pass over: no quotes, brackets, bullets or terminators. */
static int plain_tok(const struct tok *k)
{
    return k->kind == K_WORD && !k->bullet && k->cb == k->b && k->ce == k->e && k->tb == k->ce;
}

/* Bytes that may sit inside a plain word: printable ASCII but space. */
/* Most words cannot end a sentence: a run of ASCII words from letter or digit to letter or
 * digit, separated by spaces or tabs, is passed over here without the full reader. cur is the
 * word before them, not yet counted (the caller has counted at least one word of this
 * sentence); on return cur is the last word passed over, not yet counted, and the reader
 * stands after it, exactly as if each word had been read and counted one by one. */
#ifdef __SSE2__
/* Masks of the thirty-two bytes at t: space or tab (*sp), printable ASCII but space (*pr), and
 * ASCII letters and digits (*an). */
static HOT void plain_masks(const unsigned char *t, uint32_t *sp, uint32_t *pr, uint32_t *an)
{
    uint32_t m[3][2];
    for (int h = 0; h < 2; h++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + 16 * h));
        __m128i s = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
        /* x - lo <= hi - lo (unsigned) as min(x - lo, hi - lo) == x - lo */
        __m128i q = _mm_sub_epi8(v, _mm_set1_epi8(0x21));
        __m128i p = _mm_cmpeq_epi8(_mm_min_epu8(q, _mm_set1_epi8(0x7E - 0x21)), q);
        __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
        __m128i l = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
        __m128i a = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d),
                                 _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l));
        m[0][h] = (uint32_t)_mm_movemask_epi8(s);
        m[1][h] = (uint32_t)_mm_movemask_epi8(p);
        m[2][h] = (uint32_t)_mm_movemask_epi8(a);
    }
    *sp = m[0][0] | m[0][1] << 16;
    *pr = m[1][0] | m[1][1] << 16;
    *an = m[2][0] | m[2][1] << 16;
}
#endif

static void skip_plain(struct reader *r, struct tok *cur, unsigned *nwords, int *content)
{
    const unsigned char *t = (const unsigned char *)r->t;
    size_t len = r->len, i = r->i, n = 0, wb = 0;
    int done = 0;
#ifdef __SSE2__
    /* Thirty-two bytes at a time while a byte after them is left: the words the loop below
     * would pass over are the runs of printable bytes with a space or tab on each side, a
     * letter or digit at each end, that end before the first byte that would stop it (any
     * other byte; a run's first or last byte that is neither letter nor digit). Then the
     * loop below goes on from the last of them, just as if it had passed over each. */
    if (i < len && (t[i] == ' ' || t[i] == '\t')) {
        size_t ws = 0; /* start of the last run begun in a block before this one */
        for (size_t b = i; b + 33 <= len; b += 32) {
            uint32_t sp, pr, an;
            plain_masks(t + b, &sp, &pr, &an);
            /* t[b - 1] is a space or tab only past the first block, where bit 0 is one. */
            uint32_t before = sp << 1 | (b > i && (t[b - 1] == ' ' || t[b - 1] == '\t'));
            uint32_t after = sp >> 1 | (uint32_t)(t[b + 32] == ' ' || t[b + 32] == '\t') << 31;
            uint32_t starts = pr & before, ends = pr & after;
            uint32_t stop = ~(sp | pr) | ((starts | ends) & ~an);
            if (stop) /* only the runs that end before it */
                ends &= (1u << __builtin_ctz(stop)) - 1;
            if (ends) {
                unsigned k = 31u - (unsigned)__builtin_clz(ends);
                uint32_t st = starts & (k == 31 ? ~0u : (2u << k) - 1);
                wb = st ? b + 31u - (unsigned)__builtin_clz(st) : ws;
                i = b + k + 1;
                for (; ends; ends &= ends - 1)
                    n++;
            }
            if (stop) {
                done = 1; /* the loop below would stop at its first word */
                break;
            }
            if (starts)
                ws = b + 31u - (unsigned)__builtin_clz(starts);
        }
    }
#endif
    while (!done) {
        size_t j = i;
        while (j < len && (t[j] == ' ' || t[j] == '\t'))
            j++;
        if (j == i || j >= len || !ascii_class[t[j]])
            break;
        size_t e = inner_end(t, j + 1, len);
        if (e >= len || (t[e] != ' ' && t[e] != '\t') || !ascii_class[t[e - 1]])
            break;
        n++;
        wb = j;
        i = e;
    }
    if (!n)
        return;
    /* cur is each word in turn: only the last one's fields remain, so they are set once. */
    *nwords = n < (size_t)(UINT_MAX - *nwords) ? *nwords + (unsigned)n : UINT_MAX;
    *content = 1;
    cur->b = cur->cb = wb;
    cur->e = cur->ce = cur->tb = i;
    cur->fc = ascii_class[t[wb]];
    r->last = t[i - 1];
    r->i = i;
}

int lede_segment_split(const char *text, size_t len, struct lede_spans *out)
{
    return lede_segment_split_lang(text, len, NULL, out);
}

int lede_segment_split_lang(const char *text, size_t len, const struct lede_lang *lang,
                            struct lede_spans *out)
{
    struct reader r = {0};
    struct tok toks[2], *cur = &toks[0], *nxt = &toks[1], *swap;
    struct marker want = {0}, m;
    unsigned nwords = 0;
    size_t start, first;
    int nl, rc, content = 0, joinable = 0;

    if (!out || (!text && len))
        return LEDE_EINVAL;
    r.t = text;
    r.len = len;
    r.pk_b = SIZE_MAX;
    if (lang && strcmp(lang->code, "en") != 0) {
        r.lang = lang;
        r.lf = lang->flags | L_EXTRA;
    }
    r.ptb = detect_ptb(text, len);
    if (!read_tok(&r, cur, &nl))
        return LEDE_OK;
    start = cur->b;
    first = out->n;
    for (;;) {
        int have = read_tok(&r, nxt, &nl);
        if (cur->kind != K_BULLET && nwords < UINT_MAX)
            nwords++;
        content |= cur->kind == K_WORD && cur->cb < cur->ce;
        if (!r.ptb && nwords == 1 && cur->kind == K_WORD &&
            parse_marker(text, cur->b, cur->e, &m)) {
            want = m;
            want.value += m.value ? 1 : 0;
            want.roman += m.roman ? 1 : 0;
        }
        int brk =
            !have || nl ||
            (r.ptb ? split_ptb(cur) : split_cased(text, len, &want, cur, nxt, nwords, r.lang));
        if (brk) {
            if (!content && joinable && out->n > first) {
                /* only quotes and stops ("' ." after a sentence): they close the last one */
                struct lede_span *last = &out->v[out->n - 1];
                last->length = cur->e - last->offset;
            } else if ((rc = lede_spans_push(out, start, cur->e - start))) {
                return rc;
            }
            nwords = 0;
            content = 0;
            joinable = !nl;
            if (have)
                start = nxt->b;
        }
        if (nl)
            want.kind = 0;
        if (!have)
            break;
        swap = cur;
        cur = nxt;
        nxt = swap;
        if (!want.kind && nwords >= 1 && plain_tok(cur))
            skip_plain(&r, cur, &nwords, &content);
    }
    return LEDE_OK;
}
