/* clock.c: monotonic and real-time clock readings (see clock.h). */
#include "clock.h"

#include <time.h>

static struct timespec now(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return ts;
}

uint64_t lede_clock_mono_ns(void)
{
    struct timespec ts = now(CLOCK_MONOTONIC);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lede_clock_mono_us(void)
{
    return lede_clock_mono_ns() / 1000u;
}

int64_t lede_clock_mono_ms(void)
{
    return (int64_t)(lede_clock_mono_ns() / 1000000u);
}

double lede_clock_mono_s(void)
{
    return (double)lede_clock_mono_ns() * 1e-9;
}

int64_t lede_clock_real_ms(void)
{
    struct timespec ts = now(CLOCK_REALTIME);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double lede_clock_real_s(void)
{
    struct timespec ts = now(CLOCK_REALTIME);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
