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

#include "filter_calls.h"
#include "filter_decide.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>

enum { BK_NONE, BK_MONITORING, BK_EVAL, BK_PROFILE };
static const char *const BACKEND_NAMES[] = {NULL, "monitoring", "eval", "profile"};
static int g_backend = BK_NONE; /* the backend of the running filter */

/* --- backends --------------------------------------------------------------------------- */

enum { REQ_AUTO, REQ_EVAL, REQ_PROFILE };

/* ARGTRACE_FILTER_BACKEND as REQ_*, or -1 with a one-line ValueError. */
static int backend_request(void) {
    const char *v = getenv("ARGTRACE_FILTER_BACKEND");
    if (!v || !*v || strcmp(v, "auto") == 0) {
        return REQ_AUTO;
    }
    if (strcmp(v, "eval") == 0) {
        return REQ_EVAL;
    }
    if (strcmp(v, "profile") == 0) {
        return REQ_PROFILE;
    }
    PyErr_Format(PyExc_ValueError,
                 "argtrace: ARGTRACE_FILTER_BACKEND=%.40s is not one of auto, eval, profile", v);
    return -1;
}

/* Start the backend for request `req`; sets g_backend. Returns 0 or -1 with an exception. */
static int backend_start(int req) {
#if PY_VERSION_HEX >= 0x030C0000
    (void)req; /* sys.monitoring is the only backend */
    g_backend = BK_MONITORING;
    return atr__backend_start();
#else
    int bk = BK_PROFILE;
#ifdef ATR__FRAME_311
    if (req == REQ_EVAL) {
        bk = BK_EVAL; /* atr__eval_start says why not, if it cannot */
    } else if (req == REQ_AUTO && !atr__eval_unusable()) {
        int profile_slot_free = PyThreadState_Get()->c_profilefunc == NULL;
        bk = (atr__eval_stack_fits() || !profile_slot_free) ? BK_EVAL : BK_PROFILE;
    }
#else
    (void)req; /* 3.9/3.10: the profile hook is the only backend */
#endif
    g_backend = bk;
    return bk == BK_EVAL ? atr__eval_start() : atr__profile_start();
#endif
}

static void backend_stop(void) {
#if PY_VERSION_HEX >= 0x030C0000
    atr__backend_stop();
#else
#ifdef ATR__FRAME_311
    if (g_backend == BK_EVAL) {
        atr__eval_stop();
    }
#endif
    if (g_backend == BK_PROFILE) {
        atr__profile_stop();
    }
#endif
    g_backend = BK_NONE;
}

#ifdef ATR__FRAME_311
static PyObject *test_pep523(PyObject *self, PyObject *on) {
    (void)self;
    int v = PyObject_IsTrue(on);
    if (v < 0) {
        return NULL;
    }
    atr__eval_test_foreign(v);
    Py_RETURN_NONE;
}
#endif

static PyObject *filter_backend(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    if (!atr__fcfg.active || g_backend == BK_NONE) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(BACKEND_NAMES[g_backend]);
}

/* --- module functions ------------------------------------------------------------------- */

static PyObject *filter_check(PyObject *self, PyObject *patterns) {
    (void)self;
    if (backend_request() < 0 || atr__filter_patterns_check(patterns) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *filter_stop(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    if (atr__fcfg.active) {
        /* not measured: a minimum duration drops calls, a test clock's times are not real */
        atr__calibrate(BACKEND_NAMES[g_backend], !atr__fcfg.min_duration_ns && !atr__fcfg.clock);
        backend_stop();
        atr__calls_end_all();
        atr__fcfg.active = 0;
        Py_CLEAR(atr__fcfg.clock);
        atr__filter_patterns_clear();
    }
    Py_RETURN_NONE;
}

static PyObject *filter_start(PyObject *self, PyObject *args, PyObject *kw) {
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
    int req = backend_request();
    if (req < 0) {
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
    atr__fcfg.gen++;
    atr__fcfg.min_duration_ns = (uint64_t)min_ns;
    atr__fcfg.max_depth = (uint32_t)max_depth;
    atr__fcfg.clock = clock == Py_None ? NULL : Py_NewRef(clock);
    atr__fcfg.active = 1;
    if (backend_start(req) < 0) {
        g_backend = BK_NONE;
        atr__fcfg.active = 0;
        Py_CLEAR(atr__fcfg.clock);
        atr__filter_patterns_clear();
        return NULL;
    }
    Py_RETURN_NONE;
}

void atr__filter_session_closing(void) {
    PyObject *r = filter_stop(NULL, NULL);
    Py_XDECREF(r);
}

static PyObject *after_fork_child(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    atr__calls_after_fork();
    Py_RETURN_NONE;
}

static PyMethodDef after_fork_def = {"_argtrace_filter_after_fork", after_fork_child, METH_NOARGS,
                                     NULL};

/* os.register_at_fork(after_in_child=...): spans begun before a fork are the parent's. */
static int register_at_fork(void) {
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
#ifdef ATR__FRAME_311
    {"_filter_test_pep523", test_pep523, METH_O,
     "Tests only: install (True) or remove (False) another tool's PEP 523 eval function."},
#endif
    {NULL, NULL, 0, NULL}};

int atr__filter_module_init(PyObject *m) {
    if (atr__filter_decide_init() < 0 || register_at_fork() < 0) {
        return -1;
    }
    return PyModule_AddFunctions(m, filter_methods);
}
