/*
 * Generator of the damaged logs under tests/golden/corrupt/ (run by hand, not in CI; the
 * files are committed, and tests/c/test_corrupt.c reads them against the table in
 * tests/golden/corrupt/README).
 *
 *     gen_corrupt OUTDIR [HOSTILE_DIR]
 *
 * With HOSTILE_DIR it also writes tests/golden/hostile/call_bomb.atr: a valid, small log
 * that declares millions of calls (read by tests/c/test_analysis_budget.c and
 * tests/python/test_hostile_budget.py against the analysis memory budget).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr.h"
#include "format/encode.h"
#include "format/format.h"
#include "format/frame_write.h"
#include "rec_build.h"

static const char *outdir;
static int failed;

typedef struct image {
    uint8_t *bytes;
    size_t len, cap;
} image;

static void im_put(image *im, const void *p, size_t n) {
    if (im->len + n > im->cap) {
        size_t cap = (im->len + n) * 2;
        uint8_t *b = realloc(im->bytes, cap);
        if (!b)
            exit(1);
        im->bytes = b;
        im->cap = cap;
    }
    memcpy(im->bytes + im->len, p, n);
    im->len += n;
}

static void im_header(image *im, uint16_t major) {
    uint8_t h[ATR__HEADER_SIZE];
    im->len = 0;
    atr__frame_header(h);
    h[12] = (uint8_t)major;
    h[13] = (uint8_t)(major >> 8);
    im_put(im, h, sizeof h);
}

static void im_frame(image *im, const uint8_t *content, size_t n) {
    atr__framer *f = atr__framer_new(19);
    atr__seg seg = {content, n};
    const uint8_t *out;
    size_t out_len;
    if (!f || atr__framer_compress(f, &seg, 1, &out, &out_len) != 0) {
        fprintf(stderr, "compress failed\n");
        exit(1);
    }
    im_put(im, out, out_len);
    atr__framer_free(f);
}

static void save(const char *name, const image *im) {
    char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(im->bytes, 1, im->len, f) != im->len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        failed = 1;
    }
}

/* PROCESS, FUNCTION 0 (one param), CHUNK 0: the start of every record stream below. */
static void records_start(atr__cur *c) {
    static const atr_str param = {"x", 1};
    atr__process_desc pd;
    atr_function_info fi;
    memset(&pd, 0, sizeof pd);
    pd.pid = 1234;
    pd.host = "corrupt";
    pd.runtime = "C";
    pd.tool = "gen_corrupt";
    pd.clock_ns = 1000;
    pd.uid = 42;
    atr__enc_process(c, &pd);
    memset(&fi, 0, sizeof fi);
    fi.qualname.ptr = "f";
    fi.qualname.len = 1;
    fi.n_params = 1;
    fi.params = &param;
    atr__enc_function(c, 0, &fi);
    atr__enc_chunk(c, 0);
}

/* A log: header, one frame holding the start records then the raw bytes `tail`. */
static void log_with_tail(const char *name, const uint8_t *tail, size_t n) {
    static uint8_t content[4u << 20];
    image im = {0};
    atr__cur c = atr__cur_make(content, 0, sizeof content);
    records_start(&c);
    atr__enc_raw(&c, tail, n);
    im_header(&im, 1);
    im_frame(&im, content, c.pos);
    save(name, &im);
    free(im.bytes);
}

static uint64_t step_clock(void *ctx) {
    uint64_t *t = ctx;
    return *t += 100;
}

/* A small healthy log from the writer: three frames. */
static image writer_log(void) {
    char path[1024];
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_function_info fi;
    atr_str param = {"n", 1};
    atr_value v;
    uint64_t t = 0, span;
    uint32_t fn, i;
    image im = {0};
    FILE *f;
    long n;

    snprintf(path, sizeof path, "%s/.writer.tmp", outdir);
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = step_clock;
    cfg.clock_ctx = &t;
    if (atr_session_open(&cfg, &s) != 0)
        exit(1);
    memset(&fi, 0, sizeof fi);
    fi.qualname.ptr = "work";
    fi.qualname.len = 4;
    fi.n_params = 1;
    fi.params = &param;
    atr_session_define_function(s, &fi, &fn);
    for (i = 0; i < 3; i++) {
        v = atr_value_strn("some argument text that compresses", 34);
        atr_span_begin(s, fn, 0, ATR_NOW, &v, 1, NULL, 0, &span);
        v = atr_value_int(i);
        atr_span_return(s, span, ATR_NOW, &v);
        atr_session_flush(s);
    }
    atr_session_close(s);
    f = fopen(path, "rb");
    if (!f)
        exit(1);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    im.bytes = malloc((size_t)n);
    im.len = im.cap = (size_t)n;
    if (!im.bytes || fread(im.bytes, 1, im.len, f) != im.len)
        exit(1);
    fclose(f);
    remove(path);
    return im;
}

/*
 * call_bomb.atr: FRAMES frames of 8 MiB content, each all START records of 6 bytes (no
 * arguments, no ENDs): 1.4 Mi calls a frame, a few KiB compressed. Analysing it needs about
 * 100 bytes a call; a log of this shape of 100 KiB declares some 100 M calls.
 */
#define BOMB_FRAMES 12
#define BOMB_CONTENT (8u << 20)
static void call_bomb(const char *dir) {
    static uint8_t content[BOMB_CONTENT + 64];
    static const uint8_t start[6] = {0x95, 0x05, 0x00, 0x00, 0x00, 0x90}; /* [5,0,0,0,[]] */
    image im = {0};
    int f;
    im_header(&im, 1);
    for (f = 0; f < BOMB_FRAMES; f++) {
        atr__cur c = atr__cur_make(content, 0, sizeof content);
        if (f == 0)
            records_start(&c);
        else
            atr__enc_chunk(&c, 0);
        while (c.pos + sizeof start <= BOMB_CONTENT)
            atr__enc_raw(&c, start, sizeof start);
        im_frame(&im, content, c.pos);
    }
    outdir = dir;
    save("call_bomb.atr", &im);
    free(im.bytes);
}

int main(int argc, char **argv) {
    static uint8_t big[(2u << 20) + 16];
    image im = {0}, w;
    uint8_t b[512];
    size_t i, n;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: gen_corrupt OUTDIR [HOSTILE_DIR]\n");
        return 2;
    }
    outdir = argv[1];

    /* the header */
    im.len = 0;
    im_put(&im, "PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00", 16);
    save("bad_magic.atr", &im);
    im_header(&im, 3);
    save("version_3.atr", &im);
    im.len = 10;
    save("short_header.atr", &im);

    /* frames */
    im_header(&im, 1);
    im_put(&im, "this is not a zstd frame, just some garbage\n", 44);
    save("garbage_after_header.atr", &im);
    /* a zstd frame header claiming 2^40 bytes of content, then one raw block of 1 byte */
    im_header(&im, 1);
    im_put(&im, "\x28\xB5\x2F\xFD\xE0\x00\x00\x00\x00\x00\x01\x00\x00\x09\x00\x00x", 17);
    save("huge_content_size.atr", &im);
    /* a zstd frame without a content size (single raw block) */
    im_header(&im, 1);
    im_put(&im, "\x28\xB5\x2F\xFD\x00\x00\x09\x00\x00x", 10);
    save("no_content_size.atr", &im);

    w = writer_log();
    /* one bit flipped inside the last frame's compressed data: checksum or zstd error */
    im.len = 0;
    im_put(&im, w.bytes, w.len);
    im.bytes[im.len - 8] ^= 0x10;
    save("bit_flip.atr", &im);
    /* cut inside the last frame: complete frames, then truncated */
    im.len = 0;
    im_put(&im, w.bytes, w.len - 7);
    save("truncated_tail.atr", &im);
    /* two stray bytes after the last frame */
    im.len = 0;
    im_put(&im, w.bytes, w.len);
    im_put(&im, "\x00\x00", 2);
    save("stray_tail.atr", &im);
    free(w.bytes);

    /* records */
    log_with_tail("array_2e32.atr", (const uint8_t *)"\xdd\xff\xff\xff\xff\x05", 6);
    log_with_tail("map_2e32_value.atr",
                  (const uint8_t *)"\x95\x05\x01\x00\x00\x91\xdf\xff\xff\xff\xff", 11);
    log_with_tail("str_2e32.atr", (const uint8_t *)"\x95\x05\x01\x00\x00\x91\xdb\xff\xff\xff\xff",
                  11);
    for (i = 0; i < 100; i++)
        b[i] = 0x91;
    b[100] = 0x01;
    log_with_tail("depth_bomb.atr", b, 101);
    log_with_tail("unknown_function.atr", (const uint8_t *)"\x95\x05\x01\x00\x09\x90", 6);
    log_with_tail("end_bogus_span.atr",
                  (const uint8_t *)"\x95\x05\x01\x00\x00\x90\x94\x06\x01\x05\x02", 11);
    log_with_tail("thread_2e31.atr", (const uint8_t *)"\x92\x04\xce\x80\x00\x00\x00", 7);
    log_with_tail("record_cut_at_frame_end.atr", (const uint8_t *)"\x95\x05\x01\x00\x00", 5);
    {
        /* a frame whose first record is not PROCESS */
        static const uint8_t recs[] = {0x92, 0x04, 0x00, 0x95, 0x05, 0x01, 0x00, 0x00, 0x90};
        im_header(&im, 1);
        im_frame(&im, recs, sizeof recs);
        save("start_before_process.atr", &im);
    }
    /* five nested summaries (the format allows four) */
    n = rec_build_nested_summaries(b, sizeof b, 5);
    log_with_tail("summary_depth_bomb.atr", b, n);
    /* 2 Mi nils in one record: more objects than a record may hold (compresses to little) */
    n = 0;
    big[n++] = 0xdd;
    big[n++] = 0x00;
    big[n++] = 0x20;
    big[n++] = 0x00;
    big[n++] = 0x00;
    memset(big + n, 0xc0, 2u << 20);
    n += 2u << 20;
    log_with_tail("object_bomb.atr", big, n);

    free(im.bytes);
    if (argc == 3)
        call_bomb(argv[2]);
    return failed;
}
