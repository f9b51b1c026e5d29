/*
 * diff_wrap.h — Index.diff(): the C engine's comparison of two runs (atr_diff_compute) as
 * the nested dicts and lists of `argtrace diff --json`.
 */
#ifndef ATR_PY_DIFF_WRAP_H
#define ATR_PY_DIFF_WRAP_H

#include "compat.h"

#include <argtrace/atr_analysis.h>

/*
 * Compare files 0 .. n_base-1 of ix with the rest. `function`: None (every function) or a
 * name as the viewer takes it (a unique suffix; one name in several files is one function).
 * Returns the list of function dicts (new reference), or NULL with ValueError (unknown or
 * ambiguous name, bad n_base/alpha) or MemoryError.
 */
PyObject *atr__py_diff(const atr_index *ix, uint32_t n_base, PyObject *function,
                       const atr_filter *filter, uint64_t min_calls, double alpha);

#endif /* ATR_PY_DIFF_WRAP_H */
