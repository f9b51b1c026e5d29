/*
 * File layer of the reader (docs/FORMAT.md section 2): checks the 16-byte header, then splits
 * the rest of the file into frames, skips skippable frames and decompresses zstd frames into
 * a buffer reused from frame to frame. It tells a file that ends inside a frame (truncated:
 * a crash while writing) from a frame that is damaged (corrupt).
 */
#ifndef ATR_FORMAT_FRAME_READ_H
#define ATR_FORMAT_FRAME_READ_H

#include <stddef.h>
#include <stdint.h>

typedef struct atr__frame_reader atr__frame_reader;

/*
 * Check the header at the start of data[0..len). On success writes the format version and
 * the header's size (16, or more when its payload is longer). Returns 0, ATR_EMAGIC (not an
 * argtrace log), ATR_EVERSION (a major version other than ATR_FORMAT_MAJOR), ATR_ETRUNCATED
 * (shorter than the header but consistent with one). `msg` receives a one-line reason.
 */
int atr__header_read(const uint8_t *data, size_t len, uint32_t *major, uint32_t *minor,
                     size_t *header_size, char *msg, size_t msg_size);

/* A frame reader over data[start..len) (caller-owned bytes). ATR_ENOMEM. */
int atr__frame_reader_new(const uint8_t *data, size_t len, size_t start, atr__frame_reader **out);

/* Free the reader and its buffers. Accepts NULL. */
void atr__frame_reader_free(atr__frame_reader *fr);

/*
 * Decompress the next zstd frame, skipping skippable frames. On success *content / *size
 * hold its content (valid until the next call) and *offset the frame's file offset.
 * Returns 0, ATR_EOF (the file ends exactly after a frame), ATR_ETRUNCATED (it ends inside
 * one), ATR_ECORRUPT, ATR_ETOOBIG (content size over the limit), ATR_ENOMEM. On failure
 * *offset is where the problem is and `msg` receives a one-line reason.
 */
int atr__frame_next(atr__frame_reader *fr, const uint8_t **content, size_t *size, uint64_t *offset,
                    char *msg, size_t msg_size);

/*
 * atr__frame_next() into the caller's buffer *buf of *cap bytes (malloc'ed or NULL), which it
 * grows with realloc when a frame needs more; *content then points into *buf.
 */
int atr__frame_next_into(atr__frame_reader *fr, uint8_t **buf, size_t *cap, const uint8_t **content,
                         size_t *size, uint64_t *offset, char *msg, size_t msg_size);

/* Bytes of the file consumed so far (end of the last frame returned or skipped). */
uint64_t atr__frame_reader_pos(const atr__frame_reader *fr);

/* Continue at file offset pos (the start of a frame, from the frame index; clamped to the
   end of the file). */
void atr__frame_reader_seek(atr__frame_reader *fr, uint64_t pos);

#endif /* ATR_FORMAT_FRAME_READ_H */
