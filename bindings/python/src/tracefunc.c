/*
 * tracefunc.c — `TracedFunction`, the decorator's callable type.
 *
 * A vectorcall object wrapping a callable. With no session active it forwards the call
 * untouched. With a session it binds the arguments by parameter name straight from the
 * vectorcall array (the code object's argcount/kwonly/defaults; keywords matched by
 * identity first), begins a span whose parent is the current span, makes the span current
 * (thread-local, restored after the call), calls, and ends the span with the result or the
 * exception, which the caller then receives unchanged. Coroutine, generator and async
 * generator results are handed to genwrap.c, which ends the span at completion.
 *
 * Binding on classes: tp_descr_get returns a bound method (PyMethod_New), and the type has
 * Py_TPFLAGS_METHOD_DESCRIPTOR so `obj.m(x)` calls it with `obj` first without creating one.
 */
#include "tracefunc.h"

#ifdef ATR_HAVE_FILTER
#include "filter.h"
#endif

#include <string.h>

enum { SLOT_SKIP = 0, SLOT_CAPTURE = 1, SLOT_REDACT = 2 };

#define STACK_SLOTS 16
#define MAX_KW_FIELDS 16

/* --- plan ------------------------------------------------------------------------------- */

/* (Re)read the binding facts of the wrapped function's current code object. */
static int plan_code(atr__traced *t, PyObject *code) {
    PyCodeObject *co = (PyCodeObject *)code;
    PyObject *varnames = PyObject_GetAttrString(code, "co_varnames");
    if (varnames == NULL)
        return -1;
    if (!PyTuple_Check(varnames)) {
        Py_DECREF(varnames);
        PyErr_SetString(PyExc_TypeError, "argtrace: co_varnames is not a tuple");
        return -1;
    }
    Py_XSETREF(t->code, Py_NewRef(code));
    Py_XSETREF(t->varnames, varnames);
#ifdef ATR_HAVE_FILTER
    atr__filter_mark_decorated(code); /* filter tracing leaves decorated code to us */
#endif
    t->argcount = co->co_argcount;
    t->posonly = co->co_posonlyargcount;
    t->kwonly = co->co_kwonlyargcount;
    t->has_varargs = !!(co->co_flags & CO_VARARGS);
    t->has_varkw = !!(co->co_flags & CO_VARKEYWORDS);
    t->nslots = t->argcount + t->kwonly + t->has_varargs;
    if (t->nslots > PyTuple_GET_SIZE(varnames))
        t->nslots = PyTuple_GET_SIZE(varnames);
    t->kind = atr__code_kind_flags(code);
    t->gen = 0; /* re-prepare for the session */
    return 0;
}

static int name_in(PyObject *set, PyObject *name) {
    if (set == NULL)
        return 0;
    int r = PySet_Contains(set, name);
    if (r < 0) {
        PyErr_Clear();
        return 0;
    }
    return r;
}

/* Merge decorator options with the session's; decide each slot; define the function. */
static int prepare(atr__traced *t) {
    int rc = -1;
    PyObject *names = NULL, *module = NULL, *qualname = NULL, *file = NULL;
    int line = 0;
    atr__tls_in_tracer++; /* attribute reads below may run user code */
    /* Options. */
    t->opts.max_value_bytes =
        t->max_value_bytes >= 0 ? (size_t)t->max_value_bytes : atr__g.opts.max_value_bytes;
    t->opts.capture_repr = t->capture_repr || atr__g.opts.capture_repr;
    PyObject *merged =
        atr__g.redact ? PySequence_Concat(atr__g.redact, t->redact) : Py_NewRef(t->redact);
    if (merged == NULL)
        goto done;
    Py_XSETREF(t->opts_redact, merged);
    t->opts.redact = merged;
    /* Slots. */
    if (PyFunction_Check(t->func)) {
        PyObject *code = PyFunction_GET_CODE(t->func);
        if (code != t->code && plan_code(t, code) < 0)
            goto done;
    }
    Py_ssize_t nslots = t->code ? t->nslots : 1; /* other callables: one "*args" slot */
    /* Reallocated only to grow (a new __code__ with more parameters): calls in other
       threads that Python code run here lets proceed keep reading a valid array. */
    uint8_t *mode = t->mode;
    if (nslots > t->mode_cap) {
        mode = PyMem_Calloc((size_t)nslots, 1);
        if (mode == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        PyMem_Free(t->mode);
        t->mode = mode;
        t->mode_cap = nslots;
    }
    names = PyTuple_New(nslots);
    if (names == NULL)
        goto done;
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < nslots; i++) {
        PyObject *nm = t->code ? PyTuple_GET_ITEM(t->varnames, i) : NULL;
        int is_var = t->code ? (t->has_varargs && i == t->argcount + t->kwonly) : 1;
        PyObject *plain = nm ? nm : NULL;
        PyObject *shown =
            is_var ? (nm ? PyUnicode_FromFormat("*%U", nm) : PyUnicode_FromString("*args"))
                   : Py_NewRef(nm);
        if (shown == NULL)
            goto done;
        PyObject *key = plain ? plain : shown;
        if ((t->capture != NULL && !name_in(t->capture, key) && !name_in(t->capture, shown)) ||
            name_in(t->skip, key) || name_in(t->skip, shown)) {
            mode[i] = SLOT_SKIP;
            Py_DECREF(shown);
            continue;
        }
        mode[i] = atr__capture_is_redacted(&t->opts, key) ? SLOT_REDACT : SLOT_CAPTURE;
        PyTuple_SET_ITEM(names, n++, shown);
    }
    if (_PyTuple_Resize(&names, n) < 0)
        goto done;
    t->simple = t->code != NULL && t->kwonly == 0 && !t->has_varargs &&
                t->argcount <= STACK_SLOTS && n == t->argcount;
    t->n_captured = (uint32_t)n;
    /* Identity. */
    module = PyObject_GetAttrString(t->func, "__module__");
    if (module == NULL)
        PyErr_Clear();
    if (t->name) {
        qualname = Py_NewRef(t->name);
    } else {
        qualname = PyObject_GetAttrString(t->func, "__qualname__");
        if (qualname == NULL) {
            PyErr_Clear();
            qualname = PyObject_GetAttrString(t->func, "__name__");
        }
        if (qualname == NULL) {
            PyErr_Clear();
            qualname = PyUnicode_FromString(Py_TYPE(t->func)->tp_name);
        }
    }
    uint32_t flags = t->kind;
    if (t->code) {
        file = Py_NewRef(((PyCodeObject *)t->code)->co_filename);
        line = ((PyCodeObject *)t->code)->co_firstlineno;
        /* A method: defined in a class body and taking self/cls first. */
        Py_ssize_t dot =
            qualname && PyUnicode_Check(qualname)
                ? PyUnicode_FindChar(qualname, '.', 0, PyUnicode_GET_LENGTH(qualname), -1)
                : -1;
        if (dot > 0 && t->argcount > 0) {
            PyObject *first = PyTuple_GET_ITEM(t->varnames, 0);
            if (PyUnicode_CompareWithASCIIString(first, "self") == 0 ||
                PyUnicode_CompareWithASCIIString(first, "cls") == 0)
                flags |= ATR_FUNC_METHOD;
        }
    }
    if (PyErr_Occurred())
        PyErr_Clear();
    if (atr__define_names(module, qualname, file, line, names, flags, &t->fid) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: cannot define function");
        goto done;
    }
    t->gen = atr__g.gen;
    rc = 0;
done:
    atr__tls_in_tracer--;
    Py_XDECREF(names);
    Py_XDECREF(module);
    Py_XDECREF(qualname);
    Py_XDECREF(file);
    return rc;
}

/* --- the call --------------------------------------------------------------------------- */

static inline void capture_slot(atr__traced *t, Py_ssize_t i, PyObject *v, atr__scratch *sc,
                                atr_value *out) {
    if (t->mode[i] == SLOT_REDACT)
        atr__capture_redacted(out);
    else if (v == NULL)
        *out = atr_value_nil();
    else
        atr__capture_value(v, &t->opts, sc, out);
}

/* Index of keyword `name` among the slots that accept keywords, or -1. */
static Py_ssize_t find_kw(atr__traced *t, PyObject *name) {
    Py_ssize_t end = t->argcount + t->kwonly;
    PyObject **vn = ((PyTupleObject *)t->varnames)->ob_item;
    for (Py_ssize_t i = t->posonly; i < end; i++)
        if (vn[i] == name)
            return i;
    for (Py_ssize_t i = t->posonly; i < end; i++)
        if (PyUnicode_Compare(vn[i], name) == 0)
            return i;
    if (PyErr_Occurred())
        PyErr_Clear();
    return -1;
}

/*
 * Capture the bound arguments and begin the span. Kept out of line so that its scratch
 * storage is not on the stack during the wrapped call (deep recursion).
 */
ATR__NOINLINE static uint64_t begin_call(atr__traced *t, atr_session *s, PyObject *const *args,
                                         Py_ssize_t nargs, PyObject *kwnames, uint64_t parent) {
    atr__scratch sc;
    atr_value vals_stack[STACK_SLOTS];
    PyObject *slots_stack[STACK_SLOTS];
    atr_field fields[MAX_KW_FIELDS];
    uint32_t n_fields = 0, nv = 0;
    uint64_t span = 0, gen = atr__g.gen;
    atr__scratch_init(&sc);
    if (t->code == NULL) {
        /* Any callable: all positionals as "*args", keywords as fields. */
        if (t->mode[0] != SLOT_SKIP)
            atr__capture_varargs(args, nargs, &t->opts, &sc, &vals_stack[nv++]);
        Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
        for (Py_ssize_t j = 0; j < nkw && n_fields < MAX_KW_FIELDS; j++)
            if (atr__capture_field(PyTuple_GET_ITEM(kwnames, j), args[nargs + j], &t->opts, &sc,
                                   &fields[n_fields]) == 0)
                n_fields++;
        if ((s = atr__session_of(gen)) != NULL)
            atr_span_begin(s, t->fid, parent, ATR_NOW, vals_stack, nv, n_fields ? fields : NULL,
                           n_fields, &span);
        goto done;
    }

    Py_ssize_t ns = t->nslots, npos = t->argcount;
    PyObject **slots = slots_stack;
    atr_value *vals = vals_stack;
    if (ns > STACK_SLOTS) {
        slots = PyMem_Malloc(sizeof(PyObject *) * (size_t)ns);
        vals = PyMem_Malloc(sizeof(atr_value) * (size_t)ns);
        if (slots == NULL || vals == NULL)
            goto done_free;
    }
    /* Positionals. */
    Py_ssize_t i = 0;
    for (; i < npos && i < nargs; i++)
        slots[i] = args[i];
    for (; i < ns; i++)
        slots[i] = NULL;
    /* Keywords: named slots, or **kwargs fields. */
    if (kwnames != NULL) {
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t j = 0; j < nkw; j++) {
            PyObject *k = PyTuple_GET_ITEM(kwnames, j);
            PyObject *v = args[nargs + j];
            Py_ssize_t at = find_kw(t, k);
            if (at >= 0 && slots[at] == NULL) {
                slots[at] = v;
                continue;
            }
            if (n_fields < MAX_KW_FIELDS &&
                atr__capture_field(k, v, &t->opts, &sc, &fields[n_fields]) == 0)
                n_fields++;
        }
    }
    /* Defaults for what is still unbound. */
    if (nargs < npos) {
        PyObject *defs = PyFunction_GET_DEFAULTS(t->func);
        Py_ssize_t nd = defs ? PyTuple_GET_SIZE(defs) : 0;
        for (Py_ssize_t k = npos - nd; k < npos; k++)
            if (k >= 0 && slots[k] == NULL)
                slots[k] = PyTuple_GET_ITEM(defs, k - (npos - nd));
    }
    if (t->kwonly) {
        PyObject *kwdefs = PyFunction_GET_KW_DEFAULTS(t->func);
        for (Py_ssize_t k = npos; kwdefs && k < npos + t->kwonly; k++) {
            if (slots[k] == NULL && PyDict_CheckExact(kwdefs)) {
                slots[k] = PyDict_GetItemWithError(kwdefs, PyTuple_GET_ITEM(t->varnames, k));
                if (slots[k] == NULL && PyErr_Occurred())
                    PyErr_Clear();
            }
        }
    }
    /* Values in slot order; *args from the vector's tail. */
    Py_ssize_t var_at = t->has_varargs ? npos + t->kwonly : -1;
    for (Py_ssize_t k = 0; k < ns; k++) {
        if (t->mode[k] == SLOT_SKIP)
            continue;
        if (k == var_at) {
            if (t->mode[k] == SLOT_REDACT)
                atr__capture_redacted(&vals[nv]);
            else
                atr__capture_varargs(args + npos, nargs > npos ? nargs - npos : 0, &t->opts, &sc,
                                     &vals[nv]);
            nv++;
            continue;
        }
        capture_slot(t, k, slots[k], &sc, &vals[nv++]);
    }
    if ((s = atr__session_of(gen)) != NULL)
        atr_span_begin(s, t->fid, parent, ATR_NOW, vals, nv, n_fields ? fields : NULL, n_fields,
                       &span);
done_free:
    if (slots != slots_stack)
        PyMem_Free(slots);
    if (vals != vals_stack)
        PyMem_Free(vals);
done:
    for (uint32_t e = 0; s != NULL && e < sc.errors; e++)
        atr_session_count_capture_error(s);
    atr__scratch_release(&sc);
    if (PyErr_Occurred())
        PyErr_Clear();
    return span;
}

/* The common case: positional arguments binding exactly the captured parameters. */
ATR__NOINLINE static uint64_t begin_simple(atr__traced *t, atr_session *s, PyObject *const *args,
                                           Py_ssize_t nargs, uint64_t parent) {
    atr__scratch sc;
    atr_value vals[STACK_SLOTS];
    uint64_t span = 0, gen = atr__g.gen;
    atr__scratch_init(&sc);
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (ATR__UNLIKELY(t->mode[i] == SLOT_REDACT))
            atr__capture_redacted(&vals[i]);
        else
            atr__capture_value_fast(args[i], &t->opts, &sc, &vals[i]);
    }
    if (ATR__UNLIKELY(sc.errors != 0 || sc.n_refs != 0)) {
        /* Python code may have run (summarizer, repr): is the session still there? */
        if ((s = atr__session_of(gen)) != NULL) {
            atr_span_begin(s, t->fid, parent, ATR_NOW, vals, (uint32_t)nargs, NULL, 0, &span);
            for (uint32_t e = 0; e < sc.errors; e++)
                atr_session_count_capture_error(s);
        }
        atr__scratch_release(&sc);
        return span;
    }
    atr_span_begin(s, t->fid, parent, ATR_NOW, vals, (uint32_t)nargs, NULL, 0, &span);
    return span;
}

ATR__NOINLINE static void end_call(atr__traced *t, uint64_t gen, uint64_t span, PyObject *res) {
    if (ATR__UNLIKELY(res == NULL)) {
        atr__span_end_error(gen, span, ATR_NOW, &t->opts);
        return;
    }
    atr_session *s = atr__g.session;
    if (ATR__UNLIKELY(s == NULL || gen != atr__g.gen))
        return;
    if (!t->result) {
        atr_span_return(s, span, ATR_NOW, NULL);
        return;
    }
    atr__scratch sc;
    atr_value v;
    atr__scratch_init(&sc);
    atr__capture_value_fast(res, &t->opts, &sc, &v);
    if (ATR__UNLIKELY(sc.errors != 0 || sc.n_refs != 0)) {
        /* Python code may have run (summarizer, repr): is the session still there? */
        if ((s = atr__session_of(gen)) != NULL) {
            atr_span_return(s, span, ATR_NOW, &v);
            for (uint32_t e = 0; e < sc.errors; e++)
                atr_session_count_capture_error(s);
        }
        atr__scratch_release(&sc);
        return;
    }
    atr_span_return(s, span, ATR_NOW, &v);
}

static PyObject *traced_call(atr__traced *t, atr_session *s, PyObject *const *args, size_t nargsf,
                             PyObject *kwnames) {
    if (ATR__UNLIKELY(t->gen != atr__g.gen ||
                      (t->code != NULL && PyFunction_GET_CODE(t->func) != t->code))) {
        if (prepare(t) < 0) {
            PyErr_Clear();
            return PyObject_Vectorcall(t->func, args, nargsf, kwnames);
        }
    }
    atr__state_name_thread(s);
    uint64_t gen = t->gen;
    if (ATR__UNLIKELY((s = atr__session_of(gen)) == NULL)) /* stopped meanwhile */
        return PyObject_Vectorcall(t->func, args, nargsf, kwnames);
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    /* One read of the thread's context serves the parent lookup and the new pair. */
    void *ctx = atr__compat_context();
    atr__cur saved = atr__tls_current;
    uint64_t parent = saved.ctx == ctx ? saved.span : atr__span_current_slow();
    uint64_t span = (kwnames == NULL && nargs == t->argcount && t->simple)
                        ? begin_simple(t, s, args, nargs, parent)
                        : begin_call(t, s, args, nargs, kwnames, parent);
    atr__tls_current.span = span;
    atr__tls_current.ctx = ctx;
    PyObject *res = PyObject_Vectorcall(t->func, args, nargsf, kwnames);
    atr__span_leave(saved);
    if (span == 0)
        return res;
    /* Generator-like results: also from callables without a code object (partials...). */
    if (ATR__UNLIKELY(t->kind != 0 || t->code == NULL) && res != NULL) {
        PyTypeObject *tp = Py_TYPE(res);
        /* (Generators of @types.coroutine functions must stay awaitable: not wrapped.) */
        int iterable_coro =
            t->code && (((PyCodeObject *)t->code)->co_flags & CO_ITERABLE_COROUTINE);
        if (tp == &PyCoro_Type || tp == &PyAsyncGen_Type || (tp == &PyGen_Type && !iterable_coro))
            return atr__genwrap_new(res, t, span, gen);
    }
    end_call(t, gen, span, res);
    return res;
}

static PyObject *traced_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                   PyObject *kwnames) {
    atr__traced *t = (atr__traced *)self;
    atr_session *s = atr__g.session;
    if (ATR__UNLIKELY(atr__state_stack_low())) {
        PyErr_SetString(PyExc_RecursionError,
                        "maximum recursion depth exceeded (C stack, in a traced call)");
        return NULL;
    }
    if (ATR__LIKELY(s == NULL) || ATR__UNLIKELY(atr__tls_in_tracer))
        return PyObject_Vectorcall(t->func, args, nargsf, kwnames);
    return traced_call(t, s, args, nargsf, kwnames);
}

/* --- construction ----------------------------------------------------------------------- */

static PyObject *to_frozenset(PyObject *o) {
    if (o == NULL || o == Py_None)
        return NULL;
    if (PyUnicode_Check(o)) {
        PyObject *t = PyTuple_Pack(1, o);
        PyObject *r = t ? PyFrozenSet_New(t) : NULL;
        Py_XDECREF(t);
        return r;
    }
    return PyFrozenSet_New(o);
}

/* Tuple of lower-cased str patterns. */
PyObject *atr__lower_patterns(PyObject *seq);
PyObject *atr__lower_patterns(PyObject *seq) {
    if (seq == NULL || seq == Py_None)
        return PyTuple_New(0);
    if (PyUnicode_Check(seq)) {
        PyErr_SetString(PyExc_TypeError, "argtrace: redact must be an iterable of str patterns");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(seq, "argtrace: redact must be an iterable of str");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject *out = PyTuple_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *p = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyUnicode_Check(p)) {
            PyErr_SetString(PyExc_TypeError, "argtrace: redact patterns must be str");
            Py_CLEAR(out);
            break;
        }
        PyObject *low = PyObject_CallMethod(p, "lower", NULL);
        if (low == NULL)
            Py_CLEAR(out);
        else
            PyTuple_SET_ITEM(out, i, low);
    }
    Py_DECREF(fast);
    return out;
}

/* functools.update_wrapper: copy identity attributes, then the wrapped __dict__. */
static int update_wrapper(atr__traced *t) {
    static const char *const assigned[] = {"__module__", "__name__",        "__qualname__",
                                           "__doc__",    "__type_params__", NULL};
    t->dict = PyDict_New();
    if (t->dict == NULL)
        return -1;
    for (int i = 0; assigned[i]; i++) {
        PyObject *v = PyObject_GetAttrString(t->func, assigned[i]);
        if (v == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                return -1;
            PyErr_Clear();
            continue;
        }
        int rc = PyDict_SetItemString(t->dict, assigned[i], v);
        Py_DECREF(v);
        if (rc < 0)
            return -1;
    }
    PyObject *d = PyObject_GetAttrString(t->func, "__dict__");
    if (d == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return -1;
        PyErr_Clear();
    } else {
        int rc = PyDict_Check(d) ? PyDict_Update(t->dict, d) : 0;
        Py_DECREF(d);
        if (rc < 0)
            return -1;
    }
    return PyDict_SetItemString(t->dict, "__wrapped__", t->func);
}

static PyObject *traced_new(PyTypeObject *type, PyObject *args, PyObject *kwds);

/* trace(classmethod(f)) -> classmethod(trace(f)); same for staticmethod and property. */
static PyObject *wrap_descriptor(PyTypeObject *type, PyObject *desc, PyObject *kwds) {
    if (PyObject_TypeCheck(desc, &PyClassMethod_Type) ||
        PyObject_TypeCheck(desc, &PyStaticMethod_Type)) {
        PyObject *inner = PyObject_GetAttrString(desc, "__func__");
        if (inner == NULL)
            return NULL;
        PyObject *a = PyTuple_Pack(1, inner);
        Py_DECREF(inner);
        PyObject *tr = a ? traced_new(type, a, kwds) : NULL;
        Py_XDECREF(a);
        if (tr == NULL)
            return NULL;
        PyObject *r = PyObject_TypeCheck(desc, &PyClassMethod_Type) ? PyClassMethod_New(tr)
                                                                    : PyStaticMethod_New(tr);
        Py_DECREF(tr);
        return r;
    }
    /* property: trace each accessor that exists. */
    static const char *const parts[][2] = {
        {"fget", "getter"}, {"fset", "setter"}, {"fdel", "deleter"}};
    PyObject *cur = Py_NewRef(desc);
    for (int i = 0; i < 3 && cur != NULL; i++) {
        PyObject *fn = PyObject_GetAttrString(cur, parts[i][0]);
        if (fn == NULL || fn == Py_None) {
            if (fn == NULL)
                Py_CLEAR(cur);
            Py_XDECREF(fn);
            continue;
        }
        PyObject *a = PyTuple_Pack(1, fn);
        Py_DECREF(fn);
        PyObject *tr = a ? traced_new(type, a, kwds) : NULL;
        Py_XDECREF(a);
        PyObject *next = tr ? PyObject_CallMethod(cur, parts[i][1], "O", tr) : NULL;
        Py_XDECREF(tr);
        Py_SETREF(cur, next);
    }
    return cur;
}

static PyObject *traced_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"func",   "capture",      "skip", "result", "max_value_bytes",
                             "redact", "capture_repr", "name", NULL};
    PyObject *func, *capture = Py_None, *skip = NULL, *mvb = Py_None, *redact = NULL;
    PyObject *name = Py_None;
    int result = 1, capture_repr = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOpOOpO:TracedFunction", kwlist, &func,
                                     &capture, &skip, &result, &mvb, &redact, &capture_repr, &name))
        return NULL;
    if (PyObject_TypeCheck(func, &PyClassMethod_Type) ||
        PyObject_TypeCheck(func, &PyStaticMethod_Type) ||
        PyObject_TypeCheck(func, &PyProperty_Type))
        return wrap_descriptor(type, func, kwds);
    if (!PyCallable_Check(func)) {
        PyErr_Format(PyExc_TypeError, "argtrace: cannot trace a %.100s object (not callable)",
                     Py_TYPE(func)->tp_name);
        return NULL;
    }
    if (name != Py_None && !PyUnicode_Check(name)) {
        PyErr_SetString(PyExc_TypeError, "argtrace: name must be a str or None");
        return NULL;
    }
    Py_ssize_t max_bytes = -1;
    if (mvb != Py_None) {
        max_bytes = PyLong_AsSsize_t(mvb);
        if (max_bytes == -1 && PyErr_Occurred())
            return NULL;
        if (max_bytes < 0) {
            PyErr_SetString(PyExc_ValueError, "argtrace: max_value_bytes must be >= 0");
            return NULL;
        }
    }
    atr__traced *t = (atr__traced *)type->tp_alloc(type, 0);
    if (t == NULL)
        return NULL;
    t->vectorcall = traced_vectorcall;
    t->func = Py_NewRef(func);
    t->result = result;
    t->capture_repr = capture_repr;
    t->max_value_bytes = max_bytes;
    t->name = name != Py_None ? Py_NewRef(name) : NULL;
    t->capture = to_frozenset(capture);
    t->skip = to_frozenset(skip);
    t->redact = atr__lower_patterns(redact);
    if (PyErr_Occurred() || t->redact == NULL)
        goto fail;
    if (PyFunction_Check(func) && plan_code(t, PyFunction_GET_CODE(func)) < 0)
        goto fail;
    if (update_wrapper(t) < 0)
        goto fail;
    return (PyObject *)t;
fail:
    Py_DECREF(t);
    return NULL;
}

static int traced_traverse(atr__traced *t, visitproc visit, void *arg) {
    Py_VISIT(t->func);
    Py_VISIT(t->dict);
    Py_VISIT(t->name);
    Py_VISIT(t->capture);
    Py_VISIT(t->skip);
    Py_VISIT(t->code);
    return 0;
}

static int traced_clear(atr__traced *t) {
    Py_CLEAR(t->func);
    Py_CLEAR(t->dict);
    Py_CLEAR(t->name);
    Py_CLEAR(t->capture);
    Py_CLEAR(t->skip);
    Py_CLEAR(t->redact);
    Py_CLEAR(t->code);
    Py_CLEAR(t->varnames);
    Py_CLEAR(t->opts_redact);
    t->opts.redact = NULL;
    return 0;
}

static void traced_dealloc(atr__traced *t) {
    PyObject_GC_UnTrack(t);
    if (t->weakrefs != NULL)
        PyObject_ClearWeakRefs((PyObject *)t);
    traced_clear(t);
    PyMem_Free(t->mode);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static PyObject *traced_descr_get(PyObject *self, PyObject *obj, PyObject *type) {
    (void)type;
    if (obj == NULL || obj == Py_None)
        return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyObject *traced_repr(atr__traced *t) {
    return PyUnicode_FromFormat("<argtrace traced %R>", t->func);
}

/* Forwarded function attributes (closure: the attribute name). */
static PyObject *fwd_get(atr__traced *t, void *name) {
    return PyObject_GetAttrString(t->func, (const char *)name);
}
static int fwd_set(atr__traced *t, PyObject *v, void *name) {
    if (v == NULL)
        return PyObject_DelAttrString(t->func, (const char *)name);
    return PyObject_SetAttrString(t->func, (const char *)name, v);
}

static PyObject *traced_reduce(atr__traced *t, PyObject *unused) {
    (void)unused;
    /* Pickle by reference: the module attribute named __qualname__ (this wrapper). */
    PyObject *qn = t->dict ? PyDict_GetItemString(t->dict, "__qualname__") : NULL;
    if (qn == NULL) {
        PyErr_SetString(PyExc_TypeError, "argtrace: cannot pickle a traced object without "
                                         "__qualname__");
        return NULL;
    }
    return Py_NewRef(qn);
}

#if ATR__CLASS_AS_FUNCTION
static PyObject *traced_class(atr__traced *t, void *unused) {
    (void)unused;
    if (t->func != NULL && PyFunction_Check(t->func))
        return Py_NewRef(&PyFunction_Type);
    return Py_NewRef(Py_TYPE(t));
}
#endif

static PyGetSetDef traced_getset[] = {
#if ATR__CLASS_AS_FUNCTION
    {"__class__", (getter)traced_class, NULL, NULL, NULL},
#endif
    {"__code__", (getter)fwd_get, (setter)fwd_set, NULL, "__code__"},
    {"__defaults__", (getter)fwd_get, (setter)fwd_set, NULL, "__defaults__"},
    {"__kwdefaults__", (getter)fwd_get, (setter)fwd_set, NULL, "__kwdefaults__"},
    {"__annotations__", (getter)fwd_get, (setter)fwd_set, NULL, "__annotations__"},
#if PY_VERSION_HEX >= 0x030E0000
    {"__annotate__", (getter)fwd_get, (setter)fwd_set, NULL, "__annotate__"},
#endif
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef traced_methods[] = {
    {"__reduce__", (PyCFunction)traced_reduce, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};

PyTypeObject atr__TracedFunction_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.TracedFunction",
    .tp_basicsize = sizeof(atr__traced),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
                Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "A callable that records each call of the wrapped callable (argtrace.trace).",
    .tp_new = traced_new,
    .tp_dealloc = (destructor)traced_dealloc,
    .tp_traverse = (traverseproc)traced_traverse,
    .tp_clear = (inquiry)traced_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(atr__traced, vectorcall),
    .tp_descr_get = traced_descr_get,
    .tp_repr = (reprfunc)traced_repr,
    .tp_dictoffset = offsetof(atr__traced, dict),
    .tp_weaklistoffset = offsetof(atr__traced, weakrefs),
    .tp_getset = traced_getset,
    .tp_methods = traced_methods,
};

int atr__tracefunc_init_types(PyObject *module) {
    if (PyType_Ready(&atr__TracedFunction_Type) < 0)
        return -1;
    Py_INCREF(&atr__TracedFunction_Type);
    if (PyModule_AddObject(module, "TracedFunction", (PyObject *)&atr__TracedFunction_Type) < 0) {
        Py_DECREF(&atr__TracedFunction_Type);
        return -1;
    }
    return 0;
}
