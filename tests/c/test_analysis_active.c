/*
 * Active time (format 1.1 SUSPEND/RESUME): logs written by the real writer with explicit
 * times, loaded into an index. A generator feeding a consumer, unfinished suspended spans,
 * children that ran outside their parent's active intervals, statistics and scores of a
 * generator function, several logs at once, and records the analysis must ignore.
 */
#include "argtrace/atr.h"
#include "atr_test.h"

#include "analysis_logs.h"

static atr_call_view view(atr_index *ix, uint32_t call) {
    atr_call_view cv;
    memset(&cv, 0, sizeof cv);
    ATR_CHECK_OK(atr_index_call(ix, call, &cv));
    return cv;
}

/* The first call of function `fn` (calls of a function in start order). */
static uint32_t first_call_of(atr_index *ix, uint32_t fn) {
    atr_query q;
    atr_callset *cs = NULL;
    atr_query_init(&q);
    q.function = fn;
    ATR_REQUIRE(atr_query_run(ix, &q, &cs) == 0);
    uint32_t id = atr_callset_count(cs) ? atr_callset_get(cs, 0) : ATR_NO_CALL;
    atr_callset_free(cs);
    return id;
}

/*
 * consume() [1000, 11500] iterates gen() [1100, 11230]: gen runs 10 ns at creation, 20 ns per
 * item for 5 items, 30 ns for the last step; between items consume() calls work() for
 * 1000 ns. gen's active time is 140 ns, consume's self time 10500 - 140 - 5000.
 */
static void test_generator_feeding_consumer(void) {
    uint64_t clock = 500;
    atr_session *s = new_log("active_gen.atr", &clock);
    const char *pn[] = {"n"};
    uint32_t fc = define(s, "app", "consume", 0, NULL), fg = define(s, "app", "gen", 1, pn),
             fw = define(s, "app", "work", 1, pn);
    atr_value v = atr_value_int(5);
    uint64_t c = begin(s, fc, 0, 1000, NULL, 0);
    uint64_t g = begin(s, fg, c, 1100, &v, 1);
    ATR_CHECK_OK(atr_span_suspend(s, g, 1110));
    for (uint64_t i = 0; i < 5; i++) {
        uint64_t base = 1200 + i * 2000;
        ATR_CHECK_OK(atr_span_resume(s, g, base));
        ATR_CHECK_OK(atr_span_suspend(s, g, base + 20));
        uint64_t w = begin(s, fw, c, base + 100, &v, 1);
        ATR_CHECK_OK(atr_span_return(s, w, base + 1100, NULL));
    }
    ATR_CHECK_OK(atr_span_resume(s, g, 11200));
    ATR_CHECK_OK(atr_span_return(s, g, 11230, NULL));
    ATR_CHECK_OK(atr_span_return(s, c, 11500, NULL));
    clock = 12000;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    uint32_t cc = first_call_of(ix, find(ix, "consume")), cg = first_call_of(ix, find(ix, "gen"));
    atr_call_view vc = view(ix, cc), vg = view(ix, cg);
    ATR_CHECK_EQ_U64(vg.duration_ns, 10130);
    ATR_CHECK_EQ_U64(vg.active_ns, 10 + 5 * 20 + 30);
    ATR_CHECK_EQ_U64(vg.self_ns, 140);
    ATR_CHECK_EQ_U64(vg.charged_ns, 140); /* it ran inside consume()'s running time */
    ATR_CHECK_EQ_U64(vg.children_ns, 0);
    ATR_CHECK_EQ_INT(vg.parent, cc);
    ATR_CHECK_EQ_U64(vc.duration_ns, 10500);
    ATR_CHECK_EQ_U64(vc.active_ns, 10500);
    ATR_CHECK_EQ_U64(vc.children_ns, 140 + 5000);
    ATR_CHECK_EQ_U64(vc.self_ns, 10500 - 140 - 5000);
    /* the children's shares of consume() add up to at most 100% */
    uint32_t kids[8], nk = 0;
    uint64_t sum = 0;
    ATR_CHECK_OK(atr_call_children(ix, cc, kids, 8, &nk));
    ATR_CHECK_EQ_INT(nk, 6);
    for (uint32_t i = 0; i < nk; i++)
        sum += view(ix, kids[i]).active_ns;
    ATR_CHECK(sum <= vc.active_ns);

    /* statistics: total is the sum of durations, active time and percentiles are not */
    atr_stats st;
    ATR_CHECK_OK(atr_stats_function(ix, find(ix, "gen"), NULL, &st));
    ATR_CHECK_EQ_U64(st.total_ns, 10130);
    ATR_CHECK_EQ_U64(st.active_ns, 140);
    ATR_CHECK_EQ_U64(st.self_ns, 140);
    ATR_CHECK_EQ_U64(st.p50_ns, 140);
    ATR_CHECK_EQ_U64(st.max_ns, 140);
    ATR_CHECK(st.mean_ns == 140.0);
    ATR_CHECK_OK(atr_stats_function(ix, find(ix, "consume"), NULL, &st));
    ATR_CHECK_EQ_U64(st.total_ns, 10500);
    ATR_CHECK_EQ_U64(st.active_ns, 10500);
    ATR_CHECK_EQ_U64(st.self_ns, 5360);
    /* the self-time order and filter see the same self times */
    atr_query q;
    atr_callset *cs = NULL;
    atr_query_init(&q);
    q.sort = ATR_SORT_SELF;
    ATR_REQUIRE(atr_query_run(ix, &q, &cs) == 0);
    ATR_CHECK_EQ_INT(atr_callset_get(cs, 0), cc);
    atr_callset_free(cs);
    atr_filter *f = NULL;
    ATR_REQUIRE(atr_filter_parse("self<1us", &f, NULL, 0) == 0);
    ATR_CHECK(atr_filter_match(f, ix, cg));
    ATR_CHECK(!atr_filter_match(f, ix, cc));
    atr_filter_free(f);
    check_events(ix);
    done(ix);
}

/* Unfinished spans: running at the end (active to the log's last time) or suspended. */
static void test_unfinished(void) {
    uint64_t clock = 500;
    atr_session *s = new_log("active_unfinished.atr", &clock);
    uint32_t fh = define(s, "app", "h", 0, NULL), fk = define(s, "app", "k", 0, NULL);
    uint64_t h = begin(s, fh, 0, 20000, NULL, 0);
    uint64_t k = begin(s, fk, 0, 20000, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, h, 20100));
    ATR_CHECK_OK(atr_span_suspend(s, k, 20200));
    ATR_CHECK_OK(atr_span_resume(s, h, 20500));
    clock = 30000; /* END_OF_LOG: the last time seen */
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    atr_call_view vh = view(ix, first_call_of(ix, find(ix, "h")));
    atr_call_view vk = view(ix, first_call_of(ix, find(ix, "k")));
    ATR_CHECK_EQ_INT(vh.status, ATR_CALL_UNFINISHED);
    ATR_CHECK_EQ_U64(vh.duration_ns, 10000);
    ATR_CHECK_EQ_U64(vh.active_ns, 100 + 9500);
    ATR_CHECK_EQ_U64(vk.duration_ns, 10000);
    ATR_CHECK_EQ_U64(vk.active_ns, 200);
    ATR_CHECK_EQ_U64(vk.self_ns, 200);
    done(ix);
}

/*
 * A child that ran while its parent was suspended (an asyncio task's step while the
 * coroutine that made it awaits): its time is not charged to the parent, whose self time
 * stays its whole active time.
 */
static void test_child_outside_parent(void) {
    uint64_t clock = 500;
    atr_session *s = new_log("active_outside.atr", &clock);
    uint32_t fp = define(s, "app", "p", 0, NULL), fx = define(s, "app", "x", 0, NULL);
    uint64_t p = begin(s, fp, 0, 1000, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, p, 1100));
    uint64_t x = begin(s, fx, p, 1200, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, x, 1700, NULL));
    ATR_CHECK_OK(atr_span_resume(s, p, 1800));
    ATR_CHECK_OK(atr_span_return(s, p, 1850, NULL));
    clock = 2000;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    atr_call_view vp = view(ix, first_call_of(ix, find(ix, "p")));
    ATR_CHECK_EQ_U64(vp.duration_ns, 850);
    ATR_CHECK_EQ_U64(vp.active_ns, 150);
    ATR_CHECK_EQ_U64(vp.children_ns, 0);
    ATR_CHECK_EQ_U64(vp.self_ns, 150);
    atr_call_view vx = view(ix, first_call_of(ix, find(ix, "x")));
    ATR_CHECK_EQ_U64(vx.active_ns, 500);
    ATR_CHECK_EQ_U64(vx.charged_ns, 0);
    ATR_CHECK_EQ_U64(vx.self_ns, 500);
    done(ix);
}

/*
 * A task-like child: some of its steps run inside its parent's steps (charged to it), some
 * while the parent awaits or after it returned (not charged).
 */
static void test_task_child(void) {
    uint64_t clock = 500;
    atr_session *s = new_log("active_task.atr", &clock);
    uint32_t fp = define(s, "app", "p", 0, NULL), ft = define(s, "app", "t", 0, NULL);
    uint64_t p = begin(s, fp, 0, 1000, NULL, 0);
    uint64_t t = begin(s, ft, p, 1010, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, t, 1020)); /* 10 inside p */
    ATR_CHECK_OK(atr_span_suspend(s, p, 1100));
    ATR_CHECK_OK(atr_span_resume(s, t, 1200));
    ATR_CHECK_OK(atr_span_suspend(s, t, 1300)); /* 100 while p awaits */
    ATR_CHECK_OK(atr_span_resume(s, p, 1400));
    ATR_CHECK_OK(atr_span_resume(s, t, 1410));
    ATR_CHECK_OK(atr_span_suspend(s, t, 1450)); /* 40 inside p */
    ATR_CHECK_OK(atr_span_return(s, p, 1500, NULL));
    ATR_CHECK_OK(atr_span_resume(s, t, 1600));
    ATR_CHECK_OK(atr_span_return(s, t, 1650, NULL)); /* 50 after p returned */
    clock = 2000;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    atr_call_view vp = view(ix, first_call_of(ix, find(ix, "p")));
    atr_call_view vt = view(ix, first_call_of(ix, find(ix, "t")));
    ATR_CHECK_EQ_U64(vt.active_ns, 10 + 100 + 40 + 50);
    ATR_CHECK_EQ_U64(vt.charged_ns, 10 + 40);
    ATR_CHECK_EQ_U64(vp.active_ns, 100 + 100);
    ATR_CHECK_EQ_U64(vp.children_ns, 50);
    ATR_CHECK_EQ_U64(vp.self_ns, 150);
    done(ix);
}

/*
 * Records the analysis ignores: RESUME of a span that never suspended, a second SUSPEND,
 * SUSPEND after END; a span unknown to the log counts as an unknown span.
 */
static void test_odd_records(void) {
    uint64_t clock = 500;
    atr_session *s = new_log("active_odd.atr", &clock);
    uint32_t fa = define(s, "app", "a", 0, NULL);
    uint64_t a = begin(s, fa, 0, 1000, NULL, 0);
    ATR_CHECK_OK(atr_span_resume(s, a, 1050)); /* running already */
    ATR_CHECK_OK(atr_span_suspend(s, a, 1100));
    ATR_CHECK_OK(atr_span_suspend(s, a, 1300)); /* suspended already */
    ATR_CHECK_OK(atr_span_resume(s, a, 1400));
    ATR_CHECK_OK(atr_span_return(s, a, 1500, NULL));
    ATR_CHECK_OK(atr_span_suspend(s, a, 1600)); /* after its END */
    uint64_t b = begin(s, fa, 0, 2000, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, b, 2100, NULL));
    ATR_CHECK_OK(atr_span_suspend(s, atr_span_id(7, 3), 2200)); /* no such span */
    /* invalid arguments are refused by the writer */
    ATR_CHECK_EQ_INT(atr_span_suspend(s, 0, ATR_NOW), ATR_EINVAL);
    ATR_CHECK_EQ_INT(atr_span_resume(s, 5, ATR_NOW), ATR_EINVAL);
    ATR_CHECK_EQ_INT(atr_span_resume(NULL, a, ATR_NOW), ATR_EINVAL);
    clock = 3000;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    uint32_t ca = first_call_of(ix, find(ix, "a"));
    atr_call_view va = view(ix, ca), vb = view(ix, ca + 1);
    ATR_CHECK_EQ_U64(va.duration_ns, 500);
    ATR_CHECK_EQ_U64(va.active_ns, 100 + 100);
    ATR_CHECK_EQ_U64(vb.active_ns, 100);
    atr_file_info fi;
    ATR_CHECK_OK(atr_index_file(ix, 0, &fi));
    ATR_CHECK_EQ_U64(fi.n_unknown_spans, 1);
    ATR_CHECK_EQ_INT(fi.format_minor, ATR_FORMAT_MINOR);
    done(ix);
}

/* Two logs with suspended calls loaded into one index: each call keeps its own active time;
   a generator function's argument score uses active times. */
static void test_two_logs(void) {
    char paths[2][512];
    uint64_t clock = 500;
    for (int k = 0; k < 2; k++) {
        atr_test_tmpfile(paths[k], sizeof paths[k], k ? "active_two_b.atr" : "active_two_a.atr");
        atr_session *s = open_log(paths[k], &clock, 0, 0);
        const char *pn[] = {"n"};
        uint32_t fg = define(s, "app", "gen", 1, pn);
        for (int i = 0; i < 4; i++) {
            int64_t n = (i % 2) ? 10 : 1;
            atr_value v = atr_value_int(n);
            uint64_t t = 1000 + (uint64_t)i * 100000;
            uint64_t g = begin(s, fg, 0, t, &v, 1);
            /* active n * 100 ns (+ k), suspended 50,000 ns whatever n is */
            ATR_CHECK_OK(atr_span_suspend(s, g, t + (uint64_t)n * 100 + (uint64_t)k));
            ATR_CHECK_OK(atr_span_resume(s, g, t + (uint64_t)n * 100 + (uint64_t)k + 50000));
            ATR_CHECK_OK(atr_span_return(s, g, t + (uint64_t)n * 100 + (uint64_t)k + 50000, NULL));
        }
        clock = 900000;
        ATR_CHECK_OK(atr_session_close(s));
    }
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load(ix, paths[0]));
    ATR_CHECK_OK(atr_index_load(ix, paths[1]));
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_REQUIRE(info.n_calls == 8);
    for (uint32_t c = 0; c < 8; c++) {
        atr_call_view cv = view(ix, c);
        uint64_t n = (c % 2) ? 10 : 1;
        ATR_CHECK_EQ_U64(cv.active_ns, n * 100 + c / 4);
        ATR_CHECK_EQ_U64(cv.duration_ns, n * 100 + c / 4 + 50000);
    }
    atr_argscore *sc = NULL;
    ATR_REQUIRE(atr_argscore_compute(ix, find(ix, "gen"), NULL, 0, &sc) == 0);
    atr_arg_score as;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &as));
    ATR_CHECK(as.score > 0.9); /* n decides the active time (not the duration) */
    uint64_t edges[ATR_HIST_BINS + 1];
    atr_argscore_hist_edges(sc, edges);
    ATR_CHECK_EQ_U64(edges[0], 100);
    atr_argscore_free(sc);
    atr_index_free(ix);
    remove(paths[0]);
    remove(paths[1]);
}

/* A log without SUSPEND/RESUME: active time is the duration everywhere. */
static void test_plain_log(void) {
    uint64_t clock = 500;
    atr_session *s = new_log("active_plain.atr", &clock);
    uint32_t f = define(s, "app", "f", 0, NULL);
    uint64_t a = begin(s, f, 0, 1000, NULL, 0);
    uint64_t b = begin(s, f, a, 1100, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, b, 1300, NULL));
    ATR_CHECK_OK(atr_span_return(s, a, 2000, NULL));
    clock = 3000;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_call_view va = view(ix, 0), vb = view(ix, 1);
    ATR_CHECK_EQ_U64(va.active_ns, va.duration_ns);
    ATR_CHECK_EQ_U64(va.children_ns, 200);
    ATR_CHECK_EQ_U64(va.self_ns, 800);
    ATR_CHECK_EQ_U64(vb.active_ns, 200);
    atr_stats st;
    ATR_CHECK_OK(atr_stats_function(ix, find(ix, "f"), NULL, &st));
    ATR_CHECK_EQ_U64(st.active_ns, st.total_ns);
    done(ix);
}

int main(void) {
    test_generator_feeding_consumer();
    test_unfinished();
    test_child_outside_parent();
    test_task_child();
    test_odd_records();
    test_two_logs();
    test_plain_log();
    ATR_TEST_MAIN_END();
}
