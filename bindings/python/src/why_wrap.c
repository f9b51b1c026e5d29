/*
 * why_wrap.c — _core.Index.why: `argtrace why` (atr_why_compute) as Python dicts, with index
 * call ids (the call, the children's slowest_call) that argtrace._analysis maps to Calls.
 */
#include "why_wrap.h"

#include "calls_wrap.h"
#include "pyvalue.h"

#define U64(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))

#define opt_id atr__py_opt_id

/* ---- why was this call slow (`argtrace why`) ---- */

/* {"value", "label"} plus the other keys of a group (exact groups: value is the value). */
static PyObject *why_group_py(const atr_index *ix, uint32_t value, const char *label) {
    PyObject *v = value != ATR_NO_VALUE ? atr__py_vid(ix, value) : PyUnicode_FromString(label);
    return Py_BuildValue("{sNss}", "value", v, "label", label);
}

static PyObject *why_arg_py(const atr_index *ix, const atr_why_arg *r) {
    PyObject *group = Py_NewRef(Py_None), *typical = Py_NewRef(Py_None);
    if (r->group) {
        Py_SETREF(group, why_group_py(ix, r->group_value, r->group));
        if (group == NULL || atr__py_put(group, "calls", U64(r->group_calls)) ||
            atr__py_put(group, "p50_ns", U64(r->group_p50_ns)) ||
            atr__py_put(group, "baseline_calls", U64(r->peer_calls)) ||
            atr__py_put(group, "baseline_p50_ns", U64(r->peer_p50_ns)) ||
            atr__py_put(group, "slow", PyBool_FromLong(r->slow_group)))
            Py_CLEAR(group);
    }
    if (r->typical) {
        Py_SETREF(typical, why_group_py(ix, r->typical_value, r->typical));
        if (typical == NULL || atr__py_put(typical, "calls", U64(r->typical_calls)) ||
            atr__py_put(typical, "p50_ns", U64(r->typical_p50_ns)) ||
            atr__py_put(typical, "median",
                        r->has_median ? PyFloat_FromDouble(r->median) : Py_NewRef(Py_None)))
            Py_CLEAR(typical);
    }
    if (group == NULL || typical == NULL) {
        Py_XDECREF(group);
        Py_XDECREF(typical);
        return NULL;
    }
    return Py_BuildValue("{sNsOsNsdsNsNsO}", "name", atr__str_py(r->name), "captured",
                         r->value != ATR_NO_VALUE ? Py_True : Py_False, "value",
                         atr__py_vid(ix, r->value), "score", r->score, "group", group, "typical",
                         typical, "differs", r->differs ? Py_True : Py_False);
}

/* The rows of w: children (fn names, index ids) and arguments, as lists. */
static PyObject *why_rows_py(const atr_index *ix, const atr_why *w, const atr_why_summary *S,
                             PyObject **args_out) {
    PyObject *kids = PyList_New(0), *args = PyList_New(0);
    for (uint32_t i = 0; kids && args && i < S->n_children; i++) {
        atr_why_child c;
        if (atr_why_get_child(w, i, &c) < 0)
            continue;
        PyObject *d = Py_BuildValue(
            "{sNsKsKsKsKsLsNsN}", "function", atr__py_fn_name(ix, c.function), "calls",
            (unsigned long long)c.calls, "typical_calls", (unsigned long long)c.typical_calls,
            "duration_ns", (unsigned long long)c.duration_ns, "typical_ns",
            (unsigned long long)c.typical_ns, "extra_ns", (long long)c.extra_ns, "slowest_call",
            opt_id(c.slowest_call), "resumed", PyBool_FromLong(c.resumed));
        if (d == NULL || PyList_Append(kids, d) < 0)
            Py_CLEAR(kids);
        Py_XDECREF(d);
    }
    for (uint32_t i = 0; kids && args && i < S->n_args; i++) {
        atr_why_arg r;
        if (atr_why_get_arg(w, i, &r) < 0)
            continue;
        PyObject *d = why_arg_py(ix, &r);
        if (d == NULL || PyList_Append(args, d) < 0)
            Py_CLEAR(args);
        Py_XDECREF(d);
    }
    if (kids == NULL || args == NULL) {
        Py_XDECREF(kids);
        Py_XDECREF(args);
        return NULL;
    }
    *args_out = args;
    return kids;
}

PyObject *atr__py_why(const atr_index *ix, uint32_t call) {
    atr_why *w = NULL;
    int rc = atr_why_compute(ix, call, &w);
    if (rc < 0)
        return rc == ATR_ENOMEM ? PyErr_NoMemory()
                                : PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_strerror(rc));
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    PyObject *group = Py_NewRef(Py_None), *args = NULL, *r = NULL;
    if (S.by_group) {
        Py_SETREF(group, why_group_py(ix, S.group_value, S.group_label));
        if (group == NULL || atr__py_put(group, "argument", atr__str_py(S.group_arg)) ||
            atr__py_put(group, "pair", PyBool_FromLong(S.group_pair)) ||
            atr__py_put(group, "filter", PyUnicode_FromString(S.group_filter)) ||
            atr__py_put(group, "score", PyFloat_FromDouble(S.group_score)) ||
            atr__py_put(group, "p50_ns", U64(S.group_p50_ns)))
            Py_CLEAR(group);
    }
    PyObject *kids = group ? why_rows_py(ix, w, &S, &args) : NULL;
    if (kids)
        r = Py_BuildValue(
            "{sIsLs{sKsKsKsKsO}sKs{sKsKsKsKsIssss}sNs{sKsKsL}sN}", "call", call, "extra_ns",
            (long long)S.extra_ns, "baseline", "calls", (unsigned long long)S.baseline_calls,
            "p50_ns", (unsigned long long)S.baseline_p50_ns, "function_calls",
            (unsigned long long)S.function_calls, "function_p50_ns",
            (unsigned long long)S.function_p50_ns, "group", group, "nth_call",
            (unsigned long long)S.nth_call, "same_values", "calls",
            (unsigned long long)S.same_calls, "p50_ns", (unsigned long long)S.same_p50_ns, "max_ns",
            (unsigned long long)S.same_max_ns, "nth", (unsigned long long)S.same_nth, "loose",
            (unsigned)S.same_loose, "verdict", atr_why_same_name(S.same_verdict), "says",
            atr_why_same_says(S.same_verdict), "children", kids, "self", "duration_ns",
            (unsigned long long)S.self_ns, "typical_ns", (unsigned long long)S.typical_self_ns,
            "extra_ns", (long long)S.self_extra_ns, "arguments", args);
    Py_XDECREF(group);
    atr_why_free(w);
    return r;
}
