/*
 * spans.c — function definitions and span begin/end shared by every way of tracing
 * (decorator, coroutine proxies, actions, filter tracing). See spans.h.
 */
#include "spans.h"

#include "capture_fast.h"

#include <string.h>

#define MAX_STACK_ARGS 32
#define MAX_FIELDS 32

/* --- the session's definitions, by content ------------------------------------------------
 *
 * Identical definitions (a new code object for the same source: a lambda, namedtuple or
 * dataclass made per request) share one id, so that what a session keeps grows with its
 * distinct functions, not with the code objects it met. A definition is known by two
 * independent hashes of its strings, line and flags (a 96-bit fingerprint: a false match is
 * ~2^-55 likely among millions of definitions); 16 bytes a slot, no reference to any Python
 * object. Open addressing, linear probing, at most 3/4 full; freed when the session starts
 * or stops (atr__defs_free). */

typedef struct def_slot {
    uint64_t h1; /* 0: empty (a real fingerprint's h1 is made non-zero) */
    uint32_t h2;
    uint32_t id;
} def_slot;

typedef struct atr__defs {
    def_slot *slots;
    size_t cap, n;
} atr__defs;

void atr__defs_free(void) {
    atr__defs *d = atr__g.defs;
    atr__g.defs = NULL;
    if (d != NULL) {
        PyMem_Free(d->slots);
        PyMem_Free(d);
    }
}

typedef struct fingerprint {
    uint64_t h1, h2;
} fingerprint;

static void fp_bytes(fingerprint *f, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        f->h1 = (f->h1 ^ b[i]) * 0x100000001b3ULL; /* FNV-1a */
        f->h2 = (f->h2 + b[i] + 1) * 0x9e3779b97f4a7c15ULL;
        f->h2 ^= f->h2 >> 29;
    }
}

static void fp_str(fingerprint *f, atr_str s) {
    uint64_t len = s.len; /* length first: boundaries are part of the content */
    fp_bytes(f, &len, sizeof len);
    fp_bytes(f, s.ptr, s.len);
}

static fingerprint def_fingerprint(const atr_function_info *info) {
    fingerprint f = {0xcbf29ce484222325ULL, 0x243f6a8885a308d3ULL};
    fp_str(&f, info->module);
    fp_str(&f, info->qualname);
    fp_str(&f, info->file);
    uint32_t nums[3] = {info->line, info->flags, info->n_params};
    fp_bytes(&f, nums, sizeof nums);
    for (uint32_t i = 0; i < info->n_params; i++)
        fp_str(&f, info->params[i]);
    if (f.h1 == 0)
        f.h1 = 1;
    f.h2 ^= f.h2 >> 32;
    return f;
}

static def_slot *defs_find(atr__defs *d, fingerprint f) {
    size_t m = d->cap - 1;
    for (size_t i = (size_t)(f.h1 ^ (f.h1 >> 29)) & m;; i = (i + 1) & m) {
        def_slot *e = &d->slots[i];
        if ((e->h1 == f.h1 && e->h2 == (uint32_t)f.h2) || e->h1 == 0)
            return e;
    }
}

/* Room for one more. NULL: no memory (nothing cached). */
static atr__defs *defs_reserve(void) {
    atr__defs *d = atr__g.defs;
    if (d == NULL && (d = atr__g.defs = PyMem_Calloc(1, sizeof *d)) == NULL)
        return NULL;
    if ((d->n + 1) * 4 <= d->cap * 3)
        return d;
    size_t cap = d->cap ? d->cap * 2 : 256;
    def_slot *old = d->slots, *slots = PyMem_Calloc(cap, sizeof *slots);
    if (slots == NULL)
        return NULL;
    size_t oldcap = d->cap;
    d->slots = slots;
    d->cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].h1) {
            fingerprint f = {old[i].h1, old[i].h2};
            *defs_find(d, f) = old[i];
        }
    }
    PyMem_Free(old);
    return d;
}

int atr__define_names(PyObject *module, PyObject *qualname, PyObject *file, int line,
                      PyObject *names, uint32_t flags, uint32_t *id_out) {
    atr_session *s = atr__session();
    if (s == NULL)
        return ATR_ESTATE;
    Py_ssize_t n = names ? PyTuple_GET_SIZE(names) : 0;
    atr_str *params = PyMem_Malloc(sizeof(atr_str) * (size_t)(n ? n : 1));
    if (params == NULL)
        return ATR_ENOMEM;
    for (Py_ssize_t i = 0; i < n; i++)
        params[i] = atr__capture_utf8(PyTuple_GET_ITEM(names, i));
    atr_function_info info;
    info.module = atr__capture_utf8(module);
    info.qualname = atr__capture_utf8(qualname);
    info.file = atr__capture_utf8(file);
    info.line = line > 0 ? (uint32_t)line : 0;
    info.flags = flags;
    info.n_params = (uint32_t)n;
    info.params = params;
    fingerprint f = def_fingerprint(&info);
    atr__defs *d = defs_reserve();
    def_slot *e = d != NULL ? defs_find(d, f) : NULL;
    int rc = 0;
    if (e != NULL && e->h1) {
        *id_out = e->id;
    } else {
        rc = atr_session_define_function(s, &info, id_out);
        if (rc == 0 && e != NULL) {
            e->h1 = f.h1;
            e->h2 = (uint32_t)f.h2;
            e->id = *id_out;
            d->n++;
        }
    }
    PyMem_Free(params);
    return rc;
}

uint32_t atr__code_kind_flags(PyObject *code) {
    int f = ((PyCodeObject *)code)->co_flags;
    uint32_t r = 0;
    if (f & CO_COROUTINE)
        r |= ATR_FUNC_COROUTINE;
    if (f & CO_GENERATOR)
        r |= ATR_FUNC_GENERATOR;
    if (f & CO_ASYNC_GENERATOR)
        r |= ATR_FUNC_ASYNCGEN;
    return r;
}

Py_ssize_t atr__code_nparams(PyObject *code) {
    PyCodeObject *co = (PyCodeObject *)code;
    return co->co_argcount + co->co_kwonlyargcount + !!(co->co_flags & CO_VARARGS) +
           !!(co->co_flags & CO_VARKEYWORDS);
}

/* Parameter names of a code object, variadic ones starred. New reference or NULL. */
static PyObject *code_param_names(PyObject *code) {
    PyCodeObject *co = (PyCodeObject *)code;
    PyObject *varnames = PyObject_GetAttrString(code, "co_varnames");
    if (varnames == NULL || !PyTuple_Check(varnames)) {
        Py_XDECREF(varnames);
        return NULL;
    }
    Py_ssize_t n = atr__code_nparams(code);
    if (n > PyTuple_GET_SIZE(varnames))
        n = PyTuple_GET_SIZE(varnames);
    PyObject *names = PyTuple_New(n);
    Py_ssize_t pos = co->co_argcount + co->co_kwonlyargcount;
    for (Py_ssize_t i = 0; names != NULL && i < n; i++) {
        PyObject *nm = PyTuple_GET_ITEM(varnames, i);
        if (i == pos && (co->co_flags & CO_VARARGS))
            nm = PyUnicode_FromFormat("*%U", nm);
        else if (i >= pos)
            nm = PyUnicode_FromFormat("**%U", nm);
        else
            Py_INCREF(nm);
        if (nm == NULL)
            Py_CLEAR(names);
        else
            PyTuple_SET_ITEM(names, i, nm);
    }
    Py_DECREF(varnames);
    return names;
}

int atr__define_code(PyObject *code, PyObject *module, PyObject *qualname, uint32_t flags,
                     uint32_t *id_out) {
    if (atr__session() == NULL)
        return ATR_ESTATE;
    if (!PyCode_Check(code))
        return ATR_EINVAL;
    int had = PyErr_Occurred() != NULL;
    atr__exc_state saved = {0};
    if (had)
        atr__compat_exc_fetch(&saved);
    int rc = ATR_ENOMEM;
    PyCodeObject *co = (PyCodeObject *)code;
    PyObject *names = code_param_names(code);
    PyObject *qn = qualname ? Py_NewRef(qualname) : atr__compat_code_qualname(co);
    if (names != NULL)
        rc = atr__define_names(module, qn, co->co_filename, co->co_firstlineno, names,
                               flags | atr__code_kind_flags(code), id_out);
    Py_XDECREF(names);
    Py_XDECREF(qn);
    if (PyErr_Occurred())
        PyErr_Clear();
    if (had)
        atr__compat_exc_restore(&saved);
    return rc;
}

static void count_errors(atr_session *s, const atr__scratch *sc) {
    for (uint32_t i = 0; i < sc->errors; i++)
        atr_session_count_capture_error(s);
}

int atr__span_begin_code(PyObject *code, uint32_t fid, PyObject *const *vals, Py_ssize_t n,
                         uint64_t parent, uint64_t t_ns, uint64_t *span_out) {
    *span_out = 0;
    atr_session *s = atr__session();
    if (s == NULL)
        return ATR_ESTATE;
    uint64_t gen = atr__g.gen; /* the session fid belongs to */
    if ((*span_out = atr_span_gate(s, parent)) != 0)
        return 0; /* not recorded (sampling, recording off): nothing to capture */
    atr__state_name_thread(s);
    if ((s = atr__session_of(gen)) == NULL)
        return ATR_ESTATE;
    int rc = 0;
    int had = PyErr_Occurred() != NULL;
    atr__exc_state saved = {0};
    if (had)
        atr__compat_exc_fetch(&saved);

    PyCodeObject *co = (PyCodeObject *)code;
    Py_ssize_t np = atr__code_nparams(code);
    if (n > np)
        n = np;
    Py_ssize_t var_pos = (co->co_flags & CO_VARARGS) ? co->co_argcount + co->co_kwonlyargcount : -1;
    Py_ssize_t kw_pos = (co->co_flags & CO_VARKEYWORDS) ? np - 1 : -1;
    atr_value stack_args[MAX_STACK_ARGS];
    atr_value *args = stack_args;
    if (n > MAX_STACK_ARGS)
        args = PyMem_Malloc(sizeof(atr_value) * (size_t)n);
    atr_field fields[MAX_FIELDS];
    uint32_t n_fields = 0, n_args = 0;
    atr__scratch *sc = PyMem_Malloc(sizeof(atr__scratch));
    /* Capturing may run Python code that starts another session: its patterns replace the
       ones atr__g.opts borrows, so hold them. */
    atr__capture_opts opts = atr__g.opts;
    Py_XINCREF(opts.redact);
    PyObject *names = (opts.redact && PyTuple_GET_SIZE(opts.redact))
                          ? PyObject_GetAttrString(code, "co_varnames")
                          : NULL;
    if (args == NULL || sc == NULL) {
        rc = ATR_ENOMEM;
        goto done;
    }
    atr__scratch_init(sc);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = vals[i];
        PyObject *name = names && PyTuple_Check(names) && i < PyTuple_GET_SIZE(names)
                             ? PyTuple_GET_ITEM(names, i)
                             : NULL;
        if (i == kw_pos) {
            if (v != NULL && PyDict_CheckExact(v))
                n_fields = atr__capture_dict_fields(v, &opts, sc, fields, MAX_FIELDS);
            continue;
        }
        atr_value *out = &args[n_args++];
        if (v == NULL)
            *out = atr_value_nil();
        else if (name != NULL && atr__capture_is_redacted(&opts, name))
            atr__capture_redact(v, out);
        else if (i == var_pos && PyTuple_CheckExact(v))
            atr__capture_varargs(((PyTupleObject *)v)->ob_item, PyTuple_GET_SIZE(v), &opts, sc,
                                 out);
        else
            atr__capture_value(v, &opts, sc, out);
    }
    /* Capturing may have run Python code (summarizers, repr) that stopped the session. */
    if ((s = atr__session_of(gen)) != NULL) {
        rc = atr_span_begin(s, fid, parent, t_ns, args, n_args, n_fields ? fields : NULL, n_fields,
                            span_out);
        count_errors(s, sc);
    } else {
        rc = ATR_ESTATE;
    }
    atr__scratch_release(sc);
done:
    Py_XDECREF(names);
    Py_XDECREF(opts.redact);
    PyMem_Free(sc);
    if (args != stack_args)
        PyMem_Free(args);
    if (PyErr_Occurred())
        PyErr_Clear();
    if (had)
        atr__compat_exc_restore(&saved);
    return rc;
}

void atr__span_end_return(uint64_t gen, uint64_t span, uint64_t t_ns, PyObject *result,
                          const atr__capture_opts *opts) {
    atr_session *s = atr__session();
    if (s == NULL || gen != atr__g.gen || span == 0 || atr_span_skipped(span))
        return;
    if (result == NULL) {
        atr_span_return(s, span, t_ns, NULL);
        return;
    }
    atr__scratch sc;
    atr__scratch_init(&sc);
    atr_value v;
    atr__capture_value_fast(result, opts ? opts : &atr__g.opts, &sc, &v);
    if ((s = atr__session_of(gen)) != NULL) {
        atr_span_return(s, span, t_ns, &v);
        count_errors(s, &sc);
    }
    if (sc.n_refs)
        atr__scratch_release(&sc);
}

void atr__span_end_raise(uint64_t gen, uint64_t span, uint64_t t_ns, PyObject *exc,
                         const atr__capture_opts *opts) {
    atr_session *s = atr__session();
    if (s == NULL || gen != atr__g.gen || span == 0 || atr_span_skipped(span))
        return;
    if (opts == NULL)
        opts = &atr__g.opts;
    int had = PyErr_Occurred() != NULL;
    atr__exc_state saved = {0};
    if (had)
        atr__compat_exc_fetch(&saved);
    atr__scratch sc;
    atr__scratch_init(&sc);
    atr_value msg;
    atr_str type = atr__capture_exc_type(exc, &sc);
    int has_msg = atr__capture_exc_message(exc, opts, &sc, &msg) == 0;
    if ((s = atr__session_of(gen)) != NULL) {
        atr_span_raise(s, span, t_ns, type, has_msg ? &msg : NULL);
        count_errors(s, &sc);
    }
    atr__scratch_release(&sc);
    if (PyErr_Occurred())
        PyErr_Clear();
    if (had)
        atr__compat_exc_restore(&saved);
}

void atr__span_end_error(uint64_t gen, uint64_t span, uint64_t t_ns,
                         const atr__capture_opts *opts) {
    if (atr__session() == NULL || gen != atr__g.gen || span == 0)
        return;
    atr__exc_state saved = {0};
    atr__compat_exc_fetch(&saved);
    PyObject *exc = atr__compat_exc_value(&saved);
    atr__span_end_raise(gen, span, t_ns, exc, opts);
    atr__compat_exc_restore(&saved);
}

void atr__span_suspend(uint64_t gen, uint64_t span, uint64_t t_ns) {
    atr_session *s = atr__session();
    if (s != NULL && gen == atr__g.gen && span != 0)
        atr_span_suspend(s, span, t_ns);
}

void atr__span_resume(uint64_t gen, uint64_t span, uint64_t t_ns) {
    atr_session *s = atr__session();
    if (s != NULL && gen == atr__g.gen && span != 0)
        atr_span_resume(s, span, t_ns);
}
