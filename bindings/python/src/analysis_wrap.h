/*
 * analysis_wrap.h — _core.Index: the C analysis engine (atr_analysis.h, the viewer's) for
 * argtrace.load().
 */
#ifndef ATR_PY_ANALYSIS_WRAP_H
#define ATR_PY_ANALYSIS_WRAP_H

#include "compat.h"

/* Add the Index type to module m. 0, or -1 with an exception set. */
int atr__analysis_init_types(PyObject *m);

#endif /* ATR_PY_ANALYSIS_WRAP_H */
