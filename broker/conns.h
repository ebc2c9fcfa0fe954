/* conns.h: the broker's connections, seen from outside libzmq (issue 10, section 3). libzmq has
 * no connection limit, no byte bound on what it queues for a peer, no bound on a multipart
 * message that never ends, and hands a reply to whichever connection holds a routing id now. A
 * socket monitor tells this module of every accepted and closed connection (by descriptor), and
 * ZMQ_SRCFD tells it which connection each message came on; with that it
 *   - keeps the connections of each socket under a cap, evicting the longest idle one (or
 *     refusing the newcomer) with shutdown(2), which libzmq sees as the peer leaving;
 *   - gives each connection a token that changes when its descriptor is reused, so a reply to a
 *     call from a closed connection is dropped instead of reaching a new peer with the same id;
 *   - counts the bytes of frames handed to libzmq for each connection until libzmq frees them
 *     (written to the kernel, or dropped), and refuses replies past a per-connection bound;
 *   - compares what the kernel received on each connection (TCP_INFO) with what libzmq
 *     delivered, and drops a connection whose undelivered bytes stay past a bound: a message
 *     that never ends.
 * Single-threaded except the free callback, which libzmq's I/O threads call (atomics only). */
#ifndef LEDE_CONNS_H
#define LEDE_CONNS_H

#include <stddef.h>
#include <stdint.h>

#include "broker.h"

struct lede_conns_config {
    size_t max_connections[2]; /* per socket (frontend, backend); 0: no cap */
    size_t peer_out_bytes;     /* bytes queued in libzmq for one client connection */
    size_t total_out_bytes;    /* ... for all connections together */
    size_t max_pending_bytes;  /* received by the kernel, not delivered by libzmq, per
                                  connection, before it is dropped */
    int64_t idle_evict_ms;     /* at the cap, a connection idle this long may be evicted */
};

typedef struct lede_conns lede_conns_t;

/* Monitors sockets[0] (frontend) and sockets[1] (backend); before they bind. table_size bounds
 * the descriptors tracked (higher ones are counted but get token 0). NULL on failure. */
lede_conns_t *lede_conns_new(void *ctx, void *sockets[2], const struct lede_conns_config *cfg,
                             size_t table_size);
/* Closes the monitors: before zmq_ctx_term. */
void lede_conns_stop(lede_conns_t *c);
/* Frees the table (stopping first if needed): after zmq_ctx_term, once libzmq has freed every
 * frame that points into it. NULL is fine. */
void lede_conns_destroy(lede_conns_t **c);

/* The monitors' descriptors, for poll(2) (readable when events wait). */
int lede_conns_fd(const lede_conns_t *c, int i);

/* Handles every waiting monitor event (accepts beyond the cap are shut down at once). */
void lede_conns_events(lede_conns_t *c, int64_t now_ms);
/* The same, at most once per millisecond (each look is a poll(2)): before replies to routing
 * ids libzmq made, which no other connection can take over, so a close learnt up to 1 ms late
 * only makes such a reply unreachable instead of stale. */
void lede_conns_events_due(lede_conns_t *c, int64_t now_ms);
/* Whether id was chosen by its peer (ZMQ_ROUTING_ID), not made by libzmq: a new connection may
 * then carry it once the old one closed, and the events must be read before a reply goes. */
int lede_conns_id_chosen(int sock, const void *id, size_t id_len);

/* A message of `bytes` (all its parts) from routing id id[0..id_len) on socket sock, when that
 * id alone names a live connection already seen (one libzmq made): counted as below, and its
 * connection's token; 0 otherwise (then ZMQ_SRCFD and lede_conns_received). */
uint64_t lede_conns_known(lede_conns_t *c, int sock, const void *id, size_t id_len, size_t bytes,
                          int64_t now_ms);
/* A message of `bytes` (all its parts) from routing id id[0..id_len) arrived on descriptor fd
 * (ZMQ_SRCFD, -1 unknown) of socket sock: its connection's token (0 when unknown). */
uint64_t lede_conns_received(lede_conns_t *c, int sock, int fd, const void *id, size_t id_len,
                             size_t bytes, int64_t now_ms);

/* Before sending a frame held in `data` (malloc'd: its whole block is counted) to conn on sock:
 * 1 and *hint set (pass it to zmq_msg_init_data with lede_conns_free_frame), or 0 to drop it:
 * the connection has closed (stale) or its backlog is full; each is counted. */
int lede_conns_admit(lede_conns_t *c, int sock, uint64_t conn, void *data, void **hint);
/* zmq_free_fn for frames admitted above: lede_conns_unaccount, then free(data). */
void lede_conns_free_frame(void *data, void *hint);
/* The accounting of an admitted frame undone, data not freed (a block that others share). */
void lede_conns_unaccount(void *data, void *hint);
/* A frame libzmq refused (closing its message undoes the accounting): counted. */
void lede_conns_count_unsent(lede_conns_t *c);

/* Every interval: drops connections holding an undelivered message past the bound. */
void lede_conns_check(lede_conns_t *c, int64_t now_ms);

/* Handshakes that failed on sock (plaintext peer on a CURVE socket, wrong server key, not
 * ZMTP): a socket has one monitor, and this one replaces auth.c's, so it counts them. */
uint64_t lede_conns_handshakes_failed(const lede_conns_t *c, int sock);

/* The counters for the broker's stats. */
void lede_conns_stats(const lede_conns_t *c, struct lede_broker_io_stats *io);

#endif
