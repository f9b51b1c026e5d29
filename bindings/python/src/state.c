/*
 * state.c — the extension's process-wide state, kept in this one file.
 *
 * Why global: the decorator's vectorcall, coroutine proxies and filter tracing's hooks
 * are entered from the interpreter with no pointer of ours to hand, and there is one active
 * session per process (the contract's `start()`), so they find it here. Why thread-local:
 * the current span must be readable in a few ns on every traced call and differs per
 * thread; a thread's in-tracer flag stops the tracer from re-entering itself when it runs
 * user code (summarizers, opt-in repr). Everything is touched with the GIL held.
 */
#include "state.h"

#include "spans.h"

#include <pthread.h>

atr__state atr__g;
ATR__TLS atr__cur atr__tls_current;
ATR__TLS int atr__tls_in_tracer;
ATR__TLS uint64_t atr__tls_named_gen;
ATR__TLS char *atr__tls_stack_floor;

char *atr__state_stack_floor_slow(void) {
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    char *floor = (char *)1; /* unknown: never trips */
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr != NULL) {
            size_t margin = size / 4 < ((size_t)1 << 20) ? size / 4 : ((size_t)1 << 20);
            floor = (char *)addr + margin;
        }
        pthread_attr_destroy(&attr);
    }
    atr__tls_stack_floor = floor;
    return floor;
}

void atr__state_name_thread_slow(atr_session *s) {
    uint64_t gen = atr__g.gen;
    atr__tls_named_gen = gen;
    int had = PyErr_Occurred() != NULL;
    atr__exc_state saved = {0};
    if (had)
        atr__compat_exc_fetch(&saved);
    /* The threading.Thread object of this thread, if threading knows it: looked up in
       threading._active (current_thread() would register a dummy thread: a side effect). */
    PyObject *modname = PyUnicode_FromString("threading");
    PyObject *threading = modname ? PyImport_GetModule(modname) : NULL;
    Py_XDECREF(modname);
    PyObject *name = NULL;
    if (threading != NULL) {
        PyObject *active = PyObject_GetAttrString(threading, "_active");
        PyObject *ident = PyLong_FromUnsignedLong(PyThread_get_thread_ident());
        PyObject *th = active && ident && PyDict_Check(active)
                           ? PyDict_GetItemWithError(active, ident) /* borrowed */
                           : NULL;
        if (th != NULL) {
            Py_INCREF(th);
            atr__tls_in_tracer++;
            name = PyObject_GetAttrString(th, "name");
            atr__tls_in_tracer--;
            Py_DECREF(th);
        }
        Py_XDECREF(ident);
        Py_XDECREF(active);
        Py_DECREF(threading);
    }
    atr_str n = atr__capture_utf8(name);
    if (name != NULL && PyUnicode_Check(name) && atr__session_of(gen) == s) /* same session? */
        atr_thread_set_name(s, n.ptr, n.len);
    Py_XDECREF(name);
    if (PyErr_Occurred())
        PyErr_Clear();
    if (had)
        atr__compat_exc_restore(&saved);
}

int atr__state_init(void) {
    if (atr__g.span_var != NULL)
        return 0;
    atr__g.span_var = PyContextVar_New("argtrace_current_span", NULL);
    if (atr__g.span_var == NULL)
        return -1;
    static const char *const np_attr[4] = {"shape", "dtype", "isbuiltin", "type"};
    for (int i = 0; i < 4; i++)
        if ((atr__g.np_attr[i] = PyUnicode_InternFromString(np_attr[i])) == NULL)
            return -1;
    atr__g.opts.max_value_bytes = 4096;
    return 0;
}

void atr__state_reset_caches(void) {
    atr__defs_free();
    Py_CLEAR(atr__g.action_ids);
}

uint64_t atr__span_current_slow(void *ctx) {
    if (atr__tls_current.ctx != ATR__CTX_STALE && !atr__compat_context_entered(ctx)) {
        /* the thread's own context (or none): the pair is right, only set before the
           interpreter created that context */
        atr__tls_current.ctx = ctx;
        return atr__tls_current.span;
    }
    PyObject *val = NULL;
    if (atr__g.span_var == NULL)
        return 0;
    int had = PyErr_Occurred() != NULL;
    atr__exc_state saved = {0};
    if (had)
        atr__compat_exc_fetch(&saved);
    /* unset: no span was published in this context nor where it was copied from; the
       frames that run the event loop (the pair) are the nearest callers */
    uint64_t span = atr__tls_current.ctx == ATR__CTX_STALE ? 0 : atr__tls_current.span;
    if (PyContextVar_Get(atr__g.span_var, NULL, &val) == 0 && val != NULL) {
        span = PyLong_AsUnsignedLongLong(val);
        Py_DECREF(val);
        if (span == (uint64_t)-1)
            span = 0;
    }
    if (PyErr_Occurred())
        PyErr_Clear();
    if (had)
        atr__compat_exc_restore(&saved);
    return span;
}

PyObject *atr__span_ctx_set(uint64_t span) {
    int had = PyErr_Occurred() != NULL;
    atr__exc_state saved = {0};
    if (had)
        atr__compat_exc_fetch(&saved);
    PyObject *token = NULL;
    PyObject *val = PyLong_FromUnsignedLongLong(span);
    if (val != NULL) {
        token = PyContextVar_Set(atr__g.span_var, val);
        Py_DECREF(val);
    }
    if (token == NULL)
        PyErr_Clear();
    if (had)
        atr__compat_exc_restore(&saved);
    return token;
}

void atr__span_ctx_reset(PyObject *token) {
    if (token == NULL)
        return;
    int had = PyErr_Occurred() != NULL;
    atr__exc_state saved = {0};
    if (had)
        atr__compat_exc_fetch(&saved);
    if (PyContextVar_Reset(atr__g.span_var, token) < 0)
        PyErr_Clear();
    Py_DECREF(token);
    if (had)
        atr__compat_exc_restore(&saved);
}

PyObject *atr__module_name(PyObject *name) {
    static PyObject *main_name; /* "__main__", interned (kept for the process) */
    if (name == NULL || !PyUnicode_Check(name) ||
        PyUnicode_CompareWithASCIIString(name, "__mp_main__") != 0)
        return name;
    if (main_name == NULL && (main_name = PyUnicode_InternFromString("__main__")) == NULL) {
        PyErr_Clear();
        return name;
    }
    return main_name;
}
