/*
 * actions.c — named actions (Eliot-style spans with fields), messages and the current span:
 * _core.action_begin / action_end / log / current_span.
 *
 * An action is defined once per name and session (ATR_FUNC_ACTION, cached by name). While it
 * runs it is the current span both in the thread-local pair and in the ContextVar, so code
 * in other asyncio tasks on the thread never sees it, and tasks created inside inherit it.
 * The state to restore at action_end (previous pair, ContextVar token) is kept by span id.
 */
#include "module.h"

#include "redact.h"
#include "spans.h"

#define MAX_FIELDS 32
/* Every field (and the message's text) is captured however much its values hold (capture.h). */
_Static_assert(ATR__SCRATCH_REFS_MAX >= 4 * (MAX_FIELDS + 1) + 3 * ATR__SCRATCH_VALUES,
               "the scratch's reference area must hold MAX_FIELDS fields");

/* An action in progress: restored by action_end. Stored in `g_open` as a capsule. */
typedef struct open_action {
    atr__cur saved;
    PyObject *token; /* owned: ContextVar token, or NULL */
    uint64_t gen;
} open_action;

#define g_open atr__g.open_actions
static void open_action_free(PyObject *capsule) {
    open_action *a = PyCapsule_GetPointer(capsule, "argtrace.action");
    if (a == NULL) {
        PyErr_Clear();
        return;
    }
    Py_XDECREF(a->token);
    PyMem_Free(a);
}

static int action_id(atr_session *s, PyObject *name, uint32_t *id) {
    (void)s;
    if (atr__g.action_ids == NULL && (atr__g.action_ids = PyDict_New()) == NULL)
        return -1;
    PyObject *cached = PyDict_GetItemWithError(atr__g.action_ids, name);
    if (cached != NULL) {
        *id = (uint32_t)PyLong_AsUnsignedLong(cached);
        return 0;
    }
    if (PyErr_Occurred())
        return -1;
    PyObject *none = PyTuple_New(0);
    int rc = none ? atr__define_names(NULL, name, NULL, 0, none, ATR_FUNC_ACTION, id) : -1;
    Py_XDECREF(none);
    if (rc < 0)
        return -1;
    PyObject *idobj = PyLong_FromUnsignedLong(*id);
    if (idobj == NULL || PyDict_SetItem(atr__g.action_ids, name, idobj) < 0) {
        Py_XDECREF(idobj);
        return -1;
    }
    Py_DECREF(idobj);
    return 0;
}

PyObject *atr__py_current_span(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    return PyLong_FromUnsignedLongLong(atr__span_current());
}

PyObject *atr__py_action_begin(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    (void)m;
    if (n < 1 || n > 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "argtrace: action_begin(name: str, fields: dict)");
        return NULL;
    }
    atr_session *s = atr__session();
    if (s == NULL)
        return PyLong_FromLong(0);
    atr__state_name_thread(s);
    uint64_t gen = atr__g.gen;
    if ((s = atr__session_of(gen)) == NULL)
        return PyLong_FromLong(0);
    uint32_t fid;
    if (action_id(s, args[0], &fid) < 0) {
        PyErr_Clear();
        return PyLong_FromLong(0);
    }
    atr__scratch sc;
    atr__scratch_init(&sc);
    atr_field fields[MAX_FIELDS];
    uint32_t nf =
        atr__capture_dict_fields(n > 1 ? args[1] : NULL, &atr__g.opts, &sc, fields, MAX_FIELDS);
    uint64_t span = 0;
    if ((s = atr__session_of(gen)) != NULL) { /* field capture may have run Python code */
        atr_span_begin(s, fid, atr__span_current(), ATR_NOW, NULL, 0, nf ? fields : NULL, nf,
                       &span);
        for (uint32_t i = 0; i < sc.errors; i++)
            atr_session_count_capture_error(s);
    }
    atr__scratch_release(&sc);
    if (PyErr_Occurred())
        PyErr_Clear();
    if (span == 0)
        return PyLong_FromLong(0);
    open_action *a = PyMem_Malloc(sizeof(*a));
    if (a == NULL)
        return PyErr_NoMemory();
    a->gen = gen; /* (releasing the scratch may have run Python code: not atr__g.gen) */
    a->token = atr__span_ctx_set(span);
    a->saved = atr__span_enter(span);
    PyObject *key = PyLong_FromUnsignedLongLong(span);
    PyObject *cap = PyCapsule_New(a, "argtrace.action", open_action_free);
    if (cap == NULL) {
        Py_XDECREF(a->token);
        PyMem_Free(a);
    }
    if (g_open == NULL)
        g_open = PyDict_New();
    if (key == NULL || cap == NULL || g_open == NULL || PyDict_SetItem(g_open, key, cap) < 0)
        PyErr_Clear(); /* action_end then only ends the span */
    Py_XDECREF(key);
    Py_XDECREF(cap);
    return PyLong_FromUnsignedLongLong(span);
}

PyObject *atr__py_action_end(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    (void)m;
    if (n < 1 || n > 2 || !PyLong_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "argtrace: action_end(span: int, exc)");
        return NULL;
    }
    uint64_t span = PyLong_AsUnsignedLongLong(args[0]);
    if (PyErr_Occurred())
        return NULL;
    PyObject *exc = n > 1 && args[1] != Py_None ? args[1] : NULL;
    if (span == 0)
        Py_RETURN_NONE;
    uint64_t gen = atr__state_gen();
    /* Looked up by an exact int: an int subclass's __eq__ could run code while we hold the
       borrowed capsule. */
    PyObject *key = PyLong_FromUnsignedLongLong(span);
    PyObject *cap = g_open && key ? PyDict_GetItemWithError(g_open, key) : NULL;
    if (cap != NULL) {
        open_action *a = PyCapsule_GetPointer(cap, "argtrace.action");
        if (a != NULL) {
            gen = a->gen;
            PyObject *token = a->token;
            a->token = NULL;
            atr__span_ctx_reset(token);
            /* Restore the previous pair only inside the same context; otherwise let the
               ContextVar speak (the pair may belong to another task by now). */
            if (a->saved.ctx == atr__compat_context()) {
                atr__span_leave(a->saved);
            } else {
                atr__tls_current.span = 0;
                atr__tls_current.ctx = ATR__CTX_STALE;
            }
        }
        Py_INCREF(cap);
        if (PyDict_DelItem(g_open, key) < 0)
            PyErr_Clear();
        Py_DECREF(cap);
    }
    Py_XDECREF(key);
    if (PyErr_Occurred())
        PyErr_Clear();
    if (exc != NULL)
        atr__span_end_raise(gen, span, ATR_NOW, exc, NULL);
    else
        atr__span_end_return(gen, span, ATR_NOW, NULL, NULL);
    Py_RETURN_NONE;
}

PyObject *atr__py_log(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    (void)m;
    if (n < 1 || n > 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "argtrace: log(text: str, fields: dict)");
        return NULL;
    }
    atr_session *s = atr__session();
    if (s == NULL)
        Py_RETURN_NONE;
    atr__state_name_thread(s);
    uint64_t gen = atr__g.gen;
    atr__scratch sc;
    atr__scratch_init(&sc);
    atr_value text;
    atr__capture_opts opts = atr__g.opts;
    PyObject *merged = NULL; /* owned: session + decorator patterns, inside such a call */
    if (atr__tls_call_redact != NULL) {
        merged = opts.redact ? PySequence_Concat(opts.redact, atr__tls_call_redact)
                             : Py_NewRef(atr__tls_call_redact);
        if (merged == NULL) { /* cannot tell which fields to redact: write none */
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        opts.redact = merged;
    }
    atr__capture_value(args[0], &opts, &sc, &text);
    atr_str t = {text.u.s.ptr, text.u.s.len};
    if (text.kind == ATR_V_REDACTED) /* the text holds a redacted value */
        t.ptr = "<redacted>", t.len = 10;
    else if (text.kind != ATR_V_STR)
        t.ptr = "", t.len = 0;
    atr_field fields[MAX_FIELDS];
    uint32_t nf = atr__capture_dict_fields(n > 1 ? args[1] : NULL, &opts, &sc, fields, MAX_FIELDS);
    if ((s = atr__session_of(gen)) != NULL) { /* field capture may have run Python code */
        atr_message(s, atr__span_current(), ATR_NOW, t, nf ? fields : NULL, nf);
        for (uint32_t i = 0; i < sc.errors; i++)
            atr_session_count_capture_error(s);
    }
    atr__scratch_release(&sc);
    Py_XDECREF(merged);
    if (PyErr_Occurred())
        PyErr_Clear();
    Py_RETURN_NONE;
}
