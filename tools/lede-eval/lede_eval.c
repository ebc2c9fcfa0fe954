/* lede_eval.c: `lede-eval`, the quality tool. Runs the engine in-process on every record of a
 * JSONL evaluation file and grades its summaries, and Lead-k on the same segmentation, with
 * ROUGE-1/2/Lsum (tools/lede-eval/rouge.c, rouge-score's definitions). Used for tuning and by the
 * quality guard test (tests/quality/eval_guard.sh). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "langid.h"
#include "boiler.h"
#include "keyeval.h"
#include "rouge.h"
#include "summarize.h"

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
    "hold a sentence of the engine's boilerplate table (both should be 0).\n"
    "\n"
    "options:\n"
    "  --data FILE          the evaluation file (required)\n"
    "  --sentences N        summary length in sentences, for lede and Lead-k (default 3)\n"
    "  --sentences ref      as many sentences as each reference has non-empty lines\n"
    "  --idf FILE           a document-frequency table (lede-idf format) for the engine\n"
    "  --lang L             the language the engine is told (default auto: detected)\n"
    "  --limit N            only the first N records\n"
    "  --weight NAME=VALUE  override one default feature weight; repeatable. NAME is one of\n"
    "                       the engine's features (position, term, entity, title, length,\n"
    "                       opener)\n"
    "  --words N            a cap of N words for lede (whitespace tokens of the summary joined\n"
    "                       by single spaces); the baseline is the article's first N words\n"
    "  --chars N            a cap of N characters (code points, same joining); the baseline is\n"
    "                       the article's first N characters\n"
    "  --half odd|even      only the odd (1st, 3rd, ...) or even records, for split-half checks\n"
    "  --keyphrases         grade the engine's top 10 keyphrases against each record's\n"
    "                       \"keyphrases\" (kpcrowd: lowercase, Porter-stemmed words, "
    "whole-phrase\n"
    "                       exact match; P, R, F1@10 averaged over records with an article)\n"
    "  --json               print one JSON object instead of the table\n"
    "  --help               this text\n"
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
    "or an unreadable file.\n";

struct totals {
    struct lede_rouge_scores sum; /* sums over articles of P, R, F (0..1) */
};

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
    int override_feature[LEDE_F_COUNT];
    double override_value[LEDE_F_COUNT];
};

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

/* Reads one line (without its '\n') into *buf, at most max bytes. Returns 1 for a line,
 * 0 at end of file, -1 for a line past max (skipped to its end), -2 for a read error. */
static int read_line(FILE *fp, char **buf, size_t *cap, size_t *len, size_t max)
{
    size_t n = 0;
    bool too_long = false;
    int c;
    while ((c = getc_unlocked(fp)) != EOF && c != '\n') {
        if (too_long)
            continue;
        if (n + 1 >= *cap) {
            if (*cap >= max + 1) {
                too_long = true;
                continue;
            }
            size_t nc = *cap ? *cap * 2 : 65536;
            if (nc > max + 1)
                nc = max + 1;
            char *q = realloc(*buf, nc);
            if (!q)
                return -2;
            *buf = q;
            *cap = nc;
        }
        (*buf)[n++] = (char)c;
    }
    if (ferror(fp))
        return -2;
    if (c == EOF && n == 0 && !too_long)
        return 0;
    if (too_long)
        return -1;
    (*buf)[n] = '\0';
    *len = n;
    return 1;
}

/* Reads a whole file of at most max bytes. */
static int read_file(const char *path, size_t max, char **out, size_t *out_len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return LEDE_EIO;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = LEDE_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= max) {
                rc = LEDE_ETOOBIG;
                goto close_file;
            }
            size_t nc = cap ? cap * 2 : 1u << 20;
            if (nc > max)
                nc = max;
            char *q = realloc(buf, nc);
            if (!q) {
                rc = LEDE_ENOMEM;
                goto close_file;
            }
            buf = q;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp))
                rc = LEDE_EIO;
            break;
        }
    }
close_file:
    fclose(fp);
    if (rc != LEDE_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return LEDE_OK;
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

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_weight(const char *arg, struct options *o)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "lede-eval: --weight wants NAME=VALUE, got '%s'\n", arg);
        return -1;
    }
    char name[64];
    size_t nl = (size_t)(eq - arg);
    if (nl >= sizeof(name)) {
        fprintf(stderr, "lede-eval: --weight: feature name too long\n");
        return -1;
    }
    memcpy(name, arg, nl);
    name[nl] = '\0';
    int f = lede_feature_by_name(name);
    if (f < 0) {
        fprintf(stderr, "lede-eval: --weight: unknown feature '%s'; features are:", name);
        for (int i = 0; i < LEDE_F_COUNT; i++)
            fprintf(stderr, " %s", lede_feature_name(i));
        fprintf(stderr, "\n");
        return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(eq + 1, &end);
    if (errno || end == eq + 1 || *end || !isfinite(v)) {
        fprintf(stderr, "lede-eval: --weight %s: '%s' is not a number\n", name, eq + 1);
        return -1;
    }
    for (size_t i = 0; i < o->n_overrides; i++) {
        if (o->override_feature[i] == f) {
            o->override_value[i] = v;
            return 0;
        }
    }
    o->override_feature[o->n_overrides] = f;
    o->override_value[o->n_overrides] = v;
    o->n_overrides++;
    return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    enum {
        O_DATA = 1,
        O_SENT,
        O_IDF,
        O_LIMIT,
        O_JSON,
        O_WEIGHT,
        O_HELP,
        O_LANG,
        O_WORDS,
        O_CHARS,
        O_HALF,
        O_KEYS
    };
    static const struct option longopts[] = {
        {"data", required_argument, NULL, O_DATA},
        {"sentences", required_argument, NULL, O_SENT},
        {"idf", required_argument, NULL, O_IDF},
        {"lang", required_argument, NULL, O_LANG},
        {"limit", required_argument, NULL, O_LIMIT},
        {"json", no_argument, NULL, O_JSON},
        {"weight", required_argument, NULL, O_WEIGHT},
        {"help", no_argument, NULL, O_HELP},
        {"words", required_argument, NULL, O_WORDS},
        {"chars", required_argument, NULL, O_CHARS},
        {"half", required_argument, NULL, O_HALF},
        {"keyphrases", no_argument, NULL, O_KEYS},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->sentences = 3;
    o->limit = -1;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_DATA: o->data = optarg; break;
        case O_IDF: o->idf = optarg; break;
        case O_LANG: o->lang = optarg; break;
        case O_JSON: o->json = true; break;
        case O_HELP: fputs(usage, stdout); exit(0);
        case O_SENT:
            if (!strcmp(optarg, "ref")) {
                o->ref_budget = true;
            } else if (parse_long(optarg, 1, MAX_SENTENCES_OPT, &o->sentences) != 0) {
                fprintf(stderr,
                        "lede-eval: --sentences wants a number from 1 to %d or 'ref', "
                        "got '%s'\n",
                        MAX_SENTENCES_OPT, optarg);
                return -1;
            } else {
                o->ref_budget = false;
            }
            break;
        case O_LIMIT:
            if (parse_long(optarg, 0, 1000000000L, &o->limit) != 0) {
                fprintf(stderr, "lede-eval: --limit wants a number >= 0, got '%s'\n", optarg);
                return -1;
            }
            break;
        case O_WEIGHT:
            if (parse_weight(optarg, o) != 0)
                return -1;
            break;
        case O_WORDS:
        case O_CHARS:
            if (parse_long(optarg, 1, 1000000000L, c == O_WORDS ? &o->words : &o->chars) != 0) {
                fprintf(stderr, "lede-eval: --%s wants a number >= 1, got '%s'\n",
                        c == O_WORDS ? "words" : "chars", optarg);
                return -1;
            }
            break;
        case O_HALF:
            if (strcmp(optarg, "odd") && strcmp(optarg, "even")) {
                fprintf(stderr, "lede-eval: --half wants odd or even, got '%s'\n", optarg);
                return -1;
            }
            o->half = strcmp(optarg, "odd") ? 2 : 1;
            break;
        case O_KEYS: o->keyphrases = true; break;
        default:
            fprintf(stderr, "lede-eval: unknown or incomplete option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lede-eval: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->data) {
        fprintf(stderr, "lede-eval: --data FILE is required\n");
        return -1;
    }
    if (o->words && o->chars) {
        fprintf(stderr, "lede-eval: --words and --chars exclude each other\n");
        return -1;
    }
    return 0;
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

/* Summarizes and scores one record; errors are counted and reported, never fatal. */
static void eval_record(struct eval *ev, size_t lineno, const char *line, size_t len)
{
    json_error_t jerr;
    json_t *rec = json_loadb(line, len, 0, &jerr);
    struct lede_result *res = NULL;
    char msg[320];
    if (!rec || !json_is_object(rec)) {
        snprintf(msg, sizeof(msg), "not a JSON object: %s", rec ? "wrong type" : jerr.text);
        record_error(ev, lineno, NULL, msg);
        goto release_json;
    }
    const char *id = json_string_value(json_object_get(rec, "id"));
    json_t *title = json_object_get(rec, "title");
    json_t *article = json_object_get(rec, "article");
    json_t *reference = json_object_get(rec, "reference");
    if (ev->opt->keyphrases) {
        json_t *kps = json_object_get(rec, "keyphrases");
        if (!json_is_string(article) || !json_is_array(kps)) {
            record_error(ev, lineno, id,
                         "--keyphrases needs string \"article\" and array "
                         "\"keyphrases\"");
            goto release_json;
        }
        if (json_string_length(article) == 0) {
            ev->kp_empty++; /* nothing to extract from: counted, not graded */
            goto release_json;
        }
        struct lede_request kq = {0};
        if (json_is_string(title)) {
            kq.title = json_string_value(title);
            kq.title_len = json_string_length(title);
        }
        kq.body = json_string_value(article);
        kq.body_len = json_string_length(article);
        kq.budget.kind = LEDE_BUDGET_SENTENCES;
        kq.budget.value = 3;
        kq.max_keyphrases = 10;
        struct lede_error kerr = {0};
        double k0 = now_seconds();
        int krc = lede_summarize(ev->ws, &kq, &res, &kerr);
        ev->engine_seconds += now_seconds() - k0;
        ev->calls++;
        if (krc != LEDE_OK) {
            snprintf(msg, sizeof(msg), "engine: %s: %s", lede_strerror(krc), kerr.message);
            record_error(ev, lineno, id, msg);
            goto release_json;
        }
        if (grade_keyphrases(ev, res, kps) != LEDE_OK)
            record_error(ev, lineno, id, "out of memory grading keyphrases");
        else
            ev->articles++;
        goto release_result;
    }
    if (!json_is_string(article) || !json_is_string(reference) ||
        (title && !json_is_null(title) && !json_is_string(title))) {
        record_error(ev, lineno, id,
                     "needs string \"article\" and \"reference\", and "
                     "\"title\" a string or null");
        goto release_json;
    }
    const char *ref = json_string_value(reference);
    size_t ref_len = json_string_length(reference);
    const char *rec_lang = json_string_value(json_object_get(rec, "lang"));
    enum lede_rouge_mode mode = lede_rouge_mode_for(rec_lang);
    lede_rouge_set_mode(ev->rouge, mode);

    size_t k = (size_t)ev->opt->sentences;
    if (ev->opt->ref_budget) {
        k = count_lines(ref, ref_len);
        if (k == 0) {
            record_error(ev, lineno, id, "--sentences ref: the reference has no sentence");
            goto release_json;
        }
    }

    struct lede_request req = {0};
    if (json_is_string(title)) {
        req.title = json_string_value(title);
        req.title_len = json_string_length(title);
    }
    req.body = json_string_value(article);
    req.body_len = json_string_length(article);
    req.budget.kind = LEDE_BUDGET_SENTENCES;
    req.budget.value = (double)k;
    req.lang = ev->opt->lang;
    if (ev->opt->words) {
        req.budget.kind = LEDE_BUDGET_WORDS;
        req.budget.value = (double)ev->opt->words;
    } else if (ev->opt->chars) {
        req.budget.kind = LEDE_BUDGET_CHARS;
        req.budget.value = (double)ev->opt->chars;
    }

    struct lede_error err = {0};
    double t0 = now_seconds();
    int rc = lede_summarize(ev->ws, &req, &res, &err);
    ev->engine_seconds += now_seconds() - t0;
    ev->calls++;
    if (rc != LEDE_OK) {
        snprintf(msg, sizeof(msg), "engine: %s: %s", lede_strerror(rc),
                 err.message[0] ? err.message : "(no message)");
        record_error(ev, lineno, id, msg);
        goto release_json;
    }

    if ((rc = lede_rouge_set_reference(ev->rouge, ref, ref_len)) != LEDE_OK) {
        snprintf(msg, sizeof(msg), "reference: %s", lede_strerror(rc));
        record_error(ev, lineno, id, msg);
        goto release_result;
    }
    struct lede_rouge_scores lede_s, lead_s;
    ev->sys.len = 0;
    for (size_t i = 0; i < res->n_summary && rc == LEDE_OK; i++)
        rc = res->summary[i] < res->n_sentences ? text_add_sentence(&ev->sys, res, res->summary[i])
                                                : LEDE_EINVAL;
    if (rc == LEDE_OK)
        rc = lede_rouge_score(ev->rouge, ev->sys.buf ? ev->sys.buf : "", ev->sys.len, &lede_s);
    if (rc == LEDE_OK) {
        ev->sys.len = 0;
        if (ev->opt->words || ev->opt->chars)
            rc = text_add_lead(&ev->sys, res, ev->opt->words ? (size_t)ev->opt->words : SIZE_MAX,
                               ev->opt->chars ? (size_t)ev->opt->chars : SIZE_MAX);
        for (size_t i = 0;
             !ev->opt->words && !ev->opt->chars && i < k && i < res->n_sentences && rc == LEDE_OK;
             i++)
            rc = text_add_sentence(&ev->sys, res, i);
    }
    check_summary(ev, res);
    if (rc == LEDE_OK)
        rc = lede_rouge_score(ev->rouge, ev->sys.buf ? ev->sys.buf : "", ev->sys.len, &lead_s);
    struct lede_rouge_scores plain_s;
    if (rc == LEDE_OK)
        rc = plain_lead(req.body, req.body_len, k, &ev->plain_buf);
    if (rc == LEDE_OK)
        rc = lede_rouge_score(ev->rouge, ev->plain_buf.buf ? ev->plain_buf.buf : "",
                              ev->plain_buf.len, &plain_s);
    if (rc != LEDE_OK) {
        snprintf(msg, sizeof(msg), "scoring: %s", lede_strerror(rc));
        record_error(ev, lineno, id, msg);
        goto release_result;
    }
    add_scores(&ev->lede, &lede_s);
    add_scores(&ev->lead, &lead_s);
    add_scores(&ev->plain, &plain_s);
    ev->unicode += mode == LEDE_ROUGE_UNICODE;
    ev->chars += mode == LEDE_ROUGE_CHARS;
    ev->articles++;

release_result:
    lede_result_destroy(&res);
release_json:
    json_decref(rec);
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

static void report(const struct eval *ev, const struct lede_weights *w)
{
    const struct options *o = ev->opt;
    if (o->keyphrases) {
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
        return;
    }
    struct lede_rouge_prf l[3] = {avg(ev->lede.rouge1, ev->articles),
                                  avg(ev->lede.rouge2, ev->articles),
                                  avg(ev->lede.rougelsum, ev->articles)};
    struct lede_rouge_prf k[3] = {avg(ev->lead.rouge1, ev->articles),
                                  avg(ev->lead.rouge2, ev->articles),
                                  avg(ev->lead.rougelsum, ev->articles)};
    struct lede_rouge_prf q[3] = {avg(ev->plain.rouge1, ev->articles),
                                  avg(ev->plain.rouge2, ev->articles),
                                  avg(ev->plain.rougelsum, ev->articles)};
    const char *scoring = "mixed";
    if (ev->articles && ev->chars == ev->articles)
        scoring = "characters";
    else if (ev->articles && ev->unicode == ev->articles)
        scoring = "unicode words";
    else if (ev->chars + ev->unicode == 0)
        scoring = "rouge-score (English)";
    double aps = ev->engine_seconds > 0 ? (double)ev->calls / ev->engine_seconds : 0.0;
    char budget[32];
    if (o->ref_budget)
        snprintf(budget, sizeof(budget), "ref");
    else
        snprintf(budget, sizeof(budget), "%ld", o->sentences);

    if (o->json) {
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
                      "engine_seconds", ev->engine_seconds, "articles_per_second", aps, "idf",
                      o->idf != NULL, "weights", weights);
        if (root) {
            json_object_set_new(root, "scale", json_integer(100));
            json_object_set_new(root, "lead_plain", scores_json(q[0], q[1], q[2]));
            json_object_set_new(root, "diff_plain",
                                scores_json(sub(l[0], q[0]), sub(l[1], q[1]), sub(l[2], q[2])));
            json_object_set_new(root, "scoring", json_string(scoring));
            json_object_set_new(root, "lang", json_string(o->lang ? o->lang : "auto"));
            json_object_set_new(
                root, "check",
                json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "words", (json_int_t)o->words, "chars",
                          (json_int_t)o->chars, "over_cap", (json_int_t)ev->over_cap, "boilerplate",
                          (json_int_t)ev->boiler, "max_words", (json_int_t)ev->max_words,
                          "max_chars", (json_int_t)ev->max_chars));
            char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(8));
            if (s)
                puts(s);
            free(s);
            json_decref(root);
        }
        return;
    }
    const char *names[3] = {"ROUGE-1", "ROUGE-2", "ROUGE-Lsum"};
    char lead_name[48];
    if (o->ref_budget)
        snprintf(lead_name, sizeof(lead_name), "Lead-k (k = ref lines)");
    else if (o->words || o->chars)
        snprintf(lead_name, sizeof(lead_name), "first %ld %s", o->words ? o->words : o->chars,
                 o->words ? "words" : "chars");
    else
        snprintf(lead_name, sizeof(lead_name), "Lead-%ld", o->sentences);
    if (o->words || o->chars)
        snprintf(budget, sizeof(budget), "at most %ld", o->words ? o->words : o->chars);
    printf("lede-eval: %s: %zu articles scored, %zu errors; %s %s; idf %s\n", o->data, ev->articles,
           ev->errors, o->ref_budget ? "reference's number of" : budget,
           o->words   ? "words"
           : o->chars ? "characters"
                      : "sentences",
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
    printf("scoring: %s; engine language: %s\n", scoring, o->lang ? o->lang : "auto");
    printf("check: %zu summaries over the cap (%s %ld; longest %zu words, %zu characters), "
           "%zu with a boilerplate sentence\n",
           ev->over_cap,
           o->words   ? "words"
           : o->chars ? "chars"
                      : "no cap",
           o->words ? o->words : o->chars, ev->max_words, ev->max_chars, ev->boiler);
    printf("engine: %.3f s for %zu calls = %.1f articles/s (engine time only)\n",
           ev->engine_seconds, ev->calls, aps);
    printf("weights:");
    for (int f = 0; f < LEDE_F_COUNT; f++)
        printf(" %s=%g", lede_feature_name(f), w->w[f]);
    printf("\n");
}

int main(int argc, char **argv)
{
    struct options opt;
    if (parse_args(argc, argv, &opt) != 0) {
        fprintf(stderr, "Try 'lede-eval --help'.\n");
        return 2;
    }
    int status = 2, rc;
    char *idf = NULL, *line = NULL;
    size_t idf_len = 0, line_cap = 0;
    FILE *fp = NULL;
    lede_engine_t *engine = NULL;
    struct eval ev = {.opt = &opt};
    struct lede_error err = {0};

    if (opt.idf && (rc = read_file(opt.idf, MAX_IDF_FILE, &idf, &idf_len)) != LEDE_OK) {
        fprintf(stderr, "lede-eval: cannot read --idf %s: %s\n", opt.idf,
                rc == LEDE_EIO ? strerror(errno) : lede_strerror(rc));
        goto cleanup;
    }
    /* The engine's tuned weights with the --weight overrides on top. */
    struct lede_engine_config cfg = {
        .idf_data = idf, .idf_len = idf_len, .detect = lede_langid_cld2};
    lede_engine_t *plain = NULL;
    if ((rc = lede_engine_new(&cfg, &plain, &err)) != LEDE_OK) {
        fprintf(stderr, "lede-eval: engine: %s: %s\n", lede_strerror(rc), err.message);
        goto cleanup;
    }
    struct lede_weights weights = *lede_engine_weights(plain);
    for (size_t i = 0; i < opt.n_overrides; i++)
        weights.w[opt.override_feature[i]] = opt.override_value[i];
    if (opt.n_overrides == 0) {
        engine = plain;
    } else {
        lede_engine_destroy(&plain);
        cfg.weights = &weights;
        if ((rc = lede_engine_new(&cfg, &engine, &err)) != LEDE_OK) {
            fprintf(stderr, "lede-eval: engine with --weight: %s: %s\n", lede_strerror(rc),
                    err.message);
            goto cleanup;
        }
    }
    if ((rc = lede_workspace_new(engine, &ev.ws)) != LEDE_OK ||
        (rc = lede_rouge_new(0, 0, &ev.rouge)) != LEDE_OK) {
        fprintf(stderr, "lede-eval: %s\n", lede_strerror(rc));
        goto cleanup;
    }
    if (!(fp = fopen(opt.data, "r"))) {
        fprintf(stderr, "lede-eval: cannot open --data %s: %s\n", opt.data, strerror(errno));
        goto cleanup;
    }

    size_t lineno = 0, len = 0;
    while (opt.limit < 0 || ev.records < (size_t)opt.limit) {
        int got = read_line(fp, &line, &line_cap, &len, MAX_RECORD);
        if (got == 0)
            break;
        lineno++;
        if (got == -2) {
            fprintf(stderr, "lede-eval: reading %s: %s\n", opt.data, strerror(errno));
            goto cleanup;
        }
        if (got == -1) {
            ev.records++;
            record_error(&ev, lineno, NULL, "record longer than the maximum; skipped");
            continue;
        }
        if (count_lines(line, len) == 0)
            continue; /* blank line */
        ev.records++;
        if (opt.half && (ev.records % 2 == 1) != (opt.half == 1))
            continue; /* the other half */
        eval_record(&ev, lineno, line, len);
    }
    report(&ev, lede_engine_weights(engine));
    status = ev.articles > 0 ? 0 : 1;
    if (ev.articles == 0)
        fprintf(stderr, "lede-eval: no article was scored\n");

cleanup:
    if (fp)
        fclose(fp);
    free(line);
    free(ev.sys.buf);
    free(ev.plain_buf.buf);
    lede_rouge_destroy(&ev.rouge);
    lede_workspace_destroy(&ev.ws);
    lede_engine_destroy(&engine);
    free(idf);
    return status;
}
