/* check_metrics.c: the Prometheus registry (common/metrics.c): the exact text exposition of
 * counters, gauges, labelled series and histograms, bucket edges (le is inclusive), escaping,
 * bad names and limits refused, and exact totals after many threads update at once. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metrics.h"
#include "run.h"

static char *render(lede_metrics_t *m)
{
    char *out = NULL;
    size_t len = 0;
    ck_assert_int_eq(lede_metrics_render(m, &out, &len), LEDE_OK);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

START_TEST(exposition_exact)
{
    lede_metrics_t *m = lede_metrics_new();
    lede_counter_t *c = lede_metrics_counter(m, "lede_calls_received_total", "Calls received.");
    lede_gauge_t *g = lede_metrics_gauge(m, "lede_queue_depth", "Calls waiting.");
    static const char *const labels[] = {"method", "status", NULL};
    lede_metrics_family_t *f = lede_metrics_family(m, LEDE_METRIC_COUNTER, "lede_calls_total",
                                                   "Calls answered.", labels, NULL, 0);
    static const double b[] = {0.25, 0.5, 1};
    lede_histogram_t *h = lede_metrics_histogram(m, "lede_call_seconds", "Call latency.", b, 3);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(h);
    lede_metrics_counter_add(c, 41);
    lede_metrics_counter_inc(c);
    lede_metrics_gauge_set(g, 2.5);
    lede_metrics_gauge_add(g, -1);
    const char *ok[] = {"Summarize", "OK"}, *bad[] = {"Summarize", "INVALID_ARGUMENT"};
    lede_metrics_counter_add(lede_metrics_family_counter(f, ok), 7);
    lede_metrics_counter_inc(lede_metrics_family_counter(f, bad));
    lede_metrics_counter_inc(lede_metrics_family_counter(f, ok)); /* same series again */
    lede_metrics_histogram_observe(h, 0.125);
    lede_metrics_histogram_observe(h, 0.25); /* on the edge: counts in le="0.25" */
    lede_metrics_histogram_observe(h, 0.75);
    lede_metrics_histogram_observe(h, 3); /* only in +Inf */
    char *out = render(m);
    ck_assert_str_eq(out, "# HELP lede_calls_received_total Calls received.\n"
                          "# TYPE lede_calls_received_total counter\n"
                          "lede_calls_received_total 42\n"
                          "# HELP lede_queue_depth Calls waiting.\n"
                          "# TYPE lede_queue_depth gauge\n"
                          "lede_queue_depth 1.5\n"
                          "# HELP lede_calls_total Calls answered.\n"
                          "# TYPE lede_calls_total counter\n"
                          "lede_calls_total{method=\"Summarize\",status=\"OK\"} 8\n"
                          "lede_calls_total{method=\"Summarize\",status=\"INVALID_ARGUMENT\"} 1\n"
                          "# HELP lede_call_seconds Call latency.\n"
                          "# TYPE lede_call_seconds histogram\n"
                          "lede_call_seconds_bucket{le=\"0.25\"} 2\n"
                          "lede_call_seconds_bucket{le=\"0.5\"} 2\n"
                          "lede_call_seconds_bucket{le=\"1\"} 3\n"
                          "lede_call_seconds_bucket{le=\"+Inf\"} 4\n"
                          "lede_call_seconds_sum 4.125\n"
                          "lede_call_seconds_count 4\n");
    free(out);
    lede_metrics_destroy(&m);
    ck_assert_ptr_null(m);
}
END_TEST

START_TEST(labelled_histogram_and_escaping)
{
    lede_metrics_t *m = lede_metrics_new();
    static const char *const labels[] = {"worker", NULL};
    lede_metrics_family_t *f = lede_metrics_family(
        m, LEDE_METRIC_HISTOGRAM, "lede_engine_seconds", "Engine time\nper article, a \\ here.",
        labels, lede_metrics_engine_buckets, lede_metrics_engine_buckets_n);
    ck_assert_ptr_nonnull(f);
    const char *w[] = {"a\"b\\c\nd"};
    lede_histogram_t *h = lede_metrics_family_histogram(f, w);
    lede_metrics_histogram_observe(h, 0.0002);
    lede_metrics_histogram_observe(h, NAN); /* ignored */
    ck_assert_uint_eq(lede_metrics_histogram_count(h), 1);
    char *out = render(m);
    ck_assert_ptr_nonnull(strstr(out, "# HELP lede_engine_seconds Engine time\\nper article, "
                                      "a \\\\ here.\n"));
    ck_assert_ptr_nonnull(strstr(out, "lede_engine_seconds_bucket{worker=\"a\\\"b\\\\c\\nd\","
                                      "le=\"0.0001\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(out, "lede_engine_seconds_bucket{worker=\"a\\\"b\\\\c\\nd\","
                                      "le=\"0.00025\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "lede_engine_seconds_count{worker=\"a\\\"b\\\\c\\nd\"} 1\n"));
    free(out);
    lede_metrics_destroy(&m);
}
END_TEST

/* build_info adds the process series Prometheus client libraries export, with real values. */
START_TEST(process_series)
{
    lede_metrics_t *m = lede_metrics_new();
    ck_assert_int_eq(lede_metrics_build_info(m, "gateway", "0.1.0", "0.1.0"), LEDE_OK);
    volatile double x = 0;
    for (long i = 0; i < 30000000; i++) /* some CPU time to see */
        x += (double)i * 1e-9;
    char *out = render(m);
    ck_assert_ptr_nonnull(strstr(out, "# TYPE process_cpu_seconds_total counter\n"));
    ck_assert_ptr_nonnull(strstr(out, "# TYPE process_resident_memory_bytes gauge\n"));
    ck_assert_ptr_nonnull(strstr(out, "# TYPE process_open_fds gauge\n"));
    double cpu = -1, rss = -1, fds = -1;
    const char *p = strstr(out, "\nprocess_cpu_seconds_total ");
    ck_assert_ptr_nonnull(p);
    cpu = strtod(p + strlen("\nprocess_cpu_seconds_total "), NULL);
    p = strstr(out, "\nprocess_resident_memory_bytes ");
    ck_assert_ptr_nonnull(p);
    rss = strtod(p + strlen("\nprocess_resident_memory_bytes "), NULL);
    p = strstr(out, "\nprocess_open_fds ");
    ck_assert_ptr_nonnull(p);
    fds = strtod(p + strlen("\nprocess_open_fds "), NULL);
    ck_assert(cpu > 0.0 && cpu < 1e6);
    ck_assert(rss > 1e5 && rss < 1e11);
    ck_assert(fds >= 3 && fds < 1e5); /* stdin, stdout, stderr at least */
    free(out);
    lede_metrics_destroy(&m);
}
END_TEST

/* Every sample line has the shape Prometheus' parser accepts. */
START_TEST(every_line_is_well_formed)
{
    lede_metrics_t *m = lede_metrics_new();
    ck_assert_int_eq(lede_metrics_build_info(m, "broker", "0.1.0", "0.1.0"), LEDE_OK);
    ck_assert_int_eq(lede_metrics_build_info(m, "broker", "0.1.0", "0.1.0"), LEDE_EINVAL);
    lede_histogram_t *h =
        lede_metrics_histogram(m, "lede_call_duration_seconds", "x", lede_metrics_latency_buckets,
                               lede_metrics_latency_buckets_n);
    for (int i = 0; i < 100; i++)
        lede_metrics_histogram_observe(h, i * 0.37);
    lede_metrics_gauge_set(lede_metrics_gauge(m, "g_inf", "inf"), INFINITY);
    lede_metrics_gauge_set(lede_metrics_gauge(m, "g_tiny", "tiny"), 1e-300);
    char *out = render(m);
    regex_t sample, comment;
    ck_assert_int_eq(
        regcomp(
            &sample,
            "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
            "(NaN|[+-]Inf|-?[0-9]+(\\.[0-9]+)?(e[+-][0-9]+)?)$",
            REG_EXTENDED | REG_NOSUB),
        0);
    ck_assert_int_eq(
        regcomp(&comment, "^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$", REG_EXTENDED | REG_NOSUB),
        0);
    size_t n = 0;
    char *save = NULL;
    for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++)
        ck_assert_msg(!regexec(l[0] == '#' ? &comment : &sample, l, 0, NULL, 0), "bad line: %s", l);
    ck_assert_uint_gt(n, 20);
    regfree(&sample);
    regfree(&comment);
    free(out);
    out = render(m);
    ck_assert_ptr_nonnull(strstr(out, "lede_build_info{component=\"broker\",version=\"0.1.0\","
                                      "engine_version=\"0.1.0\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "lede_call_duration_seconds_bucket{le=\"30\"} 82\n"));
    ck_assert_ptr_nonnull(strstr(out, "g_inf +Inf\n"));
    ck_assert_ptr_nonnull(strstr(out, "g_tiny 1e-300\n"));
    free(out);
    lede_metrics_destroy(&m);
}
END_TEST

START_TEST(bad_definitions_refused)
{
    lede_metrics_t *m = lede_metrics_new();
    static const double b[] = {1, 2}, unsorted[] = {2, 1}, inf[] = {1, INFINITY};
    static const char *const le[] = {"le", NULL}, *const dunder[] = {"__x", NULL},
                             *const twice[] = {"a", "a", NULL}, *const dash[] = {"a-b", NULL};
    ck_assert_ptr_null(lede_metrics_counter(m, "9starts_with_digit", "x"));
    ck_assert_ptr_null(lede_metrics_counter(m, "has-dash", "x"));
    ck_assert_ptr_null(lede_metrics_counter(m, "", "x"));
    ck_assert_ptr_nonnull(lede_metrics_counter(m, "ns:ok_total", "colons are fine"));
    ck_assert_ptr_null(lede_metrics_counter(m, "ns:ok_total", "duplicate"));
    ck_assert_ptr_null(lede_metrics_gauge(m, "ns:ok_total", "duplicate of another type"));
    ck_assert_ptr_null(lede_metrics_family(m, LEDE_METRIC_HISTOGRAM, "h1", "x", le, b, 2));
    ck_assert_ptr_null(lede_metrics_family(m, LEDE_METRIC_COUNTER, "c1", "x", dunder, NULL, 0));
    ck_assert_ptr_null(lede_metrics_family(m, LEDE_METRIC_COUNTER, "c2", "x", twice, NULL, 0));
    ck_assert_ptr_null(lede_metrics_family(m, LEDE_METRIC_COUNTER, "c3", "x", dash, NULL, 0));
    ck_assert_ptr_null(lede_metrics_histogram(m, "h2", "x", unsorted, 2));
    ck_assert_ptr_null(lede_metrics_histogram(m, "h3", "x", inf, 2));
    ck_assert_ptr_null(lede_metrics_histogram(m, "h4", "x", b, 0));
    ck_assert_ptr_null(lede_metrics_family(m, 42, "t", "x", NULL, NULL, 0));
    /* a series of the wrong type, missing label values */
    static const char *const one[] = {"k", NULL};
    lede_metrics_family_t *f = lede_metrics_family(m, LEDE_METRIC_GAUGE, "g", "x", one, NULL, 0);
    ck_assert_ptr_nonnull(f);
    const char *v[] = {"x"}, *nullv[] = {NULL};
    ck_assert_ptr_null(lede_metrics_family_counter(f, v));
    ck_assert_ptr_null(lede_metrics_family_gauge(f, NULL));
    ck_assert_ptr_null(lede_metrics_family_gauge(f, nullv));
    ck_assert_ptr_nonnull(lede_metrics_family_gauge(f, v));
    /* updates through NULL handles are harmless */
    lede_metrics_counter_inc(NULL);
    lede_metrics_gauge_set(NULL, 1);
    lede_metrics_histogram_observe(NULL, 1);
    ck_assert_uint_eq(lede_metrics_counter_get(NULL), 0);
    lede_metrics_destroy(&m);
    lede_metrics_destroy(&m); /* NULL is fine */
}
END_TEST

START_TEST(series_are_bounded)
{
    lede_metrics_t *m = lede_metrics_new();
    static const char *const l[] = {"id", NULL};
    lede_metrics_family_t *f =
        lede_metrics_family(m, LEDE_METRIC_COUNTER, "c_total", "x", l, NULL, 0);
    char id[32];
    const char *v[] = {id};
    for (int i = 0; i < LEDE_METRICS_MAX_SERIES; i++) {
        snprintf(id, sizeof id, "%d", i);
        ck_assert_ptr_nonnull(lede_metrics_family_counter(f, v));
    }
    snprintf(id, sizeof id, "one-too-many");
    ck_assert_ptr_null(lede_metrics_family_counter(f, v));
    snprintf(id, sizeof id, "7"); /* existing series are still found */
    ck_assert_ptr_nonnull(lede_metrics_family_counter(f, v));
    /* a value longer than the maximum is cut, and found again under the same cut */
    char long_v[LEDE_METRICS_MAX_VALUE * 2];
    memset(long_v, 'x', sizeof long_v - 1);
    long_v[sizeof long_v - 1] = 0;
    const char *lv[] = {long_v};
    lede_metrics_family_t *g =
        lede_metrics_family(m, LEDE_METRIC_COUNTER, "d_total", "x", l, NULL, 0);
    lede_counter_t *a = lede_metrics_family_counter(g, lv);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_eq(lede_metrics_family_counter(g, lv), a);
    lede_metrics_destroy(&m);
}
END_TEST

static void collect(void *ctx, lede_metrics_t *m)
{
    (void)m;
    lede_metrics_counter_set(ctx, lede_metrics_counter_get(ctx) + 10);
}

START_TEST(collect_hook_runs_per_render)
{
    lede_metrics_t *m = lede_metrics_new();
    lede_counter_t *c = lede_metrics_counter(m, "mirrored_total", "Copied at scrape time.");
    lede_metrics_on_collect(m, collect, c);
    free(render(m));
    char *out = render(m);
    ck_assert_ptr_nonnull(strstr(out, "mirrored_total 20\n"));
    free(out);
    lede_metrics_destroy(&m);
}
END_TEST

#define THREADS 4
#define ROUNDS  100000

struct shared {
    lede_metrics_family_t *f;
    lede_counter_t *c;
    lede_gauge_t *g;
    lede_histogram_t *h;
    lede_metrics_t *m;
};

static void *hammer(void *arg)
{
    struct shared *s = arg;
    const char *v[] = {"x"};
    for (int i = 0; i < ROUNDS; i++) {
        lede_metrics_counter_inc(s->c);
        lede_metrics_gauge_add(s->g, 1);
        lede_metrics_histogram_observe(s->h, (i % 4) * 0.5); /* 0, .5, 1, 1.5 */
        if (i % 1000 == 0) {
            lede_metrics_counter_inc(lede_metrics_family_counter(s->f, v));
            char *out;
            ck_assert_int_eq(lede_metrics_render(s->m, &out, NULL), LEDE_OK);
            free(out);
        }
    }
    return NULL;
}

START_TEST(concurrent_updates_are_exact)
{
    struct shared s = {.m = lede_metrics_new()};
    static const char *const l[] = {"k", NULL};
    static const double b[] = {0.5, 1};
    s.c = lede_metrics_counter(s.m, "c_total", "x");
    s.g = lede_metrics_gauge(s.m, "g", "x");
    s.h = lede_metrics_histogram(s.m, "h", "x", b, 2);
    s.f = lede_metrics_family(s.m, LEDE_METRIC_COUNTER, "f_total", "x", l, NULL, 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &s), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(lede_metrics_counter_get(s.c), THREADS * ROUNDS);
    ck_assert_double_eq(lede_metrics_gauge_get(s.g), THREADS * ROUNDS);
    ck_assert_uint_eq(lede_metrics_histogram_count(s.h), THREADS * ROUNDS);
    ck_assert_double_eq(lede_metrics_histogram_sum(s.h), THREADS * ROUNDS / 4 * 3.0);
    char *out = render(s.m);
    char want[128];
    snprintf(want, sizeof want,
             "h_bucket{le=\"0.5\"} %d\nh_bucket{le=\"1\"} %d\n"
             "h_bucket{le=\"+Inf\"} %d\n",
             THREADS * ROUNDS / 2, THREADS * ROUNDS * 3 / 4, THREADS * ROUNDS);
    ck_assert_msg(strstr(out, want) != NULL, "want %s in %s", want, out);
    snprintf(want, sizeof want, "f_total{k=\"x\"} %d\n", THREADS * ROUNDS / 1000);
    ck_assert_ptr_nonnull(strstr(out, want));
    free(out);
    lede_metrics_destroy(&s.m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, exposition_exact);
    tcase_add_test(tc, labelled_histogram_and_escaping);
    tcase_add_test(tc, every_line_is_well_formed);
    tcase_add_test(tc, process_series);
    tcase_add_test(tc, bad_definitions_refused);
    tcase_add_test(tc, series_are_bounded);
    tcase_add_test(tc, collect_hook_runs_per_render);
    tcase_add_test(tc, concurrent_updates_are_exact);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
