/*
 * Generator of the committed golden logs and their decoded forms basic.dump (rec_dump.h):
 * tests/golden/v2_0/basic.atr (format 2.0: time deltas in each chunk's TIMES column) by this
 * program, tests/golden/v1_4/basic.atr (format 1.4: VALUE records and ext 9) by its 1.4
 * version,
 * tests/golden/v1_3/basic.atr (format 1.3: CHUNK with the thread's state, the frame index
 * footer; its index as `atr_dump --index` prints it is basic.index) by its 1.3 version,
 * tests/golden/v1_1/basic.atr (format 1.1) by its 1.1 version, tests/golden/v1/basic.atr
 * (format 1.0) by its 1.0 version, which wrote the same records but the SUSPEND / RESUME
 * ones. Run by hand, never in CI: the point of a golden log is that it stays as it was
 * written while the reader changes (docs/FORMAT.md section 7).
 *
 *     gen_v1 OUTDIR        writes OUTDIR/basic.atr and OUTDIR/basic.dump
 *
 * The log holds every record type the writer produces and every value kind, over several
 * frames and two threads, with an injected clock (times are exact).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "argtrace/atr.h"
#include "atr_test.h"
#include "rec_dump.h"

static uint64_t step_clock(void *ctx) {
    uint64_t *t = ctx;
    return *t += 250;
}

static atr_value text(uint32_t kind, const char *p, size_t len, uint64_t true_len) {
    atr_value v = atr_value_nil();
    v.kind = kind;
    v.u.s.ptr = p;
    v.u.s.len = len;
    v.u.s.true_len = true_len;
    return v;
}

typedef struct worker_arg {
    atr_session *s;
    uint32_t fn;
    uint64_t parent;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    uint64_t span = 0;
    atr_value arg = atr_value_strn("from the worker", 15), res = atr_value_int(-1);
    atr_thread_set_name(a->s, "worker-1", 8);
    atr_span_begin(a->s, a->fn, a->parent, ATR_NOW, &arg, 1, NULL, 0, &span);
    atr_message(a->s, span, ATR_NOW, atr_test_str("in worker"), NULL, 0);
    atr_span_return(a->s, span, ATR_NOW, &res);
    return NULL;
}

int main(int argc, char **argv) {
    static const char *const prog_argv[] = {"gen_v1", "--golden", "ü"};
    static const atr_str p_fib[] = {{"n", 1}};
    static const atr_str p_all[] = {{"a", 1}, {"b", 1}, {"c", 1},     {"d", 1},       {"e", 1},
                                    {"f", 1}, {"g", 1}, {"h", 1},     {"i", 1},       {"j", 1},
                                    {"k", 1}, {"l", 1}, {"*args", 5}, {"**kwargs", 8}};
    static char long_text[300];
    char path[1024];
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_function_info fi;
    uint32_t f_fib, f_all, f_action, f_method;
    uint64_t t = 1000000, s1, s2, s3, act;
    atr_value a[16], v, items[3], inner[2];
    atr_field fl[3];
    worker_arg wa;
    pthread_t th;
    FILE *out;
    int i;

    if (argc != 2) {
        fprintf(stderr, "usage: gen_v1 OUTDIR\n");
        return 2;
    }
    for (i = 0; i < (int)sizeof long_text; i++)
        long_text[i] = (char)('A' + i % 26);
    snprintf(path, sizeof path, "%s/basic.atr", argv[1]);
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = step_clock;
    cfg.clock_ctx = &t;
    cfg.argc = 3;
    cfg.argv = prog_argv;
    cfg.runtime = "C golden";
    cfg.max_value_bytes = 300; /* long_text whole: 1.4 interns it (ext 9) */
    if (atr_session_open(&cfg, &s) != 0)
        return 1;

    memset(&fi, 0, sizeof fi);
    fi.module = atr_test_str("__main__");
    fi.qualname = atr_test_str("fib");
    fi.file = atr_test_str("fib.py");
    fi.line = 1;
    fi.n_params = 1;
    fi.params = p_fib;
    atr_session_define_function(s, &fi, &f_fib);
    fi.module = atr_test_str("pkg.values");
    fi.qualname = atr_test_str("every_kind");
    fi.file = atr_test_str("/src/pkg/values.py");
    fi.line = 4242;
    fi.flags = ATR_FUNC_COROUTINE;
    fi.n_params = 14;
    fi.params = p_all;
    atr_session_define_function(s, &fi, &f_all);
    memset(&fi, 0, sizeof fi);
    fi.qualname = atr_test_str("import_batch");
    fi.flags = ATR_FUNC_ACTION;
    atr_session_define_function(s, &fi, &f_action);
    fi.module = atr_test_str("pkg.db");
    fi.qualname = atr_test_str("Conn.query");
    fi.file = atr_test_str("db.py");
    fi.line = 77;
    fi.flags = ATR_FUNC_METHOD | ATR_FUNC_GENERATOR;
    atr_session_define_function(s, &fi, &f_method);
    atr_thread_set_name(s, "MainThread", 10);

    /* FORMAT.md section 6: fib(2) */
    a[0] = atr_value_int(2);
    atr_span_begin(s, f_fib, 0, ATR_NOW, a, 1, NULL, 0, &s1);
    a[0] = atr_value_int(1);
    atr_span_begin(s, f_fib, s1, ATR_NOW, a, 1, NULL, 0, &s2);
    atr_span_return(s, s2, ATR_NOW, a);
    a[0] = atr_value_int(0);
    atr_span_begin(s, f_fib, s1, ATR_NOW, a, 1, NULL, 0, &s3);
    atr_span_return(s, s3, ATR_NOW, a);
    a[0] = atr_value_int(1);
    atr_span_return(s, s1, ATR_NOW, a);
    atr_session_flush(s);

    /* every value kind */
    fl[0].name = atr_test_str("batch");
    fl[0].value = atr_value_int(7);
    fl[1].name = atr_test_str("source");
    fl[1].value = atr_value_strn("s3://bucket/key", 15);
    atr_span_begin(s, f_action, 0, ATR_NOW, NULL, 0, fl, 2, &act);
    a[0] = atr_value_nil();
    a[1] = atr_value_bool(1);
    a[2] = atr_value_int(INT64_MIN);
    a[3] = atr_value_nil();
    a[3].kind = ATR_V_UINT;
    a[3].u.u = UINT64_MAX;
    a[4] = atr_value_float(-0.1);
    a[5] = atr_value_strn("h\xc3\xa9llo \"q\" \\ \n", 15);
    a[6] = atr_value_strn(long_text, sizeof long_text);
    a[7] = atr_value_bytes("\x00\xff\x10", 3);
    a[8] = atr_value_bytes(long_text, 100);
    inner[0] = atr_value_float(1.5);
    inner[1] = atr_value_nil();
    items[0] = atr_value_int(1);
    items[1] = atr_value_summary("tuple", 5, 2);
    items[1].n_items = 2;
    items[1].u.sum.items = inner;
    items[2] = atr_value_strn("x", 1);
    a[9] = atr_value_summary("list", 4, 1000);
    a[9].n_items = 3;
    a[9].u.sum.items = items;
    a[10] = text(ATR_V_REDACTED, NULL, 0, 0);
    a[11] = text(ATR_V_BIGINT, "-123456789012345678901234567890", 31, 31);
    a[12] = text(ATR_V_REPR, "<Widget id=3>", 13, 13);
    a[13] = atr_value_summary("dict", 4, -1);
    fl[0].name = atr_test_str("extra");
    fl[0].value = text(ATR_V_ERROR, "weird.Object", 12, 12);
    atr_span_begin(s, f_all, act, ATR_NOW, a, 14, fl, 1, &s2);
    v = text(ATR_V_REPR, long_text, 64, 5000);
    atr_span_return(s, s2, ATR_NOW, &v);
    fl[0].name = atr_test_str("rows");
    fl[0].value = atr_value_int(1200);
    fl[1].name = atr_test_str("ratio");
    fl[1].value = atr_value_float(0.25);
    atr_message(s, act, ATR_NOW, atr_test_str("rows_read"), fl, 2);
    atr_session_flush(s);

    /* 1.4: a long str (written in full above), a cut one and long bytes, each written again
       from the same address: defined by a VALUE record, then written as its id (ext 9) */
    for (i = 0; i < 3; i++) {
        a[0] = atr_value_strn(long_text, sizeof long_text);
        a[1] = text(ATR_V_STR, long_text + 1, sizeof long_text - 1, 5000);
        a[2] = atr_value_bytes(long_text + 2, 260);
        atr_span_begin(s, f_all, act, ATR_NOW, a, 3, NULL, 0, &s2);
        atr_span_return(s, s2, ATR_NOW, &a[0]);
    }

    /* a method that raises, one whose result is not captured, a message outside spans */
    atr_span_begin(s, f_method, act, ATR_NOW, NULL, 0, NULL, 0, &s2);
    v = atr_value_strn("key 'id' not found", 18);
    atr_span_raise(s, s2, ATR_NOW, atr_test_str("builtins.KeyError"), &v);
    atr_span_begin(s, f_method, act, ATR_NOW, NULL, 0, NULL, 0, &s2);
    atr_span_raise(s, s2, ATR_NOW, atr_test_str("Timeout"), NULL);
    atr_span_begin(s, f_method, act, 900000, NULL, 0, NULL, 0, &s2); /* explicit, earlier time */
    atr_span_return(s, s2, ATR_NOW, NULL);

    /* 1.1: a generator that yields twice; a fib call runs while it is suspended */
    atr_span_begin(s, f_method, act, ATR_NOW, NULL, 0, NULL, 0, &s2);
    atr_span_suspend(s, s2, ATR_NOW);
    a[0] = atr_value_int(0);
    atr_span_begin(s, f_fib, act, ATR_NOW, a, 1, NULL, 0, &s3);
    atr_span_return(s, s3, ATR_NOW, a);
    atr_span_resume(s, s2, ATR_NOW);
    atr_span_suspend(s, s2, ATR_NOW);
    atr_span_resume(s, s2, ATR_NOW);
    atr_span_return(s, s2, ATR_NOW, NULL);

    /* a second thread whose span's parent is on this thread */
    wa.s = s;
    wa.fn = f_fib;
    wa.parent = act;
    pthread_create(&th, NULL, worker, &wa);
    pthread_join(th, NULL);
    atr_span_return(s, act, ATR_NOW, NULL);
    atr_message(s, 0, ATR_NOW, atr_test_str("done"), NULL, 0);
    atr_thread_set_name(s, "MainThread-renamed", 18);
    atr_session_count_capture_error(s);
    if (atr_session_close(s) != 0)
        return 1;

    snprintf(path, sizeof path, "%s/basic.dump", argv[1]);
    out = fopen(path, "w");
    if (!out)
        return 1;
    snprintf(path, sizeof path, "%s/basic.atr", argv[1]);
    i = rec_dump_file(out, path);
    fclose(out);
    return i == ATR_EOF ? 0 : 1;
}
