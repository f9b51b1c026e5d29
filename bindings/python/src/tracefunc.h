/*
 * tracefunc.h — the decorator type (tracefunc.c) and the coroutine/generator proxies
 * (genwrap.c).
 */
#ifndef ATR_PY_TRACEFUNC_H
#define ATR_PY_TRACEFUNC_H

#include "spans.h"

/* A traced callable: `argtrace._core.TracedFunction`. */
typedef struct atr__traced {
    PyObject ob_base; /* PyObject_HEAD */
    vectorcallfunc vectorcall;
    PyObject *func;        /* owned: the wrapped callable */
    vectorcallfunc own_vc; /* bound bare (tracefunc_bare.c): CPython's vectorcall of func,
                              which runs its code; else NULL */
    PyObject *dict;        /* owned: __dict__ (update_wrapper copies), or NULL */
    PyObject *weakrefs;    /* weak reference list */
    PyObject *name;        /* owned: str recorded as qualname instead of __qualname__, or NULL */
    PyObject *capture;     /* owned: frozenset of names to capture, or NULL (all) */
    PyObject *skip;        /* owned: frozenset of names never captured, or NULL */
    PyObject *redact;      /* owned: tuple of lower-cased decorator-level patterns */
    int result;            /* capture the return value */
    int capture_repr;      /* decorator-level opt-in */
    Py_ssize_t max_value_bytes; /* decorator-level limit, -1: the session's */
    /* Binding plan for the code object it was made for (Python functions only). */
    PyObject *code;     /* owned: the code object the plan describes, or NULL */
    PyObject *varnames; /* owned: tuple, co_varnames of `code`, or NULL */
    Py_ssize_t argcount, posonly, kwonly, nslots;
    int has_varargs, has_varkw;
    uint32_t kind; /* ATR_FUNC_COROUTINE/GENERATOR/ASYNCGEN of `code` */
    /* Per session (valid while gen == atr__g.gen). */
    uint64_t gen;
    uint32_t fid;           /* FUNCTION id */
    uint32_t n_captured;    /* START args count */
    uint8_t *mode;          /* PyMem: per slot SLOT_SKIP/SLOT_CAPTURE/SLOT_REDACT */
    Py_ssize_t mode_cap;    /* allocated entries of mode */
    int simple;             /* positional parameters only, all captured: the fast path */
    int mode_plain;         /* every slot SLOT_CAPTURE (none redacted): mode is not read */
    atr__capture_opts opts; /* merged decorator + session options */
    PyObject *opts_redact;  /* owned: the merged pattern tuple opts.redact borrows */
} atr__traced;

extern PyTypeObject atr__TracedFunction_Type;

/* tracefunc.c: the vectorcall entry, and (re)reading a code object's binding facts
   (0 or -1 with an exception set). */
PyObject *atr__traced_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                 PyObject *kwnames);
int atr__traced_plan_code(atr__traced *t, PyObject *code);

/* tracefunc_bare.c: bind t's Python function (t->func) to t, the function itself then the
   decorated object (1; 0 when it cannot be: not a Python function, bound already, another
   vectorcall pointer, a CPython other than 3.12 and 3.13; -1 with an exception set).
   atr__bare_sync makes every bound function's pointer follow whether a session is active
   (call it after atr__g.session changes); atr__bare_forget unbinds t (its clear, before
   func goes). */
int atr__bare_bind(atr__traced *t);
void atr__bare_sync(void);
void atr__bare_forget(atr__traced *t);

/* tracefunc_type.c: a tuple of the lower-cased str patterns of `seq` (None: empty).
   New reference, or NULL with TypeError. */
PyObject *atr__lower_patterns(PyObject *seq);

/* Wrap a coroutine/generator/async generator `obj` (stolen) produced by a traced call that
   began `span` in session generation `gen`. Returns a new proxy, or obj itself if it is not
   one of those types. NULL only on memory error (obj released, exception set). */
PyObject *atr__genwrap_new(PyObject *obj, atr__traced *t, uint64_t span, uint64_t gen);

/* Ready the types (module init). Return 0 or -1 with an exception set. */
int atr__tracefunc_init_types(PyObject *module);
int atr__genwrap_init_types(PyObject *module);

#endif /* ATR_PY_TRACEFUNC_H */
