/*
 * Analysis tests on whole logs: merge of a parent and a forked child, truncated and corrupt
 * logs, hostile values, calls on several threads, an empty log.
 */
#include <pthread.h>
#include <stdlib.h>

#include "analysis_logs.h"

/* ---- merge: parent + forked child ---------------------------------------------------- */

static void test_merge(void) {
    char child[512];
    uint64_t clock = 0;
    atr_test_tmpfile(g_path, sizeof g_path, "analysis_parent.atr");
    atr_test_tmpfile(child, sizeof child, "analysis_child.atr");
    atr_session *p = open_log(g_path, &clock, 0, 0);
    uint32_t fp = define(p, "app", "main", 0, NULL);
    uint64_t root = begin(p, fp, 0, 100, NULL, 0);
    atr_session *c = open_log(child, &clock, atr_session_uid(p), root);
    uint32_t fc = define(c, "app", "work", 0, NULL);
    uint32_t fm = define(c, "app", "main", 0, NULL); /* same function: deduplicated */
    uint64_t w = begin(c, fc, 0, 200, NULL, 0);
    ATR_CHECK_OK(atr_span_return(c, w, 300, NULL));
    (void)fm;
    ATR_CHECK_OK(atr_span_return(p, root, 1000, NULL));
    clock = 1000;
    ATR_CHECK_OK(atr_session_close(c));
    ATR_CHECK_OK(atr_session_close(p));

    /* Child first, then parent: the link is made when the parent arrives. */
    atr_index *ix = load_one(child);
    ATR_CHECK_OK(atr_index_load(ix, g_path));
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_files, 2);
    ATR_CHECK_EQ_INT(info.n_functions, 2);
    ATR_CHECK_EQ_INT(info.n_calls, 2);
    uint32_t fw = find(ix, "work"), fmain = find(ix, "main");
    atr_callset *cs = NULL;
    atr_query q;
    atr_query_init(&q);
    q.function = fw;
    ATR_REQUIRE(atr_query_run(ix, &q, &cs) == 0 && atr_callset_count(cs) == 1);
    ATR_CHECK_ERR(atr_index_load(ix, child), ATR_EINVAL); /* the same log again */
    ATR_CHECK(strstr(atr_index_error(ix), "the same log as") != NULL);
    atr_call_view wv, mv;
    atr_index_call(ix, atr_callset_get(cs, 0), &wv);
    atr_callset_free(cs);
    ATR_REQUIRE(wv.parent != ATR_NO_CALL);
    atr_index_call(ix, wv.parent, &mv);
    ATR_CHECK_EQ_INT(mv.function, fmain);
    ATR_CHECK_EQ_INT(mv.file, 1);
    ATR_CHECK_EQ_INT(wv.file, 0);
    ATR_CHECK_EQ_U64(mv.self_ns, 900); /* other processes' children do not count */
    atr_file_info fi;
    ATR_CHECK_OK(atr_index_file(ix, 0, &fi));
    ATR_CHECK_EQ_INT(fi.parent_file, 1);
    ATR_CHECK_EQ_INT(fi.parent_call, wv.parent);
    uint32_t kids[2], nk = 0;
    ATR_CHECK_OK(atr_call_children(ix, wv.parent, kids, 2, &nk));
    ATR_CHECK_EQ_INT(nk, 1);
    check_events(ix);
    /* Events across both processes, in time order. */
    atr_events *ev = NULL;
    ATR_REQUIRE(atr_events_open(ix, &ev) == 0);
    ATR_CHECK_EQ_INT(atr_events_count(ev), 4);
    static const uint64_t times[] = {100, 200, 300, 1000};
    atr_event e;
    for (int i = 0; i < 4 && atr_events_next(ev, &e) == 0; i++)
        ATR_CHECK_EQ_U64(e.time_ns, times[i]);
    atr_events_close(ev);
    atr_index_free(ix);
    remove(child);
    remove(g_path);
}

/* ---- truncated and corrupt logs ------------------------------------------------------ */

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    ATR_REQUIRE(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n);
    ATR_REQUIRE(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void test_damaged(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("analysis_damaged.atr", &clock);
    const char *pn[] = {"i"};
    uint32_t f = define(s, "app", "f", 1, pn);
    for (int part = 0; part < 2; part++) {
        for (int i = 0; i < 50; i++) {
            atr_value v = atr_value_int(i);
            uint64_t t = (uint64_t)(part * 1000 + i * 10);
            uint64_t sp = begin(s, f, 0, t, &v, 1);
            ATR_CHECK_OK(atr_span_return(s, sp, t + 5, NULL));
        }
        ATR_CHECK_OK(atr_session_flush(s)); /* a frame boundary */
    }
    ATR_CHECK_OK(atr_session_close(s));
    size_t len = 0;
    unsigned char *buf = read_all(g_path, &len);

    /* Truncated inside the last frame(s): loads what is complete, flagged. The frame index
       (1.3) ends the file: its last 8 bytes are its size and "ATRI". */
    ATR_REQUIRE(len > 16 && memcmp(buf + len - 4, "ATRI", 4) == 0);
    size_t footer = 8 + ((size_t)buf[len - 8] | (size_t)buf[len - 7] << 8 |
                         (size_t)buf[len - 6] << 16 | (size_t)buf[len - 5] << 24);
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load_mem(ix, buf, len - footer - 7, "cut.atr"));
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_CHECK(info.flags & ATR_FILE_TRUNCATED);
    ATR_CHECK(info.flags & ATR_FILE_UNCLOSED);
    ATR_CHECK(info.n_calls >= 50 && info.n_calls <= 100);

    /* Corrupt: a flipped byte in the middle fails cleanly, the index is unchanged. */
    uint64_t before = info.n_calls;
    buf[len / 2] ^= 0x5a;
    buf[len / 2 + 1] ^= 0xa5;
    int rc = atr_index_load_mem(ix, buf, len, "bad.atr");
    ATR_CHECK(rc < 0);
    const char *err = atr_index_error(ix);
    ATR_CHECK(strncmp(err, "bad.atr: ", 9) == 0 && strchr(err, '\n') == NULL);
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_calls, before);
    ATR_CHECK_EQ_INT(info.n_files, 1);
    /* Not a log at all. */
    ATR_CHECK_ERR(atr_index_load_mem(ix, "hello world, not a log", 22, "x"), ATR_EMAGIC);
    ATR_CHECK_ERR(atr_index_load(ix, "/nonexistent/dir/x.atr"), ATR_EOPEN);
    ATR_CHECK(strstr(atr_index_error(ix), "/nonexistent/dir/x.atr") != NULL);
    atr_index_free(ix);
    free(buf);
    remove(g_path);
}

/* ---- hostile but well-formed records; every truncation of a log ---------------------- */

static void test_hostile(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("analysis_hostile.atr", &clock);
    uint32_t f = define(s, "app", "f", 0, NULL);
    uint64_t a = begin(s, f, atr_span_id(5, 77), 100, NULL, 0);          /* parent never started */
    ATR_CHECK_OK(atr_span_return(s, atr_span_id(0, 999999), 150, NULL)); /* unknown span */
    ATR_CHECK_OK(atr_span_return(s, a, 90, NULL));                       /* ends before it starts */
    ATR_CHECK_OK(atr_span_return(s, a, 300, NULL));                      /* second END */
    ATR_CHECK_OK(atr_message(s, atr_span_id(3, 3), 200, S("lost"), NULL, 0));
    clock = 400;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_calls, 1);
    ATR_CHECK(info.flags & ATR_FILE_UNKNOWN_SPANS);
    atr_file_info fi;
    ATR_CHECK_OK(atr_index_file(ix, 0, &fi));
    ATR_CHECK_EQ_INT(fi.n_unknown_spans, 4);
    atr_call_view cv;
    ATR_CHECK_OK(atr_index_call(ix, 0, &cv));
    ATR_CHECK_EQ_INT(cv.parent, ATR_NO_CALL);
    ATR_CHECK_EQ_U64(cv.duration_ns, 0);
    atr_message_view mv;
    ATR_CHECK_OK(atr_index_message(ix, 0, &mv));
    ATR_CHECK_EQ_INT(mv.call, ATR_NO_CALL);
    atr_index_free(ix);

    /* Every prefix of a real log loads or fails cleanly; never more calls than the whole. */
    size_t len = 0;
    unsigned char *buf = read_all(g_path, &len);
    for (size_t cut = 0; cut <= len; cut++) {
        ATR_REQUIRE(atr_index_open(&ix) == 0);
        int rc = atr_index_load_mem(ix, buf, cut, "cut");
        atr_index_get_info(ix, &info);
        if (!ATR_CHECK(rc <= 0 && info.n_calls <= 1))
            fprintf(stderr, "  cut at %zu: rc %d\n", cut, rc);
        if (rc < 0)
            ATR_CHECK(atr_index_error(ix)[0] != '\0');
        atr_index_free(ix);
    }
    free(buf);
    remove(g_path);

    /* A function with more parameters than the index keeps (1024): the rest are dropped. */
    static atr_str names[1100];
    static char nbuf[1100][8];
    static atr_value args[1100];
    for (int i = 0; i < 1100; i++) {
        snprintf(nbuf[i], sizeof nbuf[i], "p%d", i);
        names[i] = S(nbuf[i]);
        args[i] = atr_value_int(i);
    }
    clock = 0;
    s = new_log("analysis_params.atr", &clock);
    atr_function_info wfi;
    memset(&wfi, 0, sizeof wfi);
    wfi.module = S("app");
    wfi.qualname = S("wide");
    wfi.n_params = 1100;
    wfi.params = names;
    uint32_t wide = 0;
    ATR_CHECK_OK(atr_session_define_function(s, &wfi, &wide));
    uint64_t w = begin(s, wide, 0, 10, args, 1100);
    ATR_CHECK_OK(atr_span_return(s, w, 20, NULL));
    ATR_CHECK_OK(atr_session_close(s));
    ix = load_one(g_path);
    atr_function_view fv;
    ATR_CHECK_OK(atr_index_function(ix, 0, &fv));
    ATR_CHECK_EQ_INT(fv.n_params, 1024);
    atr_value v;
    ATR_CHECK_OK(atr_index_value(ix, atr_call_arg(ix, 0, 1023), &v));
    ATR_CHECK_EQ_INT(v.u.i, 1023);
    ATR_CHECK_EQ_INT(atr_call_arg(ix, 0, 1024), ATR_NO_VALUE);
    atr_index_free(ix);
    remove(g_path);
}

/* ---- a parent with children on two threads: children in start order ------------------- */

typedef struct thread_arg {
    atr_session *s;
    uint32_t fn;
    uint64_t parent;
    int rc;
} thread_arg;

/* Records a child of ta->parent on a second thread. No checks here (atr_test.h counters
 * belong to the main thread): failures go to ta->rc. */
static void *other_thread(void *p) {
    thread_arg *ta = p;
    uint64_t sp = 0;
    int rc = atr_thread_set_name(ta->s, "worker", 6);
    if (!rc)
        rc = atr_span_begin(ta->s, ta->fn, ta->parent, 150, NULL, 0, NULL, 0, &sp);
    if (!rc)
        rc = atr_span_return(ta->s, sp, 250, NULL);
    if (!rc)
        rc = atr_session_flush(ta->s);
    ta->rc = rc;
    return NULL;
}

static void test_threads_tree(void) {
    uint64_t clock = 0;
    atr_session *s = new_log("analysis_threads.atr", &clock);
    uint32_t f = define(s, "app", "f", 0, NULL);
    uint64_t p = begin(s, f, 0, 100, NULL, 0);
    uint64_t a1 = begin(s, f, p, 200, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, a1, 300, NULL));
    ATR_CHECK_OK(atr_session_flush(s)); /* main's records first in the file */
    thread_arg ta = {s, f, p, -1};
    pthread_t th;
    int crc = pthread_create(&th, NULL, other_thread, &ta);
    if (crc == 0)
        pthread_join(th, NULL);
    ATR_REQUIRE(crc == 0);
    ATR_CHECK_OK(ta.rc);
    uint64_t a2 = begin(s, f, p, 400, NULL, 0);
    ATR_CHECK_OK(atr_span_return(s, a2, 500, NULL));
    ATR_CHECK_OK(atr_span_return(s, p, 1000, NULL));
    clock = 1000;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_threads, 2);
    ATR_CHECK_EQ_INT(info.n_calls, 4);
    atr_thread_view tv;
    ATR_CHECK_OK(atr_index_thread(ix, 0, &tv));
    ATR_CHECK_EQ_INT(tv.n_roots, 1);
    uint32_t kids[4], nk = 0;
    ATR_CHECK_OK(atr_call_children(ix, tv.first_root, kids, 4, &nk));
    ATR_REQUIRE(nk == 3);
    static const uint64_t starts[] = {150, 200, 400};
    for (uint32_t i = 0; i < 3; i++) {
        atr_call_view cv;
        ATR_CHECK_OK(atr_index_call(ix, kids[i], &cv));
        ATR_CHECK_EQ_U64(cv.start_ns, starts[i]);
        ATR_CHECK_EQ_INT(cv.parent, tv.first_root);
    }
    atr_call_view pv, wv;
    ATR_CHECK_OK(atr_index_call(ix, tv.first_root, &pv));
    ATR_CHECK_EQ_U64(pv.self_ns, 900 - 300); /* children on other threads count too */
    ATR_CHECK_OK(atr_index_call(ix, kids[0], &wv));
    atr_thread_view wt;
    ATR_CHECK_OK(atr_index_thread(ix, wv.thread, &wt));
    ATR_CHECK_EQ_MEM(wt.name.ptr, wt.name.len, "worker", 6);
    check_events(ix);
    ATR_CHECK_EQ_INT(wt.n_roots, 0);
    ATR_CHECK_EQ_INT(wt.n_calls, 1);
    done(ix);
}

/* ---- an empty index answers every question without crashing ------------------------- */

static void test_empty(void) {
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    atr_index_info info;
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_calls, 0);
    atr_stats st;
    ATR_CHECK_OK(atr_stats_function(ix, ATR_ALL_FUNCTIONS, NULL, &st));
    ATR_CHECK_EQ_INT(st.count, 0);
    ATR_CHECK_EQ_INT(st.slowest_call, ATR_NO_CALL);
    ATR_CHECK_ERR(atr_stats_function(ix, 0, NULL, &st), ATR_EINVAL);
    ATR_CHECK_OK(atr_stats_all(ix, NULL, 0));
    atr_query q;
    atr_callset *cs = NULL;
    atr_query_init(&q);
    ATR_CHECK_OK(atr_query_run(ix, &q, &cs));
    ATR_CHECK_EQ_INT(atr_callset_count(cs), 0);
    ATR_CHECK_EQ_INT(atr_callset_get(cs, 0), ATR_NO_CALL);
    atr_callset_free(cs);
    q.function = 3;
    ATR_CHECK_ERR(atr_query_run(ix, &q, &cs), ATR_EINVAL);
    atr_argscore *sc = NULL;
    ATR_CHECK_ERR(atr_argscore_compute(ix, 0, NULL, 0, &sc), ATR_EINVAL);
    atr_events *ev = NULL;
    atr_event e;
    ATR_CHECK_OK(atr_events_open(ix, &ev));
    ATR_CHECK_ERR(atr_events_next(ev, &e), ATR_EOF);
    ATR_CHECK_ERR(atr_events_prev(ev, &e), ATR_EOF);
    atr_events_close(ev);
    uint32_t fn, n = 9;
    ATR_CHECK_ERR(atr_index_find_function(ix, "f", &fn, NULL, 0, &n), ATR_ENOTFOUND);
    ATR_CHECK_EQ_INT(n, 0);
    atr_call_view cv;
    ATR_CHECK_ERR(atr_index_call(ix, 0, &cv), ATR_EINVAL);
    ATR_CHECK_EQ_INT(atr_call_arg(ix, 0, 0), ATR_NO_VALUE);
    ATR_CHECK_EQ_STR(atr_index_error(ix), "");
    atr_index_free(ix);
    atr_index_free(NULL);
    atr_filter_free(NULL);
    atr_callset_free(NULL);
    atr_argscore_free(NULL);
    atr_events_close(NULL);
}

int main(void) {
    test_empty();
    test_merge();
    test_threads_tree();
    test_damaged();
    test_hostile();
    ATR_TEST_MAIN_END();
}
