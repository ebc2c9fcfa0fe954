/* lede_load.c: lede-load, the load generator for a lede service. It sends Summarize calls
 * through liblede-client to one or more brokers, either closed loop (C calls in flight) or
 * open loop (a fixed arrival rate, latency from each call's intended send time: load_sched.h),
 * and reports throughput, errors by status, lost and duplicate replies and latency percentiles
 * (histogram.h) as a table, JSON, a per-second CSV timeline and a gnuplot PNG. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "fileio.h"
#include "histogram.h"
#include "lede.pb-c.h"
#include <lede/client.h>
#include "load_sched.h"
#include "record.h"

#define MAX_ARTICLES      1000000u
#define MAX_DATA_BYTES    (1024ull << 20) /* all articles together */
#define MAX_FILE_BYTES    (64u << 20)     /* one file of a DIR, or one JSONL file's line */
#define MAX_ENDPOINTS_LEN 4096
#define MAX_IN_FLIGHT     100000u
#define N_STATUS          LEDE_CLIENT_STATUS_COUNT /* gRPC codes 0..16 */
#define HIST_HIGHEST      (3600ull * 1000000)      /* an hour, in microseconds */
#define HIST_BITS         7                        /* relative error <= 1/128 */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* The settings, read from the option table (strings borrowed from its lede_config_t). */
struct options {
    const char *endpoints; /* comma-separated */
    const char *data;
    unsigned concurrency; /* closed loop; 0 in the open loop (rate > 0) */
    double rate;
    double duration_s;
    uint64_t requests; /* 0: for duration_s */
    int deadline_ms;
    unsigned sentences;
    unsigned max_in_flight;
    size_t limit;
    int grace_ms;
    unsigned interval_ms; /* timeline and progress period */
    const char *json_path;
    const char *timeline_path;
    const char *plot_path;
    const char *label;
    int progress;                          /* the live line (default: stderr is a terminal) */
    const char *curve_secret, *broker_key; /* CURVE key files, both or neither */
};

/* The calls to send: pre-encoded SummarizeRequest payloads, used round robin. */
struct corpus {
    size_t n;
    uint8_t **payload;
    size_t *len;
    size_t bytes; /* article bodies */
};

struct slot {
    uint64_t intended_ns; /* open loop: when the call was due; closed: when it was sent */
    uint64_t sent_ns;
    int busy;
    struct run *run;
};

struct run {
    const struct options *opt;
    lede_client_t *client;
    struct slot *slots;
    unsigned *free_list;
    unsigned n_free, n_slots;
    lede_hist_t *all, *interval, *lag;
    uint64_t sent, ok, err_total, duplicates_cb;
    uint64_t errors[N_STATUS + 1]; /* the last: codes out of range */
    uint64_t last_done_ns;
    uint64_t bytes_sent;
    /* the current timeline interval */
    uint64_t iv_ok, iv_err, iv_sent;
    FILE *timeline;
};

/* ---- the corpus ---- */

static int corpus_add(struct corpus *c, const char *id, const char *title, size_t title_len,
                      const char *body, size_t body_len, unsigned sentences, size_t *cap)
{
    if (c->n >= MAX_ARTICLES) {
        fprintf(stderr, "lede-load: more than %u articles\n", MAX_ARTICLES);
        return -1;
    }
    if (c->bytes + body_len > MAX_DATA_BYTES) {
        fprintf(stderr, "lede-load: the data is larger than %llu bytes\n",
                (unsigned long long)MAX_DATA_BYTES);
        return -1;
    }
    if (c->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        uint8_t **p = realloc(c->payload, ncap * sizeof *p);
        if (!p)
            return -1;
        c->payload = p;
        size_t *l = realloc(c->len, ncap * sizeof *l);
        if (!l)
            return -1;
        c->len = l;
        *cap = ncap;
    }
    Lede__V1__SummarizeRequest rq = LEDE__V1__SUMMARIZE_REQUEST__INIT;
    rq.article_id = (char *)(id ? id : "");
    rq.title.data = (uint8_t *)title;
    rq.title.len = title ? title_len : 0;
    rq.body.data = (uint8_t *)body;
    rq.body.len = body_len;
    rq.language = (char *)"en";
    if (sentences) {
        rq.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_SENTENCES;
        rq.sentences = sentences;
    }
    size_t len = lede__v1__summarize_request__get_packed_size(&rq);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        fprintf(stderr, "lede-load: out of memory\n");
        return -1;
    }
    lede__v1__summarize_request__pack(&rq, buf);
    c->payload[c->n] = buf;
    c->len[c->n] = len;
    c->n++;
    c->bytes += body_len;
    return 0;
}

struct load_ctx {
    struct corpus *c;
    const struct options *opt;
    const char *path;
    size_t cap;
};

/* One record into the corpus; a line that is not a record fails the load. 1 stops at --limit. */
static int load_record(void *ctx, const struct lede_record *r)
{
    struct load_ctx *l = ctx;
    if (r->error) {
        fprintf(stderr, "lede-load: %s:%zu: %s\n", l->path, r->line, r->error);
        return -1;
    }
    if (corpus_add(l->c, r->id, r->title, r->title_len, r->article, r->article_len,
                   l->opt->sentences, &l->cap) != 0)
        return -1;
    return l->opt->limit && l->c->n >= l->opt->limit ? 1 : 0;
}

static int load_jsonl(struct corpus *c, const char *path, const struct options *opt)
{
    struct load_ctx l = {.c = c, .opt = opt, .path = path};
    char err[300] = "";
    /* a line holds at most MAX_FILE_BYTES in memory (fileio.h), however long it is */
    int rc = lede_records_read(path, MAX_FILE_BYTES, load_record, &l, err, sizeof err);
    if (rc == -1 && err[0])
        fprintf(stderr, "lede-load: --data %s\n", err);
    return rc < 0 ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct corpus *c, const char *path, const struct options *opt)
{
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "lede-load: --data %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, ncap = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n >= MAX_ARTICLES) {
            fprintf(stderr, "lede-load: %s: more than %u files\n", path, MAX_ARTICLES);
            rc = -1;
            break;
        }
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 64;
            char **p = realloc(names, ncap * sizeof *p);
            if (!p) {
                rc = -1;
                break;
            }
            names = p;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; rc == 0 && i < n && (!opt->limit || c->n < opt->limit); i++) {
        char full[PATH_MAX];
        struct stat st;
        if ((size_t)snprintf(full, sizeof full, "%s/%s", path, names[i]) >= sizeof full)
            continue;
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        char *buf = NULL, msg[300];
        size_t len = 0;
        if (lede_read_file(full, MAX_FILE_BYTES, &buf, &len, msg, sizeof msg) != LEDE_OK) {
            fprintf(stderr, "lede-load: %s\n", msg);
            rc = -1;
            break;
        }
        rc = corpus_add(c, names[i], NULL, 0, buf, len, opt->sentences, &cap);
        free(buf);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static void corpus_release(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->payload[i]);
    free(c->payload);
    free(c->len);
    memset(c, 0, sizeof *c);
}

/* ---- the run ---- */

static void on_reply(void *ctx, const struct lede_client_reply *r)
{
    struct slot *s = ctx;
    struct run *run = s->run;
    uint64_t t = lede_clock_mono_ns();
    if (!s->busy) { /* the library promises one callback per call: count any other */
        run->duplicates_cb++;
        return;
    }
    s->busy = 0;
    run->free_list[run->n_free++] = (unsigned)(s - run->slots);
    run->last_done_ns = t;
    if (r->status == 0) {
        uint64_t us = lede_load_latency_us(s->intended_ns, t);
        lede_hist_record(run->all, us);
        lede_hist_record(run->interval, us);
        run->ok++;
        run->iv_ok++;
    } else {
        int st = r->status >= 0 && r->status < N_STATUS ? r->status : N_STATUS;
        run->errors[st]++;
        run->err_total++;
        run->iv_err++;
    }
}

static int send_one(struct run *run, const struct corpus *c, uint64_t intended_ns)
{
    if (run->n_free == 0)
        return -1;
    unsigned k = run->free_list[run->n_free - 1];
    struct slot *s = &run->slots[k];
    size_t i = (size_t)(run->sent % c->n);
    uint64_t t = lede_clock_mono_ns();
    s->intended_ns = intended_ns ? intended_ns : t;
    s->sent_ns = t;
    s->run = run;
    int rc = lede_client_call(run->client, "lede.v1.Summarizer/Summarize", c->payload[i], c->len[i],
                              run->opt->deadline_ms, NULL, 0, on_reply, s, NULL);
    if (rc != LEDE_OK) {
        fprintf(stderr, "lede-load: submit: %s\n", lede_strerror(rc));
        return rc;
    }
    s->busy = 1;
    run->n_free--;
    run->sent++;
    run->iv_sent++;
    run->bytes_sent += c->len[i];
    if (intended_ns)
        lede_hist_record(run->lag, lede_load_latency_us(intended_ns, t));
    return 0;
}

static void fmt_us(char *buf, size_t len, uint64_t us)
{
    if (us < 1000)
        snprintf(buf, len, "%lluus", (unsigned long long)us);
    else if (us < 1000000)
        snprintf(buf, len, "%.2fms", (double)us / 1e3);
    else
        snprintf(buf, len, "%.2fs", (double)us / 1e6);
}

/* One interval (a second by default) passed: a timeline row and the progress line; the interval
 * starts over. */
static void tick(struct run *run, double t_s, double iv_s, int progress)
{
    if (run->timeline && iv_s >= 0.2 * run->opt->interval_ms /
                                     1000.0) { /* a last sliver of a second would plot as noise */
        fprintf(run->timeline, "%.3f,%llu,%llu,%llu,%.1f,%llu,%llu,%llu,%llu,%zu,%.1f\n", t_s,
                (unsigned long long)run->iv_sent, (unsigned long long)run->iv_ok,
                (unsigned long long)run->iv_err, iv_s > 0 ? (double)run->iv_ok / iv_s : 0.0,
                (unsigned long long)lede_hist_percentile(run->interval, 50),
                (unsigned long long)lede_hist_percentile(run->interval, 90),
                (unsigned long long)lede_hist_percentile(run->interval, 99),
                (unsigned long long)lede_hist_max(run->interval),
                lede_client_in_flight(run->client), (double)run->iv_err / iv_s);
    }
    if (progress) {
        char p50[32], p99[32];
        fmt_us(p50, sizeof p50, lede_hist_percentile(run->all, 50));
        fmt_us(p99, sizeof p99, lede_hist_percentile(run->all, 99));
        fprintf(stderr,
                "\r%6.1fs  sent %llu  ok %llu  errors %llu  %.0f calls/s  p50 %s  p99 %s  "
                "in flight %zu   ",
                t_s, (unsigned long long)run->sent, (unsigned long long)run->ok,
                (unsigned long long)run->err_total, iv_s > 0 ? (double)run->iv_ok / iv_s : 0.0, p50,
                p99, lede_client_in_flight(run->client));
        fflush(stderr);
    }
    lede_hist_reset(run->interval);
    run->iv_ok = run->iv_err = run->iv_sent = 0;
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int write_plot(const char *png, const char *csv, const char *title)
{
    char script[] = "/tmp/lede-load-plot-XXXXXX";
    int fd = mkstemp(script);
    if (fd < 0) {
        fprintf(stderr, "lede-load: --plot: %s\n", strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(script);
        return -1;
    }
    fprintf(f,
            "set terminal pngcairo size 1000,700 noenhanced\n"
            "set output '%s'\n"
            "set datafile separator ','\n"
            "set multiplot layout 2,1 title '%s'\n"
            "set grid\n"
            "set xlabel 'time (s)'\n"
            "set ylabel 'latency (ms)'\n"
            "set logscale y\n"
            "set xrange [0:*]\n"
            "plot '%s' using 1:($6/1000) with lines lw 2 title 'p50', "
            "'' using 1:($7/1000) with lines lw 2 title 'p90', "
            "'' using 1:($8/1000) with lines lw 2 title 'p99', "
            "'' using 1:($9/1000) with lines title 'max'\n"
            "unset logscale y\n"
            "set ylabel 'calls/s'\n"
            "set yrange [0:*]\n"
            "plot '%s' using 1:5 with lines lw 2 title 'OK calls/s', "
            "'' using 1:11 with lines lw 2 title 'errors/s'\n"
            "unset multiplot\n",
            png, title, csv, csv);
    fclose(f);
    pid_t pid = fork();
    if (pid < 0) {
        unlink(script);
        return -1;
    }
    if (pid == 0) {
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        fprintf(stderr,
                "lede-load: --plot: cannot run gnuplot: %s (scripts/deps.sh installs "
                "gnuplot-nox)\n",
                strerror(errno));
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    unlink(script);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "lede-load: --plot: gnuplot failed\n");
        return -1;
    }
    return 0;
}

static int write_json(const char *path, json_t *o)
{
    int rc;
    if (strcmp(path, "-") == 0) {
        rc = json_dumpf(o, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        rc = json_dump_file(o, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    }
    if (rc != 0)
        fprintf(stderr, "lede-load: --json %s: cannot write\n", path);
    return rc;
}

/* The options: flag, LEDE_LOAD_<NAME> variable and --config key from one table, as the
 * daemons have them (common/config.h). */
static const struct lede_opt load_opts[] = {
    {.name = "broker",
     .arg = "EP[,EP...]",
     .repeat = true,
     .help = "broker frontends, e.g. tcp://127.0.0.1:5555 (required)"},
    {.name = "data",
     .arg = "PATH",
     .help = "JSONL with \"article\" a line, or a folder of bodies (required)"},
    {.name = "limit",
     .type = LEDE_OPT_INT,
     .min = 1,
     .max = MAX_ARTICLES,
     .help = "use at most the first N articles"},
    {.name = "concurrency",
     .type = LEDE_OPT_INT,
     .arg = "C",
     .def = "16",
     .min = 1,
     .max = MAX_IN_FLIGHT,
     .help = "closed loop: C calls in flight (unless --rate)"},
    {.name = "rate",
     .type = LEDE_OPT_DOUBLE,
     .arg = "R",
     .min = 1e-6,
     .max = 1e7,
     .help = "open loop: R calls/s, latency from each intended send time"},
    {.name = "max-in-flight",
     .type = LEDE_OPT_INT,
     .def = "10000",
     .min = 1,
     .max = MAX_IN_FLIGHT,
     .help = "open loop: at most; a call due past it waits (latency)"},
    {.name = "duration",
     .type = LEDE_OPT_DOUBLE,
     .arg = "S",
     .def = "10",
     .min = 1e-3,
     .max = 86400,
     .help = "send for S seconds (unless --requests)"},
    {.name = "requests",
     .type = LEDE_OPT_INT,
     .min = 1,
     .max = 1000000000,
     .help = "send exactly N calls (instead of --duration)"},
    {.name = "deadline",
     .type = LEDE_OPT_INT,
     .arg = "MS",
     .def = "10000",
     .min = 1,
     .max = 3600000,
     .help = "each call's deadline"},
    {.name = "sentences",
     .type = LEDE_OPT_INT,
     .arg = "K",
     .min = 1,
     .max = 1000,
     .help = "summary length asked for (default: the service's)"},
    {.name = "grace",
     .type = LEDE_OPT_INT,
     .arg = "MS",
     .min = 0,
     .max = 3600000,
     .help = "wait for replies after sending, then count lost (default deadline+2000)"},
    {.name = "json", .arg = "FILE", .help = "write the result as one JSON object (-: stdout)"},
    {.name = "timeline",
     .arg = "FILE.csv",
     .help = "a CSV row per interval: calls/s, errors, latencies"},
    {.name = "interval",
     .type = LEDE_OPT_INT,
     .arg = "MS",
     .def = "1000",
     .min = 50,
     .max = 60000,
     .help = "timeline and progress period"},
    {.name = "plot", .arg = "FILE.png", .help = "latencies and throughput over time (gnuplot)"},
    {.name = "label",
     .arg = "TEXT",
     .def = "lede-load",
     .help = "this run's name in the JSON and the plot"},
    {.name = "progress",
     .type = LEDE_OPT_BOOL,
     .help = "the live line on stderr (default: on a terminal)"},
    {.name = "curve-secret",
     .arg = "FILE",
     .help = "CURVE: this client's secret key (lede keygen NAME)"},
    {.name = "broker-key",
     .arg = "FILE",
     .help = "CURVE: the brokers' public key (with --curve-secret)"},
};

static const char usage[] =
    "usage: lede-load --broker EP[,EP...] --data FILE.jsonl|DIR [options]\n"
    "Sends Summarize calls to lede brokers and measures throughput and latency: closed loop\n"
    "(--concurrency) or open loop (--rate), for --duration seconds or --requests calls.";
static const char epilogue[] =
    "Latency counts from each call's intended send time in the open loop (no coordinated\n"
    "omission); a call unanswered --grace MS after sending ends is lost.\n"
    "Exit: 0 every call OK; 2 some call failed or was lost; 1 bad usage or start-up.";

/* The settings from conf into o, and the checks across options. Nonzero: a message said why. */
static int read_options(const lede_config_t *conf, struct options *o)
{
    static const char *const loops[] = {"concurrency", "rate", NULL};
    static const char *const ends[] = {"duration", "requests", NULL};
    char err[256];
    memset(o, 0, sizeof *o);
    int loop = lede_config_one_of(conf, loops, err, sizeof err);
    int end = lede_config_one_of(conf, ends, err, sizeof err);
    if (loop == -2 || end == -2) {
        fprintf(stderr, "lede-load: %s\n", err);
        return -1;
    }
    o->endpoints = lede_config_str_set(conf, "broker");
    o->data = lede_config_str_set(conf, "data");
    if (!o->endpoints || !o->data) {
        fprintf(stderr, "lede-load: --broker and --data are required (see --help)\n");
        return -1;
    }
    if (strlen(o->endpoints) >= MAX_ENDPOINTS_LEN) {
        fprintf(stderr, "lede-load: --broker: too many endpoints\n");
        return -1;
    }
    if (loop == 1)
        o->rate = lede_config_double(conf, "rate");
    else
        o->concurrency = (unsigned)lede_config_int(conf, "concurrency");
    if (end == 1)
        o->requests = (uint64_t)lede_config_int(conf, "requests");
    else
        o->duration_s = lede_config_double(conf, "duration");
    o->limit = (size_t)lede_config_int(conf, "limit");
    o->max_in_flight = (unsigned)lede_config_int(conf, "max-in-flight");
    o->deadline_ms = (int)lede_config_int(conf, "deadline");
    o->sentences = (unsigned)lede_config_int(conf, "sentences");
    o->grace_ms = lede_config_is_set(conf, "grace") ? (int)lede_config_int(conf, "grace")
                                                    : o->deadline_ms + 2000;
    o->interval_ms = (unsigned)lede_config_int(conf, "interval");
    o->json_path = lede_config_str_set(conf, "json");
    o->timeline_path = lede_config_str_set(conf, "timeline");
    o->plot_path = lede_config_str_set(conf, "plot");
    o->label = lede_config_str(conf, "label");
    o->curve_secret = lede_config_str_set(conf, "curve-secret");
    o->broker_key = lede_config_str_set(conf, "broker-key");
    o->progress = lede_config_is_set(conf, "progress") ? lede_config_bool(conf, "progress")
                                                       : isatty(STDERR_FILENO);
    return 0;
}

/* Reads --data (a folder or a JSONL file) into c. Nonzero: a message said why. */
static int load_corpus(struct corpus *c, const struct options *opt)
{
    struct stat st;
    if (stat(opt->data, &st) != 0) {
        fprintf(stderr, "lede-load: --data %s: %s\n", opt->data, strerror(errno));
        return -1;
    }
    if ((S_ISDIR(st.st_mode) ? load_dir(c, opt->data, opt) : load_jsonl(c, opt->data, opt)) != 0)
        return -1;
    if (c->n == 0) {
        fprintf(stderr, "lede-load: --data %s: no articles\n", opt->data);
        return -1;
    }
    return 0;
}

/* The call slots, the histograms and the client for run. Nonzero: a message said why. */
static int run_open(struct run *run, const struct options *opt)
{
    run->opt = opt;
    run->n_slots = opt->rate > 0 ? opt->max_in_flight : opt->concurrency;
    run->slots = calloc(run->n_slots, sizeof *run->slots);
    run->free_list = calloc(run->n_slots, sizeof *run->free_list);
    if (!run->slots || !run->free_list || lede_hist_new(HIST_HIGHEST, HIST_BITS, &run->all) ||
        lede_hist_new(HIST_HIGHEST, HIST_BITS, &run->interval) ||
        lede_hist_new(HIST_HIGHEST, HIST_BITS, &run->lag)) {
        fprintf(stderr, "lede-load: out of memory\n");
        return -1;
    }
    for (unsigned i = 0; i < run->n_slots; i++)
        run->free_list[run->n_free++] = run->n_slots - 1 - i;
    struct lede_client_options copt;
    lede_client_options_init(&copt);
    copt.deadline_ms = opt->deadline_ms;
    copt.max_in_flight = run->n_slots;
    copt.curve_secret_file = opt->curve_secret;
    copt.broker_key_file = opt->broker_key;
    char errbuf[256] = "";
    int rc = lede_client_new(opt->endpoints, &copt, &run->client, errbuf, sizeof errbuf);
    if (rc != LEDE_OK) {
        fprintf(stderr, "lede-load: --broker %s: %s\n", opt->endpoints,
                errbuf[0] ? errbuf : lede_strerror(rc));
        return -1;
    }
    return 0;
}

static void run_close(struct run *run)
{
    if (run->timeline)
        fclose(run->timeline);
    run->timeline = NULL;
    lede_client_destroy(&run->client);
    lede_hist_destroy(&run->all);
    lede_hist_destroy(&run->interval);
    lede_hist_destroy(&run->lag);
    free(run->slots);
    free(run->free_list);
}

/* Opens the timeline CSV: --timeline, or a temporary file (*tmp_csv, the caller's to unlink and
 * free) when only --plot wants one. *csv: its path, or NULL for neither. */
static int timeline_open(struct run *run, const struct options *opt, char **tmp_csv,
                         const char **csv)
{
    *csv = opt->timeline_path;
    if (!*csv && opt->plot_path) {
        *tmp_csv = strdup("/tmp/lede-load-timeline-XXXXXX");
        int fd = *tmp_csv ? mkstemp(*tmp_csv) : -1;
        if (fd < 0) {
            fprintf(stderr, "lede-load: cannot make a temporary file for --plot\n");
            return -1;
        }
        close(fd);
        *csv = *tmp_csv;
    }
    if (!*csv)
        return 0;
    run->timeline = fopen(*csv, "w");
    if (!run->timeline) {
        fprintf(stderr, "lede-load: --timeline %s: %s\n", *csv, strerror(errno));
        return -1;
    }
    fprintf(run->timeline,
            "t_s,sent,ok,errors,ok_per_s,p50_us,p90_us,p99_us,max_us,in_flight,errors_per_s\n");
    return 0;
}

/* When the run started and when its next interval ends. */
struct ticker {
    uint64_t t0, iv_ns, next_tick, last_tick;
};

/* At t, past the interval's end: its timeline row and progress line, and the next interval. */
static void ticker_step(struct run *run, struct ticker *tk, uint64_t t)
{
    if (t < tk->next_tick)
        return;
    tick(run, (double)(t - tk->t0) / 1e9, (double)(t - tk->last_tick) / 1e9, run->opt->progress);
    tk->last_tick = t;
    tk->next_tick += tk->iv_ns;
    if (tk->next_tick <= t)
        tk->next_tick = t + tk->iv_ns;
}

/* Open loop: sends the calls due by t while a slot is free (a call due while every slot is
 * busy stays due: its wait is counted). Returns how long to wait for the next, or UINT64_MAX
 * when a submit failed. */
static uint64_t send_open(struct run *run, const struct corpus *c, struct lede_load_sched *sched,
                          uint64_t t)
{
    const struct options *opt = run->opt;
    uint64_t want = opt->requests ? opt->requests - run->sent : UINT64_MAX;
    uint64_t due = lede_load_sched_due(sched, t, want);
    for (uint64_t k = 0; k < due && run->n_free > 0; k++) {
        uint64_t intended = lede_load_sched_intended(sched, sched->next);
        if (send_one(run, c, intended ? intended : 1) != 0)
            return UINT64_MAX;
        sched->next++;
    }
    return run->n_free > 0 ? lede_load_sched_wait_ns(sched, lede_clock_mono_ns()) : 1000000;
}

/* Closed loop: fills every free slot. Returns how long to wait (replies wake the poll), or
 * UINT64_MAX when a submit failed. */
static uint64_t send_closed(struct run *run, const struct corpus *c)
{
    const struct options *opt = run->opt;
    while (run->n_free > 0 && (!opt->requests || run->sent < opt->requests))
        if (send_one(run, c, 0) != 0)
            return UINT64_MAX;
    return 100000000;
}

/* The sending phase: until --duration or --requests is reached, a signal, or a failed submit.
 * Returns nonzero when a submit failed. */
static int send_phase(struct run *run, const struct corpus *c, struct ticker *tk)
{
    const struct options *opt = run->opt;
    uint64_t send_end =
        opt->duration_s > 0 ? tk->t0 + (uint64_t)(opt->duration_s * 1e9) : UINT64_MAX;
    struct lede_load_sched sched;
    if (opt->rate > 0)
        lede_load_sched_init(&sched, opt->rate, tk->t0);
    for (;;) {
        uint64_t t = lede_clock_mono_ns();
        if (stop_flag || t >= send_end || (opt->requests && run->sent >= opt->requests))
            return 0;
        uint64_t wait_ns = opt->rate > 0 ? send_open(run, c, &sched, t) : send_closed(run, c);
        if (wait_ns == UINT64_MAX)
            return 1;
        t = lede_clock_mono_ns();
        if (tk->next_tick > t && tk->next_tick - t < wait_ns)
            wait_ns = tk->next_tick - t;
        if (send_end > t && send_end - t < wait_ns)
            wait_ns = send_end - t;
        int wait_ms = (int)(wait_ns / 1000000);
        if (lede_client_poll(run->client, wait_ms) < 0) {
            fprintf(stderr, "lede-load: poll failed\n");
            return 0;
        }
        if (wait_ms == 0 && wait_ns > 0 && opt->rate > 0) {
            /* less than a millisecond to the next send: sleep it out precisely */
            uint64_t left = lede_load_sched_wait_ns(&sched, lede_clock_mono_ns());
            if (left > 0 && left < 1000000) {
                struct timespec ts = {0, (long)left};
                nanosleep(&ts, NULL);
            }
        }
        ticker_step(run, tk, lede_clock_mono_ns());
    }
}

/* The drain: replies for the calls in flight, up to --grace after sending ended. */
static void drain_phase(struct run *run, struct ticker *tk, uint64_t sending_ended)
{
    uint64_t drain_end = sending_ended + (uint64_t)run->opt->grace_ms * 1000000ull;
    while (lede_client_in_flight(run->client) > 0 && !stop_flag) {
        uint64_t t = lede_clock_mono_ns();
        if (t >= drain_end)
            break;
        uint64_t wait = drain_end - t;
        if (tk->next_tick > t && tk->next_tick - t < wait)
            wait = tk->next_tick - t;
        if (lede_client_poll(run->client, (int)(wait / 1000000) + 1) < 0)
            break;
        ticker_step(run, tk, lede_clock_mono_ns());
    }
}

/* What a run measured, for the table and the JSON. */
struct outcome {
    struct lede_client_stats cs;
    uint64_t lost, duplicates;
    double duration, send_s, rps, user, sys, cpu_pct;
};

static void outcome_of(const struct run *run, uint64_t t0, uint64_t sending_ended, uint64_t t_end,
                       const struct rusage *ru0, const struct rusage *ru1, struct outcome *oc)
{
    lede_client_stats(run->client, &oc->cs);
    oc->lost = lede_client_in_flight(run->client);
    oc->duplicates = oc->cs.duplicates + run->duplicates_cb;
    /* the run lasts from the first send to the last reply (or to giving up) */
    uint64_t end =
        oc->lost ? t_end : (run->last_done_ns > sending_ended ? run->last_done_ns : sending_ended);
    oc->duration = (double)(end - t0) / 1e9;
    oc->send_s = (double)(sending_ended - t0) / 1e9;
    oc->rps = oc->duration > 0 ? (double)run->ok / oc->duration : 0;
    oc->user = tv_s(ru1->ru_utime) - tv_s(ru0->ru_utime);
    oc->sys = tv_s(ru1->ru_stime) - tv_s(ru0->ru_stime);
    oc->cpu_pct = oc->duration > 0 ? 100.0 * (oc->user + oc->sys) / oc->duration : 0;
}

static void print_table(const struct run *run, const struct corpus *corpus,
                        const struct outcome *oc)
{
    const struct options *opt = run->opt;
    printf("lede-load %s: %s loop, %s%g, %zu articles (%.1f KB average)\n", opt->label,
           opt->rate > 0 ? "open" : "closed", opt->rate > 0 ? "rate " : "concurrency ",
           opt->rate > 0 ? opt->rate : (double)opt->concurrency, corpus->n,
           (double)corpus->bytes / (double)corpus->n / 1024.0);
    printf("  %-22s %llu in %.2f s (%.0f calls/s offered)\n", "sent", (unsigned long long)run->sent,
           oc->send_s, oc->send_s > 0 ? (double)run->sent / oc->send_s : 0.0);
    printf("  %-22s %llu (%.1f calls/s over %.2f s)\n", "ok", (unsigned long long)run->ok, oc->rps,
           oc->duration);
    printf("  %-22s %llu\n", "errors", (unsigned long long)run->err_total);
    for (int s = 0; s <= N_STATUS; s++)
        if (run->errors[s])
            printf("    %-20s %llu\n", s < N_STATUS ? lede_client_status_name(s) : "other",
                   (unsigned long long)run->errors[s]);
    printf("  %-22s %llu\n  %-22s %llu\n  %-22s %llu\n", "lost", (unsigned long long)oc->lost,
           "duplicates", (unsigned long long)oc->duplicates, "resent",
           (unsigned long long)oc->cs.resent);
    static const double pcts[] = {50, 90, 99, 99.9};
    printf("  latency%-15s", opt->rate > 0 ? " (intended)" : "");
    for (size_t i = 0; i < 4; i++) {
        char b[32];
        fmt_us(b, sizeof b, lede_hist_percentile(run->all, pcts[i]));
        printf(" p%g %s", pcts[i], b);
    }
    char mx[32];
    fmt_us(mx, sizeof mx, lede_hist_max(run->all));
    printf(" max %s\n", mx);
    if (opt->rate > 0) {
        char a[32], b[32];
        fmt_us(a, sizeof a, lede_hist_percentile(run->lag, 50));
        fmt_us(b, sizeof b, lede_hist_percentile(run->lag, 99));
        printf("  %-22s p50 %s p99 %s (how late lede-load sent)\n", "send lag", a, b);
    }
    printf("  %-22s user %.2f s + sys %.2f s = %.0f%% of one core\n", "lede-load cpu", oc->user,
           oc->sys, oc->cpu_pct);
}

static json_t *hist_json(const lede_hist_t *h, bool all)
{
    json_t *o = json_object();
    json_object_set_new(o, "p50", json_integer((json_int_t)lede_hist_percentile(h, 50)));
    if (all)
        json_object_set_new(o, "p90", json_integer((json_int_t)lede_hist_percentile(h, 90)));
    json_object_set_new(o, "p99", json_integer((json_int_t)lede_hist_percentile(h, 99)));
    if (all)
        json_object_set_new(o, "p999", json_integer((json_int_t)lede_hist_percentile(h, 99.9)));
    json_object_set_new(o, "max", json_integer((json_int_t)lede_hist_max(h)));
    if (all)
        json_object_set_new(o, "mean", json_real(lede_hist_mean(h)));
    return o;
}

/* The result as one JSON object (the caller's). */
static json_t *result_json(const struct run *run, const struct corpus *corpus,
                           const struct outcome *oc)
{
    const struct options *opt = run->opt;
    json_t *out = json_object(), *errs = json_object(), *cpu = json_object();
    for (int s = 0; s <= N_STATUS; s++)
        if (run->errors[s])
            json_object_set_new(errs, s < N_STATUS ? lede_client_status_name(s) : "other",
                                json_integer((json_int_t)run->errors[s]));
    json_object_set_new(out, "label", json_string(opt->label));
    json_object_set_new(out, "mode", json_string(opt->rate > 0 ? "open" : "closed"));
    if (opt->rate > 0)
        json_object_set_new(out, "rate", json_real(opt->rate));
    else
        json_object_set_new(out, "concurrency", json_integer(opt->concurrency));
    json_object_set_new(out, "sent", json_integer((json_int_t)run->sent));
    json_object_set_new(out, "ok", json_integer((json_int_t)run->ok));
    json_object_set_new(out, "errors", errs);
    json_object_set_new(out, "lost", json_integer((json_int_t)oc->lost));
    json_object_set_new(out, "duplicates", json_integer((json_int_t)oc->duplicates));
    json_object_set_new(out, "resent", json_integer((json_int_t)oc->cs.resent));
    json_object_set_new(out, "throughput_rps", json_real(oc->rps));
    json_object_set_new(out, "latency_us", hist_json(run->all, true));
    json_object_set_new(out, "duration_s", json_real(oc->duration));
    json_object_set_new(out, "send_s", json_real(oc->send_s));
    json_object_set_new(out, "articles", json_integer((json_int_t)corpus->n));
    json_object_set_new(out, "request_bytes_sent", json_integer((json_int_t)run->bytes_sent));
    if (opt->rate > 0)
        json_object_set_new(out, "send_lag_us", hist_json(run->lag, false));
    json_object_set_new(cpu, "user_s", json_real(oc->user));
    json_object_set_new(cpu, "sys_s", json_real(oc->sys));
    json_object_set_new(cpu, "pct_of_one_core", json_real(oc->cpu_pct));
    json_object_set_new(out, "load_cpu", cpu);
    return out;
}

/* Sends, drains and reports; returns the exit code (0 all OK, 2 some call failed or was lost,
 * 1 an output could not be written). */
static int run_and_report(struct run *run, const struct corpus *corpus, const char *csv)
{
    const struct options *opt = run->opt;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    struct ticker tk = {.t0 = lede_clock_mono_ns(),
                        .iv_ns = (uint64_t)opt->interval_ms * 1000000ull};
    tk.next_tick = tk.t0 + tk.iv_ns;
    tk.last_tick = tk.t0;
    int submit_failed = send_phase(run, corpus, &tk);
    uint64_t sending_ended = lede_clock_mono_ns();
    drain_phase(run, &tk, sending_ended);
    uint64_t t_end = lede_clock_mono_ns();
    if (run->iv_ok || run->iv_err || run->iv_sent)
        tick(run, (double)(t_end - tk.t0) / 1e9, (double)(t_end - tk.last_tick) / 1e9,
             opt->progress);
    if (opt->progress)
        fputc('\n', stderr);
    getrusage(RUSAGE_SELF, &ru1);

    struct outcome oc;
    outcome_of(run, tk.t0, sending_ended, t_end, &ru0, &ru1, &oc);
    print_table(run, corpus, &oc);
    json_t *out = result_json(run, corpus, &oc);
    int rc = opt->json_path && write_json(opt->json_path, out) != 0;
    json_decref(out);
    if (run->timeline) {
        fclose(run->timeline);
        run->timeline = NULL;
    }
    if (rc || (opt->plot_path && write_plot(opt->plot_path, csv, opt->label) != 0))
        return 1;
    return (run->err_total || oc.lost || submit_failed || run->ok == 0) ? 2 : 0;
}

int main(int argc, char **argv)
{
    struct options opt;
    lede_config_t *conf = NULL;
    int rc =
        lede_config_cli("lede-load", "LEDE_LOAD", load_opts, sizeof load_opts / sizeof *load_opts,
                        0, argc, argv, usage, epilogue, &conf);
    if (rc <= 0 || read_options(conf, &opt)) {
        lede_config_destroy(&conf);
        return rc == 0 ? 0 : 1;
    }
    struct corpus corpus = {0};
    struct run run = {0};
    char *tmp_csv = NULL;
    const char *csv = NULL;
    int exit_code = 1;
    if (load_corpus(&corpus, &opt) == 0 && run_open(&run, &opt) == 0 &&
        timeline_open(&run, &opt, &tmp_csv, &csv) == 0)
        exit_code = run_and_report(&run, &corpus, csv);
    run_close(&run);
    if (tmp_csv) {
        unlink(tmp_csv);
        free(tmp_csv);
    }
    corpus_release(&corpus);
    lede_config_destroy(&conf);
    return exit_code;
}
