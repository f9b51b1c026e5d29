/*
 * monitor.c — filter tracing on CPython 3.12+: sys.monitoring with C callbacks.
 *
 * Registration goes through the Python-level sys.monitoring API once (a free tool id,
 * PROFILER_ID 2 first, then 0..5); the callbacks are C vectorcall functions. A code
 * object the filter rejects returns DISABLE from its first PY_START/PY_RETURN/PY_RESUME/
 * PY_YIELD, after which the interpreter never calls us for it again. PY_UNWIND and PY_THROW
 * cannot be disabled; they cost one cached lookup for rejected code, and only when an
 * exception passes.
 *
 * Generators/coroutines: PY_START at the first step, PY_YIELD/PY_RESUME around suspensions,
 * PY_THROW for throw(), PY_RETURN or PY_UNWIND at completion: one span.
 *
 * Frame identity and arguments: the thread's current _PyInterpreterFrame on 3.12/3.13
 * (checked against the callback's code object); the frame object from PyEval_GetFrame() and
 * PyFrame_GetVar() on later versions.
 */
#include "filter_backend.h"
#include "filter_calls.h"
#include "filter_emit.h"
#include "frame_args.h"

#include <stddef.h>

#if ATR__BACKEND_MONITORING

static PyObject *g_mon;     /* owned: the sys.monitoring namespace */
static PyObject *g_disable; /* owned: sys.monitoring.DISABLE */
static int g_tool = -1;     /* tool id in use, -1: none */

/* Frame key and globals of the running frame of `co`; key NULL if it cannot be found. */
typedef struct frame_ref {
    const void *key;
    PyObject *globals; /* borrowed */
#if ATR__FRAME_312
    atr__iframe312 *fi;
#else
    PyFrameObject *f; /* borrowed */
#endif
} frame_ref;

static int frame_of(PyCodeObject *co, frame_ref *r) {
#if ATR__FRAME_312
    r->fi = atr__compat_current_iframe(atr__compat_tstate(), co);
    r->key = r->fi;
    r->globals = r->fi ? r->fi->f_globals : NULL;
#else
    r->f = PyEval_GetFrame();
    r->key = r->f;
    r->globals = r->f ? atr__frame_globals(r->f) : NULL;
    if (r->f) {
        PyCodeObject *fc = PyFrame_GetCode(r->f);
        Py_DECREF(fc);
        if (fc != co) {
            r->key = NULL;
        }
    }
#endif
    return r->key != NULL;
}

static void read_args(void *ref, PyCodeObject *co, PyObject **vals, Py_ssize_t n) {
    frame_ref *r = ref;
#if ATR__FRAME_312
    atr__iframe_args(r->fi, co, vals, n);
#else
    atr__frame_args(r->f, co, vals, n);
#endif
}

/* Cached decision, deciding now if needed (needs the frame's globals). */
static int decision(PyCodeObject *co, atr__code_info **ci, frame_ref *r, int *have_ref) {
    int d = atr__filter_cached(co, ci);
    *have_ref = 0;
    if (ATR__UNLIKELY(d == ATR__DEC_UNKNOWN)) {
        *have_ref = frame_of(co, r);
        d = atr__filter_decide(co, r->globals, ci);
    }
    return d;
}

static PyObject *ret_none(void) { Py_RETURN_NONE; }

static PyObject *cb_start(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kw) {
    (void)self;
    (void)kw;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs < 1 || !PyCode_Check(args[0])) {
        return ret_none();
    }
    PyCodeObject *co = (PyCodeObject *)args[0];
    atr__code_info *ci;
#if ATR__FRAME_312
    /* the common case first: selected code decided earlier (one thread-state fetch) */
    if (atr__filter_cached(co, &ci) == ATR__DEC_ACCEPT && atr__fcfg.active) {
        PyThreadState *ts = atr__compat_tstate();
        frame_ref fr;
        fr.fi = atr__compat_current_iframe(ts, co);
        if (fr.fi) {
            fr.key = fr.fi;
            fr.globals = fr.fi->f_globals;
            void *ctx = ts->context ? (void *)ts->context : ATR__CTX_NULL;
            if (!ci->cell_params || atr__calls_hot(ci)) {
                /* the parameters in place; a parameter that a closure captures is in its cell
                   by now (MAKE_CELL ran before PY_START): on the hot path read through it */
                PyObject *cells[ATR__EMIT_MAX_ARGS]; /* (hot: n_params <= ATR__EMIT_MAX_ARGS) */
                PyObject *const *vals = fr.fi->localsplus;
                if (ci->cell_params) {
                    atr__iframe_args(fr.fi, co, cells, ci->n_params);
                    vals = cells;
                }
                if (!atr__calls_hot(ci) || !atr__calls_start_hot(fr.key, co, ci, vals, ctx)) {
                    atr__calls_start_slots(fr.key, co, ci, vals, ctx);
                }
            } else {
                atr__calls_start_frame(fr.key, co, ci, read_args, &fr, ctx);
            }
            return ret_none();
        }
    }
#endif
    frame_ref r;
    int have;
    int d = decision(co, &ci, &r, &have);
    if (d != ATR__DEC_ACCEPT || !ci) {
        return Py_NewRef(g_disable);
    }
    if (!atr__fcfg.active || (!have && !frame_of(co, &r))) {
        return ret_none();
    }
    atr__calls_start_frame(r.key, co, ci, read_args, &r, NULL);
    return ret_none();
}

/* Common part of the events after PY_START: 1 with r filled when `co` is traced. */
static int traced_frame(PyObject *const *args, Py_ssize_t nargs, frame_ref *r, int *disable) {
    *disable = 0;
    if (nargs < 1 || !PyCode_Check(args[0])) {
        return 0;
    }
    PyCodeObject *co = (PyCodeObject *)args[0];
    atr__code_info *ci;
    int have;
    int d = decision(co, &ci, r, &have);
    if (d != ATR__DEC_ACCEPT) {
        *disable = 1;
        return 0;
    }
    return atr__fcfg.active && (have || frame_of(co, r));
}

enum ev_kind { EV_RESUME, EV_RETURN, EV_YIELD, EV_UNWIND };

/*
 * The events after PY_START: act on the call when `args[0]` is traced code. PY_UNWIND and
 * PY_THROW cannot return DISABLE (may_disable 0); PY_THROW resumes the generator's call.
 */
static PyObject *on_event(PyObject *const *args, size_t nargsf, enum ev_kind kind,
                          int may_disable) {
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *value = nargs >= 3 ? args[2] : NULL;
    frame_ref r;
    int disable;
    if (traced_frame(args, nargs, &r, &disable)) {
        switch (kind) {
        case EV_RESUME:
            atr__calls_resume(r.key);
            break;
        case EV_RETURN:
            atr__calls_return(r.key, value);
            break;
        case EV_YIELD:
            atr__calls_yield(r.key);
            break;
        case EV_UNWIND:
            atr__calls_raise(r.key, value);
            break;
        }
    }
    return disable && may_disable ? Py_NewRef(g_disable) : ret_none();
}

static PyObject *cb_resume(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kw) {
    (void)self;
    (void)kw;
    return on_event(args, nargsf, EV_RESUME, 1);
}

static PyObject *cb_return(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kw) {
    (void)self;
    (void)kw;
#if ATR__FRAME_312
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    /* the common case first: the call on top of this thread's stack returns (no lookup) */
    if (nargs >= 1 && atr__fcfg.active) {
        PyThreadState *ts = atr__compat_tstate();
        const void *fi = atr__compat_top_iframe(ts);
        if (fi && atr__calls_end_if_top(fi, args[0], nargs >= 3 ? args[2] : NULL, 0)) {
            return ret_none();
        }
    }
#endif
    return on_event(args, nargsf, EV_RETURN, 1);
}

static PyObject *cb_yield(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kw) {
    (void)self;
    (void)kw;
    return on_event(args, nargsf, EV_YIELD, 1);
}

static PyObject *cb_unwind(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kw) {
    (void)self;
    (void)kw;
    return on_event(args, nargsf, EV_UNWIND, 0);
}

/* The suspended calls of ours that a throw() into r's frame was passed through (yield from,
   await: generator frames CPython put on the stack without running them), nearest first,
   into through[]; how many. */
static int thrown_through(const frame_ref *r, const void **through) {
    int n = 0;
#if ATR__FRAME_312
    atr__iframe312 *p = r->fi ? r->fi->previous : NULL;
    for (int seen = 0; p && seen < ATR__THROW_DEPTH; p = p->previous, seen++) {
        if (p->owner == 3) { /* FRAME_OWNED_BY_CSTACK: the entry shim of an evaluation */
            continue;
        }
        if (p->owner != 1) { /* not FRAME_OWNED_BY_GENERATOR: below the chain */
            break;
        }
        if (atr__calls_is_suspended(p)) {
            through[n++] = p;
        }
    }
#else
    PyFrameObject *b = r->f ? PyFrame_GetBack(r->f) : NULL;
    for (int seen = 0; b && seen < ATR__THROW_DEPTH; seen++) {
        PyObject *gen = PyFrame_GetGenerator(b);
        if (!gen) {
            break;
        }
        Py_DECREF(gen);
        if (atr__calls_is_suspended(b)) {
            through[n++] = b; /* (a key only: its generator keeps it alive) */
        }
        PyFrameObject *next = PyFrame_GetBack(b);
        Py_DECREF(b);
        b = next;
    }
    Py_XDECREF(b);
    PyErr_Clear(); /* (no memory for a frame object: the walk stops there) */
#endif
    return n;
}

/* throw() resumes a generator's call, and the calls it was passed through meanwhile. */
static PyObject *cb_throw(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kw) {
    (void)self;
    (void)kw;
    frame_ref r;
    int disable;
    if (traced_frame(args, PyVectorcall_NARGS(nargsf), &r, &disable)) {
        if (atr__calls_n_suspended() > 1) {
            const void *through[ATR__THROW_DEPTH];
            int n = thrown_through(&r, through);
            if (n) {
                atr__calls_resume_through(r.key, through, n);
            }
        }
        atr__calls_resume(r.key);
    }
    return ret_none();
}

/*
 * The callbacks are objects of a tiny callable type with its own vectorcall slot: the
 * interpreter calls the C function directly (a builtin function object would add its own
 * dispatch, a thread-state fetch and a recursion check on every event).
 */
typedef struct cb_object {
    PyObject_HEAD
    vectorcallfunc vectorcall;
} cb_object;

static PyTypeObject cb_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core._monitoring_callback",
    .tp_basicsize = sizeof(cb_object),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(cb_object, vectorcall),
    .tp_call = PyVectorcall_Call,
};

static PyObject *cb_new(vectorcallfunc fn) {
    if (!(cb_type.tp_flags & Py_TPFLAGS_READY) && PyType_Ready(&cb_type) < 0) {
        return NULL;
    }
    cb_object *o = PyObject_New(cb_object, &cb_type);
    if (o) {
        o->vectorcall = fn;
    }
    return (PyObject *)o;
}

typedef struct event_cb {
    const char *event; /* name in sys.monitoring.events */
    vectorcallfunc fn_c;
    PyObject *fn; /* owned once registered */
} event_cb;

static event_cb g_cbs[] = {
    {"PY_START", cb_start, NULL}, {"PY_RESUME", cb_resume, NULL}, {"PY_RETURN", cb_return, NULL},
    {"PY_YIELD", cb_yield, NULL}, {"PY_UNWIND", cb_unwind, NULL}, {"PY_THROW", cb_throw, NULL},
};
#define N_CBS (sizeof g_cbs / sizeof g_cbs[0])

static long event_bit(const char *name) {
    PyObject *events = PyObject_GetAttrString(g_mon, "events");
    PyObject *v = events ? PyObject_GetAttrString(events, name) : NULL;
    Py_XDECREF(events);
    long bit = v ? PyLong_AsLong(v) : -1;
    Py_XDECREF(v);
    return bit;
}

static int take_tool_id(void) {
    static const int order[] = {2, 0, 1, 3, 4, 5};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        PyObject *r = PyObject_CallMethod(g_mon, "use_tool_id", "is", order[i], "argtrace");
        if (r) {
            Py_DECREF(r);
            return order[i];
        }
        if (!PyErr_ExceptionMatches(PyExc_ValueError)) {
            return -1;
        }
        PyErr_Clear();
    }
    PyErr_SetString(PyExc_RuntimeError,
                    "argtrace: no free sys.monitoring tool id (ids 0-5 are all in use by other "
                    "tools)");
    return -1;
}

static void mon_stop(void);

static int mon_start(void) {
    if (!g_mon) {
        PyObject *sys = PyImport_ImportModule("sys");
        g_mon = sys ? PyObject_GetAttrString(sys, "monitoring") : NULL;
        Py_XDECREF(sys);
        g_disable = g_mon ? PyObject_GetAttrString(g_mon, "DISABLE") : NULL;
        if (!g_mon || !g_disable) {
            Py_CLEAR(g_mon);
            Py_CLEAR(g_disable);
            return -1;
        }
    }
    int tool = take_tool_id();
    if (tool < 0) {
        return -1;
    }
    g_tool = tool;
    long mask = 0;
    for (size_t i = 0; i < N_CBS; i++) {
        long bit = event_bit(g_cbs[i].event);
        if (!g_cbs[i].fn) {
            g_cbs[i].fn = cb_new(g_cbs[i].fn_c);
        }
        PyObject *r =
            (bit < 0 || !g_cbs[i].fn)
                ? NULL
                : PyObject_CallMethod(g_mon, "register_callback", "ilO", tool, bit, g_cbs[i].fn);
        if (!r) {
            mon_stop();
            return -1;
        }
        Py_DECREF(r);
        mask |= bit;
    }
    {
        /* DISABLE marks of an earlier run (kept per tool id) would hide code the new filter
           may select; another tool may also have left its marks on this id */
        PyObject *r = PyObject_CallMethod(g_mon, "restart_events", NULL);
        Py_XDECREF(r);
        PyErr_Clear();
    }
    PyObject *r = PyObject_CallMethod(g_mon, "set_events", "il", tool, mask);
    if (!r) {
        mon_stop();
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

static void mon_stop(void) {
    if (g_tool < 0) {
        return;
    }
    atr__exc_state st;
    atr__compat_exc_fetch(&st);
    PyObject *r = PyObject_CallMethod(g_mon, "set_events", "ii", g_tool, 0);
    Py_XDECREF(r);
    PyErr_Clear();
    for (size_t i = 0; i < N_CBS; i++) {
        long bit = event_bit(g_cbs[i].event);
        PyErr_Clear();
        if (bit >= 0) {
            r = PyObject_CallMethod(g_mon, "register_callback", "ilO", g_tool, bit, Py_None);
            Py_XDECREF(r);
            PyErr_Clear();
        }
    }
    r = PyObject_CallMethod(g_mon, "free_tool_id", "i", g_tool);
    Py_XDECREF(r);
    PyErr_Clear();
    /* DISABLE marks are kept per tool id even after free_tool_id: the next tool to take the
       id (VizTracer and cProfile use 2 too) would silently miss every code object we
       rejected. restart_events() clears them (for every tool; others re-disable lazily). */
    r = PyObject_CallMethod(g_mon, "restart_events", NULL);
    Py_XDECREF(r);
    PyErr_Clear();
    g_tool = -1;
    atr__compat_exc_restore(&st);
}

const atr__filter_backend atr__backend_monitoring = {
    .name = "monitoring", .start = mon_start, .stop = mon_stop};

#else
const atr__filter_backend atr__backend_monitoring = {.name = "monitoring"};
#endif /* ATR__BACKEND_MONITORING */
