/*
 * Between the reader (reader.c) and the frame index (frame_index.c): which frames a reader
 * decodes when only some are wanted (atr_reader_select), and the reader's bytes.
 */
#ifndef ATR_READER_FRAME_SELECT_H
#define ATR_READER_FRAME_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "argtrace/atr_reader.h"
#include "format/frame_read.h"

typedef struct atr__frame_sel atr__frame_sel;

void atr__frame_sel_free(atr__frame_sel *sel); /* accepts NULL */
/* Move fr to the next frame to decode at or after its position (or past the last indexed
   frame: the reader then sees the end of the file, a truncated tail, or the footer). */
void atr__frame_sel_next(atr__frame_sel *sel, atr__frame_reader *fr);
/* 1: the frame at offset is decoded for its records not bound to a thread only. */
int atr__frame_sel_defs_only(const atr__frame_sel *sel, uint64_t offset);
/* 1: the record belongs to a thread (THREAD, START, END, MESSAGE, SYNC, SUSPEND, RESUME). */
int atr__frame_sel_threaded(const atr_record *rec);

/* reader.c: the log's bytes and minor version; install a selection before the first record
   (takes sel; ATR_ESTATE when reading has begun). */
void atr__reader_bytes(const atr_reader *r, const uint8_t **data, size_t *len, uint32_t *minor);
int atr__reader_set_sel(atr_reader *r, atr__frame_sel *sel);

#endif /* ATR_READER_FRAME_SELECT_H */
