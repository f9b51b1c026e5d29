/*
 * pyvalue.c — atr_value to Python (see pyvalue.h), for read_records and _core.Index.
 */
#include "pyvalue.h"

static PyObject *str_n(const char *p, size_t n) {
    return PyUnicode_DecodeUTF8(p ? p : "", (Py_ssize_t)n, "replace");
}

PyObject *atr__str_py(atr_str s) { return str_n(s.ptr, s.len); }

static PyObject *value_py(const atr_value *v, int depth);

static PyObject *summary_py(const atr_value *v, int depth) {
    PyObject *items = PyList_New(0);
    for (uint32_t i = 0; items != NULL && i < v->n_items && depth < 16; i++) {
        PyObject *it = value_py(&v->u.sum.items[i], depth + 1);
        if (it == NULL || PyList_Append(items, it) < 0)
            Py_CLEAR(items);
        Py_XDECREF(it);
    }
    if (items == NULL)
        return NULL;
    PyObject *len = v->u.sum.length < 0 ? Py_NewRef(Py_None) : PyLong_FromLongLong(v->u.sum.length);
    return Py_BuildValue("(sNNN)", "summary", str_n(v->u.sum.type, v->u.sum.type_len), len, items);
}

static PyObject *value_py(const atr_value *v, int depth) {
    atr_str s = {v->u.s.ptr, v->u.s.len};
    int cut = v->u.s.len < v->u.s.true_len;
    unsigned long long true_len = (unsigned long long)v->u.s.true_len;
    switch (v->kind) {
    case ATR_V_NIL:
        Py_RETURN_NONE;
    case ATR_V_BOOL:
        return PyBool_FromLong(v->u.b);
    case ATR_V_INT:
        return PyLong_FromLongLong(v->u.i);
    case ATR_V_UINT:
        return PyLong_FromUnsignedLongLong(v->u.u);
    case ATR_V_FLOAT:
        return PyFloat_FromDouble(v->u.f);
    case ATR_V_STR:
        return cut ? Py_BuildValue("(sNK)", "truncated_str", atr__str_py(s), true_len)
                   : atr__str_py(s);
    case ATR_V_BYTES:
        if (cut)
            return Py_BuildValue("(sy#K)", "truncated_bytes", s.ptr, (Py_ssize_t)s.len, true_len);
        return PyBytes_FromStringAndSize(s.ptr, (Py_ssize_t)s.len);
    case ATR_V_SUMMARY:
        return summary_py(v, depth);
    case ATR_V_REDACTED:
        return Py_BuildValue("(s)", "redacted");
    case ATR_V_BIGINT:
        return Py_BuildValue("(sN)", "bigint", atr__str_py(s));
    case ATR_V_REPR:
        return Py_BuildValue("(sNK)", "repr", atr__str_py(s), true_len);
    case ATR_V_ERROR:
        return Py_BuildValue("(sN)", "error", atr__str_py(s));
    default:
        return Py_BuildValue("(sIy#)", "unknown", (unsigned)v->n_items, s.ptr, (Py_ssize_t)s.len);
    }
}

PyObject *atr__value_py(const atr_value *v) { return value_py(v, 0); }
