/*
 * capture_fields.c — names and fields (capture.h): the UTF-8 of a name (lone surrogates
 * escaped), whether a parameter's name is redacted, and fields from names and dicts.
 */
#include "capture_fast.h"

#include "state.h"

#include <fnmatch.h>
#include <string.h>

int atr__capture_is_redacted(const atr__capture_opts *opts, PyObject *name) {
    if (opts->redact == NULL || PyTuple_GET_SIZE(opts->redact) == 0 || name == NULL ||
        !PyUnicode_Check(name))
        return 0;
    const char *cname = PyUnicode_AsUTF8(name);
    if (cname == NULL) {
        PyErr_Clear();
        return 1; /* cannot tell: err on the side of not writing the value */
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(opts->redact); i++) {
        const char *pat = PyUnicode_AsUTF8(PyTuple_GET_ITEM(opts->redact, i));
        if (pat == NULL) {
            PyErr_Clear();
            continue;
        }
        if (fnmatch(pat, cname, FNM_CASEFOLD) == 0)
            return 1;
    }
    return 0;
}

/* Owned: dict str -> bytes, the UTF-8 of names holding lone surrogates with those written
   as \udcxx (kept alive until atr__capture_clear_escaped(), at session start and stop). */
static PyObject *g_escaped;
/* Distinct escaped names kept per session; past it such names are written "?". */
#define ESCAPED_MAX 4096

/* A str that has no UTF-8 (lone surrogates): its text with them backslash-escaped. */
static atr_str escaped_utf8(PyObject *str) {
    atr_str r = {"?", 1};
    if (g_escaped == NULL && (g_escaped = PyDict_New()) == NULL)
        goto fail;
    PyObject *b = PyDict_GetItemWithError(g_escaped, str); /* borrowed */
    if (b == NULL) {
        if (PyErr_Occurred() || PyDict_GET_SIZE(g_escaped) >= ESCAPED_MAX)
            goto fail;
        b = PyUnicode_AsEncodedString(str, "utf-8", "backslashreplace");
        if (b == NULL || PyDict_SetItem(g_escaped, str, b) < 0) {
            Py_XDECREF(b);
            goto fail;
        }
        Py_DECREF(b); /* the dict holds it */
    }
    r.ptr = PyBytes_AS_STRING(b);
    r.len = (size_t)PyBytes_GET_SIZE(b);
    return r;
fail:
    PyErr_Clear();
    return r;
}

void atr__capture_clear_escaped(void) { Py_CLEAR(g_escaped); }

atr_str atr__capture_utf8(PyObject *str) {
    atr_str r = {"", 0};
    if (str == NULL || !PyUnicode_Check(str))
        return r;
    Py_ssize_t len = 0;
    const char *p = PyUnicode_AsUTF8AndSize(str, &len);
    if (p == NULL) {
        PyErr_Clear();
        return escaped_utf8(str);
    }
    r.ptr = p;
    r.len = (size_t)len;
    return r;
}

int atr__capture_field(PyObject *name, PyObject *value, const atr__capture_opts *opts,
                       atr__scratch *s, atr_field *out) {
    if (!PyUnicode_Check(name))
        return -1;
    out->name = atr__capture_utf8(name);
    if (atr__capture_is_redacted(opts, name))
        atr__capture_redact(value, &out->value);
    else
        atr__capture_value(value, opts, s, &out->value);
    return 0;
}

uint32_t atr__capture_dict_fields(PyObject *dict, const atr__capture_opts *opts, atr__scratch *s,
                                  atr_field *out, uint32_t max) {
    if (dict == NULL || !PyDict_Check(dict))
        return 0;
    /* User code (summarizer, repr) may change the dict, or start a session that replaces
       the redact patterns opts borrows: then hold the entries and the patterns ourselves. */
    int hold = atr__capture_runs_code(opts);
    atr__capture_opts held = *opts;
    Py_XINCREF(held.redact);
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    uint32_t n = 0, seen = 0;
    while (n < max && PyDict_Next(dict, &pos, &k, &v)) {
        if (hold &&
            (atr__scratch_keep(s, Py_NewRef(k)) < 0 || atr__scratch_keep(s, Py_NewRef(v)) < 0))
            break;
        seen++;
        if (atr__capture_field(k, v, &held, s, &out[n]) == 0)
            n++;
    }
    Py_XDECREF(held.redact);
    /* Entries left out (past max, or no room to hold them): counted as capture errors. */
    if ((uint64_t)PyDict_GET_SIZE(dict) > seen)
        s->errors += (uint32_t)((uint64_t)PyDict_GET_SIZE(dict) - seen);
    return n;
}
