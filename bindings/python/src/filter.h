/*
 * filter.h — filter tracing: trace functions chosen by patterns, without code changes
 * (DESIGN.md §5, docs/FILTERS.md).
 *
 * Layers: filter_pattern (the language) ← filter_decide (options, per-code decision cache)
 * ← filter_calls (per-thread call stacks, min-duration, generators) ← the backends: monitor (3.12+ sys.monitoring), eval_hook (3.11 PEP 523 frame
 * evaluation function, the default there), profile_hook (3.9–3.10, and 3.11 as the fallback:
 * C profile hook); frame_args reads parameters from frames. Everything runs with the GIL held.
 */
#ifndef ATR_PY_FILTER_H
#define ATR_PY_FILTER_H

#include "compat.h"

/* --- used by module.c / the decorator (P1) ------------------------------------------------ */

/* Add filter_start/filter_stop/filter_check to the module; request the code-extra slot.
   Returns 0 or -1 with an exception set. */
int atr__filter_module_init(PyObject *m);

/* The session is about to close: stop filter tracing and end its open spans. */
void atr__filter_session_closing(void);

/* `code` belongs to a decorated function (TracedFunction): filter tracing never records it
   (the decorator's span wins). Never raises; ignores anything but code objects. */
void atr__filter_mark_decorated(PyObject *code);

/* --- backends: start returns 0 or -1 with an exception set; stop never fails ------------ */

/* 3.12+: sys.monitoring (monitor.c). */
int atr__backend_start(void);
void atr__backend_stop(void);

/* 3.9–3.11: the C profile hook (profile_hook.c). */
int atr__profile_start(void);
void atr__profile_stop(void);

/* 3.11: the frame-evaluation hook (eval_hook.c). */
int atr__eval_start(void);
void atr__eval_stop(void);

/* NULL if the eval hook can be installed in this interpreter now, else why not (one line:
   another PEP 523 function is installed, or the frame layout check failed). */
const char *atr__eval_unusable(void);

/* Tests (_core._filter_test_pep523): install (on) or remove a pass-through eval function that
   stands for another tool's, such as a debugger's. */
void atr__eval_test_foreign(int on);

/*
 * C stack one nested Python call takes through the eval hook (the default eval's frame,
 * _PyEval_Vector's, the vectorcall between and ours), with a margin for other builds:
 * measured on 3.11.7 x86-64 ~400 bytes for rejected code, ~640 for traced code
 * (docs/FILTERS.md section 3). Tells whether the recursion limit fits in a stack.
 */
#define ATR__EVAL_STACK_PER_CALL 1024

/* 1 if sys.getrecursionlimit() nested calls through the eval hook fit above the guard floor
   (state.h) of this thread's stack and of the stack threads started later get
   (threading.stack_size() or the system's default), where those are known; else 0. */
int atr__eval_stack_fits(void);

#endif /* ATR_PY_FILTER_H */
