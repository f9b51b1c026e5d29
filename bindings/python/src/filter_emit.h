/*
 * filter_emit.h — START records of filter-traced calls: the hot path, inline in the one
 * caller that runs per call (filter_calls.c), its rarer parts in filter_emit.c.
 *
 * The function id and the per-parameter redaction decisions are cached in the code object's
 * filter info for the session, the capture scratch lives on the stack, and values go through
 * the one converter (capture.h) exactly as the decorator's do. Functions with more than 16
 * parameter slots use spans.h's generic path (small stack frames matter here: the scratch
 * alone is ~2.7 KiB).
 */
#ifndef ATR_PY_FILTER_EMIT_H
#define ATR_PY_FILTER_EMIT_H

#include "capture_fast.h"
#include "filter_decide.h"
#include "spans.h"

#define ATR__EMIT_MAX_FIELDS 16
#define ATR__EMIT_MAX_ARGS 16

/* Define `co` in the active session (module/qualname from the decision) once per session:
   fills ci->fid and ci->redact_mask. Returns 0 or a negative ATR_E* code. */
int atr__filter_define(PyCodeObject *co, atr__code_info *ci);

/* The str-keyed entries of a **kwargs dict as fields (at most ATR__EMIT_MAX_FIELDS), with
   the session's redaction. Returns how many. */
uint32_t atr__filter_capture_fields(PyObject *dict, atr__scratch *sc, atr_field *fields);

/*
 * Begin a span for `co` with parameter values vals[0..n) (co_varnames order, NULL unbound;
 * the *args slot a tuple, the **kwargs slot a dict whose entries become fields), captured
 * by the one converter (capture.h) with the session's options and redaction. Defines the
 * function on first use in the session. *span_out = 0 if nothing was begun. Never raises.
 *
 * Called from the backends' event callbacks (and filter_stop / session close), where no
 * exception is set: CPython saves a pending exception around profile functions and
 * sys.monitoring callbacks. capture.h and the writer never raise.
 *
 * Capturing may run Python code (summarizers, repr), which may release the GIL and let
 * another thread stop the session or filter tracing: the session is looked up again after
 * capturing, and `span_out` must not point into anything such a stop frees (filter_calls.c
 * passes a local and re-checks its stack afterwards). `vals` must stay alive meanwhile.
 */
static inline ATR__ALWAYS_INLINE void atr__filter_begin(PyCodeObject *co, atr__code_info *ci,
                                                        PyObject *const *vals, Py_ssize_t n,
                                                        uint64_t parent, uint64_t t_ns,
                                                        uint64_t *span_out) {
    *span_out = 0;
    atr_session *s = atr__session();
    uint64_t gen = atr__state_gen();
    if (!s || (ci->defined_gen != gen && atr__filter_define(co, ci) < 0)) {
        return;
    }
    uint32_t fid = ci->fid;
    if (ci->n_params > ATR__EMIT_MAX_ARGS || n > ci->n_params) {
        atr__span_begin_code((PyObject *)co, fid, vals, n, parent, t_ns, span_out);
        return;
    }
    Py_ssize_t var_pos = ci->var_pos;
    Py_ssize_t kw_pos = ci->kw_pos;
    uint64_t redact = ci->redact_mask;
    atr_value args[ATR__EMIT_MAX_ARGS];
    atr_field fields[ATR__EMIT_MAX_FIELDS];
    uint32_t n_args = 0, n_fields = 0;
    atr__scratch sc;
    atr__scratch_init(&sc);
    if (ATR__LIKELY(var_pos < 0 && kw_pos < 0 && !redact)) {
        /* named parameters only, none redacted: the common case, one value each. Scalars
           and plain objects are captured inline; a value that needs the general capture
           (which may run Python code: repr, summarizers) first asks whether the call is
           recorded at all (paused, sampled out: nothing is captured). */
        int asked = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!vals[i]) {
                args[i] = atr_value_nil();
            } else if (!atr__capture_value_inline(vals[i], &atr__g.opts, &args[i])) {
                if (!asked && (asked = 1, (*span_out = atr_span_gate(s, parent)) != 0)) {
                    if (sc.n_refs) {
                        atr__scratch_release(&sc);
                    }
                    return;
                }
                atr__capture_value(vals[i], &atr__g.opts, &sc, &args[i]);
            }
        }
        n_args = (uint32_t)n;
    } else {
        if ((*span_out = atr_span_gate(s, parent)) != 0) {
            return; /* not recorded: nothing captured (see above) */
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *v = vals[i];
            if (i == kw_pos) {
                if (v && PyDict_CheckExact(v)) {
                    n_fields = atr__filter_capture_fields(v, &sc, fields);
                }
                continue;
            }
            atr_value *out = &args[n_args++];
            if (!v) {
                *out = atr_value_nil();
            } else if (redact & (UINT64_C(1) << i)) {
                atr__capture_redact(v, out);
            } else if (i == var_pos && PyTuple_CheckExact(v)) {
                atr__capture_varargs(((PyTupleObject *)v)->ob_item, PyTuple_GET_SIZE(v),
                                     &atr__g.opts, &sc, out);
            } else {
                atr__capture_value_fast(v, &atr__g.opts, &sc, out);
            }
        }
    }
    s = atr__session_of(gen); /* (Python code may have run: see above) */
    if (s) {
        atr_span_begin(s, fid, parent, t_ns, args, n_args, n_fields ? fields : NULL, n_fields,
                       span_out);
        for (uint32_t i = 0; i < sc.errors; i++) {
            atr_session_count_capture_error(s);
        }
    }
    if (sc.n_refs) {
        atr__scratch_release(&sc);
    }
}

#endif /* ATR_PY_FILTER_EMIT_H */
