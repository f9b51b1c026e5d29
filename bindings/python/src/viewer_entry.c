/*
 * viewer_entry.c — _core.viewer_main(argv): the C viewer's command line, in-process
 * (`argtrace summary ...` from the Python CLI). Built only when argtrace_viewer exists.
 */
#include "module.h"

#ifdef ATR_HAVE_VIEWER
#include "viewer.h"

#include <stdio.h>

static void flush_py_stream(const char *name) {
    PyObject *f = PySys_GetObject(name); /* borrowed */
    if (f == NULL || f == Py_None)
        return;
    PyObject *r = PyObject_CallMethod(f, "flush", NULL);
    if (r == NULL)
        PyErr_Clear();
    Py_XDECREF(r);
}

PyObject *atr__py_viewer_main(PyObject *m, PyObject *argv) {
    (void)m;
    PyObject *fast = PySequence_Fast(argv, "argtrace: viewer_main needs a list of str");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    char **cargv = PyMem_Calloc((size_t)n + 1, sizeof(char *));
    PyObject *keep = PyList_New(0); /* the bytes objects cargv points into */
    PyObject *result = NULL;
    if (cargv == NULL || keep == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = NULL;
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(fast, i), &b))
            goto done;
        int rc = PyList_Append(keep, b);
        Py_DECREF(b);
        if (rc < 0)
            goto done;
        cargv[i] = PyBytes_AS_STRING(b);
    }
    flush_py_stream("stdout");
    flush_py_stream("stderr");
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = atr_viewer_main((int)n, cargv);
    fflush(stdout);
    fflush(stderr);
    Py_END_ALLOW_THREADS
    result = PyLong_FromLong(rc);
done:
    PyMem_Free(cargv);
    Py_XDECREF(keep);
    Py_DECREF(fast);
    return result;
}
#else
typedef int atr__no_viewer; /* keeps the translation unit non-empty */
#endif
