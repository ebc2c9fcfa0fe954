/* ops.h: the operations bundle a lede process starts in a few lines: a logger (also the
 * process-wide default), a metrics registry with build info, and the HTTP endpoint when
 * --metrics is set, all from the standard options (LEDE_OPT_LOG_LEVEL, LEDE_OPT_LOG_FORMAT,
 * LEDE_OPT_METRICS) of a parsed lede_config_t. */
#ifndef LEDE_OPS_H
#define LEDE_OPS_H

#include <stddef.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

struct lede_ops {
    lede_log_t *log;         /* owned; also lede_log_default() until lede_ops_stop */
    lede_metrics_t *metrics; /* owned; register the process's metrics here */
    lede_http_t *http;       /* owned; NULL when --metrics is not set */
};

/* Fills ops from cfg (which must declare log-level, log-format and metrics; a missing one
 * takes its default: info, logfmt, no HTTP). component names the process in logs and in
 * lede_build_info ("broker", "worker"); version is the process's version. ready/ready_ctx:
 * the /readyz callback (see http.h), may be NULL. The HTTP server starts last, so register
 * metrics before or after: both are fine. Errors (err says why; everything started is
 * stopped): LEDE_EIO or LEDE_EINVAL (cannot listen), LEDE_EUNAVAIL, LEDE_ENOMEM. */
int lede_ops_start(struct lede_ops *ops, const lede_config_t *cfg, const char *component,
                   const char *version, lede_http_ready_fn ready, void *ready_ctx, char *err,
                   size_t err_len);

/* The same without an option table, for a process that parses its own flags: level and
 * format as lede_log_level_parse/lede_log_format_parse give them, listen NULL or "" for no
 * HTTP endpoint. */
int lede_ops_start_with(struct lede_ops *ops, const char *component, const char *version, int level,
                        int format, const char *listen, lede_http_ready_fn ready, void *ready_ctx,
                        char *err, size_t err_len);

/* on_signal for SIGTERM, SIGINT and SIGUSR1 (drain, drain, dump the counters in lede's
 * daemons), and SIGPIPE ignored (a peer gone is an error return, not a death). */
void lede_ops_catch_signals(void (*on_signal)(int sig));

/* Marks /readyz as draining (call on SIGTERM before draining). */
void lede_ops_drain(struct lede_ops *ops);

/* Stops the HTTP server, frees the registry and the logger; ops is zeroed. Safe to call twice. */
void lede_ops_stop(struct lede_ops *ops);

#endif
