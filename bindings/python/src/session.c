/*
 * session.c — _core.start / stop / flush / active / session_path / register_summarizer:
 * the one active session of the process (state.h) and its capture options.
 *
 * Nesting: start() while a session is active suspends it (kept open, not recording) and
 * makes the new session the active one, so that a program that opens its own session under
 * `argtrace run` or `pytest --argtrace` gets exactly the log it asked for; its stop() closes
 * it and resumes the outer session (same generation: calls begun before the inner session
 * and ending after it keep their ends). One line on stderr says so, once per process.
 *
 * Waiting for the flusher (a stalled log) releases the GIL: the writer calls block_begin /
 * block_end around the wait (the record is already encoded). stop() waits, GIL released,
 * until no thread is in such a wait before it closes the session.
 *
 * Exit: a session still open when the interpreter has finished (after every atexit handler
 * and module teardown) is closed by a Py_AtExit hook, in C, without Python.
 */
#include "module.h"

#include "calibrate.h"
#include "filter.h"
#include "redact.h"
#include "spans.h"
#include "tracefunc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* A suspended outer session (nesting) and the state that goes with it. */
typedef struct suspended {
    atr_session *session;
    uint64_t gen;
    PyObject *path;   /* owned */
    PyObject *redact; /* owned */
    atr__capture_opts opts;
} suspended;

#define NEST_MAX 16
/* Why global: the suspended sessions belong with atr__g (the process's one active session). */
static suspended g_nest[NEST_MAX];
static int g_depth;
/* Why global: generations must never repeat (a resumed outer session keeps its own). */
static uint64_t g_last_gen;
/* Why global: threads in a GIL-released wait in the writer (stop() waits for them). */
static int g_blocked;
static int g_nest_noted, g_atexit_registered;

static uint64_t fresh_gen(void) {
    if (g_last_gen < atr__g.gen)
        g_last_gen = atr__g.gen;
    return ++g_last_gen;
}

/* Writer hooks around a wait for the flusher: release the GIL if this thread holds it. */
static void *block_begin(void *ctx) {
    (void)ctx;
    if (!PyGILState_Check())
        return NULL;
    g_blocked++;
    return PyEval_SaveThread();
}

static void block_end(void *ctx, void *token) {
    (void)ctx;
    if (token == NULL)
        return;
    PyEval_RestoreThread((PyThreadState *)token);
    g_blocked--;
}

/* 1 ms with the GIL released: other threads finish what this one waits for. */
static void nap_without_gil(void) {
    struct timespec ts = {0, 1000000L};
    Py_BEGIN_ALLOW_THREADS
    nanosleep(&ts, NULL);
    Py_END_ALLOW_THREADS
}

/* With the GIL: let threads waiting in the writer leave it (each within block_timeout_ms). */
static void wait_blocked(void) {
    while (g_blocked > 0)
        nap_without_gil();
}

/* Py_AtExit: the interpreter is gone; close what is still open (no Python API here). */
static void close_at_exit(void) {
    while (atr__g.session != NULL) {
        atr_session *s = atr__g.session;
        atr__g.session = g_depth > 0 ? g_nest[--g_depth].session : NULL;
        if (g_blocked > 0) /* a daemon thread never came back from a wait: keep s */
            atr_session_flush(s);
        else
            atr_session_close(s);
    }
}

PyObject *atr__raise_oserror(int err, const char *what, PyObject *path) {
    PyObject *msg = PyUnicode_FromFormat("argtrace: %s", what);
    PyObject *exc = msg ? PyObject_CallFunction(PyExc_OSError, "iOO", err, msg, path) : NULL;
    if (exc != NULL) /* OSError() picks the subclass for err (FileNotFoundError, ...) */
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_XDECREF(exc);
    Py_XDECREF(msg);
    return NULL;
}

/* Runtime description for the PROCESS record: "CPython 3.11.7". */
static void runtime_name(char *buf, size_t cap) {
    const char *v = Py_GetVersion();
    size_t n = strcspn(v, " ");
    snprintf(buf, cap, "CPython %.*s", (int)n, v);
}

/* argv for the PROCESS record: the given list or sys.argv. Fills bytes objects into keep. */
static int build_argv(PyObject *argv, PyObject *keep, const char ***out, int *argc) {
    if (argv == NULL || argv == Py_None)
        argv = PySys_GetObject("argv"); /* borrowed, may be NULL */
    *out = NULL;
    *argc = 0;
    if (argv == NULL)
        return 0;
    PyObject *fast = PySequence_Fast(argv, "argtrace: argv must be a list of str");
    if (fast == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    const char **v = PyMem_Calloc((size_t)n + 1, sizeof(char *));
    if (v == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = NULL;
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(fast, i), &b) ||
            PyList_Append(keep, b) < 0) {
            Py_XDECREF(b);
            PyMem_Free(v);
            Py_DECREF(fast);
            return -1;
        }
        Py_DECREF(b);
        v[i] = PyBytes_AS_STRING(b);
    }
    Py_DECREF(fast);
    *out = v;
    *argc = (int)n;
    return 0;
}

/* An integer option: o's value into *out (SIZE_MAX when it exceeds size_t); -1 with the
   option named in the exception when it is not a non-negative integer. */
static int size_arg(PyObject *o, const char *name, size_t *out) {
    if (o == NULL)
        return 0;
    if (!PyLong_Check(o) || PyBool_Check(o)) {
        PyErr_Format(PyExc_TypeError, "argtrace: %s must be an integer, not %.100s", name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow < 0 || (!overflow && v < 0)) {
        PyErr_Format(PyExc_ValueError, "argtrace: %s must not be negative", name);
        return -1;
    }
    *out = overflow > 0 || (unsigned long long)v > SIZE_MAX ? SIZE_MAX : (size_t)v;
    return 0;
}

/* A millisecond option of the writer: values past UINT32_MAX are out of its range anyway. */
static uint32_t ms_arg(size_t v) { return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v; }

/*
 * One thread at a time changes the sessions (start, stop, filter tracing's start and stop):
 * each lets other threads run meanwhile (stop's calibration, the writer's waits), and a
 * change from another thread then acted on the same session: two stop()s at once closed it
 * twice (a double free), a start() during a stop() nested under the session being closed.
 * The owner may re-enter (stop() ends filter tracing). With the GIL.
 */
static unsigned long g_op_owner; /* PyThread_get_thread_ident() of the changing thread, or 0 */
static int g_op_depth;

void atr__session_op_enter(void) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    unsigned long me = PyThread_get_thread_ident();
    while (g_op_owner != 0 && g_op_owner != me)
        nap_without_gil();
    g_op_owner = me;
    g_op_depth++;
}

void atr__session_op_leave(void) {
    if (--g_op_depth == 0)
        g_op_owner = 0;
}

/* In a forked child: a change another thread of the parent was making has no thread here. */
void atr__session_op_after_fork(void) {
    if (g_op_owner != PyThread_get_thread_ident()) {
        g_op_owner = 0;
        g_op_depth = 0;
    }
}

static PyObject *start_session(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *kwlist[] = {"path",
                             "flush_interval_ms",
                             "buffer_size",
                             "max_pending_bytes",
                             "zstd_level",
                             "drop_when_full",
                             "max_value_bytes",
                             "argv",
                             "redact",
                             "capture_repr",
                             "fork_mode",
                             "parent_uid",
                             "parent_span",
                             "block_timeout_ms",
                             "sink_timeout_ms",
                             "max_file_bytes",
                             "keep_files",
                             "sample_rate",
                             "sample_random",
                             "sample_seed",
                             "capture_len",
                             NULL};
    PyObject *path_obj, *flush = NULL, *bufsz = NULL, *pending = NULL, *mvb = NULL;
    PyObject *argv = NULL, *redact = NULL;
    int zstd_level = 1, drop = 0, capture_repr = 0, capture_len = 0;
    const char *fork_mode = "follow";
    unsigned long long parent_uid = 0, parent_span = 0;
    PyObject *block_ms = NULL, *sink_ms = NULL;
    unsigned long long max_file_bytes = 0, sample_seed = 0;
    unsigned int keep_files = 0;
    double sample_rate = 1.0;
    int sample_random = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOOipOOOpsKKOOKIdpKp:start", kwlist, &path_obj,
                                     &flush, &bufsz, &pending, &zstd_level, &drop, &mvb, &argv,
                                     &redact, &capture_repr, &fork_mode, &parent_uid, &parent_span,
                                     &block_ms, &sink_ms, &max_file_bytes, &keep_files,
                                     &sample_rate, &sample_random, &sample_seed, &capture_len))
        return NULL;
    if (atr__g.session != NULL && g_depth == NEST_MAX) {
        PyErr_Format(PyExc_RuntimeError, "argtrace: too many nested sessions (%d)", NEST_MAX);
        return NULL;
    }
    atr_writer_config cfg;
    atr_writer_config_init(&cfg);
    cfg.block_begin = block_begin;
    cfg.block_end = block_end;
    cfg.parent_uid = parent_uid;
    cfg.parent_span = parent_uid ? parent_span : 0;
    cfg.max_file_bytes = max_file_bytes;
    cfg.keep_files = keep_files;
    cfg.sample_rate = sample_rate;
    cfg.sample_random = sample_random;
    cfg.sample_seed = sample_seed;
    size_t flush_ms = cfg.flush_interval_ms;
    size_t max_value_bytes = cfg.max_value_bytes;
    if (size_arg(flush, "flush_interval_ms", &flush_ms) < 0 ||
        size_arg(bufsz, "buffer_size", &cfg.buffer_size) < 0 ||
        size_arg(pending, "max_pending_bytes", &cfg.max_pending_bytes) < 0 ||
        size_arg(mvb, "max_value_bytes", &max_value_bytes) < 0)
        return NULL;
    size_t block_timeout = cfg.block_timeout_ms, sink_timeout = cfg.sink_timeout_ms;
    if (size_arg(block_ms, "block_timeout_ms", &block_timeout) < 0 ||
        size_arg(sink_ms, "sink_timeout_ms", &sink_timeout) < 0)
        return NULL;
    cfg.block_timeout_ms = ms_arg(block_timeout);
    cfg.sink_timeout_ms = ms_arg(sink_timeout);
    cfg.flush_interval_ms = ms_arg(flush_ms);
    cfg.max_value_bytes = max_value_bytes;
    cfg.zstd_level = zstd_level;
    cfg.drop_when_full = drop;
    if (strcmp(fork_mode, "follow") == 0) {
        cfg.fork_mode = ATR_FORK_FOLLOW;
    } else if (strcmp(fork_mode, "stop") == 0) {
        cfg.fork_mode = ATR_FORK_STOP;
    } else {
        PyErr_Format(PyExc_ValueError,
                     "argtrace: fork_mode must be \"follow\" or \"stop\", not \"%s\"", fork_mode);
        return NULL;
    }
    PyObject *patterns = atr__lower_patterns(redact);
    if (patterns == NULL)
        return NULL;
    PyObject *path_bytes = NULL, *keep = PyList_New(0), *path_str = NULL;
    const char **cargv = NULL;
    PyObject *ret = NULL;
    if (keep == NULL || !PyUnicode_FSConverter(path_obj, &path_bytes) ||
        !PyUnicode_FSDecoder(path_obj, &path_str) || build_argv(argv, keep, &cargv, &cfg.argc) < 0)
        goto done;
    char runtime[64];
    runtime_name(runtime, sizeof(runtime));
    cfg.path = PyBytes_AS_STRING(path_bytes);
    cfg.argv = cargv;
    cfg.runtime = runtime;
    atr_session *s = NULL;
    /* The machine's speed now, for the calibration at stop (calibrate.c) */
    uint64_t yard_ps = atr__calib_yardstick();
    /* Before the flusher starts (it polls for signal requests once handlers exist). Signals
       left at their default action (SIGTERM, SIGHUP; SIGINT if the program reset it) then
       flush before they kill. */
    (void)atr_signals_install();
    errno = 0;
    int rc = atr_session_open(&cfg, &s);
    if (rc == ATR_EOPEN) {
        int err = errno ? errno : EIO;
        atr__raise_oserror(err,
                           err == ELOOP ? "the log path is a symbolic link, which argtrace does "
                                          "not follow (remove it or name another path)"
                                        : "cannot create the log",
                           path_str);
        goto done;
    }
    const char *problem = rc == ATR_EINVAL ? atr_writer_config_problem(&cfg) : NULL;
    if (problem) {
        PyErr_Format(PyExc_ValueError, "argtrace: %s", problem);
        goto done;
    }
    if (rc < 0) {
        PyErr_Format(rc == ATR_EINVAL ? PyExc_ValueError : PyExc_RuntimeError,
                     "argtrace: cannot start the session: %s", atr_strerror(rc));
        goto done;
    }
    if (atr__g.session != NULL) { /* nesting: suspend the outer session */
        suspended *o = &g_nest[g_depth++];
        o->session = atr__g.session;
        o->gen = atr__g.gen;
        o->path = atr__g.path; /* the references move to the stack */
        o->redact = atr__g.redact;
        o->opts = atr__g.opts;
        atr__g.path = NULL;
        atr__g.redact = NULL;
        if (!g_nest_noted) {
            g_nest_noted = 1;
            PySys_FormatStderr("argtrace: a session is already active (%S): it pauses while "
                               "the new one (%s) records, and resumes when that one stops\n",
                               o->path ? o->path : Py_None, atr_session_path(s));
        }
    }
    if (!g_atexit_registered && Py_AtExit(close_at_exit) == 0)
        g_atexit_registered = 1;
    atr__g.session = s;
    atr__g.gen = fresh_gen();
    atr__g.calib_yard_ps = yard_ps;
    atr__state_reset_caches();
    atr__bare_sync();
    if (g_depth == 0) { /* nested: the outer session's secrets stay (more is redacted) */
        atr__secret_clear();
        atr__capture_clear_escaped();
    }
    atr__g.opts.max_value_bytes = max_value_bytes;
    atr__g.opts.capture_repr = capture_repr;
    atr__g.opts.capture_len = capture_len;
    Py_XSETREF(atr__g.redact, patterns);
    patterns = NULL;
    atr__g.opts.redact = atr__g.redact;
    atr__redact_set_patterns(atr__g.redact);
    Py_XSETREF(atr__g.path, path_str);
    path_str = NULL;
    ret = Py_NewRef(Py_None);
done:
    PyMem_Free(cargv);
    Py_XDECREF(patterns);
    Py_XDECREF(path_bytes);
    Py_XDECREF(path_str);
    Py_XDECREF(keep);
    return ret;
}

static PyObject *stop_session(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    atr_session *s = atr__g.session;
    if (s == NULL)
        Py_RETURN_NONE;
    if (g_depth == 0) /* an inner session leaves the outer session's filter tracing on */
        atr__filter_session_closing();
    /* The tracer's cost per call, into the log; a filter backend's, written when filter
       tracing stopped, governs the log's compensation instead (readers keep it over the
       decorator's): the decorator's would cost the stop 40 ms of CPU for nothing. */
    if (atr__g.backend_calib_gen != atr__g.gen)
        atr__calibrate("decorator", 1);
    PyObject *path = PyUnicode_DecodeFSDefault(atr_session_path(s));
    atr_drop_stats st;
    memset(&st, 0, sizeof(st));
    /* Unpublish first: from here no thread starts or ends spans in this session. */
    if (g_depth > 0) { /* resume the outer session */
        suspended *o = &g_nest[--g_depth];
        atr__g.session = o->session;
        atr__g.gen = o->gen;
        Py_XSETREF(atr__g.path, o->path);
        Py_XSETREF(atr__g.redact, o->redact);
        atr__g.opts = o->opts;
        atr__g.opts.redact = atr__g.redact;
        atr__redact_set_patterns(atr__g.redact);
        memset(o, 0, sizeof(*o));
    } else {
        atr__g.session = NULL;
        atr__g.gen = fresh_gen();
    }
    atr__state_reset_caches();
    atr__bare_sync();
    if (atr__g.session == NULL) { /* no outer session resumes: its secrets go */
        atr__redact_clear_patterns();
        atr__secret_clear();
        atr__capture_clear_escaped();
    }
    wait_blocked(); /* threads waiting in the writer leave it before s is closed */
    int rc;
    Py_BEGIN_ALLOW_THREADS
    atr_session_flush(s);
    atr_session_drops(s, &st);
    rc = atr_session_close(s);
    Py_END_ALLOW_THREADS
    if (path == NULL)
        return NULL;
    PyObject *werr = rc < 0 ? PyUnicode_FromString(atr_strerror(rc)) : Py_NewRef(Py_None);
    PyObject *d =
        Py_BuildValue("{s:N,s:K,s:K,s:N}", "path", path, "dropped", (unsigned long long)st.records,
                      "capture_errors", (unsigned long long)st.capture_errors, "write_error", werr);
    return d;
}

PyObject *atr__py_start(PyObject *m, PyObject *args, PyObject *kw) {
    atr__session_op_enter();
    PyObject *r = start_session(m, args, kw);
    atr__session_op_leave();
    return r;
}

PyObject *atr__py_stop(PyObject *m, PyObject *unused) {
    atr__session_op_enter();
    PyObject *r = stop_session(m, unused);
    atr__session_op_leave();
    return r;
}

PyObject *atr__py_flush(PyObject *m, PyObject *unused) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    (void)m;
    (void)unused;
    atr_session *s = atr__g.session;
    if (s != NULL) {
        g_blocked++; /* stop() in another thread must not close s during the flush */
        Py_BEGIN_ALLOW_THREADS
        atr_session_flush(s); /* errors are reported by stop() */
        Py_END_ALLOW_THREADS
        g_blocked--;
    }
    Py_RETURN_NONE;
}

PyObject *atr__py_active(PyObject *m, PyObject *unused) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    (void)m;
    (void)unused;
    return PyBool_FromLong(atr__g.session != NULL);
}

PyObject *atr__py_session_paths(PyObject *m, PyObject *unused) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    (void)m;
    (void)unused;
    PyObject *list = PyList_New(0);
    for (int i = 0; list != NULL && i <= g_depth; i++) {
        atr_session *s = i < g_depth ? g_nest[i].session : atr__g.session;
        PyObject *p = s ? PyUnicode_DecodeFSDefault(atr_session_path(s)) : NULL;
        if (s != NULL && (p == NULL || PyList_Append(list, p) < 0))
            Py_CLEAR(list);
        Py_XDECREF(p);
    }
    return list;
}

PyObject *atr__py_session_uid(PyObject *m, PyObject *unused) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    (void)m;
    (void)unused;
    if (atr__g.session == NULL)
        Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(atr_session_uid(atr__g.session));
}

PyObject *atr__py_session_path(PyObject *m, PyObject *unused) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    (void)m;
    (void)unused;
    if (atr__g.session == NULL)
        Py_RETURN_NONE;
    return PyUnicode_DecodeFSDefault(atr_session_path(atr__g.session));
}

PyObject *atr__py_register_summarizer(PyObject *m, PyObject *const *args, Py_ssize_t n) {
    (void)m;
    if (n != 2 || !PyType_Check(args[0]) || !PyCallable_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError,
                        "argtrace: register_summarizer(type, fn) needs a type and a callable");
        return NULL;
    }
    if (atr__capture_register_summarizer(args[0], args[1]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* set_recording(on): recording on or off in the active session (no session: nothing). */
PyObject *atr__py_set_recording(PyObject *m, PyObject *arg) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    (void)m;
    int on = PyObject_IsTrue(arg);
    if (on < 0)
        return NULL;
    if (atr__g.session && atr_session_set_recording(atr__g.session, on) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: cannot change recording");
        return NULL;
    }
    Py_RETURN_NONE;
}

/* toggle_signal(signo, initially_on): recording toggled by a signal (atr_toggle_install). */
PyObject *atr__py_toggle_signal(PyObject *m, PyObject *args) {
    (void)m;
    int signo, on = 1;
    if (!PyArg_ParseTuple(args, "i|p:toggle_signal", &signo, &on))
        return NULL;
    if (atr_toggle_install(signo, on) < 0) {
        PyErr_Format(PyExc_ValueError, "argtrace: signal %d cannot toggle recording", signo);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* recording(): 1 while the signal toggle (if any) has recording on. */
PyObject *atr__py_toggle_recording(PyObject *m, PyObject *noargs) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    (void)m;
    (void)noargs;
    return PyBool_FromLong(atr_toggle_recording());
}
