/*
 * Threads: 8 threads x 100,000 spans (begin + end, two int args) read back with exact counts
 * per thread and correct parent links (relative within a thread, absolute across threads);
 * threads that exit before close, and new threads after them (numbers never reused).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "argtrace/atr.h"
#include "atr_test.h"

#define N_THREADS 8
#define N_SPANS 100000u /* per thread, a multiple of GROUP */
#define GROUP 10u       /* an outer span with GROUP - 1 children */
#define N_LATE 4        /* short-lived threads started after the first ones exited */
#define LATE_SPANS 10u
#define MAX_THREADS (N_THREADS + N_LATE + 1)

static char g_path[512];
static atr_session *g_s;
static uint32_t g_func;
static uint64_t g_root; /* a span of the main thread: parent of every outer span */
static atomic_uint_fast64_t g_clock;
static atomic_int g_errors;

static uint64_t shared_clock(void *ctx) {
    (void)ctx;
    return atomic_fetch_add(&g_clock, 1);
}

static void *worker(void *arg) {
    uint32_t n = (uint32_t)(uintptr_t)arg, i;
    uint64_t outer = 0, sp;
    atr_value args[2];
    char name[32];
    int len = snprintf(name, sizeof name, "worker-%u", n);
    if (atr_thread_set_name(g_s, name, (size_t)len) != 0)
        atomic_fetch_add(&g_errors, 1);
    for (i = 0; i < n; i++) {
        int rc;
        args[0] = atr_value_int((int64_t)i);
        args[1] = atr_value_int(-(int64_t)(i % 100));
        if (i % GROUP == 0) {
            rc = atr_span_begin(g_s, g_func, g_root, ATR_NOW, args, 2, NULL, 0, &outer);
            sp = outer;
        } else {
            rc = atr_span_begin(g_s, g_func, outer, ATR_NOW, args, 2, NULL, 0, &sp);
        }
        if (rc != 0)
            atomic_fetch_add(&g_errors, 1);
        if (i % GROUP != 0 || GROUP == 1)
            rc = atr_span_return(g_s, sp, ATR_NOW, &args[0]);
        if (rc != 0)
            atomic_fetch_add(&g_errors, 1);
        if (i % GROUP == GROUP - 1 && atr_span_return(g_s, outer, ATR_NOW, NULL) != 0)
            atomic_fetch_add(&g_errors, 1);
    }
    return NULL;
}

typedef struct per_thread {
    uint64_t starts, ends, bad_parent, bad_end, os_tid;
    uint8_t *ended; /* by sequence number */
} per_thread;

int main(void) {
    atr_writer_config cfg;
    pthread_t tids[N_THREADS + N_LATE];
    per_thread pt[MAX_THREADS];
    atr_function_info fi;
    atr_str params[2] = {{"i", 1}, {"m", 1}};
    atr_reader *r;
    atr_record rec;
    uint32_t i, n_threads_seen = 0;
    uint64_t sp, total_starts = 0;
    int rc;

    atr_test_tmpfile(g_path, sizeof g_path, "test_threads.atr");
    atr_writer_config_init(&cfg);
    cfg.path = g_path;
    cfg.clock = shared_clock;
    cfg.buffer_size = 64 << 10; /* many buffer handoffs */
    cfg.max_pending_bytes = 256 << 10;
    ATR_REQUIRE(atr_session_open(&cfg, &g_s) == 0);
    memset(&fi, 0, sizeof fi);
    fi.qualname.ptr = "work";
    fi.qualname.len = 4;
    fi.n_params = 2;
    fi.params = params;
    ATR_REQUIRE(atr_session_define_function(g_s, &fi, &g_func) == 0);
    ATR_REQUIRE(atr_span_begin(g_s, g_func, 0, ATR_NOW, NULL, 0, NULL, 0, &g_root) == 0);

    for (i = 0; i < N_THREADS; i++)
        ATR_REQUIRE(pthread_create(&tids[i], NULL, worker, (void *)(uintptr_t)N_SPANS) == 0);
    for (i = 0; i < N_THREADS; i++)
        pthread_join(tids[i], NULL);
    /* These threads exited; later ones get new numbers. */
    ATR_CHECK_OK(atr_session_flush(g_s));
    for (i = 0; i < N_LATE; i++)
        ATR_REQUIRE(
            pthread_create(&tids[N_THREADS + i], NULL, worker, (void *)(uintptr_t)LATE_SPANS) == 0);
    for (i = 0; i < N_LATE; i++)
        pthread_join(tids[N_THREADS + i], NULL);
    ATR_CHECK_OK(atr_span_return(g_s, g_root, ATR_NOW, NULL));
    ATR_CHECK_EQ_INT(atomic_load(&g_errors), 0);
    ATR_CHECK_OK(atr_session_close(g_s));

    memset(pt, 0, sizeof pt);
    for (i = 0; i < MAX_THREADS; i++)
        pt[i].ended = calloc(N_SPANS + 2, 1);
    ATR_REQUIRE(atr_reader_open(g_path, &r) == 0);
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        per_thread *p;
        uint64_t seq;
        if (rec.kind == ATR_REC_DROPS) {
            ATR_CHECK_EQ_U64(rec.u.drops.records + rec.u.drops.oversize, 0);
            continue;
        }
        if (rec.kind != ATR_REC_START && rec.kind != ATR_REC_END && rec.kind != ATR_REC_THREAD)
            continue;
        if (!ATR_CHECK(rec.thread < MAX_THREADS))
            break;
        p = &pt[rec.thread];
        if (rec.kind == ATR_REC_THREAD) {
            ATR_CHECK_EQ_U64(p->os_tid, 0); /* one THREAD record per thread */
            p->os_tid = rec.u.thread.os_tid;
            n_threads_seen++;
        } else if (rec.kind == ATR_REC_START) {
            uint64_t want;
            seq = atr_span_seq(rec.u.start.span);
            p->starts++;
            ATR_CHECK_EQ_INT(atr_span_thread(rec.u.start.span), rec.thread);
            ATR_CHECK_EQ_U64(seq, p->starts);
            if (rec.thread == 0)
                want = 0;
            else if ((seq - 1) % GROUP == 0)
                want = g_root;
            else
                want = atr_span_id(rec.thread, seq - (seq - 1) % GROUP);
            if (rec.u.start.parent != want)
                p->bad_parent++;
            if (rec.thread &&
                (rec.u.start.n_args != 2 || rec.u.start.args[0].u.i != (int64_t)(seq - 1)))
                p->bad_parent++;
        } else {
            seq = atr_span_seq(rec.u.end.span);
            p->ends++;
            if (atr_span_thread(rec.u.end.span) != rec.thread || seq == 0 || seq > p->starts ||
                seq > N_SPANS || p->ended[seq]++)
                p->bad_end++;
        }
    }
    ATR_CHECK_ERR(rc, ATR_EOF);
    ATR_CHECK(atr_reader_closed_cleanly(r));
    atr_reader_close(r);

    ATR_CHECK_EQ_INT(n_threads_seen, MAX_THREADS);
    ATR_CHECK_EQ_U64(pt[0].starts, 1);
    ATR_CHECK_EQ_U64(pt[0].ends, 1);
    for (i = 1; i < MAX_THREADS; i++) {
        uint64_t want = i <= N_THREADS ? N_SPANS : LATE_SPANS;
        ATR_CHECK_EQ_U64(pt[i].starts, want);
        ATR_CHECK_EQ_U64(pt[i].ends, want);
        ATR_CHECK_EQ_U64(pt[i].bad_parent, 0);
        ATR_CHECK_EQ_U64(pt[i].bad_end, 0);
        ATR_CHECK(pt[i].os_tid != 0);
        total_starts += pt[i].starts;
    }
    ATR_CHECK_EQ_U64(total_starts, (uint64_t)N_THREADS * N_SPANS + N_LATE * LATE_SPANS);
    for (i = 0; i < MAX_THREADS; i++)
        free(pt[i].ended);
    (void)sp;
    unlink(g_path);
    ATR_TEST_MAIN_END();
}
