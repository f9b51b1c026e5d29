/*
 * A cheap reading of CLOCK_MONOTONIC: the CPU's time-stamp counter (TSC, ~7 ns to read here)
 * mapped to CLOCK_MONOTONIC nanoseconds (clock_gettime: ~16 ns) by a calibration that one
 * thread (the session's flusher) keeps up to date while any thread reads.
 *
 * Safe only where the TSC is a clock: x86-64, an invariant TSC (CPUID 0x80000007 EDX bit 8:
 * a constant rate in every P- and C-state) and the kernel's clocksource `tsc` (the kernel
 * checked that the CPUs' TSCs are synchronised and derives CLOCK_MONOTONIC from them). The
 * writer decides (atr__clock_select, session.c); atr__tsc_probe_machine reports the facts.
 *
 * Mapping: two line segments. ns = base_ns + (tsc - base_tsc) * mult / 2^ATR__TSC_SHIFT up
 * to end_tsc (mult includes a correction, below), then end_ns + (tsc - end_tsc) * rate / 2^S
 * (the measured rate alone, so that a late calibration does not keep correcting).
 * end_ns is the first segment's value at end_tsc: continuous. A 64x64 -> 128-bit multiply
 * (no overflow for any delta up to 2^64 ticks; a result past 2^64 ns would wrap, centuries
 * away). Ticks before base_tsc (a reader's rdtsc racing a new calibration, or a few cycles
 * of skew between CPUs) map below base_ns by the same slope.
 *
 * Calibration (atr__tsc_update with a (tsc, ns) pair read close together, atr__tsc_pair):
 * - A clock starts (atr__tsc_begin) with the rate an earlier calibration of this process
 *   measured, if any (the TSC's rate is the machine's, not a session's): one line through
 *   the start pair (atr__tsc_seed). Otherwise readings come from clock_gettime until the
 *   first calibration. That one is made once the window since the start pair is at least
 *   2 ms: rate = window ns / window ticks, based at the new pair itself when nothing was
 *   seeded (the switch jumps by that pair's read error only, tens of ns).
 * - Later ones when the window has doubled (the flusher wakes for each: 4, 8, ... ms), then
 *   ATR__TSC_INTERVAL_NS (1 s) apart. Each corrects what the previous rate's error built up
 *   over a window as long as the one it was measured on: about 2e each time. The rate
 *   is measured over the window (its error from the pairs' read errors shrinks as 1/window);
 *   once the window reaches two intervals its start moves up to the previous calibration's
 *   pair, so the rate follows CLOCK_MONOTONIC's (NTP adjusts it) with a lag of about 1 s.
 *   A new calibration is continuous with the old one: based at (tsc, old mapping(tsc)), not
 *   at the fresh reading. The difference between the fresh reading and the old mapping (what
 *   the old slope's error built up) is slewed away over the next interval (the first
 *   segment): mult = rate * (1 + err / interval), the correction capped at
 *   ATR__TSC_SLEW_PPM. So the mapping follows CLOCK_MONOTONIC indefinitely and never steps.
 * - An error beyond ATR__TSC_STEP_NS (the TSC or CLOCK_MONOTONIC jumped: suspend, a migrated
 *   VM), a TSC that went backwards or an absurd rate starts over: clock_gettime again, a new
 *   reference pair, the first calibration 2 ms later.
 *
 * Accuracy: a pair's error e is at most half its rdtsc gap (best of ATR__TSC_TRIES reads,
 * typically 10-50 ns). The first rate is good to about 2e / 2 ms (10-50 ppm), later ones
 * twice as good each, until 1 s windows (well under a ppm). Each recalibration removes the error built up since the last one, and a pair's own
 * error enters both the rate and the correction, so right after an interval the mapping is
 * within about 2e of clock_gettime, plus what a change of CLOCK_MONOTONIC's rate in the
 * last second (NTP) adds: well under a microsecond on a steady machine. rdtsc is not
 * serialised on the hot path: it may run a few cycles early or late.
 *
 * Publication: each calibration gets a generation number g (1, 2, ...) and is written into
 * slots[g % ATR__TSC_SLOTS]; `cur` holds the current g (0: none). A slot is rewritten only
 * ATR__TSC_SLOTS calibrations later (over a minute at one per second), and every slot holds
 * the generation it describes: a reader that loads g, then the slot's fields, then finds the
 * slot's gen still g has read one whole calibration (seqlock: fields are stored with release
 * after gen is cleared, and loaded with acquire before gen is checked); otherwise it falls
 * back to clock_gettime for that reading. Nothing is allocated or freed.
 *
 * Per-thread monotonicity: within one calibration the mapping never decreases, and a new one
 * starts where the old one was at its base. A reader that used the old calibration for a tick
 * past the new base (it loaded `cur` just before the flusher published), or clock_gettime just
 * before the first calibration, may be ahead of the new mapping by a few ns. atr__tsc_clamp
 * returns the calling thread's previous reading instead of a smaller one, unless the step
 * back exceeds ATR__TSC_STEP_NS (a restart: then the new value is the truth).
 */
#ifndef ATR_COMMON_TSC_H
#define ATR_COMMON_TSC_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/clock.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define ATR__HAVE_TSC 1
#include <x86intrin.h>
#else
#define ATR__HAVE_TSC 0
#endif

#define ATR__TSC_SHIFT 48                /* mult = ns per tick * 2^48 */
#define ATR__TSC_SLOTS 64u               /* calibrations kept (a power of two) */
#define ATR__TSC_TRIES 5                 /* pairs read per calibration, the best kept */
#define ATR__TSC_FIRST_NS 2000000u       /* 2 ms: the first calibration's window */
#define ATR__TSC_INTERVAL_NS 1000000000u /* 1 s: calibrations planned at most this far apart */
#define ATR__TSC_STEP_NS 1000000u        /* 1 ms: more error than this starts over */
#define ATR__TSC_SLEW_PPM 1000u          /* largest slope correction (1 ms per s) */

/* What atr__tsc_update did. */
#define ATR__TSC_WAIT 0       /* not due yet */
#define ATR__TSC_CALIBRATED 1 /* published a new calibration */
#define ATR__TSC_RESTARTED 2  /* dropped the calibration: clock_gettime, new window */

/* One calibration (ns per tick * 2^ATR__TSC_SHIFT in mult and rate). */
typedef struct atr__tsc_cal {
    uint64_t base_tsc, base_ns, mult; /* first segment: base_tsc .. end_tsc */
    uint64_t end_tsc, end_ns, rate;   /* second: from end_tsc on */
} atr__tsc_cal;

typedef struct atr__tsc_slot {
    _Atomic uint64_t gen; /* generation stored here; 0 while it is being rewritten */
    _Atomic uint64_t base_tsc, base_ns, mult, end_tsc, end_ns, rate; /* an atr__tsc_cal */
} atr__tsc_slot;

typedef struct atr__tsc_clock {
    _Atomic uint64_t cur; /* generation of the calibration in use; 0: none (clock_gettime) */
    /* The calibrator's state: one thread at a time (start, then the flusher under s->mu). */
    uint64_t gen;               /* last generation published */
    uint64_t ref_tsc, ref_ns;   /* the window's start: rates are measured from here */
    uint64_t last_tsc, last_ns; /* the pair of the last calibration (or ref) */
    uint64_t next_ns;           /* calibrate once a pair reads at least this */
    uint64_t rate;              /* the last rate measured (0: none yet) */
    uint64_t n_calibrations;    /* published so far */
    uint64_t n_restarts;        /* times the calibration was dropped */
    atr__tsc_slot slots[ATR__TSC_SLOTS];
} atr__tsc_clock;

/* What the machine offers (atr__tsc_probe_machine); tests fill it by hand. */
typedef struct atr__tsc_probe {
    int invariant;  /* x86-64 with an invariant TSC */
    int kernel_tsc; /* the kernel's current clocksource is "tsc" */
} atr__tsc_probe;

void atr__tsc_probe_machine(atr__tsc_probe *p);

/* Reset k with the reference pair (tsc, ns): uncalibrated, first calibration 2 ms later. */
void atr__tsc_start(atr__tsc_clock *k, uint64_t tsc, uint64_t ns);
/* Publish a first calibration: the line through (tsc, ns) with slope `rate`. */
void atr__tsc_seed(atr__tsc_clock *k, uint64_t tsc, uint64_t ns, uint64_t rate);
/* Start k on this machine: a fresh pair, seeded with the process's last measured rate. */
void atr__tsc_begin(atr__tsc_clock *k);
/* One calibration step with a pair read at (tsc, ns); ATR__TSC_*. Calibrator thread only. */
int atr__tsc_update(atr__tsc_clock *k, uint64_t tsc, uint64_t ns);
/* Read the machine: a (tsc, ns) pair read close together (the best of ATR__TSC_TRIES). */
void atr__tsc_pair(uint64_t *tsc, uint64_t *ns);
/* atr__tsc_update with a fresh pair when one is due (a clock_gettime when not); a rate it
   measures becomes the process's (for atr__tsc_begin). */
int atr__tsc_calibrate(atr__tsc_clock *k);
/* The current calibration's mapping of `tsc` (*ok 0 and 0 returned when uncalibrated). */
uint64_t atr__tsc_map_at(const atr__tsc_clock *k, uint64_t tsc, int *ok);

static inline uint64_t atr__tsc_map(uint64_t base_tsc, uint64_t base_ns, uint64_t mult,
                                    uint64_t tsc) {
    if (__builtin_expect(tsc >= base_tsc, 1))
        return base_ns + (uint64_t)(((unsigned __int128)(tsc - base_tsc) * mult) >> ATR__TSC_SHIFT);
    return base_ns - (uint64_t)(((unsigned __int128)(base_tsc - tsc) * mult) >> ATR__TSC_SHIFT);
}

static inline uint64_t atr__tsc_cal_map(const atr__tsc_cal *c, uint64_t tsc) {
    if (__builtin_expect(tsc < c->end_tsc, 1))
        return atr__tsc_map(c->base_tsc, c->base_ns, c->mult, tsc);
    return atr__tsc_map(c->end_tsc, c->end_ns, c->rate, tsc);
}

/* Load the calibration in sl (acquire: the seqlock order of tsc.h). */
static inline void atr__tsc_slot_load(const atr__tsc_slot *sl, atr__tsc_cal *c) {
    c->base_tsc = atomic_load_explicit(&sl->base_tsc, memory_order_acquire);
    c->base_ns = atomic_load_explicit(&sl->base_ns, memory_order_acquire);
    c->mult = atomic_load_explicit(&sl->mult, memory_order_acquire);
    c->end_tsc = atomic_load_explicit(&sl->end_tsc, memory_order_acquire);
    c->end_ns = atomic_load_explicit(&sl->end_ns, memory_order_acquire);
    c->rate = atomic_load_explicit(&sl->rate, memory_order_acquire);
}

static inline uint64_t atr__rdtsc(void) {
#if ATR__HAVE_TSC
    return (uint64_t)__rdtsc();
#else
    return 0;
#endif
}

/*
 * Why global (thread-local): the clamp needs the calling thread's previous reading, and the
 * hot path has no per-thread object of its own here. All TSC sessions map to the one
 * CLOCK_MONOTONIC timeline, so one value per thread serves them all. Initial-exec, as the
 * writer's thread cache: a single load inside a dlopen'ed extension module.
 */
extern __thread uint64_t atr__tsc_last __attribute__((tls_model("initial-exec")));

/* t, or the thread's previous reading when t is a small step back from it (see above). */
static inline uint64_t atr__tsc_clamp(uint64_t t) {
    uint64_t last = atr__tsc_last;
    if (__builtin_expect(t < last, 0) && last - t <= ATR__TSC_STEP_NS)
        return last;
    atr__tsc_last = t;
    return t;
}

/* atr__tsc_now without a calibration to use: clock_gettime, clamped. */
uint64_t atr__tsc_now_slow(void);

/* The hot path: CLOCK_MONOTONIC ns through the TSC (clock_gettime until calibrated). */
static inline __attribute__((always_inline)) uint64_t atr__tsc_now(const atr__tsc_clock *k) {
    uint64_t g = atomic_load_explicit(&k->cur, memory_order_acquire);
    const atr__tsc_slot *sl = &k->slots[g % ATR__TSC_SLOTS];
    atr__tsc_cal c;
    atr__tsc_slot_load(sl, &c);
    if (__builtin_expect(g != 0 && atomic_load_explicit(&sl->gen, memory_order_relaxed) == g, 1))
        return atr__tsc_clamp(atr__tsc_cal_map(&c, atr__rdtsc()));
    return atr__tsc_now_slow();
}

#endif /* ATR_COMMON_TSC_H */
