/*
 * The frame index from the threads' buffer summaries (writer/thread.c notes what each
 * buffer's records hold as it commits them; the flusher indexes a whole queued buffer from
 * that, and scans the rest): random record streams of several threads (START with args of
 * random sizes, END returned or raised, MESSAGE, SUSPEND/RESUME, times that jump forward,
 * back and far, functions from a large id range, flushes that cut live buffers, drops) give
 *   - a footer equal to the index a reader rebuilds by scanning the frames (tmin, tmax,
 *     flags, threads with their first and last START, functions), and
 *   - records whose times and span ids, read back with each CHUNK's state, are those the
 *     threads wrote (a wrong state after a summarised buffer shows in the next CHUNK),
 * with both paths taken (counted by the flusher).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "argtrace/atr.h"
#include "atr_test.h"
#include "findex_check.h"
#include "writer/writer_internal.h"

#define N_WORKERS 3
#define N_FUNCS 300
#define DEPTH_MAX 24

typedef struct want {
    uint32_t kind; /* ATR_REC_* */
    uint64_t time, span;
} want;

typedef struct worker {
    atr_session *s;
    const uint32_t *fns;
    uint64_t rng;
    int ops;
    char name[16];
    want *w; /* records written (not dropped), in order */
    size_t n, cap;
    int dropped;
    int errors; /* calls that returned neither 0 nor ATR_EDROPPED */
} worker;

static uint64_t next_rand(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* In the worker threads: no ATR_CHECK there (the check counters are not atomic), main checks
   `errors` after the join. */
static void expect(worker *k, int rc, uint32_t kind, uint64_t time, uint64_t span) {
    if (rc == ATR_EDROPPED) {
        k->dropped++;
        return;
    }
    if (rc != 0) {
        k->errors++;
        return;
    }
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 1024;
        k->w = realloc(k->w, k->cap * sizeof *k->w);
        if (!k->w)
            abort();
    }
    k->w[k->n].kind = kind;
    k->w[k->n].time = time;
    k->w[k->n++].span = span;
}

static void *worker_main(void *arg) {
    static const char text[] = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
                               "0123456789abcdefghijklmnopqrstuvwxyz0123456789";
    worker *k = arg;
    uint64_t stack[DEPTH_MAX], t = 1000000;
    int depth = 0, i;
    k->errors += atr_thread_set_name(k->s, k->name, strlen(k->name)) != 0;
    for (i = 0; i < k->ops; i++) {
        uint64_t r = next_rand(&k->rng), span;
        int op = (int)(r % 10);
        if (r % 53 == 0 && t > 200000)
            t -= (r >> 8) % 100000; /* backwards: a negative dt */
        else if (r % 997 == 0)
            t += (uint64_t)1 << 33; /* far: a large dt */
        else
            t += (r >> 8) % 5000;
        if (r % 1999 == 0)
            k->errors += atr_session_flush(k->s) != 0; /* cuts the live buffers */
        if (depth == 0 || (op < 4 && depth < DEPTH_MAX)) {
            atr_value a[3];
            uint32_t n = (uint32_t)((r >> 16) % 4), j;
            int rc;
            uint32_t fn = k->fns[(r >> 24) % N_FUNCS];
            for (j = 0; j < n; j++)
                a[j] = (r >> (30 + j)) & 1 ? atr_value_int((int64_t)(r >> 40))
                                           : atr_value_strn(text, (size_t)((r >> (33 + j)) % 90));
            span = 0;
            rc = atr_span_begin(k->s, fn, depth ? stack[depth - 1] : 0, t, a, n, NULL, 0, &span);
            expect(k, rc, ATR_REC_START, t, span); /* span set by the call */
            stack[depth++] = span;
        } else if (op < 7) {
            atr_value v = atr_value_int((int64_t)i);
            span = stack[--depth];
            expect(k, atr_span_return(k->s, span, t, op == 6 ? NULL : &v), ATR_REC_END, t, span);
        } else if (op == 7) {
            atr_str type = {"ValueError", 10};
            atr_value m = atr_value_strn(text, (size_t)((r >> 20) % 40));
            span = stack[--depth];
            expect(k, atr_span_raise(k->s, span, t, type, &m), ATR_REC_END, t, span);
        } else if (op == 8) {
            atr_str msg = {text, (size_t)((r >> 20) % 30)};
            span = (r >> 12) & 1 ? stack[depth - 1] : 0;
            expect(k, atr_message(k->s, span, t, msg, NULL, 0), ATR_REC_MESSAGE, t, span);
        } else {
            span = stack[depth - 1];
            expect(k, atr_span_suspend(k->s, span, t), ATR_REC_SUSPEND, t, span);
            t += (r >> 20) % 3000;
            expect(k, atr_span_resume(k->s, span, t), ATR_REC_RESUME, t, span);
        }
    }
    while (depth > 0) {
        uint64_t span = stack[--depth];
        expect(k, atr_span_return(k->s, span, t, NULL), ATR_REC_END, t, span);
    }
    return NULL;
}

static uint64_t span_of(const atr_record *rec) {
    switch (rec->kind) {
    case ATR_REC_START:
        return rec->u.start.span;
    case ATR_REC_END:
        return rec->u.end.span;
    case ATR_REC_MESSAGE:
        return rec->u.message.span;
    default:
        return rec->u.suspend.span;
    }
}

/* Every thread's timed records, read back, are those its worker wrote. */
static void check_records(const char *path, worker *ws) {
    atr_reader *r = NULL;
    atr_record rec;
    int thread_of[64], k; /* thread number -> worker (-1: none) */
    size_t at[N_WORKERS] = {0};
    for (k = 0; k < 64; k++)
        thread_of[k] = -1;
    ATR_REQUIRE(atr_reader_open(path, &r) == 0);
    while (atr_reader_next(r, &rec) == 0) {
        if (rec.kind == ATR_REC_THREAD && rec.thread < 64) {
            for (k = 0; k < N_WORKERS; k++)
                if (rec.u.thread.name.len == strlen(ws[k].name) &&
                    memcmp(rec.u.thread.name.ptr, ws[k].name, rec.u.thread.name.len) == 0)
                    thread_of[rec.thread] = k;
            continue;
        }
        if (rec.kind != ATR_REC_START && rec.kind != ATR_REC_END && rec.kind != ATR_REC_MESSAGE &&
            rec.kind != ATR_REC_SUSPEND && rec.kind != ATR_REC_RESUME)
            continue;
        ATR_REQUIRE(rec.thread < 64 && thread_of[rec.thread] >= 0);
        k = thread_of[rec.thread];
        ATR_REQUIRE(at[k] < ws[k].n);
        ATR_CHECK_EQ_INT(rec.kind, ws[k].w[at[k]].kind);
        ATR_CHECK_EQ_U64(rec.time_ns, ws[k].w[at[k]].time);
        ATR_CHECK_EQ_U64(span_of(&rec), ws[k].w[at[k]].span);
        at[k]++;
    }
    for (k = 0; k < N_WORKERS; k++)
        ATR_CHECK_EQ_U64(at[k], ws[k].n);
    atr_reader_close(r);
}

/* The footer equals the index rebuilt from the frames (the log without its footer). */
static void check_footer(const char *path, const char *tmp) {
    atr_reader *r1 = NULL, *r2 = NULL;
    atr_frame_index *footer = NULL, *rebuilt = NULL;
    atr_frame_info last;
    char copy[512];
    FILE *f = fopen(path, "rb");
    uint8_t *bytes;
    size_t len, foot;
    uint32_t n;
    ATR_REQUIRE(f != NULL);
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = malloc(len);
    ATR_REQUIRE(bytes && fread(bytes, 1, len, f) == len);
    fclose(f);
    ATR_REQUIRE(atr_reader_open(path, &r1) == 0);
    ATR_REQUIRE(atr_frame_index_load_footer(r1, &footer) == 0);
    n = atr_frame_index_count(footer);
    ATR_REQUIRE(n > 10 && atr_frame_index_get(footer, n - 1, &last) == 0);
    foot = (size_t)(last.offset + last.size);
    ATR_REQUIRE(foot < len);
    snprintf(copy, sizeof copy, "%s/summary_nofooter.atr", tmp);
    f = fopen(copy, "wb");
    ATR_REQUIRE(f && fwrite(bytes, 1, foot, f) == foot);
    fclose(f);
    ATR_REQUIRE(atr_reader_open(copy, &r2) == 0);
    ATR_REQUIRE(atr_frame_index_load(r2, &rebuilt) == 0);
    ATR_CHECK_EQ_INT(atr_frame_index_from_footer(rebuilt), 0);
    ATR_CHECK_EQ_INT(atr_frame_index_count(rebuilt), n);
    check_same_index(footer, rebuilt, n);
    atr_frame_index_free(rebuilt);
    atr_frame_index_free(footer);
    atr_reader_close(r2);
    atr_reader_close(r1);
    free(bytes);
}

/* One random log; drops: a pool of four buffers that drops when full. */
static void run(const char *tmp, const char *name, uint64_t seed, int drops) {
    atr_writer_config cfg;
    atr_session *s = NULL;
    worker ws[N_WORKERS];
    pthread_t t[N_WORKERS];
    uint32_t fns[N_FUNCS];
    char path[512];
    int i, dropped = 0;
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    atr_writer_config_init(&cfg);
    cfg.path = path;
    cfg.buffer_size = 4096;
    cfg.max_value_bytes = 512;
    cfg.flush_interval_ms = 60000; /* no timed cycles: the counters below stay still */
    if (drops) {
        cfg.max_pending_bytes = 16384;
        cfg.drop_when_full = 1;
    }
    ATR_REQUIRE(atr_session_open(&cfg, &s) == 0);
    for (i = 0; i < N_FUNCS; i++) {
        atr_function_info fi;
        atr_str params[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
        char q[32];
        memset(&fi, 0, sizeof fi);
        snprintf(q, sizeof q, "f%d", i);
        fi.module.ptr = "app";
        fi.module.len = 3;
        fi.qualname.ptr = q;
        fi.qualname.len = strlen(q);
        fi.n_params = 3;
        fi.params = params;
        ATR_CHECK_OK(atr_session_define_function(s, &fi, &fns[i]));
        if (i % 3 == 0) /* ids spread over a range larger than the used ones */
            ATR_CHECK_OK(atr_session_define_function(s, &fi, &fns[i]));
    }
    for (i = 0; i < N_WORKERS; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].s = s;
        ws[i].fns = fns;
        ws[i].rng = seed * 7919u + (uint64_t)i * 104729u + 1u;
        ws[i].ops = 40000;
        snprintf(ws[i].name, sizeof ws[i].name, "w%d", i);
        ATR_REQUIRE(pthread_create(&t[i], NULL, worker_main, &ws[i]) == 0);
    }
    for (i = 0; i < N_WORKERS; i++) {
        pthread_join(t[i], NULL);
        dropped += ws[i].dropped;
        ATR_CHECK_EQ_INT(ws[i].errors, 0);
    }
    ATR_CHECK_OK(atr_session_flush(s));
    printf("# %s: %llu segments from summaries (%llu after a scan of their first bytes), %llu "
           "scanned, %d records dropped\n",
           name, (unsigned long long)s->n_idx_summed, (unsigned long long)s->n_idx_mixed,
           (unsigned long long)s->n_idx_scanned, dropped);
    ATR_CHECK(s->n_idx_summed > 0);
    ATR_CHECK(s->n_idx_scanned > 0);
    ATR_CHECK(s->n_idx_mixed > 0);
    if (drops)
        ATR_CHECK(dropped > 0);
    ATR_CHECK_OK(atr_session_close(s));
    check_footer(path, tmp);
    check_records(path, ws);
    for (i = 0; i < N_WORKERS; i++)
        free(ws[i].w);
}

int main(void) {
    const char *tmp = getenv("ATR_TEST_TMPDIR");
    if (!tmp)
        tmp = "/tmp";
    run(tmp, "summary1.atr", 1, 0);
    run(tmp, "summary2.atr", 2, 0);
    run(tmp, "summary_drops.atr", 3, 1);
    ATR_TEST_MAIN_END();
}
