/*
 * The public reader over real files: a small log written by the writer (injected clock) read
 * back exactly; every prefix of it (a crash at any byte) read as "all complete frames, then
 * truncated"; open errors, header variants, skippable and empty frames, sticky status,
 * progress, and spans across threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zstd.h>

#include "argtrace/atr.h"
#include "atr_test.h"
#include "format/encode.h"
#include "format/format.h"
#include "format/frame_write.h"
#include "rec_dump.h"

#define MAX_RECS 256

static uint64_t step_clock(void *ctx) {
    uint64_t *t = ctx;
    *t += 10;
    return *t;
}

static void spit(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    ATR_REQUIRE(f != NULL);
    ATR_REQUIRE(fwrite(p, 1, n, f) == n);
    fclose(f);
}

/* Dumps of every record of a reader (up to MAX_RECS); returns the terminal code. */
typedef struct dump_list {
    char *line[MAX_RECS];
    uint64_t offset[MAX_RECS]; /* frame offset of each record */
    int n;
    int end;
} dump_list;

static void dump_list_free(dump_list *d) {
    int i;
    for (i = 0; i < d->n; i++)
        free(d->line[i]);
    d->n = 0;
}

static int read_all(atr_reader *r, dump_list *d) {
    atr_record rec;
    char line[4096];
    d->n = 0;
    while ((d->end = atr_reader_next(r, &rec)) == 0) {
        if (d->n == MAX_RECS)
            return -1000;
        rec_dump_str(line, sizeof line, &rec);
        d->line[d->n] = strdup(line);
        d->offset[d->n] = rec.offset;
        d->n++;
    }
    return d->end;
}

/* --- a small log from the writer, read back exactly --------------------------------------- */

static const char *const expect_small[] = {
    "FUNCTION id=0 module=\"app\" qualname=\"parse\" file=\"app.c\" line=12 flags=0 "
    "params=[\"n\",\"mode\"]\n",
    "FUNCTION id=1 module=\"\" qualname=\"import_batch\" file=\"\" line=0 flags=8 params=[]\n",
    "THREAD thread=0 os_tid=%TID% name=\"main\"\n",
    "START thread=0 time=1020 span=0:1 parent=- function=1 args=[] "
    "fields={\"batch\"=int:7}\n",
    "START thread=0 time=1030 span=0:2 parent=0:1 function=0 "
    "args=[int:-5,str:\"strict\"] fields={}\n",
    "END thread=0 time=1040 span=0:2 status=0 value=float:2.5\n",
    "START thread=0 time=1050 span=0:3 parent=0:1 function=0 "
    "args=[uint:18446744073709551615,bytes:\"\\x00\\x01\"] fields={}\n",
    "MESSAGE thread=0 time=1060 span=0:3 text=\"rows\" fields={\"n\"=int:1200}\n",
    "END thread=0 time=1070 span=0:3 status=1 exc_type=\"ValueError\" "
    "value=str:\"abcdefghijklmnop\"/100\n",
    "START thread=0 time=500 span=0:4 parent=0:1 function=0 args=[nil,true] fields={}\n",
    "END thread=0 time=1080 span=0:4 status=2\n",
    "MESSAGE thread=0 time=1090 span=- text=\"outside\" fields={}\n",
    "END thread=0 time=1100 span=0:1 status=0 value=sum:\"list\"/3[int:1,false]\n",
    "DROPS records=0 bytes=0 oversize=0 capture_errors=0 write_errors=0\n",
    "END_OF_LOG time=1110\n",
};

/* Write the small log; each flush ends a frame, so it has several. */
static void write_small(const char *path) {
    static const char *const argv[] = {"prog", "--x"};
    static char long_text[100];
    atr_writer_config cfg;
    atr_session *s = NULL;
    uint64_t t = 1000, outer = 0, inner = 0;
    uint32_t f_parse = 0, f_action = 0;
    atr_str params[] = {{"n", 1}, {"mode", 4}};
    atr_function_info fi;
    atr_value args[2], v, items[2];
    atr_field fld;

    memset(long_text, 'z', sizeof long_text);
    memcpy(long_text, "abcdefghijklmnop", 16);
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = step_clock;
    cfg.clock_ctx = &t;
    cfg.argc = 2;
    cfg.argv = argv;
    cfg.max_value_bytes = 16;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    memset(&fi, 0, sizeof fi);
    fi.module.ptr = "app";
    fi.module.len = 3;
    fi.qualname.ptr = "parse";
    fi.qualname.len = 5;
    fi.file.ptr = "app.c";
    fi.file.len = 5;
    fi.line = 12;
    fi.n_params = 2;
    fi.params = params;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &f_parse));
    memset(&fi, 0, sizeof fi);
    fi.qualname.ptr = "import_batch";
    fi.qualname.len = 12;
    fi.flags = ATR_FUNC_ACTION;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &f_action));
    ATR_CHECK_OK(atr_thread_set_name(s, "main", 4));
    fld.name.ptr = "batch";
    fld.name.len = 5;
    fld.value = atr_value_int(7);
    ATR_CHECK_OK(atr_span_begin(s, f_action, 0, ATR_NOW, NULL, 0, &fld, 1, &outer));
    args[0] = atr_value_int(-5);
    args[1] = atr_value_strn("strict", 6);
    ATR_CHECK_OK(atr_span_begin(s, f_parse, outer, ATR_NOW, args, 2, NULL, 0, &inner));
    ATR_CHECK_OK(atr_session_flush(s));
    v = atr_value_float(2.5);
    ATR_CHECK_OK(atr_span_return(s, inner, ATR_NOW, &v));
    args[0].kind = ATR_V_UINT;
    args[0].u.u = UINT64_MAX;
    args[1] = atr_value_bytes("\0\1", 2);
    ATR_CHECK_OK(atr_span_begin(s, f_parse, outer, ATR_NOW, args, 2, NULL, 0, &inner));
    ATR_CHECK_OK(atr_session_flush(s));
    fld.name.ptr = "n";
    fld.name.len = 1;
    fld.value = atr_value_int(1200);
    ATR_CHECK_OK(atr_message(s, inner, ATR_NOW, (atr_str){"rows", 4}, &fld, 1));
    v = atr_value_strn(long_text, sizeof long_text);
    ATR_CHECK_OK(atr_span_raise(s, inner, ATR_NOW, (atr_str){"ValueError", 10}, &v));
    args[0] = atr_value_nil();
    args[1] = atr_value_bool(1);
    ATR_CHECK_OK(atr_span_begin(s, f_parse, outer, 500, args, 2, NULL, 0, &inner));
    ATR_CHECK_OK(atr_span_return(s, inner, ATR_NOW, NULL));
    ATR_CHECK_OK(atr_session_flush(s));
    ATR_CHECK_OK(atr_message(s, 0, ATR_NOW, (atr_str){"outside", 7}, NULL, 0));
    v = atr_value_summary("list", 4, 3);
    items[0] = atr_value_int(1);
    items[1] = atr_value_bool(0);
    v.n_items = 2;
    v.u.sum.items = items;
    ATR_CHECK_OK(atr_span_return(s, outer, ATR_NOW, &v));
    ATR_CHECK_OK(atr_session_close(s));
}

static void test_small_log(const char *path) {
    atr_reader *r = NULL;
    atr_record rec;
    dump_list d;
    uint32_t major = 0, minor = 9;
    uint64_t done = 1, total = 0;
    char want[512], tid[32];
    size_t i;

    ATR_REQUIRE(atr_reader_open(path, &r) == 0);
    atr_reader_version(r, &major, &minor);
    ATR_CHECK_EQ_INT(major, ATR_FORMAT_MAJOR);
    ATR_CHECK_EQ_INT(minor, ATR_FORMAT_MINOR);
    atr_reader_progress(r, &done, &total);
    ATR_CHECK_EQ_U64(done, ATR__HEADER_SIZE);
    ATR_CHECK(total > ATR__HEADER_SIZE);
    ATR_CHECK_EQ_INT(atr_reader_closed_cleanly(r), 0);
    ATR_REQUIRE(atr_reader_next(r, &rec) == 0);
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_PROCESS);
    ATR_CHECK_EQ_U64(rec.offset, ATR__HEADER_SIZE);
    ATR_CHECK_EQ_U64(rec.u.process.clock_ns, 1010);
    ATR_CHECK_EQ_INT(rec.u.process.format_major, ATR_FORMAT_MAJOR);
    ATR_CHECK_EQ_INT(rec.u.process.pid, getpid());
    ATR_CHECK_EQ_INT(rec.u.process.argc, 2);
    if (rec.u.process.argc == 2)
        ATR_CHECK_EQ_MEM(rec.u.process.argv[1].ptr, rec.u.process.argv[1].len, "--x", 3);
    ATR_CHECK_EQ_MEM(rec.u.process.runtime.ptr, rec.u.process.runtime.len, "C", 1);
    ATR_CHECK(rec.u.process.uid != 0);
    ATR_CHECK_EQ_U64(rec.u.process.parent_uid, 0);
    ATR_CHECK(rec.u.process.tool.len > 9 && memcmp(rec.u.process.tool.ptr, "argtrace ", 9) == 0);
    ATR_CHECK_EQ_INT(read_all(r, &d), ATR_EOF);
    ATR_CHECK_EQ_INT(d.n, (int)(sizeof expect_small / sizeof expect_small[0]));
    for (i = 0; i < sizeof expect_small / sizeof expect_small[0] && (int)i < d.n; i++) {
        const char *mark = strstr(expect_small[i], "%TID%");
        if (mark) {
            snprintf(tid, sizeof tid, "%ld", (long)getpid());
            snprintf(want, sizeof want, "%.*s%s%s", (int)(mark - expect_small[i]), expect_small[i],
                     tid, mark + 5);
        } else {
            snprintf(want, sizeof want, "%s", expect_small[i]);
        }
        ATR_CHECK_EQ_STR(d.line[i], want);
    }
    ATR_CHECK(d.n > 2 && d.offset[d.n - 1] > d.offset[0]); /* several frames */
    ATR_CHECK_EQ_INT(atr_reader_closed_cleanly(r), 1);
    atr_reader_progress(r, &done, &total);
    ATR_CHECK_EQ_U64(done, total);
    ATR_CHECK_EQ_INT(atr_reader_next(r, &rec), ATR_EOF); /* sticky */
    ATR_CHECK_EQ_STR(atr_reader_error(r), "end of log");
    dump_list_free(&d);
    atr_reader_close(r);
}

/* --- every prefix of the small log --------------------------------------------------------- */

static void test_truncation(const char *path) {
    size_t len = 0, ends[64], n_ends = 0, pos, cut, i;
    uint8_t *data = atr_test_read_file(path, &len), *copy;
    dump_list full, part;
    atr_reader *r = NULL;
    int bad = 0;

    ATR_REQUIRE(data != NULL && len > ATR__HEADER_SIZE);
    /* frame ends, found with zstd itself */
    ends[n_ends++] = ATR__HEADER_SIZE;
    for (pos = ATR__HEADER_SIZE; pos < len && n_ends < 64;) {
        size_t c = ZSTD_findFrameCompressedSize(data + pos, len - pos);
        ATR_REQUIRE(!ZSTD_isError(c));
        pos += c;
        ends[n_ends++] = pos;
    }
    ATR_CHECK(n_ends >= 4);
    ATR_REQUIRE(atr_reader_open_mem(data, len, &r) == 0);
    ATR_CHECK_EQ_INT(read_all(r, &full), ATR_EOF);
    atr_reader_close(r);

    for (cut = 0; cut < len; cut++) {
        size_t complete = 0; /* end of the last complete frame */
        int want_recs = 0, at_end = 0, rc, j;
        copy = malloc(cut ? cut : 1); /* exact size: ASan sees any read past the prefix */
        ATR_REQUIRE(copy != NULL);
        memcpy(copy, data, cut);
        rc = atr_reader_open_mem(copy, cut, &r);
        if (cut < ATR__HEADER_SIZE) {
            bad += !ATR_CHECK_EQ_INT(rc, ATR_ETRUNCATED);
            bad += !ATR_CHECK(r == NULL);
            free(copy);
            continue;
        }
        bad += !ATR_CHECK_EQ_INT(rc, 0);
        if (rc) {
            free(copy);
            continue;
        }
        for (i = 0; i < n_ends; i++) {
            if (ends[i] <= cut)
                complete = ends[i];
            at_end |= ends[i] == cut;
        }
        for (j = 0; j < full.n; j++)
            want_recs += full.offset[j] < complete;
        rc = read_all(r, &part);
        bad += !ATR_CHECK_EQ_INT(rc, at_end ? ATR_EOF : ATR_ETRUNCATED);
        bad += !ATR_CHECK_EQ_INT(part.n, want_recs);
        for (j = 0; j < part.n && j < full.n; j++)
            bad += !ATR_CHECK_EQ_STR(part.line[j], full.line[j]);
        /* cut inside the footer (1.3, after END_OF_LOG): closed, then truncated */
        bad += !ATR_CHECK_EQ_INT(atr_reader_closed_cleanly(r),
                                 part.n && strncmp(part.line[part.n - 1], "END_OF_LOG", 10) == 0);
        if (!at_end)
            bad += !ATR_CHECK(strstr(atr_reader_error(r), "truncated) at offset") != NULL);
        dump_list_free(&part);
        atr_reader_close(r);
        free(copy);
        if (bad) {
            fprintf(stderr, "  (prefix of %zu bytes of %zu)\n", cut, len);
            break;
        }
    }
    dump_list_free(&full);
    free(data);
}

/* --- open errors and header variants ------------------------------------------------------- */

/* A log image: header (payload `hsize` bytes, version), then frames of encoded records. */
typedef struct image {
    uint8_t bytes[8192];
    size_t len;
} image;

static void put_header(image *im, uint32_t hsize, uint16_t major, uint16_t minor) {
    uint8_t *p = im->bytes;
    atr__frame_header(p);
    p[4] = (uint8_t)hsize;
    p[12] = (uint8_t)major;
    p[13] = (uint8_t)(major >> 8);
    p[14] = (uint8_t)minor;
    memset(p + 16, 0xEE, hsize - 8);
    im->len = 8 + hsize;
}

static void put_frame(image *im, const uint8_t *content, size_t n) {
    atr__framer *f = atr__framer_new(3);
    atr__seg seg;
    const uint8_t *out;
    size_t out_len;
    seg.ptr = content;
    seg.len = n;
    ATR_REQUIRE(f && atr__framer_compress(f, &seg, 1, &out, &out_len) == 0);
    ATR_REQUIRE(im->len + out_len <= sizeof im->bytes);
    memcpy(im->bytes + im->len, out, out_len);
    im->len += out_len;
    atr__framer_free(f);
}

static void put_skippable(image *im, uint8_t low, size_t n) {
    uint8_t *p = im->bytes + im->len;
    p[0] = (uint8_t)(0x50 | low);
    p[1] = 0x2A;
    p[2] = 0x4D;
    p[3] = 0x18;
    p[4] = (uint8_t)n;
    p[5] = p[6] = p[7] = 0;
    memset(p + 8, 0xAB, n);
    im->len += 8 + n;
}

/* PROCESS, CHUNK 0, END_OF_LOG 77 */
static size_t tiny_records(uint8_t *out, size_t cap) {
    atr__process_desc pd;
    atr__cur c = atr__cur_make(out, 0, cap);
    memset(&pd, 0, sizeof pd);
    pd.pid = 1;
    atr__enc_process(&c, &pd);
    atr__enc_chunk(&c, 0);
    atr__enc_end_of_log(&c, 77);
    return c.pos;
}

static void test_open_errors(void) {
    static image im;
    char path[512], err[256];
    uint8_t recs[512];
    size_t n_recs = tiny_records(recs, sizeof recs);
    atr_reader *r = (atr_reader *)&im;
    atr_record rec;
    uint32_t major = 0, minor = 0;
    size_t first_offset;

    /* files that cannot be opened */
    ATR_CHECK_ERR(atr_reader_open_errbuf("/nonexistent/x.atr", &r, err, sizeof err), ATR_EOPEN);
    ATR_CHECK(r == NULL);
    ATR_CHECK(strstr(err, "No such file") != NULL);
    ATR_CHECK_ERR(
        atr_reader_open(getenv("ATR_TEST_TMPDIR") ? getenv("ATR_TEST_TMPDIR") : "/tmp", &r),
        ATR_EOPEN);
    ATR_CHECK_ERR(atr_reader_open(NULL, &r), ATR_EINVAL);
    ATR_CHECK_ERR(atr_reader_open_mem(NULL, 5, &r), ATR_EINVAL);
    atr_reader_close(NULL);

    /* empty file: shorter than the header */
    atr_test_tmpfile(path, sizeof path, "test_reader_empty.atr");
    spit(path, "", 0);
    ATR_CHECK_ERR(atr_reader_open_errbuf(path, &r, err, sizeof err), ATR_ETRUNCATED);
    ATR_CHECK(strstr(err, "0 bytes") != NULL);
    ATR_CHECK_ERR(atr_reader_open_mem(NULL, 0, &r), ATR_ETRUNCATED);

    /* not a log */
    spit(path, "hello world, this is text\n", 26);
    ATR_CHECK_ERR(atr_reader_open_errbuf(path, &r, err, sizeof err), ATR_EMAGIC);
    ATR_CHECK(strstr(err, "not an argtrace log") != NULL);
    ATR_CHECK_ERR(
        atr_reader_open_mem("\x5A\x2A\x4D\x18\x08\x00\x00\x00ATRX\x01\x00\x00\x00", 16, &r),
        ATR_EMAGIC);
    ATR_CHECK_ERR(atr_reader_open_mem("\x5A\x2A\x4D\x18\x04\x00\x00\x00", 8, &r), ATR_EMAGIC);
    ATR_CHECK_ERR(atr_reader_open_mem("\x5A\x2A\x4D", 3, &r), ATR_ETRUNCATED);
    ATR_CHECK_ERR(atr_reader_open_mem("\x5A\x2A\x4E", 3, &r), ATR_EMAGIC);

    /* unknown major version: refused with the version in the message */
    put_header(&im, 8, 3, 1);
    spit(path, im.bytes, im.len);
    ATR_CHECK_ERR(atr_reader_open_errbuf(path, &r, err, sizeof err), ATR_EVERSION);
    ATR_CHECK(strstr(err, "version 3.1") != NULL);
    put_header(&im, 8, 0, 0);
    ATR_CHECK_ERR(atr_reader_open_mem(im.bytes, im.len, &r), ATR_EVERSION);

    /* header only (the writer died before its first frame): a clean, empty, unclosed log */
    put_header(&im, 8, 1, 0);
    ATR_REQUIRE(atr_reader_open_mem(im.bytes, im.len, &r) == 0);
    ATR_CHECK_ERR(atr_reader_next(r, &rec), ATR_EOF);
    ATR_CHECK_EQ_INT(atr_reader_closed_cleanly(r), 0);
    atr_reader_close(r);

    /* a later minor version with a longer header, skippable and empty frames: all read */
    put_header(&im, 12, 1, 7);
    put_skippable(&im, 0x0, 5);
    put_frame(&im, recs, 0);
    first_offset = im.len;
    put_frame(&im, recs, n_recs);
    put_skippable(&im, 0xF, 0);
    spit(path, im.bytes, im.len);
    ATR_REQUIRE(atr_reader_open(path, &r) == 0);
    atr_reader_version(r, &major, &minor);
    ATR_CHECK_EQ_INT(major, 1);
    ATR_CHECK_EQ_INT(minor, 7);
    ATR_CHECK_OK(atr_reader_next(r, &rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_PROCESS);
    ATR_CHECK_EQ_INT(rec.u.process.format_minor, 7);
    ATR_CHECK_EQ_U64(rec.offset, first_offset); /* after header, skippable, empty frame */
    ATR_CHECK(first_offset > 20 + 13);
    ATR_CHECK_OK(atr_reader_next(r, &rec));
    ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END_OF_LOG);
    ATR_CHECK_EQ_U64(rec.time_ns, 77);
    ATR_CHECK_ERR(atr_reader_next(r, &rec), ATR_EOF);
    ATR_CHECK_EQ_INT(atr_reader_closed_cleanly(r), 1);
    atr_reader_close(r);

    /* header whose payload runs past the end of the file */
    put_header(&im, 40, 1, 0);
    ATR_CHECK_ERR(atr_reader_open_mem(im.bytes, 30, &r), ATR_ETRUNCATED);

    /* a truncated tail is sticky, and its message names the offset */
    put_header(&im, 8, 1, 0);
    put_frame(&im, recs, n_recs);
    put_frame(&im, recs, n_recs);
    ATR_REQUIRE(atr_reader_open_mem(im.bytes, im.len - 1, &r) == 0);
    ATR_CHECK_OK(atr_reader_next(r, &rec));
    ATR_CHECK_OK(atr_reader_next(r, &rec));
    ATR_CHECK_ERR(atr_reader_next(r, &rec), ATR_ETRUNCATED);
    ATR_CHECK_ERR(atr_reader_next(r, &rec), ATR_ETRUNCATED);
    ATR_CHECK(strstr(atr_reader_error(r), "at offset ") != NULL);
    atr_reader_close(r);
    /* ... and the second PROCESS of the complete two-frame image is corrupt, also sticky */
    ATR_REQUIRE(atr_reader_open_mem(im.bytes, im.len, &r) == 0);
    ATR_CHECK_OK(atr_reader_next(r, &rec));
    ATR_CHECK_OK(atr_reader_next(r, &rec));
    ATR_CHECK_ERR(atr_reader_next(r, &rec), ATR_ECORRUPT);
    ATR_CHECK_ERR(atr_reader_next(r, &rec), ATR_ECORRUPT);
    ATR_CHECK(strstr(atr_reader_error(r), "second PROCESS") != NULL);
    atr_reader_close(r);
    remove(path);
}

/* --- spans across threads ------------------------------------------------------------------ */

typedef struct worker_arg {
    atr_session *s;
    uint32_t fn;
    uint64_t parent;
    uint64_t span;
    int rc;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    uint64_t child = 0;
    a->rc = atr_thread_set_name(a->s, "worker", 6);
    a->rc |= atr_span_begin(a->s, a->fn, a->parent, ATR_NOW, NULL, 0, NULL, 0, &a->span);
    a->rc |= atr_span_begin(a->s, a->fn, a->span, ATR_NOW, NULL, 0, NULL, 0, &child);
    a->rc |= atr_span_return(a->s, child, ATR_NOW, NULL);
    a->rc |= atr_span_return(a->s, a->span, ATR_NOW, NULL);
    return NULL;
}

static void test_threads(void) {
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_function_info fi;
    worker_arg a;
    pthread_t th;
    atr_reader *r = NULL;
    atr_record rec;
    char path[512];
    uint64_t t = 0, main_span = 0, worker_span = 0, child_span = 0, t_prev[2] = {0, 0};
    int n_start = 0, n_end = 0, rc;

    atr_test_tmpfile(path, sizeof path, "test_reader_threads.atr");
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = step_clock;
    cfg.clock_ctx = &t;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    memset(&fi, 0, sizeof fi);
    fi.qualname.ptr = "job";
    fi.qualname.len = 3;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &a.fn));
    ATR_CHECK_OK(atr_span_begin(s, a.fn, 0, ATR_NOW, NULL, 0, NULL, 0, &main_span));
    a.s = s;
    a.parent = main_span;
    ATR_REQUIRE(pthread_create(&th, NULL, worker, &a) == 0);
    pthread_join(th, NULL);
    ATR_CHECK_OK(a.rc);
    ATR_CHECK_OK(atr_span_return(s, main_span, ATR_NOW, NULL));
    ATR_CHECK_OK(atr_session_close(s));

    ATR_REQUIRE(atr_reader_open(path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        if (rec.kind == ATR_REC_START || rec.kind == ATR_REC_END) {
            ATR_CHECK(rec.thread < 2);
            if (rec.thread < 2) {
                ATR_CHECK(rec.time_ns > t_prev[rec.thread]); /* per-thread order kept */
                t_prev[rec.thread] = rec.time_ns;
            }
        }
        if (rec.kind == ATR_REC_START) {
            n_start++;
            if (rec.u.start.span == main_span) {
                ATR_CHECK_EQ_U64(rec.u.start.parent, 0);
            } else if (rec.u.start.parent == main_span) {
                worker_span = rec.u.start.span;
                ATR_CHECK(rec.thread != atr_span_thread(main_span));
            } else {
                child_span = rec.u.start.span;
                ATR_CHECK_EQ_U64(rec.u.start.parent, worker_span);
            }
        } else if (rec.kind == ATR_REC_END) {
            n_end++;
            ATR_CHECK(rec.u.end.span == main_span || rec.u.end.span == worker_span ||
                      rec.u.end.span == child_span);
        }
    }
    ATR_CHECK_EQ_INT(rc, ATR_EOF);
    ATR_CHECK_EQ_INT(n_start, 3);
    ATR_CHECK_EQ_INT(n_end, 3);
    ATR_CHECK_EQ_U64(worker_span, a.span);
    ATR_CHECK(child_span != 0 && atr_span_thread(child_span) == atr_span_thread(worker_span));
    atr_reader_close(r);
    remove(path);
}

/* --- the committed logs of formats 1.0 and 1.1 (docs/FORMAT.md section 7) ----------------- */

#ifndef ATR_GOLDEN_DIR
#error "ATR_GOLDEN_DIR must name tests/golden"
#endif
/* The log in ATR_GOLDEN_DIR/<dir>/basic.atr reads as its committed basic.dump. */
static void test_golden(const char *dir) {
    size_t want_len = 0, got_len = 0, line = 1, i;
    char dump[1024], log[1024];
    snprintf(dump, sizeof dump, "%s/%s/basic.dump", ATR_GOLDEN_DIR, dir);
    snprintf(log, sizeof log, "%s/%s/basic.atr", ATR_GOLDEN_DIR, dir);
    uint8_t *want = atr_test_read_file(dump, &want_len);
    char *got = NULL;
    FILE *f = open_memstream(&got, &got_len);

    ATR_REQUIRE(want != NULL && f != NULL);
    ATR_CHECK_EQ_INT(rec_dump_file(f, log), ATR_EOF);
    fclose(f);
    /* report the first differing line with both sides */
    for (i = 0; i < want_len && i < got_len && want[i] == (uint8_t)got[i]; i++)
        line += want[i] == '\n';
    if (!ATR_CHECK_EQ_MEM(got, got_len, want, want_len)) {
        size_t a = i, b;
        while (a > 0 && want[a - 1] != '\n')
            a--;
        for (b = a; b < want_len && want[b] != '\n';)
            b++;
        fprintf(stderr, "  %s line %zu differs:\n  want %.*s\n", dump, line, (int)(b - a),
                (const char *)want + a);
        for (b = a; b < got_len && got[b] != '\n';)
            b++;
        fprintf(stderr, "  got  %.*s\n", (int)(b - a), got + a);
    }
    free(got);
    free(want);
}

/* Resident pages of mapped files (RssFile), in bytes; 0 if unknown. */
static uint64_t rss_file(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssFile: %" SCNu64, &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb * 1024u;
}

/*
 * A log of about 64 MB read to its end keeps at most a few tens of MiB of it resident: the
 * reader gives back the pages behind it (they were 845 MB for 100M calls).
 */
static void test_release_behind(void) {
    char path[512];
    atr_test_tmpfile(path, sizeof path, "test_reader_big.atr");
    atr_writer_config cfg;
    atr_session *s = NULL;
    uint64_t t = 1000, rnd = 88172645463325252u;
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = step_clock;
    cfg.clock_ctx = &t;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    atr_str params[] = {{"blob", 4}};
    atr_function_info fi;
    memset(&fi, 0, sizeof fi);
    fi.qualname.ptr = "f";
    fi.qualname.len = 1;
    fi.n_params = 1;
    fi.params = params;
    uint32_t fn = 0;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &fn));
    char blob[120];
    uint64_t n_calls = 900000;
    for (uint64_t i = 0; i < n_calls; i++) {
        for (size_t k = 0; k < sizeof blob; k++) { /* incompressible */
            rnd ^= rnd << 13;
            rnd ^= rnd >> 7;
            rnd ^= rnd << 17;
            blob[k] = (char)('a' + rnd % 26);
        }
        atr_value v = atr_value_strn(blob, sizeof blob);
        uint64_t span = 0;
        ATR_CHECK_OK(atr_span_begin(s, fn, 0, t, &v, 1, NULL, 0, &span));
        ATR_CHECK_OK(atr_span_return(s, span, t + 10, NULL));
        t += 100;
    }
    ATR_CHECK_OK(atr_session_close(s));
    atr_reader *r = NULL;
    ATR_REQUIRE(atr_reader_open(path, &r) == 0);
    uint64_t done = 0, size = 0, before = rss_file(), starts = 0;
    atr_reader_progress(r, &done, &size);
    ATR_CHECK(size > (48u << 20));
    atr_record rec;
    int rc;
    while ((rc = atr_reader_next(r, &rec)) == 0)
        starts += rec.kind == ATR_REC_START && rec.u.start.n_args == 1 &&
                  rec.u.start.args[0].u.s.len == sizeof blob;
    ATR_CHECK_ERR(rc, ATR_EOF);
    ATR_CHECK_EQ_U64(starts, n_calls);
    uint64_t after = rss_file();
    if (!ATR_CHECK(before > 0 && after < before + size / 2))
        fprintf(stderr, "  RssFile %" PRIu64 " -> %" PRIu64 " reading %" PRIu64 " bytes\n", before,
                after, size);
    atr_reader_close(r);
    remove(path);
}

int main(void) {
    char path[512];
    atr_test_tmpfile(path, sizeof path, "test_reader_small.atr");
    write_small(path);
    test_small_log(path);
    test_truncation(path);
    remove(path);
    test_open_errors();
    test_threads();
    test_release_behind();
    test_golden("v1");
    test_golden("v1_1");
    test_golden("v1_2");
    test_golden("v1_3");
    test_golden("v1_4");
    test_golden("v2_0");
    ATR_TEST_MAIN_END();
}
