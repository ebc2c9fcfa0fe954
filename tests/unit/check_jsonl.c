/* check_jsonl.c: the --jsonl reader and writer that replace jansson trees on the batch path:
 * the writer gives exactly jansson's bytes (lede_json_result + json_dumps) for real results
 * and awkward reals; the reader takes what jansson took, with the same rules and statuses. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "jsonl_in.h"
#include "jsonl_out.h"
#include "summarize.h"
#include "run.h"

START_TEST(writer_equals_jansson)
{
    lede_engine_t *e = NULL;
    struct lede_error err;
    ck_assert_int_eq(lede_engine_new(NULL, &e, &err), LEDE_OK);
    lede_workspace_t *ws = NULL;
    ck_assert_int_eq(lede_workspace_new(e, &ws), LEDE_OK);
    const char *body = "Seoul, Jan. 3 (Yonhap) -- Exports rose 12 percent in \"December\", the "
                       "ministry said.\nChip sales\tjumped \xc3\xa9 20 percent.\nExports rose 12 "
                       "percent in \"December\", the ministry said.\nImports fell 3 percent.\n";
    struct lede_request req = {
        .body = body, .body_len = strlen(body), .budget = {LEDE_BUDGET_SENTENCES, 2}};
    struct lede_result *res = NULL;
    int src = lede_summarize(ws, &req, &res, &err);
    ck_assert_msg(src == LEDE_OK, "%s", err.message);
    /* awkward reals in the features: exponents, integers, negative zero, tiny and huge */
    static const double odd[] = {1e-5, 1e20, -0.0, 3.0, 0.1, 2.5e-300, 123456789012.0, -7.25};
    for (size_t i = 0; i < res->n_sentences && i < 8; i++)
        for (int f = 0; f < LEDE_F_COUNT; f++)
            res->sentences[i].features[f] = odd[(i + (size_t)f) % 8];
    for (int explain = 0; explain <= 1; explain++) {
        for (int with_id = 0; with_id <= 1; with_id++) {
            const char *id = with_id ? "a\"b\\c\x01" : NULL;
            json_t *j = lede_json_result(id, res);
            if (!explain)
                json_object_del(j, "sentences");
            char *want = json_dumps(j, LEDE_JSON_FLAGS);
            char *got = lede_jsonl_result(id, res, explain);
            ck_assert_str_eq(got, want);
            free(want);
            free(got);
            json_decref(j);
        }
    }
    lede_result_destroy(&res);
    lede_workspace_destroy(&ws);
    lede_engine_destroy(&e);
}
END_TEST

/* The reals a batch line holds (the detection's confidence, keyphrase scores) are written
 * without printf in the common range: jansson's bytes for values of every kind there, and
 * for those next to a rounding half, a power of ten and the ends of the range. */
START_TEST(writer_reals_equal_jansson)
{
    lede_engine_t *e = NULL;
    struct lede_error err;
    ck_assert_int_eq(lede_engine_new(NULL, &e, &err), LEDE_OK);
    lede_workspace_t *ws = NULL;
    ck_assert_int_eq(lede_workspace_new(e, &ws), LEDE_OK);
    const char *body = "Exports rose 12 percent in December, the ministry said on Monday. Chip "
                       "sales jumped 20 percent as Samsung shipped more chips. Imports fell.\n";
    struct lede_request req = {
        .body = body, .body_len = strlen(body), .budget = {LEDE_BUDGET_SENTENCES, 1}};
    struct lede_result *res = NULL;
    ck_assert_int_eq(lede_summarize(ws, &req, &res, &err), LEDE_OK);
    ck_assert_uint_gt(res->n_keyphrases, 1);
    static const double p10[] = {1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1,   10,   1e2, 1e3,
                                 1e4,  1e5,  1e6,  1e7,  1e8,  1e9, 1e10, 1e11};
    unsigned long long seed = 88172645463325252ull;
    size_t fast_range = 0;
    for (int i = 0; i < 24000; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17; /* xorshift64 */
        double u = (double)(seed >> 11) / 9007199254740992.0;      /* [0, 1) */
        double v;
        int k = (int)(seed % 17);
        switch (i % 6) {
        case 0: v = u * p10[k]; break;                                         /* any digits */
        case 1: v = (double)(seed % 100000) / p10[5 + (int)(seed % 6)]; break; /* short decimals */
        case 2: v = ((double)(seed % 2000000000u) + 0.5) / p10[k % 10]; break; /* halves */
        case 3: v = nextafter(p10[k], i % 12 < 6 ? 0.0 : 1e300); break;        /* powers of ten */
        case 4: v = (double)(seed % 100000000000ull); break;                   /* integers */
        default: v = -u * p10[k]; break;
        }
        res->lang_confidence = v;
        for (size_t j = 0; j < res->n_keyphrases; j++)
            res->keyphrases[j].score = v * (double)(j + 1) / 3.0;
        if (fabs(v) >= 1e-4 && fabs(v) < 1e10)
            fast_range++;
        json_t *jr = lede_json_result(NULL, res);
        json_object_del(jr, "sentences");
        char *want = json_dumps(jr, LEDE_JSON_FLAGS);
        char *got = lede_jsonl_result(NULL, res, false);
        ck_assert_msg(strcmp(got, want) == 0, "value %.17g:\n got %s\nwant %s", v, got, want);
        free(want);
        free(got);
        json_decref(jr);
    }
    ck_assert_uint_gt(fast_range, 12000); /* most of them in the range written without printf */
    lede_result_destroy(&res);
    lede_workspace_destroy(&ws);
    lede_engine_destroy(&e);
}
END_TEST

START_TEST(reader_records)
{
    struct lede_jsonl_rec r;
    char msg[200];
    const char *l1 = "{\"id\": \"x1\", \"reference\": [\"skip\", {\"me\": [1, 2.5e3, null]}], "
                     "\"title\": \"T\\u00e9\", \"article\": \"One.\\u0000Two \\ud83d\\ude00.\", "
                     "\"options\": {\"words\": 40, \"other\": true}, \"language\": \"de\"}\n";
    ck_assert_int_eq(lede_jsonl_read(l1, strlen(l1), &r, msg, sizeof msg), 0);
    ck_assert_str_eq(r.id, "x1");
    ck_assert_str_eq(r.title, "T\xc3\xa9");
    ck_assert_uint_eq(r.article_len, 14);
    ck_assert(memcmp(r.article, "One.\0Two \xf0\x9f\x98\x80.", 14) == 0);
    ck_assert_str_eq(r.language, "de");
    ck_assert(r.has_budget && r.budget.kind == LEDE_BUDGET_WORDS && r.budget.value == 40);
    lede_jsonl_rec_release(&r);
    const char *l2 = "{\"id\": 42, \"article\": \"A.\", \"title\": null, \"options\": null}";
    ck_assert_int_eq(lede_jsonl_read(l2, strlen(l2), &r, msg, sizeof msg), 0);
    ck_assert_str_eq(r.id, "42");
    ck_assert_ptr_null(r.title);
    ck_assert(!r.has_budget);
    lede_jsonl_rec_release(&r);
    static const struct {
        const char *line, *msg;
    } bad[] = {
        {"[1, 2]", "a line must be a JSON object"},
        {"{\"article\": 3}", "\"article\" must be a string"},
        {"{\"id\": \"k\"}", "\"article\" must be a string"},
        {"{\"article\": \"A.\", \"options\": [1]}", "\"options\" must be an object"},
        {"{\"article\": \"A.\", \"options\": {\"ratio\": \"half\"}}",
         "options.ratio must be a number"},
        {"{\"article\": \"A.\", \"options\": {\"words\": 3, \"chars\": 9}}",
         "options: give one of"},
        {"{\"article\": \"A.\"} x", "not JSON"},
        {"{\"article\": \"A.\", }", "not JSON"},
        {"{\"article\": \"bad \\x\"}", "not JSON"},
        {"{\"article\": \"\xff\"}", "not JSON"},
        {"not json", "not JSON"},
        {"{\"article\": \"A.\", \"n\": 01}", "not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = lede_jsonl_read(bad[i].line, strlen(bad[i].line), &r, msg, sizeof msg);
        ck_assert_msg(st == 3, "%s: status %d", bad[i].line, st);
        ck_assert_msg(strstr(msg, bad[i].msg), "%s: %s", bad[i].line, msg);
        lede_jsonl_rec_release(&r);
    }
    /* found by fuzz_json: an integer id at the very end of a line that is not NUL-terminated
       was read past its end (ASan builds see it) */
    const char trunc[] = "{\"article\":\"A.\",\"id\":12";
    char *exact = malloc(sizeof trunc - 1);
    memcpy(exact, trunc, sizeof trunc - 1);
    ck_assert_int_eq(lede_jsonl_read(exact, sizeof trunc - 1, &r, msg, sizeof msg), 3);
    lede_jsonl_rec_release(&r);
    free(exact);
    /* the id survives an error (the error line names it) */
    const char *l3 = "{\"id\": \"keep\", \"article\": 7}";
    ck_assert_int_eq(lede_jsonl_read(l3, strlen(l3), &r, msg, sizeof msg), 3);
    ck_assert_str_eq(r.id, "keep");
    lede_jsonl_rec_release(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jsonl");
    TCase *tc = tcase_create("jsonl");
    tcase_add_test(tc, writer_equals_jansson);
    tcase_add_test(tc, writer_reals_equal_jansson);
    tcase_add_test(tc, reader_records);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
