/*
 * Decoding ahead (issue 14): frames are decompressed and their records decoded in batches by a
 * worker thread while the reader's caller consumes the batches before them, in file order.
 * The decoder (format/decode.h) runs on that one thread, in file order, so the stream state
 * it keeps (per-thread times and span numbers, functions, types) is the same as when decoding
 * one record at a time. Memory is bounded: a few batches of at most a few thousand records
 * and a few frames. The first batch is decoded on the caller's thread; the worker starts only
 * when a second one is needed (small logs run no thread).
 */
#ifndef ATR_READER_AHEAD_H
#define ATR_READER_AHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_reader.h"
#include "format/decode.h"
#include "reader/frame_select.h"

typedef struct atr__ahead atr__ahead;

/*
 * Records of the frames in data[start..len) (caller-owned bytes, read by the worker) of a log
 * with format version major.minor. `map`: data is a private mapping of the file whose pages
 * behind the frames already read may be given back to the kernel. `sel` (borrowed, used by
 * the worker only; NULL: every frame): only the frames it selects are read, and of those it
 * reads for their definitions, only the records not bound to a thread. ATR_ENOMEM.
 */
int atr__ahead_new(const uint8_t *data, size_t len, size_t start, uint32_t major, uint32_t minor,
                   int map, atr__frame_sel *sel, atr__ahead **out);

/* Stop the worker, free everything. Accepts NULL. */
void atr__ahead_free(atr__ahead *a);

/*
 * The next record: 0 with *rec filled (its pointers valid until the next call), or the terminal
 * code (ATR_EOF, ATR_ETRUNCATED, ATR_ECORRUPT, ATR_ETOOBIG, ATR_ENOMEM) with *offset (the frame
 * where it happened) and a one-line reason in msg, after every record before it; ATR_EINVAL
 * in a child made by fork() once the parent's worker ran (atr__ahead_free() is still safe). Not to be
 * called again after a terminal code.
 */
int atr__ahead_next(atr__ahead *a, atr_record *rec, uint64_t *offset, char *msg, size_t msg_size);

/* The values its caller uses (atr__decoder_set_want); before the first record. */
void atr__ahead_set_want(atr__ahead *a, atr__want_fn want, void *ud);

/* Bytes of the file behind the records handed out so far (end of their frame). */
uint64_t atr__ahead_pos(const atr__ahead *a);

/* Frames whose records were handed out (or began to be) so far. */
uint64_t atr__ahead_frames(const atr__ahead *a);

#endif /* ATR_READER_AHEAD_H */
