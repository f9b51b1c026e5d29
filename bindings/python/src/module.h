/*
 * module.h — the module-level functions each file contributes to _core's method table
 * (module.c lists them; the implementations live in the named files).
 */
#ifndef ATR_PY_MODULE_H
#define ATR_PY_MODULE_H

#include "state.h"

/* clang-format off */
/* session.c */
/* Raise OSError(err, "argtrace: <what>", path); returns NULL. */
PyObject *atr__raise_oserror(int err, const char *what, PyObject *path);
PyObject *atr__py_start(PyObject *m, PyObject *args, PyObject *kw);
PyObject *atr__py_stop(PyObject *m, PyObject *unused);
PyObject *atr__py_flush(PyObject *m, PyObject *unused);
PyObject *atr__py_active(PyObject *m, PyObject *unused);
PyObject *atr__py_session_path(PyObject *m, PyObject *unused);
PyObject *atr__py_session_uid(PyObject *m, PyObject *unused);
PyObject *atr__py_session_paths(PyObject *m, PyObject *unused);
PyObject *atr__py_register_summarizer(PyObject *m, PyObject *const *args, Py_ssize_t n);
PyObject *atr__py_redact_values(PyObject *m, PyObject *values); /* redact.c */
PyObject *atr__py_set_recording(PyObject *m, PyObject *arg);
PyObject *atr__py_toggle_signal(PyObject *m, PyObject *args);
PyObject *atr__py_toggle_recording(PyObject *m, PyObject *noargs);
/* calibrate.c */
PyObject *atr__py_calibrate(PyObject *m, PyObject *mechanism);
PyObject *atr__py_calibration_solve(PyObject *m, PyObject *args);
PyObject *atr__py_calibration_rescale(PyObject *m, PyObject *args);
PyObject *atr__py_calibration_yardstick(PyObject *m, PyObject *unused);
/* fork.c */
int atr__fork_init(void);
PyObject *atr__py_fork_before(PyObject *m, PyObject *unused);
PyObject *atr__py_fork_after_parent(PyObject *m, PyObject *unused);
#define ATR__SESSION_METHODS                                                              \
    {"_fork_before", atr__py_fork_before, METH_NOARGS,                                    \
     "_fork_before(): stop the writer threads before os.fork() (they keep their data)."}, \
    {"_fork_after_parent", atr__py_fork_after_parent, METH_NOARGS,                        \
     "_fork_after_parent(): start them again in the parent, once os.fork() returned."},                           \
    {"_calibrate", atr__py_calibrate, METH_O,                                             \
     "_calibrate(mechanism) -> dict: measure what one traced call costs (no cache)."},    \
    {"_calibration_solve", atr__py_calibration_solve, METH_VARARGS,                       \
     "_calibration_solve(costs, slow_ppm=0) -> dict: the per-call model of shape costs."}, \
    {"_calibration_rescale", atr__py_calibration_rescale, METH_VARARGS,                   \
     "_calibration_rescale(costs, yard_ps, ps, stop_ps, rel=None) -> (costs, ppm): "      \
     "a calibration made on a slow machine, scaled (tests)."},                             \
    {"_calibration_yardstick", atr__py_calibration_yardstick, METH_NOARGS,                \
     "_calibration_yardstick() -> (now_ps, at_start_ps): the untraced loop (tests)."},     \
    {"start", (PyCFunction)(void (*)(void))atr__py_start, METH_VARARGS | METH_KEYWORDS,   \
     "start(path, **options): open the session's log."},                                 \
    {"stop", atr__py_stop, METH_NOARGS, "stop() -> dict | None: close the session."},     \
    {"flush", atr__py_flush, METH_NOARGS, "flush(): write out what was recorded."},       \
    {"active", atr__py_active, METH_NOARGS, "active() -> bool"},                          \
    {"session_path", atr__py_session_path, METH_NOARGS, "session_path() -> str | None"},  \
    {"session_uid", atr__py_session_uid, METH_NOARGS, "session_uid() -> int | None"},     \
    {"session_paths", atr__py_session_paths, METH_NOARGS,                                 \
     "session_paths() -> list of str: the open sessions, outermost first"},              \
    {"register_summarizer", (PyCFunction)(void (*)(void))atr__py_register_summarizer,     \
     METH_FASTCALL, "register_summarizer(type, fn): fn(obj) -> dict | tuple of scalars."}, \
    {"redact_values", atr__py_redact_values, METH_O,                                      \
     "redact_values(values): redact these str/bytes values wherever captured later."},    \
    {"set_recording", atr__py_set_recording, METH_O,                                      \
     "set_recording(on): recording on or off in the active session."},                   \
    {"toggle_signal", atr__py_toggle_signal, METH_VARARGS,                                \
     "toggle_signal(signo, initially_on=True): a signal toggles recording."},            \
    {"toggle_recording", atr__py_toggle_recording, METH_NOARGS,                           \
     "toggle_recording() -> bool: the signal toggle has recording on."},

/* actions.c */
PyObject *atr__py_current_span(PyObject *m, PyObject *unused);
PyObject *atr__py_action_begin(PyObject *m, PyObject *const *args, Py_ssize_t n);
PyObject *atr__py_action_end(PyObject *m, PyObject *const *args, Py_ssize_t n);
PyObject *atr__py_log(PyObject *m, PyObject *const *args, Py_ssize_t n);
#define ATR__ACTION_METHODS                                                              \
    {"current_span", atr__py_current_span, METH_NOARGS, "current_span() -> int"},        \
    {"action_begin", (PyCFunction)(void (*)(void))atr__py_action_begin, METH_FASTCALL,   \
     "action_begin(name, fields) -> span id (0: no session)."},                          \
    {"action_end", (PyCFunction)(void (*)(void))atr__py_action_end, METH_FASTCALL,       \
     "action_end(span, exc_or_None)"},                                                   \
    {"log", (PyCFunction)(void (*)(void))atr__py_log, METH_FASTCALL,                     \
     "log(text, fields): a message in the current span."},

/* switch.c */
PyObject *atr__py_switch_out(PyObject *m, PyObject *unused);
PyObject *atr__py_switch_in(PyObject *m, PyObject *args);
#define ATR__SWITCH_METHODS                                                              \
    {"switch_out", atr__py_switch_out, METH_NOARGS,                                      \
     "switch_out() -> (its state, a first run's): a greenlet leaves."},                  \
    {"switch_in", atr__py_switch_in, METH_VARARGS,                                       \
     "switch_in(keys, span, ctx, era): a greenlet runs again (or for the first time)."},

/* readrec.c */
PyObject *atr__py_read_records(PyObject *m, PyObject *path);
int atr__readrec_init_types(PyObject *m);
#define ATR__READREC_METHODS                                                             \
    {"read_records", atr__py_read_records, METH_O,                                       \
     "read_records(path) -> iterator of dicts (see .truncated after the end)."},

/* tracefunc_bare.c (CPython 3.12 and 3.13: ATR__BARE_FUNCTIONS) */
#if ATR__BARE_FUNCTIONS
PyObject *atr__py_bare_bind(PyObject *m, PyObject *t);
PyObject *atr__py_bare_bound(PyObject *m, PyObject *func);
#define ATR__BARE_METHODS                                                                \
    {"_bare_bind", atr__py_bare_bind, METH_O,                                            \
     "_bare_bind(t) -> bool: t's function becomes the decorated object itself."},        \
    {"_bare_bound", atr__py_bare_bound, METH_O,                                          \
     "_bare_bound(f) -> bool: f is a function bound by _bare_bind."},
#else
#define ATR__BARE_METHODS
#endif

/* viewer_entry.c (only when the viewer library is linked: the CLI checks for it) */
#ifdef ATR_HAVE_VIEWER
PyObject *atr__py_viewer_main(PyObject *m, PyObject *argv);
PyObject *atr__py_viewer_text(PyObject *m, PyObject *argv);
PyObject *atr__py_report_css(PyObject *m, PyObject *unused);
#define ATR__VIEWER_METHODS                                                              \
    {"viewer_main", atr__py_viewer_main, METH_O,                                         \
     "viewer_main(argv: list[str]) -> int: run the viewer's command line in-process."},  \
    {"viewer_text", atr__py_viewer_text, METH_O,                                         \
     "viewer_text(argv: list[str]) -> (status, out, err): the same, output as text."},   \
    {"report_css", atr__py_report_css, METH_NOARGS,                                      \
     "report_css() -> str: the HTML report's stylesheet."},
#else
#define ATR__VIEWER_METHODS
#endif

/* clang-format on */

#endif /* ATR_PY_MODULE_H */
