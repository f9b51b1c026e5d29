/*
 * The frame index (atr_frames.h, FORMAT.md 2.4): a log of many frames written by the writer
 * (injected clock, several threads), its footer, and reads of a thread, a time range, a
 * function and a span's START that decode fewer frames (counted) and return exactly the
 * records a full read returns for them. The index rebuilt without a footer (removed,
 * damaged, a truncated log) equals the footer's; an older log's index is not selectable.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr.h"
#include "atr_test.h"
#include "findex_check.h"
#include "rec_dump.h"

static uint64_t g_clock = 1000;
static uint64_t step_clock(void *ctx) {
    (void)ctx;
    return g_clock += 10;
}

typedef struct worker {
    atr_session *s;
    uint32_t fn;
    uint64_t first_span; /* the worker's first span id */
} worker;

static void calls(atr_session *s, uint32_t fn, int n, uint64_t *first) {
    int i;
    for (i = 0; i < n; i++) {
        uint64_t outer = 0, inner = 0;
        atr_value a = atr_value_int(i);
        ATR_CHECK_OK(atr_span_begin(s, fn, 0, ATR_NOW, &a, 1, NULL, 0, &outer));
        ATR_CHECK_OK(atr_span_begin(s, fn, outer, ATR_NOW, &a, 1, NULL, 0, &inner));
        ATR_CHECK_OK(atr_span_return(s, inner, ATR_NOW, &a));
        ATR_CHECK_OK(atr_span_return(s, outer, ATR_NOW, NULL));
        if (first && !*first)
            *first = outer;
    }
}

static void *worker_main(void *arg) {
    worker *w = arg;
    ATR_CHECK_OK(atr_thread_set_name(w->s, "worker", 6));
    calls(w->s, w->fn, 30, &w->first_span);
    return NULL;
}

static uint32_t define(atr_session *s, const char *name) {
    atr_function_info fi;
    atr_str param = {"n", 1};
    uint32_t id = 0;
    memset(&fi, 0, sizeof fi);
    fi.module.ptr = "app";
    fi.module.len = 3;
    fi.qualname.ptr = name;
    fi.qualname.len = strlen(name);
    fi.n_params = 1;
    fi.params = &param;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &id));
    return id;
}

/* 24 flush cycles (a frame or more each); workers (threads 1, 2, 3) in rounds 6, 12, 18. */
static uint64_t write_log(const char *path) {
    atr_writer_config cfg;
    atr_session *s = NULL;
    uint32_t f_main, f_work;
    uint64_t span = 0;
    int round;
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = step_clock;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    f_main = define(s, "main_loop");
    f_work = define(s, "work");
    for (round = 0; round < 24; round++) {
        calls(s, f_main, 20, NULL);
        if (round % 6 == 0 && round) {
            pthread_t t;
            worker w = {s, f_work, 0};
            ATR_REQUIRE(pthread_create(&t, NULL, worker_main, &w) == 0);
            pthread_join(t, NULL);
            if (!span)
                span = w.first_span;
        }
        ATR_CHECK_OK(atr_session_flush(s));
    }
    ATR_CHECK_OK(atr_session_close(s));
    return span;
}

/* A record kept by a query, as a caller of a selective read filters. */
static int keep(const atr_record *rec, const atr_frame_query *q) {
    int timed = rec->kind == ATR_REC_START || rec->kind == ATR_REC_END ||
                rec->kind == ATR_REC_MESSAGE || rec->kind == ATR_REC_SUSPEND ||
                rec->kind == ATR_REC_RESUME;
    int threaded = timed || rec->kind == ATR_REC_THREAD || rec->kind == ATR_REC_SYNC;
    if (!threaded)
        return 1;
    if (q->has_thread && rec->thread != q->thread)
        return 0;
    if (q->has_function && (rec->kind != ATR_REC_START || rec->u.start.function != q->function))
        return 0;
    if (q->since_ns || q->until_ns)
        return timed && rec->time_ns >= q->since_ns &&
               (!q->until_ns || rec->time_ns <= q->until_ns);
    return 1;
}

typedef struct lines {
    char *buf; /* every kept record's dump, back to back */
    size_t len, cap;
    size_t n;
    uint64_t frames;
    int end;
} lines;

static void add_line(lines *l, const char *s) {
    size_t n = strlen(s);
    if (l->len + n + 1 > l->cap) {
        l->cap = (l->len + n + 1) * 2;
        l->buf = realloc(l->buf, l->cap);
        ATR_REQUIRE(l->buf != NULL);
    }
    memcpy(l->buf + l->len, s, n + 1);
    l->len += n;
    l->n++;
}

/* Read path (whole, or only what q needs when ix is given) keeping q's records. */
static lines read_log(const char *path, const atr_frame_query *q, int selective) {
    atr_reader *r = NULL;
    atr_frame_index *ix = NULL;
    atr_record rec;
    char line[4096];
    lines l;
    memset(&l, 0, sizeof l);
    ATR_REQUIRE(atr_reader_open(path, &r) == 0);
    if (selective) {
        ATR_REQUIRE(atr_frame_index_load(r, &ix) == 0);
        ATR_CHECK_OK(atr_reader_select(r, ix, q));
    }
    while ((l.end = atr_reader_next(r, &rec)) == 0)
        if (keep(&rec, q))
            add_line(&l, rec_dump_str(line, sizeof line, &rec));
    l.frames = atr_reader_frames_read(r);
    atr_frame_index_free(ix);
    atr_reader_close(r);
    return l;
}

/* A selective read returns what a full read does, decoding fewer frames. */
static void check_query(const char *path, const atr_frame_query *q, const char *what) {
    lines full = read_log(path, q, 0), part = read_log(path, q, 1);
    ATR_CHECK_EQ_INT(part.end, full.end);
    ATR_CHECK(full.n > 5);
    ATR_CHECK_EQ_U64(part.n, full.n);
    ATR_CHECK_EQ_STR(part.buf ? part.buf : "", full.buf ? full.buf : "");
    ATR_CHECK(part.frames < full.frames);
    ATR_CHECK(part.frames > 0);
    printf("# %s: %zu records, frames decoded %llu of %llu\n", what, full.n,
           (unsigned long long)part.frames, (unsigned long long)full.frames);
    free(full.buf);
    free(part.buf);
}

static atr_frame_index *load(const char *path, atr_reader **r) {
    atr_frame_index *ix = NULL;
    ATR_REQUIRE(atr_reader_open(path, r) == 0);
    ATR_REQUIRE(atr_frame_index_load(*r, &ix) == 0);
    return ix;
}

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *p;
    long n;
    ATR_REQUIRE(f != NULL);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)n);
    ATR_REQUIRE(p && fread(p, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void spit(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    ATR_REQUIRE(f != NULL);
    ATR_REQUIRE(fwrite(p, 1, n, f) == n);
    fclose(f);
}

static void test_rebuild(const char *path, const char *tmp) {
    atr_reader *r1 = NULL, *r2 = NULL;
    atr_frame_index *footer = load(path, &r1), *rebuilt;
    size_t len, foot;
    uint8_t *bytes = slurp(path, &len);
    char copy[512];
    uint32_t n = atr_frame_index_count(footer);
    atr_frame_info last;
    atr_frame_query q;

    ATR_CHECK_EQ_INT(atr_frame_index_from_footer(footer), 1);
    ATR_CHECK_EQ_INT(atr_frame_index_selectable(footer), 1);
    ATR_REQUIRE(atr_frame_index_get(footer, n - 1, &last) == 0);
    foot = (size_t)(last.offset + last.size);
    ATR_REQUIRE(foot < len);

    /* no footer (a crashed process): rebuilt, the same */
    snprintf(copy, sizeof copy, "%s/nofooter.atr", tmp);
    spit(copy, bytes, foot);
    rebuilt = load(copy, &r2);
    ATR_CHECK_EQ_INT(atr_frame_index_from_footer(rebuilt), 0);
    ATR_CHECK_EQ_INT(atr_frame_index_selectable(rebuilt), 1);
    ATR_CHECK_EQ_INT(atr_frame_index_count(rebuilt), n);
    check_same_index(footer, rebuilt, n);
    atr_frame_index_free(rebuilt);
    atr_reader_close(r2);
    /* the footer only (atr_frame_index_load_footer): none there, no scan */
    ATR_REQUIRE(atr_reader_open(copy, &r2) == 0);
    rebuilt = footer; /* set to NULL */
    ATR_CHECK_ERR(atr_frame_index_load_footer(r2, &rebuilt), ATR_ENOTFOUND);
    ATR_CHECK(rebuilt == NULL);
    atr_reader_close(r2);
    ATR_REQUIRE(atr_reader_open(path, &r2) == 0);
    ATR_CHECK_OK(atr_frame_index_load_footer(r2, &rebuilt));
    ATR_CHECK_EQ_INT(atr_frame_index_from_footer(rebuilt), 1);
    check_same_index(footer, rebuilt, n);
    atr_frame_index_free(rebuilt);
    atr_reader_close(r2);

    /* a damaged footer (an entry's offset changed): ignored, rebuilt */
    bytes[foot + 12] ^= 0x01;
    snprintf(copy, sizeof copy, "%s/badfooter.atr", tmp);
    spit(copy, bytes, len);
    rebuilt = load(copy, &r2);
    ATR_CHECK_EQ_INT(atr_frame_index_from_footer(rebuilt), 0);
    check_same_index(footer, rebuilt, n);
    atr_frame_index_free(rebuilt);
    atr_reader_close(r2);

    /* truncated inside the last frames: the complete frames are indexed and selectable */
    snprintf(copy, sizeof copy, "%s/truncated.atr", tmp);
    spit(copy, bytes, (size_t)(last.offset + last.size / 2));
    rebuilt = load(copy, &r2);
    ATR_CHECK_EQ_INT(atr_frame_index_count(rebuilt), n - 1);
    check_same_index(footer, rebuilt, n - 1);
    atr_frame_index_free(rebuilt);
    atr_reader_close(r2);
    memset(&q, 0, sizeof q);
    q.has_thread = 1;
    q.thread = 2;
    check_query(copy, &q, "truncated log, thread 2");

    /* a hostile footer after the frames (a count of 2^31 entries, sizes past the file):
       refused without allocating by it, rebuilt */
    {
        static const uint8_t body[] = {0x92, 0x01, 0xdd, 0x80, 0x00, 0x00, 0x00, 0x97, 0xcf,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        uint8_t tail[8 + sizeof body + 8];
        uint32_t size = (uint32_t)(sizeof body + 8);
        memcpy(tail, "\x5b\x2a\x4d\x18", 4);
        memcpy(tail + 4, &size, 4);
        memcpy(tail + 8, body, sizeof body);
        memcpy(tail + 8 + sizeof body, &size, 4);
        memcpy(tail + 12 + sizeof body, "ATRI", 4);
        memcpy(bytes + foot, tail, sizeof tail);
        snprintf(copy, sizeof copy, "%s/hostile.atr", tmp);
        spit(copy, bytes, foot + sizeof tail);
        rebuilt = load(copy, &r2);
        ATR_CHECK_EQ_INT(atr_frame_index_from_footer(rebuilt), 0);
        check_same_index(footer, rebuilt, n);
        atr_frame_index_free(rebuilt);
        atr_reader_close(r2);
    }

    atr_frame_index_free(footer);
    atr_reader_close(r1);
    free(bytes);
}

/* The frame of a span's START, read alone: it holds that START. */
static void test_find_start(const char *path, uint64_t span) {
    atr_reader *r = NULL;
    atr_frame_index *ix = load(path, &r);
    uint32_t frame = 0, n = atr_frame_index_count(ix);
    uint8_t *want = calloc(n, 1);
    atr_record rec;
    int found = 0;
    ATR_REQUIRE(want != NULL);
    ATR_REQUIRE(atr_frame_index_find_start(ix, span, &frame) == 0);
    ATR_CHECK_ERR(atr_frame_index_find_start(ix, span + 100000, &frame), ATR_EOF);
    ATR_REQUIRE(atr_frame_index_find_start(ix, span, &frame) == 0);
    want[frame] = 1;
    ATR_CHECK_OK(atr_reader_select_frames(r, ix, want));
    while (atr_reader_next(r, &rec) == 0)
        if (rec.kind == ATR_REC_START && rec.u.start.span == span)
            found = 1;
    ATR_CHECK(found);
    ATR_CHECK(atr_reader_frames_read(r) < n / 2);
    free(want);
    atr_frame_index_free(ix);
    atr_reader_close(r);
}

/* A 1.2 log: the index describes it, but its frames do not decode alone. */
static void test_old_log(void) {
    atr_reader *r = NULL;
    atr_frame_index *ix = load(ATR_GOLDEN_DIR "/v1_2/basic.atr", &r);
    atr_frame_query q;
    memset(&q, 0, sizeof q);
    ATR_CHECK_EQ_INT(atr_frame_index_from_footer(ix), 0);
    ATR_CHECK_EQ_INT(atr_frame_index_selectable(ix), 0);
    ATR_CHECK(atr_frame_index_count(ix) >= 1);
    ATR_CHECK_ERR(atr_reader_select(r, ix, &q), ATR_EINVAL);
    atr_frame_index_free(ix);
    atr_reader_close(r);
}

int main(void) {
    const char *tmp = getenv("ATR_TEST_TMPDIR");
    char path[512];
    uint64_t span;
    atr_frame_query q;
    atr_reader *r = NULL;
    atr_frame_index *ix;
    atr_frame_info fi;
    uint32_t mid;

    snprintf(path, sizeof path, "%s/frame_index.atr", tmp ? tmp : "/tmp");
    span = write_log(path);
    ATR_REQUIRE(span != 0);

    memset(&q, 0, sizeof q);
    q.has_thread = 1;
    q.thread = 1;
    check_query(path, &q, "thread 1");

    ix = load(path, &r);
    ATR_REQUIRE(atr_frame_index_count(ix) >= 20);
    mid = atr_frame_index_count(ix) / 2;
    ATR_REQUIRE(atr_frame_index_get(ix, mid, &fi) == 0 && fi.tmin <= fi.tmax);
    memset(&q, 0, sizeof q);
    q.since_ns = fi.tmin + 5;
    q.until_ns = fi.tmax + 100;
    check_query(path, &q, "time range");
    atr_frame_index_free(ix);
    atr_reader_close(r);

    memset(&q, 0, sizeof q);
    q.has_function = 1;
    q.function = 1;
    check_query(path, &q, "function work");

    test_find_start(path, span);
    test_rebuild(path, tmp ? tmp : "/tmp");
    test_old_log();
    ATR_TEST_MAIN_END();
}
