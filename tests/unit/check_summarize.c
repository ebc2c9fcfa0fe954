/* check_summarize.c: the engine's public API end to end (engine/summarize.c), with
 * the selection stage's guarantees (select.c) and the idf table (idf.c). */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idf.h"
#include "summarize.h"
#include "tokenize.h"
#include "run.h"

static lede_engine_t *engine;
static lede_workspace_t *ws;

static const char *article =
    "SEOUL, Nov. 21 (Yonhap) -- Russian President Vladimir Putin has invited North Korean "
    "leader Kim Jong-un to Moscow next year, a report said Friday.\n"
    "The invitation is timed for the 70th anniversary of the Soviet victory over Nazi Germany.\n"
    "Kim has never visited a foreign country since he inherited power in 2011.\n"
    "The U.N. General Assembly adopted a resolution on North Korea's human rights record.\n"
    "The invitation is timed for the 70th anniversary of the Soviet victory over Nazi Germany.\n"
    "Analysts said the trip would be closely watched by Beijing and Washington. (Yonhap)";

static void setup(void)
{
    ck_assert_int_eq(lede_engine_new(NULL, &engine, NULL), LEDE_OK);
    ck_assert_int_eq(lede_workspace_new(engine, &ws), LEDE_OK);
}

static void teardown(void)
{
    lede_workspace_destroy(&ws);
    lede_engine_destroy(&engine);
    ck_assert_ptr_null(ws);
    ck_assert_ptr_null(engine);
}

static struct lede_request req_of(const char *body, enum lede_budget_kind kind, double v)
{
    return (struct lede_request){.body = body, .body_len = strlen(body), .budget = {kind, v}};
}

static bool contains(const struct lede_result *r, size_t i, const char *needle)
{
    const struct lede_sentence *s = &r->sentences[i];
    size_t n = strlen(needle);
    for (size_t k = 0; k + n <= s->length; k++)
        if (!memcmp(r->body + s->offset + k, needle, n))
            return true;
    return false;
}

START_TEST(summary_is_clean_and_in_order)
{
    struct lede_request req = req_of(article, LEDE_BUDGET_SENTENCES, 3);
    struct lede_result *r = NULL;
    struct lede_error err;
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_OK);
    ck_assert_uint_eq(r->n_summary, 3);
    ck_assert_uint_eq(r->n_sentences, 6);
    for (size_t k = 0; k < r->n_summary; k++) {
        size_t i = r->summary[k];
        ck_assert(r->sentences[i].selected);
        ck_assert(!contains(r, i, "(Yonhap)"));
        ck_assert(!contains(r, i, "SEOUL"));
        if (k)
            ck_assert_uint_gt(i, r->summary[k - 1]); /* document order */
    }
    /* Offsets point into the original body. */
    ck_assert(!memcmp(article + r->sentences[0].offset, "Russian President", 17));
    /* The repeated sentence is marked and never ranked. */
    ck_assert_int_eq(r->sentences[4].duplicate_of, 1);
    ck_assert_uint_eq(r->sentences[4].rank, 0);
    ck_assert(!r->sentences[4].selected);
    /* Ranks 1..n-1 each once; feature parts add up to the score. */
    unsigned seen[8] = {0};
    for (size_t i = 0; i < r->n_sentences; i++) {
        if (r->sentences[i].rank)
            seen[r->sentences[i].rank]++;
        double sum = 0;
        for (int f = 0; f < LEDE_F_COUNT; f++)
            sum += r->sentences[i].features[f];
        ck_assert(fabs(sum - r->sentences[i].score) < 1e-9);
    }
    for (unsigned k = 1; k <= 5; k++)
        ck_assert_uint_eq(seen[k], 1);
    lede_result_destroy(&r);
    ck_assert_ptr_null(r);
}
END_TEST

/* Words in a result's summary as --words caps them (issue 14, PROTOCOL.md): the whitespace-
 * separated tokens of its sentences joined by single spaces. */
static size_t summary_words(const struct lede_result *r)
{
    size_t n = 0;
    for (size_t k = 0; k < r->n_summary; k++) {
        const struct lede_sentence *s = &r->sentences[r->summary[k]];
        const char *p = r->text + s->text_offset;
        int in = 0;
        for (size_t i = 0; i < s->text_length; i++) {
            int sp = p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r' || p[i] == '\f' ||
                     p[i] == '\v';
            n += !sp && !in;
            in = !sp;
        }
    }
    return n;
}

START_TEST(budgets)
{
    struct lede_result *r = NULL;
    /* --words is a cap on whitespace-separated words: the summary holds at most 30 of them,
     * and at 60 more sentences fit than at 30 (the guard is not met by a tiny summary alone). */
    struct lede_request req = req_of(article, LEDE_BUDGET_WORDS, 30);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    ck_assert_uint_ge(r->n_summary, 1);
    size_t words = summary_words(r);
    ck_assert_msg(words <= 30, "a 30-word budget gave %zu words", words);
    size_t n30 = r->n_summary;
    lede_result_destroy(&r);
    req = req_of(article, LEDE_BUDGET_WORDS, 60);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    words = summary_words(r);
    ck_assert_msg(words <= 60, "a 60-word budget gave %zu words", words);
    ck_assert_uint_gt(r->n_summary, n30);
    lede_result_destroy(&r);
    size_t chars;

    req = req_of(article, LEDE_BUDGET_CHARS, 200);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    chars = 0;
    for (size_t k = 0; k < r->n_summary; k++)
        chars += r->sentences[r->summary[k]].length;
    ck_assert_uint_le(chars, 200);
    lede_result_destroy(&r);

    /* A cap smaller than every sentence is an error that says so, never a summary over it. */
    req = req_of(article, LEDE_BUDGET_CHARS, 5);
    struct lede_error berr;
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &berr), LEDE_EINVAL);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(berr.message, "no sentence fits in 5 characters"));

    req = req_of(article, LEDE_BUDGET_RATIO, 0.5);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    ck_assert_uint_eq(r->n_summary, 3); /* half of the 5 distinct sentences, rounded up */
    lede_result_destroy(&r);

    req = req_of(article, LEDE_BUDGET_SENTENCES, 100);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    ck_assert_uint_eq(r->n_summary, 5); /* every sentence but the duplicate */
    lede_result_destroy(&r);
}
END_TEST

START_TEST(bad_input_is_an_error)
{
    struct lede_result *r = NULL;
    struct lede_error err;
    struct lede_request req = req_of("Good start. Then \xC3\x28 bad.", LEDE_BUDGET_SENTENCES, 3);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_EUTF8);
    ck_assert_uint_eq(err.offset, 17);
    ck_assert_ptr_nonnull(strstr(err.message, "offset 17"));
    ck_assert_ptr_null(r);

    req = req_of("", LEDE_BUDGET_SENTENCES, 3);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_EEMPTY);
    req = req_of(" \n\t ... !!! \n", LEDE_BUDGET_SENTENCES, 3);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_EEMPTY);
    req = req_of(article, LEDE_BUDGET_SENTENCES, 0);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_EINVAL);
    req = req_of(article, LEDE_BUDGET_RATIO, 1.5);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_EINVAL);
    req = req_of(article, LEDE_BUDGET_SENTENCES, 2.5);
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_EINVAL);
    req = req_of(article, LEDE_BUDGET_SENTENCES, 3);
    req.lang = "tlh";
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_ELANG);
    ck_assert_ptr_nonnull(strstr(err.message, "en"));
    struct lede_weights w = *lede_engine_weights(engine);
    w.w[LEDE_F_TERM] = NAN;
    req.lang = NULL;
    req.weights = &w;
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "term"));
    ck_assert_ptr_null(r);
    /* Embedded NUL bytes are text like any other, not an end. */
    static const char nul[] = "One sentence here.\0 Another sentence there.";
    req = (struct lede_request){
        .body = nul, .body_len = sizeof nul - 1, .budget = {LEDE_BUDGET_SENTENCES, 3}};
    ck_assert_int_eq(lede_summarize(ws, &req, &r, &err), LEDE_OK);
    lede_result_destroy(&r);
}
END_TEST

START_TEST(size_limit)
{
    struct lede_engine_config cfg = {.max_body = 100};
    lede_engine_t *small = NULL;
    lede_workspace_t *w = NULL;
    ck_assert_int_eq(lede_engine_new(&cfg, &small, NULL), LEDE_OK);
    ck_assert_int_eq(lede_workspace_new(small, &w), LEDE_OK);
    struct lede_request req = req_of(article, LEDE_BUDGET_SENTENCES, 3);
    struct lede_result *r = NULL;
    struct lede_error err;
    ck_assert_int_eq(lede_summarize(w, &req, &r, &err), LEDE_ETOOBIG);
    ck_assert_ptr_nonnull(strstr(err.message, "maximum"));
    lede_workspace_destroy(&w);
    lede_engine_destroy(&small);
}
END_TEST

START_TEST(weights_change_the_choice)
{
    struct lede_weights w = {{0}};
    w.w[LEDE_F_POSITION] = 1; /* position only: the lead */
    struct lede_request req = req_of(article, LEDE_BUDGET_SENTENCES, 1);
    req.weights = &w;
    struct lede_result *r = NULL;
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    ck_assert_uint_eq(r->summary[0], 0);
    lede_result_destroy(&r);
    w.w[LEDE_F_POSITION] = -1; /* against position: the last sentence */
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    ck_assert_uint_eq(r->summary[0], r->n_sentences - 1);
    lede_result_destroy(&r);
}
END_TEST

START_TEST(title_overlap)
{
    struct lede_request req = req_of(article, LEDE_BUDGET_SENTENCES, 3);
    req.title = "Human rights resolution adopted";
    req.title_len = strlen(req.title);
    struct lede_result *r = NULL;
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    ck_assert(r->sentences[3].features[LEDE_F_TITLE] > 0);
    ck_assert(r->sentences[2].features[LEDE_F_TITLE] == 0);
    lede_result_destroy(&r);
}
END_TEST

struct thread_arg {
    const lede_engine_t *e;
    char *out;
};

static void *worker(void *p)
{
    struct thread_arg *a = p;
    lede_workspace_t *w = NULL;
    if (lede_workspace_new(a->e, &w))
        return NULL;
    for (int round = 0; round < 50; round++) {
        struct lede_request req = req_of(article, LEDE_BUDGET_SENTENCES, 2);
        struct lede_result *r = NULL;
        if (lede_summarize(w, &req, &r, NULL))
            break;
        snprintf(a->out, 64, "%zu,%zu %.12f", r->summary[0], r->summary[1], r->sentences[0].score);
        lede_result_destroy(&r);
    }
    lede_workspace_destroy(&w);
    return NULL;
}

START_TEST(threads_share_one_engine)
{
    pthread_t th[4];
    struct thread_arg args[4];
    char outs[4][64] = {{0}};
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){engine, outs[i]};
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_str_ne(outs[0], "");
    for (int i = 1; i < 4; i++)
        ck_assert_str_eq(outs[i], outs[0]);
}
END_TEST

START_TEST(idf_round_trip_and_version)
{
    lede_idf_builder_t *b = NULL;
    ck_assert_int_eq(lede_idf_builder_new("en", &b), LEDE_OK);
    ck_assert_int_eq(lede_idf_builder_add(b, "Putin invited Kim to Moscow.", 28), LEDE_OK);
    ck_assert_int_eq(lede_idf_builder_add(b, "Kim visited Beijing.", 20), LEDE_OK);
    ck_assert_int_eq(lede_idf_builder_add(b, "Kim, Kim and Kim again.", 23), LEDE_OK);
    char *table;
    size_t len;
    ck_assert_int_eq(lede_idf_builder_finish(b, 1, &table, &len), LEDE_OK);
    lede_idf_builder_destroy(&b);
    struct lede_engine_config cfg = {.idf_data = table, .idf_len = len};
    lede_engine_t *e = NULL;
    struct lede_error err;
    ck_assert_int_eq(lede_engine_new(&cfg, &e, &err), LEDE_OK);
    ck_assert(lede_engine_has_idf(e));
    lede_engine_destroy(&e);
    struct lede_idf idf;
    char msg[160];
    ck_assert_int_eq(lede_idf_parse(&idf, table, len, msg, sizeof msg), LEDE_OK);
    ck_assert_uint_eq(idf.n_docs, 3);
    lede_tokenizer_t *tk;
    struct lede_tokens t = {0};
    ck_assert_int_eq(lede_tokenizer_new("en", &tk), LEDE_OK);
    ck_assert_int_eq(lede_tokenize(tk, "Kim Moscow Paris", 16, 0, &t), LEDE_OK);
    double kim = lede_idf_weight(&idf, t.v[0].stem), moscow = lede_idf_weight(&idf, t.v[1].stem),
           paris = lede_idf_weight(&idf, t.v[2].stem);
    ck_assert(kim < moscow && moscow < paris); /* rarer terms weigh more */
    lede_tokens_release(&t);
    lede_tokenizer_destroy(&tk);
    lede_idf_release(&idf);

    table[8] = 2; /* another version */
    ck_assert_int_eq(lede_engine_new(&cfg, &e, &err), LEDE_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "version 2"));
    table[8] = 1;
    cfg.idf_len = len - 3; /* truncated */
    ck_assert_int_eq(lede_engine_new(&cfg, &e, &err), LEDE_EFORMAT);
    cfg.idf_len = 10;
    ck_assert_int_eq(lede_engine_new(&cfg, &e, &err), LEDE_EFORMAT);
    ck_assert_ptr_null(e);
    free(table);
}
END_TEST

/* An article of n sentences, a third of them repeats (the caller frees it). */
static char *long_article(size_t n, size_t *len)
{
    size_t cap = n * 64;
    char *body = malloc(cap);
    ck_assert_ptr_nonnull(body);
    *len = 0;
    for (size_t i = 0; i < n; i++)
        *len +=
            (size_t)snprintf(body + *len, cap - *len, "Sentence number %zu talks about topic %zu. ",
                             i % (n * 2 / 3), i % 97);
    return body;
}

/* Linearity without a clock: the scratch memory a call needs, per byte of article, stays
 * within a factor of 2.5 from 2,500 to 40,000 sentences (growth by doubling alone can make
 * 2; anything quadratic would make 16). Time per byte is the benchmark's to check
 * (bench_engine --mode scale, scripts/bench.sh: ns/byte at 10 MB against 4 KB, <= 1.5). The
 * largest keeps duplicates out of its summary; lede_workspace_trim gives the memory back. */
START_TEST(long_article_memory_is_linear)
{
    double lo = 0, hi = 0;
    for (size_t n = 2500; n <= 40000; n *= 2) {
        lede_workspace_t *w = NULL;
        ck_assert_int_eq(lede_workspace_new(engine, &w), LEDE_OK);
        size_t len;
        char *body = long_article(n, &len);
        struct lede_request req = {
            .body = body, .body_len = len, .budget = {LEDE_BUDGET_SENTENCES, 10}};
        struct lede_result *r = NULL;
        ck_assert_int_eq(lede_summarize(w, &req, &r, NULL), LEDE_OK);
        ck_assert_uint_eq(r->n_summary, 10);
        for (size_t k = 0; k < r->n_summary; k++)
            ck_assert_int_eq(r->sentences[r->summary[k]].duplicate_of, -1);
        double per_byte = (double)lede_workspace_bytes(w) / (double)len;
        printf("%zu sentences, %zu bytes: workspace %zu bytes (%.1f per byte)\n", n, len,
               lede_workspace_bytes(w), per_byte);
        lo = lo == 0 || per_byte < lo ? per_byte : lo;
        hi = per_byte > hi ? per_byte : hi;
        lede_workspace_trim(w, 1 << 20);
        ck_assert_uint_le(lede_workspace_bytes(w), 1 << 20);
        lede_result_destroy(&r);
        /* a trimmed workspace works as before */
        ck_assert_int_eq(lede_summarize(w, &req, &r, NULL), LEDE_OK);
        ck_assert_uint_eq(r->n_summary, 10);
        lede_result_destroy(&r);
        lede_workspace_destroy(&w);
        free(body);
    }
    ck_assert_msg(hi <= 2.5 * lo, "workspace bytes per article byte went from %.1f to %.1f", lo,
                  hi);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("summarize");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, summary_is_clean_and_in_order);
    tcase_add_test(tc, budgets);
    tcase_add_test(tc, bad_input_is_an_error);
    tcase_add_test(tc, size_limit);
    tcase_add_test(tc, weights_change_the_choice);
    tcase_add_test(tc, title_overlap);
    tcase_add_test(tc, threads_share_one_engine);
    tcase_add_test(tc, idf_round_trip_and_version);
    tcase_add_test(tc, long_article_memory_is_linear);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
