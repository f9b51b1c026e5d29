/*
 * calibrate.c — measure what one traced call costs (calibrate.h), in the spirit of the
 * stdlib profile module's calibrate(): time many calls of a trivial function with and without
 * tracing, the difference per call is the tracer's cost.
 *
 * What is timed: a Python loop calling a one-argument function (an int: the cheapest value to
 * capture, so that compensation errs on the side of too little) N times, untraced and traced
 * by the mechanism, in alternating rounds; call_ns, the lower quartile over the rounds of
 * (traced - untraced) / N (near the typical cost, yet not lifted by the rounds a busy machine
 * disturbed: on a saturated 2-core machine a median took in rounds slowed 2-10x), is what
 * one traced call adds to the duration of the call around it. inner_ns, the part
 * between the call's own start and end timestamps, is the median duration the log recorded
 * for those calls (the function body itself takes a few ns). For a filter backend the
 * untraced rounds run with the backend's hook removed (3.9–3.11: the profile function or the
 * frame-evaluation function, put back right after; 3.12+: the function is rejected, which
 * costs sys.monitoring nothing once disabled).
 *
 * Where the calls go: a private session on a temporary file (deleted afterwards) is made the
 * active one for the few ms of the measurement, under a session generation no real session
 * can have, with the thread's switch interval raised so that no other thread runs (and
 * records into it) meanwhile; the user's session, generation, caches and the thread's
 * current span are put back exactly. The functions are compiled privately and dropped.
 *
 * Measured again at every session: the cost depends on the state of the session clock (the
 * first session of a process reads clock_gettime until the TSC is calibrated, later ones the
 * TSC, about 25 ns less per call), and the private session reads the clock the same way the
 * user's does at that moment. No global state.
 */
#include "calibrate.h"

#include "module.h"

#include "filter_decide.h"
#include "state.h"
#include "tracefunc.h"

#include <argtrace/atr_reader.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CAL_CALLS 1000 /* calls per timed loop */
#define CAL_ROUNDS 9   /* timed rounds of each kind (plus one warm-up) */

static const char CAL_SRC[] = "def _leaf(x):\n"
                              "    return x\n"
                              "def _leaf0(x):\n"
                              "    return x\n"
                              "def _loop(f, n):\n"
                              "    for i in range(n):\n"
                              "        f(i)\n";

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- hooks of a filter backend (3.9–3.11), off for the untraced rounds ----------------- */

typedef struct hooks {
    int filter; /* 1: toggle the hooks below */
#if ATR__BACKEND_PROFILE
    Py_tracefunc prof;
    PyObject *prof_obj; /* owned while off */
#endif
#if ATR__BACKEND_EVAL
    _PyFrameEvalFunction eval;
#endif
} hooks;

static void hooks_off(hooks *h) {
    if (!h->filter)
        return;
#if ATR__BACKEND_PROFILE
    PyThreadState *ts = PyThreadState_Get();
    h->prof = ts->c_profilefunc;
    h->prof_obj = ts->c_profileobj;
    Py_XINCREF(h->prof_obj);
    if (h->prof)
        PyEval_SetProfile(NULL, NULL);
#endif
#if ATR__BACKEND_EVAL
    h->eval = _PyInterpreterState_GetEvalFrameFunc(PyThreadState_Get()->interp);
    _PyInterpreterState_SetEvalFrameFunc(PyThreadState_Get()->interp, _PyEval_EvalFrameDefault);
#endif
}

static void hooks_on(hooks *h) {
    if (!h->filter)
        return;
#if ATR__BACKEND_PROFILE
    if (h->prof)
        PyEval_SetProfile(h->prof, h->prof_obj);
    Py_CLEAR(h->prof_obj);
#endif
#if ATR__BACKEND_EVAL
    _PyInterpreterState_SetEvalFrameFunc(PyThreadState_Get()->interp, h->eval);
#endif
}

/* --- the private session --------------------------------------------------------------- */

static atr_session *private_open(char *path, size_t cap) {
    const char *dir = getenv("TMPDIR");
    atr_writer_config cfg;
    atr_session *s = NULL;
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(path, cap, "%s/argtrace-calibration-%ld-%llx.atr", dir, (long)getpid(),
             (unsigned long long)now_ns());
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.buffer_size = (size_t)4 << 20; /* no flush while timing */
    cfg.max_pending_bytes = (size_t)8 << 20;
    cfg.fork_mode = ATR_FORK_STOP;
    if (atr_session_open(&cfg, &s) < 0)
        return NULL;
    return s;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Median duration the private log recorded for function `_leaf` (0 if none). */
static uint64_t leaf_median(const char *path) {
    atr_reader *r = NULL;
    atr_record rec;
    uint64_t *d = NULL, n = 0, cap = 0, start = 0, span = 0, med = 0;
    uint32_t fid = UINT32_MAX;
    if (atr_reader_open(path, &r) < 0)
        return 0;
    while (n < CAL_CALLS && atr_reader_next(r, &rec) == 0) { /* the first CAL_CALLS do */
        if (rec.kind == ATR_REC_FUNCTION && rec.u.function.qualname.len == 5 &&
            memcmp(rec.u.function.qualname.ptr, "_leaf", 5) == 0) {
            fid = rec.u.function.id;
        } else if (rec.kind == ATR_REC_START && rec.u.start.function == fid) {
            span = rec.u.start.span;
            start = rec.time_ns;
        } else if (rec.kind == ATR_REC_END && span && rec.u.end.span == span) {
            if (n == cap) {
                uint64_t *p = realloc(d, (cap = cap ? cap * 2 : 1024) * sizeof *d);
                if (!p)
                    break;
                d = p;
            }
            d[n++] = rec.time_ns - start;
            span = 0;
        }
    }
    atr_reader_close(r);
    if (n) {
        qsort(d, n, sizeof *d, cmp_u64);
        med = d[n / 2];
    }
    free(d);
    return med;
}

/* --- the measurement ------------------------------------------------------------------- */

/* State of the user's session that the measurement sets aside. */
typedef struct saved {
    atr_session *session;
    uint64_t gen, named_gen;
    struct atr__defs *defs; /* owned while set aside (spans.c) */
    PyObject *action_ids;   /* owned while set aside */
    atr__cur current;
    PyObject *switch_interval; /* owned: sys.getswitchinterval(), or NULL */
} saved;

static void set_aside(saved *sv, atr_session *priv) {
    sv->session = atr__g.session;
    sv->gen = atr__g.gen;
    sv->named_gen = atr__tls_named_gen;
    sv->defs = atr__g.defs;
    sv->action_ids = atr__g.action_ids;
    sv->current = atr__tls_current;
    atr__g.defs = NULL;
    atr__g.action_ids = NULL;
    atr__g.session = priv;
    atr__g.gen = sv->gen | (UINT64_C(1) << 63); /* a generation no session ever has */
    atr__tls_current.span = 0;
    atr__tls_current.ctx = NULL;
    sv->switch_interval = NULL;
    PyObject *sys = PyImport_ImportModule("sys");
    if (sys) {
        sv->switch_interval = PyObject_CallMethod(sys, "getswitchinterval", NULL);
        PyObject *r =
            sv->switch_interval ? PyObject_CallMethod(sys, "setswitchinterval", "d", 1.0) : NULL;
        Py_XDECREF(r);
        Py_DECREF(sys);
    }
    PyErr_Clear();
}

static void put_back(saved *sv) {
    atr__defs_free(); /* the private session's */
    Py_CLEAR(atr__g.action_ids);
    atr__g.defs = sv->defs;
    atr__g.action_ids = sv->action_ids;
    atr__g.session = sv->session;
    atr__g.gen = sv->gen;
    atr__tls_named_gen = sv->named_gen;
    atr__tls_current = sv->current;
    if (sv->switch_interval) {
        PyObject *sys = PyImport_ImportModule("sys");
        PyObject *r =
            sys ? PyObject_CallMethod(sys, "setswitchinterval", "O", sv->switch_interval) : NULL;
        Py_XDECREF(r);
        Py_XDECREF(sys);
        Py_CLEAR(sv->switch_interval);
    }
    PyErr_Clear(); /* the caller keeps its own error aside meanwhile */
}

/* Time one call of loop(f, CAL_CALLS) in ns; 0 on error (exception set). */
static uint64_t time_loop(PyObject *loop, PyObject *f, PyObject *n) {
    uint64_t t0 = now_ns();
    PyObject *r = PyObject_CallFunctionObjArgs(loop, f, n, NULL);
    uint64_t t1 = now_ns();
    if (r == NULL)
        return 0;
    Py_DECREF(r);
    return t1 > t0 ? t1 - t0 : 1;
}

/* Fix the filter's decision for the code of function `fn` (in globals g). 0 or -1. */
static int force_decision(PyObject *fn, PyObject *g, int decision) {
    PyObject *code = PyObject_GetAttrString(fn, "__code__");
    atr__code_info *ci = NULL;
    if (code == NULL)
        return -1;
    atr__filter_decide((PyCodeObject *)code, g, &ci);
    Py_DECREF(code);
    if (ci == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: no filter decision cache");
        return -1;
    }
    ci->decision = (uint8_t)decision;
    return 0;
}

/* The private functions, and `traced`: the leaf as the mechanism traces it. 0 or -1. */
static int make_functions(const char *mechanism, PyObject *g, PyObject **traced) {
    PyObject *code = Py_CompileString(CAL_SRC, "<argtrace calibration>", Py_file_input);
    PyObject *r = NULL, *name = PyUnicode_FromString("_argtrace_calibration");
    int bad = name == NULL || PyDict_SetItemString(g, "__name__", name) < 0;
    Py_XDECREF(name);
    if (code == NULL || bad || PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) < 0 ||
        (r = PyEval_EvalCode(code, g, g)) == NULL) {
        Py_XDECREF(code);
        return -1;
    }
    Py_DECREF(r);
    Py_DECREF(code);
    PyObject *leaf = PyDict_GetItemString(g, "_leaf"); /* borrowed */
    if (strcmp(mechanism, "decorator") == 0) {
        *traced = PyObject_CallOneArg((PyObject *)&atr__TracedFunction_Type, leaf);
        return *traced ? 0 : -1;
    }
    if (!atr__fcfg.active) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: filter tracing is not running");
        return -1;
    }
    if (force_decision(leaf, g, ATR__DEC_ACCEPT) < 0 ||
        force_decision(PyDict_GetItemString(g, "_leaf0"), g, ATR__DEC_REJECT) < 0 ||
        force_decision(PyDict_GetItemString(g, "_loop"), g, ATR__DEC_REJECT) < 0)
        return -1;
    *traced = Py_NewRef(leaf);
    return 0;
}

/* Timed rounds: *cost gets the lower quartile over rounds of (traced - untraced), in ns for
   CAL_CALLS calls (0 if tracing looked free). 0 or -1. */
static int rounds(PyObject *g, PyObject *traced, hooks *h, uint64_t *cost) {
    PyObject *loop = PyDict_GetItemString(g, "_loop"), *leaf0 = PyDict_GetItemString(g, "_leaf0");
    PyObject *n = PyLong_FromLong(CAL_CALLS);
    uint64_t diff[CAL_ROUNDS];
    int rc = -1;
    *cost = 0;
    if (n == NULL)
        return -1;
    for (int i = 0; i <= CAL_ROUNDS; i++) {
        hooks_off(h);
        uint64_t b = time_loop(loop, leaf0, n);
        hooks_on(h);
        uint64_t t = b ? time_loop(loop, traced, n) : 0;
        if (!t)
            goto out;
        if (i > 0) /* round 0 warms up */
            diff[i - 1] = t > b ? t - b : 0;
    }
    qsort(diff, CAL_ROUNDS, sizeof diff[0], cmp_u64);
    *cost = diff[CAL_ROUNDS / 4]; /* a low quantile: rounds a busy machine disturbed drop out */
    rc = 0;
out:
    Py_DECREF(n);
    return rc;
}

int atr__calibrate_measure(const char *mechanism, atr__calib *out) {
    char path[512];
    hooks h;
    saved sv;
    uint64_t cost = 0;
    PyObject *g = PyDict_New(), *traced = NULL;
    int rc = -1;
    memset(out, 0, sizeof *out);
    memset(&h, 0, sizeof h);
    h.filter = strcmp(mechanism, "decorator") != 0;
    if (g == NULL)
        return -1;
    atr_session *priv = private_open(path, sizeof path);
    if (priv == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: cannot open the calibration session");
        Py_DECREF(g);
        return -1;
    }
    set_aside(&sv, priv);
    if (make_functions(mechanism, g, &traced) == 0)
        rc = rounds(g, traced, &h, &cost);
    atr__exc_state exc = {0};
    if (rc < 0) /* put_back() calls Python: keep the error aside meanwhile */
        atr__compat_exc_fetch(&exc);
    put_back(&sv);
    Py_XDECREF(traced);
    PyDict_Clear(g); /* the functions refer to g: break the cycle */
    Py_DECREF(g);
    Py_BEGIN_ALLOW_THREADS
    atr_session_close(priv);
    Py_END_ALLOW_THREADS
    if (rc == 0) {
        out->call_ns = cost / CAL_CALLS;
        out->inner_ns = leaf_median(path);
        if (out->inner_ns > out->call_ns)
            out->inner_ns = out->call_ns;
        out->samples = (uint64_t)CAL_CALLS * CAL_ROUNDS;
    }
    unlink(path);
    if (rc < 0)
        atr__compat_exc_restore(&exc);
    return rc;
}

void atr__calibrate(const char *mechanism, int measure) {
    atr_session *s = atr__g.session;
    atr__calib res = {0, 0, 0};
    if (s == NULL)
        return;
    if (measure) {
        int had = PyErr_Occurred() != NULL;
        atr__exc_state exc = {0};
        if (had)
            atr__compat_exc_fetch(&exc);
        /* The user's session is set aside while measuring: a terminating signal must wait
           until it is back, so that the flush on SIGTERM/SIGHUP/SIGINT (signals.c) finds it. */
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigaddset(&block, SIGINT);
        pthread_sigmask(SIG_BLOCK, &block, &old);
        int failed = atr__calibrate_measure(mechanism, &res) < 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (failed) {
            int interrupted = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
            PyErr_Clear();
            if (interrupted)
                PyErr_SetInterrupt(); /* the program's Ctrl-C, raised at the next check */
            memset(&res, 0, sizeof res);
        }
        if (had)
            atr__compat_exc_restore(&exc);
        if (atr__g.session != s) /* Python code ran: still the same session? */
            return;
    }
    atr_calibration k;
    k.mechanism.ptr = mechanism;
    k.mechanism.len = strlen(mechanism);
    k.call_ns = res.call_ns;
    k.inner_ns = res.inner_ns;
    k.samples = res.samples;
    atr_session_write_calibration(s, &k);
}

PyObject *atr__py_calibrate(PyObject *m, PyObject *mechanism) {
    atr__calib res;
    (void)m;
    const char *mech = PyUnicode_Check(mechanism) ? PyUnicode_AsUTF8(mechanism) : NULL;
    if (mech == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "argtrace: _calibrate(mechanism: str)");
        return NULL;
    }
    if (atr__calibrate_measure(mech, &res) < 0)
        return NULL;
    return Py_BuildValue("{s:K,s:K,s:K}", "call_ns", (unsigned long long)res.call_ns, "inner_ns",
                         (unsigned long long)res.inner_ns, "samples",
                         (unsigned long long)res.samples);
}
