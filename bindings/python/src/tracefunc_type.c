/*
 * tracefunc_type.c — the `TracedFunction` type: construction and options, the
 * functools.update_wrapper attributes, forwarded function attributes (__code__, ...),
 * descriptor binding, pickling by reference, GC. The call path is in tracefunc.c.
 *
 * Descriptors given to the constructor are unwrapped: TracedFunction(classmethod(f)) is
 * classmethod(TracedFunction(f)); the same for staticmethod; a property gets each accessor
 * traced.
 */
#include "tracefunc.h"

#include <string.h>

/* --- construction ----------------------------------------------------------------------- */

static PyObject *to_frozenset(PyObject *o) {
    if (o == NULL || o == Py_None)
        return NULL;
    if (PyUnicode_Check(o)) {
        PyObject *t = PyTuple_Pack(1, o);
        PyObject *r = t ? PyFrozenSet_New(t) : NULL;
        Py_XDECREF(t);
        return r;
    }
    return PyFrozenSet_New(o);
}

/* Tuple of lower-cased str patterns. */
PyObject *atr__lower_patterns(PyObject *seq) {
    if (seq == NULL || seq == Py_None)
        return PyTuple_New(0);
    if (PyUnicode_Check(seq)) {
        PyErr_SetString(PyExc_TypeError, "argtrace: redact must be an iterable of str patterns");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(seq, "argtrace: redact must be an iterable of str");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject *out = PyTuple_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *p = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyUnicode_Check(p)) {
            PyErr_SetString(PyExc_TypeError, "argtrace: redact patterns must be str");
            Py_CLEAR(out);
            break;
        }
        if (PyUnicode_GET_LENGTH(p) == 0) { /* matches no name: nothing would be redacted */
            PyErr_SetString(PyExc_ValueError, "argtrace: an empty redact pattern matches no "
                                              "name (give a name or a pattern such as 'pass*')");
            Py_CLEAR(out);
            break;
        }
        PyObject *low = PyObject_CallMethod(p, "lower", NULL);
        if (low == NULL)
            Py_CLEAR(out);
        else
            PyTuple_SET_ITEM(out, i, low);
    }
    Py_DECREF(fast);
    return out;
}

/* functools.update_wrapper: copy identity attributes, then the wrapped __dict__. */
static int update_wrapper(atr__traced *t) {
    static const char *const assigned[] = {"__module__", "__name__",        "__qualname__",
                                           "__doc__",    "__type_params__", NULL};
    t->dict = PyDict_New();
    if (t->dict == NULL)
        return -1;
    for (int i = 0; assigned[i]; i++) {
        PyObject *v = PyObject_GetAttrString(t->func, assigned[i]);
        if (v == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                return -1;
            PyErr_Clear();
            continue;
        }
        int rc = PyDict_SetItemString(t->dict, assigned[i], v);
        Py_DECREF(v);
        if (rc < 0)
            return -1;
    }
    PyObject *d = PyObject_GetAttrString(t->func, "__dict__");
    if (d == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return -1;
        PyErr_Clear();
    } else {
        int rc = PyDict_Check(d) ? PyDict_Update(t->dict, d) : 0;
        Py_DECREF(d);
        if (rc < 0)
            return -1;
    }
    return PyDict_SetItemString(t->dict, "__wrapped__", t->func);
}

static PyObject *traced_new(PyTypeObject *type, PyObject *args, PyObject *kwds);

/* trace(classmethod(f)) -> classmethod(trace(f)); same for staticmethod and property. */
static PyObject *wrap_descriptor(PyTypeObject *type, PyObject *desc, PyObject *kwds) {
    if (PyObject_TypeCheck(desc, &PyClassMethod_Type) ||
        PyObject_TypeCheck(desc, &PyStaticMethod_Type)) {
        PyObject *inner = PyObject_GetAttrString(desc, "__func__");
        if (inner == NULL)
            return NULL;
        PyObject *a = PyTuple_Pack(1, inner);
        Py_DECREF(inner);
        PyObject *tr = a ? traced_new(type, a, kwds) : NULL;
        Py_XDECREF(a);
        if (tr == NULL)
            return NULL;
        PyObject *r = PyObject_TypeCheck(desc, &PyClassMethod_Type) ? PyClassMethod_New(tr)
                                                                    : PyStaticMethod_New(tr);
        Py_DECREF(tr);
        return r;
    }
    /* property: trace each accessor that exists. */
    static const char *const parts[][2] = {
        {"fget", "getter"}, {"fset", "setter"}, {"fdel", "deleter"}};
    PyObject *cur = Py_NewRef(desc);
    for (int i = 0; i < 3 && cur != NULL; i++) {
        PyObject *fn = PyObject_GetAttrString(cur, parts[i][0]);
        if (fn == NULL || fn == Py_None) {
            if (fn == NULL)
                Py_CLEAR(cur);
            Py_XDECREF(fn);
            continue;
        }
        PyObject *a = PyTuple_Pack(1, fn);
        Py_DECREF(fn);
        PyObject *tr = a ? traced_new(type, a, kwds) : NULL;
        Py_XDECREF(a);
        PyObject *next = tr ? PyObject_CallMethod(cur, parts[i][1], "O", tr) : NULL;
        Py_XDECREF(tr);
        Py_SETREF(cur, next);
    }
    return cur;
}

static PyObject *traced_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"func",   "capture",      "skip", "result", "max_value_bytes",
                             "redact", "capture_repr", "name", NULL};
    PyObject *func, *capture = Py_None, *skip = NULL, *mvb = Py_None, *redact = NULL;
    PyObject *name = Py_None;
    int result = 1, capture_repr = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOpOOpO:TracedFunction", kwlist, &func,
                                     &capture, &skip, &result, &mvb, &redact, &capture_repr, &name))
        return NULL;
    if (PyObject_TypeCheck(func, &PyClassMethod_Type) ||
        PyObject_TypeCheck(func, &PyStaticMethod_Type) ||
        PyObject_TypeCheck(func, &PyProperty_Type))
        return wrap_descriptor(type, func, kwds);
    if (!PyCallable_Check(func)) {
        PyErr_Format(PyExc_TypeError, "argtrace: cannot trace a %.100s object (not callable)",
                     Py_TYPE(func)->tp_name);
        return NULL;
    }
    if (name != Py_None && !PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "argtrace: name must be a str or None");
        return NULL;
    }
    Py_ssize_t max_bytes = -1;
    if (mvb != Py_None) {
        max_bytes = PyLong_AsSsize_t(mvb);
        if (max_bytes == -1 && PyErr_Occurred())
            return NULL;
        if (max_bytes < 0) {
            PyErr_SetString(PyExc_ValueError, "argtrace: max_value_bytes must be >= 0");
            return NULL;
        }
    }
    atr__traced *t = (atr__traced *)type->tp_alloc(type, 0);
    if (t == NULL)
        return NULL;
    t->vectorcall = atr__traced_vectorcall;
    t->func = Py_NewRef(func);
    t->result = result;
    t->capture_repr = capture_repr;
    t->max_value_bytes = max_bytes;
    t->name = name != Py_None ? Py_NewRef(name) : NULL;
    t->capture = to_frozenset(capture);
    t->skip = to_frozenset(skip);
    t->redact = atr__lower_patterns(redact);
    if (PyErr_Occurred() || t->redact == NULL)
        goto fail;
    if (PyFunction_Check(func) && atr__traced_plan_code(t, PyFunction_GET_CODE(func)) < 0)
        goto fail;
    if (update_wrapper(t) < 0)
        goto fail;
    return (PyObject *)t;
fail:
    Py_DECREF(t);
    return NULL;
}

static int traced_traverse(atr__traced *t, visitproc visit, void *arg) {
    Py_VISIT(t->func);
    Py_VISIT(t->dict);
    Py_VISIT(t->name);
    Py_VISIT(t->capture);
    Py_VISIT(t->skip);
    Py_VISIT(t->code);
    return 0;
}

static int traced_clear(atr__traced *t) {
    atr__bare_forget(t); /* (reads t->func) */
    Py_CLEAR(t->func);
    Py_CLEAR(t->dict);
    Py_CLEAR(t->name);
    Py_CLEAR(t->capture);
    Py_CLEAR(t->skip);
    Py_CLEAR(t->redact);
    Py_CLEAR(t->code);
    Py_CLEAR(t->varnames);
    Py_CLEAR(t->opts_redact);
    t->opts.redact = NULL;
    return 0;
}

static void traced_dealloc(atr__traced *t) {
    PyObject_GC_UnTrack(t);
    if (t->weakrefs != NULL)
        PyObject_ClearWeakRefs((PyObject *)t);
    traced_clear(t);
    PyMem_Free(t->mode);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static PyObject *traced_descr_get(PyObject *self, PyObject *obj, PyObject *type) {
    (void)type;
    if (obj == NULL || obj == Py_None)
        return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyObject *traced_repr(atr__traced *t) {
    return PyUnicode_FromFormat("<argtrace traced %R>", t->func);
}

/* Forwarded function attributes (closure: the attribute name). */
static PyObject *fwd_get(atr__traced *t, void *name) {
    return PyObject_GetAttrString(t->func, (const char *)name);
}
static int fwd_set(atr__traced *t, PyObject *v, void *name) {
    if (v == NULL)
        return PyObject_DelAttrString(t->func, (const char *)name);
    return PyObject_SetAttrString(t->func, (const char *)name, v);
}

static PyObject *traced_reduce(atr__traced *t, PyObject *unused) {
    (void)unused;
    /* Pickle by reference: the module attribute named __qualname__ (this wrapper). */
    PyObject *qn = t->dict ? PyDict_GetItemString(t->dict, "__qualname__") : NULL;
    if (qn == NULL) {
        PyErr_SetString(PyExc_TypeError, "argtrace: cannot pickle a traced object without "
                                         "__qualname__");
        return NULL;
    }
    return Py_NewRef(qn);
}

#if ATR__CLASS_AS_FUNCTION
static PyObject *traced_class(atr__traced *t, void *unused) {
    (void)unused;
    if (t->func != NULL && PyFunction_Check(t->func))
        return Py_NewRef(&PyFunction_Type);
    return Py_NewRef(Py_TYPE(t));
}
#endif

static PyGetSetDef traced_getset[] = {
#if ATR__CLASS_AS_FUNCTION
    {"__class__", (getter)traced_class, NULL, NULL, NULL},
#endif
    {"__code__", (getter)fwd_get, (setter)fwd_set, NULL, "__code__"},
    {"__defaults__", (getter)fwd_get, (setter)fwd_set, NULL, "__defaults__"},
    {"__kwdefaults__", (getter)fwd_get, (setter)fwd_set, NULL, "__kwdefaults__"},
    {"__annotations__", (getter)fwd_get, (setter)fwd_set, NULL, "__annotations__"},
#if ATR__FUNC_ANNOTATE
    {"__annotate__", (getter)fwd_get, (setter)fwd_set, NULL, "__annotate__"},
#endif
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef traced_methods[] = {
    {"__reduce__", (PyCFunction)traced_reduce, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};

PyTypeObject atr__TracedFunction_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.TracedFunction",
    .tp_basicsize = sizeof(atr__traced),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
                Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "A callable that records each call of the wrapped callable (argtrace.trace).",
    .tp_new = traced_new,
    .tp_dealloc = (destructor)traced_dealloc,
    .tp_traverse = (traverseproc)traced_traverse,
    .tp_clear = (inquiry)traced_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(atr__traced, vectorcall),
    .tp_descr_get = traced_descr_get,
    .tp_repr = (reprfunc)traced_repr,
    .tp_dictoffset = offsetof(atr__traced, dict),
    .tp_weaklistoffset = offsetof(atr__traced, weakrefs),
    .tp_getset = traced_getset,
    .tp_methods = traced_methods,
};

int atr__tracefunc_init_types(PyObject *module) {
    if (PyType_Ready(&atr__TracedFunction_Type) < 0)
        return -1;
    Py_INCREF(&atr__TracedFunction_Type);
    if (PyModule_AddObject(module, "TracedFunction", (PyObject *)&atr__TracedFunction_Type) < 0) {
        Py_DECREF(&atr__TracedFunction_Type);
        return -1;
    }
    return 0;
}
