/*
 * filter_emit.c — START records of filter-traced calls (filter.h: atr__filter_begin).
 *
 * The hot path of filter tracing: the function id and the per-parameter redaction decisions
 * are cached in the code object's filter info for the session, the capture scratch lives on
 * the stack, and values go through the one converter (capture.h) exactly as the decorator's
 * do. Functions with more than 16 parameter slots use spans.h's generic path (small stack
 * frames matter here: the scratch alone is ~2.7 KiB).
 */
#include "filter.h"

#include "spans.h"

#include <string.h>

#define ATR__EMIT_MAX_FIELDS 16
#define ATR__EMIT_MAX_ARGS 16

/* UTF-8 of a str key, or an empty string (never raises). */
static atr_str key_str(PyObject *o) {
    atr_str r = {"", 0};
    Py_ssize_t len = 0;
    const char *p = PyUnicode_Check(o) ? PyUnicode_AsUTF8AndSize(o, &len) : NULL;
    if (!p) {
        PyErr_Clear();
        return r;
    }
    r.ptr = p;
    r.len = (size_t)len;
    return r;
}

static int have_redact(void) {
    return atr__g.opts.redact && PyTuple_GET_SIZE(atr__g.opts.redact) > 0;
}

int atr__filter_define(PyCodeObject *co, atr__code_info *ci) {
    uint64_t gen = atr__state_gen();
    if (ci->defined_gen == gen) {
        return 0;
    }
    uint32_t id;
    int rc = atr__define_code((PyObject *)co, ci->module, ci->qualname, 0, &id);
    if (rc < 0) {
        return rc;
    }
    ci->fid = id;
    ci->redact_mask = 0;
    if (have_redact()) {
        PyObject *names = PyObject_GetAttrString((PyObject *)co, "co_varnames");
        for (Py_ssize_t i = 0; names && PyTuple_Check(names) && i < PyTuple_GET_SIZE(names) &&
                               i < ci->n_params && i < 64;
             i++) {
            if (atr__capture_is_redacted(&atr__g.opts, PyTuple_GET_ITEM(names, i))) {
                ci->redact_mask |= UINT64_C(1) << i;
            }
        }
        Py_XDECREF(names);
        PyErr_Clear();
    }
    ci->defined_gen = gen;
    return 0;
}

static uint32_t capture_fields(PyObject *dict, atr__scratch *sc, atr_field *fields) {
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    uint32_t n = 0;
    int redact = have_redact();
    while (n < ATR__EMIT_MAX_FIELDS && PyDict_Next(dict, &pos, &k, &v)) {
        if (!PyUnicode_Check(k)) {
            continue;
        }
        fields[n].name = key_str(k);
        if (redact && atr__capture_is_redacted(&atr__g.opts, k)) {
            atr__capture_redacted(&fields[n].value);
        } else {
            atr__capture_value(v, &atr__g.opts, sc, &fields[n].value);
        }
        n++;
    }
    return n;
}

/*
 * Called from the backends' event callbacks (and filter_stop / session close), where no
 * exception is set: CPython saves a pending exception around profile functions and
 * sys.monitoring callbacks. capture.h and the writer never raise.
 */
void atr__filter_begin(PyCodeObject *co, atr__code_info *ci, PyObject *const *vals, Py_ssize_t n,
                       uint64_t parent, uint64_t t_ns, uint64_t *span_out) {
    *span_out = 0;
    atr_session *s = atr__session();
    if (!s || (ci->defined_gen != atr__state_gen() && atr__filter_define(co, ci) < 0)) {
        return;
    }
    if (ci->n_params > ATR__EMIT_MAX_ARGS || n > ci->n_params) {
        /* defined above with its module and qualname: spans.h finds the same id */
        atr__span_begin_code((PyObject *)co, vals, n, parent, t_ns, span_out);
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
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = vals[i];
        if (i == kw_pos) {
            if (v && PyDict_CheckExact(v)) {
                n_fields = capture_fields(v, &sc, fields);
            }
            continue;
        }
        atr_value *out = &args[n_args++];
        if (!v) {
            *out = atr_value_nil();
        } else if (redact & (UINT64_C(1) << i)) {
            atr__capture_redacted(out);
        } else if (i == var_pos && PyTuple_CheckExact(v)) {
            atr__capture_varargs(((PyTupleObject *)v)->ob_item, PyTuple_GET_SIZE(v), &atr__g.opts,
                                 &sc, out);
        } else {
            atr__capture_value_fast(v, &atr__g.opts, &sc, out);
        }
    }
    atr_span_begin(s, ci->fid, parent, t_ns, args, n_args, n_fields ? fields : NULL, n_fields,
                   span_out);
    for (uint32_t i = 0; i < sc.errors; i++) {
        atr_session_count_capture_error(s);
    }
    if (sc.n_refs) {
        atr__scratch_release(&sc);
    }
}
