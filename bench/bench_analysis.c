/*
 * bench_analysis: time the analysis library on one log, phase by phase (what `argtrace
 * summary`, `slow` and `tree` need), without the viewer. Prints one line per phase.
 *
 *   bench_analysis LOG [FUNC]        FUNC defaults to app.server.handle (gen_log's top call)
 *
 * Run it under /usr/bin/time -v for the peak RSS (bench_viewer.sh does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "argtrace/atr.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time (user + system) of this process, s: the machine may be shared. */
static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static uint64_t count_tree(const atr_index *ix, uint32_t call) {
    atr_call_view cv;
    uint64_t n = 1;
    atr_index_call(ix, call, &cv);
    for (uint32_t c = cv.first_child; c != ATR_NO_CALL;) {
        atr_call_view k;
        n += count_tree(ix, c);
        atr_index_call(ix, c, &k);
        c = k.next_sibling;
    }
    return n;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_analysis LOG [FUNC]\n");
        return 2;
    }
    const char *func = argc > 2 ? argv[2] : "app.server.handle";
    atr_index *ix = NULL;
    double t0 = now_s(), c0 = cpu_s();
    if (atr_index_open(&ix) || atr_index_load(ix, argv[1])) {
        fprintf(stderr, "bench_analysis: %s\n", ix ? atr_index_error(ix) : "out of memory");
        return 1;
    }
    double t1 = now_s(), c1 = cpu_s();
    atr_index_info info;
    atr_index_get_info(ix, &info);
    printf("load      %7.3f s (cpu %6.3f)  %llu calls, %u functions, %u values, index %.0f MiB\n",
           t1 - t0, c1 - c0, (unsigned long long)info.n_calls, info.n_functions, info.n_values,
           (double)info.mem_bytes / 1048576.0);
    atr_stats *st = calloc(info.n_functions ? info.n_functions : 1, sizeof(atr_stats));
    if (!st || atr_stats_all(ix, st, info.n_functions))
        return 1;
    double t2 = now_s(), c2 = cpu_s();
    printf("summary   %7.3f s (cpu %6.3f)  (stats of every function)\n", t2 - t1, c2 - c1);
    uint32_t fn = 0, n = 0;
    if (atr_index_find_function(ix, func, &fn, NULL, 0, &n)) {
        fprintf(stderr, "bench_analysis: no function %s\n", func);
        return 1;
    }
    atr_argscore *sc = NULL;
    if (atr_argscore_compute(ix, fn, NULL, 0, &sc))
        return 1;
    double t3 = now_s(), c3 = cpu_s();
    printf("slow      %7.3f s (cpu %6.3f)  (argument scores of %s, %llu calls):", t3 - t2, c3 - c2,
           func, (unsigned long long)atr_argscore_calls(sc));
    for (uint32_t i = 0; i < atr_argscore_count(sc); i++) {
        atr_arg_score a;
        atr_argscore_arg(sc, i, &a);
        printf(" %.*s=%.3f", (int)a.name.len, a.name.ptr, a.score);
    }
    printf("\n");
    atr_argscore_free(sc);
    atr_query q;
    atr_query_init(&q);
    q.function = fn;
    q.sort = ATR_SORT_DURATION;
    q.limit = 1;
    atr_callset *cs = NULL;
    if (atr_query_run(ix, &q, &cs) || atr_callset_count(cs) == 0)
        return 1;
    uint64_t nodes = count_tree(ix, atr_callset_get(cs, 0));
    atr_callset_free(cs);
    double t4 = now_s(), c4 = cpu_s();
    printf("tree      %7.3f s (cpu %6.3f)  (slowest call's tree: %llu calls)\n", t4 - t3, c4 - c3,
           (unsigned long long)nodes);
    printf("total     %7.3f s (cpu %6.3f)\n", t4 - t0, c4 - c0);
    free(st);
    atr_index_free(ix);
    return 0;
}
