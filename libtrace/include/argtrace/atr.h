/* SPDX-License-Identifier: MIT */
/*
 * argtrace — umbrella header. Include this, or one area's header:
 *   atr_common.h  error codes, values
 *   atr_writer.h  sessions: record spans and messages into a log
 *   atr_reader.h  decode a log record by record
 *   atr_analysis.h  index logs: call trees, statistics, per-argument analysis, filters
 *                   (its parts: atr_index.h, atr_query.h, atr_stats.h, atr_diff.h,
 *                   atr_why.h, atr_events.h)
 */
#ifndef ARGTRACE_ATR_H
#define ARGTRACE_ATR_H

#include "atr_analysis.h"
#include "atr_common.h"
#include "atr_frames.h"
#include "atr_reader.h"
#include "atr_writer.h"

#endif /* ARGTRACE_ATR_H */
