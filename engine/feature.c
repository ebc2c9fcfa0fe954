/* feature.c: the per-sentence features (engine stage 4). Everything here is one pass over
 * the sentences or the terms: linear in the article. */
#include "feature.h"

#include <math.h>

#include "error.h"

/* Tuning constants, chosen on the dev splits only (see docs/TUNING.md). Guarded so that a
 * tuning build can set them with -D. */
#ifndef POS_DECAY
#define POS_DECAY 0.0 /* lead bias: 1 / (1 + POS_DECAY * i) ...      */
#endif
#ifndef POS_EXP
#define POS_EXP 0.3 /* ... times exp(-POS_EXP * i) */
#endif
#ifndef POS_PARA
#define POS_PARA 0.0 /* bonus for opening a paragraph, when there are paragraphs (0: none) */
#endif
#ifndef TERM_SMOOTH
#define TERM_SMOOTH 4.0 /* term weight: sum of weights / (content words + TERM_SMOOTH) */
#endif
#ifndef TERM_LEN_EXP
#define TERM_LEN_EXP 0.6 /* ... raised to this power (1: an average, 0: a sum) */
#endif
#ifndef TERM_REPEAT
#define TERM_REPEAT 0.0 /* weight of a term's second and later uses within one sentence */
#endif
#ifndef TF_POW
#define TF_POW 1.0 /* term weight tf^TF_POW for tf > 1; 0: 1 + log(tf) */
#endif
#ifndef TF_SINGLE
#define TF_SINGLE 0.0 /* weight of a term seen once */
#endif
#ifndef POS_AHEAD
#define POS_AHEAD 0.3 /* position's share for the term weight still ahead (see below) */
#endif
#ifndef QUOTE_OPEN
#define QUOTE_OPEN 0.6 /* opener penalty of a sentence that opens with a quotation mark */
#endif
#define SHORT_WORDS 8
#define LONG_WORDS  60
#define TABLE_WORDS 6 /* this many words or more, half numbers, no stop word: a table */

static double term_weight(const struct lede_doc *doc, const struct lede_idf *idf, size_t term)
{
    double tf = doc->tf[term];
    uint64_t stem = doc->stem[term];
    /* pow(tf, 1) is tf exactly: skipped for the default exponent. */
    double w = tf > 1 ? (TF_POW == 1.0 ? tf
                         : TF_POW > 0  ? pow(tf, TF_POW)
                                       : 1.0 + log(tf))
                      : TF_SINGLE;
    if (idf && idf->n_docs)
        w *= lede_idf_weight(idf, stem);
    return w;
}

/* A token with these flags and term index (UINT32_MAX: none) names an entity. */
static inline bool is_entity(const uint32_t *cap_inner, uint32_t flags, uint32_t term)
{
    if (!(flags & (LEDE_TOK_NUMBER | LEDE_TOK_ALLCAPS | LEDE_TOK_CAP)))
        return false;
    if (flags & (LEDE_TOK_NUMBER | LEDE_TOK_ALLCAPS))
        return true;
    if (flags & LEDE_TOK_STOP)
        return false;
    if (!(flags & LEDE_TOK_FIRST))
        return true;
    /* A capitalised first word counts when the article capitalises it elsewhere too. */
    return term != UINT32_MAX && cap_inner[term] > 0;
}

/* The term feature's length divisor, (content words + TERM_SMOOTH)^TERM_LEN_EXP, kept in
 * memo (LEDE_NORM_MEMO entries, 0 = not yet computed) for the usual short sentences. */
static double len_norm(double *memo, size_t n_content)
{
    if (n_content >= LEDE_NORM_MEMO)
        return pow((double)n_content + TERM_SMOOTH, TERM_LEN_EXP);
    if (memo[n_content] == 0)
        memo[n_content] = pow((double)n_content + TERM_SMOOTH, TERM_LEN_EXP);
    return memo[n_content];
}

/* Half numbers and no stop word of two letters or more (the tokenizer counts a lone letter,
 * the "Q" of a schedule, as one). */
static bool is_table(const struct lede_token *t, size_t n)
{
    size_t num = 0;
    for (size_t k = 0; k < n; k++) {
        if ((t[k].flags & LEDE_TOK_STOP) && t[k].length > 1)
            return false;
        num += (t[k].flags & LEDE_TOK_NUMBER) != 0;
    }
    return 2 * num > n;
}

/* The lead curve at place pi (0 for the first candidate), kept in memo (LEDE_POS_MEMO entries,
 * 0 = not yet computed; none is 0 that early). */
static double lead_curve(double *memo, size_t pi)
{
    if (pi < LEDE_POS_MEMO && memo[pi] != 0)
        return memo[pi];
    double p = (double)pi, v = exp(-POS_EXP * p) / (1.0 + POS_DECAY * p);
    if (pi < LEDE_POS_MEMO)
        memo[pi] = v;
    return v;
}

int lede_features_compute(struct lede_doc *doc, const struct lede_idf *idf, double *values)
{
    double max_term = 0, max_ent = 0, max_pos = 0;
    /* left[t]: content occurrences of term t not yet read; behind[i]: the
     * part of sentence i's term feature owed to occurrences before it. */
    uint32_t *left = lede_doc_scratch(doc, LEDE_SCR_FEAT_SEEN, (doc->n_terms + 1) * sizeof *left);
    double *behind =
        lede_doc_scratch(doc, LEDE_SCR_FEAT_BEHIND, (doc->n_sent + 1) * sizeof *behind);
    /* last[t]: 1 + the sentence that last used term t (0: none yet) */
    uint32_t *last = lede_doc_scratch(doc, LEDE_SCR_FEAT_LAST, (doc->n_terms + 1) * sizeof *last);
    if (!left || !behind || !last)
        return LEDE_ENOMEM;
    /* Once per term, not per occurrence: the weight, and (in doc->stamp, select.c's scratch,
     * free until then) whether the title has the term. */
    for (size_t t = 0; t < doc->n_terms; t++) {
        doc->tw[t] = term_weight(doc, idf, t);
        doc->stamp[t] = 0;
        left[t] = doc->tf[t];
        last[t] = 0;
    }
    /* The title's few stems looked up among the terms, rather than every term in the title:
     * the same marks (both maps store a stem the same way, 0 as 1, each once). */
    for (size_t j = 0; doc->n_title && j < doc->title.cap; j++) {
        const uint32_t *ix =
            doc->title.keys[j] ? lede_map_get(&doc->terms, doc->title.keys[j]) : NULL;
        if (ix)
            doc->stamp[*ix] = 1;
    }
    /* in locals: the stores below may not change them */
    const struct lede_token *tv = doc->toks->v;
    const double *tw = doc->tw;
    const uint32_t *tf = doc->tf, *stamp = doc->stamp, *cap_inner = doc->cap_inner;
    const uint32_t *cterm = doc->cterm;
    for (size_t i = 0; i < doc->n_sent; i++) {
        const struct lede_sent *s = &doc->sent[i];
        double *v = values + i * LEDE_F_COUNT;
        /* A headline first line (never a candidate) does not push the lead down. */
        double pos = lead_curve(doc->pos_memo, i - (i > 0 && doc->sent[0].headline));
        if (doc->n_paragraphs > 1 && s->para_first)
            pos += POS_PARA / (1.0 + 0.2 * (double)s->paragraph);
        v[LEDE_F_POSITION] = pos;
        if (pos > max_pos)
            max_pos = pos;

        /* the entity and title counts are whole numbers, counted as such */
        double term = 0, ahead = 0;
        uint32_t tag = (uint32_t)i + 1;
        uint32_t n_ent = 0, n_in_title = 0;
        /* The first word by is_entity(); after it (no word there is LEDE_TOK_FIRST) its
         * answer is a function of the flags alone, computed without a branch. */
        if (s->tok_end > s->tok_begin)
            n_ent += is_entity(cap_inner, tv[s->tok_begin].flags, tv[s->tok_begin].term);
        for (size_t k = s->tok_begin + 1; k < s->tok_end; k++) {
            uint32_t f = tv[k].flags;
            n_ent += ((f & (LEDE_TOK_NUMBER | LEDE_TOK_ALLCAPS)) != 0) |
                     ((f & (LEDE_TOK_CAP | LEDE_TOK_STOP)) == LEDE_TOK_CAP);
        }
        for (size_t c = s->c_begin, ce = c + s->n_content; c < ce; c++) {
            uint32_t tix = cterm[c];
            /* A term weighs once in a sentence: "hewan ... hewan", "undang-undang" and a
             * name said twice make a sentence no more about the story's subject. */
            double w = last[tix] == tag ? TERM_REPEAT * tw[tix] : tw[tix];
            last[tix] = tag;
            term += w;
            /* The part of that weight from this and later occurrences (none when fewer than
             * two remain: like a term seen once). fwd masked to 0 then, not a branch (adding
             * +0.0 to a sum of non-negative terms leaves it as it is). */
            uint32_t fwd = left[tix]--;
            ahead += w * (double)(fwd & -(uint32_t)(fwd > 1)) / (double)tf[tix];
            n_in_title += stamp[tix];
        }
        double ent = n_ent, title = n_in_title;
        double nl = len_norm(doc->norm_memo, s->n_content);
        term /= nl;
        behind[i] = term - ahead / nl;
        ent /= (double)s->n_words + 2.0;
        v[LEDE_F_TERM] = term;
        v[LEDE_F_ENTITY] = ent;
        v[LEDE_F_TITLE] = doc->n_title ? fmin(1.0, title / (double)doc->n_title) : 0;
        if (term > max_term)
            max_term = term;
        if (ent > max_ent)
            max_ent = ent;

        double len = 0;
        if (s->n_words < SHORT_WORDS)
            len = -(double)(SHORT_WORDS - s->n_words) / SHORT_WORDS;
        else if (s->n_words > LONG_WORDS)
            len = -fmin(1.0, (double)(s->n_words - LONG_WORDS) / LONG_WORDS);
        /* half numbers and not one stop word: a schedule, a results or prices line, not prose
         * (its repeated labels would otherwise weigh as recurring terms); "Martinez, 32, beat
         * Asagoe 6-4 6-4 and ..." has its "and" */
        if (s->n_words >= TABLE_WORDS && 2 * (size_t)n_ent > s->tok_end - s->tok_begin &&
            is_table(tv + s->tok_begin, s->tok_end - s->tok_begin))
            len = -1.0; /* (numbers count as entities: only such sentences are looked at) */
        v[LEDE_F_LENGTH] = len;
        v[LEDE_F_OPENER] = s->opener ? -1.0 : s->quote_open ? -QUOTE_OPEN : 0.0;
    }
    for (size_t i = 0; i < doc->n_sent; i++) {
        double *v = values + i * LEDE_F_COUNT;
        /* Directed centrality, linear: a sentence whose recurring terms are still to come
         * (the lead of a story that develops it) keeps its weight; one that repeats what came
         * before loses. The article itself says how lead-heavy it is. */
        double lead = max_pos > 0 ? v[LEDE_F_POSITION] / max_pos : 0;
        double b = behind[i] > 0 ? behind[i] : 0.0; /* fmax(0, behind), inline */
        double fwd = max_term > 0 ? 1.0 - b / max_term : 1.0;
        v[LEDE_F_POSITION] = (lead + POS_AHEAD * fwd) / (1.0 + POS_AHEAD);
        v[LEDE_F_TERM] = max_term > 0 ? v[LEDE_F_TERM] / max_term : 0;
        v[LEDE_F_ENTITY] = max_ent > 0 ? v[LEDE_F_ENTITY] / max_ent : 0;
    }
    return LEDE_OK;
}
