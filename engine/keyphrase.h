/* keyphrase.h: the article's keyphrases (an engine stage after tokenize, beside features):
 * single words and runs of two or three content words, scored by frequency, capitalisation,
 * first position, the title, stop-word neighbours and length. Language-neutral: it uses only
 * the tokenizer's flags (stop words and numbers of the article's language), stems and bytes. */
#ifndef LEDE_KEYPHRASE_H
#define LEDE_KEYPHRASE_H

#include <stddef.h>

#include "feature.h"
#include "map.h"
#include "summarize.h"

/* Call after lede_features_compute (its per-term title marks in doc->stamp are read) and
 * before lede_select_summary. The best max keyphrases of doc (at most max; fewer when the article
 * has fewer candidates), best first, into *out. Names of two or more words among ents[0..n_ents)
 * (entity.c's, for the same doc, just made: its token positions are read from doc's scratch) are
 * candidates too, scored by their words and mentions. Into *out (the caller's, free()) and *n.
 * Linear in the article's tokens (times max for the final choice, log max for the hot words);
 * doc's scratch (kp_map, scratch slots) is used. Errors: LEDE_ENOMEM (then *out is NULL, *n 0). */
int lede_keyphrases_extract(struct lede_doc *doc, size_t max, const struct lede_entity *ents,
                            size_t n_ents, struct lede_keyphrase **out, size_t *n);

/* True when the body between two tokens, body[a..b), lets them belong to one phrase: only
 * spaces, or one hyphen between them. Shared with entity.c; inline, as both call it per word
 * of a run and the gap is usually one space. */
static inline bool lede_keyphrase_joinable(const char *body, size_t a, size_t b)
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

/* One stem into a span's key. */
static inline uint64_t lede_keyphrase_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

/* The slot of map for the stems of tok[from..to) hashed from seed (the caller's kind of key):
 * *fresh when it was just made. NULL when out of memory (*rc LEDE_ENOMEM). Shared with entity.c;
 * inline, as both call it per phrase or name occurrence. */
static inline uint32_t *lede_keyphrase_span_slot(struct lede_map *map, uint64_t seed,
                                                 const struct lede_token *tok, size_t from,
                                                 size_t to, bool *fresh, int *rc)
{
    uint64_t key = seed;
    for (size_t j = from; j < to; j++)
        key = lede_keyphrase_mix(key, tok[j].stem);
    return lede_map_put_inline(map, key, fresh, rc);
}

#endif
