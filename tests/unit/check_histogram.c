/* check_histogram.c: Check suite for lede-load's latency histogram (client/histogram.c: the
 * relative error bound over microseconds to hours, percentiles against an exact sort, merge,
 * clamping) and its open-loop schedule (client/load_sched.c: no drift, due counts, latency
 * from the intended send time so a stall is not hidden). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "histogram.h"
#include "load_sched.h"
#include "run.h"

#define HOUR_US 3600000000ull

/* xorshift64*: a fixed-seed generator so runs are repeatable. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Log-uniform in [1, hi]. */
static uint64_t rnd_log(uint64_t hi)
{
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    double v = exp(u * log((double)hi));
    uint64_t r = (uint64_t)v;
    return r < 1 ? 1 : (r > hi ? hi : r);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

START_TEST(new_rejects_bad_arguments)
{
    lede_hist_t *h = (lede_hist_t *)1;
    ck_assert_int_eq(lede_hist_new(HOUR_US, 0, &h), LEDE_EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(lede_hist_new(HOUR_US, 15, &h), LEDE_EINVAL);
    ck_assert_int_eq(lede_hist_new(1, 7, &h), LEDE_EINVAL);
    ck_assert_int_eq(lede_hist_new(HOUR_US, 7, NULL), LEDE_EINVAL);
    lede_hist_destroy(NULL);
    lede_hist_destroy(&h); /* h is NULL after the failures */
}
END_TEST

/* Every single value from 1 us to an hour comes back within 2^-bits above itself. */
START_TEST(single_value_error_bound)
{
    static const unsigned bits_list[] = {1, 3, 7, 10, 14};
    for (size_t b = 0; b < sizeof bits_list / sizeof *bits_list; b++) {
        unsigned bits = bits_list[b];
        lede_hist_t *h = NULL;
        ck_assert_int_eq(lede_hist_new(HOUR_US, bits, &h), LEDE_OK);
        double bound = 1.0 / (double)(1u << bits);
        for (int k = 0; k < 20000; k++) {
            uint64_t v = k < 200 ? (uint64_t)k + 1 : rnd_log(HOUR_US);
            uint64_t lo = lede_hist_lowest_equivalent(h, v);
            uint64_t hi = lede_hist_highest_equivalent(h, v);
            ck_assert_uint_le(lo, v);
            ck_assert_uint_ge(hi, v);
            ck_assert_msg((double)(hi - lo) <= bound * (double)lo + 1e-9,
                          "bits=%u v=%llu bucket [%llu,%llu] wider than 2^-bits", bits,
                          (unsigned long long)v, (unsigned long long)lo, (unsigned long long)hi);
            /* a histogram holding v and a larger neighbour reports p50 within the bound
             * (on a sample: a reset walks every bucket) */
            if (k % 40 != 0)
                continue;
            lede_hist_reset(h);
            lede_hist_record(h, v);
            lede_hist_record(h, HOUR_US);
            uint64_t got = lede_hist_percentile(h, 50);
            ck_assert_uint_ge(got, v);
            ck_assert_msg((double)(got - v) <= bound * (double)v, "bits=%u v=%llu reported %llu",
                          bits, (unsigned long long)v, (unsigned long long)got);
        }
        lede_hist_destroy(&h);
        ck_assert_ptr_null(h);
    }
}
END_TEST

/* Buckets are contiguous: each value's bucket starts right after the previous one ends. */
START_TEST(buckets_tile_the_range)
{
    lede_hist_t *h = NULL;
    ck_assert_int_eq(lede_hist_new(1u << 20, 4, &h), LEDE_OK);
    uint64_t v = 0;
    size_t buckets = 0;
    while (v <= (1u << 20)) {
        ck_assert_uint_eq(lede_hist_lowest_equivalent(h, v), v);
        v = lede_hist_highest_equivalent(h, v) + 1;
        buckets++;
    }
    ck_assert_uint_eq(buckets, lede_hist_buckets(h));
    lede_hist_destroy(&h);
    /* microseconds to an hour at 1/128 costs a few thousand buckets, not millions */
    ck_assert_int_eq(lede_hist_new(HOUR_US, 7, &h), LEDE_OK);
    ck_assert_uint_lt(lede_hist_buckets(h), 4000);
    lede_hist_destroy(&h);
}
END_TEST

/* Percentiles of 50k log-uniform samples against the exact order statistics. */
START_TEST(percentiles_match_exact_sort)
{
    enum { N = 50000 };
    uint64_t *xs = malloc(N * sizeof *xs);
    ck_assert_ptr_nonnull(xs);
    lede_hist_t *h = NULL;
    ck_assert_int_eq(lede_hist_new(HOUR_US, 7, &h), LEDE_OK);
    double sum = 0;
    for (int i = 0; i < N; i++) {
        xs[i] = rnd_log(60000000ull); /* 1 us .. 1 min */
        sum += (double)xs[i];
        lede_hist_record(h, xs[i]);
    }
    qsort(xs, N, sizeof *xs, cmp_u64);
    ck_assert_uint_eq(lede_hist_count(h), N);
    ck_assert_uint_eq(lede_hist_min(h), xs[0]);
    ck_assert_uint_eq(lede_hist_max(h), xs[N - 1]);
    ck_assert(fabs(lede_hist_mean(h) - sum / N) < 1e-6 * (sum / N));
    static const double ps[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
    for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
        size_t rank = (size_t)ceil(ps[k] / 100.0 * N);
        uint64_t exact = xs[rank - 1];
        uint64_t got = lede_hist_percentile(h, ps[k]);
        ck_assert_msg(got >= exact && (double)(got - exact) <= (double)exact / 128.0,
                      "p%g: exact %llu, histogram %llu", ps[k], (unsigned long long)exact,
                      (unsigned long long)got);
    }
    ck_assert_uint_eq(lede_hist_percentile(h, 0), xs[0]);
    ck_assert_uint_eq(lede_hist_percentile(h, 100), xs[N - 1]);
    lede_hist_destroy(&h);
    free(xs);
}
END_TEST

START_TEST(empty_clamp_merge_reset)
{
    lede_hist_t *a = NULL, *b = NULL, *c = NULL, *odd = NULL;
    ck_assert_int_eq(lede_hist_new(1000000, 7, &a), LEDE_OK);
    ck_assert_int_eq(lede_hist_new(1000000, 7, &b), LEDE_OK);
    ck_assert_int_eq(lede_hist_new(1000000, 7, &c), LEDE_OK);
    ck_assert_int_eq(lede_hist_new(1000000, 8, &odd), LEDE_OK);
    ck_assert_uint_eq(lede_hist_percentile(a, 99), 0);
    ck_assert_uint_eq(lede_hist_min(a), 0);
    ck_assert(lede_hist_mean(a) == 0.0);
    /* above highest: recorded as highest and counted */
    lede_hist_record(a, 5000000);
    ck_assert_uint_eq(lede_hist_clamped(a), 1);
    ck_assert_uint_eq(lede_hist_max(a), 1000000);
    for (uint64_t v = 1; v <= 1000; v++) {
        lede_hist_record(v % 2 ? a : b, v * 37);
        lede_hist_record(c, v * 37);
    }
    lede_hist_record_n(b, 12345, 3);
    lede_hist_record_n(c, 12345, 3);
    lede_hist_record_n(c, 1000000, 1);
    lede_hist_record_n(c, 99, 0); /* no-op */
    ck_assert_int_eq(lede_hist_merge(a, odd), LEDE_EINVAL);
    ck_assert_int_eq(lede_hist_merge(a, b), LEDE_OK);
    ck_assert_uint_eq(lede_hist_count(a), lede_hist_count(c));
    ck_assert_uint_eq(lede_hist_min(a), lede_hist_min(c));
    ck_assert_uint_eq(lede_hist_max(a), lede_hist_max(c));
    for (double p = 1; p < 100; p += 7.5)
        ck_assert_uint_eq(lede_hist_percentile(a, p), lede_hist_percentile(c, p));
    lede_hist_reset(a);
    ck_assert_uint_eq(lede_hist_count(a), 0);
    ck_assert_uint_eq(lede_hist_clamped(a), 0);
    ck_assert_uint_eq(lede_hist_percentile(a, 50), 0);
    lede_hist_destroy(&a);
    lede_hist_destroy(&b);
    lede_hist_destroy(&c);
    lede_hist_destroy(&odd);
}
END_TEST

START_TEST(sched_rejects_bad_rates)
{
    struct lede_load_sched s;
    ck_assert_int_eq(lede_load_sched_init(&s, 0, 0), -1);
    ck_assert_int_eq(lede_load_sched_init(&s, -5, 0), -1);
    ck_assert_int_eq(lede_load_sched_init(&s, NAN, 0), -1);
    ck_assert_int_eq(lede_load_sched_init(&s, INFINITY, 0), -1);
    ck_assert_int_eq(lede_load_sched_init(&s, 2e9, 0), -1);
    ck_assert_int_eq(lede_load_sched_init(NULL, 10, 0), -1);
    ck_assert_int_eq(lede_load_sched_init(&s, 0.5, 0), 0);
}
END_TEST

/* Intended times come from the index: no drift over millions of calls at awkward rates. */
START_TEST(sched_intended_times_do_not_drift)
{
    struct lede_load_sched s;
    uint64_t t0 = 5000000000ull;
    ck_assert_int_eq(lede_load_sched_init(&s, 3.0, t0), 0);
    ck_assert_uint_eq(lede_load_sched_intended(&s, 0), t0);
    ck_assert_uint_eq(lede_load_sched_intended(&s, 1), t0 + 333333333);
    ck_assert_uint_eq(lede_load_sched_intended(&s, 2), t0 + 666666667);
    ck_assert_uint_eq(lede_load_sched_intended(&s, 3), t0 + 1000000000);
    ck_assert_uint_eq(lede_load_sched_intended(&s, 3000000), t0 + 1000000000000000ull);
    ck_assert_int_eq(lede_load_sched_init(&s, 7000.0, t0), 0);
    ck_assert_uint_eq(lede_load_sched_intended(&s, 7000ull * 3600), t0 + 3600000000000ull);
    /* monotone, gaps within 1 ns of the period */
    uint64_t prev = lede_load_sched_intended(&s, 0);
    for (uint64_t i = 1; i < 100000; i++) {
        uint64_t t = lede_load_sched_intended(&s, i);
        ck_assert(t - prev >= 142856 && t - prev <= 142858);
        prev = t;
    }
}
END_TEST

START_TEST(sched_due_counts)
{
    struct lede_load_sched s;
    uint64_t t0 = 1000;
    ck_assert_int_eq(lede_load_sched_init(&s, 1000.0, t0), 0); /* one per ms */
    ck_assert_uint_eq(lede_load_sched_due(&s, 0, 100), 0);     /* before the start */
    ck_assert_uint_eq(lede_load_sched_due(&s, t0, 100), 1);    /* call 0 at the start */
    ck_assert_uint_eq(lede_load_sched_due(&s, t0 + 999999, 100), 1);
    ck_assert_uint_eq(lede_load_sched_due(&s, t0 + 1000000, 100), 2);
    ck_assert_uint_eq(lede_load_sched_due(&s, t0 + 999999999, 5000), 1000);
    ck_assert_uint_eq(lede_load_sched_due(&s, t0 + 999999999, 10), 10); /* capped */
    ck_assert_uint_eq(lede_load_sched_wait_ns(&s, t0 - 500), 500);
    /* take 3: the next due is call 3 */
    ck_assert_uint_eq(lede_load_sched_take(&s), t0);
    ck_assert_uint_eq(lede_load_sched_take(&s), t0 + 1000000);
    ck_assert_uint_eq(lede_load_sched_take(&s), t0 + 2000000);
    ck_assert_uint_eq(lede_load_sched_due(&s, t0 + 2500000, 100), 0);
    ck_assert_uint_eq(lede_load_sched_wait_ns(&s, t0 + 2500000), 500000);
    ck_assert_uint_eq(lede_load_sched_due(&s, t0 + 10000000, 100), 8);
    ck_assert_uint_eq(lede_load_sched_wait_ns(&s, t0 + 10000000), 0);
    /* the due count agrees with the intended times at every boundary */
    ck_assert_int_eq(lede_load_sched_init(&s, 3.0, 0), 0);
    for (uint64_t i = 1; i < 3000; i++) {
        uint64_t t = lede_load_sched_intended(&s, i);
        ck_assert_uint_eq(lede_load_sched_due(&s, t - 1, UINT64_MAX), i);
        ck_assert_uint_eq(lede_load_sched_due(&s, t, UINT64_MAX), i + 1);
    }
}
END_TEST

START_TEST(latency_from_intended_time)
{
    ck_assert_uint_eq(lede_load_latency_us(1000, 1000), 0);
    ck_assert_uint_eq(lede_load_latency_us(1000, 1001), 1);
    ck_assert_uint_eq(lede_load_latency_us(1000, 2000), 1);
    ck_assert_uint_eq(lede_load_latency_us(1000, 2001), 2);
    ck_assert_uint_eq(lede_load_latency_us(5000, 1000), 0);
}
END_TEST

/* A service that answers in 1 ms but stalls for 1 s once, driven at 100 calls/s for 3 s with
 * one call at a time (the sender blocks while the service stalls). Measured from the actual
 * send time only one call looks slow (coordinated omission); measured from the intended time,
 * as lede-load does, the ~100 calls that were due during the stall all count. */
START_TEST(open_loop_does_not_hide_a_stall)
{
    struct lede_load_sched s;
    uint64_t t0 = 0, now = 0;
    ck_assert_int_eq(lede_load_sched_init(&s, 100.0, t0), 0);
    lede_hist_t *intended = NULL, *naive = NULL;
    ck_assert_int_eq(lede_hist_new(HOUR_US, 7, &intended), LEDE_OK);
    ck_assert_int_eq(lede_hist_new(HOUR_US, 7, &naive), LEDE_OK);
    int stalled = 0;
    while (s.next < 300) {
        if (lede_load_sched_due(&s, now, 1) == 0)
            now += lede_load_sched_wait_ns(&s, now);
        uint64_t due = lede_load_sched_take(&s);
        uint64_t sent = now;
        uint64_t service = 1000000; /* 1 ms */
        if (!stalled && sent >= 1000000000ull) {
            service = 1000000000ull;
            stalled = 1;
        }
        now = sent + service;
        lede_hist_record(intended, lede_load_latency_us(due, now));
        lede_hist_record(naive, lede_load_latency_us(sent, now));
    }
    ck_assert_uint_eq(lede_hist_count(intended), 300);
    /* naive: p99 looks like 1 ms; intended: p99 (and p90) see the stall */
    ck_assert_uint_le(lede_hist_percentile(naive, 99), 1100);
    ck_assert_uint_ge(lede_hist_percentile(intended, 99), 900000);
    /* calls 100..199 wait 1000 - 9 * (k - 100) ms: p90 is the 30th slowest, p70 the 90th */
    ck_assert_uint_ge(lede_hist_percentile(intended, 90), 700000);
    ck_assert_uint_ge(lede_hist_percentile(intended, 70), 150000);
    ck_assert_uint_le(lede_hist_percentile(intended, 50), 1100);
    ck_assert_uint_ge(lede_hist_max(intended), 1000000);
    lede_hist_destroy(&intended);
    lede_hist_destroy(&naive);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("histogram");
    TCase *h = tcase_create("histogram");
    tcase_add_test(h, new_rejects_bad_arguments);
    tcase_add_test(h, single_value_error_bound);
    tcase_add_test(h, buckets_tile_the_range);
    tcase_add_test(h, percentiles_match_exact_sort);
    tcase_add_test(h, empty_clamp_merge_reset);
    suite_add_tcase(s, h);
    TCase *o = tcase_create("open_loop");
    tcase_add_test(o, sched_rejects_bad_rates);
    tcase_add_test(o, sched_intended_times_do_not_drift);
    tcase_add_test(o, sched_due_counts);
    tcase_add_test(o, latency_from_intended_time);
    tcase_add_test(o, open_loop_does_not_hide_a_stall);
    suite_add_tcase(s, o);
    return s;
}

int main(void)
{
    return lede_test_run(suite());
}
