/* editorial.h: an editor's rules on the sentences (engine stage 4, before features): a
 * quotation that spans sentences is one unit (all of it or none), a sentence inside quotation
 * marks that never balance is no candidate, and the title, given or found as a headline
 * first line, is no candidate. */
#ifndef LEDE_EDITORIAL_H
#define LEDE_EDITORIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "feature.h"

/* Sets unit_first, unit_last, quote_bad and quote_open of every sentence of doc. Quotation
 * marks: straight and typographic double quotes, low-9 and guillemets, CJK corner brackets,
 * PTB `` and '', and a stand-alone ' (PTB). A quotation left open at the end of a paragraph
 * continues when the next paragraph opens with a quotation mark (news style); otherwise its
 * sentences are quote_bad. Linear in the text. */
void lede_editorial_quotes(struct lede_doc *doc);

/* Marks the headline: the first sentence when its stems equal the title's (title_sig, as
 * lede_sent.sig is computed; 0 for no title), or when it is a short line without final
 * punctuation that is a paragraph of its own with more paragraphs after it.
 * Returns the sentence index marked, or SIZE_MAX. */
size_t lede_editorial_headline(struct lede_doc *doc, uint64_t title_sig);

#endif
