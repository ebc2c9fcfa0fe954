/* entity.h: named entities without a model (an engine stage after tokenize, beside
 * keyphrases): runs of capitalised words not at sentence start (name particles such as "of",
 * "de", "al" allowed inside), acronyms, and sentence-initial words the article capitalises
 * elsewhere. Degrades to nothing on lowercased text. */
#ifndef LEDE_ENTITY_H
#define LEDE_ENTITY_H

#include <stddef.h>

#include "feature.h"
#include "summarize.h"

/* The at most max most mentioned entities of doc into *out (the caller's, free()) and *n, most
 * mentioned first, ties by first mention. Linear in the tokens (plus a sort of the distinct
 * entities). The first token and the number of tokens of entity j are left in
 * doc->scratch[LEDE_SCR_ENT_TOK] at [2j] and [2j + 1] for keyphrase.c; doc's scratch (ent_map,
 * ent_last, a scratch slot) is used. Errors: LEDE_ENOMEM (then *out is NULL, *n 0). */
int lede_entities_extract(struct lede_doc *doc, size_t max, struct lede_entity **out, size_t *n);

#endif
