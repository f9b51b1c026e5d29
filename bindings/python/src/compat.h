/*
 * compat.h — every CPython version difference the extension cares about (3.9 – 3.14), in
 * one place. Other files use only the atr__compat_* names and macros defined here.
 */
#ifndef ATR_PY_COMPAT_H
#define ATR_PY_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#if PY_VERSION_HEX < 0x030B0000
#include <longintrepr.h> /* PyLongObject's digits (Python.h includes it from 3.11) */
#endif

/*
 * --- CPython version decisions -----------------------------------------------------------
 * Every PY_VERSION_HEX test of the extension is in this header: other files ask for a
 * feature by one of the names below (each 0 or 1: test with #if). A new CPython version is
 * one edit here, plus the frame layout it needs (frame_args_compat.h) and, if its hooks
 * change, one backend row (filter_backend.h).
 */

/* Frames. 3.9/3.10: PyFrameObject is a public struct (frameobject.h); 3.9 marks a suspended
   generator frame by f_stacktop, 3.10 by f_state. 3.11: a frame object points at its
   _PyInterpreterFrame. 3.12/3.13: the thread's current _PyInterpreterFrame, in ts->cframe
   (3.12) or ts->current_frame (3.13). The mirrored layouts: frame_args_compat.h. From 3.12
   PyFrame_GetVar reads a frame's variables (the public fallback). */
#define ATR__FRAME_PUBLIC (PY_VERSION_HEX < 0x030B0000)
#define ATR__FRAME_STACKTOP (PY_VERSION_HEX < 0x030A0000)
#define ATR__FRAME_311 (PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000)
#define ATR__FRAME_312 (PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030E0000)
#define ATR__TSTATE_CURRENT_FRAME (PY_VERSION_HEX >= 0x030D0000)
#define ATR__FRAME_GETVAR (PY_VERSION_HEX >= 0x030C0000)

/* Code objects. co_qualname: 3.11+ (before, filter tracing finds the qualname in the module's
   namespace). The extra-slot functions have PyUnstable_ names from 3.12; the co_extra block
   (_PyCodeObjectExtra, the same from 3.9 to 3.13) is read directly up to 3.13. */
#define ATR__CODE_QUALNAME (PY_VERSION_HEX >= 0x030B0000)
#define ATR__CODE_EXTRA_UNSTABLE (PY_VERSION_HEX >= 0x030C0000)
#define ATR__CODE_EXTRA_DIRECT (PY_VERSION_HEX < 0x030E0000)

/* str: PyUnicode_READY before reading the data (a deprecated no-op from 3.12). */
#define ATR__UNICODE_READY (PY_VERSION_HEX < 0x030C0000)

/* Module definition slots: Py_mod_multiple_interpreters 3.12+, Py_mod_gil 3.13+. */
#define ATR__MOD_INTERPRETERS_SLOT (PY_VERSION_HEX >= 0x030C0000)
#define ATR__MOD_GIL_SLOT (PY_VERSION_HEX >= 0x030D0000)

/* os.fork() warns when the process has other threads: 3.12+, counting them before the
   after_in_parent hooks on 3.12, after them from 3.13 (fork.c). */
#define ATR__FORK_COUNTS_AFTER_HOOKS (PY_VERSION_HEX >= 0x030D0000)

/* Functions have __annotate__ (PEP 649): 3.14+. */
#define ATR__FUNC_ANNOTATE (PY_VERSION_HEX >= 0x030E0000)

/* A decorated Python function stays a function whose vectorcall pointer is swapped while a
   session is active (tracefunc_bare.c): 3.12 and 3.13, where every call path honours the
   pointer or the function's version (3.14's property getter calls check neither). */
#define ATR__BARE_FUNCTIONS (PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030E0000)

/*
 * Filter backends built for this CPython (filter_backend.h): sys.monitoring from 3.12 (PEP
 * 669), the frame-evaluation hook on 3.11 only (it mirrors 3.11's interpreter frame and
 * relies on 3.11 calling it for every Python call), the profile hook before 3.12 (from 3.12
 * sys.monitoring costs less).
 */
#define ATR__BACKEND_MONITORING (PY_VERSION_HEX >= 0x030C0000)
#define ATR__BACKEND_EVAL ATR__FRAME_311
#define ATR__BACKEND_PROFILE (PY_VERSION_HEX < 0x030C0000)

/*
 * 3.9's inspect.iscoroutinefunction/isgeneratorfunction accept only isinstance(f,
 * FunctionType) (3.10+ also accept function-like objects with __code__ etc.), so on 3.9 a
 * TracedFunction wrapping a Python function reports FunctionType as its __class__.
 */
#if PY_VERSION_HEX < 0x030A0000
#define ATR__CLASS_AS_FUNCTION 1
#else
#define ATR__CLASS_AS_FUNCTION 0
#endif

/*
 * Before 3.12 nothing bounds the C stack used by Python calls made through C (3.11 runs
 * plain Python recursion without C stack, so a C wrapper could crash where the original
 * would not): the decorator checks the remaining stack itself and raises RecursionError.
 * 3.12 and 3.13 bound it by counting C recursion, where entering the eval loop from C costs
 * 2 units (PY_EVAL_C_STACK_UNITS): a decorated function would recurse only half as deep as
 * the undecorated one (748 levels where it reaches 998 at 3.12's default limits). There the
 * decorator gives those units back for the call (ATR__C_UNITS_REFUND: the depth is Python's
 * recursion limit, as undecorated) and guards the C stack itself instead. 3.14 bounds the C
 * stack by its address, which needs nothing from us.
 */
#if PY_VERSION_HEX < 0x030E0000
#define ATR__STACK_GUARD 1
#else
#define ATR__STACK_GUARD 0
#endif
#if PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030E0000
#define ATR__C_UNITS_REFUND 2
#else
#define ATR__C_UNITS_REFUND 0
#endif

/* Thread-local storage for the few per-thread words (initial-exec: no __tls_get_addr). */
#if defined(__GNUC__)
#define ATR__TLS __thread __attribute__((tls_model("initial-exec")))
#else
#define ATR__TLS _Thread_local
#endif

#if defined(__GNUC__)
#define ATR__LIKELY(x) __builtin_expect(!!(x), 1)
#define ATR__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ATR__NOINLINE __attribute__((noinline))
#define ATR__ALWAYS_INLINE __attribute__((always_inline))
#else
#define ATR__LIKELY(x) (x)
#define ATR__UNLIKELY(x) (x)
#define ATR__NOINLINE
#define ATR__ALWAYS_INLINE
#endif

/* Py_NewRef / Py_XNewRef: 3.10+. */
#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *atr__compat_newref(PyObject *o) {
    Py_INCREF(o);
    return o;
}
static inline PyObject *atr__compat_xnewref(PyObject *o) {
    Py_XINCREF(o);
    return o;
}
#define Py_NewRef(o) atr__compat_newref((PyObject *)(o))
#define Py_XNewRef(o) atr__compat_xnewref((PyObject *)(o))
#endif

/* The cyclic collector off: 1 if it was on (PyGC_Disable: 3.10+). Never raises. */
static inline int atr__compat_gc_disable(void) {
#if PY_VERSION_HEX >= 0x030A0000
    return PyGC_Disable();
#else
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *on = gc ? PyObject_CallMethod(gc, "isenabled", NULL) : NULL;
    int was = on == Py_True;
    PyObject *r = was ? PyObject_CallMethod(gc, "disable", NULL) : NULL;
    Py_XDECREF(r);
    Py_XDECREF(on);
    Py_XDECREF(gc);
    PyErr_Clear();
    return was;
#endif
}

/* The cyclic collector back on. Never raises. */
static inline void atr__compat_gc_enable(void) {
#if PY_VERSION_HEX >= 0x030A0000
    PyGC_Enable();
#else
    PyObject *gc = PyImport_ImportModule("gc");
    PyObject *r = gc ? PyObject_CallMethod(gc, "enable", NULL) : NULL;
    Py_XDECREF(r);
    Py_XDECREF(gc);
    PyErr_Clear();
#endif
}

/* The calling thread's state without the NULL check (GIL held). */
static inline PyThreadState *atr__compat_tstate(void) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyThreadState_GetUnchecked();
#else
    return _PyThreadState_UncheckedGet();
#endif
}

/*
 * Identity of the thread's current contextvars.Context (may be NULL before the first use).
 * Reads PyThreadState.context, present in every supported version (cpython/pystate.h).
 */
static inline void *atr__compat_context(void) {
    PyThreadState *ts = atr__compat_tstate();
    return ts ? (void *)ts->context : NULL;
}

/*
 * Call the function a decorator wraps, its recursion counted as if Python called it directly
 * (see ATR__C_UNITS_REFUND; the caller checked atr__state_stack_low()), through `vc` when not
 * NULL (a Python function's vectorcall: PyObject_Vectorcall would find the same pointer again
 * and check a result that the interpreter checks anyway when the traced call returns, about
 * 30 instructions), else PyObject_Vectorcall. `ts` is the calling thread's state (only read
 * with ATR__C_UNITS_REFUND: NULL elsewhere); atr__compat_call_wrapped gets it itself.
 */
static inline ATR__ALWAYS_INLINE PyObject *
atr__compat_call_wrapped_in(PyThreadState *ts, PyObject *func, vectorcallfunc vc,
                            PyObject *const *args, size_t nargsf, PyObject *kwnames) {
#if ATR__C_UNITS_REFUND
    ts->c_recursion_remaining += ATR__C_UNITS_REFUND;
    PyObject *res = ATR__LIKELY(vc != NULL) ? vc(func, args, nargsf, kwnames)
                                            : PyObject_Vectorcall(func, args, nargsf, kwnames);
    ts->c_recursion_remaining -= ATR__C_UNITS_REFUND;
    return res;
#else
    (void)ts;
    if (ATR__LIKELY(vc != NULL))
        return vc(func, args, nargsf, kwnames);
    return PyObject_Vectorcall(func, args, nargsf, kwnames);
#endif
}

static inline ATR__ALWAYS_INLINE PyObject *
atr__compat_call_wrapped(PyObject *func, vectorcallfunc vc, PyObject *const *args, size_t nargsf,
                         PyObject *kwnames) {
#if ATR__C_UNITS_REFUND
    PyThreadState *ts = atr__compat_tstate();
#else
    PyThreadState *ts = NULL;
#endif
    return atr__compat_call_wrapped_in(ts, func, vc, args, nargsf, kwnames);
}

/*
 * 1 if `ctx` (a value of atr__compat_context()) is a Context entered by Context.run(): an
 * asyncio task's step or callback, code run in a copied context. 0 for NULL and for the
 * thread's own context, which the interpreter creates the first time anything needs one
 * (contextvars.copy_context(), ContextVar.set, asyncio.run) and never enters: that is the
 * same flow of control as "no context yet". ts->context only ever holds such an
 * auto-created context or an entered one (context.c: context_get, _PyContext_Enter/Exit).
 * Reads PyContext.ctx_entered, whose layout (Include/internal/pycore_context.h) is the same
 * from 3.9 to 3.14. A later CPython, unchecked, counts every context as entered: calls made
 * after the thread's context was created then lose their parent (as on every version before
 * this distinction was made).
 */
#if PY_VERSION_HEX < 0x030F0000
typedef struct atr__compat_pycontext {
    PyObject_HEAD
    void *ctx_prev;
    void *ctx_vars;
    PyObject *ctx_weakreflist;
    int ctx_entered;
} atr__compat_pycontext;
static inline int atr__compat_context_entered(void *ctx) {
    return ctx != NULL && ((atr__compat_pycontext *)ctx)->ctx_entered;
}
#else
static inline int atr__compat_context_entered(void *ctx) { return ctx != NULL; }
#endif

/*
 * 1 and *v = the value if `o` (an exact int) fits in one internal digit (the common small
 * ints: no function call needed), else 0.
 */
static inline int atr__compat_small_int(PyObject *o, int64_t *v) {
#if PY_VERSION_HEX >= 0x030C0000
    if (!PyUnstable_Long_IsCompact((PyLongObject *)o))
        return 0;
    *v = (int64_t)PyUnstable_Long_CompactValue((PyLongObject *)o);
    return 1;
#else
    Py_ssize_t size = Py_SIZE(o);
    if (size < -1 || size > 1)
        return 0;
    *v = size * (int64_t)((PyLongObject *)o)->ob_digit[0];
    return 1;
#endif
}

/*
 * The bit length of int `o`'s absolute value (int.bit_length, for a subclass too: no user
 * code), or -1 with an error set (too many bits for the type). _PyLong_NumBits returns
 * size_t up to 3.13 and int64_t from 3.14: both -1 on error.
 */
static inline int64_t atr__compat_long_bits(PyObject *o) { return (int64_t)_PyLong_NumBits(o); }

/* The exception being raised, saved and restored as one unit (3.12 stores only the value). */
typedef struct atr__exc_state {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *value; /* owned */
#else
    PyObject *type, *value, *tb; /* owned */
#endif
} atr__exc_state;

/* Take the current exception out of the thread state (clears it). */
static inline void atr__compat_exc_fetch(atr__exc_state *st) {
#if PY_VERSION_HEX >= 0x030C0000
    st->value = PyErr_GetRaisedException();
#else
    PyErr_Fetch(&st->type, &st->value, &st->tb);
#endif
}

/* Put it back exactly (steals the references). */
static inline void atr__compat_exc_restore(atr__exc_state *st) {
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(st->value);
#else
    PyErr_Restore(st->type, st->value, st->tb);
#endif
}

/*
 * Borrowed exception instance of a fetched state (normalizing it in place before 3.12, which
 * is what the interpreter does anyway before user code sees it). May be NULL.
 */
static inline PyObject *atr__compat_exc_value(atr__exc_state *st) {
#if PY_VERSION_HEX >= 0x030C0000
    return st->value;
#else
    if (st->type == NULL)
        return NULL;
    PyErr_NormalizeException(&st->type, &st->value, &st->tb);
    if (st->value != NULL && st->tb != NULL)
        PyException_SetTraceback(st->value, st->tb);
    return st->value;
#endif
}

/* Qualified name of a code object (co_qualname 3.11+, co_name before). New reference. */
static inline PyObject *atr__compat_code_qualname(PyCodeObject *co) {
#if PY_VERSION_HEX >= 0x030B0000
    return Py_NewRef(co->co_qualname);
#else
    return Py_NewRef(co->co_name);
#endif
}

/* Drop a fetched exception state. */
static inline void atr__compat_exc_release(atr__exc_state *st) {
#if PY_VERSION_HEX >= 0x030C0000
    Py_CLEAR(st->value);
#else
    Py_CLEAR(st->type);
    Py_CLEAR(st->value);
    Py_CLEAR(st->tb);
#endif
}

/* With StopIteration set: clear it and return its value (new reference, None if absent). */
static inline PyObject *atr__compat_stop_value(void) {
    atr__exc_state st = {0};
    atr__compat_exc_fetch(&st);
    PyObject *exc = atr__compat_exc_value(&st);
    PyObject *v = NULL;
    if (exc != NULL && PyObject_TypeCheck(exc, (PyTypeObject *)PyExc_StopIteration))
        v = ((PyStopIterationObject *)exc)->value;
    v = Py_NewRef(v ? v : Py_None);
    atr__compat_exc_release(&st);
    return v;
}

/*
 * 1 if the generator or coroutine `g` has started and not finished (suspended at a yield or
 * await), else 0. gi_suspended/cr_suspended are 3.11+; before, a frame whose f_lasti is
 * not -1 (inspect.getgeneratorstate's test). Never raises.
 */
static inline int atr__compat_gen_suspended(PyObject *g) {
    int coro = Py_TYPE(g) == &PyCoro_Type;
#if PY_VERSION_HEX >= 0x030B0000
    PyObject *v = PyObject_GetAttrString(g, coro ? "cr_suspended" : "gi_suspended");
    int r = v != NULL && PyObject_IsTrue(v) == 1;
    Py_XDECREF(v);
#else
    PyObject *f = PyObject_GetAttrString(g, coro ? "cr_frame" : "gi_frame");
    PyObject *lasti = f != NULL && f != Py_None ? PyObject_GetAttrString(f, "f_lasti") : NULL;
    int r = lasti != NULL && PyLong_Check(lasti) && PyLong_AsLong(lasti) != -1;
    Py_XDECREF(lasti);
    Py_XDECREF(f);
#endif
    PyErr_Clear();
    return r;
}

/* Result of resuming a generator-like object (PyIter_Send is 3.10+). */
typedef enum { ATR__SEND_RETURN = 0, ATR__SEND_ERROR = -1, ATR__SEND_NEXT = 1 } atr__send_result;

/*
 * Resume `iter` with `arg` (None: next()). *out: the yielded value (NEXT), the return value
 * (RETURN, StopIteration consumed), or NULL with an exception set (ERROR).
 */
static inline atr__send_result atr__compat_send(PyObject *iter, PyObject *arg, PyObject **out) {
#if PY_VERSION_HEX >= 0x030A0000
    PySendResult r = PyIter_Send(iter, arg, out);
    return r == PYGEN_NEXT     ? ATR__SEND_NEXT
           : r == PYGEN_RETURN ? ATR__SEND_RETURN
                               : ATR__SEND_ERROR;
#else
    PyObject *res = PyObject_CallMethod(iter, "send", "(O)", arg);
    if (res != NULL) {
        *out = res;
        return ATR__SEND_NEXT;
    }
    if (PyErr_ExceptionMatches(PyExc_StopIteration)) {
        *out = atr__compat_stop_value();
        return ATR__SEND_RETURN;
    }
    *out = NULL;
    return ATR__SEND_ERROR;
#endif
}

#endif /* ATR_PY_COMPAT_H */
