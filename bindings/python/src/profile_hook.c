/*
 * profile_hook.c — filter tracing on CPython 3.9 and 3.10, and on 3.11 when the
 * frame-evaluation hook (eval_hook.c) cannot or is asked not to be used: a C profile function
 * (PyEval_SetProfile) on every thread.
 *
 * Existing threads get the hook through the interpreter's thread list; threads started later
 * get it from threading.setprofile(): the callable installed there replaces itself with the
 * C hook at the new thread's first event. The profile slot is separate from the trace slot,
 * so debuggers and coverage.py (sys.settrace) keep working; another profiler (cProfile)
 * cannot share the slot, so filter_start refuses to run beside one.
 *
 * Generators and coroutines get a "call" event per resume and a "return" event per yield.
 * A return is a suspension when the frame says so: 3.9 f_stacktop != NULL (set only by a
 * yield), 3.10 f_state == FRAME_SUSPENDED, 3.11 the owning generator's gi_frame_state ==
 * FRAME_SUSPENDED (the interpreter sets it before the event). Calls that end by an exception
 * get a "return" event with no value and the exception is not visible to a profile function:
 * the span ends as raised with an unknown type (docs/FILTERS.md).
 */
#include "filter_backend.h"
#include "filter_calls.h"
#include "frame_args.h"

#if ATR__BACKEND_PROFILE

#include <stddef.h>
#if ATR__FRAME_311
#include <opcode.h> /* YIELD_VALUE */
#endif

static PyObject *g_installer;        /* owned: the threading.setprofile callable */
static PyObject *g_prev_thread_hook; /* owned: threading's previous profile hook (or None) */

#if ATR__FRAME_311
static ATR__NOINLINE PyCodeObject *frame_code_public(PyFrameObject *f) {
    PyCodeObject *co = PyFrame_GetCode(f); /* new reference; the frame keeps it alive */
    Py_DECREF(co);
    return co;
}
#endif

static inline PyCodeObject *frame_code(PyFrameObject *f) {
#if ATR__FRAME_PUBLIC
    return f->f_code;
#else
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    return fi ? fi->f_code : frame_code_public(f);
#endif
}

static int is_suspended(PyFrameObject *f) {
#if ATR__FRAME_STACKTOP
    return f->f_stacktop != NULL;
#elif ATR__FRAME_PUBLIC
    return f->f_state == FRAME_SUSPENDED;
#else
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    if (!fi || fi->owner != 1 /* FRAME_OWNED_BY_GENERATOR */) {
        return 0;
    }
    PyGenObject *gen = (PyGenObject *)((char *)fi - offsetof(PyGenObject, gi_iframe));
    return gen->gi_frame_state == -1 /* FRAME_SUSPENDED */;
#endif
}

static void read_args(void *f, PyCodeObject *co, PyObject **vals, Py_ssize_t n) {
    atr__frame_args((PyFrameObject *)f, co, vals, n);
}

/* 1 if the call event of generator-like code is its first step (nothing run yet: 3.9/3.10
   f_lasti -1; 3.11 the event comes at the RESUME that opens the code, _co_firsttraceable). */
static int first_step(PyFrameObject *f, PyCodeObject *co) {
#if ATR__FRAME_PUBLIC
    (void)co;
    return f->f_lasti < 0;
#else
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    return fi && (const _Py_CODEUNIT *)fi->prev_instr == _PyCode_CODE(co) + co->_co_firsttraceable;
#endif
}

#if ATR__FRAME_311
/*
 * 3.11 gives a profile function a call event when throw() enters a generator, but none when
 * a throw() that went through an object that is not a generator (an async generator's
 * asend/athrow awaitable) ends with a value and _gen_throw resumes the generator past its
 * RESUME instruction (asyncio waking, with the exception, a task that awaits an async
 * generator which catches it). Before a call, the suspended calls of ours running below it
 * (the interpreter-frame chain down to the call on top of this thread's stack) resume,
 * outermost first, so that they are its ancestors again.
 */
#define MAX_THROWN 32
static ATR__NOINLINE void resume_thrown(PyFrameObject *f) {
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    const void *found[MAX_THROWN];
    int n = 0;
    for (atr__iframe311 *p = fi ? fi->previous : NULL; p && n < MAX_THROWN; p = p->previous) {
        const void *key = p->frame_obj;
        if (!key) {
            continue;
        }
        if (atr__calls_is_top(key)) {
            break;
        }
        /* still at its yield: a generator that throw() delegates through (yield from /
           await of a generator), which gets its own call event when it resumes */
        if (atr__calls_is_suspended(key) &&
            _Py_OPCODE(*(const _Py_CODEUNIT *)p->prev_instr) != YIELD_VALUE) {
            found[n++] = key;
        }
    }
    while (n) {
        atr__calls_resume(found[--n]);
    }
}

static void resume_through(PyFrameObject *f);

/* The same jump follows a throw() delegated to a generator or coroutine `f` (yield from /
   await) that catches it and returns: the delegating one (linked below `f` by _gen_throw,
   still in the suspended table) goes on without a call event, and may create a task before
   any traced call. It resumes now, inside the delegating ones the throw() passed through
   on its way (resume_through). */
static void resume_delegator(PyFrameObject *f) {
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    atr__iframe311 *p = fi ? fi->previous : NULL;
    if (p && p->frame_obj && atr__calls_is_suspended(p->frame_obj)) {
        if (atr__calls_n_suspended() > 1) {
            resume_through(p->frame_obj);
        }
        atr__calls_resume(p->frame_obj);
    }
}
#endif

#if ATR__FRAME_311
/* 1 if the call event of generator-like code is a throw() (or close(), or its collection)
   into it before its first step: the event comes before the RESUME that opens the code,
   where a first step's comes at it. None of its code runs (docs/FORMAT.md 3.6): no span, as
   with the eval hook and sys.monitoring (its return event finds no call of it on the
   stack). 3.9/3.10 give both events at f_lasti -1 with the exception set aside: there such
   a generator is recorded as a call that raised. */
static int thrown_before_start(PyFrameObject *f, PyCodeObject *co) {
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    return fi && (const _Py_CODEUNIT *)fi->prev_instr < _PyCode_CODE(co) + co->_co_firsttraceable;
}
#endif

/* A generator `f` resuming below suspended calls of ours, generator frames still at their
   yield: a throw() passed down to it through them (yield from, await; a send() runs them, so
   they are not suspended then). They resume with `f`'s step (atr__calls_resume_through).
   3.9 links only the nearest of them to `f` (f_back). */
static ATR__NOINLINE void resume_through(PyFrameObject *f) {
    const void *through[ATR__THROW_DEPTH];
    int n = 0;
#if ATR__FRAME_PUBLIC
    const int gen_flags = CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR;
    PyFrameObject *p = f->f_back;
    for (int seen = 0; p && (p->f_code->co_flags & gen_flags) && seen < ATR__THROW_DEPTH;
         p = p->f_back, seen++) {
        if (atr__calls_is_top(p)) {
            break; /* running: the generators below it run too (a pipeline's next()) */
        }
        if (atr__calls_is_suspended(p)) {
            through[n++] = p;
        }
    }
#else
    atr__iframe311 *fi = atr__compat_iframe_of(f);
    atr__iframe311 *p = fi ? fi->previous : NULL;
    for (int seen = 0; p && p->owner == 1 /* FRAME_OWNED_BY_GENERATOR */ && seen < ATR__THROW_DEPTH;
         p = p->previous, seen++) {
        if (p->frame_obj && atr__calls_is_top(p->frame_obj)) {
            break; /* running: the generators below it run too (a pipeline's next()) */
        }
        if (p->frame_obj && atr__calls_is_suspended(p->frame_obj)) {
            through[n++] = p->frame_obj;
        }
    }
#endif
    if (n) {
        atr__calls_resume_through(f, through, n);
    }
}

/* A first step always begins a span: a span in the suspended table under the same frame
   address is a generator's that vanished unseen (frame objects are reused), which
   atr__calls_yield ends when this one suspends. */
static void on_call(PyFrameObject *f, PyCodeObject *co, atr__code_info *ci) {
#if ATR__FRAME_311
    if (ci->coro_like && thrown_before_start(f, co)) {
        return;
    }
    if (atr__calls_n_suspended()) {
        resume_thrown(f);
    }
#endif
    int resumed = ci->coro_like && !first_step(f, co);
    if (resumed && atr__calls_n_suspended() > 1) {
        resume_through(f);
    }
    if (resumed && (atr__calls_resume(f) || atr__calls_is_top(f))) {
        return; /* (on top: resumed already, by resume_thrown or resume_delegator) */
    }
    atr__calls_start_frame(f, co, ci, read_args, f, NULL);
}

/* Everything but the rejected-code fast path of profile_fn (kept out of line so that the fast
   path needs no register saves). */
static ATR__NOINLINE int profile_slow(PyFrameObject *f, int what, PyObject *arg, PyCodeObject *co,
                                      atr__code_info *ci, int d) {
    if (!atr__fcfg.active) {
        return 0;
    }
    if (what == PyTrace_RETURN && arg != NULL && atr__calls_end_if_top(f, (PyObject *)co, arg, 1)) {
        return 0; /* the call on top of this thread's stack returned (not a generator) */
    }
    if (what == PyTrace_CALL) {
        if (d == ATR__DEC_UNKNOWN) {
            d = atr__filter_decide(co, atr__frame_globals(f), &ci);
        }
        if (d == ATR__DEC_ACCEPT && ci) {
            on_call(f, co, ci);
        }
        return 0;
    }
    if (d != ATR__DEC_ACCEPT) {
        return 0; /* started before this filter: not ours */
    }
    if (ci->coro_like && is_suspended(f)) {
        atr__calls_yield(f);
    } else if (arg == NULL) {
        atr__calls_raise(f, NULL);
    } else {
        atr__calls_return(f, arg);
#if ATR__FRAME_311
        if (ci->coro_like && atr__calls_n_suspended()) {
            resume_delegator(f);
        }
#endif
    }
    return 0;
}

/* Rejected code (the common case when the filter is narrow) costs one co_extra read. */
static int profile_fn(PyObject *obj, PyFrameObject *f, int what, PyObject *arg) {
    (void)obj;
    if (what != PyTrace_CALL && what != PyTrace_RETURN) {
        return 0;
    }
    PyCodeObject *co = frame_code(f);
    atr__code_info *ci;
    int d = atr__filter_cached(co, &ci);
    if (ATR__LIKELY(d == ATR__DEC_REJECT)) {
        return 0;
    }
    return profile_slow(f, what, arg, co, ci, d); /* a tail call: no register saves here */
}

/* threading.setprofile() target: becomes the C hook at a new thread's first event. */
static PyObject *installer(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *frame, *event, *arg;
    if (!PyArg_ParseTuple(args, "OOO", &frame, &event, &arg)) {
        return NULL;
    }
    PyEval_SetProfile(profile_fn, NULL);
    if (PyFrame_Check(frame) && PyUnicode_Check(event) &&
        PyUnicode_CompareWithASCIIString(event, "call") == 0) {
        profile_fn(NULL, (PyFrameObject *)frame, PyTrace_CALL, NULL);
    }
    Py_RETURN_NONE;
}

static PyMethodDef installer_def = {"_argtrace_profile_installer", installer, METH_VARARGS, NULL};

static int set_thread_hook(PyObject *hook) {
    PyObject *threading = PyImport_ImportModule("threading");
    if (!threading) {
        return -1;
    }
    PyObject *r = PyObject_CallMethod(threading, "setprofile", "O", hook);
    Py_DECREF(threading);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static int profile_start(void) {
    PyThreadState *me = PyThreadState_Get();
    if (me->c_profilefunc != NULL && me->c_profilefunc != profile_fn) {
        PyErr_SetString(PyExc_RuntimeError,
                        "argtrace: another profiler is active (sys.setprofile); filter tracing "
                        "through the profile hook cannot share it");
        return -1;
    }
    PyObject *threading = PyImport_ImportModule("threading");
    if (!threading) {
        return -1;
    }
    PyObject *prev = PyObject_GetAttrString(threading, "_profile_hook");
    Py_DECREF(threading);
    if (!prev) {
        PyErr_Clear();
        prev = Py_NewRef(Py_None);
    }
    if (!g_installer) {
        g_installer = PyCFunction_New(&installer_def, NULL);
        if (!g_installer) {
            Py_DECREF(prev);
            return -1;
        }
    }
    if (set_thread_hook(g_installer) < 0) {
        Py_DECREF(prev);
        return -1;
    }
    Py_XSETREF(g_prev_thread_hook, prev);
    PyInterpreterState *interp = me->interp;
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts;
         ts = PyThreadState_Next(ts)) {
        if (ts->c_profilefunc == NULL) {
            if (_PyEval_SetProfile(ts, profile_fn, NULL) < 0) {
                PyErr_Clear();
            }
        }
    }
    return 0;
}

static void profile_stop(void) {
    atr__exc_state st;
    atr__compat_exc_fetch(&st);
    PyThreadState *me = PyThreadState_Get();
    for (PyThreadState *ts = PyInterpreterState_ThreadHead(me->interp); ts;
         ts = PyThreadState_Next(ts)) {
        if (ts->c_profilefunc == profile_fn) {
            if (_PyEval_SetProfile(ts, NULL, NULL) < 0) {
                PyErr_Clear();
            }
        }
    }
    if (set_thread_hook(g_prev_thread_hook ? g_prev_thread_hook : Py_None) < 0) {
        PyErr_Clear();
    }
    Py_CLEAR(g_prev_thread_hook);
    atr__compat_exc_restore(&st);
}

/* Another profiler (cProfile) holds this thread's profile slot. */
static const char *profile_unusable(void) {
    Py_tracefunc cur = PyThreadState_Get()->c_profilefunc;
    return cur != NULL && cur != profile_fn ? "another profiler is active (sys.setprofile)" : NULL;
}

const atr__filter_backend atr__backend_profile = {.name = "profile",
                                                  .by_name = 1,
                                                  .unusable = profile_unusable,
                                                  .start = profile_start,
                                                  .stop = profile_stop};

#else
const atr__filter_backend atr__backend_profile = {.name = "profile", .by_name = 1};
#endif /* ATR__BACKEND_PROFILE */
