/*
 * diff_wrap.c — Index.diff() (see diff_wrap.h). Shapes follow `argtrace diff --json`:
 * {function, base: {calls, total_ns, p50_ns, p95_ns}, new: {...}, added_ns, ratio_p50,
 * ratio_p95, p_value, significant, arguments: [{name, groups: [{value, base, new, ...,
 * filter}]}]}; NaN and infinite figures become None as JSON null.
 */
#include "diff_wrap.h"

#include "pyvalue.h"

#include <math.h>
#include <string.h>

/* The function a name means; one name in several files (moved between runs) is one. */
static int resolve(const atr_index *ix, PyObject *name_o, uint32_t *fn) {
    const char *name = PyUnicode_AsUTF8(name_o);
    uint32_t cands[16], n = 0;
    if (name == NULL)
        return -1;
    int rc = atr_index_find_function(ix, name, fn, cands, 16, &n);
    if (rc == ATR_EAMBIGUOUS && n <= 16) {
        char a[512], b[512];
        int same = atr_function_name(ix, cands[0], a, sizeof a) < sizeof a;
        for (uint32_t i = 1; same && i < n; i++)
            same = atr_function_name(ix, cands[i], b, sizeof b) < sizeof b && strcmp(a, b) == 0;
        if (same) {
            *fn = cands[0];
            return 0;
        }
    }
    if (rc == 0)
        return 0;
    PyErr_Format(PyExc_ValueError, "argtrace: function %R %s", name_o,
                 rc == ATR_EAMBIGUOUS ? "is ambiguous (give more of its module-qualified name)"
                                      : "not found in the logs");
    return -1;
}

static PyObject *num(double x) {
    if (isnan(x) || isinf(x))
        Py_RETURN_NONE;
    return PyFloat_FromDouble(x);
}

static PyObject *side_py(const atr_diff_side *s) {
    return Py_BuildValue("{sKsKsKsK}", "calls", (unsigned long long)s->calls, "total_ns",
                         (unsigned long long)s->total_ns, "p50_ns", (unsigned long long)s->p50_ns,
                         "p95_ns", (unsigned long long)s->p95_ns);
}

/* Add the comparison's keys to d; nonzero on failure. */
static int put_stat(PyObject *d, const atr_diff_stat *st) {
    PyObject *v[7] = {side_py(&st->side[ATR_DIFF_BASE]),
                      side_py(&st->side[ATR_DIFF_NEW]),
                      PyLong_FromLongLong((long long)st->added_ns),
                      num(st->ratio_p50),
                      num(st->ratio_p95),
                      num(st->p_value),
                      PyBool_FromLong(st->significant)};
    static const char *const keys[7] = {"base",      "new",     "added_ns",   "ratio_p50",
                                        "ratio_p95", "p_value", "significant"};
    int bad = 0;
    for (int k = 0; k < 7; k++) {
        bad |= v[k] == NULL || PyDict_SetItemString(d, keys[k], v[k]) < 0;
        Py_XDECREF(v[k]);
    }
    return bad;
}

static PyObject *group_py(const atr_index *ix, const atr_diff_group *g) {
    atr_value v;
    PyObject *d = PyDict_New(), *value, *filter;
    if (d == NULL)
        return NULL;
    if (g->value != ATR_NO_VALUE && atr_index_value(ix, g->value, &v) == 0)
        value = atr__value_py(&v);
    else
        value = PyUnicode_DecodeUTF8(g->label, (Py_ssize_t)strlen(g->label), "replace");
    filter = PyUnicode_DecodeUTF8(g->filter, (Py_ssize_t)strlen(g->filter), "replace");
    int bad = value == NULL || filter == NULL || PyDict_SetItemString(d, "value", value) < 0 ||
              put_stat(d, &g->stat) || PyDict_SetItemString(d, "filter", filter) < 0;
    Py_XDECREF(value);
    Py_XDECREF(filter);
    if (bad)
        Py_CLEAR(d);
    return d;
}

static PyObject *args_py(const atr_index *ix, const atr_diff *r, uint32_t i, uint32_t n_args) {
    PyObject *list = PyList_New(0);
    for (uint32_t a = 0; list && a < n_args; a++) {
        atr_arg_score as;
        if (atr_diff_arg(r, i, a, &as) < 0)
            continue;
        PyObject *groups = PyList_New(0);
        for (uint32_t g = 0; groups && g < as.n_groups; g++) {
            atr_diff_group grp;
            PyObject *gd = atr_diff_group_get(r, i, a, g, &grp) == 0 ? group_py(ix, &grp) : NULL;
            if (gd == NULL || PyList_Append(groups, gd) < 0)
                Py_CLEAR(groups);
            Py_XDECREF(gd);
        }
        PyObject *ad =
            groups ? Py_BuildValue("{sNsO}", "name", atr__str_py(as.name), "groups", groups) : NULL;
        if (ad == NULL || PyList_Append(list, ad) < 0)
            Py_CLEAR(list);
        Py_XDECREF(ad);
        Py_XDECREF(groups);
    }
    return list;
}

PyObject *atr__py_diff(const atr_index *ix, uint32_t n_base, PyObject *function,
                       const atr_filter *filter, uint64_t min_calls, double alpha) {
    atr_diff_config c;
    atr_diff_config_init(&c);
    c.n_base_files = n_base;
    c.filter = filter;
    c.min_calls = min_calls;
    c.alpha = alpha;
    if (function != Py_None && resolve(ix, function, &c.function) < 0)
        return NULL;
    atr_diff *r = NULL;
    int rc = atr_diff_compute(ix, &c, &r);
    if (rc == ATR_ENOMEM)
        return PyErr_NoMemory();
    if (rc < 0)
        return PyErr_Format(PyExc_ValueError,
                            "argtrace: diff: %s (alpha must be in (0, 1), both runs loaded)",
                            atr_strerror(rc));
    PyObject *list = PyList_New(0);
    for (uint32_t i = 0; list && i < atr_diff_count(r); i++) {
        atr_diff_function f;
        if (atr_diff_function_get(r, i, &f) < 0)
            continue;
        PyObject *d = PyDict_New();
        PyObject *name = PyUnicode_DecodeUTF8(f.name, (Py_ssize_t)strlen(f.name), "replace");
        PyObject *args = d && name ? args_py(ix, r, i, f.n_args) : NULL;
        if (args == NULL || PyDict_SetItemString(d, "function", name) < 0 || put_stat(d, &f.stat) ||
            PyDict_SetItemString(d, "arguments", args) < 0 || PyList_Append(list, d) < 0)
            Py_CLEAR(list);
        Py_XDECREF(d);
        Py_XDECREF(name);
        Py_XDECREF(args);
    }
    atr_diff_free(r);
    return list;
}
