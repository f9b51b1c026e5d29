/*
 * Tests of atr_why_*: a slow call against the typical calls of its function. Logs are written
 * by the real writer with explicit times, so every duration and extra is exact.
 */
#include <stdlib.h>

#include "analysis_logs.h"

typedef struct ids {
    uint32_t f, g, h;
} ids;

/* f(args) at t lasting `dur`: g children of g_each ns (n_g of them), one h child of h_ns
   (if non-zero), the rest self time. Returns the time after the call. */
static uint64_t call_f(atr_session *s, const ids *fn, uint64_t t, const atr_value *args,
                       uint32_t n_args, uint32_t n_g, uint64_t g_each, uint64_t h_ns,
                       uint64_t self_ns) {
    uint64_t top = begin(s, fn->f, 0, t, args, n_args), at = t + self_ns;
    for (uint32_t i = 0; i < n_g; i++, at += g_each)
        ATR_CHECK_OK(atr_span_return(s, begin(s, fn->g, top, at, NULL, 0), at + g_each, NULL));
    if (h_ns) {
        ATR_CHECK_OK(atr_span_return(s, begin(s, fn->h, top, at, NULL, 0), at + h_ns, NULL));
        at += h_ns;
    }
    ATR_CHECK_OK(atr_span_return(s, top, at, NULL));
    return at + 100;
}

static ids define_fgh(atr_session *s, uint32_t n_params, const char *const *params) {
    ids fn;
    fn.f = define(s, "app", "f", n_params, params);
    fn.g = define(s, "app", "g", 0, NULL);
    fn.h = define(s, "app", "h", 0, NULL);
    return fn;
}

static uint32_t slowest_call(atr_index *ix, uint32_t fn) {
    atr_stats st;
    ATR_CHECK_OK(atr_stats_function(ix, fn, NULL, &st));
    return st.slowest_call;
}

/* The child row of function `fn` (fails the test if absent). */
static atr_why_child child_of(const atr_why *w, uint32_t fn) {
    atr_why_summary S;
    atr_why_child c;
    memset(&c, 0, sizeof c);
    atr_why_get_summary(w, &S);
    for (uint32_t i = 0; i < S.n_children; i++)
        if (atr_why_get_child(w, i, &c) == 0 && c.function == fn)
            return c;
    ATR_CHECK(!"child function missing");
    return c;
}

static void check_str(atr_index *ix, uint32_t vid, const char *want) {
    atr_value v;
    if (!ATR_CHECK_OK(atr_index_value(ix, vid, &v)))
        return;
    ATR_CHECK(v.kind == ATR_V_STR);
    ATR_CHECK_EQ_MEM(v.u.s.ptr, v.u.s.len, want, strlen(want));
}

/*
 * `mode` explains f's duration (fast 1 µs, slow 10 µs); the slowest call is a slow-mode call
 * with one extra child h of 5 µs. The baseline is the other mode="slow" calls, and the extra
 * time is h's.
 */
static void test_group_baseline(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("why_group.atr", &clock);
    static const char *const params[] = {"mode", "n"};
    ids fn = define_fgh(s, 2, params);
    for (int i = 0; i < 8; i++) {
        atr_value a[2] = {atr_value_strn("fast", 4), atr_value_int(i)};
        t = call_f(s, &fn, t, a, 2, 1, 200, 0, 800);
    }
    for (int i = 0; i < 6; i++) {
        atr_value a[2] = {atr_value_strn("slow", 4), atr_value_int(100 + i)};
        t = call_f(s, &fn, t, a, 2, 1, 2000, 0, 8000);
    }
    atr_value a[2] = {atr_value_strn("slow", 4), atr_value_int(5)};
    t = call_f(s, &fn, t, a, 2, 1, 2000, 5000, 8000);
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    uint32_t f = find(ix, "f"), g = find(ix, "g"), h = find(ix, "h");
    uint32_t call = slowest_call(ix, f);
    atr_why *w = NULL;
    ATR_REQUIRE(atr_why_compute(ix, call, &w) == 0);
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_U64(S.call, call);
    ATR_CHECK_EQ_U64(S.duration_ns, 15000);
    ATR_CHECK_EQ_INT(S.by_group, 1);
    ATR_CHECK_EQ_MEM(S.group_arg.ptr, S.group_arg.len, "mode", 4);
    ATR_CHECK(S.group_score >= ATR_WHY_MIN_SCORE);
    ATR_CHECK_EQ_STR(S.group_label, "slow");
    ATR_CHECK_EQ_STR(S.group_filter, "mode=\"slow\"");
    check_str(ix, S.group_value, "slow");
    ATR_CHECK_EQ_U64(S.baseline_calls, 6);
    ATR_CHECK_EQ_U64(S.baseline_p50_ns, 10000);
    ATR_CHECK_EQ_INT(S.extra_ns, 5000);
    ATR_CHECK_EQ_U64(S.self_ns, 8000);
    ATR_CHECK_EQ_U64(S.typical_self_ns, 8000);
    ATR_CHECK_EQ_INT(S.self_extra_ns, 0);
    ATR_CHECK_EQ_U64(S.function_calls, 15);
    ATR_CHECK_EQ_U64(S.function_p50_ns, 1000);
    ATR_CHECK_EQ_U64(S.group_p50_ns, 10000);

    ATR_CHECK_EQ_U64(S.n_children, 2);
    atr_why_child c;
    ATR_CHECK_OK(atr_why_get_child(w, 0, &c)); /* the largest extra first */
    ATR_CHECK_EQ_U64(c.function, h);
    ATR_CHECK_EQ_U64(c.calls, 1);
    ATR_CHECK_EQ_U64(c.duration_ns, 5000);
    ATR_CHECK_EQ_U64(c.typical_ns, 0);
    ATR_CHECK_EQ_U64(c.typical_calls, 0);
    ATR_CHECK_EQ_INT(c.extra_ns, 5000);
    ATR_CHECK(c.slowest_call != ATR_NO_CALL);
    c = child_of(w, g);
    ATR_CHECK_EQ_U64(c.duration_ns, 2000);
    ATR_CHECK_EQ_U64(c.typical_ns, 2000);
    ATR_CHECK_EQ_U64(c.typical_calls, 1);
    ATR_CHECK_EQ_INT(c.extra_ns, 0);
    ATR_CHECK_ERR(atr_why_get_child(w, 2, &c), ATR_EINVAL);

    ATR_CHECK_EQ_U64(S.n_args, 2);
    atr_why_arg r;
    ATR_CHECK_OK(atr_why_get_arg(w, 0, &r));
    ATR_CHECK_EQ_MEM(r.name.ptr, r.name.len, "mode", 4);
    check_str(ix, r.value, "slow");
    ATR_CHECK_EQ_STR(r.group, "slow");
    ATR_CHECK_EQ_U64(r.group_calls, 7);
    ATR_CHECK_EQ_U64(r.group_p50_ns, 10000);
    ATR_CHECK_EQ_INT(r.slow_group, 1); /* 10 µs against the function's p50 of 1 µs */
    ATR_CHECK_EQ_STR(r.typical, "slow");
    ATR_CHECK_EQ_U64(r.typical_calls, 6);
    ATR_CHECK_EQ_U64(r.peer_calls, 6);
    ATR_CHECK_EQ_U64(r.peer_p50_ns, 10000);
    ATR_CHECK_EQ_INT(r.differs, 0);
    ATR_CHECK_EQ_INT(r.has_median, 0);
    ATR_CHECK_OK(atr_why_get_arg(w, 1, &r));
    ATR_CHECK_EQ_MEM(r.name.ptr, r.name.len, "n", 1);
    ATR_CHECK_EQ_INT(r.has_median, 1);
    ATR_CHECK_EQ_DBL(r.median, 102); /* nearest rank over 100..105 */
    ATR_CHECK(r.group != NULL && r.typical != NULL);
    ATR_CHECK_EQ_INT(r.differs, 1); /* n=5 sits with the fast calls' values */
    ATR_CHECK_ERR(atr_why_get_arg(w, 2, &r), ATR_EINVAL);
    atr_why_free(w);
    done(ix);
}

/*
 * No argument explains the duration (a unique id): the baseline is every other call. The
 * slow call calls g three times (as long in total as the usual one g) and h once.
 */
static void test_all_calls_baseline(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("why_all.atr", &clock);
    static const char *const params[] = {"id"};
    ids fn = define_fgh(s, 1, params);
    for (int i = 0; i < 10; i++) {
        atr_value a = atr_value_int(1000 + 37 * i);
        t = call_f(s, &fn, t, &a, 1, 1, 300, 0, 700);
    }
    /* among the other ids, not below them: a lone extreme id would fit a trend */
    atr_value a = atr_value_int(1000 + 37 * 4 + 18);
    t = call_f(s, &fn, t, &a, 1, 3, 100, 4000, 700);
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    uint32_t f = find(ix, "f"), g = find(ix, "g"), h = find(ix, "h");
    atr_why *w = NULL;
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, f), &w) == 0);
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_INT(S.by_group, 0);
    ATR_CHECK_EQ_STR(S.group_label, "");
    ATR_CHECK_EQ_U64(S.group_arg.len, 0);
    ATR_CHECK_EQ_U64(S.baseline_calls, 10);
    ATR_CHECK_EQ_U64(S.baseline_p50_ns, 1000);
    ATR_CHECK_EQ_INT(S.extra_ns, 4000);
    ATR_CHECK_EQ_INT(S.self_extra_ns, 0);
    atr_why_child c;
    ATR_CHECK_OK(atr_why_get_child(w, 0, &c));
    ATR_CHECK_EQ_U64(c.function, h);
    ATR_CHECK_EQ_INT(c.extra_ns, 4000);
    c = child_of(w, g);
    ATR_CHECK_EQ_U64(c.calls, 3);
    ATR_CHECK_EQ_U64(c.typical_calls, 1);
    ATR_CHECK_EQ_U64(c.duration_ns, 300);
    ATR_CHECK_EQ_INT(c.extra_ns, 0);
    atr_why_arg r;
    ATR_CHECK_OK(atr_why_get_arg(w, 0, &r));
    ATR_CHECK(r.score < ATR_WHY_MIN_SCORE);
    ATR_CHECK_EQ_INT(r.slow_group, 0);
    ATR_CHECK_EQ_INT(r.has_median, 1);
    ATR_CHECK_EQ_DBL(r.median, 1000 + 37 * 4); /* nearest rank 5 of the 10 ids */
    atr_why_free(w);

    /* A call that is the typical one: nothing extra, g first (ties by function id). */
    ATR_REQUIRE(atr_why_compute(ix, 0, &w) == 0);
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_INT(S.extra_ns, 0);
    ATR_CHECK_OK(atr_why_get_child(w, 0, &c));
    ATR_CHECK_EQ_U64(c.function, g);
    ATR_CHECK_EQ_INT(c.extra_ns, 0);
    /* h, called by one baseline call only (typically never), is no row */
    ATR_CHECK_EQ_U64(S.n_children, 1);
    ATR_CHECK_ERR(atr_why_get_child(w, 1, &c), ATR_EINVAL);
    atr_why_free(w);
    done(ix);
}

/*
 * `size` explains the duration and gives the baseline (the other big calls); among those,
 * the mode="strict" ones are slow: the call's mode is flagged slow by its peers in the
 * baseline although strict calls are not slow over all calls.
 */
static void test_slow_peers(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("why_peers.atr", &clock);
    static const char *const params[] = {"size", "mode"};
    ids fn = define_fgh(s, 2, params);
    for (int i = 0; i < 10; i++) {
        atr_value a[2] = {atr_value_strn("small", 5),
                          i % 2 ? atr_value_strn("strict", 6) : atr_value_strn("fast", 4)};
        t = call_f(s, &fn, t, a, 2, 0, 0, 0, 1000);
    }
    for (int i = 0; i < 9; i++) {
        atr_value a[2] = {atr_value_strn("big", 3),
                          i < 3 ? atr_value_strn("strict", 6) : atr_value_strn("fast", 4)};
        t = call_f(s, &fn, t, a, 2, 0, 0, 0, i < 3 ? 30000 : 10000);
    }
    atr_value a[2] = {atr_value_strn("big", 3), atr_value_strn("strict", 6)};
    t = call_f(s, &fn, t, a, 2, 0, 0, 10000, 30000);
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    uint32_t h = find(ix, "h");
    atr_why *w = NULL;
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, find(ix, "f")), &w) == 0);
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_INT(S.by_group, 1);
    ATR_CHECK_EQ_STR(S.group_label, "big");
    ATR_CHECK_EQ_U64(S.baseline_calls, 9);
    ATR_CHECK_EQ_U64(S.baseline_p50_ns, 10000);
    ATR_CHECK_EQ_INT(S.extra_ns, 30000);
    ATR_CHECK_EQ_INT(S.self_extra_ns, 20000);
    ATR_CHECK_EQ_U64(S.function_p50_ns, 1000);
    atr_why_child c;
    ATR_CHECK_EQ_U64(S.n_children, 1);
    ATR_CHECK_OK(atr_why_get_child(w, 0, &c));
    ATR_CHECK_EQ_U64(c.function, h);
    ATR_CHECK_EQ_INT(c.extra_ns, 10000);
    atr_why_arg r;
    ATR_CHECK_OK(atr_why_get_arg(w, 1, &r));
    ATR_CHECK_EQ_MEM(r.name.ptr, r.name.len, "mode", 4);
    ATR_CHECK_EQ_STR(r.group, "strict");
    ATR_CHECK_EQ_U64(r.group_calls, 9);
    ATR_CHECK_EQ_U64(r.group_p50_ns, 1000); /* not slow over all calls... */
    ATR_CHECK_EQ_U64(r.peer_calls, 3);
    ATR_CHECK_EQ_U64(r.peer_p50_ns, 30000); /* ...but among the big ones */
    ATR_CHECK_EQ_INT(r.slow_group, 1);
    ATR_CHECK_EQ_STR(r.typical, "fast");
    ATR_CHECK_EQ_U64(r.typical_calls, 6);
    ATR_CHECK_EQ_INT(r.differs, 1);
    ATR_CHECK_EQ_INT(r.has_median, 0);
    atr_why_free(w);
    done(ix);
}

/*
 * A numeric argument bucketed by ranges whose name no filter can spell ("size-n"): its groups
 * have no filter expression, the baseline is still the call's range group.
 */
static void test_range_group_without_filter(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("why_range.atr", &clock);
    static const char *const params[] = {"size-n"};
    ids fn = define_fgh(s, 1, params);
    for (int i = 0; i < 20; i++) {
        atr_value a = atr_value_int(1 + i);
        t = call_f(s, &fn, t, &a, 1, 0, 0, 0, 1000);
        a = atr_value_int(1000 + i);
        t = call_f(s, &fn, t, &a, 1, 0, 0, 0, 10000);
    }
    atr_value a = atr_value_int(1020);
    t = call_f(s, &fn, t, &a, 1, 0, 0, 5000, 10000);
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    atr_why *w = NULL;
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, find(ix, "f")), &w) == 0);
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_INT(S.by_group, 1);
    ATR_CHECK_EQ_MEM(S.group_arg.ptr, S.group_arg.len, "size-n", 6);
    ATR_CHECK_EQ_STR(S.group_filter, "");
    ATR_CHECK_EQ_U64(S.baseline_calls, 20);
    ATR_CHECK_EQ_U64(S.baseline_p50_ns, 10000);
    ATR_CHECK_EQ_INT(S.extra_ns, 5000);
    atr_why_arg r;
    ATR_CHECK_OK(atr_why_get_arg(w, 0, &r));
    ATR_CHECK(r.group != NULL && r.typical != NULL && r.group == r.typical);
    ATR_CHECK_EQ_U64(r.peer_calls, 20);
    ATR_CHECK_EQ_INT(r.differs, 0);
    ATR_CHECK_EQ_INT(r.has_median, 1);
    ATR_CHECK_EQ_DBL(r.median, 1009); /* nearest rank 10 of 1000..1019 */
    atr_why_free(w);
    done(ix);
}

/*
 * A **kwargs keyword (recorded as a field) with numbers: the calls that did not pass it are
 * its "(not passed)" group (labelled so since the derived keys; not "(not captured)") in range
 * mode too, and that group is the baseline of such a call.
 */
static void test_keyword_not_passed(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("why_kwargs.atr", &clock);
    static const char *const params[] = {"**opts"};
    ids fn = define_fgh(s, 1, params);
    for (int i = 0; i < 40; i++) {
        int passed = i % 4 != 0;
        atr_field f[1] = {{S("width"), atr_value_int(10 + i)}};
        uint64_t sp = 0, d = passed ? 1000 : i == 0 ? 15000 : 10000;
        ATR_CHECK_OK(atr_span_begin(s, fn.f, 0, t, NULL, 0, f, passed ? 1u : 0u, &sp));
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 100;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = load_one(g_path);
    atr_why *w = NULL;
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, find(ix, "f")), &w) == 0);
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_INT(S.by_group, 1);
    ATR_CHECK_EQ_MEM(S.group_arg.ptr, S.group_arg.len, "width", 5);
    ATR_CHECK_EQ_STR(S.group_label, "(not passed)");
    ATR_CHECK_EQ_U64(S.baseline_calls, 9);
    ATR_CHECK_EQ_U64(S.baseline_p50_ns, 10000);
    ATR_CHECK_EQ_INT(S.extra_ns, 5000);
    atr_why_arg r;
    ATR_REQUIRE(atr_why_get_arg(w, 0, &r) == 0);
    ATR_CHECK(r.group != NULL && strcmp(r.group, "(not passed)") == 0);
    ATR_CHECK_EQ_U64(r.group_calls, 10);
    ATR_CHECK_EQ_U64(r.peer_calls, 9);
    atr_why_free(w);
    done(ix);
}

/* f(mode, size) in each of the four pairs of values, `per` calls each: slow_ns when
   mode="b" and size="big" (fast_ns otherwise, with one g child of a tenth); then the
   slowest call, in that pair, with an extra h child of 5 µs. */
static atr_index *pair_log(const char *name, int per, int slow_per, uint64_t big_a_ns) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log(name, &clock);
    static const char *const params[] = {"mode", "size"};
    static const char *const modes[] = {"a", "b"}, *const sizes[] = {"small", "big"};
    ids fn = define_fgh(s, 2, params);
    for (int m = 0; m < 2; m++) {
        for (int z = 0; z < 2; z++) {
            int slow = m == 1 && z == 1;
            uint64_t d = slow ? 10000 : (z == 1 ? big_a_ns : 1000);
            for (int i = 0; i < (slow ? slow_per : per); i++) {
                atr_value a[2] = {atr_value_strn(modes[m], 1),
                                  atr_value_strn(sizes[z], strlen(sizes[z]))};
                t = call_f(s, &fn, t, a, 2, 1, d / 10, 0, d - d / 10);
            }
        }
    }
    atr_value a[2] = {atr_value_strn("b", 1), atr_value_strn("big", 3)};
    t = call_f(s, &fn, t, a, 2, 1, 1000, 5000, 9000);
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    return load_one(g_path);
}

/*
 * Neither argument alone explains f's duration (slow only when mode="b" and size="big"), the
 * two together do: the baseline is the other calls of that pair, whose group is named by both
 * ("mode,size", `slow`'s pair); the argument rows show no difference from the typical.
 */
static void test_pair_baseline(void) {
    atr_index *ix = pair_log("why_pair.atr", 6, 6, 1000);
    uint32_t f = find(ix, "f"), h = find(ix, "h");
    atr_why *w = NULL;
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, f), &w) == 0);
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_INT(S.by_group, 1);
    ATR_CHECK_EQ_INT(S.group_pair, 1);
    ATR_CHECK_EQ_MEM(S.group_arg.ptr, S.group_arg.len, "mode,size", 9);
    ATR_CHECK_EQ_MEM(S.pair_arg.ptr, S.pair_arg.len, "mode,size", 9);
    ATR_CHECK(S.group_score >= ATR_WHY_MIN_SCORE);
    ATR_CHECK(S.group_score == S.pair_score);
    ATR_CHECK_EQ_U64(S.pair_peers, 6);
    ATR_CHECK_EQ_STR(S.group_label, "b, big");
    ATR_CHECK_EQ_STR(S.group_filter, "mode=\"b\" size=\"big\"");
    ATR_CHECK_EQ_U64(S.group_value, ATR_NO_VALUE);
    ATR_CHECK_EQ_U64(S.baseline_calls, 6);
    ATR_CHECK_EQ_U64(S.baseline_p50_ns, 10000);
    ATR_CHECK_EQ_INT(S.extra_ns, 5000);
    ATR_CHECK_EQ_U64(S.group_p50_ns, 10000);
    ATR_CHECK_EQ_INT(child_of(w, h).extra_ns, 5000);
    ATR_CHECK_EQ_U64(S.n_args, 2); /* the parameters only, not the pair */
    for (uint32_t i = 0; i < S.n_args; i++) {
        atr_why_arg r;
        ATR_REQUIRE(atr_why_get_arg(w, i, &r) == 0);
        ATR_CHECK(r.score < ATR_WHY_MIN_SCORE); /* neither explains alone */
        ATR_CHECK_EQ_INT(r.differs, 0);
        ATR_CHECK_EQ_U64(r.peer_calls, 6);
    }
    atr_why_free(w);
    done(ix);

    /* the same with two other calls of that pair: too few for a baseline */
    ix = pair_log("why_pair_few.atr", 6, 2, 1000);
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, find(ix, "f")), &w) == 0);
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_INT(S.by_group, 0);
    ATR_CHECK_EQ_INT(S.group_pair, 0);
    ATR_CHECK_EQ_MEM(S.pair_arg.ptr, S.pair_arg.len, "mode,size", 9);
    ATR_CHECK(S.pair_score >= ATR_WHY_MIN_SCORE);
    ATR_CHECK_EQ_U64(S.pair_peers, 2);
    ATR_CHECK_EQ_U64(S.baseline_calls, 20);
    atr_why_free(w);
    done(ix);
}

/*
 * size alone explains f's duration (big calls are slow), the pair more (big and mode="b" the
 * slowest): an argument alone still gives the baseline, so that mode's row can show what
 * sets the call apart among the big ones.
 */
static void test_pair_after_single(void) {
    atr_index *ix = pair_log("why_pair_single.atr", 6, 4, 4000);
    atr_why *w = NULL;
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, find(ix, "f")), &w) == 0);
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_INT(S.by_group, 1);
    ATR_CHECK_EQ_INT(S.group_pair, 0);
    ATR_CHECK_EQ_MEM(S.group_arg.ptr, S.group_arg.len, "size", 4);
    ATR_CHECK_EQ_MEM(S.pair_arg.ptr, S.pair_arg.len, "mode,size", 9);
    ATR_CHECK(S.pair_score > S.group_score);
    ATR_CHECK_EQ_U64(S.baseline_calls, 10); /* the other big calls: 6 mode="a", 4 "b" */
    atr_why_arg r;
    ATR_REQUIRE(atr_why_get_arg(w, 0, &r) == 0);
    ATR_CHECK_EQ_MEM(r.name.ptr, r.name.len, "mode", 4);
    ATR_CHECK_EQ_INT(r.differs, 1); /* typical: "a" */
    ATR_CHECK_EQ_U64(r.peer_calls, 4);
    ATR_CHECK_EQ_INT(r.slow_group, 1); /* 10 µs against the baseline's 4 µs */
    atr_why_free(w);
    done(ix);
}

/* A function called once: nothing to compare with; bad ids are refused. */
static void test_alone(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("why_alone.atr", &clock);
    ids fn = define_fgh(s, 0, NULL);
    clock = call_f(s, &fn, 100, NULL, 0, 2, 50, 0, 10);
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_why *w = NULL;
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, find(ix, "f")), &w) == 0);
    atr_why_summary S;
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_U64(S.baseline_calls, 0);
    ATR_CHECK_EQ_U64(S.baseline_p50_ns, 0);
    ATR_CHECK_EQ_INT(S.extra_ns, 110);
    ATR_CHECK_EQ_U64(S.n_children, 1);
    ATR_CHECK_EQ_U64(S.n_args, 0);
    atr_why_free(w);
    /* g: no children anywhere, one other call (no rows to sort: clean under UBSan) */
    ATR_REQUIRE(atr_why_compute(ix, slowest_call(ix, find(ix, "g")), &w) == 0);
    atr_why_get_summary(w, &S);
    ATR_CHECK_EQ_U64(S.baseline_calls, 1);
    ATR_CHECK_EQ_U64(S.n_children, 0);
    ATR_CHECK_EQ_INT(S.extra_ns, 0);
    atr_why_free(w);
    atr_why_free(NULL);
    ATR_CHECK_ERR(atr_why_compute(ix, 999, &w), ATR_EINVAL);
    ATR_CHECK(w == NULL);
    ATR_CHECK_ERR(atr_why_compute(NULL, 0, &w), ATR_EINVAL);
    done(ix);
}

int main(void) {
    test_group_baseline();
    test_all_calls_baseline();
    test_slow_peers();
    test_range_group_without_filter();
    test_keyword_not_passed();
    test_pair_baseline();
    test_pair_after_single();
    test_alone();
    ATR_TEST_MAIN_END();
}
