/*
 * Exporters: write every call of an index in another tool's format. Each returns 0 or a
 * negative ATR_E* code (ATR_EIO when the stream failed, ATR_ENOMEM).
 */
#ifndef ATR_VIEWER_EXPORT_H
#define ATR_VIEWER_EXPORT_H

#include <stdio.h>

#include "argtrace/atr_analysis.h"

/* Chrome trace-event JSON ("X" complete events, "i" for messages, metadata names). */
int atr__export_chrome(const atr_index *ix, FILE *out);
/* Eliot JSON lines: one task per root call, actions started/succeeded/failed. */
int atr__export_eliot(const atr_index *ix, FILE *out);
/* JSON lines of calls, the shape of `calls --json`, in start order. */
int atr__export_jsonl(const atr_index *ix, FILE *out);

#endif /* ATR_VIEWER_EXPORT_H */
