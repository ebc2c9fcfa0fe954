/* http.c: /metrics, /healthz and /readyz over HTTP with libmicrohttpd (its own thread); see
 * http.h. The listening socket is made here so a bind failure names its reason. */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "http_listen.h"

/* Slow clients must not take the probes out (issue 10, 3.10: 40 slow connections failed 8 of 8
 * probes when 32 were allowed): many connections in all, few per client address, and an idle
 * one closed after 3 s. The daemon polls every connection from one thread (epoll), so a slow
 * one costs a descriptor, not a thread. Processes keep LEDE_HTTP_FDS descriptors for it. */
#define CONNECTION_LIMIT     LEDE_HTTP_MAX_CONNECTIONS
#define PER_IP_LIMIT         8
#define CONNECTION_TIMEOUT_S 3
#define WHY_MAX              200

struct lede_http {
    struct MHD_Daemon *daemon;
    int fd;
    int port;
    lede_metrics_t *metrics;
    lede_http_ready_fn ready;
    void *ready_ctx;
    atomic_bool draining;
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, const char *type,
                               char *body, size_t len, bool owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned code, const char *s)
{
    return respond(c, code, "text/plain; charset=utf-8", (char *)s, strlen(s), false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct lede_http *h = cls;
    (void)version;
    (void)upload_data;
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        *upload_data_size = 0; /* ignore any body */
        return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    }
    (void)con_cls;
    if (!strcmp(url, "/healthz"))
        return text(c, MHD_HTTP_OK, "ok\n");
    if (!strcmp(url, "/readyz")) {
        char why[WHY_MAX] = "";
        bool ready;
        if (atomic_load(&h->draining)) {
            ready = false;
            snprintf(why, sizeof why, "draining");
        } else {
            ready = h->ready ? h->ready(h->ready_ctx, why, sizeof why) : true;
            why[sizeof why - 1] = 0;
        }
        char body[WHY_MAX + 32];
        if (ready)
            snprintf(body, sizeof body, "ready\n");
        else
            snprintf(body, sizeof body, "not ready: %s\n", why[0] ? why : "no reason given");
        return text(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body);
    }
    if (!strcmp(url, "/metrics") && h->metrics) {
        char *out;
        size_t len;
        int rc = lede_metrics_render(h->metrics, &out, &len);
        if (rc != LEDE_OK)
            return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics\n");
        return respond(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out, len, true);
    }
    return text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz or /readyz\n");
}

int lede_http_start(const struct lede_http_config *cfg, lede_http_t **out, char *err,
                    size_t err_len)
{
    char tmp[256];
    if (!err) {
        err = tmp;
        err_len = sizeof tmp;
    }
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t slen;
    int rc = lede_http_parse_listen(cfg ? cfg->listen : NULL, &ss, &slen, err, err_len);
    if (rc)
        return rc;
    struct lede_http *h = calloc(1, sizeof *h);
    if (!h)
        return LEDE_ENOMEM;
    h->metrics = cfg->metrics;
    h->ready = cfg->ready;
    h->ready_ctx = cfg->ready_ctx;
    atomic_init(&h->draining, false);
    h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(h->fd, (struct sockaddr *)&ss, slen) || listen(h->fd, 64)) {
        snprintf(err, err_len, "cannot listen on %s: %s", cfg->listen, strerror(errno));
        goto fail_io;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (getsockname(h->fd, (struct sockaddr *)&bound, &blen)) {
        snprintf(err, err_len, "getsockname: %s", strerror(errno));
        goto fail_io;
    }
    h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET,
                                 (MHD_socket)h->fd, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)CONNECTION_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                 (unsigned)PER_IP_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(err, err_len, "cannot start the HTTP server on %s", cfg->listen);
        goto fail_io;
    }
    *out = h;
    return LEDE_OK;
fail_io:
    if (h->fd >= 0)
        close(h->fd);
    free(h);
    return LEDE_EIO;
}

int lede_http_port(const lede_http_t *h)
{
    return h ? h->port : -1;
}

void lede_http_set_draining(lede_http_t *h, bool draining)
{
    if (h)
        atomic_store(&h->draining, draining);
}

void lede_http_stop(lede_http_t **h)
{
    if (!h || !*h)
        return;
    MHD_stop_daemon((*h)->daemon); /* closes the listening socket too */
    free(*h);
    *h = NULL;
}
