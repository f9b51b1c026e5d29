/*
 * Writer tests: session -> file -> reader. Every record type and value kind comes back
 * exactly; durations are exact under an injected clock; drop mode counts drops and writes
 * SYNC; configs and arguments are validated; file mode, flush, oversize records, an
 * unwritable path and a full disk behave as documented.
 */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "argtrace/atr.h"
#include "atr_test.h"

static char g_path[512];

/* An injected clock: returns *ctx and steps it by 10 ns. */
static uint64_t step_clock(void *ctx) {
    uint64_t *t = ctx;
    uint64_t now = *t;
    *t += 10;
    return now;
}

static atr_str S(const char *p) {
    atr_str s;
    s.ptr = p;
    s.len = strlen(p);
    return s;
}

static int str_is(atr_str s, const char *want) {
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static atr_session *open_session(atr_writer_config *cfg, uint64_t *clock) {
    atr_session *s = NULL;
    cfg->path = g_path;
    if (clock) {
        cfg->clock = step_clock;
        cfg->clock_ctx = clock;
    }
    ATR_REQUIRE(atr_session_open(cfg, &s) == 0);
    return s;
}

static uint32_t define(atr_session *s, const char *name, uint32_t n_params, uint32_t flags) {
    static const atr_str params[64] = {{"a", 1}, {"b", 1}, {"*args", 5}, {"**kw", 4}};
    atr_function_info fi;
    uint32_t id = 999;
    memset(&fi, 0, sizeof fi);
    fi.module = S("mod");
    fi.qualname = S(name);
    fi.file = S("mod.py");
    fi.line = 42;
    fi.flags = flags;
    fi.n_params = n_params;
    fi.params = params;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &id));
    return id;
}

/* The reader's iteration ended cleanly (prints the reader's message otherwise). */
static void check_eof(atr_reader *r, int rc) {
    if (!ATR_CHECK_ERR(rc, ATR_EOF))
        fprintf(stderr, "  reader: %s\n", atr_reader_error(r));
}

/* ---- every record type and value kind ------------------------------------------------ */

static void check_value_eq(const atr_value *got, uint32_t kind, const char *text, size_t len,
                           uint64_t true_len) {
    ATR_CHECK_EQ_INT(got->kind, kind);
    ATR_CHECK_EQ_MEM(got->u.s.ptr, got->u.s.len, text, len);
    ATR_CHECK_EQ_U64(got->u.s.true_len, true_len);
}

static void test_round_trip(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_reader *r;
    atr_record rec;
    uint64_t clock = 1000, outer, inner, third, uid;
    uint32_t f0, f1;
    atr_value args[14], items[2], nested;
    atr_field fields[2];
    const char *argv[] = {"prog", "--flag"};
    char big[100];
    int n = 0, rc;

    memset(big, 'x', sizeof big);
    atr_writer_config_init(&cfg);
    cfg.max_value_bytes = 64;
    cfg.argc = 2;
    cfg.argv = argv;
    cfg.runtime = "test-runtime";
    s = open_session(&cfg, &clock);
    uid = atr_session_uid(s);
    ATR_CHECK(uid != 0);
    ATR_CHECK_EQ_STR(atr_session_path(s), g_path);
    f0 = define(s, "f", 14, ATR_FUNC_COROUTINE | ATR_FUNC_METHOD);
    f1 = define(s, "act", 0, ATR_FUNC_ACTION);
    ATR_CHECK_EQ_INT(f0, 0);
    ATR_CHECK_EQ_INT(f1, 1);
    ATR_CHECK_OK(atr_thread_set_name(s, "main", 4));

    args[0] = atr_value_nil();
    args[1] = atr_value_bool(1);
    args[2] = atr_value_int(-123456789);
    args[3] = atr_value_nil();
    args[3].kind = ATR_V_UINT;
    args[3].u.u = UINT64_MAX;
    args[4] = atr_value_float(3.25);
    args[5] = atr_value_strn("hello", 5);
    args[6] = atr_value_bytes("\0\1\2", 3);
    args[7] = atr_value_strn(big, sizeof big); /* truncated to 64 */
    items[0] = atr_value_int(7);
    items[1] = atr_value_strn("it", 2);
    nested = atr_value_summary("dict", 4, 3);
    nested.u.sum.items = items;
    nested.n_items = 2;
    args[8] = atr_value_summary("list", 4, 1000);
    args[8].u.sum.items = &nested;
    args[8].n_items = 1;
    args[9] = atr_value_nil();
    args[9].kind = ATR_V_REDACTED;
    args[10] = atr_value_strn("-98765432109876543210", 21);
    args[10].kind = ATR_V_BIGINT;
    args[11] = atr_value_strn("<Obj at 0x1>", 12);
    args[11].kind = ATR_V_REPR;
    args[12] = atr_value_strn("Weird", 5);
    args[12].kind = ATR_V_ERROR;
    args[13] = atr_value_bytes(big, sizeof big); /* truncated bytes */
    fields[0].name = S("rows");
    fields[0].value = atr_value_int(1200);
    fields[1].name = S("mode");
    fields[1].value = atr_value_strn("strict", 6);

    ATR_CHECK_OK(atr_span_begin(s, f0, 0, ATR_NOW, args, 14, fields, 2, &outer));
    ATR_CHECK_EQ_U64(outer, atr_span_id(0, 1));
    ATR_CHECK_OK(atr_span_begin(s, f1, outer, 5000, NULL, 0, fields, 1, &inner));
    ATR_CHECK_OK(atr_message(s, inner, 5100, S("note"), fields, 1));
    ATR_CHECK_OK(atr_span_return(s, inner, 5500, &args[2]));
    ATR_CHECK_OK(atr_span_begin(s, f1, outer, 5400, NULL, 0, NULL, 0, &third)); /* dt < 0 */
    ATR_CHECK_OK(atr_span_return(s, third, 6000, NULL));
    ATR_CHECK_OK(atr_span_raise(s, outer, 7000, S("ValueError"), &args[5]));
    ATR_CHECK_OK(atr_message(s, 0, ATR_NOW, S("outside"), NULL, 0));
    ATR_CHECK_OK(atr_session_close(s));

    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        switch (n++) {
        case 0:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_PROCESS);
            ATR_CHECK_EQ_INT(rec.u.process.pid, getpid());
            ATR_CHECK_EQ_U64(rec.u.process.uid, uid);
            ATR_CHECK_EQ_U64(rec.u.process.clock_ns, 1000);
            ATR_CHECK_EQ_U64(rec.u.process.parent_uid, 0);
            ATR_CHECK_EQ_INT(rec.u.process.argc, 2);
            ATR_CHECK(rec.u.process.argc == 2 && str_is(rec.u.process.argv[1], "--flag"));
            ATR_CHECK(str_is(rec.u.process.runtime, "test-runtime"));
            ATR_CHECK(str_is(rec.u.process.tool, "argtrace " ATR_VERSION_STRING));
            ATR_CHECK(rec.u.process.wall_ns > 0);
            break;
        case 1:
        case 2:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_FUNCTION);
            if (n == 2) {
                ATR_CHECK_EQ_INT(rec.u.function.id, 0);
                ATR_CHECK(str_is(rec.u.function.qualname, "f"));
                ATR_CHECK(str_is(rec.u.function.module, "mod"));
                ATR_CHECK(str_is(rec.u.function.file, "mod.py"));
                ATR_CHECK_EQ_INT(rec.u.function.line, 42);
                ATR_CHECK_EQ_INT(rec.u.function.flags, ATR_FUNC_COROUTINE | ATR_FUNC_METHOD);
                ATR_CHECK(rec.u.function.n_params == 14 &&
                          str_is(rec.u.function.params[2], "*args"));
            } else {
                ATR_CHECK_EQ_INT(rec.u.function.id, 1);
                ATR_CHECK_EQ_INT(rec.u.function.flags, ATR_FUNC_ACTION);
                ATR_CHECK_EQ_INT(rec.u.function.n_params, 0);
            }
            break;
        case 3:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_THREAD);
            ATR_CHECK_EQ_INT(rec.thread, 0);
            ATR_CHECK(str_is(rec.u.thread.name, "main"));
            ATR_CHECK(rec.u.thread.os_tid > 0);
            break;
        case 4: {
            const atr_value *a = rec.u.start.args;
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_START);
            ATR_CHECK_EQ_U64(rec.time_ns, 1010); /* open read 1000, this call 1010 */
            ATR_CHECK_EQ_U64(rec.u.start.span, outer);
            ATR_CHECK_EQ_U64(rec.u.start.parent, 0);
            ATR_REQUIRE(rec.u.start.n_args == 14 && rec.u.start.n_fields == 2);
            ATR_CHECK_EQ_INT(a[0].kind, ATR_V_NIL);
            ATR_CHECK(a[1].kind == ATR_V_BOOL && a[1].u.b == 1);
            ATR_CHECK(a[2].kind == ATR_V_INT && a[2].u.i == -123456789);
            ATR_CHECK(a[3].kind == ATR_V_UINT && a[3].u.u == UINT64_MAX);
            ATR_CHECK(a[4].kind == ATR_V_FLOAT && a[4].u.f == 3.25);
            check_value_eq(&a[5], ATR_V_STR, "hello", 5, 5);
            check_value_eq(&a[6], ATR_V_BYTES, "\0\1\2", 3, 3);
            check_value_eq(&a[7], ATR_V_STR, big, 64, 100);
            ATR_CHECK_EQ_INT(a[8].kind, ATR_V_SUMMARY);
            ATR_CHECK_EQ_MEM(a[8].u.sum.type, a[8].u.sum.type_len, "list", 4);
            ATR_CHECK_EQ_INT(a[8].u.sum.length, 1000);
            ATR_REQUIRE(a[8].n_items == 1);
            ATR_CHECK_EQ_INT(a[8].u.sum.items[0].kind, ATR_V_SUMMARY);
            ATR_CHECK_EQ_INT(a[8].u.sum.items[0].u.sum.length, 3);
            ATR_REQUIRE(a[8].u.sum.items[0].n_items == 2);
            ATR_CHECK_EQ_INT(a[8].u.sum.items[0].u.sum.items[0].u.i, 7);
            check_value_eq(&a[8].u.sum.items[0].u.sum.items[1], ATR_V_STR, "it", 2, 2);
            ATR_CHECK_EQ_INT(a[9].kind, ATR_V_REDACTED);
            ATR_CHECK_EQ_INT(a[10].kind, ATR_V_BIGINT);
            ATR_CHECK_EQ_MEM(a[10].u.s.ptr, a[10].u.s.len, "-98765432109876543210", 21);
            check_value_eq(&a[11], ATR_V_REPR, "<Obj at 0x1>", 12, 12);
            ATR_CHECK_EQ_INT(a[12].kind, ATR_V_ERROR);
            ATR_CHECK_EQ_MEM(a[12].u.s.ptr, a[12].u.s.len, "Weird", 5);
            check_value_eq(&a[13], ATR_V_BYTES, big, 64, 100);
            ATR_CHECK(str_is(rec.u.start.fields[0].name, "rows"));
            ATR_CHECK_EQ_INT(rec.u.start.fields[0].value.u.i, 1200);
            check_value_eq(&rec.u.start.fields[1].value, ATR_V_STR, "strict", 6, 6);
            break;
        }
        case 5:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_START);
            ATR_CHECK_EQ_U64(rec.time_ns, 5000);
            ATR_CHECK_EQ_U64(rec.u.start.span, inner);
            ATR_CHECK_EQ_U64(rec.u.start.parent, outer);
            ATR_CHECK_EQ_INT(rec.u.start.function, f1);
            ATR_CHECK_EQ_INT(rec.u.start.n_fields, 1);
            break;
        case 6:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_MESSAGE);
            ATR_CHECK_EQ_U64(rec.time_ns, 5100);
            ATR_CHECK_EQ_U64(rec.u.message.span, inner);
            ATR_CHECK(str_is(rec.u.message.text, "note"));
            ATR_CHECK_EQ_INT(rec.u.message.n_fields, 1);
            break;
        case 7:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END);
            ATR_CHECK_EQ_U64(rec.time_ns, 5500);
            ATR_CHECK_EQ_U64(rec.u.end.span, inner);
            ATR_CHECK_EQ_INT(rec.u.end.status, ATR_END_RETURN);
            ATR_CHECK_EQ_INT(rec.u.end.value.u.i, -123456789);
            break;
        case 8:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_START);
            ATR_CHECK_EQ_U64(rec.time_ns, 5400);
            ATR_CHECK_EQ_U64(rec.u.start.span, third);
            ATR_CHECK_EQ_U64(rec.u.start.parent, outer);
            break;
        case 9:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END);
            ATR_CHECK_EQ_U64(rec.u.end.span, third);
            ATR_CHECK_EQ_INT(rec.u.end.status, ATR_END_NORESULT);
            break;
        case 10:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END);
            ATR_CHECK_EQ_U64(rec.time_ns, 7000);
            ATR_CHECK_EQ_U64(rec.u.end.span, outer);
            ATR_CHECK_EQ_INT(rec.u.end.status, ATR_END_RAISE);
            ATR_CHECK(str_is(rec.u.end.exc_type, "ValueError"));
            check_value_eq(&rec.u.end.value, ATR_V_STR, "hello", 5, 5);
            break;
        case 11:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_MESSAGE);
            ATR_CHECK_EQ_U64(rec.time_ns, 1020);
            ATR_CHECK_EQ_U64(rec.u.message.span, 0);
            break;
        case 12:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_DROPS);
            ATR_CHECK_EQ_U64(rec.u.drops.records + rec.u.drops.oversize + rec.u.drops.write_errors +
                                 rec.u.drops.capture_errors,
                             0);
            break;
        case 13:
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_END_OF_LOG);
            ATR_CHECK_EQ_U64(rec.time_ns, 1030);
            break;
        default:
            ATR_CHECK_EQ_INT(n, -1); /* unexpected record */
        }
    }
    check_eof(r, rc);
    ATR_CHECK_EQ_INT(n, 14);
    ATR_CHECK(atr_reader_closed_cleanly(r));
    atr_reader_close(r);
}

/* ---- durations under an injected clock ------------------------------------------------ */

static void test_durations(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_reader *r;
    atr_record rec;
    uint64_t clock = 5000000000u, sp[3], start[3] = {0}, end[3] = {0};
    uint32_t f;
    int i, rc;
    atr_writer_config_init(&cfg);
    s = open_session(&cfg, &clock);
    f = define(s, "g", 0, 0);
    /* Each ATR_NOW reads the clock once and steps it by 10 ns. */
    for (i = 0; i < 3; i++)
        ATR_CHECK_OK(atr_span_begin(s, f, i ? sp[i - 1] : 0, ATR_NOW, NULL, 0, NULL, 0, &sp[i]));
    clock += 1000000; /* 1 ms in the innermost call */
    for (i = 2; i >= 0; i--)
        ATR_CHECK_OK(atr_span_return(s, sp[i], ATR_NOW, NULL));
    ATR_CHECK_OK(atr_session_close(s));
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        for (i = 0; i < 3; i++) {
            if (rec.kind == ATR_REC_START && rec.u.start.span == sp[i])
                start[i] = rec.time_ns;
            if (rec.kind == ATR_REC_END && rec.u.end.span == sp[i])
                end[i] = rec.time_ns;
        }
    }
    check_eof(r, rc);
    ATR_CHECK_EQ_U64(end[2] - start[2], 1000010);
    ATR_CHECK_EQ_U64(end[1] - start[1], 1000030);
    ATR_CHECK_EQ_U64(end[0] - start[0], 1000050);
    ATR_CHECK_EQ_U64(start[0], 5000000010u);
    atr_reader_close(r);
}

/* ---- drop mode ------------------------------------------------------------------------ */

typedef struct drain {
    int fd;
    uint8_t *data;
    size_t len, cap;
} drain;

static void *drain_main(void *arg) {
    drain *d = arg;
    for (;;) {
        ssize_t n;
        if (d->cap - d->len < 65536) {
            d->cap = d->cap * 2 + 65536;
            d->data = realloc(d->data, d->cap);
            if (!d->data)
                return NULL;
        }
        n = read(d->fd, d->data + d->len, d->cap - d->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        d->len += (size_t)n;
    }
}

/* Random text does not compress: the pipe fills, the flusher blocks, producers drop. */
static void fill_random(char *p, size_t n, uint32_t *seed) {
    size_t i;
    for (i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        p[i] = (char)('!' + (*seed >> 16) % 90);
    }
}

static void test_drop_mode(void) {
    char fifo[600];
    atr_writer_config cfg;
    atr_session *s;
    atr_reader *r;
    atr_record rec;
    atr_drop_stats st;
    drain d = {0};
    pthread_t tid;
    uint64_t sp, sync_dropped = 0, clock = 100, drops_records = 0;
    uint32_t f, seed = 1, i, n_start = 0, n_end = 0, n_sync = 0;
    int rfd, rc, n_dropped_calls = 0;
    char text[900];
    atr_value v;
    const uint32_t N = 400;

    snprintf(fifo, sizeof fifo, "%s.fifo", g_path);
    unlink(fifo);
    ATR_REQUIRE(mkfifo(fifo, 0600) == 0);
    rfd = open(fifo, O_RDONLY | O_NONBLOCK);
    ATR_REQUIRE(rfd >= 0);
    (void)fcntl(rfd, F_SETPIPE_SZ, 4096);
    atr_writer_config_init(&cfg);
    cfg.buffer_size = 4096;
    cfg.max_pending_bytes = 4096;
    cfg.drop_when_full = 1;
    cfg.max_value_bytes = 1000;
    cfg.path = fifo;
    cfg.clock = step_clock;
    cfg.clock_ctx = &clock;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    f = define(s, "h", 1, 0);
    for (i = 0; i < N; i++) {
        fill_random(text, sizeof text, &seed);
        v = atr_value_strn(text, sizeof text);
        rc = atr_span_begin(s, f, 0, ATR_NOW, &v, 1, NULL, 0, &sp);
        ATR_CHECK(rc == 0 || rc == ATR_EDROPPED);
        ATR_CHECK_EQ_U64(sp, atr_span_id(0, i + 1)); /* dropped spans keep their numbers */
        n_dropped_calls += rc == ATR_EDROPPED;
        rc = atr_span_return(s, sp, ATR_NOW, NULL);
        ATR_CHECK(rc == 0 || rc == ATR_EDROPPED);
        n_dropped_calls += rc == ATR_EDROPPED;
    }
    ATR_CHECK(n_dropped_calls > 0);
    ATR_CHECK_OK(atr_session_drops(s, &st));
    ATR_CHECK_EQ_U64(st.records, (uint64_t)n_dropped_calls);
    ATR_CHECK(st.bytes >= st.records * 2);
    ATR_CHECK_EQ_U64(st.oversize, 0);
    /* Drain the pipe, then one more record carries the pending SYNC. */
    (void)fcntl(rfd, F_SETFL, 0);
    d.fd = rfd;
    ATR_REQUIRE(pthread_create(&tid, NULL, drain_main, &d) == 0);
    ATR_CHECK_OK(atr_session_flush(s));
    ATR_CHECK_OK(atr_message(s, 0, ATR_NOW, S("after"), NULL, 0));
    ATR_CHECK_OK(atr_session_close(s));
    pthread_join(tid, NULL);
    close(rfd);
    unlink(fifo);

    ATR_REQUIRE(d.data && atr_reader_open_mem(d.data, d.len, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        if (rec.kind == ATR_REC_START) {
            n_start++;
            ATR_CHECK(atr_span_seq(rec.u.start.span) >= 1 && atr_span_seq(rec.u.start.span) <= N);
        }
        n_end += rec.kind == ATR_REC_END;
        if (rec.kind == ATR_REC_SYNC) {
            n_sync++;
            sync_dropped += rec.u.sync.dropped;
        }
        if (rec.kind == ATR_REC_DROPS)
            drops_records = rec.u.drops.records;
    }
    check_eof(r, rc);
    ATR_CHECK(n_sync > 0);
    ATR_CHECK_EQ_U64(sync_dropped, st.records);
    ATR_CHECK_EQ_U64(drops_records, st.records);
    ATR_CHECK_EQ_U64((uint64_t)n_start + n_end + st.records, 2 * N);
    atr_reader_close(r);
    free(d.data);
}

/* Wait mode with one pending buffer: producers wait for the flusher, nothing is dropped. */
static void test_wait_mode(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_reader *r;
    atr_record rec;
    atr_drop_stats st;
    char text[900];
    uint64_t sp, clock = 1;
    uint32_t f, i, seed = 3, n_start = 0, n_end = 0;
    atr_value v;
    int rc;
    atr_writer_config_init(&cfg);
    cfg.buffer_size = 4096;
    cfg.max_pending_bytes = 4096;
    cfg.max_value_bytes = 1000;
    s = open_session(&cfg, &clock);
    f = define(s, "w", 1, 0);
    for (i = 0; i < 500; i++) {
        fill_random(text, sizeof text, &seed);
        v = atr_value_strn(text, sizeof text);
        ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, &v, 1, NULL, 0, &sp));
        ATR_CHECK_OK(atr_span_return(s, sp, ATR_NOW, NULL));
    }
    ATR_CHECK_OK(atr_session_drops(s, &st));
    ATR_CHECK_EQ_U64(st.records + st.oversize, 0);
    ATR_CHECK_OK(atr_session_close(s));
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        n_start += rec.kind == ATR_REC_START;
        n_end += rec.kind == ATR_REC_END;
        ATR_CHECK(rec.kind != ATR_REC_SYNC);
    }
    check_eof(r, rc);
    ATR_CHECK_EQ_INT(n_start, 500);
    ATR_CHECK_EQ_INT(n_end, 500);
    atr_reader_close(r);
}

/* ---- oversize records ----------------------------------------------------------------- */

static void test_oversize(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_reader *r;
    atr_record rec;
    atr_drop_stats st;
    static atr_value many[64];
    static char text[64][1000]; /* 64 addresses: none is written twice (no VALUE, 1.4) */
    uint64_t sp, sp2, clock = 1;
    uint32_t f, i;
    int rc, saw_sync = 0, saw_second = 0;
    memset(text, 'y', sizeof text);
    for (i = 0; i < 64; i++)
        many[i] = atr_value_strn(text[i], sizeof text[i]);
    atr_writer_config_init(&cfg);
    cfg.buffer_size = 16384;
    cfg.max_value_bytes = 1000;
    s = open_session(&cfg, &clock);
    f = define(s, "big", 64, 0);
    ATR_CHECK_ERR(atr_span_begin(s, f, 0, ATR_NOW, many, 64, NULL, 0, &sp), ATR_EDROPPED);
    ATR_CHECK_EQ_U64(sp, atr_span_id(0, 1));
    ATR_CHECK_OK(atr_span_begin(s, f, sp, ATR_NOW, many, 2, NULL, 0, &sp2));
    ATR_CHECK_OK(atr_span_return(s, sp2, ATR_NOW, NULL));
    ATR_CHECK_OK(atr_span_return(s, sp, ATR_NOW, NULL));
    ATR_CHECK_OK(atr_session_drops(s, &st));
    ATR_CHECK_EQ_U64(st.oversize, 1);
    ATR_CHECK_EQ_U64(st.records, 0);
    ATR_CHECK_OK(atr_session_close(s));
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        if (rec.kind == ATR_REC_SYNC) {
            saw_sync = 1;
            ATR_CHECK_EQ_U64(rec.u.sync.last_seq, 1);
            ATR_CHECK_EQ_U64(rec.u.sync.dropped, 1);
        }
        if (rec.kind == ATR_REC_START) {
            saw_second = 1;
            ATR_CHECK_EQ_U64(rec.u.start.span, sp2);
            ATR_CHECK_EQ_U64(rec.u.start.parent, sp); /* an unknown span to the reader */
        }
        if (rec.kind == ATR_REC_DROPS)
            ATR_CHECK_EQ_U64(rec.u.drops.oversize, 1);
    }
    check_eof(r, rc);
    ATR_CHECK(saw_sync && saw_second);
    atr_reader_close(r);
}

/* ---- validation ----------------------------------------------------------------------- */

static void test_config_validation(void) {
    atr_writer_config cfg;
    atr_session *s = (atr_session *)&cfg;
    const char *argv[] = {"a", NULL};
    ATR_CHECK_ERR(atr_session_open(NULL, &s), ATR_EINVAL);
    ATR_CHECK(s == NULL);
    atr_writer_config_init(&cfg);
    ATR_CHECK_EQ_INT(cfg.size, sizeof cfg);
    ATR_CHECK_EQ_INT(cfg.flush_interval_ms, 100);
    ATR_CHECK_EQ_INT(cfg.buffer_size, 128 << 10);
    ATR_CHECK_ERR(atr_session_open(&cfg, &s), ATR_EINVAL); /* no path */
    cfg.path = g_path;
    ATR_CHECK_ERR(atr_session_open(&cfg, NULL), ATR_EINVAL);
    ATR_CHECK(atr_writer_config_problem(&cfg) == NULL);
    ATR_CHECK(atr_writer_config_problem(NULL) != NULL);
    /* refused, and atr_writer_config_problem's sentence begins with the field's name */
#define BAD(field, value)                                                      \
    do {                                                                       \
        atr_writer_config c2 = cfg;                                            \
        const char *why;                                                       \
        c2.field = value;                                                      \
        ATR_CHECK_ERR(atr_session_open(&c2, &s), ATR_EINVAL);                  \
        why = atr_writer_config_problem(&c2);                                  \
        ATR_CHECK(strcmp(#field, "size") == 0 ||                               \
                  (why && strncmp(why, #field " ", strlen(#field " ")) == 0)); \
    } while (0)
    BAD(path, "");
    BAD(buffer_size, 100);
    BAD(buffer_size, (size_t)1 << 30);
    BAD(max_pending_bytes, 1000);
    BAD(zstd_level, 99);
    BAD(drop_when_full, 2);
    BAD(fork_mode, 7);
    BAD(flush_interval_ms, 0);
    BAD(max_value_bytes, (size_t)1 << 30);
    BAD(argc, -1);
    BAD(argc, 2); /* argv NULL */
    BAD(size, 4);
    BAD(parent_span, 5); /* without parent_uid */
    BAD(block_timeout_ms, 0);
    BAD(sink_timeout_ms, 3600u * 1000u + 1);
    BAD(clock_source, 9);
    BAD(max_file_bytes, 100);
    BAD(sample_rate, 0.0);
    BAD(sample_random, 3);
    {
        atr_writer_config c2 = cfg;
        c2.argc = 2;
        c2.argv = argv; /* argv[1] NULL */
        ATR_CHECK_ERR(atr_session_open(&c2, &s), ATR_EINVAL);
        ATR_CHECK(strncmp(atr_writer_config_problem(&c2), "argv ", 5) == 0);
    }
#undef BAD
}

static void test_arg_validation(void) {
    atr_writer_config cfg;
    atr_session *s;
    uint64_t sp = 77, clock = 1;
    uint32_t id = 0, f;
    atr_function_info fi;
    atr_drop_stats st;
    atr_str bad = {NULL, 3};
    atr_value v = atr_value_int(1);
    atr_writer_config_init(&cfg);
    s = open_session(&cfg, &clock);
    f = define(s, "v", 0, 0);
    ATR_CHECK_ERR(atr_span_begin(NULL, f, 0, ATR_NOW, NULL, 0, NULL, 0, &sp), ATR_EINVAL);
    ATR_CHECK_EQ_U64(sp, 0);
    ATR_CHECK_ERR(atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, NULL), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_begin(s, f, 0, ATR_NOW, NULL, 2, NULL, 0, &sp), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 1, &sp), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_begin(s, f + 1, 0, ATR_NOW, NULL, 0, NULL, 0, &sp), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_begin(s, f, 0, ATR_NOW, &v, 1, NULL, 0, &sp), ATR_EINVAL); /* > params */
    ATR_CHECK_ERR(atr_span_begin(s, f, 12345, ATR_NOW, NULL, 0, NULL, 0, &sp), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_begin(s, f, 0, UINT64_MAX - 1, NULL, 0, NULL, 0, &sp), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_return(NULL, atr_span_id(0, 1), ATR_NOW, NULL), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_return(s, 0, ATR_NOW, NULL), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_return(s, 5, ATR_NOW, NULL), ATR_EINVAL);
    ATR_CHECK_ERR(atr_span_raise(s, atr_span_id(0, 1), ATR_NOW, bad, NULL), ATR_EINVAL);
    ATR_CHECK_ERR(atr_message(s, 0, ATR_NOW, bad, NULL, 0), ATR_EINVAL);
    ATR_CHECK_ERR(atr_message(s, 0, ATR_NOW, S("x"), NULL, 3), ATR_EINVAL);
    ATR_CHECK_ERR(atr_message(NULL, 0, ATR_NOW, S("x"), NULL, 0), ATR_EINVAL);
    ATR_CHECK_ERR(atr_thread_set_name(s, NULL, 3), ATR_EINVAL);
    ATR_CHECK_ERR(atr_thread_set_name(NULL, "x", 1), ATR_EINVAL);
    memset(&fi, 0, sizeof fi);
    ATR_CHECK_ERR(atr_session_define_function(NULL, &fi, &id), ATR_EINVAL);
    ATR_CHECK_ERR(atr_session_define_function(s, NULL, &id), ATR_EINVAL);
    ATR_CHECK_ERR(atr_session_define_function(s, &fi, NULL), ATR_EINVAL);
    fi.n_params = 2;
    ATR_CHECK_ERR(atr_session_define_function(s, &fi, &id), ATR_EINVAL);
    fi.n_params = 0;
    fi.qualname = bad;
    ATR_CHECK_ERR(atr_session_define_function(s, &fi, &id), ATR_EINVAL);
    ATR_CHECK_ERR(atr_session_drops(s, NULL), ATR_EINVAL);
    ATR_CHECK_ERR(atr_session_drops(NULL, &st), ATR_EINVAL);
    ATR_CHECK_ERR(atr_session_flush(NULL), ATR_EINVAL);
    ATR_CHECK(atr_session_path(NULL) == NULL);
    ATR_CHECK_EQ_U64(atr_session_uid(NULL), 0);
    ATR_CHECK_EQ_U64(atr_session_now(NULL), 0);
    atr_session_count_capture_error(NULL);
    atr_session_count_capture_error(s);
    ATR_CHECK_OK(atr_session_drops(s, &st));
    ATR_CHECK_EQ_U64(st.capture_errors, 1);
    ATR_CHECK_OK(atr_session_close(s));
    ATR_CHECK_OK(atr_session_close(NULL));
}

/* ---- files ----------------------------------------------------------------------------- */

static void test_open_errors_and_mode(void) {
    atr_writer_config cfg;
    atr_session *s = NULL;
    struct stat st;
    int fd;
    atr_writer_config_init(&cfg);
    cfg.path = "/nonexistent-dir-argtrace/x.atr";
    errno = 0;
    ATR_CHECK_ERR(atr_session_open(&cfg, &s), ATR_EOPEN);
    ATR_CHECK_EQ_INT(errno, ENOENT);
    ATR_CHECK(s == NULL);
    /* An existing world-readable file becomes owner-only. */
    fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ATR_REQUIRE(fd >= 0);
    (void)fchmod(fd, 0644);
    close(fd);
    cfg.path = g_path;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    ATR_CHECK(stat(g_path, &st) == 0 && (st.st_mode & 0777) == 0600);
    ATR_CHECK_OK(atr_session_close(s));
    unlink(g_path);
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    ATR_CHECK(stat(g_path, &st) == 0 && (st.st_mode & 0777) == 0600);
    ATR_CHECK_OK(atr_session_close(s));
}

/*
 * A process killed while its log is being created leaves a readable log, not an empty file:
 * termination signals wait until the header and PROCESS are written (seen: a pool worker
 * terminated during its start-up left a 0-byte log, and loading the run's logs failed). The
 * child opens a FIFO, which blocks in open() until a reader comes; SIGTERM is sent then.
 */
static void test_killed_while_creating_the_log(void) {
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s.fifo", g_path);
    unlink(fifo);
    ATR_REQUIRE(mkfifo(fifo, 0600) == 0);
    sigset_t before, after;
    pthread_sigmask(SIG_SETMASK, NULL, &before);
    pid_t pid = fork();
    ATR_REQUIRE(pid >= 0);
    if (pid == 0) {
        atr_writer_config cfg;
        atr_session *s = NULL;
        signal(SIGTERM, SIG_DFL);
        atr_writer_config_init(&cfg);
        cfg.path = fifo;
        _exit(atr_session_open(&cfg, &s) == 0 ? 3 : 4); /* SIGTERM ends it before */
    }
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL); /* the child waits in open() for a reader */
    ATR_REQUIRE(kill(pid, SIGTERM) == 0);
    nanosleep(&ts, NULL);
    int fd = open(fifo, O_RDONLY | O_NONBLOCK);
    ATR_REQUIRE(fd >= 0);
    int status = 0;
    ATR_REQUIRE(waitpid(pid, &status, 0) == pid);
    ATR_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    unsigned char buf[4096];
    ssize_t n, total = 0;
    while ((n = read(fd, buf + total, sizeof buf - (size_t)total)) > 0)
        total += n;
    close(fd);
    unlink(fifo);
    ATR_CHECK(total >= 16); /* the header, then the PROCESS frame */
    ATR_CHECK(total >= 12 && memcmp(buf + 8, "ATRC", 4) == 0);
    /* and the opening thread's signal mask is as it was (also after a failed open) */
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_writer_config_init(&cfg);
    cfg.path = "/nonexistent-dir-argtrace/x.atr";
    ATR_CHECK_ERR(atr_session_open(&cfg, &s), ATR_EOPEN);
    pthread_sigmask(SIG_SETMASK, NULL, &after);
    ATR_CHECK(sigismember(&after, SIGTERM) == sigismember(&before, SIGTERM));
    ATR_CHECK(sigismember(&after, SIGINT) == sigismember(&before, SIGINT));
    ATR_CHECK(sigismember(&after, SIGQUIT) == sigismember(&before, SIGQUIT));
}

static void test_flush_without_close(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_reader *r;
    atr_record rec;
    uint64_t sp, clock = 1;
    uint32_t f;
    int rc, n_start = 0;
    atr_writer_config_init(&cfg);
    cfg.flush_interval_ms = 3600 * 1000; /* only explicit flushes */
    s = open_session(&cfg, &clock);
    f = define(s, "k", 0, 0);
    ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &sp));
    ATR_CHECK_OK(atr_session_flush(s));
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0)
        n_start += rec.kind == ATR_REC_START;
    check_eof(r, rc);
    ATR_CHECK_EQ_INT(n_start, 1);
    ATR_CHECK(!atr_reader_closed_cleanly(r));
    atr_reader_close(r);
    ATR_CHECK_OK(atr_session_close(s));
}

/* Two sessions from one thread, and a new session after close (TLS cache by serial). */
static void test_sessions_one_thread(void) {
    char path2[600];
    atr_writer_config cfg;
    atr_session *a, *b;
    atr_reader *r;
    atr_record rec;
    uint64_t sp, clock = 1;
    uint32_t fa, fb;
    int rc, n_start = 0, n_thread = 0;
    snprintf(path2, sizeof path2, "%s.2", g_path);
    atr_writer_config_init(&cfg);
    a = open_session(&cfg, &clock);
    cfg.path = path2;
    ATR_REQUIRE(atr_session_open(&cfg, &b) == 0);
    fa = define(a, "fa", 0, 0);
    fb = define(b, "fb", 0, 0);
    ATR_CHECK_OK(atr_span_begin(a, fa, 0, ATR_NOW, NULL, 0, NULL, 0, &sp));
    ATR_CHECK_OK(atr_span_begin(b, fb, 0, ATR_NOW, NULL, 0, NULL, 0, &sp));
    ATR_CHECK_OK(atr_span_begin(a, fa, 0, ATR_NOW, NULL, 0, NULL, 0, &sp));
    ATR_CHECK_EQ_U64(sp, atr_span_id(0, 2));
    ATR_CHECK_OK(atr_session_close(a));
    ATR_CHECK_OK(atr_session_close(b));
    a = open_session(&cfg, &clock); /* likely the same address as a or b */
    fa = define(a, "again", 0, 0);
    ATR_CHECK_OK(atr_span_begin(a, fa, 0, ATR_NOW, NULL, 0, NULL, 0, &sp));
    ATR_CHECK_EQ_U64(sp, atr_span_id(0, 1));
    ATR_CHECK_OK(atr_session_close(a));
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        n_start += rec.kind == ATR_REC_START;
        n_thread += rec.kind == ATR_REC_THREAD;
    }
    check_eof(r, rc);
    ATR_CHECK_EQ_INT(n_start, 1);
    ATR_CHECK_EQ_INT(n_thread, 1);
    atr_reader_close(r);
    unlink(path2);
}

/* ---- write errors ---------------------------------------------------------------------- */

static void write_some(atr_session *s, int n) {
    static char text[2000];
    uint32_t seed = 7, f = define(s, "w", 1, 0);
    uint64_t sp;
    atr_value v;
    int i;
    for (i = 0; i < n; i++) {
        fill_random(text, sizeof text, &seed);
        v = atr_value_strn(text, sizeof text);
        (void)atr_span_begin(s, f, 0, ATR_NOW, &v, 1, NULL, 0, &sp);
        (void)atr_span_return(s, sp, ATR_NOW, NULL);
        if (i % 10 == 9)
            (void)atr_session_flush(s); /* frames of ~20 KB */
    }
}

static void test_dev_full(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_drop_stats st;
    atr_writer_config_init(&cfg);
    cfg.path = "/dev/full";
    if (access("/dev/full", W_OK) != 0)
        return;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    write_some(s, 10);
    ATR_CHECK_ERR(atr_session_flush(s), ATR_ENOSPC);
    ATR_CHECK_OK(atr_session_drops(s, &st));
    ATR_CHECK(st.write_errors >= 1);
    write_some(s, 10);
    ATR_CHECK_ERR(atr_session_close(s), ATR_ENOSPC);
}

/* In a child process: a 64 KiB file size limit, SIGXFSZ ignored (write fails with EFBIG). */
static void test_file_size_limit(void) {
    pid_t pid = fork();
    int status = 0, rc, n_start = 0;
    atr_reader *r;
    atr_record rec;
    struct stat st;
    ATR_REQUIRE(pid >= 0);
    if (pid == 0) {
        atr_writer_config cfg;
        atr_session *s;
        struct rlimit rl = {65536, 65536};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(3);
        atr_writer_config_init(&cfg);
        cfg.path = g_path;
        if (atr_session_open(&cfg, &s) != 0)
            _exit(4);
        write_some(s, 200); /* ~400 KB of incompressible text */
        _exit(atr_session_close(s) == ATR_EIO ? 0 : 5);
    }
    ATR_REQUIRE(waitpid(pid, &status, 0) == pid);
    ATR_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The file holds whole frames only: the reader ends cleanly, without END_OF_LOG. */
    ATR_CHECK(stat(g_path, &st) == 0 && st.st_size <= 65536);
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0)
        n_start += rec.kind == ATR_REC_START;
    check_eof(r, rc);
    ATR_CHECK(n_start > 0);
    ATR_CHECK(!atr_reader_closed_cleanly(r));
    atr_reader_close(r);
}

int main(void) {
    atr_test_tmpfile(g_path, sizeof g_path, "test_writer.atr");
    test_round_trip();
    test_durations();
    test_drop_mode();
    test_wait_mode();
    test_oversize();
    test_config_validation();
    test_arg_validation();
    test_open_errors_and_mode();
    test_killed_while_creating_the_log();
    test_flush_without_close();
    test_sessions_one_thread();
    test_dev_full();
    test_file_size_limit();
    unlink(g_path);
    ATR_TEST_MAIN_END();
}
