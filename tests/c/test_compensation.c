/*
 * Compensation for the tracer's cost (CALIBRATION record, analysis/compensate.c): logs
 * written by the real writer with explicit times and an injected calibration, loaded with
 * and without compensation; every duration is checked exactly.
 */
#include <pthread.h>

#include "analysis_logs.h"

static void calibrate(atr_session *s, const char *mech, uint64_t call, uint64_t inner) {
    atr_calibration k;
    k.mechanism = S(mech);
    k.call_ns = call;
    k.inner_ns = inner;
    k.samples = 1000;
    ATR_CHECK_OK(atr_session_write_calibration(s, &k));
}

static void end(atr_session *s, uint64_t span, uint64_t t) {
    ATR_CHECK_OK(atr_span_return(s, span, t, NULL));
}

static atr_index *load_with(const char *path, int compensate) {
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    atr_index_set_compensate(ix, compensate);
    if (!ATR_CHECK_OK(atr_index_load(ix, path)))
        fprintf(stderr, "  %s\n", atr_index_error(ix));
    return ix;
}

static atr_call_view call(const atr_index *ix, uint32_t id) {
    atr_call_view cv;
    memset(&cv, 0, sizeof cv);
    ATR_CHECK_OK(atr_index_call(ix, id, &cv));
    return cv;
}

/* P [1000, 2000] with four children of 50 ns each, 100 ns apart; cost 10 ns, 4 inside. */
static void write_parent_children(const char *name, const char *mech, uint64_t call_ns,
                                  uint64_t inner_ns) {
    uint64_t clock = 1;
    atr_session *s = new_log(name, &clock);
    uint32_t p = define(s, "m", "P", 0, NULL), c = define(s, "m", "C", 0, NULL);
    uint64_t ps = begin(s, p, 0, 1000, NULL, 0);
    for (uint64_t i = 0; i < 4; i++) {
        uint64_t cs = begin(s, c, ps, 1100 + 100 * i, NULL, 0);
        if (i == 0)
            ATR_CHECK_OK(atr_message(s, cs, 1120, S("inside"), NULL, 0));
        end(s, cs, 1150 + 100 * i);
    }
    end(s, ps, 2000);
    if (mech)
        calibrate(s, mech, call_ns, inner_ns);
    ATR_CHECK_OK(atr_session_close(s));
}

static void test_formula(void) {
    write_parent_children("comp_formula.atr", "decorator", 10, 4);
    atr_index *ix = load_with(g_path, 1);
    atr_file_info fi;
    ATR_CHECK_OK(atr_index_file(ix, 0, &fi));
    ATR_CHECK(fi.flags & ATR_FILE_COMPENSATED);
    ATR_CHECK_EQ_U64(fi.calib_call_ns, 10);
    ATR_CHECK_EQ_U64(fi.calib_inner_ns, 4);
    ATR_CHECK_EQ_STR(fi.calib_mechanism.ptr, "decorator");
    /* P: 1000 - 4 descendants x 10 - its own inner 4; it starts 6 ns (its outer part) early */
    atr_call_view pv = call(ix, 0);
    ATR_CHECK_EQ_U64(pv.duration_ns, 956);
    ATR_CHECK_EQ_U64(pv.start_ns, 994);
    ATR_CHECK_EQ_U64(pv.self_ns, 956 - 4 * 46);
    for (uint32_t i = 1; i <= 4; i++) {
        atr_call_view cv = call(ix, i);
        ATR_CHECK_EQ_U64(cv.duration_ns, 46); /* 50 - inner 4 */
        /* before child i: P's cost (10) and i earlier children (10 each), and its outer 6 */
        ATR_CHECK_EQ_U64(cv.start_ns, 1100 + 100 * (i - 1) - 10 - 10 * (i - 1) - 6);
    }
    /* the message moves with its call and stays inside it */
    atr_message_view mv;
    ATR_CHECK_OK(atr_index_message(ix, 0, &mv));
    ATR_CHECK_EQ_U64(mv.time_ns, 1100);
    atr_stats st;
    uint32_t fn = 0;
    uint32_t n_cands = 0;
    ATR_CHECK_OK(atr_index_find_function(ix, "m.P", &fn, NULL, 0, &n_cands));
    ATR_CHECK_OK(atr_stats_function(ix, fn, NULL, &st));
    ATR_CHECK_EQ_U64(st.total_ns, 956);
    atr_index_free(ix);

    ix = load_one(g_path); /* the default: as recorded */
    ATR_CHECK_OK(atr_index_file(ix, 0, &fi));
    ATR_CHECK(!(fi.flags & ATR_FILE_COMPENSATED));
    ATR_CHECK_EQ_U64(fi.calib_call_ns, 10); /* still described */
    ATR_CHECK_EQ_U64(call(ix, 0).duration_ns, 1000);
    ATR_CHECK_EQ_U64(call(ix, 0).start_ns, 1000);
    ATR_CHECK_EQ_U64(call(ix, 1).duration_ns, 50);
    done(ix);
}

/* A log without CALIBRATION (or with "not measured", call_ns 0) is never changed. */
static void test_uncalibrated(void) {
    write_parent_children("comp_none.atr", NULL, 0, 0);
    atr_index *ix = load_with(g_path, 1);
    atr_file_info fi;
    ATR_CHECK_OK(atr_index_file(ix, 0, &fi));
    ATR_CHECK(!(fi.flags & ATR_FILE_COMPENSATED));
    ATR_CHECK_EQ_U64(call(ix, 0).duration_ns, 1000);
    ATR_CHECK_EQ_U64(call(ix, 2).start_ns, 1200);
    done(ix);

    write_parent_children("comp_zero.atr", "monitoring", 0, 0);
    ix = load_with(g_path, 1);
    ATR_CHECK_EQ_U64(call(ix, 0).duration_ns, 1000);
    done(ix);
}

/* Costs larger than the time that passed: held, never negative, children inside parents. */
static void test_clamp(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_clamp.atr", &clock);
    uint32_t p = define(s, "m", "P", 0, NULL), c = define(s, "m", "C", 0, NULL);
    uint64_t ps = begin(s, p, 0, 1000, NULL, 0);
    uint64_t c0 = begin(s, c, ps, 1010, NULL, 0);
    end(s, c0, 1030);
    uint64_t c1 = begin(s, c, ps, 1040, NULL, 0);
    end(s, c1, 1060);
    end(s, ps, 1100);
    calibrate(s, "eval", 100, 50);
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_with(g_path, 1);
    atr_call_view pv = call(ix, 0), v0 = call(ix, 1), v1 = call(ix, 2);
    ATR_CHECK_EQ_U64(pv.start_ns, 950);
    ATR_CHECK_EQ_U64(v0.duration_ns, 0);
    ATR_CHECK_EQ_U64(v1.duration_ns, 0);
    ATR_CHECK(v0.start_ns >= pv.start_ns && v1.start_ns >= v0.start_ns + v0.duration_ns);
    /* what an interval cannot hold is carried into the next once, the earlier carry dropped
       first: O is 80, 110, 90, 140, 110 after each event; P's END at 1100 - (110 + 30) */
    ATR_CHECK_EQ_U64(pv.duration_ns, 10);
    ATR_CHECK_EQ_U64(pv.self_ns, 10);
    done(ix);
}

/* A child recorded shorter than its inner part spent the rest after its END: its parent
   loses the child's whole cost (dropping the rest left parents of many tiny calls 5-10%
   above their untraced time). */
static void test_carry(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_carry.atr", &clock);
    uint32_t p = define(s, "m", "P", 0, NULL), c = define(s, "m", "C", 0, NULL);
    uint64_t ps = begin(s, p, 0, 1000, NULL, 0);
    end(s, begin(s, c, ps, 1100, NULL, 0), 1110); /* 10 ns recorded, inner 50 */
    end(s, ps, 2000);
    calibrate(s, "eval", 100, 50);
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_with(g_path, 1);
    atr_call_view pv = call(ix, 0), cv = call(ix, 1);
    ATR_CHECK_EQ_U64(cv.start_ns, 950);
    ATR_CHECK_EQ_U64(cv.duration_ns, 0);
    ATR_CHECK_EQ_U64(pv.start_ns, 950);
    ATR_CHECK_EQ_U64(pv.duration_ns, 1000 - 50 - 100); /* its own inner part, the child */
    done(ix);
}

/* The filter backend's calibration wins over the decorator's, in either order. */
static void test_prefer_filter(void) {
    for (int order = 0; order < 2; order++) {
        uint64_t clock = 1;
        atr_session *s = new_log("comp_prefer.atr", &clock);
        uint32_t p = define(s, "m", "P", 0, NULL), c = define(s, "m", "C", 0, NULL);
        uint64_t ps = begin(s, p, 0, 1000, NULL, 0);
        end(s, begin(s, c, ps, 1100, NULL, 0), 1200);
        end(s, ps, 2000);
        if (order == 0)
            calibrate(s, "decorator", 50, 10);
        calibrate(s, "profile", 100, 20);
        if (order == 1)
            calibrate(s, "decorator", 50, 10);
        ATR_CHECK_OK(atr_session_close(s));
        atr_index *ix = load_with(g_path, 1);
        ATR_CHECK_EQ_U64(call(ix, 0).duration_ns, 1000 - 100 - 20);
        ATR_CHECK_EQ_U64(call(ix, 1).duration_ns, 100 - 20);
        done(ix);
    }
}

/* Coroutine-like spans on one thread that do not nest: ends replayed in time order. */
static void test_interleaved(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_interleaved.atr", &clock);
    uint32_t a = define(s, "m", "A", 0, NULL);
    uint64_t s1 = begin(s, a, 0, 1000, NULL, 0);
    uint64_t s2 = begin(s, a, 0, 1100, NULL, 0);
    end(s, s1, 1200); /* s1 ends first although s2 started later */
    end(s, s2, 1300);
    calibrate(s, "monitoring", 10, 0);
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_with(g_path, 1);
    /* s1: start 990, end 1200 - 20 = 1180; s2: start 1100 - 20 = 1080, end 1280 */
    ATR_CHECK_EQ_U64(call(ix, 0).start_ns, 990);
    ATR_CHECK_EQ_U64(call(ix, 0).duration_ns, 190);
    ATR_CHECK_EQ_U64(call(ix, 1).start_ns, 1080);
    ATR_CHECK_EQ_U64(call(ix, 1).duration_ns, 200);
    done(ix);
}

/* Another thread's calls cost that thread only; an unfinished call ends at the last time. */
struct other {
    atr_session *s;
    uint32_t fn;
};

static void *other_thread(void *arg) {
    struct other *o = arg;
    for (uint64_t i = 0; i < 8; i++)
        end(o->s, begin(o->s, o->fn, 0, 1100 + 100 * i, NULL, 0), 1105 + 100 * i);
    return NULL;
}

static void test_threads_unfinished(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_threads.atr", &clock);
    uint32_t p = define(s, "m", "P", 0, NULL), c = define(s, "m", "C", 0, NULL);
    uint64_t ps = begin(s, p, 0, 1000, NULL, 0);
    struct other o = {s, c};
    pthread_t th;
    ATR_REQUIRE(pthread_create(&th, NULL, other_thread, &o) == 0);
    pthread_join(th, NULL);
    end(s, begin(s, c, ps, 1500, NULL, 0), 1600);
    begin(s, c, ps, 1700, NULL, 0); /* never ends */
    end(s, ps, 2000);
    calibrate(s, "decorator", 10, 2);
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_with(g_path, 1);
    atr_index_info in;
    atr_index_get_info(ix, &in);
    ATR_REQUIRE(in.n_calls == 11);
    for (uint32_t i = 0; i < in.n_calls; i++) {
        atr_call_view cv = call(ix, i);
        atr_function_view fv;
        ATR_CHECK_OK(atr_index_function(ix, cv.function, &fv));
        if (cv.parent == ATR_NO_CALL && fv.qualname.ptr[0] == 'P') /* 2 descendants */
            ATR_CHECK_EQ_U64(cv.duration_ns, 1000 - 2 * 10 - 2);
        else if (cv.status == ATR_CALL_UNFINISHED)
            ATR_CHECK_EQ_U64(cv.duration_ns, 300 - 2);
        else
            ATR_CHECK_EQ_U64(cv.duration_ns, cv.parent == ATR_NO_CALL ? 3u : 98u);
    }
    done(ix);
}

/* The writer's limits and the record round trip through the reader. */
static void test_record(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_record.atr", &clock);
    atr_calibration k;
    k.mechanism = S("decorator");
    k.call_ns = 5;
    k.inner_ns = 6;
    k.samples = 0;
    ATR_CHECK_ERR(atr_session_write_calibration(s, &k), ATR_EINVAL); /* inner > call */
    ATR_CHECK_ERR(atr_session_write_calibration(s, NULL), ATR_EINVAL);
    k.mechanism = S("a mechanism name longer than thirty-two bytes");
    k.inner_ns = 1;
    ATR_CHECK_ERR(atr_session_write_calibration(s, &k), ATR_ENOMEM);
    k.mechanism = S("decorator");
    int ok = 0;
    for (int i = 0; i < 30; i++)
        ok += atr_session_write_calibration(s, &k) == 0;
    ATR_CHECK(ok >= 4 && ok < 30); /* a few fit, then ATR_ENOMEM */
    ATR_CHECK_OK(atr_session_close(s));
    atr_reader *r = NULL;
    atr_record rec;
    int seen = 0;
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    uint32_t major = 0, minor = 0;
    atr_reader_version(r, &major, &minor);
    ATR_CHECK_EQ_INT(minor, ATR_FORMAT_MINOR);
    while (atr_reader_next(r, &rec) == 0) {
        if (rec.kind != ATR_REC_CALIBRATION)
            continue;
        seen++;
        ATR_CHECK_EQ_U64(rec.u.calibration.call_ns, 5);
        ATR_CHECK_EQ_U64(rec.u.calibration.inner_ns, 1);
        ATR_CHECK_EQ_MEM(rec.u.calibration.mechanism.ptr, rec.u.calibration.mechanism.len,
                         "decorator", 9);
    }
    ATR_CHECK_EQ_INT(seen, ok);
    atr_reader_close(r);
    remove(g_path);
}

/* The per-call model (FORMAT.md 3.13): base 20 (inner 10), scalar 1, str 3, summary 5,
   generator 7, resume 11, raise 13. */
static void calibrate_model(atr_session *s, uint64_t slow_ppm) {
    atr_calibration k;
    atr_calibration_model m;
    memset(&k, 0, sizeof k);
    memset(&m, 0, sizeof m);
    k.mechanism = S("eval");
    k.call_ns = 100; /* the 1.1 figure: not used when the model is there */
    k.inner_ns = 10;
    k.samples = 1000;
    m.base_ns = 20;
    m.scalar_ns = 1;
    m.str_ns = 3;
    m.summary_ns = 5;
    m.gen_ns = 7;
    m.resume_ns = 11;
    m.raise_ns = 13;
    m.slow_ppm = slow_ppm;
    ATR_CHECK_OK(atr_session_write_calibration_model(s, &k, &m));
}

/* m.G, a generator function. */
static uint32_t define_generator(atr_session *s) {
    atr_function_info gi;
    uint32_t g = 0;
    memset(&gi, 0, sizeof gi);
    gi.module = S("m");
    gi.qualname = S("G");
    gi.file = S("app.py");
    gi.flags = ATR_FUNC_GENERATOR;
    ATR_CHECK_OK(atr_session_define_function(s, &gi, &g));
    return g;
}

/* Each call's own cost from its captured values, generator-ness, resumes and raise. */
static void test_model(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_model.atr", &clock);
    static const char *const two[] = {"a", "b"}, *const one[] = {"x"};
    uint32_t p = define(s, "m", "P", 0, NULL), c1 = define(s, "m", "C1", 2, two);
    uint32_t c2 = define(s, "m", "C2", 1, one);
    uint32_t g;
    g = define_generator(s);
    uint64_t ps = begin(s, p, 0, 1000, NULL, 0);
    /* C1(int, str) -> int: outer 10 + 1 + 3, inner 10 + 1 */
    atr_value a1[2] = {atr_value_int(7), atr_value_strn("abc", 3)}, r1 = atr_value_int(8);
    uint64_t s1 = begin(s, c1, ps, 1100, a1, 2);
    ATR_CHECK_OK(atr_span_return(s, s1, 1200, &r1));
    /* C2(tuple of (int, str)) raises with a str message: outer 10 + (5 + 1 + 3) + 13, inner
       10 + 3 */
    atr_value items[2] = {atr_value_int(1), atr_value_strn("one", 3)};
    atr_value sum = atr_value_summary("tuple", 5, 2), msg = atr_value_strn("bad", 3);
    sum.n_items = 2;
    sum.u.sum.items = items;
    uint64_t s2 = begin(s, c2, ps, 1300, &sum, 1);
    ATR_CHECK_OK(atr_span_raise(s, s2, 1400, S("ValueError"), &msg));
    /* G, a generator resumed twice, result not captured: outer 10 + 7, inner 10 + 2 x 11 */
    uint64_t gs = begin(s, g, ps, 1500, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, gs, 1600));
    ATR_CHECK_OK(atr_span_resume(s, gs, 1700));
    ATR_CHECK_OK(atr_span_suspend(s, gs, 1800));
    ATR_CHECK_OK(atr_span_resume(s, gs, 1900));
    end(s, gs, 2000);
    end(s, ps, 5000);
    calibrate_model(s, 0);
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_with(g_path, 1);
    atr_file_info fi;
    ATR_CHECK_OK(atr_index_file(ix, 0, &fi));
    ATR_CHECK_EQ_U64(fi.calib_base_ns, 20);
    ATR_CHECK_EQ_U64(fi.calib_scalar_ns, 1);
    ATR_CHECK_EQ_U64(fi.calib_str_ns, 3);
    ATR_CHECK_EQ_U64(fi.calib_summary_ns, 5);
    ATR_CHECK_EQ_U64(fi.calib_gen_ns, 7);
    ATR_CHECK_EQ_U64(fi.calib_resume_ns, 11);
    ATR_CHECK_EQ_U64(fi.calib_raise_ns, 13);
    ATR_CHECK_EQ_U64(fi.calib_slow_ppm, 0);
    /* P: outer 10, inner 10; O after each START: 20; 34 -> 45; 77 -> 90; 107 -> 139 */
    ATR_CHECK_EQ_U64(call(ix, 0).start_ns, 990);
    ATR_CHECK_EQ_U64(call(ix, 0).duration_ns, 5000 - 139 - 990);
    ATR_CHECK_EQ_U64(call(ix, 1).start_ns, 1100 - 34);
    ATR_CHECK_EQ_U64(call(ix, 1).duration_ns, 100 - 11);
    ATR_CHECK_EQ_U64(call(ix, 2).start_ns, 1300 - 77);
    ATR_CHECK_EQ_U64(call(ix, 2).duration_ns, 100 - 13);
    atr_call_view gv = call(ix, 3);
    ATR_CHECK_EQ_U64(gv.start_ns, 1500 - 107);
    ATR_CHECK_EQ_U64(gv.duration_ns, 500 - 32);
    /* its active time (3 x 100 ns running) loses the cost inside it: its inner 32 */
    ATR_CHECK_EQ_U64(gv.active_ns, 300 - 32);
    atr_index_free(ix);

    /* without compensation: as recorded */
    ix = load_one(g_path);
    ATR_CHECK_EQ_U64(call(ix, 3).duration_ns, 500);
    ATR_CHECK_EQ_U64(call(ix, 3).active_ns, 300);
    done(ix);
}

/* A generator's children are charged to its active time too (their whole cost). */
static void test_model_active_children(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_model_active.atr", &clock);
    uint32_t g, c = define(s, "m", "C", 0, NULL);
    g = define_generator(s);
    uint64_t gs = begin(s, g, 0, 1000, NULL, 0);
    end(s, begin(s, c, gs, 1100, NULL, 0), 1150); /* C: outer 10, inner 10 */
    ATR_CHECK_OK(atr_span_suspend(s, gs, 1200));
    ATR_CHECK_OK(atr_span_resume(s, gs, 1500));
    end(s, gs, 1600);
    calibrate_model(s, 0);
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_with(g_path, 1);
    atr_call_view gv = call(ix, 0);
    /* G: outer 17, inner 10 + 11; C costs it 20. duration 600 - 21 - 20; active (200 + 100
       running) - 41 */
    ATR_CHECK_EQ_U64(gv.duration_ns, 600 - 21 - 20);
    ATR_CHECK_EQ_U64(gv.active_ns, 300 - 41);
    done(ix);
}

/* A generator its maker O left, resumed by D: the time D ran it (adopted) is the generator's
   time outside O, compensated as the rest of its active time. */
static void test_model_adopted(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_model_adopted.atr", &clock);
    uint32_t g, d = define(s, "m", "D", 0, NULL), o = define(s, "m", "O", 0, NULL);
    uint32_t c = define(s, "m", "C", 0, NULL);
    g = define_generator(s);
    uint64_t ds = begin(s, d, 0, 1000, NULL, 0);
    uint64_t os = begin(s, o, ds, 1100, NULL, 0);
    uint64_t gs = begin(s, g, os, 1200, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, gs, 1300));
    end(s, os, 1400);
    ATR_CHECK_OK(atr_span_resume(s, gs, 2000)); /* D resumes it: O has returned */
    end(s, begin(s, c, gs, 2100, NULL, 0), 2150);
    end(s, gs, 2400);
    end(s, ds, 3000);
    calibrate_model(s, 0);
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path); /* as recorded */
    atr_call_view dv = call(ix, 0), gv = call(ix, 2);
    ATR_CHECK_EQ_U64(gv.active_ns, 100 + 400);
    ATR_CHECK_EQ_U64(gv.charged_ns, 100);
    ATR_CHECK_EQ_U64(dv.adopted_ns, 400);
    ATR_CHECK_EQ_U64(dv.self_ns, 2000 - 300 - 400); /* less O (charged G's 100) and G's 400 */
    atr_index_free(ix);

    ix = load_with(g_path, 1);
    dv = call(ix, 0);
    gv = call(ix, 2);
    /* G: inner 10 + 11 (one resume), C's whole 20 inside it: active 500 - 41, of which
       outside O 400 x 459 / 500 */
    ATR_CHECK_EQ_U64(gv.active_ns, 459);
    ATR_CHECK_EQ_U64(gv.active_ns - gv.charged_ns, 367);
    ATR_CHECK_EQ_U64(dv.adopted_ns, 367);
    ATR_CHECK_EQ_U64(dv.self_ns, dv.active_ns - dv.children_ns - dv.adopted_ns);
    done(ix);
}

/* slow_ppm: the compensated times are scaled by 1 / (1 + slow) around the first start. */
static void test_model_slow(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_model_slow.atr", &clock);
    uint32_t p = define(s, "m", "P", 0, NULL), c = define(s, "m", "C", 0, NULL);
    uint64_t ps = begin(s, p, 0, 1000, NULL, 0);
    end(s, begin(s, c, ps, 1100, NULL, 0), 1200);
    end(s, ps, 2000);
    calibrate_model(s, 1000000); /* twice as slow */
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_with(g_path, 1);
    /* before scaling: P [990, 2000 - 40] (O: 10, 20, 30, 40), C [1100 - 30, 1200 - 40] */
    ATR_CHECK_EQ_U64(call(ix, 0).start_ns, 990);
    ATR_CHECK_EQ_U64(call(ix, 0).duration_ns, (1960 - 990) / 2);
    ATR_CHECK_EQ_U64(call(ix, 1).start_ns, 990 + (1070 - 990) / 2);
    ATR_CHECK_EQ_U64(call(ix, 1).duration_ns, (1160 - 1070) / 2);
    done(ix);
}

/* A container (a summary of known length) costs container_ns over an object's summary_ns. */
static void test_model_container(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_model_container.atr", &clock);
    static const char *const two[] = {"o", "c"};
    uint32_t p = define(s, "m", "P", 0, NULL), c = define(s, "m", "C", 2, two);
    uint64_t ps = begin(s, p, 0, 1000, NULL, 0);
    atr_value a[2] = {atr_value_summary("Obj", 3, -1), atr_value_summary("list", 4, 3)};
    end(s, begin(s, c, ps, 1100, a, 2), 1200); /* returned, result not captured */
    end(s, ps, 2000);
    atr_calibration k;
    atr_calibration_model m;
    memset(&k, 0, sizeof k);
    memset(&m, 0, sizeof m);
    k.mechanism = S("monitoring");
    k.call_ns = 100;
    k.inner_ns = 10;
    m.base_ns = 20;
    m.summary_ns = 5;
    m.container_ns = 17;
    ATR_CHECK_OK(atr_session_write_calibration_model(s, &k, &m));
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_with(g_path, 1);
    atr_file_info fi;
    ATR_CHECK_OK(atr_index_file(ix, 0, &fi));
    ATR_CHECK_EQ_U64(fi.calib_container_ns, 17);
    /* C: outer 10 + 5 (the object) + 5 + 17 (the list), inner 10: P loses 47 and its 10 */
    ATR_CHECK_EQ_U64(call(ix, 0).duration_ns, 1000 - 10 - 47);
    ATR_CHECK_EQ_U64(call(ix, 1).start_ns, 1100 - 20 - 37); /* P: 10 outer, 10 inner */
    done(ix);
}

/* The model's record: round trip, limits, and the 1.1 record when there is none. */
static void test_model_record(void) {
    uint64_t clock = 1;
    atr_session *s = new_log("comp_model_record.atr", &clock);
    atr_calibration k;
    atr_calibration_model m;
    memset(&k, 0, sizeof k);
    memset(&m, 0, sizeof m);
    k.mechanism = S("profile");
    k.call_ns = 9;
    m.base_ns = (uint64_t)UINT32_MAX + 1;
    ATR_CHECK_ERR(atr_session_write_calibration_model(s, &k, &m), ATR_EINVAL);
    m.base_ns = 1;
    m.slow_ppm = UINT32_MAX;
    ATR_CHECK_OK(atr_session_write_calibration_model(s, &k, &m));
    memset(&m, 0, sizeof m);
    ATR_CHECK_OK(atr_session_write_calibration_model(s, &k, &m)); /* all 0: a 1.1 record */
    ATR_CHECK_OK(atr_session_close(s));
    atr_reader *r = NULL;
    atr_record rec;
    int seen = 0;
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while (atr_reader_next(r, &rec) == 0) {
        if (rec.kind != ATR_REC_CALIBRATION)
            continue;
        ATR_CHECK_EQ_U64(rec.u.calibration.call_ns, 9);
        ATR_CHECK_EQ_U64(rec.u.calibration.base_ns, seen == 0 ? 1u : 0u);
        ATR_CHECK_EQ_U64(rec.u.calibration.slow_ppm, seen == 0 ? UINT32_MAX : 0u);
        seen++;
    }
    ATR_CHECK_EQ_INT(seen, 2);
    atr_reader_close(r);
    remove(g_path);
}

int main(void) {
    test_model();
    test_model_active_children();
    test_model_adopted();
    test_model_slow();
    test_model_container();
    test_model_record();
    test_formula();
    test_uncalibrated();
    test_clamp();
    test_carry();
    test_prefer_filter();
    test_interleaved();
    test_threads_unfinished();
    test_record();
    ATR_TEST_MAIN_END();
}
