/* check_handler.c: the worker's call handler (worker/handler.c) with the real engine: the
 * SummarizeResponse it writes by hand is exactly the bytes protobuf-c packs for the same
 * message (decoded and packed again), for articles of every shape (a title, duplicates,
 * non-ASCII text, HTML, no keyphrases), with and without explain, with negative-zero and
 * zero feature parts (left out, as protobuf-c does); and a response over the bound is refused
 * before it is made. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "lede.pb-c.h"
#include "run.h"

static lede_engine_t *engine;
static lede_workspace_t *ws;

static void setup(void)
{
    struct lede_error err;
    ck_assert_int_eq(lede_engine_new(NULL, &engine, &err), LEDE_OK);
    ck_assert_int_eq(lede_workspace_new(engine, &ws), LEDE_OK);
}

static void teardown(void)
{
    lede_workspace_destroy(&ws);
    lede_engine_destroy(&engine);
}

struct req {
    const char *id, *title, *body, *lang;
    int explain;
    uint32_t sentences;
    Lede__V1__Format format;
    const char *weight; /* a feature whose weight is -1e-300 (its zero parts are -0.0), or NULL */
};

/* The call's payload: rq as protobuf-c packs it (the caller frees). */
static uint8_t *pack_request(const struct req *r, size_t *len)
{
    Lede__V1__SummarizeRequest rq = LEDE__V1__SUMMARIZE_REQUEST__INIT;
    Lede__V1__FeatureWeight w = LEDE__V1__FEATURE_WEIGHT__INIT, *wp = &w;
    rq.article_id = (char *)r->id;
    rq.body.data = (uint8_t *)(uintptr_t)r->body;
    rq.body.len = strlen(r->body);
    if (r->title) {
        rq.title.data = (uint8_t *)(uintptr_t)r->title;
        rq.title.len = strlen(r->title);
    }
    rq.language = (char *)r->lang;
    rq.explain = r->explain;
    rq.format = r->format;
    if (r->sentences) {
        rq.budget_case = LEDE__V1__SUMMARIZE_REQUEST__BUDGET_SENTENCES;
        rq.sentences = r->sentences;
    }
    if (r->weight) {
        w.name = (char *)r->weight;
        w.value = -1e-300;
        rq.n_weights = 1;
        rq.weights = &wp;
    }
    *len = lede__v1__summarize_request__get_packed_size(&rq);
    uint8_t *buf = malloc(*len ? *len : 1);
    ck_assert_ptr_nonnull(buf);
    lede__v1__summarize_request__pack(&rq, buf);
    return buf;
}

/* Runs r through the handler; the response decoded (the caller frees it), its bytes checked
 * against protobuf-c's packing of what they decode to. */
static Lede__V1__SummarizeResponse *run(const struct req *r)
{
    size_t len;
    uint8_t *payload = pack_request(r, &len);
    struct lede_handler_out out;
    lede_handler_summarize_capped(engine, ws, payload, len, lede_clock_mono_us(), 0, 0, &out);
    free(payload);
    ck_assert_msg(out.status == 0, "%s: status %d: %s", r->id, out.status, out.message);
    Lede__V1__SummarizeResponse *m =
        lede__v1__summarize_response__unpack(NULL, out.payload_len, out.payload);
    ck_assert_msg(m != NULL, "%s: the response does not decode", r->id);
    size_t n = lede__v1__summarize_response__get_packed_size(m);
    uint8_t *again = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(again);
    ck_assert_uint_eq(lede__v1__summarize_response__pack(m, again), n);
    ck_assert_msg(n == out.payload_len && memcmp(again, out.payload, n) == 0,
                  "%s (explain %d): %zu bytes written, protobuf-c packs %zu", r->id, r->explain,
                  out.payload_len, n);
    free(again);
    lede_handler_out_release(&out);
    return m;
}

static const char *plain =
    "Seoul, Jan. 3 (Yonhap) -- South Korea's exports rose 12 percent in December from a year "
    "earlier, the trade ministry said on Monday.\n"
    "Shipments of semiconductors jumped 20 percent, led by Samsung Electronics and SK Hynix.\n"
    "South Korea's exports rose 12 percent in December from a year earlier, the trade ministry "
    "said on Monday.\n"
    "Imports fell 3 percent to 48.2 billion dollars, the Ministry of Trade, Industry and Energy "
    "said. \"Demand for chips stays strong,\" Minister Ahn Duk-geun said.\n"
    "Ahn said the NATO summit and the U.N. talks would not weigh on trade.\n";

static const char *accents = "Le président Macron a rencontré à Séoul le président Yoon. "
                             "Les deux dirigeants ont signé un accord sur l'énergie nucléaire. "
                             "Macron a déclaré que la coopération « reste essentielle ». "
                             "L'accord prévoit des investissements de 10 milliards d'euros.";

static const char *html =
    "<html><head><title>Chips</title></head><body><h1>Exports rise</h1>"
    "<p>South Korea's exports rose 12 percent in December, the ministry said.</p>"
    "<p>Shipments of chips jumped 20 percent &amp; imports fell.</p>"
    "<p>Samsung Electronics led the rise, Samsung said.</p></body></html>";

START_TEST(response_bytes_equal_protobuf_c)
{
    const struct req reqs[] = {
        {"plain", NULL, plain, "en", 0, 0, 0, NULL},
        {"titled", "Exports rise 12 percent in December", plain, "en", 0, 2, 0, NULL},
        {"accents", NULL, accents, "", 0, 2, 0, NULL},
        {"html", NULL, html, "en", 0, 2, LEDE__V1__FORMAT__FORMAT_HTML, NULL},
        {"negzero", NULL, plain, "en", 0, 3, 0, "title"},
        {"one", NULL, "Short.", "en", 0, 1, 0, NULL},
        {"", NULL, "no capital letters here, nor a full stop", "en", 0, 5, 0, NULL},
    };
    for (size_t i = 0; i < sizeof reqs / sizeof *reqs; i++) {
        for (int explain = 0; explain <= 1; explain++) {
            struct req r = reqs[i];
            r.explain = explain;
            Lede__V1__SummarizeResponse *m = run(&r);
            ck_assert_uint_eq(m->n_sentences, explain ? m->sentence_count : m->n_summary);
            ck_assert_str_eq(m->article_id, r.id);
            ck_assert_ptr_nonnull(m->timings);
            for (size_t k = 0; k < m->n_sentences; k++) {
                ck_assert_ptr_nonnull(m->sentences[k]->features);
                if (!explain)
                    ck_assert_uint_eq(m->sentences[k]->index, m->summary[k]);
            }
            if (r.weight) /* the title parts are -0.0 (no title): left out, read back as 0 */
                for (size_t k = 0; k < m->n_sentences; k++)
                    ck_assert_msg(m->sentences[k]->features->title == 0 &&
                                      !signbit(m->sentences[k]->features->title),
                                  "%g", m->sentences[k]->features->title);
            protobuf_c_message_free_unpacked(&m->base, NULL);
        }
    }
}
END_TEST

START_TEST(response_over_the_bound_is_refused)
{
    const struct req r = {"big", NULL, plain, "en", 1, 0, 0, NULL};
    size_t len;
    uint8_t *payload = pack_request(&r, &len);
    struct lede_handler_out out;
    lede_handler_summarize_capped(engine, ws, payload, len, lede_clock_mono_us(), 0, 0, &out);
    ck_assert_int_eq(out.status, 0);
    size_t whole = out.payload_len;
    lede_handler_out_release(&out);
    /* a bound above its size takes it; one below does not, and nothing is made (the timings'
       varints may differ by a few bytes from run to run) */
    lede_handler_summarize_capped(engine, ws, payload, len, lede_clock_mono_us(), 0, whole + 32,
                                  &out);
    ck_assert_int_eq(out.status, 0);
    lede_handler_out_release(&out);
    lede_handler_summarize_capped(engine, ws, payload, len, lede_clock_mono_us(), 0, whole - 32,
                                  &out);
    ck_assert_int_eq(out.status, LEDE__V1__STATUS__RESOURCE_EXHAUSTED);
    ck_assert_ptr_null(out.payload);
    ck_assert_uint_eq(out.payload_len, 0);
    /* the message says how large it would have been: the whole response */
    const char *at = strstr(out.message, "the response (");
    ck_assert_msg(at != NULL, "%s", out.message);
    size_t said = strtoul(at + strlen("the response ("), NULL, 10);
    ck_assert_msg(said + 16 > whole && said < whole + 16, "%zu vs %zu: %s", said, whole,
                  out.message);
    ck_assert_ptr_nonnull(strstr(out.message, "bytes with explain"));
    free(payload);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handler");
    TCase *tc = tcase_create("handler");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, response_bytes_equal_protobuf_c);
    tcase_add_test(tc, response_over_the_bound_is_refused);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
