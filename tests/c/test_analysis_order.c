/*
 * Orders and percentiles of the compact paths: queries sort 12-byte items in place (introsort,
 * not qsort) and must give the documented order (key, then start, then id) on thousands of
 * calls with many equal durations, with and without a limit; argscore's group percentiles use
 * 32-bit durations when all fit and 64-bit ones when one call lasts 4.3 s or more.
 */
#include <stdlib.h>

#include "analysis_logs.h"

typedef struct ref {
    uint64_t key, tie;
    uint32_t id;
} ref;

static int cmp_ref(const void *a, const void *b) {
    const ref *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    if (x->tie != y->tie)
        return x->tie < y->tie ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static uint64_t lcg(uint64_t *st) {
    *st = *st * 6364136223846793005u + 1442695040888963407u;
    return *st >> 33;
}

/* The query's ids against the reference order of every call of fn by `sort`. */
static void check_order(atr_index *ix, uint32_t fn, int sort, uint64_t offset, uint64_t limit) {
    uint64_t n = 0;
    atr_query q;
    atr_query_init(&q);
    q.function = fn;
    atr_callset *cs = NULL;
    ATR_REQUIRE(atr_query_run(ix, &q, &cs) == 0);
    n = atr_callset_count(cs);
    ref *r = calloc(n ? n : 1, sizeof(ref));
    ATR_REQUIRE(r != NULL);
    for (uint64_t i = 0; i < n; i++) {
        atr_call_view cv;
        uint32_t id = atr_callset_get(cs, i);
        ATR_CHECK_OK(atr_index_call(ix, id, &cv));
        r[i].id = id;
        r[i].tie = sort == ATR_SORT_START ? 0 : cv.start_ns;
        r[i].key = sort == ATR_SORT_START      ? cv.start_ns
                   : sort == ATR_SORT_FASTEST  ? cv.duration_ns
                   : sort == ATR_SORT_DURATION ? UINT64_MAX - cv.duration_ns
                                               : UINT64_MAX - cv.self_ns;
    }
    atr_callset_free(cs);
    qsort(r, n, sizeof(ref), cmp_ref);
    q.sort = sort;
    q.offset = offset;
    q.limit = limit;
    ATR_REQUIRE(atr_query_run(ix, &q, &cs) == 0);
    uint64_t want = offset < n ? n - offset : 0;
    if (limit && want > limit)
        want = limit;
    ATR_CHECK_EQ_U64(atr_callset_count(cs), want);
    ATR_CHECK_EQ_U64(atr_callset_matched(cs), n);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < want && i < atr_callset_count(cs); i++)
        bad += atr_callset_get(cs, i) != r[offset + i].id;
    ATR_CHECK_EQ_U64(bad, 0);
    atr_callset_free(cs);
    free(r);
}

static void test_query_order(void) {
    uint64_t clock = 0, st = 7;
    atr_session *s = new_log("analysis_order.atr", &clock);
    uint32_t f = define(s, "app", "f", 0, NULL), g = define(s, "app", "g", 0, NULL);
    uint64_t t = 1000;
    for (int i = 0; i < 5000; i++) {
        uint64_t d = 10 * (1 + lcg(&st) % 4); /* 4 distinct durations: many ties */
        uint64_t sp = begin(s, f, 0, t, NULL, 0);
        if (i % 3 == 0) { /* a child: self time differs from the duration */
            uint64_t c = begin(s, g, sp, t + 1, NULL, 0);
            ATR_CHECK_OK(atr_span_return(s, c, t + 1 + lcg(&st) % 5, NULL));
        }
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1 + lcg(&st) % 3;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    int sorts[4] = {ATR_SORT_START, ATR_SORT_DURATION, ATR_SORT_SELF, ATR_SORT_FASTEST};
    for (int k = 0; k < 4; k++) {
        check_order(ix, f, sorts[k], 0, 0);    /* everything: the in-place sort */
        check_order(ix, f, sorts[k], 0, 25);   /* a bounded heap */
        check_order(ix, f, sorts[k], 100, 40); /* offset + limit */
        check_order(ix, f, sorts[k], 4990, 0); /* past the middle, no limit */
        check_order(ix, f, sorts[k], 6000, 0); /* past the end: nothing */
    }
    done(ix);
}

/* Groups of an argument whose durations need 64 bits (and one whose don't): exact
   nearest-rank p50 and p95 per group. */
static void check_group_percentiles(uint64_t base) {
    uint64_t clock = 0;
    const char *params[1] = {"k"};
    atr_session *s = new_log("analysis_order_pct.atr", &clock);
    uint32_t f = define(s, "app", "h", 1, params);
    uint64_t t = 1000;
    for (uint64_t i = 1; i <= 200; i++) {
        uint64_t k = i % 2, rank = (i + 1) / 2; /* 1..100 in each group */
        atr_value v = atr_value_int((int64_t)k);
        uint64_t d = k ? base + rank * 1000 : rank;
        uint64_t sp = begin(s, f, 0, t, &v, 1);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = NULL;
    ATR_REQUIRE(atr_argscore_compute(ix, 0, NULL, 0, &sc) == 0);
    ATR_REQUIRE(atr_argscore_count(sc) == 1);
    atr_arg_score a;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_REQUIRE(a.n_groups == 2);
    for (uint32_t gi = 0; gi < 2; gi++) {
        atr_arg_group g;
        ATR_CHECK_OK(atr_argscore_group(sc, 0, gi, &g));
        ATR_CHECK_EQ_U64(g.calls, 100);
        int slow = g.max_ns > 100; /* the group of k=1 */
        uint64_t b = slow ? base : 0, u = slow ? 1000 : 1;
        ATR_CHECK_EQ_U64(g.p50_ns, b + 50 * u);
        ATR_CHECK_EQ_U64(g.p95_ns, b + 95 * u);
        ATR_CHECK_EQ_U64(g.max_ns, b + 100 * u);
    }
    atr_argscore_free(sc);
    done(ix);
}

int main(void) {
    test_query_order();
    check_group_percentiles(1000000);              /* 32-bit durations */
    check_group_percentiles(UINT64_C(5000000000)); /* 5 s: 64-bit */
    ATR_TEST_MAIN_END();
}
