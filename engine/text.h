/* text.h: the first stage of the engine: UTF-8 validation, paragraphs, and boilerplate
 * (datelines, agency tags, bylines, "Read more" and copyright lines).
 * Its output is the list of regions of the body that the segmenter should read. */
#ifndef LEDE_TEXT_H
#define LEDE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"
#include "utf8.h" /* lede_utf8_valid: the one validator (common/utf8.c) */

/* One paragraph's text after boilerplate was cut from its edges. */
struct lede_region {
    size_t offset; /* in the body */
    size_t length;
    size_t paragraph; /* 0-based number of the paragraph it belongs to */
};

/* A bounded array of regions (max 0: unbounded). Zero-initialise, then set max. */
struct lede_regions {
    struct lede_region *v;
    size_t n, cap, max;
};
void lede_regions_release(struct lede_regions *r);

/* Splits body into paragraphs on line breaks and trims boilerplate from each: a dateline at
 * the start ("SEOUL, Nov. 21 (Yonhap) --", "washington ( cnn )"), an agency tag at the end
 * ("(Yonhap)", "(AP)"), and whole paragraphs that are bylines or "Read more" / "Click here" /
 * copyright lines. Appends one region per remaining paragraph to regions and sets *stripped
 * to how many boilerplate spans were removed. Linear in len. Errors: LEDE_ENOMEM, LEDE_ETOOBIG. */
int lede_text_regions(const char *body, size_t len, struct lede_regions *regions, size_t *stripped);

struct lede_lang;
/* The same for a language (NULL or English: exactly the rules above); other languages also
 * lose their press's datelines and agency tags (dateline.h: EFE, dpa, AFP, ANSA, Lusa, TASS,
 * Anadolu, Yonhap, Xinhua, Kyodo, ...). */
int lede_text_regions_lang(const char *body, size_t len, const struct lede_lang *lang,
                           struct lede_regions *regions, size_t *stripped);

/* True when a sentence (text[0..len)) is boilerplate on its own: "by . daily mail reporter .",
 * "published : .", "scroll down for video", "click here to ...", "read more : ...". */
bool lede_text_sentence_is_boilerplate(const char *text, size_t len);

#endif
