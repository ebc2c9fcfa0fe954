/* worker_ops.c: lede-worker's Prometheus series, readiness and log lines; see worker_ops.h. */
#include "worker_ops.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "log.h"
#include "utf8.h"
#include "wire.h"

int lede_worker_metrics_init(struct lede_worker_metrics *wm, lede_metrics_t *m)
{
    static const char *const call_labels[] = {"method", "status", NULL};
    int rc = LEDE_OK;
    lede_metrics_family_t *f =
        lede_metrics_family(m, LEDE_METRIC_COUNTER, "lede_worker_calls_total",
                            "Calls answered, by method and gRPC status", call_labels, NULL, 0);
    if (!f)
        rc = LEDE_EINVAL;
    for (int k = 0; f && k < 2; k++)
        for (int s = 0; s < LEDE_WORKER_METRICS_STATUSES; s++) {
            const char *v[] = {k == 0 ? LEDE_METHOD_SUMMARIZE : "other", lede_wire_status_name(s)};
            wm->calls[k][s] = lede_metrics_family_counter(f, v);
        }
    wm->call_seconds = lede_metrics_histogram(
        m, "lede_worker_call_duration_seconds", "Calls from receipt to reply (engine results)",
        lede_metrics_latency_buckets, lede_metrics_latency_buckets_n);
    wm->engine_seconds =
        lede_metrics_histogram(m, "lede_worker_engine_seconds", "Engine time per article",
                               lede_metrics_engine_buckets, lede_metrics_engine_buckets_n);
    wm->in_flight = lede_metrics_gauge(m, "lede_worker_in_flight",
                                       "Calls held: running or waiting for an engine thread");
    wm->reconnects =
        lede_metrics_counter(m, "lede_worker_reconnects_total", "Broker links re-made");
    wm->malformed = lede_metrics_counter(m, "lede_worker_malformed_total",
                                         "Frames from brokers that did not decode");
    wm->brokers_registered = lede_metrics_gauge(m, "lede_worker_brokers_registered",
                                                "Brokers this worker is registered with");
    if (!wm->call_seconds || !wm->engine_seconds || !wm->in_flight || !wm->reconnects ||
        !wm->malformed || !wm->brokers_registered)
        rc = LEDE_EINVAL;
    return rc;
}

void lede_worker_metrics_call(struct lede_worker_metrics *wm, const char *method, int status)
{
    if (!wm)
        return;
    int k = method && strcmp(method, LEDE_METHOD_SUMMARIZE) != 0;
    if (status < 0 || status >= LEDE_WORKER_METRICS_STATUSES)
        status = LEDE__V1__STATUS__UNKNOWN;
    lede_metrics_counter_inc(wm->calls[k][status]);
}

void lede_worker_metrics_done(struct lede_worker_metrics *wm, int status, uint64_t call_us,
                              uint64_t engine_us)
{
    if (!wm)
        return;
    lede_worker_metrics_call(wm, NULL, status);
    lede_metrics_histogram_observe(wm->call_seconds, (double)call_us / 1e6);
    if (engine_us)
        lede_metrics_histogram_observe(wm->engine_seconds, (double)engine_us / 1e6);
}

void lede_worker_metrics_in_flight(struct lede_worker_metrics *wm, uint64_t n)
{
    if (wm)
        lede_metrics_gauge_set(wm->in_flight, (double)n);
}

void lede_worker_metrics_reconnect(struct lede_worker_metrics *wm)
{
    if (wm)
        lede_metrics_counter_inc(wm->reconnects);
}

void lede_worker_metrics_malformed(struct lede_worker_metrics *wm)
{
    if (wm)
        lede_metrics_counter_inc(wm->malformed);
}

void lede_worker_metrics_registered(struct lede_worker_metrics *wm, int delta)
{
    if (!wm)
        return;
    int n = atomic_fetch_add(&wm->registered, delta) + delta;
    lede_metrics_gauge_set(wm->brokers_registered, n < 0 ? 0 : n);
}

bool lede_worker_metrics_ready(void *ctx, char *why, size_t why_len)
{
    struct lede_worker_metrics *wm = ctx;
    if (wm && atomic_load(&wm->registered) > 0)
        return true;
    snprintf(why, why_len, "not registered with any broker yet");
    return false;
}

const char *lede_worker_trace_id(const Lede__V1__Call *c)
{
    for (size_t i = 0; c && i < c->n_metadata; i++)
        if (c->metadata[i]->key && strcmp(c->metadata[i]->key, "trace-id") == 0)
            return c->metadata[i]->value ? c->metadata[i]->value : "";
    return "";
}

#define LOG_MAX_FIELDS 24

void lede_worker_log(const char *name, int level, const char *call_id, const char *trace_id,
                     const char *event, const struct lede_log_field *fields, size_t n)
{
    lede_log_t *log = lede_log_default();
    if (!log || !lede_log_enabled(log, level))
        return;
    struct lede_log_field f[LOG_MAX_FIELDS + 1];
    size_t k = 0;
    for (size_t i = 0; i < n && k < LOG_MAX_FIELDS; i++)
        if (fields[i].value && *fields[i].value)
            f[k++] = fields[i];
    f[k++] = (struct lede_log_field){"worker", name};
    lede_log_write(log, level, call_id && *call_id ? call_id : NULL,
                   trace_id && *trace_id ? trace_id : NULL, f, k, event);
}
