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
        status = 2; /* UNKNOWN */
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

void lede_worker_log(const char *name, const char *level, const char *text)
{
    lede_log_t *log = lede_log_default();
    int lv = LEDE_LOG_INFO;
    lede_log_level_parse(level, &lv);
    if (!log) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ lede-worker name=%s level=%s %s\n",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                ts.tv_nsec / 1000000L, name, level, text);
        return;
    }
    if (!lede_log_enabled(log, lv))
        return;
    /* split a copy in place: key=value or key="value with \" escapes" */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    struct lede_log_field f[LOG_MAX_FIELDS + 1];
    size_t n = 0;
    const char *msg = "", *call_id = NULL, *trace_id = NULL;
    char *p = buf;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        char *key = p, *val = NULL;
        while (*p && *p != ' ' && *p != '=')
            p++;
        if (*p == '=') {
            *p++ = 0;
            if (*p == '"') {
                char *out = ++p;
                val = out;
                while (*p && *p != '"') {
                    if (*p == '\\' && p[1])
                        p++;
                    *out++ = *p++;
                }
                if (*p)
                    p++;
                *out = 0;
            } else {
                val = p;
                while (*p && *p != ' ')
                    p++;
            }
        }
        if (*p)
            *p++ = 0;
        if (!val) { /* a bare word: the message, if none yet */
            if (!*msg)
                msg = key;
        } else if (!strcmp(key, "event") && !*msg) {
            msg = val;
        } else if (!strcmp(key, "call_id")) {
            call_id = val;
        } else if (!strcmp(key, "trace_id")) {
            trace_id = val;
        } else if (*val && n < LOG_MAX_FIELDS) {
            f[n].key = key;
            f[n++].value = val;
        }
    }
    f[n].key = "worker";
    f[n++].value = name;
    lede_log_write(log, lv, call_id, trace_id, f, n, msg);
}

const char *lede_worker_log_quote(char *buf, size_t size, const char *s)
{
    char clean[512];
    size_t n = lede_utf8_sanitize(clean, sizeof clean, s ? s : "", s ? strlen(s) : 0), o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)clean[i];
        int esc = c == '"' || c == '\\';
        if (o + (size_t)esc + 2 > size)
            break;
        /* a multi-byte character is copied whole or not at all */
        if (c >= 0x80) {
            size_t k = i + 1;
            while (k < n && ((unsigned char)clean[k] & 0xC0) == 0x80)
                k++;
            if (o + (k - i) + 1 > size)
                break;
            memcpy(buf + o, clean + i, k - i);
            o += k - i;
            i = k - 1;
            continue;
        }
        if (esc)
            buf[o++] = '\\';
        buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[o] = 0;
    return buf;
}
