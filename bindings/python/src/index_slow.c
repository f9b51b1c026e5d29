/*
 * index_slow.c — _core.Index methods `slow`, `slow_custom` (which argument explains the
 * duration) and `why` (why_wrap.h).
 */
#include "index_wrap.h"

#include "calls_wrap.h"
#include "pyvalue.h"
#include "why_wrap.h"

#include <stdlib.h>
#include <string.h>

/* ---- which argument explains the duration (`argtrace slow`) ---- */

static PyObject *group_py(const atr_index *ix, const atr_arg_group *g) {
    PyObject *value = g->value != ATR_NO_VALUE ? vid_py(ix, g->value)
                                               : PyUnicode_FromString(g->label ? g->label : "");
    return Py_BuildValue("{sNsssssKsKsKsKsKsN}", "value", value, "label", g->label ? g->label : "",
                         "filter", g->filter ? g->filter : "", "calls",
                         (unsigned long long)g->calls, "p50_ns", (unsigned long long)g->p50_ns,
                         "p95_ns", (unsigned long long)g->p95_ns, "max_ns",
                         (unsigned long long)g->max_ns, "total_ns", (unsigned long long)g->total_ns,
                         "slowest_call", opt_id(g->slowest_call));
}

static PyObject *arg_py(const atr_index *ix, const atr_argscore *s, uint32_t i,
                        const atr_arg_score *as) {
    PyObject *groups = PyList_New(0);
    for (uint32_t g = 0; groups != NULL && g < as->n_groups; g++) {
        atr_arg_group grp;
        if (atr_argscore_group(s, i, g, &grp) < 0)
            continue;
        PyObject *d = group_py(ix, &grp);
        if (d == NULL || PyList_Append(groups, d) < 0)
            Py_CLEAR(groups);
        Py_XDECREF(d);
    }
    if (groups == NULL)
        return NULL;
    return Py_BuildValue("{sNsdsdsIsKsKsNsO}", "name", atr__str_py(as->name), "score", as->score,
                         "score_trend", as->score_trend, "mode", as->mode, "n_distinct",
                         (unsigned long long)as->n_distinct, "n_captured",
                         (unsigned long long)as->n_captured, "groups", groups, "pair",
                         as->pair ? Py_True : Py_False);
}

/* {function, calls, arguments} of a result; steals nothing. */
static PyObject *slow_py(const atr_index *ix, PyObject *fname, const atr_argscore *s) {
    PyObject *list = PyList_New(0);
    for (uint32_t i = 0; list && i < atr_argscore_count(s); i++) {
        atr_arg_score as;
        if (atr_argscore_arg(s, i, &as) < 0)
            continue;
        PyObject *d = arg_py(ix, s, i, &as);
        if (!d || PyList_Append(list, d) < 0)
            Py_CLEAR(list);
        Py_XDECREF(d);
    }
    if (!list)
        return NULL;
    return Py_BuildValue("{sOsKsN}", "function", fname, "calls",
                         (unsigned long long)atr_argscore_calls(s), "arguments", list);
}

/* The names of fn's arguments joined by ", " ("none"), for error messages. */
static PyObject *arg_names(const atr_index *ix, uint32_t fn) {
    atr_argscore *s = NULL;
    PyObject *names = PyList_New(0), *r = NULL;
    if (names && atr_argscore_compute(ix, fn, NULL, 0, &s) == 0) {
        for (uint32_t i = 0; names && i < atr_argscore_count(s); i++) {
            atr_arg_score as;
            PyObject *name = atr_argscore_arg(s, i, &as) == 0 ? atr__str_py(as.name) : NULL;
            if (!name || PyList_Append(names, name) < 0)
                Py_CLEAR(names);
            Py_XDECREF(name);
        }
    }
    atr_argscore_free(s);
    if (names && PyList_GET_SIZE(names) == 0)
        r = PyUnicode_FromString("none");
    else if (names) {
        PyObject *sep = PyUnicode_FromString(", ");
        r = sep ? PyUnicode_Join(sep, names) : NULL;
        Py_XDECREF(sep);
    }
    Py_XDECREF(names);
    return r;
}

/* The keys of `by` (a str or a list of str) as UTF-8 pointers into the objects; -1 on error. */
static int by_keys(PyObject *by, PyObject **seq, const char ***keys, Py_ssize_t *n) {
    *keys = NULL;
    *seq = PyUnicode_Check(by) ? PyTuple_Pack(1, by)
                               : PySequence_Fast(by, "argtrace: by must be a str, a list of "
                                                     "str or a function of the call");
    if (!*seq)
        return -1;
    *n = PySequence_Fast_GET_SIZE(*seq);
    *keys = PyMem_Calloc((size_t)(*n ? *n : 1), sizeof(char *));
    if (!*keys) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *k = PySequence_Fast_GET_ITEM(*seq, i);
        if (!PyUnicode_Check(k)) {
            PyErr_Format(PyExc_TypeError, "argtrace: a key must be a str like 'len(sql)', not %R",
                         k);
            return -1;
        }
        if (!((*keys)[i] = PyUnicode_AsUTF8(k)))
            return -1;
    }
    return 0;
}

/*
 * slow(fn, filters|None, by|None, with_result=False) -> {function, calls, arguments}; by: a
 * key or a list of keys (atr_argscore_compute_keys: "n", "len(sql)", "a,b").
 */
static PyObject *ix_slow(pyindex *self, PyObject *args) {
    PyObject *fo, *fl = Py_None, *by = Py_None, *seq = NULL, *r = NULL;
    int with_result = 0;
    uint32_t fn;
    atr_filter *f = NULL;
    atr_argscore *s = NULL;
    const char **keys = NULL;
    Py_ssize_t nk = 0;
    char err[300] = "";
    if (!PyArg_ParseTuple(args, "O|OOp", &fo, &fl, &by, &with_result) || ready(self) < 0 ||
        get_fn(self->ix, fo, &fn) < 0)
        return NULL;
    if (fn == ATR_ALL_FUNCTIONS)
        return PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_strerror(ATR_EINVAL));
    if (make_filter(fl, &f) < 0 || (by != Py_None && by_keys(by, &seq, &keys, &nk) < 0))
        goto out;
    int rc =
        by == Py_None
            ? atr_argscore_compute(self->ix, fn, f,
                                   ATR_ARGSCORE_PAIR | (with_result ? ATR_ARGSCORE_RESULT : 0), &s)
            : atr_argscore_compute_keys(self->ix, fn, f, keys, (uint32_t)nk, &s, err, sizeof err);
    if (rc == ATR_ENOTFOUND && strncmp(err, "no argument", 11) == 0) {
        PyObject *names = arg_names(self->ix, fn);
        if (names)
            PyErr_Format(PyExc_ValueError, "argtrace: %s (arguments: %U)", err, names);
        Py_XDECREF(names);
    } else if (rc == ATR_ESYNTAX || rc == ATR_ENOTFOUND) { /* (or no such entry) */
        PyErr_Format(PyExc_ValueError, "argtrace: %s", err);
    } else if (rc < 0) {
        if (rc == ATR_ENOMEM)
            PyErr_NoMemory();
        else
            PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_strerror(rc));
    } else {
        PyObject *name = fn_name(self->ix, fn);
        r = name ? slow_py(self->ix, name, s) : NULL;
        Py_XDECREF(name);
    }
out:
    atr_filter_free(f);
    atr_argscore_free(s);
    PyMem_Free(keys);
    Py_XDECREF(seq);
    return r;
}

/*
 * slow_custom(function_name, name, calls, tokens, numbers|None, labels) -> {function, calls,
 * arguments}: a key the caller computed per call (argtrace.load().slow(by=callable)).
 * calls: index call ids; tokens: per call an index into labels or None (no key); numbers:
 * per call a float (nan: none) or None for a key that is not numeric.
 */
static PyObject *ix_slow_custom(pyindex *self, PyObject *args) {
    PyObject *fname, *pcalls, *ptok, *pnum, *plab, *r = NULL;
    const char *name;
    if (!PyArg_ParseTuple(args, "UsO!O!OO!", &fname, &name, &PyList_Type, &pcalls, &PyList_Type,
                          &ptok, &pnum, &PyList_Type, &plab) ||
        ready(self) < 0)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(pcalls), nl = PyList_GET_SIZE(plab);
    if (PyList_GET_SIZE(ptok) != n ||
        (pnum != Py_None && (!PyList_Check(pnum) || PyList_GET_SIZE(pnum) != n)))
        return PyErr_Format(PyExc_ValueError, "argtrace: slow_custom: lists of unequal length");
    uint32_t *calls = PyMem_Calloc((size_t)(n ? n : 1), sizeof(uint32_t));
    uint32_t *tok = PyMem_Calloc((size_t)(n ? n : 1), sizeof(uint32_t));
    double *num = pnum != Py_None ? PyMem_Calloc((size_t)(n ? n : 1), sizeof(double)) : NULL;
    const char **labels = PyMem_Calloc((size_t)(nl ? nl : 1), sizeof(char *));
    atr_argscore *s = NULL;
    if (!calls || !tok || (pnum != Py_None && !num) || !labels) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(ptok, i);
        unsigned long c = PyLong_AsUnsignedLong(PyList_GET_ITEM(pcalls, i));
        unsigned long k = t == Py_None ? 0 : PyLong_AsUnsignedLong(t);
        if (PyErr_Occurred())
            goto out;
        calls[i] = (uint32_t)c;
        tok[i] = t == Py_None ? ATR_NO_VALUE : (uint32_t)k;
        if (num && ((num[i] = PyFloat_AsDouble(PyList_GET_ITEM(pnum, i))) == -1.0) &&
            PyErr_Occurred())
            goto out;
    }
    for (Py_ssize_t i = 0; i < nl; i++) {
        PyObject *l = PyList_GET_ITEM(plab, i);
        if (!PyUnicode_Check(l) || !(labels[i] = PyUnicode_AsUTF8(l))) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "argtrace: slow_custom: labels must be str");
            goto out;
        }
    }
    int rc = atr_argscore_compute_custom(self->ix, name, calls, (uint64_t)n, tok, num, labels,
                                         (uint32_t)nl, &s);
    if (rc < 0) {
        if (rc == ATR_ENOMEM)
            PyErr_NoMemory();
        else
            PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_strerror(rc));
    } else {
        r = slow_py(self->ix, fname, s);
    }
out:
    atr_argscore_free(s);
    PyMem_Free(calls);
    PyMem_Free(tok);
    PyMem_Free(num);
    PyMem_Free(labels);
    return r;
}

/* why(call id) -> {call, extra_ns, baseline, children, self, arguments} (why_wrap.h) */
static PyObject *ix_why(pyindex *self, PyObject *arg) {
    uint32_t call;
    atr_call_view cv;
    if (ready(self) < 0 || get_call(self->ix, arg, &call, &cv) < 0)
        return NULL;
    return atr__py_why(self->ix, call);
}

PyMethodDef atr__ix_slow_methods[] = {
    {"slow", (PyCFunction)ix_slow, METH_VARARGS,
     "slow(fn, filters=None, by=None, with_result=False) -> {function, calls, arguments}; "
     "by: a key or list of keys ('n', 'len(sql)', 'type(x)', 'rows.items', 'a,b')"},
    {"slow_custom", (PyCFunction)ix_slow_custom, METH_VARARGS,
     "slow_custom(function_name, name, calls, tokens, numbers|None, labels) -> {function, "
     "calls, arguments}: a key computed per call by the caller"},
    {"why", (PyCFunction)ix_why, METH_O,
     "why(id) -> {call, extra_ns, baseline, children, self, arguments}"},
    {NULL, NULL, 0, NULL}};
