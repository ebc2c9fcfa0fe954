/* summarize.h: the public API of the lede engine (the last stage of the pipeline:
 * text -> segment -> tokenize -> features -> select -> here).
 * The engine is pure: no sockets, files, clock or globals. An immutable lede_engine_t is
 * shared by all threads; each thread owns a lede_workspace_t for scratch memory and stemmers. */
#ifndef LEDE_SUMMARIZE_H
#define LEDE_SUMMARIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budget.h" /* struct lede_budget: the one budget rule is common's */
#include "error.h"
#include "article_limit.h" /* LEDE_DEFAULT_MAX_BODY */

#include "version.h" /* LEDE_ENGINE_VERSION */

/* Features, each of which contributes weight * value to a sentence's score. */
enum lede_feature {
    LEDE_F_POSITION = 0, /* inverted-pyramid lead bias and paragraph position */
    LEDE_F_TERM,         /* term weight (TF-IDF or in-document frequency) */
    LEDE_F_ENTITY,       /* named-entity density */
    LEDE_F_TITLE,        /* overlap with the title */
    LEDE_F_LENGTH,       /* penalty for very short or very long sentences (<= 0) */
    LEDE_F_OPENER,       /* penalty for a dangling opener ("He said", "But") (<= 0) */
    LEDE_F_COUNT
};

/* Stable lowercase name of a feature ("position", "term", ...); NULL when out of range. */
const char *lede_feature_name(int feature);
/* The feature with that name, or -1. */
int lede_feature_by_name(const char *name);

struct lede_weights {
    double w[LEDE_F_COUNT];
};

/* Limits that keep one call's memory bounded. Zero fields take the defaults below. */
/* LEDE_DEFAULT_MAX_BODY, lede's one article limit: common/article_limit.h. */
#define LEDE_DEFAULT_MAX_SENTENCES 1000000u /* sentences per article */
#define LEDE_DEFAULT_KEYPHRASES    10       /* keyphrases in a result, unless asked */
#define LEDE_DEFAULT_ENTITIES      20       /* named entities in a result, unless asked */
#define LEDE_MAX_KEYPHRASES        1000     /* most that may be asked for */
#define LEDE_MAX_ENTITIES          1000

/* What a language detector found: an ISO 639-1 code ("de"; "" when it could not tell) and a
 * confidence in [0, 1]. */
struct lede_detection {
    char code[16];
    double confidence;
};
/* A language detector the process hands the engine (lede_langid_cld2 in engine/langid.h is
 * one). It must be pure and thread-safe: the engine calls it from every workspace at once,
 * on at most LEDE_DETECT_MAX_BYTES bytes of title and body. Returns 0, or non-zero when it
 * could not run (the engine then guesses from the script). */
typedef int (*lede_detect_fn)(void *ctx, const char *text, size_t len, struct lede_detection *out);
#define LEDE_DETECT_MAX_BYTES 1024u

struct lede_engine_config {
    const char *idf_data;               /* a document-frequency table (lede-idf format) or NULL */
    size_t idf_len;                     /* its length in bytes */
    const struct lede_weights *weights; /* default weights, or NULL for the tuned ones */
    size_t max_body;                    /* 0: LEDE_DEFAULT_MAX_BODY */
    size_t max_sentences;               /* 0: LEDE_DEFAULT_MAX_SENTENCES */
    lede_detect_fn detect; /* for requests without a language; NULL: a guess from the script */
    void *detect_ctx;      /* passed to detect */
};

/* What a request's body is (format.h converts it to paragraphs of text). */
enum lede_format {
    LEDE_FORMAT_AUTO = 0, /* sniffed: JSON -> ANS or ninjs, markup -> HTML, else text */
    LEDE_FORMAT_TEXT,     /* plain text; hard-wrapped wire copy is unwrapped */
    LEDE_FORMAT_HTML,     /* an HTML body or fragment (UTF-8) */
    LEDE_FORMAT_ANS,      /* an Arc XP ANS story (JSON) */
    LEDE_FORMAT_NINJS,    /* an IPTC ninjs 1.x/2.x document (JSON) */
};

/* "auto", "text", "html", "ans", "ninjs" (static), or NULL out of range; the format of a name,
 * or -1. */
const char *lede_format_name(int format);
int lede_format_by_name(const char *name);

struct lede_request {
    const char *title; /* UTF-8 or NULL */
    size_t title_len;
    const char *body; /* UTF-8, paragraphs separated by line breaks */
    size_t body_len;
    const char *lang; /* "en", "de", ... (lede_languages()); NULL, "" or "auto": detected */
    struct lede_budget budget;
    const struct lede_weights *weights; /* NULL: the engine's defaults */
    enum lede_format format;            /* of body; 0 = LEDE_FORMAT_AUTO */
    uint32_t max_keyphrases; /* 0: LEDE_DEFAULT_KEYPHRASES; at most LEDE_MAX_KEYPHRASES */
    uint32_t max_entities;   /* 0: LEDE_DEFAULT_ENTITIES; at most LEDE_MAX_ENTITIES */
};

/* A keyphrase: one or more words as the article first writes them, body[offset..+length). */
struct lede_keyphrase {
    size_t offset, length;           /* bytes of the body as sent (as a sentence's, below) */
    size_t text_offset, text_length; /* its words: lede_result.text[text_offset..+text_length) */
    uint32_t words;                  /* words in the phrase */
    uint32_t count;                  /* occurrences (same stems in the same order) */
    double score;                    /* higher is more central; comparable within one result only */
};

enum lede_entity_kind {
    LEDE_ENTITY_NAME = 0, /* a run of capitalised words ("Bank of England", "Seoul") */
    LEDE_ENTITY_PERSON,   /* a name of two or more words also referred to by its last word */
    LEDE_ENTITY_ACRONYM,  /* "NATO", "U.N." */
};

/* A named entity found without a model: capitalised runs and acronyms. */
struct lede_entity {
    size_t offset, length;           /* its first mention, bytes of the body as sent */
    size_t text_offset, text_length; /* the mention: lede_result.text[text_offset..+text_length) */
    uint32_t count;                  /* mentions (a person's last name alone counts too) */
    enum lede_entity_kind kind;
};

/* Stable lowercase name of an entity kind ("name", "person", "acronym"). */
const char *lede_entity_kind_name(int kind);

struct lede_sentence {
    size_t offset;                 /* byte offset in the request body */
    size_t length;                 /* bytes; body[offset..offset+length) is the sentence's text */
    size_t paragraph;              /* 0-based paragraph number */
    double score;                  /* sum of features[] */
    double features[LEDE_F_COUNT]; /* each feature's part of the score (weight * value) */
    uint32_t rank;        /* 1 = best; 0 when no candidate (a duplicate, the headline, or inside
                           * quotation marks that never balance) */
    int64_t duplicate_of; /* index of the earlier sentence it repeats, or -1 */
    bool selected;        /* part of the summary */
    /* offset/length are bytes of the body as sent: for HTML its markup, for ANS and ninjs the
     * raw bytes (escapes included) of the JSON strings the sentence came from. */
    size_t utf16_offset; /* the same range in UTF-16 code units (a JavaScript string index) */
    size_t utf16_length;
    size_t text_offset; /* the sentence's text: lede_result.text[text_offset..+text_length) */
    size_t text_length;
    bool headline; /* the title (given, or a headline first line): never selected */
};

struct lede_result {
    const char *body; /* the result's own copy of the request body (NUL-terminated) */
    size_t body_len;
    size_t n_sentences;
    struct lede_sentence *sentences; /* every sentence, in document order */
    size_t n_summary;
    size_t *summary;   /* indices into sentences[] of the summary, in document order */
    size_t n_stripped; /* boilerplate spans removed before segmentation */
    const char *lang;  /* static, the language used */
    const char *text;  /* the article as plain text, one paragraph a line (NUL-terminated);
                          the same as body for plain text that needed no conversion */
    size_t text_len;
    enum lede_format format; /* the format the body was read as (never AUTO) */
    size_t n_markup_errors;  /* HTML parser errors (recovered from, not fatal) */
    size_t n_dropped;        /* markup elements, JSON elements or wire lines left out */
    char lang_detected[16];  /* what detection found ("" when the request gave the language);
                                may be a language lede does not support, then lang is a fallback */
    double lang_confidence;  /* detection's confidence in [0, 1]; 1 when the request gave it */
    size_t n_keyphrases;
    struct lede_keyphrase *keyphrases; /* best first */
    size_t n_entities;
    struct lede_entity *entities; /* most mentioned first, then by first mention */
};

struct lede_error {
    int code;          /* a LEDE_E* code */
    size_t offset;     /* for LEDE_EUTF8: the byte offset of the first bad byte */
    char message[200]; /* human-readable, names the field and the reason */
};

typedef struct lede_engine lede_engine_t;
typedef struct lede_workspace lede_workspace_t;

/* Builds an engine from cfg (NULL: defaults). Copies what it needs from cfg.
 * On success *out is the caller's, to free with lede_engine_destroy. Errors: LEDE_EFORMAT
 * for a bad or wrong-version idf table (err says why), LEDE_ENOMEM. err may be NULL. */
int lede_engine_new(const struct lede_engine_config *cfg, lede_engine_t **out,
                    struct lede_error *err);
/* Frees the engine (NULL is fine) and sets *engine to NULL. No workspace may outlive it. */
void lede_engine_destroy(lede_engine_t **engine);
/* The default weights the engine uses when a request gives none (borrowed). */
const struct lede_weights *lede_engine_weights(const lede_engine_t *engine);
/* True when an idf table was loaded. */
bool lede_engine_has_idf(const lede_engine_t *engine);

/* Languages supported, as a NULL-terminated list of codes ("en", ...), static. */
const char *const *lede_languages(void);

/* Per-thread scratch space for an engine; the caller's, free with lede_workspace_destroy. */
int lede_workspace_new(const lede_engine_t *engine, lede_workspace_t **out);
void lede_workspace_destroy(lede_workspace_t **ws);
/* Bytes of scratch memory ws holds now (it keeps what its largest call needed). */
size_t lede_workspace_bytes(const lede_workspace_t *ws);
/* Frees ws's scratch memory (not its stemmer) when it holds more than keep_bytes, so that one
 * dense article does not keep a thread's peak for good; the next call grows it again. */
void lede_workspace_trim(lede_workspace_t *ws, size_t keep_bytes);

/* Summarizes one article. On LEDE_OK *out is the caller's (lede_result_destroy).
 * Errors (also described in *err when err is not NULL): LEDE_EUTF8 with the offset of the
 * first bad byte (or HTML declaring another charset: refused, not converted), LEDE_EEMPTY
 * (also an ANS/ninjs document without text), LEDE_EFORMAT (a body that is not its format:
 * not JSON for ANS/ninjs, JSON sent as HTML), LEDE_ETOOBIG, LEDE_ELANG, LEDE_EINVAL (bad
 * budget, weights or format), LEDE_ENOMEM. Never aborts on any input. */
int lede_summarize(lede_workspace_t *ws, const struct lede_request *req, struct lede_result **out,
                   struct lede_error *err);

/* Frees a result (NULL is fine) and sets *result to NULL. */
void lede_result_destroy(struct lede_result **result);

#endif
