/* check_text.c: UTF-8 validation, paragraphs and boilerplate removal (engine/text.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "text.h"
#include "run.h"

static bool valid(const char *s, size_t n, size_t *bad)
{
    return lede_utf8_valid(s, n, bad);
}

START_TEST(utf8_accepts_valid)
{
    const char *ok = "plain ascii, caf\xC3\xA9, \xE2\x80\x94 dash, \xF0\x9F\x98\x80 emoji";
    ck_assert(valid(ok, strlen(ok), NULL));
    ck_assert(valid("", 0, NULL));
}
END_TEST

START_TEST(utf8_rejects_with_offset)
{
    static const struct {
        const char *s;
        size_t n, bad;
    } cases[] = {
        {"abc\xFFxyz", 7, 3},            /* never valid */
        {"abcdefghij\xC3", 11, 10},      /* truncated at the end */
        {"ab\xC0\xAF", 4, 2},            /* overlong '/' */
        {"ab\xED\xA0\x80", 5, 2},        /* surrogate */
        {"\xF4\x90\x80\x80", 4, 0},      /* past U+10FFFF */
        {"12345678\xE2\x28\xA1", 11, 8}, /* bad continuation after the fast path */
        {"x\x80", 2, 1},                 /* lone continuation */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 999;
        ck_assert_msg(!valid(cases[i].s, cases[i].n, &bad), "case %zu accepted", i);
        ck_assert_msg(bad == cases[i].bad, "case %zu: offset %zu, want %zu", i, bad, cases[i].bad);
    }
}
END_TEST

/* Regions of body as strings, joined with '|'. */
static char *regions_of(const char *body, size_t *stripped)
{
    struct lede_regions r = {0};
    ck_assert_int_eq(lede_text_regions(body, strlen(body), &r, stripped), LEDE_OK);
    char *out = calloc(1, strlen(body) + r.n + 1);
    for (size_t i = 0; i < r.n; i++) {
        if (i)
            strcat(out, "|");
        strncat(out, body + r.v[i].offset, r.v[i].length);
    }
    lede_regions_release(&r);
    return out;
}

START_TEST(datelines_and_tags)
{
    size_t cut;
    char *s = regions_of(
        "SEOUL, Nov. 21 (Yonhap) -- North Korea said so.\nMore text here. (Yonhap)", &cut);
    ck_assert_str_eq(s, "North Korea said so.|More text here.");
    ck_assert_uint_eq(cut, 2);
    free(s);
    s = regions_of("WASHINGTON (CNN) -- The house voted.", &cut);
    ck_assert_str_eq(s, "The house voted.");
    free(s);
    s = regions_of("washington ( cnn ) a man scaled a fence . he was caught .", &cut);
    ck_assert_str_eq(s, "a man scaled a fence . he was caught .");
    free(s);
    s = regions_of("PORTLAND, March 3 (Lede Wire) -- Engineers closed it.", &cut);
    ck_assert_str_eq(s, "Engineers closed it.");
    free(s);
    s = regions_of("LONDON -- Shares fell. (Reuters)", &cut);
    ck_assert_str_eq(s, "Shares fell.");
    free(s);
    /* Not datelines: a sentence that merely mentions an agency, or a dash mid-sentence. */
    s = regions_of("He told the AP (AP) nothing.\nPrices rose - sharply.", &cut);
    ck_assert_str_eq(s, "He told the AP (AP) nothing.|Prices rose - sharply.");
    ck_assert_uint_eq(cut, 0);
    free(s);
}
END_TEST

START_TEST(boilerplate_paragraphs)
{
    size_t cut;
    char *s = regions_of("By Jane Doe\nThe story begins.\n\nRead more: other things\n"
                         "Copyright 2024 Agency. All rights reserved.\nEnd of story.",
                         &cut);
    ck_assert_str_eq(s, "The story begins.|End of story.");
    ck_assert_uint_eq(cut, 3);
    free(s);
}
END_TEST

START_TEST(paragraph_numbers)
{
    struct lede_regions r = {0};
    const char *body = "\n\nFirst para.\r\n\r\n  \nSecond para.\nThird.";
    ck_assert_int_eq(lede_text_regions(body, strlen(body), &r, NULL), LEDE_OK);
    ck_assert_uint_eq(r.n, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(r.v[i].paragraph, i);
    ck_assert(!memcmp(body + r.v[1].offset, "Second para.", r.v[1].length));
    lede_regions_release(&r);
}
END_TEST

START_TEST(region_limit)
{
    struct lede_regions r = {.max = 2};
    const char *body = "a.\nb.\nc.\n";
    ck_assert_int_eq(lede_text_regions(body, strlen(body), &r, NULL), LEDE_ETOOBIG);
    lede_regions_release(&r);
}
END_TEST

START_TEST(sentence_boilerplate)
{
    ck_assert(lede_text_sentence_is_boilerplate("by . daily mail reporter .", 26));
    ck_assert(lede_text_sentence_is_boilerplate("scroll down for video .", 23));
    ck_assert(lede_text_sentence_is_boilerplate("published : . 12:00 est", 23));
    ck_assert(!lede_text_sentence_is_boilerplate("the minister said by friday .", 29));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, utf8_accepts_valid);
    tcase_add_test(tc, utf8_rejects_with_offset);
    tcase_add_test(tc, datelines_and_tags);
    tcase_add_test(tc, boilerplate_paragraphs);
    tcase_add_test(tc, paragraph_numbers);
    tcase_add_test(tc, region_limit);
    tcase_add_test(tc, sentence_boilerplate);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
