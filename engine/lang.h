/* lang.h: the per-language tables of the engine (stop words, abbreviations, openers, months and
 * weekdays, agency names, the Snowball stemmer's name and segmentation flags), generated at
 * build time from engine/lang/<code>.txt into const data: immutable, shared by every
 * thread, no file read. Also the fallback guess of a language from its script. */
#ifndef LEDE_LANG_H
#define LEDE_LANG_H

#include <stdbool.h>
#include <stddef.h>

enum lede_lang_flag {
    LEDE_LANG_ORDINAL = 1, /* "3. Oktober": a number and a period before a noun is an ordinal */
    LEDE_LANG_CJK = 2,     /* no spaces between words: character bigrams, 。！？ end sentences */
    LEDE_LANG_GREEK_Q = 4, /* ';' (and U+037E) is the question mark */
    LEDE_LANG_COMMA_SPLIT = 8, /* Arabic: '،' and ':' end a sentence unless a list follows */
    LEDE_LANG_COLON_STOP = 16, /* Armenian: ':' is written for the full stop '։' */
};

enum lede_abbr_kind {
    LEDE_ABBR_NUM = 1, /* an abbreviation only before a number ("Nr. 5") */
    LEDE_ABBR_NORMAL,  /* ends a sentence only before a word that usually starts one */
    LEDE_ABBR_TITLE,   /* never ends a sentence ("Dr.", "z.B.") */
};

struct lede_lang_abbr {
    const char *s; /* lower case, without the final dot ("z.b", "nr") */
    int kind;      /* enum lede_abbr_kind */
};

/* One language. Every list is case-folded and sorted in byte (strcmp) order. */
struct lede_lang {
    const char *code;    /* ISO 639-1: "de" */
    const char *name;    /* "german" */
    const char *stemmer; /* the Snowball algorithm, or NULL (zh, ja, ko) */
    unsigned flags;      /* enum lede_lang_flag */
    const char *const *stop;
    size_t n_stop;
    const struct lede_lang_abbr *abbr;
    size_t n_abbr;
    const char *const *opener; /* words that make a sentence lean on the one before */
    size_t n_opener;
    const char *const *calendar; /* months and weekdays */
    size_t n_calendar;
    const char *const *agency; /* news agencies of this language's press, lower case */
    size_t n_agency;
};

/* The table for an ISO 639-1 code or a Snowball name ("de", "german"), or NULL when the
 * language is not supported. Borrowed, static. */
const struct lede_lang *lede_lang_find(const char *code);
/* The supported codes, a NULL-terminated static list in alphabetical order. */
const char *const *lede_lang_codes(void);
/* Number of supported languages. */
size_t lede_lang_count_all(void);
/* The i-th table (i < lede_lang_count_all()), in the order of lede_lang_codes(). */
const struct lede_lang *lede_lang_at(size_t i);

/* True when the folded word w[0..n) is in the sorted list (n bytes, no NUL needed). */
bool lede_lang_in(const char *const *list, size_t count, const char *w, size_t n);
/* True when the folded word is one of lang's stop words. */
bool lede_lang_is_stop(const struct lede_lang *lang, const char *w, size_t n);
/* The kind of the abbreviation w[0..n) (lower case, no final dot) in lang, or 0. */
int lede_lang_abbr_kind(const struct lede_lang *lang, const char *w, size_t n);

/* A guess from the script of the first letters of text[0..len) (valid UTF-8): Han -> zh,
 * kana -> ja, Hangul -> ko, Arabic -> ar, Greek -> el, Cyrillic -> ru, Armenian -> hy,
 * Hebrew -> yi, Devanagari -> hi, Tamil -> ta, Latin and anything else -> en. Reads at most
 * max bytes. Sets *share to the fraction of letters in that script (a confidence). */
const struct lede_lang *lede_lang_guess_script(const char *text, size_t len, size_t max,
                                               double *share);

#endif
