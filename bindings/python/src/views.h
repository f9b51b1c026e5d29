/*
 * views.h — _core.CallView (the C base of argtrace.Call: a lazy view of one call of a Log's
 * index) and _core.Views (a Log's Calls in use, one per call).
 */
#ifndef ATR_PY_VIEWS_H
#define ATR_PY_VIEWS_H

#include "compat.h"

/* Add CallView and Views to module m. 0, or -1 with an exception set. */
int atr__views_init_types(PyObject *m);

#endif /* ATR_PY_VIEWS_H */
