/*
 * The reader's decoding ahead (reader/ahead.c) on logs of many frames, each more than one
 * batch: every record in order with its frame offset, errors at the right record whether the
 * worker finds them (bytes that do not parse) or the caller's thread (a record that does not
 * decode against the stream state), truncation, closing while the worker runs ahead, and
 * progress. Runs under TSan too (.ci/test, section tsan).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argtrace/atr.h"
#include "atr_test.h"
#include "format/encode.h"
#include "format/format.h"
#include "format/frame_write.h"

#define FRAMES 7
#define PAIRS 1500 /* START + END per frame: 3,000 records, two batches of the reader */

enum { BAD_NONE, BAD_PARSE, BAD_DECODE };

typedef struct log_image {
    uint8_t *p;
    size_t len, cap;
    uint64_t frame_off[FRAMES];
} log_image;

static void append(log_image *im, const void *p, size_t n) {
    if (im->len + n > im->cap) {
        im->cap = (im->len + n) * 2;
        im->p = realloc(im->p, im->cap);
        ATR_REQUIRE(im->p != NULL);
    }
    memcpy(im->p + im->len, p, n);
    im->len += n;
}

/*
 * PROCESS, FUNCTION 0 (one param), then per frame CHUNK 0 and PAIRS calls f(i) -> i; the last
 * frame ends with END_OF_LOG. `bad` puts a broken record before pair bad_pair of frame
 * bad_frame: bytes with the invalid msgpack byte 0xc1, or a START of an undefined function.
 */
static void build(log_image *im, int bad, int bad_frame, int bad_pair) {
    static uint8_t content[1 << 16];
    atr__framer *fr = atr__framer_new(1);
    atr_str param = {"x", 1};
    atr_function_info fi;
    uint8_t header[ATR__HEADER_SIZE];
    uint64_t i = 0;

    ATR_REQUIRE(fr != NULL);
    memset(im, 0, sizeof *im);
    atr__frame_header(header);
    append(im, header, sizeof header);
    memset(&fi, 0, sizeof fi);
    fi.qualname = (atr_str){"f", 1};
    fi.n_params = 1;
    fi.params = &param;
    for (int f = 0; f < FRAMES; f++) {
        atr__cur c = atr__cur_make(content, 0, sizeof content);
        const uint8_t *out;
        size_t out_len;
        atr__seg seg;
        if (f == 0) {
            atr__process_desc pd;
            memset(&pd, 0, sizeof pd);
            pd.pid = 7;
            atr__enc_process(&c, &pd);
            atr__enc_function(&c, 0, &fi);
        }
        atr__enc_chunk(&c, 0);
        for (int k = 0; k < PAIRS; k++, i++) {
            atr_value v = atr_value_int((int64_t)i);
            if (bad == BAD_PARSE && f == bad_frame && k == bad_pair) {
                static const uint8_t junk[] = {0x92, 0x05, 0xc1};
                memcpy(content + c.pos, junk, sizeof junk);
                c.pos += sizeof junk;
            } else if (bad == BAD_DECODE && f == bad_frame && k == bad_pair) {
                atr__enc_start(&c, 1, 0, 99, &v, 1, NULL, 0, 64);
            }
            atr__enc_start(&c, 1, 0, 0, &v, 1, NULL, 0, 64);
            atr__enc_end_return(&c, 1, 1, &v, 64);
        }
        if (f == FRAMES - 1)
            atr__enc_end_of_log(&c, 1u << 30);
        ATR_REQUIRE(c.pos < sizeof content - 64);
        seg.ptr = content;
        seg.len = c.pos;
        ATR_REQUIRE(atr__framer_compress(fr, &seg, 1, &out, &out_len) == 0);
        im->frame_off[f] = im->len;
        append(im, out, out_len);
    }
    atr__framer_free(fr);
}

/* Reads records and checks each against the log build() wrote; returns the terminal code. */
static int read_check(atr_reader *r, uint64_t *n_out, int *bad_checks, const log_image *im) {
    atr_record rec;
    uint64_t n = 0, calls = 0, done = 0, last_done = 0, total = 0, time = 0;
    int rc;
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        n++;
        atr_reader_progress(r, &done, &total);
        *bad_checks += done < last_done || done > total; /* progress only moves forward */
        last_done = done;
        if (rec.kind == ATR_REC_START) {
            uint64_t seq = calls + 1, frame = calls / PAIRS;
            time += 1;
            if (rec.u.start.span != atr_span_id(0, seq) || rec.u.start.n_args != 1 ||
                rec.u.start.args[0].u.i != (int64_t)calls || rec.time_ns != time ||
                rec.offset != im->frame_off[frame]) {
                fprintf(stderr,
                        "  START %" PRIu64 ": span %" PRIx64 " arg %" PRId64 " time %" PRIu64
                        " offset %" PRIu64 "\n",
                        calls, rec.u.start.span, rec.u.start.args[0].u.i, rec.time_ns, rec.offset);
                (*bad_checks)++;
            }
        } else if (rec.kind == ATR_REC_END) {
            time += 1;
            if (rec.u.end.span != atr_span_id(0, calls + 1) || rec.time_ns != time ||
                rec.u.end.value.u.i != (int64_t)calls) {
                fprintf(stderr, "  END %" PRIu64 "\n", calls);
                (*bad_checks)++;
            }
            calls++;
        }
    }
    *n_out = n;
    return rc;
}

static void test_whole_log(void) {
    log_image im;
    atr_reader *r = NULL;
    uint64_t n = 0, done = 0, total = 0;
    int bad = 0;

    build(&im, BAD_NONE, 0, 0);
    ATR_REQUIRE(atr_reader_open_mem(im.p, im.len, &r) == 0);
    ATR_CHECK_ERR(read_check(r, &n, &bad, &im), ATR_EOF);
    ATR_CHECK_EQ_INT(bad, 0);
    ATR_CHECK_EQ_U64(n, 2 + 2 * (uint64_t)PAIRS * FRAMES + 1);
    ATR_CHECK_EQ_INT(atr_reader_closed_cleanly(r), 1);
    atr_reader_progress(r, &done, &total);
    ATR_CHECK_EQ_U64(done, im.len);
    ATR_CHECK_ERR(atr_reader_next(r, &(atr_record){0}), ATR_EOF); /* sticky */
    atr_reader_close(r);
    free(im.p);
}

/*
 * A broken record in frame bad_frame before pair bad_pair: every record before it, then the
 * error naming that frame's offset and the record's number in its frame.
 */
static void check_bad(int bad, int bad_frame, int bad_pair, const char *reason) {
    log_image im;
    atr_reader *r = NULL;
    uint64_t n = 0, want = 0, rec_no;
    char where[128];
    int bad_checks = 0;

    build(&im, bad, bad_frame, bad_pair);
    ATR_REQUIRE(atr_reader_open_mem(im.p, im.len, &r) == 0);
    ATR_CHECK_ERR(read_check(r, &n, &bad_checks, &im), ATR_ECORRUPT);
    ATR_CHECK_EQ_INT(bad_checks, 0);
    want = 2 + 2 * ((uint64_t)PAIRS * bad_frame + bad_pair); /* PROCESS, FUNCTION, calls */
    ATR_CHECK_EQ_U64(n, want);
    rec_no = (bad_frame == 0 ? 3 : 1) + 2 * (uint64_t)bad_pair + 1;
    snprintf(where, sizeof where,
             "at offset %" PRIu64 ": record %" PRIu64 " of the frame: ", im.frame_off[bad_frame],
             rec_no);
    if (!ATR_CHECK(strstr(atr_reader_error(r), where) && strstr(atr_reader_error(r), reason)))
        fprintf(stderr, "  error \"%s\", wanted \"%s...%s\"\n", atr_reader_error(r), where, reason);
    ATR_CHECK_ERR(atr_reader_next(r, &(atr_record){0}), ATR_ECORRUPT); /* sticky */
    atr_reader_close(r);
    free(im.p);
}

static void test_errors(void) {
    /* found by the worker: in a frame's second batch, then its first, then the first frame */
    check_bad(BAD_PARSE, 5, 1200, "invalid msgpack byte 0xc1");
    check_bad(BAD_PARSE, 3, 2, "invalid msgpack byte 0xc1");
    check_bad(BAD_PARSE, 0, 0, "invalid msgpack byte 0xc1");
    /* found by the caller's thread (no FUNCTION 99) */
    check_bad(BAD_DECODE, 4, 1400, "START refers to function 99");
    check_bad(BAD_DECODE, 1, 0, "START refers to function 99");
}

/* Cut inside frame 4: the records of frames 0-3, then truncated at frame 4's offset. */
static void test_truncated(void) {
    log_image im;
    atr_reader *r = NULL;
    uint64_t n = 0;
    uint8_t *copy;
    size_t cut;
    char where[64];
    int bad = 0;

    build(&im, BAD_NONE, 0, 0);
    cut = (size_t)(im.frame_off[4] + im.frame_off[5]) / 2;
    copy = malloc(cut); /* exact size: ASan sees any read past it */
    ATR_REQUIRE(copy != NULL);
    memcpy(copy, im.p, cut);
    ATR_REQUIRE(atr_reader_open_mem(copy, cut, &r) == 0);
    ATR_CHECK_ERR(read_check(r, &n, &bad, &im), ATR_ETRUNCATED);
    ATR_CHECK_EQ_INT(bad, 0);
    ATR_CHECK_EQ_U64(n, 2 + 2 * (uint64_t)PAIRS * 4);
    snprintf(where, sizeof where, "at offset %" PRIu64 ": ", im.frame_off[4]);
    ATR_CHECK(strstr(atr_reader_error(r), where) != NULL);
    ATR_CHECK_EQ_INT(atr_reader_closed_cleanly(r), 0);
    atr_reader_close(r);
    free(copy);
    free(im.p);
}

/* Close after some records, the worker running ahead or waiting for room: no hang, no leak. */
static void test_close_early(void) {
    static const uint64_t stops[] = {1, 100, 2047, 2048, 2049, 5000, 9000, 20000};
    log_image im;
    build(&im, BAD_NONE, 0, 0);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        atr_reader *r = NULL;
        atr_record rec;
        uint64_t n = 0;
        ATR_REQUIRE(atr_reader_open_mem(im.p, im.len, &r) == 0);
        while (n < stops[i] && atr_reader_next(r, &rec) == 0)
            n++;
        ATR_CHECK_EQ_U64(n, stops[i]);
        atr_reader_close(r);
    }
    free(im.p);
}

/*
 * A child made by fork() while the reader's worker runs: atr_reader_next() fails with
 * ATR_EINVAL instead of waiting forever for a worker that does not exist there, and closing
 * is safe; the parent reads on to the end.
 */
static void test_fork_child(void) {
    log_image im;
    atr_reader *r = NULL;
    atr_record rec;
    uint64_t n = 0;
    int status = 0, rc;
    pid_t pid;

    build(&im, BAD_NONE, 0, 0);
    ATR_REQUIRE(atr_reader_open_mem(im.p, im.len, &r) == 0);
    while (n < 5000 && atr_reader_next(r, &rec) == 0) /* past the first batch */
        n++;
    fflush(NULL);
    pid = fork();
    ATR_REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 0;
        alarm(20); /* a hang fails the test (SIGALRM) */
        while ((rc = atr_reader_next(r, &rec)) == 0)
            n++;
        code = rc == ATR_EINVAL && strstr(atr_reader_error(r), "fork()") ? 0 : 3;
        atr_reader_close(r);
        _exit(code);
    }
    ATR_REQUIRE(waitpid(pid, &status, 0) == pid);
    if (!ATR_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        fprintf(stderr, "  child status 0x%x\n", status);
    while ((rc = atr_reader_next(r, &rec)) == 0)
        n++;
    ATR_CHECK_ERR(rc, ATR_EOF);
    ATR_CHECK_EQ_U64(n, 2 + 2 * (uint64_t)PAIRS * FRAMES + 1);
    atr_reader_close(r);
    free(im.p);
}

int main(void) {
    test_whole_log();
    test_errors();
    test_truncated();
    test_close_early();
    test_fork_child();
    ATR_TEST_MAIN_END();
}
