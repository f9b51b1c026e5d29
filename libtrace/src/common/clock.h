/* Monotonic and wall clocks in ns. */
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

#endif /* ATR_COMMON_CLOCK_H */
