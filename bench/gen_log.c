/*
 * gen_log: write a synthetic argtrace log of N calls through the writer API, for the viewer
 * benchmarks (bench_viewer.sh).
 *
 *   gen_log [-n CALLS] [-o PATH] [-s SEED]      defaults: 10000000 calls, gen.atr, seed 1
 *
 * The program it pretends to trace serves requests, 5 calls each:
 *   app.server.handle(request_id, mode, n)        request_id unique, mode fast/strict, n 0..9999
 *     app.parse.parse(rows, fmt)                  rows = n, fmt one of 4 strings
 *       app.db.lookup(key, table) x 3             key 0..99, table a dict (summary) of 3 sizes
 * handle's duration depends on mode and n (strict with large n is slow: the real cause);
 * request_id is unique per call and explains nothing. lookup's duration grows with the
 * size of its table. Times come from a synthetic clock
 * (explicit timestamps), so the log is the same for the same seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr.h"

static uint64_t g_now;
static uint64_t clock_fn(void *ctx) {
    (void)ctx;
    return g_now;
}

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static atr_str S(const char *p) {
    atr_str s = {p, strlen(p)};
    return s;
}

static uint32_t define(atr_session *s, const char *mod, const char *name, uint32_t n,
                       const char *const *params) {
    atr_str ps[4];
    atr_function_info fi;
    uint32_t id = 0;
    for (uint32_t i = 0; i < n; i++)
        ps[i] = S(params[i]);
    memset(&fi, 0, sizeof fi);
    fi.module = S(mod);
    fi.qualname = S(name);
    fi.file = S("app.py");
    fi.n_params = n;
    fi.params = ps;
    if (atr_session_define_function(s, &fi, &id) != 0) {
        fprintf(stderr, "gen_log: cannot define %s\n", name);
        exit(1);
    }
    return id;
}

int main(int argc, char **argv) {
    uint64_t n_calls = 10000000, seed = 1;
    const char *path = "gen.atr";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n_calls = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10) | 1;
        else {
            fprintf(stderr, "usage: gen_log [-n CALLS] [-o PATH] [-s SEED]\n");
            return 2;
        }
    }
    atr_writer_config cfg;
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.clock = clock_fn;
    /* A batch program: no aged flushes of live buffers (the synthetic clock stands still for
       the flusher anyway); buffers are written when full and at close. */
    cfg.flush_interval_ms = 600000;
    g_now = 1000000;
    atr_session *s = NULL;
    int rc = atr_session_open(&cfg, &s);
    if (rc) {
        fprintf(stderr, "gen_log: %s: %s\n", path, atr_strerror(rc));
        return 1;
    }
    const char *hp[] = {"request_id", "mode", "n"}, *pp[] = {"rows", "fmt"},
               *lp[] = {"key", "table"};
    uint32_t f_handle = define(s, "app.server", "handle", 3, hp);
    uint32_t f_parse = define(s, "app.parse", "parse", 2, pp);
    uint32_t f_lookup = define(s, "app.db", "lookup", 2, lp);
    static const char *fmts[] = {"csv", "json", "xml", "parquet"};
    static const int64_t table_len[] = {16, 4096, 1048576};
    uint64_t st = seed * 0x9e3779b97f4a7c15u | 1, t = g_now, done = 0;
    for (uint64_t req = 0; done < n_calls; req++) {
        int strict = rnd(&st) % 4 == 0;
        int64_t n = (int64_t)(rnd(&st) % 10000);
        atr_value ha[3] = {atr_value_int((int64_t)(1000000000 + req)),
                           atr_value_strn(strict ? "strict" : "fast", strict ? 6 : 4),
                           atr_value_int(n)};
        uint64_t h = 0, p = 0, l = 0;
        atr_span_begin(s, f_handle, 0, t, ha, 3, NULL, 0, &h);
        done++;
        t += 200 + rnd(&st) % 100;
        const char *fmt = fmts[rnd(&st) % 4];
        atr_value pa[2] = {atr_value_int(n), atr_value_strn(fmt, strlen(fmt))};
        if (done < n_calls) {
            atr_span_begin(s, f_parse, h, t, pa, 2, NULL, 0, &p);
            done++;
            /* The real cause: strict mode costs per row. */
            t += 1000 + (uint64_t)n * (strict ? 50 : 1) + rnd(&st) % 500;
            for (int k = 0; k < 3 && done < n_calls; k++) {
                uint64_t tk = rnd(&st) % 3;
                atr_value la[2] = {atr_value_int((int64_t)(rnd(&st) % 100)),
                                   atr_value_summary("dict", 4, table_len[tk])};
                atr_span_begin(s, f_lookup, p, t, la, 2, NULL, 0, &l);
                done++;
                t += 300 + tk * 400 + rnd(&st) % 300;
                atr_value r = atr_value_int((int64_t)(rnd(&st) % 1000));
                atr_span_return(s, l, t, &r);
                t += 20;
            }
            atr_value pr = atr_value_int(n);
            atr_span_return(s, p, t, &pr);
            t += 50;
        }
        atr_span_return(s, h, t, NULL);
        t += 100 + rnd(&st) % 1000;
    }
    g_now = t;
    rc = atr_session_close(s);
    if (rc) {
        fprintf(stderr, "gen_log: %s: %s\n", path, atr_strerror(rc));
        return 1;
    }
    printf("gen_log: wrote %llu calls to %s\n", (unsigned long long)done, path);
    return 0;
}
