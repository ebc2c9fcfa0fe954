/* keyphrase.c: keyphrase extraction (see keyphrase.h). One pass over the tokens gathers single
 * terms (the document's term table) and two- and three-word runs (hashed into a map); each
 * candidate is scored once, and the best are kept by insertion into a short sorted list. */
#include "keyphrase.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Tuning constants, chosen on kpcrowd-en-dev only (docs/TUNING.md). */
#ifndef KP_CAP
#define KP_CAP -0.3     /* a term the article capitalises inside sentences: a name, less often a tag */
#endif
#ifndef KP_TITLE
#define KP_TITLE 3.0    /* bonus for a term of the title */
#endif
#ifndef KP_EARLY
#define KP_EARLY 1.0 /* bonus for a first occurrence in the first sentences: /(1 + s/4) */
#endif
#ifndef KP_PHRASE
#define KP_PHRASE 0.05  /* a phrase (seen twice or more): this share of its words' mean, times its count */
#endif
#define KP_MAX_WORDS 3 /* longest phrase */

bool lede_keyphrase_joinable(const char *body, size_t a, size_t b)
{
    int hyphens = 0;
    for (size_t i = a; i < b; i++) {
        if (body[i] == '-' && ++hyphens == 1)
            continue;
        if (body[i] != ' ')
            return false;
    }
    return true;
}

struct phrase {
    uint32_t first_tok; /* token index of its first word at its first occurrence */
    uint32_t count;
    uint32_t words;
    uint32_t terms[KP_MAX_WORDS];
};

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

/* Inserts (score, cand) into best[0..*n) kept sorted by score, at most max entries. */
static void keep(double *bs, size_t *bc, size_t *n, size_t max, double score, size_t cand)
{
    if (*n == max && score <= bs[*n - 1])
        return;
    size_t j = *n < max ? (*n)++ : max - 1;
    while (j > 0 && bs[j - 1] < score) {
        bs[j] = bs[j - 1];
        bc[j] = bc[j - 1];
        j--;
    }
    bs[j] = score;
    bc[j] = cand;
}

int lede_keyphrases_extract(const struct lede_doc *doc, size_t max, struct lede_keyphrase **out,
                            size_t *n_out)
{
    int rc = LEDE_ENOMEM;
    const struct lede_token *tok = doc->toks->v;
    size_t nt = doc->n_terms, nph = 0, cap_ph = 0;
    uint32_t *first = malloc((nt ? nt : 1) * sizeof *first); /* term -> first token */
    uint32_t *fsent = malloc((nt ? nt : 1) * sizeof *fsent); /* term -> first sentence */
    double *uni = malloc((nt ? nt : 1) * sizeof *uni);
    struct phrase *ph = NULL;
    struct lede_map map;
    double *bs = malloc((max ? max : 1) * sizeof *bs);
    size_t *bc = malloc((max ? max : 1) * sizeof *bc);
    struct lede_keyphrase *kp = NULL;
    lede_map_init(&map, 0);
    *out = NULL;
    *n_out = 0;
    if (!first || !fsent || !uni || !bs || !bc)
        goto out;
    for (size_t t = 0; t < nt; t++)
        first[t] = UINT32_MAX;

    for (size_t i = 0; i < doc->n_sent; i++) {
        const struct lede_sent *s = &doc->sent[i];
        size_t run = 0; /* content words in the current run, ending at k */
        for (size_t k = s->tok_begin; k < s->tok_end; k++) {
            uint32_t t = tok[k].term;
            if (t == UINT32_MAX) {
                run = 0;
                continue;
            }
            if (first[t] == UINT32_MAX) {
                first[t] = (uint32_t)k;
                fsent[t] = (uint32_t)i;
            }
            if (run && !lede_keyphrase_joinable(doc->body, tok[k - 1].offset + tok[k - 1].length,
                                                tok[k].offset))
                run = 0;
            run++;
            /* The phrases of two and three words ending here. */
            for (size_t w = 2; w <= KP_MAX_WORDS && w <= run; w++) {
                uint64_t key = 0x6b6579;
                for (size_t j = k + 1 - w; j <= k; j++)
                    key = mix(key, tok[j].stem);
                bool fresh;
                uint32_t *v = lede_map_put(&map, key, &fresh, &rc);
                if (!v)
                    goto out;
                if (fresh) {
                    if (nph == cap_ph) {
                        size_t cap = cap_ph ? 2 * cap_ph : 64;
                        struct phrase *p = realloc(ph, cap * sizeof *p);
                        if (!p) {
                            rc = LEDE_ENOMEM;
                            goto out;
                        }
                        ph = p;
                        cap_ph = cap;
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

    /* Single terms: count, capitalisation, first position, title. */
    size_t nb = 0;
    for (size_t t = 0; t < nt; t++) {
        if (first[t] == UINT32_MAX) {
            uni[t] = 0;
            continue;
        }
        double sc = (double)doc->tf[t];
        if (doc->cap_inner[t])
            sc *= 1.0 + KP_CAP;
        if (doc->n_title && lede_map_get(&doc->title, doc->stem[t]))
            sc *= 1.0 + KP_TITLE;
        sc *= 1.0 + KP_EARLY / (1.0 + (double)fsent[t] / 4.0);
        uni[t] = sc;
        if (max)
            keep(bs, bc, &nb, max, sc, t);
    }
    /* Phrases seen at least twice. */
    for (size_t p = 0; p < nph && max; p++) {
        if (ph[p].count < 2)
            continue;
        double mean = 0;
        for (size_t j = 0; j < ph[p].words; j++)
            mean += uni[ph[p].terms[j]];
        mean /= ph[p].words;
        keep(bs, bc, &nb, max, KP_PHRASE * mean * ph[p].count, nt + p);
    }

    kp = malloc((nb ? nb : 1) * sizeof *kp);
    if (!kp)
        goto out;
    for (size_t r = 0; r < nb; r++) {
        size_t c = bc[r], k0, k1;
        uint32_t count, words;
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
    lede_map_release(&map);
    free(ph);
    free(bs);
    free(bc);
    free(uni);
    free(fsent);
    free(first);
    return rc;
}
