/*
 * filter_probe.h — filter tracing times its own work on a sample of real calls (in place),
 * for the compensation (docs/FORMAT.md 3.13, the `situ_*` keys of CALIBRATION).
 *
 * The calibration (calibrate.c) times the tracer on trivial functions; in a real program the
 * tracer's own work on a call costs more (the values it captures, a working set that evicts
 * the tracer's). Every ATR__PROBE_EVERY-th start or end of a call under filter tracing reads
 * the clock before and after filter_calls.c's work for it (capture, bookkeeping, writing);
 * the samples' total and count are kept per process. A generator's suspensions and
 * resumptions are not timed (the model's resume_ns stays: timing them in place charged
 * generators too much on 3.11, their dispatch being cheaper than a call's). The cost of an
 * unsampled event: one decrement and a branch not taken. Under the GIL (every event is).
 */
#ifndef ATR_PY_FILTER_PROBE_H
#define ATR_PY_FILTER_PROBE_H

#include "compat.h"

#include <stdint.h>

#define ATR__PROBE_EVERY 128u /* one event in this many is timed */
/* A longer sample is not counted: preempted, a page fault, a buffer handed to the flusher, a
   function's first call defining it. Rare, each 1000x an event's work: with 50 us a few of
   them moved the mean of identical calls by +-20 ns per event; with 2 us, by +-3. */
#define ATR__PROBE_MAX_NS 2000u
#define ATR__PROBE_MAX_EVENTS (1u << 24) /* then both halve (the mean stays) */

typedef struct atr__probe {
    uint32_t left;    /* events until the next sample */
    uint64_t sum_ns;  /* total of the samples counted */
    uint64_t events;  /* samples counted */
    uint64_t dropped; /* samples over ATR__PROBE_MAX_NS */
} atr__probe;

extern atr__probe atr__g_probe;

/* Out of line: rearm the countdown and read the clock (ns). */
uint64_t atr__probe_begin(void);

/* Out of line: count a sample begun at t0 (atr__probe_begin). */
void atr__probe_end(uint64_t t0);

/* 1 when this event is to be timed (then call atr__probe_begin, the work, atr__probe_end):
   one decrement and a branch not taken for the others, the timed path out of line. */
static inline int atr__probe_due(void) { return ATR__UNLIKELY(--atr__g_probe.left == 0) ? 1 : 0; }

/* Take the samples so far (and zero them); the countdown goes on. */
void atr__probe_take(uint64_t *sum_ns, uint64_t *events);

/* Add samples back (those taken before a calibration, after it). */
void atr__probe_add(uint64_t sum_ns, uint64_t events);

/* Mean of sum_ns / events in picoseconds, at most 2^32 - 1 (0: no sample). */
uint64_t atr__probe_mean_ps(uint64_t sum_ns, uint64_t events);

#endif /* ATR_PY_FILTER_PROBE_H */
