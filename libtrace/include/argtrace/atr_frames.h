/* SPDX-License-Identifier: MIT */
/*
 * argtrace frame index (docs/FORMAT.md 2.4, format 1.3): read a time range, a thread or a
 * function of a log without decoding the rest.
 *
 * A log is a sequence of zstd frames. Since format 1.3 each frame decodes alone once the
 * definitions (records not bound to a thread: PROCESS, FUNCTION, ...) are known, and a
 * closed log ends with an index of its frames: offset, size, times, threads, functions.
 * atr_frame_index_load() reads that index, or rebuilds it by one scan of the log when it
 * is missing or invalid (a crashed process, an older log). atr_reader_select() then makes
 * a reader decode only the frames a query needs, plus the frames that hold definitions
 * (for those only), so that the records it returns are those a full read would return,
 * minus thread records of frames the query does not need: a caller that keeps only the
 * records the query asks for gets what it would get from a full read.
 */
#ifndef ARGTRACE_ATR_FRAMES_H
#define ARGTRACE_ATR_FRAMES_H

#include "atr_reader.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct atr_frame_index atr_frame_index;

#define ATR_FRAME_DEFS 1u /* the frame holds records not bound to a thread */

typedef struct atr_frame_info {
    uint64_t offset;      /* file offset of the zstd frame */
    uint64_t size;        /* its compressed size */
    uint64_t tmin, tmax;  /* times of its thread records; tmin > tmax: none */
    uint32_t flags;       /* ATR_FRAME_* */
    uint32_t n_threads;   /* threads with records in it */
    uint32_t n_functions; /* distinct functions of its STARTs */
} atr_frame_info;

/*
 * The index of r's log: its footer, or rebuilt by a scan of the whole log (which does not
 * move r). r must not have returned a record yet for atr_reader_select() to work. Returns
 * 0, ATR_ENOMEM, or the error that stopped the scan of a damaged log (ATR_ECORRUPT...; a
 * truncated tail is not an error: the index covers the complete frames).
 */
ATR_API int atr_frame_index_load(atr_reader *r, atr_frame_index **out);
/* The same from the footer only: ATR_ENOTFOUND when the log has no valid one (no scan: the
   caller reads the whole log instead). */
ATR_API int atr_frame_index_load_footer(atr_reader *r, atr_frame_index **out);
ATR_API void atr_frame_index_free(atr_frame_index *ix); /* accepts NULL */

ATR_API uint32_t atr_frame_index_count(const atr_frame_index *ix);
/* 1: read from the log's footer; 0: rebuilt by a scan. */
ATR_API int atr_frame_index_from_footer(const atr_frame_index *ix);
/* 1: frames decode alone (format 1.3 or later), so atr_reader_select() can be used. */
ATR_API int atr_frame_index_selectable(const atr_frame_index *ix);
/* Frame i (0 <= i < count). ATR_EINVAL out of range. */
ATR_API int atr_frame_index_get(const atr_frame_index *ix, uint32_t i, atr_frame_info *out);
/* Frame i's k-th thread and the sequence numbers of its first and last START there (0, 0:
   none). ATR_EINVAL out of range. */
ATR_API int atr_frame_index_thread(const atr_frame_index *ix, uint32_t i, uint32_t k,
                                   uint32_t *thread, uint64_t *seq_lo, uint64_t *seq_hi);
/* Frame i's k-th function id (ascending). ATR_EINVAL out of range. */
ATR_API int atr_frame_index_function(const atr_frame_index *ix, uint32_t i, uint32_t k,
                                     uint32_t *id);
/* The frame holding the START of span id `span`: its number in *frame; ATR_EOF: none. */
ATR_API int atr_frame_index_find_start(const atr_frame_index *ix, uint64_t span, uint32_t *frame);

/* What to read: records of thread records' times in [since_ns, until_ns] (until_ns 0: no
   bound), of one thread, of the STARTs of one function. Every part that is set must hold. */
typedef struct atr_frame_query {
    uint64_t since_ns, until_ns;
    int has_thread;
    uint32_t thread;
    int has_function;
    uint32_t function;
} atr_frame_query;

/* 1 when frame i may hold records the query asks for. */
ATR_API int atr_frame_index_matches(const atr_frame_index *ix, uint32_t i,
                                    const atr_frame_query *q);

/*
 * From now on r decodes only the frames ix says match q, and of the other frames those with
 * ATR_FRAME_DEFS, for their records not bound to a thread. Call before r's first record.
 * Returns 0; ATR_EINVAL when ix is not selectable (read the whole log); ATR_ESTATE when r
 * has begun; ATR_ENOMEM.
 */
ATR_API int atr_reader_select(atr_reader *r, const atr_frame_index *ix, const atr_frame_query *q);
/* Same with a choice per frame (want[i] != 0: decode frame i; ix's count entries). */
ATR_API int atr_reader_select_frames(atr_reader *r, const atr_frame_index *ix, const uint8_t *want);

/* Frames whose records r has read so far (a measure of the work a selection saves). */
ATR_API uint64_t atr_reader_frames_read(const atr_reader *r);

#ifdef __cplusplus
}
#endif
#endif /* ARGTRACE_ATR_FRAMES_H */
