/* auth.c: the broker's ZAP handler (rfc.zeromq.org/spec/27) and handshake monitors; see auth.h.
 * Keys are the 32-byte CURVE public keys of the .pub files in the allow directories, sorted for
 * bsearch. The thread answers each ZAP request 200 (User-Id "client:KEY" / "worker:KEY") or 400. */
#include "auth.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "curve.h"
#include "error.h"
#include "log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define MAX_FRAMES   8
#define MAX_MONITORS 2
/* A peer refused again and again is logged once per this interval, with the count. */
#define REPEAT_INTERVAL_MS 10000

struct keyset {
    uint8_t (*keys)[32];
    size_t n;
};

struct lede_auth {
    void *zctx;
    void *zap; /* REP, bound to ZAP_ENDPOINT */
    void *mon[MAX_MONITORS];
    int mon_backend[MAX_MONITORS];
    size_t n_mon;
    struct keyset clients, workers;
    pthread_t thread;
    int running;
    atomic_int stop;
    _Atomic uint64_t clients_allowed, workers_allowed, clients_denied, workers_denied,
        client_as_worker, handshakes_failed;
    struct lede_log_limit limit; /* the auth thread's only */
};

static int key_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int keyset_has(const struct keyset *s, const uint8_t *key)
{
    return s->n && bsearch(key, s->keys, s->n, 32, key_cmp) != NULL;
}

/* One warning from the auth thread through the process's logger; key names the repeating
 * event (a refused key, a failed handshake on a socket) for the limiter. */
static void auth_warn(lede_auth_t *a, const char *key, const char *msg,
                      const struct lede_log_field *fields, size_t n)
{
    unsigned long long held;
    if (!lede_log_limit_pass(&a->limit, key, lede_clock_mono_ms(), &held))
        return;
    struct lede_log_field f[8];
    char count[32];
    size_t k = 0;
    for (; k < n && k < 7; k++)
        f[k] = fields[k];
    if (held) {
        snprintf(count, sizeof count, "%llu", held);
        f[k++] = (struct lede_log_field){"repeated", count};
    }
    lede_log_write(lede_log_default(), LEDE_LOG_WARN, NULL, NULL, f, k, msg);
}

/* Lines for events that repeated after their interval's first line and then stopped. */
static void auth_report_repeats(lede_auth_t *a)
{
    char key[LEDE_LOG_LIMIT_KEY], count[32];
    unsigned long long held;
    while (lede_log_limit_expire(&a->limit, lede_clock_mono_ms(), key, &held)) {
        snprintf(count, sizeof count, "%llu", held);
        struct lede_log_field f[] = {{"event", key}, {"repeated", count}};
        lede_log_write(lede_log_default(), LEDE_LOG_WARN, NULL, NULL, f, 2,
                       "auth: the event repeated since its last line");
    }
}

/* Reads every *.pub file of dir into s (sorted). */
static int keyset_load(struct keyset *s, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read key directory %s: %s", dir, strerror(errno));
        return LEDE_EIO;
    }
    size_t cap = 0;
    int rc = LEDE_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".pub") != 0 || e->d_name[0] == '.')
            continue;
        char path[4096], z85[LEDE_CURVE_Z85_LEN + 1];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = lede_curve_read_key(path, z85, err, errlen);
        if (rc != LEDE_OK)
            break;
        if (s->n == LEDE_AUTH_MAX_KEYS) {
            snprintf(err, errlen, "%s holds more than %d keys", dir, LEDE_AUTH_MAX_KEYS);
            rc = LEDE_ETOOBIG;
            break;
        }
        if (s->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            void *nk = realloc(s->keys, ncap * 32);
            if (!nk) {
                rc = LEDE_ENOMEM;
                break;
            }
            s->keys = nk;
            cap = ncap;
        }
        zmq_z85_decode(s->keys[s->n++], z85);
    }
    closedir(d);
    if (rc == LEDE_OK && s->n)
        qsort(s->keys, s->n, 32, key_cmp);
    return rc;
}

int lede_auth_start(void *zctx, const char *clients_dir, const char *workers_dir, lede_auth_t **out,
                    char *err, size_t errlen)
{
    *out = NULL;
    lede_auth_t *a = calloc(1, sizeof *a);
    if (!a)
        return LEDE_ENOMEM;
    a->zctx = zctx;
    lede_log_limit_init(&a->limit, REPEAT_INTERVAL_MS);
    int rc = keyset_load(&a->clients, clients_dir, err, errlen);
    if (rc == LEDE_OK)
        rc = keyset_load(&a->workers, workers_dir, err, errlen);
    if (rc != LEDE_OK)
        goto fail;
    a->zap = zmq_socket(zctx, ZMQ_REP);
    int linger = 0;
    if (!a->zap || zmq_setsockopt(a->zap, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(a->zap, ZAP_ENDPOINT) != 0) {
        snprintf(err, errlen, "cannot start the ZAP handler: %s", zmq_strerror(zmq_errno()));
        rc = LEDE_EIO;
        goto fail;
    }
    *out = a;
    return LEDE_OK;
fail:
    lede_auth_stop(&a);
    return rc;
}

int lede_auth_server(lede_auth_t *a, void *sock, int backend, const char *secret_z85)
{
    if (a->n_mon == MAX_MONITORS || a->running)
        return LEDE_EINVAL;
    int one = 1, ivl = 5000;
    const char *domain = backend ? LEDE_AUTH_DOMAIN_WORKERS : LEDE_AUTH_DOMAIN_CLIENTS;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_z85, LEDE_CURVE_Z85_LEN) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0 ||
        zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &ivl, sizeof ivl) != 0)
        return LEDE_EIO;
    char ep[96];
    snprintf(ep, sizeof ep, "inproc://lede-auth-monitor-%p-%zu", (void *)a, a->n_mon);
    if (zmq_socket_monitor(sock, ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        return LEDE_EIO;
    void *m = zmq_socket(a->zctx, ZMQ_PAIR);
    int linger = 0;
    if (!m)
        return LEDE_EIO;
    zmq_setsockopt(m, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(m, ep) != 0) {
        zmq_close(m);
        return LEDE_EIO;
    }
    a->mon[a->n_mon] = m;
    a->mon_backend[a->n_mon] = backend;
    a->n_mon++;
    return LEDE_OK;
}

/* Reads one ZAP request and answers it. */
static void handle_zap(lede_auth_t *a)
{
    zmq_msg_t f[MAX_FRAMES];
    size_t n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, a->zap, 0) < 0) {
            zmq_msg_close(&part);
            break;
        }
        more = zmq_msg_more(&part);
        if (n < MAX_FRAMES)
            f[n++] = part;
        else
            zmq_msg_close(&part);
    }
    /* version, request id, domain, address, routing id, mechanism, credentials... */
    const char *status = "400", *text = "key not allowed";
    char user[8 + LEDE_CURVE_Z85_LEN + 1] = "";
    char domain[64] = "", address[64] = "";
    if (n >= 7 && zmq_msg_size(&f[0]) == 3 && memcmp(zmq_msg_data(&f[0]), "1.0", 3) == 0 &&
        zmq_msg_size(&f[5]) == 5 && memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 &&
        zmq_msg_size(&f[6]) == 32) {
        const uint8_t *key = zmq_msg_data(&f[6]);
        snprintf(domain, sizeof domain, "%.*s", (int)zmq_msg_size(&f[2]),
                 (const char *)zmq_msg_data(&f[2]));
        snprintf(address, sizeof address, "%.*s", (int)zmq_msg_size(&f[3]),
                 (const char *)zmq_msg_data(&f[3]));
        char z85[LEDE_CURVE_Z85_LEN + 1];
        zmq_z85_encode(z85, key, 32);
        int backend = strcmp(domain, LEDE_AUTH_DOMAIN_WORKERS) == 0;
        int frontend = strcmp(domain, LEDE_AUTH_DOMAIN_CLIENTS) == 0;
        if (backend && keyset_has(&a->workers, key)) {
            status = "200";
            text = "OK";
            snprintf(user, sizeof user, "worker:%s", z85);
            atomic_fetch_add(&a->workers_allowed, 1);
        } else if (frontend && keyset_has(&a->clients, key)) {
            status = "200";
            text = "OK";
            snprintf(user, sizeof user, "client:%s", z85);
            atomic_fetch_add(&a->clients_allowed, 1);
        } else if (backend) {
            uint64_t k = atomic_fetch_add(&a->workers_denied, 1) + 1;
            int posing = keyset_has(&a->clients, key);
            if (posing)
                atomic_fetch_add(&a->client_as_worker, 1);
            char what[LEDE_LOG_LIMIT_KEY], total[32];
            snprintf(what, sizeof what, "refused_worker:%s", z85);
            snprintf(total, sizeof total, "%llu", (unsigned long long)k);
            struct lede_log_field lf[] = {
                {"key", z85}, {"address", address}, {"refused_total", total}};
            auth_warn(a, what,
                      posing ? "auth: refused a worker key (a client key may not register as a "
                               "worker)"
                             : "auth: refused a worker key",
                      lf, 3);
        } else {
            uint64_t k = atomic_fetch_add(&a->clients_denied, 1) + 1;
            char what[LEDE_LOG_LIMIT_KEY], total[32];
            snprintf(what, sizeof what, "refused_client:%s", z85);
            snprintf(total, sizeof total, "%llu", (unsigned long long)k);
            struct lede_log_field lf[] = {
                {"key", z85}, {"address", address}, {"refused_total", total}};
            auth_warn(a, what, "auth: refused a client key", lf, 3);
        }
    } else {
        text = "malformed ZAP request or not CURVE";
    }
    const char *reply[6] = {"1.0", NULL, status, text, user, ""};
    for (int i = 0; i < 6; i++) {
        int flags = i < 5 ? ZMQ_SNDMORE : 0;
        if (i == 1) {
            if (n >= 2)
                zmq_send(a->zap, zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), flags);
            else
                zmq_send(a->zap, "", 0, flags);
        } else {
            zmq_send(a->zap, reply[i], strlen(reply[i]), flags);
        }
    }
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
}

/* One socket monitor event: [uint16 event, uint32 value] then the endpoint. */
static void handle_monitor(lede_auth_t *a, size_t i)
{
    zmq_msg_t ev, ep;
    zmq_msg_init(&ev);
    zmq_msg_init(&ep);
    if (zmq_msg_recv(&ev, a->mon[i], 0) < 0)
        goto out;
    if (zmq_msg_more(&ev))
        zmq_msg_recv(&ep, a->mon[i], 0);
    if (zmq_msg_size(&ev) < 6)
        goto out;
    uint16_t event;
    memcpy(&event, zmq_msg_data(&ev), sizeof event);
    /* A ZAP refusal is counted by handle_zap; the others are handshakes that never reached it:
     * a plaintext peer (mechanism mismatch), a wrong server key, garbage. */
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
        event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
        uint64_t k = atomic_fetch_add(&a->handshakes_failed, 1) + 1;
        const char *side = a->mon_backend[i] ? "backend" : "frontend";
        char key[LEDE_LOG_LIMIT_KEY], total[32];
        snprintf(key, sizeof key, "handshake_failed:%s", side);
        snprintf(total, sizeof total, "%llu", (unsigned long long)k);
        struct lede_log_field f[] = {{"socket", side}, {"failed_total", total}};
        auth_warn(a, key, "auth: a handshake failed (plaintext peer, wrong broker key or not ZMTP)",
                  f, 2);
    }
out:
    zmq_msg_close(&ev);
    zmq_msg_close(&ep);
}

static void *auth_thread(void *arg)
{
    lede_auth_t *a = arg;
    while (!atomic_load(&a->stop)) {
        zmq_pollitem_t items[1 + MAX_MONITORS];
        items[0] = (zmq_pollitem_t){.socket = a->zap, .events = ZMQ_POLLIN};
        for (size_t i = 0; i < a->n_mon; i++)
            items[1 + i] = (zmq_pollitem_t){.socket = a->mon[i], .events = ZMQ_POLLIN};
        int rc = zmq_poll(items, (int)(1 + a->n_mon), 100);
        if (rc < 0) {
            if (zmq_errno() == ETERM)
                break;
            continue;
        }
        if (items[0].revents & ZMQ_POLLIN)
            handle_zap(a);
        for (size_t i = 0; i < a->n_mon; i++)
            if (items[1 + i].revents & ZMQ_POLLIN)
                handle_monitor(a, i);
        auth_report_repeats(a);
    }
    return NULL;
}

int lede_auth_run(lede_auth_t *a)
{
    if (a->running)
        return LEDE_OK;
    if (pthread_create(&a->thread, NULL, auth_thread, a) != 0)
        return LEDE_EIO;
    a->running = 1;
    return LEDE_OK;
}

void lede_auth_sizes(const lede_auth_t *a, size_t *clients, size_t *workers)
{
    *clients = a->clients.n;
    *workers = a->workers.n;
}

void lede_auth_counts(const lede_auth_t *a, struct lede_auth_counts *out)
{
    lede_auth_t *m = (lede_auth_t *)a; /* atomics are read through a non-const pointer */
    out->clients_allowed = atomic_load(&m->clients_allowed);
    out->workers_allowed = atomic_load(&m->workers_allowed);
    out->clients_denied = atomic_load(&m->clients_denied);
    out->workers_denied = atomic_load(&m->workers_denied);
    out->client_as_worker = atomic_load(&m->client_as_worker);
    out->handshakes_failed = atomic_load(&m->handshakes_failed);
}

void lede_auth_stop(lede_auth_t **ap)
{
    if (!ap || !*ap)
        return;
    lede_auth_t *a = *ap;
    if (a->running) {
        atomic_store(&a->stop, 1);
        pthread_join(a->thread, NULL);
    }
    for (size_t i = 0; i < a->n_mon; i++)
        zmq_close(a->mon[i]);
    if (a->zap)
        zmq_close(a->zap);
    free(a->clients.keys);
    free(a->workers.keys);
    free(a);
    *ap = NULL;
}
