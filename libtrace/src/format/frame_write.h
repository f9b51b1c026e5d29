/*
 * Writing the bytes on disk (docs/FORMAT.md section 2): the 16-byte file header and zstd
 * frames. A frame is compressed from a list of byte segments (no copy into one buffer), with
 * the content size in its header and the content checksum on.
 */
#ifndef ATR_FORMAT_FRAME_WRITE_H
#define ATR_FORMAT_FRAME_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "format/format.h"

/* Fill out[ATR__HEADER_SIZE] with the v1 file header. */
void atr__frame_header(uint8_t out[ATR__HEADER_SIZE]);

typedef struct atr__seg {
    const void *ptr;
    size_t len;
} atr__seg;

/* Compression state and output buffer, reused across frames. One thread at a time. */
typedef struct atr__framer atr__framer;

/* Returns NULL when out of memory. `level` is a zstd level (checked by the caller). */
atr__framer *atr__framer_new(int level);
void atr__framer_free(atr__framer *f);

/*
 * Compress segs[0..n) (their concatenation, at most ATR__FRAME_WRITE_MAX bytes) into one
 * frame. On success *out and *out_len hold the frame, valid until the next call. Returns 0,
 * ATR_ETOOBIG, ATR_ENOMEM or ATR_EIO (zstd error).
 */
int atr__framer_compress(atr__framer *f, const atr__seg *segs, size_t n, const uint8_t **out,
                         size_t *out_len);

#endif /* ATR_FORMAT_FRAME_WRITE_H */
