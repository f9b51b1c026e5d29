/*
 * pyvalue.h — atr_value (reader records and analysis values alike) to Python: scalars, or
 * the binding contract's tagged tuples ("truncated_str", text, true_len), ("truncated_bytes",
 * data, true_len), ("summary", type, length|None, [items]), ("redacted",), ("bigint",
 * digits), ("repr", text, true_len), ("error", type_name), ("unknown", ext_type, payload).
 * Used by read_records (readrec.c) and the analysis index (analysis_wrap.c and its files).
 */
#ifndef ATR_PY_PYVALUE_H
#define ATR_PY_PYVALUE_H

#include "compat.h"

#include <argtrace/atr_common.h>

/* A str from UTF-8 bytes (invalid sequences replaced). New reference or NULL. */
PyObject *atr__str_py(atr_str s);

/* The Python form of v (summaries nest at most 16 levels). New reference or NULL. */
PyObject *atr__value_py(const atr_value *v);

#endif /* ATR_PY_PYVALUE_H */
