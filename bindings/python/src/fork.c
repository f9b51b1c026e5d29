/*
 * fork.c — argtrace's writer threads around os.fork() (os.register_at_fork's `before` and
 * `after_in_parent`, argtrace/_api.py).
 *
 * CPython 3.12+'s os.fork() warns "This process (pid=…) is multi-threaded, use of fork() may
 * lead to deadlocks in the child" when the process has another OS thread, and every open
 * session has one: its writer. A traced program must print what it prints untraced, so the
 * writers stop before the fork (their data kept, libtrace's atr_flushers_pause) and start
 * again in the parent. 3.12 counts the threads before the after_in_parent hooks, so they
 * start there. 3.13+ counts them after those hooks, so in the main thread they start once
 * os.fork() has returned: a pending call (run by the main thread at its next check of the
 * eval breaker) that looks whether the frame that called os.fork() has moved on. It may run
 * before that, inside a later after_in_parent hook written in Python (logging's): the frame
 * that called os.fork() is then below the hook's, at the same instruction, and the call is
 * made pending again. Meanwhile a thread whose buffer fills starts the writer itself
 * (libtrace), as does a flush or a session's close, so nothing waits for the main thread.
 * A fork from another thread warns untraced too (the main thread is one): its writers start
 * in the hook.
 *
 * The state is the process's, like os.register_at_fork's hooks; the GIL guards it.
 */
#include "compat.h"

#include "module.h"

#include <argtrace/atr_writer.h>

static struct {
    unsigned long main_thread; /* the thread that imported argtrace (Python's main one) */
    int stopped;               /* writers atr_flushers_pause stopped, not yet started */
    int armed;                 /* a pending call will start them */
    PyObject *frame;           /* the frame that called os.fork() (strong), or NULL */
    int lasti;                 /* its instruction at the fork */
} g_fork;

int atr__fork_init(void) {
    g_fork.main_thread = PyThread_get_thread_ident();
    return 0;
}

static void start_writers(void) {
    g_fork.stopped = 0;
    g_fork.armed = 0;
    Py_CLEAR(g_fork.frame);
    atr_flushers_resume(); /* a thread that cannot start: producers wait for room, then drop */
}

PyObject *atr__py_fork_before(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    /* not amid another thread's start, stop or calibration: the child would inherit a
       half-made change (a calibration's private session in place of the user's) */
    atr__session_op_enter();
    atr__session_op_leave();
    g_fork.stopped += atr_flushers_pause();
    Py_RETURN_NONE;
}

#if ATR__FORK_COUNTS_AFTER_HOOKS
/* Still inside os.fork(): the frame that called it is below the running one (a hook's), at
   the instruction it was at then. Once os.fork() returned, that frame is the running one,
   or has moved on, or is gone. */
static int inside_fork(void) {
    PyFrameObject *top = PyEval_GetFrame(), *f;
    int inside = 0;
    if (!g_fork.frame || !top || (PyObject *)top == g_fork.frame)
        return 0;
    for (f = PyFrame_GetBack(top); f;) {
        PyFrameObject *back;
        if ((PyObject *)f == g_fork.frame) {
            inside = PyFrame_GetLasti(f) == g_fork.lasti;
            Py_DECREF(f);
            break;
        }
        back = PyFrame_GetBack(f);
        Py_DECREF(f);
        f = back;
    }
    return inside;
}

static int start_when_fork_returned(void *unused) {
    (void)unused;
    if (g_fork.armed && inside_fork() && Py_AddPendingCall(start_when_fork_returned, NULL) == 0)
        return 0;
    if (g_fork.armed)
        start_writers();
    return 0;
}
#endif

PyObject *atr__py_fork_after_parent(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    if (!g_fork.stopped)
        Py_RETURN_NONE;
#if ATR__FORK_COUNTS_AFTER_HOOKS
    if (PyThread_get_thread_ident() == g_fork.main_thread) {
        PyFrameObject *f = PyEval_GetFrame(); /* os.fork() and the hooks are C: its caller */
        Py_XSETREF(g_fork.frame, Py_XNewRef((PyObject *)f));
        g_fork.lasti = f ? PyFrame_GetLasti(f) : -1;
        if (g_fork.armed || Py_AddPendingCall(start_when_fork_returned, NULL) == 0) {
            g_fork.armed = 1;
            Py_RETURN_NONE;
        }
    }
#endif
    start_writers();
    Py_RETURN_NONE;
}
