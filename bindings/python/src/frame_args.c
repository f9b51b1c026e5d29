/*
 * frame_args.c — parameters from frames (frame_args.h).
 *
 * 3.9/3.10  PyFrameObject.f_localsplus (public struct). A parameter that is also a cell has
 *           its slot cleared at frame creation and lives in the cell at
 *           f_localsplus[co_nlocals + k] where co_cell2arg[k] is the parameter.
 * 3.11      the frame object's _PyInterpreterFrame localsplus (frame_args_compat.h), checked
 *           by its back pointer. At the call event MAKE_CELL has run: cells are unwrapped.
 * 3.12/3.13 the thread's current _PyInterpreterFrame, checked against the event's code.
 * other     PyFrame_GetVar() per parameter name (public API, 3.12+), or nothing before.
 */
#include "frame_args.h"

static inline void clear_vals(PyObject **vals, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        vals[i] = NULL;
    }
}

#if ATR__FRAME_GETVAR
static void public_args(PyFrameObject *f, PyCodeObject *co, PyObject **vals, Py_ssize_t n) {
    clear_vals(vals, n);
    PyObject *names = PyCode_GetVarnames(co);
    if (!names) {
        PyErr_Clear();
        return;
    }
    for (Py_ssize_t i = 0; i < n && i < PyTuple_GET_SIZE(names); i++) {
        vals[i] = PyFrame_GetVar(f, PyTuple_GET_ITEM(names, i));
        if (!vals[i]) {
            PyErr_Clear(); /* unbound */
        } else {
            Py_DECREF(vals[i]); /* the frame's locals (or cell) keep it: borrowed */
        }
    }
    Py_DECREF(names);
}
#endif

void atr__frame_args(PyFrameObject *f, PyCodeObject *co, PyObject **vals, Py_ssize_t n) {
#if ATR__FRAME_PUBLIC
    PyObject **lp = f->f_localsplus;
    Py_ssize_t ncells = PyTuple_Check(co->co_cellvars) ? PyTuple_GET_SIZE(co->co_cellvars) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = i < co->co_nlocals ? lp[i] : NULL;
        if (!v && co->co_cell2arg) {
            for (Py_ssize_t k = 0; k < ncells; k++) {
                if (co->co_cell2arg[k] == i) {
                    PyObject *cell = lp[co->co_nlocals + k];
                    v = (cell && PyCell_Check(cell)) ? PyCell_GET(cell) : NULL;
                    break;
                }
            }
        }
        vals[i] = v;
    }
#elif ATR__FRAME_311
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    if (fi && fi->f_code == co) {
        atr__copy_slots(fi->localsplus, co, vals, n);
    } else {
        clear_vals(vals, n);
    }
#else
    public_args(f, co, vals, n);
#endif
}

int atr__code_has_cell_params(PyCodeObject *co, Py_ssize_t n) {
#if ATR__FRAME_PUBLIC
    (void)n;
    return co->co_cell2arg != NULL;
#else
    PyObject *kb = co->co_localspluskinds;
    if (!PyBytes_Check(kb) || PyBytes_GET_SIZE(kb) < n) {
        return 1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyBytes_AS_STRING(kb)[i] & ATR__CO_FAST_CELL) {
            return 1;
        }
    }
    return 0;
#endif
}

PyObject *atr__frame_globals(PyFrameObject *f) {
#if ATR__FRAME_PUBLIC
    return f->f_globals;
#else
    PyObject *g = PyFrame_GetGlobals(f); /* new reference; the frame keeps it alive */
    Py_XDECREF(g);
    return g;
#endif
}
