/* File header and zstd frame compression for the writer (docs/FORMAT.md section 2). */
#include "format/frame_write.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "argtrace/atr_common.h"

struct atr__framer {
    ZSTD_CCtx *cctx;
    uint8_t *out;
    size_t cap;
};

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void atr__frame_header(uint8_t out[ATR__HEADER_SIZE]) {
    put_le32(out, ATR__SKIPPABLE_MAGIC);
    put_le32(out + 4, 8);
    memcpy(out + 8, ATR__HEADER_TAG, 4);
    out[12] = (uint8_t)ATR_FORMAT_MAJOR;
    out[13] = (uint8_t)(ATR_FORMAT_MAJOR >> 8);
    out[14] = (uint8_t)ATR_FORMAT_MINOR;
    out[15] = (uint8_t)(ATR_FORMAT_MINOR >> 8);
}

atr__framer *atr__framer_new(int level) {
    atr__framer *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->cctx = ZSTD_createCCtx();
    if (!f->cctx || ZSTD_isError(ZSTD_CCtx_setParameter(f->cctx, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(f->cctx, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(f->cctx, ZSTD_c_contentSizeFlag, 1))) {
        atr__framer_free(f);
        return NULL;
    }
    return f;
}

void atr__framer_free(atr__framer *f) {
    if (!f)
        return;
    ZSTD_freeCCtx(f->cctx);
    free(f->out);
    free(f);
}

int atr__framer_compress(atr__framer *f, const atr__seg *segs, size_t n, const uint8_t **out,
                         size_t *out_len) {
    size_t total = 0, i, need, r;
    ZSTD_outBuffer ob;
    for (i = 0; i < n; i++) {
        total += segs[i].len;
        if (total > ATR__FRAME_WRITE_MAX)
            return ATR_ETOOBIG;
    }
    need = ZSTD_compressBound(total);
    if (need > f->cap) {
        uint8_t *p = realloc(f->out, need);
        if (!p)
            return ATR_ENOMEM;
        f->out = p;
        f->cap = need;
    }
    ZSTD_CCtx_reset(f->cctx, ZSTD_reset_session_only);
    if (ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(f->cctx, total)))
        return ATR_EIO;
    ob.dst = f->out;
    ob.size = f->cap;
    ob.pos = 0;
    for (i = 0; i < n; i++) {
        ZSTD_inBuffer ib = {segs[i].ptr, segs[i].len, 0};
        while (ib.pos < ib.size) {
            r = ZSTD_compressStream2(f->cctx, &ob, &ib, ZSTD_e_continue);
            if (ZSTD_isError(r) || (ib.pos < ib.size && ob.pos == ob.size))
                return ATR_EIO;
        }
    }
    for (;;) {
        ZSTD_inBuffer none = {NULL, 0, 0};
        r = ZSTD_compressStream2(f->cctx, &ob, &none, ZSTD_e_end);
        if (ZSTD_isError(r))
            return ATR_EIO;
        if (r == 0)
            break;
        if (ob.pos == ob.size)
            return ATR_EIO; /* cannot happen with compressBound room */
    }
    *out = f->out;
    *out_len = ob.pos;
    return 0;
}
