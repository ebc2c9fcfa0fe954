/* load_sched.c: the open loop's schedule (see load_sched.h). */
#include "load_sched.h"

#include <math.h>

int lede_load_sched_init(struct lede_load_sched *s, double rate, uint64_t start_ns)
{
    if (!s || !isfinite(rate) || !(rate > 0) || rate > 1e9)
        return -1;
    s->start_ns = start_ns;
    s->rate = rate;
    s->next = 0;
    return 0;
}

uint64_t lede_load_sched_intended(const struct lede_load_sched *s, uint64_t i)
{
    /* long double keeps i * 1e9 exact far beyond any run's length */
    long double off = (long double)i * 1e9L / (long double)s->rate;
    return s->start_ns + (uint64_t)llroundl(off);
}

uint64_t lede_load_sched_due(const struct lede_load_sched *s, uint64_t now_ns, uint64_t limit)
{
    if (now_ns < s->start_ns)
        return 0;
    /* calls 0..k are due where intended(k) <= now: k = floor((now-start) * rate / 1e9) */
    long double k = floorl((long double)(now_ns - s->start_ns) * (long double)s->rate / 1e9L);
    uint64_t due_total = (uint64_t)k + 1;
    /* rounding guard: make it agree with lede_load_sched_intended exactly */
    while (due_total > 0 && lede_load_sched_intended(s, due_total - 1) > now_ns)
        due_total--;
    while (lede_load_sched_intended(s, due_total) <= now_ns)
        due_total++;
    if (due_total <= s->next)
        return 0;
    uint64_t n = due_total - s->next;
    return n < limit ? n : limit;
}

uint64_t lede_load_sched_take(struct lede_load_sched *s)
{
    return lede_load_sched_intended(s, s->next++);
}

uint64_t lede_load_sched_wait_ns(const struct lede_load_sched *s, uint64_t now_ns)
{
    uint64_t t = lede_load_sched_intended(s, s->next);
    return t > now_ns ? t - now_ns : 0;
}

uint64_t lede_load_latency_us(uint64_t intended_ns, uint64_t done_ns)
{
    if (done_ns <= intended_ns)
        return 0;
    return (done_ns - intended_ns + 999) / 1000;
}
