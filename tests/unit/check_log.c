/* check_log.c: structured logs (common/log.c): the exact logfmt and JSON lines, escaping of
 * quotes, control bytes and invalid UTF-8, level filtering, long messages cut to a bounded
 * line that still parses, and whole lines from many threads at once. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "run.h"

static long long fixed_clock(void *ctx)
{
    return *(long long *)ctx;
}

static long long t0 = 1735732800123LL; /* 2025-01-01T12:00:00.123Z */

/* A logger writing into a memory stream; *buf holds what was written after fflush. */
struct mem {
    FILE *f;
    char *buf;
    size_t len;
};

static lede_log_t *mem_log(struct mem *m, int format, int level)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    ck_assert_ptr_nonnull(m->f);
    lede_log_t *log = NULL;
    ck_assert_int_eq(lede_log_new(m->f, "broker", format, level, &log), LEDE_OK);
    lede_log_set_clock(log, fixed_clock, &t0);
    return log;
}

static void mem_close(struct mem *m, lede_log_t **log)
{
    lede_log_destroy(log);
    ck_assert_ptr_null(*log);
    fclose(m->f);
    free(m->buf);
}

START_TEST(logfmt_line)
{
    struct mem m;
    lede_log_t *log = mem_log(&m, LEDE_LOG_LOGFMT, LEDE_LOG_INFO);
    struct lede_log_field f[] = {{"worker", "host:12"}, {"queue", "3"}, {"note", ""}};
    lede_log_write(log, LEDE_LOG_WARN, "c-1", "t-9", f, 3, "queue full");
    fflush(m.f);
    ck_assert_str_eq(m.buf, "ts=2025-01-01T12:00:00.123Z level=warn component=broker "
                            "call_id=c-1 trace_id=t-9 msg=\"queue full\" worker=host:12 "
                            "queue=3 note=\"\"\n");
    mem_close(&m, &log);
}
END_TEST

START_TEST(logfmt_escapes_and_omits)
{
    struct mem m;
    lede_log_t *log = mem_log(&m, LEDE_LOG_LOGFMT, LEDE_LOG_DEBUG);
    lede_log_write(log, LEDE_LOG_INFO, NULL, "", NULL, 0, "say \"hi\"\nnow\x01 a=b \\");
    fflush(m.f);
    ck_assert_str_eq(m.buf, "ts=2025-01-01T12:00:00.123Z level=info component=broker "
                            "msg=\"say \\\"hi\\\"\\nnow\\u0001 a=b \\\\\"\n");
    mem_close(&m, &log);
}
END_TEST

START_TEST(json_line_parses)
{
    struct mem m;
    lede_log_t *log = mem_log(&m, LEDE_LOG_JSON, LEDE_LOG_INFO);
    struct lede_log_field f[] = {{"bad key!", "v\"1"}};
    /* invalid UTF-8 (a lone continuation byte), valid UTF-8 (e-acute), a tab */
    lede_log_write(log, LEDE_LOG_ERROR, "id\x80", "tr", f, 1, "caf\xc3\xa9\t\xff end");
    fflush(m.f);
    ck_assert_int_eq(m.buf[m.len - 1], '\n');
    json_error_t e;
    json_t *j = json_loads(m.buf, 0, &e);
    ck_assert_msg(j != NULL, "not JSON: %s: %s", e.text, m.buf);
    ck_assert_str_eq(json_string_value(json_object_get(j, "ts")), "2025-01-01T12:00:00.123Z");
    ck_assert_str_eq(json_string_value(json_object_get(j, "level")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(j, "component")), "broker");
    ck_assert_str_eq(json_string_value(json_object_get(j, "call_id")), "id\xef\xbf\xbd");
    ck_assert_str_eq(json_string_value(json_object_get(j, "trace_id")), "tr");
    ck_assert_str_eq(json_string_value(json_object_get(j, "msg")), "caf\xc3\xa9\t\xef\xbf\xbd end");
    ck_assert_str_eq(json_string_value(json_object_get(j, "bad_key_")), "v\"1");
    json_decref(j);
    mem_close(&m, &log);
}
END_TEST

START_TEST(levels_filter)
{
    struct mem m;
    lede_log_t *log = mem_log(&m, LEDE_LOG_LOGFMT, LEDE_LOG_WARN);
    ck_assert(lede_log_enabled(log, LEDE_LOG_ERROR));
    ck_assert(lede_log_enabled(log, LEDE_LOG_WARN));
    ck_assert(!lede_log_enabled(log, LEDE_LOG_INFO));
    lede_log_printf(log, LEDE_LOG_INFO, NULL, NULL, "dropped %d", 1);
    lede_log_printf(log, LEDE_LOG_DEBUG, NULL, NULL, "dropped %d", 2);
    lede_log_printf(log, LEDE_LOG_ERROR, NULL, NULL, "kept %d", 3);
    lede_log_set_level(log, LEDE_LOG_DEBUG);
    lede_log_callback(log, LEDE_LOG_DEBUG, "c7", "from the broker");
    fflush(m.f);
    ck_assert_ptr_null(strstr(m.buf, "dropped"));
    ck_assert_ptr_nonnull(strstr(m.buf, "level=error component=broker msg=\"kept 3\"\n"));
    ck_assert_ptr_nonnull(strstr(m.buf, "level=debug component=broker call_id=c7 "
                                        "msg=\"from the broker\"\n"));
    mem_close(&m, &log);
}
END_TEST

START_TEST(parse_names)
{
    int v = -1;
    ck_assert_int_eq(lede_log_level_parse("WARNING", &v), LEDE_OK);
    ck_assert_int_eq(v, LEDE_LOG_WARN);
    ck_assert_int_eq(lede_log_level_parse("Debug", &v), LEDE_OK);
    ck_assert_int_eq(v, LEDE_LOG_DEBUG);
    ck_assert_int_eq(lede_log_level_parse("verbose", &v), LEDE_EINVAL);
    ck_assert_int_eq(lede_log_level_parse(NULL, &v), LEDE_EINVAL);
    ck_assert_int_eq(lede_log_format_parse("json", &v), LEDE_OK);
    ck_assert_int_eq(v, LEDE_LOG_JSON);
    ck_assert_int_eq(lede_log_format_parse("text", &v), LEDE_EINVAL);
    ck_assert_str_eq(lede_log_level_name(LEDE_LOG_INFO), "info");
    lede_log_t *log = NULL;
    ck_assert_int_eq(lede_log_new(NULL, "x", 7, LEDE_LOG_INFO, &log), LEDE_EINVAL);
    ck_assert_int_eq(lede_log_new(NULL, "x", LEDE_LOG_JSON, 9, &log), LEDE_EINVAL);
    ck_assert_ptr_null(log);
}
END_TEST

START_TEST(long_message_is_cut_and_closed)
{
    for (int format = LEDE_LOG_LOGFMT; format <= LEDE_LOG_JSON; format++) {
        struct mem m;
        lede_log_t *log = mem_log(&m, format, LEDE_LOG_INFO);
        size_t n = 3 * LEDE_LOG_LINE_MAX;
        char *big = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            big[i] = "ab\"\n"[i % 4];
        big[n] = 0;
        struct lede_log_field f[] = {{"after", "never shown"}};
        lede_log_write(log, LEDE_LOG_INFO, "c", NULL, f, 1, big);
        fflush(m.f);
        ck_assert_uint_le(m.len, LEDE_LOG_LINE_MAX);
        ck_assert_int_eq(m.buf[m.len - 1], '\n');
        ck_assert_ptr_null(strstr(m.buf, "never shown"));
        ck_assert_ptr_nonnull(strstr(m.buf, "...\""));
        if (format == LEDE_LOG_JSON) {
            json_error_t e;
            json_t *j = json_loads(m.buf, 0, &e);
            ck_assert_msg(j != NULL, "cut line is not JSON: %s", e.text);
            const char *msg = json_string_value(json_object_get(j, "msg"));
            ck_assert_uint_gt(strlen(msg), LEDE_LOG_LINE_MAX / 2);
            json_decref(j);
        }
        free(big);
        mem_close(&m, &log);
    }
}
END_TEST

START_TEST(default_logger)
{
    struct mem m;
    lede_log_t *log = mem_log(&m, LEDE_LOG_LOGFMT, LEDE_LOG_INFO);
    ck_assert_ptr_null(lede_log_default());
    lede_log_write(NULL, LEDE_LOG_ERROR, NULL, NULL, NULL, 0, "nowhere"); /* no default: nothing */
    lede_log_set_default(log);
    lede_log_printf(NULL, LEDE_LOG_INFO, NULL, NULL, "via default");
    fflush(m.f);
    ck_assert_ptr_nonnull(strstr(m.buf, "msg=\"via default\""));
    mem_close(&m, &log); /* destroying the default unsets it */
    ck_assert_ptr_null(lede_log_default());
}
END_TEST

#define THREADS 4
#define LINES   500

static void *writer(void *arg)
{
    lede_log_t *log = arg;
    char id[32];
    snprintf(id, sizeof id, "%p", (void *)&id);
    for (int i = 0; i < LINES; i++) {
        struct lede_log_field f[] = {{"i", "x"}};
        lede_log_write(log, LEDE_LOG_INFO, id, "t", f, 1,
                       "a message long enough that interleaved writes would show up as broken "
                       "JSON in the output if lines were not written whole");
    }
    return NULL;
}

START_TEST(threads_write_whole_lines)
{
    struct mem m;
    lede_log_t *log = mem_log(&m, LEDE_LOG_JSON, LEDE_LOG_INFO);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, writer, log), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    fflush(m.f);
    size_t lines = 0;
    char *save = NULL;
    for (char *line = strtok_r(m.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        ck_assert_msg(j != NULL, "line %zu is not JSON: %s", lines, e.text);
        json_decref(j);
        lines++;
    }
    ck_assert_uint_eq(lines, THREADS * LINES);
    mem_close(&m, &log);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, logfmt_line);
    tcase_add_test(tc, logfmt_escapes_and_omits);
    tcase_add_test(tc, json_line_parses);
    tcase_add_test(tc, levels_filter);
    tcase_add_test(tc, parse_names);
    tcase_add_test(tc, long_message_is_cut_and_closed);
    tcase_add_test(tc, default_logger);
    tcase_add_test(tc, threads_write_whole_lines);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
