/*
 * session.c — _core.start / stop / flush / active / session_path / register_summarizer:
 * the one active session of the process (state.h) and its capture options.
 */
#include "module.h"

#include "redact.h"
#include "calibrate.h"
#include "spans.h"
#include "tracefunc.h"
#ifdef ATR_HAVE_FILTER
#include "filter.h"
#endif

#include <errno.h>
#include <string.h>

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

static int size_arg(PyObject *o, const char *name, size_t *out) {
    if (o == NULL)
        return 0;
    Py_ssize_t v = PyLong_AsSsize_t(o);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < 0) {
        PyErr_Format(PyExc_ValueError, "argtrace: %s must be >= 0", name);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

PyObject *atr__py_start(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *kwlist[] = {
        "path",       "flush_interval_ms", "buffer_size",     "max_pending_bytes",
        "zstd_level", "drop_when_full",    "max_value_bytes", "argv",
        "redact",     "capture_repr",      "fork_mode",       NULL};
    PyObject *path_obj, *flush = NULL, *bufsz = NULL, *pending = NULL, *mvb = NULL;
    PyObject *argv = NULL, *redact = NULL;
    int zstd_level = 3, drop = 0, capture_repr = 0;
    const char *fork_mode = "follow";
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOOipOOOps:start", kwlist, &path_obj, &flush,
                                     &bufsz, &pending, &zstd_level, &drop, &mvb, &argv, &redact,
                                     &capture_repr, &fork_mode))
        return NULL;
    if (atr__g.session != NULL) {
        PyErr_Format(PyExc_RuntimeError, "argtrace: a session is already active (%s)",
                     atr_session_path(atr__g.session));
        return NULL;
    }
    atr_writer_config cfg;
    atr_writer_config_init(&cfg);
    size_t flush_ms = cfg.flush_interval_ms;
    size_t max_value_bytes = cfg.max_value_bytes;
    if (size_arg(flush, "flush_interval_ms", &flush_ms) < 0 ||
        size_arg(bufsz, "buffer_size", &cfg.buffer_size) < 0 ||
        size_arg(pending, "max_pending_bytes", &cfg.max_pending_bytes) < 0 ||
        size_arg(mvb, "max_value_bytes", &max_value_bytes) < 0)
        return NULL;
    if (flush_ms > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "argtrace: flush_interval_ms is too large");
        return NULL;
    }
    cfg.flush_interval_ms = (uint32_t)flush_ms;
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
    if (rc < 0) {
        PyErr_Format(rc == ATR_EINVAL ? PyExc_ValueError : PyExc_RuntimeError,
                     "argtrace: cannot start the session: %s", atr_strerror(rc));
        goto done;
    }
    atr__g.session = s;
    atr__g.gen++;
    atr__state_reset_caches();
    atr__secret_clear();
    atr__capture_clear_escaped();
    atr__g.opts.max_value_bytes = max_value_bytes;
    atr__g.opts.capture_repr = capture_repr;
    Py_XSETREF(atr__g.redact, patterns);
    patterns = NULL;
    atr__g.opts.redact = atr__g.redact;
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

PyObject *atr__py_stop(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    atr_session *s = atr__g.session;
    if (s == NULL)
        Py_RETURN_NONE;
#ifdef ATR_HAVE_FILTER
    atr__filter_session_closing();
#endif
    atr__calibrate("decorator", 1); /* the tracer's cost per call, into the log */
    PyObject *path = PyUnicode_DecodeFSDefault(atr_session_path(s));
    atr_drop_stats st;
    memset(&st, 0, sizeof(st));
    /* Unpublish first: from here no thread starts or ends spans in this session. */
    atr__g.session = NULL;
    atr__g.gen++;
    atr__state_reset_caches();
    atr__secret_clear();
    atr__capture_clear_escaped();
    int rc;
    Py_BEGIN_ALLOW_THREADS atr_session_flush(s);
    atr_session_drops(s, &st);
    rc = atr_session_close(s);
    Py_END_ALLOW_THREADS if (path == NULL) return NULL;
    PyObject *werr = rc < 0 ? PyUnicode_FromString(atr_strerror(rc)) : Py_NewRef(Py_None);
    PyObject *d =
        Py_BuildValue("{s:N,s:K,s:K,s:N}", "path", path, "dropped", (unsigned long long)st.records,
                      "capture_errors", (unsigned long long)st.capture_errors, "write_error", werr);
    return d;
}

PyObject *atr__py_flush(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    if (atr__g.session != NULL)
        atr_session_flush(atr__g.session); /* errors are reported by stop() */
    Py_RETURN_NONE;
}

PyObject *atr__py_active(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    return PyBool_FromLong(atr__g.session != NULL);
}

PyObject *atr__py_session_path(PyObject *m, PyObject *unused) {
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
