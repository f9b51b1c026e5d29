/*
 * views.c — _core.CallView and _core.Views: the lazy Call objects of argtrace.load().
 *
 * CallView is the C base of argtrace._load.Call: the Log, the call's index id, and what was
 * read of it (Index.row(), the converted arguments), set by the Python properties on first
 * use. Views is a Log's table of the Calls in use: one borrowed pointer per index call id,
 * cleared when that Call dies, so `log.call(c.id) is c` while c is held, and a Log keeps no
 * Python object per call (8 bytes per call for the table, allocated on first use).
 */
#include "views.h"

#include <stddef.h>
#include <stdlib.h>

typedef struct views views;

typedef struct callview {
    PyObject ob_base;   /* PyObject_HEAD */
    PyObject *log;      /* owned: the Log (None for a records-built call) */
    views *cache;       /* owned: the table this view is in, NULL if none */
    PyObject *row;      /* owned or NULL: Index.row() of the call */
    PyObject *argv;     /* owned or NULL: (args, fields), converted */
    PyObject *weakrefs; /* weak references to this view */
    uint32_t ix;        /* the call's id in the Log's index */
} callview;

struct views {
    PyObject ob_base;  /* PyObject_HEAD */
    PyObject *log;     /* borrowed: the Log owns this table, every view owns the Log */
    PyTypeObject *cls; /* owned: the view type made (argtrace._load.Call) */
    callview **slots;  /* borrowed pointers, NULL: no view in use; NULL until first use */
    uint64_t n;        /* calls in the index */
};

static PyTypeObject CallView_Type;
static PyTypeObject Views_Type;

/* ---- CallView ---- */

static void cv_dealloc(callview *self) {
    if (self->weakrefs)
        PyObject_ClearWeakRefs((PyObject *)self);
    if (self->cache && self->cache->slots && self->cache->slots[self->ix] == self)
        self->cache->slots[self->ix] = NULL;
    Py_XDECREF(self->log);
    Py_XDECREF((PyObject *)self->cache);
    Py_XDECREF(self->row);
    Py_XDECREF(self->argv);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *cv_get(PyObject *v) { return Py_NewRef(v ? v : Py_None); }

static int cv_set(PyObject **slot, PyObject *v) {
    Py_XSETREF(*slot, v == Py_None ? NULL : Py_XNewRef(v));
    return 0;
}

static PyObject *get_log(callview *s, void *c) {
    (void)c;
    return cv_get(s->log);
}
static int set_log(callview *s, PyObject *v, void *c) {
    (void)c;
    return cv_set(&s->log, v);
}
static PyObject *get_row(callview *s, void *c) {
    (void)c;
    return cv_get(s->row);
}
static int set_row(callview *s, PyObject *v, void *c) {
    (void)c;
    return cv_set(&s->row, v);
}
static PyObject *get_argv(callview *s, void *c) {
    (void)c;
    return cv_get(s->argv);
}
static int set_argv(callview *s, PyObject *v, void *c) {
    (void)c;
    return cv_set(&s->argv, v);
}
static PyObject *get_ix(callview *s, void *c) {
    (void)c;
    return s->cache ? PyLong_FromUnsignedLong(s->ix) : Py_NewRef(Py_None);
}

static PyGetSetDef cv_getset[] = {
    {"_log", (getter)get_log, (setter)set_log, "the Log (None: none)", NULL},
    {"_row", (getter)get_row, (setter)set_row, "Index.row() of the call, None: not read", NULL},
    {"_argv", (getter)get_argv, (setter)set_argv, "(args, fields), None: not read", NULL},
    {"_ix", (getter)get_ix, NULL, "the call's id in the Log's index (None: none)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject CallView_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.CallView",
    .tp_basicsize = sizeof(callview),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The C base of argtrace.Call (private).",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)cv_dealloc,
    .tp_weaklistoffset = offsetof(callview, weakrefs),
    .tp_getset = cv_getset,
};

/* ---- Views ---- */

static PyObject *vs_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    PyObject *log, *cls;
    unsigned long long n;
    if ((kw && PyDict_GET_SIZE(kw)) || !PyArg_ParseTuple(args, "OKO", &log, &n, &cls))
        return PyErr_Format(PyExc_TypeError, "argtrace: Views(log, n_calls, cls)");
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &CallView_Type) ||
        n >= UINT32_MAX)
        return PyErr_Format(PyExc_TypeError, "argtrace: Views needs a CallView subtype");
    views *self = (views *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->log = log;
    self->cls = (PyTypeObject *)Py_NewRef(cls);
    self->n = n;
    return (PyObject *)self;
}

static void vs_dealloc(views *self) {
    free(self->slots); /* no view is left: each one owns this table */
    Py_XDECREF((PyObject *)self->cls);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The view of call i: the one in use, else a new one. */
static PyObject *vs_view(views *self, uint64_t i) {
    if (i >= self->n)
        return PyErr_Format(PyExc_ValueError, "argtrace: no call %llu in the index",
                            (unsigned long long)i);
    if (self->slots == NULL) {
        self->slots = calloc((size_t)self->n + 1, sizeof *self->slots);
        if (self->slots == NULL)
            return PyErr_NoMemory();
    }
    callview *v = self->slots[i];
    if (v)
        return Py_NewRef((PyObject *)v);
    v = (callview *)self->cls->tp_alloc(self->cls, 0);
    if (v == NULL)
        return NULL;
    v->log = Py_NewRef(self->log);
    v->cache = (views *)Py_NewRef((PyObject *)self);
    v->ix = (uint32_t)i;
    self->slots[i] = v;
    return (PyObject *)v;
}

static int get_u64(PyObject *o, uint64_t *out) {
    unsigned long long v = PyLong_AsUnsignedLongLong(o);
    if (v == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

/* get(i) -> the Call of index call id i */
static PyObject *vs_get(views *self, PyObject *arg) {
    uint64_t i;
    return get_u64(arg, &i) < 0 ? NULL : vs_view(self, i);
}

/* many(ids) -> [the Calls of these call ids]; many(None) -> every call's, in id order */
static PyObject *vs_many(views *self, PyObject *arg) {
    if (arg == Py_None) {
        PyObject *l = PyList_New((Py_ssize_t)self->n);
        for (uint64_t i = 0; l != NULL && i < self->n; i++) {
            PyObject *v = vs_view(self, i);
            if (v == NULL)
                Py_CLEAR(l);
            else
                PyList_SET_ITEM(l, (Py_ssize_t)i, v);
        }
        return l;
    }
    PyObject *it = PyObject_GetIter(arg), *item, *l = it ? PyList_New(0) : NULL;
    while (l != NULL && (item = PyIter_Next(it)) != NULL) {
        uint64_t i;
        PyObject *v = get_u64(item, &i) < 0 ? NULL : vs_view(self, i);
        Py_DECREF(item);
        if (v == NULL || PyList_Append(l, v) < 0)
            Py_CLEAR(l);
        Py_XDECREF(v);
    }
    Py_XDECREF(it);
    if (l != NULL && PyErr_Occurred())
        Py_CLEAR(l);
    return l;
}

/* in_use() -> the number of Calls alive */
static PyObject *vs_in_use(views *self, PyObject *unused) {
    (void)unused;
    uint64_t k = 0;
    for (uint64_t i = 0; self->slots && i < self->n; i++)
        k += self->slots[i] != NULL;
    return PyLong_FromUnsignedLongLong(k);
}

static PyMethodDef vs_methods[] = {
    {"get", (PyCFunction)vs_get, METH_O, "get(i) -> the Call of index call id i"},
    {"many", (PyCFunction)vs_many, METH_O, "many(ids | None) -> [Calls]"},
    {"in_use", (PyCFunction)vs_in_use, METH_NOARGS, "in_use() -> Calls alive"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject Views_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.Views",
    .tp_basicsize = sizeof(views),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Views(log, n_calls, cls): a Log's Calls in use (private).",
    .tp_new = vs_new,
    .tp_dealloc = (destructor)vs_dealloc,
    .tp_methods = vs_methods,
};

int atr__views_init_types(PyObject *m) {
    if (PyType_Ready(&CallView_Type) < 0 || PyType_Ready(&Views_Type) < 0)
        return -1;
    Py_INCREF(&CallView_Type);
    if (PyModule_AddObject(m, "CallView", (PyObject *)&CallView_Type) < 0) {
        Py_DECREF(&CallView_Type);
        return -1;
    }
    Py_INCREF(&Views_Type);
    if (PyModule_AddObject(m, "Views", (PyObject *)&Views_Type) < 0) {
        Py_DECREF(&Views_Type);
        return -1;
    }
    return 0;
}
