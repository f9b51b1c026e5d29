/*
 * module.c — initialises argtrace._core and nothing else: the method table and the types
 * come from the files that implement them (session.c, actions.c, readrec.c, viewer_entry.c,
 * tracefunc.c, genwrap.c, analysis_wrap.c, filter.c).
 *
 * Multi-phase initialisation (PEP 489). What the module declares about itself:
 *  - no per-module state (m_size 0): the session, the static types and the filter's hooks are
 *    process-wide (state.c says why: the interpreter's hooks and the decorator's vectorcall
 *    reach them with no module pointer, in a few ns per call);
 *  - so one interpreter only: importing it in a subinterpreter raises ImportError (3.12+);
 *  - it relies on the GIL: every tracer structure is touched with the GIL held. A
 *    free-threaded build (3.13t+) imports it with the GIL enabled (CPython says so with a
 *    RuntimeWarning); running with PYTHON_GIL=0 is not supported.
 * Executing the module again (a re-import after removing it from sys.modules) only adds the
 * types and functions to the new module object: the process-wide parts initialise once.
 */
#include "module.h"

#include "analysis_wrap.h"
#include "filter.h"
#include "tracefunc.h"

static PyMethodDef core_methods[] = {
    ATR__SESSION_METHODS ATR__ACTION_METHODS ATR__SWITCH_METHODS ATR__READREC_METHODS
        ATR__VIEWER_METHODS ATR__BARE_METHODS{NULL, NULL, 0, NULL}};

static int core_exec(PyObject *m) {
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        /* (the slot below refuses isolated subinterpreters of 3.12+ first; this the rest) */
        PyErr_SetString(PyExc_ImportError,
                        "argtrace._core: the main interpreter only (its state is process-wide)");
        return -1;
    }
    if (atr__state_init() < 0 || atr__tracefunc_init_types(m) < 0 ||
        atr__genwrap_init_types(m) < 0 || atr__readrec_init_types(m) < 0 ||
        atr__analysis_init_types(m) < 0 ||
        PyModule_AddStringConstant(m, "version", ATR_VERSION_STRING) < 0)
        return -1;
    if (atr__filter_module_init(m) < 0 || atr__fork_init() < 0)
        return -1;
    return 0;
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, (void *)core_exec},
#if ATR__MOD_INTERPRETERS_SLOT
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
#if ATR__MOD_GIL_SLOT
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL}};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    "argtrace._core",
    "argtrace's C core for Python: sessions, the TracedFunction decorator type, actions, "
    "messages, log reading. Private: use the argtrace package.",
    0,
    core_methods,
    core_slots,
    NULL,
    NULL,
    NULL};

PyMODINIT_FUNC PyInit__core(void) { return PyModuleDef_Init(&core_module); }
