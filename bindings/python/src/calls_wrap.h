/*
 * calls_wrap.h — what argtrace.load()'s lazy Call and Message views and its tables read from
 * the analysis index (the methods row, args, message, thread and table of _core.Index).
 */
#ifndef ATR_PY_CALLS_WRAP_H
#define ATR_PY_CALLS_WRAP_H

#include "compat.h"

#include <argtrace/atr_analysis.h>

/* The value behind a value id as read_records gives it (pyvalue.c); None for ATR_NO_VALUE. */
PyObject *atr__py_vid(const atr_index *ix, uint32_t vid);

/* The full name "module.qualname" of function fn as a str. */
PyObject *atr__py_fn_name(const atr_index *ix, uint32_t fn);

/* None for UINT32_MAX (no call, no file...), else the id as an int. */
PyObject *atr__py_opt_id(uint32_t id);

/*
 * column(name): one list over every call id: "function", "thread", "file", "parent" (None
 * for roots), "start_ns", "duration_ns", "self_ns", "status" (ATR_CALL_*), "active_ns" or
 * "charged_ns". ValueError for another name.
 */
PyObject *atr__py_column(const atr_index *ix, const char *name);

/* Set d[key] = v (stealing v); nonzero if v is NULL or the set fails. */
int atr__py_put(PyObject *d, const char *key, PyObject *v);

/*
 * (function, thread number, file, parent|None, start_ns, duration_ns, status, result (raw;
 * RAISED: the message), exc_type|None, span, active_ns, charged_ns, self_ns) of a call.
 */
PyObject *atr__py_call_row(const atr_index *ix, uint32_t call);

/* ({argument: raw value}, {START field: raw value}) as Call.args and Call.fields name them. */
PyObject *atr__py_call_args(const atr_index *ix, uint32_t call);

/* (call|None, thread number, time_ns, text, {field: raw value}) of a message. */
PyObject *atr__py_message(const atr_index *ix, uint32_t msg);

/* (file, thread number, os_tid, name) of a thread. */
PyObject *atr__py_thread(const atr_index *ix, uint32_t thread);

/*
 * The columns of the calls ids[0..n) (ids NULL: every call, in call id order): a dict of
 * "id", "thread", "start_ns", "duration_ns", "active_ns", "self_ns" (bytes of native int64,
 * or a list with None for unfinished calls' times / str ids with several logs), "function",
 * "status", "exception" (lists), "args" ({argument name: column number}) and "arg_columns"
 * (lists, None where a call has no such argument; values passed through `convert` when
 * they are tagged tuples, once per distinct value). With `extra` also the lists "parent_id"
 * (the parent's id as "id" prints it, None for roots), "file" (the log's position), "result"
 * (returned calls) and "message" (the exception message of calls that raised).
 */
PyObject *atr__py_table(const atr_index *ix, const uint32_t *ids, uint64_t n, PyObject *convert,
                        int extra);

#endif /* ATR_PY_CALLS_WRAP_H */
