/* check_select.c: the selection stage (engine/select.c): duplicates and near
 * duplicates, the ranking as a permutation, every budget kind, and the redundancy penalty,
 * checked as invariants over many generated articles and on hand-made ones. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "summarize.h"
#include "run.h"

static lede_engine_t *engine;
static lede_workspace_t *ws;

static void setup(void)
{
    ck_assert_int_eq(lede_engine_new(NULL, &engine, NULL), LEDE_OK);
    ck_assert_int_eq(lede_workspace_new(engine, &ws), LEDE_OK);
}

static void teardown(void)
{
    lede_workspace_destroy(&ws);
    lede_engine_destroy(&engine);
}

/* Summarizes body under the budget, with weights w (NULL: the defaults); the caller destroys. */
static struct lede_result *run(const char *body, enum lede_budget_kind kind, double v,
                               const struct lede_weights *w)
{
    struct lede_request req = {
        .body = body, .body_len = strlen(body), .budget = {kind, v}, .weights = w};
    struct lede_result *r = NULL;
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    return r;
}

static const char *vocab[] = {"council", "budget", "school", "river",  "bridge", "police",
                              "market",  "storm",  "union",  "doctor", "train",  "museum"};

/* A random article: sentences of random words, some repeated verbatim. */
static char *random_article(unsigned *seed, size_t n)
{
    size_t cap = n * 120 + 1;
    char *b = malloc(cap), *sents[64];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        char s[120];
        size_t sl = 0;
        if (i > 2 && rand_r(seed) % 5 == 0) {
            snprintf(s, sizeof s, "%s", sents[rand_r(seed) % i]);
        } else {
            sl = (size_t)snprintf(s, sizeof s, "The");
            int nw = 4 + rand_r(seed) % 10;
            for (int k = 0; k < nw; k++)
                sl += (size_t)snprintf(s + sl, sizeof s - sl, " %s",
                                       vocab[rand_r(seed) % (sizeof vocab / sizeof *vocab)]);
            snprintf(s + sl, sizeof s - sl, ".");
        }
        sents[i] = strdup(s);
        len += (size_t)snprintf(b + len, cap - len, "%s%s", s, rand_r(seed) % 3 ? " " : "\n");
    }
    for (size_t i = 0; i < n; i++)
        free(sents[i]);
    return b;
}

START_TEST(invariants_over_random_articles)
{
    unsigned seed = 7;
    for (int round = 0; round < 300; round++) {
        size_t n = 1 + (size_t)(rand_r(&seed) % 40);
        char *body = random_article(&seed, n);
        enum lede_budget_kind kind = (enum lede_budget_kind)(rand_r(&seed) % 4);
        double v =
            kind == LEDE_BUDGET_RATIO ? (1 + rand_r(&seed) % 10) / 10.0 : 1 + rand_r(&seed) % 60;
        struct lede_request req = {.body = body, .body_len = strlen(body), .budget = {kind, v}};
        struct lede_result *r = NULL;
        int rc = lede_summarize(ws, &req, &r, NULL);
        if (rc == LEDE_EINVAL) {
            /* Only a cap that not even one sentence fits may fail (the shortest sentence of
             * these articles, "The" and four words and ".", has 5 words, 20 characters). */
            ck_assert(kind == LEDE_BUDGET_WORDS || kind == LEDE_BUDGET_CHARS);
            ck_assert_uint_lt(v, kind == LEDE_BUDGET_WORDS ? 15 : 121);
            free(body);
            continue;
        }
        ck_assert_int_eq(rc, LEDE_OK);
        size_t live = 0, words_used = 0, chars_used = 0;
        unsigned *seen = calloc(r->n_sentences + 1, sizeof *seen);
        for (size_t i = 0; i < r->n_sentences; i++) {
            const struct lede_sentence *s = &r->sentences[i];
            if (s->duplicate_of >= 0) {
                /* A removed duplicate repeats an earlier sentence (or a chosen one). */
                ck_assert_uint_eq(s->rank, 0);
                ck_assert(!s->selected);
                ck_assert_uint_lt((size_t)s->duplicate_of, r->n_sentences);
                continue;
            }
            live++;
            ck_assert_uint_ge(s->rank, 1);
            ck_assert_uint_le(s->rank, r->n_sentences);
            seen[s->rank]++;
            /* No sentence that repeats another verbatim stays in the ranking. */
            for (size_t j = 0; j < i; j++)
                if (r->sentences[j].length == s->length &&
                    !memcmp(r->body + r->sentences[j].offset, r->body + s->offset, s->length))
                    ck_abort_msg("sentence %zu repeats %zu but is ranked", i, j);
        }
        for (size_t k = 1; k <= live; k++)
            ck_assert_uint_eq(seen[k], 1); /* ranks 1..live, each once */
        ck_assert_uint_ge(r->n_summary, 1);
        for (size_t k = 0; k < r->n_summary; k++) {
            const struct lede_sentence *s = &r->sentences[r->summary[k]];
            ck_assert(s->selected);
            if (k)
                ck_assert_uint_gt(r->summary[k], r->summary[k - 1]);
            for (size_t b = 0; b < s->length; b++) {
                chars_used += (r->body[s->offset + b] & 0xC0) != 0x80;
                words_used +=
                    r->body[s->offset + b] != ' ' && (b == 0 || r->body[s->offset + b - 1] == ' ');
            }
            chars_used += k > 0; /* joined by single spaces */
        }
        if (kind == LEDE_BUDGET_SENTENCES)
            ck_assert_uint_eq(r->n_summary, (size_t)v < live ? (size_t)v : live);
        /* Caps are caps, whatever the number of sentences. */
        if (kind == LEDE_BUDGET_CHARS)
            ck_assert_uint_le(chars_used, (size_t)v);
        if (kind == LEDE_BUDGET_WORDS)
            ck_assert_uint_le(words_used, (size_t)v);
        free(seen);
        lede_result_destroy(&r);
        free(body);
    }
}
END_TEST

START_TEST(near_duplicates_are_not_chosen_twice)
{
    const char *body =
        "Heavy storms flooded the river valley on Sunday, forcing hundreds to leave their homes.\n"
        "Rescue teams worked through the night in the flooded valley towns.\n"
        "Heavy storms flooded the river valley on Sunday and forced hundreds to leave homes.\n"
        "The regional government promised money for repairs to roads and bridges.";
    struct lede_result *r = run(body, LEDE_BUDGET_SENTENCES, 3, NULL);
    ck_assert(!(r->sentences[0].selected && r->sentences[2].selected));
    ck_assert_int_eq(r->sentences[2].duplicate_of, 0);
    lede_result_destroy(&r);
}
END_TEST

/* Ranks with the position weight alone, under a budget of k sentences; the caller destroys. */
static struct lede_result *by_position(const char *body, double k)
{
    struct lede_weights w = {{0}};
    w.w[LEDE_F_POSITION] = 1;
    return run(body, LEDE_BUDGET_SENTENCES, k, &w);
}

START_TEST(redundancy_costs_less_in_a_long_summary)
{
    /* The second sentence scores a little above the third on position and shares two of its
     * five terms with the first (farmers, blocked). In a summary of 2 sentences of 12 that
     * overlap costs it its place after the lead; in one of 10 of 12, which must repeat the
     * story's terms, it does not. */
    const char *body = "Farmers blocked the main bridge with tractors on Monday.\n"
                       "Farmers blocked roads near the capital with trucks.\n"
                       "Grain prices fell sharply this autumn.\n"
                       "Police closed two roads near the port.\n"
                       "A storm delayed ferries across the strait.\n"
                       "Schools reopened after the long holiday.\n"
                       "The council approved a new budget for parks.\n"
                       "Hospitals reported fewer flu cases this week.\n"
                       "A museum opened an exhibition of old maps.\n"
                       "Train drivers planned a strike for next month.\n"
                       "Fishermen landed a record catch of herring.\n"
                       "The airport added three routes to the south.";
    struct lede_result *r = by_position(body, 2);
    ck_assert_uint_eq(r->n_sentences, 12);
    ck_assert(r->sentences[1].score > r->sentences[2].score);
    ck_assert_uint_eq(r->sentences[0].rank, 1);
    ck_assert_uint_lt(r->sentences[2].rank, r->sentences[1].rank);
    lede_result_destroy(&r);
    r = by_position(body, 10);
    ck_assert_uint_lt(r->sentences[1].rank, r->sentences[2].rank);
    lede_result_destroy(&r);
}
END_TEST

START_TEST(words_budget_skips_a_long_sentence_for_shorter_ones)
{
    const char *body =
        "Officials said.\n"
        "The very long second sentence goes on and on about the council and its budget and the "
        "schools and the river and the bridge and the police and the market for many words.\n"
        "Short third one here.\nShort fourth one here.";
    struct lede_result *r = run(body, LEDE_BUDGET_WORDS, 12, NULL);
    size_t words = 0;
    for (size_t k = 0; k < r->n_summary; k++) {
        const struct lede_sentence *s = &r->sentences[r->summary[k]];
        for (size_t b = 0; b < s->length; b++)
            words += r->body[s->offset + b] == ' ';
        words++;
    }
    ck_assert_uint_le(words, 12);
    ck_assert(!r->sentences[1].selected);
    lede_result_destroy(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("select");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, invariants_over_random_articles);
    tcase_add_test(tc, near_duplicates_are_not_chosen_twice);
    tcase_add_test(tc, words_budget_skips_a_long_sentence_for_shorter_ones);
    tcase_add_test(tc, redundancy_costs_less_in_a_long_summary);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
