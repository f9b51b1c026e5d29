/*
 * Writes the small logs behind the viewer's golden tests (tests/python/test_viewer_golden.py)
 * with the real writer and an injected clock, so every time, duration and span is exact:
 *
 *   gen_logs OUTDIR
 *
 *   basic.atr      handle(req) → parse(n, mode) + 40 fast g(i) each; fail() raising; an
 *                  action with a message; a second thread "worker"
 *   second.atr     another process (loaded together with basic.atr: merged view)
 *   hostile.atr    names, values, exceptions and messages full of terminal escapes, invalid
 *                  UTF-8, bidi overrides, truncated strings, bytes, summaries, redacted...;
 *                  two functions a.run and b.run (an ambiguous "run")
 *   unclosed.atr   copied before close: no END_OF_LOG, calls unfinished
 *   truncated.atr  basic-like log with its last frame cut in half
 *   corrupt.atr    a complete log with bytes flipped inside a frame
 *   empty.atr      a session with no calls
 *   longnames.atr  sqlparse-like: deep module paths, <locals> names, a 2,304-character SQL
 *                  argument, long runs of fast calls, a generator (its active time), a small
 *                  call with one under it (output at 80 columns)
 *   notalog.atr    text, not a log
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "argtrace/atr.h"

static uint64_t fixed_clock(void *ctx) { return *(uint64_t *)ctx; }

static atr_str S(const char *p) {
    atr_str s = {p, strlen(p)};
    return s;
}

static void die(const char *what, int rc) {
    fprintf(stderr, "gen_logs: %s: %s\n", what, atr_strerror(rc));
    exit(1);
}

#define CHECK(call)          \
    do {                     \
        int rc_ = (call);    \
        if (rc_ < 0)         \
            die(#call, rc_); \
    } while (0)

static atr_session *open_log(const char *dir, const char *name, uint64_t *clock) {
    static char path[1024];
    static const char *const argv[] = {"app.py", "--golden"};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    atr_writer_config cfg;
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = fixed_clock;
    cfg.clock_ctx = clock;
    cfg.argc = 2;
    cfg.argv = argv;
    cfg.runtime = "golden";
    cfg.flush_interval_ms = 3600000; /* frames only at explicit flushes: stable layout */
    atr_session *s = NULL;
    CHECK(atr_session_open(&cfg, &s));
    return s;
}

static uint32_t define(atr_session *s, const char *module, const char *qualname, uint32_t flags,
                       uint32_t n, const char *const *params) {
    atr_str ps[8];
    for (uint32_t i = 0; i < n; i++)
        ps[i] = S(params[i]);
    atr_function_info fi;
    memset(&fi, 0, sizeof fi);
    fi.module = S(module);
    fi.qualname = S(qualname);
    fi.file = S("app.py");
    fi.line = 10;
    fi.flags = flags;
    fi.n_params = n;
    fi.params = ps;
    uint32_t id = 0;
    CHECK(atr_session_define_function(s, &fi, &id));
    return id;
}

static uint64_t begin(atr_session *s, uint32_t fn, uint64_t parent, uint64_t t,
                      const atr_value *args, uint32_t n) {
    uint64_t span = 0;
    CHECK(atr_span_begin(s, fn, parent, t, args, n, NULL, 0, &span));
    return span;
}

static void ret_int(atr_session *s, uint64_t span, uint64_t t, int64_t v) {
    atr_value r = atr_value_int(v);
    CHECK(atr_span_return(s, span, t, &r));
}

/* ---- basic ---------------------------------------------------------------------------- */

typedef struct basic_fns {
    uint32_t handle, parse, g, fail, batch;
} basic_fns;

static basic_fns define_basic(atr_session *s) {
    static const char *const p_handle[] = {"req"}, *const p_parse[] = {"n", "mode"},
                             *const p_g[] = {"i"}, *const p_fail[] = {"x"};
    basic_fns f;
    f.handle = define(s, "app", "handle", 0, 1, p_handle);
    f.parse = define(s, "app", "parse", 0, 2, p_parse);
    f.g = define(s, "app.util", "g", 0, 1, p_g);
    f.fail = define(s, "app", "fail", 0, 1, p_fail);
    f.batch = define(s, "", "import_batch", ATR_FUNC_ACTION, 0, NULL);
    return f;
}

/* ns per item of a strict parse and of a g() call: diff_new.atr has slower ones (`diff`). */
static uint64_t g_strict_ns = 500, g_g_ns = 100;

/* One request at time *t: handle(req) → parse(n, mode), 40 × g(i), maybe fail(x). */
static void request(atr_session *s, const basic_fns *f, uint64_t *t, int req) {
    static const int64_t sizes[] = {10, 100, 1000, 10000, 20, 200, 2000, 20000};
    int64_t n = sizes[req % 8];
    int strict = req % 4 == 3;
    atr_value a = atr_value_int(req);
    uint64_t h = begin(s, f->handle, 0, *t, &a, 1);
    *t += 1000;
    atr_value pa[2] = {atr_value_int(n),
                       atr_value_strn(strict ? "strict" : "fast", strict ? 6 : 4)};
    uint64_t p = begin(s, f->parse, h, *t, pa, 2);
    *t += 2000 + (uint64_t)n * (strict ? g_strict_ns : 5);
    ret_int(s, p, *t, n * 2);
    for (int i = 0; i < 40; i++) {
        atr_value ga = atr_value_int(i);
        uint64_t g = begin(s, f->g, h, *t, &ga, 1);
        *t += g_g_ns + (uint64_t)(i % 3) * 10;
        CHECK(atr_span_return(s, g, *t, NULL));
    }
    if (req == 5) {
        atr_value x = atr_value_float(-0.5);
        uint64_t e = begin(s, f->fail, h, *t, &x, 1);
        *t += 700;
        atr_value msg = atr_value_strn("bad value: -0.5", 15);
        CHECK(atr_span_raise(s, e, *t, S("ValueError"), &msg));
    }
    *t += 500;
    atr_value none = atr_value_nil();
    CHECK(atr_span_return(s, h, *t, &none));
    *t += 300;
}

typedef struct worker_arg {
    atr_session *s;
    const basic_fns *f;
    uint64_t *t;
} worker_arg;

static void *worker(void *p) {
    worker_arg *w = p;
    CHECK(atr_thread_set_name(w->s, "worker", 6));
    for (int i = 0; i < 3; i++) {
        atr_value pa[2] = {atr_value_int(50 + i), atr_value_strn("fast", 4)};
        uint64_t sp = begin(w->s, w->f->parse, 0, *w->t, pa, 2);
        *w->t += 3000;
        ret_int(w->s, sp, *w->t, 100 + i);
        *w->t += 100;
    }
    return NULL;
}

static void write_basic(atr_session *s, uint64_t *t, int n_requests, int with_worker) {
    basic_fns f = define_basic(s);
    CHECK(atr_thread_set_name(s, "MainThread", 10));
    for (int req = 0; req < n_requests; req++)
        request(s, &f, t, req);
    atr_field fields[1] = {{S("batch"), atr_value_int(7)}};
    uint64_t act = 0;
    CHECK(atr_span_begin(s, f.batch, 0, *t, NULL, 0, fields, 1, &act));
    *t += 400;
    atr_field mf[1] = {{S("rows"), atr_value_int(1200)}};
    CHECK(atr_message(s, act, *t, S("rows_read"), mf, 1));
    *t += 600;
    CHECK(atr_span_return(s, act, *t, NULL));
    *t += 100;
    if (with_worker) {
        worker_arg w = {s, &f, t};
        pthread_t th;
        if (pthread_create(&th, NULL, worker, &w) != 0 || pthread_join(th, NULL) != 0)
            die("pthread", ATR_ETHREAD);
    }
}

/* ---- hostile values ------------------------------------------------------------------- */

static void write_hostile(atr_session *s, uint64_t *t) {
    static const char *const params[] = {"text\x1b[31m", "data", "items", "secret",
                                         "big",          "obj",  "bad"};
    uint32_t fn = define(s, "evil\x1b]0;pwned\x07", "show", 0, 7, params);
    uint32_t odd = define(s, "evil", "odd\nname\xe2\x80\xaeRTL", 0, 0, NULL);
    uint32_t run_a = define(s, "a", "run", 0, 0, NULL), run_b = define(s, "b", "run", 0, 0, NULL);
    CHECK(atr_thread_set_name(s, "thr\x1b[2J", 7));
    static const char esc[] = "red\x1b[31m bell\x07 nl\n tab\t del\x7f c1\xc2\x9b bad\xff\xfe";
    static const char bin[] = {0, 1, 'A', '\'', '\\', (char)0x80, (char)0xff};
    atr_value items[3] = {atr_value_int(1), atr_value_strn("x\x1b", 2), atr_value_nil()};
    atr_value args[7];
    args[0] = atr_value_strn(esc, sizeof esc - 1);
    args[1] = atr_value_bytes(bin, sizeof bin);
    args[2] = atr_value_summary("list\x1b[1m", 8, 5);
    args[2].n_items = 3;
    args[2].u.sum.items = items;
    args[3] = atr_value_nil();
    args[3].kind = ATR_V_REDACTED;
    args[4] = atr_value_strn("-123456789012345678901234567890", 31);
    args[4].kind = ATR_V_BIGINT;
    args[5] = atr_value_strn("<Obj \x1b[5m>", 10);
    args[5].kind = ATR_V_REPR;
    args[6] = atr_value_strn("Weird\x1b", 6);
    args[6].kind = ATR_V_ERROR;
    for (int i = 0; i < 3; i++) {
        uint64_t sp = begin(s, fn, 0, *t, args, 7);
        *t += 1000 * (uint64_t)(i + 1);
        if (i == 0) {
            char longtext[200];
            memset(longtext, 'a', sizeof longtext);
            memcpy(longtext + 190, "\xe2\x80\xae\x1b[0m", 7);
            atr_value r = atr_value_strn(longtext, sizeof longtext);
            r.u.s.len = 192; /* truncated inside the RTL override's UTF-8 sequence */
            r.u.s.true_len = 5000;
            CHECK(atr_span_return(s, sp, *t, &r));
        } else if (i == 1) {
            atr_value m = atr_value_strn("boom\x1b[H\x1b[2J", 11);
            CHECK(atr_span_raise(s, sp, *t, S("evil.Err\x1b[7m"), &m));
        } else {
            atr_value r = atr_value_float(1.0 / 3.0);
            CHECK(atr_span_return(s, sp, *t, &r));
        }
        *t += 10;
    }
    atr_field mf[1] = {{S("k\x1b"), atr_value_strn("v\x1b[1m", 5)}};
    CHECK(atr_message(s, 0, *t, S("msg\x1b[31m\n"), mf, 1));
    *t += 10;
    const uint32_t more[] = {odd, run_a, run_b};
    for (int i = 0; i < 3; i++) {
        uint64_t sp = begin(s, more[i], 0, *t, NULL, 0);
        *t += 50;
        CHECK(atr_span_return(s, sp, *t, NULL));
    }
}

/* ---- damaged copies ------------------------------------------------------------------- */

/* ---- generator: active time (format 1.1 SUSPEND / RESUME) ---------------------------- */

/*
 * consume() iterates gen(n=5), which runs 10 ns when made, 30 ns per item and 50 ns at the
 * end; between items consume() calls work(x) for 2 µs. serve() (a coroutine) makes the task
 * fetch(k=1), which runs while serve() awaits, and after it.
 */
static void write_generator(atr_session *s) {
    static const char *const pn[] = {"n"}, *const px[] = {"x"}, *const pk[] = {"k"};
    uint32_t fc = define(s, "app", "consume", 0, 0, NULL);
    uint32_t fg = define(s, "app", "gen", ATR_FUNC_GENERATOR, 1, pn);
    uint32_t fw = define(s, "app", "work", 0, 1, px);
    uint32_t fs = define(s, "app", "serve", ATR_FUNC_COROUTINE, 0, NULL);
    uint32_t ff = define(s, "app", "fetch", ATR_FUNC_COROUTINE, 1, pk);
    atr_value v = atr_value_int(5);
    uint64_t c = begin(s, fc, 0, 1000, NULL, 0);
    uint64_t g = begin(s, fg, c, 1010, &v, 1);
    CHECK(atr_span_suspend(s, g, 1020));
    for (int64_t i = 0; i < 5; i++) {
        uint64_t base = 1100 + (uint64_t)i * 3000;
        CHECK(atr_span_resume(s, g, base));
        CHECK(atr_span_suspend(s, g, base + 30));
        v = atr_value_int(i);
        uint64_t w = begin(s, fw, c, base + 100, &v, 1);
        ret_int(s, w, base + 2100, i);
    }
    CHECK(atr_span_resume(s, g, 16100));
    CHECK(atr_span_return(s, g, 16150, NULL));
    ret_int(s, c, 16500, 10);
    CHECK(atr_session_flush(s));

    uint64_t sv = begin(s, fs, 0, 20000, NULL, 0);
    v = atr_value_int(1);
    uint64_t f = begin(s, ff, sv, 20010, &v, 1);
    CHECK(atr_span_suspend(s, f, 20020));
    CHECK(atr_span_suspend(s, sv, 20100));
    CHECK(atr_span_resume(s, f, 20200));
    CHECK(atr_span_suspend(s, f, 20260));
    CHECK(atr_span_resume(s, f, 30000));
    ret_int(s, f, 30050, 1);
    CHECK(atr_span_resume(s, sv, 30100));
    ret_int(s, sv, 30200, 1);
}

/*
 * keys.atr: app.format(sql, query, reindent, **opts). sql: 40 strs around 200, 400, 800,
 * 3200 and 6400 bytes sharing one prefix (five length groups); query: 6 long strs that
 * differ only after 60 bytes (labels must tell them apart); the time grows with the length
 * and doubles with reindent; the keyword dialect is passed to some calls.
 */
static void write_keys(atr_session *s) {
    static const char *const pn[] = {"sql", "query", "reindent", "**opts"};
    static const uint64_t sizes[] = {200, 400, 800, 3200, 6400};
    static char buf[7000], q[200];
    uint32_t fn = define(s, "app", "format", 0, 4, pn);
    uint64_t t = 1000;
    for (int i = 0; i < 40; i++) {
        uint64_t n = sizes[i % 5] + (uint64_t)(i * 7 % 11);
        int k = snprintf(buf, sizeof buf, "SELECT id, name FROM accounts WHERE region = %d -- ", i);
        memset(buf + k, 'x', n - (uint64_t)k);
        int qn = snprintf(q, sizeof q,
                          "SELECT a.id, a.name, b.total\n  FROM accounts a\n  JOIN balances b "
                          "ON b.account = a.id\n WHERE a.region = %d ORDER BY b.total",
                          i % 6);
        int re = i / 5 % 2;
        atr_value v[3] = {atr_value_strn(buf, (size_t)n), atr_value_strn(q, (size_t)qn),
                          atr_value_bool(re)};
        atr_field f[1] = {{S("dialect"), atr_value_strn(i % 2 ? "ansi" : "pg", i % 2 ? 4 : 2)}};
        uint64_t span = 0;
        CHECK(atr_span_begin(s, fn, 0, t, v, 3, f, i % 4 ? 1 : 0, &span));
        uint64_t d = (10 * n + 100 * (uint64_t)(i % 6)) * (re ? 2 : 1);
        CHECK(atr_span_return(s, span, t + d, NULL));
        t += d + 10;
    }
}

/*
 * pair.atr: app.compare(n, autojunk), n 20, 50, 200 or 400 and autojunk True or False, 5 calls
 * of each pair: 10 µs, but 1 ms when n is 400 and autojunk False (neither explains the time
 * alone, the two together do: `why`'s pair baseline); each with 2 app.match children, the
 * slowest call (a sixth n=400, autojunk=False one) with 6 of them: 3 ms; then two calls with
 * n=100, autojunk=True (a pair group too small for a baseline).
 */
static void write_pair(atr_session *s) {
    static const char *const pn[] = {"n", "autojunk"}, *const pm[] = {"i"};
    static const int64_t ns[] = {20, 50, 200, 400};
    uint32_t fn = define(s, "app", "compare", 0, 2, pn), fm = define(s, "app", "match", 0, 1, pm);
    uint64_t t = 1000;
    for (int i = 0; i <= 42; i++) {
        int64_t n = i < 40 ? ns[i % 4] : i == 40 ? 400 : 100;
        int junk = i < 40 ? i / 4 % 2 : i > 40, slow = n == 400 && !junk, kids = i == 40 ? 6 : 2;
        uint64_t each = slow ? 499000 : 4000, at = t + (uint64_t)kids * 1000;
        atr_value v[2] = {atr_value_int(n), atr_value_bool(junk)};
        uint64_t top = begin(s, fn, 0, t, v, 2);
        for (int k = 0; k < kids; k++, at += each) {
            atr_value a = atr_value_int(k);
            ret_int(s, begin(s, fm, top, at, &a, 1), at + each, k);
        }
        ret_int(s, top, at, 0);
        t = at + 100;
    }
}

/* A summarizer's dict entry: a summary named key ("=" + the entry's key), of unknown length,
   holding v. */
static atr_value entry(const char *key, atr_value *v) {
    atr_value e = atr_value_summary(key, strlen(key), -1);
    e.u.sum.items = v;
    e.n_items = 1;
    return e;
}

/*
 * entries.atr: app.matmul(a) where a registered summarizer records a as {"shape": (n, n),
 * "dtype": "float32" or "float64"}: n of 10, 100, 300 or 500, 5 calls each, n * n * 20 ns
 * (`slow` names the keys `--by a.shape`, `--by a.dtype`).
 */
static void write_entries(atr_session *s) {
    static const char *const pn[] = {"a"};
    static const int64_t ns[] = {10, 100, 300, 500};
    uint32_t fn = define(s, "app", "matmul", 0, 1, pn);
    uint64_t t = 1000;
    for (int i = 0; i < 20; i++) {
        int64_t n = ns[i % 4];
        atr_value dims[2] = {atr_value_int(n), atr_value_int(n)};
        atr_value vals[2] = {atr_value_summary("tuple", 5, 2),
                             atr_value_strn(i % 2 ? "float64" : "float32", 7)};
        vals[0].u.sum.items = dims;
        vals[0].n_items = 2;
        atr_value ents[2] = {entry("=shape", &vals[0]), entry("=dtype", &vals[1])};
        atr_value a = atr_value_summary("Array", 5, -1);
        a.u.sum.items = ents;
        a.n_items = 2;
        uint64_t d = (uint64_t)(n * n * 20) + 1000;
        ret_int(s, begin(s, fn, 0, t, &a, 1), t + d, 0);
        t += d + 100;
    }
}

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, ATR_EOPEN);
    unsigned char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void spit(const char *dir, const char *name, const unsigned char *buf, size_t len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
        die(path, ATR_EIO);
}

/*
 * Offset of the next-to-last zstd frame of a log (frames follow the 16-byte header): the
 * frame before the one holding DROPS and END_OF_LOG. Found by the frame magic, which is
 * enough for this small generated log (checked by the golden outputs).
 */
static size_t second_last_frame(const unsigned char *buf, size_t len) {
    size_t last = 16, before = 16;
    for (size_t i = 16; i + 4 <= len; i++)
        if (buf[i] == 0x28 && buf[i + 1] == 0xB5 && buf[i + 2] == 0x2F && buf[i + 3] == 0xFD) {
            before = last;
            last = i;
        }
    return before;
}

/* ---- longnames: what a real library's trace looks like at 80 columns -------------------- */

static uint32_t sq_define(atr_session *s, const char *module, const char *qualname, uint32_t n,
                          const char *const *params) {
    return define(s, module, qualname, 0, n, params);
}

static uint64_t obj_call(atr_session *s, uint32_t fn, uint64_t parent, uint64_t t, const char *self,
                         const atr_value *more, uint32_t n_more) {
    atr_value a[4];
    a[0] = atr_value_summary(self, strlen(self), -1);
    for (uint32_t i = 0; i < n_more && i < 3; i++)
        a[1 + i] = more[i];
    return begin(s, fn, parent, t, a, 1 + n_more);
}

static void ret_none(atr_session *s, uint64_t span, uint64_t t) {
    atr_value r = atr_value_nil();
    CHECK(atr_span_return(s, span, t, &r));
}

static void write_longnames(atr_session *s, uint64_t *t) {
    static const char *const p_format[] = {"sql", "encoding", "reindent", "keyword_case"},
                             *const p_run[] = {"self", "sql"}, *const p_proc[] = {"self", "stream"},
                             *const p_split[] = {"self", "ttype", "value"},
                             *const p_tl[] = {"self", "tlist"}, *const p_wrap[] = {"tlist"},
                             *const p_cls[] = {"cls"}, *const p_self[] = {"self"};
    uint32_t fmt = sq_define(s, "sqlparse", "format", 4, p_format);
    uint32_t run = sq_define(s, "sqlparse.engine.filter_stack", "FilterStack.run", 2, p_run);
    uint32_t proc = define(s, "sqlparse.engine.statement_splitter", "StatementSplitter.process",
                           ATR_FUNC_GENERATOR, 2, p_proc);
    uint32_t split = sq_define(s, "sqlparse.engine.statement_splitter",
                               "StatementSplitter._change_splitlevel", 3, p_split);
    uint32_t rproc = sq_define(s, "sqlparse.filters.reindent", "ReindentFilter._process", 2, p_tl);
    uint32_t rdef =
        sq_define(s, "sqlparse.filters.reindent", "ReindentFilter._process_default", 2, p_tl);
    uint32_t next =
        sq_define(s, "sqlparse.filters.reindent", "ReindentFilter._next_token", 1, p_self);
    uint32_t wrapped =
        sq_define(s, "sqlparse.utils", "recurse.<locals>.wrap.<locals>.wrapped_f", 1, p_wrap);
    uint32_t lexer = sq_define(s, "sqlparse.lexer", "Lexer.get_default_instance", 1, p_cls);
    uint32_t lexinit = sq_define(s, "sqlparse.lexer", "Lexer.__init__", 1, p_cls);
    static char sql[2305];
    static const char clause[] = "SELECT a, b, c FROM t JOIN u ON t.id = u.id WHERE x > 1 ";
    for (size_t i = 0; i < 2304; i++)
        sql[i] = clause[i % (sizeof clause - 1)];
    memcpy(sql + 2304 - 7, "WHERE x", 7);
    for (int q = 0; q < 4; q++) {
        atr_value fa[4] = {atr_value_strn(sql, 2304), atr_value_nil(), atr_value_bool(1),
                           atr_value_strn("upper", 5)};
        uint64_t f = begin(s, fmt, 0, *t, fa, 4);
        *t += 2000;
        atr_value ra[1] = {atr_value_strn(sql, 2304)};
        uint64_t r = obj_call(s, run, f, *t, "FilterStack", ra, 1);
        *t += 500;
        uint64_t lx = begin(s, lexer, r, *t, (atr_value[]){atr_value_summary("type", 4, -1)}, 1);
        *t += 100; /* under 1% of run: pruned by --min-share 1% */
        uint64_t li = begin(s, lexinit, lx, *t, (atr_value[]){atr_value_summary("type", 4, -1)}, 1);
        *t += 100; /* a single minor call with a call under it: counted, not opened */
        ret_none(s, li, *t);
        *t += 100;
        ret_none(s, lx, *t);
        atr_value pa[1] = {atr_value_summary("generator", 9, -1)};
        uint64_t p = obj_call(s, proc, r, *t, "StatementSplitter", pa, 1);
        for (int k = 0; k < 30; k++) {              /* a long run of fast calls: folded */
            CHECK(atr_span_suspend(s, p, *t + 50)); /* a generator: active 11.5 of 71.5 µs */
            *t += 2000;
            CHECK(atr_span_resume(s, p, *t));
            *t += 100;
            atr_value sa[2] = {atr_value_summary("_TokenType", 10, -1),
                               atr_value_strn(k % 2 ? "JOIN" : "SELECT", k % 2 ? 4 : 6)};
            uint64_t c = obj_call(s, split, p, *t, "StatementSplitter", sa, 2);
            *t += 200 + (uint64_t)(k % 3) * 50;
            ret_int(s, c, *t, 0);
        }
        *t += 1000;
        ret_none(s, p, *t);
        atr_value ta[1] = {atr_value_summary("Statement", 9, -1)};
        uint64_t rp = obj_call(s, rproc, r, *t, "ReindentFilter", ta, 1);
        *t += 400;
        uint64_t rd = obj_call(s, rdef, rp, *t, "ReindentFilter", ta, 1);
        *t += 100;
        uint64_t nt = obj_call(s, next, rd, *t, "ReindentFilter", NULL, 0);
        *t += 100; /* a single small call with none under it: shown as itself */
        ret_none(s, nt, *t);
        *t += 100;
        uint64_t w = begin(s, wrapped, rd, *t, ta, 1);
        *t += 40000 * (uint64_t)(q + 1);
        ret_none(s, w, *t);
        *t += 200;
        ret_none(s, rd, *t);
        *t += 100;
        ret_none(s, rp, *t);
        *t += 300;
        atr_value out = atr_value_strn(sql, 2304);
        CHECK(atr_span_return(s, r, *t, &out));
        *t += 200;
        CHECK(atr_span_return(s, f, *t, &out));
        *t += 5000;
    }
}

/* A log written by `write` between times 500 and `end` (the writers that take only the
   session). */
static void one_log(const char *dir, const char *name, void (*write)(atr_session *), uint64_t end) {
    uint64_t t = 500;
    atr_session *s = open_log(dir, name, &t);
    write(s);
    t = end;
    CHECK(atr_session_close(s));
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen_logs OUTDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    mkdir(dir, 0755);
    char path[1024];
    uint64_t t = 1000000;

    atr_session *s = open_log(dir, "basic.atr", &t);
    write_basic(s, &t, 8, 1);
    CHECK(atr_session_close(s));

    t = 5000000;
    s = open_log(dir, "second.atr", &t);
    write_basic(s, &t, 2, 0);
    CHECK(atr_session_close(s));

    /* two runs for diff: in the new one strict parses take 3x as long, g() 20 ns more */
    t = 1000000;
    s = open_log(dir, "diff_base.atr", &t);
    write_basic(s, &t, 16, 1);
    CHECK(atr_session_close(s));
    t = 1000000;
    g_strict_ns = 1500;
    g_g_ns = 120;
    s = open_log(dir, "diff_new.atr", &t);
    write_basic(s, &t, 16, 1);
    CHECK(atr_session_close(s));
    g_strict_ns = 500;
    g_g_ns = 100;

    t = 1000;
    s = open_log(dir, "hostile.atr", &t);
    write_hostile(s, &t);
    CHECK(atr_session_close(s));

    /* unclosed: two requests flushed, a third one in flight, copied before close */
    t = 1000;
    s = open_log(dir, "unclosed.atr", &t);
    basic_fns f = define_basic(s);
    request(s, &f, &t, 0);
    request(s, &f, &t, 3);
    atr_value a = atr_value_int(99);
    uint64_t h = begin(s, f.handle, 0, t, &a, 1);
    t += 5000;
    atr_value pa[2] = {atr_value_int(7), atr_value_strn("strict", 6)};
    begin(s, f.parse, h, t, pa, 2);
    t += 1000;
    atr_field mf[1] = {{S("step"), atr_value_int(1)}};
    CHECK(atr_message(s, h, t, S("still running"), mf, 1));
    CHECK(atr_session_flush(s));
    snprintf(path, sizeof path, "%s/unclosed.atr", dir);
    size_t len;
    unsigned char *copy = slurp(path, &len);
    CHECK(atr_session_close(s));
    spit(dir, "unclosed.atr", copy, len);
    free(copy);

    /* truncated: requests 0 and 1 in a first frame, request 2 in a second one, cut in half
       (the DROPS/END_OF_LOG frame after it is lost too) */
    t = 1000;
    s = open_log(dir, "truncated.atr", &t);
    f = define_basic(s);
    request(s, &f, &t, 0);
    request(s, &f, &t, 1);
    CHECK(atr_session_flush(s));
    request(s, &f, &t, 2);
    CHECK(atr_session_close(s));
    snprintf(path, sizeof path, "%s/truncated.atr", dir);
    unsigned char *buf = slurp(path, &len);
    size_t cut = second_last_frame(buf, len);
    spit(dir, "truncated.atr", buf, cut + 20);
    free(buf);

    /* corrupt: flip bytes in the middle of the first frame's data */
    snprintf(path, sizeof path, "%s/basic.atr", dir);
    buf = slurp(path, &len);
    for (size_t i = 40; i < 48 && i < len; i++)
        buf[i] ^= 0x5A;
    spit(dir, "corrupt.atr", buf, len);
    free(buf);

    one_log(dir, "generator.atr", write_generator, 40000);

    one_log(dir, "keys.atr", write_keys, 2000000);

    one_log(dir, "pair.atr", write_pair, 30000000);

    one_log(dir, "entries.atr", write_entries, 30000000);

    t = 1000;
    s = open_log(dir, "longnames.atr", &t);
    write_longnames(s, &t);
    CHECK(atr_session_close(s));

    t = 1000;
    s = open_log(dir, "empty.atr", &t);
    CHECK(atr_session_close(s));

    static const char text[] = "this is not an argtrace log\n";
    spit(dir, "notalog.atr", (const unsigned char *)text, sizeof text - 1);
    return 0;
}
