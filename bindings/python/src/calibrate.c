/*
 * calibrate.c — measure what one traced call costs (calibrate.h), in the spirit of the
 * stdlib profile module's calibrate(): time many calls of a trivial function with and without
 * tracing, the difference per call is the tracer's cost.
 *
 * What is timed: a Python loop calling a one-argument function (an int: the cheapest value to
 * capture, so that compensation errs on the side of too little; it returns a new int, as a
 * small function computes its result: one returning its argument cost 2.5-3 ns less to trace
 * under filter tracing, 1.5 under the decorator, CPython 3.11) N times, untraced and traced
 * by the mechanism, in alternating rounds, in the thread's CPU time (below); call_ns, the
 * median over the rounds of (traced - untraced) / N, is what one traced call adds to the
 * duration of the call around it. inner_ns, the part
 * between the call's own start and end timestamps, is the median duration the log recorded
 * for those calls (the function body itself takes a few ns). For a filter backend the
 * untraced rounds run with the backend's hook removed (3.9–3.11: the profile function or the
 * frame-evaluation function, put back right after; 3.12+: the function is rejected, which
 * costs sys.monitoring nothing once disabled). Eight other shapes of call (calibrate.h:
 * more ints, strs, objects, tuples, generators, a raise) are timed in the same rounds, each
 * as the leaf's cost plus the median of its same-round difference from the leaf's, and the
 * per-call model solved from them (atr__calib_solve, docs/FORMAT.md 3.13); with the profile
 * hook also slow_ppm, from a loop that makes no call timed with the hook on and off.
 *
 * Where the calls go: a private session on a temporary file (deleted afterwards) is made the
 * active one for the few ms of the measurement, under a session generation no real session
 * can have; the user's session, generation, caches and the thread's current span are put
 * back exactly. Other threads may run meanwhile (at the GIL's switches): the first time one
 * reaches the tracer it waits for the user's session to be back (atr__calib_gate, state.h),
 * so that none of its calls goes into the private log. (The switch interval was raised to
 * 1 s instead: another busy thread then took the GIL for a whole second at a switch, which
 * stopped the stop() for a second and sent millions of that thread's calls into the private
 * log, lost.) The collector is off meanwhile: no finalizer of the program runs on this
 * thread while others wait. The functions are compiled privately and dropped.
 *
 * Measured again at every session: the cost depends on the state of the session clock (the
 * first session of a process reads clock_gettime until the TSC is calibrated, later ones the
 * TSC, about 25 ns less per call), and the private session reads the clock the same way the
 * user's does at that moment. The other shapes (the per-call model: calibrate.h) are timed
 * at the first calibration of each mechanism on each clock in the process; later ones reuse
 * its differences from the leaf (rel_cache) and time the leaf alone.
 *
 * Timed in the thread's CPU time (CLOCK_THREAD_CPUTIME_ID): what the tracer costs the
 * program's thread, without the time other processes or the writer's flusher held its CPU
 * (on a busy machine wall-clock rounds were slowed 2-10x), as the compensation takes off
 * the thread's own work.
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
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Calls per timed loop (CAL_GEN_CALLS for the 10-yield generator). 1,000 and 200 until the
   loops were found to be most of stop()'s 22 ms (3.11): 400 and 80 measure the same costs
   (bench/bench_compensation.py's errors and the spread of the model's parts over 12
   processes alike) in 11 ms. */
#define CAL_CALLS 400
#define CAL_GEN_CALLS 80
#define CAL_ROUNDS 9       /* timed rounds of each kind (plus one warm-up) */
#define CAL_BUSY 2000      /* iterations of the busy loop that measures slow_ppm */
#define CAL_YARD_ROUNDS 5  /* timed untraced loops at a session's start (plus one warm-up), */
#define CAL_YARD_CALLS 500 /* of this many calls each: about 0.3 ms at the start in all */

/* The shapes timed (calibrate.h): each `_<name>` is traced, its twin `_<name>0` is not, and
   `_loop_<name>(n)` calls `_<name>` n times the shape's way (`_loop_<name>0` the twin). The
   loops are traced too, as a program's traced calls have a traced caller: a call under a
   span costs 3-7 ns more to trace than one at the top of the thread (its START names its
   parent), 5-10% of a tiny call's cost, which compensation otherwise left in every parent of
   many small calls. The loop's own span costs both rounds alike (decorator) or only the
   traced one, once per CAL_CALLS calls (filter tracing, whose hooks are off in the untraced
   rounds). The loops call a global name, as a program calls its functions: on 3.13 a traced
   call through a local variable cost 7-9 ns less to trace than one through a global name
   (sys.monitoring; the same on 3.11 and 3.12). */
const char *const atr__cal_shapes[ATR__CAL_SHAPES] = {"leaf",  "leaf4", "strs", "objs", "gen0",
                                                      "gen10", "raise", "tups", "sstrs"};

/* The loops, twice: `_loop_<name>` for the traced rounds, `_loop_<name>0` for the untraced
   ones. One loop for both saw two callables at its call site in turn, and CPython's adaptive
   interpreter re-specialised (or gave up on) that site each round: the untraced rounds ran
   1-3 ns per call slower than a program's call site that sees one function, and the cost
   came out that much low. */
#define CAL_LEAF(sfx) "def _leaf" sfx "(x):\n    return x + 1\n"
#define CAL_LOOP(name, sfx, call) \
    "def _loop_" name sfx "(n):\n    for i in range(n):\n        " call "\n"
#define CAL_LOOP_LEAF(sfx) CAL_LOOP("leaf", sfx, "_leaf" sfx "(i)")
#define CAL_LOOPS(sfx)                                                     \
    CAL_LOOP_LEAF(sfx)                                                     \
    CAL_LOOP("leaf4", sfx, "_leaf4" sfx "(i, i, i, i)")                    \
    CAL_LOOP("strs", sfx, "_strs" sfx "(S, S, S, S)")                      \
    CAL_LOOP("objs", sfx, "_objs" sfx "(O, O, O, O)")                      \
    CAL_LOOP("tups", sfx, "_tups" sfx "(T, i, i, i)")                      \
    CAL_LOOP("sstrs", sfx, "_sstrs" sfx "(SS, SS, SS, SS)")                \
    CAL_LOOP("gen0", sfx, "for _ in _gen0" sfx "(i):\n            pass")   \
    CAL_LOOP("gen10", sfx, "for _ in _gen10" sfx "(i):\n            pass") \
    CAL_LOOP("raise", sfx,                                                 \
             "try:\n            _raise" sfx "(i)\n        except ValueError:\n            pass")

/* clang-format off */
static const char CAL_SRC[] =
    "S = 'a calibration string of forty bytes..'\n"
    "SS = 'eight ch'\n"
    "class _Obj:\n"
    "    pass\n"
    "O = _Obj()\n"
    "T = (1, 2)\n"
    CAL_LEAF("")
    CAL_LEAF("0")
    "def _leaf4(a, b, c, d):\n    return None\n"
    "def _leaf40(a, b, c, d):\n    return None\n"
    "_strs = _leaf4\n_strs0 = _leaf40\n_objs = _leaf4\n_objs0 = _leaf40\n"
    "_tups = _leaf4\n_tups0 = _leaf40\n_sstrs = _leaf4\n_sstrs0 = _leaf40\n"
    "def _gen0(x):\n    yield from ()\n"
    "def _gen00(x):\n    yield from ()\n"
    "def _gen10(x):\n    for k in range(10):\n        yield k\n"
    "def _gen100(x):\n    for k in range(10):\n        yield k\n"
    "def _raise(x):\n    raise ValueError('x')\n"
    "def _raise0(x):\n    raise ValueError('x')\n"
    CAL_LOOPS("")
    CAL_LOOPS("0")
    "def _busy(n):\n    s = 0\n    for k in range(n):\n        s += k\n    return s\n";
/* clang-format on */

/* What the yardstick times (atr__calib_yardstick): the untraced leaf and its loop alone. */
static const char CAL_YARD_SRC[] = CAL_LEAF("0") CAL_LOOP_LEAF("0");

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The calling thread's CPU time (the monotonic clock where there is none): what the loops
   cost this thread, without the time other threads and processes held its CPU. */
static uint64_t cpu_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return now_ns();
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
    int eval_off;  /* the interpreter's eval hook is off now */
    int eval_kept; /* it stayed on for an untraced round (another thread was there) */
#endif
} hooks;

#if ATR__BACKEND_EVAL
/* 1 if the calling thread is its interpreter's only one (the GIL held: no thread state is
   deleted meanwhile). The eval hook is the whole interpreter's: off while another thread
   can run (at a switch of the GIL), that thread's calls would go unrecorded. With another
   thread, an untraced round keeps the hook on, the calls it times rejected by the filter
   (what 3.12's untraced rounds do): that measures the tracer's cost short of the hook's own,
   a frame evaluated out of line (10-14 ns per call on 3.11), so such a calibration takes
   off that much too little. */
static int alone_in_interpreter(void) {
    PyThreadState *self = PyThreadState_Get(), *t;
    int n = 0;
    for (t = PyInterpreterState_ThreadHead(self->interp); t != NULL && n < 2;
         t = PyThreadState_Next(t))
        n++;
    return n == 1;
}
#endif

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
    h->eval_off = alone_in_interpreter();
    h->eval_kept |= !h->eval_off;
    if (h->eval_off) {
        h->eval = _PyInterpreterState_GetEvalFrameFunc(PyThreadState_Get()->interp);
        _PyInterpreterState_SetEvalFrameFunc(PyThreadState_Get()->interp, _PyEval_EvalFrameDefault);
    }
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
    if (h->eval_off)
        _PyInterpreterState_SetEvalFrameFunc(PyThreadState_Get()->interp, h->eval);
    h->eval_off = 0;
#endif
}

/* 1 if an untraced round kept the interpreter's eval hook on (hooks_off). */
static int hooks_kept(const hooks *h) {
#if ATR__BACKEND_EVAL
    return h->eval_kept;
#else
    (void)h;
    return 0;
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
    /* The writer's default buffers, few of them: the timed rounds write into buffers the
       warm-up round touched, as a session's calls write into its recycled buffers. A larger
       buffer was fresh memory (a page fault per 4 KiB of records, ~2 us each here, charged
       to every captured byte); more pending buffers are fresh ones too when the flusher lags
       (the producer waits for one instead, off this thread's CPU time). */
    cfg.max_pending_bytes = 4 * cfg.buffer_size;
    cfg.fork_mode = ATR_FORK_STOP;
    if (atr_session_open(&cfg, &s) < 0)
        return NULL;
    return s;
}

/* A process's first session reads clock_gettime until its flusher has measured the TSC's
   rate, 2 ms after it opened (common/tsc.h); the user's session is on the TSC by then but for
   its first ms. Wait (up to 50 ms: a loaded machine) for the private session to get there
   too, so that what is timed is what the program's calls cost. Without the GIL. */
static void wait_clock(const atr_session *priv) {
    for (int i = 0; i < 50 && atr_session_clock_source(priv) == ATR_CLOCK_TSC &&
                    !atr_session_clock_calibrated(priv);
         i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
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
    int gc_was_on; /* the cyclic collector was enabled (it is off while measuring) */
} saved;

/* The threads waiting for the user's session (atr__calib_gate_slow) sleep on this. */
static pthread_mutex_t g_gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_gate_cv = PTHREAD_COND_INITIALIZER;
static int g_gate_closed; /* atr__g.calibrating, as seen without the GIL (under g_gate_mu) */

ATR__TLS int atr__tls_calibrating;

void atr__calib_gate_slow(void) {
    while (atr__g.calibrating && !atr__tls_calibrating) { /* (read with the GIL) */
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&g_gate_mu);
        while (g_gate_closed)
            pthread_cond_wait(&g_gate_cv, &g_gate_mu);
        pthread_mutex_unlock(&g_gate_mu);
        Py_END_ALLOW_THREADS
    }
}

static void gate_set(int closed) {
    pthread_mutex_lock(&g_gate_mu);
    g_gate_closed = closed;
    if (!closed)
        pthread_cond_broadcast(&g_gate_cv);
    pthread_mutex_unlock(&g_gate_mu);
    atr__g.calibrating = closed;
    atr__tls_calibrating = closed;
}

static void set_aside(saved *sv, atr_session *priv) {
    sv->gc_was_on = atr__compat_gc_disable(); /* (3.9: Python code) before the gate closes */
    gate_set(1);
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
    atr__bare_sync();
    atr__tls_current.span = 0;
    atr__tls_current.ctx = NULL;
}

static void put_back(saved *sv) {
    atr__defs_free(); /* the private session's */
    Py_CLEAR(atr__g.action_ids);
    atr__g.defs = sv->defs;
    atr__g.action_ids = sv->action_ids;
    atr__g.session = sv->session;
    atr__g.gen = sv->gen;
    atr__bare_sync();
    atr__tls_named_gen = sv->named_gen;
    atr__tls_current = sv->current;
    gate_set(0);
    if (sv->gc_was_on)
        atr__compat_gc_enable();
}

/* Time one call of loop(n) in ns; 0 on error (exception set). */
static uint64_t time_loop(PyObject *loop, PyObject *n) {
    uint64_t t0 = cpu_ns();
    PyObject *r = PyObject_CallOneArg(loop, n);
    uint64_t t1 = cpu_ns();
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

/* The global named `prefix` + shape + `suffix` (borrowed), or NULL. */
static PyObject *shape_obj(PyObject *g, const char *prefix, int k, const char *suffix) {
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", prefix, atr__cal_shapes[k], suffix);
    return PyDict_GetItemString(g, name);
}

/* The private functions of src, untraced, into g. 0 or -1. */
static int compile_functions(PyObject *g, const char *src) {
    PyObject *code = Py_CompileString(src, "<argtrace calibration>", Py_file_input);
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
    return 0;
}

/* Replace the global `prefix` + shape k + sfx by itself under the decorator, as
   argtrace.trace decorates: the function itself bound bare where it can be (3.12, 3.13),
   else a wrapper. 0 or -1. */
static int wrap_global(PyObject *g, const char *prefix, int k, const char *sfx) {
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", prefix, atr__cal_shapes[k], sfx);
    PyObject *t =
        PyObject_CallOneArg((PyObject *)&atr__TracedFunction_Type, PyDict_GetItemString(g, name));
    int bound = t != NULL ? atr__bare_bind((atr__traced *)t) : -1;
    int failed =
        bound < 0 || PyDict_SetItemString(g, name, bound ? ((atr__traced *)t)->func : t) < 0;
    Py_XDECREF(t);
    return failed ? -1 : 0;
}

/* The private functions, each shape's `_<name>` traced by the mechanism. 0 or -1. */
static int make_functions(const char *mechanism, PyObject *g) {
    if (compile_functions(g, CAL_SRC) < 0)
        return -1;
    if (strcmp(mechanism, "decorator") == 0) {
        for (int k = 0; k < ATR__CAL_SHAPES; k++)
            if (wrap_global(g, "_", k, "") < 0 || wrap_global(g, "_loop_", k, "") < 0 ||
                wrap_global(g, "_loop_", k, "0") < 0)
                return -1;
        return 0;
    }
    if (!atr__fcfg.active) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: filter tracing is not running");
        return -1;
    }
    if (force_decision(PyDict_GetItemString(g, "_busy"), g, ATR__DEC_REJECT) < 0)
        return -1;
    for (int k = 0; k < ATR__CAL_SHAPES; k++) {
        if (force_decision(shape_obj(g, "_", k, ""), g, ATR__DEC_ACCEPT) < 0 ||
            force_decision(shape_obj(g, "_", k, "0"), g, ATR__DEC_REJECT) < 0 ||
            force_decision(shape_obj(g, "_loop_", k, ""), g, ATR__DEC_ACCEPT) < 0 ||
            force_decision(shape_obj(g, "_loop_", k, "0"), g, ATR__DEC_ACCEPT) < 0)
            return -1;
    }
    return 0;
}

/* Minor page faults of the calling thread so far (0 where not counted). */
static uint64_t thread_faults(void) {
#ifdef RUSAGE_THREAD
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0)
        return (uint64_t)ru.ru_minflt;
#endif
    return 0;
}

/* One call of f(arg) in ns; 0 on error (exception set). */
static uint64_t time_call(PyObject *f, PyObject *a, PyObject *b) {
    uint64_t t0 = cpu_ns();
    PyObject *r = PyObject_CallFunctionObjArgs(f, a, b, NULL);
    uint64_t t1 = cpu_ns();
    if (r == NULL)
        return 0;
    Py_DECREF(r);
    return t1 > t0 ? t1 - t0 : 1;
}

/* The median of v[0..n) (sorts v). In CPU time a busy machine no longer slows rounds 2-10x
   (it did in wall time, when this was the lower quartile, which then came out below the
   typical cost: tiny workloads were left 5-10% above their untraced time). */
static uint64_t median_u64(uint64_t *v, int n) {
    qsort(v, (size_t)n, sizeof v[0], cmp_u64);
    return v[n / 2];
}

/* slow_ppm: how much slower the hooks make code that makes no call (the profile hook of
   3.9-3.11 sends every instruction through the tracing path); 0 for other mechanisms.
   0 or -1. */
static int slowdown(PyObject *g, hooks *h, uint64_t *ppm) {
    PyObject *busy = PyDict_GetItemString(g, "_busy"), *n = PyLong_FromLong(CAL_BUSY);
    uint64_t off[CAL_ROUNDS], on[CAL_ROUNDS];
    *ppm = 0;
    if (n == NULL)
        return -1;
    for (int i = 0; i <= CAL_ROUNDS; i++) {
        hooks_off(h);
        uint64_t b = time_call(busy, n, NULL);
        hooks_on(h);
        uint64_t t = b ? time_call(busy, n, NULL) : 0;
        if (!t) {
            Py_DECREF(n);
            return -1;
        }
        if (i > 0) {
            off[i - 1] = b;
            on[i - 1] = t;
        }
    }
    Py_DECREF(n);
    uint64_t b = median_u64(off, CAL_ROUNDS), t = median_u64(on, CAL_ROUNDS);
    *ppm = t > b ? (t - b) * 1000000u / b : 0;
    return 0;
}

/* Each shape's difference from the leaf's cost (the medians in rounds()), per mechanism and
   clock, measured at the first calibration of a mechanism on a clock in the process and
   reused by later ones, which time the leaf alone: the shapes cost a few tens of ms more, a
   session's stop pays them once per process and clock. (The first used to run cold, 10-40%
   above later ones: its private session wrote into fresh memory, see private_open.) The
   clock: a process's first sessions read clock_gettime, about 25 ns more per reading than
   the TSC they read once its rate is known (atr_session_clock_calibrated), and a shape reads
   it more often than the leaf does (a generator twice per resume): differences measured on
   one clock over-charged resumes by half on the other. Under the GIL. */
typedef struct cal_cache {
    char mechanism[16]; /* "" : free slot */
    int tsc;            /* measured with the clock on the TSC */
    int64_t rel[ATR__CAL_SHAPES];
} cal_cache;
static cal_cache rel_cache[8];

/* The cache entry of mechanism on this clock (NULL: none yet). add: a full measurement was
   just made, return where to keep it (NULL: no room). */
static cal_cache *cached_rel(const char *mechanism, int tsc, int add) {
    for (size_t i = 0; i < sizeof rel_cache / sizeof rel_cache[0]; i++) {
        if (strcmp(rel_cache[i].mechanism, mechanism) == 0 && rel_cache[i].tsc == tsc)
            return &rel_cache[i];
        if (add && !rel_cache[i].mechanism[0] &&
            strlen(mechanism) < sizeof rel_cache[i].mechanism) {
            strcpy(rel_cache[i].mechanism, mechanism);
            rel_cache[i].tsc = tsc;
            return &rel_cache[i];
        }
    }
    return NULL;
}

/*
 * A measurement made while the machine ran slow. On a virtual machine whose host is busy the
 * whole calibration (a few ms) can run 1.5-2x slower, the untraced loops as much as the
 * traced ones (one calibration in 10-30 on some of this project's 2-core machines), and a
 * session compensated with it loses twice the tracer's cost. The untraced leaf loop is the
 * yardstick: CPython's own call costs the same but for the machine's speed. It is timed at
 * the session's start (atr__calib_yardstick); a calibration whose untraced loop ran more than
 * ATR__CAL_SLOW_PCT % slower than that has the yardstick timed again (stop_ps), and when that
 * too is more than ATR__CAL_SLOW_PCT % slower the machine is slow now: every cost is scaled
 * by start / stop (the yardstick against itself: the calibration's own loop, interleaved
 * with traced rounds that fill the writer's buffers, runs 4-10% slower than the yardstick
 * alone). With rel (the shapes' differences from the leaf, reused from an earlier
 * measurement: not timed now) only the leaf's cost is scaled, the others follow it. Returns
 * the scale in parts per million (1000000: unchanged).
 *
 * The start, not the fastest measurement of the process: other machines of the same kind
 * run slow for seconds at a time (the untraced loop 1.75x, a traced call 2.1x, for 0.1-2 s,
 * most of the time), and a session that ran slow throughout was compensated by half the
 * tracer's cost once the process had seen one fast calibration. Both slow, not the
 * calibration's loop alone: on a noisy machine that loop alone was 15-32% above the start in
 * 1 of 4 sessions whose traced calls cost what they did in the session (bench/
 * bench_compensation.py: 8 of 32), and 7 of those 8 were compensated by too little (20-76%
 * above their untraced time).
 */
int atr__calib_slower(uint64_t yard_ps, uint64_t ps) {
    return ps != 0 && yard_ps != 0 && ps * 100u > yard_ps * (100u + ATR__CAL_SLOW_PCT);
}

uint64_t atr__calib_rescale(uint64_t yard_ps, uint64_t ps, uint64_t stop_ps, const int64_t *rel,
                            uint64_t cost[ATR__CAL_SHAPES]) {
    if (!atr__calib_slower(yard_ps, ps) || !atr__calib_slower(yard_ps, stop_ps))
        return 1000000u;
    uint64_t ppm = yard_ps * 1000000u / stop_ps;
    cost[ATR__CAL_LEAF] = cost[ATR__CAL_LEAF] * ppm / 1000000u;
    for (int k = 1; k < ATR__CAL_SHAPES; k++) {
        int64_t c =
            rel ? (int64_t)cost[ATR__CAL_LEAF] + rel[k] : (int64_t)(cost[k] * ppm / 1000000u);
        cost[k] = c > 0 ? (uint64_t)c : 0;
    }
    return ppm;
}

uint64_t atr__calib_yardstick(void) {
    hooks h;
    memset(&h, 0, sizeof h);
    h.filter = atr__fcfg.active;
    PyObject *g = PyDict_New(), *n = PyLong_FromLong(CAL_YARD_CALLS);
    uint64_t v[CAL_YARD_ROUNDS], ps = 0;
    int ok = g && n && compile_functions(g, CAL_YARD_SRC) == 0;
    PyObject *loop = ok ? PyDict_GetItemString(g, "_loop_leaf0") : NULL;
    /* filter tracing running (an outer session's): 3.12+ sees these calls, the decision keeps
       them out of its log; 3.9-3.11's hooks are off meanwhile */
    if (ok && h.filter)
        ok = force_decision(loop, g, ATR__DEC_REJECT) == 0 &&
             force_decision(PyDict_GetItemString(g, "_leaf0"), g, ATR__DEC_REJECT) == 0;
    if (ok) {
        hooks_off(&h);
        for (int i = 0; ok && i <= CAL_YARD_ROUNDS; i++) {
            uint64_t t = time_loop(loop, n);
            ok = t != 0;
            if (i > 0) /* round 0 warms up */
                v[i - 1] = t;
        }
        hooks_on(&h);
    }
    if (ok)
        ps = median_u64(v, CAL_YARD_ROUNDS) * 1000u / CAL_YARD_CALLS;
    if (PyErr_Occurred()) { /* no measurement: no rescale */
        int interrupted = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
        PyErr_Clear();
        if (interrupted)
            PyErr_SetInterrupt(); /* the program's Ctrl-C, raised at the next check */
    }
    if (g)
        PyDict_Clear(g); /* the functions refer to g: break the cycle */
    Py_XDECREF(g);
    Py_XDECREF(n);
    return ps;
}

/* Timed rounds, the shapes interleaved: cost[k] gets shape k's (traced - untraced * (1 +
   slow)) in ns of this thread's CPU per call (0 if tracing looked free), as said below;
   *faults the page faults of the timed traced loops. */
/* rel: the shapes' differences from the leaf to use (leaf alone timed), or NULL (all timed;
   *out_rel gets them when not NULL). */
static int rounds(PyObject *g, hooks *h, uint64_t slow_ppm, const int64_t *known_rel,
                  int64_t *out_rel, uint64_t cost[ATR__CAL_SHAPES], uint64_t *faults,
                  uint64_t *untraced_ps) {
    PyObject *n = PyLong_FromLong(CAL_CALLS), *ng = PyLong_FromLong(CAL_GEN_CALLS);
    uint64_t diff[ATR__CAL_SHAPES][CAL_ROUNDS], plain_leaf[CAL_ROUNDS];
    int rc = -1;
    if (n == NULL || ng == NULL)
        goto out;
    int n_shapes = known_rel ? 1 : ATR__CAL_SHAPES;
    for (int i = 0; i <= CAL_ROUNDS; i++) {
        for (int k = 0; k < n_shapes; k++) {
            PyObject *loop = shape_obj(g, "_loop_", k, "");
            PyObject *plain_loop = shape_obj(g, "_loop_", k, "0");
            PyObject *cnt = k == ATR__CAL_GEN10 ? ng : n;
            hooks_off(h);
            uint64_t b = time_loop(plain_loop, cnt);
            hooks_on(h);
            uint64_t f0 = thread_faults();
            uint64_t t = b ? time_loop(loop, cnt) : 0;
            if (!t)
                goto out;
            if (i > 0)
                *faults += thread_faults() - f0;
            if (i > 0 && k == ATR__CAL_LEAF)
                plain_leaf[i - 1] = b;
            b += b * slow_ppm / 1000000u;
            if (i > 0) /* round 0 warms up */
                diff[k][i - 1] = t > b ? t - b : 0;
        }
    }
    /* The leaf's cost: the median over rounds. Each other shape's: the leaf's plus
       the median over rounds of its difference from the leaf's in the same round (a round
       the machine slowed slows both: the pairing keeps that out of the model's parts). */
    for (int k = 0; k < n_shapes; k++) {
        uint64_t per = k == ATR__CAL_GEN10 ? CAL_GEN_CALLS : CAL_CALLS;
        for (int i = 0; i < CAL_ROUNDS; i++)
            diff[k][i] /= per; /* ns per call */
    }
    int64_t rel[ATR__CAL_SHAPES][CAL_ROUNDS], med[ATR__CAL_SHAPES] = {0};
    for (int k = 1; k < ATR__CAL_SHAPES; k++) {
        if (known_rel) {
            med[k] = known_rel[k];
            continue;
        }
        for (int i = 0; i < CAL_ROUNDS; i++)
            rel[k][i] = (int64_t)diff[k][i] - (int64_t)diff[ATR__CAL_LEAF][i];
        qsort(rel[k], CAL_ROUNDS, sizeof rel[k][0], cmp_i64);
        med[k] = rel[k][CAL_ROUNDS / 2];
    }
    if (out_rel)
        memcpy(out_rel, med, sizeof med);
    cost[ATR__CAL_LEAF] = median_u64(diff[ATR__CAL_LEAF], CAL_ROUNDS);
    *untraced_ps = median_u64(plain_leaf, CAL_ROUNDS) * 1000u / CAL_CALLS;
    for (int k = 1; k < ATR__CAL_SHAPES; k++) {
        int64_t c = (int64_t)cost[ATR__CAL_LEAF] + med[k];
        cost[k] = c > 0 ? (uint64_t)c : 0;
    }
    rc = 0;
out:
    Py_XDECREF(n);
    Py_XDECREF(ng);
    return rc;
}

static uint64_t sub0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

void atr__calib_solve(const uint64_t cost[ATR__CAL_SHAPES], atr_calibration_model *m) {
    /* leaf: base + 2 scalars (argument, result); leaf4: base + 5 scalars; sstrs: base + 4
       strs of 8 bytes + 1 scalar (the result None); strs: the same with 40-byte strs,
       long_str_ns being a long str's cost over a short one's (the encoder copies up to 32
       bytes inline, memcpy past that: 1.5-2.4 ns over an int up to 32 bytes, about 5 past
       them, 3.11, decorator and filter tracing alike); objs: base + 4 summaries + 1 scalar; gen0: base + 2
       scalars + gen; gen10: gen0 + 10 resumes; raise: base + 1 scalar + 1 str (the message)
       + raise; tups: base + 1 container of 2 scalars + 4 scalars, container_ns being the
       container's cost over an object's. One container, as a call mostly has: the first of
       a call costs more than the next ones (3.13 filter tracing: 19 ns over an int, then 5-12
       each; the decorator on 3.11: 19, then 12), and four of them charged a call of one
       10 ns too little. */
    uint64_t leaf = cost[ATR__CAL_LEAF], sc = sub0(cost[ATR__CAL_LEAF4], leaf) / 3;
    uint64_t base = sub0(leaf, 2 * sc), base_sc = base + sc;
    uint64_t slow = m->slow_ppm;
    memset(m, 0, sizeof *m);
    m->slow_ppm = slow;
    m->base_ns = base;
    m->scalar_ns = sc;
    m->str_ns = sub0(cost[ATR__CAL_SSTRS], base_sc) / 4;
    m->long_str_ns = sub0(cost[ATR__CAL_STRS], cost[ATR__CAL_SSTRS]) / 4;
    m->summary_ns = sub0(cost[ATR__CAL_OBJS], base_sc) / 4;
    m->gen_ns = sub0(cost[ATR__CAL_GEN0], base + 2 * sc);
    m->resume_ns = sub0(cost[ATR__CAL_GEN10], cost[ATR__CAL_GEN0]) / 10;
    m->raise_ns = sub0(cost[ATR__CAL_RAISE], base_sc + m->str_ns);
    m->container_ns = sub0(cost[ATR__CAL_TUPS], base + 6 * sc + m->summary_ns);
}

int atr__calibrate_measure(const char *mechanism, int reuse, atr__calib *out) {
    char path[512];
    hooks h;
    saved sv;
    uint64_t cost[ATR__CAL_SHAPES] = {0};
    PyObject *g = PyDict_New();
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
    Py_BEGIN_ALLOW_THREADS
    wait_clock(priv);
    Py_END_ALLOW_THREADS
    set_aside(&sv, priv);
    if (make_functions(mechanism, g) == 0 &&
        (strcmp(mechanism, "profile") != 0 || slowdown(g, &h, &out->model.slow_ppm) == 0)) {
        int tsc = atr_session_clock_calibrated(priv);
        cal_cache *known = reuse ? cached_rel(mechanism, tsc, 0) : NULL;
        int64_t fresh[ATR__CAL_SHAPES];
        rc = rounds(g, &h, out->model.slow_ppm, known ? known->rel : NULL, known ? NULL : fresh,
                    cost, &out->faults, &out->untraced_ps);
        /* (an untraced round with the eval hook kept on is slower by the hook's cost: not
           a slower machine) */
        if (rc == 0 && reuse && !hooks_kept(&h) &&
            atr__calib_slower(atr__g.calib_yard_ps, out->untraced_ps)) {
            uint64_t stop_ps = atr__calib_yardstick(); /* is the machine slow now? */
            out->scale_ppm = atr__calib_rescale(atr__g.calib_yard_ps, out->untraced_ps, stop_ps,
                                                known ? known->rel : NULL, cost);
        }
        /* the differences kept for later measurements: this one's, as scaled (its model and
           theirs then differ in base_ns alone) */
        for (int k = 0; rc == 0 && !known && k < ATR__CAL_SHAPES; k++)
            fresh[k] = (int64_t)cost[k] - (int64_t)cost[ATR__CAL_LEAF];
        cal_cache *slot = rc == 0 && !known && reuse ? cached_rel(mechanism, tsc, 1) : NULL;
        if (slot)
            memcpy(slot->rel, fresh, sizeof fresh);
    }
    atr__exc_state exc = {0};
    if (rc < 0) /* put_back() calls Python: keep the error aside meanwhile */
        atr__compat_exc_fetch(&exc);
    put_back(&sv);
    PyDict_Clear(g); /* the functions refer to g: break the cycle */
    Py_DECREF(g);
    Py_BEGIN_ALLOW_THREADS
    atr_session_close(priv);
    Py_END_ALLOW_THREADS
    if (rc == 0) {
        memcpy(out->shape_ns, cost, sizeof cost);
        atr__calib_solve(cost, &out->model);
        out->call_ns = cost[ATR__CAL_LEAF];
        out->inner_ns = leaf_median(path);
        if (out->scale_ppm && out->scale_ppm < 1000000u) /* recorded at the slow speed too */
            out->inner_ns = out->inner_ns * out->scale_ppm / 1000000u;
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
    atr__calib res;
    memset(&res, 0, sizeof res);
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
        int failed = atr__calibrate_measure(mechanism, 1, &res) < 0;
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
    atr_session_write_calibration_model(s, &k, res.samples ? &res.model : NULL);
    if (strcmp(mechanism, "decorator") != 0)
        atr__g.backend_calib_gen = atr__g.gen;
}
