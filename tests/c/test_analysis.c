/*
 * Analysis tests: logs written by the real writer with explicit times (an injected clock for
 * the rest), loaded into an index. Tree structure, self time, unfinished calls, exact
 * percentiles, per-argument scores, buckets, function lookup, events in time order. Merged,
 * damaged, hostile, multi-threaded and empty logs are in test_analysis_logs.c; filters in
 * test_analysis_filter.c.
 */
#include <math.h>
#include <pthread.h>

#include "argtrace/atr.h"
#include "atr_test.h"

#include "analysis/argscore_int.h"
#include "analysis_logs.h"

static void test_tree(void) {
    uint64_t clock = 500;
    atr_session *s = new_log("analysis_tree.atr", &clock);
    const char *pn[] = {"n"};
    uint32_t f = define(s, "app", "f", 1, pn), g = define(s, "app", "g", 1, pn);
    atr_value v = atr_value_int(1);
    uint64_t a = begin(s, f, 0, 1000, &v, 1);
    uint64_t b = begin(s, g, a, 1100, &v, 1);
    ATR_CHECK_OK(atr_span_return(s, b, 1300, &v));
    uint64_t c = begin(s, g, a, 1400, &v, 1);
    ATR_CHECK_OK(atr_message(s, c, 1500, S("hello"), NULL, 0));
    atr_value msg = atr_value_strn("bad", 3);
    ATR_CHECK_OK(atr_span_raise(s, c, 1900, S("ValueError"), &msg));
    ATR_CHECK_OK(atr_span_return(s, a, 2000, NULL));
    uint64_t d = begin(s, g, 0, 5000, &v, 1); /* never ends */
    (void)d;
    clock = 9000; /* END_OF_LOG time */
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_calls, 4);
    ATR_CHECK_EQ_INT(info.n_functions, 2);
    ATR_CHECK_EQ_INT(info.n_unfinished, 1);
    ATR_CHECK_EQ_INT(info.n_messages, 1);
    ATR_CHECK_EQ_INT(info.flags & (ATR_FILE_TRUNCATED | ATR_FILE_UNCLOSED), 0);
    uint32_t ff = find(ix, "f"), fg = find(ix, "app.g");
    ATR_CHECK_EQ_INT(ff, 0);
    ATR_CHECK_EQ_INT(fg, 1);

    atr_thread_view tv;
    ATR_REQUIRE(atr_index_thread(ix, 0, &tv) == 0);
    ATR_CHECK_EQ_INT(tv.n_roots, 2);
    atr_call_view cv;
    ATR_REQUIRE(atr_index_call(ix, tv.first_root, &cv) == 0);
    ATR_CHECK_EQ_INT(cv.function, ff);
    ATR_CHECK_EQ_U64(cv.start_ns, 1000);
    ATR_CHECK_EQ_U64(cv.duration_ns, 1000);
    ATR_CHECK_EQ_U64(cv.self_ns, 1000 - 200 - 500);
    ATR_CHECK_EQ_INT(cv.status, ATR_CALL_NORESULT);
    uint32_t kids[4], nk = 0;
    ATR_CHECK_OK(atr_call_children(ix, tv.first_root, kids, 4, &nk));
    ATR_REQUIRE(nk == 2);
    atr_call_view k0, k1;
    atr_index_call(ix, kids[0], &k0);
    atr_index_call(ix, kids[1], &k1);
    ATR_CHECK_EQ_U64(k0.start_ns, 1100);
    ATR_CHECK_EQ_U64(k0.duration_ns, 200);
    ATR_CHECK_EQ_INT(k0.status, ATR_CALL_RETURNED);
    ATR_CHECK_EQ_INT(k0.parent, tv.first_root);
    ATR_CHECK_EQ_INT(k0.next_sibling, kids[1]);
    ATR_CHECK_EQ_U64(k1.duration_ns, 500);
    ATR_CHECK_EQ_INT(k1.status, ATR_CALL_RAISED);
    ATR_CHECK(k1.exc_type.len == 10 && memcmp(k1.exc_type.ptr, "ValueError", 10) == 0);
    atr_value rv;
    ATR_CHECK_OK(atr_index_value(ix, k1.result, &rv));
    ATR_CHECK_EQ_MEM(rv.u.s.ptr, rv.u.s.len, "bad", 3);
    ATR_CHECK_OK(atr_index_value(ix, atr_call_arg(ix, kids[0], 0), &rv));
    ATR_CHECK_EQ_INT(rv.kind, ATR_V_INT);
    ATR_CHECK_EQ_INT(rv.u.i, 1);
    ATR_CHECK_EQ_INT(atr_call_arg(ix, kids[0], 1), ATR_NO_VALUE);
    uint32_t msgs[2], nm = 0;
    ATR_CHECK_OK(atr_call_messages(ix, kids[1], msgs, 2, &nm));
    ATR_CHECK_EQ_INT(nm, 1);
    atr_message_view mv;
    ATR_CHECK_OK(atr_index_message(ix, msgs[0], &mv));
    ATR_CHECK_EQ_U64(mv.time_ns, 1500);
    ATR_CHECK_EQ_MEM(mv.text.ptr, mv.text.len, "hello", 5);

    /* The unfinished call: duration to the last time seen (END_OF_LOG at 9000). */
    atr_call_view u;
    ATR_REQUIRE(atr_index_call(ix,
                               k1.next_sibling == ATR_NO_CALL ? cv.next_sibling : k1.next_sibling,
                               &u) == 0);
    ATR_CHECK_EQ_INT(u.status, ATR_CALL_UNFINISHED);
    ATR_CHECK_EQ_U64(u.start_ns, 5000);
    ATR_CHECK_EQ_U64(u.duration_ns, 4000);

    /* Stats of g: finished durations 200, 500; unfinished counted apart. */
    atr_stats st;
    ATR_CHECK_OK(atr_stats_function(ix, fg, NULL, &st));
    ATR_CHECK_EQ_INT(st.count, 3);
    ATR_CHECK_EQ_INT(st.unfinished, 1);
    ATR_CHECK_EQ_INT(st.raised, 1);
    ATR_CHECK_EQ_U64(st.max_ns, 500);
    ATR_CHECK_EQ_U64(st.p50_ns, 200);
    ATR_CHECK_EQ_U64(st.total_ns, 4700);

    /* Events: start f, start g, end g, start g, message, end g(raised), end f, start g. */
    atr_events *ev = NULL;
    ATR_REQUIRE(atr_events_open(ix, &ev) == 0);
    ATR_CHECK_EQ_INT(atr_events_count(ev), 8);
    static const uint32_t kinds[] = {ATR_EVENT_START, ATR_EVENT_START,   ATR_EVENT_END,
                                     ATR_EVENT_START, ATR_EVENT_MESSAGE, ATR_EVENT_END,
                                     ATR_EVENT_END,   ATR_EVENT_START};
    static const uint64_t times[] = {1000, 1100, 1300, 1400, 1500, 1900, 2000, 5000};
    atr_event e;
    for (int i = 0; i < 8; i++) {
        ATR_REQUIRE(atr_events_next(ev, &e) == 0);
        ATR_CHECK_EQ_INT(e.kind, kinds[i]);
        ATR_CHECK_EQ_U64(e.time_ns, times[i]);
    }
    ATR_CHECK_ERR(atr_events_next(ev, &e), ATR_EOF);
    ATR_CHECK_OK(atr_events_prev(ev, &e));
    ATR_CHECK_EQ_U64(e.time_ns, 5000);
    ATR_CHECK_EQ_INT(atr_events_find_time(ev, 1450), 4);
    atr_events_close(ev);
    done(ix);
}

/* ---- values: interning and round trip; progress --------------------------------------- */

static void progress_cb(void *ctx, uint64_t done, uint64_t total) {
    uint64_t *p = ctx;
    p[0]++;
    p[1] = done;
    p[2] = total;
}

static void test_values(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("analysis_values.atr", &clock);
    const char *pn[] = {"v"};
    uint32_t f = define(s, "app", "f", 1, pn);
    char big[5000];
    memset(big, 'q', sizeof big);
    atr_value items[2] = {atr_value_int(1), atr_value_strn("two", 3)};
    atr_value sum = atr_value_summary("tuple", 5, 2);
    sum.n_items = 2;
    sum.u.sum.items = items;
    atr_value vals[] = {
        atr_value_int(5),
        atr_value_int((INT64_C(1) << 30) - 3), /* largest int stored in its id */
        atr_value_int((INT64_C(1) << 30) - 2), /* smallest stored in the table */
        atr_value_int(-(INT64_C(1) << 30)),
        atr_value_int(INT64_MIN),
        atr_value_float(0.0),
        atr_value_float(-0.0),
        atr_value_strn("same", 4),
        atr_value_strn("same", 4),
        atr_value_bytes("same", 4),
        atr_value_strn(big, sizeof big), /* truncated by the writer (4096) */
        sum,
        atr_value_nil(),
        atr_value_bool(1),
        atr_value_strn(NULL, 0), /* empty strings without a pointer */
        atr_value_strn("", 0),
    };
    uint32_t n = sizeof vals / sizeof vals[0];
    for (uint32_t i = 0; i < n; i++) {
        uint64_t sp = begin(s, f, 0, 100 + i * 10, &vals[i], 1);
        ATR_CHECK_OK(atr_span_return(s, sp, 105 + i * 10, &vals[i]));
    }
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = NULL;
    uint64_t prog[3] = {0, 0, 0};
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    atr_index_set_progress(ix, progress_cb, prog);
    ATR_REQUIRE(atr_index_load(ix, g_path) == 0);
    ATR_CHECK(prog[0] >= 1 && prog[1] == prog[2] && prog[2] > 16);
    uint32_t id[20];
    atr_value v;
    for (uint32_t i = 0; i < n; i++) {
        id[i] = atr_call_arg(ix, i, 0);
        atr_call_view cv;
        ATR_CHECK_OK(atr_index_call(ix, i, &cv));
        ATR_CHECK_EQ_INT(cv.result, id[i]); /* the same value interned once */
        ATR_CHECK_OK(atr_index_value(ix, id[i], &v));
        ATR_CHECK_EQ_INT(v.kind, vals[i].kind);
        if (v.kind == ATR_V_INT)
            ATR_CHECK_EQ_INT(v.u.i, vals[i].u.i);
    }
    ATR_CHECK(id[7] == id[8] && id[7] != id[9]);
    ATR_CHECK(id[14] == id[15]);
    ATR_CHECK(id[5] != id[6]);
    ATR_CHECK(id[1] != id[2] && id[0] != id[1]);
    ATR_CHECK_OK(atr_index_value(ix, id[6], &v));
    ATR_CHECK(v.u.f == 0.0 && signbit(v.u.f));
    ATR_CHECK_OK(atr_index_value(ix, id[10], &v));
    ATR_CHECK_EQ_INT(v.kind, ATR_V_STR);
    ATR_CHECK(v.u.s.len < sizeof big && v.u.s.true_len == sizeof big);
    ATR_CHECK_OK(atr_index_value(ix, id[11], &v));
    ATR_CHECK_EQ_INT(v.kind, ATR_V_SUMMARY);
    ATR_CHECK_EQ_MEM(v.u.sum.type, v.u.sum.type_len, "tuple", 5);
    ATR_CHECK_EQ_INT(v.u.sum.length, 2);
    ATR_REQUIRE(v.n_items == 2);
    ATR_CHECK_EQ_INT(v.u.sum.items[0].u.i, 1);
    ATR_CHECK_EQ_MEM(v.u.sum.items[1].u.s.ptr, v.u.sum.items[1].u.s.len, "two", 3);
    ATR_CHECK_ERR(atr_index_value(ix, ATR_NO_VALUE, &v), ATR_EINVAL);
    ATR_CHECK_ERR(atr_index_value(ix, 1000000, &v), ATR_EINVAL);
    done(ix);
}

static void test_percentiles(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("analysis_pct.atr", &clock);
    uint32_t p = define(s, "app", "p", 0, NULL);
    uint64_t t = 1000;
    for (int i = 0; i < 100; i++) {
        uint64_t d = (uint64_t)((i * 37) % 100 + 1) * 10; /* 10..1000, shuffled */
        uint64_t sp = begin(s, p, 0, t, NULL, 0);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 5;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_stats st;
    ATR_CHECK_OK(atr_stats_function(ix, 0, NULL, &st));
    ATR_CHECK_EQ_INT(st.count, 100);
    ATR_CHECK_EQ_U64(st.min_ns, 10);
    ATR_CHECK_EQ_U64(st.p50_ns, 500);
    ATR_CHECK_EQ_U64(st.p95_ns, 950);
    ATR_CHECK_EQ_U64(st.p99_ns, 990);
    ATR_CHECK_EQ_U64(st.max_ns, 1000);
    ATR_CHECK_EQ_U64(st.total_ns, 50500);
    ATR_CHECK_EQ_U64(st.self_ns, 50500);
    atr_stats all[1];
    ATR_CHECK_OK(atr_stats_all(ix, all, 1));
    ATR_CHECK_EQ_U64(all[0].p95_ns, 950);
    /* Queries: slowest first, top-k, Nth slowest. */
    atr_query q;
    atr_query_init(&q);
    q.function = 0;
    q.sort = ATR_SORT_DURATION;
    q.limit = 3;
    atr_callset *cs = NULL;
    ATR_REQUIRE(atr_query_run(ix, &q, &cs) == 0);
    ATR_CHECK_EQ_INT(atr_callset_count(cs), 3);
    ATR_CHECK_EQ_INT(atr_callset_matched(cs), 100);
    atr_call_view cv;
    atr_index_call(ix, atr_callset_get(cs, 0), &cv);
    ATR_CHECK_EQ_U64(cv.duration_ns, 1000);
    atr_index_call(ix, atr_callset_get(cs, 2), &cv);
    ATR_CHECK_EQ_U64(cv.duration_ns, 980);
    atr_callset_free(cs);
    q.offset = 10;
    q.limit = 1;
    ATR_REQUIRE(atr_query_run(ix, &q, &cs) == 0);
    atr_index_call(ix, atr_callset_get(cs, 0), &cv);
    ATR_CHECK_EQ_U64(cv.duration_ns, 900);
    atr_callset_free(cs);
    atr_query_init(&q);
    ATR_REQUIRE(atr_query_run(ix, &q, &cs) == 0);
    ATR_CHECK_EQ_INT(atr_callset_count(cs), 100);
    atr_index_call(ix, atr_callset_get(cs, 0), &cv);
    ATR_CHECK_EQ_U64(cv.start_ns, 1000);
    atr_callset_free(cs);
    done(ix);
}

/* ---- argument scores ----------------------------------------------------------------- */

static uint64_t lcg(uint64_t *st) {
    *st = *st * 6364136223846793005u + 1442695040888963407u;
    return *st >> 33;
}

typedef struct reader_arg {
    atr_index *ix;
    double *best; /* out: the best argument's score */
} reader_arg;

/* Queries a loaded index (run from two threads at once). Checks go to main's counters only
 * through the result: atr_test.h counters are not thread-safe. */
static void *read_index(void *p) {
    reader_arg *ra = p;
    atr_argscore *sc = NULL;
    atr_stats st;
    atr_query q;
    atr_callset *cs = NULL;
    atr_arg_score a;
    *ra->best = -1;
    if (atr_stats_function(ra->ix, 0, NULL, &st) || atr_argscore_compute(ra->ix, 0, NULL, 0, &sc))
        return NULL;
    if (atr_argscore_arg(sc, 0, &a) == 0)
        *ra->best = a.score;
    atr_argscore_free(sc);
    atr_query_init(&q);
    q.sort = ATR_SORT_SELF;
    q.limit = 3;
    if (atr_query_run(ra->ix, &q, &cs) == 0)
        atr_callset_free(cs);
    return NULL;
}

/* The same analysis on one thread and on two (atr__score_par_min lowered): identical. */
static void check_threads_agree(atr_index *ix) {
    atr_argscore *one = NULL, *two = NULL;
    uint64_t saved = atr__score_par_min;
    atr__score_par_min = UINT64_MAX;
    ATR_REQUIRE(atr_argscore_compute(ix, 0, NULL, ATR_ARGSCORE_RESULT, &one) == 0);
    atr__score_par_min = 0;
    ATR_REQUIRE(atr_argscore_compute(ix, 0, NULL, ATR_ARGSCORE_RESULT, &two) == 0);
    atr__score_par_min = saved;
    ATR_CHECK_EQ_INT(atr_argscore_count(one), 6);
    ATR_REQUIRE(atr_argscore_count(two) == atr_argscore_count(one));
    for (uint32_t i = 0; i < atr_argscore_count(one); i++) {
        atr_arg_score a, b;
        ATR_CHECK_OK(atr_argscore_arg(one, i, &a));
        ATR_CHECK_OK(atr_argscore_arg(two, i, &b));
        ATR_CHECK_EQ_MEM(b.name.ptr, b.name.len, a.name.ptr, a.name.len);
        ATR_CHECK(a.score == b.score && a.score_exact == b.score_exact &&
                  a.score_grouped == b.score_grouped && a.score_trend == b.score_trend);
        ATR_CHECK(a.mode == b.mode && a.n_distinct == b.n_distinct && a.n_groups == b.n_groups &&
                  a.n_captured == b.n_captured);
        for (uint32_t k = 0; k < a.n_groups && a.n_groups == b.n_groups; k++) {
            atr_arg_group g, h;
            ATR_CHECK_OK(atr_argscore_group(one, i, k, &g));
            ATR_CHECK_OK(atr_argscore_group(two, i, k, &h));
            ATR_CHECK_EQ_STR(h.label, g.label);
            ATR_CHECK_EQ_STR(h.filter, g.filter);
            ATR_CHECK(g.calls == h.calls && g.p50_ns == h.p50_ns && g.p95_ns == h.p95_ns &&
                      g.max_ns == h.max_ns && g.total_ns == h.total_ns && g.value == h.value);
            ATR_CHECK(memcmp(g.hist, h.hist, sizeof g.hist) == 0);
        }
    }
    atr_argscore_free(one);
    atr_argscore_free(two);
}

static void test_argscore(void) {
    uint64_t clock = 0, rnd = 42;
    atr_session *s = new_log("analysis_score.atr", &clock);
    const char *pn[] = {"request_id", "n", "mode", "payload"};
    uint32_t h = define(s, "app", "handle", 4, pn);
    uint64_t t = 1000;
    for (int i = 0; i < 600; i++) {
        int strict = lcg(&rnd) % 3 == 0;
        uint64_t noise = lcg(&rnd) % 300;
        uint64_t d = strict ? 100000 + noise * 100 : 1000 + noise * 3;
        char pay[40];
        size_t plen = lcg(&rnd) % 40;
        memset(pay, 'x', plen);
        atr_value args[4] = {atr_value_int(1000000 + i), atr_value_int((int64_t)(lcg(&rnd) % 1000)),
                             atr_value_strn(strict ? "strict" : "fast", strict ? 6 : 4),
                             atr_value_strn(pay, plen)};
        uint64_t sp = begin(s, h, 0, t, args, 4);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 10;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    check_events(ix);
    /* A loaded index answers from several threads at once (same results). */
    pthread_t readers[2];
    double got[2] = {0, 0};
    reader_arg ra[2] = {{ix, &got[0]}, {ix, &got[1]}};
    int made[2];
    for (int k = 0; k < 2; k++)
        made[k] = pthread_create(&readers[k], NULL, read_index, &ra[k]) == 0;
    for (int k = 0; k < 2; k++)
        if (made[k])
            pthread_join(readers[k], NULL);
    ATR_CHECK(made[0] && made[1]);
    ATR_CHECK(got[0] > 0.9 && got[0] == got[1]);
    atr_argscore *sc = NULL;
    ATR_REQUIRE(atr_argscore_compute(ix, 0, NULL, 0, &sc) == 0);
    ATR_CHECK_EQ_INT(atr_argscore_calls(sc), 600);
    ATR_REQUIRE(atr_argscore_count(sc) == 4);
    atr_arg_score a;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_MEM(a.name.ptr, a.name.len, "mode", 4);
    ATR_CHECK(a.score > 0.9);
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_EXACT);
    ATR_CHECK_EQ_INT(a.n_groups, 2);
    atr_arg_group g;
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 0, &g));
    ATR_CHECK_EQ_STR(g.label, "strict");
    ATR_CHECK_EQ_STR(g.filter, "mode=\"strict\"");
    ATR_CHECK(g.p50_ns >= 100000 && g.max_ns <= 130000);
    uint64_t sum = 0;
    for (int k = 0; k < ATR_HIST_BINS; k++)
        sum += g.hist[k];
    ATR_CHECK_EQ_INT(sum, g.calls);
    for (uint32_t i = 1; i < 4; i++) {
        ATR_CHECK_OK(atr_argscore_arg(sc, i, &a));
        ATR_CHECK(a.score < 0.05);
        if (a.name.len == 10) { /* request_id: unique */
            ATR_CHECK_EQ_INT(a.n_distinct, 600);
            ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_RANGE);
        }
        if (a.name.len == 7) /* payload: strings by length */
            ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_LENGTH);
    }
    /* A group's filter selects exactly its calls. */
    for (uint32_t i = 0; i < 4; i++) {
        ATR_CHECK_OK(atr_argscore_arg(sc, i, &a));
        for (uint32_t k = 0; k < a.n_groups; k++) {
            atr_filter *f = NULL;
            char err[200];
            ATR_CHECK_OK(atr_argscore_group(sc, i, k, &g));
            if (!ATR_CHECK_OK(atr_filter_parse(g.filter, &f, err, sizeof err))) {
                fprintf(stderr, "  filter %s: %s\n", g.filter, err);
                continue;
            }
            atr_stats st;
            ATR_CHECK_OK(atr_stats_function(ix, 0, f, &st));
            if (!ATR_CHECK_EQ_INT(st.count, g.calls))
                fprintf(stderr, "  group %s filter %s\n", g.label, g.filter);
            atr_filter_free(f);
        }
    }
    atr_argscore_free(sc);
    /* With a filter: only fast calls; mode has one group left and explains nothing. */
    atr_filter *f = NULL;
    ATR_REQUIRE(atr_filter_parse("mode=fast", &f, NULL, 0) == 0);
    ATR_REQUIRE(atr_argscore_compute(ix, 0, f, ATR_ARGSCORE_RESULT, &sc) == 0);
    ATR_CHECK(atr_argscore_calls(sc) > 300 && atr_argscore_calls(sc) < 500);
    ATR_CHECK_EQ_INT(atr_argscore_count(sc), 6);
    for (uint32_t i = 0; i < atr_argscore_count(sc); i++) {
        ATR_CHECK_OK(atr_argscore_arg(sc, i, &a));
        ATR_CHECK(a.score < 0.1);
    }
    atr_argscore_free(sc);
    atr_filter_free(f);
    check_threads_agree(ix);
    done(ix);
}

/* Every group's filter selects exactly its calls. */
static void check_group_filters(atr_index *ix, uint32_t fn, const atr_argscore *sc) {
    for (uint32_t i = 0; i < atr_argscore_count(sc); i++) {
        atr_arg_score a;
        ATR_CHECK_OK(atr_argscore_arg(sc, i, &a));
        for (uint32_t k = 0; k < a.n_groups; k++) {
            atr_arg_group g;
            atr_filter *f = NULL;
            char err[200];
            ATR_CHECK_OK(atr_argscore_group(sc, i, k, &g));
            if (!g.filter[0])
                continue;
            if (!ATR_CHECK_OK(atr_filter_parse(g.filter, &f, err, sizeof err))) {
                fprintf(stderr, "  filter %s: %s\n", g.filter, err);
                continue;
            }
            atr_stats st;
            ATR_CHECK_OK(atr_stats_function(ix, fn, f, &st));
            if (!ATR_CHECK_EQ_INT(st.count, g.calls))
                fprintf(stderr, "  group %s filter %s\n", g.label, g.filter);
            atr_filter_free(f);
        }
    }
}

/* Ranges, lengths, container lengths and types when values are many. */
static void test_buckets(void) {
    uint64_t clock = 0, rnd = 7;
    atr_session *s = new_log("analysis_buckets.atr", &clock);
    const char *pn[] = {"size", "name", "items", "mixed"};
    uint32_t fn = define(s, "app", "g", 4, pn);
    static char text[300];
    memset(text, 'a', sizeof text);
    uint64_t t = 1000;
    for (int i = 0; i < 400; i++) {
        uint64_t dec = lcg(&rnd) % 6, size = 1;
        for (uint64_t k = 0; k < dec; k++)
            size *= 10;
        size += lcg(&rnd) % size; /* within the decade */
        uint64_t d = 1000 * (1 + dec * 10) + lcg(&rnd) % 50;
        uint64_t m = lcg(&rnd) % 3;
        atr_value a[4] = {atr_value_int((int64_t)size),
                          atr_value_strn(text, (size_t)(lcg(&rnd) % 250)),
                          atr_value_summary("list", 4, (int64_t)(lcg(&rnd) % 1000)),
                          m == 0   ? atr_value_int(i)
                          : m == 1 ? atr_value_strn("s", 1)
                                   : atr_value_nil()};
        uint64_t sp = begin(s, fn, 0, t, a, 4);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = NULL;
    ATR_REQUIRE(atr_argscore_compute(ix, 0, NULL, 0, &sc) == 0);
    atr_arg_score a;
    atr_arg_group g;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_MEM(a.name.ptr, a.name.len, "size", 4);
    ATR_CHECK(a.score > 0.9);
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_RANGE);
    ATR_CHECK(a.n_groups >= 5 && a.n_groups <= 10);
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 0, &g)); /* slowest: 100000-199999 */
    ATR_CHECK(strncmp(g.label, "1", 1) == 0 && strstr(g.label, "\xe2\x80\x93") != NULL);
    ATR_CHECK(strncmp(g.filter, "size>=1", 7) == 0);
    uint64_t prev = UINT64_MAX;
    for (uint32_t k = 0; k < a.n_groups; k++) { /* slowest p50 first */
        ATR_CHECK_OK(atr_argscore_group(sc, 0, k, &g));
        ATR_CHECK(g.p50_ns <= prev);
        prev = g.p50_ns;
    }
    for (uint32_t i = 1; i < atr_argscore_count(sc); i++) {
        ATR_CHECK_OK(atr_argscore_arg(sc, i, &a));
        ATR_CHECK(a.score < 0.1);
        ATR_CHECK_OK(atr_argscore_group(sc, i, 0, &g));
        if (a.name.len == 4 && memcmp(a.name.ptr, "name", 4) == 0) {
            ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_LENGTH);
            ATR_CHECK(strncmp(g.label, "len ", 4) == 0);
        } else if (a.name.len == 5 && memcmp(a.name.ptr, "items", 5) == 0) {
            ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_LENGTH);
            ATR_CHECK(strncmp(g.label, "list len ", 9) == 0);
        } else {
            ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_TYPE);
            ATR_CHECK_EQ_INT(a.n_groups, 3);
            ATR_CHECK(strcmp(g.label, "int") == 0 || strcmp(g.label, "str") == 0 ||
                      strcmp(g.label, "None") == 0);
        }
    }
    check_group_filters(ix, 0, sc);
    uint64_t edges[ATR_HIST_BINS + 1];
    atr_argscore_hist_edges(sc, edges);
    ATR_CHECK(edges[0] >= 1000 && edges[0] < 1050 && edges[ATR_HIST_BINS] >= 51000);
    for (int k = 0; k < ATR_HIST_BINS; k++)
        ATR_CHECK(edges[k] <= edges[k + 1]);
    atr_argscore_free(sc);
    done(ix);
}

/* ---- function lookup ----------------------------------------------------------------- */

static void test_lookup(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("analysis_lookup.atr", &clock);
    define(s, "app.mod", "parse", 0, NULL);
    define(s, "app.other", "parse", 0, NULL);
    define(s, "app.mod", "Reader.read", 0, NULL);
    define(s, "app.mod", "parse_all", 0, NULL);
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    uint32_t fn = 99, c[8], n = 0;
    ATR_CHECK_OK(atr_index_find_function(ix, "app.mod.parse", &fn, c, 8, &n));
    ATR_CHECK_EQ_INT(fn, 0);
    ATR_CHECK_OK(atr_index_find_function(ix, "other.parse", &fn, c, 8, &n));
    ATR_CHECK_EQ_INT(fn, 1);
    ATR_CHECK_OK(atr_index_find_function(ix, "read", &fn, c, 8, &n));
    ATR_CHECK_EQ_INT(fn, 2);
    ATR_CHECK_OK(atr_index_find_function(ix, "Reader.read", &fn, c, 8, &n));
    ATR_CHECK_EQ_INT(fn, 2);
    ATR_CHECK_ERR(atr_index_find_function(ix, "parse", &fn, c, 8, &n), ATR_EAMBIGUOUS);
    ATR_CHECK_EQ_INT(n, 2);
    ATR_CHECK(c[0] == 0 && c[1] == 1);
    ATR_CHECK_ERR(atr_index_find_function(ix, "arse", &fn, c, 8, &n), ATR_ENOTFOUND);
    ATR_CHECK(n >= 2);
    ATR_CHECK_ERR(atr_index_find_function(ix, "prase", &fn, c, 8, &n), ATR_ENOTFOUND);
    ATR_CHECK(n >= 2 && (c[0] == 0 || c[0] == 1));
    ATR_CHECK_ERR(atr_index_find_function(ix, "zzzzzzzz", &fn, c, 8, &n), ATR_ENOTFOUND);
    ATR_CHECK_EQ_INT(n, 0);
    ATR_CHECK_ERR(atr_index_find_function(ix, "", &fn, c, 8, &n), ATR_EINVAL);
    char name[64];
    ATR_CHECK_EQ_INT(atr_function_name(ix, 2, name, sizeof name), 19);
    ATR_CHECK_EQ_STR(name, "app.mod.Reader.read");
    done(ix);
}

int main(void) {
    test_tree();
    test_values();
    test_percentiles();
    test_argscore();
    test_buckets();
    test_lookup();
    ATR_TEST_MAIN_END();
}
