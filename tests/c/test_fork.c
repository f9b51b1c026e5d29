/*
 * Fork: a child forked inside a span writes its own new log "<stem>.<pid>.<8 hex>.atr" (a
 * name that cannot be planted in advance) linked to the
 * parent's log (parent_uid) and span (parent_span); bytes the parent had buffered at the fork
 * appear once, in the parent's log only; the child's log holds the child's records only.
 * ATR_FORK_STOP children record nothing; a child that records nothing creates no file.
 */
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "argtrace/atr.h"
#include "atr_test.h"

static char g_path[512];

static atr_str S(const char *p) {
    atr_str s;
    s.ptr = p;
    s.len = strlen(p);
    return s;
}

static void child_path(char *out, size_t size, pid_t pid) {
    atr_test_child_log(out, size, g_path, (long)pid);
}

/* The name a child log had before it got a random part: never created now. */
static void old_child_path(char *out, size_t size, pid_t pid) {
    size_t n = strlen(g_path) - 4;
    snprintf(out, size, "%.*s.%ld.atr", (int)n, g_path, (long)pid);
}

typedef struct counts {
    int process, function, thread, start, end, message, sync, end_of_log;
    uint64_t pid, uid, parent_uid, parent_span, sync_seq;
    uint64_t start_span[8], start_parent[8], end_span[8];
    char text[8][16];
} counts;

static int read_log(const char *path, counts *c) {
    atr_reader *r;
    atr_record rec;
    int rc;
    memset(c, 0, sizeof *c);
    if (atr_reader_open(path, &r) != 0)
        return -1;
    while ((rc = atr_reader_next(r, &rec)) == 0) {
        switch (rec.kind) {
        case ATR_REC_PROCESS:
            c->process++;
            c->pid = (uint64_t)rec.u.process.pid;
            c->uid = rec.u.process.uid;
            c->parent_uid = rec.u.process.parent_uid;
            c->parent_span = rec.u.process.parent_span;
            break;
        case ATR_REC_FUNCTION:
            c->function++;
            break;
        case ATR_REC_THREAD:
            c->thread++;
            break;
        case ATR_REC_START:
            if (c->start < 8) {
                c->start_span[c->start] = rec.u.start.span;
                c->start_parent[c->start] = rec.u.start.parent;
            }
            c->start++;
            break;
        case ATR_REC_END:
            if (c->end < 8)
                c->end_span[c->end] = rec.u.end.span;
            c->end++;
            break;
        case ATR_REC_MESSAGE:
            if (c->message < 8)
                snprintf(c->text[c->message], sizeof c->text[0], "%.*s",
                         (int)rec.u.message.text.len, rec.u.message.text.ptr);
            c->message++;
            break;
        case ATR_REC_SYNC:
            c->sync++;
            c->sync_seq = rec.u.sync.last_seq;
            break;
        case ATR_REC_END_OF_LOG:
            c->end_of_log++;
            break;
        default:
            break;
        }
    }
    if (rc != ATR_EOF)
        fprintf(stderr, "reader: %s\n", atr_reader_error(r));
    atr_reader_close(r);
    return rc == ATR_EOF ? 0 : -1;
}

/* A second thread that records, then stays inside a span until told to finish. */
typedef struct helper {
    atr_session *s;
    uint32_t f;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready, done;
} helper;

static void *helper_main(void *arg) {
    helper *h = arg;
    uint64_t sp;
    atr_thread_set_name(h->s, "helper", 6);
    atr_span_begin(h->s, h->f, 0, ATR_NOW, NULL, 0, NULL, 0, &sp);
    pthread_mutex_lock(&h->mu);
    h->ready = 1;
    pthread_cond_broadcast(&h->cv);
    while (!h->done)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
    atr_span_return(h->s, sp, ATR_NOW, NULL);
    return NULL;
}

static void test_follow(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_function_info fi;
    uint64_t a, b, c_span = 0;
    uint32_t f;
    char cpath[600];
    pid_t pid;
    int status = 0;
    counts pc, cc;
    helper h;
    pthread_t helper_tid;

    atr_writer_config_init(&cfg);
    cfg.path = g_path;
    cfg.flush_interval_ms = 3600 * 1000; /* nothing is flushed before the fork */
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    memset(&fi, 0, sizeof fi);
    fi.qualname = S("f");
    ATR_REQUIRE(atr_session_define_function(s, &fi, &f) == 0);
    ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &a));
    ATR_CHECK_OK(atr_span_begin(s, f, a, ATR_NOW, NULL, 0, NULL, 0, &b));
    ATR_CHECK_OK(atr_span_return(s, b, ATR_NOW, NULL));
    ATR_CHECK_OK(atr_message(s, a, ATR_NOW, S("parent-before"), NULL, 0));
    h.s = s;
    h.f = f;
    h.ready = h.done = 0;
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cv, NULL);
    ATR_REQUIRE(pthread_create(&helper_tid, NULL, helper_main, &h) == 0);
    pthread_mutex_lock(&h.mu);
    while (!h.ready)
        pthread_cond_wait(&h.cv, &h.mu);
    pthread_mutex_unlock(&h.mu);

    pid = fork();
    ATR_REQUIRE(pid >= 0);
    if (pid == 0) {
        char want[600];
        int code = 0;
        if (atr_span_begin(s, f, a, ATR_NOW, NULL, 0, NULL, 0, &c_span) != 0)
            code |= 1;
        if (atr_message(s, c_span, ATR_NOW, S("child"), NULL, 0) != 0)
            code |= 2;
        if (atr_span_return(s, c_span, ATR_NOW, NULL) != 0)
            code |= 4;
        if (atr_span_return(s, a, ATR_NOW, NULL) != 0) /* begun in the parent */
            code |= 8;
        child_path(want, sizeof want, getpid()); /* the file exists by now */
        if (strcmp(atr_session_path(s), want) != 0)
            code |= 16;
        if (atr_session_close(s) != 0)
            code |= 32;
        _exit(code);
    }
    ATR_REQUIRE(waitpid(pid, &status, 0) == pid);
    ATR_CHECK(WIFEXITED(status));
    ATR_CHECK_EQ_INT(WEXITSTATUS(status), 0);
    pthread_mutex_lock(&h.mu);
    h.done = 1;
    pthread_cond_broadcast(&h.cv);
    pthread_mutex_unlock(&h.mu);
    pthread_join(helper_tid, NULL);
    ATR_CHECK_OK(atr_message(s, a, ATR_NOW, S("parent-after"), NULL, 0));
    ATR_CHECK_OK(atr_span_return(s, a, ATR_NOW, NULL));
    ATR_CHECK_OK(atr_session_close(s));

    /* Parent: its own records, each once. */
    ATR_REQUIRE(read_log(g_path, &pc) == 0);
    ATR_CHECK_EQ_INT(pc.process, 1);
    ATR_CHECK_EQ_U64(pc.parent_uid, 0);
    ATR_CHECK_EQ_INT(pc.start, 3); /* a, b and the helper's */
    ATR_CHECK_EQ_INT(pc.end, 3);
    ATR_CHECK_EQ_INT(pc.thread, 2);
    ATR_CHECK_EQ_INT(pc.message, 2);
    ATR_CHECK_EQ_STR(pc.text[0], "parent-before");
    ATR_CHECK_EQ_STR(pc.text[1], "parent-after");
    ATR_CHECK_EQ_U64(pc.start_span[0], a);
    ATR_CHECK_EQ_U64(pc.start_span[1], b);
    ATR_CHECK_EQ_INT(pc.end_of_log, 1);

    /* Child: linked to the parent, its own records only. */
    old_child_path(cpath, sizeof cpath, pid);
    ATR_CHECK(access(cpath, F_OK) != 0);
    child_path(cpath, sizeof cpath, pid);
    ATR_REQUIRE(read_log(cpath, &cc) == 0);
    ATR_CHECK_EQ_INT(cc.process, 1);
    ATR_CHECK_EQ_U64(cc.pid, (uint64_t)pid);
    ATR_CHECK_EQ_U64(cc.parent_uid, pc.uid);
    ATR_CHECK_EQ_U64(cc.parent_span, a);
    ATR_CHECK(cc.uid != pc.uid);
    ATR_CHECK_EQ_INT(cc.function, 1); /* definitions made before the fork are repeated */
    ATR_CHECK_EQ_INT(cc.thread, 1);
    ATR_CHECK_EQ_INT(cc.sync, 1);
    ATR_CHECK_EQ_U64(cc.sync_seq, 2); /* the child's span numbers continue after the parent's */
    ATR_CHECK_EQ_INT(cc.start, 1);
    ATR_CHECK_EQ_U64(cc.start_span[0], atr_span_id(0, 3));
    ATR_CHECK_EQ_U64(atr_span_seq(cc.start_parent[0]), 1); /* an unknown span to the reader */
    ATR_CHECK_EQ_INT(cc.end, 2);
    ATR_CHECK_EQ_U64(cc.end_span[0], atr_span_id(0, 3));
    ATR_CHECK_EQ_INT(cc.message, 1);
    ATR_CHECK_EQ_STR(cc.text[0], "child");
    ATR_CHECK_EQ_INT(cc.end_of_log, 1);
    unlink(cpath);
}

/* A FOLLOW child that records nothing creates no log; a STOP child records nothing. */
static void test_quiet_and_stop(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_function_info fi;
    uint64_t a;
    uint32_t f;
    char cpath[600];
    int mode, status = 0;
    for (mode = ATR_FORK_FOLLOW; mode <= ATR_FORK_STOP; mode++) {
        pid_t pid;
        counts pc;
        atr_writer_config_init(&cfg);
        cfg.path = g_path;
        cfg.fork_mode = mode;
        ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
        memset(&fi, 0, sizeof fi);
        fi.qualname = S("g");
        ATR_REQUIRE(atr_session_define_function(s, &fi, &f) == 0);
        ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &a));
        pid = fork();
        ATR_REQUIRE(pid >= 0);
        if (pid == 0) {
            int code = 0;
            if (mode == ATR_FORK_STOP) {
                uint64_t sp = 99;
                if (atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &sp) != ATR_ESTATE ||
                    sp != 0)
                    code |= 1;
                if (atr_span_return(s, a, ATR_NOW, NULL) != ATR_ESTATE)
                    code |= 2;
                if (atr_session_flush(s) != ATR_ESTATE)
                    code |= 4;
            }
            if (atr_session_close(s) != 0)
                code |= 8;
            _exit(code);
        }
        ATR_REQUIRE(waitpid(pid, &status, 0) == pid);
        ATR_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ATR_CHECK_OK(atr_span_return(s, a, ATR_NOW, NULL));
        ATR_CHECK_OK(atr_session_close(s));
        child_path(cpath, sizeof cpath, pid);
        ATR_CHECK(access(cpath, F_OK) != 0);
        ATR_REQUIRE(read_log(g_path, &pc) == 0);
        ATR_CHECK_EQ_INT(pc.start, 1);
        ATR_CHECK_EQ_INT(pc.end, 1);
    }
}

/* Threads of this process (/proc/self/task; -1 where there is none). */
static int n_threads(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Threads:", 8) == 0)
            n = atoi(line + 8);
    if (f)
        fclose(f);
    return n;
}

/*
 * atr_flushers_pause/resume (os.register_at_fork's before and after_in_parent in the
 * Python binding): no writer thread between the two, nothing recorded lost. Variants: the
 * writer started again by resume; the session closed while its writer is stopped; records
 * that fill every buffer meanwhile (the thread that needs room starts the writer itself:
 * resume may come late, CPython 3.13+ calling it once os.fork() has returned).
 */
static void test_pause_resume(void) {
    atr_writer_config cfg;
    atr_session *s;
    atr_function_info fi;
    uint32_t f;
    counts c;
    for (int variant = 0; variant < 3; variant++) {
        int n_paused = variant == 2 ? 20000 : 3;
        atr_writer_config_init(&cfg);
        cfg.path = g_path;
        cfg.buffer_size = 4096;
        cfg.max_pending_bytes = 4096;
        cfg.max_value_bytes = 1024;
        ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
        memset(&fi, 0, sizeof fi);
        fi.qualname = S("p");
        ATR_REQUIRE(atr_session_define_function(s, &fi, &f) == 0);
        int before = n_threads();
        for (int i = 0; i < 3; i++) {
            uint64_t a;
            ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &a));
            ATR_CHECK_OK(atr_span_return(s, a, ATR_NOW, NULL));
        }
        ATR_CHECK_EQ_INT(atr_flushers_pause(), 1);
        if (before > 0)
            ATR_CHECK_EQ_INT(n_threads(), before - 1);
        for (int i = 0; i < n_paused; i++) {
            uint64_t a;
            ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &a));
            ATR_CHECK_OK(atr_span_return(s, a, ATR_NOW, NULL));
        }
        if (variant == 2 && before > 0) /* started by the thread that needed room */
            ATR_CHECK_EQ_INT(n_threads(), before);
        if (variant == 0) {
            ATR_CHECK_OK(atr_flushers_resume());
            if (before > 0)
                ATR_CHECK_EQ_INT(n_threads(), before);
            ATR_CHECK_OK(atr_session_flush(s));
        }
        atr_drop_stats d;
        ATR_CHECK_OK(atr_session_drops(s, &d));
        ATR_CHECK_EQ_INT(d.records, 0);
        ATR_CHECK_OK(atr_session_close(s));
        ATR_CHECK_OK(atr_flushers_resume()); /* nothing left to start */
        ATR_REQUIRE(read_log(g_path, &c) == 0);
        ATR_CHECK_EQ_INT(c.start, 3 + n_paused);
        ATR_CHECK_EQ_INT(c.end, 3 + n_paused);
        ATR_CHECK_EQ_INT(c.end_of_log, 1);
    }
}

#if defined(__SANITIZE_THREAD__)
#define ATR_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ATR_UNDER_TSAN 1
#endif
#endif

int main(void) {
#ifdef ATR_UNDER_TSAN
    /* TSan cannot start threads in the child of a multi-threaded fork (the flusher). */
    fputs("skipped under ThreadSanitizer\n", stderr);
    return 0;
#endif
    atr_test_tmpfile(g_path, sizeof g_path - 4, "test_fork");
    strcat(g_path, ".atr");
    test_follow();
    test_quiet_and_stop();
    test_pause_resume();
    unlink(g_path);
    ATR_TEST_MAIN_END();
}
