/*
 * filter.h — filter tracing: trace functions chosen by patterns, without code changes
 * (DESIGN.md §5, docs/FILTERS.md).
 *
 * Layers: filter_pattern (the language) ← filter (options, per-code decision cache, module
 * functions, the choice of backend) ← filter_calls (per-thread call stacks, min-duration,
 * generators) ← the backends: monitor (3.12+ sys.monitoring), eval_hook (3.11 PEP 523 frame
 * evaluation function, the default there), profile_hook (3.9–3.10, and 3.11 as the fallback:
 * C profile hook); frame_args reads parameters from frames. Everything runs with the GIL held.
 */
#ifndef ATR_PY_FILTER_H
#define ATR_PY_FILTER_H

#include "compat.h"
#include "frame_args_compat.h"

#include <stdint.h>

/* --- used by module.c / the decorator (P1) ------------------------------------------------ */

/* Add filter_start/filter_stop/filter_check to the module; request the code-extra slot.
   Returns 0 or -1 with an exception set. */
int atr__filter_module_init(PyObject *m);

/* The session is about to close: stop filter tracing and end its open spans. */
void atr__filter_session_closing(void);

/* `code` belongs to a decorated function (TracedFunction): filter tracing never records it
   (the decorator's span wins). Never raises; ignores anything but code objects. */
void atr__filter_mark_decorated(PyObject *code);

/* --- internal to the filter files -------------------------------------------------------- */

enum { ATR__DEC_UNKNOWN = 0, ATR__DEC_REJECT = 1, ATR__DEC_ACCEPT = 2 };

/* What filter tracing caches per code object (in its co_extra slot; freed with the code). */
typedef struct atr__code_info {
    uint64_t filter_gen;  /* atr__fcfg.gen the decision was made for */
    uint8_t decision;     /* ATR__DEC_* */
    uint8_t decorated;    /* 1: a TracedFunction wraps it (never filter-traced) */
    uint8_t coro_like;    /* generator, coroutine or async generator code */
    uint8_t cell_params;  /* a parameter is also a cell variable (read through its cell) */
    int32_t n_params;     /* parameter slots (argcount + kwonly + varargs + varkw) */
    int32_t var_pos;      /* slot of *args, -1: none */
    int32_t kw_pos;       /* slot of **kwargs, -1: none */
    uint64_t defined_gen; /* atr__state_gen() of the session it was defined in (0: none) */
    uint32_t fid;         /* FUNCTION id in that session */
    uint64_t redact_mask; /* parameters (index < 64) whose names match the session's redact */
    PyObject *module;     /* owned: module name (str) seen at the decision, or NULL */
    PyObject *qualname;   /* owned: qualified name (str) found at the decision, or NULL */
} atr__code_info;

/* Filter options while tracing runs (one instance: atr__fcfg, filter.c). */
typedef struct atr__filter_cfg {
    int active;               /* 1 between filter_start and filter_stop */
    uint64_t gen;             /* bumped at every filter_start: invalidates decisions */
    uint64_t min_duration_ns; /* 0: keep every call */
    uint32_t max_depth;       /* 0: unlimited */
    PyObject *clock;          /* owned: test clock callable returning ns, or NULL */
    Py_ssize_t extra_index;   /* co_extra index of atr__code_info (-1: none yet) */
} atr__filter_cfg;

extern atr__filter_cfg atr__fcfg;

/* The cached info of `co` (NULL if none yet). Fast: one co_extra read (a few loads, no call,
   where the co_extra layout is known: frame_args_compat.h). */
static inline atr__code_info *atr__code_info_peek(PyCodeObject *co) {
    Py_ssize_t idx = atr__fcfg.extra_index;
#ifdef ATR__CODE_EXTRA_DIRECT
    const atr__code_extra *x = (const atr__code_extra *)co->co_extra;
    return (x && idx >= 0 && idx < x->ce_size) ? (atr__code_info *)x->ce_extras[idx] : NULL;
#else
    void *p = NULL;
    if (idx < 0 || atr__code_get_extra((PyObject *)co, idx, &p) < 0) {
        PyErr_Clear();
        return NULL;
    }
    return (atr__code_info *)p;
#endif
}

/*
 * Decision for `co`, computing and caching it on first use. `globals` (borrowed, may be
 * NULL) gives the module name. Never raises. Returns ATR__DEC_ACCEPT or ATR__DEC_REJECT.
 */
int atr__filter_decide(PyCodeObject *co, PyObject *globals, atr__code_info **info_out);

/* Fast check: the cached decision when it is current, else ATR__DEC_UNKNOWN. */
static inline int atr__filter_cached(PyCodeObject *co, atr__code_info **info_out) {
    atr__code_info *ci = atr__code_info_peek(co);
    *info_out = ci;
    if (ci && ci->filter_gen == atr__fcfg.gen)
        return ci->decorated ? ATR__DEC_REJECT : ci->decision;
    return ATR__DEC_UNKNOWN;
}

/* What atr__filter_ns_search found. */
typedef struct atr__ns_hit {
    PyObject *qualname; /* owned or NULL */
    int decorated;      /* a TracedFunction wraps the code object */
} atr__ns_hit;

/*
 * Look for the function of `co` in its module's globals and the classes there: gives the
 * qualname before 3.11 and whether a TracedFunction wraps it. No user code runs.
 */
void atr__filter_ns_search(PyCodeObject *co, PyObject *globals, atr__ns_hit *hit);

/* Time now in ns (session clock, or the test clock). */
uint64_t atr__filter_now(void);

/* --- backends: start returns 0 or -1 with an exception set; stop never fails ------------ */

/* 3.12+: sys.monitoring (monitor.c). */
int atr__backend_start(void);
void atr__backend_stop(void);

/* 3.9–3.11: the C profile hook (profile_hook.c). */
int atr__profile_start(void);
void atr__profile_stop(void);

/* 3.11: the frame-evaluation hook (eval_hook.c). */
int atr__eval_start(void);
void atr__eval_stop(void);

/* NULL if the eval hook can be installed in this interpreter now, else why not (one line:
   another PEP 523 function is installed, or the frame layout check failed). */
const char *atr__eval_unusable(void);

/* Tests (_core._filter_test_pep523): install (on) or remove a pass-through eval function that
   stands for another tool's, such as a debugger's. */
void atr__eval_test_foreign(int on);

/*
 * C stack one nested Python call takes through the eval hook (the default eval's frame,
 * _PyEval_Vector's, the vectorcall between and ours), with a margin for other builds:
 * measured on 3.11.7 x86-64 ~400 bytes for rejected code, ~640 for traced code
 * (docs/FILTERS.md section 3). Tells whether the recursion limit fits in a stack.
 */
#define ATR__EVAL_STACK_PER_CALL 1024

/* 1 if sys.getrecursionlimit() nested calls through the eval hook fit above the guard floor
   (state.h) of this thread's stack and of the stack threads started later get
   (threading.stack_size() or the system's default), where those are known; else 0. */
int atr__eval_stack_fits(void);

#endif /* ATR_PY_FILTER_H */
