/*
 * module.c — initialises argtrace._core and nothing else: the method table and the types
 * come from the files that implement them (session.c, actions.c, readrec.c, viewer_entry.c,
 * tracefunc.c, genwrap.c, capture registration, and F's filter files).
 */
#include "module.h"

#include "analysis_wrap.h"
#include "tracefunc.h"
#ifdef ATR_HAVE_FILTER
#include "filter.h"
#endif

static PyMethodDef core_methods[] = {
    ATR__SESSION_METHODS ATR__ACTION_METHODS ATR__READREC_METHODS ATR__VIEWER_METHODS{NULL, NULL, 0,
                                                                                      NULL}};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    "argtrace._core",
    "argtrace's C core for Python: sessions, the TracedFunction decorator type, actions, "
    "messages, log reading. Private: use the argtrace package.",
    -1,
    core_methods,
    NULL,
    NULL,
    NULL,
    NULL};

PyMODINIT_FUNC PyInit__core(void) {
    PyObject *m = PyModule_Create(&core_module);
    if (m == NULL)
        return NULL;
    if (atr__state_init() < 0 || atr__tracefunc_init_types(m) < 0 ||
        atr__genwrap_init_types(m) < 0 || atr__readrec_init_types(m) < 0 ||
        atr__analysis_init_types(m) < 0 ||
        PyModule_AddStringConstant(m, "version", ATR_VERSION_STRING) < 0)
        goto fail;
#ifdef ATR_HAVE_FILTER
    if (atr__filter_module_init(m) < 0)
        goto fail;
#endif
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
