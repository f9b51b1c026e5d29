/*
 * tracefunc_bare.c — a decorated Python function that stays a plain function (CPython 3.12
 * and 3.13).
 *
 * `@argtrace.trace` on a Python function returns a copy of it (argtrace/_api.py) bound here
 * to its TracedFunction `t` (t->func is the copy). While a session is active the copy's
 * vectorcall pointer (PyFunction_SetVectorcall) leads to t's call path (tracefunc.c), which
 * runs the function's code through the pointer CPython gave it (t->own_vc); with no session
 * the pointer is CPython's own again and the interpreter calls the function like any other,
 * inlined and specialised: nothing is added. A wrapper object costs every call, recorded or
 * not, a C-to-Python call (16 ns on 3.12 with no session: docs/benchmarks.md).
 *
 * Why 3.12 and 3.13: there every call path of the interpreter calls a function through its
 * vectorcall pointer once that pointer is not CPython's own (the CALL instruction inlines a
 * Python call only when it is, and PyFunction_SetVectorcall clears the function's version,
 * which the specialised calls guard on), with one exception that the decorator leaves to the
 * wrapper (argtrace/_api.py): 3.13's specialised class call runs the class's __init__ on the
 * class's version alone. 3.11's specialised calls guard on the version alone and would skip
 * the pointer, and 3.14's property getter calls on the class's version alone: there, and for
 * every other callable, the decorator stays a wrapper (tests/python/test_decorator_bare.py
 * calls every path at sites specialised before the session).
 *
 * Bound functions are found from their address in an open-addressing table. The copy holds
 * t in its __dict__ (`__argtrace__`) and t holds the copy: a cycle the garbage collector
 * frees; t unbinds when it is cleared (atr__bare_forget), before it lets go of the function.
 * Process-wide like the rest of the tracer's state (module.c), touched with the GIL held.
 */
#include "tracefunc.h"

#include "module.h"
#include "state.h"

#if ATR__BARE_FUNCTIONS

typedef struct bare_slot {
    PyObject *func; /* borrowed (t owns it); NULL: free */
    atr__traced *t; /* borrowed (func's __dict__ owns it) */
} bare_slot;

static bare_slot *g_slots;
static size_t g_cap; /* a power of two, or 0 */
static size_t g_n;
static int g_on;                /* the bound functions' pointers lead to bare_call */
static vectorcallfunc g_own_vc; /* CPython's vectorcall of a Python function */

static inline size_t home(const PyObject *func) {
    return (size_t)(((uintptr_t)func >> 4) * UINT64_C(0x9E3779B97F4A7C15) >> 32);
}

static inline size_t find_index(const PyObject *func) {
    size_t mask = g_cap - 1, i = home(func) & mask;
    while (g_slots[i].func != NULL && g_slots[i].func != func)
        i = (i + 1) & mask;
    return i;
}

static atr__traced *bare_find(const PyObject *func) {
    return g_cap ? g_slots[find_index(func)].t : NULL;
}

/* Room for one more (load at most one half). 0 or -1 (no memory). */
static int reserve(void) {
    if ((g_n + 1) * 2 <= g_cap)
        return 0;
    size_t cap = g_cap ? g_cap * 2 : 64;
    bare_slot *old = g_slots, *slots = PyMem_Calloc(cap, sizeof(*slots));
    if (slots == NULL)
        return -1;
    size_t old_cap = g_cap;
    g_slots = slots;
    g_cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].func != NULL)
            g_slots[find_index(old[i].func)] = old[i];
    }
    PyMem_Free(old);
    return 0;
}

/* Linear probing's deletion: later entries of the run move back into the hole when their
   home position does not lie between the hole and them. */
static void remove_func(const PyObject *func) {
    if (!g_cap)
        return;
    size_t mask = g_cap - 1, i = find_index(func);
    if (g_slots[i].func == NULL)
        return;
    g_slots[i].func = NULL;
    g_slots[i].t = NULL;
    g_n--;
    for (size_t j = (i + 1) & mask; g_slots[j].func != NULL; j = (j + 1) & mask) {
        size_t k = home(g_slots[j].func) & mask;
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            g_slots[i] = g_slots[j];
            g_slots[j].func = NULL;
            g_slots[j].t = NULL;
            i = j;
        }
    }
}

/* The vectorcall of a bound function while a session is active. */
static PyObject *bare_call(PyObject *func, PyObject *const *args, size_t nargsf,
                           PyObject *kwnames) {
    atr__traced *t = bare_find(func);
    if (ATR__UNLIKELY(t == NULL)) /* (unbinding puts CPython's pointer back first) */
        return g_own_vc(func, args, nargsf, kwnames);
    return atr__traced_vectorcall((PyObject *)t, args, nargsf, kwnames);
}

void atr__bare_sync(void) {
    int on = atr__g.session != NULL;
    if (on == g_on)
        return;
    g_on = on;
    for (size_t i = 0; i < g_cap; i++) {
        if (g_slots[i].func != NULL)
            PyFunction_SetVectorcall((PyFunctionObject *)g_slots[i].func,
                                     on ? bare_call : g_slots[i].t->own_vc);
    }
}

/* CPython's vectorcall of Python functions, read from a new one (3.13 does not export it). */
static int learn_own_vc(PyObject *like) {
    if (g_own_vc != NULL)
        return 0;
    PyObject *fresh = PyFunction_New(PyFunction_GET_CODE(like), PyFunction_GET_GLOBALS(like));
    if (fresh == NULL)
        return -1;
    g_own_vc = ((PyFunctionObject *)fresh)->vectorcall;
    Py_DECREF(fresh);
    return 0;
}

int atr__bare_bind(atr__traced *t) {
    PyObject *func = t->func;
    if (t->own_vc != NULL || func == NULL || !PyFunction_Check(func) || bare_find(func) != NULL)
        return 0;
    if (learn_own_vc(func) < 0)
        return -1;
    if (((PyFunctionObject *)func)->vectorcall != g_own_vc)
        return 0; /* another tool's pointer: the wrapper calls through it */
    if (reserve() < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (PyObject_SetAttrString(func, "__argtrace__", (PyObject *)t) < 0)
        return -1;
    size_t i = find_index(func);
    g_slots[i].func = func;
    g_slots[i].t = t;
    g_n++;
    t->own_vc = g_own_vc;
    if (g_on)
        PyFunction_SetVectorcall((PyFunctionObject *)func, bare_call);
    return 1;
}

void atr__bare_forget(atr__traced *t) {
    if (t->own_vc == NULL)
        return;
    PyObject *func = t->func;
    if (func != NULL) {
        remove_func(func);
        if (((PyFunctionObject *)func)->vectorcall == bare_call)
            PyFunction_SetVectorcall((PyFunctionObject *)func, t->own_vc);
    }
    t->own_vc = NULL;
}

PyObject *atr__py_bare_bind(PyObject *m, PyObject *arg) {
    (void)m;
    if (!PyObject_TypeCheck(arg, &atr__TracedFunction_Type)) {
        PyErr_SetString(PyExc_TypeError, "argtrace: _bare_bind takes a TracedFunction");
        return NULL;
    }
    int rc = atr__bare_bind((atr__traced *)arg);
    if (rc < 0)
        return NULL;
    return PyBool_FromLong(rc);
}

PyObject *atr__py_bare_bound(PyObject *m, PyObject *func) {
    (void)m;
    return PyBool_FromLong(bare_find(func) != NULL);
}

#else

void atr__bare_sync(void) {}

void atr__bare_forget(atr__traced *t) { (void)t; }

int atr__bare_bind(atr__traced *t) {
    (void)t;
    return 0;
}

#endif
