/* span.h: byte ranges into a text and a bounded growable array of them.
 * Used by every engine stage to refer to paragraphs, sentences and tokens without copying. */
#ifndef LEDE_SPAN_H
#define LEDE_SPAN_H

#include <stddef.h>

struct lede_span {
    size_t offset; /* first byte, relative to the text the span was cut from */
    size_t length; /* bytes */
};

/* A growable array with a hard maximum set at creation (0 = no maximum). */
struct lede_spans {
    struct lede_span *v;
    size_t n, cap, max;
};

/* Empty array that will refuse to grow past max spans (0: unbounded). */
void lede_spans_init(struct lede_spans *s, size_t max);
/* Frees the storage; the array is empty and reusable afterwards. */
void lede_spans_release(struct lede_spans *s);
/* Appends a span. Returns LEDE_OK, LEDE_ENOMEM, or LEDE_ETOOBIG past the maximum. */
int lede_spans_push(struct lede_spans *s, size_t offset, size_t length);

#endif
