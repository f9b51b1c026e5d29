/*
 * filter.c — the module functions _core.filter_start / filter_stop / filter_check /
 * filter_hits / filter_backend (docs/FILTERS.md), and the choice of backend.
 *
 * Backend (read at filter_start from ARGTRACE_FILTER_BACKEND = auto | eval | profile; unset
 * or empty is auto): 3.12+ always sys.monitoring, 3.9/3.10 always the profile hook. On 3.11
 * auto takes the eval hook unless another PEP 523 function is installed or its layout check
 * fails, or the recursion limit does not fit in this thread's C stack through it while the
 * profile slot is free; "eval" insists on it (the stack guard in the hook still applies),
 * "profile" takes the profile hook.
 */
#include "filter.h"

#include "calibrate.h"

#include "filter_backend.h"
#include "filter_calls.h"
#include "filter_decide.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- backends --------------------------------------------------------------------------- */

/* Every backend, in auto's order of preference. A row whose start is NULL is not built for
   this CPython (compat.h). A new backend is one row here. */
static const atr__filter_backend *const BACKENDS[] = {&atr__backend_monitoring, &atr__backend_eval,
                                                      &atr__backend_profile};
#define N_BACKENDS (sizeof BACKENDS / sizeof BACKENDS[0])

static const atr__filter_backend *g_backend; /* the backend of the running filter, or NULL */

/* ARGTRACE_FILTER_BACKEND: *out = the backend it names, NULL for auto (also for a backend not
   built for this CPython: there is nothing to choose). 0, or -1 with a one-line ValueError. */
static int backend_request(const atr__filter_backend **out) {
    const char *v = getenv("ARGTRACE_FILTER_BACKEND");
    *out = NULL;
    if (!v || !*v || strcmp(v, "auto") == 0) {
        return 0;
    }
    char names[128] = "auto";
    for (size_t i = 0; i < N_BACKENDS; i++) {
        const atr__filter_backend *b = BACKENDS[i];
        if (!b->by_name) {
            continue;
        }
        if (strcmp(v, b->name) == 0) {
            *out = b->start ? b : NULL;
            return 0;
        }
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, ", %s", b->name);
    }
    PyErr_Format(PyExc_ValueError, "argtrace: ARGTRACE_FILTER_BACKEND=%.40s is not one of %s", v,
                 names);
    return -1;
}

/*
 * auto: the first built backend that is usable now and suits the process; else the first
 * usable one; else the last built one (whose start says why it cannot run). On 3.11: the eval
 * hook, unless it is unusable or the recursion limit does not fit the C stack through it
 * while the profile slot is free.
 */
static const atr__filter_backend *backend_auto(void) {
    const atr__filter_backend *usable = NULL, *last = NULL;
    for (size_t i = 0; i < N_BACKENDS; i++) {
        const atr__filter_backend *b = BACKENDS[i];
        if (!b->start) {
            continue;
        }
        last = b;
        if (b->unusable && b->unusable()) {
            continue;
        }
        if (!b->suits_auto || b->suits_auto()) {
            return b;
        }
        if (!usable) {
            usable = b;
        }
    }
    return usable ? usable : last;
}

/* Start `req` (NULL: auto's choice); sets g_backend. Returns 0 or -1 with an exception. */
static int backend_start(const atr__filter_backend *req) {
    const atr__filter_backend *b = req ? req : backend_auto();
    if (!b) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: no filter backend for this CPython");
        return -1;
    }
    g_backend = b;
    return b->start();
}

static void backend_stop(void) {
    if (g_backend) {
        g_backend->stop();
    }
    g_backend = NULL;
}

static PyObject *filter_backend(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    if (!atr__fcfg.active || !g_backend) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(g_backend->name);
}

/* --- module functions ------------------------------------------------------------------- */

static PyObject *filter_check(PyObject *self, PyObject *patterns) {
    (void)self;
    const atr__filter_backend *req;
    if (backend_request(&req) < 0 || atr__filter_patterns_check(patterns) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *filter_stop_locked(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    if (atr__fcfg.active) {
        /* not measured: a minimum duration drops calls, a test clock's times are not real */
        atr__calibrate(g_backend->name, !atr__fcfg.min_duration_ns && !atr__fcfg.clock);
        backend_stop();
        atr__fcfg.hot_gen = ATR__HOT_NONE;
        atr__calls_end_all();
        atr__fcfg.active = 0;
        Py_CLEAR(atr__fcfg.clock);
        atr__filter_patterns_clear();
    }
    Py_RETURN_NONE;
}

static PyObject *filter_start_locked(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    static char *kwlist[] = {"include", "exclude", "min_duration_ns", "max_depth", "clock", NULL};
    PyObject *inc, *exc = NULL, *clock = Py_None;
    long long min_ns = 0;
    long max_depth = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OLlO:filter_start", kwlist, &inc, &exc, &min_ns,
                                     &max_depth, &clock)) {
        return NULL;
    }
    if (min_ns < 0 || max_depth < 0 || max_depth > 100000) {
        PyErr_SetString(PyExc_ValueError,
                        "argtrace: min_duration_ns must be >= 0 and max_depth in 0..100000");
        return NULL;
    }
    if (clock != Py_None && !PyCallable_Check(clock)) {
        PyErr_SetString(PyExc_TypeError, "argtrace: clock must be callable");
        return NULL;
    }
    const atr__filter_backend *req;
    if (backend_request(&req) < 0) {
        return NULL;
    }
    if (atr__fcfg.active) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: filter tracing is already running");
        return NULL;
    }
    if (!atr__session()) {
        PyErr_SetString(PyExc_RuntimeError,
                        "argtrace: filter tracing needs an active session (start() first)");
        return NULL;
    }
    if (atr__filter_patterns_set(inc, exc) < 0) {
        return NULL;
    }
    atr__g.calib_yard_ps = atr__calib_yardstick(); /* for the calibration at filter_stop */
    atr__fcfg.gen++;
    atr__fcfg.min_duration_ns = (uint64_t)min_ns;
    atr__fcfg.max_depth = (uint32_t)max_depth;
    atr__fcfg.clock = clock == Py_None ? NULL : Py_NewRef(clock);
    atr__fcfg.active = 1;
    atr__fcfg.hot_gen = (min_ns || max_depth || atr__fcfg.clock) ? ATR__HOT_NONE : atr__fcfg.gen;
    if (backend_start(req) < 0) {
        g_backend = NULL;
        atr__fcfg.hot_gen = ATR__HOT_NONE;
        atr__fcfg.active = 0;
        Py_CLEAR(atr__fcfg.clock);
        atr__filter_patterns_clear();
        return NULL;
    }
    Py_RETURN_NONE;
}

/* One change of the sessions at a time (session.c). */
static PyObject *filter_stop(PyObject *self, PyObject *unused) {
    atr__session_op_enter();
    PyObject *r = filter_stop_locked(self, unused);
    atr__session_op_leave();
    return r;
}

static PyObject *filter_start(PyObject *self, PyObject *args, PyObject *kw) {
    atr__session_op_enter();
    PyObject *r = filter_start_locked(self, args, kw);
    atr__session_op_leave();
    return r;
}

void atr__filter_session_closing(void) {
    PyObject *r = filter_stop(NULL, NULL);
    Py_XDECREF(r);
}

static PyObject *after_fork_child(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    atr__calls_after_fork();
    atr__session_op_after_fork();
    Py_RETURN_NONE;
}

static PyMethodDef after_fork_def = {"_argtrace_filter_after_fork", after_fork_child, METH_NOARGS,
                                     NULL};

/* os.register_at_fork(after_in_child=...): spans begun before a fork are the parent's. Once
   per process (the module may be executed again: module.c). */
static int register_at_fork(void) {
    static int registered;
    if (registered) {
        return 0;
    }
    PyObject *fn = PyCFunction_New(&after_fork_def, NULL);
    PyObject *os = fn ? PyImport_ImportModule("os") : NULL;
    PyObject *reg = os ? PyObject_GetAttrString(os, "register_at_fork") : NULL;
    PyObject *args = reg ? PyTuple_New(0) : NULL;
    PyObject *kw = args ? Py_BuildValue("{s:O}", "after_in_child", fn) : NULL;
    PyObject *r = kw ? PyObject_Call(reg, args, kw) : NULL;
    Py_XDECREF(r);
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_XDECREF(reg);
    Py_XDECREF(os);
    Py_XDECREF(fn);
    registered = r != NULL;
    return r ? 0 : -1;
}

static PyObject *filter_hits(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    return atr__filter_hits();
}

static PyMethodDef filter_methods[] = {
    {"filter_start", (PyCFunction)(void (*)(void))filter_start, METH_VARARGS | METH_KEYWORDS,
     "filter_start(include, exclude=(), min_duration_ns=0, max_depth=0, clock=None)\n"
     "Trace every function the patterns select (docs/FILTERS.md). The backend is read\n"
     "from ARGTRACE_FILTER_BACKEND (auto, eval, profile; only 3.11 has a choice)."},
    {"filter_stop", filter_stop, METH_NOARGS, "Stop filter tracing; end its open spans."},
    {"filter_hits", filter_hits, METH_NOARGS,
     "filter_hits(): per include pattern of the latest filter_start, how many functions (code\n"
     "objects that ran) it selected, also after filter_stop; None before any filter_start."},
    {"filter_check", filter_check, METH_O,
     "filter_check(patterns): ValueError with a one-line message for an invalid pattern\n"
     "(or an invalid ARGTRACE_FILTER_BACKEND)."},
    {"filter_backend", filter_backend, METH_NOARGS,
     "filter_backend(): the backend of the running filter tracing: 'monitoring' (3.12+),\n"
     "'eval' (3.11 frame-evaluation hook), 'profile' (profile hook), or None."},
    {NULL, NULL, 0, NULL}};

int atr__filter_module_init(PyObject *m) {
    if (atr__filter_decide_init() < 0 || register_at_fork() < 0 ||
        PyModule_AddFunctions(m, filter_methods) < 0) {
        return -1;
    }
    for (size_t i = 0; i < N_BACKENDS; i++) {
        if (BACKENDS[i]->start && BACKENDS[i]->methods &&
            PyModule_AddFunctions(m, BACKENDS[i]->methods) < 0) {
            return -1;
        }
    }
    return 0;
}
