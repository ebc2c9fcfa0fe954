/* select.c: scores, duplicates, ranking and the budget (engine stage 5).
 * The only pairwise step, redundancy against already-chosen sentences, is capped at
 * MMR_CANDIDATES candidates, so the stage stays linear in the article. */
#include "select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define MMR_CANDIDATES 48  /* most candidates the redundancy-aware ranking looks at */
#define MMR_MIN        12  /* fewest, budget permitting */
#define MMR_FACTOR     3.0 /* candidates per expected summary sentence */
#ifndef MMR_LAMBDA
#define MMR_LAMBDA 0.5 /* how much similarity to chosen sentences costs ... */
#endif
#ifndef MMR_SHARE
#define MMR_SHARE 12.0 /* ... / (1 + MMR_SHARE * the budget's share of the article squared) */
#endif
#ifndef POS_SHARE
#define POS_SHARE 12.0 /* position weight / (1 + POS_SHARE * the budget's share of the article) */
#endif
#ifndef UNIT_COST
#define UNIT_COST 0 /* what a quotation unit costs of a sentence budget: 0 its sentences, 1 one */
#endif
#ifndef UNIT_AGG
#define UNIT_AGG 1 /* a quotation unit's place in the walk: 0 best, 1 mean, 2 worst rank */
#endif
#define NEAR_DUP 0.8 /* overlap of content stems that makes a near duplicate */
_Static_assert(MMR_CANDIDATES <= 64, "a candidate is a bit of a uint64_t");

struct cand {
    size_t sent;
    double score;
    uint32_t *terms; /* distinct content terms (indices into the document's term table) */
    size_t n;
    double maxsim; /* greatest overlap with a chosen sentence */
    bool taken;
};

struct scored {
    double score;
    size_t i;
};

/* Best score first; ties keep document order (a total order: indices differ). */
static inline bool scored_before(const struct scored *x, const struct scored *y)
{
    return x->score != y->score ? x->score > y->score : x->i < y->i;
}

/* Insertion sort of v[0..n) by scored_before. */
static void insertion_scored(struct scored *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct scored x = v[i];
        size_t j = i;
        for (; j > 0 && scored_before(&x, &v[j - 1]); j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Merges the sorted runs a[0..na) and b[0..nb) into out (which overlaps neither). */
static void merge_scored(const struct scored *a, size_t na, const struct scored *b, size_t nb,
                         struct scored *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb)
        out[k++] = scored_before(&b[j], &a[i]) ? b[j++] : a[i++];
    while (i < na)
        out[k++] = a[i++];
    while (j < nb)
        out[k++] = b[j++];
}

#define SORT_RUN 16

/* Sorts by scored_before, a total order (ties broken by index), so any sort gives the same
 * order: insertion sort for a few dozen; past that, a merge sort (runs of SORT_RUN sorted by
 * insertion, then merged through tmp, room for n). */
static void sort_scored(struct scored *v, size_t n, struct scored *tmp)
{
    if (n <= 64) { /* the usual few dozen sentences, much in order already */
        insertion_scored(v, n);
        return;
    }
    for (size_t i = 0; i < n; i += SORT_RUN)
        insertion_scored(v + i, n - i < SORT_RUN ? n - i : SORT_RUN);
    struct scored *src = v, *dst = tmp;
    for (size_t w = SORT_RUN; w < n; w *= 2) {
        for (size_t i = 0; i < n; i += 2 * w) {
            size_t na = n - i < w ? n - i : w;
            size_t nb = n - i - na < w ? n - i - na : w;
            merge_scored(src + i, na, src + i + na, nb, dst + i);
        }
        struct scored *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

/* Overlap coefficient of a candidate a with the chosen sentence b, given the terms they share:
 * shared / smaller. */
static double overlap(const struct cand *a, const struct cand *b, size_t shared)
{
    if (!a->n || !b->n)
        return 0;
    return (double)shared / (double)(a->n < b->n ? a->n : b->n);
}

static size_t char_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
    return c;
}

/* Whitespace-separated tokens of s[0..n). */
static size_t ws_words(const char *s, size_t n)
{
    size_t w = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool sp = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
        w += !sp && !in;
        in = !sp;
    }
    return w;
}

/* A sentence that may be chosen: not the headline, and (strictly) not inside quotation marks
 * that never balance. */
static bool eligible(const struct lede_sent *s, bool strict)
{
    return !s->headline && !(strict && s->quote_bad);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The share of the article the budget asks for, in [0, 1]. */
static double budget_share(const struct lede_doc *doc, struct lede_budget budget)
{
    double words = 0, bytes = 0, n = doc->n_sent ? (double)doc->n_sent : 1;
    if (budget.kind == LEDE_BUDGET_WORDS || budget.kind == LEDE_BUDGET_CHARS)
        for (size_t i = 0; i < doc->n_sent; i++) {
            words += doc->sent[i].n_words;
            bytes += (double)doc->sent[i].length;
        }
    double share = 0;
    switch (budget.kind) {
    case LEDE_BUDGET_SENTENCES: share = budget.value / n; break;
    case LEDE_BUDGET_RATIO: share = budget.value; break;
    case LEDE_BUDGET_WORDS: share = words > 0 ? budget.value / words : 1; break;
    case LEDE_BUDGET_CHARS: share = bytes > 0 ? budget.value / bytes : 1; break;
    }
    return share < 1 ? share : 1;
}

/* How many candidates the redundancy-aware ranking looks at for this budget. */
static size_t candidates(const struct lede_doc *doc, struct lede_budget budget, size_t live)
{
    double words = 0, bytes = 0, want = budget.value;
    for (size_t i = 0; i < doc->n_sent; i++) {
        words += doc->sent[i].n_words;
        bytes += (double)doc->sent[i].length;
    }
    double n = doc->n_sent ? (double)doc->n_sent : 1;
    switch (budget.kind) {
    case LEDE_BUDGET_SENTENCES: break;
    case LEDE_BUDGET_RATIO: want = budget.value * (double)live; break;
    case LEDE_BUDGET_WORDS: want = words > 0 ? budget.value * n / words : 1; break;
    case LEDE_BUDGET_CHARS: want = bytes > 0 ? budget.value * n / bytes : 1; break;
    }
    double c = fmax(MMR_MIN, MMR_FACTOR * want);
    size_t nc = c < MMR_CANDIDATES ? (size_t)c : MMR_CANDIDATES;
    return nc < live ? nc : live;
}

int lede_select_summary(struct lede_doc *doc, const double *values, const struct lede_weights *w,
                        struct lede_budget budget, struct lede_result *res)
{
    size_t n = doc->n_sent;
    int rc = LEDE_ENOMEM;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    struct cand cands[MMR_CANDIDATES];
    uint32_t *terms = NULL;
    struct scored *items = NULL;
    size_t *pos = NULL;
    struct lede_map *sigs = &doc->sigs;
    lede_map_reset(sigs, n);
    if (!order)
        goto out;

    /* Scores and exact duplicates. */
    size_t live = 0;
    bool strict = true;
    /* The lead matters less when the summary takes a large share of the article: then the
     * question is which of many sentences, not which come first. */
    double share = budget_share(doc, budget);
    double pos_scale = POS_SHARE > 0 ? 1.0 / (1.0 + POS_SHARE * share) : 1.0;
    /* Likewise redundancy: a summary of a large share of the article must repeat its terms
     * (a third of a story, most of its subject's names), a short one need not. */
    double mmr_lambda = MMR_LAMBDA / (1.0 + MMR_SHARE * share * share);
    for (size_t i = 0; i < n; i++) {
        struct lede_sentence *s = &res->sentences[i];
        s->score = 0;
        for (int f = 0; f < LEDE_F_COUNT; f++) {
            s->features[f] = w->w[f] * values[i * LEDE_F_COUNT + f];
            if (f == LEDE_F_POSITION)
                s->features[f] *= pos_scale;
            s->score += s->features[f];
        }
        s->rank = 0;
        s->selected = false;
        s->headline = doc->sent[i].headline;
        s->duplicate_of = -1;
        bool fresh;
        uint32_t *first = lede_map_put_inline(sigs, doc->sent[i].sig, &fresh, &rc);
        if (!first)
            goto out;
        if (fresh)
            *first = (uint32_t)i;
        else
            s->duplicate_of = (int64_t)*first;
        if (s->duplicate_of < 0 && eligible(&doc->sent[i], strict))
            order[live++] = i;
    }
    if (live == 0 && strict && n > 0) {
        /* Nothing but unbalanced quotations (and a headline): take them rather than nothing,
         * and the headline only when it is all the article has. */
        strict = false;
        for (size_t i = 0; i < n; i++)
            if (res->sentences[i].duplicate_of < 0 && eligible(&doc->sent[i], false))
                order[live++] = i;
        for (size_t i = 0; live == 0 && i < n; i++)
            if (res->sentences[i].duplicate_of < 0)
                order[live++] = i;
    }
    /* (the walk's items use the same scratch later) */
    struct scored *sc = lede_doc_scratch(doc, LEDE_SCR_SEL_ITEMS, (n + 1) * sizeof *sc);
    struct scored *tmp = lede_doc_scratch(doc, LEDE_SCR_SEL_TMP, (n + 1) * sizeof *tmp);
    if (!sc || !tmp)
        goto out;
    for (size_t k = 0; k < live; k++)
        sc[k] = (struct scored){res->sentences[order[k]].score, order[k]};
    sort_scored(sc, live, tmp);
    for (size_t k = 0; k < live; k++)
        order[k] = sc[k].i;

    /* Greedy maximal marginal relevance over the best candidates: a few times as many as the
     * summary will take, so the pairwise work stays small. */
    size_t nc = candidates(doc, budget, live);
    size_t n_terms = 0;
    for (size_t c = 0; c < nc; c++)
        n_terms += doc->sent[order[c]].n_content;
    terms = malloc((n_terms ? n_terms : 1) * sizeof *terms);
    /* in[t]: the candidates that have term t, a bit each (MMR_CANDIDATES <= 64); set for the
     * candidates' terms only */
    uint64_t *in = lede_doc_scratch(doc, LEDE_SCR_SEL_IN, (doc->n_terms + 1) * sizeof *in);
    if (!terms || !in)
        goto out;
    /* doc->stamp marks terms: tag c + 1 while candidate c's terms are gathered (each once;
     * 0, no candidate's yet) */
    for (size_t t = 0; t < doc->n_terms; t++)
        doc->stamp[t] = 0;
    n_terms = 0;
    for (size_t c = 0; c < nc; c++) {
        const struct lede_sent *s = &doc->sent[order[c]];
        uint32_t tag = (uint32_t)(c + 1);
        cands[c].sent = order[c];
        cands[c].score = res->sentences[order[c]].score;
        cands[c].terms = terms + n_terms;
        cands[c].maxsim = 0;
        cands[c].taken = false;
        size_t u = 0;
        for (size_t j = s->c_begin, je = j + s->n_content; j < je; j++) {
            uint32_t t = doc->cterm[j];
            if (doc->stamp[t] == tag)
                continue;
            if (!doc->stamp[t])
                in[t] = 0;
            in[t] |= (uint64_t)1 << c;
            doc->stamp[t] = tag;
            cands[c].terms[u++] = t;
        }
        cands[c].n = u;
        n_terms += u;
    }
    size_t *ranked = order; /* reorder the first nc entries in place */
    size_t nr = 0;
    uint64_t alive = nc < 64 ? ((uint64_t)1 << nc) - 1 : ~(uint64_t)0; /* not taken */
    for (size_t step = 0; step < nc; step++) {
        double best = -INFINITY;
        size_t bi = SIZE_MAX;
        for (size_t c = 0; c < nc; c++) {
            if (cands[c].taken)
                continue;
            double mmr = cands[c].score - mmr_lambda * cands[c].maxsim * fabs(cands[c].score);
            if (mmr > best) {
                best = mmr;
                bi = c;
            }
        }
        if (bi == SIZE_MAX)
            break;
        cands[bi].taken = true;
        alive &= ~((uint64_t)1 << bi);
        ranked[nr++] = cands[bi].sent;
        /* The terms each candidate still in shares with it, counted through the chosen
         * sentence's terms' candidate bits. */
        uint32_t shared[MMR_CANDIDATES] = {0};
        for (size_t k = 0; k < cands[bi].n; k++)
            for (uint64_t m = in [cands[bi].terms[k]] & alive; m; m &= m - 1)
                shared[__builtin_ctzll(m)]++;
        /* Similarity to the chosen set only grows by the newly chosen sentence. */
        for (size_t c = 0; c < nc; c++) {
            if (cands[c].taken)
                continue;
            double o = overlap(&cands[c], &cands[bi], shared[c]);
            if (o >= NEAR_DUP && cands[c].n >= 3) {
                /* A near duplicate of a chosen sentence: out of the ranking. */
                cands[c].taken = true;
                alive &= ~((uint64_t)1 << c);
                res->sentences[cands[c].sent].duplicate_of = (int64_t)cands[bi].sent;
            } else if (o > cands[c].maxsim) {
                cands[c].maxsim = o;
            }
        }
    }
    /* The rest keep their score order after the ranked candidates. */
    size_t total = nr;
    for (size_t k = nc; k < live; k++)
        ranked[total++] = order[k];
    for (size_t k = 0; k < total; k++)
        res->sentences[ranked[k]].rank = (uint32_t)(k + 1);

    /* The budget, walking the ranking. */
    size_t want = SIZE_MAX, words = SIZE_MAX, chars = SIZE_MAX;
    switch (budget.kind) {
    case LEDE_BUDGET_SENTENCES: want = (size_t)budget.value; break;
    case LEDE_BUDGET_RATIO: want = (size_t)ceil(budget.value * (double)total); break;
    case LEDE_BUDGET_WORDS: words = (size_t)budget.value; break;
    case LEDE_BUDGET_CHARS: chars = (size_t)budget.value; break;
    }
    if (want < 1)
        want = 1;
    size_t picked = 0, units = 0, used_words = 0, used_chars = 0;
    bool caps = words != SIZE_MAX || chars != SIZE_MAX;
    res->summary = malloc((n ? n : 1) * sizeof *res->summary);
    if (!res->summary)
        goto out;
    /* The walk's order: single sentences by rank; a quotation unit (all of it or none) at
     * the mean of its sentences' ranks, so that one strong sentence does not bring in weak
     * ones. */
    size_t n_items = 0;
    items = sc; /* the scores' scratch, free again */
    pos = lede_doc_scratch(doc, LEDE_SCR_SEL_POS, (n + 1) * sizeof *pos);
    if (!pos)
        goto out;
    for (size_t i = 0; i < n; i++)
        pos[i] = total;
    for (size_t k = 0; k < total; k++)
        pos[ranked[k]] = k;
    for (size_t k = 0; k < total; k++) {
        size_t i = ranked[k];
        if (doc->sent[i].unit_first == doc->sent[i].unit_last)
            items[n_items++] = (struct scored){-(double)k, i};
    }
    /* the single sentences are in order already (by rank); the units after them are sorted
     * and merged in */
    size_t n_single = n_items;
    for (size_t a = 0; a < n; a++) {
        size_t b = doc->sent[a].unit_last;
        if (doc->sent[a].unit_first != a || b <= a || b >= n)
            continue;
        double agg = UNIT_AGG == 0 ? (double)total : 0;
        bool any = false;
        for (size_t j = a; j <= b; j++) {
            any |= pos[j] < total;
            if (UNIT_AGG == 0)
                agg = fmin(agg, (double)pos[j]);
            else if (UNIT_AGG == 1)
                agg += (double)pos[j] / (double)(b - a + 1);
            else
                agg = fmax(agg, (double)pos[j]);
        }
        if (any)
            items[n_items++] = (struct scored){-agg, a};
    }
    if (n_items > n_single) {
        sort_scored(items + n_single, n_items - n_single, tmp);
        merge_scored(items, n_single, items + n_single, n_items - n_single, tmp);
        memcpy(items, tmp, n_items * sizeof *items);
    }
    /* Walk it; words and characters are those of the summary joined by single spaces, and
     * caps are never exceeded. */
    for (int pass = 0; pass < 2 && picked == 0; pass++) {
        for (size_t k = 0; k < n_items && units < want; k++) {
            size_t i = items[k].i;
            if (res->sentences[i].selected)
                continue;
            size_t a = doc->sent[i].unit_first, b = doc->sent[i].unit_last;
            if (a != i || b < i || b >= n)
                a = b = i;
            size_t ns = b - a + 1, nw = 0, nch = 0;
            if (caps)
                for (size_t j = a; j <= b; j++) {
                    const char *t = doc->body + doc->sent[j].offset;
                    nw += ws_words(t, doc->sent[j].length);
                    nch += char_count(t, doc->sent[j].length);
                }
            nch += picked ? ns : ns - 1; /* the joining spaces */
            /* The second pass (sentence budgets only) takes the best unit even when it has
             * more sentences than asked for, so that a summary is never empty. */
            if (pass == 0 && units + (UNIT_COST ? 1 : ns) > want)
                continue;
            if (used_words + nw > words || used_chars + nch > chars)
                continue;
            used_words += nw;
            used_chars += nch;
            for (size_t j = a; j <= b; j++) {
                res->sentences[j].selected = true;
                res->summary[picked++] = j;
            }
            units += UNIT_COST ? 1 : ns;
            if (pass == 1)
                break;
        }
        if (caps)
            break;
    }
    if (picked == 0 && total > 0) {
        rc = LEDE_EINVAL; /* not even one sentence fits under the cap */
        goto out;
    }
    qsort(res->summary, picked, sizeof *res->summary, cmp_size);
    res->n_summary = picked;
    rc = LEDE_OK;
out:
    free(terms);
    free(order);
    return rc;
}
