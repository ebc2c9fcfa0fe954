/* rouge.h: ROUGE-1, ROUGE-2 and ROUGE-Lsum with the definitions of Google's rouge-score
 * (lowercase, tokens are runs of [a-z0-9], Porter stemming for tokens longer than 3 characters,
 * clipped n-gram counts, summary-level union LCS). Used by lede-eval to grade summaries. */
#ifndef LEDE_ROUGE_H
#define LEDE_ROUGE_H

#include <stddef.h>

#include "error.h"

/* Default limits; see lede_rouge_new. */
#define LEDE_ROUGE_DEFAULT_MAX_TOKENS    (1u << 22) /* tokens in one text */
#define LEDE_ROUGE_DEFAULT_MAX_LCS_CELLS (1u << 24) /* one sentence pair's LCS table */

struct lede_rouge_prf {
    double p; /* precision */
    double r; /* recall */
    double f; /* F1 = 2PR/(P+R), 0 when P+R = 0 */
};

struct lede_rouge_scores {
    struct lede_rouge_prf rouge1;
    struct lede_rouge_prf rouge2;
    struct lede_rouge_prf rougelsum;
};

/* A scorer: one reference at a time, against which any number of summaries are scored.
 * It holds scratch memory, so use one per thread. */
typedef struct lede_rouge lede_rouge_t;

/* Creates a scorer. max_tokens bounds the tokens of one text and max_lcs_cells the LCS table
 * of one (reference sentence, summary sentence) pair; 0 takes the defaults above.
 * On LEDE_OK *out is the caller's (lede_rouge_destroy). Errors: LEDE_ENOMEM. */
int lede_rouge_new(size_t max_tokens, size_t max_lcs_cells, lede_rouge_t **out);
/* Frees the scorer (NULL is fine) and sets *rouge to NULL. */
void lede_rouge_destroy(lede_rouge_t **rouge);

/* Sets the reference summary: UTF-8 text, sentences separated by '\n' (rougeLsum's unit).
 * The text is tokenized and stemmed now; the scorer keeps no pointer to it.
 * Errors: LEDE_EINVAL (NULL text with len > 0), LEDE_ETOOBIG (past max_tokens), LEDE_ENOMEM.
 * After an error no reference is set and lede_rouge_score fails with LEDE_EINVAL. */
int lede_rouge_set_reference(lede_rouge_t *rouge, const char *text, size_t len);

/* Scores a system summary against the current reference. The summary's sentences are
 * separated by '\n' (rouge-score's prediction is its sentences joined with '\n'): ROUGE-1/2
 * tokenize the whole text, ROUGE-Lsum takes each non-empty line as a sentence.
 * Errors: LEDE_EINVAL (no reference set, NULL argument), LEDE_ETOOBIG (past a limit),
 * LEDE_ENOMEM; *out is all zeros on error. */
int lede_rouge_score(lede_rouge_t *rouge, const char *summary, size_t len,
                     struct lede_rouge_scores *out);

/* How text is tokenized (the eval README): English as rouge-score does (the default); other
 * languages as runs of Unicode word characters, lowercased, not stemmed; Chinese, Japanese and
 * Korean one word character at a time. */
enum lede_rouge_mode {
    LEDE_ROUGE_ENGLISH = 0,
    LEDE_ROUGE_UNICODE,
    LEDE_ROUGE_CHARS,
};
/* Sets the mode for the references and summaries that follow (the current reference is
 * dropped: set it again). */
void lede_rouge_set_mode(lede_rouge_t *rouge, enum lede_rouge_mode mode);
/* The mode the README gives a language code (NULL, "" or "en": English). */
enum lede_rouge_mode lede_rouge_mode_for(const char *lang);

/* Tokenizes text as rouge-score does (lowercase, [a-z0-9] runs, stemming of tokens longer
 * than 3 characters) and writes the tokens separated by single spaces into buf (NUL-terminated,
 * truncated to cap). Returns the number of tokens, or a negative LEDE_E* code.
 * For tests and debugging. */
long lede_rouge_tokenize(const char *text, size_t len, char *buf, size_t cap);

#endif
