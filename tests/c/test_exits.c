/*
 * Writer behaviour at the edges of a process's life: a log that stops taking bytes (a FIFO
 * nobody reads) never blocks a producer or close() for long and the loss is counted; a
 * fatal signal with its default action flushes first and still kills with that signal; the
 * flusher does not keep a process alive once every other thread has gone.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "argtrace/atr.h"
#include "atr_test.h"

static char g_path[512];

static atr_str S(const char *p) {
    atr_str s;
    s.ptr = p;
    s.len = strlen(p);
    return s;
}

static uint32_t define(atr_session *s) {
    atr_function_info fi;
    static const atr_str params[1] = {{"a", 1}};
    uint32_t id = 0;
    memset(&fi, 0, sizeof fi);
    fi.qualname = S("f");
    fi.n_params = 1;
    fi.params = params;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &id));
    return id;
}

/* A child that ended on its own with status 0. Under ASan, LeakSanitizer changes the status
   of a child that ends with its session still open on purpose (the process ends where it
   would untraced, without closing): then only "it ended" is checked. */
#if defined(__SANITIZE_ADDRESS__)
#define ATR_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATR_UNDER_ASAN 1
#endif
#endif
static int exited_ok(int status) {
    if (!WIFEXITED(status))
        return 0;
#ifdef ATR_UNDER_ASAN
    return 1;
#endif
    return WEXITSTATUS(status) == 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_starts(const char *path, int *closed) {
    atr_reader *r;
    atr_record rec;
    int n = 0;
    *closed = 0;
    if (atr_reader_open(path, &r) != 0)
        return -1;
    while (atr_reader_next(r, &rec) == 0) {
        n += rec.kind == ATR_REC_START;
        *closed |= rec.kind == ATR_REC_END_OF_LOG;
    }
    atr_reader_close(r);
    return n;
}

/* ---- a log nobody reads ------------------------------------------------------------------ */

typedef struct hooks {
    int begun, ended;
    char *scribble; /* overwritten by block_begin: the record must be encoded before */
} hooks;

static void *on_block(void *ctx) {
    hooks *h = ctx;
    h->begun++;
    memset(h->scribble, '#', 64);
    return h;
}

static void on_unblock(void *ctx, void *token) {
    hooks *h = ctx;
    if (token == h)
        h->ended++;
}

static void test_stalled_fifo(void) {
    char fifo[600], text[64];
    atr_writer_config cfg;
    atr_session *s = NULL;
    atr_drop_stats st;
    hooks h = {0, 0, text};
    uint64_t sp;
    uint32_t f, i;
    int reader, rc;
    double t0, waited;
    snprintf(fifo, sizeof fifo, "%s.fifo", g_path);
    unlink(fifo);
    ATR_REQUIRE(mkfifo(fifo, 0600) == 0);
    reader = open(fifo, O_RDONLY | O_NONBLOCK); /* opened, never read */
    ATR_REQUIRE(reader >= 0);
    atr_writer_config_init(&cfg);
    cfg.path = fifo;
    cfg.buffer_size = 4096;
    cfg.max_pending_bytes = 4096;
    cfg.max_value_bytes = 1000;
    cfg.block_timeout_ms = 50;
    cfg.sink_timeout_ms = 200;
    cfg.block_begin = on_block;
    cfg.block_end = on_unblock;
    cfg.block_ctx = &h;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    f = define(s);
    t0 = now_s();
    for (i = 0; i < 20000; i++) {
        atr_value v;
        memset(text, 'a' + (int)(i % 26), sizeof text);
        v = atr_value_strn(text, sizeof text);
        rc = atr_span_begin(s, f, 0, ATR_NOW, &v, 1, NULL, 0, &sp);
        ATR_CHECK(rc == 0 || rc == ATR_EDROPPED);
        atr_span_return(s, sp, ATR_NOW, NULL);
    }
    waited = now_s() - t0;
    ATR_CHECK(h.begun > 0);
    ATR_CHECK_EQ_INT(h.begun, h.ended);
    /* bounded: a wait at a time, then drops until the flusher moves again (orders of
       magnitude: 20,000 unbounded waits would take hours) */
    ATR_CHECK(waited < 60.0);
    ATR_CHECK_OK(atr_session_drops(s, &st));
    ATR_CHECK(st.records > 0);
    t0 = now_s();
    ATR_CHECK_ERR(atr_session_close(s), ATR_EIO); /* the stream was abandoned */
    ATR_CHECK(now_s() - t0 < 30.0);
    close(reader);
    unlink(fifo);
}

/* The record handed to a blocked producer is encoded before block_begin: what the embedder
   does to the values meanwhile does not reach the log. A slow reader drains the FIFO into a
   file so the log can be checked. */
typedef struct drain {
    int fd, out;
} drain;

static void *drain_main(void *arg) {
    drain *d = arg;
    char buf[4096];
    ssize_t n;
    for (;;) {
        n = read(d->fd, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0) {
            struct timespec ts = {0, 2000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (write(d->out, buf, (size_t)n) != n)
            break;
        {
            struct timespec ts = {0, 1000000L}; /* slow: producers block */
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static void test_values_encoded_before_the_wait(void) {
    char fifo[600], copy[600], text[64];
    atr_writer_config cfg;
    atr_session *s = NULL;
    hooks h = {0, 0, text};
    pthread_t th;
    drain d;
    atr_reader *r;
    atr_record rec;
    uint64_t sp;
    uint32_t f, i;
    int scribbled = 0, starts = 0;
    snprintf(fifo, sizeof fifo, "%s.fifo2", g_path);
    snprintf(copy, sizeof copy, "%s.copy", g_path);
    unlink(fifo);
    ATR_REQUIRE(mkfifo(fifo, 0600) == 0);
    d.fd = open(fifo, O_RDONLY | O_NONBLOCK);
    d.out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ATR_REQUIRE(d.fd >= 0 && d.out >= 0);
    atr_writer_config_init(&cfg);
    cfg.path = fifo;
    cfg.buffer_size = 4096;
    cfg.max_pending_bytes = 4096;
    cfg.max_value_bytes = 1000;
    cfg.block_timeout_ms = 60000; /* never drops: every record reaches the log */
    cfg.block_begin = on_block;
    cfg.block_end = on_unblock;
    cfg.block_ctx = &h;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    ATR_REQUIRE(pthread_create(&th, NULL, drain_main, &d) == 0);
    f = define(s);
    for (i = 0; i < 3000; i++) {
        atr_value v;
        memset(text, 'a', sizeof text);
        v = atr_value_strn(text, sizeof text);
        ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, &v, 1, NULL, 0, &sp));
        ATR_CHECK_OK(atr_span_return(s, sp, ATR_NOW, NULL));
    }
    ATR_CHECK_OK(atr_session_close(s));
    pthread_join(th, NULL);
    close(d.fd);
    close(d.out);
    ATR_CHECK(h.begun > 0);
    ATR_REQUIRE(atr_reader_open(copy, &r) == 0);
    while (atr_reader_next(r, &rec) == 0) {
        if (rec.kind != ATR_REC_START)
            continue;
        starts++;
        if (rec.u.start.n_args == 1 && rec.u.start.args[0].u.s.len == 64 &&
            memchr(rec.u.start.args[0].u.s.ptr, '#', 64))
            scribbled++;
    }
    atr_reader_close(r);
    ATR_CHECK_EQ_INT(starts, 3000);
    ATR_CHECK_EQ_INT(scribbled, 0);
    unlink(fifo);
    unlink(copy);
}

/* ---- fatal signals ------------------------------------------------------------------------ */

static void test_sigterm_flushes_then_kills(void) {
    int ready[2], status = 0, closed = 0, sig;
    const int sigs[] = {SIGTERM, SIGHUP, SIGINT};
    for (sig = 0; sig < 3; sig++) {
        char c;
        pid_t pid;
        ATR_REQUIRE(pipe(ready) == 0);
        pid = fork();
        ATR_REQUIRE(pid >= 0);
        if (pid == 0) {
            atr_writer_config cfg;
            atr_session *s;
            uint64_t sp;
            uint32_t f, i;
            signal(SIGINT, SIG_DFL);
            if (atr_signals_install() != 0)
                _exit(3);
            atr_writer_config_init(&cfg);
            cfg.path = g_path;
            cfg.flush_interval_ms = 3600000; /* nothing reaches the file but by the signal */
            if (atr_session_open(&cfg, &s) != 0)
                _exit(4);
            f = define(s);
            for (i = 0; i < 100; i++) {
                atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &sp);
                atr_span_return(s, sp, ATR_NOW, NULL);
            }
            if (write(ready[1], "r", 1) != 1)
                _exit(5);
            for (;;)
                pause();
        }
        close(ready[1]);
        ATR_REQUIRE(read(ready[0], &c, 1) == 1);
        close(ready[0]);
        kill(pid, sigs[sig]);
        ATR_REQUIRE(waitpid(pid, &status, 0) == pid);
        ATR_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sigs[sig]);
        ATR_CHECK_EQ_INT(count_starts(g_path, &closed), 100);
        ATR_CHECK_EQ_INT(closed, 1); /* the log ends with the process: END_OF_LOG written */
    }
}

/* A handler the program installed is left alone. */
static volatile sig_atomic_t g_got;
static void on_usr(int sig) { g_got = sig; }

static void test_program_handlers_are_kept(void) {
    struct sigaction sa, cur;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr;
    sigemptyset(&sa.sa_mask);
    ATR_REQUIRE(sigaction(SIGHUP, &sa, NULL) == 0);
    ATR_CHECK_OK(atr_signals_install());
    ATR_REQUIRE(sigaction(SIGHUP, NULL, &cur) == 0);
    ATR_CHECK(cur.sa_handler == on_usr);
    raise(SIGHUP);
    ATR_CHECK_EQ_INT(g_got, SIGHUP);
    signal(SIGHUP, SIG_DFL);
}

/* ---- the flusher is not a reason to live -------------------------------------------------- */

static void *record_and_exit(void *arg) {
    atr_session *s = arg;
    uint32_t f = define(s);
    uint64_t sp;
    int i;
    for (i = 0; i < 10; i++) {
        atr_span_begin(s, f, 0, ATR_NOW, NULL, 0, NULL, 0, &sp);
        atr_span_return(s, sp, ATR_NOW, NULL);
    }
    return NULL;
}

static void test_main_thread_exit(void) {
    pid_t pid = fork();
    int status = 0, closed = 0;
    double deadline;
    ATR_REQUIRE(pid >= 0);
    if (pid == 0) {
        atr_writer_config cfg;
        atr_session *s;
        atr_writer_config_init(&cfg);
        cfg.path = g_path;
        cfg.flush_interval_ms = 20;
        if (atr_session_open(&cfg, &s) != 0)
            _exit(4);
        record_and_exit(s);
        pthread_exit(NULL); /* main leaves: only the flusher remains */
    }
    deadline = now_s() + 20;
    while (waitpid(pid, &status, WNOHANG) == 0 && now_s() < deadline) {
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    if (!ATR_CHECK(exited_ok(status))) {
        fprintf(stderr, "  child status 0x%x\n", (unsigned)status);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    ATR_CHECK_EQ_INT(count_starts(g_path, &closed), 10);
}

/* fork() from a thread other than main: in the child that thread is the only one; when it
   returns, the child must end (exit status 0) with its records in its own log. */
typedef struct forker {
    atr_session *s;
    pid_t pid;
} forker;

static void *fork_from_thread(void *arg) {
    forker *k = arg;
    k->pid = fork();
    if (k->pid == 0)
        record_and_exit(k->s); /* then the thread returns: nothing else runs here */
    return NULL;
}

static void test_fork_from_a_thread(void) {
    atr_writer_config cfg;
    atr_session *s;
    forker k;
    pthread_t th;
    int status = 0, closed = 0;
    double deadline;
    char pattern[600], cmd[700];
    atr_writer_config_init(&cfg);
    cfg.path = g_path;
    cfg.flush_interval_ms = 20;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    k.s = s;
    k.pid = -1;
    ATR_REQUIRE(pthread_create(&th, NULL, fork_from_thread, &k) == 0);
    pthread_join(th, NULL);
    ATR_REQUIRE(k.pid > 0);
    deadline = now_s() + 20;
    while (waitpid(k.pid, &status, WNOHANG) == 0 && now_s() < deadline) {
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    if (!ATR_CHECK(exited_ok(status))) {
        fprintf(stderr, "  child status 0x%x\n", (unsigned)status);
        kill(k.pid, SIGKILL);
        waitpid(k.pid, &status, 0);
    }
    ATR_CHECK_OK(atr_session_close(s));
    /* the child's log: "<stem>.<pid>[.<suffix>].atr" */
    snprintf(pattern, sizeof pattern, "%.*s.%ld", (int)(strlen(g_path) - 4), g_path, (long)k.pid);
    {
        char found[700] = "";
        FILE *p;
        snprintf(cmd, sizeof cmd, "ls %s*.atr 2>/dev/null", pattern);
        p = popen(cmd, "r");
        if (p && fgets(found, sizeof found, p))
            found[strcspn(found, "\n")] = '\0';
        if (p)
            pclose(p);
        ATR_CHECK_EQ_INT(count_starts(found, &closed), 10);
        unlink(found);
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
    atr_test_tmpfile(g_path, sizeof g_path - 4, "test_exits");
    strcat(g_path, ".atr");
    test_stalled_fifo();
    test_values_encoded_before_the_wait();
    test_sigterm_flushes_then_kills();
    test_program_handlers_are_kept();
    test_main_thread_exit();
#ifndef ATR_UNDER_TSAN /* TSan cannot start threads in the child of a multi-threaded fork */
    test_fork_from_a_thread();
#endif
    unlink(g_path);
    ATR_TEST_MAIN_END();
}
