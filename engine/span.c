/* span.c: the bounded span array. */
#include "span.h"

#include <stdlib.h>

#include "error.h"

void lede_spans_init(struct lede_spans *s, size_t max)
{
    s->v = NULL;
    s->n = s->cap = 0;
    s->max = max;
}

void lede_spans_release(struct lede_spans *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

int lede_spans_push(struct lede_spans *s, size_t offset, size_t length)
{
    if (s->max && s->n >= s->max)
        return LEDE_ETOOBIG;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct lede_span *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return LEDE_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].offset = offset;
    s->v[s->n].length = length;
    s->n++;
    return LEDE_OK;
}
