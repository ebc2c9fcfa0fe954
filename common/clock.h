/* clock.h: the one place lede's processes and tools read a clock (the engine never does):
 * monotonic time for deadlines and durations, real time for timestamps. */
#ifndef LEDE_CLOCK_H
#define LEDE_CLOCK_H

#include <stdint.h>

/* Monotonic time (CLOCK_MONOTONIC) since an arbitrary start, in ns, us, ms and seconds. */
uint64_t lede_clock_mono_ns(void);
uint64_t lede_clock_mono_us(void);
int64_t lede_clock_mono_ms(void);
double lede_clock_mono_s(void);

/* Real time (CLOCK_REALTIME): milliseconds and seconds since the Unix epoch. */
int64_t lede_clock_real_ms(void);
double lede_clock_real_s(void);

#endif
