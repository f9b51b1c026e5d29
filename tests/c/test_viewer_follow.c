/*
 * The follower's frame walker (viewer/follow.h, atr__frame_len) against frames libzstd
 * makes in every shape a writer could choose: content size and checksum on or off, one
 * segment or a window descriptor, a dictionary id, raw, RLE and compressed blocks, several
 * blocks, empty content, a dictionary id (by hand); skippable frames. Every frame's length is zstd's own
 * (ZSTD_findFrameCompressedSize), every strict prefix is "incomplete", and bytes that are
 * no frame say so.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "atr_test.h"
#include "follow.h"

/* Every prefix of a frame is incomplete; the whole is complete, also with bytes after it. */
static void check_frame(const uint8_t *f, size_t len, const char *what) {
    for (size_t i = 0; i < len; i++)
        if (atr__frame_len(f, i) != 0) {
            ATR_CHECK_EQ_STR(what, "a prefix taken for a whole frame");
            return;
        }
    ATR_CHECK_EQ_INT(atr__frame_len(f, len), (long long)len);
    uint8_t *more = malloc(len + 7);
    ATR_REQUIRE(more != NULL);
    memcpy(more, f, len);
    memset(more + len, 0xAB, 7);
    ATR_CHECK_EQ_INT(atr__frame_len(more, len + 7), (long long)len);
    free(more);
}

static void zstd_frame(const void *src, size_t n, int checksum, int content_size, int window_log,
                       const char *what) {
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ATR_REQUIRE(c != NULL);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
    ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
    if (window_log)
        ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log);
    size_t cap = ZSTD_compressBound(n) + 64;
    uint8_t *out = malloc(cap);
    ATR_REQUIRE(out != NULL);
    size_t len;
    if (content_size) {
        len = ZSTD_compress2(c, out, cap, src, n);
    } else { /* streaming without a pledged size: no content size in the header */
        ZSTD_outBuffer ob = {out, cap, 0};
        ZSTD_inBuffer ib = {src, n, 0};
        size_t r;
        do
            r = ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
        while (r != 0 && !ZSTD_isError(r));
        len = ZSTD_isError(r) ? r : ob.pos;
    }
    ATR_REQUIRE(!ZSTD_isError(len));
    ATR_CHECK_EQ_U64(ZSTD_findFrameCompressedSize(out, len), len);
    check_frame(out, len, what);
    ZSTD_freeCCtx(c);
    free(out);
}

static void test_zstd_frames(void) {
    size_t n = 600000; /* more than one 128 KiB block */
    uint8_t *text = malloc(n), *noise = malloc(n), *same = malloc(n);
    ATR_REQUIRE(text && noise && same);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        text[i] = (uint8_t)("abcdefgh, "[i % 10] + (i / 4096) % 3);
        x = x * 1103515245u + 12345u;
        noise[i] = (uint8_t)(x >> 24); /* incompressible: raw blocks */
        same[i] = 'z';                 /* one byte repeated: RLE blocks */
    }
    zstd_frame(text, n, 1, 1, 0, "compressed, checksum, content size");
    zstd_frame(text, n, 0, 1, 0, "no checksum");
    zstd_frame(text, n, 1, 0, 0, "no content size (window descriptor)");
    zstd_frame(text, n, 1, 1, 10, "small window: not single segment");
    zstd_frame(noise, n, 1, 1, 0, "raw blocks");
    zstd_frame(same, n, 1, 1, 0, "RLE blocks");
    zstd_frame(text, 0, 1, 1, 0, "empty content");
    zstd_frame(text, 100, 1, 1, 0, "small content, 1-byte content size");
    free(text);
    free(noise);
    free(same);
}

/* Frames with a dictionary id of 1, 2 and 4 bytes (made by hand: one raw block "hello"). */
static void test_dictionary_ids(void) {
    static const unsigned did_flag[] = {1, 2, 3}, did_size[] = {1, 2, 4};
    for (int k = 0; k < 3; k++) {
        uint8_t f[32] = {0x28, 0xB5, 0x2F, 0xFD, (uint8_t)(0x20u | did_flag[k])};
        size_t len = 5;
        for (unsigned i = 0; i < did_size[k]; i++)
            f[len++] = 7;          /* the id */
        f[len++] = 5;              /* content size, 1 byte (single segment) */
        f[len++] = 1u | (5u << 3); /* last block, raw, 5 bytes */
        f[len++] = 0;
        f[len++] = 0;
        memcpy(f + len, "hello", 5);
        len += 5;
        ATR_CHECK_EQ_U64(ZSTD_findFrameCompressedSize(f, len), len);
        check_frame(f, len, "dictionary id");
    }
}

static void test_skippable_and_garbage(void) {
    uint8_t skip[8 + 16] = {0x5A, 0x2A, 0x4D, 0x18, 16, 0, 0, 0}; /* the log header's kind */
    check_frame(skip, sizeof skip, "skippable");
    uint8_t zeros[16] = {0};
    ATR_CHECK_EQ_INT(atr__frame_len(zeros, sizeof zeros), -1);
    ATR_CHECK_EQ_INT(atr__frame_len(zeros, 3), 0); /* too short to tell yet */
    /* a zstd magic with the reserved header bit, or a reserved block type */
    uint8_t reserved[] = {0x28, 0xB5, 0x2F, 0xFD, 0x08, 0, 0, 0, 0};
    ATR_CHECK_EQ_INT(atr__frame_len(reserved, sizeof reserved), -1);
    uint8_t badblock[] = {0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x00, 0x07, 0x00, 0x00};
    ATR_CHECK_EQ_INT(atr__frame_len(badblock, sizeof badblock), -1);
}

int main(void) {
    test_zstd_frames();
    test_dictionary_ids();
    test_skippable_and_garbage();
    ATR_TEST_MAIN_END();
}
