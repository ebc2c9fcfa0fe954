/* lede_eval.c: `lede-eval`, the quality tool. Runs the engine in-process on every record of a
 * JSONL evaluation file and grades its summaries, and Lead-k on the same segmentation, with
 * ROUGE-1/2/Lsum (tools/lede-eval/rouge.c, rouge-score's definitions). Used for tuning and by the
 * quality guard test (tests/quality/eval_guard.sh). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "langid.h"
#include "boiler.h"
#include "clock.h"
#include "config.h"
#include "fileio.h"
#include "keyeval.h"
#include "record.h"
#include "rouge.h"
#include "summarize.h"
#include "weights.h"

#define MAX_RECORD        (LEDE_DEFAULT_MAX_BODY + (1u << 20)) /* bytes of one JSONL line */
#define MAX_IDF_FILE      (1u << 30)
#define MAX_SENTENCES_OPT 100000

static const char usage[] =
    "usage: lede-eval --data FILE.jsonl [options]\n"
    "\n"
    "Summarizes every record of FILE.jsonl with the lede engine (in-process) and with Lead-k\n"
    "(the first k sentences of the engine's own segmentation), and prints ROUGE-1, ROUGE-2 and\n"
    "ROUGE-Lsum (precision, recall, F1, averaged over articles, x100) of both and their\n"
    "difference, with the rouge-score definitions (lowercase, [a-z0-9] tokens, Porter stemming,\n"
    "sentences on separate lines for ROUGE-Lsum).\n"
    "\n"
    "Each line of FILE.jsonl is an object {\"id\", \"title\" (string or null), \"article\",\n"
    "\"reference\"}; the reference has one sentence per line ('\\n').\n"
    "Every run also checks the summaries: how many exceed a --words/--chars cap, and how many\n"
    "hold a sentence of the engine's boilerplate table (both should be 0).";

static const char epilogue[] =
    "--weight features: position, term, entity, title, length, opener.\n"
    "--sentences ref: as many sentences as each reference has non-empty lines. --words and\n"
    "--chars cap lede's summary (whitespace tokens, code points, of the summary joined by\n"
    "single spaces); the baseline is then the article's first N words or characters.\n"
    "--keyphrases grades the engine's top 10 keyphrases against each record's \"keyphrases\"\n"
    "(kpcrowd: lowercase, Porter-stemmed words, whole-phrase exact match; P, R, F1@10\n"
    "averaged over records with an article).\n"
    "\n"
    "A record the engine rejects (or that is not valid JSON with string article and reference)\n"
    "is counted as an error and reported on stderr; the rest are still scored.\n"
    "Records with a \"lang\" other than en are scored as the eval README says: lowercase,\n"
    "runs of Unicode word characters, no stemming; zh, ja and ko on characters. Lead-k is\n"
    "also reported on the README's plain splitter (lead_plain: each line a paragraph, a\n"
    "boundary after . ! ? and the Arabic question mark before white space, and after the CJK\n"
    "full stops). Articles per\n"
    "second counts engine time only (lede_summarize), not reading or scoring.\n"
    "Exit status: 0 when at least one article was scored, 1 when none was, 2 for bad usage\n"
    "or an unreadable file.";

static const char *const halves[] = {"odd", "even", NULL};

/* The options: flag, LEDE_EVAL_<NAME> variable and --config key from one table, as the
 * daemons have them (common/config.h). */
static const struct lede_opt eval_opts[] = {
    {.name = "data", .arg = "FILE", .help = "the evaluation file (required)"},
    {.name = "sentences",
     .arg = "N|ref",
     .def = "3",
     .help = "sentences, for lede and Lead-k; ref: the reference's lines"},
    {.name = "idf", .arg = "FILE", .help = "a document-frequency table (lede-idf) for the engine"},
    {.name = "lang", .arg = "L", .help = "the language the engine is told (default: detected)"},
    {.name = "limit",
     .type = LEDE_OPT_INT,
     .min = 0,
     .max = 1000000000,
     .help = "only the first N records"},
    {.name = "weight",
     .arg = "NAME=VALUE",
     .repeat = true,
     .help = "override a feature weight (position, term, entity, title, ...)"},
    {.name = "words",
     .type = LEDE_OPT_INT,
     .min = 1,
     .max = 1000000000,
     .help = "a cap of N words for lede; the baseline: the first N words"},
    {.name = "chars",
     .type = LEDE_OPT_INT,
     .min = 1,
     .max = 1000000000,
     .help = "a cap of N characters for lede; the baseline: the first N"},
    {.name = "half",
     .type = LEDE_OPT_CHOICE,
     .arg = "odd|even",
     .choices = halves,
     .help = "only the odd (1st, 3rd, ...) or even records, for split-half checks"},
    {.name = "keyphrases",
     .type = LEDE_OPT_BOOL,
     .help = "grade the top 10 keyphrases against each record's \"keyphrases\""},
    {.name = "json", .type = LEDE_OPT_BOOL, .help = "print one JSON object instead of the table"},
};

/* The settings, read from the option table (strings borrowed from its lede_config_t). */
struct options {
    const char *data;
    const char *idf;
    const char *lang; /* NULL: auto */
    bool ref_budget;
    long sentences;
    long limit; /* -1: all */
    bool json;
    long words, chars; /* 0: a sentence budget */
    int half;          /* 0 all, 1 odd records, 2 even records */
    bool keyphrases;
    size_t n_overrides;
    struct lede_weight_override overrides[LEDE_F_COUNT];
};

/* The settings from conf into o, and the checks across options. Nonzero: a message said why. */
static int read_options(const lede_config_t *conf, struct options *o)
{
    static const char *const caps[] = {"words", "chars", NULL};
    char err[300];
    memset(o, 0, sizeof *o);
    o->data = lede_config_str_set(conf, "data");
    if (!o->data) {
        fprintf(stderr, "lede-eval: --data FILE is required\n");
        return -1;
    }
    const char *s = lede_config_str(conf, "sentences");
    if (!strcmp(s, "ref")) {
        o->ref_budget = true;
    } else {
        char *end;
        errno = 0;
        o->sentences = strtol(s, &end, 10);
        if (errno || end == s || *end || o->sentences < 1 || o->sentences > MAX_SENTENCES_OPT) {
            fprintf(stderr,
                    "lede-eval: --sentences wants a number from 1 to %d or 'ref', got '%s'\n",
                    MAX_SENTENCES_OPT, s);
            return -1;
        }
    }
    int cap = lede_config_one_of(conf, caps, err, sizeof err);
    int n = cap == -2 ? 0
                      : lede_weights_parse(lede_config_str(conf, "weight"), o->overrides, err,
                                           sizeof err);
    if (cap == -2 || n < 0) {
        fprintf(stderr, "lede-eval: %s\n", err);
        return -1;
    }
    o->n_overrides = (size_t)n;
    if (cap == 0)
        o->words = (long)lede_config_int(conf, "words");
    else if (cap == 1)
        o->chars = (long)lede_config_int(conf, "chars");
    o->idf = lede_config_str_set(conf, "idf");
    o->lang = lede_config_str_set(conf, "lang");
    o->limit = lede_config_is_set(conf, "limit") ? (long)lede_config_int(conf, "limit") : -1;
    o->half = lede_config_choice(conf, "half") + 1;
    o->json = lede_config_bool(conf, "json");
    o->keyphrases = lede_config_bool(conf, "keyphrases");
    return 0;
}

static void add_scores(struct lede_rouge_scores *sum, const struct lede_rouge_scores *s)
{
    const struct lede_rouge_prf *a[3] = {&s->rouge1, &s->rouge2, &s->rougelsum};
    struct lede_rouge_prf *b[3] = {&sum->rouge1, &sum->rouge2, &sum->rougelsum};
    for (int i = 0; i < 3; i++) {
        b[i]->p += a[i]->p;
        b[i]->r += a[i]->r;
        b[i]->f += a[i]->f;
    }
}

static size_t count_lines(const char *s, size_t len)
{
    size_t n = 0;
    bool content = false;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '\n') {
            n += content;
            content = false;
        } else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            content = true;
        }
    }
    return n;
}

/* Appends sentence texts, one per line, to a growable buffer; line breaks inside a sentence
 * become spaces so each summary sentence is one ROUGE-Lsum sentence. */
struct text {
    char *buf;
    size_t len, cap;
};

/* Makes room for need bytes in t (doubling from 4 KiB); nonzero when out of memory. */
static int text_reserve(struct text *t, size_t need)
{
    if (need <= t->cap)
        return 0;
    size_t nc = t->cap ? t->cap : 4096;
    while (nc < need)
        nc *= 2;
    char *q = realloc(t->buf, nc);
    if (!q)
        return 1;
    t->buf = q;
    t->cap = nc;
    return 0;
}

static int text_add_sentence(struct text *t, const struct lede_result *res, size_t idx)
{
    const struct lede_sentence *s = &res->sentences[idx];
    if (s->text_offset > res->text_len || s->text_length > res->text_len - s->text_offset)
        return LEDE_EINVAL;
    if (text_reserve(t, t->len + s->text_length + 2))
        return LEDE_ENOMEM;
    if (t->len > 0)
        t->buf[t->len++] = '\n';
    for (size_t i = 0; i < s->text_length; i++) {
        char c = res->text[s->text_offset + i];
        t->buf[t->len++] = (c == '\n' || c == '\r') ? ' ' : c;
    }
    return LEDE_OK;
}

struct eval {
    const struct options *opt;
    lede_workspace_t *ws;
    lede_rouge_t *rouge;
    struct text sys;
    size_t articles, errors, records, calls; /* calls: lede_summarize calls timed */
    double engine_seconds;
    struct lede_rouge_scores lede, lead, plain;
    size_t unicode, chars; /* articles scored on Unicode words, on characters */
    struct text plain_buf;
    size_t over_cap, boiler, max_words, max_chars; /* the summaries' check */
    size_t kp_docs, kp_empty;                      /* --keyphrases */
    double kp_p, kp_r, kp_f;
};

/* The eval README's plain splitter on body: each line a paragraph; a boundary after '.', '!',
 * '?' or the Arabic question mark followed by white space, and after 。！？ (CJK, with or
 * without a space). Appends the first k sentences, one per line, to out. */
static int plain_lead(const char *body, size_t len, size_t k, struct text *out)
{
    size_t i = 0, taken = 0;
    out->len = 0;
    while (i < len && taken < k) {
        while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
            i++;
        if (i >= len)
            break;
        size_t b = i, e = i;
        while (e < len && body[e] != '\n') {
            unsigned char c = (unsigned char)body[e];
            size_t adv = 1;
            bool stop = false;
            if (c == '.' || c == '!' || c == '?')
                stop = e + 1 >= len || body[e + 1] == ' ' || body[e + 1] == '\t' ||
                       body[e + 1] == '\n' || body[e + 1] == '\r';
            else if (c == 0xD8 && e + 1 < len && (unsigned char)body[e + 1] == 0x9F) {
                adv = 2;
                stop = e + 2 >= len || body[e + 2] == ' ' || body[e + 2] == '\n';
            } else if (e + 2 < len && ((c == 0xE3 && (unsigned char)body[e + 1] == 0x80 &&
                                        (unsigned char)body[e + 2] == 0x82) ||
                                       (c == 0xEF && (unsigned char)body[e + 1] == 0xBC &&
                                        ((unsigned char)body[e + 2] == 0x81 ||
                                         (unsigned char)body[e + 2] == 0x9F)))) {
                adv = 3;
                stop = true;
            }
            e += adv;
            if (stop)
                break;
        }
        if (text_reserve(out, out->len + (e - b) + 2))
            return LEDE_ENOMEM;
        if (out->len)
            out->buf[out->len++] = '\n';
        for (size_t j = b; j < e; j++)
            out->buf[out->len++] = body[j] == '\r' ? ' ' : body[j];
        taken++;
        i = e;
    }
    return LEDE_OK;
}

/* Code points and whitespace tokens of s[0..n). */
static void measure(const char *s, size_t n, size_t *chars, size_t *words)
{
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        *chars += (c & 0xC0) != 0x80;
        bool sp = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
        *words += !sp && !in;
        in = !sp;
    }
}

/* The summary joined by single spaces: over the cap? any boilerplate sentence? */
static void check_summary(struct eval *ev, const struct lede_result *res)
{
    size_t chars = 0, words = 0;
    bool boiler = false;
    for (size_t k = 0; k < res->n_summary; k++) {
        const struct lede_sentence *s = &res->sentences[res->summary[k]];
        measure(res->text + s->text_offset, s->text_length, &chars, &words);
        chars += k > 0;
        boiler |= lede_boiler_match(res->text + s->text_offset, s->text_length) != NULL;
    }
    const struct options *o = ev->opt;
    if ((o->words && words > (size_t)o->words) || (o->chars && chars > (size_t)o->chars))
        ev->over_cap++;
    ev->boiler += boiler;
    if (words > ev->max_words)
        ev->max_words = words;
    if (chars > ev->max_chars)
        ev->max_chars = chars;
}

/* Appends to t the first sentences of res, at most max_words words or max_chars characters
 * in all, joined as text_add_sentence joins them (the last one cut to fit). */
static int text_add_lead(struct text *t, const struct lede_result *res, size_t max_words,
                         size_t max_chars)
{
    size_t words = 0, chars = 0;
    for (size_t i = 0; i < res->n_sentences && words < max_words && chars < max_chars; i++) {
        const struct lede_sentence *s = &res->sentences[i];
        if (text_reserve(t, t->len + s->text_length + 2))
            return LEDE_ENOMEM;
        if (t->len > 0) {
            t->buf[t->len++] = '\n';
            chars++;
        }
        bool in = false;
        for (size_t j = 0; j < s->text_length; j++) {
            char c = res->text[s->text_offset + j];
            bool sp = c == ' ' || c == '\t' || c == '\n' || c == '\r';
            if (!sp && !in && words == max_words)
                break;
            if (((unsigned char)c & 0xC0) != 0x80 && chars == max_chars)
                break;
            words += !sp && !in;
            chars += ((unsigned char)c & 0xC0) != 0x80;
            in = !sp;
            t->buf[t->len++] = sp ? ' ' : c;
        }
    }
    return LEDE_OK;
}

#define KP_MAX_GOLD 1000
#define KP_NORMAL   512

/* --keyphrases: grades res's keyphrases against the record's "keyphrases". */
static int grade_keyphrases(struct eval *ev, const struct lede_result *res, json_t *gold_json)
{
    size_t ng = json_array_size(gold_json), np = res->n_keyphrases;
    if (ng > KP_MAX_GOLD)
        ng = KP_MAX_GOLD;
    char(*buf)[KP_NORMAL] = malloc((ng + np + 1) * sizeof *buf);
    const char **gold = malloc((ng + 1) * sizeof *gold), **pred = malloc((np + 1) * sizeof *pred);
    int rc = LEDE_ENOMEM;
    if (!buf || !gold || !pred)
        goto out;
    size_t g = 0, p = 0;
    for (size_t i = 0; i < ng; i++) {
        json_t *v = json_array_get(gold_json, i);
        if (json_is_string(v) &&
            lede_keyeval_normal(json_string_value(v), json_string_length(v), buf[g + p], KP_NORMAL))
            gold[g] = buf[g + p], g++;
    }
    for (size_t i = 0; i < np; i++) {
        const struct lede_keyphrase *k = &res->keyphrases[i];
        if (lede_keyeval_normal(res->text + k->text_offset, k->text_length, buf[g + p], KP_NORMAL))
            pred[p] = buf[g + p], p++;
    }
    double pr, re, f;
    lede_keyeval_prf(gold, g, pred, p, &pr, &re, &f);
    ev->kp_p += pr;
    ev->kp_r += re;
    ev->kp_f += f;
    ev->kp_docs++;
    rc = LEDE_OK;
out:
    free(buf);
    free(gold);
    free(pred);
    return rc;
}

static void record_error(struct eval *ev, size_t lineno, const char *id, const char *what)
{
    ev->errors++;
    fprintf(stderr, "lede-eval: %s line %zu (id %s): %s\n", ev->opt->data, lineno, id ? id : "?",
            what);
}

/* The request for a record's title (a string, or anything else for none) and article. */
static void request_of(json_t *title, json_t *article, struct lede_request *req)
{
    memset(req, 0, sizeof *req);
    if (json_is_string(title)) {
        req->title = json_string_value(title);
        req->title_len = json_string_length(title);
    }
    req->body = json_string_value(article);
    req->body_len = json_string_length(article);
}

/* lede_summarize, its time added to ev's engine time; a failure is recorded. */
static int summarize_timed(struct eval *ev, const struct lede_request *req,
                           struct lede_result **res, size_t lineno, const char *id)
{
    struct lede_error err = {0};
    double t0 = lede_clock_mono_s();
    int rc = lede_summarize(ev->ws, req, res, &err);
    ev->engine_seconds += lede_clock_mono_s() - t0;
    ev->calls++;
    if (rc != LEDE_OK) {
        char msg[320];
        snprintf(msg, sizeof(msg), "engine: %s: %s", lede_strerror(rc),
                 err.message[0] ? err.message : "(no message)");
        record_error(ev, lineno, id, msg);
    }
    return rc;
}

/* --keyphrases: grades one record's keyphrases. */
static void eval_keyphrases(struct eval *ev, size_t lineno, json_t *rec, const char *id)
{
    json_t *article = json_object_get(rec, "article");
    json_t *kps = json_object_get(rec, "keyphrases");
    if (!json_is_string(article) || !json_is_array(kps)) {
        record_error(ev, lineno, id,
                     "--keyphrases needs string \"article\" and array "
                     "\"keyphrases\"");
        return;
    }
    if (json_string_length(article) == 0) {
        ev->kp_empty++; /* nothing to extract from: counted, not graded */
        return;
    }
    struct lede_request req;
    request_of(json_object_get(rec, "title"), article, &req);
    req.budget = (struct lede_budget){LEDE_BUDGET_SENTENCES, 3};
    req.max_keyphrases = 10;
    struct lede_result *res = NULL;
    if (summarize_timed(ev, &req, &res, lineno, id) != LEDE_OK)
        return;
    if (grade_keyphrases(ev, res, kps) != LEDE_OK)
        record_error(ev, lineno, id, "out of memory grading keyphrases");
    else
        ev->articles++;
    lede_result_destroy(&res);
}

/* Scores the summary in ev->sys into *out. */
static int score_sys(struct eval *ev, const struct text *t, struct lede_rouge_scores *out)
{
    return lede_rouge_score(ev->rouge, t->buf ? t->buf : "", t->len, out);
}

/* ROUGE against the reference already set, of lede's summary (s[0]), Lead-k on the engine's
 * segmentation (s[1]; the first words or characters under a cap) and Lead-k on the plain
 * splitter (s[2]). */
static int score_record(struct eval *ev, const struct lede_result *res,
                        const struct lede_request *req, size_t k, struct lede_rouge_scores s[3])
{
    const struct options *o = ev->opt;
    int rc = LEDE_OK;
    ev->sys.len = 0;
    for (size_t i = 0; i < res->n_summary && rc == LEDE_OK; i++)
        rc = res->summary[i] < res->n_sentences ? text_add_sentence(&ev->sys, res, res->summary[i])
                                                : LEDE_EINVAL;
    if (rc == LEDE_OK)
        rc = score_sys(ev, &ev->sys, &s[0]);
    if (rc != LEDE_OK)
        return rc;
    ev->sys.len = 0;
    if (o->words || o->chars)
        rc = text_add_lead(&ev->sys, res, o->words ? (size_t)o->words : SIZE_MAX,
                           o->chars ? (size_t)o->chars : SIZE_MAX);
    for (size_t i = 0; !o->words && !o->chars && i < k && i < res->n_sentences && rc == LEDE_OK;
         i++)
        rc = text_add_sentence(&ev->sys, res, i);
    if (rc == LEDE_OK)
        rc = score_sys(ev, &ev->sys, &s[1]);
    if (rc == LEDE_OK)
        rc = plain_lead(req->body, req->body_len, k, &ev->plain_buf);
    if (rc == LEDE_OK)
        rc = score_sys(ev, &ev->plain_buf, &s[2]);
    return rc;
}

/* Summarizes and scores one record against its reference. */
static void eval_summary(struct eval *ev, size_t lineno, json_t *rec, const char *id)
{
    const struct options *o = ev->opt;
    json_t *title = json_object_get(rec, "title");
    json_t *article = json_object_get(rec, "article");
    json_t *reference = json_object_get(rec, "reference");
    if (!json_is_string(article) || !json_is_string(reference) ||
        (title && !json_is_null(title) && !json_is_string(title))) {
        record_error(ev, lineno, id,
                     "needs string \"article\" and \"reference\", and "
                     "\"title\" a string or null");
        return;
    }
    const char *ref = json_string_value(reference);
    size_t ref_len = json_string_length(reference);
    enum lede_rouge_mode mode =
        lede_rouge_mode_for(json_string_value(json_object_get(rec, "lang")));
    lede_rouge_set_mode(ev->rouge, mode);
    size_t k = o->ref_budget ? count_lines(ref, ref_len) : (size_t)o->sentences;
    if (k == 0) {
        record_error(ev, lineno, id, "--sentences ref: the reference has no sentence");
        return;
    }
    struct lede_request req;
    request_of(title, article, &req);
    req.budget = (struct lede_budget){LEDE_BUDGET_SENTENCES, (double)k};
    req.lang = o->lang;
    if (o->words)
        req.budget = (struct lede_budget){LEDE_BUDGET_WORDS, (double)o->words};
    else if (o->chars)
        req.budget = (struct lede_budget){LEDE_BUDGET_CHARS, (double)o->chars};
    struct lede_result *res = NULL;
    if (summarize_timed(ev, &req, &res, lineno, id) != LEDE_OK)
        return;
    struct lede_rouge_scores s[3];
    const char *stage = "reference";
    int rc = lede_rouge_set_reference(ev->rouge, ref, ref_len);
    if (rc == LEDE_OK) {
        check_summary(ev, res);
        stage = "scoring";
        rc = score_record(ev, res, &req, k, s);
    }
    if (rc != LEDE_OK) {
        char msg[320];
        snprintf(msg, sizeof(msg), "%s: %s", stage, lede_strerror(rc));
        record_error(ev, lineno, id, msg);
    } else {
        add_scores(&ev->lede, &s[0]);
        add_scores(&ev->lead, &s[1]);
        add_scores(&ev->plain, &s[2]);
        ev->unicode += mode == LEDE_ROUGE_UNICODE;
        ev->chars += mode == LEDE_ROUGE_CHARS;
        ev->articles++;
    }
    lede_result_destroy(&res);
}

/* Summarizes and scores one record (every non-blank line of --data, up to --limit, one --half);
 * errors are counted and reported, never fatal. 1 stops at --limit. */
static int eval_record(void *ctx, const struct lede_record *r)
{
    struct eval *ev = ctx;
    const struct options *opt = ev->opt;
    ev->records++;
    if (r->too_long)
        record_error(ev, r->line, NULL, "record longer than the maximum; skipped");
    else if (opt->half && (ev->records % 2 == 1) != (opt->half == 1))
        ; /* the other half */
    else if (!r->obj)
        record_error(ev, r->line, NULL, r->error);
    else if (opt->keyphrases)
        eval_keyphrases(ev, r->line, r->obj, r->id);
    else
        eval_summary(ev, r->line, r->obj, r->id);
    return opt->limit >= 0 && ev->records >= (size_t)opt->limit ? 1 : 0;
}

static struct lede_rouge_prf avg(struct lede_rouge_prf s, size_t n)
{
    double d = n ? (double)n : 1.0;
    return (struct lede_rouge_prf){100.0 * s.p / d, 100.0 * s.r / d, 100.0 * s.f / d};
}

static json_t *prf_json(struct lede_rouge_prf s)
{
    return json_pack("{s:f,s:f,s:f}", "p", s.p, "r", s.r, "f", s.f);
}

static json_t *scores_json(struct lede_rouge_prf a, struct lede_rouge_prf b,
                           struct lede_rouge_prf c)
{
    return json_pack("{s:o,s:o,s:o}", "rouge1", prf_json(a), "rouge2", prf_json(b), "rougeLsum",
                     prf_json(c));
}

static struct lede_rouge_prf sub(struct lede_rouge_prf a, struct lede_rouge_prf b)
{
    return (struct lede_rouge_prf){a.p - b.p, a.r - b.r, a.f - b.f};
}

static void report_keyphrases(const struct eval *ev)
{
    const struct options *o = ev->opt;
    double d = ev->kp_docs ? (double)ev->kp_docs : 1;
    double p = 100 * ev->kp_p / d, r = 100 * ev->kp_r / d, f = 100 * ev->kp_f / d;
    if (o->json)
        printf("{\"data\":\"%s\",\"keyphrases\":{\"k\":10,\"docs\":%zu,\"empty\":%zu,"
               "\"p\":%.4f,\"r\":%.4f,\"f1\":%.4f},\"errors\":%zu,\"scale\":100}\n",
               o->data, ev->kp_docs, ev->kp_empty, p, r, f, ev->errors);
    else
        printf("lede-eval: %s: keyphrases of %zu articles graded (%zu with an empty article "
               "skipped), %zu errors\nkeyphrases@10 (x100): P %.2f  R %.2f  F1 %.2f\n",
               o->data, ev->kp_docs, ev->kp_empty, ev->errors, p, r, f);
}

/* What the report shows: averages x100 of lede (l), Lead-k (k) and Lead-k on the plain
 * splitter (q), ROUGE-1, -2 and -Lsum each; how the records were scored; engine speed. */
struct averages {
    struct lede_rouge_prf l[3], k[3], q[3];
    const char *scoring;
    double aps;
};

static void averages_of(const struct eval *ev, struct averages *a)
{
    const struct lede_rouge_scores *from[3] = {&ev->lede, &ev->lead, &ev->plain};
    struct lede_rouge_prf *to[3] = {a->l, a->k, a->q};
    for (int i = 0; i < 3; i++) {
        to[i][0] = avg(from[i]->rouge1, ev->articles);
        to[i][1] = avg(from[i]->rouge2, ev->articles);
        to[i][2] = avg(from[i]->rougelsum, ev->articles);
    }
    a->scoring = "mixed";
    if (ev->articles && ev->chars == ev->articles)
        a->scoring = "characters";
    else if (ev->articles && ev->unicode == ev->articles)
        a->scoring = "unicode words";
    else if (ev->chars + ev->unicode == 0)
        a->scoring = "rouge-score (English)";
    a->aps = ev->engine_seconds > 0 ? (double)ev->calls / ev->engine_seconds : 0.0;
}

static void report_json(const struct eval *ev, const struct lede_weights *w,
                        const struct averages *a)
{
    const struct options *o = ev->opt;
    const struct lede_rouge_prf *l = a->l, *k = a->k, *q = a->q;
    json_t *weights = json_object();
    for (int f = 0; f < LEDE_F_COUNT; f++)
        json_object_set_new(weights, lede_feature_name(f), json_real(w->w[f]));
    json_t *root =
        json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:f,s:f,s:b,s:o}", "data", o->data,
                  "engine_version", LEDE_ENGINE_VERSION, "records", (json_int_t)ev->records,
                  "articles", (json_int_t)ev->articles, "errors", (json_int_t)ev->errors,
                  "sentences", o->ref_budget ? json_string("ref") : json_integer(o->sentences),
                  "lede", scores_json(l[0], l[1], l[2]), "lead", scores_json(k[0], k[1], k[2]),
                  "diff", scores_json(sub(l[0], k[0]), sub(l[1], k[1]), sub(l[2], k[2])),
                  "engine_seconds", ev->engine_seconds, "articles_per_second", a->aps, "idf",
                  o->idf != NULL, "weights", weights);
    if (!root)
        return;
    json_object_set_new(root, "scale", json_integer(100));
    json_object_set_new(root, "lead_plain", scores_json(q[0], q[1], q[2]));
    json_object_set_new(root, "diff_plain",
                        scores_json(sub(l[0], q[0]), sub(l[1], q[1]), sub(l[2], q[2])));
    json_object_set_new(root, "scoring", json_string(a->scoring));
    json_object_set_new(root, "lang", json_string(o->lang ? o->lang : "auto"));
    json_object_set_new(root, "check",
                        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "words", (json_int_t)o->words,
                                  "chars", (json_int_t)o->chars, "over_cap",
                                  (json_int_t)ev->over_cap, "boilerplate", (json_int_t)ev->boiler,
                                  "max_words", (json_int_t)ev->max_words, "max_chars",
                                  (json_int_t)ev->max_chars));
    char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(8));
    if (s)
        puts(s);
    free(s);
    json_decref(root);
}

static void report_table(const struct eval *ev, const struct lede_weights *w,
                         const struct averages *a)
{
    const struct options *o = ev->opt;
    const struct lede_rouge_prf *l = a->l, *k = a->k, *q = a->q;
    const char *names[3] = {"ROUGE-1", "ROUGE-2", "ROUGE-Lsum"};
    char lead_name[48], budget[32];
    if (o->ref_budget)
        snprintf(lead_name, sizeof(lead_name), "Lead-k (k = ref lines)");
    else if (o->words || o->chars)
        snprintf(lead_name, sizeof(lead_name), "first %ld %s", o->words ? o->words : o->chars,
                 o->words ? "words" : "chars");
    else
        snprintf(lead_name, sizeof(lead_name), "Lead-%ld", o->sentences);
    if (o->words || o->chars)
        snprintf(budget, sizeof(budget), "at most %ld", o->words ? o->words : o->chars);
    else
        snprintf(budget, sizeof(budget), "%ld", o->sentences);
    const char *unit = o->words ? "words" : o->chars ? "characters" : "sentences";
    printf("lede-eval: %s: %zu articles scored, %zu errors; %s %s; idf %s\n", o->data, ev->articles,
           ev->errors, o->ref_budget ? "reference's number of" : budget, unit,
           o->idf ? o->idf : "none (in-document fallback)");
    printf("%-11s %-23s %-23s %-23s\n", "(x100)", "lede", lead_name, "lede - lead");
    printf("%-11s", "");
    for (int i = 0; i < 3; i++)
        printf(" %7s %7s %7s", "P", "R", "F1");
    printf("\n");
    for (int m = 0; m < 3; m++) {
        struct lede_rouge_prf d = sub(l[m], k[m]);
        printf("%-11s %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f %+7.2f %+7.2f %+7.2f\n", names[m], l[m].p,
               l[m].r, l[m].f, k[m].p, k[m].r, k[m].f, d.p, d.r, d.f);
    }
    for (int m = 0; m < 3; m++) {
        struct lede_rouge_prf d = sub(l[m], q[m]);
        printf("%-11s %23s %7.2f %7.2f %7.2f %+7.2f %+7.2f %+7.2f  (Lead-k, plain splitter)\n",
               names[m], "", q[m].p, q[m].r, q[m].f, d.p, d.r, d.f);
    }
    printf("scoring: %s; engine language: %s\n", a->scoring, o->lang ? o->lang : "auto");
    printf("check: %zu summaries over the cap (%s %ld; longest %zu words, %zu characters), "
           "%zu with a boilerplate sentence\n",
           ev->over_cap,
           o->words   ? "words"
           : o->chars ? "chars"
                      : "no cap",
           o->words ? o->words : o->chars, ev->max_words, ev->max_chars, ev->boiler);
    printf("engine: %.3f s for %zu calls = %.1f articles/s (engine time only)\n",
           ev->engine_seconds, ev->calls, a->aps);
    printf("weights:");
    for (int f = 0; f < LEDE_F_COUNT; f++)
        printf(" %s=%g", lede_feature_name(f), w->w[f]);
    printf("\n");
}

static void report(const struct eval *ev, const struct lede_weights *w)
{
    if (ev->opt->keyphrases) {
        report_keyphrases(ev);
        return;
    }
    struct averages a;
    averages_of(ev, &a);
    if (ev->opt->json)
        report_json(ev, w, &a);
    else
        report_table(ev, w, &a);
}

/* The engine with --idf and the tuned weights, the --weight overrides on top. Nonzero: a
 * message said why. */
static int engine_of(const struct options *opt, lede_engine_t **engine)
{
    char *idf = NULL, msg[300];
    size_t idf_len = 0;
    if (opt->idf && lede_read_file(opt->idf, MAX_IDF_FILE, &idf, &idf_len, msg, sizeof msg)) {
        fprintf(stderr, "lede-eval: --idf: %s\n", msg);
        return -1;
    }
    struct lede_engine_config cfg = {
        .idf_data = idf, .idf_len = idf_len, .detect = lede_langid_cld2};
    struct lede_error err = {0};
    lede_engine_t *plain = NULL;
    int rc = lede_engine_new(&cfg, &plain, &err);
    if (rc == LEDE_OK && opt->n_overrides) {
        struct lede_weights weights = *lede_engine_weights(plain);
        for (size_t i = 0; i < opt->n_overrides; i++)
            weights.w[opt->overrides[i].feature] = opt->overrides[i].value;
        lede_engine_destroy(&plain);
        cfg.weights = &weights;
        rc = lede_engine_new(&cfg, &plain, &err);
    }
    free(idf);
    if (rc != LEDE_OK) {
        fprintf(stderr, "lede-eval: engine%s: %s: %s\n", opt->n_overrides ? " with --weight" : "",
                lede_strerror(rc), err.message);
        return -1;
    }
    *engine = plain;
    return 0;
}

/* Every record of --data through eval_record. Nonzero when the file cannot be read. */
static int eval_file(struct eval *ev, FILE *fp)
{
    char err[300] = "";
    if (ev->opt->limit == 0)
        return 0;
    if (lede_records_each(fp, MAX_RECORD, eval_record, ev, err, sizeof err) == -1) {
        fprintf(stderr, "lede-eval: reading %s: %s\n", ev->opt->data, err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options opt;
    lede_config_t *conf = NULL;
    int rc =
        lede_config_cli("lede-eval", "LEDE_EVAL", eval_opts, sizeof eval_opts / sizeof *eval_opts,
                        0, argc, argv, usage, epilogue, &conf);
    if (rc <= 0 || read_options(conf, &opt)) {
        if (rc != 0)
            fprintf(stderr, "Try 'lede-eval --help'.\n");
        lede_config_destroy(&conf);
        return rc == 0 ? 0 : 2;
    }
    int status = 2;
    FILE *fp = NULL;
    lede_engine_t *engine = NULL;
    struct eval ev = {.opt = &opt};
    if (engine_of(&opt, &engine))
        goto cleanup;
    if ((rc = lede_workspace_new(engine, &ev.ws)) != LEDE_OK ||
        (rc = lede_rouge_new(0, 0, &ev.rouge)) != LEDE_OK) {
        fprintf(stderr, "lede-eval: %s\n", lede_strerror(rc));
        goto cleanup;
    }
    if (!(fp = fopen(opt.data, "r"))) {
        fprintf(stderr, "lede-eval: cannot open --data %s: %s\n", opt.data, strerror(errno));
        goto cleanup;
    }
    if (eval_file(&ev, fp))
        goto cleanup;
    report(&ev, lede_engine_weights(engine));
    status = ev.articles > 0 ? 0 : 1;
    if (ev.articles == 0)
        fprintf(stderr, "lede-eval: no article was scored\n");

cleanup:
    if (fp)
        fclose(fp);
    free(ev.sys.buf);
    free(ev.plain_buf.buf);
    lede_rouge_destroy(&ev.rouge);
    lede_workspace_destroy(&ev.ws);
    lede_engine_destroy(&engine);
    lede_config_destroy(&conf);
    return status;
}
