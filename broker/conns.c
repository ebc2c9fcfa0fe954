/* conns.c: the broker's connection table (see conns.h). */
#define _GNU_SOURCE
#include "conns.h"

#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <linux/tcp.h> /* the kernel's tcp_info: tcpi_bytes_received */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#define TOKEN_FD_BITS   24
#define MSG_OVERHEAD    64 /* wire bytes per message beyond its frames (ZMTP and CURVE framing) */
#define HANDSHAKE_SLACK (64u * 1024u) /* greetings, handshakes, metadata */

struct entry {
    uint32_t gen; /* bumped at every accept and close of this descriptor */
    uint8_t open, sock, doomed;
    int64_t opened_ms;  /* accepted at */
    int64_t last_ms;    /* last message in */
    uint64_t delivered; /* bytes of messages delivered (plus MSG_OVERHEAD each) */
    uint64_t checked_delivered;
    int strikes;      /* checks in a row with too much undelivered and no progress */
    uint64_t id_hash; /* of the routing id its messages carry (0: none seen yet) */
};

/* Bytes handed to libzmq for one connection and not yet freed. The free callback writes them
 * from libzmq's I/O thread, so they live apart from the entries and the table's fields, which
 * the loop reads and writes per message: a cache line both threads write moves between cores
 * at every write. */
struct held {
    atomic_size_t out;
    atomic_size_t *total; /* the table's total (on a line of its own) */
};

/* A routing id libzmq made for a peer that set none (5 bytes: 0, then a counter the socket
 * never reuses) names one connection for as long as the socket lives, so once its descriptor
 * is known, a message carrying it needs no ZMQ_SRCFD (a metadata map lookup and an atoi in
 * libzmq: the largest cost the table added per message). A slot holds the last such id seen
 * where its hash falls, with the descriptor and generation it had: a hit counts only while that
 * connection is still the descriptor's (open, not doomed, same generation), so a close the
 * monitor reported, or a slot taken by another id, sends the message the long way. Ids a peer
 * chose may pass from a closed connection to a new one and never come here, unless the peer
 * chose one of this form: it then misleads the table about its own connection only, or, had
 * it taken an id libzmq makes later for another peer and closed just before that peer's first
 * message (the close not yet read), costs that peer one reply (dropped as stale). */
#define ID_SLOTS 4096
struct id_slot {
    uint64_t key; /* made_id_key(); 0: empty */
    uint32_t gen;
    int fd;
};

struct lede_conns {
    struct lede_conns_config cfg;
    void *mon[2];
    struct entry *table; /* table_n entries, then one for untracked descriptors */
    struct held *held;   /* the same */
    size_t table_n;
    size_t table_hi; /* descriptors below this have been accepted: the rest are never open */
    size_t live[2];
    int64_t events_ms;        /* when lede_conns_events_due last looked */
    atomic_size_t *total_out; /* a cache line of its own */
    uint64_t refused, backlog_dropped, stale_dropped, pending_dropped, unsent;
    uint64_t handshakes_failed[2];
    int mon_fd[2]; /* the monitors' ZMQ_FD */
    struct id_slot ids[ID_SLOTS];
};

lede_conns_t *lede_conns_new(void *ctx, void *sockets[2], const struct lede_conns_config *cfg,
                             size_t table_size)
{
    lede_conns_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = *cfg;
    c->table_n = table_size;
    c->table = calloc(table_size + 1, sizeof *c->table);
    c->held = calloc(table_size + 1, sizeof *c->held);
    c->total_out = aligned_alloc(64, 64);
    if (!c->table || !c->held || !c->total_out)
        goto fail;
    atomic_init(c->total_out, 0);
    for (size_t i = 0; i <= table_size; i++) {
        atomic_init(&c->held[i].out, 0);
        c->held[i].total = c->total_out;
    }
    for (int i = 0; i < 2; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://lede-conns-%d-%p", i, (void *)c);
        /* one monitor per socket: this one replaces auth.c's and counts what it counted */
        if (zmq_socket_monitor(sockets[i], ep,
                               ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0)
            goto fail;
        c->mon[i] = zmq_socket(ctx, ZMQ_PAIR);
        if (!c->mon[i] || zmq_connect(c->mon[i], ep) != 0)
            goto fail;
        size_t n = sizeof c->mon_fd[i];
        if (zmq_getsockopt(c->mon[i], ZMQ_FD, &c->mon_fd[i], &n) != 0)
            goto fail;
    }
    return c;
fail:
    lede_conns_destroy(&c);
    return NULL;
}

void lede_conns_stop(lede_conns_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < 2; i++)
        if (c->mon[i]) {
            int zero = 0;
            zmq_setsockopt(c->mon[i], ZMQ_LINGER, &zero, sizeof zero);
            zmq_close(c->mon[i]);
            c->mon[i] = NULL;
        }
}

void lede_conns_destroy(lede_conns_t **cp)
{
    if (!cp || !*cp)
        return;
    lede_conns_t *c = *cp;
    lede_conns_stop(c);
    free(c->table);
    free(c->held);
    free(c->total_out);
    free(c);
    *cp = NULL;
}

int lede_conns_fd(const lede_conns_t *c, int i)
{
    int fd = -1;
    if (!c)
        return -1;
    size_t n = sizeof fd;
    if (zmq_getsockopt(c->mon[i], ZMQ_FD, &fd, &n) != 0)
        return -1;
    return fd;
}

static struct entry *at(lede_conns_t *c, int fd)
{
    return fd >= 0 && (size_t)fd < c->table_n ? &c->table[fd] : NULL;
}

/* Which connection of sock (other than the newcomer) makes room at the cap: the oldest that
 * has sent nothing since it was accepted SILENT_MS ago or more (a peer that connects sends
 * first: a worker its READY, a client its call), else the longest idle, if idle at least the
 * eviction time; -1 if none (the newcomer is refused). */
#define SILENT_MS 1000
static int victim(lede_conns_t *c, int sock, int except, int64_t now)
{
    int silent = -1, idle = -1;
    for (size_t i = 0; i < c->table_hi; i++) {
        struct entry *e = &c->table[i];
        if (!e->open || e->doomed || e->sock != sock || (int)i == except)
            continue;
        if (e->delivered == 0) {
            if (now - e->opened_ms >= SILENT_MS &&
                (silent < 0 || e->opened_ms < c->table[silent].opened_ms))
                silent = (int)i;
        } else if (now - e->last_ms >= c->cfg.idle_evict_ms &&
                   (idle < 0 || e->last_ms < c->table[idle].last_ms)) {
            idle = (int)i;
        }
    }
    return silent >= 0 ? silent : idle;
}

static void doom(lede_conns_t *c, int fd)
{
    struct entry *e = at(c, fd);
    if (!e || e->doomed)
        return;
    e->doomed = 1;
    c->live[e->sock]--;
    shutdown(fd, SHUT_RDWR); /* libzmq reads EOF and closes it */
}

static void on_event(lede_conns_t *c, int sock, uint16_t event, int fd, int64_t now)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
        event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) {
        c->handshakes_failed[sock]++;
        return;
    }
    if (event != ZMQ_EVENT_ACCEPTED && event != ZMQ_EVENT_DISCONNECTED)
        return;
    struct entry *e = at(c, fd);
    if (!e)
        return;
    if (event == ZMQ_EVENT_DISCONNECTED) {
        if (e->open) {
            if (!e->doomed)
                c->live[e->sock]--;
            e->open = 0;
            e->gen++;
        }
        return;
    }
    if (e->open && !e->doomed) /* a close we never saw */
        c->live[e->sock]--;
    e->gen++;
    e->open = 1;
    if ((size_t)fd >= c->table_hi)
        c->table_hi = (size_t)fd + 1;
    e->doomed = 0;
    e->sock = (uint8_t)sock;
    e->last_ms = e->opened_ms = now;
    e->delivered = e->checked_delivered = 0;
    e->strikes = 0;
    e->id_hash = 0;
    c->live[sock]++;
    size_t cap = c->cfg.max_connections[sock];
    if (cap && c->live[sock] > cap) {
        int v = victim(c, sock, fd, now);
        doom(c, v >= 0 ? v : fd);
        c->refused++;
    }
}

static void read_events(lede_conns_t *c, int64_t now);

/* Whether a monitor has events waiting: one poll(2) on their signal descriptors, which turn
 * readable when an event arrives after read_events found them empty (asking libzmq through
 * ZMQ_EVENTS costs several system calls). */
static int events_waiting(const lede_conns_t *c)
{
    struct pollfd p[2] = {{.fd = c->mon_fd[0], .events = POLLIN},
                          {.fd = c->mon_fd[1], .events = POLLIN}};
    return poll(p, 2, 0) != 0;
}

void lede_conns_events(lede_conns_t *c, int64_t now)
{
    if (c && events_waiting(c))
        read_events(c, now);
}

void lede_conns_events_due(lede_conns_t *c, int64_t now)
{
    if (!c || now == c->events_ms)
        return;
    c->events_ms = now;
    lede_conns_events(c, now);
}

static void read_events(lede_conns_t *c, int64_t now)
{
    for (int i = 0; i < 2; i++) {
        for (;;) {
            int ev = 0;
            size_t n = sizeof ev;
            if (zmq_getsockopt(c->mon[i], ZMQ_EVENTS, &ev, &n) != 0 || !(ev & ZMQ_POLLIN))
                break;
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, c->mon[i], ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            uint16_t event = 0;
            uint32_t value = 0;
            if (zmq_msg_size(&m) >= 6) {
                memcpy(&event, zmq_msg_data(&m), 2);
                memcpy(&value, (const char *)zmq_msg_data(&m) + 2, 4);
            }
            int more = zmq_msg_more(&m);
            zmq_msg_close(&m);
            while (more) { /* the endpoint part */
                zmq_msg_init(&m);
                if (zmq_msg_recv(&m, c->mon[i], 0) < 0) {
                    zmq_msg_close(&m);
                    break;
                }
                more = zmq_msg_more(&m);
                zmq_msg_close(&m);
            }
            on_event(c, i, event, (int)value, now);
        }
    }
}

/* FNV-1a of a routing id, never 0. */
static uint64_t id_hash(const void *id, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ ((const uint8_t *)id)[i]) * 1099511628211ull;
    return h ? h : 1;
}

/* The slot key of a routing id libzmq made on sock, or 0 for any other id. */
static uint64_t made_id_key(int sock, const void *id, size_t id_len)
{
    const uint8_t *p = id;
    if (id_len != 5 || p[0] != 0)
        return 0;
    uint32_t n;
    memcpy(&n, p + 1, 4);
    return (uint64_t)n | ((uint64_t)(sock + 1) << 32);
}

static struct id_slot *id_slot(lede_conns_t *c, uint64_t key)
{
    return &c->ids[(key ^ (key >> 32) * 0x9e37u) & (ID_SLOTS - 1)];
}

/* The message's bytes counted on e (descriptor fd); its connection's token. */
static uint64_t delivered(struct entry *e, int fd, size_t bytes, int64_t now)
{
    e->last_ms = now;
    e->delivered += bytes + MSG_OVERHEAD;
    return ((uint64_t)e->gen << TOKEN_FD_BITS) | (uint64_t)(fd + 1);
}

int lede_conns_id_chosen(int sock, const void *id, size_t id_len)
{
    return made_id_key(sock, id, id_len) == 0;
}

uint64_t lede_conns_known(lede_conns_t *c, int sock, const void *id, size_t id_len, size_t bytes,
                          int64_t now)
{
    uint64_t key = made_id_key(sock, id, id_len);
    if (!key)
        return 0;
    const struct id_slot *s = id_slot(c, key);
    if (s->key != key)
        return 0;
    struct entry *e = at(c, s->fd);
    if (!e || !e->open || e->doomed || e->gen != s->gen)
        return 0;
    return delivered(e, s->fd, bytes, now);
}

uint64_t lede_conns_received(lede_conns_t *c, int sock, int fd, const void *id, size_t id_len,
                             size_t bytes, int64_t now)
{
    struct entry *e = at(c, fd);
    if (!e)
        return 0;
    /* The monitor may not have told us yet that this descriptor's connection closed and a new
     * one took it: then its events first, so the token is the connection's own. A new
     * connection shows itself by another routing id (libzmq gives each peer that sets none a
     * fresh one), so the events are read only then, not for every message (a system call). */
    uint64_t hash = id_hash(id, id_len);
    if (!e->open || e->doomed || (e->id_hash && e->id_hash != hash))
        read_events(c, now);
    if (!e->open)
        return 0;
    if (!e->id_hash)
        e->id_hash = hash;
    uint64_t key = made_id_key(sock, id, id_len);
    if (key && !e->doomed && e->id_hash == hash)
        *id_slot(c, key) = (struct id_slot){.key = key, .gen = e->gen, .fd = fd};
    return delivered(e, fd, bytes, now);
}

static struct entry *by_token(lede_conns_t *c, uint64_t conn, int *stale)
{
    *stale = 0;
    if (!conn)
        return NULL;
    int fd = (int)(conn & ((1u << TOKEN_FD_BITS) - 1)) - 1;
    struct entry *e = at(c, fd);
    if (!e)
        return NULL;
    if (!e->open || e->doomed || e->gen != (uint32_t)(conn >> TOKEN_FD_BITS)) {
        *stale = 1;
        return NULL;
    }
    return e;
}

int lede_conns_admit(lede_conns_t *c, int sock, uint64_t conn, void *data, void **hint)
{
    int stale;
    struct entry *e = by_token(c, conn, &stale);
    if (stale) {
        c->stale_dropped++;
        return 0;
    }
    size_t n = malloc_usable_size(data);
    if (sock == LEDE_BROKER_FRONTEND) {
        size_t total = atomic_load_explicit(c->total_out, memory_order_relaxed);
        size_t mine =
            e ? atomic_load_explicit(&c->held[e - c->table].out, memory_order_relaxed) : 0;
        /* one frame always fits in an empty backlog, whatever its size */
        if ((e && mine > 0 && mine + n > c->cfg.peer_out_bytes) ||
            (total > 0 && total + n > c->cfg.total_out_bytes)) {
            c->backlog_dropped++;
            return 0;
        }
    }
    struct held *h = &c->held[e ? (size_t)(e - c->table) : c->table_n];
    atomic_fetch_add_explicit(&h->out, n, memory_order_relaxed);
    atomic_fetch_add_explicit(c->total_out, n, memory_order_relaxed);
    *hint = h;
    return 1;
}

void lede_conns_unaccount(void *data, void *hint)
{
    struct held *h = hint;
    size_t n = malloc_usable_size(data);
    atomic_fetch_sub_explicit(h->total, n, memory_order_relaxed);
    atomic_fetch_sub_explicit(&h->out, n, memory_order_relaxed);
}

void lede_conns_free_frame(void *data, void *hint)
{
    lede_conns_unaccount(data, hint);
    free(data);
}

void lede_conns_count_unsent(lede_conns_t *c)
{
    c->unsent++;
}

/* Bytes the kernel took in on fd and handed to libzmq: received minus still unread; -1 when
 * the descriptor is no TCP socket (ipc) or gone. */
static int64_t taken_by_libzmq(int fd)
{
    struct tcp_info ti;
    socklen_t n = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &n) != 0 ||
        n < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
        return -1;
    int unread = 0;
    if (ioctl(fd, FIONREAD, &unread) != 0)
        unread = 0;
    return (int64_t)ti.tcpi_bytes_received - unread;
}

void lede_conns_check(lede_conns_t *c, int64_t now)
{
    if (!c)
        return;
    (void)now;
    for (size_t i = 0; i < c->table_hi; i++) {
        struct entry *e = &c->table[i];
        if (!e->open || e->doomed)
            continue;
        int64_t taken = taken_by_libzmq((int)i);
        if (taken < 0)
            continue;
        int64_t pending = taken - (int64_t)e->delivered - (int64_t)HANDSHAKE_SLACK;
        /* a message that grows with nothing delivered for two checks in a row: dropped */
        if (pending > (int64_t)c->cfg.max_pending_bytes && e->delivered == e->checked_delivered) {
            if (++e->strikes >= 2) {
                doom(c, (int)i);
                c->pending_dropped++;
            }
        } else {
            e->strikes = 0;
        }
        e->checked_delivered = e->delivered;
    }
}

uint64_t lede_conns_handshakes_failed(const lede_conns_t *c, int sock)
{
    if (!c)
        return 0;
    return c->handshakes_failed[sock];
}

void lede_conns_stats(const lede_conns_t *c, struct lede_broker_io_stats *io)
{
    memset(io, 0, sizeof *io);
    if (!c)
        return;
    io->connections = c->live[0] + c->live[1];
    io->connections_refused = c->refused;
    io->out_bytes = atomic_load_explicit(c->total_out, memory_order_relaxed);
    io->replies_backlog_dropped = c->backlog_dropped;
    io->replies_stale_connection = c->stale_dropped;
    io->replies_unsent = c->unsent;
    io->connections_unfinished_dropped = c->pending_dropped;
}
