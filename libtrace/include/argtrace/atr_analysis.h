/* SPDX-License-Identifier: MIT */
/*
 * argtrace analysis: index one or several logs and answer the viewer's questions.
 *
 * An index holds every call of the logs loaded into it: function, thread, process, start,
 * end, duration, self time, parent, children, arguments, result or exception. Several logs
 * (the processes of one program: a parent and its forked children) merge into one view;
 * a forked child's root calls become children of the parent's span that ran the fork.
 *
 * Identifiers are small integers, valid for the life of the index:
 *   - function ids  0 .. n_functions-1   (deduplicated across logs by module+qualname+file)
 *   - call ids      0 .. n_calls-1       (in load order: per file, the order of its STARTs;
 *                                          what people see is the printed id, see
 *                                          "Printed call ids" below)
 *   - thread ids    0 .. n_threads-1     (global: threads of every loaded log)
 *   - file ids      0 .. n_files-1       (one per loaded log = one process)
 *   - message ids   0 .. n_messages-1
 *   - value ids     uint32; two equal values have the same id (hash-consed), so ids can be
 *                   compared for equality. ATR_NO_VALUE means "not captured / absent".
 * ATR_NO_CALL (and the other ATR_NO_* constants) mean "none".
 *
 * Times are integer ns of the logs' session clock (CLOCK_MONOTONIC unless the writer used its
 * own). Logs of one host share that clock, so merged processes line up; logs of different
 * hosts are not realigned.
 *
 * Memory: about 64 bytes per call (a 56-byte record, its span-map and per-function-list
 * entries), plus 4 bytes per captured argument, plus the distinct values (integers of
 * magnitude below 2^30 cost nothing; each distinct string is stored once).
 *
 * Threads: loading needs exclusive use of the index. Once loading is done every function
 * taking a `const atr_index *` may be called from several threads at once. Filters, callsets,
 * argscores, why results and event cursors are used by one thread at a time.
 *
 * Functions return 0 or a negative ATR_E* code; results go through out-parameters. Nothing
 * here prints, exits or aborts.
 */
#ifndef ARGTRACE_ATR_ANALYSIS_H
#define ARGTRACE_ATR_ANALYSIS_H

/* The parts, each on its own: */
#include "atr_diff.h"   /* two runs compared */
#include "atr_events.h" /* events in time order (replay) */
#include "atr_index.h"  /* the index: loading, files, functions, threads, calls, call ids */
#include "atr_query.h"  /* filters and queries */
#include "atr_stats.h"  /* per-function statistics, per-argument analysis */
#include "atr_why.h"    /* one call against the typical calls of its function */

#endif /* ARGTRACE_ATR_ANALYSIS_H */
