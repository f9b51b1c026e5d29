/*
 * calibrate.h — what one traced call costs the traced program, measured in this process and
 * recorded in the log (CALIBRATION record, docs/FORMAT.md 3.13) for the analysis to subtract.
 */
#ifndef ATR_PY_CALIBRATE_H
#define ATR_PY_CALIBRATE_H

#include "compat.h"

#include <stdint.h>

/* A measurement: ns one traced call adds to each ancestor, the part inside its own span. */
typedef struct atr__calib {
    uint64_t call_ns, inner_ns;
    uint64_t samples; /* traced calls timed; 0: not measured */
} atr__calib;

/*
 * Measure the cost of `mechanism` ("decorator", or the running filter backend: "monitoring",
 * "eval", "profile") and write it into the active session (a few ms: calls of a private
 * function on a private session, so nothing reaches the user's log but the result). `measure`
 * 0 writes a CALIBRATION that says
 * "not measured" (call_ns 0: no compensation). Runs with the GIL held; never raises, never
 * prints, leaves no state behind. Does nothing without an active session.
 */
void atr__calibrate(const char *mechanism, int measure);

/* The measurement itself (tests: _core._calibrate). 0, or -1 with an exception set. */
int atr__calibrate_measure(const char *mechanism, atr__calib *out);

#endif /* ATR_PY_CALIBRATE_H */
