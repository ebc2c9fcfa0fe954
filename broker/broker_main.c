/* broker_main.c: lede-broker, the process: options, two ROUTER sockets, and the zmq_poll loop
 * that feeds frames and time into the state machine (broker.c) and sends the frames it asks
 * for. Signals: SIGTERM/SIGINT drain and exit 0, SIGUSR1 prints the counters. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zmq.h>

#include "auth.h"
#include "broker.h"
#include "curve.h"
#include "error.h"

#define RECV_BATCH 256 /* frames taken from one socket before looking at the other */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        stats_requested = 1;
    else
        stop_requested = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct options {
    const char *frontend, *backend, *ready_file;
    const char *curve_secret, *allow_clients, *allow_workers; /* CURVE: all three or none */
    int log_level;
    struct lede_broker_config cfg;
    uint64_t wrong_role; /* frames dropped: User-Id not of the socket's role */
};

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

static void log_line(void *ctx, int level, const char *call_id, const char *msg)
{
    const struct options *o = ctx;
    if (level > o->log_level)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %-5s broker%s%s %s\n", when, ts.tv_nsec / 1000000L,
            level_names[level < 0 ? 0 : level > 3 ? 3 : level], call_id ? " call=" : "",
            call_id ? call_id : "", msg);
}

static void usage(FILE *f)
{
    fputs("usage: lede-broker [options]\n"
          "Routes calls from clients (frontend) to workers (backend); see docs/PROTOCOL.md.\n"
          "Every option can also be set by the environment variable named after it;\n"
          "a command-line option wins over the variable.\n"
          "  --frontend EP           clients connect here      [LEDE_BROKER_FRONTEND]   tcp://*:5555\n"
          "  --backend EP            workers connect here      [LEDE_BROKER_BACKEND]    tcp://*:5556\n"
          "  --queue-max N           queued calls before RESOURCE_EXHAUSTED\n"
          "                                                    [LEDE_BROKER_QUEUE_MAX]  10000\n"
          "  --queue-max-bytes N     queued bytes before RESOURCE_EXHAUSTED\n"
          "                                          [LEDE_BROKER_QUEUE_MAX_BYTES]  268435456\n"
          "  --heartbeat-ms N        heartbeat interval for workers that announce none\n"
          "                                               [LEDE_BROKER_HEARTBEAT_MS]  1000\n"
          "  --liveness N            missed heartbeats before a worker is dead\n"
          "                                                   [LEDE_BROKER_LIVENESS]  3\n"
          "  --default-timeout-ms N  deadline of calls that set timeout_ms 0\n"
          "                                         [LEDE_BROKER_DEFAULT_TIMEOUT_MS]  30000\n"
          "  --max-attempts N        dispatches of one call before UNAVAILABLE\n"
          "                                               [LEDE_BROKER_MAX_ATTEMPTS]  3\n"
          "  --max-msg-bytes N       largest frame accepted (larger: INVALID_ARGUMENT)\n"
          "                                              [LEDE_BROKER_MAX_MSG_BYTES]  16777216\n"
          "  --drain-ms N            on SIGTERM, time given to calls in flight\n"
          "                                                   [LEDE_BROKER_DRAIN_MS]  5000\n"
          "  --log-level L           error, warn, info or debug [LEDE_BROKER_LOG_LEVEL] info\n"
          "  --curve-secret FILE     CURVE: this broker's secret key (lede keygen NAME writes\n"
          "                          NAME.key and NAME.pub; give clients and workers NAME.pub)\n"
          "                                               [LEDE_BROKER_CURVE_SECRET]\n"
          "  --allow-clients DIR     CURVE: .pub files of the clients allowed on the frontend\n"
          "                                               [LEDE_BROKER_ALLOW_CLIENTS]\n"
          "  --allow-workers DIR     CURVE: .pub files of the workers allowed on the backend\n"
          "                          (a client key cannot register as a worker); the three\n"
          "                          CURVE options go together; plaintext peers are refused\n"
          "                                               [LEDE_BROKER_ALLOW_WORKERS]\n"
          "  --ready-file PATH       once bound, write \"frontend=EP\\nbackend=EP\\n\" (the real\n"
          "                          ports when EP asks for tcp://HOST:*) [LEDE_BROKER_READY_FILE]\n"
          "  --help                  this text\n"
          "SIGTERM/SIGINT drain and exit 0 (a second one: exit without waiting); SIGUSR1\n"
          "prints the counters to stderr.\n"
          "Counters: call the method lede.v1.Broker/Stats (JSON payload), send SIGUSR1, or\n"
          "read the line printed at exit.\n",
          f);
}

static int parse_u64(const char *name, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "lede-broker: %s must be a number from %" PRIu64 " to %" PRIu64
                        ", not \"%s\"\n",
                name, lo, hi, s);
        return LEDE_EINVAL;
    }
    *out = v;
    return LEDE_OK;
}

static int parse_level(const char *s, int *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, level_names[i]) == 0 || (i == 1 && strcasecmp(s, "warning") == 0)) {
            *out = i;
            return LEDE_OK;
        }
    }
    fprintf(stderr, "lede-broker: log level must be error, warn, info or debug, not \"%s\"\n", s);
    return LEDE_EINVAL;
}

enum { OPT_FRONTEND = 1, OPT_BACKEND, OPT_QUEUE_MAX, OPT_QUEUE_MAX_BYTES, OPT_HEARTBEAT_MS,
       OPT_LIVENESS, OPT_DEFAULT_TIMEOUT_MS, OPT_MAX_ATTEMPTS, OPT_MAX_MSG_BYTES, OPT_DRAIN_MS,
       OPT_LOG_LEVEL, OPT_READY_FILE, OPT_CURVE_SECRET, OPT_ALLOW_CLIENTS, OPT_ALLOW_WORKERS,
       OPT_HELP };

static const struct option long_opts[] = {
    {"frontend", required_argument, NULL, OPT_FRONTEND},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"queue-max", required_argument, NULL, OPT_QUEUE_MAX},
    {"queue-max-bytes", required_argument, NULL, OPT_QUEUE_MAX_BYTES},
    {"heartbeat-ms", required_argument, NULL, OPT_HEARTBEAT_MS},
    {"liveness", required_argument, NULL, OPT_LIVENESS},
    {"default-timeout-ms", required_argument, NULL, OPT_DEFAULT_TIMEOUT_MS},
    {"max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS},
    {"max-msg-bytes", required_argument, NULL, OPT_MAX_MSG_BYTES},
    {"drain-ms", required_argument, NULL, OPT_DRAIN_MS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"ready-file", required_argument, NULL, OPT_READY_FILE},
    {"curve-secret", required_argument, NULL, OPT_CURVE_SECRET},
    {"allow-clients", required_argument, NULL, OPT_ALLOW_CLIENTS},
    {"allow-workers", required_argument, NULL, OPT_ALLOW_WORKERS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}};

/* The environment variable of an option: LEDE_BROKER_ + its name upper-cased, '-' -> '_'. */
static const char *env_for(const char *name)
{
    char var[64] = "LEDE_BROKER_";
    size_t n = strlen(var);
    for (; *name && n + 1 < sizeof var; name++)
        var[n++] = *name == '-' ? '_' : (char)(*name >= 'a' && *name <= 'z' ? *name - 32 : *name);
    var[n] = '\0';
    return getenv(var);
}

static int apply(struct options *o, int opt, const char *name, const char *val)
{
    uint64_t v;
    int rc = LEDE_OK;
    switch (opt) {
    case OPT_FRONTEND: o->frontend = val; break;
    case OPT_BACKEND: o->backend = val; break;
    case OPT_READY_FILE: o->ready_file = val; break;
    case OPT_CURVE_SECRET: o->curve_secret = val; break;
    case OPT_ALLOW_CLIENTS: o->allow_clients = val; break;
    case OPT_ALLOW_WORKERS: o->allow_workers = val; break;
    case OPT_LOG_LEVEL: rc = parse_level(val, &o->log_level); break;
    case OPT_QUEUE_MAX:
        if ((rc = parse_u64(name, val, 0, 100000000, &v)) == LEDE_OK)
            o->cfg.queue_max = (size_t)v;
        break;
    case OPT_QUEUE_MAX_BYTES:
        if ((rc = parse_u64(name, val, 0, UINT64_C(1) << 40, &v)) == LEDE_OK)
            o->cfg.queue_max_bytes = (size_t)v;
        break;
    case OPT_HEARTBEAT_MS:
        if ((rc = parse_u64(name, val, 10, 60000, &v)) == LEDE_OK)
            o->cfg.heartbeat_ms = (uint32_t)v;
        break;
    case OPT_LIVENESS:
        if ((rc = parse_u64(name, val, 1, 1000, &v)) == LEDE_OK)
            o->cfg.liveness = (uint32_t)v;
        break;
    case OPT_DEFAULT_TIMEOUT_MS:
        if ((rc = parse_u64(name, val, 1, 86400000, &v)) == LEDE_OK)
            o->cfg.default_timeout_ms = (uint32_t)v;
        break;
    case OPT_MAX_ATTEMPTS:
        if ((rc = parse_u64(name, val, 1, 1000, &v)) == LEDE_OK)
            o->cfg.max_attempts = (uint32_t)v;
        break;
    case OPT_MAX_MSG_BYTES:
        if ((rc = parse_u64(name, val, 64, UINT64_C(1) << 30, &v)) == LEDE_OK)
            o->cfg.max_msg_bytes = (size_t)v;
        break;
    case OPT_DRAIN_MS:
        if ((rc = parse_u64(name, val, 0, 3600000, &v)) == LEDE_OK)
            o->cfg.drain_ms = (uint32_t)v;
        break;
    }
    return rc;
}

/* 0: run, 1: --help printed, -1: bad options (message printed). */
static int parse_options(int argc, char **argv, struct options *o)
{
    o->frontend = "tcp://*:5555";
    o->backend = "tcp://*:5556";
    o->ready_file = NULL;
    o->curve_secret = o->allow_clients = o->allow_workers = NULL;
    o->wrong_role = 0;
    o->log_level = LEDE_BROKER_LOG_INFO;
    lede_broker_config_defaults(&o->cfg);
    for (const struct option *lo = long_opts; lo->name; lo++) {
        const char *v = lo->has_arg ? env_for(lo->name) : NULL;
        if (v && *v && apply(o, lo->val, lo->name, v) != LEDE_OK) {
            fprintf(stderr, "lede-broker: (from the environment variable for --%s)\n", lo->name);
            return -1;
        }
    }
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (c == OPT_HELP || c == 'h') {
            usage(stdout);
            return 1;
        }
        if (c == '?' || c == ':') {
            usage(stderr);
            return -1;
        }
        const char *name = "option";
        for (const struct option *lo = long_opts; lo->name; lo++)
            if (lo->val == c)
                name = lo->name;
        if (apply(o, c, name, optarg) != LEDE_OK)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "lede-broker: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return -1;
    }
    int n_curve = !!(o->curve_secret && *o->curve_secret) +
                  !!(o->allow_clients && *o->allow_clients) +
                  !!(o->allow_workers && *o->allow_workers);
    if (n_curve != 0 && n_curve != 3) {
        fprintf(stderr, "lede-broker: CURVE needs all of --curve-secret, --allow-clients and "
                        "--allow-workers\n");
        return -1;
    }
    return 0;
}

/* A ROUTER with lede's options (and CURVE server options when auth is on); not bound yet. */
static void *open_router(void *ctx, const char *ep, const struct options *o, lede_auth_t *auth,
                         const char *secret, int backend)
{
    void *s = zmq_socket(ctx, ZMQ_ROUTER);
    if (!s)
        return NULL;
    if (auth && lede_auth_server(auth, s, backend, secret) != LEDE_OK) {
        fprintf(stderr, "lede-broker: cannot make %s a CURVE server: %s\n", ep,
                zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    int one = 1, linger = 500, hwm = 100000;
    int64_t max = (int64_t)o->cfg.max_msg_bytes * 2 + 4096; /* hard cap; the app answers above max */
    zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
    return s;
}

/* Binds s to ep and puts the endpoint the kernel chose into bound. */
static int bind_router(void *s, const char *ep, char *bound, size_t bound_len)
{
    if (zmq_bind(s, ep) != 0) {
        fprintf(stderr, "lede-broker: cannot bind %s: %s\n", ep, zmq_strerror(zmq_errno()));
        return LEDE_EIO;
    }
    size_t n = bound_len;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, bound, &n) != 0)
        snprintf(bound, bound_len, "%s", ep);
    return LEDE_OK;
}

static void free_frame(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* Sends every pending action; a peer that cannot take a frame is reported back. */
static void flush(lede_broker_t *b, void *sockets[2])
{
    struct lede_broker_action a;
    while (lede_broker_pop(b, &a)) {
        void *s = sockets[a.sock == LEDE_BROKER_BACKEND];
        int rc = zmq_send(s, a.identity, a.identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0) {
            zmq_msg_t m;
            if (zmq_msg_init_data(&m, a.frame, a.frame_len, free_frame, NULL) == 0) {
                a.frame = NULL; /* zmq owns it now */
                rc = zmq_msg_send(&m, s, ZMQ_DONTWAIT);
                if (rc < 0)
                    zmq_msg_close(&m);
            } else {
                rc = -1;
            }
        }
        if (rc < 0) {
            int err = zmq_errno();
            if (err == EHOSTUNREACH || err == EAGAIN)
                lede_broker_on_unreachable(b, now_ms(), a.sock, a.identity, a.identity_len);
        }
        lede_broker_action_release(&a);
    }
}

/* With CURVE, a frame counts only when its connection was admitted for this socket's role
 * (User-Id "client:KEY" on the frontend, "worker:KEY" on the backend). */
static int role_ok(const struct options *o, zmq_msg_t *m, int sock)
{
    if (!o->curve_secret)
        return 1;
    const char *uid = zmq_msg_gets(m, "User-Id");
    const char *want = sock == LEDE_BROKER_BACKEND ? "worker:" : "client:";
    return uid && strncmp(uid, want, 7) == 0;
}

/* Reads up to RECV_BATCH messages from one socket without blocking. */
static int drain_socket(lede_broker_t *b, void *s, int sock, struct options *o)
{
    for (int i = 0; i < RECV_BATCH; i++) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, s, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&id);
            return LEDE_OK;
        }
        int parts = 0, more = zmq_msg_more(&id);
        zmq_msg_init(&body);
        while (more) { /* take every part; keep the first after the identity */
            zmq_msg_t part;
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, s, 0) < 0) {
                zmq_msg_close(&part);
                break;
            }
            more = zmq_msg_more(&part);
            if (parts++ == 0)
                zmq_msg_move(&body, &part);
            zmq_msg_close(&part);
        }
        int64_t now = now_ms();
        int rc = LEDE_OK;
        if (parts >= 1 && !role_ok(o, &body, sock)) { /* ids carry no metadata; bodies do */
            if (o->wrong_role++ < 20)
                log_line(o, LEDE_BROKER_LOG_WARN, NULL, "dropped a frame from a peer whose key "
                         "is not allowed in this role");
        } else if (parts == 1)
            rc = lede_broker_on_frame(b, now, sock, zmq_msg_data(&id), zmq_msg_size(&id),
                                      zmq_msg_data(&body), zmq_msg_size(&body));
        else
            lede_broker_on_bad_framing(b, now, sock, zmq_msg_data(&id), zmq_msg_size(&id));
        zmq_msg_close(&body);
        zmq_msg_close(&id);
        if (rc != LEDE_OK)
            fprintf(stderr, "lede-broker: ERROR %s while handling a frame\n", lede_strerror(rc));
    }
    return LEDE_OK;
}

static void print_stats(const lede_broker_t *b, const char *when)
{
    char *json;
    if (lede_broker_stats_json(b, now_ms(), &json) == LEDE_OK) {
        fprintf(stderr, "lede-broker stats (%s): %s\n", when, json);
        free(json);
    }
}

static int write_ready_file(const char *path, const char *fe, const char *be)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "frontend=%s\nbackend=%s\n", fe, be) < 0 || fclose(f) != 0 ||
        rename(tmp, path) != 0) {
        fprintf(stderr, "lede-broker: cannot write %s: %s\n", path, strerror(errno));
        return LEDE_EIO;
    }
    return LEDE_OK;
}

int main(int argc, char **argv)
{
    struct options o;
    int pr = parse_options(argc, argv, &o);
    if (pr != 0)
        return pr > 0 ? 0 : 2;

    int status = 1;
    void *ctx = NULL;
    void *sockets[2] = {NULL, NULL};
    lede_broker_t *b = NULL;
    lede_auth_t *auth = NULL;
    char fe[256], be[256];
    char secret[LEDE_CURVE_Z85_LEN + 1] = "";

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    ctx = zmq_ctx_new();
    if (!ctx)
        goto cleanup;
    if (o.curve_secret) {
        char err[512];
        size_t nc = 0, nw = 0;
        if (!zmq_has("curve")) {
            fprintf(stderr, "lede-broker: this libzmq was built without CURVE\n");
            goto cleanup;
        }
        if (lede_curve_read_key(o.curve_secret, secret, err, sizeof err) != LEDE_OK ||
            lede_auth_start(ctx, o.allow_clients, o.allow_workers, &auth, err, sizeof err) !=
                LEDE_OK) {
            fprintf(stderr, "lede-broker: %s\n", err);
            goto cleanup;
        }
        lede_auth_sizes(auth, &nc, &nw);
        snprintf(err, sizeof err, "CURVE on: %zu client keys (%s), %zu worker keys (%s)", nc,
                 o.allow_clients, nw, o.allow_workers);
        log_line(&o, LEDE_BROKER_LOG_INFO, NULL, err);
    }
    sockets[0] = open_router(ctx, o.frontend, &o, auth, secret, 0);
    if (!sockets[0])
        goto cleanup;
    sockets[1] = open_router(ctx, o.backend, &o, auth, secret, 1);
    if (!sockets[1])
        goto cleanup;
    /* the ZAP handler runs before either socket binds (a peer may connect at once) */
    if (auth && lede_auth_run(auth) != LEDE_OK) {
        fprintf(stderr, "lede-broker: cannot start the ZAP handler thread\n");
        goto cleanup;
    }
    if (bind_router(sockets[0], o.frontend, fe, sizeof fe) != LEDE_OK ||
        bind_router(sockets[1], o.backend, be, sizeof be) != LEDE_OK)
        goto cleanup;
    b = lede_broker_new(&o.cfg, now_ms());
    if (!b) {
        fprintf(stderr, "lede-broker: out of memory\n");
        goto cleanup;
    }
    lede_broker_set_log(b, log_line, &o);
    if (o.ready_file && write_ready_file(o.ready_file, fe, be) != LEDE_OK)
        goto cleanup;
    {
        char msg[600];
        snprintf(msg, sizeof msg, "listening: frontend %s, backend %s (protocol version %d)", fe,
                 be, LEDE_WIRE_VERSION);
        log_line(&o, LEDE_BROKER_LOG_INFO, NULL, msg);
    }

    int draining = 0, forced = 0;
    for (;;) {
        int64_t now = now_ms();
        if (stop_requested) {
            stop_requested = 0;
            if (draining) {
                log_line(&o, LEDE_BROKER_LOG_WARN, NULL, "second signal: exiting without waiting");
                forced = 1;
            }
            lede_broker_drain(b, now);
            draining = 1;
        }
        if (auth) {
            struct lede_auth_counts ac;
            lede_auth_counts(auth, &ac);
            struct lede_broker_auth_stats as = {
                .enabled = 1, .clients_allowed = ac.clients_allowed,
                .workers_allowed = ac.workers_allowed, .clients_denied = ac.clients_denied,
                .workers_denied = ac.workers_denied, .client_as_worker = ac.client_as_worker,
                .handshakes_failed = ac.handshakes_failed, .wrong_role_messages = o.wrong_role};
            lede_broker_set_auth_stats(b, &as);
        }
        if (stats_requested) {
            stats_requested = 0;
            print_stats(b, "SIGUSR1");
        }
        lede_broker_tick(b, now);
        flush(b, sockets);
        /* forced: as if the drain time had run out (leftovers answered UNAVAILABLE) */
        if (lede_broker_drained(b, forced ? INT64_MAX : now_ms())) {
            flush(b, sockets);
            break;
        }
        zmq_pollitem_t items[2] = {{sockets[0], 0, ZMQ_POLLIN, 0}, {sockets[1], 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 2, lede_broker_next_wakeup(b, now_ms()));
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            fprintf(stderr, "lede-broker: zmq_poll: %s\n", zmq_strerror(zmq_errno()));
            goto cleanup;
        }
        /* workers first: replies free credit for the calls that follow */
        if (items[1].revents & ZMQ_POLLIN)
            drain_socket(b, sockets[1], LEDE_BROKER_BACKEND, &o);
        if (items[0].revents & ZMQ_POLLIN)
            drain_socket(b, sockets[0], LEDE_BROKER_FRONTEND, &o);
        flush(b, sockets);
    }
    log_line(&o, LEDE_BROKER_LOG_INFO, NULL, "drained; exiting");
    status = 0;

cleanup:
    if (b)
        print_stats(b, "exit");
    lede_broker_destroy(&b);
    for (int i = 0; i < 2; i++)
        if (sockets[i])
            zmq_close(sockets[i]);
    lede_auth_stop(&auth);
    if (ctx)
        zmq_ctx_term(ctx);
    return status;
}
