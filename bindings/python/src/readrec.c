/*
 * readrec.c — _core.read_records(path): iterate over a log's records as dicts, through the
 * C reader (the binding never decodes bytes itself). Values become Python scalars or the
 * contract's tagged tuples (pyvalue.c). A truncated log ends the iteration normally with
 * `.truncated` True; a damaged one raises ValueError("argtrace: <path>: <reader error>").
 */
#include "module.h"
#include "pyvalue.h"

#include <argtrace/atr_reader.h>

#include <errno.h>

/* A path for a message: as is, or, when it holds control characters or undecodable bytes,
   the inside of its repr() (one line, nothing that drives a terminal). New reference. */
static PyObject *shown_path(PyObject *path) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(path);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(path, i);
        if (c < 0x20 || c == 0x7f || (c >= 0xD800 && c <= 0xDFFF)) {
            PyObject *r = PyObject_Repr(path);
            PyObject *in = r ? PyUnicode_Substring(r, 1, PyUnicode_GET_LENGTH(r) - 1) : NULL;
            Py_XDECREF(r);
            if (in == NULL)
                PyErr_Clear();
            return in ? in : Py_NewRef(path);
        }
    }
    return Py_NewRef(path);
}

/* ValueError "argtrace: PATH: why". Returns NULL. */
static PyObject *value_error(PyObject *path, const char *why) {
    PyObject *p = shown_path(path);
    PyErr_Format(PyExc_ValueError, "argtrace: %U: %s", p, why);
    Py_DECREF(p);
    return NULL;
}

typedef struct recreader {
    PyObject ob_base;   /* PyObject_HEAD */
    atr_reader *reader; /* owned */
    PyObject *path;     /* owned: str for messages */
    int truncated;
    int finished;
    int busy; /* a next() is running with the GIL released */
} recreader;

static PyObject *values_list(const atr_value *vals, uint32_t n) {
    PyObject *l = PyList_New(n);
    for (uint32_t i = 0; l != NULL && i < n; i++) {
        PyObject *v = atr__value_py(&vals[i]);
        if (v == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, i, v);
    }
    return l;
}

static PyObject *fields_dict(const atr_field *f, uint32_t n) {
    PyObject *d = PyDict_New();
    for (uint32_t i = 0; d != NULL && i < n; i++) {
        PyObject *k = atr__str_py(f[i].name);
        PyObject *v = k ? atr__value_py(&f[i].value) : NULL;
        if (v == NULL || PyDict_SetItem(d, k, v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(k);
        Py_XDECREF(v);
    }
    return d;
}

static PyObject *strs_list(const atr_str *s, uint32_t n) {
    PyObject *l = PyList_New(n);
    for (uint32_t i = 0; l != NULL && i < n; i++) {
        PyObject *v = atr__str_py(s[i]);
        if (v == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, i, v);
    }
    return l;
}

/* Set d[key] = v (stealing v); returns -1 if v is NULL or the set fails. */
static int put(PyObject *d, const char *key, PyObject *v) {
    if (v == NULL)
        return -1;
    int rc = PyDict_SetItemString(d, key, v);
    Py_DECREF(v);
    return rc;
}
#define U64(x) PyLong_FromUnsignedLongLong((unsigned long long)(x))

static const char *kind_name(uint32_t k) {
    switch (k) {
    case ATR_REC_PROCESS:
        return "process";
    case ATR_REC_FUNCTION:
        return "function";
    case ATR_REC_THREAD:
        return "thread";
    case ATR_REC_START:
        return "start";
    case ATR_REC_END:
        return "end";
    case ATR_REC_MESSAGE:
        return "message";
    case ATR_REC_SYNC:
        return "sync";
    case ATR_REC_DROPS:
        return "drops";
    case ATR_REC_END_OF_LOG:
        return "end_of_log";
    case ATR_REC_SUSPEND:
        return "suspend";
    case ATR_REC_RESUME:
        return "resume";
    case ATR_REC_CALIBRATION:
        return "calibration";
    case ATR_REC_SAMPLING:
        return "sampling";
    case ATR_REC_RECORDING:
        return "recording";
    default:
        return "unknown";
    }
}

static PyObject *record_to_py(const atr_record *r) {
    PyObject *d = PyDict_New();
    if (d == NULL)
        return NULL;
    int rc = put(d, "kind", PyUnicode_FromString(kind_name(r->kind))) |
             put(d, "thread", U64(r->thread)) | put(d, "time_ns", U64(r->time_ns));
    switch (r->kind) {
    case ATR_REC_PROCESS: {
        const atr_process_info *p = &r->u.process;
        rc |= put(d, "format", Py_BuildValue("(II)", p->format_major, p->format_minor)) |
              put(d, "pid", PyLong_FromLongLong(p->pid)) | put(d, "host", atr__str_py(p->host)) |
              put(d, "argv", strs_list(p->argv, p->argc)) |
              put(d, "runtime", atr__str_py(p->runtime)) | put(d, "tool", atr__str_py(p->tool)) |
              put(d, "clock_ns", U64(p->clock_ns)) | put(d, "wall_ns", U64(p->wall_ns)) |
              put(d, "uid", U64(p->uid)) | put(d, "parent_uid", U64(p->parent_uid)) |
              put(d, "parent_span", U64(p->parent_span)) | put(d, "part", U64(p->part));
        break;
    }
    case ATR_REC_FUNCTION:
        rc |= put(d, "id", U64(r->u.function.id)) |
              put(d, "module", atr__str_py(r->u.function.module)) |
              put(d, "qualname", atr__str_py(r->u.function.qualname)) |
              put(d, "file", atr__str_py(r->u.function.file)) |
              put(d, "line", U64(r->u.function.line)) |
              put(d, "params", strs_list(r->u.function.params, r->u.function.n_params)) |
              put(d, "flags", U64(r->u.function.flags));
        break;
    case ATR_REC_THREAD:
        rc |= put(d, "os_tid", U64(r->u.thread.os_tid)) |
              put(d, "name", atr__str_py(r->u.thread.name));
        break;
    case ATR_REC_START:
        rc |= put(d, "span", U64(r->u.start.span)) | put(d, "parent", U64(r->u.start.parent)) |
              put(d, "function", U64(r->u.start.function)) |
              put(d, "args", values_list(r->u.start.args, r->u.start.n_args)) |
              put(d, "fields", fields_dict(r->u.start.fields, r->u.start.n_fields));
        break;
    case ATR_REC_END: {
        uint32_t st = r->u.end.status;
        const char *status = st == ATR_END_RETURN  ? "return"
                             : st == ATR_END_RAISE ? "raise"
                                                   : "noresult";
        rc |= put(d, "span", U64(r->u.end.span)) | put(d, "status", PyUnicode_FromString(status)) |
              put(d, "value", atr__value_py(&r->u.end.value)) |
              put(d, "exc_type",
                  st == ATR_END_RAISE ? atr__str_py(r->u.end.exc_type) : Py_NewRef(Py_None));
        break;
    }
    case ATR_REC_MESSAGE:
        rc |= put(d, "span", U64(r->u.message.span)) |
              put(d, "text", atr__str_py(r->u.message.text)) |
              put(d, "fields", fields_dict(r->u.message.fields, r->u.message.n_fields));
        break;
    case ATR_REC_SYNC:
        rc |=
            put(d, "last_seq", U64(r->u.sync.last_seq)) | put(d, "dropped", U64(r->u.sync.dropped));
        break;
    case ATR_REC_DROPS:
        rc |= put(d, "records", U64(r->u.drops.records)) | put(d, "bytes", U64(r->u.drops.bytes)) |
              put(d, "oversize", U64(r->u.drops.oversize)) |
              put(d, "capture_errors", U64(r->u.drops.capture_errors)) |
              put(d, "write_errors", U64(r->u.drops.write_errors));
        break;
    case ATR_REC_SUSPEND:
    case ATR_REC_RESUME:
        rc |= put(d, "span", U64(r->u.suspend.span));
        break;
    case ATR_REC_CALIBRATION:
        rc |= put(d, "mechanism", atr__str_py(r->u.calibration.mechanism)) |
              put(d, "call_ns", U64(r->u.calibration.call_ns)) |
              put(d, "inner_ns", U64(r->u.calibration.inner_ns)) |
              put(d, "samples", U64(r->u.calibration.samples));
#define CAL_OR(key) | r->u.calibration.key
#define CAL_PUT(key) | put(d, #key, U64(r->u.calibration.key))
        if (0 ATR_CALIBRATION_MODEL_KEYS(CAL_OR)) /* the per-call model */
            rc |= 0 ATR_CALIBRATION_MODEL_KEYS(CAL_PUT);
#undef CAL_OR
#undef CAL_PUT
        break;
    case ATR_REC_SAMPLING:
        rc |= put(d, "rate", PyFloat_FromDouble(r->u.sampling.rate)) |
              put(d, "mode", atr__str_py(r->u.sampling.mode)) |
              put(d, "seed", U64(r->u.sampling.seed));
        break;
    case ATR_REC_RECORDING:
        rc |= put(d, "on", PyBool_FromLong(r->u.recording.on));
        break;
    default:
        break;
    }
    if (rc != 0) {
        Py_DECREF(d);
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "argtrace: cannot convert a record");
        return NULL;
    }
    return d;
}

static PyObject *rr_next(recreader *self) {
    if (self->finished || self->reader == NULL)
        return NULL;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "argtrace: read_records iterator used by two "
                                            "threads at once");
        return NULL;
    }
    atr_record rec;
    int rc;
    self->busy = 1;
    Py_BEGIN_ALLOW_THREADS
    rc = atr_reader_next(self->reader, &rec);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    if (rc == 0)
        return record_to_py(&rec);
    self->finished = 1;
    if (rc == ATR_EOF)
        return NULL;
    if (rc == ATR_ETRUNCATED) {
        self->truncated = 1;
        return NULL;
    }
    if (rc == ATR_ENOMEM)
        return PyErr_NoMemory();
    return value_error(self->path, atr_reader_error(self->reader));
}

static void rr_dealloc(recreader *self) {
    atr_reader_close(self->reader);
    Py_XDECREF(self->path);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *rr_truncated(recreader *self, void *unused) {
    (void)unused;
    return PyBool_FromLong(self->truncated);
}

static PyObject *rr_closed(recreader *self, void *unused) {
    (void)unused;
    return PyBool_FromLong(self->reader && atr_reader_closed_cleanly(self->reader));
}

static PyGetSetDef rr_getset[] = {
    {"truncated", (getter)rr_truncated, NULL, "True if the log ended inside a frame.", NULL},
    {"closed_cleanly", (getter)rr_closed, NULL, "True once END_OF_LOG was read.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject RecordReader_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "argtrace._core.RecordReader",
    .tp_basicsize = sizeof(recreader),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)rr_dealloc,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)rr_next,
    .tp_getset = rr_getset,
};

PyObject *atr__py_read_records(PyObject *m, PyObject *path) {
    (void)m;
    PyObject *bytes = NULL, *str = NULL;
    if (!PyUnicode_FSConverter(path, &bytes))
        return NULL;
    if (!PyUnicode_FSDecoder(path, &str)) {
        Py_DECREF(bytes);
        return NULL;
    }
    atr_reader *r = NULL;
    int rc;
    const char *cpath = PyBytes_AS_STRING(bytes);
    errno = 0;
    Py_BEGIN_ALLOW_THREADS
    rc = atr_reader_open(cpath, &r);
    Py_END_ALLOW_THREADS
    Py_DECREF(bytes);
    if (rc == ATR_EOPEN) {
        atr__raise_oserror(errno ? errno : EIO, "cannot open the log", str);
        Py_DECREF(str);
        return NULL;
    }
    if (rc < 0) {
        if (rc == ATR_ENOMEM) {
            Py_DECREF(str);
            return PyErr_NoMemory();
        }
        value_error(str, atr_strerror(rc));
        Py_DECREF(str);
        return NULL;
    }
    recreader *self = PyObject_New(recreader, &RecordReader_Type);
    if (self == NULL) {
        atr_reader_close(r);
        Py_DECREF(str);
        return NULL;
    }
    self->reader = r;
    self->path = str;
    self->truncated = 0;
    self->finished = 0;
    self->busy = 0;
    return (PyObject *)self;
}

int atr__readrec_init_types(PyObject *m) {
    (void)m;
    return PyType_Ready(&RecordReader_Type);
}
