/*
 * Rotation, sampling and recording on/off in the writer (rotate.c, toggle.c), read back
 * through the reader and the analysis: each file of a rotated log decodes alone (header,
 * PROCESS with its part, its own definitions), the set loads as one log with no call lost
 * and a call spanning files whole; sampling records whole trees at the rate; a pause
 * records nothing and the log says so. Times come from an injected clock.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argtrace/atr.h"
#include "atr_test.h"

static char g_dir[512], g_path[600];
static _Atomic uint64_t g_now = 1000; /* read by the threads and the flusher (END_OF_LOG) */

static uint64_t tick(void *ctx) {
    (void)ctx;
    return atomic_fetch_add(&g_now, 10) + 10;
}

static atr_session *open_session(uint64_t max_bytes, uint32_t keep, double rate) {
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_writer_config_init(&cfg);
    cfg.path = g_path;
    cfg.clock = tick;
    cfg.flush_interval_ms = 1;
    cfg.max_file_bytes = max_bytes;
    cfg.keep_files = keep;
    cfg.sample_rate = rate;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    return s;
}

static uint32_t define(atr_session *s, const char *name) {
    atr_str param = {"i", 1};
    atr_function_info fi;
    uint32_t id = 0;
    memset(&fi, 0, sizeof fi);
    fi.module.ptr = "m";
    fi.module.len = 1;
    fi.qualname.ptr = name;
    fi.qualname.len = strlen(name);
    fi.n_params = 1;
    fi.params = &param;
    ATR_REQUIRE(atr_session_define_function(s, &fi, &id) == 0);
    return id;
}

/* One call of `fn` with an int argument under parent; returns its span id. */
static uint64_t call(atr_session *s, uint32_t fn, uint64_t parent, int64_t i) {
    atr_value v = atr_value_int(i);
    uint64_t span = 0;
    atr_span_begin(s, fn, parent, ATR_NOW, &v, 1, NULL, 0, &span);
    atr_span_return(s, span, ATR_NOW, &v);
    return span;
}

static uint64_t file_calls(const char *path, uint32_t *part) {
    atr_reader *r = NULL;
    atr_record rec;
    uint64_t n = 0;
    int first = 1;
    ATR_REQUIRE(atr_reader_open(path, &r) == 0);
    while (atr_reader_next(r, &rec) == 0) {
        if (first) {
            ATR_CHECK_EQ_INT(rec.kind, ATR_REC_PROCESS);
            *part = (uint32_t)rec.u.process.part;
            first = 0;
        }
        n += rec.kind == ATR_REC_START;
    }
    ATR_CHECK(atr_reader_closed_cleanly(r)); /* every file ends with END_OF_LOG */
    atr_reader_close(r);
    return n;
}

static void test_rotation(void) {
    atr_session *s = open_session(4096, 0, 1.0);
    uint32_t top = define(s, "top"), leaf = define(s, "leaf");
    uint64_t outer = 0, n_leaf = 0;
    atr_value v = atr_value_int(0);
    ATR_REQUIRE(atr_span_begin(s, top, 0, ATR_NOW, &v, 1, NULL, 0, &outer) == 0);
    for (int i = 0; i < 20000; i++) {
        call(s, leaf, outer, i);
        n_leaf++;
        if (i % 500 == 0)
            usleep(3000); /* flush cycles run: the file fills and rotates */
    }
    atr_span_return(s, outer, ATR_NOW, NULL);
    ATR_CHECK_OK(atr_session_close(s));

    const char *given[] = {g_path};
    char **files = NULL;
    uint32_t n = 0, part = 99;
    uint64_t starts = 0;
    ATR_REQUIRE(atr_logset_expand(given, 1, &files, &n) == 0);
    ATR_CHECK(n >= 3);
    for (uint32_t k = 0; k < n; k++) {
        starts += file_calls(files[k], &part);
        ATR_CHECK_EQ_INT(part, k); /* in part order */
    }
    ATR_CHECK_EQ_U64(starts, n_leaf + 1); /* each call starts in exactly one file */
    atr_logset_free(files, n);

    atr_index *ix = NULL;
    atr_index_info info;
    atr_file_info fi;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load_set(ix, given, 1));
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_INT(info.n_files, 1);
    ATR_CHECK_EQ_U64(info.n_calls, n_leaf + 1);
    ATR_CHECK_EQ_U64(info.n_unfinished, 0);
    ATR_CHECK((info.flags & ATR_FILE_UNKNOWN_SPANS) == 0);
    ATR_REQUIRE(atr_index_file(ix, 0, &fi) == 0);
    ATR_CHECK_EQ_INT(fi.n_parts, n);
    uint32_t n_children = 0;
    ATR_CHECK_OK(atr_call_children(ix, 0, NULL, 0, &n_children));
    ATR_CHECK_EQ_U64(n_children, n_leaf); /* the outer call, whole across the files */
    atr_index_free(ix);
}

static void test_keep(void) {
    atr_session *s = open_session(4096, 2, 1.0);
    uint32_t top = define(s, "top");
    for (int i = 0; i < 20000; i++) {
        call(s, top, 0, i);
        if (i % 500 == 0)
            usleep(3000);
    }
    ATR_CHECK_OK(atr_session_close(s));
    const char *given[] = {g_path};
    char **files = NULL;
    uint32_t n = 0, part = 0;
    ATR_REQUIRE(atr_logset_expand(given, 1, &files, &n) == 0);
    ATR_CHECK_EQ_INT(n, 2);
    if (n == 2) {
        uint32_t p0 = 0;
        file_calls(files[0], &p0);
        file_calls(files[1], &part);
        ATR_CHECK(p0 >= 1 && part == p0 + 1);
    }
    atr_logset_free(files, n);
    ATR_CHECK(access(g_path, F_OK) != 0); /* part 0 is gone */
}

static void test_sampling_and_pause(void) {
    atr_session *s = open_session(0, 0, 0.25);
    uint32_t top = define(s, "top"), leaf = define(s, "leaf");
    for (int i = 0; i < 100; i++) {
        atr_value v = atr_value_int(i);
        uint64_t span = 0;
        atr_span_begin(s, top, 0, ATR_NOW, &v, 1, NULL, 0, &span);
        ATR_CHECK_EQ_INT(atr_span_skipped(span), i % 4 != 0); /* the first, then every 4th */
        call(s, leaf, span, i);                               /* the subtree follows */
        atr_span_return(s, span, ATR_NOW, NULL);
    }
    ATR_CHECK_OK(atr_session_set_recording(s, 0));
    uint64_t gated = atr_span_gate(s, 0);
    ATR_CHECK(atr_span_skipped(gated));
    call(s, top, 0, -1);
    ATR_CHECK_OK(atr_message(s, 0, ATR_NOW, (atr_str){"dropped", 7}, NULL, 0));
    ATR_CHECK_OK(atr_session_set_recording(s, 1));
    ATR_CHECK_EQ_U64(atr_span_gate(s, 0), 0); /* the next root is recorded (count: 101st) */
    call(s, top, 0, 100);
    ATR_CHECK_OK(atr_session_close(s));

    atr_index *ix = NULL;
    atr_index_info info;
    atr_file_info fi;
    atr_stats st;
    const char *given[] = {g_path};
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load_set(ix, given, 1));
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_U64(info.n_calls, 25 * 2 + 1);
    ATR_CHECK_EQ_U64(info.n_messages, 0);
    ATR_REQUIRE(atr_index_file(ix, 0, &fi) == 0);
    ATR_CHECK(fi.flags & ATR_FILE_SAMPLED);
    ATR_CHECK_EQ_DBL(fi.sample_rate, 0.25);
    ATR_CHECK_EQ_U64(fi.n_pauses, 1);
    ATR_CHECK(fi.paused_ns > 0);
    ATR_CHECK_OK(atr_stats_function(ix, 0, NULL, &st)); /* top */
    ATR_CHECK_EQ_U64(st.count, 26);
    ATR_CHECK_EQ_U64(st.est_count, 104);
    ATR_CHECK_EQ_U64(st.est_total_ns, st.total_ns * 4);
    ATR_CHECK(st.sampled);
    atr_index_free(ix);
}

typedef struct worker_arg {
    atr_session *s;
    uint32_t fn;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    for (int i = 0; i < 5000; i++) {
        call(a->s, a->fn, 0, i);
        if (i % 500 == 0)
            usleep(2000);
    }
    return NULL;
}

/* Threads switch to the next file on their own next record (one of them idle meanwhile):
   no call is lost and none names an unknown span. */
static void test_threads(void) {
    atr_session *s = open_session(4096, 0, 1.0);
    worker_arg a = {s, define(s, "w")};
    pthread_t t[4];
    call(s, a.fn, 0, -1); /* the main thread records once, then idles across rotations */
    for (int i = 0; i < 4; i++)
        ATR_REQUIRE(pthread_create(&t[i], NULL, worker, &a) == 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    call(s, a.fn, 0, -2);
    ATR_CHECK_OK(atr_session_close(s));
    const char *given[] = {g_path};
    atr_index *ix = NULL;
    atr_index_info info;
    atr_file_info fi;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_load_set(ix, given, 1));
    atr_index_get_info(ix, &info);
    ATR_CHECK_EQ_U64(info.n_calls, 4 * 5000 + 2);
    ATR_CHECK((info.flags & (ATR_FILE_UNKNOWN_SPANS | ATR_FILE_DROPS)) == 0);
    ATR_REQUIRE(atr_index_file(ix, 0, &fi) == 0);
    ATR_CHECK(fi.n_parts >= 3);
    atr_index_free(ix);
}

static void test_bad_config(void) {
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_writer_config_init(&cfg);
    cfg.path = g_path;
    cfg.max_file_bytes = 100;
    ATR_CHECK_ERR(atr_session_open(&cfg, &s), ATR_EINVAL);
    cfg.max_file_bytes = 0;
    cfg.sample_rate = 0;
    ATR_CHECK_ERR(atr_session_open(&cfg, &s), ATR_EINVAL);
    cfg.sample_rate = 1.5;
    ATR_CHECK_ERR(atr_session_open(&cfg, &s), ATR_EINVAL);
    ATR_CHECK_ERR(atr_toggle_install(SIGKILL, 1), ATR_EINVAL);
    ATR_CHECK_ERR(atr_toggle_install(0, 1), ATR_EINVAL);
}

int main(void) {
    const char *tmp = getenv("ATR_TEST_TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/rotate.%d", tmp ? tmp : "/tmp", (int)getpid());
    ATR_REQUIRE(mkdir(g_dir, 0700) == 0);
    snprintf(g_path, sizeof g_path, "%s/app.atr", g_dir);
    test_rotation();
    snprintf(g_path, sizeof g_path, "%s/keep.atr", g_dir);
    test_keep();
    snprintf(g_path, sizeof g_path, "%s/sampled.atr", g_dir);
    test_sampling_and_pause();
    snprintf(g_path, sizeof g_path, "%s/threads.atr", g_dir);
    test_threads();
    test_bad_config();
    ATR_TEST_MAIN_END();
}
