/*
 * filter_emit.c — the out-of-line parts of filter_emit.h: defining a function in the
 * session, and the **kwargs fields of a START.
 */
#include "filter_emit.h"

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
    /* (the one converter's: it holds the entries and the patterns while user code may run) */
    return atr__capture_dict_fields(dict, &atr__g.opts, sc, fields, ATR__EMIT_MAX_FIELDS);
}
