/* The session's buffer pool (writer/bufpool.c): the flusher's spare buffers. */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "argtrace/atr.h"
#include "atr_test.h"
#include "writer/writer_internal.h"

static char g_path[512];

/* An injected clock: returns *ctx and steps it by 10 ns. */
static uint64_t step_clock(void *ctx) {
    uint64_t *t = ctx;
    uint64_t now = *t;
    *t += 10;
    return now;
}

/* Sanitizers keep shadow memory beside every byte the program touches: the producer's
   writes fault in shadow pages of their own, which is no sign of the buffer's. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static uint64_t thread_faults(void) {
    struct rusage ru;
    ATR_REQUIRE(getrusage(RUSAGE_THREAD, &ru) == 0);
    return (uint64_t)ru.ru_minflt;
}

/* The flusher keeps spare buffers with their pages in memory (bufpool.c): a producer
   filling two buffers' worth of records takes no page fault for them (it took 32 per fresh
   128 KiB buffer, on the program's thread). Page faults counted, not timed. */
static void test_spare_buffers(void) {
    static char big[1000];
    atr_writer_config cfg;
    atr_session *s;
    uint64_t sp, clock = 1, f0;
    uint32_t f = 0;
    atr_function_info fi;
    static const atr_str param = {"x", 1};
    int i, n_free = 0;
    memset(big, 'x', sizeof big);
    atr_writer_config_init(&cfg);
    cfg.flush_interval_ms = 3600 * 1000; /* only explicit flushes: the spares stay free */
    cfg.max_value_bytes = sizeof big;
    cfg.path = g_path;
    cfg.clock = step_clock;
    cfg.clock_ctx = &clock;
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    memset(&fi, 0, sizeof fi);
    fi.module.ptr = fi.file.ptr = "mod";
    fi.module.len = fi.file.len = 3;
    fi.qualname.ptr = "k";
    fi.qualname.len = 1;
    fi.n_params = 1;
    fi.params = &param;
    ATR_CHECK_OK(atr_session_define_function(s, &fi, &f));
    for (i = 0; i < 10000 && n_free < 2; i++) { /* the flusher makes them: up to 10 s */
        struct timespec ts = {0, 1000000};
        atr__mu_lock(s);
        n_free = (int)s->n_free;
        atr__mu_unlock(s);
        if (n_free < 2)
            nanosleep(&ts, NULL);
    }
    ATR_CHECK_EQ_INT(n_free, 2);
    atr_value v = atr_value_strn(big, sizeof big);
    ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, &v, 1, NULL, 0, &sp)); /* its first buffer */
    ATR_CHECK_OK(atr_span_return(s, sp, ATR_NOW, NULL));
    f0 = thread_faults();
    for (i = 0; i < 200; i++) { /* ~200 KiB: into the second buffer */
        ATR_CHECK_OK(atr_span_begin(s, f, 0, ATR_NOW, &v, 1, NULL, 0, &sp));
        ATR_CHECK_OK(atr_span_return(s, sp, ATR_NOW, NULL));
    }
    if (SANITIZED)
        fprintf(stderr, "skipped: the page faults of writing two buffers (a sanitizer's shadow "
                        "memory faults too)\n");
    else if (!ATR_CHECK(thread_faults() - f0 < 8))
        fprintf(stderr, "  %llu page faults writing two buffers\n",
                (unsigned long long)(thread_faults() - f0));
    ATR_CHECK_OK(atr_session_close(s));
}

int main(void) {
    atr_test_tmpfile(g_path, sizeof g_path, "test_bufpool.atr");
    test_spare_buffers();
    unlink(g_path);
    ATR_TEST_MAIN_END();
}
