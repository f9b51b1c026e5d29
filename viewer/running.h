/*
 * The running intervals of calls, as the exports that draw timelines (speedscope) lay them
 * out: a call runs from its START to its END, except a generator or coroutine that suspended
 * (SUSPEND and RESUME records, format 1.1), which runs from START to its first SUSPEND, from
 * each RESUME (on the thread that resumed it) to the next SUSPEND and from the last RESUME
 * to END. The index keeps only the sum of those intervals (active_ns), so they are read again
 * from the log files for those calls (a log the index did not load from a file: whole spans).
 * A thread's intervals then nest as a stack: one that would outlast the interval it starts in
 * (only when times disagree, e.g. compensated START/END against recorded SUSPEND/RESUME) is
 * cut at that interval's end.
 */
#ifndef ATR_VIEWER_RUNNING_H
#define ATR_VIEWER_RUNNING_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_analysis.h"

typedef struct atr__run {
    uint32_t thread, call; /* index thread, call */
    uint64_t open, close;  /* ns, open <= close */
} atr__run;

/*
 * The intervals of the calls with inc[call] != 0 (inc NULL: every call) into *out (owned by
 * the caller, NULL when there are none), *n of them, sorted by thread, then by time with an
 * enclosing interval before those inside it, and nested. At most `budget` bytes are taken
 * for them and the working arrays (0: no limit; the log files' readers are not counted).
 * 0, ATR_ETOOBIG (past the budget) or ATR_ENOMEM.
 */
int atr__running(const atr_index *ix, const uint8_t *inc, uint64_t budget, atr__run **out,
                 size_t *n);

/* Grow *p (elements of es bytes, *cap of them) to hold need. 0 or -1 (out of memory). */
int atr__grow_buf(void **p, size_t *cap, size_t need, size_t es);

#endif /* ATR_VIEWER_RUNNING_H */
