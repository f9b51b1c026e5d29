/*
 * The session clock (common/tsc.h, atr__clock_select in session.c).
 *
 * Exact, without real time: the TSC mapping (128-bit products, ticks before the base, deltas
 * of weeks), calibration driven with synthetic (tsc, ns) pairs (schedule, continuity at every
 * switch, the slope and its slew, restarts, slot reuse), monotonic readings across
 * recalibrations and across a reader racing a switch (the per-thread clamp), and the choice
 * of clock from config, ARGTRACE_CLOCK and an injected machine probe.
 *
 * With real time, generous bounds only: on a machine whose sessions use the TSC, readings by
 * two threads during ~200 ms of recalibration every millisecond stay within 1 ms of
 * clock_gettime and never decrease on a thread; spans recorded through it read back in order;
 * a forked child keeps a working clock. Elsewhere those cases say they were skipped.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>

#include "argtrace/atr.h"
#include "atr_test.h"
#include "common/clock.h"
#include "writer/writer_internal.h"

static char g_path[512];

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

#define MS 1000000u
#define SHIFT ATR__TSC_SHIFT

/* ---- the mapping ------------------------------------------------------------------------ */

static void test_map(void) {
    const uint64_t half = (uint64_t)1 << (SHIFT - 1); /* 0.5 ns per tick */
    const uint64_t three_quarters = (uint64_t)3 << (SHIFT - 2);
    ATR_CHECK_EQ_U64(atr__tsc_map(1000, 5000, half, 1000), 5000);
    ATR_CHECK_EQ_U64(atr__tsc_map(1000, 5000, half, 1010), 5005);
    ATR_CHECK_EQ_U64(atr__tsc_map(1000, 5000, half, 1011), 5005); /* floor */
    ATR_CHECK_EQ_U64(atr__tsc_map(1000, 5000, half, 990), 4995);  /* before the base */
    ATR_CHECK_EQ_U64(atr__tsc_map(1000, 5000, half, 989), 4995);
    /* 2^50 ticks (~13 days at 1 GHz): the product needs 98 bits. */
    ATR_CHECK_EQ_U64(atr__tsc_map(7, 11, three_quarters, 7 + ((uint64_t)1 << 50)),
                     11 + ((uint64_t)3 << 48));
    ATR_CHECK_EQ_U64(atr__tsc_map((uint64_t)1 << 50, (uint64_t)1 << 60, three_quarters, 0),
                     ((uint64_t)1 << 60) - ((uint64_t)3 << 48));
    /* Nearly the whole counter range at 0.25 ns per tick. */
    ATR_CHECK_EQ_U64(atr__tsc_map(0, 0, (uint64_t)1 << (SHIFT - 2), UINT64_MAX),
                     ((uint64_t)1 << 62) - 1);
}

/* ---- calibration with synthetic pairs --------------------------------------------------- */

/* A 3 GHz TSC: the exact tick count at `ns` since (tsc0, ns0). */
#define TSC0 1000000000000ull
#define NS0 5000000000ull
static uint64_t ticks_at(uint64_t ns) { return TSC0 + (ns - NS0) * 3; }

static uint64_t map_now(const atr__tsc_clock *k, uint64_t tsc) {
    int ok;
    uint64_t t = atr__tsc_map_at(k, tsc, &ok);
    return ok ? t : 0;
}

static uint64_t cur_mult(const atr__tsc_clock *k) {
    uint64_t g = atomic_load(&k->cur);
    return atomic_load(&k->slots[g % ATR__TSC_SLOTS].mult);
}

static uint64_t abs_diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

static void test_schedule(void) {
    static atr__tsc_clock k; /* 2 KiB: not on the stack */
    const uint64_t third = (uint64_t)((((unsigned __int128)1) << SHIFT) / 3);
    uint64_t ns, t, before, g, rate, end;
    int ok;
    memset(&k, 0, sizeof k);
    atr__tsc_start(&k, TSC0, NS0);
    atr__tsc_map_at(&k, TSC0, &ok);
    ATR_CHECK(!ok);
    ns = NS0 + ATR__TSC_FIRST_NS - 1;
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns), ATR__TSC_WAIT);
    ATR_CHECK_EQ_INT(atomic_load(&k.cur), 0);

    /* The first calibration, 25 ms in: based at the pair itself, rate = 1/3 ns per tick. */
    ns = NS0 + 25 * MS;
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns), ATR__TSC_CALIBRATED);
    ATR_CHECK_EQ_U64(atomic_load(&k.cur), 1);
    ATR_CHECK_EQ_U64(map_now(&k, ticks_at(ns)), ns);
    ATR_CHECK_EQ_U64(cur_mult(&k), third);
    ATR_CHECK(abs_diff(map_now(&k, ticks_at(ns + 7 * MS)), ns + 7 * MS) <= 1);
    ATR_CHECK_EQ_U64(k.next_ns, ns + 25 * MS); /* the window doubles */
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns + 24 * MS), ns + 24 * MS), ATR__TSC_WAIT);

    /* 50 ms in, the pair reads 400 ns ahead of the ticks: continuous at the new base; the
       rate is measured over the 50 ms window and the error slewed away over the next 50 ms. */
    ns = NS0 + 50 * MS;
    before = map_now(&k, ticks_at(ns));
    ATR_CHECK(abs_diff(before, ns) <= 1);
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns + 400), ATR__TSC_CALIBRATED);
    ATR_CHECK_EQ_U64(map_now(&k, ticks_at(ns)), before);
    rate = (uint64_t)(((unsigned __int128)(50 * MS + 400) << SHIFT) / (ticks_at(ns) - TSC0));
    ATR_CHECK_EQ_U64(cur_mult(&k),
                     (uint64_t)((__int128)rate + (__int128)rate * (int64_t)(ns + 400 - before) /
                                                     (__int128)(50 * MS + 400)));
    ATR_CHECK_EQ_U64(k.next_ns, ns + 400 + 50 * MS + 400);
    /* If the ticks were right, the pair's 400 ns counted twice (rate and offset): 2e at most. */
    t = map_now(&k, ticks_at(ns + 50 * MS));
    ATR_CHECK(t > ns + 50 * MS + 400 && t <= ns + 50 * MS + 2 * 400 + 1);
    /* Past the interval (second segment): the measured rate, without the correction. */
    end = atomic_load(&k.slots[atomic_load(&k.cur) % ATR__TSC_SLOTS].end_tsc);
    ATR_CHECK(abs_diff(end, ticks_at(ns + 50 * MS)) < 3);
    ATR_CHECK_EQ_U64(map_now(&k, end + (1u << 30)) - map_now(&k, end),
                     (uint64_t)(((unsigned __int128)rate << 30) >> SHIFT));
    {
        const atr__tsc_slot *sl = &k.slots[atomic_load(&k.cur) % ATR__TSC_SLOTS];
        ATR_CHECK_EQ_U64(atomic_load(&sl->end_ns), /* continuous at the end */
                         atr__tsc_map(atomic_load(&sl->base_tsc), atomic_load(&sl->base_ns),
                                      atomic_load(&sl->mult), end));
    }

    /* Past a 1 s window, calibrations are 1 s apart. */
    ns = NS0 + 3000 * MS;
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns), ATR__TSC_CALIBRATED);
    ATR_CHECK_EQ_U64(k.next_ns, ns + 1000 * MS);

    /* A reading weeks later (a stalled calibrator) maps without overflow, at the rate. */
    t = map_now(&k, ticks_at(ns + 30ull * 86400 * 1000 * MS));
    ATR_CHECK(abs_diff(t, ns + 30ull * 86400 * 1000 * MS) < 100000); /* < 0.1 ms in 30 d */

    /* More than 1 ms off: start over (clock_gettime, a new first window). */
    ns += 1000 * MS;
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns + 2 * MS), ATR__TSC_RESTARTED);
    ATR_CHECK_EQ_INT(atomic_load(&k.cur), 0);
    ATR_CHECK_EQ_U64(k.ref_ns, ns + 2 * MS);
    t = ATR__TSC_FIRST_NS;
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns + t - 1), ns + 2 * MS + t - 1), ATR__TSC_WAIT);
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns + t), ns + 2 * MS + t), ATR__TSC_CALIBRATED);
    ATR_CHECK_EQ_U64(map_now(&k, ticks_at(ns + t)), ns + 2 * MS + t);
    g = atomic_load(&k.cur);
    ATR_CHECK_EQ_U64(g, 4); /* generations go on counting */

    /* A TSC that went backwards, and a rate no TSC has: start over. */
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, k.ref_tsc - 1, k.next_ns), ATR__TSC_RESTARTED);
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, k.ref_tsc + 10, k.next_ns), ATR__TSC_RESTARTED);
    ATR_CHECK_EQ_INT(k.n_restarts, 3);
}

/* A seeded start: calibrated at once with a known rate, continued by the first update. */
static void test_seed(void) {
    static atr__tsc_clock k;
    const uint64_t rate = (uint64_t)((((unsigned __int128)1) << SHIFT) / 3);
    uint64_t ns = NS0 + 30 * MS, before;
    memset(&k, 0, sizeof k);
    atr__tsc_start(&k, TSC0, NS0);
    atr__tsc_seed(&k, TSC0, NS0, rate);
    ATR_CHECK_EQ_U64(atomic_load(&k.cur), 1);
    ATR_CHECK_EQ_U64(map_now(&k, TSC0), NS0);
    ATR_CHECK(abs_diff(map_now(&k, ticks_at(NS0 + 10 * MS)), NS0 + 10 * MS) <= 1);
    ATR_CHECK(abs_diff(map_now(&k, TSC0 - 3000), NS0 - 1000) <= 1);
    /* The first update continues the seeded line (no step) and corrects towards the pair. */
    before = map_now(&k, ticks_at(ns));
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns + 300), ATR__TSC_CALIBRATED);
    ATR_CHECK_EQ_U64(map_now(&k, ticks_at(ns)), before);
    ATR_CHECK(cur_mult(&k) > k.rate);
    ATR_CHECK_EQ_U64(k.n_calibrations, 2);
}

static void test_slew_cap(void) {
    static atr__tsc_clock k;
    uint64_t ns = NS0 + 20 * MS, rate;
    memset(&k, 0, sizeof k);
    atr__tsc_start(&k, TSC0, NS0);
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns), ATR__TSC_CALIBRATED);
    /* 900 us behind after 40 ms: 900 us / 40 ms is far past 1000 ppm, so the cap holds. */
    ns = NS0 + 40 * MS;
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns + 900000), ATR__TSC_CALIBRATED);
    rate = (uint64_t)(((unsigned __int128)(40 * MS + 900000) << SHIFT) / (ticks_at(ns) - TSC0));
    ATR_CHECK_EQ_U64(cur_mult(&k), rate + rate / 1000);
    /* Ahead instead: slowed down by at most as much. */
    ns = NS0 + 90 * MS;
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), map_now(&k, ticks_at(ns)) - 950000),
                     ATR__TSC_CALIBRATED);
    ATR_CHECK(cur_mult(&k) < rate);
}

/* Deterministic pseudo-random numbers (xorshift). */
static uint64_t next_rand(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/*
 * 30 s of calibrations every 10 ms (due ones only) against a TSC whose rate relative to
 * CLOCK_MONOTONIC wanders by +-50 ppm over a minute (NTP, a drifting crystal), with pairs
 * read up to +-200 ns off. A reader that uses each calibration from its base to the next
 * one's base sees no step and no decrease; the mapping stays near the true clock.
 */
static void test_recalibration_sweep(void) {
    static atr__tsc_clock k;
    uint64_t seed = 0x9e3779b97f4a7c15ull, tsc = TSC0, ns = NS0, last = 0;
    uint64_t worst = 0, steps_bad = 0, decreases = 0, n_cal = 0, restarts = 0;
    double exact = (double)NS0;
    int i, j;
    memset(&k, 0, sizeof k);
    atr__tsc_start(&k, tsc, ns);
    for (i = 0; i < 3000; i++) {
        const uint64_t dticks = 30000000u; /* 10 ms at 3 GHz */
        double ppm = 50.0 * sin(2.0 * 3.14159265358979 * (double)i / 6000.0);
        uint64_t prev_tsc = tsc, noise, before;
        int rc;
        tsc += dticks;
        exact += 10.0 * MS * (1.0 + ppm * 1e-6);
        ns = (uint64_t)exact;
        /* A reader between the pairs, with whatever calibration is current. */
        for (j = 1; j <= 8 && atomic_load(&k.cur); j++) {
            uint64_t t = map_now(&k, prev_tsc + dticks * (uint64_t)j / 8);
            decreases += t < last;
            last = t;
        }
        noise = next_rand(&seed) % 401; /* 0 .. 400: -200 .. +200 ns */
        before = atomic_load(&k.cur) ? map_now(&k, tsc) : 0;
        rc = atr__tsc_update(&k, tsc, ns + noise - 200);
        restarts += rc == ATR__TSC_RESTARTED;
        if (rc == ATR__TSC_CALIBRATED) {
            uint64_t after = map_now(&k, tsc);
            steps_bad += n_cal > 0 && after != before; /* continuous at the switch */
            n_cal++;
            if (n_cal > 1 && abs_diff(before, ns) > worst)
                worst = abs_diff(before, ns); /* the error an interval built up */
        }
    }
    ATR_CHECK_EQ_U64(steps_bad, 0);
    ATR_CHECK_EQ_U64(decreases, 0);
    ATR_CHECK_EQ_U64(restarts, 0);
    ATR_CHECK(n_cal > 30);
    if (!ATR_CHECK(worst < 20000)) /* within 20 us of the true clock at every calibration */
        fprintf(stderr, "  worst distance from the true clock: %llu ns\n",
                (unsigned long long)worst);
    ATR_CHECK(k.ref_ns > NS0 + 25000 * MS); /* the window slid */
}

/* A calibration rewritten into a reused slot is told apart from the one a reader expected. */
static void test_slot_reuse(void) {
    static atr__tsc_clock k;
    uint64_t ns = NS0, g_old, i;
    memset(&k, 0, sizeof k);
    atr__tsc_start(&k, TSC0, NS0);
    ns += 20 * MS;
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns), ATR__TSC_CALIBRATED);
    g_old = atomic_load(&k.cur);
    ATR_CHECK_EQ_U64(atomic_load(&k.slots[g_old % ATR__TSC_SLOTS].gen), g_old);
    for (i = 0; i < ATR__TSC_SLOTS; i++) {
        ns = k.next_ns;
        ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(ns), ns), ATR__TSC_CALIBRATED);
    }
    ATR_CHECK_EQ_U64(atomic_load(&k.cur), g_old + ATR__TSC_SLOTS);
    ATR_CHECK(atomic_load(&k.slots[g_old % ATR__TSC_SLOTS].gen) != g_old);
}

/*
 * The seqlock under load: one thread publishes calibrations as fast as it can (every slot
 * reused over and over) while two threads read them as the hot path does. Every snapshot a
 * reader accepts must be one whole calibration: its second segment starts where its first
 * one is at end_tsc, which a mix of two calibrations' fields would not satisfy.
 */
typedef struct snap_stats {
    atr__tsc_clock *k;
    _Atomic int *stop;
    _Atomic uint64_t accepted; /* read by the publisher: it goes on until both read some */
    uint64_t rejected, torn;
} snap_stats;

static void *snapshot_reader(void *arg) {
    snap_stats *st = arg;
    while (!atomic_load_explicit(st->stop, memory_order_relaxed)) {
        uint64_t g = atomic_load_explicit(&st->k->cur, memory_order_acquire);
        const atr__tsc_slot *sl = &st->k->slots[g % ATR__TSC_SLOTS];
        atr__tsc_cal c;
        atr__tsc_slot_load(sl, &c);
        if (g == 0 || atomic_load_explicit(&sl->gen, memory_order_relaxed) != g) {
            st->rejected++;
            continue;
        }
        atomic_fetch_add_explicit(&st->accepted, 1, memory_order_relaxed);
        st->torn += c.end_tsc < c.base_tsc ||
                    c.end_ns != atr__tsc_map(c.base_tsc, c.base_ns, c.mult, c.end_tsc);
    }
    return NULL;
}

static void test_concurrent_publish(void) {
    static atr__tsc_clock k;
    _Atomic int stop = 0;
    snap_stats st[2];
    pthread_t th[2];
    uint64_t seed = 12345, i, n = UNDER_TSAN ? 20000 : 200000, failed = 0, t_end;
    int j;
    memset(&k, 0, sizeof k);
    atr__tsc_start(&k, TSC0, NS0);
    ATR_CHECK_EQ_INT(atr__tsc_update(&k, ticks_at(NS0 + 20 * MS), NS0 + 20 * MS),
                     ATR__TSC_CALIBRATED);
    for (j = 0; j < 2; j++) {
        memset(&st[j], 0, sizeof st[j]);
        st[j].k = &k;
        st[j].stop = &stop;
        ATR_REQUIRE(pthread_create(&th[j], NULL, snapshot_reader, &st[j]) == 0);
    }
    /* n calibrations, and more until both readers accepted some (at most ~10 s: a loaded
       machine may start them late). Pairs up to 500 ns off: every calibration differs. */
    t_end = atr__clock_monotonic_ns() + 10000 * MS;
    for (i = 0;
         i < n || ((atomic_load(&st[0].accepted) < 100 || atomic_load(&st[1].accepted) < 100) &&
                   atr__clock_monotonic_ns() < t_end);
         i++) {
        uint64_t ns = k.next_ns + 500;
        failed += atr__tsc_update(&k, ticks_at(ns), ns + next_rand(&seed) % 1001 - 500) !=
                  ATR__TSC_CALIBRATED;
    }
    atomic_store(&stop, 1);
    for (j = 0; j < 2; j++) {
        pthread_join(th[j], NULL);
        ATR_CHECK(atomic_load(&st[j].accepted) >= 100);
        ATR_CHECK_EQ_U64(st[j].torn, 0);
    }
    ATR_CHECK_EQ_U64(failed, 0);
    ATR_CHECK_EQ_U64(k.gen, i + 1);
    fprintf(stderr,
            "concurrent publishing: %llu calibrations; readers accepted %llu + %llu, "
            "rejected %llu + %llu snapshots\n",
            (unsigned long long)i, (unsigned long long)atomic_load(&st[0].accepted),
            (unsigned long long)atomic_load(&st[1].accepted), (unsigned long long)st[0].rejected,
            (unsigned long long)st[1].rejected);
}

/* ---- the per-thread clamp ------------------------------------------------------------- */

static void test_clamp(void) {
    const uint64_t fast = (uint64_t)1 << (SHIFT - 1), slow = fast - (fast >> 10);
    uint64_t a, b, base_tsc = 1000000, base_ns;
    atr__tsc_last = 0;
    ATR_CHECK_EQ_U64(atr__tsc_clamp(5000000), 5000000);
    ATR_CHECK_EQ_U64(atr__tsc_clamp(4999990), 5000000); /* a small step back: held */
    ATR_CHECK_EQ_U64(atr__tsc_clamp(5000010), 5000010);
    ATR_CHECK_EQ_U64(atr__tsc_clamp(5000010 - 2 * MS), 5000010 - 2 * MS); /* a restart */
    ATR_CHECK_EQ_U64(atr__tsc_clamp(5000010), 5000010);
    /* A reader still on the old (steeper) calibration 100,000 ticks past the new base, then
       on the new one a tick later: the raw new value is smaller, the clamped one is not. */
    base_ns = atr__tsc_map(0, 10 * MS, fast, base_tsc);
    atr__tsc_last = 0;
    a = atr__tsc_clamp(atr__tsc_map(0, 10 * MS, fast, base_tsc + 100000));
    b = atr__tsc_map(base_tsc, base_ns, slow, base_tsc + 100001);
    ATR_CHECK(b < a);
    ATR_CHECK_EQ_U64(atr__tsc_clamp(b), a);
}

/* ---- choosing the clock ----------------------------------------------------------------- */

static void test_select(void) {
    static const struct {
        int source;
        const char *env;
        int invariant, kernel_tsc, want;
    } cases[] = {
        {ATR_CLOCK_AUTO, NULL, 1, 1, ATR_CLOCK_TSC},
        {ATR_CLOCK_AUTO, "", 1, 1, ATR_CLOCK_TSC},
        {ATR_CLOCK_AUTO, NULL, 1, 0, ATR_CLOCK_MONOTONIC}, /* kvm-clock, hpet... */
        {ATR_CLOCK_AUTO, NULL, 0, 1, ATR_CLOCK_MONOTONIC}, /* no invariant TSC */
        {ATR_CLOCK_AUTO, NULL, 0, 0, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_MONOTONIC, NULL, 1, 1, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_TSC, NULL, 1, 0, ATR_CLOCK_TSC},
        {ATR_CLOCK_TSC, NULL, 0, 1, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_AUTO, "monotonic", 1, 1, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_TSC, "monotonic", 1, 1, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_MONOTONIC, "auto", 1, 1, ATR_CLOCK_TSC},
        {ATR_CLOCK_MONOTONIC, "auto", 1, 0, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_AUTO, "tsc", 1, 0, ATR_CLOCK_TSC},
        {ATR_CLOCK_AUTO, "tsc", 0, 0, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_TSC, "", 1, 0, ATR_CLOCK_TSC},
        /* Values it does not know: the clock that is always right. */
        {ATR_CLOCK_AUTO, "TSC", 1, 1, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_TSC, "rdtsc", 1, 1, ATR_CLOCK_MONOTONIC},
        {ATR_CLOCK_AUTO, "auto ", 1, 1, ATR_CLOCK_MONOTONIC},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        atr__tsc_probe p;
        p.invariant = cases[i].invariant;
        p.kernel_tsc = cases[i].kernel_tsc;
        if (!ATR_CHECK_EQ_INT(atr__clock_select(cases[i].source, cases[i].env, &p), cases[i].want))
            fprintf(stderr, "  case %zu\n", i);
    }
}

static uint64_t fixed_clock(void *ctx) { return *(uint64_t *)ctx; }

/* What atr_session_open chose, for a config and ARGTRACE_CLOCK (NULL: unset). */
static int opened_source(atr_writer_config *cfg, const char *env, int *rc) {
    atr_session *s = NULL;
    int src;
    if (env)
        setenv("ARGTRACE_CLOCK", env, 1);
    else
        unsetenv("ARGTRACE_CLOCK");
    cfg->path = g_path;
    if ((*rc = atr_session_open(cfg, &s)) != 0)
        return -1;
    src = atr_session_clock_source(s);
    atr_session_close(s);
    return src;
}

static void test_session_choice(void) {
    atr_writer_config cfg;
    atr__tsc_probe probe;
    atr_session *s = NULL;
    uint64_t fixed = 123456789;
    int machine, rc;
    atr__tsc_probe_machine(&probe);
    machine = atr__clock_select(ATR_CLOCK_AUTO, NULL, &probe);
    fprintf(stderr, "this machine: invariant TSC %d, clocksource tsc %d: sessions use %s\n",
            probe.invariant, probe.kernel_tsc,
            machine == ATR_CLOCK_TSC ? "the TSC" : "clock_gettime");

    atr_writer_config_init(&cfg);
    ATR_CHECK_EQ_INT(cfg.clock_source, ATR_CLOCK_AUTO);
    ATR_CHECK_EQ_INT(opened_source(&cfg, NULL, &rc), machine);
    ATR_CHECK_EQ_INT(opened_source(&cfg, "monotonic", &rc), ATR_CLOCK_MONOTONIC);
    ATR_CHECK_EQ_INT(opened_source(&cfg, "bogus", &rc), ATR_CLOCK_MONOTONIC);
    ATR_CHECK_EQ_INT(opened_source(&cfg, "", &rc), machine);
    ATR_CHECK_EQ_INT(opened_source(&cfg, "auto", &rc), machine);
    cfg.clock_source = ATR_CLOCK_MONOTONIC;
    ATR_CHECK_EQ_INT(opened_source(&cfg, NULL, &rc), ATR_CLOCK_MONOTONIC);
    ATR_CHECK_EQ_INT(opened_source(&cfg, "auto", &rc), machine);
    cfg.clock_source = ATR_CLOCK_TSC;
    ATR_CHECK_EQ_INT(opened_source(&cfg, NULL, &rc),
                     probe.invariant ? ATR_CLOCK_TSC : ATR_CLOCK_MONOTONIC);

    /* An injected clock wins over the config and the environment. */
    cfg.clock = fixed_clock;
    cfg.clock_ctx = &fixed;
    ATR_CHECK_EQ_INT(opened_source(&cfg, "tsc", &rc), ATR_CLOCK_INJECTED);
    setenv("ARGTRACE_CLOCK", "tsc", 1);
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    ATR_CHECK_EQ_U64(atr_session_now(s), 123456789);
    ATR_CHECK_EQ_INT(atr_session_clock_calibrated(s), 0); /* never the TSC */
    atr_session_close(s);
    unsetenv("ARGTRACE_CLOCK");

    /* A bad clock_source is a bad config; a config from before the field gets AUTO. */
    atr_writer_config_init(&cfg);
    cfg.clock_source = ATR_CLOCK_INJECTED;
    ATR_CHECK_EQ_INT(opened_source(&cfg, NULL, &rc), -1);
    ATR_CHECK_ERR(rc, ATR_EINVAL);
    cfg.clock_source = -1;
    ATR_CHECK_EQ_INT(opened_source(&cfg, NULL, &rc), -1);
    ATR_CHECK_ERR(rc, ATR_EINVAL);
    cfg.clock_source = 99;
    cfg.size = offsetof(atr_writer_config, clock_source);
    ATR_CHECK_EQ_INT(opened_source(&cfg, NULL, &rc), machine);
    ATR_CHECK_EQ_INT(atr_session_clock_source(NULL), ATR_CLOCK_AUTO);
    ATR_CHECK_EQ_INT(atr_session_clock_calibrated(NULL), 0);
    atr_writer_config_init(&cfg);
    cfg.path = g_path;
    cfg.clock_source = ATR_CLOCK_MONOTONIC;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    ATR_CHECK_EQ_INT(atr_session_clock_calibrated(s), 0);
    atr_session_close(s);
}

/* ---- real time (TSC machines only) ------------------------------------------------------ */

typedef struct reader_result {
    uint64_t n, decreases, off_bounds, worst;
} reader_result;

static atr_session *g_s;

/* Read the session clock between two clock_gettime calls for ~200 ms. */
static void *reader_main(void *arg) {
    reader_result *r = arg;
    uint64_t start = atr__clock_monotonic_ns(), last = 0;
    memset(r, 0, sizeof *r);
    for (;;) {
        uint64_t a = atr__clock_monotonic_ns(), t = atr_session_now(g_s);
        uint64_t b = atr__clock_monotonic_ns(), d;
        r->n++;
        r->decreases += t < last;
        last = t;
        d = t < a ? a - t : t > b ? t - b : 0;
        r->off_bounds += d > MS;
        if (d > r->worst)
            r->worst = d;
        if (b - start > 200 * MS)
            break;
        if (r->n % 64 == 0) {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL); /* let other threads and the flusher run */
        }
    }
    return NULL;
}

/* A session on the TSC with this flush interval, or NULL (said skipped) without one here. */
static atr_session *open_tsc(uint32_t flush_interval_ms, const char *what) {
    atr_writer_config cfg;
    atr_session *s;
    atr_writer_config_init(&cfg);
    cfg.path = g_path;
    cfg.flush_interval_ms = flush_interval_ms;
    cfg.clock_source = ATR_CLOCK_TSC;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    if (atr_session_clock_source(s) == ATR_CLOCK_TSC)
        return s;
    fprintf(stderr, "skipped: %s (no invariant TSC here)\n", what);
    atr_session_close(s);
    return NULL;
}

/* Waits (up to 10 s: the machine may be loaded) for the flusher's first calibration. */
static int wait_calibrated(atr_session *s) {
    int i;
    for (i = 0; i < 10000 && !atomic_load(&s->tsc.cur); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(&s->tsc.cur) != 0;
}

/* The process's first TSC session: its flusher calibrates a few ms after open, not at its
   first cycle (here 10 s away), so that a short program does not read clock_gettime all
   along. Run before any other real session (none has measured the rate yet). */
static void test_first_calibration(void) {
    atr_session *s = open_tsc(10000, "the first calibration");
    int i;
    if (!s)
        return;
    if (atomic_load(&s->tsc.cur)) {
        fprintf(stderr, "skipped: the first calibration (the process knew the rate already)\n");
        ATR_CHECK_OK(atr_session_close(s));
        return;
    }
    ATR_CHECK_EQ_INT(atr_session_clock_calibrated(s), 0);
    for (i = 0; i < 5000 && !atomic_load(&s->tsc.cur); i++) { /* 5 s: a loaded machine */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    ATR_CHECK(atomic_load(&s->tsc.cur) != 0);
    ATR_CHECK_EQ_INT(atr_session_clock_calibrated(s), 1);
    ATR_CHECK_OK(atr_session_close(s));
}

static void test_real_tsc(void) {
    pthread_t th;
    reader_result r[2];
    int i;
    if (!(g_s = open_tsc(1, "the TSC against clock_gettime"))) /* a check every ms */
        return;
    ATR_CHECK(wait_calibrated(g_s));
    ATR_CHECK_EQ_INT(atr_session_clock_calibrated(g_s), 1);
    ATR_REQUIRE(pthread_create(&th, NULL, reader_main, &r[1]) == 0);
    reader_main(&r[0]);
    pthread_join(th, NULL);
    for (i = 0; i < 2; i++) {
        ATR_CHECK(r[i].n > 0);
        ATR_CHECK_EQ_U64(r[i].decreases, 0);
        if (!ATR_CHECK_EQ_U64(r[i].off_bounds, 0))
            fprintf(stderr, "  worst distance from clock_gettime: %llu ns\n",
                    (unsigned long long)r[i].worst);
    }
    pthread_mutex_lock(&g_s->mu);
    fprintf(stderr,
            "TSC: %llu calibrations in ~200 ms, %llu restarts; %llu + %llu readings, the "
            "furthest outside [clock_gettime before, after]: %llu / %llu ns\n",
            (unsigned long long)g_s->tsc.n_calibrations, (unsigned long long)g_s->tsc.n_restarts,
            (unsigned long long)r[0].n, (unsigned long long)r[1].n, (unsigned long long)r[0].worst,
            (unsigned long long)r[1].worst);
    ATR_CHECK(g_s->tsc.n_calibrations >= 1);
    pthread_mutex_unlock(&g_s->mu);
    ATR_CHECK_OK(atr_session_close(g_s));
}

/* START/END records of the log at path: how many, and how many out of order or outside
   [lo - 1 ms, hi + 1 ms]. */
static void read_times(const char *path, uint64_t lo, uint64_t hi, uint64_t *n, uint64_t *bad) {
    atr_reader *r;
    atr_record rec;
    uint64_t last = 0;
    *n = *bad = 0;
    if (atr_reader_open(path, &r) != 0) {
        *bad = 1;
        return;
    }
    while (atr_reader_next(r, &rec) == 0) {
        if (rec.kind != ATR_REC_START && rec.kind != ATR_REC_END)
            continue;
        (*n)++;
        *bad += rec.time_ns < last || rec.time_ns + MS < lo || rec.time_ns > hi + MS;
        last = rec.time_ns;
    }
    atr_reader_close(r);
}

/* Spans timed by the TSC read back with ordered, plausible times; a forked child's clock. */
static void test_spans_and_fork(void) {
    atr_session *s;
    atr_function_info fi;
    uint64_t sp, t0, t_fork, t1, n, bad;
    uint32_t f;
    pid_t pid;
    char child[600];
    int i, status = 0;
    if (!(s = open_tsc(2, "spans and fork with the TSC")))
        return;
    /* test_real_tsc calibrated: this session started from the measured rate (its first
       calibration is the seed, based at the start pair) and is right at once. */
    pthread_mutex_lock(&s->mu);
    ATR_CHECK_EQ_U64(atomic_load(&s->tsc.slots[1].base_ns), s->tsc.ref_ns);
    pthread_mutex_unlock(&s->mu);
    t0 = atr__clock_monotonic_ns();
    t1 = atr_session_now(s);
    ATR_CHECK(t1 + MS >= t0 && t1 <= atr__clock_monotonic_ns() + MS);
    memset(&fi, 0, sizeof fi);
    fi.qualname = atr_test_str("f");
    ATR_REQUIRE(atr_session_define_function(s, &fi, &f) == 0);
    t0 = atr__clock_monotonic_ns();
    for (i = 0; i < 2000; i++) { /* across the first calibration */
        ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &sp));
        ATR_CHECK_OK(atr_span_return(s, sp, ATR_NOW, NULL));
        if (i % 100 == 0) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    ATR_CHECK(wait_calibrated(s));

    /* The child inherits the calibration: its clock works at once and keeps working. */
    t_fork = atr_session_now(s);
    pid = fork();
    if (pid == 0) {
        uint64_t a = atr__clock_monotonic_ns(), c = atr_session_now(s);
        uint64_t b = atr__clock_monotonic_ns();
        int ok = c >= t_fork && c + MS >= a && c <= b + MS;
        if (!UNDER_TSAN) /* recording starts the child's flusher: TSan cannot have that */
            ok = ok && atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &sp) == 0 &&
                 atr_span_return(s, sp, ATR_NOW, NULL) == 0 && atr_session_close(s) == 0;
        _exit(ok ? 0 : 1);
    }
    ATR_REQUIRE(pid > 0);
    waitpid(pid, &status, 0);
    ATR_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ATR_CHECK_OK(atr_session_close(s));
    t1 = atr__clock_monotonic_ns();

    read_times(g_path, t0, t1, &n, &bad);
    ATR_CHECK_EQ_U64(n, 4000);
    ATR_CHECK_EQ_U64(bad, 0);
    atr_test_child_log(child, sizeof child, g_path, (long)pid);
    if (!UNDER_TSAN) {
        read_times(child, t_fork, t1, &n, &bad);
        ATR_CHECK_EQ_U64(n, 2);
        ATR_CHECK_EQ_U64(bad, 0);
    }
    remove(child);
}

int main(void) {
    atr_test_tmpfile(g_path, sizeof g_path - 4, "test_clock");
    strcat(g_path, ".atr"); /* a forked child writes <stem>.<pid>.<random>.atr */
    test_map();
    test_schedule();
    test_seed();
    test_slew_cap();
    test_recalibration_sweep();
    test_slot_reuse();
    test_concurrent_publish();
    test_clamp();
    test_select();
    test_first_calibration();
    test_session_choice();
    test_real_tsc();
    test_spans_and_fork();
    remove(g_path);
    ATR_TEST_MAIN_END();
}
