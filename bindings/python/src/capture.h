/*
 * capture.h — the one PyObject -> atr_value converter (docs/FORMAT.md section 4, DESIGN.md §4).
 *
 * Used by the decorator (tracefunc.c), actions/messages (actions.c) and filter tracing.
 * Values: capture.c; names and fields: capture_fields.c.
 * Rules: exact builtin scalars become values; exact builtin containers become summaries with
 * a few leading scalar items; everything else becomes a summary with Py_TYPE(obj)->tp_name
 * only. No user code runs (no __repr__/__len__/__eq__/__hash__, no __class__) unless the
 * user opted in (capture_repr, registered summarizers), and then bounded and guarded.
 *
 * Never raises: every function here leaves the caller's PyErr state exactly as it found it;
 * a value that cannot be captured becomes ATR_V_ERROR and is counted.
 *
 * Values point into the captured objects (which the caller keeps alive) or into the
 * scratch; they stay valid until atr__scratch_release(). GIL held for every call.
 */
#ifndef ATR_PY_CAPTURE_H
#define ATR_PY_CAPTURE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <argtrace/atr_common.h>

#include "compat.h"

/* Per-call capture options (decorator-level merged with session-level). */
typedef struct atr__capture_opts {
    size_t max_value_bytes; /* str/bytes longer than this are truncated (bytes of UTF-8) */
    int capture_repr;       /* 1: other objects -> bounded repr(obj) (user code, opt-in) */
    int capture_len;        /* 1: other objects with a length -> type and len(obj) (user code,
                               opt-in; before capture_repr) */
    PyObject *redact;       /* borrowed: tuple of lower-cased str glob patterns, or NULL */
} atr__capture_opts;

/* Leading items kept in a container summary, and how deep summaries nest. */
#define ATR__CAPTURE_ITEMS 3
#define ATR__CAPTURE_DEPTH 2
/* Strings inside summaries are cut to this many bytes. */
#define ATR__CAPTURE_ITEM_BYTES 64

#define ATR__SCRATCH_VALUES 64
#define ATR__SCRATCH_BYTES 512
/* References held inline; past them a PyMem area grows up to ATR__SCRATCH_REFS_MAX in all.
   One top-level value holds at most 4 (a dict entry's key and value, a summarizer's object
   and result), one summary item at most 3 (the item, a summarizer's object and result), and
   items come from the value area: so 32 fields need at most 4 * 33 + 3 * 64 = 324 (see
   actions.c). Past the maximum a value becomes a counted capture error. */
#define ATR__SCRATCH_REFS 16
#define ATR__SCRATCH_REFS_MAX 512

/*
 * Storage that captured values point into. Lives on the caller's stack for the duration of
 * one record (begin or end), then is released. Init with atr__scratch_init().
 */
typedef struct atr__scratch {
    uint32_t n_values;
    uint32_t n_refs;
    size_t n_bytes;
    uint32_t errors;                       /* capture errors met (caller counts them) */
    atr_value values[ATR__SCRATCH_VALUES]; /* summary items */
    char bytes[ATR__SCRATCH_BYTES];        /* digits, formatted text */
    PyObject *refs[ATR__SCRATCH_REFS];     /* owned: temporaries values point into */
    PyObject **more; /* PyMem array of more_cap owned references past refs[], or NULL */
    uint32_t more_cap;
} atr__scratch;

static inline void atr__scratch_init(atr__scratch *s) {
    s->n_values = 0;
    s->n_refs = 0;
    s->n_bytes = 0;
    s->errors = 0;
    s->more = NULL;
    s->more_cap = 0;
}

/* Drop the temporaries (Py_DECREF under the GIL). Values captured into s become invalid. */
void atr__scratch_release(atr__scratch *s);

/* atr__scratch_keep past the inline references (capture.c). */
int atr__scratch_keep_more(atr__scratch *s, PyObject *o);

/* Keep `o` alive until release (steals). Returns 0, or -1 (full: o released, do not use). */
static inline int atr__scratch_keep(atr__scratch *s, PyObject *o) {
    if (ATR__UNLIKELY(s->n_refs >= ATR__SCRATCH_REFS))
        return atr__scratch_keep_more(s, o);
    s->refs[s->n_refs++] = o;
    return 0;
}

/*
 * Convert `obj` into *out. Returns 0, or 1 when *out is a capture-error placeholder
 * (s->errors is incremented; the caller reports it with atr_session_count_capture_error).
 * Never raises; PyErr state is preserved.
 */
int atr__capture_value(PyObject *obj, const atr__capture_opts *opts, atr__scratch *s,
                       atr_value *out);

/* UTF-8 of a str (CPython's cached copy, no allocation for ASCII), or "" for anything else.
   A str with lone surrogates (no UTF-8) gives its text with them written \udcxx, kept until
   atr__capture_clear_escaped() (session start and stop). Never raises. */
atr_str atr__capture_utf8(PyObject *str);
void atr__capture_clear_escaped(void);

/*
 * A named value (action/message field, extra keyword argument): written ATR_V_REDACTED when
 * `name` matches opts->redact. Returns 0, or -1 when name is not a str (nothing written).
 */
int atr__capture_field(PyObject *name, PyObject *value, const atr__capture_opts *opts,
                       atr__scratch *s, atr_field *out);

/* The str-keyed entries of dict `dict` as fields, at most `max`; returns how many. */
uint32_t atr__capture_dict_fields(PyObject *dict, const atr__capture_opts *opts, atr__scratch *s,
                                  atr_field *out, uint32_t max);

/* *out = the ATR_V_REDACTED value. */
void atr__capture_redacted(atr_value *out);

/* 1 if text written as p[0..written) (of `avail` bytes readable at p) holds a remembered
   redacted value or a credential (redact.h), looking past a cut as far as one could reach. */
int atr__capture_text_redacted(const char *p, size_t written, size_t avail);

/* *out = the ATR_V_REDACTED value, for `obj` whose name matched a redact pattern: its text is
   remembered and redacted wherever it is captured later in the session (redact.h). */
void atr__capture_redact(PyObject *obj, atr_value *out);

/*
 * 1 if `name` (a str) matches one of opts->redact's patterns (fnmatch-style, case-insensitive),
 * else 0. Never raises.
 */
int atr__capture_is_redacted(const atr__capture_opts *opts, PyObject *name);

/*
 * Summary of positional extras (*args) straight from a vector: type "tuple", length n, a few
 * leading items. Never raises.
 */
void atr__capture_varargs(PyObject *const *items, Py_ssize_t n, const atr__capture_opts *opts,
                          atr__scratch *s, atr_value *out);

/*
 * Message value of an exception instance for END raise: str(exc) for builtin exception
 * types whose args are builtin scalars; for other types only when opts->capture_repr.
 * Returns 0 with *out set, or -1 (no message: pass NULL to atr_span_raise). Never raises.
 */
int atr__capture_exc_message(PyObject *exc, const atr__capture_opts *opts, atr__scratch *s,
                             atr_value *out);

/*
 * Type name of an exception for END raise: tp_name for builtin types ("ValueError"),
 * "module.qualname" for others. Never raises; falls back to tp_name.
 */
atr_str atr__capture_exc_type(PyObject *exc, atr__scratch *s);

/* The process-wide summarizer table (type -> callable), set by register_summarizer: for
   containers (a builtin one's own summary gives way) and other objects; a scalar type (None,
   bool, int, float, str, bytes, bytearray) is refused with TypeError (returns -1). */
int atr__capture_register_summarizer(PyObject *type, PyObject *fn);
void atr__capture_clear_summarizers(void);

#endif /* ATR_PY_CAPTURE_H */
