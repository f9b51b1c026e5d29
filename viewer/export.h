/*
 * Exporters: write the calls of an index in another tool's format. Each returns 0 or a
 * negative ATR_E* code (ATR_EIO when the stream failed, ATR_ENOMEM). Those that read the
 * logs again for the calls' running intervals (chrome, speedscope) take `budget`: the bytes
 * they may allocate beyond the index (0: no limit); past it they stop with ATR_ETOOBIG.
 *
 * `keep` selects (NULL: everything, messages outside calls included): one byte per call,
 * ATR__EXPORT_MATCH for a call the selection matched, ATR__EXPORT_ANCESTOR for a call that
 * only contains one (tree formats write it so that the matches keep their place), 0 for the
 * others. Messages are written with the calls they belong to.
 */
#ifndef ATR_VIEWER_EXPORT_H
#define ATR_VIEWER_EXPORT_H

#include <stdio.h>

#include "argtrace/atr_analysis.h"

#include <stdint.h>

#define ATR__EXPORT_MATCH 1
#define ATR__EXPORT_ANCESTOR 2

/* Chrome trace-event JSON ("X" complete events, "i" for messages, metadata names): the
   matches and their ancestors. */
int atr__export_chrome(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out);
/* Eliot JSON lines: one task per root call, actions started/succeeded/failed: the matches
   and their ancestors. */
int atr__export_eliot(const atr_index *ix, const uint8_t *keep, FILE *out);
/* JSON lines of calls, the shape of `calls --json`, in start order: the matches only. */
int atr__export_jsonl(const atr_index *ix, const uint8_t *keep, FILE *out);

/* Folded stacks "a;b;c VALUE" (flamegraph.pl, inferno): the matches with everything they
   called, under their callers' names. VALUE: self time in ns (active time), or calls. */
#define ATR__FOLDED_SELF 0
#define ATR__FOLDED_COUNT 1
int atr__export_folded(const atr_index *ix, const uint8_t *keep, int value, FILE *out);
/* speedscope JSON: one evented profile per thread of each process, frames opening and
   closing at the calls' running intervals (a generator's or coroutine's steps), the
   matches with everything they called, under their callers. */
int atr__export_speedscope(const atr_index *ix, const uint8_t *keep, uint64_t budget, FILE *out);

#endif /* ATR_VIEWER_EXPORT_H */
