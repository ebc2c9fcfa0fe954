/* lang.c: look-ups in the generated per-language tables (lang_tables.c, from lang/<code>.txt) and
 * the script-based guess used when no language detector was given to the engine. */
#include "lang.h"

#include <string.h>
#include <utf8proc.h>

/* From the generated lang_tables.c. */
extern const struct lede_lang lede_lang_tables[];
extern const size_t lede_lang_count;
extern const char *const lede_lang_code_list[];

const struct lede_lang *lede_lang_find(const char *code)
{
    if (!code || !*code)
        return NULL;
    for (size_t i = 0; i < lede_lang_count; i++)
        if (!strcmp(lede_lang_tables[i].code, code) || !strcmp(lede_lang_tables[i].name, code))
            return &lede_lang_tables[i];
    return NULL;
}

const char *const *lede_lang_codes(void)
{
    return lede_lang_code_list;
}

size_t lede_lang_count_all(void)
{
    return lede_lang_count;
}

const struct lede_lang *lede_lang_at(size_t i)
{
    return i < lede_lang_count ? &lede_lang_tables[i] : NULL;
}

/* The order of the entry e (NUL-terminated) and w[0..n) as memcmp over the shorter length, then
 * the lengths, would give it: one pass over the bytes, no strlen (the tokenizer asks this for
 * every new word). Bytes, not strncmp: w may hold a NUL (found by fuzz_engine: strncmp stopped
 * there and a shorter entry was read past its end); e's own NUL ends e, w's does not end w. */
static inline int entry_cmp(const char *e, const char *w, size_t n)
{
    const unsigned char *a = (const unsigned char *)e, *b = (const unsigned char *)w;
    for (size_t k = 0; k < n; k++) {
        if (!a[k])
            return -1; /* e is a proper prefix of w */
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    }
    return a[n] != 0; /* w is a prefix of e, or equal */
}

bool lede_lang_in(const char *const *list, size_t count, const char *w, size_t n)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = entry_cmp(list[mid], w, n);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool lede_lang_is_stop(const struct lede_lang *lang, const char *w, size_t n)
{
    return lede_lang_in(lang->stop, lang->n_stop, w, n);
}

int lede_lang_abbr_kind(const struct lede_lang *lang, const char *w, size_t n)
{
    size_t lo = 0, hi = lang->n_abbr;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(lang->abbr[mid].s, w, n);
        if (c == 0 && lang->abbr[mid].s[n] != '\0')
            c = 1;
        if (c == 0)
            return lang->abbr[mid].kind;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

enum {
    S_LATIN,
    S_HAN,
    S_KANA,
    S_HANGUL,
    S_ARABIC,
    S_GREEK,
    S_CYRILLIC,
    S_ARMENIAN,
    S_HEBREW,
    S_DEVANAGARI,
    S_TAMIL,
    S_COUNT
};

static int script_of(int32_t cp)
{
    if (cp < 0x370)
        return S_LATIN;
    if (cp < 0x400)
        return S_GREEK;
    if (cp < 0x530)
        return S_CYRILLIC;
    if (cp < 0x590)
        return S_ARMENIAN;
    if (cp < 0x600)
        return S_HEBREW;
    if (cp < 0x780 || (cp >= 0x8A0 && cp < 0x900) || (cp >= 0xFB50 && cp < 0xFE00) ||
        (cp >= 0xFE70 && cp < 0xFF00))
        return S_ARABIC;
    if (cp >= 0x900 && cp < 0x980)
        return S_DEVANAGARI;
    if (cp >= 0xB80 && cp < 0xC00)
        return S_TAMIL;
    if (cp >= 0x3040 && cp < 0x3100)
        return S_KANA;
    if ((cp >= 0xAC00 && cp < 0xD7B0) || (cp >= 0x1100 && cp < 0x1200) ||
        (cp >= 0x3130 && cp < 0x3190))
        return S_HANGUL;
    if ((cp >= 0x4E00 && cp < 0xA000) || (cp >= 0x3400 && cp < 0x4DC0) ||
        (cp >= 0x20000 && cp < 0x2FA20) || (cp >= 0xF900 && cp < 0xFB00))
        return S_HAN;
    return S_LATIN;
}

const struct lede_lang *lede_lang_guess_script(const char *text, size_t len, size_t max,
                                               double *share)
{
    static const char *const codes[S_COUNT] = {"en", "zh", "ja", "ko", "ar", "el",
                                               "ru", "hy", "yi", "hi", "ta"};
    size_t count[S_COUNT] = {0}, letters = 0, i = 0;
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)text;
    if (len > max)
        len = max;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0)
            break; /* a code point cut by max: the rest is not read */
        i += (size_t)k;
        utf8proc_category_t c = utf8proc_category(cp);
        if (c < UTF8PROC_CATEGORY_LU || c > UTF8PROC_CATEGORY_LO)
            continue;
        count[script_of(cp)]++;
        letters++;
    }
    int best = S_LATIN;
    /* Japanese mixes kana with Han: any real share of kana makes it Japanese. */
    if (count[S_KANA] * 10 >= count[S_HAN] + count[S_KANA] && count[S_KANA] > 0)
        count[S_KANA] += count[S_HAN];
    for (int k = 0; k < S_COUNT; k++)
        if (count[k] > count[best])
            best = k;
    if (share)
        *share = letters ? (double)count[best] / (double)letters : 0.0;
    return lede_lang_find(codes[best]);
}
