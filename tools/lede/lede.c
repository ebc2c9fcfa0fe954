/* lede.c: the `lede` command: `lede summarize` through the engine in-process (--local) or
 * through a broker (--broker, or LEDE_BROKER), for one article or a JSONL batch. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "langid.h"
#include "backend.h"
#include "budget.h"
#include "fileio.h"
#include "html.h"
#include "json_out.h"
#include "json_stream.h"
#include "jsonl_in.h"
#include "jsonl_out.h"
#include "wire.h"
#include "keygen.h"
#include "utf8.h"

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
    bool budget_set;
    int deadline_ms, in_flight;
    size_t max_bytes;
    size_t n_overrides;
    struct {
        int feature;
        double value;
    } overrides[LEDE_F_COUNT];
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
};

static void usage(FILE *f)
{
    const char *const *langs = lede_languages();
    fprintf(
        f, "usage: lede summarize [--local | --broker EP[,EP...]] [BUDGET] [OPTIONS] [FILE | -]\n"
           "       lede summarize [--local | --broker EP] --jsonl IN.jsonl [BUDGET] [OPTIONS]\n"
           "\n"
           "Prints an extractive summary of a news article (FILE, or standard input with - or no\n"
           "FILE): the chosen sentences in document order, one per line.\n"
           "\n"
           "Where it runs:\n"
           "  --local              the engine in this process\n"
           "  --broker EP[,EP]     through lede-broker at these endpoints (tcp://host:5555)\n"
           "                       with neither flag: LEDE_BROKER if set, else --local\n"
           "  --deadline MS        per-call deadline through the broker (default 10000)\n"
           "  --in-flight N        calls in flight at once in --jsonl mode (default 32)\n"
           "  --curve-secret FILE  this client's CURVE secret key (lede keygen)\n"
           "  --broker-key FILE    the broker's CURVE public key\n"
           "\n"
           "Budget (default --sentences 3):\n"
           "  --sentences N | --words N | --chars N | --ratio R (0 < R <= 1)\n"
           "  --words and --chars are caps on the summary's sentences joined by single spaces\n"
           "  (whitespace tokens; Unicode code points): never exceeded, whole sentences and whole\n"
           "  quotations only. When not even one sentence fits, the call fails (invalid argument,\n"
           "  \"no sentence fits in N words\").\n"
           "\n"
           "Options:\n"
           "  --title T            the article's title (improves term weights)\n"
           "  --format F           the body's format: auto (default: sniffed), text, html, ans\n"
           "                       (Arc XP ANS story JSON), ninjs (IPTC ninjs JSON)\n"
           "  --lang L             language code, or auto (detected); supported:");
    for (size_t i = 0; langs[i]; i++)
        fprintf(f, " %s", langs[i]);
    fprintf(
        f,
        " (default auto)\n"
        "  --idf FILE           document-frequency table from lede-idf build (--local only)\n"
        "  --weight NAME=VALUE  override a feature weight (position, term, entity, title,\n"
        "                       length, opener); repeatable\n"
        "  --json               one JSON object: id, summary, and every sentence with its rank,\n"
        "                       score, features, byte offset and length\n"
        "  --jsonl IN.jsonl     batch: one {\"id\",\"title\",\"article\",\"format\",\"options\"} "
        "per\n"
        "                       line in, one {\"id\",\"language\",\"summary\"} (or "
        "{\"id\",\"error\"})\n"
        "                       per line out, in order\n"
        "  --explain            with --jsonl: every sentence too, as --json gives them\n"
        "  --id ID              the article id reported in --json output\n"
        "  --max-bytes N        largest input accepted (default 16777216, lede's article limit)\n"
        "  --html FILE          also write an editor's view: the article with the chosen\n"
        "                       sentences highlighted, ranks and feature bars (one article)\n"
        "  -h, --help           this text\n"
        "\n"
        "Exit status: 0 ok; 1 the call failed (its status and message on stderr); 2 usage;\n"
        "3 some --jsonl lines failed (their error objects are in the output); 4 setup failed.\n"
        "Environment: LEDE_BROKER (endpoints), LEDE_DEADLINE_MS.\n");
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int set_budget(struct opts *o, enum lede_budget_kind kind, const char *arg)
{
    double v;
    if (o->budget_set) {
        fprintf(stderr, "lede: give one budget: --sentences, --words, --chars or --ratio\n");
        return -1;
    }
    char why[128] = "not a number";
    if (parse_double(arg, &v) ||
        lede_budget_check((struct lede_budget){kind, v}, why, sizeof why) != LEDE_OK) {
        fprintf(stderr, "lede: bad budget '%s': %s\n", arg, why); /* budget.c: the one rule */
        return -1;
    }
    o->budget = (struct lede_budget){kind, v};
    o->budget_set = true;
    return 0;
}

static int add_override(struct opts *o, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char name[32];
    double v;
    if (!eq || (size_t)(eq - arg) >= sizeof name || parse_double(eq + 1, &v)) {
        fprintf(stderr, "lede: --weight takes NAME=VALUE, e.g. position=1.2 (got '%s')\n", arg);
        return -1;
    }
    memcpy(name, arg, (size_t)(eq - arg));
    name[eq - arg] = 0;
    int f = lede_feature_by_name(name);
    if (f < 0) {
        fprintf(stderr,
                "lede: unknown feature '%s' in --weight (position, term, entity, title, "
                "length, opener)\n",
                name);
        return -1;
    }
    for (size_t i = 0; i < o->n_overrides; i++)
        if (o->overrides[i].feature == f) {
            o->overrides[i].value = v;
            return 0;
        }
    o->overrides[o->n_overrides].feature = f;
    o->overrides[o->n_overrides++].value = v;
    return 0;
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
    fflush(stdout);
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
        if (st == LEDE_STATUS_OK) {
            job.body = rec.article;
            job.body_len = rec.article_len;
            if (rec.title) {
                job.title = rec.title;
                job.title_len = rec.title_len;
            }
            if (rec.language)
                job.lang = rec.language;
            if (rec.has_budget)
                job.budget = rec.budget;
            int fmt = rec.format ? lede_format_by_name(rec.format) : LEDE_FORMAT_AUTO;
            char why[128];
            if (rec.format_bad || fmt < 0) {
                snprintf(msg, sizeof msg, "\"format\" must be one of auto, text, html, ans, ninjs");
                st = LEDE_STATUS_INVALID_ARGUMENT;
            } else if (rec.has_budget &&
                       lede_budget_check(job.budget, why, sizeof why) != LEDE_OK) {
                snprintf(msg, sizeof msg, "options: %s", why); /* budget.c: the one rule */
                st = LEDE_STATUS_INVALID_ARGUMENT;
            } else if (rec.format) {
                job.format = (enum lede_format)fmt; /* the record's own beats --format */
            }
        }
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
        if (tty && (seq % 16 == 0))
            progress(seq, f != stdin ? ftell(f) : 0, size, false);
    }
    free(line);
    b->ops->drain(b);
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

static int summarize_main(int argc, char **argv)
{
    enum {
        O_LOCAL = 256,
        O_BROKER,
        O_SENT,
        O_WORDS,
        O_CHARS,
        O_RATIO,
        O_TITLE,
        O_LANG,
        O_IDF,
        O_JSON,
        O_JSONL,
        O_WEIGHT,
        O_DEADLINE,
        O_ID,
        O_MAXB,
        O_INFLIGHT,
        O_CSEC,
        O_BKEY,
        O_HTML,
        O_FORMAT,
        O_EXPLAIN
    };
    static const struct option longopts[] = {
        {"local", no_argument, 0, O_LOCAL},
        {"broker", required_argument, 0, O_BROKER},
        {"sentences", required_argument, 0, O_SENT},
        {"words", required_argument, 0, O_WORDS},
        {"chars", required_argument, 0, O_CHARS},
        {"ratio", required_argument, 0, O_RATIO},
        {"title", required_argument, 0, O_TITLE},
        {"lang", required_argument, 0, O_LANG},
        {"idf", required_argument, 0, O_IDF},
        {"json", no_argument, 0, O_JSON},
        {"jsonl", required_argument, 0, O_JSONL},
        {"weight", required_argument, 0, O_WEIGHT},
        {"explain", no_argument, 0, O_EXPLAIN},
        {"deadline", required_argument, 0, O_DEADLINE},
        {"id", required_argument, 0, O_ID},
        {"max-bytes", required_argument, 0, O_MAXB},
        {"in-flight", required_argument, 0, O_INFLIGHT},
        {"curve-secret", required_argument, 0, O_CSEC},
        {"broker-key", required_argument, 0, O_BKEY},
        {"help", no_argument, 0, 'h'},
        {"html", required_argument, 0, O_HTML},
        {"format", required_argument, 0, O_FORMAT},
        {0, 0, 0, 0},
    };
    struct opts o = {.budget = {LEDE_BUDGET_SENTENCES, 3},
                     .deadline_ms = 10000,
                     .in_flight = 32,
                     .max_bytes = LEDE_DEFAULT_MAX_BODY};
    const char *env = getenv("LEDE_DEADLINE_MS");
    if (env && *env)
        o.deadline_ms = atoi(env);
    int c;
    double v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_LOCAL: o.local = true; break;
        case O_BROKER: o.broker = optarg; break;
        case O_SENT:
            if (set_budget(&o, LEDE_BUDGET_SENTENCES, optarg))
                return EXIT_USAGE;
            break;
        case O_WORDS:
            if (set_budget(&o, LEDE_BUDGET_WORDS, optarg))
                return EXIT_USAGE;
            break;
        case O_CHARS:
            if (set_budget(&o, LEDE_BUDGET_CHARS, optarg))
                return EXIT_USAGE;
            break;
        case O_RATIO:
            if (set_budget(&o, LEDE_BUDGET_RATIO, optarg))
                return EXIT_USAGE;
            break;
        case O_TITLE: o.title = optarg; break;
        case O_LANG: o.lang = optarg; break;
        case O_IDF: o.idf = optarg; break;
        case O_JSON: o.json = true; break;
        case O_JSONL: o.jsonl = optarg; break;
        case O_EXPLAIN: o.explain = true; break;
        case O_WEIGHT:
            if (add_override(&o, optarg))
                return EXIT_USAGE;
            break;
        case O_ID: o.id = optarg; break;
        case O_CSEC: o.curve_secret = optarg; break;
        case O_BKEY: o.broker_key = optarg; break;
        case O_HTML: o.html = optarg; break;
        case O_FORMAT: {
            int f = lede_format_by_name(optarg);
            if (f < 0) {
                fprintf(stderr,
                        "lede: --format is one of auto, text, html, ans, ninjs (got '%s')\n",
                        optarg);
                return EXIT_USAGE;
            }
            o.format = (enum lede_format)f;
            break;
        }
        case O_DEADLINE:
        case O_MAXB:
        case O_INFLIGHT:
            if (parse_double(optarg, &v) || v < 1 || v > 1e12 || floor(v) != v) {
                fprintf(stderr, "lede: %s needs a positive whole number (got '%s')\n",
                        argv[optind - 1], optarg);
                return EXIT_USAGE;
            }
            if (c == O_DEADLINE)
                o.deadline_ms = (int)fmin(v, 3600000);
            else if (c == O_MAXB)
                o.max_bytes = (size_t)v;
            else
                o.in_flight = (int)fmin(v, 10000);
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc)
        o.input = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "lede: one input file at most (got '%s' too)\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (o.jsonl && o.input) {
        fprintf(stderr, "lede: --jsonl reads its own file; drop '%s'\n", o.input);
        return EXIT_USAGE;
    }
    if (o.jsonl && o.html) {
        fprintf(stderr, "lede: --html writes the view of one article; drop --jsonl\n");
        return EXIT_USAGE;
    }
    if (o.local && o.broker) {
        fprintf(stderr, "lede: --local and --broker exclude each other\n");
        return EXIT_USAGE;
    }
    if (!o.local && !o.broker) {
        env = getenv("LEDE_BROKER");
        if (env && *env)
            o.broker = env;
        else
            o.local = true;
    }
    if (o.idf && !o.local) {
        fprintf(stderr, "lede: --idf applies to --local; workers load their table with "
                        "lede-worker --idf\n");
        return EXIT_USAGE;
    }

    struct printer pr = {.o = &o};
    lede_engine_t *engine = NULL;
    lede_backend_t *b = NULL;
    int rc = EXIT_SETUP;
    char *idf = NULL;
    if (o.local) {
        struct lede_engine_config cfg = {.detect = lede_langid_cld2}; /* lang: auto */
        char msg[256];
        size_t idf_len = 0;
        if (o.idf) {
            if (lede_read_file(o.idf, 1u << 30, &idf, &idf_len, msg, sizeof msg)) {
                fprintf(stderr, "lede: %s\n", msg);
                goto out;
            }
            cfg.idf_data = idf;
            cfg.idf_len = idf_len;
        }
        struct lede_error err;
        if (lede_engine_new(&cfg, &engine, &err)) {
            fprintf(stderr, "lede: %s%s\n", o.idf ? "--idf: " : "", err.message);
            goto out;
        }
        if (lede_backend_local_new(engine, on_done, &pr, &b)) {
            fprintf(stderr, "lede: out of memory\n");
            goto out;
        }
    } else {
        struct lede_remote_options ro = {
            .endpoints = o.broker,
            .deadline_ms = o.deadline_ms,
            .max_in_flight = o.jsonl ? o.in_flight : 1,
            .curve_secret_file = o.curve_secret,
            .broker_key_file = o.broker_key,
            .explain = o.json || (o.jsonl && o.explain) || o.html, /* only what the output shows */
        };
        if (lede_backend_remote_new(&ro, on_done, &pr, &b)) {
            fprintf(stderr, "lede: cannot set up the connection to %s\n", o.broker);
            goto out;
        }
    }
    rc = o.jsonl ? run_jsonl(&o, b, &pr) : run_one(&o, b, &pr);
out:
    lede_backend_destroy(&b);
    lede_engine_destroy(&engine);
    free(idf);
    for (size_t k = 0; k < pr.cap; k++) {
        free(pr.pending[k]);
        free(pr.ids[k]);
    }
    free(pr.pending);
    free(pr.have);
    free(pr.ids);
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
