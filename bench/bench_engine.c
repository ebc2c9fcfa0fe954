/* bench_engine.c: the engine's in-process speed, for scripts/bench.sh. Summarizes the articles
 * of a JSONL file over and over for a fixed time with lede's engine (one thread, or T threads
 * for the whole machine), or with OTS (libots, the closest C peer) on the same articles, or on
 * articles of 1 KB .. 10 MB built by concatenating them (time per byte). --mode pair runs
 * both on exactly the same slice of articles (--first, --count), one after the other; --mode
 * check prints one hash of every result, which a speed change must leave unchanged; --calls N
 * makes a fixed amount of work (for callgrind); --mode formats times the forms of
 * tests/formats/render.py's output against their plain text in turns; --mode langs runs every
 * language lede supports one after the other in one run and prints each one's MB/s per core as
 * a ratio to English's (--mode langs-check: a check hash per language instead). Prints one
 * JSON object per measurement. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "langid.h"
#include "record.h"
#include "summarize.h"

#ifdef LEDE_HAVE_OTS
#include <libots-1/ots/libots.h>
#endif

#define MAX_ARTICLES 100000u

struct article {
    char *title;
    size_t title_len;
    char *body;
    size_t body_len;
    enum lede_format format; /* the record's "format" (default auto) */
    char form[8];            /* the record's "form" (tests/formats/render.py), or "" */
};

struct corpus {
    struct article *a;
    size_t n;
    size_t bytes;
    const char *lang; /* the language every request names; NULL: "en" */
    bool detect;      /* name none: the engine detects it (CLD2) */
};

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct load_ctx {
    struct corpus *c;
    size_t limit, cap;
};

/* One record with a non-empty article into the corpus (other lines are skipped); 1 stops at
 * the limit. */
static int load_record(void *ctx, const struct lede_record *r)
{
    struct load_ctx *l = ctx;
    struct corpus *c = l->c;
    if (r->error || r->article_len == 0)
        return 0;
    if (c->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct article *p = realloc(c->a, cap * sizeof *p);
        if (!p)
            return -1;
        c->a = p;
        l->cap = cap;
    }
    struct article *a = &c->a[c->n];
    a->body_len = r->article_len;
    a->body = malloc(a->body_len + 1);
    a->title_len = r->title ? r->title_len : 0;
    a->title = a->title_len ? strdup(r->title) : NULL;
    if (!a->body)
        return -1;
    memcpy(a->body, r->article, a->body_len + 1);
    const char *fm = lede_record_str(r, "format", NULL), *fo = lede_record_str(r, "form", NULL);
    int fmt = fm ? lede_format_by_name(fm) : 0;
    a->format = fmt > 0 ? (enum lede_format)fmt : LEDE_FORMAT_AUTO;
    snprintf(a->form, sizeof a->form, "%s", fo ? fo : "");
    c->bytes += a->body_len;
    c->n++;
    return c->n >= l->limit ? 1 : 0;
}

static int load(const char *path, size_t limit, struct corpus *c)
{
    struct load_ctx l = {.c = c, .limit = limit};
    char err[300] = "";
    int rc = limit ? lede_records_read(path, 64u << 20, load_record, &l, err, sizeof err) : 0;
    if (rc == -1) {
        fprintf(stderr, "bench_engine: %s\n", err[0] ? err : "out of memory");
        return -1;
    }
    if (c->n == 0) {
        fprintf(stderr, "bench_engine: %s: no articles\n", path);
        return -1;
    }
    return 0;
}

/* ---- lede ---- */

struct job {
    const lede_engine_t *engine;
    const struct corpus *c;
    size_t first; /* article to start at */
    int warm;     /* summarize every article once, untimed, before the timed loop */
    double seconds;
    size_t min_calls;
    /* results */
    size_t calls, bytes, failed;
    double wall, cpu;
};

/* Summarizes one article as every mode here does: English, 3 sentences. *res is the caller's
 * (lede_result_destroy, also after an error). */
static int summarize_article(lede_workspace_t *ws, const struct article *a,
                             struct lede_result **res, const struct corpus *c)
{
    struct lede_request req = {.title = a->title,
                               .title_len = a->title_len,
                               .body = a->body,
                               .body_len = a->body_len,
                               .lang = c->detect ? NULL
                                       : c->lang ? c->lang
                                                 : "en",
                               .budget = {LEDE_BUDGET_SENTENCES, 3},
                               .format = a->format};
    *res = NULL;
    return lede_summarize(ws, &req, res, NULL);
}

static void *lede_job(void *arg)
{
    struct job *j = arg;
    lede_workspace_t *ws = NULL;
    if (lede_workspace_new(j->engine, &ws) != LEDE_OK) {
        j->failed = 1;
        return NULL;
    }
    for (size_t k = 0; j->warm && k < j->c->n; k++) {
        struct lede_result *res;
        summarize_article(ws, &j->c->a[k], &res, j->c);
        lede_result_destroy(&res);
    }
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    size_t i = j->first;
    for (;;) {
        const struct article *a = &j->c->a[i % j->c->n];
        struct lede_result *res;
        if (summarize_article(ws, a, &res, j->c) != LEDE_OK)
            j->failed++;
        lede_result_destroy(&res);
        j->calls++;
        j->bytes += a->body_len;
        i++;
        if (j->calls >= j->min_calls && (j->calls & 7) == 0 &&
            now_s(CLOCK_MONOTONIC) - w0 >= j->seconds)
            break;
        if (j->calls >= j->min_calls && j->c->a[0].body_len > (1u << 20) &&
            now_s(CLOCK_MONOTONIC) - w0 >= j->seconds)
            break;
    }
    j->wall = now_s(CLOCK_MONOTONIC) - w0;
    j->cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    lede_workspace_destroy(&ws);
    return NULL;
}

static double last_mb_per_cpu_s; /* of the latest run_lede, for --mode formats */

static int run_lede(const char *label, const struct corpus *c, unsigned threads, double seconds,
                    size_t min_calls, int warm)
{
    lede_engine_t *engine = NULL;
    struct lede_error err;
    struct lede_engine_config cfg = {.detect = lede_langid_cld2};
    if (lede_engine_new(&cfg, &engine, &err) != LEDE_OK) {
        fprintf(stderr, "bench_engine: engine: %s\n", err.message);
        return -1;
    }
    struct job jobs[64];
    pthread_t th[64];
    if (threads > 64)
        threads = 64;
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (struct job){.engine = engine,
                               .c = c,
                               .first = t * (c->n / threads + 1),
                               .warm = warm,
                               .seconds = seconds,
                               .min_calls = min_calls};
        if (pthread_create(&th[t], NULL, lede_job, &jobs[t]) != 0) {
            fprintf(stderr, "bench_engine: cannot start a thread\n");
            threads = t;
            break;
        }
    }
    size_t calls = 0, bytes = 0, failed = 0;
    double wall = 0, cpu = 0;
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        calls += jobs[t].calls;
        bytes += jobs[t].bytes;
        failed += jobs[t].failed;
        if (jobs[t].wall > wall)
            wall = jobs[t].wall;
        cpu += jobs[t].cpu;
    }
    lede_engine_destroy(&engine);
    last_mb_per_cpu_s = bytes / cpu / 1e6;
    /* per core: by CPU time, so a noisy neighbour stealing the core does not count */
    printf("{\"bench\":\"engine\",\"system\":\"lede\",\"label\":\"%s\",\"threads\":%u,"
           "\"calls\":%zu,\"failed\":%zu,\"bytes\":%zu,\"wall_s\":%.4f,\"cpu_s\":%.4f,"
           "\"articles_per_s\":%.2f,\"mb_per_s\":%.3f,\"articles_per_cpu_s\":%.2f,"
           "\"mb_per_cpu_s\":%.3f,\"ns_per_byte\":%.3f,\"avg_bytes\":%.0f}\n",
           label, threads, calls, failed, bytes, wall, cpu, calls / wall, bytes / wall / 1e6,
           calls / cpu, bytes / cpu / 1e6, cpu * 1e9 / (double)bytes,
           (double)bytes / (double)calls);
    fflush(stdout);
    return 0;
}

/* ---- formats ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The same articles as plain text and in each other form of tests/formats/render.py's output,
 * timed in turns (rounds of text, html, ans, ninjs, wire), MB/s by each form's own bytes; the
 * median of each form's ratio to plain text in the same round. */
static int run_formats(const struct corpus *c, double seconds, int rounds)
{
    static const char *const forms[] = {"text", "html", "ans", "ninjs", "wire"};
    struct corpus sub[5] = {{0}};
    int rc = 0;
    for (int f = 0; f < 5; f++) {
        sub[f].a = calloc(c->n ? c->n : 1, sizeof *sub[f].a);
        if (!sub[f].a) {
            rc = -1;
            goto done;
        }
        for (size_t i = 0; i < c->n; i++)
            if (!strcmp(c->a[i].form, forms[f])) {
                sub[f].a[sub[f].n++] = c->a[i];
                sub[f].bytes += c->a[i].body_len;
            }
    }
    if (!sub[0].n || !sub[1].n) {
        fprintf(stderr, "bench_engine: --mode formats needs render.py output (text and html)\n");
        rc = -1;
        goto done;
    }
    double ratio[5][16], mbs[5][16];
    if (rounds > 16)
        rounds = 16;
    for (int r = 0; r < rounds && !rc; r++)
        for (int f = 0; f < 5 && !rc; f++) {
            if (!sub[f].n)
                continue;
            rc = run_lede(forms[f], &sub[f], 1, seconds, sub[f].n, 1);
            mbs[f][r] = last_mb_per_cpu_s;
            ratio[f][r] = last_mb_per_cpu_s / mbs[0][r];
        }
    for (int f = 1; f < 5 && !rc; f++) {
        if (!sub[f].n)
            continue;
        qsort(ratio[f], (size_t)rounds, sizeof ratio[f][0], cmp_double);
        qsort(mbs[f], (size_t)rounds, sizeof mbs[f][0], cmp_double);
        printf("{\"bench\":\"formats\",\"form\":\"%s\",\"articles\":%zu,\"bytes\":%zu,"
               "\"text_bytes\":%zu,\"rounds\":%d,\"mb_per_cpu_s\":%.3f,\"ratio_to_text\":%.3f}\n",
               forms[f], sub[f].n, sub[f].bytes, sub[0].bytes, rounds, mbs[f][rounds / 2],
               ratio[f][rounds / 2]);
    }
    qsort(mbs[0], (size_t)rounds, sizeof mbs[0][0], cmp_double);
    printf("{\"bench\":\"formats\",\"form\":\"text\",\"articles\":%zu,\"bytes\":%zu,"
           "\"rounds\":%d,\"mb_per_cpu_s\":%.3f}\n",
           sub[0].n, sub[0].bytes, rounds, mbs[0][rounds / 2]);
done:
    for (int f = 0; f < 5; f++)
        free(sub[f].a);
    return rc;
}

/* ---- check ---- */

/* One hash of every result over the corpus (each sentence's span, features, score, rank and
 * duplicate, and the summary): a speed change to the engine must leave it unchanged. */
static int run_check(const struct corpus *c)
{
    lede_engine_t *engine = NULL;
    lede_workspace_t *ws = NULL;
    if (lede_engine_new(NULL, &engine, NULL) != LEDE_OK ||
        lede_workspace_new(engine, &ws) != LEDE_OK) {
        lede_engine_destroy(&engine);
        return -1;
    }
    /* h: the sentences and the summary (the hash speed changes have been held to since before
     * the format stage); x: everything else a result holds (UTF-16 and text ranges, headline
     * marks, keyphrases, entities, the text, language and format facts) */
    XXH64_state_t *h = XXH64_createState(), *x = XXH64_createState();
    XXH64_reset(h, 0);
    XXH64_reset(x, 0);
    size_t failed = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct lede_result *res;
        if (summarize_article(ws, &c->a[i], &res, c) != LEDE_OK) {
            lede_result_destroy(&res);
            failed++;
            continue;
        }
        for (size_t k = 0; k < res->n_sentences; k++) {
            const struct lede_sentence *t = &res->sentences[k];
            uint64_t v[5] = {t->offset, t->length, t->paragraph, t->rank,
                             (uint64_t)t->duplicate_of};
            XXH64_update(h, v, sizeof v);
            XXH64_update(h, &t->score, sizeof t->score);
            XXH64_update(h, t->features, sizeof t->features);
            XXH64_update(h, &t->selected, sizeof t->selected);
            uint64_t u[5] = {t->utf16_offset, t->utf16_length, t->text_offset, t->text_length,
                             t->headline};
            XXH64_update(x, u, sizeof u);
        }
        XXH64_update(h, res->summary, res->n_summary * sizeof *res->summary);
        for (size_t k = 0; k < res->n_keyphrases; k++) {
            const struct lede_keyphrase *p = &res->keyphrases[k];
            uint64_t v[6] = {p->offset,      p->length, p->text_offset,
                             p->text_length, p->words,  p->count};
            XXH64_update(x, v, sizeof v);
            XXH64_update(x, &p->score, sizeof p->score);
        }
        for (size_t k = 0; k < res->n_entities; k++) {
            const struct lede_entity *e = &res->entities[k];
            uint64_t v[6] = {e->offset,      e->length, e->text_offset,
                             e->text_length, e->count,  (uint64_t)e->kind};
            XXH64_update(x, v, sizeof v);
        }
        uint64_t f[6] = {res->n_keyphrases, res->n_entities,      res->n_stripped,
                         res->format,       res->n_markup_errors, res->n_dropped};
        XXH64_update(x, f, sizeof f);
        XXH64_update(x, res->text, res->text_len);
        XXH64_update(x, res->lang, strlen(res->lang));
        lede_result_destroy(&res);
    }
    printf("{\"bench\":\"check\",\"articles\":%zu,\"failed\":%zu,\"hash\":\"%016llx\","
           "\"hash_extras\":\"%016llx\"}\n",
           c->n, failed, (unsigned long long)XXH64_digest(h), (unsigned long long)XXH64_digest(x));
    XXH64_freeState(h);
    XXH64_freeState(x);
    lede_workspace_destroy(&ws);
    lede_engine_destroy(&engine);
    return 0;
}

/* ---- OTS ---- */

#ifdef LEDE_HAVE_OTS
static int run_ots(const char *label, const struct corpus *c, double seconds, int parse,
                   size_t max_calls)
{
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
    size_t calls = 0, bytes = 0, failed = 0;
    for (size_t i = 0;; i++) {
        const struct article *a = &c->a[i % c->n];
        OtsArticle *art = ots_new_article();
        if (!ots_load_xml_dictionary(art, (const unsigned char *)"en")) {
            ots_free_article(art);
            fprintf(stderr,
                    "bench_engine: OTS has no English dictionary (/usr/share/ots/en.xml)\n");
            return -1;
        }
        if (parse) {
            /* what the ots tool does: parse, grade, pick the top lines */
            ots_parse_stream((const unsigned char *)a->body, a->body_len, art);
            ots_grade_doc(art);
            ots_highlight_doc_lines(art, 3);
            size_t len = 0;
            unsigned char *text = ots_get_doc_text(art, &len);
            if (!text)
                failed++;
            g_free(text);
        }
        ots_free_article(art);
        calls++;
        bytes += a->body_len;
        if (now_s(CLOCK_MONOTONIC) - w0 >= seconds || (max_calls && calls >= max_calls))
            break;
    }
    double wall = now_s(CLOCK_MONOTONIC) - w0, cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    printf("{\"bench\":\"engine\",\"system\":\"%s\",\"label\":\"%s\",\"threads\":1,"
           "\"calls\":%zu,\"failed\":%zu,\"bytes\":%zu,\"wall_s\":%.4f,\"cpu_s\":%.4f,"
           "\"articles_per_s\":%.2f,\"mb_per_s\":%.3f,\"articles_per_cpu_s\":%.2f,"
           "\"mb_per_cpu_s\":%.3f,\"ns_per_byte\":%.3f,\"avg_bytes\":%.0f}\n",
           parse ? "ots" : "ots_dictionary_only", label, calls, failed, bytes, wall, cpu,
           calls / wall, bytes / wall / 1e6, calls / cpu, bytes / cpu / 1e6,
           cpu * 1e9 / (double)bytes, (double)bytes / (double)calls);
    fflush(stdout);
    return 0;
}
#endif

/* ---- size scaling ---- */

/* n different articles of about size bytes each (cut at a character boundary), each the
 * corpus's articles from a different starting point joined with paragraph breaks, so a run
 * does not summarize one cache-warm text over and over. */
static int make_sized(const struct corpus *c, size_t size, size_t n, struct corpus *out)
{
    out->a = calloc(n, sizeof *out->a);
    if (!out->a)
        return -1;
    for (size_t k = 0; k < n; k++) {
        char *buf = malloc(size + 1);
        if (!buf)
            return -1;
        size_t len = 0;
        for (size_t i = k * 37; len < size; i++) {
            const struct article *a = &c->a[i % c->n];
            size_t take = a->body_len < size - len ? a->body_len : size - len;
            memcpy(buf + len, a->body, take);
            len += take;
            if (len < size)
                buf[len++] = '\n';
        }
        /* do not end inside a UTF-8 sequence */
        while (len > 0 && ((unsigned char)buf[len - 1] & 0xC0) == 0x80)
            len--;
        if (len > 0 && ((unsigned char)buf[len - 1] & 0x80))
            len--;
        buf[len] = '\0';
        out->a[k].body = buf;
        out->a[k].body_len = len;
        out->n++;
        out->bytes += len;
    }
    return 0;
}

static void release(struct corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->a[i].body);
        free(c->a[i].title);
    }
    free(c->a);
    memset(c, 0, sizeof *c);
}

/* Articles of about 2 KB (an agency story's size) made of the texts of a golden-rules file,
 * in order and repeated as needed: real prose in a language no dev set covers. */
static int load_golden(const char *path, struct corpus *c)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *all = NULL, *line = NULL;
    size_t len = 0, cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        json_t *o = json_loadb(line, (size_t)got, 0, NULL);
        const char *t = json_string_value(json_object_get(o, "text"));
        size_t tl = t ? strlen(t) : 0;
        char *q = tl ? realloc(all, len + tl + 2) : all;
        if (tl && q) {
            all = q;
            memcpy(all + len, t, tl);
            len += tl;
            all[len++] = '\n';
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    if (!len) {
        free(all);
        return -1;
    }
    size_t n = 16, per = 2048;
    c->a = calloc(n, sizeof *c->a);
    if (!c->a) {
        free(all);
        return -1;
    }
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        struct article *a = &c->a[k];
        a->body = malloc(per + len + 1);
        if (!a->body)
            break;
        while (a->body_len < per) { /* whole texts, from where the last article stopped */
            const char *nl = memchr(all + at, '\n', len - at);
            size_t tl = (size_t)(nl - (all + at)) + 1;
            memcpy(a->body + a->body_len, all + at, tl);
            a->body_len += tl;
            at = at + tl >= len ? 0 : at + tl;
        }
        a->body[a->body_len] = 0;
        c->bytes += a->body_len;
        c->n++;
    }
    free(all);
    return c->n ? 0 : -1;
}

/* Detection on every dev set: the share of articles detected as the set's language and the
 * CPU time of each detection (title and body cut to LEDE_DETECT_MAX_BYTES, as the engine
 * does), as mean, p99 and max in microseconds of thread CPU time. */
static int run_detect(const char *dir, size_t limit)
{
    static const struct {
        const char *file, *lang;
    } sets[] = {{"cnndm-dev.jsonl", "en"},      {"bbc-dev.jsonl", "en"},
                {"duc2002-en-dev.jsonl", "en"}, {"orangesum-fr-dev.jsonl", "fr"},
                {"indosum-id-dev.jsonl", "id"}, {"lcsts-zh-dev.jsonl", "zh"}};
    int worst_ok = 1;
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        char path[4096];
        struct corpus c = {0};
        snprintf(path, sizeof path, "%s/%s", dir, sets[k].file);
        if (load(path, limit, &c) != 0)
            return -1;
        double *us = calloc(c.n, sizeof *us), sum = 0;
        size_t ok = 0;
        for (size_t i = 0; us && i < c.n; i++) {
            char buf[LEDE_DETECT_MAX_BYTES];
            size_t n = 0;
            if (c.a[i].title_len) {
                n = c.a[i].title_len < sizeof buf / 4 ? c.a[i].title_len : sizeof buf / 4;
                memcpy(buf, c.a[i].title, n);
                buf[n++] = '\n';
            }
            size_t take = c.a[i].body_len < sizeof buf - n ? c.a[i].body_len : sizeof buf - n;
            memcpy(buf + n, c.a[i].body, take);
            n += take;
            while (n && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
                n--;
            if (n && (unsigned char)buf[n - 1] >= 0xC0)
                n--;
            struct lede_detection d;
            double t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
            int rc = lede_langid_cld2(NULL, buf, n, &d);
            us[i] = (now_s(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e6;
            sum += us[i];
            ok += rc == 0 && !strcmp(d.code, sets[k].lang);
        }
        if (!us) {
            release(&c);
            return -1;
        }
        qsort(us, c.n, sizeof *us, cmp_double);
        double p99 = us[(size_t)((double)(c.n - 1) * 0.99)], max = us[c.n - 1];
        double share = 100.0 * (double)ok / (double)c.n;
        printf(
            "{\"bench\":\"detect\",\"set\":\"%s\",\"lang\":\"%s\",\"articles\":%zu,"
            "\"detected\":%zu,\"share\":%.2f,\"mean_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}\n",
            sets[k].file, sets[k].lang, c.n, ok, share, sum / (double)c.n, p99, max);
        worst_ok &= share >= 98.0 && max < 1000.0;
        free(us);
        release(&c);
    }
    return worst_ok ? 0 : 2;
}

/* The text langs mode runs language lang on: its dev set where the eval data has one (en:
 * bbc-dev, fr, id, zh), else the texts of its golden-rules file, else English text (bbc-dev)
 * told it is that language (the language's tables and stemmer on foreign words); golden: the
 * golden-rules texts even where there is a dev set. *c is filled (release it) unless the
 * English corpus is to be used (*own 0). */
static void lang_corpus(const char *dir, const char *lang, int golden, size_t limit,
                        struct corpus *c, const char **source, int *own)
{
    static const struct {
        const char *lang, *file;
    } sets[] = {{"en", "bbc-dev.jsonl"},
                {"fr", "orangesum-fr-dev.jsonl"},
                {"id", "indosum-id-dev.jsonl"},
                {"zh", "lcsts-zh-dev.jsonl"}};
    char path[4096];
    *source = "English text (bbc-dev)";
    *own = 0;
    for (size_t s = 0; !golden && s < sizeof sets / sizeof sets[0]; s++)
        if (!strcmp(sets[s].lang, lang)) {
            snprintf(path, sizeof path, "%s/%s", dir, sets[s].file);
            if (load(path, limit, c) == 0) {
                *source = sets[s].file;
                *own = 1;
                return;
            }
        }
    snprintf(path, sizeof path, "%s/sbd_golden_rules_%s.jsonl", dir, lang);
    if (load_golden(path, c) == 0) {
        *source = "golden-rule texts";
        *own = 1;
    }
}

/* A workspace of its own engine for timing one language's text, warmed by one pass over it
 * (the tokenizer and its stem cache). */
struct lang_ws {
    lede_engine_t *engine;
    lede_workspace_t *ws;
};

static int lang_ws_open(struct lang_ws *l, const struct corpus *c)
{
    struct lede_engine_config cfg = {.detect = lede_langid_cld2};
    *l = (struct lang_ws){0};
    if (lede_engine_new(&cfg, &l->engine, NULL) || lede_workspace_new(l->engine, &l->ws)) {
        lede_engine_destroy(&l->engine);
        return -1;
    }
    for (size_t i = 0; i < c->n; i++) {
        struct lede_result *res = NULL;
        summarize_article(l->ws, &c->a[i], &res, c);
        lede_result_destroy(&res);
    }
    return 0;
}

static void lang_ws_close(struct lang_ws *l)
{
    lede_workspace_destroy(&l->ws);
    lede_engine_destroy(&l->engine);
}

struct slice {
    size_t calls, bytes, failed, next; /* next: the article to go on from */
    double cpu;
};

/* Summarizes c's articles from t->next on for the given time (or exactly calls_wanted), adding
 * to *t. */
static void time_slice(const struct lang_ws *l, const struct corpus *c, double seconds,
                       size_t calls_wanted, struct slice *t)
{
    double t0 = now_s(CLOCK_THREAD_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    for (size_t calls = 0;;) {
        const struct article *a = &c->a[t->next++ % c->n];
        struct lede_result *res = NULL;
        t->failed += summarize_article(l->ws, a, &res, c) != LEDE_OK;
        lede_result_destroy(&res);
        t->bytes += a->body_len;
        t->calls++;
        calls++;
        if (calls_wanted ? calls >= calls_wanted
                         : (calls & 7) == 0 && now_s(CLOCK_MONOTONIC) - w0 >= seconds)
            break;
    }
    t->cpu += now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/* Every language (or only the one named), one after the other in this run, each on the text
 * lang_corpus gives it. On a shared machine the speed drifts over a run, so each language is
 * timed in ROUNDS turns with English (bbc-dev, its own warm workspace kept for the whole run):
 * English for seconds/ROUNDS, the language for seconds/ROUNDS, and again; its ratio is its
 * MB/s per core over English's in those same turns. Prints each as a JSON line, then the
 * table. check: instead of timing, one check hash per language (run_check) over the same
 * text with that language named, which a speed change must leave unchanged. calls: exactly
 * that many summaries per turn (for callgrind), not a time. */
#define ROUNDS 4
static int run_langs(const char *dir, double seconds, size_t limit, const char *only, int check,
                     size_t calls_wanted)
{
    const char *const *langs = lede_languages();
    struct corpus english = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/bbc-dev.jsonl", dir);
    if (load(path, limit, &english) != 0)
        return -1;
    struct corpus base = english; /* the baseline's view: English named, whatever the rows do */
    base.lang = "en";
    base.detect = false;
    struct lang_ws en_ws = {0};
    if (!check && !calls_wanted && lang_ws_open(&en_ws, &base)) {
        release(&english);
        return -1;
    }
    struct slice en_total = {0};
    struct row {
        char lang[16];
        char source[48];
        double mbs, ratio;
    } rows[80];
    size_t nrows = 0;
    int rc = 0;
    /* Each language on its text, and English a second time on its golden-rules texts
     * ("en-golden"): the baseline of the same kind of text for the golden-rule rows. */
    for (size_t k = 0, golden = 0; langs[k] && nrows + 1 < sizeof rows / sizeof rows[0];
         golden = !golden && !strcmp(langs[k], "en"), k += !golden) {
        const char *name = golden ? "en-golden" : langs[k];
        if (only && strcmp(only, name))
            continue;
        struct corpus c = {0};
        const char *source;
        int own;
        lang_corpus(dir, langs[k], (int)golden, limit, &c, &source, &own);
        if (golden && !own) {
            release(&c);
            continue;
        }
        struct corpus *use = own ? &c : &english;
        use->lang = langs[k];
        use->detect = false;
        if (check) {
            printf("{\"lang\":\"%s\",\"source\":\"%s\"} ", name, source);
            rc = run_check(use);
            release(&c);
            if (rc)
                break;
            continue;
        }
        struct lang_ws lw;
        if (lang_ws_open(&lw, use)) {
            release(&c);
            rc = -1;
            break;
        }
        struct slice t = {0}, en = {0};
        for (int r = 0; r < (calls_wanted ? 1 : ROUNDS); r++) {
            if (!calls_wanted)
                time_slice(&en_ws, &base, seconds / ROUNDS, 0, &en);
            time_slice(&lw, use, seconds / ROUNDS, calls_wanted, &t);
        }
        lang_ws_close(&lw);
        double mbs = (double)t.bytes / t.cpu / 1e6;
        double en_mbs = en.cpu > 0 ? (double)en.bytes / en.cpu / 1e6 : 0;
        en_total.bytes += en.bytes;
        en_total.cpu += en.cpu;
        en_total.failed += en.failed;
        printf(
            "{\"bench\":\"langs\",\"lang\":\"%s\",\"source\":\"%s\",\"calls\":%zu,\"failed\":%zu,"
            "\"bytes\":%zu,\"warm_bytes\":%zu,\"cpu_s\":%.4f,\"mb_per_cpu_s\":%.3f,"
            "\"en_mb_per_cpu_s\":%.3f,\"ratio\":%.3f}\n",
            name, source, t.calls, t.failed, t.bytes, use->bytes, t.cpu, mbs, en_mbs,
            en_mbs > 0 ? mbs / en_mbs : 0);
        fflush(stdout);
        snprintf(rows[nrows].lang, sizeof rows[nrows].lang, "%s", name);
        snprintf(rows[nrows].source, sizeof rows[nrows].source, "%s", source);
        rows[nrows].mbs = mbs;
        rows[nrows++].ratio = en_mbs > 0 ? mbs / en_mbs : 0;
        if (!strcmp(name, "en") && !only) { /* and English with detection on (lang: auto) */
            english.lang = NULL;
            english.detect = true;
            (void)run_lede("en-auto", &english, 1, seconds, 1, 1);
            english.detect = false;
        }
        release(&c);
        if (t.failed) {
            rc = -1;
            break;
        }
    }
    if (!check && !calls_wanted)
        lang_ws_close(&en_ws);
    release(&english);
    if (rc || check || only)
        return rc;
    double en_golden = 0;
    for (size_t r = 0; r < nrows; r++)
        if (!strcmp(rows[r].lang, "en-golden"))
            en_golden = rows[r].ratio;
    /* The target is the ratio to English on bbc-dev; the last column compares like with like:
     * a golden-rule row with English's golden-rule texts (the same short, list-like texts). */
    printf("\nEnglish (bbc-dev), over all its turns: %.1f MB/s per core\n",
           en_total.cpu > 0 ? (double)en_total.bytes / en_total.cpu / 1e6 : 0);
    printf("\n| language | text | MB/s per core | ratio to English (bbc-dev) | ratio to English on "
           "the same kind of text |\n| --- | --- | --- | --- | --- |\n");
    double worst = 1e9;
    for (size_t r = 0; r < nrows; r++) {
        bool golden = !strcmp(rows[r].source, "golden-rule texts");
        double like = golden ? (en_golden > 0 ? rows[r].ratio / en_golden : 0) : rows[r].ratio;
        if (rows[r].ratio < worst && strcmp(rows[r].lang, "en-golden"))
            worst = rows[r].ratio;
        printf("| %s | %s | %.1f | %.2fx | %.2fx |\n", rows[r].lang, rows[r].source, rows[r].mbs,
               rows[r].ratio, like);
    }
    printf("\nslowest language: %.2fx English's MB/s per core (target >= 0.5x)\n", worst);
    return worst >= 0.5 ? 0 : 2;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *mode = "lede";
    size_t limit = MAX_ARTICLES;
    unsigned threads = 1;
    double seconds = 2.0;
    size_t calls = 0; /* --calls N: exactly N summaries per thread (for callgrind), not a time */
    size_t first = 0, count = 150; /* --mode pair: the articles both systems summarize */
    const char *only = NULL;       /* --mode langs, langs-check: --lang L, that language only */
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--data") == 0 && v)
            data = argv[++i];
        else if (strcmp(argv[i], "--mode") == 0 && v)
            mode = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && v)
            limit = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && v)
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0 && v)
            seconds = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--first") == 0 && v)
            first = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--count") == 0 && v)
            count = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--lang") == 0 && v)
            only = argv[++i];
        else if (strcmp(argv[i], "--calls") == 0 && v)
            calls = (strtoul(argv[++i], NULL, 10) + 7) / 8 * 8; /* the loop checks every 8 */
        else {
            fprintf(stderr,
                    "usage: bench_engine --data FILE.jsonl [--mode lede|ots|pair|scale|check "
                    "[--lang L]|formats] "
                    "| --data EVAL_DIR --mode langs|langs-check|detect [--lang L] "
                    "[--threads T] [--seconds S | --calls N] [--limit N] [--first F --count K]\n");
            return 1;
        }
    }
    if (data && (!strcmp(mode, "langs") || !strcmp(mode, "langs-check"))) /* the eval folder */
        return run_langs(data, seconds, limit, only, !strcmp(mode, "langs-check"), calls) == 0 ? 0
                                                                                               : 1;
    if (data && strcmp(mode, "detect") == 0)
        return run_detect(data, limit) == 0 ? 0 : 1;
    if (!data || threads < 1 || !(seconds > 0) || limit < 1) {
        fprintf(stderr, "bench_engine: --data is required; --threads, --seconds, --limit > 0\n");
        return 1;
    }
    struct corpus c = {0};
    if (load(data, limit, &c) != 0)
        return 1;
    int rc = 0;
    if (strcmp(mode, "lede") == 0) {
        rc = calls ? run_lede("corpus", &c, threads, 1e-9, calls, 0)
                   : run_lede("corpus", &c, threads, seconds, 1, 0);
    } else if (strcmp(mode, "check") == 0) {
        c.lang = only; /* --lang L: every article in that language (NULL: English) */
        rc = run_check(&c);
    } else if (strcmp(mode, "formats") == 0) {
        rc = run_formats(&c, seconds, 5);
    } else if (strcmp(mode, "pair") == 0) {
#ifdef LEDE_HAVE_OTS
        /* the same articles for both: articles [first, first + count), OTS once over each,
         * lede (after one untimed pass) over them again and again for the given time */
        struct corpus v = {.a = c.a + (first < c.n ? first : c.n)};
        v.n = first < c.n ? (c.n - first < count ? c.n - first : count) : 0;
        if (v.n == 0) {
            fprintf(stderr, "bench_engine: --first is past the %zu articles\n", c.n);
            rc = 1;
        } else {
            rc = run_lede("pair", &v, 1, seconds, v.n, 1);
            if (rc == 0)
                rc = run_ots("pair", &v, 1e9, 1, v.n);
        }
#else
        fprintf(stderr, "bench_engine: built without OTS (libots-dev; scripts/deps.sh)\n");
        rc = 2;
#endif
    } else if (strcmp(mode, "ots") == 0) {
#ifdef LEDE_HAVE_OTS
        rc = run_ots("corpus", &c, seconds, 1, 0);
        if (rc == 0)
            rc = run_ots("corpus", &c, seconds / 4, 0, 0);
#else
        fprintf(stderr, "bench_engine: built without OTS (libots-dev; scripts/deps.sh)\n");
        rc = 2;
#endif
    } else if (strcmp(mode, "scale") == 0) {
        static const size_t sizes[] = {1u << 10, 4u << 10, 64u << 10, 1u << 20, 10u << 20};
        static const char *names[] = {"1KB", "4KB", "64KB", "1MB", "10MB"};
        for (size_t k = 0; k < 5 && rc == 0; k++) {
            struct corpus s = {0};
            size_t n = sizes[k] <= (64u << 10) ? 32 : sizes[k] <= (1u << 20) ? 4 : 1;
            if (make_sized(&c, sizes[k], n, &s) != 0) {
                release(&s);
                rc = -1;
                break;
            }
            rc = run_lede(names[k], &s, 1, seconds, 3, 0);
            release(&s);
        }
    } else {
        fprintf(stderr, "bench_engine: --mode: lede, ots, pair, scale, check or formats\n");
        rc = 1;
    }
    release(&c);
    return rc ? 1 : 0;
}
