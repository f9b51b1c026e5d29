/*
 * frame_args.h — read a function's parameters from its frame at the start of a call, by
 * parameter position (co_varnames order: positional, keyword-only, *args, **kwargs), with the
 * fastest access each CPython version allows and the public API as the fallback. Values of
 * parameters that are also cell variables are read through their cell once the frame has
 * started (before, as the 3.11 frame-evaluation hook sees it, the slot holds the value).
 *
 * Every function fills vals[0..n) with borrowed references (NULL: unbound): the frame keeps
 * them alive while its call starts. None raises.
 */
#ifndef ATR_PY_FRAME_ARGS_H
#define ATR_PY_FRAME_ARGS_H

#include "frame_args_compat.h"

/* 1 if one of the first n parameter slots of `co` is also a cell variable (or if that cannot
   be told), else 0: then its slots hold the values themselves. */
int atr__code_has_cell_params(PyCodeObject *co, Py_ssize_t n);

/* From a frame object (profile hook; public fallback on 3.12+). */
void atr__frame_args(PyFrameObject *f, PyCodeObject *co, PyObject **vals, Py_ssize_t n);

/* Globals of a frame object, borrowed (NULL if unknown). */
PyObject *atr__frame_globals(PyFrameObject *f);

#if ATR__FRAME_311 || ATR__FRAME_312
/* Copy n slots of an interpreter frame's localsplus, unwrapping the cells of parameters that
   are cell variables (inline: the sys.monitoring start callback's hot path). */
static inline void atr__copy_slots(PyObject *const *lp, PyCodeObject *co, PyObject **vals,
                                   Py_ssize_t n) {
    PyObject *kb = co->co_localspluskinds;
    const char *kinds = PyBytes_Check(kb) ? PyBytes_AS_STRING(kb) : NULL;
    Py_ssize_t nk = kinds ? PyBytes_GET_SIZE(kb) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = lp[i];
        if (v && i < nk && (kinds[i] & ATR__CO_FAST_CELL) && PyCell_Check(v)) {
            v = PyCell_GET(v);
        }
        vals[i] = v;
    }
}
#endif

#if ATR__FRAME_312
/* From the running interpreter frame (sys.monitoring callbacks, 3.12 and 3.13). */
static inline void atr__iframe_args(atr__iframe312 *fi, PyCodeObject *co, PyObject **vals,
                                    Py_ssize_t n) {
    atr__copy_slots(fi->localsplus, co, vals, n);
}
#endif

#endif /* ATR_PY_FRAME_ARGS_H */
