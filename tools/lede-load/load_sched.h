/* load_sched.h: the arithmetic of lede-load's open loop. Call i is due at start + i / rate
 * (computed from i, never by adding periods, so there is no drift), and its latency is
 * measured from that intended time, not from when it was actually sent: a stall in the
 * service or in lede-load itself shows up as latency instead of being hidden (no
 * coordinated omission). Pure functions of their arguments; times in nanoseconds. */
#ifndef LEDE_LOAD_SCHED_H
#define LEDE_LOAD_SCHED_H

#include <stdint.h>

struct lede_load_sched {
    uint64_t start_ns; /* when call 0 is due */
    double rate;       /* calls per second, > 0 */
    uint64_t next;     /* the index of the next call to send */
};

/* Starts a schedule at start_ns. Returns 0, or -1 when rate is not a positive finite number
 * or is above 1e9 calls/s. */
int lede_load_sched_init(struct lede_load_sched *s, double rate, uint64_t start_ns);

/* When call i is due. */
uint64_t lede_load_sched_intended(const struct lede_load_sched *s, uint64_t i);

/* How many calls are due by now_ns and not yet taken (calls next .. next+n-1), capped at
 * limit. Does not take them. */
uint64_t lede_load_sched_due(const struct lede_load_sched *s, uint64_t now_ns, uint64_t limit);

/* Takes the next call: returns its intended time and advances next. */
uint64_t lede_load_sched_take(struct lede_load_sched *s);

/* Nanoseconds from now_ns until the next call is due (0 when it is already due). */
uint64_t lede_load_sched_wait_ns(const struct lede_load_sched *s, uint64_t now_ns);

/* A call's latency in microseconds from its intended time to done_ns (0 if done_ns is
 * earlier, which a correct caller never sees), rounded up so that no call measures 0 us
 * unless it completed at its intended time. */
uint64_t lede_load_latency_us(uint64_t intended_ns, uint64_t done_ns);

#endif
