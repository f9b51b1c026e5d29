/*
 * filter_decide.h — which code filter tracing records: the options of the running filter
 * (atr__fcfg), the per-code-object decision cache (co_extra), the decision by the patterns
 * (filter_decide.c; the namespace search of filter_names.c) and the filter's clock. The
 * bottom layer of the filter files: it calls none of the others (filter.h, DESIGN.md §5).
 * Everything runs with the GIL held.
 */
#ifndef ATR_PY_FILTER_DECIDE_H
#define ATR_PY_FILTER_DECIDE_H

#include "compat.h"
#include "frame_args_compat.h"

#include <stdint.h>

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
    uint64_t hot_gen;     /* atr__fcfg.hot_gen when the hot path suits it (filter_calls.h) */
} atr__code_info;

/* Filter options while tracing runs (one instance: atr__fcfg, filter_decide.c). */
typedef struct atr__filter_cfg {
    int active;               /* 1 between filter_start and filter_stop */
    uint64_t gen;             /* bumped at every filter_start: invalidates decisions */
    uint64_t min_duration_ns; /* 0: keep every call */
    uint32_t max_depth;       /* 0: unlimited */
    PyObject *clock;          /* owned: test clock callable returning ns, or NULL */
    Py_ssize_t extra_index;   /* co_extra index of atr__code_info (-1: none yet) */
    /* `gen` while the filter runs without min_duration, max_depth or clock (the hot path's
       conditions that belong to the filter), else ATR__HOT_NONE, which no code info holds */
    uint64_t hot_gen;
} atr__filter_cfg;

#define ATR__HOT_NONE UINT64_MAX

extern atr__filter_cfg atr__fcfg;

/* The cached info of `co` (NULL if none yet). Fast: one co_extra read (a few loads, no call,
   where the co_extra layout is known: frame_args_compat.h). */
static inline atr__code_info *atr__code_info_peek(PyCodeObject *co) {
    Py_ssize_t idx = atr__fcfg.extra_index;
#if ATR__CODE_EXTRA_DIRECT
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

/* --- set up by filter.c ---------------------------------------------------------------- */

/* Request the code-extra slot (once per process). 0, or -1 with an exception set. */
int atr__filter_decide_init(void);

/* Parse `patterns` (a list of str) only: 0, or -1 with a one-line ValueError/TypeError. */
int atr__filter_patterns_check(PyObject *patterns);

/* Parse and install the include and exclude (None allowed) patterns of a filter about to
   start, with the library roots and this package's directory; reset the hit counters.
   0, or -1 with an exception set (nothing installed). */
int atr__filter_patterns_set(PyObject *include, PyObject *exclude);

/* Drop the installed patterns (the hit counters stay for atr__filter_hits). */
void atr__filter_patterns_clear(void);

/* Per include pattern of the latest filter: how many code objects it selected (list of int),
   None before any filter started. New reference, NULL with an exception set. */
PyObject *atr__filter_hits(void);

#endif /* ATR_PY_FILTER_DECIDE_H */
