/* check_gateway.c: the gateway's pure parts: the grpc-gateway status table (every code,
 * including the ones real components cannot be driven to, e.g. INTERNAL -> 500), the deadline
 * and traceparent headers, the descriptor-driven JSON mapping both ways, and the token file. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "gateway.h"
#include "lede.pb-c.h"
#include "pbjson.h"
#include "tokens.h"
#include "run.h"

START_TEST(status_table_as_grpc_gateway)
{
    static const unsigned want[17] = {200, 499, 500, 400, 504, 404, 409, 403, 429,
                                      400, 409, 400, 501, 500, 503, 500, 401};
    for (int s = 0; s < 17; s++)
        ck_assert_uint_eq(lede_gateway_http_status(s), want[s]);
    ck_assert_uint_eq(lede_gateway_http_status(99), 500);
    ck_assert_uint_eq(lede_gateway_http_status(-1), 500);
}
END_TEST

START_TEST(timeout_headers)
{
    ck_assert_int_eq(lede_gateway_parse_timeout("1500", 1), 1500);
    ck_assert_int_eq(lede_gateway_parse_timeout("15x", 1), -1);
    ck_assert_int_eq(lede_gateway_parse_timeout("", 1), -1);
    ck_assert_int_eq(lede_gateway_parse_timeout("250m", 0), 250);
    ck_assert_int_eq(lede_gateway_parse_timeout("2S", 0), 2000);
    ck_assert_int_eq(lede_gateway_parse_timeout("1M", 0), 60000);
    ck_assert_int_eq(lede_gateway_parse_timeout("1H", 0), 3600000);
    ck_assert_int_eq(lede_gateway_parse_timeout("1500u", 0), 2);
    ck_assert_int_eq(lede_gateway_parse_timeout("10n", 0), 1);
    ck_assert_int_eq(lede_gateway_parse_timeout("123456789m", 0), -1); /* 9 digits */
    ck_assert_int_eq(lede_gateway_parse_timeout("5", 0), -1);          /* no unit */
    ck_assert_int_eq(lede_gateway_parse_timeout("5s", 0), -1);         /* units are case-exact */
}
END_TEST

START_TEST(traceparent_header)
{
    char t[33];
    ck_assert_int_eq(lede_gateway_parse_traceparent(
                         "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t),
                     0);
    ck_assert_str_eq(t, "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_int_eq(lede_gateway_parse_traceparent(
                         "00-00000000000000000000000000000000-00f067aa0ba902b7-01", t),
                     -1);
    ck_assert_int_eq(lede_gateway_parse_traceparent(
                         "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", t),
                     -1); /* upper case is invalid */
    ck_assert_int_eq(lede_gateway_parse_traceparent("00-4bf92f-00f067aa0ba902b7-01", t), -1);
    ck_assert_int_eq(lede_gateway_parse_traceparent(
                         "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", t),
                     -1);
    ck_assert_int_eq(lede_gateway_parse_traceparent(NULL, t), -1);
}
END_TEST

START_TEST(json_both_ways)
{
    json_error_t je;
    json_t *v = json_loads("{\"articleId\":\"a1\",\"title\":\"T\\u00e9\",\"body\":\"One. Two.\\n\","
                           "\"sentences\":2,\"weights\":[{\"name\":\"term\",\"value\":1.5}],"
                           "\"explain\":true}",
                           0, &je);
    ck_assert_ptr_nonnull(v);
    ProtobufCMessage *m = NULL;
    char err[300];
    ck_assert_int_eq(
        lede_pbjson_read(&lede__v1__summarize_request__descriptor, v, &m, err, sizeof err),
        LEDE_OK);
    json_decref(v);
    Lede__V1__SummarizeRequest *r = (Lede__V1__SummarizeRequest *)m;
    ck_assert_str_eq(r->article_id, "a1");
    ck_assert_uint_eq(r->title.len, 3); /* a JSON string, not base64 */
    ck_assert(memcmp(r->title.data, "T\xc3\xa9", 3) == 0);
    ck_assert_uint_eq(r->budget_case, LEDE__V1__SUMMARIZE_REQUEST__BUDGET_SENTENCES);
    ck_assert_uint_eq(r->sentences, 2);
    ck_assert_uint_eq(r->n_weights, 1);
    ck_assert(r->weights[0]->value == 1.5);
    ck_assert(r->explain);
    struct lede_jbuf b;
    lede_jbuf_init(&b, 1 << 20);
    lede_pbjson_write(&b, m);
    ck_assert(!b.failed);
    ck_assert_ptr_nonnull(strstr(b.data, "\"articleId\":\"a1\""));
    ck_assert_ptr_nonnull(strstr(b.data, "\"body\":\"One. Two.\\n\""));
    ck_assert_ptr_nonnull(strstr(b.data, "\"sentences\":2"));
    ck_assert_ptr_null(strstr(b.data, "\"words\"")); /* unset oneof members are left out */
    lede_jbuf_release(&b);
    protobuf_c_message_free_unpacked(m, NULL);

    /* a response: offsets are numbers, enums names, invalid UTF-8 replaced */
    Lede__V1__Sentence s = LEDE__V1__SENTENCE__INIT;
    s.offset = 12345678901ull;
    s.length = 3;
    s.duplicate_of = -1;
    s.text.data = (uint8_t *)"a\xff\"";
    s.text.len = 3;
    Lede__V1__Sentence *sp = &s;
    Lede__V1__SummarizeResponse resp = LEDE__V1__SUMMARIZE_RESPONSE__INIT;
    resp.n_sentences = 1;
    resp.sentences = &sp;
    lede_jbuf_init(&b, 1 << 20);
    lede_pbjson_write(&b, &resp.base);
    ck_assert_ptr_nonnull(strstr(b.data, "\"offset\":12345678901"));
    ck_assert_ptr_nonnull(strstr(b.data, "\"duplicateOf\":-1"));
    ck_assert_ptr_nonnull(strstr(b.data, "\"text\":\"a\xef\xbf\xbd\\\"\""));
    json_t *back = json_loads(b.data, 0, &je);
    ck_assert_ptr_nonnull(back); /* valid JSON */
    json_decref(back);
    lede_jbuf_release(&b);
    /* the cap is honoured */
    lede_jbuf_init(&b, 16);
    lede_pbjson_write(&b, &resp.base);
    ck_assert(b.failed);
    lede_jbuf_release(&b);
}
END_TEST

START_TEST(json_errors)
{
    static const char *const bad[] = {
        "{\"nope\":1}",
        "{\"sentences\":-1}",
        "{\"sentences\":1.5}",
        "{\"sentences\":2,\"words\":3}",
        "{\"body\":3}",
        "{\"explain\":\"yes\"}",
        "{\"weights\":{}}",
        "{\"weights\":[3]}",
        "[1]",
        "{\"sentences\":4294967296}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t je;
        json_t *v = json_loads(bad[i], 0, &je);
        ck_assert_ptr_nonnull(v);
        ProtobufCMessage *m = NULL;
        char err[300] = "";
        ck_assert_int_eq(
            lede_pbjson_read(&lede__v1__summarize_request__descriptor, v, &m, err, sizeof err),
            LEDE_EINVAL);
        ck_assert_ptr_null(m);
        ck_assert(err[0]);
        json_decref(v);
    }
}
END_TEST

/* The direct parser agrees with the jansson-based reader, and refuses what is not JSON. */
START_TEST(direct_parser)
{
    static const char *const good[] = {
        "{\"articleId\":\"a1\",\"title\":\"T\\u00e9 \\ud83d\\ude00\",\"body\":\"One.\\nTwo "
        "\\\"q\\\".\","
        "\"ratio\":0.5,\"weights\":[{\"name\":\"term\",\"value\":1.5},{\"name\":\"title\","
        "\"value\":-2e-1}],\"explain\":true,\"language\":null}",
        " { \"body\" : \"x\" , \"sentences\" : 3 } ",
        "{\"body\":\"\xc3\xa9t\xc3\xa9\",\"article_id\":\"snake\",\"words\":\"12\"}",
        "{}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_error_t je;
        json_t *v = json_loads(good[i], 0, &je);
        ck_assert_ptr_nonnull(v);
        ProtobufCMessage *a = NULL, *b = NULL;
        char err[300];
        ck_assert_int_eq(
            lede_pbjson_read(&lede__v1__summarize_request__descriptor, v, &a, err, sizeof err),
            LEDE_OK);
        ck_assert_msg(lede_pbjson_parse(&lede__v1__summarize_request__descriptor, good[i],
                                        strlen(good[i]), &b, err, sizeof err) == LEDE_OK,
                      "%s: %s", good[i], err);
        size_t la = protobuf_c_message_get_packed_size(a),
               lb = protobuf_c_message_get_packed_size(b);
        ck_assert_uint_eq(la, lb);
        uint8_t *pa = malloc(la + 1), *pb = malloc(lb + 1);
        protobuf_c_message_pack(a, pa);
        protobuf_c_message_pack(b, pb);
        ck_assert(memcmp(pa, pb, la) == 0); /* the same message, byte for byte */
        free(pa);
        free(pb);
        protobuf_c_message_free_unpacked(a, NULL);
        protobuf_c_message_free_unpacked(b, NULL);
        json_decref(v);
    }
    static const char *const bad[] = {
        "",
        "{",
        "{\"body\":\"x\"} trailing",
        "{\"body\":\"x\",}",
        "{\"body\":\"unterminated}",
        "{\"body\":\"bad \\x escape\"}",
        "{\"body\":\"lone \\ud800 surrogate\"}",
        "{\"body\":\"ctl \x01 char\"}",
        "{\"body\":\"bad utf8 \xff\"}",
        "{\"sentences\":01}",
        "{\"sentences\":1.}",
        "{\"sentences\":-1}",
        "{\"sentences\":2,\"words\":3}",
        "{\"nope\":1}",
        "{\"explain\":tru}",
        "{\"weights\":[{\"name\":\"x\"},]}",
        "[1]",
        "{body:\"x\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ProtobufCMessage *m = NULL;
        char err[300] = "";
        ck_assert_msg(lede_pbjson_parse(&lede__v1__summarize_request__descriptor, bad[i],
                                        strlen(bad[i]), &m, err, sizeof err) == LEDE_EINVAL,
                      "accepted: %s", bad[i]);
        ck_assert_ptr_null(m);
        ck_assert_msg(err[0], "no message for %s", bad[i]);
    }
    /* found by fuzz_json: a number longer than 63 characters is still a number */
    char longnum[200];
    snprintf(longnum, sizeof longnum, "{\"ratio\":0.%0150d}", 5);
    ProtobufCMessage *lm = NULL;
    ck_assert_int_eq(lede_pbjson_parse(&lede__v1__summarize_request__descriptor, longnum,
                                       strlen(longnum), &lm, NULL, 0),
                     LEDE_OK);
    protobuf_c_message_free_unpacked(lm, NULL);
    /* ... and an empty bytes field (NULL data) is written as "" */
    Lede__V1__SummarizeRequest empty = LEDE__V1__SUMMARIZE_REQUEST__INIT;
    struct lede_jbuf eb;
    lede_jbuf_init(&eb, 4096);
    lede_pbjson_write(&eb, &empty.base);
    ck_assert_ptr_nonnull(strstr(eb.data, "\"title\":\"\""));
    lede_jbuf_release(&eb);
    /* nesting is bounded */
    char deep[200] = "{\"weights\":[";
    ck_assert_int_eq(lede_pbjson_parse(&lede__v1__summarize_request__descriptor, deep, strlen(deep),
                                       &(ProtobufCMessage *){NULL}, NULL, 0),
                     LEDE_EINVAL);
}
END_TEST

/* Reals: the writer's own formatting keeps 10 significant digits and writes JSON numbers. */
START_TEST(reals_written)
{
    unsigned seed = 12345;
    for (int i = 0; i < 200000; i++) {
        double mant = (double)rand_r(&seed) / RAND_MAX;
        int ex = rand_r(&seed) % 18 - 6;
        double v = (1 + 9 * mant) * pow(10, ex) * (rand_r(&seed) % 2 ? 1 : -1);
        if (i % 7 == 0)
            v = floor(v * 1000) / 1000;
        if (i == 0)
            v = 0.9999999999996; /* rounds up to the next power of ten */
        if (i == 1)
            v = 1e-4;
        Lede__V1__FeatureScores fs = LEDE__V1__FEATURE_SCORES__INIT;
        fs.position = v;
        struct lede_jbuf b;
        lede_jbuf_init(&b, 4096);
        lede_pbjson_write(&b, &fs.base);
        const char *p = strstr(b.data, "\"position\":");
        ck_assert_ptr_nonnull(p);
        p += strlen("\"position\":");
        char *end;
        double got = strtod(p, &end);
        ck_assert_msg(*end == ',' || *end == '}', "not a number: %s", p);
        ck_assert_msg(*p == '-' || (*p >= '0' && *p <= '9'), "not a JSON number: %s", p);
        ck_assert_msg(fabs(got - v) <= 1.2e-9 * fabs(v), "%.17g written as %.*s", v, (int)(end - p),
                      p);
        lede_jbuf_release(&b);
    }
}
END_TEST

START_TEST(camel_case)
{
    char out[64];
    lede_pbjson_camel("article_id", out, sizeof out);
    ck_assert_str_eq(out, "articleId");
    lede_pbjson_camel("engine_us", out, sizeof out);
    ck_assert_str_eq(out, "engineUs");
    lede_pbjson_camel("body", out, sizeof out);
    ck_assert_str_eq(out, "body");
}
END_TEST

/* ---- the JSON of a SummarizeResponse written straight from its bytes ---- */

static uint64_t gw_rng = 0x2545f4914f6cdd1dull;
static uint64_t gw_rnd(void)
{
    gw_rng ^= gw_rng << 13;
    gw_rng ^= gw_rng >> 7;
    gw_rng ^= gw_rng << 17;
    return gw_rng;
}

static uint64_t gw_u(void)
{
    static const uint64_t v[] = {0, 1, 127, 128, 99999, UINT32_MAX, UINT64_MAX};
    return gw_rnd() % 2 ? gw_rnd() % 100000 : v[gw_rnd() % 7];
}

static double gw_d(void)
{
    static const double odd[] = {0.0, -0.0, 1.0, -2.5, 1e-300, 3.25e12, 0.1234567891234};
    return gw_rnd() % 2 ? (double)(gw_rnd() % 1000000) / 997.0 : odd[gw_rnd() % 7];
}

static char *gw_s(char *buf, size_t cap)
{
    size_t n = gw_rnd() % 3 ? gw_rnd() % (cap - 1) : 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(0x20 + gw_rnd() % 95);
    buf[n] = 0;
    return buf;
}

/* A random SummarizeResponse, packed by protobuf-c, with room after it for extra bytes. */
static uint8_t *gw_response(size_t *len)
{
    Lede__V1__SummarizeResponse r = LEDE__V1__SUMMARIZE_RESPONSE__INIT;
    Lede__V1__Timings tm = LEDE__V1__TIMINGS__INIT;
    Lede__V1__Sentence st[5], *sp[5];
    Lede__V1__FeatureScores fs[5];
    Lede__V1__EditorKeyphrase k[4], *kp[4];
    Lede__V1__EditorEntity e[3], *ep[3];
    uint32_t sum[5];
    char id[20], lang[6], det[6], tx[5][40], kt[4][16], et[3][16];
    r.article_id = gw_s(id, sizeof id);
    r.engine_version = (char *)(gw_rnd() % 2 ? "0.1.0" : "");
    r.language = gw_s(lang, sizeof lang);
    r.language_detected = gw_s(det, sizeof det);
    r.language_confidence = gw_d();
    r.sentence_count = (uint32_t)gw_u();
    r.format = (Lede__V1__Format)(gw_rnd() % 5);
    if (gw_rnd() % 4) {
        tm.engine_us = gw_u();
        tm.worker_us = gw_u();
        r.timings = &tm;
    }
    r.n_summary = gw_rnd() % 6;
    for (size_t i = 0; i < r.n_summary; i++)
        sum[i] = (uint32_t)gw_u();
    r.summary = sum;
    r.n_sentences = gw_rnd() % 6;
    for (size_t i = 0; i < r.n_sentences; i++) {
        lede__v1__sentence__init(&st[i]);
        lede__v1__feature_scores__init(&fs[i]);
        fs[i].position = gw_d();
        fs[i].term = gw_d();
        fs[i].opener = gw_d();
        st[i].features = gw_rnd() % 5 ? &fs[i] : NULL;
        st[i].index = (uint32_t)gw_u();
        st[i].rank = (uint32_t)gw_u();
        st[i].score = gw_d();
        st[i].offset = gw_u();
        st[i].length = gw_u();
        st[i].selected = gw_rnd() % 2;
        st[i].duplicate_of = gw_rnd() % 2 ? -1 : (int64_t)gw_u();
        st[i].text.data = (uint8_t *)gw_s(tx[i], sizeof tx[i]);
        st[i].text.len = strlen(tx[i]);
        if (st[i].text.len && gw_rnd() % 4 == 0)
            tx[i][0] = (char)0xff; /* not UTF-8: U+FFFD in the JSON */
        st[i].utf16_offset = gw_u();
        st[i].headline = gw_rnd() % 2;
        sp[i] = &st[i];
    }
    r.sentences = sp;
    r.n_keyphrases = gw_rnd() % 5;
    for (size_t i = 0; i < r.n_keyphrases; i++) {
        lede__v1__editor_keyphrase__init(&k[i]);
        k[i].text.data = (uint8_t *)gw_s(kt[i], sizeof kt[i]);
        k[i].text.len = strlen(kt[i]);
        k[i].score = gw_d();
        k[i].count = (uint32_t)gw_u();
        k[i].offset = gw_u();
        kp[i] = &k[i];
    }
    r.keyphrases = kp;
    r.n_entities = gw_rnd() % 4;
    for (size_t i = 0; i < r.n_entities; i++) {
        lede__v1__editor_entity__init(&e[i]);
        e[i].text.data = (uint8_t *)gw_s(et[i], sizeof et[i]);
        e[i].text.len = strlen(et[i]);
        e[i].kind = (char *)(gw_rnd() % 3 ? "person" : "");
        e[i].count = (uint32_t)gw_u();
        ep[i] = &e[i];
    }
    r.entities = ep;
    *len = lede__v1__summarize_response__get_packed_size(&r);
    uint8_t *buf = malloc(*len + 16);
    ck_assert_ptr_nonnull(buf);
    lede__v1__summarize_response__pack(&r, buf);
    return buf;
}

/* buf written straight and through protobuf-c's unpack: where the straight writer takes it,
 * the same text. Returns whether it took it. */
static int packed_agrees(const uint8_t *buf, size_t len)
{
    struct lede_jbuf a, b;
    lede_jbuf_init(&a, 1u << 20);
    lede_jbuf_init(&b, 1u << 20);
    lede_jbuf_put(&a, "[", 1); /* not at the start of the buffer */
    int took = lede_pbjson_write_packed(&a, &lede__v1__summarize_response__descriptor, buf, len);
    ProtobufCMessage *m =
        protobuf_c_message_unpack(&lede__v1__summarize_response__descriptor, NULL, len, buf);
    if (took) {
        ck_assert_msg(m != NULL, "written straight, but protobuf-c refuses it");
        lede_jbuf_put(&b, "[", 1);
        lede_pbjson_write(&b, m);
        ck_assert_str_eq(a.data, b.data);
    } else {
        ck_assert_uint_eq(a.len, 1); /* left as it was */
        ck_assert_str_eq(a.data, "[");
    }
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    lede_jbuf_release(&a);
    lede_jbuf_release(&b);
    return took;
}

START_TEST(response_written_from_its_bytes)
{
    size_t took_changed = 0;
    for (int i = 0; i < 2000; i++) {
        size_t len;
        uint8_t *buf = gw_response(&len);
        ck_assert_int_eq(packed_agrees(buf, len), 1); /* what protobuf-c packs, it takes */
        packed_agrees(buf, len ? gw_rnd() % len : 0); /* cut short */
        for (int k = 0; k < 4 && len; k++) {          /* a byte changed */
            size_t at = gw_rnd() % len;
            uint8_t was = buf[at];
            buf[at] = (uint8_t)gw_rnd();
            took_changed += (size_t)packed_agrees(buf, len);
            buf[at] = was;
        }
        /* an unknown field, a field out of order, a singular field again: protobuf-c's */
        static const uint8_t extra[][2] = {{0x78, 0x01}, {0x08 | 0x10, 0x00}, {0x68, 0x01}};
        for (size_t k = 0; k < 3; k++) {
            memcpy(buf + len, extra[k], 2);
            int took = packed_agrees(buf, len + 2);
            if (k == 0)
                ck_assert_int_eq(took, 0);
        }
        free(buf);
    }
    ck_assert_uint_gt(took_changed, 100);
}
END_TEST

START_TEST(token_file)
{
    char path[] = "/tmp/check_gateway_tokensXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    char h1[65];
    lede_tokens_hash("secret-1", 8, h1);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\n\nnewsroom sha256:%s\narchive sha256:%s summarize\n", h1,
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b");
    fclose(f);
    lede_tokens_t *t = NULL;
    char err[300];
    ck_assert_int_eq(lede_tokens_load(path, &t, err, sizeof err), LEDE_OK);
    ck_assert_uint_eq(lede_tokens_count(t), 2);
    int scopes = 0;
    const char *tenant = lede_tokens_check(t, "secret-1", 8, &scopes);
    ck_assert_ptr_nonnull(tenant);
    ck_assert_str_eq(tenant, "newsroom");
    ck_assert_int_eq(scopes, LEDE_TOKEN_SCOPE_ALL);
    ck_assert_ptr_null(lede_tokens_check(t, "secret-2", 8, &scopes));
    ck_assert_ptr_null(lede_tokens_check(t, h1, 64, &scopes)); /* the hash is not the token */
    lede_tokens_destroy(&t);
    f = fopen(path, "w");
    fprintf(f, "newsroom plaintext-token\n");
    fclose(f);
    ck_assert_int_eq(lede_tokens_load(path, &t, err, sizeof err), LEDE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, ":1:"));
    unlink(path);
    ck_assert_int_eq(lede_tokens_load(path, &t, err, sizeof err), LEDE_EIO);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gateway");
    TCase *tc = tcase_create("gateway");
    tcase_add_test(tc, status_table_as_grpc_gateway);
    tcase_add_test(tc, timeout_headers);
    tcase_add_test(tc, traceparent_header);
    tcase_add_test(tc, json_both_ways);
    tcase_add_test(tc, json_errors);
    tcase_add_test(tc, camel_case);
    tcase_add_test(tc, reals_written);
    tcase_add_test(tc, direct_parser);
    tcase_add_test(tc, response_written_from_its_bytes);
    tcase_add_test(tc, token_file);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
