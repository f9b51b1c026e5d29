/*
 * index_args.c — the argument checks and conversions every _core.Index method file uses
 * (index_wrap.h).
 */
#include "index_wrap.h"

int ready(pyindex *self) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: the index is loading in another thread");
        return -1;
    }
    return 0;
}

/* A filter ANDing every string of `exprs` (None: *out = NULL, no filter). */
int make_filter(PyObject *exprs, atr_filter **out) {
    *out = NULL;
    if (exprs == Py_None)
        return 0;
    PyObject *seq = PySequence_Fast(exprs, "argtrace: filters must be a list of strings");
    if (seq == NULL)
        return -1;
    char err[256] = "";
    int rc = atr_filter_parse("", out, err, sizeof err);
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        const char *s = PyUnicode_Check(item) ? PyUnicode_AsUTF8(item) : NULL;
        if (s == NULL) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "argtrace: a filter must be a str, not %.80s",
                             Py_TYPE(item)->tp_name);
            rc = -1;
        } else if ((rc = atr_filter_add(*out, s, err, sizeof err)) < 0) {
            if (rc == ATR_ENOMEM)
                PyErr_NoMemory();
            else
                PyErr_Format(PyExc_ValueError, "argtrace: filter %R: %s", item,
                             err[0] ? err : atr_strerror(rc));
        }
    }
    if (rc == ATR_ENOMEM && !PyErr_Occurred())
        PyErr_NoMemory();
    Py_DECREF(seq);
    if (rc != 0) {
        atr_filter_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* fn from a Python int or None (all functions); -1 with ValueError when out of range. */
int get_fn(const atr_index *ix, PyObject *o, uint32_t *fn) {
    if (o == Py_None) {
        *fn = ATR_ALL_FUNCTIONS;
        return 0;
    }
    atr_index_info info;
    atr_index_get_info(ix, &info);
    unsigned long v = PyLong_AsUnsignedLong(o);
    if (PyErr_Occurred() || v >= info.n_functions) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "argtrace: no function %R in the index", o);
        return -1;
    }
    *fn = (uint32_t)v;
    return 0;
}

/* *out = o as an id below UINT32_MAX; -1 with ValueError "no <what> o in the index". */
int get_id(PyObject *o, const char *what, uint32_t *out) {
    unsigned long v = PyLong_AsUnsignedLong(o);
    if (PyErr_Occurred() || v >= UINT32_MAX) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "argtrace: no %s %R in the index", what, o);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int get_call(const atr_index *ix, PyObject *o, uint32_t *call, atr_call_view *cv) {
    if (get_id(o, "call", call) < 0)
        return -1;
    if (atr_index_call(ix, *call, cv) < 0) {
        PyErr_Format(PyExc_ValueError, "argtrace: no call %R in the index", o);
        return -1;
    }
    return 0;
}
