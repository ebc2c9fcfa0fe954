/* check_worker_ops.c: lede-worker's operations hooks (worker/worker_ops.c): its event lines
 * split into logger fields (message, call_id, trace_id, quoted values), the series it updates
 * (calls by method and status, histograms, gauges) and its readiness. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "metrics.h"
#include "wire.h"
#include "worker_ops.h"
#include "run.h"

static long long fixed_clock(void *ctx)
{
    return *(long long *)ctx;
}

static long long t0 = 1735732800123LL; /* 2025-01-01T12:00:00.123Z */

/* Logs one event through lede_worker_log with a default logger on a memory stream; returns the
 * line(s) written (the caller frees). */
static char *logged(int format, int level, int line_level, const char *call_id,
                    const char *trace_id, const char *event, const struct lede_log_field *f,
                    size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(fp);
    lede_log_t *log = NULL;
    ck_assert_int_eq(lede_log_new(fp, "worker", format, level, &log), LEDE_OK);
    lede_log_set_clock(log, fixed_clock, &t0);
    lede_log_set_default(log);
    lede_worker_log("w1", line_level, call_id, trace_id, event, f, n);
    lede_log_destroy(&log);
    ck_assert_ptr_null(lede_log_default());
    fclose(fp);
    return buf;
}

START_TEST(event_line_to_fields)
{
    const struct lede_log_field f[] = {
        {"broker", "tcp://b:5556"}, {"reason", "broker silent"}, {"delay_ms", "250"}};
    char *s = logged(LEDE_LOG_LOGFMT, LEDE_LOG_INFO, LEDE_LOG_WARN, NULL, NULL, "reconnect", f, 3);
    ck_assert_str_eq(s, "ts=2025-01-01T12:00:00.123Z level=warn component=worker msg=reconnect "
                        "broker=tcp://b:5556 reason=\"broker silent\" delay_ms=250 worker=w1\n");
    free(s);
}
END_TEST

START_TEST(call_and_trace_ids)
{
    const struct lede_log_field f[] = {{"attempt", "1"}};
    char *s = logged(LEDE_LOG_JSON, LEDE_LOG_DEBUG, LEDE_LOG_DEBUG, "c-1", "t \"9\"", "call", f, 1);
    ck_assert_str_eq(s, "{\"ts\":\"2025-01-01T12:00:00.123Z\",\"level\":\"debug\",\"component\":"
                        "\"worker\",\"call_id\":\"c-1\",\"trace_id\":\"t \\\"9\\\"\",\"msg\":"
                        "\"call\",\"attempt\":\"1\",\"worker\":\"w1\"}\n");
    free(s);
    /* no trace id: the field is left out, not written empty */
    s = logged(LEDE_LOG_LOGFMT, LEDE_LOG_DEBUG, LEDE_LOG_DEBUG, "c-2", "", "call", NULL, 0);
    ck_assert_ptr_nonnull(strstr(s, " call_id=c-2 msg=call worker=w1\n"));
    ck_assert_ptr_null(strstr(s, "trace_id"));
    free(s);
}
END_TEST

/* Regression (issue 10/11): values are fields, never text parsed back, so a call id holding
 * quotes and "key=value" cannot forge fields of its own. */
START_TEST(call_id_cannot_forge_fields)
{
    const char *evil = "x\" level=error worker=forged trace_id=\"t";
    char *s = logged(LEDE_LOG_JSON, LEDE_LOG_DEBUG, LEDE_LOG_DEBUG, evil, NULL, "call", NULL, 0);
    ck_assert_ptr_nonnull(strstr(s, "\"level\":\"debug\""));
    ck_assert_ptr_nonnull(strstr(s, "\"worker\":\"w1\""));
    ck_assert_ptr_null(strstr(s, "\"worker\":\"forged\""));
    ck_assert_ptr_null(strstr(s, "\"trace_id\""));
    free(s);
    s = logged(LEDE_LOG_LOGFMT, LEDE_LOG_DEBUG, LEDE_LOG_DEBUG, evil, NULL, "call", NULL, 0);
    /* the whole id is one quoted, escaped value; the line's own fields follow it */
    ck_assert_ptr_nonnull(strstr(s, " level=debug "));
    ck_assert_ptr_nonnull(strstr(
        s, " call_id=\"x\\\" level=error worker=forged trace_id=\\\"t\" msg=call worker=w1\n"));
    free(s);
}
END_TEST

START_TEST(stats_line_and_levels)
{
    const struct lede_log_field f[] = {{"at", "exit"}, {"calls", "3"}, {"ok", "3"}};
    char *s = logged(LEDE_LOG_LOGFMT, LEDE_LOG_INFO, LEDE_LOG_INFO, NULL, NULL, "stats", f, 3);
    ck_assert_ptr_nonnull(strstr(s, " msg=stats at=exit calls=3 ok=3 worker=w1\n"));
    free(s);
    s = logged(LEDE_LOG_LOGFMT, LEDE_LOG_INFO, LEDE_LOG_DEBUG, "x", NULL, "call", NULL, 0);
    ck_assert_str_eq(s, ""); /* below the level: nothing */
    free(s);
    /* empty values are left out */
    const struct lede_log_field g[] = {{"reason", ""}, {"broker", "b"}};
    s = logged(LEDE_LOG_LOGFMT, LEDE_LOG_INFO, LEDE_LOG_ERROR, NULL, NULL, "x", g, 2);
    ck_assert_ptr_nonnull(strstr(s, " msg=x broker=b worker=w1\n"));
    free(s);
}
END_TEST

static char *render(lede_metrics_t *m)
{
    char *out = NULL;
    ck_assert_int_eq(lede_metrics_render(m, &out, NULL), LEDE_OK);
    return out;
}

START_TEST(series_and_readiness)
{
    static struct lede_worker_metrics wm; /* zeroed, as main.c's */
    lede_metrics_t *m = lede_metrics_new();
    ck_assert_ptr_nonnull(m);
    char why[64] = "";
    ck_assert(!lede_worker_metrics_ready(&wm, why, sizeof why));
    ck_assert_ptr_nonnull(strstr(why, "not registered"));
    ck_assert_int_eq(lede_worker_metrics_init(&wm, m), LEDE_OK);
    lede_worker_metrics_done(&wm, 0, 2500, 1200);        /* OK, 2.5 ms, 1.2 ms engine */
    lede_worker_metrics_done(&wm, 4, 40000, 0);          /* DEADLINE_EXCEEDED, not run */
    lede_worker_metrics_call(&wm, "x.Nope/Nothing", 12); /* UNIMPLEMENTED, another method */
    lede_worker_metrics_call(&wm, NULL, 99);             /* out of range: UNKNOWN */
    lede_worker_metrics_in_flight(&wm, 3);
    lede_worker_metrics_reconnect(&wm);
    lede_worker_metrics_registered(&wm, 1);
    ck_assert(lede_worker_metrics_ready(&wm, why, sizeof why));
    char *s = render(m);
    ck_assert_ptr_nonnull(strstr(s, "lede_worker_calls_total{method=\"lede.v1.Summarizer/"
                                    "Summarize\",status=\"OK\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "lede_worker_calls_total{method=\"other\",status=\"UNIMPLEMENTED\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "lede_worker_calls_total{method=\"lede.v1.Summarizer/"
                                    "Summarize\",status=\"UNKNOWN\"} 1\n"));
    ck_assert_ptr_null(strstr(s, "Nope")); /* a client's method name never becomes a label */
    ck_assert_ptr_nonnull(strstr(s, "lede_worker_call_duration_seconds_count 2\n"));
    ck_assert_ptr_nonnull(strstr(s, "lede_worker_engine_seconds_count 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "lede_worker_in_flight 3\n"));
    ck_assert_ptr_nonnull(strstr(s, "lede_worker_reconnects_total 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "lede_worker_brokers_registered 1\n"));
    free(s);
    lede_worker_metrics_registered(&wm, -1);
    ck_assert(!lede_worker_metrics_ready(&wm, why, sizeof why));
    /* NULL: no metrics, nothing happens */
    lede_worker_metrics_done(NULL, 0, 1, 1);
    lede_worker_metrics_registered(NULL, 1);
    lede_metrics_destroy(&m);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("worker_ops");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, event_line_to_fields);
    tcase_add_test(tc, call_and_trace_ids);
    tcase_add_test(tc, call_id_cannot_forge_fields);
    tcase_add_test(tc, stats_line_and_levels);
    tcase_add_test(tc, series_and_readiness);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lede_test_run(suite());
}
