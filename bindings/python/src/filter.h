/*
 * filter.h — filter tracing: trace functions chosen by patterns, without code changes
 * (DESIGN.md §5, docs/FILTERS.md). What the rest of the extension calls.
 *
 * Layers, each calling only the ones below it (docs/ARCHITECTURE.md):
 *   filter.c          module functions, options, the backend table (filter_backend.h)
 *   backends          monitor.c (3.12+ sys.monitoring), eval_hook.c (3.11 PEP 523 frame
 *                     evaluation, the default there), profile_hook.c (3.9-3.11 C profile hook)
 *   filter_calls      per-thread call stacks, min-duration, generators; filter_emit: records
 *   filter_decide     options, per-code decision cache, the decision (filter_names: where a
 *                     function lives), filter_pattern: the pattern language
 *   frame_args, compat.h / frame_args_compat.h: frames and CPython versions
 * Everything runs with the GIL held.
 */
#ifndef ATR_PY_FILTER_H
#define ATR_PY_FILTER_H

#include "compat.h"

/* Add filter_start/filter_stop/filter_check to the module; request the code-extra slot.
   Returns 0 or -1 with an exception set. */
int atr__filter_module_init(PyObject *m);

/* The session is about to close: stop filter tracing and end its open spans. */
void atr__filter_session_closing(void);

/* `code` belongs to a decorated function (TracedFunction): filter tracing never records it
   (the decorator's span wins). Never raises; ignores anything but code objects. */
void atr__filter_mark_decorated(PyObject *code);

#endif /* ATR_PY_FILTER_H */
