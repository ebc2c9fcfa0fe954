/* histogram.c: log-linear latency histogram (see histogram.h). Bucket index of v, with
 * m = 2^bits: v itself when v < 2m, else shift*m + (v >> shift) where shift = msb(v) - bits,
 * so each bucket's width is at most 1/m of its lowest value. */
#include "histogram.h"

#include <stdlib.h>

#include "error.h"

struct lede_hist {
    uint64_t highest;
    unsigned bits;
    size_t n; /* buckets */
    uint64_t count, min, max, clamped;
    double sum;
    uint64_t *counts;
};

static unsigned msb64(uint64_t v)
{
    return 63u - (unsigned)__builtin_clzll(v);
}

static size_t index_of(unsigned bits, uint64_t v)
{
    uint64_t m = 1ull << bits;
    if (v < 2 * m)
        return (size_t)v;
    unsigned shift = msb64(v) - bits;
    return (size_t)(shift * m + (v >> shift));
}

/* Lowest value of bucket i. */
static uint64_t bucket_low(unsigned bits, size_t i)
{
    uint64_t m = 1ull << bits;
    if (i < 2 * m)
        return i;
    uint64_t shift = i / m - 1;
    uint64_t top = i - shift * m; /* in [m, 2m) */
    return top << shift;
}

static uint64_t bucket_width(unsigned bits, size_t i)
{
    uint64_t m = 1ull << bits;
    if (i < 2 * m)
        return 1;
    return 1ull << (i / m - 1);
}

int lede_hist_new(uint64_t highest, unsigned bits, lede_hist_t **out)
{
    if (!out)
        return LEDE_EINVAL;
    *out = NULL;
    if (bits < LEDE_HIST_MIN_BITS || bits > LEDE_HIST_MAX_BITS || highest < 2 ||
        highest > (UINT64_MAX >> 2))
        return LEDE_EINVAL;
    lede_hist_t *h = calloc(1, sizeof *h);
    if (!h)
        return LEDE_ENOMEM;
    h->highest = highest;
    h->bits = bits;
    h->n = index_of(bits, highest) + 1;
    h->counts = calloc(h->n, sizeof *h->counts);
    if (!h->counts) {
        free(h);
        return LEDE_ENOMEM;
    }
    lede_hist_reset(h);
    *out = h;
    return LEDE_OK;
}

void lede_hist_destroy(lede_hist_t **h)
{
    if (!h || !*h)
        return;
    free((*h)->counts);
    free(*h);
    *h = NULL;
}

void lede_hist_reset(lede_hist_t *h)
{
    for (size_t i = 0; i < h->n; i++)
        h->counts[i] = 0;
    h->count = h->max = h->clamped = 0;
    h->min = UINT64_MAX;
    h->sum = 0;
}

void lede_hist_record_n(lede_hist_t *h, uint64_t value, uint64_t n)
{
    if (n == 0)
        return;
    if (value > h->highest) {
        value = h->highest;
        h->clamped += n;
    }
    h->counts[index_of(h->bits, value)] += n;
    h->count += n;
    h->sum += (double)value * (double)n;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void lede_hist_record(lede_hist_t *h, uint64_t value)
{
    lede_hist_record_n(h, value, 1);
}

int lede_hist_merge(lede_hist_t *dst, const lede_hist_t *src)
{
    if (dst->highest != src->highest || dst->bits != src->bits)
        return LEDE_EINVAL;
    if (src->count == 0)
        return LEDE_OK;
    for (size_t i = 0; i < dst->n; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->clamped += src->clamped;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    return LEDE_OK;
}

uint64_t lede_hist_count(const lede_hist_t *h)
{
    return h->count;
}
uint64_t lede_hist_min(const lede_hist_t *h)
{
    return h->count ? h->min : 0;
}
uint64_t lede_hist_max(const lede_hist_t *h)
{
    return h->max;
}
uint64_t lede_hist_clamped(const lede_hist_t *h)
{
    return h->clamped;
}
size_t lede_hist_buckets(const lede_hist_t *h)
{
    return h->n;
}

double lede_hist_mean(const lede_hist_t *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}

uint64_t lede_hist_lowest_equivalent(const lede_hist_t *h, uint64_t value)
{
    return bucket_low(h->bits, index_of(h->bits, value));
}

uint64_t lede_hist_highest_equivalent(const lede_hist_t *h, uint64_t value)
{
    size_t i = index_of(h->bits, value);
    return bucket_low(h->bits, i) + bucket_width(h->bits, i) - 1;
}

uint64_t lede_hist_percentile(const lede_hist_t *h, double p)
{
    if (h->count == 0)
        return 0;
    if (!(p > 0))
        return h->min;
    if (p >= 100)
        return h->max;
    /* rank = ceil(p/100 * count), at least 1 */
    double want = p / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->n; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = bucket_low(h->bits, i) + bucket_width(h->bits, i) - 1;
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}
