/*
 * Keys of `slow` (issue 12): natural-break length groups, the score of few calls with
 * distinct inputs against unique ids, derived keys (len, type, items, pairs), **kwargs
 * keywords, caller-given keys, and str labels a person can tell apart. Logs are written by
 * the real writer with explicit times.
 */
#include <math.h>

#include "argtrace/atr.h"
#include "atr_test.h"

#include "analysis_logs.h"

static char g_text[8192];

static uint64_t lcg(uint64_t *st) {
    *st = *st * 6364136223846793005u + 1442695040888963407u;
    return *st >> 33;
}

static atr_value text(size_t n) { return atr_value_strn(g_text, n); }

static atr_argscore *score(atr_index *ix, uint32_t fn) {
    atr_argscore *sc = NULL;
    ATR_REQUIRE(atr_argscore_compute(ix, fn, NULL, 0, &sc) == 0);
    return sc;
}

/* The entry named `name` (or fails). */
static int64_t arg_named(const atr_argscore *sc, const char *name, atr_arg_score *out) {
    for (uint32_t i = 0; i < atr_argscore_count(sc); i++) {
        ATR_CHECK_OK(atr_argscore_arg(sc, i, out));
        if (out->name.len == strlen(name) && memcmp(out->name.ptr, name, out->name.len) == 0)
            return i;
    }
    ATR_CHECK(!"no such argument");
    fprintf(stderr, "  wanted %s\n", name);
    memset(out, 0, sizeof(*out));
    return -1;
}

static void print_groups(const atr_argscore *sc, uint32_t i) {
    atr_arg_score a;
    atr_argscore_arg(sc, i, &a);
    fprintf(stderr, "  %.*s score %.3f:", (int)a.name.len, a.name.ptr, a.score);
    for (uint32_t g = 0; g < a.n_groups; g++) {
        atr_arg_group grp;
        atr_argscore_group(sc, i, g, &grp);
        fprintf(stderr, " [%s]x%llu", grp.label, (unsigned long long)grp.calls);
    }
    fputc('\n', stderr);
}

/* Every group's filter (when it has one) selects exactly its calls. */
static void check_filters(atr_index *ix, uint32_t fn, const atr_argscore *sc) {
    for (uint32_t i = 0; i < atr_argscore_count(sc); i++) {
        atr_arg_score a;
        ATR_CHECK_OK(atr_argscore_arg(sc, i, &a));
        for (uint32_t k = 0; k < a.n_groups; k++) {
            atr_arg_group g;
            atr_filter *f = NULL;
            atr_stats st;
            ATR_CHECK_OK(atr_argscore_group(sc, i, k, &g));
            if (!g.filter[0] || !ATR_CHECK_OK(atr_filter_parse(g.filter, &f, NULL, 0)))
                continue;
            ATR_CHECK_OK(atr_stats_function(ix, fn, f, &st));
            if (!ATR_CHECK_EQ_INT(st.count, g.calls))
                fprintf(stderr, "  group %s filter %s\n", g.label, g.filter);
            atr_filter_free(f);
        }
    }
}

/* Sizes around 200/400/800/3200/6400 make five groups with rounded labels. */
static void test_clusters(void) {
    uint64_t clock = 0, rnd = 11, t = 1000;
    atr_session *s = new_log("keys_clusters.atr", &clock);
    const char *pn[] = {"sql"};
    uint32_t fn = define(s, "app", "format", 1, pn);
    static const uint64_t sizes[] = {200, 400, 800, 3200, 6400};
    for (int i = 0; i < 500; i++) {
        uint64_t base = sizes[lcg(&rnd) % 5];
        uint64_t n = base - base / 50 + lcg(&rnd) % (base / 25 + 1); /* +-2% */
        atr_value v = text((size_t)n);
        uint64_t d = 10 * n + lcg(&rnd) % 100;
        uint64_t sp = begin(s, fn, 0, t, &v, 1);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = score(ix, 0);
    atr_arg_score a;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_LENGTH);
    if (!ATR_CHECK_EQ_INT(a.n_groups, 5))
        print_groups(sc, 0);
    ATR_CHECK(a.score > 0.9);
    /* Slowest first: the 6400 cluster, labelled with 2 significant digits. */
    atr_arg_group g;
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 0, &g));
    ATR_CHECK_EQ_STR(g.label, "len 6,200\xe2\x80\x93"
                              "6,600");
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 4, &g));
    ATR_CHECK_EQ_STR(g.label, "len 190\xe2\x80\x93"
                              "210");
    check_filters(ix, 0, sc);
    atr_argscore_free(sc);
    done(ix);
}

/* A range group of one value is labelled by the value, not rounded. */
static void test_single_value_range(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("keys_single.atr", &clock);
    const char *pn[] = {"n"};
    uint32_t fn = define(s, "app", "f", 1, pn);
    for (int i = 0; i < 26; i++) {
        atr_value v = atr_value_int(i % 2 ? 6295 : 100 + i / 2);
        uint64_t d = i % 2 ? 90000 : 1000;
        uint64_t sp = begin(s, fn, 0, t, &v, 1);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = score(ix, 0);
    atr_arg_score a;
    atr_arg_group g;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_RANGE);
    ATR_REQUIRE(a.n_groups == 2);
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 0, &g));
    ATR_CHECK_EQ_STR(g.label, "6,295"); /* a range of one value, with separators */
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 1, &g));
    ATR_CHECK_EQ_STR(g.label, "100\xe2\x80\x93"
                              "120");
    check_filters(ix, 0, sc);
    atr_argscore_free(sc);
    done(ix);
}

/* Infinite and NaN numbers among many: groups cover every call, nothing breaks. */
static void test_infinite(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("keys_inf.atr", &clock);
    const char *pn[] = {"x"};
    uint32_t fn = define(s, "app", "f", 1, pn);
    for (int i = 0; i < 40; i++) {
        double x = i % 10 == 0 ? INFINITY : i % 10 == 1 ? -INFINITY : i % 10 == 2 ? NAN : i * 1.5;
        atr_value v = atr_value_float(x);
        uint64_t sp = begin(s, fn, 0, t, &v, 1);
        ATR_CHECK_OK(atr_span_return(s, sp, t + 1000 + (uint64_t)i, NULL));
        t += 2000;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = score(ix, 0);
    atr_arg_score a;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_RANGE);
    ATR_CHECK(a.score >= 0 && a.score <= 1);
    uint64_t calls = 0;
    for (uint32_t g = 0; g < a.n_groups; g++) {
        atr_arg_group grp;
        ATR_CHECK_OK(atr_argscore_group(sc, 0, g, &grp));
        calls += grp.calls;
    }
    ATR_CHECK_EQ_INT(calls, 40);
    atr_argscore_free(sc);
    done(ix);
}

/*
 * Three inputs called once each: 80 us, 200 us, 2 ms for lengths 200, 400, 800. Leave-one-out
 * grouping cannot see anything in singletons; the trend gives a real score.
 */
static void test_three_inputs(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("keys_three.atr", &clock);
    const char *pn[] = {"sql", "name"};
    uint32_t fn = define(s, "app", "format", 2, pn);
    static const uint64_t len[] = {400, 200, 800}, dur[] = {200000, 80000, 2000000};
    static const char *const names[] = {"b", "a", "c"};
    for (int i = 0; i < 3; i++) {
        atr_value v[2] = {text((size_t)len[i]), atr_value_strn(names[i], 1)};
        uint64_t sp = begin(s, fn, 0, t, v, 2);
        ATR_CHECK_OK(atr_span_return(s, sp, t + dur[i], NULL));
        t += dur[i] + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = score(ix, 0);
    atr_arg_score a;
    arg_named(sc, "sql", &a);
    ATR_CHECK(a.score_exact < 0.01); /* singletons */
    if (!ATR_CHECK(a.score > 0.5 && a.score_trend == a.score))
        fprintf(stderr, "  score %.3f trend %.3f\n", a.score, a.score_trend);
    arg_named(sc, "name", &a); /* unordered names: nothing to go on */
    ATR_CHECK(a.score < 0.01);
    atr_argscore_free(sc);
    done(ix);
}

/* Unique ids (sequential ints, random ints, same-length strs) score about 0. */
static void test_unique_ids(void) {
    uint64_t clock = 0, rnd = 5, t = 1000;
    atr_session *s = new_log("keys_ids.atr", &clock);
    const char *pn[] = {"seq", "rid", "uuid", "n"};
    uint32_t fn = define(s, "app", "handle", 4, pn);
    for (int i = 0; i < 400; i++) {
        char uuid[17];
        snprintf(uuid, sizeof uuid, "%016llx", (unsigned long long)lcg(&rnd));
        uint64_t n = lcg(&rnd) % 3;
        atr_value v[4] = {atr_value_int(1000 + i), atr_value_int((int64_t)(lcg(&rnd) % 1000000)),
                          atr_value_strn(uuid, 16), atr_value_int((int64_t)n)};
        uint64_t d = 1000 * (1 + n * 5) + lcg(&rnd) % 3000;
        uint64_t sp = begin(s, fn, 0, t, v, 4);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = score(ix, 0);
    atr_arg_score a;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_MEM(a.name.ptr, a.name.len, "n", 1);
    ATR_CHECK(a.score > 0.5);
    for (uint32_t i = 1; i < atr_argscore_count(sc); i++) {
        ATR_CHECK_OK(atr_argscore_arg(sc, i, &a));
        if (!ATR_CHECK(a.score < 0.05))
            print_groups(sc, i);
    }
    atr_argscore_free(sc);
    done(ix);
}

/*
 * Derived keys: len(), type(), .items, pairs. Time depends on the pair (mode, flag) only:
 * slow when they differ — neither alone explains it, the pair does.
 */
static void test_derived(void) {
    uint64_t clock = 0, rnd = 9, t = 1000;
    atr_session *s = new_log("keys_derived.atr", &clock);
    const char *pn[] = {"mode", "flag", "rows", "x"};
    uint32_t fn = define(s, "app", "run", 4, pn);
    for (int i = 0; i < 300; i++) {
        uint64_t m = lcg(&rnd) % 2, f = lcg(&rnd) % 2, r = 1 + lcg(&rnd) % 500;
        uint64_t k = lcg(&rnd) % 3;
        atr_value v[4] = {atr_value_strn(m ? "fast" : "slow", 4), atr_value_bool((int)f),
                          atr_value_summary("list", 4, (int64_t)r),
                          k == 0   ? atr_value_int(1)
                          : k == 1 ? text(10)
                                   : atr_value_nil()};
        uint64_t d = (m != f ? 100000 : 1000) + lcg(&rnd) % 500;
        uint64_t sp = begin(s, fn, 0, t, v, 4);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    const char *keys[] = {"mode",       " mode , flag ", "len(rows)", "type(x)",
                          "rows.items", "len(x)",        "x.items"};
    atr_argscore *sc = NULL;
    char err[200];
    ATR_REQUIRE(atr_argscore_compute_keys(ix, 0, NULL, keys, 7, &sc, err, sizeof err) == 0);
    ATR_CHECK_EQ_INT(atr_argscore_count(sc), 7);
    atr_arg_score a;
    atr_arg_group g;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_MEM(a.name.ptr, a.name.len, "mode,flag", 9);
    ATR_CHECK(a.score > 0.9);
    ATR_CHECK_EQ_INT(a.n_groups, 4);
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 0, &g));
    ATR_CHECK(strcmp(g.label, "fast, False") == 0 || strcmp(g.label, "slow, True") == 0);
    ATR_CHECK(strstr(g.filter, "mode=") && strstr(g.filter, "flag="));
    ATR_CHECK_EQ_INT(g.value, ATR_NO_VALUE);
    arg_named(sc, "mode", &a);
    ATR_CHECK(a.score < 0.05);
    int64_t i = arg_named(sc, "len(rows)", &a);
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_LENGTH);
    ATR_CHECK(a.score < 0.05);
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 0, &g));
    ATR_CHECK(strncmp(g.label, "len ", 4) == 0);
    i = arg_named(sc, "rows.items", &a);
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 0, &g));
    ATR_CHECK(strncmp(g.label, "items ", 6) == 0);
    i = arg_named(sc, "type(x)", &a);
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_TYPE);
    ATR_CHECK_EQ_INT(a.n_groups, 3);
    i = arg_named(sc, "len(x)", &a); /* 10 for strs; ints and None have none */
    ATR_CHECK_EQ_INT(a.n_groups, 2);
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 1, &g));
    ATR_CHECK(strcmp(g.label, "(no length)") == 0 || strcmp(g.label, "len 10") == 0);
    i = arg_named(sc, "x.items", &a); /* no containers at all */
    ATR_CHECK_EQ_INT(a.n_groups, 1);
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 0, &g));
    ATR_CHECK_EQ_STR(g.label, "(not a container)");
    check_filters(ix, 0, sc);
    atr_argscore_free(sc);
    /* Errors: one line each. */
    const char *bad[] = {"nope"};
    ATR_CHECK_ERR(atr_argscore_compute_keys(ix, 0, NULL, bad, 1, &sc, err, sizeof err),
                  ATR_ENOTFOUND);
    ATR_CHECK_EQ_STR(err, "no argument 'nope'");
    const char *bad2[] = {"len()"};
    ATR_CHECK_ERR(atr_argscore_compute_keys(ix, 0, NULL, bad2, 1, &sc, err, sizeof err),
                  ATR_ESYNTAX);
    const char *bad3[] = {"mode,flag,x"};
    ATR_CHECK_ERR(atr_argscore_compute_keys(ix, 0, NULL, bad3, 1, &sc, err, sizeof err),
                  ATR_ESYNTAX);
    ATR_CHECK(sc == NULL);
    done(ix);
}

/* A summarizer's dict entry: a summary named key ("=" + the entry's key), of unknown length,
   holding v. */
static atr_value entry(const char *key, atr_value *v) {
    atr_value e = atr_value_summary(key, strlen(key), -1);
    e.u.sum.items = v;
    e.n_items = 1;
    return e;
}

/* NAME.KEY: the calls grouped by one entry of a summarizer's dict (cfg = {"mode": ..., "n":
   ..., "shape": (3, k)}; None for some calls): exact by label, ranges for many numbers. */
static void test_entries(void) {
    uint64_t clock = 0, rnd = 5, t = 1000;
    atr_session *s = new_log("keys_entries.atr", &clock);
    const char *pn[] = {"cfg", "data"};
    uint32_t fn = define(s, "app", "run", 2, pn);
    for (int i = 0; i < 200; i++) {
        uint64_t m = lcg(&rnd) % 2 && i % 10 != 9, k = lcg(&rnd) % 3; /* None: fast */
        atr_value dims[2] = {atr_value_int(3), atr_value_int((int64_t)k + 4)};
        atr_value shape = atr_value_summary("tuple", 5, 2);
        shape.u.sum.items = dims;
        shape.n_items = 2;
        atr_value vals[3] = {atr_value_strn(m ? "slow" : "fast", 4), atr_value_int(i % 30), shape};
        atr_value ents[3] = {entry("=mode", &vals[0]), entry("=n", &vals[1]),
                             entry("=shape", &vals[2])};
        atr_value cfg = atr_value_summary("Config", 6, -1);
        cfg.u.sum.items = ents;
        cfg.n_items = 3;
        atr_value v[2] = {i % 10 == 9 ? atr_value_nil() : cfg, atr_value_int(i)};
        uint64_t d = (m ? 100000 : 1000) + lcg(&rnd) % 500;
        ATR_CHECK_OK(atr_span_return(s, begin(s, fn, 0, t, v, 2), t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    const char *keys[] = {"cfg.mode", "cfg.n", " cfg . shape ", "cfg.mode,data", "cfg.items"};
    atr_argscore *sc = NULL;
    char err[200];
    ATR_REQUIRE(atr_argscore_compute_keys(ix, 0, NULL, keys, 5, &sc, err, sizeof err) == 0);
    atr_arg_score a;
    atr_arg_group g;
    int64_t i = arg_named(sc, "cfg.mode", &a);
    ATR_CHECK(a.score > 0.9);
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_EXACT);
    ATR_CHECK_EQ_INT(a.n_groups, 3);
    ATR_CHECK_EQ_INT(a.n_captured, 180);
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 0, &g));
    ATR_CHECK_EQ_STR(g.label, "slow");
    ATR_CHECK_EQ_STR(g.filter, ""); /* no filter reads inside a summary */
    const char *labels[3];
    for (uint32_t k = 0; k < 3; k++) {
        ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, k, &g));
        labels[k] = g.label;
    }
    ATR_CHECK(!strcmp(labels[2], "(not captured)") || !strcmp(labels[1], "(not captured)"));
    i = arg_named(sc, "cfg.n", &a); /* 30 numbers: ranges */
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_RANGE);
    ATR_CHECK(a.score < 0.2);
    i = arg_named(sc, "cfg.shape", &a);
    ATR_CHECK_EQ_INT(a.n_groups, 4); /* (3, 4), (3, 5), (3, 6), not captured */
    int seen = 0;
    for (uint32_t k = 0; k < a.n_groups; k++) {
        ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, k, &g));
        seen += strcmp(g.label, "tuple len 2: 3, 5") == 0;
    }
    ATR_CHECK_EQ_INT(seen, 1);
    arg_named(sc, "cfg.mode,data", &a);
    ATR_CHECK(a.pair);
    i = arg_named(sc, "cfg.items", &a); /* .items keeps its meaning: not an entry */
    for (uint32_t k = 0; k < a.n_groups; k++) {
        ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, k, &g));
        ATR_CHECK(strcmp(g.label, "slow") != 0 && strcmp(g.label, "fast") != 0);
    }
    atr_argscore_free(sc);
    const char *bad[] = {"cfg.nope"};
    ATR_CHECK_ERR(atr_argscore_compute_keys(ix, 0, NULL, bad, 1, &sc, err, sizeof err),
                  ATR_ENOTFOUND);
    ATR_CHECK(strstr(err, "'cfg.nope': no value has this entry") == err);
    const char *bad2[] = {"nope.mode"};
    ATR_CHECK_ERR(atr_argscore_compute_keys(ix, 0, NULL, bad2, 1, &sc, err, sizeof err),
                  ATR_ENOTFOUND);
    ATR_CHECK_EQ_STR(err, "no argument 'nope'");
    ATR_CHECK(sc == NULL);
    done(ix);
}

/* **kwargs entries recorded as fields: one key per keyword; missing reads "(not passed)". */
static void test_kwargs(void) {
    uint64_t clock = 0, rnd = 3, t = 1000;
    atr_session *s = new_log("keys_kwargs.atr", &clock);
    const char *pn[] = {"text", "**opts"};
    uint32_t fn = define(s, "app", "render", 2, pn);
    for (int i = 0; i < 200; i++) {
        int fancy = lcg(&rnd) % 2;
        atr_field f[2] = {{S("fancy"), atr_value_bool(fancy)}, {S("width"), atr_value_int(i % 4)}};
        atr_value v[1] = {text(5)};
        uint64_t sp = 0;
        ATR_CHECK_OK(atr_span_begin(s, fn, 0, t, v, 1, f, i % 5 ? 2 : 1, &sp));
        uint64_t d = (fancy ? 50000 : 1000) + lcg(&rnd) % 200;
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = score(ix, 0);
    atr_arg_score a;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_MEM(a.name.ptr, a.name.len, "fancy", 5);
    ATR_CHECK(a.score > 0.9);
    int64_t w = arg_named(sc, "width", &a);
    int seen = 0;
    for (uint32_t g = 0; w >= 0 && g < a.n_groups; g++) {
        atr_arg_group grp;
        ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)w, g, &grp));
        seen += strcmp(grp.label, "(not passed)") == 0 && grp.calls == 40;
    }
    ATR_CHECK_EQ_INT(seen, 1);
    for (uint32_t i = 0; i < atr_argscore_count(sc); i++) { /* **opts itself is not a key */
        ATR_CHECK_OK(atr_argscore_arg(sc, i, &a));
        ATR_CHECK(!(a.name.len == 6 && memcmp(a.name.ptr, "**opts", 6) == 0));
    }
    ATR_CHECK_EQ_INT(atr_argscore_count(sc), 3);
    atr_argscore_free(sc);
    done(ix);
}

/* Twelve long strs with one prefix: labels differ, show where, and give the length. */
static void test_labels(void) {
    uint64_t clock = 0, t = 1000;
    atr_session *s = new_log("keys_labels.atr", &clock);
    const char *pn[] = {"sql", "doc", "cols"};
    uint32_t fn = define(s, "app", "format", 3, pn);
    for (int i = 0; i < 24; i++) {
        char sql[400], doc[60];
        int n = snprintf(sql, sizeof sql,
                         "SELECT a.id, a.name, b.total\n  FROM accounts a\n  JOIN balances b "
                         "ON b.account = a.id\n WHERE a.region = %d AND b.total > 100 "
                         "ORDER BY b.total",
                         i % 12);
        snprintf(doc, sizeof doc, "short %d", i % 12);
        atr_value items[2] = {atr_value_strn(i % 2 ? "id" : "name", i % 2 ? 2 : 4),
                              atr_value_int(i % 2)};
        atr_value v[3] = {atr_value_strn(sql, (size_t)n), atr_value_strn(doc, strlen(doc)),
                          atr_value_summary("list", 4, 3)};
        v[2].u.sum.items = items; /* two of its three items captured */
        v[2].n_items = 2;
        uint64_t d = 1000 * (1 + (uint64_t)(i % 12)) + (uint64_t)i;
        uint64_t sp = begin(s, fn, 0, t, v, 3);
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    atr_argscore *sc = score(ix, 0);
    atr_arg_score a;
    int64_t i = arg_named(sc, "sql", &a);
    ATR_REQUIRE(i >= 0);
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_EXACT);
    ATR_CHECK_EQ_INT(a.n_groups, 12);
    char seen[12][256];
    for (uint32_t g = 0; g < a.n_groups; g++) {
        atr_arg_group grp;
        ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, g, &grp));
        snprintf(seen[g], sizeof seen[g], "%s", grp.label);
        ATR_CHECK(strstr(grp.label, "region = ") != NULL); /* where they differ */
        ATR_CHECK(strstr(grp.label, "(len 1") != NULL);
        ATR_CHECK(strncmp(grp.label, "SELECT", 6) == 0);
        ATR_CHECK(strchr(grp.label, '\\') == NULL); /* newlines read as spaces */
        ATR_CHECK(strlen(grp.label) < 48);
        for (uint32_t h = 0; h < g; h++)
            ATR_CHECK(strcmp(seen[h], grp.label) != 0);
        ATR_CHECK(grp.value != ATR_NO_VALUE);
    }
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 0, &(atr_arg_group){0}));
    i = arg_named(sc, "doc", &a); /* short strs: the value itself */
    atr_arg_group grp;
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 0, &grp));
    ATR_CHECK_EQ_STR(grp.label, "short 11");
    i = arg_named(sc, "cols", &a); /* containers of one length: type, length, leading items */
    ATR_CHECK_EQ_INT(a.n_groups, 2);
    char l0[256];
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 0, &grp));
    snprintf(l0, sizeof l0, "%s", grp.label);
    ATR_CHECK_OK(atr_argscore_group(sc, (uint32_t)i, 1, &grp));
    ATR_CHECK((strcmp(l0, "list len 3: id, 1, \xe2\x80\xa6") == 0 &&
               strcmp(grp.label, "list len 3: name, 0, \xe2\x80\xa6") == 0) ||
              (strcmp(grp.label, "list len 3: id, 1, \xe2\x80\xa6") == 0 &&
               strcmp(l0, "list len 3: name, 0, \xe2\x80\xa6") == 0));
    check_filters(ix, 0, sc);
    atr_argscore_free(sc);
    done(ix);
}

/* A caller's key: tokens with labels, and numbers. */
static void test_custom(void) {
    uint64_t clock = 0, rnd = 17, t = 1000;
    atr_session *s = new_log("keys_custom.atr", &clock);
    const char *pn[] = {"x"};
    uint32_t fn = define(s, "app", "f", 1, pn);
    uint32_t tok[100];
    double num[100];
    for (int i = 0; i < 100; i++) {
        tok[i] = (uint32_t)(lcg(&rnd) % 3);
        num[i] = tok[i] == 2 ? NAN : (double)(tok[i] * 1000 + (uint64_t)i);
        atr_value v = atr_value_int(i);
        uint64_t sp = begin(s, fn, 0, t, &v, 1);
        uint64_t d = 1000 * (1 + tok[i] * 20) + lcg(&rnd) % 100;
        ATR_CHECK_OK(atr_span_return(s, sp, t + d, NULL));
        t += d + 1;
    }
    clock = t;
    ATR_CHECK_OK(atr_session_close(s));
    atr_index *ix = load_one(g_path);
    uint32_t calls[100];
    for (uint32_t i = 0; i < 100; i++)
        calls[i] = i;
    tok[7] = ATR_NO_VALUE;
    const char *labels[] = {"small", "big", "huge"};
    atr_argscore *sc = NULL;
    ATR_REQUIRE(atr_argscore_compute_custom(ix, "key", calls, 100, tok, NULL, labels, 3, &sc) == 0);
    atr_arg_score a;
    atr_arg_group g;
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_MEM(a.name.ptr, a.name.len, "key", 3);
    ATR_CHECK_EQ_INT(a.param, -3);
    ATR_CHECK(a.score > 0.9);
    ATR_CHECK_EQ_INT(a.n_groups, 4);
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 0, &g));
    ATR_CHECK_EQ_STR(g.label, "huge");
    ATR_CHECK_EQ_STR(g.filter, "");
    ATR_CHECK_OK(atr_argscore_group(sc, 0, 3, &g));
    ATR_CHECK(strcmp(g.label, "(no key)") == 0 || g.calls > 1);
    atr_argscore_free(sc);
    const char *nl[100]; /* numbers: one token per distinct number */
    uint32_t nt[100];
    char nb[100][8];
    for (uint32_t i = 0; i < 100; i++) {
        snprintf(nb[i], sizeof nb[i], "%u", i);
        nl[i] = nb[i];
        nt[i] = isnan(num[i]) ? ATR_NO_VALUE : i;
    }
    ATR_REQUIRE(atr_argscore_compute_custom(ix, "n", calls, 100, nt, num, nl, 100, &sc) == 0);
    ATR_CHECK_OK(atr_argscore_arg(sc, 0, &a));
    ATR_CHECK_EQ_INT(a.mode, ATR_GROUP_RANGE);
    ATR_CHECK(a.score > 0.9);
    atr_argscore_free(sc);
    tok[3] = 3; /* no such label */
    ATR_CHECK_ERR(atr_argscore_compute_custom(ix, "k", calls, 100, tok, NULL, labels, 3, &sc),
                  ATR_EINVAL);
    done(ix);
}

int main(void) {
    memset(g_text, 'q', sizeof g_text);
    test_clusters();
    test_single_value_range();
    test_infinite();
    test_three_inputs();
    test_unique_ids();
    test_derived();
    test_entries();
    test_kwargs();
    test_labels();
    test_custom();
    ATR_TEST_MAIN_END();
}
