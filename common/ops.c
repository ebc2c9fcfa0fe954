/* ops.c: logger + metrics + HTTP endpoint from the standard options; see ops.h. */
#include "ops.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "version.h"

/* The option's value if the table declares it, else fallback. */
static int choice_or(const lede_config_t *cfg, const char *name, int fallback)
{
    for (size_t i = 0; cfg && i < lede_config_n_opts(cfg); i++)
        if (!strcmp(lede_config_opt(cfg, i)->name, name))
            return lede_config_choice(cfg, name) >= 0 ? lede_config_choice(cfg, name) : fallback;
    return fallback;
}

static const char *str_or_null(const lede_config_t *cfg, const char *name)
{
    for (size_t i = 0; cfg && i < lede_config_n_opts(cfg); i++)
        if (!strcmp(lede_config_opt(cfg, i)->name, name))
            return lede_config_str(cfg, name);
    return NULL;
}

int lede_ops_start(struct lede_ops *ops, const lede_config_t *cfg, const char *component,
                   const char *version, lede_http_ready_fn ready, void *ready_ctx, char *err,
                   size_t err_len)
{
    return lede_ops_start_with(ops, component, version, choice_or(cfg, "log-level", LEDE_LOG_INFO),
                               choice_or(cfg, "log-format", LEDE_LOG_LOGFMT),
                               str_or_null(cfg, "metrics"), ready, ready_ctx, err, err_len);
}

int lede_ops_start_with(struct lede_ops *ops, const char *component, const char *version, int level,
                        int format, const char *listen, lede_http_ready_fn ready, void *ready_ctx,
                        char *err, size_t err_len)
{
    char tmp[256];
    if (!err) {
        err = tmp;
        err_len = sizeof tmp;
    }
    memset(ops, 0, sizeof *ops);
    int rc = lede_log_new(stderr, component, format, level, &ops->log);
    if (rc) {
        snprintf(err, err_len, "cannot make the logger (bad level or format)");
        return rc;
    }
    lede_log_set_default(ops->log);
    ops->metrics = lede_metrics_new();
    if (!ops->metrics ||
        (rc = lede_metrics_build_info(ops->metrics, component, version, LEDE_ENGINE_VERSION))) {
        rc = rc ? rc : LEDE_ENOMEM;
        snprintf(err, err_len, "cannot make the metrics registry: out of memory");
        goto fail;
    }
    if (listen && *listen) {
        struct lede_http_config hc = {
            .listen = listen, .metrics = ops->metrics, .ready = ready, .ready_ctx = ready_ctx};
        char e[200];
        if ((rc = lede_http_start(&hc, &ops->http, e, sizeof e))) {
            snprintf(err, err_len, "--metrics %s: %s", listen, e);
            goto fail;
        }
        lede_log_printf(ops->log, LEDE_LOG_INFO, NULL, NULL,
                        "serving /metrics, /healthz, /readyz on %s (port %d)", listen,
                        lede_http_port(ops->http));
    }
    return LEDE_OK;
fail:
    lede_ops_stop(ops);
    return rc;
}

void lede_ops_drain(struct lede_ops *ops)
{
    if (ops)
        lede_http_set_draining(ops->http, true);
}

void lede_ops_stop(struct lede_ops *ops)
{
    if (!ops)
        return;
    lede_http_stop(&ops->http); /* first: the HTTP thread reads the registry */
    lede_metrics_destroy(&ops->metrics);
    lede_log_destroy(&ops->log);
}

void lede_ops_catch_signals(void (*on_signal)(int sig))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
