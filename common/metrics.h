/* metrics.h: a small Prometheus registry for lede's processes: counters, gauges, histograms
 * with fixed buckets, each optionally with labels (calls{method,status}), and build info,
 * rendered in the Prometheus text exposition format (version 0.0.4) for GET /metrics.
 * Updating a metric is lock-free (atomics) and safe from any thread; registering, creating a
 * labelled series and rendering take the registry's mutex. */
#ifndef LEDE_METRICS_H
#define LEDE_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum lede_metric_type {
    LEDE_METRIC_COUNTER = 0,
    LEDE_METRIC_GAUGE,
    LEDE_METRIC_HISTOGRAM,
};

/* Bounds that keep a registry finite. */
#define LEDE_METRICS_MAX_FAMILIES 256
#define LEDE_METRICS_MAX_SERIES   1024        /* label combinations per family */
#define LEDE_METRICS_MAX_LABELS   8           /* label names per family */
#define LEDE_METRICS_MAX_BUCKETS  32          /* bucket bounds per histogram (+Inf is added) */
#define LEDE_METRICS_MAX_VALUE    256         /* bytes per label value (longer ones are cut) */
#define LEDE_METRICS_MAX_OUTPUT   (16u << 20) /* bytes of one rendering */

/* Call latency in seconds, from 50 us to 30 s (17 bounds): a call through a broker on one
 * machine takes well under a millisecond. */
extern const double lede_metrics_latency_buckets[];
extern const size_t lede_metrics_latency_buckets_n;
/* Engine time per article in seconds, from 100 us to 2.5 s (13 bounds). */
extern const double lede_metrics_engine_buckets[];
extern const size_t lede_metrics_engine_buckets_n;

typedef struct lede_metrics lede_metrics_t;
typedef struct lede_metrics_family lede_metrics_family_t;
/* One series (a family's metric for one set of label values). Borrowed from the registry:
 * valid until lede_metrics_destroy. */
typedef struct lede_counter lede_counter_t;
typedef struct lede_gauge lede_gauge_t;
typedef struct lede_histogram lede_histogram_t;

/* A new empty registry; the caller's, free with lede_metrics_destroy. NULL when out of memory. */
lede_metrics_t *lede_metrics_new(void);
void lede_metrics_destroy(lede_metrics_t **m);

/* Registers a family. name: [a-zA-Z_:][a-zA-Z0-9_:]*, unique in the registry (a counter's
 * name should end in _total); help: one line; labels: NULL-terminated label names
 * ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __, not "le" for histograms) or NULL for none;
 * buckets: strictly increasing finite upper bounds for a histogram (ignored otherwise).
 * Returns the family (borrowed), or NULL for a bad name, label or bucket list, a duplicate
 * name, too many families, or no memory. All strings are copied. */
lede_metrics_family_t *lede_metrics_family(lede_metrics_t *m, int type, const char *name,
                                           const char *help, const char *const *labels,
                                           const double *buckets, size_t n_buckets);

/* The series of a family for these label values (as many as the family has label names;
 * NULL when it has none), created on first use. NULL when the family has another type,
 * a value is NULL, the family already has LEDE_METRICS_MAX_SERIES series, or no memory. */
lede_counter_t *lede_metrics_family_counter(lede_metrics_family_t *f, const char *const *values);
lede_gauge_t *lede_metrics_family_gauge(lede_metrics_family_t *f, const char *const *values);
lede_histogram_t *lede_metrics_family_histogram(lede_metrics_family_t *f,
                                                const char *const *values);

/* Shorthands for a family without labels and its one series. NULL as for lede_metrics_family. */
lede_counter_t *lede_metrics_counter(lede_metrics_t *m, const char *name, const char *help);
lede_gauge_t *lede_metrics_gauge(lede_metrics_t *m, const char *name, const char *help);
lede_histogram_t *lede_metrics_histogram(lede_metrics_t *m, const char *name, const char *help,
                                         const double *buckets, size_t n_buckets);

/* Updates; every one accepts NULL (and does nothing), so a failed registration is harmless. */
void lede_metrics_counter_inc(lede_counter_t *c);
void lede_metrics_counter_add(lede_counter_t *c, uint64_t n);
/* Sets a counter to a total kept elsewhere (e.g. the broker's own counters); it should only
 * grow. */
void lede_metrics_counter_set(lede_counter_t *c, uint64_t total);
uint64_t lede_metrics_counter_get(const lede_counter_t *c);
void lede_metrics_gauge_set(lede_gauge_t *g, double v);
void lede_metrics_gauge_add(lede_gauge_t *g, double delta);
double lede_metrics_gauge_get(const lede_gauge_t *g);
/* Counts v in the first bucket whose bound is >= v (and +Inf), adds v to the sum. NaN is
 * ignored. */
void lede_metrics_histogram_observe(lede_histogram_t *h, double v);
/* The histogram's count and sum. */
uint64_t lede_metrics_histogram_count(const lede_histogram_t *h);
double lede_metrics_histogram_sum(const lede_histogram_t *h);

/* Registers lede_build_info{component, version, engine_version} 1, process_start_time_seconds
 * (now), and process_cpu_seconds_total, process_resident_memory_bytes and process_open_fds
 * (read from /proc at every rendering), as Prometheus client libraries export them. Returns
 * LEDE_OK, LEDE_EINVAL (already registered) or LEDE_ENOMEM. */
int lede_metrics_build_info(lede_metrics_t *m, const char *component, const char *version,
                            const char *engine_version);

/* Called at the start of every rendering (from the thread that renders, e.g. the HTTP
 * server's) so a process can copy values kept elsewhere into the registry. NULL: none.
 * It must not register families (that would deadlock); creating series is fine. */
void lede_metrics_on_collect(lede_metrics_t *m, void (*fn)(void *ctx, lede_metrics_t *m),
                             void *ctx);

/* Renders every family in registration order, series in creation order, in the text
 * exposition format. On LEDE_OK *out is a NUL-terminated string, the caller's to free(), and
 * *len its length (len may be NULL). Errors: LEDE_ENOMEM, LEDE_ETOOBIG (over
 * LEDE_METRICS_MAX_OUTPUT). */
int lede_metrics_render(lede_metrics_t *m, char **out, size_t *len);

#endif
