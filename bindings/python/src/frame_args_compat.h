/*
 * frame_args_compat.h — the few interpreter-frame layouts filter tracing reads directly, per
 * CPython version (checked against Include/internal/pycore_frame.h of 3.11.7, 3.12.1 and
 * 3.13.0). Only the leading fields we use are mirrored; each use is guarded by a consistency
 * check (the frame's code object is the one the event names), and any version not listed
 * here uses the public API only (frame_args.c).
 */
#ifndef ATR_PY_FRAME_ARGS_COMPAT_H
#define ATR_PY_FRAME_ARGS_COMPAT_H

#include "compat.h"

#include <frameobject.h> /* the PyFrameObject struct before 3.11 */

/* Code-object extra slots: underscore names before 3.12, PyUnstable_ names from 3.12. */
#if ATR__CODE_EXTRA_UNSTABLE
#define atr__code_get_extra PyUnstable_Code_GetExtra
#define atr__code_set_extra PyUnstable_Code_SetExtra
#define atr__request_code_extra_index PyUnstable_Eval_RequestCodeExtraIndex
#else
#define atr__code_get_extra _PyCode_GetExtra
#define atr__code_set_extra _PyCode_SetExtra
#define atr__request_code_extra_index _PyEval_RequestCodeExtraIndex
#endif

/* The co_extra block (_PyCodeObjectExtra of Include/internal/pycore_code.h, the same from 3.9
   to 3.13): read directly on the hot path instead of calling _PyCode_GetExtra. */
#if ATR__CODE_EXTRA_DIRECT
typedef struct atr__code_extra {
    Py_ssize_t ce_size;
    void *ce_extras[1];
} atr__code_extra;
#endif

/* CO_FAST_CELL from Include/internal/pycore_code.h (3.11+): a local that is also a cell. */
#define ATR__CO_FAST_CELL 0x40

#if ATR__FRAME_311
/* 3.11: struct _frame (PyFrameObject) and struct _PyInterpreterFrame. */
typedef struct atr__iframe311 {
    PyObject *f_func;
    PyObject *f_globals;
    PyObject *f_builtins;
    PyObject *f_locals;
    PyCodeObject *f_code;
    PyFrameObject *frame_obj;
    void *previous;
    void *prev_instr;
    int stacktop;
    _Bool is_entry;
    char owner;
    PyObject *localsplus[1];
} atr__iframe311;

typedef struct atr__frame311 {
    PyObject_HEAD
    PyFrameObject *f_back;
    atr__iframe311 *f_frame;
} atr__frame311;

/* The interpreter frame behind a frame object, or NULL if the layout does not check out. */
static inline atr__iframe311 *atr__compat_iframe_of(PyFrameObject *f) {
    atr__iframe311 *fi = ((atr__frame311 *)f)->f_frame;
    return (fi && fi->frame_obj == f) ? fi : NULL;
}
#endif

#if ATR__FRAME_312
/* 3.12 and 3.13: struct _PyInterpreterFrame (3.13 renames f_code to f_executable). */
typedef struct atr__iframe312 {
    PyObject *f_code;
    void *previous;
    PyObject *f_funcobj;
    PyObject *f_globals;
    PyObject *f_builtins;
    PyObject *f_locals;
    PyFrameObject *frame_obj;
    void *instr;
    int stacktop;
    uint16_t return_offset;
    char owner;
    PyObject *localsplus[1];
} atr__iframe312;

/* The running interpreter frame of the thread (NULL: none). */
static inline atr__iframe312 *atr__compat_top_iframe(PyThreadState *ts) {
#if ATR__TSTATE_CURRENT_FRAME
    return (atr__iframe312 *)ts->current_frame;
#else
    return ts->cframe ? (atr__iframe312 *)ts->cframe->current_frame : NULL;
#endif
}

/* The running interpreter frame of the thread, if it executes `co`; else NULL. */
static inline atr__iframe312 *atr__compat_current_iframe(PyThreadState *ts, PyCodeObject *co) {
    atr__iframe312 *fi = atr__compat_top_iframe(ts);
    return (fi && fi->f_code == (PyObject *)co) ? fi : NULL;
}
#endif

#endif /* ATR_PY_FRAME_ARGS_COMPAT_H */
