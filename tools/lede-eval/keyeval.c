/* keyeval.c: keyphrase scoring for lede-eval (see keyeval.h). Quadratic in the phrases of one
 * document, which number a few dozen. */
#include "keyeval.h"

#include <stdbool.h>
#include <string.h>

#include "porter.h"

size_t lede_keyeval_normal(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    char w[256];
    while (i < n) {
        while (i < n && !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                          (s[i] >= '0' && s[i] <= '9')))
            i++;
        size_t wl = 0;
        while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                         (s[i] >= '0' && s[i] <= '9'))) {
            if (wl < sizeof w)
                w[wl++] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
            i++;
        }
        if (!wl)
            break;
        wl = lede_porter_stem(w, wl);
        if (o + (o ? 1 : 0) + wl + 1 > cap)
            return 0;
        if (o)
            out[o++] = ' ';
        memcpy(out + o, w, wl);
        o += wl;
    }
    if (cap)
        out[o < cap ? o : cap - 1] = 0;
    return o;
}

static size_t distinct_in(const char *const *v, size_t n, const char *const *other, size_t no,
                          size_t *distinct)
{
    size_t hits = 0, d = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(v[i], v[j]);
        if (seen)
            continue;
        d++;
        for (size_t j = 0; j < no; j++)
            if (!strcmp(v[i], other[j])) {
                hits++;
                break;
            }
    }
    *distinct = d;
    return hits;
}

void lede_keyeval_prf(const char *const *gold, size_t ng, const char *const *pred, size_t np,
                      double *p, double *r, double *f)
{
    size_t dg, dp;
    size_t hits = distinct_in(pred, np, gold, ng, &dp);
    distinct_in(gold, ng, pred, 0, &dg);
    *p = dp ? (double)hits / (double)dp : 0;
    *r = dg ? (double)hits / (double)dg : 0;
    *f = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
}
