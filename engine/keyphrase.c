/* keyphrase.c: keyphrase extraction (see keyphrase.h). A first pass over the document's term
 * table scores the single terms; a pass over the tokens gathers two- and three-word runs of the
 * best recurring terms, the hot words (hashed into a map). The best candidates are kept by
 * insertion into a short sorted list, the hot words in a heap. */
#include "keyphrase.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Tuning constants, chosen on kpcrowd-en-dev only (docs/TUNING.md). */
#ifndef KP_CAP
#define KP_CAP                                                                                     \
    -0.3 /* a term the article capitalises inside sentences: a name, less often a tag              \
          */
#endif
#ifndef KP_TITLE
#define KP_TITLE 3.0 /* bonus for a term of the title */
#endif
#ifndef KP_EARLY
#define KP_EARLY 1.0 /* bonus for a first occurrence in the first sentences: /(1 + s/4) */
#endif
#ifndef KP_PHRASE
#define KP_PHRASE 0.35 /* a phrase seen twice or more: this x its words' sum x cohesion^2 */
#endif
#ifndef KP_ADJ
#define KP_ADJ 1.0 /* x (1 + this x its stop-word neighbours per use): nouns follow "the", "of" */
#endif
#ifndef KP_LEN
#define KP_LEN 0.5 /* x (1 + this x its length in bytes): long words are specific */
#endif
#ifndef KP_TF_POW
#define KP_TF_POW 1.0 /* a term's count counts as count^KP_TF_POW */
#endif
#ifndef KP_NAME
#define KP_NAME 0.1 /* a name's score: this share of its words' mean, times its mentions */
#endif
#define KP_MAX_WORDS 3  /* longest phrase */
#define EARLY_MEMO   64 /* first-sentence bonuses in a constant table */
#define HOT_FACTOR   3  /* phrases are built from the best HOT_FACTOR * max recurring terms */

struct phrase {
    uint32_t first_tok; /* token index of its first word at its first occurrence */
    uint32_t count;
    uint32_t words;
    uint32_t terms[KP_MAX_WORDS];
};

/* Inserts (score, cand) into bs/bc[0..*n), kept sorted by score, at most max entries, after
 * every entry of an equal score (cand grows from call to call, so ties keep candidate order).
 * The caller has tested that it belongs there: *n < max, or score beats bs[max - 1]. */
static inline void insert(double *bs, size_t *bc, size_t *n, size_t max, double score, size_t cand)
{
    size_t j = *n < max ? (*n)++ : max - 1;
    while (j > 0 && bs[j - 1] < score) {
        bs[j] = bs[j - 1];
        bc[j] = bc[j - 1];
        j--;
    }
    bs[j] = score;
    bc[j] = cand;
}

/* insert() when (score, cand) belongs among the best max: the test inline, as most candidates
 * fail it. */
static inline void keep(double *bs, size_t *bc, size_t *n, size_t max, double score, size_t cand)
{
    if (*n < max || !(score <= bs[*n - 1]))
        insert(bs, bc, n, max, score, cand);
}

/* The hot words are the best n_hot recurring terms by (score, earlier term first): the set a
 * sorted list filled by keep() would hold. Once n_hot are in, they are a binary heap whose root
 * is the worst (lowest score, of those the latest term), so a term that beats the root replaces
 * it in log(n_hot) steps rather than a shift of the list; most later terms (a later first use,
 * a smaller bonus) fail the one comparison with the root. */
static inline bool worse(double sa, size_t ca, double sb, size_t cb)
{
    return sa < sb || (sa == sb && ca > cb);
}

/* Puts (score, cand) at j of the heap hs/hc[0..n) and moves it down past worse children. */
static void sift_down(double *hs, size_t *hc, size_t n, size_t j, double score, size_t cand)
{
    for (;;) {
        size_t c = 2 * j + 1;
        if (c >= n)
            break;
        if (c + 1 < n && worse(hs[c + 1], hc[c + 1], hs[c], hc[c]))
            c++;
        if (!worse(hs[c], hc[c], score, cand))
            break;
        hs[j] = hs[c];
        hc[j] = hc[c];
        j = c;
    }
    hs[j] = score;
    hc[j] = cand;
}

/* Makes hs/hc[0..n) a heap (Floyd's: linear). */
static void heapify(double *hs, size_t *hc, size_t n)
{
    for (size_t j = n / 2; j-- > 0;)
        sift_down(hs, hc, n, j, hs[j], hc[j]);
}

/* First-sentence bonuses, 1 + KP_EARLY / (1 + s / 4), for the first EARLY_MEMO sentences. */
#define E1(i)  (1.0 + KP_EARLY / (1.0 + (double)(i) / 4.0))
#define E4(i)  E1(i), E1((i) + 1), E1((i) + 2), E1((i) + 3)
#define E16(i) E4(i), E4((i) + 4), E4((i) + 8), E4((i) + 12)
static const double early[EARLY_MEMO] = {E16(0), E16(16), E16(32), E16(48)};
#undef E16
#undef E4
#undef E1

static inline double early_bonus(uint32_t fs)
{
    return fs < EARLY_MEMO ? early[fs] : 1.0 + KP_EARLY / (1.0 + (double)fs / 4.0);
}

/* The score of term t (one with a use): count, capitalisation, first sentence, title, stop-word
 * neighbours, length. One expression for every caller, so the same term scores the same bits. */
static inline double term_score(const struct lede_doc *doc, const struct lede_token *tok, size_t t)
{
    uint32_t tf = doc->tf[t];
    double sc = (KP_TF_POW == 1.0 ? (double)tf : pow((double)tf, KP_TF_POW)) *
                early_bonus(doc->first_sent[t]);
    if (doc->cap_inner[t])
        sc *= 1.0 + KP_CAP;
    if (doc->stamp[t]) /* the title has it (lede_features_compute's mark) */
        sc *= 1.0 + KP_TITLE;
    sc *= (1.0 + KP_ADJ * (double)doc->stop_adj[t] / (double)tf) *
          (1.0 + KP_LEN * (double)tok[doc->first_tok[t]].length);
    return sc;
}

/* At least term_score() of a term used once, from its first sentence, title mark and length
 * only: each other factor at its largest (a stop word on both sides of its one use), multiplied
 * in term_score()'s order. Rounding is monotonic and every factor is positive and at least the
 * one it stands for, so no rounding makes the bound smaller than the score (a tuning that made a
 * factor negative would have to drop the bound). */
#define KP_MAX1(x) ((x) > 1.0 ? (x) : 1.0)
static inline double once_bound(const struct lede_doc *doc, const struct lede_token *tok, size_t t)
{
    double sc = early_bonus(doc->first_sent[t]) * KP_MAX1(1.0 + KP_CAP);
    if (doc->stamp[t])
        sc *= 1.0 + KP_TITLE;
    return sc *
           (KP_MAX1(1.0 + KP_ADJ * 2.0) * (1.0 + KP_LEN * (double)tok[doc->first_tok[t]].length));
}

/* uni[t], scored when first asked for (a term used once that could not make the list is left
 * unscored, as a negative number: only a name's words may ask for it later). */
static inline double uni_of(double *uni, const struct lede_doc *doc, const struct lede_token *tok,
                            size_t t)
{
    if (uni[t] < 0)
        uni[t] = term_score(doc, tok, t);
    return uni[t];
}

/* The first token from k on whose block of four (with the token before it) holds two hot
 * neighbours, or the last block's start when none does: before it no run reaches two words, and
 * *run is the hotness of the token before it. A function of its own, out of line, so that its
 * few values stay in registers (the caller has many). */
static __attribute__((noinline)) size_t skip_cold(const struct lede_token *tok, const bool *hot1,
                                                  size_t k, size_t kend, size_t *run_io)
{
    size_t run = *run_io;
    while (k + 4 <= kend) {
        unsigned h0 = hot1[(int32_t)tok[k].term], h1 = hot1[(int32_t)tok[k + 1].term],
                 h2 = hot1[(int32_t)tok[k + 2].term], h3 = hot1[(int32_t)tok[k + 3].term];
        if (((run != 0) & h0) | (h0 & h1) | (h1 & h2) | (h2 & h3))
            break;
        run = h3;
        k += 4;
    }
    *run_io = run;
    return k;
}

/* The single terms' scores into uni[], the best max of them into bs/bc[0..*nb) (sorted) and the
 * hot words into the heap after them (bs/bc + max + 1, *nh of n_hot). A function of its own, out
 * of line, so that its loop keeps its values in registers. */
static __attribute__((noinline)) void score_terms(const struct lede_doc *doc, size_t max,
                                                  size_t n_hot, double *uni, double *bs, size_t *bc,
                                                  size_t *nb_out, size_t *nh_out)
{
    const struct lede_token *tok = doc->toks->v;
    const uint32_t *first = doc->first_tok;
    size_t nt = doc->n_terms, nb = 0, nh = 0;
    double *hs = bs + max + 1;
    size_t *hc = bc + max + 1;
    const uint32_t *tf = doc->tf;
    /* thr: what a term must beat to join the best max (none while there is room) */
    double thr = -INFINITY;
    for (size_t t = 0; t < nt; t++) {
        if (first[t] == UINT32_MAX) { /* the title's only: no candidate */
            uni[t] = 0;
            continue;
        }
        /* A term used once is no hot word; when even its bound cannot beat the list, its
         * score is not needed here (keep() would turn it away) */
        if (tf[t] == 1 && once_bound(doc, tok, t) <= thr) {
            uni[t] = -1;
            continue;
        }
        double sc = term_score(doc, tok, t);
        uni[t] = sc;
        if (!(sc <= thr)) { /* keep()'s test, with bs[max - 1] in a register */
            insert(bs, bc, &nb, max, sc, t);
            if (nb == max)
                thr = bs[max - 1];
        }
        if (tf[t] < 2)
            continue;
        if (nh < n_hot) {
            hs[nh] = sc;
            hc[nh] = t;
            if (++nh == n_hot)
                heapify(hs, hc, nh);
        } else if (!(sc <= hs[0])) { /* t is the latest: a tie with the root loses */
            sift_down(hs, hc, nh, 0, sc, t);
        }
    }
    *nb_out = nb;
    *nh_out = nh;
}

int lede_keyphrases_extract(struct lede_doc *doc, size_t max, const struct lede_entity *ents,
                            size_t n_ents, struct lede_keyphrase **out, size_t *n_out)
{
    int rc = LEDE_ENOMEM;
    const struct lede_token *tok = doc->toks->v;
    size_t nt = doc->n_terms, nph = 0, cap_ph = 0, n_hot = HOT_FACTOR * (max ? max : 1);
    const uint32_t *first = doc->first_tok;
    double *uni = lede_doc_scratch(doc, LEDE_SCR_KP_UNI, (nt + 1) * sizeof *uni);
    bool *hot = lede_doc_scratch(doc, LEDE_SCR_KP_HOT, (nt + 1) * sizeof *hot);
    struct phrase *ph = doc->scratch[LEDE_SCR_KP_PHRASE];
    cap_ph = doc->scratch_cap[LEDE_SCR_KP_PHRASE] / sizeof *ph;
    struct lede_map *map = &doc->kp_map;
    char *best = lede_doc_scratch(doc, LEDE_SCR_KP_BEST,
                                  (n_hot + max + 1) * (sizeof(double) + sizeof(size_t)));
    double *bs = (double *)(void *)best;
    size_t *bc = (size_t *)(void *)(best + (n_hot + max + 1) * sizeof(double));
    struct lede_keyphrase *kp = NULL;
    lede_map_reset(map, doc->n_terms / 4 + 16);
    *out = NULL;
    *n_out = 0;
    if (!uni || !hot || !best)
        goto out;
    memset(hot, 0, (nt + 1) * sizeof *hot);
    /* Single terms: count (the term table has it), capitalisation, first sentence, title. */
    size_t nb = 0, nh = 0;
    double *hs = bs + max + 1;
    size_t *hc = bc + max + 1;
    if (max)
        score_terms(doc, max, n_hot, uni, bs, bc, &nb, &nh);
    /* Phrases of two and three words, all of them among the best single terms (a
     * phrase scores from its words, so no other could rank): hashed into a map. */
    /* A phrase scores at most KP_PHRASE * (its words' sum), so at most KP_PHRASE * (the best
     * KP_MAX_WORDS hot words' sum, added best first): when even that cannot reach the list, no
     * phrase can, and the pass is skipped (the result is the same). */
    double best3[KP_MAX_WORDS] = {0};
    size_t n_best3 = 0;
    for (size_t h = 0; h < nh; h++) {
        hot[hc[h] + 1] = true; /* hot[0] stands for "no term" */
        /* the best KP_MAX_WORDS scores, best first (the heap holds them in no such order) */
        size_t j = n_best3 < KP_MAX_WORDS ? n_best3++ : KP_MAX_WORDS;
        while (j > 0 && best3[j - 1] < hs[h]) {
            if (j < KP_MAX_WORDS)
                best3[j] = best3[j - 1];
            j--;
        }
        if (j < KP_MAX_WORDS)
            best3[j] = hs[h];
    }
    double top_sum = 0;
    for (size_t h = 0; h < n_best3; h++)
        top_sum += best3[h];
    if (nh >= 2 && nb == max && KP_PHRASE * top_sum <= bs[nb - 1])
        nh = 0;
    /* The runs of hot words within a sentence. The sentences' tokens are walked as one stream
     * (the sentences are in token order): hot1[] is hot[] shifted by one, so a token without a
     * term (UINT32_MAX, -1 as a signed index) reads hot[0], which is false. Four tokens at a
     * time while no two neighbours among them (nor the token before and the first) are hot:
     * no run reaches two words there (even across a sentence end), and the run after them is
     * the fourth's hotness. Hot pairs are rare, so most tokens cost two loads and no branch.
     * Elsewhere token by token, with the sentence ends. */
    {
        const bool *hot1 = hot + 1;
#define HOT(k) ((unsigned)hot1[(int32_t)tok[(k)].term])
        size_t si = 0, run = 0; /* run: hot content words in the current run, ending at k */
        size_t k = doc->n_sent ? doc->sent[0].tok_begin : 0;
        size_t kend = doc->n_sent && nh ? doc->sent[doc->n_sent - 1].tok_end : 0;
        size_t sb = k, se = doc->n_sent ? doc->sent[0].tok_end : 0; /* sentence si's tokens */
        while (k < kend) {
            k = skip_cold(tok, hot1, k, kend, &run);
            size_t lim = k + 4 <= kend ? k + 4 : kend;
            for (; k < lim; k++) {
                if (k >= se) { /* the next sentence holding k (or after a gap, before k) */
                    do
                        si++;
                    while (k >= doc->sent[si].tok_end);
                    sb = doc->sent[si].tok_begin;
                    se = doc->sent[si].tok_end;
                }
                if (k <= sb) { /* a run starts in its sentence: none before its first token */
                    run = 0;
                    if (k < sb)
                        continue;
                }
                run = (run + 1) * HOT(k); /* a multiply, not a branch */
                if (run < 2)
                    continue;
                if (!lede_keyphrase_joinable(doc->body, tok[k - 1].offset + tok[k - 1].length,
                                             tok[k].offset)) {
                    run = 1;
                    continue;
                }
                for (size_t w = 2; w <= KP_MAX_WORDS && w <= run; w++) {
                    bool fresh;
                    uint32_t *v =
                        lede_keyphrase_span_slot(map, 0x6b6579, tok, k + 1 - w, k + 1, &fresh, &rc);
                    if (!v)
                        goto out;
                    if (fresh) {
                        if (nph == cap_ph &&
                            !(ph = lede_doc_scratch_more(doc, LEDE_SCR_KP_PHRASE, nph, sizeof *ph,
                                                         &cap_ph))) {
                            rc = LEDE_ENOMEM;
                            goto out;
                        }
                        struct phrase *p = &ph[nph];
                        p->first_tok = (uint32_t)(k + 1 - w);
                        p->count = 0;
                        p->words = (uint32_t)w;
                        for (size_t j = 0; j < w; j++)
                            p->terms[j] = tok[k + 1 - w + j].term;
                        *v = (uint32_t)nph++;
                    }
                    ph[*v].count++;
                }
            }
        }
    }
#undef HOT
    /* Phrases seen at least twice, scored by their words' sum times their cohesion (how much
     * of their rarest word's use they account for, squared): a phrase whose words always come
     * together ("climate change") ranks near its words. */
    for (size_t p = 0; p < nph && max; p++) {
        if (ph[p].count < 2)
            continue;
        double top = 0;
        uint32_t min_tf = UINT32_MAX;
        for (size_t j = 0; j < ph[p].words; j++) {
            top += uni[ph[p].terms[j]];
            if (doc->tf[ph[p].terms[j]] < min_tf)
                min_tf = doc->tf[ph[p].terms[j]];
        }
        double coh = (double)ph[p].count / (double)min_tf;
        keep(bs, bc, &nb, max, KP_PHRASE * top * coh * coh, nt + p);
    }

    /* Names of two or more words: their tokens as entity.c left them. */
    size_t nd = doc->toks->n;
    const uint32_t *where = doc->scratch[LEDE_SCR_ENT_TOK];
    for (size_t e = 0; e < n_ents && max && where; e++) {
        size_t lo = where[2 * e], end = ents[e].offset + ents[e].length;
        double sum = 0;
        size_t words = 0, content = 0;
        uint64_t key = 0x6b6579;
        for (size_t k = lo; k < nd && tok[k].offset < end; k++, words++) {
            key = lede_keyphrase_mix(key, tok[k].stem);
            if (tok[k].term != UINT32_MAX) {
                sum += uni_of(uni, doc, tok, tok[k].term);
                content++;
            }
        }
        if (words < 2 || !content || (nph && lede_map_get(map, key)))
            continue; /* one word, or already a phrase */
        keep(bs, bc, &nb, max, KP_NAME * sum / (double)content * ents[e].count, nt + nph + e);
    }

    kp = malloc((nb ? nb : 1) * sizeof *kp);
    if (!kp)
        goto out;
    for (size_t r = 0; r < nb; r++) {
        size_t c = bc[r], k0, k1;
        uint32_t count, words;
        if (c >= nt + nph) {
            const struct lede_entity *x = &ents[c - nt - nph];
            kp[r] = (struct lede_keyphrase){
                .offset = x->offset,
                .length = x->length,
                .words = 2,
                .count = x->count,
                .score = bs[r],
            };
            kp[r].words = where[2 * (c - nt - nph) + 1];
            continue;
        }
        if (c < nt) {
            k0 = k1 = first[c];
            count = doc->tf[c];
            words = 1;
        } else {
            const struct phrase *p = &ph[c - nt];
            k0 = p->first_tok;
            k1 = k0 + p->words - 1;
            count = p->count;
            words = p->words;
        }
        kp[r] = (struct lede_keyphrase){
            .offset = tok[k0].offset,
            .length = tok[k1].offset + tok[k1].length - tok[k0].offset,
            .words = words,
            .count = count,
            .score = bs[r],
        };
    }
    *out = kp;
    *n_out = nb;
    kp = NULL;
    rc = LEDE_OK;
out:
    free(kp);
    return rc;
}
