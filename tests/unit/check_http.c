/* check_http.c: the operations endpoint (common/http.c, and the ops.c bundle) on a port the kernel
 * picks: GET /healthz, /readyz following the process's callback and the drain flag, /metrics in the
 * exposition format, 404 and 405, HEAD, and start-up errors (bad address, port in use). */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "http.h"
#include "metrics.h"
#include "ops.h"
#include "run.h"

struct reply {
    int status;
    char headers[2048];
    char body[8192];
};

/* One HTTP/1.0 request to 127.0.0.1:port; the whole reply read until the server closes. */
static void request(int port, const char *method, const char *path, struct reply *r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method, path);
    ck_assert_int_eq(write(fd, req, (size_t)n), n);
    static char buf[16384];
    size_t len = 0;
    ssize_t k;
    while ((k = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)k;
    buf[len] = 0;
    close(fd);
    memset(r, 0, sizeof *r);
    ck_assert_int_eq(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1);
    char *sep = strstr(buf, "\r\n\r\n");
    ck_assert_ptr_nonnull(sep);
    snprintf(r->headers, sizeof r->headers, "%.*s", (int)(sep - buf), buf);
    snprintf(r->body, sizeof r->body, "%s", sep + 4);
}

static atomic_int workers;

static bool ready(void *ctx, char *why, size_t why_len)
{
    (void)ctx;
    if (atomic_load(&workers) > 0)
        return true;
    snprintf(why, why_len, "no worker registered");
    return false;
}

START_TEST(endpoints)
{
    lede_metrics_t *m = lede_metrics_new();
    lede_counter_t *c = lede_metrics_counter(m, "lede_test_total", "A test counter.");
    lede_metrics_counter_add(c, 5);
    struct lede_http_config cfg = {.listen = "127.0.0.1:0", .metrics = m, .ready = ready};
    lede_http_t *h = NULL;
    char err[256];
    ck_assert_int_eq(lede_http_start(&cfg, &h, err, sizeof err), LEDE_OK);
    int port = lede_http_port(h);
    ck_assert_int_gt(port, 0);
    printf("http: serving on 127.0.0.1:%d\n", port);
    struct reply r;

    request(port, "GET", "/healthz", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "ok\n");

    atomic_store(&workers, 0);
    request(port, "GET", "/readyz", &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.body, "not ready: no worker registered\n");
    atomic_store(&workers, 1);
    request(port, "GET", "/readyz", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "ready\n");

    request(port, "GET", "/metrics", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strcasestr(r.headers, "Content-Type: text/plain; version=0.0.4"));
    ck_assert_ptr_nonnull(strstr(r.body, "# TYPE lede_test_total counter\nlede_test_total 5\n"));
    lede_metrics_counter_inc(c); /* each scrape renders afresh */
    request(port, "GET", "/metrics", &r);
    ck_assert_ptr_nonnull(strstr(r.body, "lede_test_total 6\n"));

    request(port, "HEAD", "/metrics", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "");

    request(port, "GET", "/nope", &r);
    ck_assert_int_eq(r.status, 404);
    request(port, "POST", "/metrics", &r);
    ck_assert_int_eq(r.status, 405);
    ck_assert_ptr_nonnull(strcasestr(r.headers, "Allow: GET, HEAD"));

    lede_http_set_draining(h, true);
    request(port, "GET", "/readyz", &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(r.body, "not ready: draining\n");
    request(port, "GET", "/healthz", &r); /* still alive while draining */
    ck_assert_int_eq(r.status, 200);

    /* the same port again: in use */
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    struct lede_http_config again = {.listen = addr};
    lede_http_t *h2 = NULL;
    ck_assert_int_eq(lede_http_start(&again, &h2, err, sizeof err), LEDE_EIO);
    ck_assert_ptr_nonnull(strstr(err, "cannot listen on"));
    ck_assert_ptr_null(h2);

    lede_http_stop(&h);
    ck_assert_ptr_null(h);
    lede_http_stop(&h); /* NULL is fine */
    lede_metrics_destroy(&m);
}
END_TEST

START_TEST(no_metrics_no_callback)
{
    lede_http_t *h = NULL;
    char err[256];
    struct lede_http_config v6 = {.listen = "[::1]:0"};
    int rc = lede_http_start(&v6, &h, err, sizeof err);
    ck_assert_msg(rc == LEDE_OK || rc == LEDE_EIO, "%s", err); /* EIO: no IPv6 here */
    lede_http_stop(&h);
    struct lede_http_config cfg = {.listen = ":0"};
    ck_assert_int_eq(lede_http_start(&cfg, &h, err, sizeof err), LEDE_OK);
    struct reply r;
    request(lede_http_port(h), "GET", "/readyz", &r);
    ck_assert_int_eq(r.status, 200);
    request(lede_http_port(h), "GET", "/metrics", &r);
    ck_assert_int_eq(r.status, 404);
    lede_http_stop(&h);
}
END_TEST

START_TEST(bad_addresses)
{
    static const char *const bad[] = {
        "", "9100", "127.0.0.1", "127.0.0.1:x", "1.2.3.4:65536", "[::1:80", "[::1]80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct lede_http_config cfg = {.listen = bad[i]};
        lede_http_t *h = NULL;
        char err[256] = "";
        ck_assert_msg(lede_http_start(&cfg, &h, err, sizeof err) == LEDE_EINVAL, "%s", bad[i]);
        ck_assert_ptr_null(h);
        ck_assert_msg(err[0], "no message for '%s'", bad[i]);
        ck_assert_int_eq(lede_http_check_listen(bad[i], NULL, 0), LEDE_EINVAL);
    }
    ck_assert_int_eq(lede_http_check_listen("0.0.0.0:9100", NULL, 0), LEDE_OK);
    ck_assert_int_eq(lede_http_check_listen("*:9100", NULL, 0), LEDE_OK);
    ck_assert_int_eq(lede_http_check_listen("[::]:9100", NULL, 0), LEDE_OK);
    ck_assert_int_eq(lede_http_check_listen("localhost:9100", NULL, 0), LEDE_OK);
}
END_TEST

static const struct lede_opt ops_table[] = {LEDE_OPT_LOG_LEVEL, LEDE_OPT_LOG_FORMAT,
                                            LEDE_OPT_METRICS};

START_TEST(ops_bundle)
{
    lede_config_t *cfg;
    char err[256];
    ck_assert_int_eq(lede_config_new("lede-test", "LEDE_TEST", ops_table, 3, &cfg, err, sizeof err),
                     LEDE_OK);
    char *argv[] = {"prog", "--metrics", "127.0.0.1:0", "--log-format", "json", NULL};
    const char *env[] = {"LEDE_TEST_LOG_LEVEL=debug", NULL};
    ck_assert_int_eq(lede_config_parse(cfg, 5, argv, env, err, sizeof err), LEDE_OK);
    struct lede_ops ops;
    atomic_store(&workers, 0);
    ck_assert_msg(lede_ops_start(&ops, cfg, "test", "9.9.9", ready, NULL, err, sizeof err) ==
                      LEDE_OK,
                  "%s", err);
    ck_assert_ptr_eq(lede_log_default(), ops.log);
    ck_assert(lede_log_enabled(ops.log, LEDE_LOG_DEBUG));
    ck_assert_ptr_nonnull(ops.http);
    lede_metrics_counter_inc(lede_metrics_counter(ops.metrics, "lede_test_calls_total", "x"));
    struct reply r;
    int port = lede_http_port(ops.http);
    request(port, "GET", "/metrics", &r);
    ck_assert_ptr_nonnull(strstr(r.body, "lede_build_info{component=\"test\",version=\"9.9.9\","));
    ck_assert_ptr_nonnull(strstr(r.body, "lede_test_calls_total 1\n"));
    request(port, "GET", "/readyz", &r);
    ck_assert_int_eq(r.status, 503);
    atomic_store(&workers, 2);
    request(port, "GET", "/readyz", &r);
    ck_assert_int_eq(r.status, 200);
    lede_ops_drain(&ops);
    request(port, "GET", "/readyz", &r);
    ck_assert_str_eq(r.body, "not ready: draining\n");

    /* a second bundle on the same port fails and leaves nothing behind */
    lede_config_t *cfg2;
    ck_assert_int_eq(
        lede_config_new("lede-test", "LEDE_TEST", ops_table, 3, &cfg2, err, sizeof err), LEDE_OK);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    char *argv2[] = {"prog", "--metrics", addr, NULL};
    ck_assert_int_eq(lede_config_parse(cfg2, 3, argv2, env, err, sizeof err), LEDE_OK);
    struct lede_ops ops2;
    ck_assert_int_eq(lede_ops_start(&ops2, cfg2, "test", "1", NULL, NULL, err, sizeof err),
                     LEDE_EIO);
    ck_assert_ptr_nonnull(strstr(err, "--metrics 127.0.0.1:"));
    ck_assert_ptr_null(ops2.log);
    ck_assert_ptr_null(ops2.metrics);
    ck_assert_ptr_null(ops2.http);
    lede_config_destroy(&cfg2);

    lede_ops_stop(&ops);
    ck_assert_ptr_null(ops.http);
    ck_assert_ptr_null(lede_log_default());
    lede_ops_stop(&ops); /* twice is fine */

    /* without --metrics: no HTTP server */
    lede_config_t *cfg3;
    ck_assert_int_eq(
        lede_config_new("lede-test", "LEDE_TEST", ops_table, 3, &cfg3, err, sizeof err), LEDE_OK);
    char *argv3[] = {"prog", NULL};
    ck_assert_int_eq(lede_config_parse(cfg3, 1, argv3, env, err, sizeof err), LEDE_OK);
    ck_assert_int_eq(lede_ops_start(&ops, cfg3, "test", "1", NULL, NULL, err, sizeof err), LEDE_OK);
    ck_assert_ptr_null(ops.http);
    ck_assert_ptr_nonnull(ops.metrics);
    lede_ops_stop(&ops);
    lede_config_destroy(&cfg3);
    lede_config_destroy(&cfg);

    /* without a table: explicit settings */
    ck_assert_int_eq(
        lede_ops_start_with(&ops, "w", "1", 9, LEDE_LOG_JSON, NULL, NULL, NULL, err, sizeof err),
        LEDE_EINVAL);
    ck_assert_ptr_null(ops.log);
    ck_assert_int_eq(lede_ops_start_with(&ops, "w", "1", LEDE_LOG_WARN, LEDE_LOG_JSON,
                                         "127.0.0.1:0", NULL, NULL, err, sizeof err),
                     LEDE_OK);
    ck_assert(!lede_log_enabled(ops.log, LEDE_LOG_INFO));
    request(lede_http_port(ops.http), "GET", "/healthz", &r);
    ck_assert_int_eq(r.status, 200);
    lede_ops_stop(&ops);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, endpoints);
    tcase_add_test(tc, no_metrics_no_callback);
    tcase_add_test(tc, bad_addresses);
    tcase_add_test(tc, ops_bundle);
    suite_add_tcase(s, tc);
    return lede_test_run(s);
}
