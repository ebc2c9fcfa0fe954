/* lede.c: the `lede` command: `lede summarize` through the engine in-process (--local) or
 * through a broker (--broker, or LEDE_BROKER), for one article or a JSONL batch. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "langid.h"
#include "backend.h"
#include "budget.h"
#include "clock.h"
#include "config.h"
#include "fileio.h"
#include "html.h"
#include "json_out.h"
#include "json_stream.h"
#include "jsonl_in.h"
#include "jsonl_out.h"
#include "wire.h"
#include "keygen.h"
#include "utf8.h"
#include "weights.h"

#define STR_(x) #x
#define STR(x)  STR_(x) /* a number macro as a string */

#define EXIT_CALL_FAILED 1
#define EXIT_USAGE       2
#define EXIT_SOME_FAILED 3
#define EXIT_SETUP       4

struct opts {
    bool local, json;
    bool explain; /* --explain: --jsonl lines carry every sentence too */
    const char *broker, *title, *lang, *idf, *jsonl, *id;
    const char *curve_secret, *broker_key;
    const char *html;        /* --html FILE: the editor's view of a single article */
    enum lede_format format; /* --format */
    struct lede_budget budget;
    int deadline_ms, in_flight;
    size_t max_bytes;
    size_t n_overrides;
    struct lede_weight_override overrides[LEDE_F_COUNT];
    const char *input;
};

/* Results come back by sequence number, perhaps out of order; they are printed in order. */
struct printer {
    const struct opts *o;
    size_t next;      /* next sequence number to print */
    size_t base, cap; /* pending[k] holds seq base + k */
    char **pending;   /* printed lines waiting for earlier ones, or NULL */
    bool *have;
    size_t ok, failed;
    int last_status;
    char last_message[256];
    char **ids;       /* jsonl: id per pending slot, same indexing */
    bool html_failed; /* --html: the page could not be written */
    bool unflushed;   /* --jsonl: lines written to stdout's buffer, not yet flushed */
    uint64_t flushed_us;
};

static const char *const formats[] = {"auto", "text", "html", "ans", "ninjs", NULL};

/* summarize's options: flag, LEDE_<NAME> variable and --config key from one table, as the
 * daemons have them (common/config.h); --broker reads LEDE_BROKER, --deadline LEDE_DEADLINE_MS. */
static const struct lede_opt summarize_opts[] = {
    {.name = "local",
     .type = LEDE_OPT_BOOL,
     .help = "the engine in this process (the default without --broker)"},
    {.name = "broker",
     .arg = "EP[,EP]",
     .help = "through lede-broker at these endpoints (tcp://host:5555)"},
    {.name = "deadline",
     .type = LEDE_OPT_INT,
     .arg = "MS",
     .def = "10000",
     .min = 1,
     .max = 1e12,
     .help = "per-article deadline through the broker (at most an hour; a call of N "
             "articles has N times it)",
     .env = "LEDE_DEADLINE_MS"},
    {.name = "in-flight",
     .type = LEDE_OPT_INT,
     .def = STR(LEDE_REMOTE_IN_FLIGHT),
     .min = 1,
     .max = 1e12,
     .help = "articles in flight at once in --jsonl mode (at most 10000, and 64 MiB of their "
             "bodies; sent in calls of up to 16, a quarter of this)"},
    {.name = "curve-secret", .arg = "FILE", .help = "this client's CURVE secret key (lede keygen)"},
    {.name = "broker-key", .arg = "FILE", .help = "the broker's CURVE public key"},
    {.name = "sentences",
     .type = LEDE_OPT_DOUBLE,
     .arg = "N",
     .def = "3",
     .help = "budget: N sentences (one budget of the four)"},
    {.name = "words", .type = LEDE_OPT_DOUBLE, .arg = "N", .help = "budget: at most N words"},
    {.name = "chars", .type = LEDE_OPT_DOUBLE, .arg = "N", .help = "budget: at most N characters"},
    {.name = "ratio",
     .type = LEDE_OPT_DOUBLE,
     .arg = "R",
     .help = "budget: this share of the sentences (0 < R <= 1)"},
    {.name = "title", .arg = "T", .help = "the article's title (improves term weights)"},
    {.name = "format",
     .type = LEDE_OPT_CHOICE,
     .arg = "F",
     .def = "auto",
     .choices = formats,
     .help = "the body: auto (sniffed), text, html, ans (Arc XP), ninjs (IPTC)"},
    {.name = "lang",
     .arg = "L",
     .help = "language code, or auto (the default: detected); see below"},
    {.name = "idf",
     .arg = "FILE",
     .help = "document-frequency table from lede-idf build (--local only)"},
    {.name = "weight",
     .arg = "NAME=VALUE",
     .repeat = true,
     .help = "override a feature weight, e.g. position=1.2 (features: below)"},
    {.name = "json",
     .type = LEDE_OPT_BOOL,
     .help = "one JSON object: id, summary, every sentence's rank, score, features"},
    {.name = "jsonl",
     .arg = "IN.jsonl",
     .help = "batch: an article a line in, its result (or error) a line out, in order"},
    {.name = "explain",
     .type = LEDE_OPT_BOOL,
     .help = "with --jsonl: every sentence too, as --json gives them"},
    {.name = "id", .arg = "ID", .help = "the article id reported in --json output"},
    {.name = "max-bytes",
     .type = LEDE_OPT_INT,
     .def = "16777216",
     .min = 1,
     .max = 1e12,
     .help = "largest input accepted (lede's article limit)"},
    {.name = "html",
     .arg = "FILE",
     .help = "also write an editor's view: the article, chosen sentences highlighted"},
};

static const char summarize_usage[] =
    "usage: lede summarize [--local | --broker EP[,EP...]] [BUDGET] [OPTIONS] [FILE | -]\n"
    "       lede summarize [--local | --broker EP] --jsonl IN.jsonl [BUDGET] [OPTIONS]\n"
    "\n"
    "Prints an extractive summary of a news article (FILE, or standard input with - or no\n"
    "FILE): the chosen sentences in document order, one per line.";

/* The text after the options, with the supported languages (the caller's to free). */
static char *summarize_epilogue(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "Languages (--lang), supported:");
    for (const char *const *l = lede_languages(); *l; l++)
        fprintf(f, " %s", *l);
    fprintf(f,
            "\n"
            "Budget: one of --sentences N | --words N | --chars N | --ratio R (default --sentences "
            "3).\n"
            "--words and --chars are caps on the summary's sentences joined by single spaces\n"
            "(whitespace tokens; Unicode code points): never exceeded, whole sentences and whole\n"
            "quotations only. When not even one sentence fits, the call fails (invalid argument,\n"
            "\"no sentence fits in N words\").\n"
            "--jsonl lines in: {\"id\",\"title\",\"article\",\"format\",\"options\"}; out:\n"
            "{\"id\",\"language\",\"summary\"} or {\"id\",\"error\"}.\n"
            "--weight features: position, term, entity, title, length, opener.\n"
            "\n"
            "Exit status: 0 ok; 1 the call failed (its status and message on stderr); 2 usage;\n"
            "3 some --jsonl lines failed (their error objects are in the output); 4 setup failed.");
    fclose(f);
    return text;
}

/* The settings from conf into o, and the checks across options. Nonzero: a message said why. */
static int read_summarize_options(const lede_config_t *conf, struct opts *o)
{
    static const char *const budgets[] = {"sentences", "words", "chars", "ratio", NULL};
    static const enum lede_budget_kind kinds[] = {LEDE_BUDGET_SENTENCES, LEDE_BUDGET_WORDS,
                                                  LEDE_BUDGET_CHARS, LEDE_BUDGET_RATIO};
    static const char *const where[] = {"local", "broker", NULL};
    char err[300];
    memset(o, 0, sizeof *o);
    int b = lede_config_one_of(conf, budgets, err, sizeof err);
    int w = b == -2 ? 0 : lede_config_one_of(conf, where, err, sizeof err);
    int n = b == -2 || w == -2 ? 0
                               : lede_weights_parse(lede_config_str(conf, "weight"), o->overrides,
                                                    err, sizeof err);
    if (b == -2 || w == -2 || n < 0) {
        fprintf(stderr, "lede: %s\n", err);
        return -1;
    }
    o->n_overrides = (size_t)n;
    o->budget = (struct lede_budget){kinds[b], lede_config_double(conf, budgets[b])};
    char why[128];
    if (lede_budget_check(o->budget, why, sizeof why) != LEDE_OK) { /* budget.c: the one rule */
        fprintf(stderr, "lede: bad budget '%s': %s\n", lede_config_str(conf, budgets[b]), why);
        return -1;
    }
    o->local = w != 1;
    o->broker = w == 1 ? lede_config_str_set(conf, "broker") : NULL;
    if (w == 1 && !o->broker) {
        fprintf(stderr, "lede: --broker needs endpoints (tcp://host:5555)\n");
        return -1;
    }
    o->deadline_ms = (int)fmin((double)lede_config_int(conf, "deadline"), 3600000);
    o->in_flight = (int)fmin((double)lede_config_int(conf, "in-flight"), 10000);
    o->max_bytes = (size_t)lede_config_int(conf, "max-bytes");
    o->curve_secret = lede_config_str_set(conf, "curve-secret");
    o->broker_key = lede_config_str_set(conf, "broker-key");
    o->title = lede_config_str_set(conf, "title");
    o->lang = lede_config_str_set(conf, "lang");
    o->idf = lede_config_str_set(conf, "idf");
    o->format = (enum lede_format)lede_format_by_name(lede_config_str(conf, "format"));
    o->json = lede_config_bool(conf, "json");
    o->jsonl = lede_config_str_set(conf, "jsonl");
    o->explain = lede_config_bool(conf, "explain");
    o->id = lede_config_str_set(conf, "id");
    o->html = lede_config_str_set(conf, "html");
    o->input = lede_config_arg(conf, 0);
    if (o->jsonl && o->input) {
        fprintf(stderr, "lede: --jsonl reads its own file; drop '%s'\n", o->input);
        return -1;
    }
    if (o->jsonl && o->html) {
        fprintf(stderr, "lede: --html writes the view of one article; drop --jsonl\n");
        return -1;
    }
    if (o->idf && !o->local) {
        fprintf(stderr, "lede: --idf applies to --local; workers load their table with "
                        "lede-worker --idf\n");
        return -1;
    }
    return 0;
}

/* Reads summarize's options into o (strings borrowed from *conf, the caller's to destroy).
 * Returns 1 to run, 0 when --help was printed, -1 for bad usage (said on stderr). */
static int parse_summarize(int argc, char **argv, struct opts *o, lede_config_t **conf)
{
    char *epilogue = summarize_epilogue();
    int rc = lede_config_cli("lede summarize", "LEDE", summarize_opts,
                             sizeof summarize_opts / sizeof *summarize_opts, 1, argc, argv,
                             summarize_usage, epilogue, conf);
    free(epilogue);
    if (rc <= 0)
        return rc;
    return read_summarize_options(*conf, o) ? -1 : 1;
}

static char *render(const struct opts *o, const char *id, int status, const char *message,
                    const struct lede_result *res)
{
    if (status != LEDE_STATUS_OK) {
        if (!o->json && !o->jsonl)
            return NULL;
        json_t *j = lede_json_error(id, status, message);
        char *s = j ? json_dumps(j, LEDE_JSON_FLAGS) : NULL;
        json_decref(j);
        return s;
    }
    if (o->jsonl && !o->explain) /* written directly: the batch path's JSON writer was most of
                                    its time */
        return lede_jsonl_result(id, res, false);
    if (o->json || o->jsonl) /* one sentence at a time: memory of the output, not of a tree */
        return lede_json_result_string(id, res, LEDE_JSON_FLAGS);
    size_t len = 0;
    for (size_t k = 0; k < res->n_summary; k++)
        len += res->sentences[res->summary[k]].text_length + 1;
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    size_t p = 0;
    for (size_t k = 0; k < res->n_summary; k++) {
        const struct lede_sentence *st = &res->sentences[res->summary[k]];
        memcpy(s + p, res->text + st->text_offset, st->text_length);
        p += st->text_length;
        s[p++] = '\n';
    }
    s[p ? p - 1 : 0] = 0; /* puts adds the last newline */
    return s;
}

/* The line printed for a --jsonl record whose result or error could not be rendered at all
 * (out of memory): every input line has its output line, whatever happens. */
static const char render_failed_line[] =
    "{\"id\":null,\"error\":{\"status\":\"INTERNAL\",\"code\":13,"
    "\"message\":\"the result could not be rendered as JSON\"}}";

/* An error object when render() gave nothing: the id and message as valid UTF-8 (json_pack
 * refuses anything else), or NULL when even that cannot be made. */
static char *render_error_safely(const char *id, int status, const char *message)
{
    char cid[512], cmsg[512];
    if (id)
        lede_utf8_sanitize(cid, sizeof cid, id, strlen(id));
    lede_utf8_sanitize(cmsg, sizeof cmsg, message ? message : "", message ? strlen(message) : 0);
    json_t *j = lede_json_error(id ? cid : NULL, status, cmsg);
    char *s = j ? json_dumps(j, LEDE_JSON_FLAGS) : NULL;
    json_decref(j);
    return s;
}

static int ensure_slot(struct printer *pr, size_t seq)
{
    if (seq < pr->base + pr->cap)
        return 0;
    size_t cap = pr->cap ? pr->cap : 64;
    while (seq >= pr->base + cap)
        cap *= 2;
    char **p = realloc(pr->pending, cap * sizeof *p);
    if (!p)
        return -1;
    pr->pending = p;
    bool *h = realloc(pr->have, cap * sizeof *h);
    if (!h)
        return -1;
    pr->have = h;
    char **ids = realloc(pr->ids, cap * sizeof *ids);
    if (!ids)
        return -1;
    pr->ids = ids;
    for (size_t k = pr->cap; k < cap; k++) {
        pr->pending[k] = NULL;
        pr->have[k] = false;
        pr->ids[k] = NULL;
    }
    pr->cap = cap;
    return 0;
}

static void flush_ready(struct printer *pr)
{
    size_t k = 0;
    while (k < pr->cap && pr->have[k]) {
        if (pr->pending[k]) {
            puts(pr->pending[k]);
            free(pr->pending[k]);
        } else if (pr->o->jsonl) {
            puts(render_failed_line); /* output lines up with input, always */
        }
        free(pr->ids[k]);
        k++;
    }
    if (!k)
        return;
    memmove(pr->pending, pr->pending + k, (pr->cap - k) * sizeof *pr->pending);
    memmove(pr->have, pr->have + k, (pr->cap - k) * sizeof *pr->have);
    memmove(pr->ids, pr->ids + k, (pr->cap - k) * sizeof *pr->ids);
    for (size_t j = pr->cap - k; j < pr->cap; j++) {
        pr->pending[j] = NULL;
        pr->have[j] = false;
        pr->ids[j] = NULL;
    }
    pr->base += k;
    /* --jsonl: while results come in bursts (a batch reply holds up to 16) stdout is flushed
       at most every 10 ms, and each time the input loop comes round (flush_pending): a write
       per line was a large part of the CLI's CPU through a broker */
    uint64_t now = lede_clock_mono_us();
    if (!pr->o->jsonl || now - pr->flushed_us >= 10000) {
        fflush(stdout);
        pr->flushed_us = now;
        pr->unflushed = false;
    } else {
        pr->unflushed = true;
    }
}

/* The lines flush_ready left in stdout's buffer, written out. */
static void flush_pending(struct printer *pr)
{
    if (!pr->unflushed)
        return;
    fflush(stdout);
    pr->flushed_us = lede_clock_mono_us();
    pr->unflushed = false;
}

/* --html: the editor's view of one result, written to o->html. */
static int write_html(const struct opts *o, const struct lede_result *res)
{
    FILE *f = fopen(o->html, "w");
    if (!f) {
        fprintf(stderr, "lede: --html: cannot write %s: %s\n", o->html, strerror(errno));
        return -1;
    }
    int rc = lede_html_write(f, o->title, res);
    if (fclose(f) || rc) {
        fprintf(stderr, "lede: --html: writing %s failed: %s\n", o->html,
                lede_strerror(rc ? rc : LEDE_EIO));
        return -1;
    }
    return 0;
}

static void on_done(void *ctx, size_t seq, int status, const char *message, struct lede_result *res)
{
    struct printer *pr = ctx;
    if (seq < pr->base || ensure_slot(pr, seq)) {
        lede_result_destroy(&res);
        return;
    }
    size_t k = seq - pr->base;
    const char *id = pr->ids[k] ? pr->ids[k] : pr->o->id;
    pr->pending[k] = render(pr->o, id, status, message, res);
    if (!pr->pending[k] && (pr->o->json || pr->o->jsonl)) {
        /* a result or error that jansson refused (a string that is not UTF-8) or no memory:
         * this record's line says so instead of going missing */
        if (status == LEDE_STATUS_OK) {
            status = LEDE_STATUS_INTERNAL;
            message = "the result could not be rendered as JSON";
        }
        pr->pending[k] = render_error_safely(id, status, message);
    }
    pr->have[k] = true;
    if (status == LEDE_STATUS_OK) {
        pr->ok++;
    } else {
        pr->failed++;
        pr->last_status = status;
        snprintf(pr->last_message, sizeof pr->last_message, "%s", message ? message : "");
        if (pr->o->jsonl)
            fprintf(stderr, "lede: line %zu: %s: %s\n", seq + 1, lede_wire_status_name(status),
                    message ? message : "");
    }
    if (status == LEDE_STATUS_OK && pr->o->html && !pr->o->jsonl)
        pr->html_failed = write_html(pr->o, res) != 0;
    lede_result_destroy(&res);
    flush_ready(pr);
}

/* One JSONL line into a job: tools/lede/jsonl_in.c (lede_jsonl_read). */

static void base_job(const struct opts *o, struct lede_job *job)
{
    memset(job, 0, sizeof *job);
    job->id = o->id;
    job->title = o->title;
    job->title_len = o->title ? strlen(o->title) : 0;
    job->lang = o->lang;
    job->format = o->format;
    job->budget = o->budget;
    job->n_overrides = o->n_overrides;
    memcpy(job->overrides, o->overrides, sizeof job->overrides);
}

static void progress(size_t done, long pos, long size, bool final)
{
    if (size > 0) {
        int pct = (int)(100.0 * (double)pos / (double)size);
        int bar = pct / 4;
        fprintf(stderr, "\r[%-25.*s] %3d%%  %zu articles", bar, "#########################", pct,
                done);
    } else {
        fprintf(stderr, "\r%zu articles", done);
    }
    if (final)
        fputc('\n', stderr);
}

/* A JSONL record's own fields over the batch's defaults in job (borrowed from rec). Returns
 * LEDE_STATUS_OK, or LEDE_STATUS_INVALID_ARGUMENT with msg saying why. */
static int job_from_record(const struct lede_jsonl_rec *rec, struct lede_job *job, char *msg,
                           size_t msg_len)
{
    job->body = rec->article;
    job->body_len = rec->article_len;
    if (rec->title) {
        job->title = rec->title;
        job->title_len = rec->title_len;
    }
    if (rec->language)
        job->lang = rec->language;
    if (rec->has_budget)
        job->budget = rec->budget;
    int fmt = rec->format ? lede_format_by_name(rec->format) : LEDE_FORMAT_AUTO;
    char why[128];
    if (rec->format_bad || fmt < 0) {
        snprintf(msg, msg_len, "\"format\" must be one of auto, text, html, ans, ninjs");
        return LEDE_STATUS_INVALID_ARGUMENT;
    } else if (rec->has_budget && lede_budget_check(job->budget, why, sizeof why) != LEDE_OK) {
        snprintf(msg, msg_len, "options: %s", why); /* budget.c: the one rule */
        return LEDE_STATUS_INVALID_ARGUMENT;
    } else if (rec->format) {
        job->format = (enum lede_format)fmt; /* the record's own beats --format */
    }
    return LEDE_STATUS_OK;
}

static int run_jsonl(const struct opts *o, lede_backend_t *b, struct printer *pr)
{
    FILE *f = strcmp(o->jsonl, "-") ? fopen(o->jsonl, "r") : stdin;
    if (!f) {
        fprintf(stderr, "lede: cannot open %s: %s\n", o->jsonl, strerror(errno));
        return EXIT_SETUP;
    }
    long size = -1;
    if (f != stdin && !fseek(f, 0, SEEK_END)) {
        size = ftell(f);
        rewind(f);
    }
    bool tty = isatty(2);
    char *line = NULL;
    size_t cap = 0, seq = 0;
    ssize_t n;
    int rc = 0;
    bool too_long;
    /* one line holds at most --max-bytes in memory (fileio.c), however long it is */
    while ((n = lede_read_line(f, o->max_bytes, &line, &cap, &too_long)) >= 0) {
        if (!too_long && (n == 0 || (n == 1 && line[0] == '\n')))
            continue;
        if (too_long) {
            if (ensure_slot(pr, seq))
                break;
            on_done(pr, seq++, LEDE_STATUS_RESOURCE_EXHAUSTED, "line longer than --max-bytes",
                    NULL);
            flush_pending(pr);
            continue;
        }
        /* read straight from the text (jsonl_in.c): a jansson tree per line cost more than
           the engine */
        struct lede_jsonl_rec rec;
        struct lede_job job;
        base_job(o, &job);
        char msg[200] = "";
        int st = lede_jsonl_read(line, (size_t)n, &rec, msg, sizeof msg);
        char *id = rec.id;
        rec.id = NULL;
        if (st == LEDE_STATUS_OK)
            st = job_from_record(&rec, &job, msg, sizeof msg);
        if (ensure_slot(pr, seq)) {
            lede_jsonl_rec_release(&rec);
            free(id);
            rc = EXIT_SETUP;
            break;
        }
        pr->ids[seq - pr->base] = id;
        job.id = id;
        if (st != LEDE_STATUS_OK)
            on_done(pr, seq, st, msg, NULL);
        else if (b->ops->submit(b, seq, &job)) {
            on_done(pr, seq, LEDE_STATUS_UNAVAILABLE, "backend failed", NULL);
        }
        seq++;
        lede_jsonl_rec_release(&rec);
        flush_pending(pr);
        if (tty && (seq % 16 == 0))
            progress(seq, f != stdin ? ftell(f) : 0, size, false);
    }
    free(line);
    b->ops->drain(b);
    flush_pending(pr);
    if (tty)
        progress(seq, size, size, true);
    if (f != stdin)
        fclose(f);
    if (rc)
        return rc;
    return pr->failed ? EXIT_SOME_FAILED : 0;
}

static int run_one(const struct opts *o, lede_backend_t *b, struct printer *pr)
{
    char msg[256];
    char *body;
    size_t len;
    int rc = lede_read_file(o->input ? o->input : "-", o->max_bytes, &body, &len, msg, sizeof msg);
    if (rc) {
        fprintf(stderr, "lede: %s\n", msg);
        return EXIT_SETUP;
    }
    struct lede_job job;
    base_job(o, &job);
    job.body = body;
    job.body_len = len;
    if (ensure_slot(pr, 0) || b->ops->submit(b, 0, &job)) {
        free(body);
        fprintf(stderr, "lede: the backend failed\n");
        return EXIT_SETUP;
    }
    b->ops->drain(b);
    free(body);
    if (pr->html_failed)
        return EXIT_SETUP;
    if (pr->failed) {
        fprintf(stderr, "lede: %s: %s\n", lede_wire_status_name(pr->last_status), pr->last_message);
        return EXIT_CALL_FAILED;
    }
    return 0;
}

/* The backend o asks for: the engine in-process (*engine and its *idf table, the caller's to
 * free) or the brokers. Nonzero: a message said why. */
static int open_backend(const struct opts *o, struct printer *pr, lede_engine_t **engine,
                        char **idf, lede_backend_t **b)
{
    if (!o->local) {
        struct lede_remote_options ro = {
            .endpoints = o->broker,
            .deadline_ms = o->deadline_ms,
            .max_in_flight = o->jsonl ? o->in_flight : 1,
            .curve_secret_file = o->curve_secret,
            .broker_key_file = o->broker_key,
            .explain = o->json || (o->jsonl && o->explain) || o->html, /* only what is shown */
        };
        if (lede_backend_remote_new(&ro, on_done, pr, b)) {
            fprintf(stderr, "lede: cannot set up the connection to %s\n", o->broker);
            return -1;
        }
        return 0;
    }
    struct lede_engine_config cfg = {.detect = lede_langid_cld2}; /* lang: auto */
    char msg[256];
    size_t idf_len = 0;
    if (o->idf) {
        if (lede_read_file(o->idf, 1u << 30, idf, &idf_len, msg, sizeof msg)) {
            fprintf(stderr, "lede: %s\n", msg);
            return -1;
        }
        cfg.idf_data = *idf;
        cfg.idf_len = idf_len;
    }
    struct lede_error err;
    if (lede_engine_new(&cfg, engine, &err)) {
        fprintf(stderr, "lede: %s%s\n", o->idf ? "--idf: " : "", err.message);
        return -1;
    }
    if (lede_backend_local_new(*engine, on_done, pr, b)) {
        fprintf(stderr, "lede: out of memory\n");
        return -1;
    }
    return 0;
}

static void printer_release(struct printer *pr)
{
    for (size_t k = 0; k < pr->cap; k++) {
        free(pr->pending[k]);
        free(pr->ids[k]);
    }
    free(pr->pending);
    free(pr->have);
    free(pr->ids);
}

static int summarize_main(int argc, char **argv)
{
    struct opts o;
    lede_config_t *conf = NULL;
    int rc = parse_summarize(argc, argv, &o, &conf);
    if (rc <= 0) {
        lede_config_destroy(&conf);
        return rc < 0 ? EXIT_USAGE : 0;
    }
    struct printer pr = {.o = &o};
    lede_engine_t *engine = NULL;
    lede_backend_t *b = NULL;
    char *idf = NULL;
    rc = EXIT_SETUP;
    if (open_backend(&o, &pr, &engine, &idf, &b) == 0)
        rc = o.jsonl ? run_jsonl(&o, b, &pr) : run_one(&o, b, &pr);
    lede_backend_destroy(&b);
    lede_engine_destroy(&engine);
    free(idf);
    printer_release(&pr);
    lede_config_destroy(&conf);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: lede COMMAND [OPTIONS]\n\n"
                "commands:\n"
                "  summarize   summarize an article or a JSONL batch (lede summarize --help)\n"
                "  keygen      write a CURVE key pair NAME.key, NAME.pub (lede keygen --help)\n"
                "  version     print the engine version\n");
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "summarize"))
        return summarize_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "keygen"))
        return lede_keygen_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "version")) {
        printf("lede %s\n", LEDE_ENGINE_VERSION);
        return 0;
    }
    fprintf(stderr, "lede: unknown command '%s' (lede --help)\n", argv[1]);
    return EXIT_USAGE;
}
