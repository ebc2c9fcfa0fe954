/* http.h: the operations endpoint of a lede process (libmicrohttpd, its own thread):
 * GET /metrics (Prometheus text from a lede_metrics_t), /healthz (200 while the process
 * serves HTTP at all: liveness) and /readyz (200 when the process's readiness callback says
 * so, 503 with the reason otherwise, and 503 once draining). Enabled by `--metrics ADDR:PORT`. */
#ifndef LEDE_HTTP_H
#define LEDE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics.h"

/* Connections the endpoint serves at once (8 per client address, idle ones closed after 3 s);
 * each is a descriptor of the process's. */
#define LEDE_HTTP_MAX_CONNECTIONS 256

/* Fills why (a short reason, NUL-terminated, at most why_len bytes) and returns false when
 * the process should not get traffic, e.g. a broker with no worker. Called from the HTTP
 * thread: read only atomics or copies the process publishes. */
typedef bool (*lede_http_ready_fn)(void *ctx, char *why, size_t why_len);

struct lede_http_config {
    const char *listen;       /* "ADDR:PORT", "[v6]:PORT", ":PORT" (all addresses); port 0:
                               * the kernel picks one (lede_http_port tells which) */
    lede_metrics_t *metrics;  /* borrowed; NULL: /metrics answers 404 */
    lede_http_ready_fn ready; /* NULL: ready whenever not draining */
    void *ready_ctx;
};

typedef struct lede_http lede_http_t;

/* Parses "ADDR:PORT" as the listen setting takes it. LEDE_EINVAL for a bad one. Used by
 * option tables to reject a bad --metrics at start-up. */
int lede_http_check_listen(const char *listen, char *err, size_t err_len);

/* Starts serving on its own thread. On LEDE_OK *out is the caller's (lede_http_stop).
 * Errors: LEDE_EINVAL (bad listen address), LEDE_EIO (cannot bind: err says why),
 * LEDE_EUNAVAIL (built without libmicrohttpd), LEDE_ENOMEM. err may be NULL. */
int lede_http_start(const struct lede_http_config *cfg, lede_http_t **out, char *err,
                    size_t err_len);
/* The TCP port it listens on. */
int lede_http_port(const lede_http_t *h);
/* From now on /readyz answers 503 "draining" (e.g. on SIGTERM, so a load balancer stops
 * sending traffic before the process goes). */
void lede_http_set_draining(lede_http_t *h, bool draining);
/* Stops the server and frees it (NULL is fine); sets *h to NULL. */
void lede_http_stop(lede_http_t **h);

#endif
