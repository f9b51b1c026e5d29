/*
 * calibrate_py.c — the calibration seen from Python: the model and the shapes' costs as
 * dicts (Log.calibrations, _core._calibrate), and the test entry points that run
 * calibrate.c's arithmetic on given costs (_calibration_solve, _calibration_rescale) or time
 * the yardstick (_calibration_yardstick). The measurement itself is calibrate.c's.
 */
#include "calibrate.h"

#include "module.h"
#include "state.h"

PyObject *atr__calib_model_py(const atr_calibration_model *m) {
    PyObject *d = PyDict_New();
#define CAL_ITEM(name)                                      \
    if (d) {                                                \
        PyObject *v = PyLong_FromUnsignedLongLong(m->name); \
        if (!v || PyDict_SetItemString(d, #name, v) < 0)    \
            Py_CLEAR(d);                                    \
        Py_XDECREF(v);                                      \
    }
    ATR_CALIBRATION_MODEL_KEYS(CAL_ITEM)
#undef CAL_ITEM
    return d;
}

/* {shape name: value} of c[] (NULL with an exception set). */
static PyObject *shapes_dict(const uint64_t c[ATR__CAL_SHAPES]) {
    PyObject *d = PyDict_New();
    for (int k = 0; d && k < ATR__CAL_SHAPES; k++) {
        PyObject *v = PyLong_FromUnsignedLongLong(c[k]);
        if (!v || PyDict_SetItemString(d, atr__cal_shapes[k], v) < 0)
            Py_CLEAR(d);
        Py_XDECREF(v);
    }
    return d;
}

PyObject *atr__py_calibrate(PyObject *m, PyObject *mechanism) {
    atr__calib_gate(); /* not amid another thread's calibration (state.h) */
    atr__calib res;
    (void)m;
    const char *mech = PyUnicode_Check(mechanism) ? PyUnicode_AsUTF8(mechanism) : NULL;
    if (mech == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "argtrace: _calibrate(mechanism: str)");
        return NULL;
    }
    if (atr__calibrate_measure(mech, 0, &res) < 0)
        return NULL;
    PyObject *shapes = shapes_dict(res.shape_ns), *model = atr__calib_model_py(&res.model);
    PyObject *r = shapes && model
                      ? Py_BuildValue("{s:K,s:K,s:K,s:O,s:O,s:K,s:K}", "call_ns",
                                      (unsigned long long)res.call_ns, "inner_ns",
                                      (unsigned long long)res.inner_ns, "samples",
                                      (unsigned long long)res.samples, "shapes", shapes, "model",
                                      model, "faults", (unsigned long long)res.faults,
                                      "untraced_ps", (unsigned long long)res.untraced_ps)
                      : NULL;
    Py_XDECREF(shapes);
    Py_XDECREF(model);
    return r;
}

/* c[] from a dict of every shape's int (KeyError, TypeError...: -1). */
static int shape_values(PyObject *d, const char *what, uint64_t c[ATR__CAL_SHAPES]) {
    if (!PyDict_Check(d)) {
        PyErr_Format(PyExc_TypeError, "argtrace: %s: a dict[str, int] of shapes", what);
        return -1;
    }
    for (int k = 0; k < ATR__CAL_SHAPES; k++) {
        PyObject *v = PyDict_GetItemString(d, atr__cal_shapes[k]); /* borrowed */
        if (!v) {
            PyErr_Format(PyExc_KeyError, "argtrace: no cost for shape %s", atr__cal_shapes[k]);
            return -1;
        }
        c[k] = PyLong_AsUnsignedLongLong(v);
        if (PyErr_Occurred())
            return -1;
    }
    return 0;
}

PyObject *atr__py_calibration_solve(PyObject *m, PyObject *args) {
    PyObject *costs;
    unsigned long long slow = 0;
    atr_calibration_model model;
    uint64_t c[ATR__CAL_SHAPES];
    (void)m;
    if (!PyArg_ParseTuple(args, "O|K:_calibration_solve", &costs, &slow))
        return NULL;
    if (shape_values(costs, "_calibration_solve(costs)", c) < 0)
        return NULL;
    model.slow_ppm = slow;
    atr__calib_solve(c, &model);
    return atr__calib_model_py(&model);
}

PyObject *atr__py_calibration_rescale(PyObject *m, PyObject *args) {
    PyObject *costs, *rel_d = Py_None, *out;
    unsigned long long yard, ps, stop;
    uint64_t c[ATR__CAL_SHAPES], r[ATR__CAL_SHAPES];
    int64_t rel[ATR__CAL_SHAPES] = {0};
    (void)m;
    if (!PyArg_ParseTuple(args, "OKKK|O:_calibration_rescale", &costs, &yard, &ps, &stop, &rel_d))
        return NULL;
    if (shape_values(costs, "_calibration_rescale(costs)", c) < 0)
        return NULL;
    if (rel_d != Py_None) { /* differences from the leaf: non-negative here, for the test */
        if (shape_values(rel_d, "_calibration_rescale(rel)", r) < 0)
            return NULL;
        for (int k = 0; k < ATR__CAL_SHAPES; k++)
            rel[k] = (int64_t)r[k];
    }
    uint64_t ppm = atr__calib_rescale(yard, ps, stop, rel_d != Py_None ? rel : NULL, c);
    if (!(out = shapes_dict(c)))
        return NULL;
    return Py_BuildValue("(NK)", out, (unsigned long long)ppm);
}

PyObject *atr__py_calibration_yardstick(PyObject *m, PyObject *unused) {
    (void)m;
    (void)unused;
    uint64_t now = atr__calib_yardstick();
    return Py_BuildValue("(KK)", (unsigned long long)now, (unsigned long long)atr__g.calib_yard_ps);
}
