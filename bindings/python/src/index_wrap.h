/*
 * index_wrap.h — what the files of _core.Index share (analysis_wrap.c: the type, loading and
 * descriptions; index_calls.c: calls, queries and tables; index_slow.c: `slow` and `why`;
 * index_args.c: argument checks and conversions). Include only from those files: it maps
 * short helper names onto the shared ones.
 */
#ifndef ATR_PY_INDEX_WRAP_H
#define ATR_PY_INDEX_WRAP_H

#include "compat.h"

#include <argtrace/atr_analysis.h>

typedef struct pyindex {
    PyObject ob_base; /* PyObject_HEAD */
    atr_index *ix;    /* owned */
    int busy;         /* a load runs with the GIL released */
} pyindex;

#define U64(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))

/* Helpers shared with calls_wrap.c and why_wrap.c (calls_wrap.h), by their short names. */
#define opt_id atr__py_opt_id
#define vid_py atr__py_vid
#define put atr__py_put
#define fn_name atr__py_fn_name

/* index_args.c, by their short names. */
#define ready atr__ix_ready
#define make_filter atr__ix_make_filter
#define get_fn atr__ix_get_fn
#define get_id atr__ix_get_id
#define get_call atr__ix_get_call

/* 0, or -1 with RuntimeError while a load runs in another thread. */
int atr__ix_ready(pyindex *self);

/* A filter ANDing every string of `exprs` (None: *out = NULL, no filter). 0 or -1. */
int atr__ix_make_filter(PyObject *exprs, atr_filter **out);

/* *fn = function id o (None: ATR_ALL_FUNCTIONS); -1 with ValueError if there is none. */
int atr__ix_get_fn(const atr_index *ix, PyObject *o, uint32_t *fn);

/* *out = o as an id below UINT32_MAX; -1 with ValueError "no <what> o in the index". */
int atr__ix_get_id(PyObject *o, const char *what, uint32_t *out);

/* *call = call id o and its view; -1 with ValueError if there is none. */
int atr__ix_get_call(const atr_index *ix, PyObject *o, uint32_t *call, atr_call_view *cv);

/* Index methods of index_calls.c and index_slow.c (NULL-terminated tables). */
extern PyMethodDef atr__ix_calls_methods[];
extern PyMethodDef atr__ix_slow_methods[];

#endif /* ATR_PY_INDEX_WRAP_H */
