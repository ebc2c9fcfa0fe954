/* idf.h: the document-frequency table (term weights, engine stage 4) and its builder.
 * The table is bytes in and bytes out: lede-idf and the worker do the file I/O.
 *
 * Format, version 1, little-endian:
 *   "LEDEIDF\0"   8 bytes magic
 *   u32 version   1
 *   char lang[8]  the language code, NUL-padded ("en")
 *   u32 reserved  0
 *   u64 n_docs    documents the table was built from
 *   u64 n_terms   entries that follow
 *   n_terms x { u64 stem_hash; u32 df; }  sorted by stem_hash, no repeats
 * stem_hash is the tokenizer's hash of the case-folded Snowball stem: XXH3-64 of the stem's
 * UTF-8 bytes with the low 4 bits cleared (tokenize.c). A change to that hash must bump
 * LEDE_IDF_VERSION, so that an old table is refused rather than silently matching nothing. */
#ifndef LEDE_IDF_H
#define LEDE_IDF_H

#include <stddef.h>
#include <stdint.h>

#include "map.h"

#define LEDE_IDF_VERSION 1u
#define LEDE_IDF_HEADER  40u

struct lede_idf {
    struct lede_map df; /* stem hash -> document frequency */
    uint64_t n_docs;
    char lang[9];
};

/* Parses a table. Errors: LEDE_EFORMAT (message in msg, of size msg_len) for a bad magic,
 * another version, or a truncated table; LEDE_ENOMEM. */
int lede_idf_parse(struct lede_idf *idf, const char *data, size_t len, char *msg, size_t msg_len);
void lede_idf_release(struct lede_idf *idf);
/* Inverse document frequency of a stem: log((N + 1) / (df + 1)) + 1. */
double lede_idf_weight(const struct lede_idf *idf, uint64_t stem);

typedef struct lede_idf_builder lede_idf_builder_t;

/* A builder for lang. Errors: LEDE_ELANG, LEDE_ENOMEM. */
int lede_idf_builder_new(const char *lang, lede_idf_builder_t **out);
void lede_idf_builder_destroy(lede_idf_builder_t **b);
/* Counts one document's distinct stems (stop words and numbers left out). */
int lede_idf_builder_add(lede_idf_builder_t *b, const char *text, size_t len);
uint64_t lede_idf_builder_docs(const lede_idf_builder_t *b);
/* Serializes the table, keeping terms seen in at least min_df documents. *out is the
 * caller's to free. Errors: LEDE_ENOMEM. */
int lede_idf_builder_finish(const lede_idf_builder_t *b, uint32_t min_df, char **out,
                            size_t *out_len);

#endif
