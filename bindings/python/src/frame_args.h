/*
 * frame_args.h — read a function's parameters from its frame at the start of a call, by
 * parameter position (co_varnames order: positional, keyword-only, *args, **kwargs), with the
 * fastest access each CPython version allows and the public API as the fallback. Values of
 * parameters that are also cell variables are read through their cell.
 *
 * Every function fills vals[0..n) with new references (NULL: unbound) and never raises.
 */
#ifndef ATR_PY_FRAME_ARGS_H
#define ATR_PY_FRAME_ARGS_H

#include "frame_args_compat.h"

/* From a frame object (profile hook; public fallback on 3.12+). */
void atr__frame_args(PyFrameObject *f, PyCodeObject *co, PyObject **vals, Py_ssize_t n);

/* Globals of a frame object, borrowed (NULL if unknown). */
PyObject *atr__frame_globals(PyFrameObject *f);

#ifdef ATR__FRAME_312
/* From the running interpreter frame (sys.monitoring callbacks, 3.12 and 3.13). */
void atr__iframe_args(atr__iframe312 *fi, PyCodeObject *co, PyObject **vals, Py_ssize_t n);
#endif

#endif /* ATR_PY_FRAME_ARGS_H */
