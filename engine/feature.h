/* feature.h: per-sentence features (engine stage 4): position, term weight, entity
 * density, title overlap, length and dangling-opener penalties. The document model built by
 * summarize.c comes in; one row of raw feature values per sentence goes out. */
#ifndef LEDE_FEATURE_H
#define LEDE_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "idf.h"
#include "map.h"
#include "summarize.h"
#include "tokenize.h"

/* Scratch slots of struct lede_doc. */
enum {
    LEDE_SCR_KP_UNI,
    LEDE_SCR_KP_HOT,
    LEDE_SCR_KP_BEST,
    LEDE_SCR_KP_PHRASE,
    LEDE_SCR_ENT,
    LEDE_SCR_SEL_ITEMS,
    LEDE_SCR_SEL_POS,
    LEDE_SCR_ENT_TOK,
    LEDE_SCR_FEAT_SEEN,
    LEDE_SCR_FEAT_BEHIND,
    LEDE_SCR_SEL_TMP,
    LEDE_SCR_SEL_IN,
    LEDE_SCR_CTERM,
    LEDE_SCR_CAPS,
    LEDE_SCR_FEAT_LAST,
    LEDE_SCRATCH_SLOTS
};

#define LEDE_POS_MEMO  256
#define LEDE_NORM_MEMO 128

struct lede_sent {
    size_t offset, length; /* in the body */
    size_t paragraph;
    size_t tok_begin, tok_end; /* its tokens in lede_doc.toks */
    uint32_t n_words;          /* tokens */
    uint32_t n_content;        /* tokens that are neither stop words nor numbers */
    size_t c_begin;            /* their term indices: lede_doc.cterm[c_begin..+n_content) */
    bool para_first;           /* first sentence of its paragraph */
    bool opener;               /* starts with a dangling opener */
    uint64_t sig;              /* hash of its stems in order: equal text, equal sig */
    bool headline;             /* the title or a headline first line: never a candidate */
    bool quote_bad;            /* inside quotation marks that never balance: never a candidate */
    bool quote_open;           /* opens with a quotation mark (editorial.c) */
    uint32_t unit_first, unit_last; /* its quotation unit (itself when it stands alone) */
};

struct lede_doc {
    const char *body;
    struct lede_sent *sent;
    size_t n_sent;
    size_t n_paragraphs;
    const struct lede_tokens *toks; /* each content token's term index is in .term */
    /* The content tokens' term indices, sentence by sentence in token order (a sentence's
     * from its c_begin): the stages that read only content words walk these, not the tokens,
     * with no test per token (a stop word's test was a mispredicted branch in two of them). */
    const uint32_t *cterm;
    /* The tokens with a capital (LEDE_TOK_CAP or LEDE_TOK_ALLCAPS), in order: where entity.c
     * looks for names, rather than testing every token. */
    const uint32_t *caps;
    size_t n_caps;
    struct lede_map terms; /* stem -> term index */
    uint32_t *tf;          /* per term: occurrences */
    uint32_t *cap_inner;   /* per term: capitalised occurrences not first in a sentence */
    uint64_t *stem;        /* per term: its stem hash */
    uint32_t *first_tok;   /* per term: the token of its first occurrence */
    uint32_t *first_sent;  /* per term: the sentence of its first occurrence */
    uint32_t *stop_adj;    /* per term: stop words beside its uses (one a side, in its sentence) */
    double *tw;            /* per term: scratch for lede_features_compute (its weight) */
    uint32_t *stamp;       /* per term: scratch for lede_select_summary */
    struct lede_map sigs;  /* scratch for lede_select_summary: sentence signatures */
    size_t n_terms, cap_terms;
    struct lede_map title; /* stems of the title's content words */
    size_t n_title;
    bool cased; /* the text has upper-case letters at all */
    /* Memos of lede_features_compute, kept between calls (0: not yet computed): the position
     * curve by place in the article and the term feature's length divisor by content words. */
    double pos_memo[LEDE_POS_MEMO];
    double norm_memo[LEDE_NORM_MEMO];
    /* Scratch of keyphrase.c and entity.c, kept between calls (the workspace frees it). */
    struct lede_map kp_map, ent_map, ent_last;
    void *scratch[LEDE_SCRATCH_SLOTS];
    size_t scratch_cap[LEDE_SCRATCH_SLOTS]; /* bytes */
};

/* Scratch slot i of doc with room for at least bytes bytes (contents not kept), or NULL. */
static inline void *lede_doc_scratch(struct lede_doc *doc, int i, size_t bytes)
{
    if (bytes > doc->scratch_cap[i]) {
        size_t cap = doc->scratch_cap[i] ? doc->scratch_cap[i] : 256;
        while (cap < bytes)
            cap *= 2;
        void *p = realloc(doc->scratch[i], cap);
        if (!p)
            return NULL;
        doc->scratch[i] = p;
        doc->scratch_cap[i] = cap;
    }
    return doc->scratch[i];
}

/* Room for one more element after n of size elem in scratch slot i (kept contents, *cap the
 * elements it now holds): slot's array, or NULL when out of memory. */
static inline void *lede_doc_scratch_more(struct lede_doc *doc, int i, size_t n, size_t elem,
                                          size_t *cap)
{
    void *p = lede_doc_scratch(doc, i, (n + 1) * elem);
    if (p)
        *cap = doc->scratch_cap[i] / elem;
    return p;
}

/* Raw feature values of every sentence: values[i * LEDE_F_COUNT + f], each in [0, 1] for
 * gains and [-1, 0] for penalties. idf may be NULL (in-document statistics then). Uses two
 * of doc's scratch slots. Errors: LEDE_ENOMEM. */
int lede_features_compute(struct lede_doc *doc, const struct lede_idf *idf, double *values);

#endif
