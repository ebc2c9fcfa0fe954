/* record.h: the JSONL article record lede's tools read (the evaluation sets, lede-load's and
 * lede-eval's corpora, lede-idf's input, the benchmarks'): one JSON object per line with the
 * article's text in "article" (or "body"), optionally "id" and "title"; a tool reads whatever
 * else it needs ("reference", "lang", ...) from the object itself. */
#ifndef LEDE_RECORD_H
#define LEDE_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct lede_record {
    json_t *obj;       /* the line's object (borrowed for the callback; NULL on error) */
    size_t line;       /* 1-based line number in the file */
    const char *error; /* why the line is not a record (not JSON, not an object, no article
                        * string, too long), else NULL */
    bool too_long;     /* the line was longer than max_line (and not read) */
    const char *id;    /* NULL when absent or not a string */
    const char *title; /* NULL when absent or not a string */
    size_t title_len;
    const char *article; /* "article", else "body" */
    size_t article_len;
};

/* Calls fn for each non-blank line of f, in order, with the line read into a record (or, for a
 * line that is not one, with r->error saying why: fn decides whether to skip it or stop). A line
 * holds at most max_line bytes in memory however long it is. Returns fn's first nonzero return,
 * -1 on a read error (said in err), else 0. */
int lede_records_each(FILE *f, size_t max_line, int (*fn)(void *ctx, const struct lede_record *r),
                      void *ctx, char *err, size_t err_len);

/* lede_records_each on the file at path; -1 with err ("path: why") when it cannot be opened or
 * read. */
int lede_records_read(const char *path, size_t max_line,
                      int (*fn)(void *ctx, const struct lede_record *r), void *ctx, char *err,
                      size_t err_len);

/* The string member key of a record's object and its length; NULL (and 0) when absent or not a
 * string. */
const char *lede_record_str(const struct lede_record *r, const char *key, size_t *len);

#endif
