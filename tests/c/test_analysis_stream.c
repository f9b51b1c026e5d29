/*
 * Statistics-only loads (atr_index_set_stats_only, libtrace/src/analysis/stream.c): the same
 * atr_stats_all as the full index on nested calls with ties, raised and unfinished calls and
 * two logs; ATR_ESTATE (and no statistics) for logs whose calls do not nest on their thread.
 * tests/c/test_analysis_corpus.c compares both on every golden, corpus and mutated log.
 */
#include "analysis_logs.h"

#include <pthread.h>

static atr_index *load_stats_only(const char *path, int expect) {
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    atr_index_set_stats_only(ix, 1);
    int rc = atr_index_load(ix, path);
    if (!ATR_CHECK_ERR(rc, expect))
        fprintf(stderr, "  %s\n", atr_index_error(ix));
    return ix;
}

static void compare(atr_index *full, atr_index *so) {
    atr_index_info fi, si;
    atr_index_get_info(full, &fi);
    atr_index_get_info(so, &si);
    ATR_REQUIRE(fi.n_functions == si.n_functions && fi.n_functions <= 8);
    ATR_CHECK_EQ_U64(si.n_calls, 0);
    atr_stats a[8], b[8];
    ATR_CHECK_OK(atr_stats_all(full, a, fi.n_functions));
    ATR_CHECK_OK(atr_stats_all(so, b, si.n_functions));
    for (uint32_t fn = 0; fn < fi.n_functions; fn++) {
        ATR_CHECK_EQ_U64(b[fn].count, a[fn].count);
        ATR_CHECK_EQ_U64(b[fn].finished, a[fn].finished);
        ATR_CHECK_EQ_U64(b[fn].raised, a[fn].raised);
        ATR_CHECK_EQ_U64(b[fn].total_ns, a[fn].total_ns);
        ATR_CHECK_EQ_U64(b[fn].active_ns, a[fn].active_ns);
        ATR_CHECK_EQ_U64(b[fn].unfinished, a[fn].unfinished);
        ATR_CHECK_EQ_U64(b[fn].inclusive_ns, a[fn].inclusive_ns);
        ATR_CHECK_EQ_U64(b[fn].nested, a[fn].nested);
        ATR_CHECK_EQ_U64(b[fn].self_ns, a[fn].self_ns);
        ATR_CHECK_EQ_U64(b[fn].min_ns, a[fn].min_ns);
        ATR_CHECK_EQ_U64(b[fn].p50_ns, a[fn].p50_ns);
        ATR_CHECK_EQ_U64(b[fn].p95_ns, a[fn].p95_ns);
        ATR_CHECK_EQ_U64(b[fn].p99_ns, a[fn].p99_ns);
        ATR_CHECK_EQ_U64(b[fn].max_ns, a[fn].max_ns);
        ATR_CHECK_EQ_U64(b[fn].slowest_call, a[fn].slowest_call);
    }
}

/* outer(i) -> inner x2, one raising; equal maxima (the first call is the slowest); a last
   outer left running with an inner under it (unfinished: both). */
static void nested(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("stream_nested.atr", &clock);
    uint32_t outer = define(s, "m", "outer", 0, NULL), inner = define(s, "m", "inner", 0, NULL);
    for (int i = 0; i < 50; i++) {
        uint64_t o = begin(s, outer, 0, t, NULL, 0);
        uint64_t a = begin(s, inner, o, t + 10, NULL, 0);
        ATR_CHECK_OK(atr_span_return(s, a, t + 10 + (uint64_t)(i % 7) * 100, NULL));
        uint64_t b = begin(s, inner, o, t + 1000, NULL, 0);
        ATR_CHECK_OK(atr_span_raise(s, b, t + 1500, S("ValueError"), NULL));
        ATR_CHECK_OK(atr_span_return(s, o, t + 2000 + (uint64_t)(i % 3) * 10, NULL));
        t += 5000;
    }
    /* durations past 32 bits (kept aside in the statistics-only lists): p99 and max */
    uint64_t big[] = {UINT32_MAX, UINT64_C(5000000000), UINT32_MAX - 1u};
    for (int i = 0; i < 3; i++) {
        uint64_t o = begin(s, outer, 0, t, NULL, 0);
        ATR_CHECK_OK(atr_span_return(s, o, t + big[i], NULL));
        t += big[i] + 10;
    }
    uint64_t o = begin(s, outer, 0, t, NULL, 0);
    begin(s, inner, o, t + 5, NULL, 0);
    clock = t + 100000;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *full = load_one(g_path), *so = load_stats_only(g_path, 0);
    compare(full, so);
    atr_stats st[2];
    ATR_CHECK_OK(atr_stats_all(so, st, 2));
    ATR_CHECK_EQ_U64(st[0].unfinished, 1);
    ATR_CHECK_EQ_U64(st[1].raised, 50);
    ATR_CHECK_EQ_U64(st[0].max_ns, UINT64_C(5000000000));
    ATR_CHECK_EQ_U64(st[0].p99_ns, UINT64_C(5000000000)); /* from the list aside */
    ATR_CHECK_EQ_U64(st[0].p95_ns, UINT32_MAX - 1u);
    atr_index_free(so);

    /* selective: only inner's calls, under their printed ids; outer's are not there */
    atr_index *sel = NULL;
    ATR_REQUIRE(atr_index_open(&sel) == 0);
    ATR_CHECK_OK(atr_index_set_keep_function(sel, "inner"));
    ATR_CHECK_OK(atr_index_load(sel, g_path));
    atr_index_info si, fi;
    atr_index_get_info(sel, &si);
    atr_index_get_info(full, &fi);
    ATR_CHECK_EQ_U64(si.n_calls, 101);
    ATR_CHECK_EQ_U64(si.t_min, fi.t_min);
    ATR_CHECK_EQ_U64(si.n_unfinished, 1);
    uint32_t c = ATR_NO_CALL, fc = ATR_NO_CALL;
    ATR_CHECK_OK(atr_call_id_parse(sel, "1", &c)); /* the first inner: call 1 of the log */
    ATR_CHECK_OK(atr_call_id_parse(full, "1", &fc));
    ATR_CHECK_ERR(atr_call_id_parse(sel, "0", &c), ATR_ENOTFOUND); /* an outer: not kept */
    ATR_CHECK_OK(atr_call_id_parse(sel, "4", &c));                 /* 4: outer 1's first inner */
    atr_call_view cv, fv;
    ATR_CHECK_OK(atr_index_call(sel, c, &cv));
    ATR_CHECK_OK(atr_call_id_parse(full, "4", &fc));
    ATR_CHECK_OK(atr_index_call(full, fc, &fv));
    ATR_CHECK(cv.duration_ns == fv.duration_ns && cv.start_ns == fv.start_ns);
    ATR_CHECK_EQ_U64(cv.parent, ATR_NO_CALL); /* its caller was not kept */
    char id[ATR_CALL_ID_SIZE];
    atr_call_id_format(sel, c, id, sizeof id);
    ATR_CHECK(strcmp(id, "4") == 0);
    atr_stats a, b;
    ATR_CHECK_OK(atr_stats_function(full, find(full, "inner"), NULL, &a));
    ATR_CHECK_OK(atr_stats_function(sel, find(sel, "inner"), NULL, &b));
    ATR_CHECK(a.count == b.count && a.p50_ns == b.p50_ns && a.max_ns == b.max_ns &&
              a.unfinished == b.unfinished && a.raised == b.raised);
    atr_call_id_format(sel, b.slowest_call, id, sizeof id);
    char fid[ATR_CALL_ID_SIZE];
    atr_call_id_format(full, a.slowest_call, fid, sizeof fid);
    ATR_CHECK(strcmp(id, fid) == 0);
    atr_index_free(sel);
    done(full);
}

/* The subtree of one call alone: its calls and messages, self times exact, ids kept. */
static void subtree(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("stream_subtree.atr", &clock);
    uint32_t outer = define(s, "m", "outer", 0, NULL), inner = define(s, "m", "inner", 0, NULL);
    for (int i = 0; i < 3; i++) { /* calls 3i (outer), 3i+1 and 3i+2 (inner) */
        uint64_t o = begin(s, outer, 0, t, NULL, 0);
        uint64_t a = begin(s, inner, o, t + 10, NULL, 0);
        ATR_CHECK_OK(atr_message(s, a, t + 20, S("hello"), NULL, 0));
        ATR_CHECK_OK(atr_span_return(s, a, t + 100, NULL));
        uint64_t b = begin(s, inner, o, t + 200, NULL, 0);
        ATR_CHECK_OK(atr_span_return(s, b, t + 300 + (uint64_t)i, NULL));
        ATR_CHECK_OK(atr_span_return(s, o, t + 1000, NULL));
        t += 5000;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *full = load_one(g_path), *sub = NULL;
    ATR_REQUIRE(atr_index_open(&sub) == 0);
    ATR_CHECK_OK(atr_index_set_keep_subtree(sub, 0, 3));
    ATR_CHECK_ERR(atr_index_set_keep_subtree(sub, 0, 3), ATR_EINVAL);
    ATR_CHECK_OK(atr_index_load(sub, g_path));
    atr_index_info si;
    atr_index_get_info(sub, &si);
    ATR_CHECK_EQ_U64(si.n_calls, 3);
    ATR_CHECK_EQ_U64(si.n_messages, 1);
    uint32_t x = ATR_NO_CALL, y = ATR_NO_CALL, kids[4], n = 0, msgs[2], nm = 0;
    ATR_CHECK_OK(atr_call_id_parse(full, "3", &x));
    ATR_CHECK_OK(atr_call_id_parse(sub, "3", &y));
    ATR_CHECK_ERR(atr_call_id_parse(sub, "6", &y), ATR_ENOTFOUND);
    ATR_CHECK_OK(atr_call_id_parse(sub, "3", &y));
    atr_call_view cx, cy;
    ATR_CHECK_OK(atr_index_call(full, x, &cx));
    ATR_CHECK_OK(atr_index_call(sub, y, &cy));
    ATR_CHECK_EQ_U64(cy.self_ns, cx.self_ns);
    ATR_CHECK_EQ_U64(cy.self_ns, 1000 - 90 - 101);
    ATR_CHECK_OK(atr_call_children(sub, y, kids, 4, &n));
    ATR_REQUIRE(n == 2);
    char id[ATR_CALL_ID_SIZE];
    atr_call_id_format(sub, kids[1], id, sizeof id);
    ATR_CHECK(strcmp(id, "5") == 0);
    ATR_CHECK_OK(atr_call_messages(sub, kids[0], msgs, 2, &nm));
    ATR_CHECK_EQ_U64(nm, 1);
    atr_index_free(sub);
    /* only the frames that hold it (atr_index_set_subtree_frames): the same subtree; a hint
       the log disagrees with (another call's number) makes the load decline */
    uint32_t th = 0;
    atr_subtree_frames h = {atr_call_span(full, x), cx.start_ns, cx.end_ns, 1000, &th, 1};
    for (uint64_t number = 3; number <= 4; number++) {
        atr_index *part = NULL;
        ATR_REQUIRE(atr_index_open(&part) == 0);
        ATR_CHECK_ERR(atr_index_set_subtree_frames(part, &h), ATR_EINVAL); /* no subtree yet */
        ATR_CHECK_OK(atr_index_set_keep_subtree(part, 0, number));
        ATR_CHECK_OK(atr_index_set_subtree_frames(part, &h));
        if (number == 4) {
            ATR_CHECK_ERR(atr_index_load(part, g_path), ATR_ESTATE);
        } else {
            ATR_CHECK_OK(atr_index_load(part, g_path));
            atr_index_get_info(part, &si);
            ATR_CHECK_EQ_U64(si.n_calls, 3);
            ATR_CHECK_EQ_U64(si.t_min, 1000);
            ATR_CHECK_OK(atr_call_id_parse(part, "3", &y));
            ATR_CHECK_OK(atr_call_children(part, y, kids, 4, &n));
            ATR_REQUIRE(n == 2);
            atr_call_id_format(part, kids[1], id, sizeof id);
            ATR_CHECK(strcmp(id, "5") == 0);
        }
        atr_index_free(part);
    }
    done(full);
}

/* A selective load of g_path (the calls of function `name` kept) declines. */
static void selective_declines(const char *name) {
    atr_index *so = NULL;
    ATR_REQUIRE(atr_index_open(&so) == 0);
    ATR_CHECK_OK(atr_index_set_keep_function(so, name));
    ATR_CHECK_ERR(atr_index_load(so, g_path), ATR_ESTATE);
    atr_index_free(so);
}

/* Generators and coroutines: the same statistics as the full index (active times, self times
   charged with the children's active times, what ran while a parent was away left out of its
   charge, percentiles of active times, recursion through the call tree, unfinished ones at
   the end), resumed on top of their parents or elsewhere. */
static void suspended(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("stream_suspend.atr", &clock);
    uint32_t f = define(s, "m", "f", 0, NULL), gen = define(s, "m", "gen", 0, NULL);
    uint32_t leaf = define(s, "m", "leaf", 0, NULL);
    /* f consumes gen: two steps, a leaf call between them in f, one inside gen's step */
    uint64_t a = begin(s, f, 0, 100, NULL, 0);
    uint64_t g = begin(s, gen, a, 110, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, g, 150));
    uint64_t l = begin(s, leaf, a, 160, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, l, 190, NULL));
    ATR_CHECK_OK(atr_span_resume(s, g, 300));
    l = begin(s, leaf, g, 310, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, l, 330, NULL));
    ATR_CHECK_OK(atr_span_return(s, g, 400, NULL));
    /* yield from: an outer and an inner gen suspend and resume together; the inner's first
       step raises nothing, the outer ends last */
    uint64_t o = begin(s, gen, a, 410, NULL, 0);
    uint64_t in = begin(s, gen, o, 420, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, in, 430));
    ATR_CHECK_OK(atr_span_suspend(s, o, 431));
    ATR_CHECK_OK(atr_span_resume(s, o, 500));
    ATR_CHECK_OK(atr_span_resume(s, in, 501));
    ATR_CHECK_OK(atr_span_return(s, in, 520, NULL));
    ATR_CHECK_OK(atr_span_return(s, o, 530, NULL));
    /* an orphan: started under f2, suspended, f2 returns; it never runs again */
    uint64_t f2 = begin(s, f, a, 600, NULL, 0);
    uint64_t orphan = begin(s, gen, f2, 610, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, orphan, 640));
    ATR_CHECK_OK(atr_span_return(s, f2, 700, NULL));
    ATR_CHECK_OK(atr_span_return(s, a, 800, NULL));
    /* left at the end: a gen suspended under a running f, with a suspended child of its own */
    uint64_t b = begin(s, f, 0, 900, NULL, 0);
    uint64_t g2 = begin(s, gen, b, 910, NULL, 0);
    uint64_t g3 = begin(s, gen, g2, 915, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, g3, 920));
    ATR_CHECK_OK(atr_span_suspend(s, g2, 930));
    l = begin(s, leaf, b, 940, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, l, 960, NULL));
    clock = 1000;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *full = load_one(g_path), *so = load_stats_only(g_path, 0);
    compare(full, so);
    atr_index_free(so);
    selective_declines("gen"); /* the full index's accounting */
    done(full);

    /* resumed elsewhere: a generator made in x (under r) and resumed in y after x returned
       (an orphan: its later steps outside x); one resumed by q while its parent p waits
       below q; an inner one resumed while its outer is suspended (outside the outer); and
       recursion seen on the stack, not through the tree: calls of x inside the orphan are
       not nested (the x that made it had returned: their time is in no other x's), calls
       of y inside it are (the y that resumed it runs: their time is in its) */
    s = new_log("stream_suspend2.atr", &clock);
    uint32_t r = define(s, "m", "r", 0, NULL), x = define(s, "m", "x", 0, NULL);
    uint32_t y = define(s, "m", "y", 0, NULL);
    gen = define(s, "m", "gen", 0, NULL);
    uint64_t rr = begin(s, r, 0, 100, NULL, 0);
    uint64_t xx = begin(s, x, rr, 110, NULL, 0);
    g = begin(s, gen, xx, 120, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, g, 150));
    ATR_CHECK_OK(atr_span_return(s, xx, 200, NULL));
    uint64_t yy = begin(s, y, rr, 300, NULL, 0);
    ATR_CHECK_OK(atr_span_resume(s, g, 310));
    l = begin(s, x, g, 315, NULL, 0);           /* not nested: the x that made g returned */
    uint64_t l2 = begin(s, y, l, 316, NULL, 0); /* nested: y resumed g, runs below it */
    ATR_CHECK_OK(atr_span_return(s, l2, 317, NULL));
    ATR_CHECK_OK(atr_span_return(s, l, 318, NULL));
    ATR_CHECK_OK(atr_span_suspend(s, g, 320));
    ATR_CHECK_OK(atr_span_resume(s, g, 330));
    ATR_CHECK_OK(atr_span_return(s, g, 340, NULL));
    ATR_CHECK_OK(atr_span_return(s, yy, 350, NULL));
    uint64_t pp = begin(s, x, rr, 400, NULL, 0);
    g = begin(s, gen, pp, 410, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, g, 420));
    uint64_t qq = begin(s, y, pp, 430, NULL, 0);
    ATR_CHECK_OK(atr_span_resume(s, g, 440)); /* its parent pp waits below qq */
    ATR_CHECK_OK(atr_span_return(s, g, 460, NULL));
    ATR_CHECK_OK(atr_span_return(s, qq, 470, NULL));
    ATR_CHECK_OK(atr_span_return(s, pp, 480, NULL));
    o = begin(s, gen, rr, 500, NULL, 0);
    in = begin(s, gen, o, 510, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, in, 520));
    ATR_CHECK_OK(atr_span_suspend(s, o, 521));
    ATR_CHECK_OK(atr_span_resume(s, in, 600)); /* its outer still suspended: outside it */
    ATR_CHECK_OK(atr_span_suspend(s, in, 640));
    ATR_CHECK_OK(atr_span_resume(s, o, 700));
    ATR_CHECK_OK(atr_span_resume(s, in, 701));
    ATR_CHECK_OK(atr_span_return(s, in, 720, NULL));
    ATR_CHECK_OK(atr_span_return(s, o, 730, NULL));
    /* left at the end: an orphan suspended, its resumer running */
    xx = begin(s, x, rr, 800, NULL, 0);
    g = begin(s, gen, xx, 810, NULL, 0);
    ATR_CHECK_OK(atr_span_suspend(s, g, 820));
    ATR_CHECK_OK(atr_span_return(s, xx, 830, NULL));
    yy = begin(s, y, rr, 840, NULL, 0);
    ATR_CHECK_OK(atr_span_resume(s, g, 850));
    clock = 900;
    ATR_CHECK_OK(atr_session_close(s));
    full = load_one(g_path);
    so = load_stats_only(g_path, 0);
    compare(full, so);
    atr_stats st[4];
    ATR_CHECK_OK(atr_stats_all(so, st, 4));
    ATR_CHECK_EQ_U64(st[1].nested, 0); /* x inside the orphan an x made and left */
    ATR_CHECK_EQ_U64(st[2].nested, 1); /* y inside the orphan y resumed */
    atr_index_free(so);
    done(full);
}

/* A call whose parent is not the innermost running call of its thread, and a root started
   while calls run: nested in the calls running below them, as in the full index (selective
   loads decline). */
static void not_nested(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("stream_cross.atr", &clock);
    uint32_t f = define(s, "m", "f", 0, NULL);
    uint64_t a = begin(s, f, 0, 100, NULL, 0);
    uint64_t b = begin(s, f, a, 110, NULL, 0);
    uint64_t c = begin(s, f, a, 120, NULL, 0); /* a's child while b still runs */
    ATR_CHECK_OK(atr_span_return(s, c, 130, NULL));
    ATR_CHECK_OK(atr_span_return(s, b, 140, NULL));
    ATR_CHECK_OK(atr_span_return(s, a, 150, NULL));
    /* a root started while d runs: in d's time, though d is not its ancestor */
    uint64_t d = begin(s, f, 0, 160, NULL, 0);
    uint64_t e = begin(s, f, 0, 170, NULL, 0);
    uint64_t g = begin(s, f, e, 175, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, g, 178, NULL));
    ATR_CHECK_OK(atr_span_return(s, e, 180, NULL));
    ATR_CHECK_OK(atr_span_return(s, d, 190, NULL));
    clock = 200;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *full = load_one(g_path), *so = load_stats_only(g_path, 0);
    compare(full, so);
    atr_stats st[1];
    ATR_CHECK_OK(atr_stats_all(so, st, 1));
    ATR_CHECK_EQ_U64(st[0].nested, 4); /* b, c under a; e while d runs, g under e */
    atr_index_free(so);
    selective_declines("f"); /* the full index's tree */
    done(full);
}

/* The second thread of recursion(): f(f()) and g(), while the first thread's f runs. */
typedef struct rec_thread {
    atr_session *s;
    uint32_t f, g;
} rec_thread;

static void *recursion_thread(void *arg) {
    rec_thread *a = arg;
    uint64_t fb = begin(a->s, a->f, 0, 2000, NULL, 0);
    uint64_t fb2 = begin(a->s, a->f, fb, 2100, NULL, 0);
    ATR_CHECK_OK(atr_span_return(a->s, fb2, 2200, NULL));
    ATR_CHECK_OK(atr_span_return(a->s, fb, 2300, NULL));
    uint64_t gb = begin(a->s, a->g, 0, 2400, NULL, 0);
    ATR_CHECK_OK(atr_span_return(a->s, gb, 2500, NULL));
    return NULL;
}

/*
 * Recursion (atr_stats.inclusive_ns, nested): on one thread f -> g -> f -> f with the first
 * f left running; on another thread f -> f, then g. A call inside a call of the same function
 * (f's second and third on the first thread, the inner f on the second) is nested: its time
 * is in the outer call's already. The statistics-only load counts f's running calls on the
 * first thread and searches the second thread's stack: both give the full index's figures.
 */
static void recursion(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("stream_recursion.atr", &clock);
    uint32_t f = define(s, "m", "f", 0, NULL), g = define(s, "m", "g", 0, NULL);
    uint64_t fa = begin(s, f, 0, 1000, NULL, 0);
    uint64_t g1 = begin(s, g, fa, 1100, NULL, 0);
    uint64_t f2 = begin(s, f, g1, 1200, NULL, 0);
    uint64_t f3 = begin(s, f, f2, 1300, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, f3, 1400, NULL));
    ATR_CHECK_OK(atr_span_return(s, f2, 1500, NULL));
    ATR_CHECK_OK(atr_span_return(s, g1, 1600, NULL));
    rec_thread a = {s, f, g};
    pthread_t th;
    ATR_REQUIRE(pthread_create(&th, NULL, recursion_thread, &a) == 0);
    pthread_join(th, NULL);
    clock = 3000;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *full = load_one(g_path), *so = load_stats_only(g_path, 0);
    compare(full, so);
    atr_stats st[2];
    ATR_CHECK_OK(atr_stats_all(full, st, 2));
    ATR_CHECK_EQ_U64(st[0].count, 5);
    ATR_CHECK_EQ_U64(st[0].nested, 3);
    ATR_CHECK_EQ_U64(st[0].inclusive_ns, st[0].total_ns - 300 - 100 - 100); /* f2, f3, fb2 */
    ATR_CHECK_EQ_U64(st[0].est_inclusive_ns, st[0].inclusive_ns);
    ATR_CHECK(st[0].inclusive_ns >= 300 + 600); /* fb and fa (running up to the end) */
    ATR_CHECK_EQ_U64(st[1].nested, 0);
    ATR_CHECK_EQ_U64(st[1].inclusive_ns, 500 + 100);
    ATR_CHECK_EQ_U64(st[1].inclusive_ns, st[1].total_ns);
    /* a selective load flags its kept calls the same way (derive.c is skipped there) */
    atr_index *sel = NULL;
    ATR_REQUIRE(atr_index_open(&sel) == 0);
    ATR_CHECK_OK(atr_index_set_keep_function(sel, "f"));
    ATR_CHECK_OK(atr_index_load(sel, g_path));
    atr_stats sf;
    ATR_CHECK_OK(atr_stats_function(sel, 0, NULL, &sf));
    ATR_CHECK_EQ_U64(sf.count, 5);
    ATR_CHECK_EQ_U64(sf.nested, 3);
    ATR_CHECK_EQ_U64(sf.inclusive_ns, st[0].inclusive_ns);
    atr_index_free(sel);
    done(full);
    done(so);
}

int main(void) {
    recursion();
    nested();
    subtree();
    suspended();
    not_nested();
    ATR_TEST_MAIN_END();
}
