/*
 * Hostile logs through the whole analysis: every committed golden and corrupt log and the
 * reader's fuzz corpus, then record streams mutated at random (deterministic seed) and
 * wrapped in valid zstd frames, so that damaged records get past the frame checksums and
 * reach the index. Each must load or fail with a one-line error, and every query on what
 * loaded must work (run under ASan/UBSan in CI). No timing, no output on success.
 */
#include <dirent.h>
#include <zstd.h>

#include "argtrace/atr.h"
#include "atr_test.h"

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

/* Every query of the viewer on a loaded index. Returns how many calls it looked at. */
static uint64_t exercise(atr_index *ix) {
    atr_index_info info;
    atr_index_get_info(ix, &info);
    atr_stats *st = calloc(info.n_functions + 1, sizeof(atr_stats));
    ATR_REQUIRE(st != NULL);
    ATR_CHECK_OK(atr_stats_all(ix, st, info.n_functions));
    uint64_t seen = 0;
    for (uint32_t fn = 0; fn < info.n_functions && fn < 50; fn++) {
        atr_argscore *sc = NULL;
        if (!ATR_CHECK_OK(atr_argscore_compute(ix, fn, NULL, ATR_ARGSCORE_RESULT, &sc)))
            continue;
        for (uint32_t a = 0; a < atr_argscore_count(sc); a++) {
            atr_arg_score as;
            ATR_CHECK_OK(atr_argscore_arg(sc, a, &as));
            ATR_CHECK(as.score >= 0 && as.score <= 1);
            for (uint32_t g = 0; g < as.n_groups; g++) {
                atr_arg_group gr;
                atr_filter *f = NULL;
                ATR_CHECK_OK(atr_argscore_group(sc, a, g, &gr));
                ATR_CHECK(gr.label != NULL && gr.filter != NULL);
                if (gr.filter[0] && atr_filter_parse(gr.filter, &f, NULL, 0) == 0) {
                    atr_stats fs;
                    ATR_CHECK_OK(atr_stats_function(ix, fn, f, &fs));
                    atr_filter_free(f);
                }
            }
        }
        atr_argscore_free(sc);
        atr_query q;
        atr_callset *cs = NULL;
        atr_query_init(&q);
        q.function = fn;
        q.sort = ATR_SORT_SELF;
        q.limit = 5;
        if (ATR_CHECK_OK(atr_query_run(ix, &q, &cs))) {
            for (uint64_t i = 0; i < atr_callset_count(cs); i++) {
                uint32_t kids[16], nk = 0, msgs[4], nm = 0;
                atr_call_view cv;
                uint32_t c = atr_callset_get(cs, i);
                ATR_CHECK_OK(atr_index_call(ix, c, &cv));
                ATR_CHECK_OK(atr_call_children(ix, c, kids, 16, &nk));
                ATR_CHECK_OK(atr_call_messages(ix, c, msgs, 4, &nm));
                for (uint32_t k = 0; k < cv.n_args; k++) {
                    atr_value v;
                    uint32_t id = atr_call_arg(ix, c, k);
                    if (id != ATR_NO_VALUE)
                        ATR_CHECK_OK(atr_index_value(ix, id, &v));
                }
                seen++;
            }
            atr_callset_free(cs);
        }
    }
    atr_events *ev = NULL;
    if (ATR_CHECK_OK(atr_events_open(ix, &ev))) {
        atr_event e;
        uint64_t n = 0, last = 0;
        while (atr_events_next(ev, &e) == 0) {
            ATR_CHECK(e.time_ns >= last);
            last = e.time_ns;
            n++;
        }
        ATR_CHECK_EQ_U64(n, atr_events_count(ev));
        atr_events_close(ev);
    }
    for (uint32_t t = 0; t < info.n_threads; t++) {
        atr_thread_view tv;
        ATR_CHECK_OK(atr_index_thread(ix, t, &tv));
    }
    free(st);
    return seen;
}

/* Statistics-only loads (atr_index_set_stats_only) that gave statistics, and that declined. */
static int g_stream_ok, g_stream_declined;

static int same_stats(const atr_stats *a, const atr_stats *b) {
    return a->count == b->count && a->finished == b->finished && a->unfinished == b->unfinished &&
           a->raised == b->raised && a->total_ns == b->total_ns && a->self_ns == b->self_ns &&
           a->min_ns == b->min_ns && a->p50_ns == b->p50_ns && a->p95_ns == b->p95_ns &&
           a->p99_ns == b->p99_ns && a->max_ns == b->max_ns && a->active_ns == b->active_ns &&
           a->mean_ns == b->mean_ns && a->slowest_call == b->slowest_call &&
           a->inclusive_ns == b->inclusive_ns && a->nested == b->nested;
}

/*
 * The same buffer loaded statistics-only: it declines (ATR_ESTATE) or gives exactly the
 * statistics of the full index `full` (NULL: the full load failed, so must this one).
 */
static void check_stats_only(const unsigned char *buf, size_t len, const char *name,
                             atr_index *full) {
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    atr_index_set_stats_only(ix, 1);
    ATR_CHECK(atr_index_stats_only(ix) == 1);
    int rc = atr_index_load_mem(ix, buf, len, name);
    if (!full) {
        ATR_CHECK(rc < 0);
    } else if (rc == ATR_ESTATE) {
        g_stream_declined++;
        atr_stats one[1];
        atr_index_info si;
        atr_index_get_info(ix, &si);
        ATR_CHECK(si.n_functions > 1 || atr_stats_all(ix, one, 1) == ATR_ESTATE);
    } else if (ATR_CHECK_OK(rc)) {
        atr_index_info fi, si;
        atr_index_get_info(full, &fi);
        atr_index_get_info(ix, &si);
        ATR_CHECK_EQ_U64(si.n_functions, fi.n_functions);
        ATR_CHECK_EQ_U64(si.n_calls, 0); /* no call table */
        ATR_CHECK_EQ_U64(si.n_unfinished, fi.n_unfinished);
        atr_stats *a = calloc(fi.n_functions + 1, sizeof(atr_stats));
        atr_stats *b = calloc(fi.n_functions + 1, sizeof(atr_stats));
        ATR_REQUIRE(a && b);
        ATR_CHECK_OK(atr_stats_all(full, a, fi.n_functions));
        ATR_CHECK_OK(atr_stats_all(ix, b, fi.n_functions));
        for (uint32_t fn = 0; fn < fi.n_functions; fn++)
            if (!ATR_CHECK(same_stats(&a[fn], &b[fn])))
                fprintf(stderr, "  %s: function %u: statistics-only differs\n", name, fn);
        ATR_CHECK_OK(atr_stats_all(ix, b, fi.n_functions)); /* asked twice: the same */
        ATR_CHECK(fi.n_functions == 0 || same_stats(&a[0], &b[0]));
        free(a);
        free(b);
        g_stream_ok++;
    }
    atr_index_free(ix);
}

static int g_keep_ok, g_sub_ok;

/* The calls of fn in full and in sel, by duration: the same ids as printed, durations, args. */
static void same_calls(atr_index *full, atr_index *sel, uint32_t fn, const char *name) {
    atr_query q;
    atr_callset *a = NULL, *b = NULL;
    atr_query_init(&q);
    q.function = fn;
    q.sort = ATR_SORT_DURATION;
    ATR_REQUIRE(atr_query_run(full, &q, &a) == 0 && atr_query_run(sel, &q, &b) == 0);
    ATR_CHECK_EQ_U64(atr_callset_count(b), atr_callset_count(a));
    for (uint64_t i = 0; i < atr_callset_count(a) && i < atr_callset_count(b); i++) {
        uint32_t x = atr_callset_get(a, i), y = atr_callset_get(b, i), back = ATR_NO_CALL;
        char ix_id[ATR_CALL_ID_SIZE], iy_id[ATR_CALL_ID_SIZE];
        atr_call_id_format(full, x, ix_id, sizeof ix_id);
        atr_call_id_format(sel, y, iy_id, sizeof iy_id);
        if (!ATR_CHECK(strcmp(ix_id, iy_id) == 0))
            fprintf(stderr, "  %s: call %s kept as %s\n", name, ix_id, iy_id);
        ATR_CHECK(atr_call_id_parse(sel, iy_id, &back) == 0 && back == y);
        atr_call_view cx, cy;
        ATR_REQUIRE(atr_index_call(full, x, &cx) == 0 && atr_index_call(sel, y, &cy) == 0);
        ATR_CHECK(cx.start_ns == cy.start_ns && cx.duration_ns == cy.duration_ns &&
                  cx.status == cy.status && cx.n_args == cy.n_args && cx.thread == cy.thread);
        for (uint32_t k = 0; k < cx.n_args && k < cy.n_args; k++) {
            atr_value vx, vy;
            uint32_t ax = atr_call_arg(full, x, k), ay = atr_call_arg(sel, y, k);
            ATR_CHECK((ax == ATR_NO_VALUE) == (ay == ATR_NO_VALUE));
            if (ax != ATR_NO_VALUE && ay != ATR_NO_VALUE && atr_index_value(full, ax, &vx) == 0 &&
                atr_index_value(sel, ay, &vy) == 0)
                ATR_CHECK(vx.kind == vy.kind);
        }
    }
    atr_callset_free(a);
    atr_callset_free(b);
}

/* The tree of call x in full and of y in sub: the same ids, times, children and messages. */
static int same_tree(atr_index *full, uint32_t x, atr_index *sub, uint32_t y, int depth) {
    atr_call_view cx, cy;
    char ix_id[ATR_CALL_ID_SIZE], iy_id[ATR_CALL_ID_SIZE];
    if (!ATR_CHECK(atr_index_call(full, x, &cx) == 0 && atr_index_call(sub, y, &cy) == 0))
        return 0;
    atr_call_id_format(full, x, ix_id, sizeof ix_id);
    atr_call_id_format(sub, y, iy_id, sizeof iy_id);
    uint32_t nx = 0, ny = 0, mx = 0, my = 0;
    ATR_CHECK_OK(atr_call_children(full, x, NULL, 0, &nx));
    ATR_CHECK_OK(atr_call_children(sub, y, NULL, 0, &ny));
    ATR_CHECK_OK(atr_call_messages(full, x, NULL, 0, &mx));
    ATR_CHECK_OK(atr_call_messages(sub, y, NULL, 0, &my));
    if (!ATR_CHECK(strcmp(ix_id, iy_id) == 0 && cx.duration_ns == cy.duration_ns &&
                   cx.self_ns == cy.self_ns && cx.status == cy.status && nx == ny && mx == my))
        return 0;
    if (depth > 50 || nx == 0)
        return 1;
    uint32_t *kx = calloc(nx, sizeof(uint32_t)), *ky = calloc(nx, sizeof(uint32_t));
    ATR_REQUIRE(kx && ky);
    atr_call_children(full, x, kx, nx, &nx);
    atr_call_children(sub, y, ky, nx, &ny);
    int ok = 1;
    for (uint32_t i = 0; i < nx && i < ny && ok; i++)
        ok = same_tree(full, kx[i], sub, ky[i], depth + 1);
    free(kx);
    free(ky);
    return ok;
}

/* The subtree of full's call x alone (atr_index_set_keep_subtree): declined, or the same. */
static void check_subtree(const unsigned char *buf, size_t len, const char *name, atr_index *full,
                          uint32_t x) {
    char id[ATR_CALL_ID_SIZE];
    atr_call_id_format(full, x, id, sizeof id);
    atr_index_info fi;
    atr_index_get_info(full, &fi);
    if (fi.n_files != 1)
        return;
    atr_index *ix = NULL;
    uint32_t y = ATR_NO_CALL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    ATR_CHECK_OK(atr_index_set_keep_subtree(ix, 0, strtoull(id, NULL, 10)));
    int rc = atr_index_load_mem(ix, buf, len, name);
    if (rc == 0 && ATR_CHECK_OK(atr_call_id_parse(ix, id, &y))) {
        same_tree(full, x, ix, y, 0);
        g_sub_ok++;
    } else if (rc) {
        ATR_CHECK_ERR(rc, ATR_ESTATE);
    }
    atr_index_free(ix);
}

/*
 * Selective loads (atr_index_set_keep_function) of up to 3 functions of a log that loaded
 * whole: they decline (ATR_ESTATE) or give the same statistics (but self time), argument
 * scores and calls as the whole index.
 */
static void check_selective(const unsigned char *buf, size_t len, const char *name,
                            atr_index *full) {
    atr_index_info fi;
    atr_index_get_info(full, &fi);
    for (uint32_t fn = 0; fn < fi.n_functions && fn < 3; fn++) {
        char fname[512];
        uint32_t found = ATR_NO_FUNCTION;
        size_t nl = atr_function_name(full, fn, fname, sizeof fname);
        if (nl == 0 || nl >= sizeof fname ||
            atr_index_find_function(full, fname, &found, NULL, 0, NULL) != 0 || found != fn)
            continue; /* nameless, or another function by that name */
        atr_index *ix = NULL;
        ATR_REQUIRE(atr_index_open(&ix) == 0);
        ATR_CHECK_OK(atr_index_set_keep_function(ix, fname));
        ATR_CHECK_ERR(atr_index_set_keep_function(ix, fname), ATR_EINVAL);
        int rc = atr_index_load_mem(ix, buf, len, name);
        if (rc == 0) {
            uint32_t sfn = ATR_NO_FUNCTION;
            ATR_CHECK(atr_index_find_function(ix, fname, &sfn, NULL, 0, NULL) == 0 && sfn == fn);
            atr_stats a, b;
            ATR_CHECK_OK(atr_stats_function(full, fn, NULL, &a));
            ATR_CHECK_OK(atr_stats_function(ix, fn, NULL, &b));
            b.self_ns = a.self_ns; /* kept children only */
            char ia[ATR_CALL_ID_SIZE], ib[ATR_CALL_ID_SIZE];
            atr_call_id_format(full, a.slowest_call, ia, sizeof ia);
            atr_call_id_format(ix, b.slowest_call, ib, sizeof ib);
            b.slowest_call = a.slowest_call;
            if (!ATR_CHECK(same_stats(&a, &b) && strcmp(ia, ib) == 0))
                fprintf(stderr, "  %s: %s: selective statistics differ\n", name, fname);
            atr_index_info si;
            atr_index_get_info(ix, &si);
            ATR_CHECK_EQ_U64(si.t_min, fi.t_min);
            atr_argscore *sa = NULL, *sb = NULL;
            if (ATR_CHECK_OK(atr_argscore_compute(full, fn, NULL, ATR_ARGSCORE_RESULT, &sa)) &&
                ATR_CHECK_OK(atr_argscore_compute(ix, fn, NULL, ATR_ARGSCORE_RESULT, &sb))) {
                ATR_CHECK_EQ_U64(atr_argscore_count(sb), atr_argscore_count(sa));
                for (uint32_t k = 0; k < atr_argscore_count(sa) && k < atr_argscore_count(sb);
                     k++) {
                    atr_arg_score x, y;
                    ATR_CHECK_OK(atr_argscore_arg(sa, k, &x));
                    ATR_CHECK_OK(atr_argscore_arg(sb, k, &y));
                    ATR_CHECK(x.score == y.score && x.n_groups == y.n_groups &&
                              x.n_captured == y.n_captured);
                }
            }
            atr_argscore_free(sa);
            atr_argscore_free(sb);
            same_calls(full, ix, fn, name);
            g_keep_ok++;
            if (a.slowest_call != ATR_NO_CALL)
                check_subtree(buf, len, name, full, a.slowest_call);
        } else {
            ATR_CHECK_ERR(rc, ATR_ESTATE);
        }
        atr_index_free(ix);
    }
}

/* Load one buffer; on success run every query. Returns the load's result. */
static int try_log(const unsigned char *buf, size_t len, const char *name) {
    atr_index *ix = NULL;
    ATR_REQUIRE(atr_index_open(&ix) == 0);
    int rc = atr_index_load_mem(ix, buf, len, name);
    ATR_CHECK(rc <= 0);
    check_stats_only(buf, len, name, rc == 0 ? ix : NULL);
    if (rc == 0)
        check_selective(buf, len, name, ix);
    if (rc == 0) {
        exercise(ix);
    } else {
        const char *err = atr_index_error(ix);
        if (!ATR_CHECK(err[0] != '\0' && strchr(err, '\n') == NULL))
            fprintf(stderr, "  %s: rc %d, error '%s'\n", name, rc, err);
    }
    atr_index_free(ix);
    return rc;
}

static void each_atr(const char *dir, int *n_files) {
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        char path[2048];
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".atr") == 0) {
            size_t len = 0;
            unsigned char *buf = read_file(path, &len);
            if (ATR_CHECK(buf != NULL)) {
                try_log(buf, len, de->d_name);
                (*n_files)++;
            }
            free(buf);
        } else if (!strchr(de->d_name, '.')) {
            each_atr(path, n_files); /* a subdirectory */
        }
    }
    closedir(d);
}

/* ---- record streams mutated, then framed validly ------------------------------------- */

static uint64_t g_rnd = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) {
    g_rnd ^= g_rnd << 13;
    g_rnd ^= g_rnd >> 7;
    g_rnd ^= g_rnd << 17;
    return g_rnd;
}

static void mutate(unsigned char *p, size_t *len, size_t cap) {
    static const unsigned char interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xc0, 0xc1, 0xcc,
                                                0xcf, 0xd3, 0xdc, 0xdd, 0xc7, 0xd4, 0x90,
                                                0x95, 0x9f, 0xff, 0x05, 0x06, 0x04};
    int n = 1 + (int)(rnd() % 4);
    for (int k = 0; k<n && * len> 0; k++) {
        size_t at = (size_t)(rnd() % *len);
        switch (rnd() % 5) {
        case 0:
            p[at] ^= (unsigned char)(1u << (rnd() % 8));
            break;
        case 1:
            p[at] = interesting[rnd() % sizeof interesting];
            break;
        case 2:
            *len = at + 1; /* cut */
            break;
        case 3: { /* repeat a run */
            size_t run = 1 + (size_t)(rnd() % 16);
            if (at + run <= *len && *len + run <= cap) {
                memmove(p + at + run, p + at, *len - at);
                *len += run;
            }
            break;
        }
        default:
            p[at] = (unsigned char)rnd();
            break;
        }
    }
}

/* Header + one zstd frame (with content size and checksum) holding content. */
static unsigned char *frame_log(const unsigned char *content, size_t n, size_t *out_len) {
    static const unsigned char hdr[16] = {0x5a, 0x2a, 0x4d, 0x18, 8, 0, 0, 0,
                                          'A',  'T',  'R',  'C',  1, 0, 0, 0};
    size_t bound = ZSTD_compressBound(n);
    unsigned char *out = malloc(16 + bound);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ATR_REQUIRE(out && cc);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1);
    size_t z = ZSTD_compress2(cc, out + 16, bound, content, n);
    ZSTD_freeCCtx(cc);
    ATR_REQUIRE(!ZSTD_isError(z));
    memcpy(out, hdr, 16);
    *out_len = 16 + z;
    return out;
}

static void mutated_streams(const char *dir, int rounds, int *n_ok, int *n_fail) {
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        char path[2048];
        size_t l = strlen(de->d_name), len = 0;
        if (l < 5 || strcmp(de->d_name + l - 4, ".bin") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unsigned char *seed = read_file(path, &len);
        if (!ATR_CHECK(seed != NULL))
            continue;
        size_t cap = len + 256;
        unsigned char *work = malloc(cap);
        ATR_REQUIRE(work != NULL);
        for (int r = 0; r < rounds; r++) {
            size_t n = len, flen = 0;
            memcpy(work, seed, len);
            if (r > 0)
                mutate(work, &n, cap);
            unsigned char *logbuf = frame_log(work, n, &flen);
            if (try_log(logbuf, flen, de->d_name) == 0)
                (*n_ok)++;
            else
                (*n_fail)++;
            free(logbuf);
        }
        free(work);
        free(seed);
    }
    closedir(d);
}

int main(void) {
    char root[1024], dir[1100];
    snprintf(root, sizeof root, "%s", __FILE__);
    char *slash = strrchr(root, '/');
    ATR_REQUIRE(slash != NULL); /* built from an absolute source path (CMake) */
    *slash = '\0';              /* .../tests/c */
    int n_files = 0, n_ok = 0, n_fail = 0;
    snprintf(dir, sizeof dir, "%s/../golden", root);
    each_atr(dir, &n_files);
    snprintf(dir, sizeof dir, "%s/../fuzz/corpus/reader", root);
    each_atr(dir, &n_files);
    ATR_CHECK(n_files >= 10);
    snprintf(dir, sizeof dir, "%s/../fuzz/corpus/records", root);
    mutated_streams(dir, 3000, &n_ok, &n_fail);
    ATR_CHECK(n_ok > 0 && n_fail > 0); /* both outcomes were reached */
    /* statistics-only loads were compared, and some logs needed the full index */
    ATR_CHECK(g_stream_ok > 100 && g_stream_declined > 0 && g_keep_ok > 100 && g_sub_ok > 50);
    ATR_TEST_MAIN_END();
}
