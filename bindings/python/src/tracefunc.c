/*
 * tracefunc.c — `TracedFunction`'s call path (the type itself: tracefunc_type.c).
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

#include "capture_fast.h"

#include "filter.h"

#include <string.h>

enum { SLOT_SKIP = 0, SLOT_CAPTURE = 1, SLOT_REDACT = 2 };

#define STACK_SLOTS 16
#define MAX_KW_FIELDS 16

/* --- plan ------------------------------------------------------------------------------- */

/* (Re)read the binding facts of the wrapped function's current code object. */
int atr__traced_plan_code(atr__traced *t, PyObject *code) {
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
    atr__filter_mark_decorated(code); /* filter tracing leaves decorated code to us */
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
    t->opts.capture_len = atr__g.opts.capture_len;
    PyObject *merged =
        atr__g.redact ? PySequence_Concat(atr__g.redact, t->redact) : Py_NewRef(t->redact);
    if (merged == NULL)
        goto done;
    Py_XSETREF(t->opts_redact, merged);
    t->opts.redact = merged;
    /* Slots. */
    if (PyFunction_Check(t->func)) {
        PyObject *code = PyFunction_GET_CODE(t->func);
        if (code != t->code && atr__traced_plan_code(t, code) < 0)
            goto done;
    }
    Py_ssize_t nslots = t->code ? t->nslots : 1; /* other callables: one "*args" slot */
    /* Reallocated only to grow (a new __code__ with more parameters): calls in other
       threads that Python code run here lets proceed keep reading a valid array. */
    uint8_t *mode = t->mode;
    t->mode_plain = 0; /* until every slot is decided below */
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
    t->mode_plain = 1;
    for (Py_ssize_t i = 0; i < nslots; i++)
        if (mode[i] != SLOT_CAPTURE)
            t->mode_plain = 0;
    /* Identity. */
    module = PyObject_GetAttrString(t->func, "__module__");
    if (module == NULL) { /* an instance of a callable type: its type's module */
        PyErr_Clear();
        module = PyObject_GetAttrString((PyObject *)Py_TYPE(t->func), "__module__");
    }
    if (module == NULL)
        PyErr_Clear();
    else
        Py_SETREF(module, Py_NewRef(atr__module_name(module)));
    if (t->name) {
        qualname = Py_NewRef(t->name);
    } else {
        qualname = PyObject_GetAttrString(t->func, "__qualname__");
        if (qualname == NULL) {
            PyErr_Clear();
            qualname = PyObject_GetAttrString(t->func, "__name__");
        }
        if (qualname == NULL) { /* the type's qualified name (tp_name has the module too:
                                   "functools.partial" read "functools.functools.partial") */
            PyErr_Clear();
            qualname = PyObject_GetAttrString((PyObject *)Py_TYPE(t->func), "__qualname__");
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

/*
 * What a call reads of its decorator's per-session plan while it captures. Capturing may
 * run Python code (summarizers, repr) that releases the GIL: another thread may then prepare
 * the decorator again (a new session, a new __code__), which replaces the mode array, the
 * merged redact patterns and varnames. So a call copies or holds what it uses before the
 * first value is captured (plan_hold), and lets go at the end (plan_drop).
 */
typedef struct plan {
    atr__capture_opts opts; /* redact: owned (a reference taken from t->opts_redact) */
    PyObject *varnames;     /* owned, or NULL (not a Python function) */
    uint8_t *mode;          /* copy of t->mode[0..nslots) (mode_stack or PyMem) */
    uint8_t mode_stack[STACK_SLOTS];
    Py_ssize_t nslots, argcount, posonly, kwonly;
    int has_varargs;
    uint32_t fid;
} plan;

/* Returns 0, or -1 (out of memory: nothing held). */
static int plan_hold(plan *p, const atr__traced *t) {
    p->nslots = t->code ? t->nslots : 1;
    p->mode = p->nslots <= STACK_SLOTS ? p->mode_stack : PyMem_Malloc((size_t)p->nslots);
    if (p->mode == NULL)
        return -1;
    if (p->nslots)
        memcpy(p->mode, t->mode, (size_t)p->nslots);
    p->opts = t->opts;
    Py_XINCREF(p->opts.redact);
    p->varnames = Py_XNewRef(t->varnames);
    p->argcount = t->argcount;
    p->posonly = t->posonly;
    p->kwonly = t->kwonly;
    p->has_varargs = t->has_varargs;
    p->fid = t->fid;
    return 0;
}

static void plan_drop(plan *p) {
    Py_XDECREF(p->opts.redact);
    Py_XDECREF(p->varnames);
    if (p->mode != p->mode_stack)
        PyMem_Free(p->mode);
}

static inline void capture_slot(const plan *p, Py_ssize_t i, PyObject *v, atr__scratch *sc,
                                atr_value *out) {
    if (p->mode[i] == SLOT_REDACT)
        atr__capture_redact(v, out);
    else if (v == NULL)
        *out = atr_value_nil();
    else
        atr__capture_value(v, &p->opts, sc, out);
}

/* Index of keyword `name` among the slots that accept keywords, or -1. */
static Py_ssize_t find_kw(const plan *p, PyObject *name) {
    Py_ssize_t end = p->argcount + p->kwonly;
    PyObject **vn = ((PyTupleObject *)p->varnames)->ob_item;
    for (Py_ssize_t i = p->posonly; i < end; i++)
        if (vn[i] == name)
            return i;
    for (Py_ssize_t i = p->posonly; i < end; i++)
        if (PyUnicode_Compare(vn[i], name) == 0)
            return i;
    if (PyErr_Occurred())
        PyErr_Clear();
    return -1;
}

/*
 * Capture the bound arguments and begin the span. Kept out of line so that its scratch
 * storage is not on the stack during the wrapped call (deep recursion). Defaults are
 * borrowed from the function's __defaults__ / __kwdefaults__, which a summarizer may
 * replace or change: both are held (a reference, a copy) until the START is written.
 */
ATR__NOINLINE static uint64_t begin_call(atr__traced *t, atr_session *s, PyObject *const *args,
                                         Py_ssize_t nargs, PyObject *kwnames, uint64_t parent) {
    atr__scratch sc;
    atr_value vals_stack[STACK_SLOTS];
    PyObject *slots_stack[STACK_SLOTS];
    atr_field fields[MAX_KW_FIELDS];
    uint32_t n_fields = 0, nv = 0;
    uint64_t span = 0, gen = atr__g.gen;
    PyObject *defs = NULL, *kwdefs = NULL; /* owned while capturing */
    plan p;
    atr__scratch_init(&sc);
    if (plan_hold(&p, t) < 0)
        return 0;
    if (p.varnames == NULL) {
        /* Any callable: all positionals as "*args", keywords as fields. */
        if (p.mode[0] != SLOT_SKIP)
            atr__capture_varargs(args, nargs, &p.opts, &sc, &vals_stack[nv++]);
        Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
        for (Py_ssize_t j = 0; j < nkw; j++) {
            if (n_fields == MAX_KW_FIELDS) { /* left out: counted as capture errors */
                sc.errors += (uint32_t)(nkw - j);
                break;
            }
            if (atr__capture_field(PyTuple_GET_ITEM(kwnames, j), args[nargs + j], &p.opts, &sc,
                                   &fields[n_fields]) == 0)
                n_fields++;
        }
        if ((s = atr__session_of(gen)) != NULL)
            atr_span_begin(s, p.fid, parent, ATR_NOW, vals_stack, nv, n_fields ? fields : NULL,
                           n_fields, &span);
        goto done;
    }

    Py_ssize_t ns = p.nslots, npos = p.argcount;
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
            Py_ssize_t at = find_kw(&p, k);
            if (at >= 0 && slots[at] == NULL) {
                slots[at] = v;
                continue;
            }
            if (n_fields == MAX_KW_FIELDS)
                sc.errors++; /* left out: counted as a capture error */
            else if (atr__capture_field(k, v, &p.opts, &sc, &fields[n_fields]) == 0)
                n_fields++;
        }
    }
    /* Defaults for what is still unbound, as the function has them now; held from here on. */
    if (nargs < npos) {
        defs = Py_XNewRef(PyFunction_GET_DEFAULTS(t->func));
        Py_ssize_t nd = defs ? PyTuple_GET_SIZE(defs) : 0;
        for (Py_ssize_t k = npos - nd; k < npos; k++)
            if (k >= 0 && slots[k] == NULL)
                slots[k] = PyTuple_GET_ITEM(defs, k - (npos - nd));
    }
    if (p.kwonly) {
        PyObject *kd = PyFunction_GET_KW_DEFAULTS(t->func);
        kwdefs = kd && PyDict_CheckExact(kd) ? PyDict_Copy(kd) : NULL;
        for (Py_ssize_t k = npos; kwdefs && k < npos + p.kwonly; k++) {
            if (slots[k] == NULL) {
                slots[k] = PyDict_GetItemWithError(kwdefs, PyTuple_GET_ITEM(p.varnames, k));
                if (slots[k] == NULL && PyErr_Occurred())
                    PyErr_Clear();
            }
        }
    }
    /* Values in slot order; *args from the vector's tail. */
    Py_ssize_t var_at = p.has_varargs ? npos + p.kwonly : -1;
    for (Py_ssize_t k = 0; k < ns; k++) {
        if (p.mode[k] == SLOT_SKIP)
            continue;
        if (k == var_at) {
            if (p.mode[k] == SLOT_REDACT) {
                atr__capture_redacted(&vals[nv]);
                atr__secret_remember_vec(args + npos, nargs > npos ? nargs - npos : 0);
            } else
                atr__capture_varargs(args + npos, nargs > npos ? nargs - npos : 0, &p.opts, &sc,
                                     &vals[nv]);
            nv++;
            continue;
        }
        capture_slot(&p, k, slots[k], &sc, &vals[nv++]);
    }
    if ((s = atr__session_of(gen)) != NULL)
        atr_span_begin(s, p.fid, parent, ATR_NOW, vals, nv, n_fields ? fields : NULL, n_fields,
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
    Py_XDECREF(defs);
    Py_XDECREF(kwdefs);
    plan_drop(&p);
    if (PyErr_Occurred())
        PyErr_Clear();
    return span;
}

/* The common case: positional arguments binding exactly the captured parameters. */
ATR__NOINLINE static uint64_t begin_simple(atr__traced *t, atr_session *s, PyObject *const *args,
                                           Py_ssize_t nargs, uint64_t parent) {
    atr__scratch sc;
    atr_value vals[STACK_SLOTS];
    uint8_t mode[STACK_SLOTS]; /* copies (see plan): Python code may run while capturing */
    uint64_t span = 0, gen = atr__g.gen;
    uint32_t fid = t->fid;
    atr__capture_opts opts = t->opts; /* (opts.redact is not read: no field is captured) */
    int plain = t->mode_plain;        /* (no redacted slot: the usual case, no copy) */
    atr__scratch_init(&sc);
    if (!plain && nargs) /* nargs == argcount <= STACK_SLOTS (t->simple) */
        memcpy(mode, t->mode, (size_t)nargs);
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (ATR__UNLIKELY(!plain && mode[i] == SLOT_REDACT))
            atr__capture_redact(args[i], &vals[i]);
        else
            atr__capture_value_fast(args[i], &opts, &sc, &vals[i]);
    }
    if (ATR__UNLIKELY(sc.errors != 0 || sc.n_refs != 0)) {
        /* Python code may have run (summarizer, repr): is the session still there? */
        if ((s = atr__session_of(gen)) != NULL) {
            atr_span_begin(s, fid, parent, ATR_NOW, vals, (uint32_t)nargs, NULL, 0, &span);
            for (uint32_t e = 0; e < sc.errors; e++)
                atr_session_count_capture_error(s);
        }
        atr__scratch_release(&sc);
        return span;
    }
    atr_span_begin(s, fid, parent, ATR_NOW, vals, (uint32_t)nargs, NULL, 0, &span);
    return span;
}

/*
 * begin_simple's usual case without its call and scratch storage: no argument redacted,
 * each captured inline (no Python code runs; nargs <= STACK_SLOTS, t->simple). Returns 1
 * with *span set, or 0 (nothing written) for begin_simple to do it. Any number of arguments:
 * the calibration's shapes of one and four scalars, strs and plain objects then take the same
 * path (calibrate.c), so the cost model's parts do not carry the difference between the two
 * (a parent of calls passing three values was compensated 21% below its untraced time when
 * only calls of one or two took this path).
 */
static inline ATR__ALWAYS_INLINE int begin_inline(atr__traced *t, atr_session *s,
                                                  PyObject *const *args, Py_ssize_t nargs,
                                                  uint64_t parent, uint64_t *span) {
    atr_value vals[STACK_SLOTS];
    if (!t->mode_plain)
        return 0;
    for (Py_ssize_t i = 0; i < nargs; i++)
        if (!atr__capture_value_inline(args[i], &t->opts, &vals[i]))
            return 0;
    atr_span_begin(s, t->fid, parent, ATR_NOW, vals, (uint32_t)nargs, NULL, 0, span);
    return 1;
}

ATR__NOINLINE static void end_call(atr__traced *t, uint64_t gen, uint64_t span, PyObject *res) {
    if (ATR__UNLIKELY(res == NULL)) {
        atr__span_end_error(gen, span, ATR_NOW, &t->opts);
        return;
    }
    atr_session *s = atr__session_of(gen);
    if (ATR__UNLIKELY(s == NULL))
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

/*
 * The vectorcall that runs t's callable: a bare function's own (tracefunc_bare.c: its pointer
 * leads back here while a session is active), a Python function's current pointer (read at
 * each call: PyFunction_SetVectorcall may change it), else NULL (PyObject_Vectorcall).
 */
static inline ATR__ALWAYS_INLINE vectorcallfunc wrapped_vc(const atr__traced *t) {
    if (t->own_vc != NULL)
        return t->own_vc;
    return PyFunction_Check(t->func) ? ((PyFunctionObject *)t->func)->vectorcall : NULL;
}

/* The call, not recorded (the session went while preparing). */
static PyObject *call_untraced(atr__traced *t, PyObject *const *args, size_t nargsf,
                               PyObject *kwnames) {
    if (t->own_vc != NULL)
        return t->own_vc(t->func, args, nargsf, kwnames);
    return PyObject_Vectorcall(t->func, args, nargsf, kwnames);
}

static inline ATR__ALWAYS_INLINE PyObject *traced_call(atr__traced *t, atr_session *s,
                                                       PyObject *const *args, size_t nargsf,
                                                       PyObject *kwnames) {
    if (ATR__UNLIKELY(t->gen != atr__g.gen ||
                      (t->code != NULL && PyFunction_GET_CODE(t->func) != t->code))) {
        if (prepare(t) < 0) {
            PyErr_Clear();
            return call_untraced(t, args, nargsf, kwnames);
        }
        if (ATR__UNLIKELY((s = atr__session_of(t->gen)) == NULL)) /* stopped meanwhile */
            return call_untraced(t, args, nargsf, kwnames);
    }
    atr__state_name_thread(s);
    uint64_t gen = t->gen;
    if (ATR__UNLIKELY(atr__g.gen != gen)) /* stopped meanwhile (naming ran Python code) */
        return call_untraced(t, args, nargsf, kwnames);
    s = atr__g.session;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    /* One read of the thread's state serves the parent lookup, the new pair and the call. */
    PyThreadState *ts = atr__compat_tstate();
    void *ctx = ts ? (void *)ts->context : NULL;
    atr__cur saved = atr__tls_current;
    uint64_t parent = saved.ctx == ctx ? saved.span : atr__span_current_slow(ctx);
    /* not recorded (sampling, recording off): no capture, a placeholder span */
    uint64_t span = atr_span_gate(s, parent);
    if (ATR__LIKELY(span == 0)) {
        if (kwnames == NULL && nargs == t->argcount && t->simple) {
            if (!begin_inline(t, s, args, nargs, parent, &span))
                span = begin_simple(t, s, args, nargs, parent);
        } else {
            span = begin_call(t, s, args, nargs, kwnames, parent);
        }
    }
    atr__tls_current.span = span;
    atr__tls_current.ctx = ctx;
    /* in an asyncio task: tasks created during the call are its children */
    PyObject *token = atr__span_publish(span, ctx);
    PyObject *res = atr__compat_call_wrapped_in(ts, t->func, wrapped_vc(t), args, nargsf, kwnames);
    if (ATR__UNLIKELY(token != NULL))
        atr__span_ctx_reset(token);
    atr__span_leave(saved);
    if (span == 0 || ATR__UNLIKELY(atr_span_skipped(span)))
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
    /* The common result (an exact scalar, None, a plain object) is written from here. */
    atr_value v;
    if (ATR__LIKELY(res != NULL) && t->result && (s = atr__session_of(gen)) != NULL &&
        atr__capture_value_inline(res, &t->opts, &v)) {
        atr_span_return(s, span, ATR_NOW, &v);
        return res;
    }
    end_call(t, gen, span, res);
    return res;
}

/* A call of a decorator that names redact patterns: log() fields inside it use them too. */
ATR__NOINLINE static PyObject *traced_call_redacting(atr__traced *t, atr_session *s,
                                                     PyObject *const *args, size_t nargsf,
                                                     PyObject *kwnames) {
    PyObject *saved = atr__tls_call_redact;
    atr__tls_call_redact = t->redact;
    PyObject *res = traced_call(t, s, args, nargsf, kwnames);
    atr__tls_call_redact = saved;
    return res;
}

/* A session is active: record the call (out of line: the idle path saves no registers). */
ATR__NOINLINE static PyObject *traced_session_call(atr__traced *t, atr_session *s,
                                                   PyObject *const *args, size_t nargsf,
                                                   PyObject *kwnames) {
    if (ATR__UNLIKELY(atr__g.calibrating) && (s = atr__session()) == NULL) /* (state.h) */
        return call_untraced(t, args, nargsf, kwnames);
    if (ATR__UNLIKELY(PyTuple_GET_SIZE(t->redact) != 0))
        return traced_call_redacting(t, s, args, nargsf, kwnames);
    return traced_call(t, s, args, nargsf, kwnames);
}

/* Record the call, or (no session, or user code run by the tracer) just forward it. */
static inline ATR__ALWAYS_INLINE PyObject *dispatch(atr__traced *t, PyObject *const *args,
                                                    size_t nargsf, PyObject *kwnames) {
    atr_session *s = atr__g.session;
    if (ATR__UNLIKELY(s != NULL) && ATR__LIKELY(!atr__tls_in_tracer))
        return traced_session_call(t, s, args, nargsf, kwnames);
    return atr__compat_call_wrapped(t->func, wrapped_vc(t), args, nargsf, kwnames);
}

/*
 * 0 when the C stack is known to have room (atr__state_stack_low() would say 0), 1 when
 * call_checked must decide. Reads the stack pointer without taking a local's address, which
 * would give the entry a stack frame: the idle path then forwards with a tail call.
 */
static inline ATR__ALWAYS_INLINE int stack_unsure(void) {
#if ATR__STACK_GUARD && defined(__GNUC__) && (defined(__x86_64__) || defined(__aarch64__))
    char *sp, *floor = atr__tls_stack_floor;
#if defined(__x86_64__)
    __asm__("mov %%rsp, %0" : "=r"(sp));
#else
    __asm__("mov %0, sp" : "=r"(sp));
#endif
    return ATR__UNLIKELY(floor == NULL) || ATR__UNLIKELY(sp < floor);
#else
    return atr__state_stack_low();
#endif
}

ATR__NOINLINE static PyObject *call_checked(atr__traced *t, PyObject *const *args, size_t nargsf,
                                            PyObject *kwnames) {
    if (atr__state_stack_low()) {
        PyErr_SetString(PyExc_RecursionError,
                        "maximum recursion depth exceeded (C stack, in a traced call)");
        return NULL;
    }
    return dispatch(t, args, nargsf, kwnames);
}

PyObject *atr__traced_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                 PyObject *kwnames) {
    if (ATR__UNLIKELY(stack_unsure()))
        return call_checked((atr__traced *)self, args, nargsf, kwnames);
    return dispatch((atr__traced *)self, args, nargsf, kwnames);
}
