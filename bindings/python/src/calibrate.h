/*
 * calibrate.h — what one traced call costs the traced program, measured in this process and
 * recorded in the log (CALIBRATION record, docs/FORMAT.md 3.13) for the analysis to subtract.
 */
#ifndef ATR_PY_CALIBRATE_H
#define ATR_PY_CALIBRATE_H

#include "compat.h"

#include <stdint.h>

#include <argtrace/atr_writer.h>

/* The shapes of call timed (calibrate.c's CAL_SRC), in this order. */
enum {
    ATR__CAL_LEAF,  /* f(i) -> i + 1: call_ns, the 1.1 figure */
    ATR__CAL_LEAF4, /* f(i, i, i, i) -> None */
    ATR__CAL_STRS,  /* f(s, s, s, s) -> None, s a 40-byte str */
    ATR__CAL_OBJS,  /* f(o, o, o, o) -> None, o an instance of a plain class */
    ATR__CAL_GEN0,  /* a generator of one int argument that yields nothing */
    ATR__CAL_GEN10, /* the same yielding 10 times */
    ATR__CAL_RAISE, /* f(i) raising ValueError('x'), caught by the caller */
    ATR__CAL_TUPS,  /* f(t, i, i, i) -> None, t the tuple (1, 2) */
    ATR__CAL_SSTRS, /* f(s, s, s, s) -> None, s an 8-byte str */
    ATR__CAL_SHAPES
};

/* The shapes' names, in that order ("leaf", "leaf4", ...: calibrate.c). */
extern const char *const atr__cal_shapes[ATR__CAL_SHAPES];

/* A measurement: ns one traced call adds to each ancestor, the part inside its own span. */
typedef struct atr__calib {
    uint64_t call_ns, inner_ns;
    uint64_t samples;                   /* traced calls timed; 0: not measured */
    uint64_t faults;                    /* page faults of the timed traced loops (tests) */
    uint64_t untraced_ps;               /* the untraced leaf loop, ps per call (median) */
    uint64_t scale_ppm;                 /* atr__calib_rescale's scale; 0: not applied */
    uint64_t shape_ns[ATR__CAL_SHAPES]; /* the cost of each shape, ns per call */
    atr_calibration_model model;        /* solved from shape_ns (atr__calib_solve) */
} atr__calib;

/* Percent by which a calibration's untraced loop may run slower than the same loop timed at
   the session's start before its costs are scaled down (atr__calib_rescale, calibrate.c). */
#define ATR__CAL_SLOW_PCT 15

/* 1 if ps is more than ATR__CAL_SLOW_PCT % above yard_ps (either 0: not measured, 0). */
int atr__calib_slower(uint64_t yard_ps, uint64_t ps);

/* Scale cost[] by yard_ps / stop_ps when both ps (the calibration's untraced loop) and
   stop_ps (the yardstick timed again after it) are slower than yard_ps (the yardstick at the
   session's start) by atr__calib_slower's measure (with rel, the leaf's only, the others =
   leaf + rel[k]). Returns the scale in ppm (1000000: unchanged). */
uint64_t atr__calib_rescale(uint64_t yard_ps, uint64_t ps, uint64_t stop_ps, const int64_t *rel,
                            uint64_t cost[ATR__CAL_SHAPES]);

/* The yardstick: the calibration's untraced leaf loop timed now (a fraction of a ms), ps per
   call, 0 if it could not be timed (never raises). Taken at each session's start and filter
   tracing's (atr__g.calib_yard_ps); the hooks of filter tracing running meanwhile are off for
   it (3.9-3.11) or reject its functions (3.12+). Under the GIL. */
uint64_t atr__calib_yardstick(void);

/* The model as a dict {key: int} of every ATR_CALIBRATION_MODEL_KEYS key (NULL with an
   exception set; calibrate_py.c). */
PyObject *atr__calib_model_py(const atr_calibration_model *m);

/* The per-call model from the shapes' costs (m->slow_ppm is kept). Negative parts are 0. */
void atr__calib_solve(const uint64_t cost[ATR__CAL_SHAPES], atr_calibration_model *m);

/*
 * Measure the cost of `mechanism` ("decorator", or the running filter backend: "monitoring",
 * "eval", "profile") and write it into the active session (a few ms: calls of a private
 * function on a private session, so nothing reaches the user's log but the result). `measure`
 * 0 writes a CALIBRATION that says
 * "not measured" (call_ns 0: no compensation). Runs with the GIL held; never raises, never
 * prints, leaves no state behind. Does nothing without an active session.
 */
void atr__calibrate(const char *mechanism, int measure);

/* The measurement itself (tests: _core._calibrate). reuse: time only the leaf when the
   process measured every shape for this mechanism before, reusing their differences from
   the leaf (at a session's stop); 0: time them all (no cache). 0, or -1 with an exception
   set. */
int atr__calibrate_measure(const char *mechanism, int reuse, atr__calib *out);

#endif /* ATR_PY_CALIBRATE_H */
