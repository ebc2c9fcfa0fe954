/* gateway.h: lede-gateway, HTTP/JSON in front of the brokers. One thread does it all: it runs
 * libmicrohttpd (optional TLS through GnuTLS), which parses requests and suspends each connection
 * while its call is out, and a liblede-client handle (many calls in flight, failover between
 * brokers) from the same poll, and resumes the connections as replies come. Routes:
 *   POST /v1/summarize, POST /lede.v1.Summarizer/Summarize   SummarizeRequest -> Response
 *   POST /v1/summarize:batch                                 NDJSON in, NDJSON out, in order
 *   GET /healthz /readyz /metrics /openapi.json /            (/ is the playground page)
 * Status codes as grpc-gateway maps them; errors are {"code": NAME, "message": ...}. */
#ifndef LEDE_GATEWAY_H
#define LEDE_GATEWAY_H

#include <stddef.h>

#include "log.h"
#include "metrics.h"

struct lede_gateway_config {
    const char *listen;             /* ADDR:PORT (port 0: the kernel picks; lede_gateway_port) */
    const char *brokers;            /* EP[,EP] */
    const char *tokens_file;        /* NULL: no authentication, and listen must be loopback */
    const char *tls_cert, *tls_key; /* PEM files, both or neither */
    const char *curve_secret, *broker_key; /* CURVE to the brokers, both or neither */
    const char *cors_origins;              /* comma-separated allowed Origins ("*": any), or NULL */
    size_t max_body;                       /* bytes of one /v1/summarize body (413 past it) */
    size_t max_batch_body;                 /* bytes of one batch body */
    unsigned max_connections;              /* open connections at once */
    unsigned max_per_ip;                   /* ... from one address (0: no limit) */
    unsigned conn_timeout_s; /* idle connection (slow client, header or body) closed after */
    size_t max_in_flight;    /* calls out at once (429 past it) */
    size_t batch_window;     /* lines in flight per batch request */
    int deadline_ms;         /* when the request gives none */
    int max_deadline_ms;     /* longest deadline a header may ask for */
    int unreachable_ms;      /* liblede-client fail-fast time */
    lede_log_t *log;         /* borrowed */
    lede_metrics_t *metrics; /* borrowed; the gateway registers its series in it */
};

typedef struct lede_gateway lede_gateway_t;

/* Starts serving. On LEDE_OK *out is the caller's (lede_gateway_stop). Errors (err says why):
 * LEDE_EINVAL (bad setting, a non-loopback listen without tokens), LEDE_EIO (cannot bind, read
 * a file), LEDE_ENOMEM. */
int lede_gateway_start(const struct lede_gateway_config *cfg, lede_gateway_t **out, char *err,
                       size_t err_len);
int lede_gateway_port(const lede_gateway_t *g);
/* Re-reads the tokens file (SIGHUP); on failure the old table stays and err says why. */
int lede_gateway_reload_tokens(lede_gateway_t *g, char *err, size_t err_len);
/* From now on /readyz answers 503 (SIGTERM, before stopping). */
void lede_gateway_drain(lede_gateway_t *g);
void lede_gateway_stop(lede_gateway_t **g);

/* The OpenAPI 3.1 document of /openapi.json, built from the protobuf-c descriptors (malloc'd,
 * the caller's; NULL when out of memory). */
char *lede_gateway_openapi(void);

/* The HTTP status grpc-gateway gives a gRPC status code (500 for unknown codes). */
unsigned lede_gateway_http_status(int grpc_status);
/* A deadline header in milliseconds: Connect-Timeout-Ms ("1500") when connect is 1, else
 * grpc-timeout ("1500m", "2S", "1M", "1H", "100u", "10n"; rounded up to whole ms).
 * -1 when malformed. */
long long lede_gateway_parse_timeout(const char *value, int connect);
/* The trace id (32 lower-case hex digits) of a W3C traceparent header into out[33]; 0 on
 * success, -1 when the header is malformed (then a new trace starts). */
int lede_gateway_parse_traceparent(const char *value, char out[33]);

#endif
