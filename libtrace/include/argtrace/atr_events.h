/* SPDX-License-Identifier: MIT */
/*
 * argtrace analysis, the calls and messages of an index as events in time order (replay).
 * Part of atr_analysis.h (which includes every part, with the overview: identifiers, times,
 * memory, threads, return codes).
 */
#ifndef ARGTRACE_ATR_EVENTS_H
#define ARGTRACE_ATR_EVENTS_H

#include "atr_index.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------
 * Events in time order (replay)
 */

#define ATR_EVENT_START 1   /* a call starts (time = its start) */
#define ATR_EVENT_END 2     /* a finished call ends (unfinished calls have no END event) */
#define ATR_EVENT_MESSAGE 3 /* a message (call = its span or ATR_NO_CALL) */

typedef struct atr_event {
    uint32_t kind;    /* ATR_EVENT_* */
    uint32_t call;    /* the call, or for messages the enclosing call (ATR_NO_CALL: none) */
    uint32_t message; /* ATR_EVENT_MESSAGE: the message id, else UINT32_MAX */
    uint32_t thread;
    uint64_t time_ns;
} atr_event;

/*
 * A cursor over every START, END and MESSAGE of the index in time order, positioned before
 * the first event. At equal times: ends of calls that started earlier, then starts (parents
 * before children), then messages, then ends of calls that started at that same time
 * (children before parents). Opening orders the calls: 4 bytes per event (starts, ends of
 * finished calls, messages), O(n log threads + n log concurrency); seek costs at most 1024
 * steps. Returns 0, ATR_ENOMEM.
 */
typedef struct atr_events atr_events;
ATR_API int atr_events_open(const atr_index *ix, atr_events **out);

/* Free a cursor. Accepts NULL. */
ATR_API void atr_events_close(atr_events *ev);

/* Number of events in total. */
ATR_API uint64_t atr_events_count(const atr_events *ev);

/* Move to position `pos` (0 .. count): the next atr_events_next returns event `pos`. */
ATR_API void atr_events_seek(atr_events *ev, uint64_t pos);

/* Position of the first event at or after `time_ns` (count if none). */
ATR_API uint64_t atr_events_find_time(const atr_events *ev, uint64_t time_ns);

/* Current position (index of the event the next atr_events_next returns). */
ATR_API uint64_t atr_events_tell(const atr_events *ev);

/* Read the event at the current position and advance. Returns 0, or ATR_EOF at the end. */
ATR_API int atr_events_next(atr_events *ev, atr_event *out);

/* Step back one position and read that event. Returns 0, or ATR_EOF at the beginning. */
ATR_API int atr_events_prev(atr_events *ev, atr_event *out);

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_EVENTS_H */
