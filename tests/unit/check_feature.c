/* check_feature.c: each feature of engine/feature.c on its own, isolated by giving it
 * the only non-zero weight, through the public API. */
#include <check.h>
#include <math.h>
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

/* Summarizes body with unit weight on one feature; the caller destroys the result. */
static struct lede_result *only(int feature, const char *body, const char *title)
{
    struct lede_weights w = {{0}};
    w.w[feature] = 1;
    struct lede_request req = {.body = body,
                               .body_len = strlen(body),
                               .budget = {LEDE_BUDGET_SENTENCES, 1},
                               .weights = &w};
    if (title) {
        req.title = title;
        req.title_len = strlen(title);
    }
    struct lede_result *r = NULL;
    ck_assert_int_eq(lede_summarize(ws, &req, &r, NULL), LEDE_OK);
    return r;
}

static const char *story =
    "The mayor opened a new library on Monday in the north of the city.\n"
    "Readers queued for hours to see the library, which cost the city 12 million euros.\n"
    "It has room for 200,000 books and a cafe.\n"
    "Library staff said the library would open late on Fridays.";

START_TEST(position_decreases_and_follows_the_story)
{
    struct lede_result *r = only(LEDE_F_POSITION, story, NULL);
    for (size_t i = 1; i < r->n_sentences; i++)
        ck_assert(r->sentences[i].features[LEDE_F_POSITION] <
                  r->sentences[i - 1].features[LEDE_F_POSITION]);
    /* The lead bias shrinks as the budget takes a larger share of the article (one sentence
     * of four here, then all four), but the first sentence keeps the most of it. */
    double lead1 = r->sentences[0].features[LEDE_F_POSITION];
    ck_assert(lead1 > 0 && lead1 <= 1.0);
    ck_assert_uint_eq(r->summary[0], 0);
    lede_result_destroy(&r);
    struct lede_weights w = {{0}};
    w.w[LEDE_F_POSITION] = 1;
    struct lede_request all = {.body = story,
                               .body_len = strlen(story),
                               .budget = {LEDE_BUDGET_SENTENCES, 4},
                               .weights = &w};
    ck_assert_int_eq(lede_summarize(ws, &all, &r, NULL), LEDE_OK);
    ck_assert(r->sentences[0].features[LEDE_F_POSITION] < lead1);
    ck_assert(r->sentences[0].features[LEDE_F_POSITION] >
              r->sentences[1].features[LEDE_F_POSITION]);
    lede_result_destroy(&r);
    /* Directed centrality: the second sentence keeps more of the lead bias when the story
     * goes on to develop its terms than when it only repeats the first sentence's. */
    const char *ahead = "Farmers protest grain prices today. Tractors blocked motorway bridges "
                        "overnight. Tractors blocked motorway bridges again.";
    const char *behind = "Tractors blocked motorway bridges today. Tractors blocked motorway "
                         "bridges overnight. Farmers protest grain prices again.";
    r = only(LEDE_F_POSITION, ahead, NULL);
    double fresh = r->sentences[1].features[LEDE_F_POSITION];
    lede_result_destroy(&r);
    r = only(LEDE_F_POSITION, behind, NULL);
    double repeat = r->sentences[1].features[LEDE_F_POSITION];
    lede_result_destroy(&r);
    ck_assert(repeat < fresh);
}
END_TEST

START_TEST(term_weight_prefers_the_central_sentence)
{
    struct lede_result *r = only(LEDE_F_TERM, story, NULL);
    /* "library" recurs; the sentence made of recurring words wins, the one without loses. */
    ck_assert(r->sentences[3].features[LEDE_F_TERM] > r->sentences[2].features[LEDE_F_TERM]);
    ck_assert(r->sentences[2].features[LEDE_F_TERM] == 0);
    double max = 0;
    for (size_t i = 0; i < r->n_sentences; i++)
        max = fmax(max, r->sentences[i].features[LEDE_F_TERM]);
    ck_assert(fabs(max - 1.0) < 1e-9); /* scaled to the article */
    lede_result_destroy(&r);
}
END_TEST

START_TEST(a_term_weighs_once_in_a_sentence)
{
    /* The second and third sentences have five content words each and share four; the
     * second says "library" twice, the third says "museum", which recurs too. Counted per
     * use, the twice-said "library" (the article's most frequent term) would win; a term
     * weighs once in a sentence, so the sentence with one more recurring term does. */
    const char *body = "The library opened on Monday.\n"
                       "Library staff praised library readers.\n"
                       "Library staff praised museum readers.\n"
                       "The museum and the library share a garden.";
    struct lede_result *r = only(LEDE_F_TERM, body, NULL);
    ck_assert(r->sentences[2].features[LEDE_F_TERM] > r->sentences[1].features[LEDE_F_TERM]);
    lede_result_destroy(&r);
}
END_TEST

START_TEST(entities_on_cased_and_lowercased_text)
{
    const char *body = "the weather was fine and people walked in the park .\n"
                       "Officials from NATO met Angela Merkel in Berlin on 3 May 2015.";
    struct lede_result *r = only(LEDE_F_ENTITY, body, NULL);
    ck_assert(r->sentences[1].features[LEDE_F_ENTITY] > 0.5);
    ck_assert(r->sentences[0].features[LEDE_F_ENTITY] == 0);
    lede_result_destroy(&r);
    /* Lower-cased: only numbers are left, and the feature degrades instead of failing. */
    const char *lower = "officials met in berlin on 3 may 2015 .\nthe weather was fine .";
    r = only(LEDE_F_ENTITY, lower, NULL);
    ck_assert(r->sentences[0].features[LEDE_F_ENTITY] > 0);
    ck_assert(r->sentences[1].features[LEDE_F_ENTITY] == 0);
    lede_result_destroy(&r);
}
END_TEST

START_TEST(title_overlap_counts_title_words)
{
    struct lede_result *r = only(LEDE_F_TITLE, story, "Cafe and books");
    ck_assert(r->sentences[2].features[LEDE_F_TITLE] > 0.9); /* cafe, books */
    ck_assert(r->sentences[0].features[LEDE_F_TITLE] == 0);
    lede_result_destroy(&r);
    r = only(LEDE_F_TITLE, story, NULL); /* no title: no overlap anywhere */
    for (size_t i = 0; i < r->n_sentences; i++)
        ck_assert(r->sentences[i].features[LEDE_F_TITLE] == 0);
    lede_result_destroy(&r);
}
END_TEST

START_TEST(length_and_opener_penalties)
{
    const char *body =
        "Short one.\n"
        "Ordinary sentences have a perfectly ordinary length for a news story today.\n"
        "But it leans on the one before it in a way readers notice at once.";
    struct lede_result *r = only(LEDE_F_LENGTH, body, NULL);
    ck_assert(r->sentences[0].features[LEDE_F_LENGTH] < 0);
    ck_assert(r->sentences[1].features[LEDE_F_LENGTH] == 0);
    lede_result_destroy(&r);
    r = only(LEDE_F_OPENER, body, NULL);
    ck_assert(r->sentences[2].features[LEDE_F_OPENER] < 0);
    ck_assert(r->sentences[1].features[LEDE_F_OPENER] == 0);
    lede_result_destroy(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("feature");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, position_decreases_and_follows_the_story);
    tcase_add_test(tc, term_weight_prefers_the_central_sentence);
    tcase_add_test(tc, a_term_weighs_once_in_a_sentence);
    tcase_add_test(tc, entities_on_cased_and_lowercased_text);
    tcase_add_test(tc, title_overlap_counts_title_words);
    tcase_add_test(tc, length_and_opener_penalties);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
