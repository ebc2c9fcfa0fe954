/* jsonl_in.h: one `lede summarize --jsonl` input line ({"id", "title", "article", "language",
 * "format", "options": {"sentences"|"words"|"chars"|"ratio"}}, other keys ignored) read straight
 * from the text, without a jansson tree (in a batch, parsing lines took more time than the engine).
 * The same rules and messages as the jansson reader it replaces. */
#ifndef LEDE_JSONL_IN_H
#define LEDE_JSONL_IN_H

#include <stddef.h>

#include "summarize.h"

struct lede_jsonl_rec {
    char *id;    /* a string id, or an integer id in decimal; NULL when absent */
    char *title; /* NULL when absent or not a string */
    size_t title_len;
    char *article; /* the body (may hold NUL bytes from \u0000) */
    size_t article_len;
    char *language; /* NULL when absent or not a string */
    char *format;   /* NULL when absent; the caller checks the name */
    int format_bad; /* "format" was there but not a string */
    int has_budget;
    struct lede_budget budget;
};

/* Reads line s[0..n). Returns 0 (LEDE_STATUS_OK) with rec filled (lede_jsonl_rec_release
 * frees it, also after an error), or 3 (INVALID_ARGUMENT) with msg saying why: not JSON, not
 * an object, "article" not a string, "options" not an object, a budget not a number, two
 * budgets; or 8 (RESOURCE_EXHAUSTED) when out of memory. */
int lede_jsonl_read(const char *s, size_t n, struct lede_jsonl_rec *rec, char *msg, size_t msg_len);
void lede_jsonl_rec_release(struct lede_jsonl_rec *rec);

#endif
