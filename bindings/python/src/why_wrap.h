/*
 * why_wrap.h — _core.Index.why: why was this call slow (atr_why_compute) as Python objects.
 */
#ifndef ATR_PY_WHY_WRAP_H
#define ATR_PY_WHY_WRAP_H

#include "compat.h"

#include <argtrace/atr_analysis.h>

/*
 * {call, extra_ns, baseline, children, self, arguments} of call `call` (`argtrace why
 * --json`, with index call ids: call, children's slowest_call). ValueError, MemoryError.
 */
PyObject *atr__py_why(const atr_index *ix, uint32_t call);

#endif /* ATR_PY_WHY_WRAP_H */
