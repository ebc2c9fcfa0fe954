/* main.c: lede-gateway, the process: options (flag, LEDE_GATEWAY_* variable, config file; the
 * table the daemons use, common/config.h), logs and metrics (common/ops.h), then the gateway
 * (gateway.c) until SIGTERM/SIGINT (drain: /readyz 503, then stop). SIGHUP re-reads --tokens. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "gateway.h"
#include "ops.h"
#include "tokens.h"

#ifndef LEDE_VERSION
#define LEDE_VERSION "unknown"
#endif

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else if (sig != SIGUSR1) /* the daemons' stats dump; the gateway's are on /metrics */
        stop_requested = 1;
}

static const struct lede_opt gateway_opts[] = {
    {.name = "listen",
     .type = LEDE_OPT_LISTEN,
     .arg = "ADDR:PORT",
     .def = "127.0.0.1:8080",
     .help = "HTTP(S) here; without --tokens only a loopback address is allowed"},
    {.name = "broker",
     .arg = "EP[,EP]",
     .def = "tcp://127.0.0.1:5555",
     .help = "broker frontends (calls fail over between them)"},
    {.name = "tokens",
     .arg = "FILE",
     .help = "allowed bearer tokens, hashed: `TENANT sha256:HEX [summarize,batch]` lines; re-read "
             "on SIGHUP and when the file changes"},
    {.name = "tls-cert", .arg = "FILE", .help = "TLS certificate chain (PEM); with --tls-key"},
    {.name = "tls-key", .arg = "FILE", .help = "TLS private key (PEM)"},
    {.name = "curve-secret",
     .arg = "FILE",
     .help = "CURVE to the brokers: this gateway's secret key"},
    {.name = "broker-key", .arg = "FILE", .help = "CURVE: the brokers' public key"},
    {.name = "cors-origins",
     .arg = "LIST",
     .help = "Origins allowed to call from a browser, comma-separated (\"*\": any)"},
    {.name = "max-body-bytes",
     .type = LEDE_OPT_INT,
     .def = "34603008",
     .min = 1024,
     .max = 1073741824,
     .help = "largest /v1/summarize body (413 past it); the article in it is also held to "
             "lede's limit of 16 MiB (JSON escapes can double its size)"},
    {.name = "max-batch-bytes",
     .type = LEDE_OPT_INT,
     .def = "268435456",
     .min = 1024,
     .max = 4294967296.0,
     .help = "largest /v1/summarize:batch body (413 past it)"},
    {.name = "max-connections",
     .type = LEDE_OPT_INT,
     .def = "1024",
     .min = 1,
     .max = 1000000,
     .help = "open connections at once"},
    {.name = "max-per-ip",
     .type = LEDE_OPT_INT,
     .def = "0",
     .min = 0,
     .max = 1000000,
     .help = "open connections from one address (0: no limit)"},
    {.name = "conn-timeout-s",
     .type = LEDE_OPT_INT,
     .def = "15",
     .min = 1,
     .max = 3600,
     .help = "close a connection idle this long (slow headers or body)"},
    {.name = "max-in-flight",
     .type = LEDE_OPT_INT,
     .def = "4096",
     .min = 1,
     .max = 1000000,
     .help = "calls out at once (429 past it)"},
    {.name = "batch-window",
     .type = LEDE_OPT_INT,
     .def = "256",
     .min = 1,
     .max = 4096,
     .help = "lines in flight per batch request (sent in calls of up to 16 lines, a quarter "
             "of this)"},
    {.name = "deadline-ms",
     .type = LEDE_OPT_INT,
     .def = "10000",
     .min = 1,
     .max = 3600000,
     .help = "deadline when the request sends no Connect-Timeout-Ms or grpc-timeout"},
    {.name = "max-deadline-ms",
     .type = LEDE_OPT_INT,
     .def = "600000",
     .min = 1,
     .max = 86400000,
     .help = "longest deadline a request may ask for"},
    {.name = "unreachable-ms",
     .type = LEDE_OPT_INT,
     .def = "1000",
     .min = 10,
     .max = 600000,
     .help = "with no broker reachable this long, calls fail UNAVAILABLE (503)"},
    {.name = "ready-file", .arg = "PATH", .help = "once listening, write listen=ADDR:PORT here"},
    LEDE_OPT_LOG_LEVEL,
    LEDE_OPT_LOG_FORMAT,
};

static const char usage_text[] =
    "usage: lede-gateway [--listen ADDR:PORT] [--broker EP[,EP]] [--tokens FILE]\n"
    "                    [--tls-cert FILE --tls-key FILE] [options]\n"
    "       lede-gateway hash-token   (reads a token on stdin, prints its tokens-file hash)\n"
    "       lede-gateway openapi      (prints the OpenAPI document /openapi.json serves)\n"
    "HTTP/JSON in front of lede's brokers: POST /v1/summarize, /lede.v1.Summarizer/Summarize,\n"
    "/v1/summarize:batch (NDJSON); GET /healthz /readyz /metrics /openapi.json, / (playground).\n";

static int hash_token(void)
{
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, stdin);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (!n) {
        fprintf(stderr, "lede-gateway hash-token: no token on stdin\n");
        return 2;
    }
    char hex[65];
    lede_tokens_hash(buf, n, hex);
    printf("sha256:%s\n", hex);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "hash-token"))
        return hash_token();
    if (argc == 2 && !strcmp(argv[1], "openapi")) {
        char *doc = lede_gateway_openapi();
        if (!doc)
            return 4;
        puts(doc);
        free(doc);
        return 0;
    }
    char err[512];
    lede_config_t *conf = NULL;
    int parsed = lede_config_cli(
        "lede-gateway", "LEDE_GATEWAY", gateway_opts, sizeof gateway_opts / sizeof gateway_opts[0],
        0, argc, argv, usage_text,
        "Tokens: `printf %s \"$TOKEN\" | lede-gateway hash-token` gives the hash for the tokens "
        "file;\nedit the file and send SIGHUP to rotate. Status codes as grpc-gateway maps them.\n",
        &conf);
    if (parsed != 1) { /* 0: --help printed; -1: the error printed */
        lede_config_destroy(&conf);
        return parsed == 0 ? 0 : 2;
    }
    struct lede_ops ops;
    memset(&ops, 0, sizeof ops);
    if (lede_ops_start(&ops, conf, "gateway", LEDE_VERSION, NULL, NULL, err, sizeof err) !=
        LEDE_OK) {
        fprintf(stderr, "lede-gateway: %s\n", err);
        lede_config_destroy(&conf);
        return 4;
    }
    struct lede_gateway_config cfg = {
        .listen = lede_config_str(conf, "listen"),
        .brokers = lede_config_str(conf, "broker"),
        .tokens_file = lede_config_str_set(conf, "tokens"),
        .tls_cert = lede_config_str_set(conf, "tls-cert"),
        .tls_key = lede_config_str_set(conf, "tls-key"),
        .curve_secret = lede_config_str_set(conf, "curve-secret"),
        .broker_key = lede_config_str_set(conf, "broker-key"),
        .cors_origins = lede_config_str_set(conf, "cors-origins"),
        .max_body = (size_t)lede_config_int(conf, "max-body-bytes"),
        .max_batch_body = (size_t)lede_config_int(conf, "max-batch-bytes"),
        .max_connections = (unsigned)lede_config_int(conf, "max-connections"),
        .max_per_ip = (unsigned)lede_config_int(conf, "max-per-ip"),
        .conn_timeout_s = (unsigned)lede_config_int(conf, "conn-timeout-s"),
        .max_in_flight = (size_t)lede_config_int(conf, "max-in-flight"),
        .batch_window = (size_t)lede_config_int(conf, "batch-window"),
        .deadline_ms = (int)lede_config_int(conf, "deadline-ms"),
        .max_deadline_ms = (int)lede_config_int(conf, "max-deadline-ms"),
        .unreachable_ms = (int)lede_config_int(conf, "unreachable-ms"),
        .log = ops.log,
        .metrics = ops.metrics,
    };
    lede_gateway_t *g = NULL;
    int rc = lede_gateway_start(&cfg, &g, err, sizeof err);
    if (rc != LEDE_OK) {
        fprintf(stderr, "lede-gateway: %s\n", err);
        lede_ops_stop(&ops);
        lede_config_destroy(&conf);
        return 4;
    }
    lede_ops_catch_signals(on_signal);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL); /* token rotation */
    const char *listen = cfg.listen;
    char bound[300];
    const char *colon = strrchr(listen, ':');
    snprintf(bound, sizeof bound, "%.*s:%d", colon ? (int)(colon - listen) : 0, listen,
             lede_gateway_port(g));
    lede_log_printf(ops.log, LEDE_LOG_INFO, NULL, NULL,
                    "event=listening listen=%s tls=%s tokens=%s brokers=%s", bound,
                    cfg.tls_cert ? "on" : "off", cfg.tokens_file ? cfg.tokens_file : "none",
                    cfg.brokers);
    const char *ready_file = lede_config_str_set(conf, "ready-file");
    if (ready_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", ready_file);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "listen=%s\n", bound);
            fclose(f);
            rename(tmp, ready_file);
        }
    }
    /* the tokens file is re-read on SIGHUP and when it changes (a Kubernetes Secret update
       swaps the file; checked every 2 s) */
    struct stat tok_st;
    memset(&tok_st, 0, sizeof tok_st);
    if (cfg.tokens_file)
        stat(cfg.tokens_file, &tok_st);
    unsigned ticks = 0;
    while (!stop_requested) {
        if (cfg.tokens_file && ++ticks % 20 == 0) {
            struct stat now_st;
            if (stat(cfg.tokens_file, &now_st) == 0 &&
                (now_st.st_ino != tok_st.st_ino || now_st.st_size != tok_st.st_size ||
                 now_st.st_mtim.tv_sec != tok_st.st_mtim.tv_sec ||
                 now_st.st_mtim.tv_nsec != tok_st.st_mtim.tv_nsec)) {
                tok_st = now_st;
                reload_requested = 1;
            }
        }
        if (reload_requested) {
            reload_requested = 0;
            if (lede_gateway_reload_tokens(g, err, sizeof err) != LEDE_OK)
                lede_log_printf(ops.log, LEDE_LOG_ERROR, NULL, NULL,
                                "event=tokens_reload_failed error=\"%s\" (the old tokens stay)",
                                err);
        }
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    lede_gateway_drain(g);
    lede_log_printf(ops.log, LEDE_LOG_INFO, NULL, NULL, "event=stopping");
    lede_gateway_stop(&g);
    lede_ops_stop(&ops);
    lede_config_destroy(&conf);
    return 0;
}
