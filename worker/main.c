/* main.c: lede-worker's command line: every option from a flag, a LEDE_WORKER_* variable or
 * the --config file (common/config.h), logs and the /metrics /healthz /readyz endpoint
 * (common/ops.h, series in worker_ops.h), the idf table, signals (SIGTERM/SIGINT drain,
 * SIGUSR1 logs the counters), then worker.c's loop. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "langid.h"
#include "config.h"
#include "fileio.h"
#include "ops.h"
#include "utf8.h"
#include "worker.h"
#include "worker_ops.h"

#ifndef LEDE_VERSION
#define LEDE_VERSION "unknown"
#endif

#define MAX_BROKERS   16
#define MAX_IDF_BYTES (512u << 20)

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t dump_flag;
static atomic_bool draining; /* lock-free: set from the signal handler, read by /readyz */

static void on_signal(int sig)
{
    if (sig == SIGUSR1) {
        dump_flag = 1;
    } else if (stop_flag) {
        _exit(130); /* a second SIGTERM/SIGINT: stop now */
    } else {
        atomic_store(&draining, true);
        stop_flag = 1;
    }
}

/* Every option: a flag, LEDE_WORKER_<NAME> and a config-file key. */
static const struct lede_opt worker_opts[] = {
    {.name = "broker",
     .arg = "EP[,EP...]",
     .help = "broker backend endpoint(s), e.g. tcp://127.0.0.1:5556; one link per broker"},
    {.name = "threads",
     .type = LEDE_OPT_INT,
     .def = "2",
     .min = 1,
     .max = 256,
     .help = "engine threads = calls run at once; with 1, calls up to 256 KiB run on the "
             "socket thread (no hand-off: the fastest per core)"},
    {.name = "capacity",
     .type = LEDE_OPT_INT,
     .min = 1,
     .max = 1024,
     .help = "credit announced to each broker: calls held at once, running or queued for a "
             "thread (default 4 per thread, 16..256)"},
    {.name = "idf", .arg = "FILE", .help = "document-frequency table (lede-idf format)"},
    {.name = "heartbeat-ms",
     .type = LEDE_OPT_INT,
     .def = "1000",
     .min = 10,
     .max = 600000,
     .help = "heartbeat interval"},
    {.name = "liveness",
     .type = LEDE_OPT_INT,
     .def = "3",
     .min = 1,
     .max = 100,
     .help = "a broker silent for N beats is reconnected"},
    {.name = "reconnect-ms",
     .type = LEDE_OPT_INT,
     .def = "250",
     .min = 1,
     .max = 600000,
     .help = "first reconnect delay, doubled up to --reconnect-max-ms"},
    {.name = "reconnect-max-ms",
     .type = LEDE_OPT_INT,
     .def = "8000",
     .min = 1,
     .max = 3600000,
     .help = "longest reconnect delay (each delay plus up to 50% random jitter)"},
    {.name = "drain-ms",
     .type = LEDE_OPT_INT,
     .def = "10000",
     .min = 0,
     .max = 3600000,
     .help = "on SIGTERM, wait at most N ms for calls in flight"},
    {.name = "max-message",
     .type = LEDE_OPT_INT,
     .arg = "BYTES",
     .def = "17825792",
     .min = 1024,
     .max = INT_MAX,
     .help = "largest frame accepted from a broker, and largest reply sent (a larger reply is "
             "RESOURCE_EXHAUSTED for its call)"},
    {.name = "max-article-bytes",
     .type = LEDE_OPT_INT,
     .min = 1,
     .max = INT_MAX,
     .help = "longest article body the engine takes; longer: RESOURCE_EXHAUSTED "
             "(default 16777216, lede's article limit)"},
    {.name = "curve-secret",
     .arg = "FILE",
     .help = "CURVE: this worker's secret key (lede keygen NAME)"},
    {.name = "broker-key",
     .arg = "FILE",
     .help = "CURVE: the brokers' public key (both CURVE options or neither)"},
    {.name = "name",
     .arg = "NAME",
     .help = "name in READY and in replies' served_by (default host:pid)"},
    {.name = "echo",
     .type = LEDE_OPT_BOOL,
     .def = "false",
     .help = "answer without running the engine (to measure the service)"},
    {.name = "batch",
     .type = LEDE_OPT_BOOL,
     .def = "true",
     .help = "serve lede.v1.Summarizer/SummarizeBatch too (false: Summarize only, as a worker "
             "from before it; for mixed-version tests)"},
    {.name = "io-batch",
     .type = LEDE_OPT_BOOL,
     .def = "true",
     .help = "run ZeroMQ's I/O thread as SCHED_BATCH, so packets do not preempt the engine "
             "(replies leave in batches)"},
    {.name = "verbose",
     .type = LEDE_OPT_BOOL,
     .def = "false",
     .help = "log every call (the same as --log-level debug)"},
    LEDE_OPT_LOG_LEVEL,
    LEDE_OPT_LOG_FORMAT,
    LEDE_OPT_METRICS,
};

static const char usage_text[] =
    "usage: lede-worker --broker EP[,EP...] [options]\n"
    "Serves lede.v1.Summarizer/Summarize calls from one or more lede-broker backends.";
static const char epilogue_text[] =
    "Signals: SIGTERM/SIGINT drain (DISCONNECT, finish calls in flight, exit 0); a second one\n"
    "exits at once. SIGUSR1 logs the counters. Logs go to stderr, one line per event\n"
    "(--log-format logfmt or json); calls are logged one by one only at debug.\n"
    "/readyz answers 200 once registered with a broker, 503 before and while draining.";

/* /readyz: registered with a broker and not draining. */
static bool worker_ready(void *ctx, char *why, size_t why_len)
{
    if (atomic_load(&draining)) {
        snprintf(why, why_len, "draining");
        return false;
    }
    return lede_worker_metrics_ready(ctx, why, why_len);
}

/* Splits a comma-separated list of endpoints into brokers[] (pointers into list). */
static int add_brokers(char *list, const char **brokers, size_t *n)
{
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (*n >= MAX_BROKERS) {
            fprintf(stderr, "lede-worker: at most %d brokers\n", MAX_BROKERS);
            return -1;
        }
        brokers[(*n)++] = tok;
    }
    return 0;
}

/* The parsed options into cfg (brokers into brokers[], pointing into *list, which the caller
 * frees; the default name into default_name; CURVE keys into curve); *level gets the log level
 * (--verbose raises it to debug). 0, or -1 with the error printed. */
static int read_options(const lede_config_t *conf, struct lede_worker_config *cfg,
                        const char **brokers, size_t *n_brokers, char **list, char *default_name,
                        size_t default_name_len, struct lede_curve_client *curve, int *level)
{
    char host[256] = "localhost", err[600];
    int curve_on = 0;
    gethostname(host, sizeof host - 1);
    snprintf(default_name, default_name_len, "%s:%ld", host, (long)getpid());
    cfg->name =
        lede_config_str_set(conf, "name") ? lede_config_str_set(conf, "name") : default_name;
    if (!lede_utf8_is_clean(cfg->name, strlen(cfg->name))) {
        fprintf(stderr, "lede-worker: --name must be valid UTF-8 (it is sent in every reply)\n");
        return -1;
    }
    cfg->threads = (unsigned)lede_config_int(conf, "threads");
    if (lede_config_is_set(conf, "capacity"))
        cfg->capacity = (unsigned)lede_config_int(conf, "capacity");
    cfg->heartbeat_ms = (unsigned)lede_config_int(conf, "heartbeat-ms");
    cfg->liveness = (unsigned)lede_config_int(conf, "liveness");
    cfg->reconnect_ms = (unsigned)lede_config_int(conf, "reconnect-ms");
    cfg->reconnect_max_ms = (unsigned)lede_config_int(conf, "reconnect-max-ms");
    if (cfg->reconnect_max_ms < cfg->reconnect_ms)
        cfg->reconnect_max_ms = cfg->reconnect_ms;
    cfg->drain_ms = (unsigned)lede_config_int(conf, "drain-ms");
    cfg->max_message = (size_t)lede_config_int(conf, "max-message");
    cfg->echo = lede_config_bool(conf, "echo");
    cfg->no_batch = !lede_config_bool(conf, "batch");
    cfg->io_batch = lede_config_bool(conf, "io-batch");
    /* --verbose and --log-level debug go together: per-call lines at debug */
    *level = lede_config_choice(conf, "log-level");
    if (lede_config_bool(conf, "verbose") && *level < LEDE_LOG_DEBUG)
        *level = LEDE_LOG_DEBUG;
    cfg->verbose = *level >= LEDE_LOG_DEBUG;
    if (lede_config_str_set(conf, "broker")) {
        if (!(*list = strdup(lede_config_str(conf, "broker")))) {
            fprintf(stderr, "lede-worker: out of memory\n");
            return -1;
        }
        if (add_brokers(*list, brokers, n_brokers) != 0)
            return -1;
    }
    if (*n_brokers == 0) {
        fprintf(stderr,
                "lede-worker: no broker: give --broker EP or LEDE_WORKER_BROKER (see --help)\n");
        return -1;
    }
    cfg->brokers = brokers;
    cfg->n_brokers = *n_brokers;
    if (lede_curve_client_load(lede_config_str_set(conf, "curve-secret"),
                               lede_config_str_set(conf, "broker-key"), curve, &curve_on, err,
                               sizeof err) != LEDE_OK) {
        fprintf(stderr, "lede-worker: %s\n", err);
        return -1;
    }
    if (curve_on)
        cfg->curve = curve;
    return 0;
}

/* lede_worker_info{name}: the worker's name as operators see it in the broker's stats (UTF-8,
 * e.g. "Zürich-1"), always 1. */
static void register_info(lede_metrics_t *m, const char *name)
{
    static const char *const name_label[] = {"name", NULL};
    const char *v[] = {name};
    lede_metrics_family_t *info =
        lede_metrics_family(m, LEDE_METRIC_GAUGE, "lede_worker_info",
                            "This worker's name, always 1", name_label, NULL, 0);
    lede_metrics_gauge_set(info ? lede_metrics_family_gauge(info, v) : NULL, 1);
}

/* The engine from --max-article-bytes and --idf (its table into *idf, the caller's to free, and
 * lent to the engine). LEDE_OK, or an error (printed). */
static int start_engine(const lede_config_t *conf, lede_engine_t **engine, char **idf)
{
    struct lede_engine_config ec;
    memset(&ec, 0, sizeof ec);
    if (lede_config_is_set(conf, "max-article-bytes"))
        ec.max_body = (size_t)lede_config_int(conf, "max-article-bytes");
    const char *idf_path = lede_config_str_set(conf, "idf");
    if (idf_path) {
        char msg[600];
        int rc = lede_read_file(idf_path, MAX_IDF_BYTES, idf, &ec.idf_len, msg, sizeof msg);
        if (rc != LEDE_OK) {
            fprintf(stderr, "lede-worker: --idf: %s\n", msg);
            return rc;
        }
        ec.idf_data = *idf;
    }
    ec.detect = lede_langid_cld2; /* lang: auto (CLD2, pure and thread-safe) */
    struct lede_error eerr;
    memset(&eerr, 0, sizeof eerr);
    int rc = lede_engine_new(&ec, engine, &eerr);
    if (rc != LEDE_OK)
        fprintf(stderr, "lede-worker: cannot start the engine: %s\n",
                eerr.message[0] ? eerr.message : lede_strerror(rc));
    return rc;
}

int main(int argc, char **argv)
{
    static struct lede_worker_metrics wm; /* static: zeroed, and read by the HTTP thread */
    static struct lede_ops ops;
    struct lede_worker_config cfg;
    lede_worker_config_init(&cfg);
    const char *brokers[MAX_BROKERS];
    size_t n_brokers = 0;
    char *list = NULL, *idf = NULL;
    char default_name[300], err[600];
    struct lede_curve_client curve;
    lede_engine_t *engine = NULL;
    lede_config_t *conf = NULL;
    int level = LEDE_LOG_INFO, rc = 2;

    int pr = lede_config_cli("lede-worker", "LEDE_WORKER", worker_opts,
                             sizeof worker_opts / sizeof worker_opts[0], 0, argc, argv, usage_text,
                             epilogue_text, &conf);
    if (pr != 1) { /* 0: --help printed; -1: the error printed */
        rc = pr == 0 ? 0 : 2;
        goto cleanup;
    }
    if (read_options(conf, &cfg, brokers, &n_brokers, &list, default_name, sizeof default_name,
                     &curve, &level) != 0)
        goto cleanup;
    if (lede_ops_start_with(
            &ops, "worker", LEDE_VERSION, level, lede_config_choice(conf, "log-format"),
            lede_config_str_set(conf, "metrics"), worker_ready, &wm, err, sizeof err) != LEDE_OK) {
        fprintf(stderr, "lede-worker: %s\n", err);
        goto cleanup;
    }
    rc = 1;
    lede_worker_metrics_init(&wm, ops.metrics);
    cfg.metrics = &wm;
    register_info(ops.metrics, cfg.name);
    if (!cfg.echo) {
        if (start_engine(conf, &engine, &idf) != LEDE_OK)
            goto cleanup;
        cfg.engine = engine;
    }
    lede_ops_catch_signals(on_signal);
    rc = lede_worker_run(&cfg, &stop_flag, &dump_flag, NULL) == LEDE_OK ? 0 : 1;
cleanup:
    lede_ops_stop(&ops);
    lede_engine_destroy(&engine);
    free(idf);
    free(list);
    lede_config_destroy(&conf);
    return rc;
}
