/*
 * Writer benchmark (not a test: numbers depend on the machine).
 *
 *   bench_writer [-n SPANS] [-o DIR]
 *
 * 1. hot path: ns per span (begin + end, two small int args) with a constant injected clock,
 *    so clock reads are excluded; the flusher compresses on another core. Then the same
 *    with the session clock (ATR_NOW, two readings per span) read by clock_gettime and, on a
 *    CPU with an invariant TSC, through the calibrated TSC (atr_writer_config.clock_source),
 *    each after 300 ms so that the TSC clock is calibrated; and the cost of one reading
 *    (atr_session_now) of each.
 * 2. end to end: spans per second from the first span to the end of atr_session_close()
 *    (every byte compressed and written), the default session clock (named in the row:
 *    the TSC where the machine makes it safe, else clock_gettime), with the whole process
 *    pinned to one core (producer and flusher share it), and again on all cores. The CPU
 *    column divides by the process's CPU time (producer + flusher), the wall column by the
 *    elapsed time (which includes time the machine gave to other processes).
 * 3. size: compressed bytes per span of a repetitive workload (file size / spans).
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argtrace/atr.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t constant_clock(void *ctx) {
    (void)ctx;
    return 123456789;
}

typedef struct result {
    double seconds;     /* wall */
    double thread_cpu;  /* the producing thread's CPU time */
    double process_cpu; /* producer + flusher (compression, writes) */
    uint64_t file_bytes;
    int clock_source; /* what the session used (atr_session_clock_source) */
    double read_ns;   /* HOT_CLOCK: CPU ns per atr_session_now() */
} result;

enum mode {
    HOT_CONSTANT, /* hot path, injected constant clock */
    HOT_CLOCK,    /* hot path, the session clock from `source` */
    END_TO_END    /* until everything is on disk, the default session clock */
};

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* CPU ns per atr_session_now() over n readings (the sum keeps the loop). */
static double clock_read_ns(atr_session *s, uint64_t n) {
    uint64_t i, c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID), sum = 0;
    for (i = 0; i < n; i++)
        sum += atr_session_now(s);
    return sum ? (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)n : 0;
}

/* A repetitive workload: fib-like calls, two small int args, results captured. */
static int run(const char *path, uint64_t n, enum mode mode, int source, result *out) {
    atr_writer_config cfg;
    atr_session *s;
    atr_function_info fi;
    atr_str params[2] = {{"n", 1}, {"depth", 5}};
    uint32_t f;
    uint64_t i, t0, c0, p0, sp;
    atr_value args[2], res;
    struct stat st;
    int rc;
    atr_writer_config_init(&cfg);
    cfg.path = path;
    if (mode == HOT_CONSTANT)
        cfg.clock = constant_clock;
    if (mode == HOT_CLOCK)
        cfg.clock_source = source;
    if ((rc = atr_session_open(&cfg, &s)) != 0)
        return rc;
    out->clock_source = atr_session_clock_source(s);
    if (mode == HOT_CLOCK) {
        sleep_ms(300); /* the flusher's first calibrations (at its wakes, every 100 ms) */
        out->read_ns = clock_read_ns(s, n);
    }
    memset(&fi, 0, sizeof fi);
    fi.module.ptr = "__main__";
    fi.module.len = 8;
    fi.qualname.ptr = "fib";
    fi.qualname.len = 3;
    fi.n_params = 2;
    fi.params = params;
    if ((rc = atr_session_define_function(s, &fi, &f)) != 0)
        return rc;
    t0 = now_ns();
    c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    p0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    for (i = 0; i < n; i++) {
        args[0] = atr_value_int((int64_t)(i & 15));
        args[1] = atr_value_int((int64_t)(i & 3));
        res = atr_value_int((int64_t)(i & 7));
        atr_span_begin(s, f, 0, ATR_NOW, args, 2, NULL, 0, &sp);
        atr_span_return(s, sp, ATR_NOW, &res);
    }
    out->thread_cpu = (double)(cpu_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e9;
    if (mode == END_TO_END) /* everything compressed and on disk */
        rc = atr_session_close(s);
    out->seconds = (double)(now_ns() - t0) / 1e9;
    out->process_cpu = (double)(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - p0) / 1e9;
    if (mode != END_TO_END)
        rc = atr_session_close(s);
    out->file_bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    return rc;
}

static const char *source_name(int source) {
    return source == ATR_CLOCK_TSC         ? "TSC"
           : source == ATR_CLOCK_MONOTONIC ? "clock_gettime"
                                           : "injected";
}

/* Rows of the session clock's runs; a machine without a safe TSC ran clock_gettime twice. */
static void print_clock_rows(const result *mono, const result *tsc, uint64_t n) {
    const result *r[2] = {mono, tsc};
    int i;
    for (i = 0; i < 2; i++) {
        if (i == 1 && tsc->clock_source != ATR_CLOCK_TSC) {
            printf("| hot path, session clock: TSC (ns/span, producer) | n/a | n/a | |\n");
            continue;
        }
        printf("| hot path, session clock: %s (ns/span, producer) | %.1f | %.1f | |\n",
               source_name(r[i]->clock_source), r[i]->thread_cpu * 1e9 / (double)n,
               r[i]->seconds * 1e9 / (double)n);
    }
    printf("| one session clock reading, clock_gettime / TSC (ns) | %.1f / ", mono->read_ns);
    if (tsc->clock_source == ATR_CLOCK_TSC)
        printf("%.1f | | |\n", tsc->read_ns);
    else
        printf("n/a | | |\n");
}

static int pin(int one_core) {
    cpu_set_t set;
    long i, n = sysconf(_SC_NPROCESSORS_ONLN);
    CPU_ZERO(&set);
    for (i = 0; i < (one_core ? 1 : n); i++)
        CPU_SET((int)i, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int main(int argc, char **argv) {
    uint64_t n = 10000000;
    const char *dir = "/tmp";
    char path[4096];
    result hot, mono, tsc, one, all;
    int i, rc;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            dir = argv[++i];
        else {
            fprintf(stderr, "usage: %s [-n SPANS] [-o DIR]\n", argv[0]);
            return 2;
        }
    }
    if (n == 0)
        n = 1;
    snprintf(path, sizeof path, "%s/bench_writer.%ld.atr", dir, (long)getpid());

    if ((rc = run(path, n, HOT_CONSTANT, 0, &hot)) != 0 ||
        (rc = run(path, n, HOT_CLOCK, ATR_CLOCK_MONOTONIC, &mono)) != 0 ||
        (rc = run(path, n, HOT_CLOCK, ATR_CLOCK_TSC, &tsc)) != 0)
        goto fail;
    (void)pin(1);
    if ((rc = run(path, n, END_TO_END, 0, &one)) != 0)
        goto fail;
    (void)pin(0);
    if ((rc = run(path, n, END_TO_END, 0, &all)) != 0)
        goto fail;
    unlink(path);

    printf("command: ");
    for (i = 0; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    printf("spans per run: %llu (begin + end, 2 int args, result captured; zstd level 3)\n",
           (unsigned long long)n);
    printf("Wall times depend on what else the machine runs; CPU times less so.\n");
    printf("| measure | CPU time | wall time | target |\n| --- | --- | --- | --- |\n");
    printf("| hot path, constant clock (ns/span, producer) | %.1f | %.1f | <= 40 |\n",
           hot.thread_cpu * 1e9 / (double)n, hot.seconds * 1e9 / (double)n);
    print_clock_rows(&mono, &tsc, n);
    printf("| end to end, 1 core, real clock: %s (M spans/s) | %.2f | %.2f | >= 10 |\n",
           source_name(one.clock_source), (double)n / one.process_cpu / 1e6,
           (double)n / one.seconds / 1e6);
    printf("| end to end, all cores, real clock: %s (M spans/s) | %.2f | %.2f | |\n",
           source_name(all.clock_source), (double)n / all.process_cpu / 1e6,
           (double)n / all.seconds / 1e6);
    printf("| size, real clock (B/span) | %.2f | | <= 4 |\n", (double)one.file_bytes / (double)n);
    printf("| size, constant clock (B/span) | %.2f | | |\n", (double)hot.file_bytes / (double)n);
    return 0;
fail:
    fprintf(stderr, "bench_writer: %s\n", atr_strerror(rc));
    unlink(path);
    return 1;
}
