/*
 * filter_probe.c — the out-of-line part of filter_probe.h: sampled in-place timing of filter
 * tracing's own work.
 */
#include "filter_probe.h"

#include <time.h>

atr__probe atr__g_probe = {ATR__PROBE_EVERY, 0, 0, 0};

static uint64_t probe_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

ATR__NOINLINE uint64_t atr__probe_begin(void) {
    atr__g_probe.left = ATR__PROBE_EVERY;
    uint64_t t = probe_now();
    return t ? t : 1;
}

ATR__NOINLINE void atr__probe_end(uint64_t t0) {
    uint64_t t = probe_now(), d = t > t0 ? t - t0 : 0;
    if (d > ATR__PROBE_MAX_NS) {
        atr__g_probe.dropped++;
        return;
    }
    atr__g_probe.sum_ns += d;
    if (++atr__g_probe.events >= ATR__PROBE_MAX_EVENTS) {
        atr__g_probe.sum_ns /= 2;
        atr__g_probe.events /= 2;
    }
}

void atr__probe_take(uint64_t *sum_ns, uint64_t *events) {
    *sum_ns = atr__g_probe.sum_ns;
    *events = atr__g_probe.events;
    atr__g_probe.sum_ns = 0;
    atr__g_probe.events = 0;
}

void atr__probe_add(uint64_t sum_ns, uint64_t events) {
    atr__g_probe.sum_ns += sum_ns;
    atr__g_probe.events += events;
}

uint64_t atr__probe_mean_ps(uint64_t sum_ns, uint64_t events) {
    if (!events) {
        return 0;
    }
    uint64_t ps = sum_ns * 1000u / events;
    return ps < UINT32_MAX ? ps : UINT32_MAX;
}
