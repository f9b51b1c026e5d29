/*
 * filter_names.c — where a code object's function lives (filter_decide.h: atr__filter_ns_search):
 * its module's globals and the dicts of classes found there (two levels), properties'
 * getters, setters and deleters, the functions of descriptors written in Python
 * (functools.cached_property, types.DynamicClassAttribute) and the functions that
 * functools.wraps wrappers wrap (`__wrapped__`: a contextmanager method's, for one). Gives the
 * qualname before 3.11 (code objects carry none) and tells whether a TracedFunction wraps it
 * (the decorator records it; atr__filter_mark_decorated catches the rest). Exact dicts and
 * builtin descriptor types only: no user code runs.
 */
#include "filter_decide.h"

#include "tracefunc.h"

static int func_has_code(PyObject *f, PyCodeObject *co) {
    return f && PyFunction_Check(f) && PyFunction_GET_CODE(f) == (PyObject *)co;
}

#if !ATR__CODE_QUALNAME
/* Qualname of `co` if it is compiled inside `parent` (qualname pq), as the compiler names
   nested code: "<locals>." after a function, "." after a class body. New ref or NULL. */
static PyObject *qual_in_consts(PyCodeObject *parent, PyObject *pq, PyCodeObject *co, int depth) {
    PyObject *consts = parent->co_consts;
    if (depth > 4 || !consts || !PyTuple_Check(consts)) {
        return NULL;
    }
    int is_func = (parent->co_flags & CO_NEWLOCALS) != 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(consts); i++) {
        PyObject *k = PyTuple_GET_ITEM(consts, i);
        if (!PyCode_Check(k)) {
            continue;
        }
        PyObject *q = PyUnicode_FromFormat(is_func ? "%U.<locals>.%U" : "%U.%U", pq,
                                           ((PyCodeObject *)k)->co_name);
        if (!q) {
            PyErr_Clear();
            return NULL;
        }
        if ((PyCodeObject *)k == co) {
            return q;
        }
        PyObject *r = qual_in_consts((PyCodeObject *)k, q, co, depth + 1);
        Py_DECREF(q);
        if (r) {
            return r;
        }
    }
    return NULL;
}
#endif

static int ns_visit(PyObject *v, PyCodeObject *co, int depth, atr__ns_hit *hit);

/* The function a decorator made with functools.wraps wraps (`__wrapped__` in the wrapper's
   own dict, an exact dict: no user code runs), a contextmanager method's for one; the
   chain followed at most 3 deep. */
static int wrapped_visit(PyObject *f, PyCodeObject *co, int depth, atr__ns_hit *hit) {
    for (int i = 0; i < 3; i++) {
        PyObject *d = ((PyFunctionObject *)f)->func_dict;
        PyObject *w = d && PyDict_CheckExact(d) ? PyDict_GetItemString(d, "__wrapped__") : NULL;
        if (!w || w == f || !PyFunction_Check(w)) {
            return 0;
        }
        if (func_has_code(w, co)) {
            return ns_visit(w, co, depth, hit);
        }
        f = w;
    }
    return 0;
}

/* A property's getter, setter and deleter (members of the exact property type). */
static int property_visit(PyObject *v, PyCodeObject *co, int depth, atr__ns_hit *hit) {
    static const char *const parts[] = {"fget", "fset", "fdel"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        PyObject *f = PyObject_GetAttrString(v, parts[i]);
        if (!f) {
            PyErr_Clear();
            continue;
        }
        int r = f != Py_None && ns_visit(f, co, depth, hit);
        Py_DECREF(f);
        if (r) {
            return 1;
        }
    }
    return 0;
}

#if !ATR__CODE_QUALNAME
/* A descriptor written in Python whose functions sit in its instance dict (an exact dict:
   read without attribute lookup, no user code runs): functools.cached_property's `func`,
   types.DynamicClassAttribute's (enum's `name`, `value`) `fget`, `fset`, `fdel`. Only for
   the qualname: 3.11+ code objects carry it. */
static int descriptor_visit(PyObject *v, PyCodeObject *co, int depth, atr__ns_hit *hit) {
    static const char *const parts[] = {"func", "fget", "fset", "fdel"};
    PyObject **dp = _PyObject_GetDictPtr(v);
    if (!dp || !*dp || !PyDict_CheckExact(*dp)) {
        return 0;
    }
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        PyObject *f = PyDict_GetItemString(*dp, parts[i]); /* borrowed */
        if (f && PyFunction_Check(f) && ns_visit(f, co, depth, hit)) {
            return 1;
        }
    }
    return 0;
}
#endif

static int ns_visit(PyObject *v, PyCodeObject *co, int depth, atr__ns_hit *hit) {
    if (PyFunction_Check(v)) {
        PyObject *q = ((PyFunctionObject *)v)->func_qualname;
        if (!func_has_code(v, co)) {
#if !ATR__CODE_QUALNAME
            if (!hit->qualname && q && PyUnicode_Check(q)) {
                hit->qualname = qual_in_consts((PyCodeObject *)PyFunction_GET_CODE(v), q, co, 0);
            }
#endif
            return wrapped_visit(v, co, depth, hit);
        }
        if (!hit->qualname) {
            hit->qualname = Py_NewRef(q);
        }
        return 0; /* keep looking: a TracedFunction may wrap it elsewhere */
    }
    if (Py_IS_TYPE(v, &atr__TracedFunction_Type)) {
        if (func_has_code(((atr__traced *)v)->func, co)) {
            hit->decorated = 1;
            return 1;
        }
        return 0;
    }
    if (Py_IS_TYPE(v, &PyProperty_Type)) {
        return property_visit(v, co, depth, hit);
    }
    if (Py_IS_TYPE(v, &PyStaticMethod_Type) || Py_IS_TYPE(v, &PyClassMethod_Type)) {
        PyObject *f = PyObject_GetAttrString(v, "__func__");
        if (!f) {
            PyErr_Clear();
            return 0;
        }
        int r = ns_visit(f, co, depth, hit);
        Py_DECREF(f);
        return r;
    }
#if !ATR__CODE_QUALNAME
    if (depth > 0 && !PyType_Check(v) && (Py_TYPE(v)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return descriptor_visit(v, co, depth, hit); /* in a class's dict */
    }
#endif
    if (PyType_Check(v) && depth < 2 && (((PyTypeObject *)v)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        PyObject *d = ((PyTypeObject *)v)->tp_dict;
        Py_ssize_t pos = 0;
        PyObject *k, *item;
        while (d && PyDict_Next(d, &pos, &k, &item)) {
            if (item != v && ns_visit(item, co, depth + 1, hit)) {
                return 1;
            }
        }
    }
    return 0;
}

void atr__filter_ns_search(PyCodeObject *co, PyObject *globals, atr__ns_hit *hit) {
    if (globals && PyDict_CheckExact(globals)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(globals, &pos, &k, &v)) {
            if (ns_visit(v, co, 0, hit)) {
                return;
            }
        }
    }
}
