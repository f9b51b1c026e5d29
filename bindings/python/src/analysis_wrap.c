/*
 * analysis_wrap.c — _core.Index: one atr_index (the viewer's analysis engine) seen from
 * Python, for argtrace.load(). Methods hand back ids, tuples, lists and dicts; values become
 * Python scalars or the same tagged tuples as read_records (see readrec.c). Loading runs
 * with the GIL released. Errors: OSError (cannot open), ValueError (corrupt log, bad filter,
 * bad id), one line each.
 */
#include "analysis_wrap.h"

#include "calls_wrap.h"
#include "diff_wrap.h"
#include "views.h"
#include "why_wrap.h"

#include "module.h"
#include "pyvalue.h"

#include <argtrace/atr_analysis.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct pyindex {
    PyObject ob_base; /* PyObject_HEAD */
    atr_index *ix;    /* owned */
    int busy;         /* a load runs with the GIL released */
} pyindex;

#define U64(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))

/* Helpers shared with calls_wrap.c and why_wrap.c (calls_wrap.h), by their short names. */
#define opt_id atr__py_opt_id
#define vid_py atr__py_vid
#define put atr__py_put
#define fn_name atr__py_fn_name

static int ready(pyindex *self) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: the index is loading in another thread");
        return -1;
    }
    return 0;
}

/* A filter ANDing every string of `exprs` (None: *out = NULL, no filter). */
static int make_filter(PyObject *exprs, atr_filter **out) {
    *out = NULL;
    if (exprs == Py_None)
        return 0;
    PyObject *seq = PySequence_Fast(exprs, "argtrace: filters must be a list of strings");
    if (seq == NULL)
        return -1;
    char err[256] = "";
    int rc = atr_filter_parse("", out, err, sizeof err);
    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        const char *s = PyUnicode_Check(item) ? PyUnicode_AsUTF8(item) : NULL;
        if (s == NULL) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "argtrace: a filter must be a str, not %.80s",
                             Py_TYPE(item)->tp_name);
            rc = -1;
        } else if ((rc = atr_filter_add(*out, s, err, sizeof err)) < 0) {
            if (rc == ATR_ENOMEM)
                PyErr_NoMemory();
            else
                PyErr_Format(PyExc_ValueError, "argtrace: filter %R: %s", item,
                             err[0] ? err : atr_strerror(rc));
        }
    }
    if (rc == ATR_ENOMEM && !PyErr_Occurred())
        PyErr_NoMemory();
    Py_DECREF(seq);
    if (rc != 0) {
        atr_filter_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* fn from a Python int or None (all functions); -1 with ValueError when out of range. */
static int get_fn(const atr_index *ix, PyObject *o, uint32_t *fn) {
    if (o == Py_None) {
        *fn = ATR_ALL_FUNCTIONS;
        return 0;
    }
    atr_index_info info;
    atr_index_get_info(ix, &info);
    unsigned long v = PyLong_AsUnsignedLong(o);
    if (PyErr_Occurred() || v >= info.n_functions) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "argtrace: no function %R in the index", o);
        return -1;
    }
    *fn = (uint32_t)v;
    return 0;
}

/* *out = o as an id below UINT32_MAX; -1 with ValueError "no <what> o in the index". */
static int get_id(PyObject *o, const char *what, uint32_t *out) {
    unsigned long v = PyLong_AsUnsignedLong(o);
    if (PyErr_Occurred() || v >= UINT32_MAX) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "argtrace: no %s %R in the index", what, o);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int get_call(const atr_index *ix, PyObject *o, uint32_t *call, atr_call_view *cv) {
    if (get_id(o, "call", call) < 0)
        return -1;
    if (atr_index_call(ix, *call, cv) < 0) {
        PyErr_Format(PyExc_ValueError, "argtrace: no call %R in the index", o);
        return -1;
    }
    return 0;
}

/* ---- loading and descriptions ---- */

/* The file's per-call cost model (FORMAT.md 3.13) as a dict, or None when it has none. */
static PyObject *calib_model_py(const atr_file_info *fi) {
    if (!(fi->calib_base_ns | fi->calib_scalar_ns | fi->calib_str_ns | fi->calib_summary_ns |
          fi->calib_gen_ns | fi->calib_resume_ns | fi->calib_raise_ns | fi->calib_slow_ppm |
          fi->calib_container_ns))
        Py_RETURN_NONE;
    return Py_BuildValue(
        "{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K}", "base_ns", (unsigned long long)fi->calib_base_ns,
        "scalar_ns", (unsigned long long)fi->calib_scalar_ns, "str_ns",
        (unsigned long long)fi->calib_str_ns, "summary_ns",
        (unsigned long long)fi->calib_summary_ns, "gen_ns", (unsigned long long)fi->calib_gen_ns,
        "resume_ns", (unsigned long long)fi->calib_resume_ns, "raise_ns",
        (unsigned long long)fi->calib_raise_ns, "slow_ppm", (unsigned long long)fi->calib_slow_ppm,
        "container_ns", (unsigned long long)fi->calib_container_ns);
}

static PyObject *ix_load(pyindex *self, PyObject *path) {
    PyObject *bytes = NULL, *str = NULL;
    if (ready(self) < 0 || !PyUnicode_FSConverter(path, &bytes))
        return NULL;
    if (!PyUnicode_FSDecoder(path, &str)) {
        Py_DECREF(bytes);
        return NULL;
    }
    int rc, saved;
    const char *cpath = PyBytes_AS_STRING(bytes);
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS errno = 0;
    rc = atr_index_load(self->ix, cpath);
    saved = errno;
    Py_END_ALLOW_THREADS self->busy = 0;
    Py_DECREF(bytes);
    if (rc == ATR_EOPEN)
        atr__raise_oserror(saved ? saved : EIO, "cannot open the log", str);
    else if (rc == ATR_ENOMEM)
        PyErr_NoMemory();
    else if (rc < 0 && atr_index_error(self->ix)[0])
        PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_index_error(self->ix));
    else if (rc < 0)
        PyErr_Format(PyExc_ValueError, "argtrace: %U: %s", str, atr_strerror(rc));
    Py_DECREF(str);
    if (rc < 0)
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
    int bad = put(d, "path", PyUnicode_DecodeFSDefault(fi.path ? fi.path : "")) |
              put(d, "pid", PyLong_FromLongLong(fi.pid)) | put(d, "uid", U64(fi.uid)) |
              put(d, "parent_uid", U64(fi.parent_uid)) |
              put(d, "parent_span", U64(fi.parent_span)) |
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
              put(d, "calib_call_ns", U64(fi.calib_call_ns)) |
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
    return Py_BuildValue(
        "{sKsKsKsKsKsKsKsKsKsKsKsdsK}", "calls", (unsigned long long)s->count, "finished",
        (unsigned long long)s->finished, "unfinished", (unsigned long long)s->unfinished, "raised",
        (unsigned long long)s->raised, "total_ns", (unsigned long long)s->total_ns, "self_ns",
        (unsigned long long)s->self_ns, "min_ns", (unsigned long long)s->min_ns, "p50_ns",
        (unsigned long long)s->p50_ns, "p95_ns", (unsigned long long)s->p95_ns, "p99_ns",
        (unsigned long long)s->p99_ns, "max_ns", (unsigned long long)s->max_ns, "mean_ns",
        s->mean_ns, "active_ns", (unsigned long long)s->active_ns);
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

/* ---- calls ---- */

static PyObject *call_args(const atr_index *ix, uint32_t call, const atr_call_view *cv) {
    atr_function_view fv;
    PyObject *d = PyDict_New();
    if (d == NULL || atr_index_function(ix, cv->function, &fv) < 0)
        return d;
    for (uint32_t i = 0; i < cv->n_args && i < fv.n_params; i++) {
        uint32_t vid = atr_call_arg(ix, call, i);
        if (vid == ATR_NO_VALUE)
            continue;
        PyObject *k = atr__str_py(fv.params[i]);
        PyObject *v = k ? vid_py(ix, vid) : NULL;
        if (v == NULL || PyDict_SetItem(d, k, v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (d == NULL)
            break;
    }
    return d;
}

/*
 * call(id) -> (function, thread, file, parent|None, start_ns, duration_ns, self_ns, status,
 * result (RAISED: the message), exc_type|None, {argument: value})
 */
static PyObject *ix_call(pyindex *self, PyObject *arg) {
    uint32_t call;
    atr_call_view cv;
    if (ready(self) < 0 || get_call(self->ix, arg, &call, &cv) < 0)
        return NULL;
    PyObject *exc = cv.status == ATR_CALL_RAISED ? atr__str_py(cv.exc_type) : Py_NewRef(Py_None);
    return Py_BuildValue("(IIINKKKINNN)", cv.function, cv.thread, cv.file, opt_id(cv.parent),
                         (unsigned long long)cv.start_ns, (unsigned long long)cv.duration_ns,
                         (unsigned long long)cv.self_ns, cv.status, vid_py(self->ix, cv.result),
                         exc, call_args(self->ix, call, &cv));
}

/* ---- printed call ids (atr_call_id_format): int for one log, "FILE:N" for several ---- */

/* The printed id of call i: an int while one log is loaded, else the str "FILE:N". */
static PyObject *printed_id(const atr_index *ix, uint32_t n_files, uint32_t call) {
    char buf[ATR_CALL_ID_SIZE];
    size_t len = atr_call_id_format(ix, call, buf, sizeof buf);
    if (len == 0)
        Py_RETURN_NONE;
    if (n_files > 1)
        return PyUnicode_FromStringAndSize(buf, (Py_ssize_t)len);
    return U64(call); /* one log: the number within it is the call id */
}

/* call_ids() -> [the printed id of every call, in call id order] */
static PyObject *ix_call_ids(pyindex *self, PyObject *unused) {
    (void)unused;
    atr_index_info in;
    if (ready(self) < 0)
        return NULL;
    atr_index_get_info(self->ix, &in);
    PyObject *l = PyList_New((Py_ssize_t)in.n_calls);
    for (uint64_t i = 0; l != NULL && i < in.n_calls; i++) {
        PyObject *v = printed_id(self->ix, in.n_files, (uint32_t)i);
        if (v == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, (Py_ssize_t)i, v);
    }
    return l;
}

/*
 * find_call(id) -> the call id named by a printed id (an int, or a str "N" / "FILE:N"), or
 * None when there is no such call. ValueError when it is not a call id, or a bare number
 * while several logs are loaded; TypeError for other types.
 */
static PyObject *ix_find_call(pyindex *self, PyObject *arg) {
    PyObject *text = NULL;
    if (ready(self) < 0)
        return NULL;
    if (PyLong_CheckExact(arg) || (PyLong_Check(arg) && !PyBool_Check(arg)))
        text = PyObject_Str(arg);
    else if (PyUnicode_Check(arg))
        text = Py_NewRef(arg);
    else
        return PyErr_Format(PyExc_TypeError,
                            "argtrace: a call id is an int or a str like '1:253', not %.80s",
                            Py_TYPE(arg)->tp_name);
    const char *s = text ? PyUnicode_AsUTF8(text) : NULL;
    if (s == NULL) {
        Py_XDECREF(text);
        return NULL;
    }
    atr_index_info in;
    atr_index_get_info(self->ix, &in);
    uint32_t call = ATR_NO_CALL;
    int rc = atr_call_id_parse(self->ix, s, &call);
    Py_DECREF(text);
    if (rc == 0)
        return U64(call);
    if (rc == ATR_ENOTFOUND)
        Py_RETURN_NONE;
    if (rc == ATR_EAMBIGUOUS)
        return PyErr_Format(PyExc_ValueError,
                            "argtrace: call id %R is ambiguous: %u logs are loaded; write it as "
                            "FILE:N, e.g. '0:%S'",
                            arg, (unsigned)in.n_files, arg);
    return PyErr_Format(PyExc_ValueError, "argtrace: %R is not a call id (N%s)", arg,
                        in.n_files > 1 ? ", or FILE:N with several logs" : "");
}

/* A list of ints from n call ids. */
static PyObject *ids_list(const uint32_t *ids, uint64_t n) {
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (uint64_t i = 0; l != NULL && i < n; i++) {
        PyObject *v = U64(ids[i]);
        if (v == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, (Py_ssize_t)i, v);
    }
    return l;
}

/* children(id) -> [call ids in start order] */
static PyObject *ix_children(pyindex *self, PyObject *arg) {
    uint32_t call, n = 0, small[64];
    atr_call_view cv;
    if (ready(self) < 0 || get_call(self->ix, arg, &call, &cv) < 0)
        return NULL;
    atr_call_children(self->ix, call, small, 64, &n);
    uint32_t *ids = small;
    if (n > 64) {
        ids = malloc((size_t)n * sizeof *ids);
        if (ids == NULL)
            return PyErr_NoMemory();
        atr_call_children(self->ix, call, ids, n, &n);
    }
    PyObject *l = ids_list(ids, n);
    if (ids != small)
        free(ids);
    return l;
}

/*
 * The calls of fn (a Python int or None) matching filters (a list of str or None) in `sort`
 * order into *out. With a function, a filter naming an argument it does not have raises
 * ValueError.
 */
static int run_query(pyindex *self, PyObject *fo, PyObject *fl, int sort, unsigned long long offset,
                     unsigned long long limit, atr_callset **out) {
    atr_query q;
    atr_query_init(&q);
    if (ready(self) < 0 || get_fn(self->ix, fo, &q.function) < 0)
        return -1;
    atr_filter *f = NULL;
    if (make_filter(fl, &f) < 0)
        return -1;
    char err[256] = "";
    if (f != NULL && q.function != ATR_ALL_FUNCTIONS &&
        atr_filter_check(f, self->ix, q.function, err, sizeof err) < 0) {
        atr_filter_free(f);
        PyErr_Format(PyExc_ValueError, "argtrace: %s", err);
        return -1;
    }
    q.filter = f;
    q.sort = sort;
    q.offset = offset;
    q.limit = limit;
    int rc = atr_query_run(self->ix, &q, out);
    atr_filter_free(f);
    if (rc < 0) {
        if (rc == ATR_ENOMEM)
            PyErr_NoMemory();
        else
            PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_strerror(rc));
        return -1;
    }
    return 0;
}

/* query(fn|None, filters|None, sort=0, offset=0, limit=0) -> [call ids] */
static PyObject *ix_query(pyindex *self, PyObject *args) {
    PyObject *fo = Py_None, *fl = Py_None;
    int sort = ATR_SORT_START;
    unsigned long long offset = 0, limit = 0;
    atr_callset *cs = NULL;
    if (!PyArg_ParseTuple(args, "|OOiKK", &fo, &fl, &sort, &offset, &limit) ||
        run_query(self, fo, fl, sort, offset, limit, &cs) < 0)
        return NULL;
    uint64_t n = atr_callset_count(cs);
    PyObject *l = ids_list(atr_callset_ids(cs), n);
    atr_callset_free(cs);
    return l;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/*
 * table(fn|None, filters|None, convert) -> the columns of the calls (calls_wrap.h): every
 * call, or fn's, in call id order (log order); with filters the matching ones in start
 * order.
 */
static PyObject *ix_table(pyindex *self, PyObject *args) {
    PyObject *fo, *fl, *convert;
    atr_callset *cs = NULL;
    if (!PyArg_ParseTuple(args, "OOO", &fo, &fl, &convert) || ready(self) < 0)
        return NULL;
    if (fo == Py_None && fl == Py_None) {
        atr_index_info in;
        atr_index_get_info(self->ix, &in);
        return atr__py_table(self->ix, NULL, in.n_calls, convert);
    }
    if (run_query(self, fo, fl, ATR_SORT_START, 0, 0, &cs) < 0)
        return NULL;
    uint64_t n = atr_callset_count(cs);
    uint32_t *ids = malloc((size_t)n * sizeof *ids + 1);
    if (ids == NULL) {
        atr_callset_free(cs);
        return PyErr_NoMemory();
    }
    if (n)
        memcpy(ids, atr_callset_ids(cs), (size_t)n * sizeof *ids);
    atr_callset_free(cs);
    if (fl == Py_None)
        qsort(ids, (size_t)n, sizeof *ids, cmp_u32);
    PyObject *r = atr__py_table(self->ix, ids, n, convert);
    free(ids);
    return r;
}

/* fn_calls(fn) -> [call ids of fn, in call id order (log order)] */
static PyObject *ix_fn_calls(pyindex *self, PyObject *fo) {
    atr_callset *cs = NULL;
    if (run_query(self, fo, Py_None, ATR_SORT_START, 0, 0, &cs) < 0)
        return NULL;
    uint64_t n = atr_callset_count(cs);
    uint32_t *ids = malloc((size_t)n * sizeof *ids + 1);
    PyObject *l = NULL;
    if (ids == NULL) {
        PyErr_NoMemory();
    } else {
        if (n)
            memcpy(ids, atr_callset_ids(cs), (size_t)n * sizeof *ids);
        qsort(ids, (size_t)n, sizeof *ids, cmp_u32);
        l = ids_list(ids, n);
    }
    free(ids);
    atr_callset_free(cs);
    return l;
}

/* One id argument -> f(ix, id): row, args, message, thread. */
#define ID_METHOD(name, what, fn)                          \
    static PyObject *name(pyindex *self, PyObject *arg) {  \
        uint32_t id;                                       \
        if (ready(self) < 0 || get_id(arg, what, &id) < 0) \
            return NULL;                                   \
        return fn(self->ix, id);                           \
    }
ID_METHOD(ix_row, "call", atr__py_call_row)
ID_METHOD(ix_args, "call", atr__py_call_args)
ID_METHOD(ix_message, "message", atr__py_message)
ID_METHOD(ix_thread, "thread", atr__py_thread)

/* call_messages(id) -> [message ids logged in the call, in time order] */
static PyObject *ix_call_messages(pyindex *self, PyObject *arg) {
    uint32_t call, n = 0, small[16];
    atr_call_view cv;
    if (ready(self) < 0 || get_call(self->ix, arg, &call, &cv) < 0)
        return NULL;
    atr_call_messages(self->ix, call, small, 16, &n);
    uint32_t *ids = small;
    if (n > 16) {
        ids = malloc((size_t)n * sizeof *ids);
        if (ids == NULL)
            return PyErr_NoMemory();
        atr_call_messages(self->ix, call, ids, n, &n);
    }
    PyObject *l = ids_list(ids, n);
    if (ids != small)
        free(ids);
    return l;
}

/* column(name) -> one list over every call id (calls_wrap.h) */
static PyObject *ix_column(pyindex *self, PyObject *arg) {
    const char *name = PyUnicode_AsUTF8(arg);
    if (name == NULL || ready(self) < 0)
        return NULL;
    return atr__py_column(self->ix, name);
}

/* ---- which argument explains the duration (`argtrace slow`) ---- */

static PyObject *group_py(const atr_index *ix, const atr_arg_group *g) {
    PyObject *value = g->value != ATR_NO_VALUE ? vid_py(ix, g->value)
                                               : PyUnicode_FromString(g->label ? g->label : "");
    return Py_BuildValue("{sNsssssKsKsKsKsKsN}", "value", value, "label", g->label ? g->label : "",
                         "filter", g->filter ? g->filter : "", "calls",
                         (unsigned long long)g->calls, "p50_ns", (unsigned long long)g->p50_ns,
                         "p95_ns", (unsigned long long)g->p95_ns, "max_ns",
                         (unsigned long long)g->max_ns, "total_ns", (unsigned long long)g->total_ns,
                         "slowest_call", opt_id(g->slowest_call));
}

static PyObject *arg_py(const atr_index *ix, const atr_argscore *s, uint32_t i,
                        const atr_arg_score *as) {
    PyObject *groups = PyList_New(0);
    for (uint32_t g = 0; groups != NULL && g < as->n_groups; g++) {
        atr_arg_group grp;
        if (atr_argscore_group(s, i, g, &grp) < 0)
            continue;
        PyObject *d = group_py(ix, &grp);
        if (d == NULL || PyList_Append(groups, d) < 0)
            Py_CLEAR(groups);
        Py_XDECREF(d);
    }
    if (groups == NULL)
        return NULL;
    return Py_BuildValue("{sNsdsdsIsKsKsN}", "name", atr__str_py(as->name), "score", as->score,
                         "score_trend", as->score_trend, "mode", as->mode, "n_distinct",
                         (unsigned long long)as->n_distinct, "n_captured",
                         (unsigned long long)as->n_captured, "groups", groups);
}

/* {function, calls, arguments} of a result; steals nothing. */
static PyObject *slow_py(const atr_index *ix, PyObject *fname, const atr_argscore *s) {
    PyObject *list = PyList_New(0);
    for (uint32_t i = 0; list && i < atr_argscore_count(s); i++) {
        atr_arg_score as;
        if (atr_argscore_arg(s, i, &as) < 0)
            continue;
        PyObject *d = arg_py(ix, s, i, &as);
        if (!d || PyList_Append(list, d) < 0)
            Py_CLEAR(list);
        Py_XDECREF(d);
    }
    if (!list)
        return NULL;
    return Py_BuildValue("{sOsKsN}", "function", fname, "calls",
                         (unsigned long long)atr_argscore_calls(s), "arguments", list);
}

/* The names of fn's arguments joined by ", " ("none"), for error messages. */
static PyObject *arg_names(const atr_index *ix, uint32_t fn) {
    atr_argscore *s = NULL;
    PyObject *names = PyList_New(0), *r = NULL;
    if (names && atr_argscore_compute(ix, fn, NULL, 0, &s) == 0) {
        for (uint32_t i = 0; names && i < atr_argscore_count(s); i++) {
            atr_arg_score as;
            PyObject *name = atr_argscore_arg(s, i, &as) == 0 ? atr__str_py(as.name) : NULL;
            if (!name || PyList_Append(names, name) < 0)
                Py_CLEAR(names);
            Py_XDECREF(name);
        }
    }
    atr_argscore_free(s);
    if (names && PyList_GET_SIZE(names) == 0)
        r = PyUnicode_FromString("none");
    else if (names) {
        PyObject *sep = PyUnicode_FromString(", ");
        r = sep ? PyUnicode_Join(sep, names) : NULL;
        Py_XDECREF(sep);
    }
    Py_XDECREF(names);
    return r;
}

/* The keys of `by` (a str or a list of str) as UTF-8 pointers into the objects; -1 on error. */
static int by_keys(PyObject *by, PyObject **seq, const char ***keys, Py_ssize_t *n) {
    *keys = NULL;
    *seq = PyUnicode_Check(by) ? PyTuple_Pack(1, by)
                               : PySequence_Fast(by, "argtrace: by must be a str, a list of "
                                                     "str or a function of the call");
    if (!*seq)
        return -1;
    *n = PySequence_Fast_GET_SIZE(*seq);
    *keys = PyMem_Calloc((size_t)(*n ? *n : 1), sizeof(char *));
    if (!*keys) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *k = PySequence_Fast_GET_ITEM(*seq, i);
        if (!PyUnicode_Check(k)) {
            PyErr_Format(PyExc_TypeError, "argtrace: a key must be a str like 'len(sql)', not %R",
                         k);
            return -1;
        }
        if (!((*keys)[i] = PyUnicode_AsUTF8(k)))
            return -1;
    }
    return 0;
}

/*
 * slow(fn, filters|None, by|None, with_result=False) -> {function, calls, arguments}; by: a
 * key or a list of keys (atr_argscore_compute_keys: "n", "len(sql)", "a,b").
 */
static PyObject *ix_slow(pyindex *self, PyObject *args) {
    PyObject *fo, *fl = Py_None, *by = Py_None, *seq = NULL, *r = NULL;
    int with_result = 0;
    uint32_t fn;
    atr_filter *f = NULL;
    atr_argscore *s = NULL;
    const char **keys = NULL;
    Py_ssize_t nk = 0;
    char err[300] = "";
    if (!PyArg_ParseTuple(args, "O|OOp", &fo, &fl, &by, &with_result) || ready(self) < 0 ||
        get_fn(self->ix, fo, &fn) < 0)
        return NULL;
    if (fn == ATR_ALL_FUNCTIONS)
        return PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_strerror(ATR_EINVAL));
    if (make_filter(fl, &f) < 0 || (by != Py_None && by_keys(by, &seq, &keys, &nk) < 0))
        goto out;
    int rc =
        by == Py_None
            ? atr_argscore_compute(self->ix, fn, f, with_result ? ATR_ARGSCORE_RESULT : 0, &s)
            : atr_argscore_compute_keys(self->ix, fn, f, keys, (uint32_t)nk, &s, err, sizeof err);
    if (rc == ATR_ENOTFOUND) {
        PyObject *names = arg_names(self->ix, fn);
        if (names)
            PyErr_Format(PyExc_ValueError, "argtrace: %s (arguments: %U)", err, names);
        Py_XDECREF(names);
    } else if (rc == ATR_ESYNTAX) {
        PyErr_Format(PyExc_ValueError, "argtrace: %s", err);
    } else if (rc < 0) {
        if (rc == ATR_ENOMEM)
            PyErr_NoMemory();
        else
            PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_strerror(rc));
    } else {
        PyObject *name = fn_name(self->ix, fn);
        r = name ? slow_py(self->ix, name, s) : NULL;
        Py_XDECREF(name);
    }
out:
    atr_filter_free(f);
    atr_argscore_free(s);
    PyMem_Free(keys);
    Py_XDECREF(seq);
    return r;
}

/*
 * slow_custom(function_name, name, calls, tokens, numbers|None, labels) -> {function, calls,
 * arguments}: a key the caller computed per call (argtrace.load().slow(by=callable)).
 * calls: index call ids; tokens: per call an index into labels or None (no key); numbers:
 * per call a float (nan: none) or None for a key that is not numeric.
 */
static PyObject *ix_slow_custom(pyindex *self, PyObject *args) {
    PyObject *fname, *pcalls, *ptok, *pnum, *plab, *r = NULL;
    const char *name;
    if (!PyArg_ParseTuple(args, "UsO!O!OO!", &fname, &name, &PyList_Type, &pcalls, &PyList_Type,
                          &ptok, &pnum, &PyList_Type, &plab) ||
        ready(self) < 0)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(pcalls), nl = PyList_GET_SIZE(plab);
    if (PyList_GET_SIZE(ptok) != n ||
        (pnum != Py_None && (!PyList_Check(pnum) || PyList_GET_SIZE(pnum) != n)))
        return PyErr_Format(PyExc_ValueError, "argtrace: slow_custom: lists of unequal length");
    uint32_t *calls = PyMem_Calloc((size_t)(n ? n : 1), sizeof(uint32_t));
    uint32_t *tok = PyMem_Calloc((size_t)(n ? n : 1), sizeof(uint32_t));
    double *num = pnum != Py_None ? PyMem_Calloc((size_t)(n ? n : 1), sizeof(double)) : NULL;
    const char **labels = PyMem_Calloc((size_t)(nl ? nl : 1), sizeof(char *));
    atr_argscore *s = NULL;
    if (!calls || !tok || (pnum != Py_None && !num) || !labels) {
        PyErr_NoMemory();
        goto out;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(ptok, i);
        unsigned long c = PyLong_AsUnsignedLong(PyList_GET_ITEM(pcalls, i));
        unsigned long k = t == Py_None ? 0 : PyLong_AsUnsignedLong(t);
        if (PyErr_Occurred())
            goto out;
        calls[i] = (uint32_t)c;
        tok[i] = t == Py_None ? ATR_NO_VALUE : (uint32_t)k;
        if (num && ((num[i] = PyFloat_AsDouble(PyList_GET_ITEM(pnum, i))) == -1.0) &&
            PyErr_Occurred())
            goto out;
    }
    for (Py_ssize_t i = 0; i < nl; i++) {
        PyObject *l = PyList_GET_ITEM(plab, i);
        if (!PyUnicode_Check(l) || !(labels[i] = PyUnicode_AsUTF8(l))) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "argtrace: slow_custom: labels must be str");
            goto out;
        }
    }
    int rc = atr_argscore_compute_custom(self->ix, name, calls, (uint64_t)n, tok, num, labels,
                                         (uint32_t)nl, &s);
    if (rc < 0) {
        if (rc == ATR_ENOMEM)
            PyErr_NoMemory();
        else
            PyErr_Format(PyExc_ValueError, "argtrace: %s", atr_strerror(rc));
    } else {
        r = slow_py(self->ix, fname, s);
    }
out:
    atr_argscore_free(s);
    PyMem_Free(calls);
    PyMem_Free(tok);
    PyMem_Free(num);
    PyMem_Free(labels);
    return r;
}

/* why(call id) -> {call, extra_ns, baseline, children, self, arguments} (why_wrap.h) */
static PyObject *ix_why(pyindex *self, PyObject *arg) {
    uint32_t call;
    atr_call_view cv;
    if (ready(self) < 0 || get_call(self->ix, arg, &call, &cv) < 0)
        return NULL;
    return atr__py_why(self->ix, call);
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

static PyMethodDef ix_methods[] = {
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
    {"call", (PyCFunction)ix_call, METH_O,
     "call(id) -> (function, thread, file, parent, start_ns, duration_ns, self_ns, status, "
     "result, exc_type, args)"},
    {"column", (PyCFunction)ix_column, METH_O, "column(name) -> [value of every call]"},
    {"call_ids", (PyCFunction)ix_call_ids, METH_NOARGS,
     "call_ids() -> [printed id of every call]: int (one log) or 'FILE:N' (several)"},
    {"find_call", (PyCFunction)ix_find_call, METH_O,
     "find_call(printed id) -> call id | None (ValueError: not an id, or ambiguous)"},
    {"children", (PyCFunction)ix_children, METH_O, "children(id) -> [ids in start order]"},
    {"query", (PyCFunction)ix_query, METH_VARARGS,
     "query(fn=None, filters=None, sort=0, offset=0, limit=0) -> [call ids]"},
    {"slow", (PyCFunction)ix_slow, METH_VARARGS,
     "slow(fn, filters=None, by=None, with_result=False) -> {function, calls, arguments}; "
     "by: a key or list of keys ('n', 'len(sql)', 'type(x)', 'rows.items', 'a,b')"},
    {"slow_custom", (PyCFunction)ix_slow_custom, METH_VARARGS,
     "slow_custom(function_name, name, calls, tokens, numbers|None, labels) -> {function, "
     "calls, arguments}: a key computed per call by the caller"},
    {"diff", (PyCFunction)ix_diff, METH_VARARGS,
     "diff(n_base, function=None, filters=None, min_calls=10, alpha=0.01) -> [function dicts]"},
    {"row", (PyCFunction)ix_row, METH_O,
     "row(id) -> (function, thread number, file, parent, start_ns, duration_ns, status, "
     "result, exc_type, span, active_ns, charged_ns, self_ns)"},
    {"args", (PyCFunction)ix_args, METH_O, "args(id) -> ({argument: value}, {field: value})"},
    {"message", (PyCFunction)ix_message, METH_O,
     "message(id) -> (call, thread number, time_ns, text, fields)"},
    {"thread", (PyCFunction)ix_thread, METH_O, "thread(id) -> (file, number, os_tid, name)"},
    {"call_messages", (PyCFunction)ix_call_messages, METH_O,
     "call_messages(id) -> [message ids in time order]"},
    {"fn_calls", (PyCFunction)ix_fn_calls, METH_O, "fn_calls(fn) -> [call ids, log order]"},
    {"table", (PyCFunction)ix_table, METH_VARARGS,
     "table(fn, filters, convert) -> {column: bytes of int64 | list} (calls_wrap.h)"},
    {"why", (PyCFunction)ix_why, METH_O,
     "why(id) -> {call, extra_ns, baseline, children, self, arguments}"},
    {NULL, NULL, 0, NULL}};

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
    if (atr__views_init_types(m) < 0 || PyType_Ready(&Index_Type) < 0)
        return -1;
    Py_INCREF(&Index_Type);
    if (PyModule_AddObject(m, "Index", (PyObject *)&Index_Type) < 0) {
        Py_DECREF(&Index_Type);
        return -1;
    }
    return 0;
}
