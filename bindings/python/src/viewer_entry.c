/*
 * viewer_entry.c — _core.viewer_main(argv): the C viewer's command line, in-process
 * (`argtrace summary ...` from the Python CLI); _core.viewer_text(argv): the same with its
 * output returned as text (the __str__ of the notebook objects, _notebook.py, is the CLI's
 * text); _core.report_css(): the HTML report's stylesheet (viewer/report/report.css, embedded
 * in the viewer), which the notebook HTML uses too. Built only when argtrace_viewer exists.
 */
#include "module.h"

#ifdef ATR_HAVE_VIEWER
#include "report.h"
#include "viewer.h"

#include <stdio.h>
#include <stdlib.h>

static void flush_py_stream(const char *name) {
    PyObject *f = PySys_GetObject(name); /* borrowed */
    if (f == NULL || f == Py_None)
        return;
    PyObject *r = PyObject_CallMethod(f, "flush", NULL);
    if (r == NULL)
        PyErr_Clear();
    Py_XDECREF(r);
}

/* argv (a sequence of str) as a C argv in *cargv (NULL-terminated; PyMem_Free it) pointing
   into the bytes objects of *keep (a new list). Returns the count, or -1 with an exception. */
static Py_ssize_t c_argv(PyObject *argv, char ***cargv, PyObject **keep) {
    *cargv = NULL;
    *keep = NULL;
    PyObject *fast = PySequence_Fast(argv, "argtrace: the viewer needs a list of str");
    if (fast == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    *cargv = PyMem_Calloc((size_t)n + 1, sizeof(char *));
    *keep = PyList_New(0);
    if (*cargv == NULL || *keep == NULL) {
        PyErr_NoMemory();
        n = -1;
    }
    for (Py_ssize_t i = 0; n >= 0 && i < n; i++) {
        PyObject *b = NULL;
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(fast, i), &b) ||
            PyList_Append(*keep, b) < 0)
            n = -1;
        else
            (*cargv)[i] = PyBytes_AS_STRING(b);
        Py_XDECREF(b); /* *keep holds it */
    }
    Py_DECREF(fast);
    return n;
}

PyObject *atr__py_viewer_main(PyObject *m, PyObject *argv) {
    (void)m;
    char **cargv;
    PyObject *keep; /* owned: the bytes cargv points into */
    PyObject *result = NULL;
    Py_ssize_t n = c_argv(argv, &cargv, &keep);
    if (n >= 0) {
        flush_py_stream("stdout");
        flush_py_stream("stderr");
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = atr_viewer_main((int)n, cargv);
        fflush(stdout);
        fflush(stderr);
        Py_END_ALLOW_THREADS
        result = PyLong_FromLong(rc);
    }
    PyMem_Free(cargv);
    Py_XDECREF(keep);
    return result;
}

PyObject *atr__py_viewer_text(PyObject *m, PyObject *argv) {
    (void)m;
    char **cargv, *out = NULL, *err = NULL;
    size_t n_out = 0, n_err = 0;
    PyObject *keep; /* owned: the bytes cargv points into */
    PyObject *result = NULL;
    Py_ssize_t n = c_argv(argv, &cargv, &keep);
    if (n < 0)
        goto done;
    FILE *fo = open_memstream(&out, &n_out), *fe = open_memstream(&err, &n_err);
    if (fo == NULL || fe == NULL) {
        if (fo)
            fclose(fo);
        if (fe)
            fclose(fe);
        PyErr_NoMemory();
        goto done;
    }
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = atr_viewer_run((int)n, cargv, fo, fe);
    Py_END_ALLOW_THREADS
    int closed = fclose(fo) | fclose(fe);
    if (closed != 0) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_BuildValue("(is#s#)", rc, out, (Py_ssize_t)n_out, err, (Py_ssize_t)n_err);
done:
    free(out);
    free(err);
    PyMem_Free(cargv);
    Py_XDECREF(keep);
    return result;
}

PyObject *atr__py_report_css(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    return PyUnicode_FromStringAndSize((const char *)atr__report_css,
                                       (Py_ssize_t)atr__report_css_len);
}
#else
typedef int atr__no_viewer; /* keeps the translation unit non-empty */
#endif
