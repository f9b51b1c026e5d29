/* The TSC session clock: detection, pair reading, calibration (see tsc.h). */
#include "common/tsc.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#if ATR__HAVE_TSC
#include <cpuid.h>
#endif

/* Why thread-local: the per-thread clamp (tsc.h, atr__tsc_clamp). */
__thread uint64_t atr__tsc_last __attribute__((tls_model("initial-exec")));

/*
 * Why global: the TSC's rate is the machine's, not a session's. A session opened after an
 * earlier one calibrated starts calibrated, instead of reading clock_gettime until its own
 * flusher has a 2 ms window: a process that opens many short sessions (a log per test, a
 * benchmark's runs) would otherwise read clock_gettime for their first ms each. Only real calibrations
 * (atr__tsc_calibrate) write it, never tests' synthetic pairs. 0: none yet.
 */
static _Atomic uint64_t g_rate;

uint64_t atr__tsc_now_slow(void) { return atr__tsc_clamp(atr__clock_monotonic_ns()); }

void atr__tsc_probe_machine(atr__tsc_probe *p) {
    char buf[32];
    ssize_t n = -1;
    int fd;
    p->invariant = 0;
    p->kernel_tsc = 0;
#if ATR__HAVE_TSC
    {
        unsigned a, b, c, d;
        if (__get_cpuid(0x80000007u, &a, &b, &c, &d))
            p->invariant = (int)((d >> 8) & 1u);
    }
#endif
    fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
              O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
    }
    if (n > 0) {
        buf[n] = '\0';
        p->kernel_tsc = strcmp(buf, "tsc\n") == 0 || strcmp(buf, "tsc") == 0;
    }
}

void atr__tsc_start(atr__tsc_clock *k, uint64_t tsc, uint64_t ns) {
    atomic_store_explicit(&k->cur, 0, memory_order_release);
    k->ref_tsc = k->last_tsc = tsc;
    k->ref_ns = k->last_ns = ns;
    k->next_ns = ns + ATR__TSC_FIRST_NS;
}

/* Write generation ++k->gen into its slot, then make it current (seqlock order, tsc.h). */
static void publish(atr__tsc_clock *k, const atr__tsc_cal *c) {
    uint64_t g = ++k->gen;
    atr__tsc_slot *sl = &k->slots[g % ATR__TSC_SLOTS];
    atomic_store_explicit(&sl->gen, 0, memory_order_relaxed);
    atomic_store_explicit(&sl->base_tsc, c->base_tsc, memory_order_release);
    atomic_store_explicit(&sl->base_ns, c->base_ns, memory_order_release);
    atomic_store_explicit(&sl->mult, c->mult, memory_order_release);
    atomic_store_explicit(&sl->end_tsc, c->end_tsc, memory_order_release);
    atomic_store_explicit(&sl->end_ns, c->end_ns, memory_order_release);
    atomic_store_explicit(&sl->rate, c->rate, memory_order_release);
    atomic_store_explicit(&sl->gen, g, memory_order_release);
    atomic_store_explicit(&k->cur, g, memory_order_release);
    k->n_calibrations++;
}

uint64_t atr__tsc_map_at(const atr__tsc_clock *k, uint64_t tsc, int *ok) {
    uint64_t g = atomic_load_explicit(&k->cur, memory_order_acquire);
    atr__tsc_cal c;
    *ok = g != 0;
    if (!g)
        return 0;
    atr__tsc_slot_load(&k->slots[g % ATR__TSC_SLOTS], &c);
    return atr__tsc_cal_map(&c, tsc);
}

void atr__tsc_seed(atr__tsc_clock *k, uint64_t tsc, uint64_t ns, uint64_t rate) {
    atr__tsc_cal c;
    c.base_tsc = c.end_tsc = tsc;
    c.base_ns = c.end_ns = ns;
    c.mult = c.rate = rate;
    publish(k, &c);
}

void atr__tsc_begin(atr__tsc_clock *k) {
    uint64_t tsc, ns, rate = atomic_load_explicit(&g_rate, memory_order_relaxed);
    atr__tsc_pair(&tsc, &ns);
    atr__tsc_start(k, tsc, ns);
    if (rate)
        atr__tsc_seed(k, tsc, ns, rate);
}

/* Rates outside 1/1024 .. 1024 ns per tick (a 1 THz .. 1 MHz counter) are not a TSC's. */
#define RATE_MIN ((uint64_t)1 << (ATR__TSC_SHIFT - 10))
#define RATE_MAX ((uint64_t)1 << (ATR__TSC_SHIFT + 10))

static int restart(atr__tsc_clock *k, uint64_t tsc, uint64_t ns) {
    atr__tsc_start(k, tsc, ns);
    k->n_restarts++;
    return ATR__TSC_RESTARTED;
}

int atr__tsc_update(atr__tsc_clock *k, uint64_t tsc, uint64_t ns) {
    unsigned __int128 rate;
    uint64_t window, interval;
    atr__tsc_cal c;
    int calibrated;
    if (ns < k->next_ns)
        return ATR__TSC_WAIT;
    if (tsc <= k->ref_tsc || ns <= k->ref_ns)
        return restart(k, tsc, ns);
    window = ns - k->ref_ns;
    rate = ((unsigned __int128)window << ATR__TSC_SHIFT) / (tsc - k->ref_tsc);
    if (rate < RATE_MIN || rate > RATE_MAX)
        return restart(k, tsc, ns);
    interval = window < ATR__TSC_INTERVAL_NS ? window : ATR__TSC_INTERVAL_NS;
    c.base_tsc = tsc;
    c.base_ns = atr__tsc_map_at(k, tsc, &calibrated);
    c.rate = k->rate = (uint64_t)rate;
    if (!calibrated) {
        c.base_ns = ns; /* the first: at the pair itself, one segment */
        c.mult = c.rate;
        c.end_tsc = c.base_tsc;
        c.end_ns = c.base_ns;
    } else {
        /* err > 0: the mapping is behind CLOCK_MONOTONIC. Slew it away over `interval`. */
        int64_t err = (int64_t)(ns - c.base_ns);
        __int128 corr, cap = (__int128)(rate / (1000000u / ATR__TSC_SLEW_PPM));
        if (err > (int64_t)ATR__TSC_STEP_NS || err < -(int64_t)ATR__TSC_STEP_NS)
            return restart(k, tsc, ns);
        corr = (__int128)rate * err / (__int128)interval;
        corr = corr > cap ? cap : corr < -cap ? -cap : corr;
        c.mult = (uint64_t)((__int128)rate + corr);
        c.end_tsc = tsc + (uint64_t)(((unsigned __int128)interval << ATR__TSC_SHIFT) / rate);
        c.end_ns = atr__tsc_map(c.base_tsc, c.base_ns, c.mult, c.end_tsc);
    }
    publish(k, &c);
    k->next_ns = ns + interval;
    if (window >= 2 * (uint64_t)ATR__TSC_INTERVAL_NS) { /* the window slides: ~2 intervals */
        k->ref_tsc = k->last_tsc;
        k->ref_ns = k->last_ns;
    }
    k->last_tsc = tsc;
    k->last_ns = ns;
    return ATR__TSC_CALIBRATED;
}

static inline uint64_t rdtsc_ordered(void) {
#if ATR__HAVE_TSC
    _mm_lfence(); /* not before the instructions above it (the clock read) are done */
#endif
    return atr__rdtsc();
}

void atr__tsc_pair(uint64_t *tsc, uint64_t *ns) {
    uint64_t best = UINT64_MAX;
    int i;
    for (i = 0; i < ATR__TSC_TRIES; i++) {
        uint64_t t0 = rdtsc_ordered(), n = atr__clock_monotonic_ns(), t1 = rdtsc_ordered();
        if (i == 0 || t1 - t0 < best) { /* t1 < t0 (moved to another CPU): a huge gap */
            best = t1 - t0;
            *tsc = t0 + (t1 - t0) / 2;
            *ns = n;
        }
    }
}

int atr__tsc_calibrate(atr__tsc_clock *k) {
    uint64_t tsc, ns;
    int rc;
    if (atr__clock_monotonic_ns() < k->next_ns)
        return ATR__TSC_WAIT;
    atr__tsc_pair(&tsc, &ns);
    rc = atr__tsc_update(k, tsc, ns);
    if (rc == ATR__TSC_CALIBRATED)
        atomic_store_explicit(&g_rate, k->rate, memory_order_relaxed);
    return rc;
}
