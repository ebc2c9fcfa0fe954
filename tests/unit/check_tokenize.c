/* check_tokenize.c: words, folding, stop words, stems, numbers (engine/tokenize.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "error.h"
#include "tokenize.h"
#include "run.h"

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

/* The tokenizer reads ASCII and two-byte characters (U+0080..U+07FF) from tables rather than
 * through utf8proc: for every one of them, in a spaced language and in one written without
 * spaces (CJK mode), the same word breaks, folding and capital flags as utf8proc's category
 * and lower case give. */
START_TEST(two_byte_characters_as_utf8proc)
{
    lede_tokenizer_t *ru = NULL;
    ck_assert_int_eq(lede_tokenizer_new(_i ? "ko" : "ru", &ru), LEDE_OK);
    struct lede_tokens a = {0}, b = {0};
    size_t words = 0, upper = 0;
    for (int32_t cp = 1; cp < 0x800; cp++) {
        utf8proc_category_t cat = utf8proc_category(cp);
        bool word = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
                    cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_LM ||
                    cat == UTF8PROC_CATEGORY_LO || cat == UTF8PROC_CATEGORY_MN ||
                    cat == UTF8PROC_CATEGORY_MC || cat == UTF8PROC_CATEGORY_ND;
        int32_t lc = utf8proc_tolower(cp);
        char s[16], t[16];
        size_t n = 0, m = 0;
        s[n++] = 'q'; /* "q<cp>z", and "q<lower case>z" */
        n += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)s + n);
        s[n++] = 'z';
        t[m++] = 'q';
        m += (size_t)utf8proc_encode_char(lc, (utf8proc_uint8_t *)t + m);
        t[m++] = 'z';
        a.n = b.n = 0;
        ck_assert_int_eq(lede_tokenize(ru, s, n, 0, &a), LEDE_OK);
        ck_assert_int_eq(lede_tokenize(ru, t, m, 0, &b), LEDE_OK);
        ck_assert_msg(a.n == (word ? 1u : 2u), "U+%04X: %zu words", (unsigned)cp, a.n);
        if (!word)
            continue;
        words++;
        ck_assert_uint_eq(a.v[0].length, n);
        ck_assert_msg(a.v[0].stem == b.v[0].stem, "U+%04X folds otherwise", (unsigned)cp);
        if (cp < 0x80)
            continue; /* ASCII letters and digits: the flags of words_offsets_flags */
        /* "<cp><cp>": a capital when its lower case differs; all capitals unless it is a lower
         * case letter */
        n = (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)s);
        memcpy(s + n, s, n);
        a.n = 0;
        ck_assert_int_eq(lede_tokenize(ru, s, 2 * n, 0, &a), LEDE_OK);
        ck_assert_uint_eq(a.n, 1);
        bool cap = lc != cp, lower = !cap && cat == UTF8PROC_CATEGORY_LL;
        upper += cap;
        ck_assert_msg(!(a.v[0].flags & LEDE_TOK_CAP) == !cap, "U+%04X: capital", (unsigned)cp);
        ck_assert_msg(!(a.v[0].flags & LEDE_TOK_ALLCAPS) == lower, "U+%04X: all capitals",
                      (unsigned)cp);
    }
    ck_assert_uint_gt(words, 1060); /* ASCII, Latin, Greek, Cyrillic, Armenian, Hebrew ... */
    ck_assert_uint_gt(upper, 300);
    /* A long run of two-byte letters is cut into bounded pieces too. */
    char *long_run = malloc(2000);
    for (size_t i = 0; i < 2000; i += 2)
        memcpy(long_run + i, "\xD0\x96", 2); /* Ж */
    a.n = 0;
    ck_assert_int_eq(lede_tokenize(ru, long_run, 2000, 0, &a), LEDE_OK);
    ck_assert_uint_gt(a.n, 4);
    for (size_t i = 0; i < a.n; i++)
        ck_assert_uint_le(a.v[i].length, 258);
    free(long_run);
    lede_tokens_release(&a);
    lede_tokens_release(&b);
    lede_tokenizer_destroy(&ru);
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
    tcase_add_loop_test(tc, two_byte_characters_as_utf8proc, 0, 2);
    tcase_add_test(tc, ptb_style);
    tcase_add_test(tc, languages_and_openers);
    tcase_add_test(tc, limits_and_pathological);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
