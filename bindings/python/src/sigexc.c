/*
 * sigexc.c — re-raise in the program the exceptions signal handlers raised inside the
 * tracer's calls of user code (sigexc.h).
 *
 * Untraced, a signal handler runs at the program's next bytecode and its exception
 * propagates from there. When that bytecode belongs to a __repr__ or summarizer the tracer
 * called, the tracer must not swallow it with the callback's own errors: it keeps the
 * exception and re-raises it from a pending call (Py_AddPendingCall), which the interpreter
 * runs at the program's next bytecode, exactly where a handler's exception appears.
 */
#include "sigexc.h"

#include "module.h"

#include "compat.h"

/* Why global: the exception waiting for the pending call (at most one; later ones of the
   same wait are dropped as the interpreter keeps only one pending exception too). */
static atr__exc_state g_pending;
static int g_has_pending;

static int reraise(void *unused) {
    (void)unused;
    if (!g_has_pending)
        return 0;
    g_has_pending = 0;
    atr__compat_exc_restore(&g_pending); /* steals */
    memset(&g_pending, 0, sizeof(g_pending));
    return -1; /* the exception propagates from the program's current bytecode */
}

/* 1 if a frame of the traceback runs the code of a Python signal handler. */
static int through_handler(PyObject *exc) {
    PyObject *tb = PyException_GetTraceback(exc), *signal = NULL, *sigs = NULL, *getsignal = NULL;
    int found = 0;
    if (tb == NULL)
        return 0;
    signal = PyImport_ImportModule("signal");
    sigs = signal ? PyObject_CallMethod(signal, "valid_signals", NULL) : NULL;
    getsignal = signal ? PyObject_GetAttrString(signal, "getsignal") : NULL;
    PyObject *it = sigs ? PyObject_GetIter(sigs) : NULL, *num;
    while (!found && it != NULL && (num = PyIter_Next(it)) != NULL) {
        PyObject *h = getsignal ? PyObject_CallOneArg(getsignal, num) : NULL;
        PyObject *code = h && PyFunction_Check(h) ? PyFunction_GetCode(h) : NULL;
        if (h && PyMethod_Check(h) && PyFunction_Check(PyMethod_GET_FUNCTION(h)))
            code = PyFunction_GetCode(PyMethod_GET_FUNCTION(h));
        for (PyObject *t = tb; code != NULL && t != NULL && t != Py_None;
             t = (PyObject *)((PyTracebackObject *)t)->tb_next) {
            PyFrameObject *f = ((PyTracebackObject *)t)->tb_frame;
            PyCodeObject *co = f ? PyFrame_GetCode(f) : NULL;
            found = co == (PyCodeObject *)code;
            Py_XDECREF(co);
            if (found)
                break;
        }
        Py_XDECREF(h);
        Py_DECREF(num);
    }
    PyErr_Clear(); /* failures here only mean "not found" */
    Py_XDECREF(it);
    Py_XDECREF(getsignal);
    Py_XDECREF(sigs);
    Py_XDECREF(signal);
    Py_DECREF(tb);
    return found;
}

int atr__sigexc_defer(void) {
    atr__exc_state st = {0};
    if (!PyErr_Occurred())
        return 0;
    atr__compat_exc_fetch(&st);
    PyObject *exc = atr__compat_exc_value(&st);
    int take =
        exc != NULL && (PyErr_GivenExceptionMatches(exc, PyExc_KeyboardInterrupt) ||
                        PyErr_GivenExceptionMatches(exc, PyExc_SystemExit) || through_handler(exc));
    if (!take) {
        atr__compat_exc_restore(&st);
        return 0;
    }
    if (g_has_pending || Py_AddPendingCall(reraise, NULL) != 0) {
        atr__compat_exc_release(&st); /* one is already on its way */
        return 1;
    }
    g_pending = st;
    g_has_pending = 1;
    return 1;
}
