/*
 * switch.c — greenlet switches (argtrace/_greenlet.py calls these from the trace function it
 * gives greenlet.settrace): the calls of the greenlet that leaves suspend, the calls of the
 * one switched to resume, and the thread's current span is the one of the greenlet that
 * runs. A greenlet's calls then form one tree with their callers, not with the greenlets
 * that ran in between, and their active time excludes the time other greenlets ran.
 *
 * The greenlets' saved states are the Python module's (one weak reference per greenlet: a
 * greenlet that is collected takes its entry along); here only the thread's state moves.
 */
#include "filter_calls.h"
#include "module.h"
#include "state.h"

/* What a greenlet's saved state is valid for: the session and the filter tracing that
   were running when it left (after either stopped, its span and keys name nothing). */
static unsigned long long era(void) {
    return (unsigned long long)(atr__state_gen() * 1000003u + atr__calls_generation());
}

/* switch_out() -> ((keys, span, ctx, era), first): the suspended calls' keys (bottom first),
   the thread's current span pair once they left (the greenlet's own base) and what they are
   valid for, for this greenlet's next switch_in; and what a greenlet that runs for the first
   time starts under: the span pair current before (the call that switched to it). */
PyObject *atr__py_switch_out(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    atr__cur before = atr__tls_current;
    const void **keys;
    size_t n;
    if (atr__calls_switch_out(&keys, &n) < 0)
        return PyErr_NoMemory();
    atr__cur base = atr__tls_current;
    PyObject *t = PyTuple_New((Py_ssize_t)n);
    for (size_t i = 0; t != NULL && i < n; i++) {
        PyObject *k = PyLong_FromVoidPtr((void *)keys[i]);
        if (k == NULL)
            Py_CLEAR(t);
        else
            PyTuple_SET_ITEM(t, (Py_ssize_t)i, k);
    }
    free(keys);
    if (t == NULL)
        return NULL;
    return Py_BuildValue("((NKNK)(()KNK))", t, (unsigned long long)base.span,
                         PyLong_FromVoidPtr(base.ctx), era(), (unsigned long long)before.span,
                         PyLong_FromVoidPtr(before.ctx), era());
}

/* switch_in(keys, span, ctx, era): the greenlet switched to runs under that span pair, its
   suspended calls (keys from switch_out) resume; a state saved in another era (a session
   or filter tracing that has stopped since) resumes nothing: no current span. */
PyObject *atr__py_switch_in(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *keys, *ctx;
    unsigned long long span, saved_era;
    if (!PyArg_ParseTuple(args, "O!KOK:switch_in", &PyTuple_Type, &keys, &span, &ctx, &saved_era))
        return NULL;
    if (saved_era != era()) {
        atr__tls_current.span = 0;
        atr__tls_current.ctx = NULL;
        Py_RETURN_NONE;
    }
    void *c = PyLong_AsVoidPtr(ctx);
    if (c == NULL && PyErr_Occurred())
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(keys);
    const void *stack_keys[64];
    const void **k = n <= 64 ? stack_keys : malloc((size_t)n * sizeof *k);
    if (k == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        k[i] = PyLong_AsVoidPtr(PyTuple_GET_ITEM(keys, i));
        if (k[i] == NULL && PyErr_Occurred()) {
            if (k != stack_keys)
                free(k);
            return NULL;
        }
    }
    atr__tls_current.span = (uint64_t)span;
    atr__tls_current.ctx = c;
    atr__calls_switch_in(k, (size_t)n);
    if (k != stack_keys)
        free(k);
    Py_RETURN_NONE;
}
