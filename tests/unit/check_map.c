/* check_map.c: the engine's hash map and span array (engine/map.c, span.c): growth,
 * lookups, key 0, reset, and the maxima that bound memory per call. */
#include <check.h>
#include <stdlib.h>

#include "error.h"
#include "map.h"
#include "span.h"
#include "run.h"

START_TEST(put_get_grow)
{
    struct lede_map m;
    lede_map_init(&m, 0);
    ck_assert_ptr_null(lede_map_get(&m, 42));
    for (uint64_t k = 0; k < 100000; k++) {
        bool fresh;
        uint32_t *v = lede_map_put(&m, k * 0x9e3779b97f4a7c15ull, &fresh, NULL);
        ck_assert_ptr_nonnull(v);
        ck_assert(fresh);
        *v = (uint32_t)k;
    }
    ck_assert_uint_eq(m.n, 100000);
    for (uint64_t k = 0; k < 100000; k++) {
        const uint32_t *v = lede_map_get(&m, k * 0x9e3779b97f4a7c15ull);
        ck_assert_ptr_nonnull(v);
        ck_assert_uint_eq(*v, k);
    }
    bool fresh = true;
    uint32_t *again = lede_map_put(&m, 5 * 0x9e3779b97f4a7c15ull, &fresh, NULL);
    ck_assert(!fresh);
    ck_assert_uint_eq(*again, 5);
    /* Key 0 is a key like any other (stored as 1, as documented). */
    ck_assert_ptr_nonnull(lede_map_get(&m, 0));
    lede_map_reset(&m, 100000);
    ck_assert_uint_eq(m.n, 0);
    ck_assert_ptr_null(lede_map_get(&m, 3 * 0x9e3779b97f4a7c15ull));
    lede_map_reset(&m, 10); /* far smaller: the storage is given back, made again small */
    ck_assert_uint_eq(m.cap, 256);
    ck_assert_uint_eq(m.n, 0);
    ck_assert_ptr_null(lede_map_get(&m, 3 * 0x9e3779b97f4a7c15ull));
    /* larger: made at the size the hint's keys need at once, so they go in without growing */
    lede_map_reset(&m, 1000);
    ck_assert_uint_eq(m.cap, 2048);
    for (uint64_t k = 0; k < 1000; k++) {
        bool f;
        ck_assert_ptr_nonnull(lede_map_put_inline(&m, k + 7, &f, NULL));
        ck_assert(f);
    }
    ck_assert_uint_eq(m.cap, 2048);
    ck_assert_uint_eq(*lede_map_get(&m, 7), 0);
    lede_map_release(&m);
}
END_TEST

START_TEST(maxima)
{
    struct lede_map m;
    lede_map_init(&m, 3);
    int err = LEDE_OK;
    for (uint64_t k = 1; k <= 3; k++)
        ck_assert_ptr_nonnull(lede_map_put(&m, k, NULL, &err));
    ck_assert_ptr_null(lede_map_put(&m, 4, NULL, &err));
    ck_assert_int_eq(err, LEDE_ETOOBIG);
    ck_assert_ptr_nonnull(lede_map_put(&m, 2, NULL, &err)); /* existing keys still found */
    lede_map_release(&m);
    /* the same through the inlined put, whose fast path stops where max is reached */
    lede_map_init(&m, 3);
    lede_map_reset(&m, 3);
    bool fresh;
    for (uint64_t k = 1; k <= 3; k++)
        ck_assert_ptr_nonnull(lede_map_put_inline(&m, k, &fresh, &err));
    err = LEDE_OK;
    ck_assert_ptr_null(lede_map_put_inline(&m, 4, &fresh, &err));
    ck_assert_int_eq(err, LEDE_ETOOBIG);
    ck_assert_ptr_nonnull(lede_map_put_inline(&m, 2, &fresh, &err));
    ck_assert(!fresh);
    lede_map_release(&m);

    struct lede_spans s;
    lede_spans_init(&s, 2);
    ck_assert_int_eq(lede_spans_push(&s, 0, 1), LEDE_OK);
    ck_assert_int_eq(lede_spans_push(&s, 1, 1), LEDE_OK);
    ck_assert_int_eq(lede_spans_push(&s, 2, 1), LEDE_ETOOBIG);
    ck_assert_uint_eq(s.n, 2);
    lede_spans_release(&s);
    ck_assert_ptr_null(s.v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("map");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, put_get_grow);
    tcase_add_test(tc, maxima);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
