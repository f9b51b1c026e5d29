/*
 * filter_emit.c — the out-of-line parts of filter_emit.h: defining a function in the
 * session, and the **kwargs fields of a START.
 */
#include "filter_emit.h"

#include <string.h>

/* UTF-8 of a str key (never raises; see atr__capture_utf8). */
static atr_str key_str(PyObject *o) { return atr__capture_utf8(o); }

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

uint32_t atr__filter_capture_fields(PyObject *dict, atr__scratch *sc, atr_field *fields) {
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    uint32_t n = 0;
    Py_ssize_t seen = 0;
    int redact = have_redact();
    while (n < ATR__EMIT_MAX_FIELDS && PyDict_Next(dict, &pos, &k, &v)) {
        seen++;
        if (!PyUnicode_Check(k)) {
            continue;
        }
        fields[n].name = key_str(k);
        if (redact && atr__capture_is_redacted(&atr__g.opts, k)) {
            atr__capture_redact(v, &fields[n].value);
        } else {
            atr__capture_value(v, &atr__g.opts, sc, &fields[n].value);
        }
        n++;
    }
    sc->errors += (uint32_t)(PyDict_GET_SIZE(dict) - seen); /* past the limit: counted */
    return n;
}
