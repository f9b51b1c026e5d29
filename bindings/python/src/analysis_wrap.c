/*
 * analysis_wrap.c — _core.Index: one atr_index (the viewer's analysis engine) seen from
 * Python, for argtrace.load(). Methods hand back ids, tuples, lists and dicts; values become
 * Python scalars or the same tagged tuples as read_records (see readrec.c). Loading runs
 * with the GIL released. Errors: OSError (cannot open), ValueError (corrupt log, bad filter,
 * bad id), one line each.
 */
#include "analysis_wrap.h"

#include "index_wrap.h"

#include "calls_wrap.h"
#include "diff_wrap.h"
#include "views.h"

#include "calibrate.h"
#include "module.h"
#include "pyvalue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading and descriptions ---- */

/* The file's per-call cost model (FORMAT.md 3.13) as a dict, or None when it has none. */
static PyObject *calib_model_py(const atr_file_info *fi) {
    atr_calibration_model m;
#define CAL_COPY(key) m.key = fi->calib_##key;
#define CAL_OR(key) | m.key
    ATR_CALIBRATION_MODEL_KEYS(CAL_COPY)
    if (!(0 ATR_CALIBRATION_MODEL_KEYS(CAL_OR)))
        Py_RETURN_NONE;
#undef CAL_COPY
#undef CAL_OR
    return atr__calib_model_py(&m);
}

/* load(path or list of paths): atr_index_load_set (directories, rotated logs, globs). */
static PyObject *ix_load(pyindex *self, PyObject *arg) {
    PyObject *seq = NULL, *bytes = NULL, *first = NULL;
    const char **cpaths = NULL;
    Py_ssize_t n, i;
    int rc = 0, saved = 0;
    if (ready(self) < 0)
        return NULL;
    if (PyList_Check(arg) || PyTuple_Check(arg))
        seq = PySequence_Tuple(arg);
    else
        seq = PyTuple_Pack(1, arg);
    if (!seq)
        return NULL;
    n = PyTuple_GET_SIZE(seq);
    bytes = PyList_New(0); /* owned: the encoded paths, alive while cpaths points into them */
    cpaths = PyMem_Calloc(n ? (size_t)n : 1, sizeof *cpaths);
    if (!bytes || !cpaths) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < n; i++) {
        PyObject *b = NULL;
        if (!PyUnicode_FSConverter(PyTuple_GET_ITEM(seq, i), &b))
            goto done;
        if (PyList_Append(bytes, b) < 0) {
            Py_DECREF(b);
            goto done;
        }
        cpaths[i] = PyBytes_AS_STRING(b);
        Py_DECREF(b);
    }
    if (n && !PyUnicode_FSDecoder(PyTuple_GET_ITEM(seq, 0), &first))
        goto done;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    errno = 0;
    rc = atr_index_load_set(self->ix, cpaths, (uint32_t)n);
    saved = errno;
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (rc == ATR_EOPEN)
        atr__raise_oserror(saved ? saved : EIO, "cannot open the log", first);
    else if (rc == ATR_ENOMEM)
        PyErr_NoMemory();
    else if (rc < 0 && atr_index_error(self->ix)[0])
        PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_index_error(self->ix));
    else if (rc < 0)
        PyErr_Format(PyExc_ValueError, "argtrace: %S: %s", first, atr_strerror(rc));
done:
    Py_XDECREF(first);
    Py_XDECREF(bytes);
    Py_DECREF(seq);
    PyMem_Free(cpaths);
    if (PyErr_Occurred() || rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *ix_set_max_memory(pyindex *self, PyObject *arg) {
    unsigned long long n = PyLong_AsUnsignedLongLong(arg);
    if (ready(self) < 0 || (n == (unsigned long long)-1 && PyErr_Occurred()))
        return NULL;
    atr_index_set_max_memory(self->ix, (uint64_t)n);
    Py_RETURN_NONE;
}

static PyObject *ix_info(pyindex *self, PyObject *unused) {
    (void)unused;
    atr_index_info in;
    if (ready(self) < 0)
        return NULL;
    atr_index_get_info(self->ix, &in);
    return Py_BuildValue("{sIsIsIsKsKsKsKsKsI}", "n_files", in.n_files, "n_functions",
                         in.n_functions, "n_threads", in.n_threads, "n_calls",
                         (unsigned long long)in.n_calls, "n_messages",
                         (unsigned long long)in.n_messages, "n_unfinished",
                         (unsigned long long)in.n_unfinished, "t_min", (unsigned long long)in.t_min,
                         "t_max", (unsigned long long)in.t_max, "flags", in.flags);
}

static PyObject *str_list(const atr_str *s, uint32_t n) {
    PyObject *l = PyList_New(n);
    for (uint32_t i = 0; l != NULL && i < n; i++) {
        PyObject *p = atr__str_py(s[i]);
        if (p == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, i, p);
    }
    return l;
}

/* The log's DROPS totals as a dict, None when it has no DROPS record. */
static PyObject *drops_py(const atr_file_info *fi) {
    if (!(fi->flags & ATR_FILE_DROPS_SEEN))
        Py_RETURN_NONE;
    return Py_BuildValue("{sKsKsKsKsK}", "records", (unsigned long long)fi->drops_records, "bytes",
                         (unsigned long long)fi->drops_bytes, "oversize",
                         (unsigned long long)fi->drops_oversize, "capture_errors",
                         (unsigned long long)fi->drops_capture_errors, "write_errors",
                         (unsigned long long)fi->drops_write_errors);
}

static PyObject *ix_file(pyindex *self, PyObject *arg) {
    atr_file_info fi;
    uint32_t f;
    if (ready(self) < 0 || get_id(arg, "file", &f) < 0)
        return NULL;
    if (atr_index_file(self->ix, f, &fi) < 0)
        return PyErr_Format(PyExc_ValueError, "argtrace: no file %R in the index", arg);
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    int bad =
        put(d, "path", PyUnicode_DecodeFSDefault(fi.path ? fi.path : "")) |
        put(d, "pid", PyLong_FromLongLong(fi.pid)) | put(d, "uid", U64(fi.uid)) |
        put(d, "format", PyUnicode_FromFormat("%u.%u", fi.format_major, fi.format_minor)) |
        put(d, "parent_uid", U64(fi.parent_uid)) | put(d, "parent_span", U64(fi.parent_span)) |
        put(d, "parent_file", opt_id(fi.parent_file)) |
        put(d, "parent_call", opt_id(fi.parent_call)) | put(d, "flags", U64(fi.flags)) |
        put(d, "n_calls", U64(fi.n_calls)) | put(d, "first_call", U64(fi.first_call)) |
        put(d, "host", atr__str_py(fi.host)) | put(d, "runtime", atr__str_py(fi.runtime)) |
        put(d, "tool", atr__str_py(fi.tool)) | put(d, "argv", str_list(fi.argv, fi.argc)) |
        put(d, "clock_ns", U64(fi.clock_ns)) | put(d, "wall_ns", U64(fi.wall_ns)) |
        put(d, "t_last", U64(fi.t_last)) | put(d, "drops", drops_py(&fi)) |
        put(d, "truncated", PyBool_FromLong(fi.flags & ATR_FILE_TRUNCATED)) |
        put(d, "closed", PyBool_FromLong(!(fi.flags & ATR_FILE_UNCLOSED))) |
        put(d, "compensated", PyBool_FromLong(fi.flags & ATR_FILE_COMPENSATED)) |
        put(d, "calib_mechanism", atr__str_py(fi.calib_mechanism)) |
        put(d, "n_parts", PyLong_FromUnsignedLong(fi.n_parts)) |
        put(d, "first_part", PyLong_FromUnsignedLong(fi.first_part)) |
        put(d, "sample_rate", PyFloat_FromDouble(fi.sample_rate)) |
        put(d, "sample_mode", atr__str_py(fi.sample_mode)) | put(d, "n_pauses", U64(fi.n_pauses)) |
        put(d, "paused_ns", U64(fi.paused_ns)) | put(d, "calib_call_ns", U64(fi.calib_call_ns)) |
        put(d, "calib_inner_ns", U64(fi.calib_inner_ns)) |
        put(d, "calib_model", calib_model_py(&fi));
    if (bad) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

/* function(fn) -> (name, [argument names], n_declared, n_calls, flags, module, qualname,
 * file, line) */
static PyObject *ix_function(pyindex *self, PyObject *arg) {
    uint32_t fn;
    atr_function_view fv;
    if (ready(self) < 0 || get_fn(self->ix, arg, &fn) < 0)
        return NULL;
    if (fn == ATR_ALL_FUNCTIONS || atr_index_function(self->ix, fn, &fv) < 0)
        return PyErr_Format(PyExc_ValueError, "argtrace: no function %R in the index", arg);
    PyObject *params = PyList_New(fv.n_params);
    for (uint32_t i = 0; params != NULL && i < fv.n_params; i++) {
        PyObject *p = atr__str_py(fv.params[i]);
        if (p == NULL)
            Py_CLEAR(params);
        else
            PyList_SET_ITEM(params, i, p);
    }
    if (params == NULL)
        return NULL;
    return Py_BuildValue("(NNIKINNNI)", fn_name(self->ix, fn), params, fv.n_declared,
                         (unsigned long long)fv.n_calls, fv.flags, atr__str_py(fv.module),
                         atr__str_py(fv.qualname), atr__str_py(fv.file), fv.line);
}

/* find_function(name) -> id, or None when nothing matches; ValueError when ambiguous. */
static PyObject *ix_find_function(pyindex *self, PyObject *arg) {
    const char *name = PyUnicode_AsUTF8(arg);
    uint32_t fn, cands[16], n = 0;
    if (name == NULL || ready(self) < 0)
        return NULL;
    int rc = atr_index_find_function(self->ix, name, &fn, cands, 16, &n);
    if (rc == 0)
        return U64(fn);
    if (rc != ATR_EAMBIGUOUS)
        Py_RETURN_NONE;
    PyObject *names = PyList_New(0);
    for (uint32_t i = 0; names != NULL && i < n && i < 16; i++) {
        PyObject *s = fn_name(self->ix, cands[i]);
        if (s == NULL || PyList_Append(names, s) < 0)
            Py_CLEAR(names);
        Py_XDECREF(s);
    }
    PyObject *sep = names ? PyUnicode_FromString(", ") : NULL;
    PyObject *joined = sep ? PyUnicode_Join(sep, names) : NULL;
    if (joined)
        PyErr_Format(PyExc_ValueError, "argtrace: %R is ambiguous: %U%s", arg, joined,
                     n > 16 ? ", ..." : "");
    Py_XDECREF(joined);
    Py_XDECREF(sep);
    Py_XDECREF(names);
    return NULL;
}

/* ---- statistics ---- */

static PyObject *stats_py(const atr_stats *s) {
    PyObject *d = Py_BuildValue(
        "{sKsKsKsKsKsKsKsKsKsKsKsdsK}", "calls", (unsigned long long)s->count, "finished",
        (unsigned long long)s->finished, "unfinished", (unsigned long long)s->unfinished, "raised",
        (unsigned long long)s->raised, "total_ns", (unsigned long long)s->total_ns, "self_ns",
        (unsigned long long)s->self_ns, "min_ns", (unsigned long long)s->min_ns, "p50_ns",
        (unsigned long long)s->p50_ns, "p95_ns", (unsigned long long)s->p95_ns, "p99_ns",
        (unsigned long long)s->p99_ns, "max_ns", (unsigned long long)s->max_ns, "mean_ns",
        s->mean_ns, "active_ns", (unsigned long long)s->active_ns);
    if (d && (put(d, "sampled", PyBool_FromLong(s->sampled)) |
              put(d, "est_calls", PyLong_FromUnsignedLongLong(s->est_count)) |
              put(d, "est_total_ns", PyLong_FromUnsignedLongLong(s->est_total_ns)) |
              put(d, "est_active_ns", PyLong_FromUnsignedLongLong(s->est_active_ns)) |
              put(d, "est_self_ns", PyLong_FromUnsignedLongLong(s->est_self_ns)) |
              put(d, "inclusive_ns", PyLong_FromUnsignedLongLong(s->inclusive_ns)) |
              put(d, "est_inclusive_ns", PyLong_FromUnsignedLongLong(s->est_inclusive_ns)) |
              put(d, "nested", PyLong_FromUnsignedLongLong(s->nested))))
        Py_CLEAR(d);
    return d;
}

/* stats_all() -> [stats dict of function 0, 1, ...] (atr_stats_all, as `summary`). */
static PyObject *ix_stats_all(pyindex *self, PyObject *unused) {
    (void)unused;
    atr_index_info in;
    if (ready(self) < 0)
        return NULL;
    atr_index_get_info(self->ix, &in);
    atr_stats *st = calloc((size_t)in.n_functions + 1, sizeof *st);
    if (st == NULL || atr_stats_all(self->ix, st, in.n_functions) < 0) {
        free(st);
        return PyErr_NoMemory();
    }
    PyObject *l = PyList_New(in.n_functions);
    for (uint32_t fn = 0; l != NULL && fn < in.n_functions; fn++) {
        PyObject *d = stats_py(&st[fn]);
        if (d == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, fn, d);
    }
    free(st);
    return l;
}

/* ---- the type ---- */

static PyObject *ix_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"compensate", NULL};
    int compensate = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$p:Index", kwlist, &compensate))
        return NULL;
    pyindex *self = (pyindex *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    if (atr_index_open(&self->ix) < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    atr_index_set_compensate(self->ix, compensate); /* else the recorded times */
    return (PyObject *)self;
}

static void ix_dealloc(pyindex *self) {
    atr_index_free(self->ix);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* diff(n_base, function=None, filters=None, min_calls=10, alpha=0.01) -> [function dicts] */
static PyObject *ix_diff(pyindex *self, PyObject *args) {
    PyObject *fo = Py_None, *fl = Py_None;
    unsigned int n_base;
    unsigned long long min_calls = 10;
    double alpha = 0.01;
    atr_filter *f = NULL;
    if (!PyArg_ParseTuple(args, "I|OOKd", &n_base, &fo, &fl, &min_calls, &alpha) ||
        ready(self) < 0 || make_filter(fl, &f) < 0)
        return NULL;
    PyObject *r = atr__py_diff(self->ix, n_base, fo, f, min_calls, alpha);
    atr_filter_free(f);
    return r;
}

static PyMethodDef ix_own_methods[] = {
    {"load", (PyCFunction)ix_load, METH_O, "load(path): add a log (OSError, ValueError)."},
    {"set_max_memory", (PyCFunction)ix_set_max_memory, METH_O,
     "set_max_memory(bytes): budget of later loads (0: no limit)."},
    {"info", (PyCFunction)ix_info, METH_NOARGS, "info() -> dict of counts and flags"},
    {"file", (PyCFunction)ix_file, METH_O, "file(i) -> dict describing loaded log i"},
    {"function", (PyCFunction)ix_function, METH_O,
     "function(fn) -> (name, argument names, n_declared, n_calls, flags, module, qualname, "
     "file, line)"},
    {"find_function", (PyCFunction)ix_find_function, METH_O,
     "find_function(name) -> id | None (ValueError if ambiguous)"},
    {"stats_all", (PyCFunction)ix_stats_all, METH_NOARGS, "stats_all() -> [dict per function]"},
    {"diff", (PyCFunction)ix_diff, METH_VARARGS,
     "diff(n_base, function=None, filters=None, min_calls=10, alpha=0.01) -> [function dicts]"},
    {NULL, NULL, 0, NULL}};

/* Every method: this file's, then index_calls.c's and index_slow.c's (filled at init). */
static PyMethodDef ix_methods[64];

/* Append the NULL-terminated `t` to ix_methods at *n. 0, or -1 if the table is full. */
static int add_methods(const PyMethodDef *t, size_t *n) {
    for (; t->ml_name; t++) {
        if (*n + 1 >= sizeof ix_methods / sizeof ix_methods[0]) {
            PyErr_SetString(PyExc_RuntimeError, "argtrace: Index method table too small");
            return -1;
        }
        ix_methods[(*n)++] = *t;
    }
    return 0;
}

static PyTypeObject Index_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.Index",
    .tp_basicsize = sizeof(pyindex),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Index(): logs loaded into the analysis engine (private; see argtrace.load).",
    .tp_new = ix_new,
    .tp_dealloc = (destructor)ix_dealloc,
    .tp_methods = ix_methods,
};

int atr__analysis_init_types(PyObject *m) {
    size_t n = 0;
    if (!ix_methods[0].ml_name &&
        (add_methods(ix_own_methods, &n) < 0 || add_methods(atr__ix_calls_methods, &n) < 0 ||
         add_methods(atr__ix_slow_methods, &n) < 0))
        return -1;
    if (atr__views_init_types(m) < 0 || PyType_Ready(&Index_Type) < 0)
        return -1;
    Py_INCREF(&Index_Type);
    if (PyModule_AddObject(m, "Index", (PyObject *)&Index_Type) < 0) {
        Py_DECREF(&Index_Type);
        return -1;
    }
    return 0;
}
