/* Monotonic and wall clocks in ns; deadlines for timed waits. */
#ifndef ATR_COMMON_CLOCK_H
#define ATR_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t atr__clock_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t atr__clock_wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* *ts = CLOCK_MONOTONIC now + ms (for timed waits on condition variables set to it). */
static inline void atr__deadline_after_ms(struct timespec *ts, uint32_t ms) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

#endif /* ATR_COMMON_CLOCK_H */
