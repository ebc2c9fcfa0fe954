/* segment.h: sentence boundaries (stage 2 of the engine, after text, before tokenize).
 * Rule-based: abbreviations, initials, decimals, quotes and brackets, ellipses, lists,
 * e-mail and web addresses; works on cased text and on lowercased PTB-tokenized text. */
#ifndef LEDE_SEGMENT_H
#define LEDE_SEGMENT_H

#include <stddef.h>

#include "span.h"

/* Splits text[0..len) (valid UTF-8, one paragraph or more; a line break is always a
 * boundary) into sentences and appends them to out, in order. Each span is trimmed of
 * surrounding white space; offsets are relative to text; every non-space byte lies in one
 * span. The style, cased prose or PTB-tokenized ("a pool . breaking"), is chosen per call
 * from the first 2 KiB. Linear in len; no state outside the call.
 * Returns LEDE_OK, LEDE_EINVAL (NULL out, or NULL text with len > 0), or LEDE_ENOMEM /
 * LEDE_ETOOBIG from out (the spans appended so far stay in out). */
int lede_segment_split(const char *text, size_t len, struct lede_spans *out);

struct lede_lang;
/* The same for a language (lang.h; NULL or English: the rules above, unchanged): its
 * abbreviations and sentence starters, ordinals ("3. Oktober"), and its terminators (。！？
 * without a space after them in CJK, ';' in Greek, ؟ in Arabic, । in Hindi and Nepali, ։ in
 * Armenian). Same contract as lede_segment_split. */
int lede_segment_split_lang(const char *text, size_t len, const struct lede_lang *lang,
                            struct lede_spans *out);

#endif
