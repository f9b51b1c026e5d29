/*
 * index_calls.c — _core.Index methods about calls: one call, printed ids, children, queries,
 * columns and tables, rows, arguments, messages and threads (calls_wrap.h converts).
 */
#include "index_wrap.h"

#include "calls_wrap.h"
#include "pyvalue.h"

#include <stdlib.h>
#include <string.h>

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

/* adopted(id) -> [(call id, ns)]: the other calls' generator or task steps it ran
   (atr_call_adopted), one entry per call, by call id. */
static PyObject *ix_adopted(pyindex *self, PyObject *arg) {
    uint32_t call, n = 0;
    atr_call_view cv;
    if (ready(self) < 0 || get_call(self->ix, arg, &call, &cv) < 0)
        return NULL;
    if (atr_call_adopted(self->ix, call, NULL, NULL, 0, &n) < 0 || n == 0)
        return PyList_New(0);
    uint32_t *ids = malloc((size_t)n * sizeof *ids);
    uint64_t *ns = malloc((size_t)n * sizeof *ns);
    PyObject *l = NULL;
    if (ids == NULL || ns == NULL) {
        PyErr_NoMemory();
    } else if (atr_call_adopted(self->ix, call, ids, ns, n, &n) == 0 &&
               (l = PyList_New((Py_ssize_t)n)) != NULL) {
        for (uint32_t i = 0; i < n; i++) {
            PyObject *t =
                Py_BuildValue("(KK)", (unsigned long long)ids[i], (unsigned long long)ns[i]);
            if (t == NULL) {
                Py_CLEAR(l);
                break;
            }
            PyList_SET_ITEM(l, (Py_ssize_t)i, t);
        }
    } else if (!PyErr_Occurred()) {
        l = PyList_New(0);
    }
    free(ids);
    free(ns);
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
        return atr__py_table(self->ix, NULL, in.n_calls, convert, 0);
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
    PyObject *r = atr__py_table(self->ix, ids, n, convert, 0);
    free(ids);
    return r;
}

/*
 * selection(fn|None, filters|None) -> bytes: the call ids table() would list (native
 * uint32, in its order), 4 bytes per call, for tables built a slice at a time.
 */
static PyObject *ix_selection(pyindex *self, PyObject *args) {
    PyObject *fo, *fl;
    atr_callset *cs = NULL;
    if (!PyArg_ParseTuple(args, "OO", &fo, &fl) || ready(self) < 0)
        return NULL;
    if (fo == Py_None && fl == Py_None) {
        atr_index_info in;
        atr_index_get_info(self->ix, &in);
        PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(in.n_calls * 4));
        uint32_t *ids = b ? (uint32_t *)PyBytes_AS_STRING(b) : NULL;
        for (uint64_t i = 0; ids && i < in.n_calls; i++)
            ids[i] = (uint32_t)i;
        return b;
    }
    if (run_query(self, fo, fl, ATR_SORT_START, 0, 0, &cs) < 0)
        return NULL;
    uint64_t n = atr_callset_count(cs);
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * 4));
    if (b != NULL && n) {
        memcpy(PyBytes_AS_STRING(b), atr_callset_ids(cs), (size_t)n * 4);
        if (fl == Py_None)
            qsort(PyBytes_AS_STRING(b), (size_t)n, 4, cmp_u32);
    }
    atr_callset_free(cs);
    return b;
}

/* table_rows(ids, convert) -> table()'s columns (with the extra ones: calls_wrap.h) of the
   calls whose ids a buffer of native uint32 holds (a slice of selection()). */
static PyObject *ix_table_rows(pyindex *self, PyObject *args) {
    Py_buffer ids;
    PyObject *convert;
    if (!PyArg_ParseTuple(args, "y*O", &ids, &convert))
        return NULL;
    PyObject *r = NULL;
    atr_index_info in;
    if (ready(self) == 0) {
        atr_index_get_info(self->ix, &in);
        const uint32_t *p = ids.buf;
        uint64_t n = (uint64_t)ids.len / 4;
        int bad = ids.len % 4 != 0;
        for (uint64_t i = 0; i < n && !bad; i++)
            bad = p[i] >= in.n_calls;
        if (bad)
            PyErr_SetString(PyExc_ValueError, "argtrace: table_rows: not call ids of this index");
        else
            r = atr__py_table(self->ix, p, n, convert, 1);
    }
    PyBuffer_Release(&ids);
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

PyMethodDef atr__ix_calls_methods[] = {
    {"call", (PyCFunction)ix_call, METH_O,
     "call(id) -> (function, thread, file, parent, start_ns, duration_ns, self_ns, status, "
     "result, exc_type, args)"},
    {"column", (PyCFunction)ix_column, METH_O, "column(name) -> [value of every call]"},
    {"call_ids", (PyCFunction)ix_call_ids, METH_NOARGS,
     "call_ids() -> [printed id of every call]: int (one log) or 'FILE:N' (several)"},
    {"find_call", (PyCFunction)ix_find_call, METH_O,
     "find_call(printed id) -> call id | None (ValueError: not an id, or ambiguous)"},
    {"children", (PyCFunction)ix_children, METH_O, "children(id) -> [ids in start order]"},
    {"adopted", (PyCFunction)ix_adopted, METH_O,
     "adopted(id) -> [(call id, ns)]: the other calls' generator or task steps it ran"},
    {"query", (PyCFunction)ix_query, METH_VARARGS,
     "query(fn=None, filters=None, sort=0, offset=0, limit=0) -> [call ids]"},
    {"row", (PyCFunction)ix_row, METH_O,
     "row(id) -> (function, thread number, file, parent, start_ns, duration_ns, status, "
     "result, exc_type, span, active_ns, charged_ns, self_ns, adopted_ns)"},
    {"args", (PyCFunction)ix_args, METH_O, "args(id) -> ({argument: value}, {field: value})"},
    {"message", (PyCFunction)ix_message, METH_O,
     "message(id) -> (call, thread number, time_ns, text, fields)"},
    {"thread", (PyCFunction)ix_thread, METH_O, "thread(id) -> (file, number, os_tid, name)"},
    {"call_messages", (PyCFunction)ix_call_messages, METH_O,
     "call_messages(id) -> [message ids in time order]"},
    {"fn_calls", (PyCFunction)ix_fn_calls, METH_O, "fn_calls(fn) -> [call ids, log order]"},
    {"selection", (PyCFunction)ix_selection, METH_VARARGS,
     "selection(fn|None, filters|None) -> bytes: table()'s call ids (uint32)."},
    {"table_rows", (PyCFunction)ix_table_rows, METH_VARARGS,
     "table_rows(ids, convert) -> the columns of these calls, with parent, file, result."},
    {"table", (PyCFunction)ix_table, METH_VARARGS,
     "table(fn, filters, convert) -> {column: bytes of int64 | list} (calls_wrap.h)"},
    {NULL, NULL, 0, NULL}};
