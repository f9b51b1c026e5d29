/*
 * atr_diff: two runs written by the real writer with explicit times, loaded into one index
 * (base first). Exact figures per function and per argument group, the rank test's p-values
 * (checked against a hand computation of Mann-Whitney U with tie correction), significance
 * on and off (minimum calls, alpha), groups shared across the runs, functions of one run.
 */
#include <math.h>

#include "analysis_logs.h"
#include "argtrace/atr_analysis.h"

static char g_base[512], g_new[512];

static uint32_t define_in(atr_session *s, const char *name, const char *file, uint32_t n,
                          const char *const *params) {
    atr_str ps[4];
    atr_function_info fi;
    uint32_t id = 0;
    for (uint32_t i = 0; i < n; i++)
        ps[i] = S(params[i]);
    memset(&fi, 0, sizeof fi);
    fi.module = S("app");
    fi.qualname = S(name);
    fi.file = S(file);
    fi.line = 1;
    fi.n_params = n;
    fi.params = ps;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &id));
    return id;
}

/* count calls of fn with the given args, each lasting dur ns, one after the other */
static void calls(atr_session *s, uint64_t *t, uint32_t fn, const atr_value *args, uint32_t n,
                  int count, uint64_t dur) {
    for (int i = 0; i < count; i++) {
        uint64_t sp = begin(s, fn, 0, *t, args, n);
        ATR_CHECK_OK(atr_span_return(s, sp, *t + dur, NULL));
        *t += dur + 1;
    }
}

/*
 * base: work(n=1, mode='a') 20 x 100 ns, work(n=2, mode='a') 20 x 200 ns; gone() 3 x 50;
 *       few(x) 10..14 ns; moved() (app.py) 12 x 70; size(k=10..300 step 10) 30 x 1000.
 * new:  work(n=1, mode='a') 20 x 100, work(n=2, mode='b') 20 x 400; fresh() 5 x 30;
 *       few(x) 20..24; moved() (app2.py) 12 x 70; size as base plus k=10000..10009 10 x 5000.
 */
static void write_run(const char *path, int is_new) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = open_log(path, &clock, 0, 0);
    const char *pw[] = {"n", "mode"}, *px[] = {"x"}, *pk[] = {"k"};
    uint32_t work = define_in(s, "work", "app.py", 2, pw);
    atr_value a[2] = {atr_value_int(1), atr_value_strn("a", 1)};
    calls(s, &t, work, a, 2, 20, 100);
    a[0] = atr_value_int(2);
    a[1] = atr_value_strn(is_new ? "b" : "a", 1);
    calls(s, &t, work, a, 2, 20, is_new ? 400 : 200);
    uint32_t one = define_in(s, is_new ? "fresh" : "gone", "app.py", 0, NULL);
    calls(s, &t, one, NULL, 0, is_new ? 5 : 3, is_new ? 30 : 50);
    uint32_t few = define_in(s, "few", "app.py", 1, px);
    for (int i = 0; i < 5; i++) {
        atr_value x = atr_value_int(i);
        calls(s, &t, few, &x, 1, 1, (uint64_t)((is_new ? 20 : 10) + i));
    }
    uint32_t moved = define_in(s, "moved", is_new ? "app2.py" : "app.py", 0, NULL);
    calls(s, &t, moved, NULL, 0, 12, 70);
    uint32_t size = define_in(s, "size", "app.py", 1, pk);
    for (int k = 10; k <= 300; k += 10) {
        atr_value v = atr_value_int(k);
        calls(s, &t, size, &v, 1, 1, 1000);
    }
    for (int k = 10000; is_new && k < 10010; k++) {
        atr_value v = atr_value_int(k);
        calls(s, &t, size, &v, 1, 1, 5000);
    }
    ATR_CHECK_OK(atr_session_close(s));
}

static atr_index *load_runs(void) {
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load(ix, g_base));
    ATR_CHECK_OK(atr_index_load(ix, g_new));
    return ix;
}

static atr_diff *run(const atr_index *ix, const atr_diff_config *c) {
    atr_diff *d = NULL;
    ATR_REQUIRE(atr_diff_compute(ix, c, &d) == 0);
    return d;
}

static int64_t find_fn(const atr_diff *d, const char *name, atr_diff_function *out) {
    for (uint32_t i = 0; i < atr_diff_count(d); i++)
        if (atr_diff_function_get(d, i, out) == 0 && strcmp(out->name, name) == 0)
            return i;
    return -1;
}

static void check_side(const atr_diff_side *s, uint64_t calls, uint64_t total, uint64_t p50,
                       uint64_t p95) {
    ATR_CHECK_EQ_U64(s->calls, calls);
    ATR_CHECK_EQ_U64(s->total_ns, total);
    ATR_CHECK_EQ_U64(s->p50_ns, p50);
    ATR_CHECK_EQ_U64(s->p95_ns, p95);
}

static void check_near(double got, double want) {
    ATR_CHECK(fabs(got - want) <= 1e-9 * fabs(want));
    if (!(fabs(got - want) <= 1e-9 * fabs(want)))
        fprintf(stderr, "  got %.17g, want %.17g\n", got, want);
}

/* Group of argument `arg` of function i with label `label` (-1 if none). */
static int64_t find_group(const atr_diff *d, uint32_t i, const char *arg, const char *label,
                          atr_diff_group *out) {
    atr_diff_function f;
    atr_diff_function_get(d, i, &f);
    for (uint32_t a = 0; a < f.n_args; a++) {
        atr_arg_score as;
        ATR_CHECK_OK(atr_diff_arg(d, i, a, &as));
        if (as.name.len != strlen(arg) || memcmp(as.name.ptr, arg, as.name.len) != 0)
            continue;
        for (uint32_t g = 0; g < as.n_groups; g++)
            if (atr_diff_group_get(d, i, a, g, out) == 0 && strcmp(out->label, label) == 0)
                return g;
    }
    return -1;
}

static void test_functions(void) {
    atr_index *ix = load_runs();
    atr_diff_config c;
    atr_diff_config_init(&c);
    c.n_base_files = 1;
    atr_diff *d = run(ix, &c);
    /* order by |added|: size +50000, work +4000, fresh +150 / gone -150 (name), few +50,
       moved 0 */
    const char *order[] = {"app.size", "app.work", "app.fresh", "app.gone", "app.few", "app.moved"};
    ATR_CHECK_EQ_U64(atr_diff_count(d), 6);
    for (uint32_t i = 0; i < 6; i++) {
        atr_diff_function f;
        if (ATR_CHECK_OK(atr_diff_function_get(d, i, &f)))
            ATR_CHECK_EQ_STR(f.name, order[i]);
    }
    atr_diff_function f;
    ATR_REQUIRE(find_fn(d, "app.work", &f) == 1);
    check_side(&f.stat.side[ATR_DIFF_BASE], 40, 6000, 100, 200);
    check_side(&f.stat.side[ATR_DIFF_NEW], 40, 10000, 100, 400);
    ATR_CHECK_EQ_INT(f.stat.added_ns, 4000);
    ATR_CHECK_EQ_DBL(f.stat.ratio_p50, 1.0);
    ATR_CHECK_EQ_DBL(f.stat.ratio_p95, 2.0);
    check_near(f.stat.p_value, 0.03664205187737707); /* > alpha 0.01 */
    ATR_CHECK_EQ_INT(f.stat.significant, 0);
    ATR_CHECK_EQ_INT(f.n_args, 2);

    /* one run only: the other side has 0 calls, no ratio, no test */
    ATR_REQUIRE(find_fn(d, "app.gone", &f) >= 0);
    check_side(&f.stat.side[ATR_DIFF_BASE], 3, 150, 50, 50);
    check_side(&f.stat.side[ATR_DIFF_NEW], 0, 0, 0, 0);
    ATR_CHECK_EQ_INT(f.stat.added_ns, -150);
    ATR_CHECK(isnan(f.stat.ratio_p50) && isnan(f.stat.p_value) && !f.stat.significant);
    ATR_REQUIRE(find_fn(d, "app.fresh", &f) >= 0);
    check_side(&f.stat.side[ATR_DIFF_BASE], 0, 0, 0, 0);
    check_side(&f.stat.side[ATR_DIFF_NEW], 5, 150, 30, 30);

    /* matched by name although the file differs: one function, nothing changed */
    ATR_REQUIRE(find_fn(d, "app.moved", &f) >= 0);
    check_side(&f.stat.side[ATR_DIFF_BASE], 12, 840, 70, 70);
    check_side(&f.stat.side[ATR_DIFF_NEW], 12, 840, 70, 70);
    ATR_CHECK_EQ_DBL(f.stat.p_value, 1.0); /* every value tied */
    ATR_CHECK_EQ_DBL(f.stat.ratio_p50, 1.0);
    ATR_CHECK_EQ_INT(f.stat.significant, 0);

    /* few: completely separated, but 5 calls a side: p = 0.0122 */
    ATR_REQUIRE(find_fn(d, "app.few", &f) >= 0);
    check_side(&f.stat.side[ATR_DIFF_BASE], 5, 60, 12, 14);
    check_side(&f.stat.side[ATR_DIFF_NEW], 5, 110, 22, 24);
    check_near(f.stat.p_value, 0.012185780355344818);
    ATR_CHECK_EQ_INT(f.stat.significant, 0);
    atr_diff_free(d);

    /* significance on: enough calls (min 5) and a level it passes (0.05) */
    c.min_calls = 5;
    c.alpha = 0.05;
    d = run(ix, &c);
    ATR_REQUIRE(find_fn(d, "app.few", &f) >= 0);
    ATR_CHECK_EQ_INT(f.stat.significant, 1);
    ATR_REQUIRE(find_fn(d, "app.work", &f) >= 0);
    ATR_CHECK_EQ_INT(f.stat.significant, 1); /* p 0.037 < 0.05 */
    atr_diff_free(d);
    /* min_calls still decides: 6 calls needed, few has 5 a side */
    c.min_calls = 6;
    d = run(ix, &c);
    ATR_REQUIRE(find_fn(d, "app.few", &f) >= 0);
    ATR_CHECK_EQ_INT(f.stat.significant, 0);
    atr_diff_free(d);
    atr_index_free(ix);
}

static void test_groups(void) {
    atr_index *ix = load_runs();
    atr_diff_config c;
    atr_diff_config_init(&c);
    c.n_base_files = 1;
    atr_diff *d = run(ix, &c);
    atr_diff_function f;
    int64_t wi = find_fn(d, "app.work", &f);
    ATR_REQUIRE(wi >= 0);
    atr_diff_group g;
    /* n=2: 20 x 200 against 20 x 400 — separated, significant */
    ATR_REQUIRE(find_group(d, (uint32_t)wi, "n", "2", &g) >= 0);
    check_side(&g.stat.side[ATR_DIFF_BASE], 20, 4000, 200, 200);
    check_side(&g.stat.side[ATR_DIFF_NEW], 20, 8000, 400, 400);
    ATR_CHECK_EQ_INT(g.stat.added_ns, 4000);
    ATR_CHECK_EQ_DBL(g.stat.ratio_p50, 2.0);
    check_near(g.stat.p_value, 4.682682358742091e-10);
    ATR_CHECK_EQ_INT(g.stat.significant, 1);
    ATR_CHECK(g.value != ATR_NO_VALUE);
    ATR_CHECK_EQ_STR(g.filter, "n=2");
    /* n=1: identical on both sides */
    ATR_REQUIRE(find_group(d, (uint32_t)wi, "n", "1", &g) >= 0);
    ATR_CHECK_EQ_INT(g.stat.added_ns, 0);
    ATR_CHECK_EQ_DBL(g.stat.p_value, 1.0);
    ATR_CHECK_EQ_INT(g.stat.significant, 0);
    /* mode: 'a' in both runs (base 40 calls, new 20), 'b' new only */
    ATR_REQUIRE(find_group(d, (uint32_t)wi, "mode", "a", &g) >= 0);
    check_side(&g.stat.side[ATR_DIFF_BASE], 40, 6000, 100, 200);
    check_side(&g.stat.side[ATR_DIFF_NEW], 20, 2000, 100, 100);
    ATR_CHECK_EQ_INT(g.stat.added_ns, -4000);
    check_near(g.stat.p_value, 0.00012763832113265035);
    ATR_CHECK_EQ_INT(g.stat.significant, 1);
    ATR_REQUIRE(find_group(d, (uint32_t)wi, "mode", "b", &g) == 0); /* |added| 8000 first */
    check_side(&g.stat.side[ATR_DIFF_BASE], 0, 0, 0, 0);
    check_side(&g.stat.side[ATR_DIFF_NEW], 20, 8000, 400, 400);
    ATR_CHECK(isnan(g.stat.ratio_p50) && isnan(g.stat.p_value) && !g.stat.significant);

    /* size: buckets over both runs; every bucket has both sides' calls of its range, the
       k >= 10000 bucket only new ones; the sides add up to the function's calls */
    int64_t si = find_fn(d, "app.size", &f);
    ATR_REQUIRE(si == 0);
    atr_arg_score as;
    ATR_REQUIRE(atr_diff_arg(d, (uint32_t)si, 0, &as) == 0);
    ATR_CHECK(as.mode == ATR_GROUP_RANGE);
    ATR_CHECK(as.n_groups >= 2);
    uint64_t sum[2] = {0, 0}, only_new = 0;
    for (uint32_t k = 0; k < as.n_groups; k++) {
        ATR_REQUIRE(atr_diff_group_get(d, (uint32_t)si, 0, k, &g) == 0);
        sum[0] += g.stat.side[0].calls;
        sum[1] += g.stat.side[1].calls;
        if (g.stat.side[0].calls == 0) {
            only_new++;
            ATR_CHECK_EQ_INT(k, 0);                     /* the largest |added| */
            ATR_CHECK_EQ_STR(g.label, "10,000–11,000"); /* 2 digits (breaks.c), separators */
            ATR_CHECK_EQ_INT(g.stat.added_ns, 50000);
        } else {
            ATR_CHECK_EQ_U64(g.stat.side[0].calls, g.stat.side[1].calls);
            ATR_CHECK_EQ_INT(g.stat.added_ns, 0);
        }
    }
    ATR_CHECK_EQ_U64(sum[0], 30);
    ATR_CHECK_EQ_U64(sum[1], 40);
    ATR_CHECK_EQ_U64(only_new, 1);
    ATR_CHECK_EQ_INT(atr_diff_group_get(d, (uint32_t)si, 0, as.n_groups, &g), ATR_EINVAL);
    atr_diff_free(d);
    atr_index_free(ix);
}

static void test_config(void) {
    atr_index *ix = load_runs();
    atr_diff_config c;
    atr_diff_config_init(&c);
    ATR_CHECK_EQ_INT(c.min_calls, 10);
    ATR_CHECK_EQ_DBL(c.alpha, 0.01);
    c.n_base_files = 1;
    /* one function (by one of its ids): both files' "moved" are compared */
    uint32_t fn = 0;
    ATR_REQUIRE(atr_index_find_function(ix, "app.work", &fn, NULL, 0, NULL) == 0);
    c.function = fn;
    atr_filter *flt = NULL;
    ATR_REQUIRE(atr_filter_parse("n=2", &flt, NULL, 0) == 0);
    c.filter = flt;
    c.arguments = 0;
    atr_diff *d = run(ix, &c);
    atr_diff_function f;
    ATR_CHECK_EQ_U64(atr_diff_count(d), 1);
    ATR_REQUIRE(atr_diff_function_get(d, 0, &f) == 0);
    ATR_CHECK_EQ_STR(f.name, "app.work");
    ATR_CHECK_EQ_INT(f.n_args, 0);
    check_side(&f.stat.side[ATR_DIFF_BASE], 20, 4000, 200, 200);
    check_side(&f.stat.side[ATR_DIFF_NEW], 20, 8000, 400, 400);
    ATR_CHECK_EQ_INT(atr_diff_arg(d, 0, 0, &(atr_arg_score){0}), ATR_EINVAL);
    atr_diff_free(d);
    atr_filter_free(flt);
    /* every call filtered out: functions drop out, a named function stays with 0 calls */
    ATR_REQUIRE(atr_filter_parse("duration>1s", &flt, NULL, 0) == 0);
    c.filter = flt;
    c.arguments = 1;
    d = run(ix, &c);
    ATR_CHECK_EQ_U64(atr_diff_count(d), 1);
    atr_diff_free(d);
    c.function = ATR_ALL_FUNCTIONS;
    d = run(ix, &c);
    ATR_CHECK_EQ_U64(atr_diff_count(d), 0);
    atr_diff_free(d);
    atr_filter_free(flt);
    /* bad configurations */
    c.filter = NULL;
    d = NULL;
    c.n_base_files = 3;
    ATR_CHECK_EQ_INT(atr_diff_compute(ix, &c, &d), ATR_EINVAL);
    c.n_base_files = 1;
    c.alpha = 0;
    ATR_CHECK_EQ_INT(atr_diff_compute(ix, &c, &d), ATR_EINVAL);
    c.alpha = 0.01;
    c.function = 1000;
    ATR_CHECK_EQ_INT(atr_diff_compute(ix, &c, &d), ATR_EINVAL);
    ATR_CHECK(d == NULL);
    ATR_CHECK_EQ_U64(atr_diff_count(NULL), 0);
    atr_diff_free(NULL);
    /* the same runs in the other order: every change flips sign */
    atr_index_free(ix);
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load(ix, g_new));
    ATR_CHECK_OK(atr_index_load(ix, g_base));
    atr_diff_config_init(&c);
    c.n_base_files = 1;
    d = run(ix, &c);
    ATR_REQUIRE(find_fn(d, "app.work", &f) >= 0);
    ATR_CHECK_EQ_INT(f.stat.added_ns, -4000);
    ATR_CHECK_EQ_DBL(f.stat.ratio_p95, 0.5);
    check_near(f.stat.p_value, 0.03664205187737707);
    atr_diff_free(d);
    atr_index_free(ix);
}

/*
 * One function whose parameters moved between the runs: base reorder(x, mode), new
 * reorder(mode, flag, x). Arguments are matched by name (the union of both: x, mode, flag),
 * and a filter is bound to each run's function by name too.
 */
static void write_reorder(const char *path, int is_new) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = open_log(path, &clock, 0, 0);
    const char *pb[] = {"x", "mode"}, *pn[] = {"mode", "flag", "x"};
    /* another file in the new run: two functions of one name (the index would merge one) */
    uint32_t fn =
        define_in(s, "reorder", is_new ? "app2.py" : "app.py", is_new ? 3 : 2, is_new ? pn : pb);
    for (int i = 0; i < 20; i++) {
        atr_value x = atr_value_int(100 + i), mode = atr_value_strn(i % 2 ? "b" : "a", 1);
        atr_value a[3] = {x, mode, x};
        if (is_new) {
            a[0] = mode;
            a[1] = atr_value_bool(1);
        }
        calls(s, &t, fn, a, is_new ? 3 : 2, 1, i % 2 && is_new ? 300 : 100);
    }
    ATR_CHECK_OK(atr_session_close(s));
}

static void test_union(void) {
    char base[512], new_[512];
    atr_test_tmpfile(base, sizeof base, "diff_reorder_base.atr");
    atr_test_tmpfile(new_, sizeof new_, "diff_reorder_new.atr");
    write_reorder(base, 0);
    write_reorder(new_, 1);
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load(ix, base));
    ATR_CHECK_OK(atr_index_load(ix, new_));
    atr_diff_config c;
    atr_diff_config_init(&c);
    c.n_base_files = 1;
    atr_diff *d = run(ix, &c);
    atr_diff_function f;
    int64_t fi = find_fn(d, "app.reorder", &f);
    ATR_REQUIRE(fi >= 0);
    ATR_CHECK_EQ_INT(f.n_args, 3);
    atr_diff_group g;
    ATR_REQUIRE(find_group(d, (uint32_t)fi, "mode", "b", &g) >= 0);
    check_side(&g.stat.side[ATR_DIFF_BASE], 10, 1000, 100, 100);
    check_side(&g.stat.side[ATR_DIFF_NEW], 10, 3000, 300, 300);
    ATR_REQUIRE(find_group(d, (uint32_t)fi, "mode", "a", &g) >= 0);
    check_side(&g.stat.side[ATR_DIFF_BASE], 10, 1000, 100, 100);
    check_side(&g.stat.side[ATR_DIFF_NEW], 10, 1000, 100, 100);
    ATR_REQUIRE(find_group(d, (uint32_t)fi, "flag", "(not captured)", &g) >= 0);
    ATR_CHECK_EQ_U64(g.stat.side[ATR_DIFF_BASE].calls, 20);
    ATR_CHECK_EQ_U64(g.stat.side[ATR_DIFF_NEW].calls, 0);
    /* x (first in base, last in new): the same values in both runs, so every range group
       holds as many calls of each */
    uint64_t sum[2] = {0, 0};
    for (uint32_t a = 0; a < f.n_args; a++) {
        atr_arg_score as;
        ATR_REQUIRE(atr_diff_arg(d, (uint32_t)fi, a, &as) == 0);
        if (!(as.name.len == 1 && as.name.ptr[0] == 'x'))
            continue;
        ATR_CHECK(as.mode == ATR_GROUP_RANGE);
        for (uint32_t k = 0; k < as.n_groups; k++) {
            ATR_REQUIRE(atr_diff_group_get(d, (uint32_t)fi, a, k, &g) == 0);
            ATR_CHECK_EQ_U64(g.stat.side[0].calls, g.stat.side[1].calls);
            sum[0] += g.stat.side[0].calls;
            sum[1] += g.stat.side[1].calls;
        }
    }
    ATR_CHECK_EQ_U64(sum[0], 20);
    ATR_CHECK_EQ_U64(sum[1], 20);
    atr_diff_free(d);

    atr_filter *flt = NULL;
    ATR_REQUIRE(atr_filter_parse("mode=b", &flt, NULL, 0) == 0);
    c.filter = flt;
    d = run(ix, &c);
    fi = find_fn(d, "app.reorder", &f);
    ATR_REQUIRE(fi >= 0);
    check_side(&f.stat.side[ATR_DIFF_BASE], 10, 1000, 100, 100);
    check_side(&f.stat.side[ATR_DIFF_NEW], 10, 3000, 300, 300);
    ATR_REQUIRE(find_group(d, (uint32_t)fi, "mode", "b", &g) >= 0);
    ATR_CHECK_EQ_U64(g.stat.side[ATR_DIFF_BASE].calls + g.stat.side[ATR_DIFF_NEW].calls, 20);
    atr_diff_free(d);
    atr_filter_free(flt);
    atr_index_free(ix);
    remove(base);
    remove(new_);
}

int main(void) {
    atr_test_tmpfile(g_base, sizeof g_base, "diff_base.atr");
    atr_test_tmpfile(g_new, sizeof g_new, "diff_new.atr");
    write_run(g_base, 0);
    write_run(g_new, 1);
    test_functions();
    test_groups();
    test_config();
    test_union();
    remove(g_base);
    remove(g_new);
    ATR_TEST_MAIN_END();
}
