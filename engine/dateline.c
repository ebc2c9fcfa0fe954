/* dateline.c: datelines and agency tags of the non-English press (see dateline.h). Only ever
 * a prefix or a suffix of a paragraph is cut, so regions stay slices of the body. */
#include "dateline.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "lang.h"

/* Agencies quoted in every language's press; each language adds its own (lang/<code>.txt). */
static const char *const common_agencies[] = {
    "aa",
    "afp",
    "ansa",
    "ap",
    "apa",
    "bta",
    "ctk",
    "dpa",
    "efe",
    "epa",
    "europa press",
    "hina",
    "iha",
    "dha",
    "kna",
    "lusa",
    "mti",
    "pap",
    "reuters",
    "sda",
    "sita",
    "tanjug",
    "tass",
    "tt",
    "ntb",
    "ritzau",
    "stt",
    "belga",
    "anp",
    "kyodo",
    "xinhua",
    "yonhap",
    "ria novosti",
    "интерфакс",
    "тасс",
    "итар-тасс",
    "риа новости",
    "anadolu",
    "notimex",
    "télam",
    "agencia brasil",
    "ap/dpa",
    "afp/dpa",
    "dpa/afp",
    "reuters/dpa",
    "agências",
    "agencias",
    "agenzie",
    "agences",
    NULL,
};

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Case-folds s[0..n) into out (cap bytes); 0 when it does not fit. */
static size_t fold(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, k = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) { /* ASCII: utf8proc's lower case, without the call */
            if (k + 4 >= cap)
                return 0;
            out[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t l =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (l <= 0 || k + 4 >= cap)
            return 0;
        k += (size_t)utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)out + k);
        i += (size_t)l;
    }
    out[k] = 0;
    return k;
}

/* s[0..n) (trimmed) is a place as datelines print it: capitals and spaces, a word or three. */
static bool capital_place(const char *s, size_t n)
{
    size_t letters = 0, spaces = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            letters++;
        else if (c == ' ')
            spaces += letters > 0;
        else
            return false;
    }
    return letters >= 2 && spaces <= 3;
}

/* key[0..k), folded, is in lang's own table of its press. */
static bool own_agency(const char *key, size_t k, const struct lede_lang *lang)
{
    return lang && lang->n_agency && lede_lang_in(lang->agency, lang->n_agency, key, k);
}

/* s[0..n) (trimmed) names an agency. */
static bool is_agency(const char *s, size_t n, const struct lede_lang *lang)
{
    char key[96];
    while (n && is_space((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && is_space((unsigned char)s[n - 1]))
        n--;
    size_t k = n ? fold(s, n, key, sizeof key) : 0;
    if (!k)
        return false;
    for (int i = 0; common_agencies[i]; i++) /* the first byte first: most differ there */
        if (common_agencies[i][0] == key[0] && !strcmp(common_agencies[i], key))
            return true;
    return own_agency(key, k, lang);
}

/* q[0] is a capital and q[1] a small letter (ASCII): "Ri...", "Ji..." */
static bool capitalised(const char *q)
{
    return q[0] >= 'A' && q[0] <= 'Z' && q[1] >= 'a' && q[1] <= 'z';
}

/* p[0..i) is one of lang's own agencies written as a name ("Rimanews", not "EFE"), and p[i] is
 * a dash against a capitalised word ("-Jika", not "-TV"). */
static bool name_against_word(const char *p, size_t n, size_t i, const struct lede_lang *lang)
{
    if (i < 2 || i + 2 >= n || !capitalised(p) || !capitalised(p + i + 1))
        return false;
    char key[96];
    size_t k = fold(p, i, key, sizeof key);
    return k && own_agency(key, k, lang);
}

static bool has(const char *p, size_t n, size_t i, const char *w)
{
    size_t k = strlen(w);
    return i + k <= n && !memcmp(p + i, w, k);
}

/* Past white space and one dash-like separator (".-", "-", "–", "—", ":", "="), with white
 * space around it. */
static size_t past_separator(const char *p, size_t n, size_t i)
{
    while (i < n && is_space((unsigned char)p[i]))
        i++;
    if (has(p, n, i, ".-") || has(p, n, i, ".\xE2\x80\x93") || has(p, n, i, ".\xE2\x80\x94"))
        i += p[i + 1] == '-' ? 2 : 4;
    else if (has(p, n, i, "--"))
        i += 2;
    else if (has(p, n, i, "\xE2\x80\x93") || has(p, n, i, "\xE2\x80\x94"))
        i += 3;
    else if (i < n && (p[i] == '-' || p[i] == ':' || p[i] == '=' || p[i] == '.'))
        i++;
    while (i < n && is_space((unsigned char)p[i]))
        i++;
    return i;
}

/* "(서울=연합뉴스) 홍길동 기자 = ": past a reporter's byline that ends in 기자 = or 특파원 =. */
static size_t korean_byline(const char *p, size_t n, size_t i)
{
    size_t lim = i + 60 < n ? i + 60 : n;
    for (size_t j = i; j < lim; j++)
        if (p[j] == '=' && j > i) {
            size_t b = j;
            while (b > i && is_space((unsigned char)p[b - 1]))
                b--;
            if ((b >= i + 6 && !memcmp(p + b - 6, "\xEA\xB8\xB0\xEC\x9E\x90", 6)) || /* 기자 */
                (b >= i + 9 && !memcmp(p + b - 9, "\xED\x8A\xB9\xED\x8C\x8C\xEC\x9B\x90", 9)))
                return past_separator(p, n, j); /* 특파원 */
            return i;
        }
    return i;
}

#define ONES        0x0101010101010101ull
#define HIGHS       0x8080808080808080ull
#define HAS_ZERO(v) (((v)-ONES) & ~(v)&HIGHS)

/* Whether p[from..to) holds a byte that may start an agency tag the loop of
 * lede_dateline_prefix looks for: '(' or '/' (a tag) or '-' or 0xE2 (a dash: "-", "–", "—").
 * Without one the loop cannot find a dateline; most paragraphs have none, and this reads
 * sixteen or eight bytes at a time. */
static bool may_tag(const char *p, size_t from, size_t to)
{
    size_t i = from;
#ifdef __SSE2__
    for (; i + 16 <= to; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('(')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('/'))),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('\xE2'))));
        if (_mm_movemask_epi8(m))
            return true;
    }
#endif
    for (; i + 8 <= to; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (HAS_ZERO(w ^ (ONES * '(')) | HAS_ZERO(w ^ (ONES * '/')) | HAS_ZERO(w ^ (ONES * '-')) |
            HAS_ZERO(w ^ (ONES * 0xE2)))
            return true;
    }
    for (; i < to; i++)
        if (p[i] == '(' || p[i] == '/' || p[i] == '-' || (unsigned char)p[i] == 0xE2)
            return true;
    return false;
}

size_t lede_dateline_prefix(const char *p, size_t n, const struct lede_lang *lang)
{
    size_t lim = n < 160 ? n : 160;
    /* 新华社北京12月1日电（记者 王明）, 中新社, 中新网: up to 电, then a bracketed byline. */
    if (has(p, n, 0, "\xE6\x96\xB0\xE5\x8D\x8E\xE7\xA4\xBE") || /* 新华社 */
        has(p, n, 0, "\xE4\xB8\xAD\xE6\x96\xB0\xE7\xA4\xBE") || /* 中新社 */
        has(p, n, 0, "\xE4\xB8\xAD\xE6\x96\xB0\xE7\xBD\x91")) { /* 中新网 */
        for (size_t i = 9; i + 3 <= lim && i < 90; i++)
            if (has(p, n, i, "\xE7\x94\xB5")) { /* 电 */
                size_t e = i + 3;
                while (e < n && is_space((unsigned char)p[e]))
                    e++;
                bool full = has(p, n, e, "\xEF\xBC\x88"); /* （ */
                if (full || (e < n && p[e] == '(')) {
                    const char *close = full ? "\xEF\xBC\x89" : ")";
                    for (size_t j = e; j < n && j < e + 90; j++)
                        if (has(p, n, j, close)) {
                            e = j + strlen(close);
                            break;
                        }
                }
                while (e < n && is_space((unsigned char)p[e]))
                    e++;
                return e < n ? e : 0;
            }
        return 0;
    }
    /* 【ワシントン共同】, 【北京時事】 */
    if (has(p, n, 0, "\xE3\x80\x90")) {
        for (size_t i = 3; i + 3 <= lim && i < 60; i++)
            if (has(p, n, i, "\xE3\x80\x91")) {
                size_t e = i + 3;
                while (e < n && is_space((unsigned char)p[e]))
                    e++;
                return e < n ? e : 0;
            }
        return 0;
    }
    /* (서울=연합뉴스), (Lisboa=Lusa): a place and an agency joined by '=' */
    if (p[0] == '(') {
        for (size_t i = 1; i < lim; i++) {
            if (p[i] == ')' || p[i] == '(')
                break;
            if (p[i] == '=') {
                size_t j = i + 1;
                while (j < lim && p[j] != ')')
                    j++;
                if (j < lim && is_agency(p + i + 1, j - i - 1, lang)) {
                    size_t e = korean_byline(p, n, past_separator(p, n, j + 1));
                    return e < n ? e : 0;
                }
                break;
            }
        }
    }
    /* A short place (and date) before an agency tag: "MADRID, 12 jun (EFE).-",
     * "МОСКВА, 1 декабря. /ТАСС/.", "Berlin (dpa) -", "ANKARA (AA) -". At most eight words,
     * no sentence ended before it (a period may follow a date: "1 декабря."). The loop
     * below reads '(' and '/' at p[1..lim) and a dash at p[2..lim], so none there, none. */
    if (!may_tag(p, 1, lim + 1 < n ? lim + 1 : n))
        return 0;
    size_t words = 0;
    for (size_t i = 0; i < lim; i++) {
        unsigned char c = (unsigned char)p[i];
        if (i == 0 || is_space((unsigned char)p[i - 1]))
            words += !is_space(c);
        if (words > 8 || c == '!' || c == '?' || c == '"' || c == '\n')
            return 0;
        char open = c == '(' ? ')' : c == '/' ? '/' : 0;
        if (open && i > 0) {
            size_t j = i + 1;
            while (j < lim && p[j] != open && p[j] != '(')
                j++;
            if (j >= lim || p[j] != open || !is_agency(p + i + 1, j - i - 1, lang))
                continue;
            size_t e = past_separator(p, n, j + 1);
            return e < n ? e : 0;
        }
        /* "Jakarta, CNN Indonesia -- ", "Rimanews - ": a place and a comma (or nothing) and
         * an agency's name before a dash */
        if (c == ' ' && i > 0 && i + 2 < n &&
            (has(p, n, i + 1, "-- ") || has(p, n, i + 1, "- ") ||
             has(p, n, i + 1, "\xE2\x80\x93 ") || has(p, n, i + 1, "\xE2\x80\x94 "))) {
            size_t b = i;
            while (b > 0 && p[b - 1] != ',')
                b--;
            if (is_agency(p + b, i - b, lang)) {
                size_t e = past_separator(p, n, i);
                return e < n ? e : 0;
            }
        }
        /* "ASSEN, JUARA.net-MotoGP ...", "JUARA.NET, KUALA LUMPUR-Tim ...": a place and an
         * agency, either way round, a comma between them and a dash against the story; */
        if (c == '-' && i > 0 && !is_space((unsigned char)p[i - 1]) && i + 1 < n &&
            !is_space((unsigned char)p[i + 1]) && p[i + 1] != '-') {
            size_t comma = 0;
            while (comma < i && p[comma] != ',')
                comma++;
            size_t b = i;
            while (b > comma && p[b - 1] != ',')
                b--;
            /* or a site's name alone: "JUARA.net-Musim ..." (with its dot: "AP-NORC" stays), or
             * one of this language's press written as a name, not an acronym, against a
             * capitalised word: "Rimanews-Jika ..." ("EFE-Agro" stays) */
            bool site = comma == i && (memchr(p, '.', i) ? is_agency(p, i, lang)
                                                         : name_against_word(p, n, i, lang));
            if (site || (comma < i && b == comma + 1 &&
                         (is_agency(p + b, i - b, lang) ||
                          (capital_place(p + b, i - b) && is_agency(p, comma, lang))))) {
                size_t e = past_separator(p, n, i);
                return e < n ? e : 0;
            }
        }
        if (c == '.' && i + 1 < n && p[i + 1] == ' ' && i > 0 &&
            !(p[i - 1] >= '0' && p[i - 1] <= '9') && (unsigned char)p[i - 1] < 0x80 &&
            !(i + 2 < n && p[i + 2] == '/'))
            return 0; /* a sentence ended; "12 jun." or a Cyrillic date before "/ТАСС/" may pass */
    }
    return 0;
}

size_t lede_dateline_trailing(const char *p, size_t n, const struct lede_lang *lang)
{
    size_t e = n;
    while (e > 0 && (is_space((unsigned char)p[e - 1]) || p[e - 1] == '.'))
        e--;
    if (e == 0)
        return n;
    char close = p[e - 1];
    if (close == ')' || close == '/') {
        char open = close == ')' ? '(' : '/';
        size_t b = e - 1, stop = e > 60 ? e - 60 : 0;
        while (b > stop && p[b - 1] != open)
            b--;
        if (b == stop || p[b - 1] != open || !is_agency(p + b, e - 1 - b, lang))
            return n;
        b--;
        while (b > 0 && is_space((unsigned char)p[b - 1]))
            b--;
        return b;
    }
    /* a bare agency name closing the story: "... dijo. EFE" (the cheap tests first: this
     * runs on every paragraph, and the look-up folds the word) */
    size_t b = e;
    while (b > 0 && !is_space((unsigned char)p[b - 1]))
        b--;
    if (b == 0 || e - b > 12)
        return n;
    size_t k = b;
    while (k > 0 && is_space((unsigned char)p[k - 1]))
        k--;
    if (k == 0 || (p[k - 1] != '.' && p[k - 1] != '!' && p[k - 1] != '?' && p[k - 1] != '"'))
        return n; /* only after a finished sentence */
    for (size_t i = b; i < e; i++)
        if ((unsigned char)p[i] >= 'a' && (unsigned char)p[i] <= 'z')
            return n; /* written in capitals, as agencies sign */
    return is_agency(p + b, e - b, lang) ? k : n;
}
