/* lede_load.c: lede-load, the load generator for a lede service. It sends Summarize calls
 * through liblede-client to one or more brokers, either closed loop (C calls in flight) or
 * open loop (a fixed arrival rate, latency from each call's intended send time: load_sched.h),
 * and reports throughput, errors by status, lost and duplicate replies and latency percentiles
 * (histogram.h) as a table, JSON, a per-second CSV timeline and a gnuplot PNG. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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

#include "fileio.h"
#include "histogram.h"
#include "lede.pb-c.h"
#include <lede/client.h>
#include "load_sched.h"

#define MAX_ARTICLES      1000000u
#define MAX_DATA_BYTES    (1024ull << 20) /* all articles together */
#define MAX_FILE_BYTES    (64u << 20)     /* one file of a DIR, or one JSONL file's line */
#define MAX_ENDPOINTS_LEN 4096
#define MAX_IN_FLIGHT     100000u
#define N_STATUS          17                  /* gRPC codes 0..16 */
#define HIST_HIGHEST      (3600ull * 1000000) /* an hour, in microseconds */
#define HIST_BITS         7                   /* relative error <= 1/128 */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct options {
    char endpoints[MAX_ENDPOINTS_LEN];
    const char *data;
    unsigned concurrency;
    double rate;
    double duration_s;
    uint64_t requests;
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
    int progress;                          /* -1 auto (a terminal), 0 off, 1 on */
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

static void usage(FILE *f)
{
    fprintf(
        f, "usage: lede-load --broker EP[,EP...] --data FILE.jsonl|DIR [options]\n"
           "Sends Summarize calls to lede brokers and measures throughput and latency.\n"
           "  --broker EP[,EP...]  broker frontend(s), e.g. tcp://127.0.0.1:5555 (repeatable)\n"
           "  --data PATH          JSONL with \"article\" (and \"title\", \"id\") per line, or a\n"
           "                       folder whose every regular file is one article body\n"
           "  --limit N            use at most the first N articles\n"
           "  --concurrency C      closed loop: C calls in flight (default 16)\n"
           "  --rate R             open loop: R calls/s on a fixed schedule; latency counts from\n"
           "                       each call's intended send time (no coordinated omission)\n"
           "  --max-in-flight N    open loop: calls in flight at most (default 10000); a call due\n"
           "                       past it waits, and its wait counts as latency\n"
           "  --duration S         send for S seconds (default 10)\n"
           "  --requests N         send exactly N calls (instead of --duration)\n"
           "  --deadline MS        each call's deadline (default 10000)\n"
           "  --sentences K        summary length asked for (default: the service's, 3)\n"
           "  --grace MS           after sending, wait this long for replies (default deadline +\n"
           "                       2000); calls still unanswered then are counted as lost\n"
           "  --json FILE          write the result as one JSON object (\"-\": standard output)\n"
           "  --timeline FILE.csv  one row per interval: calls/s, errors, latency percentiles\n"
           "  --interval MS        timeline and progress period (default 1000)\n"
           "  --plot FILE.png      latency percentiles and throughput over time (gnuplot)\n"
           "  --label TEXT         a name for this run in the JSON and the plot title\n"
           "  --progress / --no-progress  the live line on stderr (default: when a terminal)\n"
           "  --curve-secret FILE  CURVE: this client's secret key (lede keygen NAME)\n"
           "  --broker-key FILE    CURVE: the brokers' public key (both options or neither)\n"
           "  --help               this text\n"
           "Exit: 0 every call OK; 2 some call failed or was lost; 1 bad usage or start-up.\n");
}

static int parse_u64(const char *name, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "lede-load: %s: expected a whole number in %llu..%llu, got \"%s\"\n", name,
                (unsigned long long)lo, (unsigned long long)hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_pos_double(const char *name, const char *s, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || !(v > 0) || v > hi) {
        fprintf(stderr, "lede-load: %s: expected a number in (0, %g], got \"%s\"\n", name, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

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

static int load_jsonl(struct corpus *c, const char *path, const struct options *opt)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "lede-load: --data %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t lcap = 0, cap = 0;
    ssize_t got;
    unsigned long lineno = 0;
    int rc = 0;
    while ((got = getline(&line, &lcap, f)) >= 0 && (!opt->limit || c->n < opt->limit)) {
        lineno++;
        if ((size_t)got > MAX_FILE_BYTES) {
            fprintf(stderr, "lede-load: %s:%lu: line longer than %u bytes\n", path, lineno,
                    MAX_FILE_BYTES);
            rc = -1;
            break;
        }
        size_t i = 0;
        while (i < (size_t)got &&
               (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r'))
            i++;
        if (i == (size_t)got)
            continue;
        json_error_t jerr;
        json_t *o = json_loadb(line, (size_t)got, 0, &jerr);
        if (!o || !json_is_object(o)) {
            fprintf(stderr, "lede-load: %s:%lu: not a JSON object (%s)\n", path, lineno,
                    o ? "another JSON value" : jerr.text);
            json_decref(o);
            rc = -1;
            break;
        }
        json_t *body = json_object_get(o, "article");
        if (!body)
            body = json_object_get(o, "body");
        json_t *title = json_object_get(o, "title");
        json_t *id = json_object_get(o, "id");
        if (!json_is_string(body)) {
            fprintf(stderr, "lede-load: %s:%lu: no \"article\" (or \"body\") string\n", path,
                    lineno);
            json_decref(o);
            rc = -1;
            break;
        }
        rc = corpus_add(c, json_is_string(id) ? json_string_value(id) : NULL,
                        json_is_string(title) ? json_string_value(title) : NULL,
                        json_is_string(title) ? json_string_length(title) : 0,
                        json_string_value(body), json_string_length(body), opt->sentences, &cap);
        json_decref(o);
        if (rc != 0)
            break;
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "lede-load: %s: read error\n", path);
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
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
    uint64_t t = now_ns();
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
    uint64_t t = now_ns();
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

static int add_endpoints(struct options *o, const char *s)
{
    size_t have = strlen(o->endpoints);
    size_t add = strlen(s);
    if (have + add + 2 > sizeof o->endpoints) {
        fprintf(stderr, "lede-load: --broker: too many endpoints\n");
        return -1;
    }
    if (have)
        o->endpoints[have++] = ',';
    memcpy(o->endpoints + have, s, add + 1);
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    enum {
        O_BROKER = 1,
        O_DATA,
        O_LIMIT,
        O_CONC,
        O_RATE,
        O_MAXF,
        O_DUR,
        O_REQ,
        O_DEADLINE,
        O_SENT,
        O_GRACE,
        O_INTERVAL,
        O_JSON,
        O_TIMELINE,
        O_PLOT,
        O_LABEL,
        O_PROGRESS,
        O_NOPROGRESS,
        O_HELP,
        O_CSEC,
        O_BKEY
    };
    static const struct option longs[] = {{"curve-secret", required_argument, NULL, O_CSEC},
                                          {"broker-key", required_argument, NULL, O_BKEY},
                                          {"broker", required_argument, NULL, O_BROKER},
                                          {"data", required_argument, NULL, O_DATA},
                                          {"limit", required_argument, NULL, O_LIMIT},
                                          {"concurrency", required_argument, NULL, O_CONC},
                                          {"rate", required_argument, NULL, O_RATE},
                                          {"max-in-flight", required_argument, NULL, O_MAXF},
                                          {"duration", required_argument, NULL, O_DUR},
                                          {"requests", required_argument, NULL, O_REQ},
                                          {"deadline", required_argument, NULL, O_DEADLINE},
                                          {"sentences", required_argument, NULL, O_SENT},
                                          {"interval", required_argument, NULL, O_INTERVAL},
                                          {"grace", required_argument, NULL, O_GRACE},
                                          {"json", required_argument, NULL, O_JSON},
                                          {"timeline", required_argument, NULL, O_TIMELINE},
                                          {"plot", required_argument, NULL, O_PLOT},
                                          {"label", required_argument, NULL, O_LABEL},
                                          {"progress", no_argument, NULL, O_PROGRESS},
                                          {"no-progress", no_argument, NULL, O_NOPROGRESS},
                                          {"help", no_argument, NULL, O_HELP},
                                          {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->deadline_ms = 10000;
    o->max_in_flight = 10000;
    o->grace_ms = -1;
    o->interval_ms = 1000;
    o->progress = -1;
    o->label = "lede-load";
    int c;
    uint64_t v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case O_BROKER:
            if (add_endpoints(o, optarg) != 0)
                return -1;
            break;
        case O_DATA: o->data = optarg; break;
        case O_LIMIT:
            if (parse_u64("--limit", optarg, 1, MAX_ARTICLES, &v) != 0)
                return -1;
            o->limit = (size_t)v;
            break;
        case O_CONC:
            if (parse_u64("--concurrency", optarg, 1, MAX_IN_FLIGHT, &v) != 0)
                return -1;
            o->concurrency = (unsigned)v;
            break;
        case O_RATE:
            if (parse_pos_double("--rate", optarg, 1e7, &o->rate) != 0)
                return -1;
            break;
        case O_MAXF:
            if (parse_u64("--max-in-flight", optarg, 1, MAX_IN_FLIGHT, &v) != 0)
                return -1;
            o->max_in_flight = (unsigned)v;
            break;
        case O_DUR:
            if (parse_pos_double("--duration", optarg, 86400, &o->duration_s) != 0)
                return -1;
            break;
        case O_REQ:
            if (parse_u64("--requests", optarg, 1, 1000000000ull, &o->requests) != 0)
                return -1;
            break;
        case O_DEADLINE:
            if (parse_u64("--deadline", optarg, 1, 3600000, &v) != 0)
                return -1;
            o->deadline_ms = (int)v;
            break;
        case O_SENT:
            if (parse_u64("--sentences", optarg, 1, 1000, &v) != 0)
                return -1;
            o->sentences = (unsigned)v;
            break;
        case O_GRACE:
            if (parse_u64("--grace", optarg, 0, 3600000, &v) != 0)
                return -1;
            o->grace_ms = (int)v;
            break;
        case O_INTERVAL:
            if (parse_u64("--interval", optarg, 50, 60000, &v) != 0)
                return -1;
            o->interval_ms = (unsigned)v;
            break;
        case O_JSON: o->json_path = optarg; break;
        case O_TIMELINE: o->timeline_path = optarg; break;
        case O_PLOT: o->plot_path = optarg; break;
        case O_LABEL: o->label = optarg; break;
        case O_CSEC: o->curve_secret = optarg; break;
        case O_BKEY: o->broker_key = optarg; break;
        case O_PROGRESS: o->progress = 1; break;
        case O_NOPROGRESS: o->progress = 0; break;
        case O_HELP: usage(stdout); exit(0);
        default:
            fprintf(stderr, "lede-load: unknown or incomplete option \"%s\" (see --help)\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lede-load: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return -1;
    }
    if (!o->endpoints[0] || !o->data) {
        fprintf(stderr, "lede-load: --broker and --data are required (see --help)\n");
        return -1;
    }
    if (o->concurrency && o->rate > 0) {
        fprintf(stderr, "lede-load: give --concurrency (closed loop) or --rate (open loop), "
                        "not both\n");
        return -1;
    }
    if (o->duration_s > 0 && o->requests) {
        fprintf(stderr, "lede-load: give --duration or --requests, not both\n");
        return -1;
    }
    if (!o->concurrency && !(o->rate > 0))
        o->concurrency = 16;
    if (!o->requests && !(o->duration_s > 0))
        o->duration_s = 10;
    if (o->grace_ms < 0)
        o->grace_ms = o->deadline_ms + 2000;
    if (o->progress < 0)
        o->progress = isatty(STDERR_FILENO);
    return 0;
}

int main(int argc, char **argv)
{
    struct options opt;
    struct corpus corpus = {0};
    struct run run = {0};
    char *tmp_csv = NULL;
    int exit_code = 1;
    json_t *out = NULL;
    if (parse_args(argc, argv, &opt) != 0)
        return 1;
    struct stat st;
    if (stat(opt.data, &st) != 0) {
        fprintf(stderr, "lede-load: --data %s: %s\n", opt.data, strerror(errno));
        return 1;
    }
    if ((S_ISDIR(st.st_mode) ? load_dir(&corpus, opt.data, &opt)
                             : load_jsonl(&corpus, opt.data, &opt)) != 0)
        goto cleanup;
    if (corpus.n == 0) {
        fprintf(stderr, "lede-load: --data %s: no articles\n", opt.data);
        goto cleanup;
    }

    run.opt = &opt;
    run.n_slots = opt.rate > 0 ? opt.max_in_flight : opt.concurrency;
    run.slots = calloc(run.n_slots, sizeof *run.slots);
    run.free_list = calloc(run.n_slots, sizeof *run.free_list);
    if (!run.slots || !run.free_list || lede_hist_new(HIST_HIGHEST, HIST_BITS, &run.all) ||
        lede_hist_new(HIST_HIGHEST, HIST_BITS, &run.interval) ||
        lede_hist_new(HIST_HIGHEST, HIST_BITS, &run.lag)) {
        fprintf(stderr, "lede-load: out of memory\n");
        goto cleanup;
    }
    for (unsigned i = 0; i < run.n_slots; i++)
        run.free_list[run.n_free++] = run.n_slots - 1 - i;

    struct lede_client_options copt;
    lede_client_options_init(&copt);
    copt.deadline_ms = opt.deadline_ms;
    copt.max_in_flight = run.n_slots;
    copt.curve_secret_file = opt.curve_secret;
    copt.broker_key_file = opt.broker_key;
    char errbuf[256] = "";
    int rc = lede_client_new(opt.endpoints, &copt, &run.client, errbuf, sizeof errbuf);
    if (rc != LEDE_OK) {
        fprintf(stderr, "lede-load: --broker %s: %s\n", opt.endpoints,
                errbuf[0] ? errbuf : lede_strerror(rc));
        goto cleanup;
    }

    const char *csv = opt.timeline_path;
    if (!csv && opt.plot_path) {
        tmp_csv = strdup("/tmp/lede-load-timeline-XXXXXX");
        int fd = tmp_csv ? mkstemp(tmp_csv) : -1;
        if (fd < 0) {
            fprintf(stderr, "lede-load: cannot make a temporary file for --plot\n");
            goto cleanup;
        }
        close(fd);
        csv = tmp_csv;
    }
    if (csv) {
        run.timeline = fopen(csv, "w");
        if (!run.timeline) {
            fprintf(stderr, "lede-load: --timeline %s: %s\n", csv, strerror(errno));
            goto cleanup;
        }
        fprintf(run.timeline,
                "t_s,sent,ok,errors,ok_per_s,p50_us,p90_us,p99_us,max_us,in_flight,errors_per_s\n");
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t t0 = now_ns();
    uint64_t send_end = opt.duration_s > 0 ? t0 + (uint64_t)(opt.duration_s * 1e9) : UINT64_MAX;
    const uint64_t iv_ns = (uint64_t)opt.interval_ms * 1000000ull;
    uint64_t next_tick = t0 + iv_ns, last_tick = t0;
    struct lede_load_sched sched;
    if (opt.rate > 0)
        lede_load_sched_init(&sched, opt.rate, t0);
    int submit_failed = 0;

    /* sending phase */
    for (;;) {
        uint64_t t = now_ns();
        if (stop_flag || submit_failed || t >= send_end ||
            (opt.requests && run.sent >= opt.requests))
            break;
        uint64_t wait_ns;
        if (opt.rate > 0) {
            uint64_t want = opt.requests ? opt.requests - run.sent : UINT64_MAX;
            uint64_t due = lede_load_sched_due(&sched, t, want);
            /* calls due while every slot is busy stay due: their wait is counted */
            for (uint64_t k = 0; k < due && run.n_free > 0; k++) {
                uint64_t intended = lede_load_sched_intended(&sched, sched.next);
                if (send_one(&run, &corpus, intended ? intended : 1) != 0) {
                    submit_failed = 1;
                    break;
                }
                sched.next++;
            }
            wait_ns = run.n_free > 0 ? lede_load_sched_wait_ns(&sched, now_ns()) : 1000000;
        } else {
            while (run.n_free > 0 && (!opt.requests || run.sent < opt.requests)) {
                if (send_one(&run, &corpus, 0) != 0) {
                    submit_failed = 1;
                    break;
                }
            }
            wait_ns = 100000000; /* woken by replies */
        }
        t = now_ns();
        if (next_tick > t && next_tick - t < wait_ns)
            wait_ns = next_tick - t;
        if (send_end > t && send_end - t < wait_ns)
            wait_ns = send_end - t;
        int wait_ms = (int)(wait_ns / 1000000);
        if (lede_client_poll(run.client, wait_ms) < 0) {
            fprintf(stderr, "lede-load: poll failed\n");
            break;
        }
        if (wait_ms == 0 && wait_ns > 0 && opt.rate > 0) {
            /* less than a millisecond to the next send: sleep it out precisely */
            uint64_t left = lede_load_sched_wait_ns(&sched, now_ns());
            if (left > 0 && left < 1000000) {
                struct timespec ts = {0, (long)left};
                nanosleep(&ts, NULL);
            }
        }
        t = now_ns();
        if (t >= next_tick) {
            tick(&run, (double)(t - t0) / 1e9, (double)(t - last_tick) / 1e9, opt.progress);
            last_tick = t;
            next_tick += iv_ns;
            if (next_tick <= t)
                next_tick = t + iv_ns;
        }
    }
    uint64_t sending_ended = now_ns();

    /* drain: replies for the calls in flight, up to the grace time */
    uint64_t drain_end = sending_ended + (uint64_t)opt.grace_ms * 1000000ull;
    while (lede_client_in_flight(run.client) > 0 && !stop_flag) {
        uint64_t t = now_ns();
        if (t >= drain_end)
            break;
        uint64_t wait = drain_end - t;
        if (next_tick > t && next_tick - t < wait)
            wait = next_tick - t;
        if (lede_client_poll(run.client, (int)(wait / 1000000) + 1) < 0)
            break;
        t = now_ns();
        if (t >= next_tick) {
            tick(&run, (double)(t - t0) / 1e9, (double)(t - last_tick) / 1e9, opt.progress);
            last_tick = t;
            next_tick = t + iv_ns;
        }
    }
    uint64_t t_end = now_ns();
    if (run.iv_ok || run.iv_err || run.iv_sent)
        tick(&run, (double)(t_end - t0) / 1e9, (double)(t_end - last_tick) / 1e9, opt.progress);
    if (opt.progress)
        fputc('\n', stderr);
    getrusage(RUSAGE_SELF, &ru1);

    struct lede_client_stats cs;
    lede_client_stats(run.client, &cs);
    uint64_t lost = lede_client_in_flight(run.client);
    uint64_t duplicates = cs.duplicates + run.duplicates_cb;
    /* the run lasts from the first send to the last reply (or to giving up) */
    uint64_t end =
        lost ? t_end : (run.last_done_ns > sending_ended ? run.last_done_ns : sending_ended);
    double duration = (double)(end - t0) / 1e9;
    double send_s = (double)(sending_ended - t0) / 1e9;
    double rps = duration > 0 ? (double)run.ok / duration : 0;
    double user = tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime);
    double sys = tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime);
    double cpu_pct = duration > 0 ? 100.0 * (user + sys) / duration : 0;

    /* the table */
    printf("lede-load %s: %s loop, %s%g, %zu articles (%.1f KB average)\n", opt.label,
           opt.rate > 0 ? "open" : "closed", opt.rate > 0 ? "rate " : "concurrency ",
           opt.rate > 0 ? opt.rate : (double)opt.concurrency, corpus.n,
           (double)corpus.bytes / (double)corpus.n / 1024.0);
    printf("  %-22s %llu in %.2f s (%.0f calls/s offered)\n", "sent", (unsigned long long)run.sent,
           send_s, send_s > 0 ? (double)run.sent / send_s : 0.0);
    printf("  %-22s %llu (%.1f calls/s over %.2f s)\n", "ok", (unsigned long long)run.ok, rps,
           duration);
    printf("  %-22s %llu\n", "errors", (unsigned long long)run.err_total);
    for (int s = 0; s <= N_STATUS; s++)
        if (run.errors[s])
            printf("    %-20s %llu\n", s < N_STATUS ? lede_client_status_name(s) : "other",
                   (unsigned long long)run.errors[s]);
    printf("  %-22s %llu\n  %-22s %llu\n  %-22s %llu\n", "lost", (unsigned long long)lost,
           "duplicates", (unsigned long long)duplicates, "resent", (unsigned long long)cs.resent);
    static const double pcts[] = {50, 90, 99, 99.9};
    printf("  latency%-15s", opt.rate > 0 ? " (intended)" : "");
    for (size_t i = 0; i < 4; i++) {
        char b[32];
        fmt_us(b, sizeof b, lede_hist_percentile(run.all, pcts[i]));
        printf(" p%g %s", pcts[i], b);
    }
    char mx[32];
    fmt_us(mx, sizeof mx, lede_hist_max(run.all));
    printf(" max %s\n", mx);
    if (opt.rate > 0) {
        char a[32], b[32];
        fmt_us(a, sizeof a, lede_hist_percentile(run.lag, 50));
        fmt_us(b, sizeof b, lede_hist_percentile(run.lag, 99));
        printf("  %-22s p50 %s p99 %s (how late lede-load sent)\n", "send lag", a, b);
    }
    printf("  %-22s user %.2f s + sys %.2f s = %.0f%% of one core\n", "lede-load cpu", user, sys,
           cpu_pct);

    out = json_object();
    json_t *errs = json_object(), *lat = json_object(), *cpu = json_object();
    for (int s = 0; s <= N_STATUS; s++)
        if (run.errors[s])
            json_object_set_new(errs, s < N_STATUS ? lede_client_status_name(s) : "other",
                                json_integer((json_int_t)run.errors[s]));
    json_object_set_new(lat, "p50", json_integer((json_int_t)lede_hist_percentile(run.all, 50)));
    json_object_set_new(lat, "p90", json_integer((json_int_t)lede_hist_percentile(run.all, 90)));
    json_object_set_new(lat, "p99", json_integer((json_int_t)lede_hist_percentile(run.all, 99)));
    json_object_set_new(lat, "p999", json_integer((json_int_t)lede_hist_percentile(run.all, 99.9)));
    json_object_set_new(lat, "max", json_integer((json_int_t)lede_hist_max(run.all)));
    json_object_set_new(lat, "mean", json_real(lede_hist_mean(run.all)));
    json_object_set_new(out, "label", json_string(opt.label));
    json_object_set_new(out, "mode", json_string(opt.rate > 0 ? "open" : "closed"));
    if (opt.rate > 0)
        json_object_set_new(out, "rate", json_real(opt.rate));
    else
        json_object_set_new(out, "concurrency", json_integer(opt.concurrency));
    json_object_set_new(out, "sent", json_integer((json_int_t)run.sent));
    json_object_set_new(out, "ok", json_integer((json_int_t)run.ok));
    json_object_set_new(out, "errors", errs);
    json_object_set_new(out, "lost", json_integer((json_int_t)lost));
    json_object_set_new(out, "duplicates", json_integer((json_int_t)duplicates));
    json_object_set_new(out, "resent", json_integer((json_int_t)cs.resent));
    json_object_set_new(out, "throughput_rps", json_real(rps));
    json_object_set_new(out, "latency_us", lat);
    json_object_set_new(out, "duration_s", json_real(duration));
    json_object_set_new(out, "send_s", json_real(send_s));
    json_object_set_new(out, "articles", json_integer((json_int_t)corpus.n));
    json_object_set_new(out, "request_bytes_sent", json_integer((json_int_t)run.bytes_sent));
    if (opt.rate > 0) {
        json_t *lag = json_object();
        json_object_set_new(lag, "p50",
                            json_integer((json_int_t)lede_hist_percentile(run.lag, 50)));
        json_object_set_new(lag, "p99",
                            json_integer((json_int_t)lede_hist_percentile(run.lag, 99)));
        json_object_set_new(lag, "max", json_integer((json_int_t)lede_hist_max(run.lag)));
        json_object_set_new(out, "send_lag_us", lag);
    }
    json_object_set_new(cpu, "user_s", json_real(user));
    json_object_set_new(cpu, "sys_s", json_real(sys));
    json_object_set_new(cpu, "pct_of_one_core", json_real(cpu_pct));
    json_object_set_new(out, "load_cpu", cpu);
    if (opt.json_path && write_json(opt.json_path, out) != 0)
        goto cleanup;
    if (run.timeline) {
        fclose(run.timeline);
        run.timeline = NULL;
    }
    if (opt.plot_path && write_plot(opt.plot_path, csv, opt.label) != 0)
        goto cleanup;
    exit_code = (run.err_total || lost || submit_failed || run.ok == 0) ? 2 : 0;

cleanup:
    json_decref(out);
    if (run.timeline)
        fclose(run.timeline);
    if (tmp_csv) {
        unlink(tmp_csv);
        free(tmp_csv);
    }
    lede_client_destroy(&run.client);
    lede_hist_destroy(&run.all);
    lede_hist_destroy(&run.interval);
    lede_hist_destroy(&run.lag);
    free(run.slots);
    free(run.free_list);
    corpus_release(&corpus);
    return exit_code;
}
