/* check_tokenize.c: words, folding, stop words, stems, numbers (engine/tokenize.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tokenize.h"

static lede_tokenizer_t *tk;
static struct lede_tokens toks;

static void setup(void)
{
    ck_assert_int_eq(lede_tokenizer_new("en", &tk), LEDE_OK);
    toks = (struct lede_tokens){0};
}

static void teardown(void)
{
    lede_tokenizer_destroy(&tk);
    ck_assert_ptr_null(tk);
    lede_tokens_release(&toks);
}

static void run(const char *s)
{
    toks.n = 0;
    ck_assert_int_eq(lede_tokenize(tk, s, strlen(s), 100, &toks), LEDE_OK);
}

START_TEST(words_offsets_flags)
{
    const char *s = "The U.N. said 3.5% of 1,000 voters left on Monday.";
    run(s);
    /* The U.N. said 3.5 of 1,000 voters left on Monday */
    ck_assert_uint_eq(toks.n, 10);
    ck_assert_uint_eq(toks.v[0].offset, 100);
    ck_assert(toks.v[0].flags & LEDE_TOK_FIRST);
    ck_assert(toks.v[0].flags & LEDE_TOK_STOP);
    ck_assert_uint_eq(toks.v[1].length, 4); /* "U.N." */
    ck_assert(toks.v[1].flags & LEDE_TOK_ALLCAPS);
    ck_assert(toks.v[3].flags & LEDE_TOK_NUMBER);
    ck_assert_uint_eq(toks.v[3].length, 3); /* "3.5" */
    ck_assert_uint_eq(toks.v[5].length, 5); /* "1,000" */
    ck_assert(toks.v[9].flags & LEDE_TOK_CALENDAR);
    ck_assert(toks.v[9].flags & LEDE_TOK_CAP);
    ck_assert(!(toks.v[6].flags & (LEDE_TOK_CAP | LEDE_TOK_STOP)));
}
END_TEST

START_TEST(stems_fold_case_and_inflection)
{
    run("Running runs RUNNING run");
    ck_assert_uint_eq(toks.n, 4);
    ck_assert(toks.v[0].stem == toks.v[2].stem); /* case folded */
    ck_assert(toks.v[0].stem == toks.v[3].stem); /* running -> run */
    ck_assert(toks.v[1].stem == toks.v[3].stem); /* runs -> run */
    run("Caf\xC3\x89 caf\xC3\xA9");              /* non-ASCII folding through utf8proc */
    ck_assert_uint_eq(toks.n, 2);
    ck_assert(toks.v[0].stem == toks.v[1].stem);
    ck_assert(toks.v[0].flags & LEDE_TOK_CAP);
}
END_TEST

START_TEST(ptb_style)
{
    run("he did n't say , '' the u.s. official said .");
    /* he did n t say the u.s. official said */
    ck_assert_uint_eq(toks.n, 9);
    ck_assert_uint_eq(toks.v[6].length, 4);
    ck_assert(!(toks.v[6].flags & LEDE_TOK_STOP)); /* "u.s." is not the pronoun "us" */
}
END_TEST

START_TEST(languages_and_openers)
{
    lede_tokenizer_t *other = NULL;
    ck_assert_int_eq(lede_tokenizer_new("xx", &other), LEDE_ELANG);
    ck_assert_ptr_null(other);
    ck_assert_str_eq(lede_tokenize_algorithm("en"), "english");
    ck_assert_ptr_null(lede_tokenize_algorithm("klingon"));
    ck_assert(lede_tokenize_is_opener(tk, "however", 7));
    ck_assert(lede_tokenize_is_opener(tk, "he", 2));
    ck_assert(!lede_tokenize_is_opener(tk, "president", 9));
}
END_TEST

START_TEST(limits_and_pathological)
{
    struct lede_tokens small = {.max = 3};
    ck_assert_int_eq(lede_tokenize(tk, "one two three four", 18, 0, &small), LEDE_ETOOBIG);
    lede_tokens_release(&small);
    /* A very long run of letters is cut into bounded pieces, not one huge word. */
    size_t n = 100000;
    char *s = malloc(n + 1);
    memset(s, 'a', n);
    s[n] = 0;
    run(s);
    ck_assert_uint_gt(toks.n, 100);
    for (size_t i = 0; i < toks.n; i++)
        ck_assert_uint_le(toks.v[i].length, 256);
    memset(s, '.', n);
    run(s);
    ck_assert_uint_eq(toks.n, 0);
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tokenize");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, words_offsets_flags);
    tcase_add_test(tc, stems_fold_case_and_inflection);
    tcase_add_test(tc, ptb_style);
    tcase_add_test(tc, languages_and_openers);
    tcase_add_test(tc, limits_and_pathological);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
