/* tokenize.h: words, case folding, stop words, Snowball stems and numbers (engine stage 3).
 * A tokenizer is per thread: it owns a Snowball stemmer and a bounded cache of stemmed words. */
#ifndef LEDE_TOKENIZE_H
#define LEDE_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lede_tok_flag {
    LEDE_TOK_STOP = 1,      /* a stop word (or a one-letter word) */
    LEDE_TOK_NUMBER = 2,    /* digits, maybe with . or , inside */
    LEDE_TOK_CAP = 4,       /* first letter upper case in the text */
    LEDE_TOK_ALLCAPS = 8,   /* two or more letters, all upper case, or dotted (U.N.) */
    LEDE_TOK_FIRST = 16,    /* the first word of its sentence */
    LEDE_TOK_CALENDAR = 32, /* a month or weekday name */
    LEDE_TOK_OPENER = 64    /* "he", "but": dangling when it opens a sentence */
};

struct lede_token {
    size_t offset;   /* in the text given to lede_tokenize plus its base */
    uint32_t length; /* bytes in the text */
    uint32_t flags;  /* enum lede_tok_flag */
    uint64_t stem;   /* hash of the case-folded stem: equal stems, equal hashes */
    uint32_t term;   /* free for the caller: summarize.c keeps the term index here */
};

struct lede_tokens {
    struct lede_token *v;
    size_t n, cap, max; /* max 0: unbounded */
};
void lede_tokens_release(struct lede_tokens *t);

typedef struct lede_tokenizer lede_tokenizer_t;

/* The Snowball algorithm for a language code ("en" -> "english"), or NULL if unsupported. */
const char *lede_tokenize_algorithm(const char *lang);
/* NULL-terminated list of supported language codes (static). */
const char *const *lede_tokenize_languages(void);

/* A tokenizer for lang. Errors: LEDE_ELANG, LEDE_ENOMEM. Caller frees with _destroy. */
int lede_tokenizer_new(const char *lang, lede_tokenizer_t **out);
void lede_tokenizer_destroy(lede_tokenizer_t **tk);
const char *lede_tokenizer_lang(const lede_tokenizer_t *tk);

/* Appends the words of text[0..len) to out; token offsets are base + offset in text.
 * The first word gets LEDE_TOK_FIRST. Linear in len. Errors: LEDE_ENOMEM, LEDE_ETOOBIG. */
int lede_tokenize(lede_tokenizer_t *tk, const char *text, size_t len, size_t base,
                  struct lede_tokens *out);

/* True when the case-folded word w[0..n) is a dangling opener in this language ("he", "but",
 * "however", ...): a sentence that starts with it leans on the one before. */
bool lede_tokenize_is_opener(const lede_tokenizer_t *tk, const char *w, size_t n);

#endif
