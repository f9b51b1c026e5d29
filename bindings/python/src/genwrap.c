/*
 * genwrap.c — proxies for coroutines, generators and async generators returned by traced
 * calls. One span covers the call until completion: the proxy installs the span as current
 * around every step (send/throw/close; inside an asyncio task also in the ContextVar, so
 * tasks created inside inherit it: spans.h), and ends it when the wrapped object
 * returns (END return with the value), raises (END raise), or is closed or collected before
 * completion (END raise GeneratorExit). Everything else is passed through unchanged.
 *
 * Types: CoroProxy (+ CoroAwait, what __await__ returns, as coroutine objects do),
 * GenProxy, AsyncGenProxy (+ AsyncGenStep, the awaitable of __anext__/asend/athrow/aclose).
 * They are separate so collections.abc sees exactly one protocol on each.
 */
#include "tracefunc.h"

#include <string.h>

typedef struct proxy {
    PyObject ob_base;    /* PyObject_HEAD */
    PyObject *wrapped;   /* owned: the coroutine / generator / async generator */
    atr__traced *traced; /* owned: the decorator (capture options for the result) */
    uint64_t span;
    uint64_t cur; /* span made current at the next step: an action begun in one step and
                     still open stays current in the following ones */
    uint64_t gen; /* session generation the span belongs to */
    int done;     /* the span has ended */
    PyObject *weakrefs;
} proxy;

/* CoroAwait and AsyncGenStep. */
typedef struct step {
    PyObject ob_base; /* PyObject_HEAD */
    proxy *owner;     /* owned */
    PyObject *inner;  /* owned: the async generator's awaitable, or NULL (CoroAwait) */
    int op;           /* OP_* of the async generator method that made it */
} step;

enum { OP_SEND, OP_THROW, OP_CLOSE };
enum { AOP_NEXT, AOP_SEND, AOP_THROW, AOP_CLOSE };

static PyTypeObject CoroProxy_Type, CoroAwait_Type, GenProxy_Type, AsyncGenProxy_Type,
    AsyncGenStep_Type;

static void set_stop_iteration(PyObject *value) {
    if (value == Py_None) {
        PyErr_SetNone(PyExc_StopIteration);
        return;
    }
    PyObject *e = PyObject_CallOneArg(PyExc_StopIteration, value);
    if (e != NULL) {
        PyErr_SetObject(PyExc_StopIteration, e);
        Py_DECREF(e);
    }
}

static const atr__capture_opts *opts_of(proxy *p) {
    return p->traced->gen == p->gen ? &p->traced->opts : NULL;
}

static void finish_return(proxy *p, PyObject *value) {
    if (p->done)
        return;
    p->done = 1;
    atr__span_end_return(p->gen, p->span, ATR_NOW, p->traced->result ? value : NULL, opts_of(p));
}

static void finish_error(proxy *p) {
    if (p->done)
        return;
    p->done = 1;
    atr__span_end_error(p->gen, p->span, ATR_NOW, opts_of(p));
}

static void finish_closed(proxy *p) {
    if (p->done)
        return;
    p->done = 1;
    atr_session *s = atr__session();
    if (s != NULL && p->gen == atr__g.gen) {
        atr_str ty = {"GeneratorExit", 13};
        atr_span_raise(s, p->span, ATR_NOW, ty, NULL);
    }
}

/* target.throw(*args) or target.close(). */
static PyObject *call_method(PyObject *target, int op, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *stack[4] = {target, NULL, NULL, NULL};
    if (nargs > 3)
        nargs = 3;
    for (Py_ssize_t i = 0; i < nargs; i++)
        stack[i + 1] = args[i];
    PyObject *name = PyUnicode_InternFromString(op == OP_THROW ? "throw" : "close");
    PyObject *res = name ? PyObject_VectorcallMethod(name, stack, (size_t)(nargs + 1), NULL) : NULL;
    Py_XDECREF(name);
    return res;
}

/* Resume target directly: send(args[0]) / throw(*args) / close(). *rv as atr__compat_send;
   a StopIteration from throw/close is left set (RETURN with NULL result). */
static PyObject *resume(PyObject *target, int op, PyObject *const *args, Py_ssize_t nargs,
                        atr__send_result *rv) {
    PyObject *res = NULL;
    if (op == OP_SEND) {
        *rv = atr__compat_send(target, nargs ? args[0] : Py_None, &res);
        return res;
    }
    res = call_method(target, op, args, nargs);
    if (res != NULL)
        *rv = ATR__SEND_NEXT;
    else if (PyErr_ExceptionMatches(PyExc_StopIteration))
        *rv = ATR__SEND_RETURN;
    else
        *rv = ATR__SEND_ERROR;
    return res;
}

/* One step of `target` inside p's span (RESUME before it; the caller writes SUSPEND). */
static PyObject *run(proxy *p, PyObject *target, int op, PyObject *const *args, Py_ssize_t nargs,
                     atr__send_result *rv) {
    atr__span_resume(p->gen, p->span, ATR_NOW);
    atr__cur saved = atr__span_enter(p->cur);
    PyObject *token = atr__span_publish(p->cur, atr__tls_current.ctx);
    PyObject *res = resume(target, op, args, nargs, rv);
    if (atr__tls_current.ctx == atr__compat_context())
        p->cur = atr__tls_current.span; /* what the body left current (an open action) */
    atr__span_ctx_reset(token);
    atr__span_leave(saved);
    return res;
}

/* After RETURN from send: raise StopIteration(value) (steals value). */
static PyObject *reraise_return(PyObject *value) {
    set_stop_iteration(value);
    Py_DECREF(value);
    return NULL;
}

/* --- coroutines and generators ---------------------------------------------------------- */

static PyObject *gen_op(proxy *p, int op, PyObject *const *args, Py_ssize_t nargs) {
    atr__send_result r;
    if (p->done) {
        PyObject *res = resume(p->wrapped, op, args, nargs, &r);
        return (r == ATR__SEND_RETURN && res != NULL) ? reraise_return(res) : res;
    }
    PyObject *res = run(p, p->wrapped, op, args, nargs, &r);
    if (op == OP_CLOSE) {
        if (res != NULL)
            finish_closed(p);
        else
            finish_error(p);
        return res;
    }
    if (r == ATR__SEND_NEXT) {
        atr__span_suspend(p->gen, p->span, ATR_NOW); /* yielded or awaits */
        return res;
    }
    if (r == ATR__SEND_ERROR) {
        finish_error(p);
        return NULL;
    }
    if (res != NULL) { /* send returned */
        finish_return(p, res);
        return reraise_return(res);
    }
    /* throw() completed it: StopIteration is set; record its value, keep it set. */
    atr__exc_state st = {0};
    atr__compat_exc_fetch(&st);
    PyObject *exc = atr__compat_exc_value(&st);
    PyObject *v = exc ? ((PyStopIterationObject *)exc)->value : NULL;
    finish_return(p, v ? v : Py_None);
    atr__compat_exc_restore(&st);
    return NULL;
}

static PyObject *p_send(proxy *p, PyObject *arg) { return gen_op(p, OP_SEND, &arg, 1); }
static PyObject *p_throw(proxy *p, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "throw expected 1 to 3 arguments");
        return NULL;
    }
    return gen_op(p, OP_THROW, args, nargs);
}
static PyObject *p_close(proxy *p, PyObject *unused) {
    (void)unused;
    return gen_op(p, OP_CLOSE, NULL, 0);
}
static PyObject *p_iternext(proxy *p) {
    PyObject *none = Py_None;
    return gen_op(p, OP_SEND, &none, 1);
}

/* --- CoroAwait: the iterator __await__ returns ------------------------------------------ */

static PyObject *step_new(PyTypeObject *tp, proxy *owner, PyObject *inner, int op) {
    step *s = PyObject_GC_New(step, tp);
    if (s == NULL) {
        Py_XDECREF(inner);
        return NULL;
    }
    s->owner = (proxy *)Py_NewRef(owner);
    s->inner = inner;
    s->op = op;
    PyObject_GC_Track(s);
    return (PyObject *)s;
}

static PyObject *coro_await(proxy *p) { return step_new(&CoroAwait_Type, p, NULL, 0); }
static PyObject *ca_send(step *s, PyObject *arg) { return p_send(s->owner, arg); }
static PyObject *ca_throw(step *s, PyObject *const *args, Py_ssize_t nargs) {
    return p_throw(s->owner, args, nargs);
}
static PyObject *ca_close(step *s, PyObject *unused) { return p_close(s->owner, unused); }
static PyObject *ca_iternext(step *s) { return p_iternext(s->owner); }

/* --- async generators ------------------------------------------------------------------- */

static PyObject *agen_make(proxy *p, const char *method, PyObject *const *args, Py_ssize_t nargs,
                           int aop) {
    PyObject *inner;
    if (nargs == 0) {
        inner = PyObject_CallMethod(p->wrapped, method, NULL);
    } else {
        PyObject *stack[4] = {p->wrapped, NULL, NULL, NULL};
        for (Py_ssize_t i = 0; i < nargs && i < 3; i++)
            stack[i + 1] = args[i];
        PyObject *name = PyUnicode_InternFromString(method);
        inner = name ? PyObject_VectorcallMethod(name, stack, (size_t)(nargs + 1), NULL) : NULL;
        Py_XDECREF(name);
    }
    if (inner == NULL)
        return NULL;
    if (p->done) /* nothing to record any more: hand out the real awaitable */
        return inner;
    return step_new(&AsyncGenStep_Type, p, inner, aop);
}

static PyObject *ag_anext(proxy *p) { return agen_make(p, "__anext__", NULL, 0, AOP_NEXT); }
static PyObject *ag_asend(proxy *p, PyObject *arg) {
    return agen_make(p, "asend", &arg, 1, AOP_SEND);
}
static PyObject *ag_athrow(proxy *p, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "athrow expected 1 to 3 arguments");
        return NULL;
    }
    return agen_make(p, "athrow", args, nargs, AOP_THROW);
}
static PyObject *ag_aclose(proxy *p, PyObject *unused) {
    (void)unused;
    return agen_make(p, "aclose", NULL, 0, AOP_CLOSE);
}
static PyObject *self_iter(PyObject *self) { return Py_NewRef(self); }

/* One step of an async generator awaitable. */
static PyObject *as_op(step *s, int op, PyObject *const *args, Py_ssize_t nargs) {
    proxy *p = s->owner;
    atr__send_result r;
    if (p->done) {
        PyObject *res = resume(s->inner, op, args, nargs, &r);
        return (r == ATR__SEND_RETURN && res != NULL) ? reraise_return(res) : res;
    }
    PyObject *res = run(p, s->inner, op, args, nargs, &r);
    if (r == ATR__SEND_NEXT) {
        atr__span_suspend(p->gen, p->span, ATR_NOW);
        return res; /* suspended in an await inside the generator */
    }
    if (r == ATR__SEND_RETURN) {
        /* The awaitable finished: a value was yielded (or aclose() completed). */
        if (s->op == AOP_CLOSE)
            finish_closed(p);
        else
            atr__span_suspend(p->gen, p->span, ATR_NOW);
        return res != NULL ? reraise_return(res) : NULL;
    }
    if (PyErr_ExceptionMatches(PyExc_StopAsyncIteration)) {
        if (s->op == AOP_CLOSE)
            finish_closed(p);
        else
            finish_return(p, Py_None);
        return NULL;
    }
    if (s->op == AOP_CLOSE && PyErr_ExceptionMatches(PyExc_GeneratorExit))
        finish_closed(p);
    else
        finish_error(p);
    return NULL;
}

static PyObject *as_send(step *s, PyObject *arg) { return as_op(s, OP_SEND, &arg, 1); }
static PyObject *as_throw(step *s, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 3) {
        PyErr_SetString(PyExc_TypeError, "throw expected 1 to 3 arguments");
        return NULL;
    }
    return as_op(s, OP_THROW, args, nargs);
}
static PyObject *as_close(step *s, PyObject *unused) {
    (void)unused;
    return as_op(s, OP_CLOSE, NULL, 0);
}
static PyObject *as_iternext(step *s) {
    PyObject *none = Py_None;
    return as_op(s, OP_SEND, &none, 1);
}

/* --- lifetime, attributes --------------------------------------------------------------- */

static int proxy_traverse(proxy *p, visitproc visit, void *arg) {
    Py_VISIT(p->wrapped);
    Py_VISIT(p->traced);
    return 0;
}
static int proxy_clear(proxy *p) {
    Py_CLEAR(p->wrapped);
    Py_CLEAR(p->traced);
    return 0;
}

/*
 * Collected before completion: the span ends as if closed. A suspended generator or coroutine
 * is closed here, inside its span (what its finally blocks call are its children), as its
 * own finalizer would do right after; an error is reported as that finalizer reports it. (An
 * async generator is left to the event loop's finalizer hook, which closes it later.)
 */
static void proxy_finalize(proxy *p) {
    if (p->done || p->traced == NULL)
        return;
    atr__exc_state st = {0};
    atr__compat_exc_fetch(&st);
    if (Py_TYPE(p) != &AsyncGenProxy_Type && p->wrapped != NULL &&
        atr__compat_gen_suspended(p->wrapped)) {
        PyObject *res = gen_op(p, OP_CLOSE, NULL, 0);
        if (res == NULL)
            PyErr_WriteUnraisable(p->wrapped);
        Py_XDECREF(res);
    }
    finish_closed(p);
    atr__compat_exc_restore(&st);
}

static void proxy_dealloc(proxy *p) {
    if (PyObject_CallFinalizerFromDealloc((PyObject *)p) < 0)
        return; /* resurrected */
    PyObject_GC_UnTrack(p);
    if (p->weakrefs != NULL)
        PyObject_ClearWeakRefs((PyObject *)p);
    proxy_clear(p);
    PyObject_GC_Del(p);
}

static int step_traverse(step *s, visitproc visit, void *arg) {
    Py_VISIT(s->owner);
    Py_VISIT(s->inner);
    return 0;
}
static int step_clear(step *s) {
    Py_CLEAR(s->owner);
    Py_CLEAR(s->inner);
    return 0;
}
static void step_dealloc(step *s) {
    PyObject_GC_UnTrack(s);
    step_clear(s);
    PyObject_GC_Del(s);
}

/* gi_* / cr_* / ag_* and the names come from the wrapped object. */
static PyObject *proxy_getattro(proxy *p, PyObject *name) {
    PyObject *r = PyObject_GenericGetAttr((PyObject *)p, name);
    if (r != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError) || !PyUnicode_Check(name))
        return r;
    const char *n = PyUnicode_AsUTF8(name);
    if (n == NULL)
        return NULL;
    if (strncmp(n, "gi_", 3) == 0 || strncmp(n, "cr_", 3) == 0 || strncmp(n, "ag_", 3) == 0 ||
        strcmp(n, "__name__") == 0 || strcmp(n, "__qualname__") == 0) {
        PyErr_Clear();
        return PyObject_GetAttr(p->wrapped, name);
    }
    return NULL;
}

static PyObject *proxy_repr(proxy *p) {
    return PyUnicode_FromFormat("<argtrace traced %R>", p->wrapped);
}

static PyObject *proxy_wrapped(proxy *p, void *unused) {
    (void)unused;
    return Py_NewRef(p->wrapped);
}

static PyGetSetDef proxy_getset[] = {{"__wrapped__", (getter)proxy_wrapped, NULL, NULL, NULL},
                                     {NULL, NULL, NULL, NULL, NULL}};

/* --- types ------------------------------------------------------------------------------ */

static PyMethodDef gen_methods[] = {
    {"send", (PyCFunction)p_send, METH_O, NULL},
    {"throw", (PyCFunction)(void (*)(void))p_throw, METH_FASTCALL, NULL},
    {"close", (PyCFunction)p_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyMethodDef await_methods[] = {
    {"send", (PyCFunction)ca_send, METH_O, NULL},
    {"throw", (PyCFunction)(void (*)(void))ca_throw, METH_FASTCALL, NULL},
    {"close", (PyCFunction)ca_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyMethodDef agen_methods[] = {
    {"asend", (PyCFunction)ag_asend, METH_O, NULL},
    {"athrow", (PyCFunction)(void (*)(void))ag_athrow, METH_FASTCALL, NULL},
    {"aclose", (PyCFunction)ag_aclose, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyMethodDef astep_methods[] = {
    {"send", (PyCFunction)as_send, METH_O, NULL},
    {"throw", (PyCFunction)(void (*)(void))as_throw, METH_FASTCALL, NULL},
    {"close", (PyCFunction)as_close, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyAsyncMethods coro_async = {.am_await = (unaryfunc)coro_await};
static PyAsyncMethods agen_async = {.am_aiter = self_iter, .am_anext = (unaryfunc)ag_anext};
static PyAsyncMethods step_async = {.am_await = self_iter};

#define PROXY_TYPE_COMMON                                                                 \
    .tp_basicsize = sizeof(proxy), .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,   \
    .tp_dealloc = (destructor)proxy_dealloc, .tp_traverse = (traverseproc)proxy_traverse, \
    .tp_clear = (inquiry)proxy_clear, .tp_finalize = (destructor)proxy_finalize,          \
    .tp_getattro = (getattrofunc)proxy_getattro, .tp_repr = (reprfunc)proxy_repr,         \
    .tp_weaklistoffset = offsetof(proxy, weakrefs), .tp_getset = proxy_getset

#define STEP_TYPE_COMMON                                                                \
    .tp_basicsize = sizeof(step), .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,  \
    .tp_dealloc = (destructor)step_dealloc, .tp_traverse = (traverseproc)step_traverse, \
    .tp_clear = (inquiry)step_clear, .tp_iter = self_iter

static PyTypeObject CoroProxy_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.CoroProxy",
    PROXY_TYPE_COMMON,
    .tp_as_async = &coro_async,
    .tp_methods = gen_methods,
};

static PyTypeObject CoroAwait_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.CoroAwait",
    STEP_TYPE_COMMON,
    .tp_iternext = (iternextfunc)ca_iternext,
    .tp_methods = await_methods,
};

static PyTypeObject GenProxy_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.GenProxy",
    PROXY_TYPE_COMMON,
    .tp_iter = self_iter,
    .tp_iternext = (iternextfunc)p_iternext,
    .tp_methods = gen_methods,
};

static PyTypeObject AsyncGenProxy_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.AsyncGenProxy",
    PROXY_TYPE_COMMON,
    .tp_as_async = &agen_async,
    .tp_methods = agen_methods,
};

static PyTypeObject AsyncGenStep_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.AsyncGenStep",
    STEP_TYPE_COMMON,
    .tp_as_async = &step_async,
    .tp_iternext = (iternextfunc)as_iternext,
    .tp_methods = astep_methods,
};

PyObject *atr__genwrap_new(PyObject *obj, atr__traced *t, uint64_t span, uint64_t gen) {
    PyTypeObject *tp = Py_TYPE(obj) == &PyCoro_Type       ? &CoroProxy_Type
                       : Py_TYPE(obj) == &PyGen_Type      ? &GenProxy_Type
                       : Py_TYPE(obj) == &PyAsyncGen_Type ? &AsyncGenProxy_Type
                                                          : NULL;
    if (tp == NULL)
        return obj;
    proxy *p = PyObject_GC_New(proxy, tp);
    if (p == NULL) {
        Py_DECREF(obj);
        return NULL;
    }
    p->wrapped = obj;
    p->traced = (atr__traced *)Py_NewRef(t);
    p->span = span;
    p->cur = span;
    p->gen = gen;
    p->done = 0;
    p->weakrefs = NULL;
    PyObject_GC_Track(p);
    atr__span_suspend(gen, span, ATR_NOW); /* created, not running until its first step */
    return (PyObject *)p;
}

int atr__genwrap_init_types(PyObject *module) {
    (void)module;
    PyTypeObject *types[] = {&CoroProxy_Type, &CoroAwait_Type, &GenProxy_Type, &AsyncGenProxy_Type,
                             &AsyncGenStep_Type};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (PyType_Ready(types[i]) < 0)
            return -1;
    return 0;
}
