/*
 * eval_hook.c — filter tracing on CPython 3.11: a frame-evaluation function (PEP 523,
 * _PyInterpreterState_SetEvalFrameFunc) that wraps _PyEval_EvalFrameDefault.
 *
 * Why not the profile hook on 3.11: any profile function puts the eval loop in tracing mode
 * (every instruction through DO_TRACING, specialization undone), ~1,470 instructions per call
 * also for code the filter rejects. An eval function costs rejected code one co_extra read
 * and leaves the interpreter specialized. What it costs instead:
 *
 *  - With a non-default eval function, 3.11 does not inline Python-to-Python calls (CALL,
 *    CALL_PY_EXACT_ARGS/WITH_DEFAULTS and BINARY_SUBSCR_GETITEM check interp->eval_frame):
 *    every Python call and every generator/coroutine step (gen_send_ex2) comes here, and
 *    nested Python calls nest C frames. The remaining C stack is checked on every entry:
 *    below the floor of state.h the call raises RecursionError naming the profile backend
 *    (which does not nest). filter.c takes the profile backend when the recursion limit is
 *    too high for the thread's stack at EVAL_STACK_PER_CALL bytes per level.
 *  - It is interpreter-wide: every thread, existing or new, and no profile slot is taken
 *    (cProfile runs beside it).
 *
 * What an entry is (the _PyInterpreterFrame is valid before and after the default eval; its
 * caller pops or clears it later, so its address is the call's key):
 *  - a fresh call: owner FRAME_OWNED_BY_THREAD and no instruction run (prev_instr one before
 *    the first code unit). MAKE_CELL/COPY_FREE_VARS have not run: a parameter that is a cell
 *    variable holds its plain value (read in place). For generator, coroutine and
 *    async-generator code it is the creating call (RETURN_GENERATOR): no span.
 *  - a step of a generator: owner FRAME_OWNED_BY_GENERATOR (the frame lives inside the
 *    generator object). Its first step is the one whose last instruction is RETURN_GENERATOR;
 *    later steps resume the span kept in filter_calls' table. After the default eval:
 *    gi_frame_state FRAME_SUSPENDED is a yield/await, else a return (result) or a raise.
 *    throw() enters with throwflag set and the exception pending.
 *
 * A call that raises leaves its exception set when the default eval returns: it is fetched,
 * its instance handed to filter_calls (for an exception not normalized yet, a temporary
 * instance when the class is built in; none for a class defined in Python, whose constructor
 * we never run) and restored exactly as fetched: no normalization the program would not have
 * had.
 *
 * Re-entrancy: our own processing may run Python code (finalizers run by a collection, the
 * test clock, summarizers): atr__tls_in_tracer is raised meanwhile and calls entered then run
 * untraced, as they would under the profile hook or sys.monitoring (no events while a hook
 * runs).
 *
 * Stopping: frames inside the hook return through it after filter_stop; atr__calls_end_all
 * has ended their spans, so the return path acts only while the filter that began them (its
 * generation) still runs.
 */
#include "filter_backend.h"
#include "filter_calls.h"
#include "frame_args.h"
#include "state.h"

#if ATR__BACKEND_EVAL

#include <opcode.h> /* RETURN_GENERATOR */
#include <pthread.h>
#include <stddef.h>

/* enum _frameowner and FRAME_SUSPENDED of Include/internal/pycore_frame.h (3.11). */
enum { OWNED_BY_THREAD = 0, OWNED_BY_GENERATOR = 1 };
#define GEN_SUSPENDED (-1)

/*
 * C stack one nested Python call takes through the eval hook (the default eval's frame,
 * _PyEval_Vector's, the vectorcall between and ours), with a margin for other builds:
 * measured on 3.11.7 x86-64 ~400 bytes for rejected code, ~640 for traced code
 * (docs/FILTERS.md section 3). Tells whether the recursion limit fits in a stack.
 */
#define EVAL_STACK_PER_CALL 1024

static PyInterpreterState *g_interp; /* where the hook is installed, or NULL */
static _PyFrameEvalFunction g_prev;  /* the eval function it replaced */

static const char STACK_MSG[] =
    "maximum recursion depth exceeded (C stack: argtrace's filter tracing nests every Python "
    "call on 3.11; ARGTRACE_FILTER_BACKEND=profile does not)";

#define DEFAULT_EVAL(ts, fi, throwflag) \
    _PyEval_EvalFrameDefault((ts), (struct _PyInterpreterFrame *)(fi), (throwflag))

static void read_step_args(void *frame, PyCodeObject *co, PyObject **vals, Py_ssize_t n) {
    atr__copy_slots(((atr__iframe311 *)frame)->localsplus, co, vals, n);
}

static inline void *thread_ctx(PyThreadState *ts) {
    return ts->context ? (void *)ts->context : ATR__CTX_NULL;
}

/* The exception instance of a fetched error state (borrowed or *tmp), or NULL. */
static PyObject *exc_instance(PyObject *type, PyObject *value, PyObject **tmp) {
    *tmp = NULL;
    if (value && PyExceptionInstance_Check(value) &&
        (!type || !PyType_Check(type) || PyType_IsSubtype(Py_TYPE(value), (PyTypeObject *)type))) {
        return value; /* normalized, or an instance normalizing would keep */
    }
    if (!type || !PyExceptionClass_Check(type) ||
        (((PyTypeObject *)type)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        return NULL; /* a class defined in Python: its constructor is user code */
    }
    PyObject *args = (!value || value == Py_None) ? PyTuple_New(0)
                     : PyTuple_Check(value)       ? Py_NewRef(value)
                                                  : PyTuple_Pack(1, value);
    *tmp = args ? PyObject_Call(type, args, NULL) : NULL;
    Py_XDECREF(args);
    if (!*tmp) {
        PyErr_Clear();
    }
    return *tmp;
}

/* The call of `key` ended by the exception now set, which stays set exactly as it is. */
static void end_raise(const void *key) {
    PyObject *type, *value, *tb, *tmp;
    PyErr_Fetch(&type, &value, &tb);
    atr__calls_raise(key, exc_instance(type, value, &tmp));
    Py_XDECREF(tmp);
    PyErr_Restore(type, value, tb);
}

/* A fresh call of selected, plain (not generator-like) code; `hot`: atr__calls_hot(ci). */
static inline PyObject *eval_call(PyThreadState *ts, atr__iframe311 *fi, atr__code_info *ci,
                                  int hot) {
    PyCodeObject *co = fi->f_code;
    uint64_t gen = atr__fcfg.gen;
    void *ctx = thread_ctx(ts);
    atr__tls_in_tracer++;
    /* (parameters read in place: no cell made yet) */
    if (!hot || !atr__calls_start_hot(fi, co, ci, fi->localsplus, ctx)) {
        atr__calls_start_slots(fi, co, ci, fi->localsplus, ctx);
    }
    atr__tls_in_tracer--;
    PyObject *res = DEFAULT_EVAL(ts, fi, 0);
    if (ATR__LIKELY(atr__fcfg.gen == gen && atr__fcfg.active)) {
        atr__tls_in_tracer++;
        if (ATR__UNLIKELY(res == NULL)) {
            end_raise(fi);
        } else if (!atr__calls_end_if_top(fi, (PyObject *)co, res, 1)) {
            atr__calls_return(fi, res);
        }
        atr__tls_in_tracer--;
    }
    return res;
}

/* A throw() into `fi` passed through the generator frames _gen_throw put on the stack
   (yield from, await), the thread's current frame and those below it: the suspended calls
   of ours among them resume with `fi`'s step (atr__calls_resume_through). The same when
   `fi` is such a frame going on after the generator it delegated to caught the throw() and
   returned (a send() from _gen_throw). */
static ATR__NOINLINE void resume_through(PyThreadState *ts, atr__iframe311 *fi) {
    const void *through[ATR__THROW_DEPTH];
    int n = 0;
    atr__iframe311 *p = ts->cframe ? (atr__iframe311 *)ts->cframe->current_frame : NULL;
    for (int seen = 0; p && p->owner == 1 /* FRAME_OWNED_BY_GENERATOR */ && seen < ATR__THROW_DEPTH;
         p = p->previous, seen++) {
        if (atr__calls_is_suspended(p)) {
            through[n++] = p;
        }
    }
    if (n) {
        atr__calls_resume_through(fi, through, n);
    }
}

/*
 * Before a step of a selected generator: 1 if it is ours (its span begun or resumed). The
 * first step begins a span even when the suspended table holds one under the same frame
 * address (a generator that vanished without a step through the hook, e.g. closed while our
 * own processing ran: atr__calls_yield ends that one).
 */
static int step_begin(PyThreadState *ts, atr__iframe311 *fi, int throwflag, atr__code_info *ci) {
    if (_Py_OPCODE(*(const _Py_CODEUNIT *)fi->prev_instr) == RETURN_GENERATOR) {
        if (throwflag) {
            return 0; /* thrown into before its first step: its code never runs */
        }
        atr__calls_start_frame(fi, fi->f_code, ci, read_step_args, fi, thread_ctx(ts));
        return 1;
    }
    if (!throwflag) {
        /* a delegating generator going on after the one a throw() went to caught it and
           returned: _gen_throw sends it the value with the frames above it on the stack */
        if (atr__calls_n_suspended() > 1) {
            resume_through(ts, fi);
        }
        return atr__calls_resume(fi); /* 0: its first step ran before this filter started */
    }
    /* resumed by throw(): the exception is pending while we look the span up */
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (atr__calls_n_suspended() > 1) {
        resume_through(ts, fi);
    }
    int ours = atr__calls_resume(fi);
    PyErr_Restore(type, value, tb);
    return ours;
}

/* A step (first, resume or throw) of selected generator, coroutine or async-generator code. */
static PyObject *eval_step(PyThreadState *ts, atr__iframe311 *fi, int throwflag,
                           atr__code_info *ci) {
    uint64_t gen = atr__fcfg.gen;
    atr__tls_in_tracer++;
    int ours = step_begin(ts, fi, throwflag, ci);
    atr__tls_in_tracer--;
    PyObject *res = DEFAULT_EVAL(ts, fi, throwflag);
    if (ours && atr__fcfg.gen == gen && atr__fcfg.active) {
        atr__tls_in_tracer++;
        PyGenObject *g = (PyGenObject *)((char *)fi - offsetof(PyGenObject, gi_iframe));
        if (g->gi_frame_state == GEN_SUSPENDED) {
            atr__calls_yield(fi);
        } else if (res) {
            atr__calls_return(fi, res);
        } else {
            end_raise(fi);
        }
        atr__tls_in_tracer--;
    }
    return res;
}

/* Everything but the rejected-code path of eval_hook (out of line: that path stays a jump). */
static ATR__NOINLINE PyObject *eval_slow(PyThreadState *ts, atr__iframe311 *fi, int throwflag,
                                         atr__code_info *ci, int d) {
    /* the hot path first: a fresh call of code admitted to it (which implies the filter
       runs and the code is plain) */
    if (ATR__LIKELY(d == ATR__DEC_ACCEPT && atr__calls_hot(ci)) && !atr__tls_in_tracer &&
        !throwflag && fi->owner == OWNED_BY_THREAD &&
        (const _Py_CODEUNIT *)fi->prev_instr == _PyCode_CODE(fi->f_code) - 1) {
        return eval_call(ts, fi, ci, 1);
    }
    if (!atr__fcfg.active || atr__tls_in_tracer) {
        return DEFAULT_EVAL(ts, fi, throwflag);
    }
    if (d == ATR__DEC_UNKNOWN) {
        atr__tls_in_tracer++;
        d = atr__filter_decide(fi->f_code, fi->f_globals, &ci);
        atr__tls_in_tracer--;
    }
    if (d != ATR__DEC_ACCEPT || !ci) {
        return DEFAULT_EVAL(ts, fi, throwflag);
    }
    if (fi->owner == OWNED_BY_GENERATOR) {
        return eval_step(ts, fi, throwflag, ci);
    }
    if (ci->coro_like || throwflag || fi->owner != OWNED_BY_THREAD ||
        (const _Py_CODEUNIT *)fi->prev_instr != _PyCode_CODE(fi->f_code) - 1) {
        return DEFAULT_EVAL(ts, fi, throwflag); /* a generator's creating call, or not a call */
    }
    return eval_call(ts, fi, ci, 0);
}

static ATR__NOINLINE PyObject *stack_exhausted(void) {
    PyErr_SetString(PyExc_RecursionError, STACK_MSG);
    return NULL;
}

/* The eval function. Rejected code: the stack check, one co_extra read, a jump. */
static PyObject *eval_hook(PyThreadState *ts, struct _PyInterpreterFrame *frame, int throwflag) {
    if (ATR__UNLIKELY(atr__state_stack_low())) {
        return stack_exhausted();
    }
    atr__iframe311 *fi = (atr__iframe311 *)frame;
    atr__code_info *ci;
    int d = atr__filter_cached(fi->f_code, &ci);
    if (ATR__LIKELY(d == ATR__DEC_REJECT)) {
        return _PyEval_EvalFrameDefault(ts, frame, throwflag);
    }
    return eval_slow(ts, fi, throwflag, ci, d);
}

/* The interpreter frame layout we mirror checks out on the caller's frame (NULL: it does). */
static const char *layout_problem(void) {
    PyFrameObject *f = PyEval_GetFrame(); /* borrowed; NULL when called from C only */
    if (!f) {
        return NULL;
    }
    PyCodeObject *co = PyFrame_GetCode(f);
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    int ok = fi && fi->f_code == co && fi->owner >= 0 && fi->owner <= 2;
    Py_DECREF(co);
    return ok ? NULL : "the interpreter's frame layout is not the one argtrace was built for";
}

/* NULL if the eval hook can be installed in this interpreter now, else why not (one line:
   another PEP 523 function is installed, or the frame layout check failed). */
static const char *eval_unusable(void) {
    _PyFrameEvalFunction cur = _PyInterpreterState_GetEvalFrameFunc(PyThreadState_Get()->interp);
    if (cur != _PyEval_EvalFrameDefault && cur != eval_hook) {
        return "another frame evaluation function is installed (PEP 523, e.g. a debugger)";
    }
    return layout_problem();
}

/* Stack a new thread uses before its first Python call (measured: a few KiB), with margin. */
#define THREAD_START_STACK (64 << 10)

/* 1 if sys.getrecursionlimit() nested calls through the eval hook fit above the guard floor
   (state.h) of this thread's stack and of the stack threads started later get
   (threading.stack_size() or the system's default), where those are known; else 0. */
static int eval_stack_fits(void) {
    uint64_t need = (uint64_t)Py_GetRecursionLimit() * EVAL_STACK_PER_CALL;
    char here;
    char *floor = atr__tls_stack_floor ? atr__tls_stack_floor : atr__state_stack_floor_slow();
    if ((uintptr_t)floor > 1 &&
        ((uintptr_t)&here < (uintptr_t)floor || need > (uintptr_t)&here - (uintptr_t)floor)) {
        return 0; /* this thread */
    }
    /* threads started later: threading.stack_size(), else the system's default */
    size_t size = PyThread_get_stacksize();
    pthread_attr_t attr;
    if (size == 0 && pthread_attr_init(&attr) == 0) {
        if (pthread_attr_getstacksize(&attr, &size) != 0) {
            size = 0;
        }
        pthread_attr_destroy(&attr);
    }
    if (size == 0) {
        return 1; /* unknown */
    }
    size_t margin = size / 4 < ((size_t)1 << 20) ? size / 4 : ((size_t)1 << 20); /* state.c */
    return size > margin + THREAD_START_STACK && need <= size - margin - THREAD_START_STACK;
}

static int eval_start(void) {
    const char *why = eval_unusable();
    if (why) {
        PyErr_Format(PyExc_RuntimeError, "argtrace: %s; filter tracing cannot use it", why);
        return -1;
    }
    PyInterpreterState *interp = PyThreadState_Get()->interp;
    g_prev = _PyInterpreterState_GetEvalFrameFunc(interp);
    if (g_prev == eval_hook) {
        g_prev = _PyEval_EvalFrameDefault;
    }
    _PyInterpreterState_SetEvalFrameFunc(interp, eval_hook);
    g_interp = interp;
    return 0;
}

static void eval_stop(void) {
    /* An eval function installed over ours since start stays: ours, called through it,
       passes every frame to the default eval while filter tracing is off. */
    if (g_interp && _PyInterpreterState_GetEvalFrameFunc(g_interp) == eval_hook) {
        _PyInterpreterState_SetEvalFrameFunc(g_interp, g_prev);
    }
    g_interp = NULL;
}

/* Another tool's eval function, for tests: passes every frame to the default eval. */
static PyObject *foreign_eval(PyThreadState *ts, struct _PyInterpreterFrame *frame, int throwflag) {
    return _PyEval_EvalFrameDefault(ts, frame, throwflag);
}

/* Tests (_core._filter_test_pep523): install (True) or remove (False) a pass-through eval
   function that stands for another tool's, such as a debugger's. */
static PyObject *test_pep523(PyObject *self, PyObject *on) {
    (void)self;
    int v = PyObject_IsTrue(on);
    if (v < 0) {
        return NULL;
    }
    PyInterpreterState *interp = PyThreadState_Get()->interp;
    _PyFrameEvalFunction cur = _PyInterpreterState_GetEvalFrameFunc(interp);
    if (v) {
        _PyInterpreterState_SetEvalFrameFunc(interp, foreign_eval);
    } else if (cur == foreign_eval) {
        _PyInterpreterState_SetEvalFrameFunc(interp, _PyEval_EvalFrameDefault);
    }
    Py_RETURN_NONE;
}

static PyMethodDef eval_methods[] = {
    {"_filter_test_pep523", test_pep523, METH_O,
     "Tests only: install (True) or remove (False) another tool's PEP 523 eval function."},
    {NULL, NULL, 0, NULL}};

const atr__filter_backend atr__backend_eval = {.name = "eval",
                                               .by_name = 1,
                                               .unusable = eval_unusable,
                                               .suits_auto = eval_stack_fits,
                                               .start = eval_start,
                                               .stop = eval_stop,
                                               .methods = eval_methods};

#else
const atr__filter_backend atr__backend_eval = {.name = "eval", .by_name = 1};
#endif /* ATR__BACKEND_EVAL */
