/* metrics.c: the Prometheus registry of metrics.h. Values are atomics (a double is kept as
 * its bit pattern in a uint64), so updates never block; the mutex guards the lists of families
 * and series, which only grow, and rendering. */
#include "metrics.h"

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"

const double lede_metrics_latency_buckets[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                               0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                               0.5,     1,      2.5,     5,      30};
const size_t lede_metrics_latency_buckets_n =
    sizeof lede_metrics_latency_buckets / sizeof lede_metrics_latency_buckets[0];
const double lede_metrics_engine_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                              0.025,  0.05,    0.1,    0.25,  1,      2.5};
const size_t lede_metrics_engine_buckets_n =
    sizeof lede_metrics_engine_buckets / sizeof lede_metrics_engine_buckets[0];

struct lede_counter {
    atomic_uint_least64_t v;
};
struct lede_gauge {
    atomic_uint_least64_t bits; /* a double */
};
struct lede_histogram {
    const lede_metrics_family_t *family;
    atomic_uint_least64_t sum_bits;                             /* a double */
    atomic_uint_least64_t counts[LEDE_METRICS_MAX_BUCKETS + 1]; /* per bucket, last = +Inf */
};

struct series {
    char **values; /* n_labels copies */
    union {
        struct lede_counter counter;
        struct lede_gauge gauge;
        struct lede_histogram histogram;
    } u;
};

struct lede_metrics_family {
    lede_metrics_t *m;
    int type;
    char *name, *help;
    size_t n_labels;
    char *labels[LEDE_METRICS_MAX_LABELS];
    size_t n_buckets;
    double buckets[LEDE_METRICS_MAX_BUCKETS];
    struct series **series;
    size_t n_series, cap_series;
    int counter_of_reals; /* a gauge's storage rendered as a counter (process_cpu_seconds_total) */
};

struct lede_metrics {
    pthread_mutex_t mu;
    lede_metrics_family_t *families[LEDE_METRICS_MAX_FAMILIES];
    size_t n_families;
    void (*collect)(void *ctx, lede_metrics_t *m);
    void *collect_ctx;
    /* the process series lede_metrics_build_info registers, refreshed at every rendering */
    lede_gauge_t *proc_cpu, *proc_rss, *proc_fds;
};

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

lede_metrics_t *lede_metrics_new(void)
{
    lede_metrics_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->mu, NULL)) {
        free(m);
        return NULL;
    }
    return m;
}

static void series_free(struct series *s, size_t n_labels)
{
    if (!s)
        return;
    for (size_t i = 0; s->values && i < n_labels; i++)
        free(s->values[i]);
    free(s->values);
    free(s);
}

static void family_free(lede_metrics_family_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_series; i++)
        series_free(f->series[i], f->n_labels);
    free(f->series);
    for (size_t i = 0; i < f->n_labels; i++)
        free(f->labels[i]);
    free(f->name);
    free(f->help);
    free(f);
}

void lede_metrics_destroy(lede_metrics_t **m)
{
    if (!m || !*m)
        return;
    for (size_t i = 0; i < (*m)->n_families; i++)
        family_free((*m)->families[i]);
    pthread_mutex_destroy(&(*m)->mu);
    free(*m);
    *m = NULL;
}

static bool valid_name(const char *s, bool colon)
{
    if (!s || !*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

lede_metrics_family_t *lede_metrics_family(lede_metrics_t *m, int type, const char *name,
                                           const char *help, const char *const *labels,
                                           const double *buckets, size_t n_buckets)
{
    if (!m || type < LEDE_METRIC_COUNTER || type > LEDE_METRIC_HISTOGRAM || !valid_name(name, true))
        return NULL;
    size_t n_labels = 0;
    for (; labels && labels[n_labels]; n_labels++) {
        const char *l = labels[n_labels];
        if (n_labels >= LEDE_METRICS_MAX_LABELS || !valid_name(l, false) || !strncmp(l, "__", 2) ||
            (type == LEDE_METRIC_HISTOGRAM && !strcmp(l, "le")))
            return NULL;
        for (size_t j = 0; j < n_labels; j++)
            if (!strcmp(labels[j], l))
                return NULL;
    }
    if (type == LEDE_METRIC_HISTOGRAM) {
        if (!buckets || n_buckets == 0 || n_buckets > LEDE_METRICS_MAX_BUCKETS)
            return NULL;
        for (size_t i = 0; i < n_buckets; i++)
            if (!isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1]))
                return NULL;
    }
    lede_metrics_family_t *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->m = m;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    bool oom = !f->name || !f->help;
    for (size_t i = 0; i < n_labels; i++) {
        f->labels[i] = strdup(labels[i]);
        oom |= !f->labels[i];
        f->n_labels = i + 1;
    }
    if (type == LEDE_METRIC_HISTOGRAM) {
        memcpy(f->buckets, buckets, n_buckets * sizeof *buckets);
        f->n_buckets = n_buckets;
    }
    if (oom) {
        family_free(f);
        return NULL;
    }
    pthread_mutex_lock(&m->mu);
    bool ok = m->n_families < LEDE_METRICS_MAX_FAMILIES;
    for (size_t i = 0; ok && i < m->n_families; i++)
        if (!strcmp(m->families[i]->name, name))
            ok = false;
    if (ok)
        m->families[m->n_families++] = f;
    pthread_mutex_unlock(&m->mu);
    if (!ok) {
        family_free(f);
        return NULL;
    }
    return f;
}

/* Finds or creates the series for values; NULL on a type mismatch, a limit, or no memory. */
static struct series *family_series(lede_metrics_family_t *f, int type, const char *const *values)
{
    if (!f || f->type != type)
        return NULL;
    for (size_t i = 0; i < f->n_labels; i++)
        if (!values || !values[i])
            return NULL;
    struct series *s = NULL;
    pthread_mutex_lock(&f->m->mu);
    for (size_t i = 0; i < f->n_series && !s; i++) {
        bool same = true;
        for (size_t j = 0; j < f->n_labels && same; j++)
            same =
                !strncmp(f->series[i]->values[j], values[j], LEDE_METRICS_MAX_VALUE - 1) &&
                strnlen(values[j], LEDE_METRICS_MAX_VALUE - 1) == strlen(f->series[i]->values[j]);
        if (same)
            s = f->series[i];
    }
    if (s || f->n_series >= LEDE_METRICS_MAX_SERIES)
        goto unlock;
    if (f->n_series == f->cap_series) {
        size_t cap = f->cap_series ? 2 * f->cap_series : 4;
        struct series **p = realloc(f->series, cap * sizeof *p);
        if (!p)
            goto unlock;
        f->series = p;
        f->cap_series = cap;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        goto unlock;
    s->values = calloc(f->n_labels ? f->n_labels : 1, sizeof *s->values);
    bool oom = !s->values;
    for (size_t j = 0; !oom && j < f->n_labels; j++)
        oom = !(s->values[j] = strndup(values[j], LEDE_METRICS_MAX_VALUE - 1));
    if (oom) {
        series_free(s, f->n_labels);
        s = NULL;
        goto unlock;
    }
    if (type == LEDE_METRIC_HISTOGRAM)
        s->u.histogram.family = f;
    f->series[f->n_series++] = s;
unlock:
    pthread_mutex_unlock(&f->m->mu);
    return s;
}

lede_counter_t *lede_metrics_family_counter(lede_metrics_family_t *f, const char *const *values)
{
    struct series *s = family_series(f, LEDE_METRIC_COUNTER, values);
    return s ? &s->u.counter : NULL;
}

lede_gauge_t *lede_metrics_family_gauge(lede_metrics_family_t *f, const char *const *values)
{
    struct series *s = family_series(f, LEDE_METRIC_GAUGE, values);
    return s ? &s->u.gauge : NULL;
}

lede_histogram_t *lede_metrics_family_histogram(lede_metrics_family_t *f, const char *const *values)
{
    struct series *s = family_series(f, LEDE_METRIC_HISTOGRAM, values);
    return s ? &s->u.histogram : NULL;
}

lede_counter_t *lede_metrics_counter(lede_metrics_t *m, const char *name, const char *help)
{
    return lede_metrics_family_counter(
        lede_metrics_family(m, LEDE_METRIC_COUNTER, name, help, NULL, NULL, 0), NULL);
}

lede_gauge_t *lede_metrics_gauge(lede_metrics_t *m, const char *name, const char *help)
{
    return lede_metrics_family_gauge(
        lede_metrics_family(m, LEDE_METRIC_GAUGE, name, help, NULL, NULL, 0), NULL);
}

lede_histogram_t *lede_metrics_histogram(lede_metrics_t *m, const char *name, const char *help,
                                         const double *buckets, size_t n_buckets)
{
    return lede_metrics_family_histogram(
        lede_metrics_family(m, LEDE_METRIC_HISTOGRAM, name, help, NULL, buckets, n_buckets), NULL);
}

void lede_metrics_counter_inc(lede_counter_t *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->v, 1, memory_order_relaxed);
}

void lede_metrics_counter_add(lede_counter_t *c, uint64_t n)
{
    if (c)
        atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

void lede_metrics_counter_set(lede_counter_t *c, uint64_t total)
{
    if (c)
        atomic_store_explicit(&c->v, total, memory_order_relaxed);
}

uint64_t lede_metrics_counter_get(const lede_counter_t *c)
{
    return c ? atomic_load_explicit(&((lede_counter_t *)c)->v, memory_order_relaxed) : 0;
}

void lede_metrics_gauge_set(lede_gauge_t *g, double v)
{
    if (g)
        atomic_store_explicit(&g->bits, dbits(v), memory_order_relaxed);
}

/* Adds to a double kept as bits, with a compare-and-swap loop. */
static void add_double(atomic_uint_least64_t *bits, double delta)
{
    uint64_t old = atomic_load_explicit(bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(bits, &old, dbits(bitsd(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void lede_metrics_gauge_add(lede_gauge_t *g, double delta)
{
    if (g)
        add_double(&g->bits, delta);
}

double lede_metrics_gauge_get(const lede_gauge_t *g)
{
    return g ? bitsd(atomic_load_explicit(&((lede_gauge_t *)g)->bits, memory_order_relaxed)) : 0.0;
}

void lede_metrics_histogram_observe(lede_histogram_t *h, double v)
{
    if (!h || isnan(v))
        return;
    const lede_metrics_family_t *f = h->family;
    size_t i = 0;
    while (i < f->n_buckets && v > f->buckets[i])
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    add_double(&h->sum_bits, v);
}

uint64_t lede_metrics_histogram_count(const lede_histogram_t *h)
{
    if (!h)
        return 0;
    uint64_t n = 0;
    for (size_t i = 0; i <= h->family->n_buckets; i++)
        n += atomic_load_explicit(&((lede_histogram_t *)h)->counts[i], memory_order_relaxed);
    return n;
}

double lede_metrics_histogram_sum(const lede_histogram_t *h)
{
    return h ? bitsd(atomic_load_explicit(&((lede_histogram_t *)h)->sum_bits, memory_order_relaxed))
             : 0.0;
}

int lede_metrics_build_info(lede_metrics_t *m, const char *component, const char *version,
                            const char *engine_version)
{
    static const char *const labels[] = {"component", "version", "engine_version", NULL};
    lede_metrics_family_t *f =
        lede_metrics_family(m, LEDE_METRIC_GAUGE, "lede_build_info",
                            "Build of this process (always 1).", labels, NULL, 0);
    if (!f)
        return LEDE_EINVAL;
    const char *values[] = {component ? component : "", version ? version : "",
                            engine_version ? engine_version : ""};
    lede_gauge_t *g = lede_metrics_family_gauge(f, values);
    if (!g)
        return LEDE_ENOMEM;
    lede_metrics_gauge_set(g, 1);
    lede_gauge_t *start = lede_metrics_gauge(m, "process_start_time_seconds",
                                             "Start time of the process since the Unix epoch.");
    if (!start)
        return LEDE_EINVAL;
    lede_metrics_gauge_set(start, lede_clock_real_s());
    /* the process series every Prometheus client library exports, read from /proc */
    lede_metrics_family_t *cpu =
        lede_metrics_family(m, LEDE_METRIC_GAUGE, "process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.", NULL, NULL, 0);
    if (cpu)
        cpu->counter_of_reals = 1;
    m->proc_cpu = cpu ? lede_metrics_family_gauge(cpu, NULL) : NULL;
    m->proc_rss =
        lede_metrics_gauge(m, "process_resident_memory_bytes", "Resident memory size in bytes.");
    m->proc_fds = lede_metrics_gauge(m, "process_open_fds", "Number of open file descriptors.");
    if (!m->proc_cpu || !m->proc_rss || !m->proc_fds)
        return LEDE_EINVAL;
    return LEDE_OK;
}

/* CPU seconds (utime + stime), resident bytes and open descriptors of this process. */
static void read_process(lede_metrics_t *m)
{
    if (!m->proc_cpu)
        return;
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
        unsigned long long ut = 0, st = 0;
        /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
           utime stime */
        if (p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                        &st) == 2) {
            long tck = sysconf(_SC_CLK_TCK);
            lede_metrics_gauge_set(m->proc_cpu, (double)(ut + st) / (double)(tck > 0 ? tck : 100));
        }
    }
    f = fopen("/proc/self/statm", "r");
    if (f) {
        unsigned long long size = 0, resident = 0;
        if (fscanf(f, "%llu %llu", &size, &resident) == 2)
            lede_metrics_gauge_set(m->proc_rss, (double)resident * (double)sysconf(_SC_PAGESIZE));
        fclose(f);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                n++;
        closedir(d);
        lede_metrics_gauge_set(m->proc_fds, (double)(n ? n - 1 : 0)); /* minus opendir's own */
    }
}

void lede_metrics_on_collect(lede_metrics_t *m, void (*fn)(void *ctx, lede_metrics_t *m), void *ctx)
{
    pthread_mutex_lock(&m->mu);
    m->collect = fn;
    m->collect_ctx = ctx;
    pthread_mutex_unlock(&m->mu);
}

/* ---- rendering ---- */

struct buf {
    char *p;
    size_t len, cap;
    int err;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        if (cap > LEDE_METRICS_MAX_OUTPUT) {
            if (b->len + n + 1 > LEDE_METRICS_MAX_OUTPUT) {
                b->err = LEDE_ETOOBIG;
                return;
            }
            cap = LEDE_METRICS_MAX_OUTPUT;
        }
        char *p = realloc(b->p, cap);
        if (!p) {
            b->err = LEDE_ENOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
putf(struct buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A float as Prometheus reads it: the shortest of %.15g/%.17g that round-trips, +Inf, NaN. */
static void put_double(struct buf *b, double v)
{
    if (isnan(v)) {
        puts_(b, "NaN");
        return;
    }
    if (isinf(v)) {
        puts_(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.15g", v);
    if (strtod(tmp, NULL) != v)
        snprintf(tmp, sizeof tmp, "%.17g", v);
    puts_(b, tmp);
}

/* help: \ and newline escaped; label values: \, " and newline escaped. */
static void put_escaped(struct buf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            puts_(b, "\\\\");
        else if (*s == '\n')
            puts_(b, "\\n");
        else if (quote && *s == '"')
            puts_(b, "\\\"");
        else
            put(b, s, 1);
    }
}

/* {a="x",b="y"} plus an optional extra label (le for buckets); nothing when there are none. */
static void put_labels(struct buf *b, const lede_metrics_family_t *f, const struct series *s,
                       const char *extra_name, const char *extra_value)
{
    if (!f->n_labels && !extra_name)
        return;
    puts_(b, "{");
    for (size_t i = 0; i < f->n_labels; i++) {
        if (i)
            puts_(b, ",");
        puts_(b, f->labels[i]);
        puts_(b, "=\"");
        put_escaped(b, s->values[i], true);
        puts_(b, "\"");
    }
    if (extra_name) {
        if (f->n_labels)
            puts_(b, ",");
        puts_(b, extra_name);
        puts_(b, "=\"");
        puts_(b, extra_value);
        puts_(b, "\"");
    }
    puts_(b, "}");
}

static void render_family(struct buf *b, const lede_metrics_family_t *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    puts_(b, "# HELP ");
    puts_(b, f->name);
    puts_(b, " ");
    put_escaped(b, f->help, false);
    puts_(b, "\n# TYPE ");
    puts_(b, f->name);
    puts_(b, " ");
    puts_(b, f->counter_of_reals ? "counter" : types[f->type]);
    puts_(b, "\n");
    for (size_t i = 0; i < f->n_series; i++) {
        struct series *s = f->series[i];
        if (f->type == LEDE_METRIC_COUNTER) {
            puts_(b, f->name);
            put_labels(b, f, s, NULL, NULL);
            putf(b, " %" PRIu64 "\n", lede_metrics_counter_get(&s->u.counter));
        } else if (f->type == LEDE_METRIC_GAUGE) {
            puts_(b, f->name);
            put_labels(b, f, s, NULL, NULL);
            puts_(b, " ");
            put_double(b, lede_metrics_gauge_get(&s->u.gauge));
            puts_(b, "\n");
        } else {
            uint64_t cum = 0;
            for (size_t k = 0; k <= f->n_buckets; k++) {
                cum += atomic_load_explicit(&s->u.histogram.counts[k], memory_order_relaxed);
                struct buf le = {0};
                if (k < f->n_buckets)
                    put_double(&le, f->buckets[k]);
                puts_(b, f->name);
                puts_(b, "_bucket");
                put_labels(b, f, s, "le", k < f->n_buckets ? (le.p ? le.p : "") : "+Inf");
                putf(b, " %" PRIu64 "\n", cum);
                if (le.err)
                    b->err = le.err;
                free(le.p);
            }
            puts_(b, f->name);
            puts_(b, "_sum");
            put_labels(b, f, s, NULL, NULL);
            puts_(b, " ");
            put_double(b, lede_metrics_histogram_sum(&s->u.histogram));
            puts_(b, "\n");
            puts_(b, f->name);
            puts_(b, "_count");
            put_labels(b, f, s, NULL, NULL);
            putf(b, " %" PRIu64 "\n", cum); /* = the +Inf bucket, as Prometheus expects */
        }
    }
}

int lede_metrics_render(lede_metrics_t *m, char **out, size_t *len)
{
    *out = NULL;
    if (len)
        *len = 0;
    pthread_mutex_lock(&m->mu);
    void (*collect)(void *, lede_metrics_t *) = m->collect;
    void *ctx = m->collect_ctx;
    pthread_mutex_unlock(&m->mu);
    if (collect)
        collect(ctx, m);
    read_process(m);
    struct buf b = {0};
    puts_(&b, "");
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n_families && !b.err; i++)
        render_family(&b, m->families[i]);
    pthread_mutex_unlock(&m->mu);
    if (b.err) {
        free(b.p);
        return b.err;
    }
    *out = b.p;
    if (len)
        *len = b.len;
    return LEDE_OK;
}
