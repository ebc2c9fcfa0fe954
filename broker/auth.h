/* auth.h: the broker's CURVE authentication: a ZAP handler thread (inproc://zeromq.zap.01) that
 * admits a client key on the frontend only if its .pub file is in --allow-clients DIR and a
 * worker key on the backend only if it is in --allow-workers DIR, tags each connection's
 * User-Id "client:KEY" or "worker:KEY", and counts what it refused, including plaintext or
 * garbled handshakes seen by socket monitors. */
#ifndef LEDE_AUTH_H
#define LEDE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define LEDE_AUTH_DOMAIN_CLIENTS "lede-clients"
#define LEDE_AUTH_DOMAIN_WORKERS "lede-workers"
#define LEDE_AUTH_MAX_KEYS       100000

struct lede_auth_counts {
    uint64_t clients_allowed, workers_allowed; /* handshakes admitted */
    uint64_t clients_denied;                   /* unknown key on the frontend */
    uint64_t workers_denied;                   /* unknown key on the backend */
    uint64_t client_as_worker;  /* ... of which a client's key tried to register as a worker */
    uint64_t handshakes_failed; /* plaintext peers, wrong mechanism, garbage (socket monitor) */
};

typedef struct lede_auth lede_auth_t;

/* Loads the .pub files of both directories and binds the ZAP endpoint in zctx (the thread
 * starts with lede_auth_run). On LEDE_OK *out is the caller's (lede_auth_stop). Errors: LEDE_EIO (a
 * directory cannot be read), LEDE_EFORMAT (a .pub file is not a key), LEDE_ETOOBIG, LEDE_ENOMEM;
 * err says why. */
int lede_auth_start(void *zctx, const char *clients_dir, const char *workers_dir, lede_auth_t **out,
                    char *err, size_t errlen);

/* Makes sock a CURVE server with this secret (Z85) in the domain for its role (0 frontend,
 * 1 backend), and watches its handshakes (at most 2 sockets). Call before lede_auth_run.
 * LEDE_OK, LEDE_EINVAL or LEDE_EIO. */
int lede_auth_server(lede_auth_t *a, void *sock, int backend, const char *secret_z85);

/* Starts the handler thread. Call before zmq_bind of the sockets. LEDE_OK or LEDE_EIO. */
int lede_auth_run(lede_auth_t *a);

/* Keys loaded: clients, workers. */
void lede_auth_sizes(const lede_auth_t *a, size_t *clients, size_t *workers);

/* The counters so far (thread-safe). */
void lede_auth_counts(const lede_auth_t *a, struct lede_auth_counts *out);

/* Stops the thread and frees everything; NULL is fine. Close the sockets first. */
void lede_auth_stop(lede_auth_t **a);

#endif
