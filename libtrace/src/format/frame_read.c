/*
 * File layer of the reader: header check and frame splitting (docs/FORMAT.md section 2).
 *
 * ZSTD_findFrameCompressedSize() walks a frame's block headers without decompressing; when
 * the file ends before the frame does it fails with srcSize_wrong, which is how a truncated
 * tail is told apart from a damaged frame. Content sizes are checked against the format's
 * limit before any buffer is sized by them.
 */
#include "format/frame_read.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#include <zstd_errors.h>

#include "argtrace/atr_common.h"
#include "format/decode.h"
#include "format/format.h"

struct atr__frame_reader {
    const uint8_t *data; /* the whole file (caller-owned) */
    size_t len;
    size_t pos;      /* start of the next frame */
    ZSTD_DCtx *dctx; /* reused for every frame */
    uint8_t *buf;    /* content of the last frame */
    size_t cap;
};

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

int atr__header_read(const uint8_t *data, size_t len, uint32_t *major, uint32_t *minor,
                     size_t *header_size, char *msg, size_t msg_size) {
    static const uint8_t magic[4] = {0x5A, 0x2A, 0x4D, 0x18};
    size_t i, payload;

    for (i = 0; i < len && i < 4; i++)
        if (data[i] != magic[i])
            return atr__msgf(msg, msg_size, ATR_EMAGIC, "not an argtrace log: bad magic bytes");
    if (len >= 8 && le32(data + 4) < 8)
        return atr__msgf(msg, msg_size, ATR_EMAGIC,
                         "not an argtrace log: header payload of %" PRIu32 " bytes (needs 8)",
                         le32(data + 4));
    for (i = 8; i < len && i < 12; i++)
        if (data[i] != (uint8_t)ATR__HEADER_TAG[i - 8])
            return atr__msgf(msg, msg_size, ATR_EMAGIC, "not an argtrace log: no ATRC tag");
    if (len < ATR__HEADER_SIZE)
        return atr__msgf(msg, msg_size, ATR_ETRUNCATED,
                         "the file has %zu bytes, shorter than the %u-byte header", len,
                         ATR__HEADER_SIZE);
    *major = le16(data + 12);
    *minor = le16(data + 14);
    if (*major < ATR_FORMAT_MAJOR_MIN || *major > ATR_FORMAT_MAJOR)
        return atr__msgf(msg, msg_size, ATR_EVERSION,
                         "log format version %" PRIu32 ".%" PRIu32
                         ", this reader reads %d.x to %d.x only",
                         *major, *minor, ATR_FORMAT_MAJOR_MIN, ATR_FORMAT_MAJOR);
    payload = le32(data + 4);
    if (len - 8 < payload)
        return atr__msgf(msg, msg_size, ATR_ETRUNCATED,
                         "the file has %zu bytes, shorter than its %zu-byte header", len,
                         payload + 8);
    *header_size = payload + 8;
    return 0;
}

int atr__frame_reader_new(const uint8_t *data, size_t len, size_t start, atr__frame_reader **out) {
    atr__frame_reader *fr = calloc(1, sizeof *fr);
    *out = NULL;
    if (!fr)
        return ATR_ENOMEM;
    fr->dctx = ZSTD_createDCtx();
    if (!fr->dctx) {
        free(fr);
        return ATR_ENOMEM;
    }
    fr->data = data;
    fr->len = len;
    fr->pos = start;
    *out = fr;
    return 0;
}

void atr__frame_reader_free(atr__frame_reader *fr) {
    if (!fr)
        return;
    ZSTD_freeDCtx(fr->dctx);
    free(fr->buf);
    free(fr);
}

uint64_t atr__frame_reader_pos(const atr__frame_reader *fr) { return fr->pos; }

void atr__frame_reader_seek(atr__frame_reader *fr, uint64_t pos) {
    fr->pos = pos < fr->len ? (size_t)pos : fr->len;
}

/* The last 1-3 bytes of the file: the start of a frame magic (truncated) or garbage. */
static int short_tail(const uint8_t *p, size_t n, char *msg, size_t msg_size) {
    static const uint8_t zstd_magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
    static const uint8_t skip_magic[4] = {0x50, 0x2A, 0x4D, 0x18};
    int zstd = memcmp(p, zstd_magic, n) == 0;
    int skip = (p[0] & 0xF0) == skip_magic[0] && memcmp(p + 1, skip_magic + 1, n - 1) == 0;
    if (zstd || skip)
        return atr__msgf(msg, msg_size, ATR_ETRUNCATED, "the file ends %zu bytes into a frame", n);
    return atr__msgf(msg, msg_size, ATR_ECORRUPT, "%zu stray bytes at the end of the file", n);
}

int atr__frame_next(atr__frame_reader *fr, const uint8_t **content, size_t *size, uint64_t *offset,
                    char *msg, size_t msg_size) {
    return atr__frame_next_into(fr, &fr->buf, &fr->cap, content, size, offset, msg, msg_size);
}

int atr__frame_next_into(atr__frame_reader *fr, uint8_t **bufp, size_t *capp,
                         const uint8_t **content, size_t *size, uint64_t *offset, char *msg,
                         size_t msg_size) {
    for (;;) {
        const uint8_t *p = fr->data + fr->pos;
        size_t left = fr->len - fr->pos, csize, dsize;
        unsigned long long fcs;
        uint32_t magic;

        *offset = fr->pos;
        if (left == 0)
            return atr__msgf(msg, msg_size, ATR_EOF, "end of log");
        if (left < 4)
            return short_tail(p, left, msg, msg_size);
        magic = le32(p);
        if ((magic & ATR__SKIPPABLE_MAGIC_MASK) != ATR__SKIPPABLE_MAGIC_MIN &&
            magic != ATR__ZSTD_MAGIC)
            return atr__msgf(msg, msg_size, ATR_ECORRUPT,
                             "no frame starts here (magic 0x%08" PRIx32 ")", magic);
        csize = ZSTD_findFrameCompressedSize(p, left);
        if (ZSTD_isError(csize)) {
            if (ZSTD_getErrorCode(csize) == ZSTD_error_srcSize_wrong)
                return atr__msgf(msg, msg_size, ATR_ETRUNCATED,
                                 "the file ends inside a frame (%zu bytes of it present)", left);
            return atr__msgf(msg, msg_size, ATR_ECORRUPT, "bad frame: %s",
                             ZSTD_getErrorName(csize));
        }
        if (magic != ATR__ZSTD_MAGIC) {
            fr->pos += csize; /* skippable */
            continue;
        }
        fcs = ZSTD_getFrameContentSize(p, csize);
        if (fcs == ZSTD_CONTENTSIZE_UNKNOWN)
            return atr__msgf(msg, msg_size, ATR_ECORRUPT, "frame header has no content size");
        if (fcs == ZSTD_CONTENTSIZE_ERROR)
            return atr__msgf(msg, msg_size, ATR_ECORRUPT, "bad frame header");
        if (fcs > ATR__FRAME_CONTENT_MAX)
            return atr__msgf(msg, msg_size, ATR_ETOOBIG,
                             "frame content of %llu bytes is over the %u-byte limit", fcs,
                             ATR__FRAME_CONTENT_MAX);
        if (*capp < fcs || !*bufp) {
            uint8_t *buf = realloc(*bufp, fcs ? (size_t)fcs : 1);
            if (!buf)
                return atr__msgf(msg, msg_size, ATR_ENOMEM, "out of memory for a %llu-byte frame",
                                 fcs);
            *bufp = buf;
            *capp = (size_t)fcs;
        }
        dsize = ZSTD_decompressDCtx(fr->dctx, *bufp, (size_t)fcs, p, csize);
        if (ZSTD_isError(dsize))
            return atr__msgf(msg, msg_size,
                             ZSTD_getErrorCode(dsize) == ZSTD_error_memory_allocation
                                 ? ATR_ENOMEM
                                 : ATR_ECORRUPT,
                             "frame does not decompress: %s", ZSTD_getErrorName(dsize));
        if (dsize != fcs)
            return atr__msgf(msg, msg_size, ATR_ECORRUPT,
                             "frame decompresses to %zu bytes, its header says %llu", dsize, fcs);
        fr->pos += csize;
        if (dsize == 0)
            continue;
        *content = *bufp;
        *size = dsize;
        return 0;
    }
}
