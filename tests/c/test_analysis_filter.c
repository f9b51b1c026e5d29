/*
 * Filter tests, table-driven: one log with calls of known arguments, durations and outcomes;
 * each filter expression must select exactly the expected calls, and each bad expression
 * must fail with ATR_ESYNTAX and a one-line message naming the column.
 */
#include "argtrace/atr.h"
#include "atr_test.h"

static uint64_t fixed_clock(void *ctx) { return *(uint64_t *)ctx; }

static atr_str S(const char *p) {
    atr_str s = {p, strlen(p)};
    return s;
}

/*
 * Calls of f(n, name, data, x), i = 0..5 (call ids 0..5); call 5 captured no argument:
 *   n:     0, 5, 10, -3, 1000000
 *   name:  "a", "b b", "strict", "", "Z"
 *   data:  list len 3, list len 30, bytes len 4 (truncated, true 100), None, dict len 0
 *   x:     1.5, 2.0, 0.25, True, None
 *   duration: 1us, 5ms, 20ms, 2s, 999ns, 3s (unfinished: to the end of the log)
 *   call 2 raised ValueError, 3 raised mod.KeyError, 4 returned 42, 0 and 1 no result
 */
static const char *g_names[] = {"a", "b b", "strict", "", "Z", "a"};
static const uint64_t g_durs[] = {1000, 5000000, 20000000, 2000000000, 999, 0};

static void write_log(const char *path) {
    uint64_t clock = 0;
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = fixed_clock;
    cfg.clock_ctx = &clock;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    atr_str ps[4] = {S("n"), S("name"), S("data"), S("x")};
    atr_function_info fi;
    memset(&fi, 0, sizeof fi);
    fi.module = S("app");
    fi.qualname = S("f");
    fi.n_params = 4;
    fi.params = ps;
    uint32_t f = 0;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &f));
    static const char blob[100] = {1, 2, 3, 4};
    uint64_t t = 1000000;
    for (int i = 0; i < 6; i++) {
        atr_value a[4];
        int64_t ns[] = {0, 5, 10, -3, 1000000, 0};
        a[0] = atr_value_int(ns[i]);
        a[1] = atr_value_strn(g_names[i], strlen(g_names[i]));
        switch (i) {
        case 0:
            a[2] = atr_value_summary("list", 4, 3);
            break;
        case 1:
            a[2] = atr_value_summary("list", 4, 30);
            break;
        case 2:
            a[2] = atr_value_bytes(blob, 4);
            a[2].u.s.true_len = 100;
            break;
        case 3:
            a[2] = atr_value_nil();
            break;
        case 4:
            a[2] = atr_value_summary("dict", 4, 0);
            break;
        default:
            a[2] = atr_value_strn("x", 1);
            break;
        }
        double xs[] = {1.5, 2.0, 0.25, 0, 0, 7};
        a[3] = i == 3 ? atr_value_bool(1) : i == 4 ? atr_value_nil() : atr_value_float(xs[i]);
        if (i == 5)
            a[3] = atr_value_int(7);
        uint64_t sp = 0;
        ATR_CHECK_OK(atr_span_begin(s, f, 0, t, a, i == 5 ? 0 : 4, NULL, 0, &sp));
        atr_value msg = atr_value_strn("boom", 4), res = atr_value_int(42);
        if (i == 2)
            ATR_CHECK_OK(atr_span_raise(s, sp, t + g_durs[i], S("ValueError"), &msg));
        else if (i == 3)
            ATR_CHECK_OK(atr_span_raise(s, sp, t + g_durs[i], S("mod.KeyError"), &msg));
        else if (i == 4)
            ATR_CHECK_OK(atr_span_return(s, sp, t + g_durs[i], &res));
        else if (i != 5)
            ATR_CHECK_OK(atr_span_return(s, sp, t + g_durs[i], NULL));
        t += 3000000000u;
    }
    clock = t; /* call 5 runs to the end: 3 s */
    ATR_CHECK_OK(atr_session_close(s));
}

/* Bit i set: call i matches. */
static unsigned matches(atr_index *ix, const char *expr, int *ok) {
    atr_filter *f = NULL;
    char err[256];
    unsigned bits = 0;
    *ok = atr_filter_parse(expr, &f, err, sizeof err) == 0;
    if (!*ok) {
        fprintf(stderr, "  parse of %s failed: %s\n", expr, err);
        return 0;
    }
    for (uint32_t c = 0; c < 6; c++)
        if (atr_filter_match(f, ix, c))
            bits |= 1u << c;
    /* The query path (bound parameters) agrees with atr_filter_match. */
    atr_query q;
    atr_callset *cs = NULL;
    atr_query_init(&q);
    q.function = 0;
    q.filter = f;
    if (atr_query_run(ix, &q, &cs) == 0) {
        unsigned qb = 0;
        for (uint64_t i = 0; i < atr_callset_count(cs); i++)
            qb |= 1u << atr_callset_get(cs, i);
        if (qb != bits)
            fprintf(stderr, "  query disagrees on %s: %#x vs %#x\n", expr, qb, bits);
        *ok = qb == bits;
        atr_callset_free(cs);
    }
    atr_filter_free(f);
    return bits;
}

static const struct {
    const char *expr;
    unsigned want; /* bit per call */
} g_cases[] = {
    {"", 0x3f},
    {"n=5", 0x02},
    {"n = 5", 0x02},
    {"n==5", 0x02},
    {"n!=5", 0x1d}, /* call 5 did not capture n: false */
    {"n>5", 0x14},
    {"n>=5", 0x16},
    {"n<0", 0x08},
    {"n<=0", 0x09},
    {"n>-4", 0x1f},
    {"n>1e5", 0x10},
    {"n=0x0a", 0x04},
    {"n>3 n<100", 0x06},
    {"n>3,n<100", 0x06},
    {"name=a", 0x01},
    {"name=\"b b\"", 0x02},
    {"name='b b'", 0x02},
    {"name=strict", 0x04},
    {"name>a", 0x06}, /* "b b", "strict" ("Z" < "a" bytewise) */
    {"name<a", 0x18}, /* "", "Z" */
    {"name=\"\"", 0x08},
    {"name!=a", 0x1e},
    {"name=5", 0x00},
    {"len(name)>2", 0x06},
    {"len(name)=0", 0x08},
    {"len(data)>=3", 0x07}, /* list 3, list 30, bytes true len 100 */
    {"len(data)=100", 0x04},
    {"len(data)<1", 0x10}, /* dict len 0 */
    {"len(n)>0", 0x00},
    {"type(data)=list", 0x03},
    {"type(data)=bytes", 0x04},
    {"type(data)=None", 0x08},
    {"type(data)!=list", 0x1c},
    {"data=None", 0x08},
    {"x=1.5", 0x01},
    {"x>1", 0x03},
    {"x=2", 0x02},
    {"x=True", 0x08},
    {"x=true", 0x08},
    {"x!=true", 0x17}, /* call 5 captured no arguments */
    {"x=false", 0x00},
    {"name=true", 0x00},
    {"x=None", 0x10},
    {"duration>10ms", 0x2c},
    {"duration>=10ms", 0x2c},
    {"duration<1us", 0x10},
    {"duration<=1us", 0x11},
    {"duration>1000ns", 0x2e},
    {"duration>=0", 0x3f},
    {"self>=0", 0x3f},
    {"duration>4.5ms duration<0.021s", 0x06},
    {"duration>=5000us", 0x2e},
    {"duration>=5000\xc2\xb5s", 0x2e},
    {"duration>2s", 0x20}, /* the unfinished call: 3 s */
    {"self>=2s", 0x28},
    {"exception", 0x0c},
    {"!exception", 0x33},
    {"exception=ValueError", 0x04},
    {"exception=KeyError", 0x08},
    {"exception=mod.KeyError", 0x08},
    {"exception!=ValueError", 0x08},
    {"result=42", 0x10},
    {"result>40", 0x10},
    {"unfinished", 0x20},
    {"!unfinished", 0x1f},
    {"arg.name=a", 0x01},
    {"nosuch=1", 0x00},
    {"nosuch!=1", 0x00},
};

static const struct {
    const char *expr;
    const char *col;
} g_bad[] = {
    {"n>", "column 3"},
    {"n", "column 2"},
    {"n >", "column 4"},
    {">5", "column 1"},
    {"len(n>3", "column 6"},
    {"len()>3", "column 5"},
    {"len(n)>x", "column 8"},
    {"duration>10xs", "column 12"},
    {"duration>fast", "column 10"},
    {"duration>10", "column 10"},
    {"self<2.5", "column 6"},
    {"name=\"abc", "column 6"},
    {"exception>Value", "column 10"},
    {"type(x)>int", "column 8"},
    {"!n=3", "column 1"},
    {"unfinished=1", "column 11"},
    {"n=5 )", "column 5"},
    {"name=\"a\\q\"", "column 8"},
};

int main(void) {
    char path[512];
    atr_test_tmpfile(path, sizeof path, "analysis_filter.atr");
    write_log(path);
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    if (!ATR_CHECK_OK(atr_index_load(ix, path)))
        fprintf(stderr, "  %s\n", atr_index_error(ix));
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_REQUIRE(info.n_calls == 6);

    for (size_t i = 0; i < sizeof g_cases / sizeof g_cases[0]; i++) {
        int ok = 0;
        unsigned got = matches(ix, g_cases[i].expr, &ok);
        ATR_CHECK(ok);
        if (!ATR_CHECK_EQ_INT(got, g_cases[i].want))
            fprintf(stderr, "  filter: %s\n", g_cases[i].expr);
    }
    for (size_t i = 0; i < sizeof g_bad / sizeof g_bad[0]; i++) {
        atr_filter *f = (atr_filter *)1;
        char err[256] = "";
        ATR_CHECK_ERR(atr_filter_parse(g_bad[i].expr, &f, err, sizeof err), ATR_ESYNTAX);
        ATR_CHECK(f == NULL);
        if (!ATR_CHECK(strncmp(err, g_bad[i].col, strlen(g_bad[i].col)) == 0 &&
                       err[strlen(g_bad[i].col)] == ':' && !strchr(err, '\n')))
            fprintf(stderr, "  %s -> %s (want %s)\n", g_bad[i].expr, err, g_bad[i].col);
    }
    /* atr_filter_add keeps the filter unchanged on error. */
    atr_filter *f = NULL;
    char err[256];
    ATR_REQUIRE(atr_filter_parse("n>3", &f, err, sizeof err) == 0);
    ATR_CHECK_ERR(atr_filter_add(f, "n<", err, sizeof err), ATR_ESYNTAX);
    ATR_CHECK_OK(atr_filter_add(f, "n<100", err, sizeof err));
    ATR_CHECK_EQ_INT(atr_filter_match(f, ix, 2), 1);
    ATR_CHECK_EQ_INT(atr_filter_match(f, ix, 4), 0);
    ATR_CHECK_OK(atr_filter_check(f, ix, 0, err, sizeof err));
    atr_filter_free(f);
    ATR_REQUIRE(atr_filter_parse("nn>3", &f, err, sizeof err) == 0);
    ATR_CHECK_ERR(atr_filter_check(f, ix, 0, err, sizeof err), ATR_ENOTFOUND);
    ATR_CHECK_EQ_STR(err, "no argument 'nn' in app.f (arguments: n, name, data, x)");
    atr_filter_free(f);
    /* a bare number for a duration asks for a unit */
    ATR_CHECK_ERR(atr_filter_parse("duration>10", &f, err, sizeof err), ATR_ESYNTAX);
    ATR_CHECK_EQ_STR(err, "column 10: a duration needs a unit (ns, us, ms, s): 10ms or 10us, "
                          "not 10");
    ATR_CHECK_EQ_INT(atr_filter_match(NULL, ix, 0), 1);
    atr_index_free(ix);
    remove(path);
    ATR_TEST_MAIN_END();
}
