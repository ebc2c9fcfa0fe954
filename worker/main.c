/* main.c: lede-worker's command line: options and LEDE_WORKER_* environment variables, the idf
 * table, signals (SIGTERM/SIGINT drain, SIGUSR1 logs the counters), then worker.c's loop. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"

#define MAX_BROKERS 16
#define MAX_IDF_BYTES (512u << 20)

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t dump_flag;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        dump_flag = 1;
    else if (stop_flag)
        _exit(130); /* a second SIGTERM/SIGINT: stop now */
    else
        stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: lede-worker --broker EP[,EP...] [options]\n"
        "Serves lede.v1.Summarizer/Summarize calls from one or more lede-broker backends.\n"
        "\n"
        "  --broker EP[,EP...]   broker backend endpoint(s), e.g. tcp://127.0.0.1:5556; one\n"
        "                        connection per broker, calls from all are served  [LEDE_WORKER_BROKER]\n"
        "  --threads N           engine threads = calls run at once (default 2)    [LEDE_WORKER_THREADS]\n"
        "  --idf FILE            document-frequency table (lede-idf format)        [LEDE_WORKER_IDF]\n"
        "  --heartbeat-ms N      heartbeat interval (default 1000)             [LEDE_WORKER_HEARTBEAT_MS]\n"
        "  --liveness N          a broker silent for N beats is reconnected (default 3)\n"
        "  --reconnect-ms N      first reconnect delay, doubled up to --reconnect-max-ms (default 250)\n"
        "  --reconnect-max-ms N  (default 8000), each delay plus up to 50%% random jitter\n"
        "  --drain-ms N          on SIGTERM, wait at most N ms for calls in flight (default 10000)\n"
        "  --max-message BYTES   largest frame accepted from a broker (default 16777216)\n"
        "  --curve-secret FILE   CURVE: this worker's secret key (lede keygen NAME)\n"
        "  --broker-key FILE     CURVE: the brokers' public key (both options or neither)\n"
        "  --max-article-bytes N longest article body the engine takes; longer ones are\n"
        "                        answered RESOURCE_EXHAUSTED (default 67108864)\n"
        "  --name NAME           name in READY and in replies' served_by (default host:pid)\n"
        "                                                                          [LEDE_WORKER_NAME]\n"
        "  --echo                answer without running the engine (to measure the service)\n"
        "                                                                          [LEDE_WORKER_ECHO=1]\n"
        "  --verbose             log every call                                    [LEDE_WORKER_VERBOSE=1]\n"
        "  --help                this text\n"
        "\n"
        "Signals: SIGTERM/SIGINT drain (DISCONNECT, finish calls in flight, exit 0); a second one\n"
        "exits at once. SIGUSR1 logs the counters. Logs go to stderr, one line per event.\n");
}

static int parse_uint(const char *opt, const char *s, unsigned long min, unsigned long max,
                      unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !end || *end || end == s || s[0] == '-' || v < min || v > max) {
        fprintf(stderr, "lede-worker: %s: \"%s\" is not a whole number in [%lu, %lu]\n", opt, s,
                min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Splits a comma-separated list of endpoints into brokers[] (pointers into list). */
static int add_brokers(char *list, const char **brokers, size_t *n)
{
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
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

static char *read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        fprintf(stderr, "lede-worker: --idf %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1u << 16;
            if (ncap > max + 1)
                ncap = max + 1;
            if (ncap <= n) {
                fprintf(stderr, "lede-worker: --idf %s: larger than %zu bytes\n", path, max);
                goto fail;
            }
            char *nb = realloc(buf, ncap);
            if (!nb)
                goto fail;
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "lede-worker: --idf %s: read error\n", path);
        goto fail;
    }
    fclose(f);
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

int main(int argc, char **argv)
{
    struct lede_worker_config cfg;
    lede_worker_config_init(&cfg);
    const char *brokers[MAX_BROKERS];
    size_t n_brokers = 0;
    char *lists[MAX_BROKERS + 1];
    size_t n_lists = 0;
    const char *idf_path = getenv("LEDE_WORKER_IDF");
    char default_name[300];
    char host[256] = "localhost";
    unsigned long v;
    int rc = 1;
    char *idf = NULL;
    lede_engine_t *engine = NULL;
    const char *curve_secret = NULL, *broker_key = NULL;
    size_t max_article = 0;
    struct lede_curve_client curve;
    int curve_on = 0;

    gethostname(host, sizeof host - 1);
    snprintf(default_name, sizeof default_name, "%s:%ld", host, (long)getpid());
    cfg.name = getenv("LEDE_WORKER_NAME") && *getenv("LEDE_WORKER_NAME") ? getenv("LEDE_WORKER_NAME")
                                                                        : default_name;
    if (getenv("LEDE_WORKER_ECHO") && strcmp(getenv("LEDE_WORKER_ECHO"), "1") == 0)
        cfg.echo = 1;
    if (getenv("LEDE_WORKER_VERBOSE") && strcmp(getenv("LEDE_WORKER_VERBOSE"), "1") == 0)
        cfg.verbose = 1;
    if (getenv("LEDE_WORKER_THREADS") &&
        parse_uint("LEDE_WORKER_THREADS", getenv("LEDE_WORKER_THREADS"), 1, 256, &v) == 0)
        cfg.threads = (unsigned)v;
    if (getenv("LEDE_WORKER_HEARTBEAT_MS") &&
        parse_uint("LEDE_WORKER_HEARTBEAT_MS", getenv("LEDE_WORKER_HEARTBEAT_MS"), 10, 600000, &v) == 0)
        cfg.heartbeat_ms = (unsigned)v;

    enum { O_BROKER = 256, O_THREADS, O_IDF, O_HB, O_LIVE, O_RECON, O_RECONMAX, O_DRAIN, O_MAXMSG,
           O_NAME, O_ECHO, O_VERBOSE, O_HELP, O_CSEC, O_BKEY, O_MAXART };
    static const struct option opts[] = {
        {"broker", required_argument, NULL, O_BROKER},
        {"threads", required_argument, NULL, O_THREADS},
        {"idf", required_argument, NULL, O_IDF},
        {"heartbeat-ms", required_argument, NULL, O_HB},
        {"liveness", required_argument, NULL, O_LIVE},
        {"reconnect-ms", required_argument, NULL, O_RECON},
        {"reconnect-max-ms", required_argument, NULL, O_RECONMAX},
        {"drain-ms", required_argument, NULL, O_DRAIN},
        {"max-message", required_argument, NULL, O_MAXMSG},
        {"name", required_argument, NULL, O_NAME},
        {"curve-secret", required_argument, NULL, O_CSEC},
        {"broker-key", required_argument, NULL, O_BKEY},
        {"max-article-bytes", required_argument, NULL, O_MAXART},
        {"echo", no_argument, NULL, O_ECHO},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case O_BROKER:
            if (n_lists >= MAX_BROKERS || !(lists[n_lists] = strdup(optarg)))
                goto cleanup;
            if (add_brokers(lists[n_lists++], brokers, &n_brokers) != 0)
                goto cleanup;
            break;
        case O_THREADS:
            if (parse_uint("--threads", optarg, 1, 256, &v) != 0)
                goto cleanup;
            cfg.threads = (unsigned)v;
            break;
        case O_IDF:
            idf_path = optarg;
            break;
        case O_HB:
            if (parse_uint("--heartbeat-ms", optarg, 10, 600000, &v) != 0)
                goto cleanup;
            cfg.heartbeat_ms = (unsigned)v;
            break;
        case O_LIVE:
            if (parse_uint("--liveness", optarg, 1, 100, &v) != 0)
                goto cleanup;
            cfg.liveness = (unsigned)v;
            break;
        case O_RECON:
            if (parse_uint("--reconnect-ms", optarg, 1, 600000, &v) != 0)
                goto cleanup;
            cfg.reconnect_ms = (unsigned)v;
            break;
        case O_RECONMAX:
            if (parse_uint("--reconnect-max-ms", optarg, 1, 3600000, &v) != 0)
                goto cleanup;
            cfg.reconnect_max_ms = (unsigned)v;
            break;
        case O_DRAIN:
            if (parse_uint("--drain-ms", optarg, 0, 3600000, &v) != 0)
                goto cleanup;
            cfg.drain_ms = (unsigned)v;
            break;
        case O_MAXMSG:
            if (parse_uint("--max-message", optarg, 1024, (unsigned long)INT_MAX, &v) != 0)
                goto cleanup;
            cfg.max_message = v;
            break;
        case O_NAME:
            cfg.name = optarg;
            break;
        case O_CSEC:
            curve_secret = optarg;
            break;
        case O_BKEY:
            broker_key = optarg;
            break;
        case O_MAXART:
            if (parse_uint("--max-article-bytes", optarg, 1, (unsigned long)INT_MAX, &v) != 0)
                goto cleanup;
            max_article = v;
            break;
        case O_ECHO:
            cfg.echo = 1;
            break;
        case O_VERBOSE:
            cfg.verbose = 1;
            break;
        case O_HELP:
        case 'h':
            usage(stdout);
            rc = 0;
            goto cleanup;
        default:
            usage(stderr);
            rc = 2;
            goto cleanup;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lede-worker: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        rc = 2;
        goto cleanup;
    }
    if (n_brokers == 0 && getenv("LEDE_WORKER_BROKER")) {
        if (!(lists[n_lists] = strdup(getenv("LEDE_WORKER_BROKER"))))
            goto cleanup;
        if (add_brokers(lists[n_lists++], brokers, &n_brokers) != 0)
            goto cleanup;
    }
    if (n_brokers == 0) {
        fprintf(stderr, "lede-worker: no broker: give --broker EP or LEDE_WORKER_BROKER (see --help)\n");
        rc = 2;
        goto cleanup;
    }
    {
        char cerr[512];
        if (lede_curve_client_load(curve_secret, broker_key, &curve, &curve_on, cerr,
                                   sizeof cerr) != LEDE_OK) {
            fprintf(stderr, "lede-worker: %s\n", cerr);
            rc = 2;
            goto cleanup;
        }
        if (curve_on)
            cfg.curve = &curve;
    }
    if (cfg.reconnect_max_ms < cfg.reconnect_ms)
        cfg.reconnect_max_ms = cfg.reconnect_ms;
    if (!cfg.echo) {
        struct lede_engine_config ec;
        memset(&ec, 0, sizeof ec);
        ec.max_body = max_article;
        if (idf_path && *idf_path) {
            idf = read_file(idf_path, MAX_IDF_BYTES, &ec.idf_len);
            if (!idf)
                goto cleanup;
            ec.idf_data = idf;
        }
        struct lede_error err;
        memset(&err, 0, sizeof err);
        int erc = lede_engine_new(&ec, &engine, &err);
        if (erc != LEDE_OK) {
            fprintf(stderr, "lede-worker: cannot start the engine: %s\n",
                    err.message[0] ? err.message : lede_strerror(erc));
            goto cleanup;
        }
        cfg.engine = engine;
    }
    cfg.brokers = brokers;
    cfg.n_brokers = n_brokers;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = lede_worker_run(&cfg, &stop_flag, &dump_flag, NULL) == LEDE_OK ? 0 : 1;
cleanup:
    lede_engine_destroy(&engine);
    free(idf);
    for (size_t i = 0; i < n_lists; i++)
        free(lists[i]);
    return rc;
}
