/*
 * calls_wrap.c — what argtrace.load() reads from the analysis index to make its lazy Call
 * and Message views and its tables (Log.to_pandas / to_arrow): one call's scalars, its
 * arguments, a message, a thread, and whole columns built here without a Python object per
 * call. Values come as read_records gives them (pyvalue.c: scalars, or tagged tuples that
 * argtrace._values.convert turns into Python objects); the binding never decodes msgpack.
 */
#include "calls_wrap.h"

#include "pyvalue.h"

#include <stdlib.h>
#include <string.h>

#define U64(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))

PyObject *atr__py_opt_id(uint32_t id) { return id == UINT32_MAX ? Py_NewRef(Py_None) : U64(id); }
#define opt_id atr__py_opt_id

PyObject *atr__py_vid(const atr_index *ix, uint32_t vid) {
    atr_value v;
    if (vid == ATR_NO_VALUE || atr_index_value(ix, vid, &v) < 0)
        Py_RETURN_NONE;
    return atr__value_py(&v);
}

int atr__py_put(PyObject *d, const char *key, PyObject *v) {
    if (v == NULL)
        return -1;
    int rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc != 0;
}

PyObject *atr__py_fn_name(const atr_index *ix, uint32_t fn) {
    char small[256];
    size_t len = atr_function_name(ix, fn, small, sizeof small);
    if (len < sizeof small)
        return PyUnicode_DecodeUTF8(small, (Py_ssize_t)len, "replace");
    char *big = malloc(len + 1);
    if (big == NULL)
        return PyErr_NoMemory();
    atr_function_name(ix, fn, big, len + 1);
    PyObject *r = PyUnicode_DecodeUTF8(big, (Py_ssize_t)len, "replace");
    free(big);
    return r;
}

/* The thread number a log gives a global thread id (0 if unknown). */
static uint32_t thread_number(const atr_index *ix, uint32_t thread) {
    atr_thread_view tv;
    return atr_index_thread(ix, thread, &tv) == 0 ? tv.number : 0;
}

PyObject *atr__py_call_row(const atr_index *ix, uint32_t call) {
    atr_call_view cv;
    if (atr_index_call(ix, call, &cv) < 0)
        return PyErr_Format(PyExc_ValueError, "argtrace: no call %u in the index", call);
    PyObject *exc = cv.status == ATR_CALL_RAISED ? atr__str_py(cv.exc_type) : Py_NewRef(Py_None);
    return Py_BuildValue("(IIINKKINNKKKKK)", cv.function, thread_number(ix, cv.thread), cv.file,
                         opt_id(cv.parent), (unsigned long long)cv.start_ns,
                         (unsigned long long)cv.duration_ns, cv.status, atr__py_vid(ix, cv.result),
                         exc, (unsigned long long)atr_call_span(ix, call),
                         (unsigned long long)cv.active_ns, (unsigned long long)cv.charged_ns,
                         (unsigned long long)cv.self_ns, (unsigned long long)cv.adopted_ns);
}

/*
 * The name argument i of function fv has in Call.args: a declared parameter without its
 * leading '*'s, a START field as it is; NULL (no error) for a `**kwargs` parameter, whose
 * entries are the call's fields.
 */
static PyObject *arg_name(const atr_function_view *fv, uint32_t i) {
    atr_str s = fv->params[i];
    if (i < fv->n_declared) {
        if (s.len >= 2 && s.ptr[0] == '*' && s.ptr[1] == '*')
            return NULL;
        while (s.len && s.ptr[0] == '*') {
            s.ptr++;
            s.len--;
        }
    }
    return atr__str_py(s);
}

PyObject *atr__py_call_args(const atr_index *ix, uint32_t call) {
    atr_call_view cv;
    atr_function_view fv;
    if (atr_index_call(ix, call, &cv) < 0 || atr_index_function(ix, cv.function, &fv) < 0)
        return PyErr_Format(PyExc_ValueError, "argtrace: no call %u in the index", call);
    PyObject *args = PyDict_New(), *fields = PyDict_New();
    for (uint32_t i = 0; args && fields && i < cv.n_args && i < fv.n_params; i++) {
        uint32_t vid = atr_call_arg(ix, call, i);
        if (vid == ATR_NO_VALUE)
            continue;
        PyObject *k = arg_name(&fv, i);
        if (k == NULL && !PyErr_Occurred())
            continue;
        PyObject *v = k ? atr__py_vid(ix, vid) : NULL;
        if (v == NULL || PyDict_SetItem(args, k, v) < 0 ||
            (i >= fv.n_declared && PyDict_SetItem(fields, k, v) < 0))
            Py_CLEAR(args);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    if (args == NULL || fields == NULL) {
        Py_XDECREF(args);
        Py_XDECREF(fields);
        return NULL;
    }
    return Py_BuildValue("(NN)", args, fields);
}

PyObject *atr__py_message(const atr_index *ix, uint32_t msg) {
    atr_message_view mv;
    if (atr_index_message(ix, msg, &mv) < 0)
        return PyErr_Format(PyExc_ValueError, "argtrace: no message %u in the index", msg);
    PyObject *fields = PyDict_New();
    for (uint32_t i = 0; fields && i < mv.n_fields; i++) {
        atr_str name;
        uint32_t vid;
        if (atr_message_field(ix, msg, i, &name, &vid) < 0)
            continue;
        PyObject *k = atr__str_py(name), *v = k ? atr__py_vid(ix, vid) : NULL;
        if (v == NULL || PyDict_SetItem(fields, k, v) < 0)
            Py_CLEAR(fields);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    if (fields == NULL)
        return NULL;
    return Py_BuildValue("(NIKNN)", opt_id(mv.call), thread_number(ix, mv.thread),
                         (unsigned long long)mv.time_ns, atr__str_py(mv.text), fields);
}

PyObject *atr__py_thread(const atr_index *ix, uint32_t thread) {
    atr_thread_view tv;
    if (atr_index_thread(ix, thread, &tv) < 0)
        return PyErr_Format(PyExc_ValueError, "argtrace: no thread %u in the index", thread);
    return Py_BuildValue("(IIKN)", tv.file, tv.number, (unsigned long long)tv.os_tid,
                         atr__str_py(tv.name));
}

PyObject *atr__py_column(const atr_index *ix, const char *name) {
    static const char *const names[] = {"function",  "thread",      "file",    "parent",
                                        "start_ns",  "duration_ns", "self_ns", "status",
                                        "active_ns", "charged_ns"};
    int col = -1;
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); k++)
        if (strcmp(name, names[k]) == 0)
            col = k;
    if (col < 0)
        return PyErr_Format(PyExc_ValueError, "argtrace: no call column '%s'", name);
    atr_index_info in;
    atr_index_get_info(ix, &in);
    PyObject *l = PyList_New((Py_ssize_t)in.n_calls);
    for (uint64_t i = 0; l != NULL && i < in.n_calls; i++) {
        atr_call_view cv;
        PyObject *v = NULL;
        if (atr_index_call(ix, (uint32_t)i, &cv) == 0) {
            const uint64_t nums[] = {cv.function,  cv.thread,      cv.file,    cv.parent,
                                     cv.start_ns,  cv.duration_ns, cv.self_ns, cv.status,
                                     cv.active_ns, cv.charged_ns};
            v = col == 3 ? opt_id(cv.parent) : U64(nums[col]);
        } else {
            v = Py_NewRef(Py_None);
        }
        if (v == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, (Py_ssize_t)i, v);
    }
    return l;
}

/* ---- tables ---- */

/* What a table build caches: one Python object per function name, exception type, value. */
typedef struct tbl {
    const atr_index *ix;
    PyObject *convert;   /* borrowed: _values.convert, for tagged tuples */
    PyObject **fn_names; /* owned, per function id (NULL: not made yet) */
    int32_t **fn_cols;   /* per function: argument i -> column (-1: none), NULL: not made */
    PyObject **vals;     /* owned, per stored value id (not the inline small ints) */
    uint32_t n_fns, n_vals;
    PyObject *excs;     /* owned: {exception type: the same str} */
    PyObject *col_of;   /* owned: {argument name: column number} */
    PyObject *arg_cols; /* owned: list of column lists, filled with None first */
    uint64_t n;
    uint64_t *n_set, *n_int; /* per column: rows with a value, of which ints (not bool) */
    uint32_t cap_cols;
    uint64_t n_raised;
    PyObject *parent, *file, *result, *message; /* owned: the extra columns, or NULL */
} tbl;

/* A new reference to the Python form of value vid (cached per stored value). */
static PyObject *tbl_value(tbl *t, uint32_t vid) {
    int cached = vid < t->n_vals;
    if (cached && t->vals[vid])
        return Py_NewRef(t->vals[vid]);
    PyObject *v = atr__py_vid(t->ix, vid);
    if (v && PyTuple_Check(v))
        Py_SETREF(v, PyObject_CallOneArg(t->convert, v));
    if (v && cached)
        t->vals[vid] = Py_NewRef(v);
    return v;
}

/* The column list of argument name k (a new column, all None, when new). */
static int tbl_column(tbl *t, PyObject *k) {
    PyObject *have = PyDict_GetItemWithError(t->col_of, k);
    if (have)
        return (int)PyLong_AsLong(have);
    if (PyErr_Occurred())
        return -2;
    PyObject *col = PyList_New((Py_ssize_t)t->n);
    if (col == NULL)
        return -2;
    for (uint64_t i = 0; i < t->n; i++)
        PyList_SET_ITEM(col, (Py_ssize_t)i, Py_NewRef(Py_None));
    Py_ssize_t c = PyList_GET_SIZE(t->arg_cols);
    if ((uint32_t)c >= t->cap_cols) {
        uint32_t cap = t->cap_cols ? 2 * t->cap_cols : 16;
        uint64_t *a = realloc(t->n_set, cap * sizeof *a),
                 *b = a ? realloc(t->n_int, cap * sizeof *b) : NULL;
        if (a)
            t->n_set = a;
        if (b == NULL) {
            Py_DECREF(col);
            PyErr_NoMemory();
            return -2;
        }
        t->n_int = b;
        t->cap_cols = cap;
    }
    t->n_set[c] = t->n_int[c] = 0;
    PyObject *num = PyLong_FromSsize_t(c);
    int bad =
        num == NULL || PyList_Append(t->arg_cols, col) < 0 || PyDict_SetItem(t->col_of, k, num) < 0;
    Py_XDECREF(num);
    Py_DECREF(col);
    return bad ? -2 : (int)c;
}

/* Function fn's argument -> column map, made on first use. NULL with an exception. */
static int32_t *tbl_fn_cols(tbl *t, uint32_t fn) {
    if (t->fn_cols[fn])
        return t->fn_cols[fn];
    atr_function_view fv;
    if (atr_index_function(t->ix, fn, &fv) < 0) {
        PyErr_SetString(PyExc_ValueError, "argtrace: bad function id in the index");
        return NULL;
    }
    int32_t *cols = malloc(((size_t)fv.n_params + 1) * sizeof *cols);
    if (cols == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (uint32_t i = 0; i < fv.n_params; i++) {
        PyObject *k = arg_name(&fv, i);
        int c = k ? tbl_column(t, k) : (PyErr_Occurred() ? -2 : -1);
        Py_XDECREF(k);
        if (c == -2) {
            free(cols);
            return NULL;
        }
        cols[i] = c;
    }
    return t->fn_cols[fn] = cols;
}

static int tbl_args(tbl *t, uint64_t row, uint32_t call, const atr_call_view *cv) {
    int32_t *cols = tbl_fn_cols(t, cv->function);
    if (cols == NULL)
        return -1;
    for (uint32_t i = 0; i < cv->n_args; i++) {
        uint32_t vid = atr_call_arg(t->ix, call, i);
        if (vid == ATR_NO_VALUE || cols[i] < 0)
            continue;
        PyObject *v = tbl_value(t, vid);
        if (v == NULL)
            return -1;
        t->n_set[cols[i]]++;
        t->n_int[cols[i]] += PyLong_CheckExact(v);
        PyObject *col = PyList_GET_ITEM(t->arg_cols, cols[i]);
        PyObject *old = PyList_GET_ITEM(col, (Py_ssize_t)row);
        PyList_SET_ITEM(col, (Py_ssize_t)row, v);
        Py_DECREF(old);
    }
    return 0;
}

static void tbl_free(tbl *t) {
    for (uint32_t i = 0; t->fn_names && i < t->n_fns; i++)
        Py_XDECREF(t->fn_names[i]);
    for (uint32_t i = 0; t->fn_cols && i < t->n_fns; i++)
        free(t->fn_cols[i]);
    for (uint32_t i = 0; t->vals && i < t->n_vals; i++)
        Py_XDECREF(t->vals[i]);
    free(t->fn_names);
    free(t->fn_cols);
    free(t->vals);
    free(t->n_set);
    free(t->n_int);
    Py_XDECREF(t->excs);
    Py_XDECREF(t->col_of);
    Py_XDECREF(t->arg_cols);
    Py_XDECREF(t->parent);
    Py_XDECREF(t->file);
    Py_XDECREF(t->result);
    Py_XDECREF(t->message);
}

/* The printed id of call c (an int; "F:N" with several logs), or None for ATR_NO_CALL. */
static PyObject *printed_id(const atr_index *ix, uint32_t c, uint32_t n_files) {
    if (c == ATR_NO_CALL || n_files <= 1)
        return opt_id(c);
    char buf[ATR_CALL_ID_SIZE];
    size_t len = atr_call_id_format(ix, c, buf, sizeof buf);
    return PyUnicode_FromStringAndSize(buf, (Py_ssize_t)len);
}

/* Row r of the extra columns: parent_id, file, result (RETURNED) and message (RAISED). */
static int tbl_extra(tbl *t, uint64_t r, const atr_call_view *cv, uint32_t n_files) {
    PyObject *parent = printed_id(t->ix, cv->parent, n_files), *file = U64(cv->file);
    PyObject *res = cv->status == ATR_CALL_RETURNED ? tbl_value(t, cv->result) : Py_NewRef(Py_None);
    PyObject *msg = cv->status == ATR_CALL_RAISED ? tbl_value(t, cv->result) : Py_NewRef(Py_None);
    if (!parent || !file || !res || !msg) {
        Py_XDECREF(parent);
        Py_XDECREF(file);
        Py_XDECREF(res);
        Py_XDECREF(msg);
        return -1;
    }
    PyList_SET_ITEM(t->parent, (Py_ssize_t)r, parent);
    PyList_SET_ITEM(t->file, (Py_ssize_t)r, file);
    PyList_SET_ITEM(t->result, (Py_ssize_t)r, res);
    PyList_SET_ITEM(t->message, (Py_ssize_t)r, msg);
    return 0;
}

static PyObject *tbl_fn_name(tbl *t, uint32_t fn) {
    if (t->fn_names[fn] == NULL && (t->fn_names[fn] = atr__py_fn_name(t->ix, fn)) == NULL)
        return NULL;
    return Py_NewRef(t->fn_names[fn]);
}

static PyObject *tbl_exc(tbl *t, atr_str s) {
    PyObject *k = atr__str_py(s);
    if (k == NULL)
        return NULL;
    PyObject *have = PyDict_SetDefault(t->excs, k, k);
    Py_XINCREF(have);
    Py_DECREF(k);
    return have;
}

/* int64 column: bytes (native int64) when every row has a value, else a list with None. */
typedef struct numcol {
    PyObject *out; /* owned: bytes or list */
    int64_t *data; /* into the bytes, or NULL for a list */
    int with_none; /* rows may be None */
} numcol;

static int numcol_new(numcol *c, uint64_t n, int with_none) {
    c->with_none = with_none;
    c->out = with_none ? PyList_New((Py_ssize_t)n)
                       : PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n * sizeof(int64_t)));
    c->data = c->out && !with_none ? (int64_t *)PyBytes_AS_STRING(c->out) : NULL;
    return c->out ? 0 : -1;
}

static int numcol_set(numcol *c, uint64_t row, uint64_t v, int none) {
    if (c->data) {
        c->data[row] = (int64_t)v;
        return 0;
    }
    PyObject *o = none ? Py_NewRef(Py_None) : U64(v);
    if (o == NULL)
        return -1;
    PyList_SET_ITEM(c->out, (Py_ssize_t)row, o);
    return 0;
}

static const char *const STATUS[] = {"return", "raise", "noresult", "unfinished"};

enum { C_ID, C_THREAD, C_START, C_DUR, C_ACTIVE, C_SELF, N_NUM };
static const char *const NUM_NAMES[N_NUM] = {"id",          "thread",    "start_ns",
                                             "duration_ns", "active_ns", "self_ns"};

static int tbl_rows(tbl *t, const uint32_t *ids, numcol *num, PyObject *fns, PyObject *status,
                    PyObject *exc, PyObject *const *st) {
    atr_index_info in;
    atr_index_get_info(t->ix, &in);
    for (uint64_t r = 0; r < t->n; r++) {
        uint32_t call = ids ? ids[r] : (uint32_t)r;
        atr_call_view cv;
        if (atr_index_call(t->ix, call, &cv) < 0) {
            PyErr_SetString(PyExc_ValueError, "argtrace: bad call id in the index");
            return -1;
        }
        int open = cv.status == ATR_CALL_UNFINISHED;
        PyObject *name = tbl_fn_name(t, cv.function);
        PyObject *e = cv.status == ATR_CALL_RAISED ? tbl_exc(t, cv.exc_type) : Py_NewRef(Py_None);
        t->n_raised += cv.status == ATR_CALL_RAISED;
        if (name == NULL || e == NULL) {
            Py_XDECREF(name);
            Py_XDECREF(e);
            return -1;
        }
        PyList_SET_ITEM(fns, (Py_ssize_t)r, name);
        PyList_SET_ITEM(exc, (Py_ssize_t)r, e);
        PyList_SET_ITEM(status, (Py_ssize_t)r, Py_NewRef(st[cv.status < 4 ? cv.status : 3]));
        if (in.n_files > 1) {
            char buf[ATR_CALL_ID_SIZE];
            size_t len = atr_call_id_format(t->ix, call, buf, sizeof buf);
            PyObject *id = PyUnicode_FromStringAndSize(buf, (Py_ssize_t)len);
            if (id == NULL)
                return -1;
            PyList_SET_ITEM(num[C_ID].out, (Py_ssize_t)r, id);
        } else if (numcol_set(&num[C_ID], r, call, 0) < 0) {
            return -1;
        }
        if (numcol_set(&num[C_THREAD], r, thread_number(t->ix, cv.thread), 0) < 0 ||
            numcol_set(&num[C_START], r, cv.start_ns, 0) < 0 ||
            numcol_set(&num[C_DUR], r, cv.duration_ns, open) < 0 ||
            numcol_set(&num[C_ACTIVE], r, cv.active_ns, open) < 0 ||
            numcol_set(&num[C_SELF], r, cv.self_ns, open) < 0 || tbl_args(t, r, call, &cv) < 0)
            return -1;
        if (t->parent && tbl_extra(t, r, &cv, in.n_files) < 0)
            return -1;
    }
    return 0;
}

PyObject *atr__py_table(const atr_index *ix, const uint32_t *ids, uint64_t n, PyObject *convert,
                        int extra) {
    atr_index_info in;
    atr_index_get_info(ix, &in);
    tbl t = {ix, convert, NULL, NULL, NULL, in.n_functions, in.n_values, NULL, NULL, NULL,
             n,  NULL,    NULL, 0,    0,    NULL,           NULL,        NULL, NULL};
    int open = 0;
    for (uint64_t r = 0; r < n && !open; r++) {
        atr_call_view cv;
        open = atr_index_call(ix, ids ? ids[r] : (uint32_t)r, &cv) == 0 &&
               cv.status == ATR_CALL_UNFINISHED;
    }
    numcol num[N_NUM] = {{0}};
    PyObject *fns = PyList_New((Py_ssize_t)n), *status = PyList_New((Py_ssize_t)n);
    PyObject *exc = PyList_New((Py_ssize_t)n), *st[4] = {0}, *r = NULL;
    t.fn_names = calloc((size_t)t.n_fns + 1, sizeof *t.fn_names);
    t.fn_cols = calloc((size_t)t.n_fns + 1, sizeof *t.fn_cols);
    t.vals = calloc((size_t)t.n_vals + 1, sizeof *t.vals);
    t.excs = PyDict_New();
    t.col_of = PyDict_New();
    t.arg_cols = PyList_New(0);
    int bad = !fns || !status || !exc || !t.fn_names || !t.fn_cols || !t.vals || !t.excs ||
              !t.col_of || !t.arg_cols;
    if (extra && !bad) {
        t.parent = PyList_New((Py_ssize_t)n);
        t.file = PyList_New((Py_ssize_t)n);
        t.result = PyList_New((Py_ssize_t)n);
        t.message = PyList_New((Py_ssize_t)n);
        bad = !t.parent || !t.file || !t.result || !t.message;
    }
    for (int k = 0; k < 4; k++)
        bad |= (st[k] = PyUnicode_InternFromString(STATUS[k])) == NULL;
    for (int k = 0; k < N_NUM && !bad; k++)
        bad |= numcol_new(&num[k], n, k == C_ID ? in.n_files > 1 : k >= C_DUR && open) < 0;
    if (bad && !PyErr_Occurred())
        PyErr_NoMemory();
    if (!bad && tbl_rows(&t, ids, num, fns, status, exc, st) == 0) {
        r = Py_BuildValue("{sOsOsOsO}", "function", fns, "status", status, "exception", exc, "args",
                          t.col_of);
        for (int k = 0; r && k < N_NUM; k++)
            if (PyDict_SetItemString(r, NUM_NAMES[k], num[k].out) < 0)
                Py_CLEAR(r);
        Py_ssize_t nc = PyList_GET_SIZE(t.arg_cols);
        PyObject *kinds = PyList_New(nc);
        for (Py_ssize_t c = 0; kinds && c < nc; c++)
            PyList_SET_ITEM(kinds, c,
                            PyUnicode_FromString(t.n_set[c] < n    ? "none"
                                                 : t.n_int[c] == n ? "int"
                                                                   : "full"));
        if (r && t.parent &&
            (PyDict_SetItemString(r, "parent_id", t.parent) < 0 ||
             PyDict_SetItemString(r, "file", t.file) < 0 ||
             PyDict_SetItemString(r, "result", t.result) < 0 ||
             PyDict_SetItemString(r, "message", t.message) < 0))
            Py_CLEAR(r);
        if (r && (kinds == NULL || PyDict_SetItemString(r, "arg_columns", t.arg_cols) < 0 ||
                  PyDict_SetItemString(r, "arg_kinds", kinds) < 0 ||
                  atr__py_put(r, "n_raised", U64(t.n_raised))))
            Py_CLEAR(r);
        Py_XDECREF(kinds);
    }
    for (int k = 0; k < N_NUM; k++)
        Py_XDECREF(num[k].out);
    for (int k = 0; k < 4; k++)
        Py_XDECREF(st[k]);
    Py_XDECREF(fns);
    Py_XDECREF(status);
    Py_XDECREF(exc);
    tbl_free(&t);
    return r;
}
