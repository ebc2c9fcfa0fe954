/* histogram.h: a small latency histogram in the manner of HdrHistogram, used by lede-load.
 * Values (microseconds) go into log-linear buckets: exact below 2^(bits+1), above that each
 * power of two is split into 2^bits buckets, so any reported value is within 2^-bits of the
 * recorded one (relative), over the whole range 1 .. highest. Memory is fixed at creation. */
#ifndef LEDE_HISTOGRAM_H
#define LEDE_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct lede_hist lede_hist_t;

#define LEDE_HIST_MIN_BITS 1
#define LEDE_HIST_MAX_BITS 14

/* A histogram for values 0..highest (larger values are recorded as highest and counted by
 * lede_hist_clamped) with relative error at most 2^-bits. On LEDE_OK *out is the caller's
 * (lede_hist_destroy). Errors: LEDE_EINVAL (bits outside 1..14, highest < 2), LEDE_ENOMEM. */
int lede_hist_new(uint64_t highest, unsigned bits, lede_hist_t **out);

/* Frees h (NULL is fine) and sets *h to NULL. */
void lede_hist_destroy(lede_hist_t **h);

/* Records value n times (n may be 0). */
void lede_hist_record_n(lede_hist_t *h, uint64_t value, uint64_t n);
void lede_hist_record(lede_hist_t *h, uint64_t value);

/* Adds src's counts to dst. Returns LEDE_OK, or LEDE_EINVAL if their highest or bits differ. */
int lede_hist_merge(lede_hist_t *dst, const lede_hist_t *src);

/* Forgets every value recorded. */
void lede_hist_reset(lede_hist_t *h);

uint64_t lede_hist_count(const lede_hist_t *h);
uint64_t lede_hist_min(const lede_hist_t *h);     /* exact; 0 when empty */
uint64_t lede_hist_max(const lede_hist_t *h);     /* exact (after clamping); 0 when empty */
double lede_hist_mean(const lede_hist_t *h);      /* exact; 0 when empty */
uint64_t lede_hist_clamped(const lede_hist_t *h); /* values recorded above highest */

/* The value at percentile p (0..100): the smallest recorded value v such that at least p% of
 * the values are <= v, reported as the top of v's bucket (never above the maximum, never below
 * the minimum), so it is >= the true value and within 2^-bits of it. 0 when empty. */
uint64_t lede_hist_percentile(const lede_hist_t *h, double p);

/* The range of values that share value's bucket: [lowest, highest] equivalent. */
uint64_t lede_hist_lowest_equivalent(const lede_hist_t *h, uint64_t value);
uint64_t lede_hist_highest_equivalent(const lede_hist_t *h, uint64_t value);

/* Buckets in use (the memory is about 8 bytes each). */
size_t lede_hist_buckets(const lede_hist_t *h);

#endif
