/* check_utf8.c: bounded, character-safe copies (engine/utf8.c): what every string that
 * leaves a worker goes through, so a strict proto3 reader can parse it. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "utf8.h"
#include "run.h"

#define FFFD LEDE_UTF8_REPLACEMENT

static const char *clean(const char *s, size_t len, size_t size)
{
    static char buf[512];
    ck_assert_uint_le(size, sizeof buf);
    size_t n = lede_utf8_sanitize(buf, size, s, len);
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_uint_lt(n, size);
    return buf;
}

START_TEST(valid_text_is_copied)
{
    const char *s = "Seoul \xea\xb8\xb0\xec\x82\xac \xe2\x82\xac 5 \xf0\x9f\x98\x80";
    ck_assert_str_eq(clean(s, strlen(s), 64), s);
    ck_assert(lede_utf8_is_clean(s, strlen(s)));
    ck_assert_uint_eq(lede_utf8_sanitized_size(s, strlen(s)), strlen(s) + 1);
}
END_TEST

START_TEST(invalid_bytes_are_replaced)
{
    ck_assert_str_eq(clean("a\xff"
                           "b",
                           3, 64),
                     "a" FFFD "b");
    ck_assert_str_eq(clean("\xc0\xaf", 2, 64), FFFD FFFD);                   /* overlong */
    ck_assert_str_eq(clean("\xed\xa0\x80", 3, 64), FFFD FFFD FFFD);          /* surrogate */
    ck_assert_str_eq(clean("\xf4\x90\x80\x80", 4, 64), FFFD FFFD FFFD FFFD); /* > U+10FFFF */
    ck_assert_str_eq(clean("x\xe2\x82", 3, 64), "x" FFFD FFFD);              /* truncated */
    ck_assert(!lede_utf8_is_clean("a\xff", 2));
    ck_assert(!lede_utf8_is_clean("a\0b", 3)); /* a NUL would end a C string early */
    ck_assert_uint_eq(lede_utf8_sanitized_size("a\xff", 2), 1 + 3 + 1);
}
END_TEST

START_TEST(cuts_fall_between_characters)
{
    /* "a" then e-acute (2 bytes): 2 bytes of room hold "a" only, never half the character */
    ck_assert_str_eq(clean("a\xc3\xa9", 3, 3), "a");
    ck_assert_str_eq(clean("a\xc3\xa9", 3, 4), "a\xc3\xa9");
    ck_assert_str_eq(clean("\xff", 1, 3), "");      /* the replacement does not fit either */
    ck_assert_str_eq(clean("ab\0cd", 5, 64), "ab"); /* a NUL ends the copy */
    ck_assert_str_eq(clean("abc", 3, 1), "");
}
END_TEST

START_TEST(random_bytes_always_come_out_valid)
{
    uint64_t x = 88172645463325252ull;
    char in[96], out[200];
    for (int round = 0; round < 200000; round++) {
        size_t len = (size_t)(x % sizeof in);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            /* mostly high bytes and continuation bytes: the hard cases */
            in[i] = (char)(x & 1 ? 0x80 | (x >> 8 & 0x7f) : (x >> 8 & 0xff));
        }
        size_t size = 1 + (size_t)(x >> 20) % sizeof out;
        size_t n = lede_utf8_sanitize(out, size, in, len);
        size_t bad;
        ck_assert_uint_lt(n, size);
        ck_assert_msg(lede_utf8_valid(out, n, &bad), "round %d: invalid at %zu", round, bad);
        ck_assert(lede_utf8_is_clean(out, n));
        if (lede_utf8_sanitized_size(in, len) <= size) /* room for all: all of it */
            ck_assert_uint_eq(n + 1, lede_utf8_sanitized_size(in, len));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, valid_text_is_copied);
    tcase_add_test(tc, invalid_bytes_are_replaced);
    tcase_add_test(tc, cuts_fall_between_characters);
    tcase_add_test(tc, random_bytes_always_come_out_valid);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
